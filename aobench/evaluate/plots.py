"""`aobench eval --plot`: PNGs of accuracy per attribute type and composition vs object accuracy across models."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Optional

from aobench.io import atomic_write_bytes


def _label(r: dict) -> str:
    return r.get("spec") or f"{r['model']}:{r['pretrained']}"


def save_figure(fig, path: Path) -> Path:
    """Write a figure as PNG atomically (no timestamp metadata, so reruns give the same bytes) and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _ok(v) -> bool:
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))


def per_attribute_type(results: list[dict], path: Path, task: str = "composition") -> Optional[Path]:
    """Grouped bars: `task` acc1 per attribute type, one bar per model (None when no result has a breakdown)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aobench.evaluate.runner import flat_metrics

    rs = [r for r in results if r["task"] == task]
    per = {}
    for r in rs:
        for k, v in flat_metrics(r["metrics"]).items():
            parts = k.split("/")
            if len(parts) == 3 and parts[0] == "by_attribute_type" and parts[2] == "acc1" and _ok(v):
                per.setdefault(_label(r), {})[parts[1]] = v
    if not per:
        return None
    types = sorted({t for d in per.values() for t in d})
    fig, ax = plt.subplots(figsize=(max(5, 1.0 * len(types) * max(1, len(per)) / 2 + 2), 3.6))
    width = 0.8 / len(per)
    for m, (name, d) in enumerate(per.items()):
        ax.bar([i + m * width - 0.4 + width / 2 for i in range(len(types))], [d.get(t, 0) for t in types], width, label=name)
    ax.set_xticks(range(len(types)), types)
    ax.set_ylabel(f"{task} top-1 accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(f"{task} accuracy per attribute type")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def composition_vs_object(results: list[dict], path: Path) -> Optional[Path]:
    """Scatter: object acc1 (x) vs composition acc1 (y), one point per model, with the y = x line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comp = {_label(r): r["metrics"].get("acc1") for r in results if r["task"] == "composition"}
    obj = {_label(r): r["metrics"].get("acc1") for r in results if r["task"] == "object"}
    names = [n for n in comp if n in obj and _ok(comp[n]) and _ok(obj[n])]
    if not names:
        return None
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="0.7", lw=1, ls="--")
    for n in names:
        ax.scatter(obj[n], comp[n])
        ax.annotate(n, (obj[n], comp[n]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("object top-1 accuracy")
    ax.set_ylabel("composition top-1 accuracy")
    ax.set_title("composition vs object accuracy")
    return save_figure(fig, path)


def make_plots(out: Path) -> list[Path]:
    """Write the figures for every result in OUT into OUT/plots/; returns the files written."""
    from aobench.evaluate.runner import load_results

    results = load_results(out)
    made = [
        per_attribute_type(results, Path(out) / "plots" / "accuracy_per_attribute_type.png"),
        composition_vs_object(results, Path(out) / "plots" / "composition_vs_object.png"),
    ]
    return [p for p in made if p is not None]
