"""NMI/MI/PMI known answers, scikit-learn equality, bootstrap over captions, counts merge/save."""

import math
from collections import Counter

import numpy as np
import pytest

from aobench.nmidir import NmiDir, load_counts
from aobench.text.counts import Counts
from aobench.text.stats import Contingency, bootstrap_ci, information, nmi_of_counts, pmi_table


def _counts(table):
    return Counts(pairs=Counter(table), n_captions=sum(table.values()))


# (red, car)=2, (red, bus)=1, (blue, bus)=1: N=4, p(red)=3/4, p(car)=p(bus)=1/2
TABLE = {("red", "car"): 2, ("red", "bus"): 1, ("blue", "bus"): 1}
MI = 0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * math.log(2)
HA = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
HO = math.log(2)
HJ = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))


@pytest.mark.parametrize(
    "norm,expected",
    [("arithmetic", MI / ((HA + HO) / 2)), ("geometric", MI / math.sqrt(HA * HO)), ("min", MI / HA), ("max", MI / HO), ("joint", MI / HJ)],
)
def test_hand_computed_nmi(norm, expected):
    info = nmi_of_counts(_counts(TABLE), norm)
    assert info["mi"] == pytest.approx(MI, abs=1e-12)
    assert info["h_attribute"] == pytest.approx(HA, abs=1e-12) and info["h_object"] == pytest.approx(HO, abs=1e-12)
    assert info["nmi"] == pytest.approx(expected, abs=1e-12)
    assert info["n_events"] == 4
    assert round(nmi_of_counts(_counts(TABLE))["nmi"], 6) == 0.343711  # the arithmetic value, written out


def test_limits_independent_and_deterministic():
    indep = {("red", "car"): 1, ("red", "bus"): 1, ("blue", "car"): 1, ("blue", "bus"): 1}
    assert nmi_of_counts(_counts(indep))["nmi"] == 0.0
    det = {("red", "car"): 5, ("blue", "bus"): 3}
    for norm in ("arithmetic", "geometric", "min", "max", "joint"):
        assert nmi_of_counts(_counts(det), norm)["nmi"] == pytest.approx(1.0)
    assert nmi_of_counts(_counts({("red", "car"): 3}))["nmi"] == 1.0  # sklearn's single-class convention


def test_equals_sklearn_on_random_labels():
    from sklearn.metrics import normalized_mutual_info_score

    rng = np.random.default_rng(0)
    for k in range(4):
        a = rng.integers(0, 6 + k, 5000)
        o = (a * 2 + rng.integers(0, 4, 5000)) % (9 + k)
        t = Contingency.from_labels(a, o)
        for norm in ("arithmetic", "geometric", "min", "max"):
            assert information(t, norm)["nmi"] == pytest.approx(normalized_mutual_info_score(a, o, average_method=norm), abs=1e-9)


def test_from_labels_equals_the_sorted_table_on_every_path():
    def by_sorting(a, o):  # the obvious O(n log n) construction
        a_u, a_i = np.unique(a, return_inverse=True)
        o_u, o_i = np.unique(o, return_inverse=True)
        cells, n = np.unique(a_i * len(o_u) + o_i, return_counts=True)
        return cells // len(o_u), cells % len(o_u), n, list(map(str, a_u)), list(map(str, o_u))

    rng = np.random.default_rng(1)
    dense = rng.integers(0, 7, 2000), rng.integers(-3, 12, 2000)  # small integer range: bincount
    sparse = rng.integers(0, 10**12, 300) * 7, rng.integers(0, 5, 300)  # huge range: hashing
    words = rng.choice(["red", "blue", "Zebra", "ä"], 500), rng.choice(["car", "bus", "10", "9"], 500)  # strings sort as strings
    wide = rng.integers(0, 3000, 400), rng.integers(0, 3000, 400)  # more cells than events: sparse keys
    for a, o in (dense, sparse, words, wide):
        t = Contingency.from_labels(a, o)
        rows, cols, n, attrs, objs = by_sorting(a, o)
        assert t.attributes == attrs and t.objects == objs
        assert t.rows.tolist() == rows.tolist() and t.cols.tolist() == cols.tolist() and t.counts.tolist() == n.tolist()


def test_pmi_and_npmi_known_values():
    rows = {(r["attribute"], r["object"]): r for r in pmi_table(_counts(TABLE), seen_threshold=2)}
    assert rows[("blue", "bus")]["pmi"] == pytest.approx(math.log(2))
    assert rows[("blue", "bus")]["npmi"] == pytest.approx(math.log(2) / -math.log(0.25))
    assert rows[("red", "bus")]["pmi"] == pytest.approx(math.log(0.25 / (0.75 * 0.5)))
    assert [rows[k]["seen"] for k in sorted(rows)] == [False, False, True]  # only red-car reaches 2


def test_bootstrap_resamples_captions_not_events():
    # each caption holds one red-car AND one blue-bus: resampling captions keeps the table balanced,
    # so NMI stays 1 in every resample (resampling events would not)
    caps = [[("red", "car"), ("blue", "bus")]] * 30
    ci = bootstrap_ci(caps, 200, seed=1)
    assert ci["low"] == pytest.approx(1.0) and ci["high"] == pytest.approx(1.0) and ci["n_boot"] == 200
    noisy = [[("red", "car")]] * 20 + [[("blue", "bus")]] * 20 + [[("red", "bus")]] * 10
    ci2 = bootstrap_ci(noisy, 300, seed=1)
    point = nmi_of_counts(_counts({("red", "car"): 20, ("blue", "bus"): 20, ("red", "bus"): 10}))["nmi"]
    assert ci2["low"] < point < ci2["high"]
    # the same captions grouped by type (what the engines keep: memory bounded by distinct pair lists)
    from aobench.text.stats import caption_types

    types = caption_types(noisy + [[]] * 7)
    assert types == Counter({(("red", "car"),): 20, (("blue", "bus"),): 20, (("red", "bus"),): 10})
    assert bootstrap_ci(types, 300, seed=1, n_captions=57) == bootstrap_ci(noisy + [[]] * 7, 300, seed=1)


def test_counts_merge_save_load(tmp_path):
    a, b = Counts(), Counts()
    a.add_caption([("red", "car")])
    a.add_caption([])
    a.skip("empty")
    b.add_caption([("red", "car"), ("blue", "bus")])
    merged = a + b
    assert merged.pairs == Counter({("red", "car"): 2, ("blue", "bus"): 1})
    assert (merged.n_captions, merged.n_captions_with_pairs, merged.n_events, merged.skipped_total()) == (3, 2, 3, 1)
    NmiDir(tmp_path).write_counts(merged)
    back = load_counts(tmp_path)
    assert back.to_dict() == merged.to_dict()
    assert back.pair_count("Red", "Car") == 2 and back.pair_count("red", "bus") == 0
