"""Cross-model figures of eval results (PNG): accuracy per attribute type, composition vs object accuracy.

`aobench eval --plot` and `aobench report` draw them with the same functions, from `results.summarize`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Optional

from aobench.evaluate.results import Result, summarize
from aobench.io import atomic_write_bytes


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on CI or on a GPU box
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> Path:
    """Write a figure as PNG atomically (no timestamp metadata, so reruns give the same bytes) and close it."""
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def per_attribute_type(results: list[Result], path: Path) -> Optional[Path]:
    """Grouped bars: composition acc1 per attribute type, one bar per model (None when no result has a breakdown)."""
    per = {name: s.by_attribute_type for name, s in summarize(results).items() if s.by_attribute_type}
    if not per:
        return None
    plt = _pyplot()
    types = sorted({t for d in per.values() for t in d})
    fig, ax = plt.subplots(figsize=(max(5, 1.0 * len(types) * max(1, len(per)) / 2 + 2), 3.6))
    width = 0.8 / len(per)
    for m, (name, d) in enumerate(per.items()):
        ax.bar([i + m * width - 0.4 + width / 2 for i in range(len(types))], [d.get(t, 0) for t in types], width, label=name)
    ax.set_xticks(range(len(types)), types)
    ax.set_ylabel("composition top-1 accuracy")
    ax.set_ylim(0, 1)
    ax.set_title("composition accuracy per attribute type")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def composition_vs_object(results: list[Result], path: Path) -> Optional[Path]:
    """Scatter: object acc1 (x) vs composition acc1 (y), one point per model, with the y = x line."""
    points = [(n, s.object, s.composition) for n, s in summarize(results).items() if s.object is not None and s.composition is not None]
    if not points:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="0.7", lw=1, ls="--")
    for n, x, y in points:
        ax.scatter(x, y)
        ax.annotate(n, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("object top-1 accuracy")
    ax.set_ylabel("composition top-1 accuracy")
    ax.set_title("composition vs object accuracy")
    return save_figure(fig, path)


def make_plots(out: Path, results: list[Result]) -> list[Path]:
    """Write the figures of `results` into OUT/plots/; returns the files written."""
    made = [
        per_attribute_type(results, Path(out) / "plots" / "accuracy_per_attribute_type.png"),
        composition_vs_object(results, Path(out) / "plots" / "composition_vs_object.png"),
    ]
    return [p for p in made if p is not None]
