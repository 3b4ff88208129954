"""Correlations over units against hand-computed answers and against scipy.stats (the reference implementation) to 1e-12."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st

from aobench.correlation import bootstrap_ci, correlate, correlation, permutation_test

STAT = {"pearson": lambda a, b: st.pearsonr(a, b).statistic, "spearman": lambda a, b: st.spearmanr(a, b).statistic}


def test_known_answers_by_hand():
    # x = (1, 2, 3, 4), y = (.9, .2, .3, .1): centred sums sxy = -0.115, sxx = 0.05, syy = 0.3875
    x, y = [0.1, 0.2, 0.3, 0.4], [0.9, 0.2, 0.3, 0.1]
    assert correlation(x, y, "pearson") == pytest.approx(-0.115 / math.sqrt(0.05 * 0.3875), abs=1e-12)
    # ranks of y (4, 2, 3, 1): sum d^2 = 9 + 0 + 0 + 9 = 18, rho = 1 - 6 * 18 / (4 * 15) = -0.8
    assert correlation(x, y, "spearman") == pytest.approx(-0.8, abs=1e-12)
    # n = 3, y = (1, 3, 2): r = rho = 0.5; the 6 orders give |r| in {1, .5}: all as extreme, p = 1
    t = permutation_test([1, 2, 3], [1, 3, 2], "pearson")
    assert t["r"] == pytest.approx(0.5) and t["method"] == "exact" and t["n_permutations"] == 6 and t["p_value"] == pytest.approx(1.0)
    # n = 4, y = 2x: only the identity and the reversal reach |r| = 1: p = 2/24
    assert permutation_test([1, 2, 3, 4], [2, 4, 6, 8], "pearson")["p_value"] == pytest.approx(2 / 24)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_statistic_and_exact_p_match_scipy(method):
    rng = np.random.default_rng(5)
    x = rng.normal(size=7)
    y = np.round(x + rng.normal(size=7), 1)  # rounded: ties for Spearman's average ranks
    y[2] = y[4]
    assert correlation(x, y, method) == pytest.approx(STAT[method](x, y), abs=1e-12)
    ours = permutation_test(x, y, method)
    ref = st.permutation_test((y,), lambda yy: abs(STAT[method](x, yy)), permutation_type="pairings", alternative="greater", n_resamples=np.inf)
    assert ours["method"] == "exact" and ours["p_value"] == pytest.approx(ref.pvalue, abs=1e-12)


def test_monte_carlo_p_matches_scipy_with_the_same_generator():
    rng = np.random.default_rng(2)
    x = rng.normal(size=30)
    y = x + 3 * rng.normal(size=30)
    ours = permutation_test(x, y, "pearson", draws=4999, seed=11)
    ref = st.permutation_test((y,), lambda yy: abs(STAT["pearson"](x, yy)), permutation_type="pairings", alternative="greater",
                              n_resamples=4999, rng=np.random.default_rng(11))  # fmt: skip
    assert ours["method"] == "monte-carlo" and ours["p_value"] == pytest.approx(ref.pvalue, abs=1e-12)
    assert permutation_test(x, y, "pearson", draws=4999, seed=11) == ours  # seeded


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_percentile_bootstrap_matches_scipy(method):
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(size=9), 1)
    y = np.round(x + rng.normal(size=9), 1)
    x[3] = x[5]  # ties in the data, and more in every resample: average ranks as scipy's rankdata gives them

    def stat(a, b, axis=-1):
        return np.array([STAT[method](a[i], b[i]) for i in range(a.shape[0])]) if a.ndim == 2 else STAT[method](a, b)

    ours = bootstrap_ci(x, y, method, n_boot=1500, seed=3)
    ref = st.bootstrap((x, y), stat, paired=True, vectorized=True, n_resamples=1500, method="percentile", rng=np.random.default_rng(3))
    assert ours["n_undefined"] == 0 and ours["interval"] == "percentile"
    assert ours["ci"] == pytest.approx([ref.confidence_interval.low, ref.confidence_interval.high], abs=1e-12)


def test_undefined_cases_and_degenerate_resamples():
    assert correlation([1, 2], [2, 1]) is None  # under 3 units
    assert correlation([0.3, 0.3, 0.3], [1, 2, 3]) is None  # a constant variable
    assert permutation_test([0.3, 0.3, 0.3], [1, 2, 3])["p_value"] is None
    assert bootstrap_ci([1, 2], [2, 1])["ci"] is None
    # three units: a resample repeating one unit (or two equal x) has no r; those are dropped and counted
    b = bootstrap_ci([1, 2, 3], [1, 3, 2], n_boot=400, seed=0)
    assert 0 < b["n_undefined"] < 400 and -1 <= b["ci"][0] <= b["ci"][1] <= 1
    with pytest.raises(ValueError):
        correlation([1, 2, 3], [1, 2, 3], "kendall")


def test_correlate_reports_both_methods_seeded():
    x, y = [0.1, 0.2, 0.3, 0.4, 0.5], [0.2, 0.1, 0.4, 0.3, 0.6]
    res = correlate(x, y, n_boot=300, seed=4)
    assert res["n"] == 5 and set(res) == {"n", "pearson", "spearman"}
    assert res["spearman"]["r"] == pytest.approx(0.8) and res["pearson"]["r"] == pytest.approx(STAT["pearson"](x, y), abs=1e-12)
    assert res == correlate(x, y, n_boot=300, seed=4)
    lo, hi = res["pearson"]["ci"]
    assert lo <= res["pearson"]["r"] <= hi
