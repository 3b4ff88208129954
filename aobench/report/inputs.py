"""Readers for what a report shows: a build's manifest, eval result JSONs, corpus statistics (nmi dirs).

Readers are tolerant: eval and corpus formats are owned by other stages, so unknown keys are kept,
nested metrics are flattened to `a/b` keys, and files that are not results are skipped.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from aobench.errors import AobenchError


@dataclass
class Corpus:
    """One analysed corpus: `nmi.json` plus the rows of `pairs.csv` (if present)."""

    name: str
    path: Path
    stats: dict
    pairs: list[dict] = field(default_factory=list)

    @property
    def nmi(self) -> Optional[float]:
        """The corpus NMI, or None when missing."""
        return _num(self.stats.get("nmi"))

    @property
    def ci(self) -> Optional[tuple[float, float]]:
        """(low, high) of the NMI confidence interval, whatever shape `ci` was written in."""
        return parse_ci(self.stats.get("ci"))


@dataclass
class Result:
    """One (model, task) eval result with metrics flattened to `a/b` keys."""

    model: str
    task: str
    dataset: str
    metrics: dict[str, float]
    raw: dict
    path: Path


def _num(x: Any) -> Optional[float]:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def parse_ci(ci: Any) -> Optional[tuple[float, float]]:
    """A CI as (low, high) from a list/tuple, or a dict with low/high (or lo/hi, lower/upper) keys."""
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        lo, hi = _num(ci[0]), _num(ci[1])
    elif isinstance(ci, dict):
        lo = next((_num(ci[k]) for k in ("low", "lo", "lower", "min") if k in ci), None)
        hi = next((_num(ci[k]) for k in ("high", "hi", "upper", "max") if k in ci), None)
    else:
        return None
    return (lo, hi) if lo is not None and hi is not None else None


def flatten_metrics(metrics: Any, prefix: str = "") -> dict[str, float]:
    """Nested metric dicts → {"a/b": number}; non-numeric leaves are dropped."""
    out: dict[str, float] = {}
    if isinstance(metrics, dict):
        for k, v in metrics.items():
            out.update(flatten_metrics(v, f"{prefix}{k}/" if isinstance(v, dict) else f"{prefix}{k}"))
    else:
        v = _num(metrics) if not isinstance(metrics, bool) else None
        if v is not None:
            out[prefix.rstrip("/")] = v
    return out


def model_label(raw: dict) -> str:
    """`model:pretrained` (or just the model when pretrained is empty)."""
    model, pre = str(raw.get("model", "?")), raw.get("pretrained")
    return f"{model}:{pre}" if pre not in (None, "", "none") else model


def load_results(paths: list[Path]) -> list[Result]:
    """Every result JSON (dict with `model` and `metrics`) in the given dirs/files, recursively for dirs."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files.extend(sorted(f for f in p.rglob("*.json") if "report" not in f.relative_to(p).parts))
        else:
            raise AobenchError(f"--results {p}: no such file or directory")
    out = []
    for f in files:
        try:
            raw = json.loads(f.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            continue  # not a result file (a config or a cache beside the results)
        if not isinstance(raw, dict) or "metrics" not in raw or "model" not in raw:
            continue
        out.append(Result(model_label(raw), str(raw.get("task", "?")), str(raw.get("dataset", "")), flatten_metrics(raw["metrics"]), raw, f))
    return out


def load_corpus(path: Path) -> Corpus:
    """An `aobench nmi` output dir (or its nmi.json)."""
    path = Path(path)
    nmi_file = path if path.is_file() else path / "nmi.json"
    if not nmi_file.exists():
        raise AobenchError(f"--corpus {path}: no nmi.json — pass a directory written by `aobench nmi --out DIR`")
    try:
        stats = json.loads(nmi_file.read_text())
    except json.JSONDecodeError as exc:
        raise AobenchError(f"{nmi_file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    pairs = []
    csv_file = nmi_file.parent / "pairs.csv"
    if csv_file.exists():
        with open(csv_file, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                pairs.append({**row, "count": _num(row.get("count")) or 0.0, "pmi": _num(row.get("pmi"))})
    name = str(stats.get("corpus") or stats.get("name") or nmi_file.parent.name)
    return Corpus(name=name, path=nmi_file.parent, stats=stats, pairs=pairs)


def results_in(dir_: Path) -> bool:
    """Whether DIR holds eval result JSONs (directly or under results/)."""
    return bool(load_results([dir_])) if Path(dir_).is_dir() else False
