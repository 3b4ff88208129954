"""NMI solver of the study: monotone knob, targets met within tolerance as measured, impossible targets refused."""

import numpy as np
import pytest

from aobench.errors import AobenchError
from aobench.study.splits import TOLERANCE, NmiSolver, bisect, bracket, measure_captions, nmi_value, parse_levels
from conftest import cli


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


# each target measures 2,000 captions twice with aobench nmi: the ends of the range run outside the `-m "not slow"` loop
@pytest.mark.parametrize("target", [pytest.param(0.15, marks=pytest.mark.slow), 0.3, pytest.param(0.6, marks=pytest.mark.slow)])
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


# bad input through the CLI app in this process (test_study_sweep runs `study nmi-sweep` in a fresh interpreter)
def test_cli_impossible_target_one_line_exit_2(tmp_path, capsys):
    code, _, err = cli(capsys, "study", "nmi-sweep", "--out", tmp_path / "s", "--profile", "quick", "--nmi", "0.01,0.5")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "reachable caption NMI is" in lines[0]
    assert not (tmp_path / "s").exists()  # refused before any work


def test_cli_bad_levels_and_profile(tmp_path, capsys):
    for args in (["--nmi", "abc"], ["--nmi", "1.5"], ["--profile", "huge"], ["--shard", "3/2"]):
        code, _, err = cli(capsys, "study", "nmi-sweep", "--out", tmp_path / "s", *args)
        assert code == 2, args
        assert len(err.strip().splitlines()) == 1, err


def test_parse_levels():
    assert parse_levels("0.15, 0.6") == [0.15, 0.6]
    assert parse_levels(None) is None
    with pytest.raises(AobenchError):
        parse_levels("0.2,0.2")


def test_bisect_and_nmi_of_counts_known_answers():
    assert bisect(lambda x: x * x, 0.25, tol=1e-4) == pytest.approx(0.5, abs=1e-3)
    assert nmi_value({("red", "circle"): 5, ("blue", "square"): 5}) == pytest.approx(1.0)
    assert nmi_value({(a, o): 3 for a in ("red", "blue") for o in ("circle", "square")}) == pytest.approx(0.0, abs=1e-12)


@pytest.fixture(scope="module")
def controlled():
    return NmiSolver("shapes-ao", images=4000, min_images_per_pair=10, kind="shared-to-own")


def test_controlled_design_keeps_per_pair_counts_while_nmi_moves(controlled):
    lo, hi = controlled.reachable()
    assert hi - lo > 0.3  # a usable NMI range
    n_obj = len({p.object for p in controlled.seen})
    profile = None
    for j in range(n_obj + 1):  # at d = j / n_objects every object sends its extra images wholly to one attribute
        c = controlled.counts(j / n_obj)
        assert set(c) == {p.key() for p in controlled.seen} and sum(c.values()) == 4000
        assert min(c.values()) == 10
        if profile is None:
            profile = sorted(c.values())
        assert sorted(c.values()) == profile  # the same multiset of per-pair counts at every level
    vals = [controlled.predict(j / n_obj) for j in range(n_obj + 1)]
    assert all(b > a for a, b in zip(vals, vals[1:])), vals  # each object that switches to its own attribute adds dependence
    for d in np.linspace(0, 1, 37):  # between switches one object splits its extra: the floor and total still hold
        c = controlled.counts(d)
        assert min(c.values()) == 10 and sum(c.values()) == 4000


def test_mixture_design_starves_pairs_as_nmi_rises(solver):
    # the ablation's knob: coverage and NMI move together (what the controlled design removes)
    mins = [min(solver.counts(d).values()) for d in (0.0, 0.5, 0.9)]
    assert mins[0] > mins[1] > mins[2]


@pytest.mark.parametrize("target", [pytest.param(0.2, marks=pytest.mark.slow), 0.35, pytest.param(0.5, marks=pytest.mark.slow)])
def test_controlled_split_measures_within_tolerance(controlled, tmp_path, target):
    sol = controlled.solve(target, tmp_path)
    assert abs(sol.planned_nmi - target) <= TOLERANCE
    assert abs(controlled.predict(sol.dependence) - target) <= TOLERANCE / 2


def test_floor_too_high_for_images_refused():
    with pytest.raises(AobenchError, match="min-images-per-seen-pair 30"):
        NmiSolver("shapes-ao", images=2000, min_images_per_pair=30, kind="shared-to-own")
    with pytest.raises(AobenchError, match="unreachable.*at >= 10 images per seen pair"):
        NmiSolver("shapes-ao", images=4000, min_images_per_pair=10, kind="shared-to-own").check_targets([0.7])


def test_bracket_finds_first_crossing_of_a_wiggly_function():
    fn = lambda x: x + 0.05 * np.sin(40 * x)  # rises overall, not everywhere  # noqa: E731
    lo, hi = bracket(fn, 0.5)
    assert min(fn(lo), fn(hi)) <= 0.5 <= max(fn(lo), fn(hi)) and hi - lo == pytest.approx(1 / 48)
    assert abs(fn(bisect(fn, 0.5, tol=1e-4, lo=lo, hi=hi)) - 0.5) <= 1e-4
