"""NMI solver of the study: monotone knob, targets met within tolerance as measured, impossible targets refused."""

import numpy as np
import pytest

from aobench.errors import AobenchError
from aobench.study.measure import measure_captions, nmi_of_counts
from aobench.study.splits import TOLERANCE, NmiSolver, bisect, parse_levels
from aobench.study.zeroshot import bias_sweep
from conftest import run_cli


@pytest.fixture(scope="module")
def solver():
    return NmiSolver("shapes-ao", images=2000)


def test_nmi_is_monotone_in_dependence(solver):
    grid = np.linspace(0, 1, 21)
    vals = [solver.predict(d) for d in grid]
    assert all(b >= a - 1e-9 for a, b in zip(vals, vals[1:])), vals
    lo, hi = solver.reachable()
    assert lo == pytest.approx(vals[0]) and hi == pytest.approx(vals[-1])
    assert 0.05 < lo < 0.15 and hi > 0.8  # the held-out pairs leave some dependence even at dependence 0


@pytest.mark.parametrize("target", [0.15, 0.3, 0.6])
def test_solved_split_measures_within_tolerance(solver, tmp_path, target):
    sol = solver.solve(target, tmp_path)
    assert abs(sol.planned_nmi - target) <= TOLERANCE
    # measured independently from the planned captions with aobench's NMI path
    again = measure_captions(solver.planned_captions(sol.dependence), tmp_path / "again")["nmi"]
    assert abs(again - target) <= TOLERANCE
    assert (tmp_path / "captions.txt").exists()


def test_held_out_pairs_and_counts_fixed_across_levels(solver):
    a, b = solver.counts(0.1), solver.counts(0.9)
    assert set(a) == set(b) == {p.key() for p in solver.seen}
    assert sum(a.values()) == sum(b.values()) == 2000
    assert {p.key() for p in solver.pairs if p.status == "unusual"}.isdisjoint(a)


def test_impossible_target_names_reachable_range(solver):
    lo, hi = solver.reachable()
    with pytest.raises(AobenchError) as exc:
        solver.check_targets([0.15, 0.02])
    msg = str(exc.value)
    assert "0.02" in msg and f"{lo:.3f} to {hi:.3f}" in msg and "\n" not in msg


def test_cli_impossible_target_one_line_exit_2(tmp_path):
    res = run_cli("study", "nmi-sweep", "--out", tmp_path / "s", "--profile", "quick", "--nmi", "0.01,0.5")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "reachable caption NMI is" in lines[0]
    assert not (tmp_path / "s").exists()  # refused before any work


def test_cli_bad_levels_and_profile(tmp_path):
    for args in (["--nmi", "abc"], ["--nmi", "1.5"], ["--profile", "huge"], ["--shard", "3/2"]):
        res = run_cli("study", "nmi-sweep", "--out", tmp_path / "s", *args)
        assert res.returncode == 2, args
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_parse_levels():
    assert parse_levels("0.15, 0.6") == [0.15, 0.6]
    assert parse_levels(None) is None
    with pytest.raises(AobenchError):
        parse_levels("0.2,0.2")


def test_bisect_and_nmi_of_counts_known_answers():
    assert bisect(lambda x: x * x, 0.25, tol=1e-4) == pytest.approx(0.5, abs=1e-3)
    assert nmi_of_counts({("red", "circle"): 5, ("blue", "square"): 5}) == pytest.approx(1.0)
    assert nmi_of_counts({(a, o): 3 for a in ("red", "blue") for o in ("circle", "square")}) == pytest.approx(0.0, abs=1e-12)


def test_bias_sweep_auc_and_hm():
    # 2 seen pairs (0, 1), 1 unseen pair (2); images 0-1 are seen-pair images, image 2 an unseen-pair image
    scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.7], [0.6, 0.1, 0.4]])
    true = np.array([0, 1, 2])
    unseen = np.array([False, False, True])
    auc, hm = bias_sweep(scores, true, unseen, np.array([False, False, True]))
    # gaps (top seen - top unseen): 0.4, 0.1, 0.2; a bias in (0.2, 0.4] leaves seen 1/2 right and makes unseen 1/1 right
    assert hm == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert 0 < auc <= 1
