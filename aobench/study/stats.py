"""Statistics of a sweep: mean with a t-interval, Spearman rho with a permutation p-value, OLS slope with its interval.

Pure functions of numbers (no study files), so each has a hand-computable known answer in the tests.
The permutation test is `aobench.correlation`'s (two-sided under exchangeability of y across the units:
exact up to `EXACT_MAX` units, else a seeded Monte Carlo estimate (1 + hits) / (1 + draws)).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from aobench.correlation import EXACT_MAX, permutation_test

DRAWS = 200_000  # Monte Carlo permutations beyond EXACT_MAX units (standard error of p <= 0.0011)


def mean_ci(values: Sequence[float], level: float = 0.95) -> dict:
    """Mean, sample sd and the Student-t interval of the mean (None for the interval with fewer than 2 values)."""
    from scipy.stats import t as student_t

    v = np.asarray(values, float)
    n = len(v)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "ci95": None}
    mean = float(v.mean())
    if n < 2:
        return {"n": 1, "mean": mean, "sd": None, "ci95": None}
    sd = float(v.std(ddof=1))
    half = float(student_t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n))
    return {"n": n, "mean": mean, "sd": sd, "ci95": [mean - half, mean + half]}


def spearman_permutation(x: Sequence[float], y: Sequence[float], *, draws: int = DRAWS, seed: int = 0, exact_max: int = EXACT_MAX) -> dict:
    """Spearman rho of (x, y) and its two-sided permutation p-value: exact for n <= exact_max, else Monte Carlo (`aobench.correlation`)."""
    t = permutation_test(x, y, "spearman", draws=draws, seed=seed, exact_max=exact_max)
    out = {"n": t["n"], "rho": t["r"], "p_value": t["p_value"], "method": t["method"], "n_permutations": t["n_permutations"]}
    if "seed" in t:
        out["seed"] = t["seed"]
    if out["rho"] is None:  # undefined: say why (the verdict names it)
        n = len(x)
        out["undefined"] = (f"{n} run(s): a permutation test needs at least 3" if n < 3 else
                            "every run is at one NMI level" if len(set(x)) < 2 else "every run has the same accuracy")  # fmt: skip
    return out


def ols_slope(x: Sequence[float], y: Sequence[float], level: float = 0.95) -> dict:
    """Least-squares slope of y on x with its Student-t interval (n - 2 degrees of freedom)."""
    from scipy.stats import t as student_t

    xv, yv = np.asarray(x, float), np.asarray(y, float)
    n = len(xv)
    out: dict = {"n": n, "slope": None, "intercept": None, "se": None, "ci95": None, "df": max(n - 2, 0)}
    if n < 2 or np.ptp(xv) == 0:
        return out
    xc = xv - xv.mean()
    sxx = float(xc @ xc)
    slope = float(xc @ (yv - yv.mean()) / sxx)
    out.update(slope=slope, intercept=float(yv.mean() - slope * xv.mean()))
    if n > 2:
        resid = yv - out["intercept"] - slope * xv
        se = math.sqrt(float(resid @ resid) / (n - 2) / sxx)
        half = float(student_t.ppf(0.5 + level / 2, n - 2)) * se
        out.update(se=se, ci95=[slope - half, slope + half])
    return out


def points_per_minus_tenth(slope: dict) -> Optional[dict]:
    """A slope in accuracy per unit NMI as accuracy points per -0.1 NMI (positive: lower NMI, higher accuracy)."""
    if slope.get("slope") is None:
        return None
    ci = slope.get("ci95")
    return {"points": -10 * slope["slope"], "ci95": sorted([-10 * ci[0], -10 * ci[1]]) if ci else None}
