"""Statistics of a sweep: mean with a t-interval, Spearman rho with a permutation p-value, OLS slope with its interval.

Pure functions of numbers (no study files), so each has a hand-computable known answer in the tests.
The permutation test is two-sided under exchangeability of y across the units: exact (every
permutation enumerated) up to `EXACT_MAX` units, else a seeded Monte Carlo estimate (1 + hits) / (1 + draws).
"""

from __future__ import annotations

import itertools
import math
from typing import Optional, Sequence

import numpy as np

EXACT_MAX = 8  # 8! = 40,320 permutations: enumerated in well under a second
DRAWS = 200_000  # Monte Carlo permutations beyond EXACT_MAX units (standard error of p <= 0.0011)
_TIE = 1e-12  # a permuted |rho| this close to the observed one counts as "as extreme"


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


def ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties given their average rank (as Spearman's rho needs)."""
    from scipy.stats import rankdata

    return rankdata(np.asarray(values, float), method="average")


def _corr_rows(xc: np.ndarray, yc_rows: np.ndarray) -> np.ndarray:
    # Pearson correlation of centred xc with every centred row of yc_rows
    den = math.sqrt(float(xc @ xc)) * math.sqrt(float(yc_rows[0] @ yc_rows[0]))
    return (yc_rows @ xc) / den


def spearman_permutation(x: Sequence[float], y: Sequence[float], *, draws: int = DRAWS, seed: int = 0, exact_max: int = EXACT_MAX) -> dict:
    """Spearman rho of (x, y) and its two-sided permutation p-value: exact for n <= exact_max, else Monte Carlo."""
    n = len(x)
    out = {"n": n, "rho": None, "p_value": None, "method": None, "n_permutations": 0}
    if n != len(y):
        raise ValueError("x and y differ in length")
    if n < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        # rho undefined (a constant variable) or no permutation can disagree with it; say which
        out["undefined"] = (f"{n} run(s): a permutation test needs at least 3" if n < 3 else
                            "every run is at one NMI level" if len(set(x)) < 2 else "every run has the same accuracy")  # fmt: skip
        return out
    rx, ry = ranks(x), ranks(y)
    xc, yc = rx - rx.mean(), ry - ry.mean()
    rho = float(_corr_rows(xc, yc[None, :])[0])
    if n <= exact_max:
        perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
        rhos = _corr_rows(xc, yc[perms])
        p = float(np.mean(np.abs(rhos) >= abs(rho) - _TIE))
        out.update(method="exact", n_permutations=len(perms))
    else:
        rng = np.random.default_rng(seed)
        hits, done, chunk = 0, 0, 20_000
        while done < draws:
            m = min(chunk, draws - done)
            rows = rng.permuted(np.broadcast_to(yc, (m, n)), axis=1)
            hits += int(np.sum(np.abs(_corr_rows(xc, rows)) >= abs(rho) - _TIE))
            done += m
        p = (1 + hits) / (1 + draws)
        out.update(method="monte-carlo", n_permutations=draws, seed=seed)
    out.update(rho=rho, p_value=p)
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
