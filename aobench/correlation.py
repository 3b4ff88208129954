"""Correlation of two measurements over units (models, runs): Pearson r, Spearman rho, permutation p-values, bootstrap intervals.

Pure functions of numbers, used by the NMI study (runs) and by `aobench spectrum` (models), so each
statistic has one definition and a hand-computable known answer in the tests:

- Spearman's rho is Pearson's r of the ranks, ties given their average rank (scipy.stats.spearmanr).
- The permutation test is two-sided on |r| under exchangeability of y across the units: exact (all n!
  permutations, the identity included) up to `EXACT_MAX` units, else a seeded Monte Carlo estimate
  (1 + hits) / (1 + draws), the estimator of scipy.stats.permutation_test.
- The bootstrap interval is the percentile interval of r over units resampled with replacement, x and y
  together (paired), drawn as scipy.stats.bootstrap draws them (`rng.integers(0, n, (B, n))`); a resample
  where r is undefined (a constant variable) is dropped and counted in `n_undefined`.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Optional, Sequence

import numpy as np

METHODS = ("pearson", "spearman")
EXACT_MAX = 8  # 8! = 40,320 permutations: enumerated in well under a second
TIE = 1e-12  # a permuted |r| this close to the observed one counts as "as extreme"
CHUNK = 20_000  # permutations / resamples per vectorised batch (bounded memory at any n)


def ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties given their average rank (as Spearman's rho needs)."""
    from scipy.stats import rankdata

    return rankdata(np.asarray(values, float), method="average")


def _prepared(values: Sequence[float], method: str) -> np.ndarray:
    if method not in METHODS:
        raise ValueError(f"unknown correlation method {method!r} (choose {', '.join(METHODS)})")
    v = ranks(values) if method == "spearman" else np.asarray(values, float)
    return v - v.mean()


def _corr_rows(xc: np.ndarray, yc_rows: np.ndarray) -> np.ndarray:
    # Pearson correlation of centred xc with every row of yc_rows (each a permutation of one centred y); rounding
    # can leave |r| a hair above 1, clipped as scipy.stats.pearsonr clips it
    den = math.sqrt(float(xc @ xc)) * math.sqrt(float(yc_rows[0] @ yc_rows[0]))
    return np.clip((yc_rows @ xc) / den, -1.0, 1.0)


def _defined(x: Sequence[float], y: Sequence[float]) -> bool:
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    return len(x) >= 3 and len(set(map(float, x))) > 1 and len(set(map(float, y))) > 1


def correlation(x: Sequence[float], y: Sequence[float], method: str = "pearson") -> Optional[float]:
    """Pearson's r or Spearman's rho of (x, y); None under 3 units or when a variable is constant."""
    if not _defined(x, y):
        return None
    xc, yc = _prepared(x, method), _prepared(y, method)
    return float(_corr_rows(xc, yc[None, :])[0])


def permutation_test(x: Sequence[float], y: Sequence[float], method: str = "pearson", *, draws: int = 200_000, seed: int = 0,
                     exact_max: int = EXACT_MAX) -> dict:  # fmt: skip
    """The statistic and its two-sided permutation p-value: {n, r, p_value, method, n_permutations[, seed]}; r and p None when undefined."""
    n = len(x)
    out: dict = {"n": n, "r": None, "p_value": None, "method": None, "n_permutations": 0}
    if not _defined(x, y):
        return out  # r undefined (a constant variable) or no permutation can disagree with it
    xc, yc = _prepared(x, method), _prepared(y, method)
    r = float(_corr_rows(xc, yc[None, :])[0])
    if n <= exact_max:
        perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
        p = float(np.mean(np.abs(_corr_rows(xc, yc[perms])) >= abs(r) - TIE))
        out.update(method="exact", n_permutations=len(perms))
    else:
        hits = sum(int(np.sum(np.abs(_corr_rows(xc, yc[idx])) >= abs(r) - TIE)) for idx in _permutations(n, draws, seed))
        p = (1 + hits) / (1 + draws)
        out.update(method="monte-carlo", n_permutations=draws, seed=seed)
    out.update(r=r, p_value=p)
    return out


CACHED = 20_000_000  # index draws of up to this many entries are kept for the next pair of the same n (many metrics, one set of models)


def _draws(kind: str, n: int, count: int, seed: int) -> list[np.ndarray]:
    """The seeded index draws, in CHUNK-row blocks: row permutations of 0..n-1, or bootstrap resamples (scipy.stats' draws)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(0, count, CHUNK):
        m = min(CHUNK, count - k)
        # permuting 0..n-1 consumes the generator as permuting any n values does: the same orders as scipy's
        out.append(rng.permuted(np.broadcast_to(np.arange(n), (m, n)), axis=1) if kind == "perm" else rng.integers(0, n, (m, n)))
    return out


@lru_cache(maxsize=4)
def _cached(kind: str, n: int, count: int, seed: int) -> tuple:
    return tuple(_draws(kind, n, count, seed))


def _permutations(n: int, draws: int, seed: int):
    return _cached("perm", n, draws, seed) if n * draws <= CACHED else _draws("perm", n, draws, seed)


def _resamples(n: int, n_boot: int, seed: int):
    return _cached("boot", n, n_boot, seed) if n * n_boot <= CACHED else _draws("boot", n, n_boot, seed)


def _resampled_ranks(v: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Average ranks (1..n, ties averaged: scipy's rankdata) of each resample v[idx[b]], without sorting each row.

    A value's average rank in a resample is (resampled values below its tie group) + (its group's count + 1) / 2,
    from per-row counts of each group of equal original values: exact halves, the same numbers as rankdata.
    """
    b, n = idx.shape
    order = np.argsort(v, kind="stable")
    sv = v[order]
    grp = np.concatenate([[0], np.cumsum(sv[1:] != sv[:-1])])  # tie group of each sorted position
    n_groups = int(grp[-1]) + 1
    gid = np.empty(n, dtype=np.int64)
    gid[order] = grp
    g = gid[idx]
    counts = np.bincount((g + n_groups * np.arange(b)[:, None]).ravel(), minlength=b * n_groups).reshape(b, n_groups).astype(float)
    avg = np.cumsum(counts, axis=1) - counts + (counts + 1) / 2
    return np.take_along_axis(avg, g, axis=1)


def _rowwise(xv: np.ndarray, yv: np.ndarray, idx: np.ndarray, method: str) -> np.ndarray:
    """r of each resample (rows of idx) of the pairs (xv, yv); NaN where a resample is constant."""
    xs, ys = xv[idx], yv[idx]
    flat = (np.ptp(xs, axis=1) == 0) | (np.ptp(ys, axis=1) == 0)  # a constant resample has no r
    if method == "spearman":
        xs, ys = _resampled_ranks(xv, idx), _resampled_ranks(yv, idx)
    xc, yc = xs - xs.mean(1, keepdims=True), ys - ys.mean(1, keepdims=True)
    sxx, syy = (xc * xc).sum(1), (yc * yc).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip((xc * yc).sum(1) / np.sqrt(sxx * syy), -1.0, 1.0)
    r[flat] = np.nan
    return r


def bootstrap_ci(x: Sequence[float], y: Sequence[float], method: str = "pearson", *, n_boot: int = 2000, seed: int = 0,
                 level: float = 0.95) -> dict:  # fmt: skip
    """Percentile bootstrap interval of r over units (paired resamples): {ci, level, n_boot, n_undefined, seed}; ci None when undefined."""
    _prepared([0.0], method)  # an unknown method fails here
    out: dict = {"ci": None, "level": level, "n_boot": n_boot, "n_undefined": 0, "seed": seed, "interval": "percentile"}
    if not _defined(x, y) or n_boot < 1:
        return out
    xv, yv = np.asarray(x, float), np.asarray(y, float)
    n = len(xv)
    r = np.concatenate([_rowwise(xv, yv, idx, method) for idx in _resamples(n, n_boot, seed)])
    ok = r[~np.isnan(r)]
    out["n_undefined"] = int(r.size - ok.size)
    if ok.size:
        alpha = (1 - level) / 2
        lo, hi = np.quantile(ok, [alpha, 1 - alpha])
        out["ci"] = [float(lo), float(hi)]
    return out


def correlate(x: Sequence[float], y: Sequence[float], *, methods: Sequence[str] = METHODS, n_boot: int = 2000, draws: int = 9999,
              seed: int = 0, level: float = 0.95) -> dict:  # fmt: skip
    """Per method: {r, ci, p_value, test, n_permutations, n_undefined_resamples}, with the n of units; every part seeded with `seed`."""
    out: dict = {"n": len(x)}
    for m in methods:
        t = permutation_test(x, y, m, draws=draws, seed=seed)
        b = bootstrap_ci(x, y, m, n_boot=n_boot, seed=seed, level=level)
        out[m] = {"r": t["r"], "ci": b["ci"], "p_value": t["p_value"], "test": t["method"], "n_permutations": t["n_permutations"],
                  "n_undefined_resamples": b["n_undefined"]}  # fmt: skip
    return out
