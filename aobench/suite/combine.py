"""Headline numbers from per-subset metrics: plain means and pooled (micro) means, each with its stderr.

Subsets are independent samples, so the stderr of a mean of k subset accuracies is sqrt(Σ se_i²)/k; a pooled
accuracy over 0/1 outcomes has lm-eval's mean_stderr, sqrt(p(1-p)/(N-1)). A headline is left out (not
computed from fewer subsets) when a subset it needs was not evaluated, so a partial run never prints a
number that looks like the benchmark's.
"""

from __future__ import annotations

import math
from typing import Iterable, Optional


def _stderr(d: dict, metric: str) -> float:
    se = d.get(f"{metric}_stderr")
    if se is None and metric == "acc":
        se = d.get("stderr")
    if se is None:  # 0/1 outcomes: the binomial stderr from the rate and the count
        p, n = float(d[metric]), int(d.get("n", 0))
        se = math.sqrt(p * (1 - p) / (n - 1)) if n > 1 else math.nan
    return float(se)


def _ready(per_subset: dict, names: Iterable[str], metric: str) -> Optional[list[dict]]:
    rows = [per_subset.get(s) for s in names]
    if any(r is None or metric not in r or not int(r.get("n", 1)) for r in rows):
        return None
    return rows


def mean_of(per_subset: dict, names: Iterable[str], metric: str = "acc") -> Optional[dict]:
    """{metric, metric_stderr, n}: the plain mean of `metric` over subsets `names`; None if one is missing or empty."""
    rows = _ready(per_subset, list(names), metric)
    if not rows:
        return None
    k = len(rows)
    value = sum(float(r[metric]) for r in rows) / k
    se = math.sqrt(sum(_stderr(r, metric) ** 2 for r in rows)) / k
    return {metric: value, f"{metric}_stderr": se, "n": sum(int(r.get("n", 0)) for r in rows)}


def mean_of_means(groups: Iterable[Optional[dict]], metric: str = "acc") -> Optional[dict]:
    """The plain mean of already-combined groups (each from `mean_of`/`pooled`); None if any group is None."""
    groups = list(groups)
    if not groups or any(g is None for g in groups):
        return None
    return mean_of({str(i): g for i, g in enumerate(groups)}, [str(i) for i in range(len(groups))], metric)


def pooled(per_subset: dict, names: Iterable[str], metric: str = "acc") -> Optional[dict]:
    """{metric, metric_stderr, n}: the micro mean over every example of subsets `names` (weights = n)."""
    rows = _ready(per_subset, list(names), metric)
    if not rows:
        return None
    n = sum(int(r["n"]) for r in rows)
    p = sum(float(r[metric]) * int(r["n"]) for r in rows) / n
    se = math.sqrt(p * (1 - p) / (n - 1)) if n > 1 else math.nan
    return {metric: p, f"{metric}_stderr": se, "n": n}


def flatten(prefix: str, combined: Optional[dict]) -> dict:
    """`combined`'s keys under `prefix/` ("" for the headline itself); nothing when it is None."""
    if combined is None:
        return {}
    return {(f"{prefix}/{k}" if prefix else k): v for k, v in combined.items()}
