"""Known answers for each standard benchmark's protocol: a model whose scores are fixed, ties included, on files in the published schema."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from aobench.evaluate import evaluate
from aobench.evaluate.metrics import mean_stderr
from aobench.evaluate.results import flat_metrics
from aobench.suite.schema import GROUP, IMAGE_TEXTS, TIE_FIRST, TIE_WRONG, Example, ImageRef, chance_of, score_example


def _run(name, fx, model, tmp_path, data=None):
    run = evaluate(data or name, model, tmp_path / "out", annotations=fx.annotations, images=[str(fx.images)], cache_dir=None, progress=False)
    assert not run.failures, run.failures
    (result,) = run.results
    rows = [json.loads(line) for line in open(tmp_path / "out" / "examples" / (run.paths[0].stem + ".jsonl"))]
    m = flat_metrics(result["metrics"])
    # one convention with aobench's eval tasks: chance as a `chance/` segment before the leaf, never a `_chance` suffix
    assert not [k for k in m if k.endswith("_chance")], name
    return result, m, rows


def _outcomes(rows):
    return {(r["subset"], r["id"]): r["outcomes"] for r in rows}


def test_tie_rules_strict_and_first_index():
    img = (ImageRef("x", "a.jpg"),)
    strict = Example("0", "s", IMAGE_TEXTS, img, ("pos", "neg"), positives=(0,), tie_rule=TIE_WRONG)
    vg = Example("0", "s", IMAGE_TEXTS, img, ("false", "true"), positives=(1,), tie_rule=TIE_FIRST)  # positive second: a tie is wrong
    order = Example("0", "s", IMAGE_TEXTS, img, ("c", "s1", "s2"), positives=(0,), tie_rule=TIE_FIRST)  # positive first: a tie is right
    assert score_example(strict, np.array([[0.3, 0.3]])) == {"correct": False}
    assert score_example(strict, np.array([[0.31, 0.3]])) == {"correct": True}
    assert score_example(vg, np.array([[0.3, 0.3]])) == {"correct": False}
    assert score_example(order, np.array([[0.3, 0.1, 0.3]])) == {"correct": True}
    assert score_example(order, np.array([[0.3, 0.31, 0.3]])) == {"correct": False}
    assert chance_of(order) == {"acc": pytest.approx(1 / 3)} and chance_of(strict) == {"acc": 0.5}
    two_pos = Example("0", "s", IMAGE_TEXTS, img, ("p1", "p2", "n"), positives=(0, 1))
    assert chance_of(two_pos) == {"acc": pytest.approx(1 / 3)}
    assert chance_of(Example("0", "s", GROUP, img * 2, ("a", "b")))["group"] == pytest.approx(1 / 6)


def test_sugarcrepe_known_answers(suite_files, known_suite_model, tmp_path):
    fx = suite_files["sugarcrepe"]
    result, m, rows = _run("sugarcrepe", fx, known_suite_model, tmp_path)
    got = {k: v["acc"] for k, v in _outcomes(rows).items()}
    assert got == fx.expected  # ties are wrong: SugarCrepe's strict `>`
    for subset in ("add_obj", "add_att", "swap_att"):
        outs = [v for (s, _), v in fx.expected.items() if s == subset]
        assert m[f"{subset}/acc"] == pytest.approx(np.mean(outs)) and m[f"{subset}/n"] == len(outs)
        assert m[f"{subset}/acc_stderr"] == pytest.approx(mean_stderr(outs)) and m[f"{subset}/chance/acc"] == 0.5
    # categories pool their subsets' examples (the paper's micro means); acc is the plain mean of the three categories
    add = [v for (s, _), v in fx.expected.items() if s.startswith("add")]
    assert m["add/acc"] == pytest.approx(np.mean(add)) == pytest.approx(3 / 7)
    assert m["add/acc_stderr"] == pytest.approx(mean_stderr(add))
    assert m["acc"] == pytest.approx(np.mean([m["replace/acc"], m["swap/acc"], m["add/acc"]])) and m["chance/acc"] == 0.5
    assert result["dataset"] == "sugarcrepe" and result["task"] == "image_caption_selection"
    assert result["benchmark"]["tie_rule"] == "wrong" and result["options"]["precision"] == "fp32"
    assert rows[0]["scores"] and len(rows[0]["scores"][0]) == 2 and isinstance(rows[0]["correct"], bool)


def test_sugarcrepe_pp_itt_and_tot(suite_files, known_suite_model, tmp_path):
    fx = suite_files["sugarcrepe_pp"]
    result, m, rows = _run("sugarcrepe_pp", fx, known_suite_model, tmp_path)
    assert _outcomes(rows) == fx.expected
    itt = [v["acc"] for (s, _), v in fx.expected.items() if s == "swap_obj"]
    tot = [v["tot"] for (s, _), v in fx.expected.items() if s == "swap_obj"]
    assert (m["swap_obj/acc"], m["swap_obj/tot"]) == (pytest.approx(np.mean(itt)), pytest.approx(np.mean(tot)))
    assert (m["swap_obj/acc"], m["swap_obj/tot"], m["swap_obj/img_p1"], m["swap_obj/img_p2"]) == (0.5, 0.5, 0.75, 0.75)
    assert m["swap_obj/chance/acc"] == pytest.approx(1 / 3) and m["swap_obj/chance/img_p1"] == 0.5 and m["swap_obj/chance/tot"] == pytest.approx(1 / 3)
    assert m["chance/acc"] == pytest.approx(1 / 3) and m["chance/tot"] == pytest.approx(1 / 3)
    assert m["acc"] == pytest.approx(np.mean([m["replace/acc"], m["swap/acc"]])) and m["tot"] == 0.5
    assert "text_scores" in rows[0] and np.asarray(rows[0]["text_scores"]).shape == (3, 3)


def test_valse_counts_valid_rows_only(suite_files, known_suite_model, tmp_path):
    fx = suite_files["valse"]
    result, m, rows = _run("valse", fx, known_suite_model, tmp_path)
    assert {k: v["acc"] for k, v in _outcomes(rows).items()} == fx.expected  # the invalid (mturk.caption < 2) rows are not there
    pieces = sorted({s for s, _ in fx.expected})
    per_piece = {p: np.mean([v for (s, _), v in fx.expected.items() if s == p]) for p in pieces}
    assert m["existence/acc"] == 1.0 and m["plurals/acc"] == 0.5 and m["counting-hard/acc"] == pytest.approx(1 / 3)
    assert m["acc"] == pytest.approx(np.mean(list(per_piece.values())))  # the paper's Avg.: the plain mean of the 11 pieces
    counting = np.mean([per_piece[p] for p in ("counting-hard", "counting-small-quant", "counting-adversarial")])
    assert m["instrument/counting/acc"] == pytest.approx(counting)
    assert m["instrument_mean"] == pytest.approx(np.mean([m[f"instrument/{i}/acc"] for i in
                                                          ("existence", "plurality", "counting", "relations", "actions", "coreference", "foil-it")]))  # fmt: skip
    assert m["n_skipped_rows"] == 0 and m["existence/chance/acc"] == 0.5 and m["chance/acc"] == m["chance/instrument_mean"] == 0.5


def test_winoground_text_image_group(suite_files, known_suite_model, tmp_path):
    fx = suite_files["winoground"]
    result, m, rows = _run("winoground", fx, known_suite_model, tmp_path)
    assert _outcomes(rows) == fx.expected
    assert (m["Object/group"], m["Relation/text"], m["Relation/image"], m["Both/text"]) == (1.0, 1.0, 0.0, 0.0)
    assert (m["text"], m["image"], m["group"]) == (pytest.approx(2 / 3), pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert m["chance/group"] == pytest.approx(1 / 6) and m["chance/text"] == 0.25 and m["chance/image"] == 0.25
    assert m["Object/chance/group"] == pytest.approx(1 / 6) and m["Relation/chance/text"] == 0.25
    assert m["group_stderr"] == pytest.approx(mean_stderr([1, 0, 0]))
    assert np.asarray(rows[0]["scores"]).shape == (2, 2)


def test_winoground_rule_reproduces_the_authors_clip_scores(tmp_path):
    """The authors' own per-example CLIP scores give 30.75 / 10.50 / 8.00 under this rule (the issue's reference values)."""
    from conftest import mirror_file

    from aobench.suite import winoground

    ex_file = mirror_file("e-bug+fine-grained-evals", "data/winoground/data/examples.jsonl", tmp_path)
    scores_file = mirror_file("e-bug+fine-grained-evals", "data/winoground/statistics/model_scores/clip.jsonl", tmp_path)
    if ex_file is None or scores_file is None:
        pytest.skip("the e-bug/fine-grained-evals mirror (Winoground's examples and CLIP scores) is not on this machine")
    examples = winoground.load_examples(ex_file.parent)
    s = {r["label"]: r["score"] for r in map(json.loads, scores_file.read_text().splitlines())}
    outs = [score_example(ex, np.array([[s[f"{ex.id}_c0_i0"], s[f"{ex.id}_c1_i0"]], [s[f"{ex.id}_c0_i1"], s[f"{ex.id}_c1_i1"]]])) for ex in examples]
    got = {k: 100 * np.mean([o[k] for o in outs]) for k in ("text", "image", "group")}
    assert got == {"text": 30.75, "image": 10.5, "group": 8.0}


def test_aro_macro_exclusions_crop_and_order_ties(suite_files, known_suite_model, tmp_path):
    fx = suite_files["aro"]
    result, m, rows = _run("aro", fx, known_suite_model, tmp_path)
    got = {k: v["acc"] for k, v in _outcomes(rows).items()}
    assert got == fx.expected  # the box crop gives the right half (uncropped, every VG score would be 0: all ties, all wrong)
    # VG-Relation: macro over relations not on the notebook's symmetric list ("near" is): (2/3 + 0) / 2
    assert m["VG_Relation/acc"] == pytest.approx((2 / 3 + 0) / 2) and m["VG_Relation/n_classes"] == 2
    assert m["VG_Relation/micro_acc"] == pytest.approx(3 / 5) and m["VG_Relation/n_all"] == 5
    assert m["VG_Relation/n_classes_min25"] == 0 and result["metrics"]["VG_Relation"]["acc_min25"] is None  # none has 25: null
    # VG-Attribution: macro over pairs with >= 25 examples: only red_blue (20/25); big_small (3) is dropped
    assert m["VG_Attribution/acc"] == pytest.approx(0.8) and m["VG_Attribution/n_classes"] == 1
    assert m["VG_Attribution/acc_stderr"] == pytest.approx(mean_stderr([1] * 20 + [0] * 5))
    # Order: the one-word caption's shuffles are itself (a tie: right by argmax's first index); 2 of 3 right
    assert m["COCO_Order/acc"] == pytest.approx(2 / 3) and m["COCO_Order/chance/acc"] == pytest.approx(0.2)
    assert m["acc"] == pytest.approx(np.mean([m[f"{s}/acc"] for s in ("VG_Relation", "VG_Attribution", "COCO_Order", "Flickr30k_Order")]))
    assert m["VG_Relation/chance/acc"] == 0.5 and m["chance/acc"] == pytest.approx((0.5 + 0.5 + 0.2 + 0.2) / 4)  # the mean of the four
    order = [r for r in rows if r["subset"] == "COCO_Order"]
    assert all(len(r["scores"][0]) == 5 for r in order)
    labels = {r["label"] for r in rows if r["subset"] == "VG_Relation"}
    assert labels == {"on", "holding", "near"}


def test_aro_shuffles_are_seeded_and_keep_the_words(tmp_path, suite_files):
    from aobench.suite import aro

    fx = suite_files["aro"]
    a = aro.load_examples(fx.annotations, ["COCO_Order"])
    b = aro.load_examples(fx.annotations, ["COCO_Order"])
    assert [ex.texts for ex in a] == [ex.texts for ex in b]  # the same seed, the same shuffles, in any process
    long = a[0].texts
    assert long[0] == "a small coco dog runs across the green field"
    for t in long[1:]:
        assert sorted(t.split()) == sorted(long[0].split())  # a permutation of the caption's words (pre_caption after)
    assert len(set(long)) > 2
    assert aro.pre_caption("A  Dog; runs (fast)!") == "a dog runs fast"
    assert aro.pre_caption(" ".join(["w"] * 40)) == " ".join(["w"] * 30)


def test_macro_by_stderr_and_micro_pooling():
    from aobench.suite.scoring import macro_by, micro

    img = (ImageRef("x", "a"),)
    exs = [Example(str(i), "s", IMAGE_TEXTS, img, ("a", "b"), meta={"label": c}) for i, c in enumerate("aaab")]
    outs = [{"acc": v} for v in (True, True, False, True)]
    m = macro_by(exs, outs, key=lambda e: e.meta["label"])
    assert m["acc"] == pytest.approx((2 / 3 + 1) / 2)
    # class b has one example: the largest variance a 0/1 mean has (1/4); class a: p(1-p)/(n-1)
    assert m["acc_stderr"] == pytest.approx(math.sqrt((2 / 3) * (1 / 3) / 2 + 0.25) / 2)
    pooled = micro({"x": {"acc": 0.5, "n": 4}, "y": {"acc": 1.0, "n": 2}}, ["x", "y"])
    assert pooled["acc"] == pytest.approx(4 / 6) and pooled["acc_stderr"] == pytest.approx(mean_stderr([1, 1, 0, 0, 1, 1]))
