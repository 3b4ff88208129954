"""Study statistics against hand-computed answers: t-intervals, exact and Monte Carlo permutation p-values, OLS slopes."""

import math

import numpy as np
import pytest

from aobench.study.results import GAP, PRIMARY, SEEN, design_block, effect_sentence
from aobench.study.stats import mean_ci, ols_slope, points_per_minus_tenth, spearman_permutation

T975_2 = 4.302652729911275  # Student t, 97.5th percentile, 2 degrees of freedom


def test_mean_ci_known_answer():
    r = mean_ci([1.0, 2.0, 3.0])
    assert r["mean"] == 2.0 and r["sd"] == pytest.approx(1.0)
    half = T975_2 / math.sqrt(3)
    assert r["ci95"] == pytest.approx([2 - half, 2 + half])
    assert mean_ci([0.4])["ci95"] is None and mean_ci([0.4])["mean"] == 0.4


def test_exact_permutation_p_values_by_hand():
    # n = 3, perfectly monotone: of 6 orders only the identity (rho 1) and the reversal (rho -1) are as extreme
    r = spearman_permutation([1, 2, 3], [10, 20, 30])
    assert r["rho"] == pytest.approx(1.0) and r["method"] == "exact" and r["n_permutations"] == 6
    assert r["p_value"] == pytest.approx(2 / 6)
    # n = 4, perfectly anti-monotone: 2 of 24
    assert spearman_permutation([0.1, 0.2, 0.3, 0.4], [4, 3, 2, 1])["p_value"] == pytest.approx(2 / 24)
    # n = 3, y = (1, 3, 2): rho 0.5; the six orders give rho 1, .5, .5, -.5, -.5, -1, all |rho| >= .5
    r = spearman_permutation([1, 2, 3], [1, 3, 2])
    assert r["rho"] == pytest.approx(0.5) and r["p_value"] == pytest.approx(1.0)
    # n = 4, y = (1, 2, 4, 3): rho = 1 - sum(d^2)/10 = 0.8; rho >= 0.8 needs sum(d^2) <= 2: the identity and the 3
    # adjacent swaps; their 4 reversals give rho <= -0.8: p = 8/24
    r = spearman_permutation([1, 2, 3, 4], [1, 2, 4, 3])
    assert r["rho"] == pytest.approx(0.8) and r["p_value"] == pytest.approx(8 / 24)


def test_ties_in_x_use_average_ranks():
    # runs of two seeds at two levels: x ranks (1.5, 1.5, 3.5, 3.5); y falls with x
    r = spearman_permutation([0.2, 0.2, 0.5, 0.5], [0.9, 0.8, 0.3, 0.2])
    assert r["rho"] == pytest.approx(-0.894427, abs=1e-6)  # corr of (-1,-1,1,1) with (1.5,.5,-.5,-1.5)
    # |rho| is 0.894 for the 8 of 24 orders that put both high y values on one level (either level): p = 8/24
    assert r["p_value"] == pytest.approx(8 / 24)


def test_monte_carlo_agrees_with_exact_and_is_seeded():
    rng = np.random.default_rng(1)
    x = np.arange(8.0)
    y = -x + rng.normal(0, 2.0, 8)
    exact = spearman_permutation(x, y)
    mc = spearman_permutation(x, y, exact_max=7, draws=100_000, seed=3)
    assert mc["method"] == "monte-carlo" and mc["rho"] == pytest.approx(exact["rho"])
    assert mc["p_value"] == pytest.approx(exact["p_value"], abs=0.004)
    assert spearman_permutation(x, y, exact_max=7, draws=5000, seed=3) == spearman_permutation(x, y, exact_max=7, draws=5000, seed=3)


def test_undefined_cases_return_none():
    assert spearman_permutation([0.3, 0.3, 0.3], [1, 2, 3])["p_value"] is None  # one level
    assert spearman_permutation([1, 2], [2, 1])["rho"] is None  # too few to permute
    assert ols_slope([0.3, 0.3], [1, 2])["slope"] is None


def test_ols_slope_known_answers():
    exact = ols_slope([0, 1, 2, 3], [1, 3, 5, 7])
    assert exact["slope"] == pytest.approx(2.0) and exact["intercept"] == pytest.approx(1.0) and exact["ci95"] == pytest.approx([2.0, 2.0])
    # residuals e*(1,-1,-1,1) are orthogonal to 1 and to x: slope stays 2, SSE = 4e^2, se = sqrt(2e^2 / Sxx) with Sxx = 5
    e = 0.5
    r = ols_slope([0, 1, 2, 3], [1 + e, 3 - e, 5 - e, 7 + e])
    se = math.sqrt(2 * e * e / 5)
    assert r["slope"] == pytest.approx(2.0) and r["se"] == pytest.approx(se) and r["df"] == 2
    assert r["ci95"] == pytest.approx([2 - T975_2 * se, 2 + T975_2 * se])


def test_points_per_minus_tenth_flips_sign_and_interval():
    # accuracy falls 0.3 per unit NMI -> +3 points per -0.1 NMI
    p = points_per_minus_tenth({"slope": -0.3, "ci95": [-0.5, -0.1]})
    assert p["points"] == pytest.approx(3.0) and p["ci95"] == pytest.approx([1.0, 5.0])


def _run(nmi, seed, unusual, seen):
    return {"target_nmi": nmi, "measured_nmi": nmi + 0.001, "seed": seed, "dependence": 0.0, "coverage": {"min_images_per_seen_pair": 10},
            "metrics": {PRIMARY: unusual, SEEN: seen, "closed_best_hm": (unusual + seen) / 2}}  # fmt: skip


def test_design_block_on_constructed_runs():
    # unusual accuracy falls 0.4 per unit NMI (4 points per 0.1), seen accuracy is flat: the gap moves like unusual
    runs = [_run(t, s, 0.5 - 0.4 * t + d, 0.6 + d) for t in (0.2, 0.3, 0.4, 0.5) for s, d in enumerate((-0.01, 0.0, 0.01))]
    block = design_block(runs, {"kind": "shared-to-own", "min_images_per_seen_pair": 10})
    assert block["rho"] < -0.9 and block["p_value"] < 0.001
    assert [lv["n_seeds"] for lv in block["levels"]] == [3, 3, 3, 3]
    lv0 = block["levels"][0]["metrics"][PRIMARY]
    assert lv0["mean"] == pytest.approx(0.42) and lv0["ci95"][0] < 0.42 < lv0["ci95"][1]
    eff = block["stats"][PRIMARY]["runs"]["points_per_minus_0.1_nmi"]
    assert eff["points"] == pytest.approx(4.0, abs=0.01)
    assert block["stats"][SEEN]["runs"]["points_per_minus_0.1_nmi"]["points"] == pytest.approx(0.0, abs=1e-9)
    assert block["stats"][GAP]["runs"]["points_per_minus_0.1_nmi"]["ci95"][0] > 0
    levels = block["stats"][PRIMARY]["levels"]["spearman"]
    assert levels["method"] == "exact" and levels["p_value"] == pytest.approx(2 / 24)
    assert "+4.0 points per −0.1 NMI" in effect_sentence(PRIMARY, block["stats"][PRIMARY])
    assert "moves more" in block["verdict"] or "gains more" in block["verdict"]
