"""From examples and their score matrices to outcomes, per-subset metrics (mean, stderr, chance) and the usual aggregates.

Keys follow aobench's eval results: `<metric>_stderr` (lm-eval's suffix) and `chance/<metric>` (a path segment before
the leaf), so a subset's are `<subset>/acc`, `<subset>/acc_stderr`, `<subset>/chance/acc` once flattened.

A benchmark module may replace `outcomes` or `subset_metrics` with its own (see `BenchmarkSpec`); these are the
defaults and the building blocks its `aggregate` uses: micro means (pooled over examples), macro means (the
plain mean of subset or class accuracies) and grouped means, each with a stderr that follows from the pieces.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

from aobench.evaluate.metrics import mean_stderr
from aobench.evaluate.results import chance_key
from aobench.suite.schema import Example, chance_of, score_example


def default_outcomes(ex: Example, scores: np.ndarray, text_scores: Optional[np.ndarray] = None) -> dict[str, bool]:
    """`score_example` with its "correct" named "acc" (GROUP examples keep text / image / group)."""
    out = score_example(ex, scores)
    return {"acc": out["correct"]} if "correct" in out else out


def headline_outcome(outcomes: dict) -> str:
    """The outcome a per-example row calls `correct`: acc, else group, else the first."""
    return "acc" if "acc" in outcomes else ("group" if "group" in outcomes else next(iter(outcomes)))


def mean_metrics(name: str, values: Sequence[float], chance: Optional[float] = None) -> dict:
    """`name`, `name_stderr` (lm-eval's mean_stderr) and `chance/name` of 0/1 outcomes; NaN mean when empty."""
    x = np.asarray(values, dtype=float)
    out = {name: float(x.mean()) if x.size else math.nan, f"{name}_stderr": mean_stderr(x)}
    if chance is not None:
        out[chance_key(name)] = float(chance)
    return out


def default_subset_metrics(subset: str, examples: Sequence[Example], outcomes: Sequence[dict]) -> dict:
    """Per outcome: its mean, stderr and chance over the subset's examples; `n` = examples scored."""
    out: dict = {"n": len(examples)}
    if not examples:
        return out
    chances = [chance_of(ex) for ex in examples]
    for key in outcomes[0]:
        ch = [c.get(key) for c in chances]  # an outcome the schema does not define has no chance here
        out.update(mean_metrics(key, [o[key] for o in outcomes], float(np.mean(ch)) if None not in ch else None))
    return out


def macro_by(examples: Sequence[Example], outcomes: Sequence[dict], key: Callable[[Example], str], outcome: str = "acc",
             keep: Callable[[str, int], bool] = lambda cls, n: True) -> dict:  # fmt: skip
    """Macro accuracy over classes (`key(example)`) kept by `keep(class, count)`: the plain mean of per-class accuracies.

    Its stderr is that of a mean of independent class means, sqrt(Σ se_c²) / C, with se_c² = p(1-p)/(n_c-1)
    (lm-eval's convention per class); a class of one example adds the largest variance a 0/1 mean can have, 1/4.
    """
    by: dict[str, list] = {}
    for ex, o in zip(examples, outcomes):
        by.setdefault(key(ex), []).append(float(o[outcome]))
    kept = {c: v for c, v in sorted(by.items()) if keep(c, len(v))}
    if not kept:
        return {"acc": math.nan, "acc_stderr": math.nan, "n_classes": 0, "n": 0, "classes": {}}
    accs = {c: float(np.mean(v)) for c, v in kept.items()}
    var = [(p * (1 - p) / (len(kept[c]) - 1)) if len(kept[c]) > 1 else 0.25 for c, p in accs.items()]
    return {
        "acc": float(np.mean(list(accs.values()))),
        "acc_stderr": float(math.sqrt(sum(var)) / len(kept)),
        "n_classes": len(kept),
        "n": int(sum(len(v) for v in kept.values())),
        "classes": {c: {"acc": accs[c], "n": len(kept[c])} for c in kept},
    }


def micro(per_subset: dict, subsets: Iterable[str], metric: str = "acc") -> dict:
    """The pooled mean of a 0/1 outcome over the examples of `subsets` (weights = their `n`) and its stderr.

    For 0/1 outcomes the pooled mean and count fix the stderr: sqrt(p(1-p)/(n-1)), exactly `mean_stderr` of
    the pooled outcomes.
    """
    subs = [s for s in subsets if s in per_subset and per_subset[s].get("n")]
    n = sum(per_subset[s]["n"] for s in subs)
    if not n:
        return {metric: math.nan, f"{metric}_stderr": math.nan, "n": 0}
    p = sum(per_subset[s]["n"] * per_subset[s][metric] for s in subs) / n
    se = math.sqrt(max(p * (1 - p), 0.0) / (n - 1)) if n > 1 else math.nan
    return {metric: float(p), f"{metric}_stderr": float(se), "n": int(n)}


def macro(values: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(plain mean, its stderr) of (value, stderr) pairs from independent samples: sqrt(Σ se²) / k."""
    if not values:
        return math.nan, math.nan
    v = np.array([a for a, _ in values], float)
    se = np.array([b for _, b in values], float)
    return float(v.mean()), float(math.sqrt(np.nansum(se**2)) / len(v))
