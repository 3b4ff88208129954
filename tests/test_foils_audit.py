"""Bias audit: blind scorers on constructed sets where one of them is right (or at chance) by construction."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from aobench.foils.audit import PMIScorer, balance, outcome, run_audit
from conftest import hashing_embedder


class Table:
    """A hand-built count table with the PMI scorer's interface (pair_count and marginals)."""

    def __init__(self, pairs: dict):
        self.pairs = Counter(pairs)

    def pair_count(self, a, o):
        return self.pairs.get((a, o), 0)

    def attribute_counts(self):
        out = Counter()
        for (a, _), n in self.pairs.items():
            out[a] += n
        return out

    def object_counts(self):
        out = Counter()
        for (_, o), n in self.pairs.items():
            out[o] += n
        return out


def row(typ, caption, foil, pairs, foil_pairs, bow=False):
    return {"id": caption, "caption": caption, "foil": foil, "type": typ, "bow_identical": bow, "pairs": pairs, "foil_pairs": foil_pairs}


def test_smoothed_pmi_known_values():
    t = Table({("red", "car"): 8, ("blue", "bus"): 2})
    s = PMIScorer(t, alpha=1.0)
    # table: N=10, 2 attributes x 2 objects, add-one → total 14
    assert s.pmi("red", "car") == pytest.approx(math.log(9 / 14) - math.log(10 / 14) - math.log(10 / 14))
    assert s.pmi("red", "bus") == pytest.approx(math.log(1 / 14) - math.log(10 / 14) - math.log(4 / 14))
    assert s.score([("red", "car"), ("blue", "bus")]) == pytest.approx(s.pmi("red", "car") + s.pmi("blue", "bus"))


def test_pmi_right_by_construction_embedding_at_chance():
    # captions use the corpus's frequent pairs, foils pairs it never saw: PMI must pick the caption every time;
    # the foil's words are the caption's (a swap), so a bag-of-words embedder cannot tell them apart (a tie)
    counts = Table({("red", "car"): 50, ("blue", "bus"): 50, ("green", "cat"): 50, ("yellow", "dog"): 50})
    rows = [
        row("swap_att", "a red car and a blue bus", "a blue car and a red bus", [("red", "car"), ("blue", "bus")], [("blue", "car"), ("red", "bus")], True),
        row("swap_att", "a green cat and a yellow dog", "a yellow cat and a green dog", [("green", "cat"), ("yellow", "dog")], [("yellow", "cat"), ("green", "dog")], True),
        row("replace_att", "a red car", "a green car", [("red", "car")], [("green", "car")]),
        row("negate", "a red car", "a car that is not red", [("red", "car")], [("red", "car")]),
    ]  # fmt: skip
    report, mask = run_audit(rows, counts=counts, embed=hashing_embedder, reference=["a red car", "a blue bus"], k=2)
    assert mask is None
    t = report["types"]
    assert t["swap_att"]["pmi"] == {"acc": 1.0, "stderr": 0.0, "ties": 0.0}
    assert t["swap_att"]["embedding"] == {"acc": 0.5, "stderr": 0.0, "ties": 1.0}
    assert t["swap_att"]["bow_identical"] == 1.0
    assert t["replace_att"]["pmi"]["acc"] == 1.0
    assert t["negate"]["pmi"] == {"acc": 0.5, "stderr": None, "ties": 1.0}  # same pairs on both sides: PMI is blind to negation


def test_embedding_scorer_right_by_construction():
    # every reference caption is about cars; foils swap in an object no caption mentions → less typical
    reference = [f"a {c} car on the road" for c in ("red", "blue", "green", "gray", "white", "black")]
    rows = [row("replace_obj", f"a {c} car on the road", f"a {c} zeppelin on the road", [], []) for c in ("red", "blue", "green")]
    report, _ = run_audit(rows, counts=None, embed=hashing_embedder, reference=reference, k=3)
    assert report["types"]["replace_obj"]["embedding"]["acc"] == 1.0
    assert report["types"]["replace_obj"]["pmi"] is None  # no counts: the scorer is off, not 0


def test_reference_copies_of_the_caption_are_left_out():
    # the reference holds only the caption itself: without leave-out the caption would win with similarity 1
    rows = [row("replace_att", "a red car", "a blue car", [], [])]
    report, _ = run_audit(rows, embed=hashing_embedder, reference=["a red car"], k=1)
    assert report["types"]["replace_att"]["embedding"] == {"acc": 0.5, "stderr": None, "ties": 1.0}


def test_outcome_ties_count_half():
    assert (outcome(2, 1), outcome(1, 2), outcome(1, 1)) == (1.0, 0.0, 0.5)


def test_balance_brings_each_scorer_near_chance():
    rng = np.random.default_rng(0)
    n = 400
    pmi = (rng.random(n) < 0.8).astype(float)  # the PMI scorer is right 80% of the time
    emb = (rng.random(n) < 0.35).astype(float)  # the embedding scorer 35%
    outcomes = np.stack([pmi, emb], axis=1)
    keep = balance(outcomes, ["replace_att"] * n, tolerance=0.05, seed=0)
    kept = outcomes[keep]
    assert abs(kept[:, 0].mean() - 0.5) <= 0.05 and abs(kept[:, 1].mean() - 0.5) <= 0.05
    assert keep.sum() > 100  # it drops what it must, not everything
    assert (keep == balance(outcomes, ["replace_att"] * n, tolerance=0.05, seed=0)).all()


def test_balance_in_run_audit_reports_drops_per_type():
    counts = Table({("red", "car"): 50, ("blue", "car"): 1, ("blue", "bus"): 50})
    # 9 of 10 foils give themselves away to PMI; balancing must drop ~8 of them
    rows = [row("replace_att", f"a red car {i}", f"a blue car {i}", [("red", "car")], [("blue", "car")]) for i in range(9)]
    rows += [row("replace_att", "a blue car x", "a red car x", [("blue", "car")], [("red", "car")])]
    report, mask = run_audit(rows, counts=counts, embed=None, do_balance=True, tolerance=0.05)
    bal = report["balance"]
    assert bal["n_dropped"] == int((~mask).sum()) == 8
    assert bal["dropped_per_type"] == {"replace_att": 8}
    assert bal["types"]["replace_att"]["pmi"]["acc"] == 0.5


def test_pmi_leaves_the_caption_out_of_its_own_counts():
    # four captions, one per pair: counted, the audited caption's own (red, car) ties with the foil's (blue, car);
    # left out, (red, car) is unseen while (blue, car) is not, so the foil wins — the caption only tied on its own count
    counts = Table({("red", "car"): 1, ("blue", "car"): 1, ("red", "bus"): 1, ("blue", "bus"): 1})
    rows = [row("replace_att", "a red car", "a blue car", [("red", "car")], [("blue", "car")])]
    with_own, _ = run_audit(rows, counts=counts, length=False)
    left_out, _ = run_audit(rows, counts=counts, length=False, leave_out=True)
    assert with_own["types"]["replace_att"]["pmi"]["acc"] == 0.5
    assert left_out["types"]["replace_att"]["pmi"]["acc"] == 0.0
    assert left_out["pmi_leave_one_out"] is True and with_own["pmi_leave_one_out"] is False
    assert "each row's caption left out of the counts" in left_out["scorers"]["pmi"]
    # known answer: N=4, a 2x2 add-one grid → total 8, minus the held-out event → 7
    s = PMIScorer(counts)
    assert s.score([("red", "car")], held_out=[("red", "car")]) == pytest.approx(math.log(1 / 7) - 2 * math.log(3 / 7))
    assert s.score([("blue", "car")], held_out=[("red", "car")]) == pytest.approx(math.log(2 / 7) - math.log(4 / 7) - math.log(3 / 7))


def test_length_scorer_sees_negation_foils_by_length_alone():
    rows = [row("negate", "a red car", "a car that is not red", [("red", "car")], [("red", "car")]),
            row("replace_att", "a red car", "a blue car", [("red", "car")], [("blue", "car")]),
            row("add_att", "a red car", "a large red car", [("red", "car")], [("red", "car"), ("large", "car")])]  # fmt: skip
    report, _ = run_audit(rows)
    t = report["types"]
    assert t["negate"]["length"]["acc"] == 1.0 and t["add_att"]["length"]["acc"] == 1.0
    assert t["replace_att"]["length"] == {"acc": 0.5, "stderr": None, "ties": 1.0}
    assert report["scorers"]["length"].startswith("the text with fewer words wins")
    assert t["negate"]["pmi"] is None and t["negate"]["random_clip"] is None  # off unless asked for


def test_random_clip_scorer_is_seeded_and_blind():
    from aobench.foils.audit import RandomClipScorer

    texts = ["a red car", "a car that is not red", "a blue bus next to a tree"]
    a, b = RandomClipScorer("aobench-tiny", seed=3).scores(texts), RandomClipScorer("aobench-tiny", seed=3).scores(texts)
    c = RandomClipScorer("aobench-tiny", seed=4).scores(texts)
    assert a == b and a != c
    assert all(-1.0 <= v <= 1.0 for v in a.values())
    rows = [row("negate", "a red car", "a car that is not red", [], [])]
    report, _ = run_audit(rows, blind_clip="aobench-tiny", seed=3)
    expected = outcome(a["a red car"], a["a car that is not red"])
    assert report["types"]["negate"]["random_clip"]["acc"] == expected
    assert "random-init open_clip aobench-tiny (seed 3)" in report["scorers"]["random_clip"]


def test_balance_uses_every_scorer_and_says_when_a_type_cannot_be_balanced():
    # negate foils are all longer than their captions: no drop moves the length scorer, so the type stays unbalanced
    rows = [row("negate", f"a red car {i}", f"a car {i} that is not red", [("red", "car")], [("red", "car")]) for i in range(6)]
    # replace foils: PMI prefers 5 of 6 captions; balancing against PMI and length (a tie) drops until PMI is at chance
    counts = Table({("red", "car"): 9, ("blue", "bus"): 9, ("blue", "car"): 1, ("red", "bus"): 1})
    rows += [row("replace_att", f"a red car {i}", f"a blue car {i}", [("red", "car")], [("blue", "car")]) for i in range(5)]
    rows += [row("replace_att", "a blue car x", "a red car x", [("blue", "car")], [("red", "car")])]
    report, mask = run_audit(rows, counts=counts, do_balance=True, tolerance=0.05)
    bal = report["balance"]
    assert bal["scorers"] == ["pmi", "length"]
    assert bal["types"]["negate"]["within_tolerance"] is False and bal["dropped_per_type"].get("negate", 0) == 0
    assert bal["types"]["replace_att"]["within_tolerance"] is True
    assert bal["types"]["replace_att"]["pmi"]["acc"] == 0.5 and bal["dropped_per_type"]["replace_att"] == 4


def test_balance_moves_what_it_can_when_one_scorer_is_stuck():
    # add foils: all longer (length stuck at 1.0), PMI prefers 5 of 6 captions — PMI is balanced all the same
    counts = Table({("red", "car"): 9, ("blue", "bus"): 9, ("large", "car"): 1, ("large", "bus"): 20, ("small", "bus"): 1, ("small", "car"): 9})
    rows = [row("add_att", f"a red car {i}", f"a large red car {i}", [("red", "car")], [("red", "car"), ("large", "car")]) for i in range(5)]
    rows += [row("add_att", "a red car x", "a small red car x", [("red", "car")], [("red", "car"), ("small", "car")])]
    report, _ = run_audit(rows, counts=counts, do_balance=True, tolerance=0.05)
    b = report["balance"]["types"]["add_att"]
    assert report["types"]["add_att"]["pmi"]["acc"] == pytest.approx(5 / 6, abs=1e-4)
    assert b["pmi"]["acc"] == 0.5 and b["length"]["acc"] == 1.0 and b["within_tolerance"] is False
