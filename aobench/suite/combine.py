"""Headlines from per-subset metrics, left out (not computed from fewer subsets) when a subset they need was not evaluated.

The arithmetic is `aobench.suite.scoring`'s (pooled micro means and plain macro means with their stderr);
this only adds the rule that a partial run — `crepe/atom_complexity_4`, a VL-CheckList file with no image —
never prints a number that looks like the benchmark's.
"""

from __future__ import annotations

import math
from typing import Iterable, Optional

from aobench.suite.scoring import macro, micro


def _stderr(d: dict, metric: str) -> float:
    se = d.get(f"{metric}_stderr")
    if se is None:  # a 0/1 rate given without its stderr: the binomial one, sqrt(p(1-p)/(n-1))
        p, n = float(d[metric]), int(d["n"])
        se = math.sqrt(p * (1 - p) / (n - 1)) if n > 1 else math.nan
    return float(se)


def _ready(per_subset: dict, names: list, metric: str) -> bool:
    return bool(names) and all(metric in per_subset.get(s, {}) and per_subset[s].get("n") for s in names)


def mean_of(per_subset: dict, names: Iterable[str], metric: str = "acc") -> Optional[dict]:
    """{metric, metric_stderr, n}: the plain mean of `metric` over subsets `names`; None if one is missing or empty."""
    names = list(names)
    if not _ready(per_subset, names, metric):
        return None
    value, se = macro([(per_subset[s][metric], _stderr(per_subset[s], metric)) for s in names])
    return {metric: value, f"{metric}_stderr": se, "n": sum(int(per_subset[s]["n"]) for s in names)}


def pooled(per_subset: dict, names: Iterable[str], metric: str = "acc") -> Optional[dict]:
    """{metric, metric_stderr, n}: the micro mean over every example of subsets `names`; None if one is missing or empty."""
    names = list(names)
    return micro(per_subset, names, metric) if _ready(per_subset, names, metric) else None


def mean_of_means(groups: Iterable[Optional[dict]], metric: str = "acc") -> Optional[dict]:
    """The plain mean of already-combined groups (each from `mean_of` / `pooled`); None if any group is None."""
    groups = list(groups)
    if not groups or any(g is None for g in groups):
        return None
    return mean_of({str(i): g for i, g in enumerate(groups)}, [str(i) for i in range(len(groups))], metric)


def flatten(prefix: str, combined: Optional[dict]) -> dict:
    """`combined`'s keys under `prefix/` ("" for the headline itself); nothing when it is None."""
    if combined is None:
        return {}
    return {(f"{prefix}/{k}" if prefix else k): v for k, v in combined.items()}
