"""Readers for what a report shows besides eval results: a build's manifest and corpus statistics (nmi dirs).

Eval results are read through `aobench.evaluate.results`, which owns their format. The corpus reader is
tolerant: unknown keys are kept and a CI may come in several shapes.
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

