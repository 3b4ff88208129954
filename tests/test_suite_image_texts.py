"""What'sUp, CREPE and VL-CheckList: one image against K texts — loaders on the published formats, scoring, aggregates."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from aobench.errors import AobenchError
from aobench.suite import crepe, vl_checklist, whatsup
from aobench.suite.schema import IMAGE_TEXTS, TIE_FIRST, TIE_WRONG, Example, ImageRef, score_example


def _counts(examples):
    return dict(Counter(ex.subset for ex in examples))


def _ex(k: int, tie_rule: str) -> Example:
    return Example("0", "s", IMAGE_TEXTS, (ImageRef("s", "i.jpg"),), tuple(f"t{j}" for j in range(k)), (0,), tie_rule)


@pytest.mark.parametrize("row, first, strict", [
    ([0.5, 0.5, 0.1, 0.1], True, False),  # the positive (first) ties a negative: argmax picks it; strict `>` does not
    ([0.5, 0.6, 0.1, 0.1], False, False),
    ([0.7, 0.6, 0.1, 0.1], True, True),
])  # fmt: skip
def test_first_option_tie_rules(row, first, strict):
    s = np.array([row])
    assert score_example(_ex(4, TIE_FIRST), s)["correct"] is first
    assert score_example(_ex(4, TIE_WRONG), s)["correct"] is strict
    assert (int(np.argmax(s[0])) == 0) is first  # What'sUp's evaluate_scores


# ---- What'sUp -----------------------------------------------------------------------------------------


def test_whatsup_files_parse_first_option_correct(published_annotations):
    exs = whatsup.load_examples(published_annotations("whatsup"))
    assert _counts(exs) == {"Controlled_Images_A": 8, "Controlled_Images_B": 4, "COCO_QA_one_obj": 3,
                            "COCO_QA_two_obj": 2, "VG_QA_one_obj": 2, "VG_QA_two_obj": 2}  # fmt: skip
    a0 = exs[0]
    assert a0.images == (ImageRef("whatsup", "controlled_images/mug_left_of_table.jpeg"),)
    assert a0.texts[0] == "A mug left of a table" and len(a0.texts) == 4 and a0.tie_rule == TIE_FIRST
    assert a0.meta == {"pair": "mug|table", "position": "left", "preposition": "left_of"}
    coco = next(ex for ex in exs if ex.subset == "COCO_QA_one_obj")
    assert coco.images == (ImageRef("coco2017", "000000000139.jpg"),) and coco.meta["preposition"] == "left"
    vg = next(ex for ex in exs if ex.subset == "VG_QA_two_obj")
    assert vg.images == (ImageRef("whatsup", "vg_images/3.jpg"),) and vg.meta["preposition"] == "front"
    assert [ex.meta["preposition"] for ex in exs if ex.subset == "COCO_QA_two_obj"] == ["left", "above"]


def test_whatsup_pair_and_set_accuracy_as_the_authors_count_them(published_annotations):
    exs = [ex for ex in whatsup.load_examples(published_annotations("whatsup"), ["Controlled_Images_A"])]
    # mug/table: all four right; book/chair: left, right and under right, on wrong
    right = {("mug|table", p): True for p in ("left", "right", "on", "under")}
    right.update({("book|chair", "left"): True, ("book|chair", "right"): True, ("book|chair", "on"): False, ("book|chair", "under"): True})
    outs = [{"acc": right[(ex.meta["pair"], ex.meta["position"])]} for ex in exs]
    m = whatsup.subset_metrics("Controlled_Images_A", exs, outs)
    assert m["pair_acc"] == pytest.approx(3 / 4)  # 3 of the 4 opposite pairs, over n/2 = 4
    assert m["set_acc"] == pytest.approx(1 / 2)  # 1 of 2 object pairs, over n/4 = 2
    assert m["acc_by_preposition/on"] == 0.5 and m["acc_by_preposition/left_of"] == 1.0
    assert "pair_acc" not in whatsup.subset_metrics("COCO_QA_one_obj", exs[:1], outs[:1])


def test_whatsup_bad_rows_are_one_line(published_annotations):
    root = published_annotations("whatsup")
    (root / "coco_qa_two_obj.json").write_text(json.dumps([[724, "a caption"]]))
    with pytest.raises(AobenchError, match=r"coco_qa_two_obj\.json: \[0\]: expected \[image_id, true_caption, false_caption\]"):
        whatsup.load_examples(root, ["COCO_QA_two_obj"])
    (root / "controlled_images_dataset.json").write_text('[{"image_path": "x.jpeg", "caption_options": ["only one"]}]')
    with pytest.raises(AobenchError, match=r"\[0\]\.caption_options: expected at least 2 options"):
        whatsup.load_examples(root, ["Controlled_Images_A"])
    (root / "vg_qa_one_obj.json").write_text("[1, 2,")
    with pytest.raises(AobenchError, match=r"vg_qa_one_obj\.json: not JSON"):
        whatsup.load_examples(root, ["VG_QA_one_obj"])


def test_whatsup_aggregate_is_the_plain_mean_of_six():
    # OpenAI ViT-B/32 in vl_compo individual_results.csv → results.csv whatsup 41.46275226
    accs = [0.30582524271844655, 0.3088235294117647, 0.4325767690253672, 0.5068181818181819, 0.46293103448275865, 0.4707903780068728]
    per = {s: {"acc": a, "n": n} for s, a, n in zip(whatsup.SUBSETS, accs, whatsup.SPEC.counts.values())}
    agg = whatsup.aggregate(per)
    assert agg["acc"] == pytest.approx(0.4146275226, abs=1e-10)
    assert agg["controlled/acc"] == pytest.approx((accs[0] + accs[1]) / 2)
    assert agg["vg_qa/acc"] == pytest.approx((accs[4] + accs[5]) / 2)


# ---- CREPE --------------------------------------------------------------------------------------------


def test_crepe_productivity_csvs_parse_caption_first_with_the_box(published_annotations):
    from fixtures.published_annotations import crepe_rows

    root = published_annotations("crepe")
    exs = crepe.load_examples(root)
    assert _counts(exs) == {f"{t}_complexity_{c}": crepe_rows(t, c) for t in ("atom", "swap", "negate") for c in range(4, 13)}
    ex = exs[0]
    assert ex.texts[0] == "a atom caption 4.0" and ex.texts[-1] == 'a man\'s "hat", red' and len(ex.texts) == 5
    assert ex.images == (ImageRef("vg", "VG_100K/100.jpg", (5.0, 6.0, 40.0, 30.0)),) and ex.tie_rule == TIE_WRONG


def test_crepe_systematicity_runs_only_when_named(published_annotations):
    root = published_annotations("crepe")
    assert not any(ex.subset.startswith("syst") for ex in crepe.load_examples(root))
    exs = crepe.load_examples(root, ["syst_unseen_compounds_in_laion_comp", "syst_unseen_compounds_in_laion_atom"])
    assert [ex.texts for ex in exs] == [("a red car", "a blue car"), ("a red car", "a red bus", "a red van")]  # benchmark order
    assert "syst_unseen_compounds_in_laion_comp" in crepe.SPEC.optional_subsets
    with pytest.raises(AobenchError, match=r"syst_vg_hard_negs_seen_compounds_in_cc12m\.csv not found"):
        crepe.load_examples(root, ["syst_seen_compounds_in_cc12m_atom"])


def test_crepe_hard_negs_must_be_a_list_literal(published_annotations):
    root = published_annotations("crepe")
    path = root / "prod_hard_negatives/swap/prod_vg_hard_negs_swap_complexity_7.csv"
    path.write_text("image_id,x,y,width,height,caption,hard_negs\n1,0,0,5,5,a cat,__import__('os')\n")
    with pytest.raises(AobenchError, match=r"complexity_7\.csv:2: hard_negs: expected a list of strings"):
        crepe.load_examples(root, ["swap_complexity_7"])


def test_crepe_rank_metrics_match_the_authors_get_one2many_metrics():
    rows = [[0.9, 0.1, 0.2, 0.3], [0.2, 0.5, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], [0.3, 0.3, 0.3, 0.3]]
    # ranks: 0; 1 (0.5 above, the 0.2 tie counts above too) → 2; 3; every negative ties → 3
    outs = [crepe.outcomes(_ex(4, TIE_WRONG), np.array([r])) for r in rows]
    assert [o["rank"] for o in outs] == [0, 2, 3, 3]
    assert [o["acc"] for o in outs] == [score_example(_ex(4, TIE_WRONG), np.array([r]))["correct"] for r in rows]
    assert [o["r@3"] for o in outs] == [True, True, False, False]
    m = crepe.subset_metrics("atom_complexity_4", [_ex(4, TIE_WRONG)] * 4, outs)
    assert m["mean_rank"] == pytest.approx(1 + 8 / 4) and m["median_rank"] == 1 + np.floor(2.5)
    assert m["acc"] == 0.25 and m["r@3"] == 0.5 and m["chance/acc"] == 0.25 and m["n"] == 4 and "rank" not in m


def test_crepe_aggregate_pools_complexities_then_means_the_three_types():
    # each type's complexities share vl_compo's OpenAI ViT-B/32 value, so pooling returns it → results.csv 23.70755529
    vals = {"atom": 0.18962594643462538, "swap": 0.1725860904794058, "negate": 0.3490146217418945}
    per = {f"{t}_complexity_{c}": {"acc": v, "n": 10 + c} for t, v in vals.items() for c in range(4, 13)}
    agg = crepe.aggregate(per)
    assert agg["acc"] == pytest.approx(0.2370755529, abs=1e-10)
    assert agg["swap/acc"] == pytest.approx(vals["swap"])
    per["atom_complexity_4"] = {"acc": 1.0, "n": 30}  # pooled, not a plain mean over complexities
    n = sum(10 + c for c in range(5, 13))
    assert crepe.aggregate(per)["atom/acc"] == pytest.approx((30 + vals["atom"] * n) / (30 + n))


# ---- VL-CheckList -------------------------------------------------------------------------------------


def test_vl_checklist_tree_parses_every_file_first_pos_vs_first_neg(published_annotations):
    exs = vl_checklist.load_examples(published_annotations("vl_checklist"))
    assert _counts(exs) == {s: 2 for s in vl_checklist.SUBSETS} and len(vl_checklist.SUBSETS) == 56
    hake = next(ex for ex in exs if ex.subset == "Object_Location_center_hake")
    assert hake.images == (ImageRef("hake", "pic/Object_Location_center_hake_0.jpg"),)
    assert hake.texts == ("Object_Location_center_hake true 0", "Object_Location_center_hake false 0")
    swig = next(ex for ex in exs if ex.subset == "Relation_action_swig")
    assert swig.images[0].source == "swig" and swig.images[0].file == "Relation_action_swig_0.jpg"


def test_vl_checklist_table_is_the_corpus_tree_of_the_repository(published_file):
    # every (subset, ANNO_PATH, IMG_ROOT) aobench carries is the one corpus/v1/…/<name>.yaml gives
    for subset, (column, source, anno, root) in vl_checklist.CORPUS.items():
        kind, rest = column.split("_", 1)
        name = subset[len(column) + 1:]
        yaml_path = f"corpus/v1/{kind}/{rest.replace('_', '/')}/{name}.yaml"
        text = published_file("om-ai-lab/VL-CheckList", yaml_path).read_text()
        assert f'ANNO_PATH: "{anno}"' in text and f'IMG_ROOT: "{root}' in text, yaml_path
    groups = json.loads(published_file("om-ai-lab/VL-CheckList", "corpus.json").read_text())
    for group in groups.values():
        for src, names in group.items():
            assert all(vl_checklist.CORPUS[n][1] == src for n in names)


@pytest.mark.parametrize("subset", sorted(vl_checklist.SPEC.counts))
def test_vl_checklist_published_file_counts(published_file, subset):
    rel = vl_checklist.CORPUS[subset][2]
    root = published_file("om-ai-lab/VL-CheckList", rel).parents[len(rel.split("/")) - 1]
    assert _counts(vl_checklist.load_examples(root, [subset])) == {subset: vl_checklist.SPEC.counts[subset]}


def test_vl_checklist_aggregate_reproduces_vl_compo():
    # OpenAI ViT-B/32: vl_compo's 13 columns (every file of a column given the column's value) → results.csv 70.76843289
    cols = {"Object_Location_center": 87.41666666666667, "Object_Location_margin": 74.94727166772621,
            "Object_Location_mid": 84.42830188679245, "Object_Size_large": 87.20833333333333,
            "Object_Size_medium": 81.57219153649929, "Object_Size_small": 74.10227873977874, "Attribute_action": 70.6,
            "Attribute_color": 69.54999999999998, "Attribute_material": 69.75, "Attribute_size": 61.1,
            "Attribute_state": 67.29729011689692, "Relation_action": 72.06666666666666, "Relation_spatial": 54.0}  # fmt: skip
    per = {s: {"acc": cols[c] / 100, "n": 1000} for s, (c, *_) in vl_checklist.CORPUS.items()}
    agg = vl_checklist.aggregate(per)
    assert agg["acc"] == pytest.approx(0.7076843289, abs=1e-10)
    assert agg["Object_Size_small/acc"] == pytest.approx(0.7410227873977874)


def test_vl_checklist_column_is_the_mean_of_source_means():
    per = {s: {"acc": 0.5, "n": 1000} for s in vl_checklist.SUBSETS}
    per["Object_Location_center_hake"]["acc"] = 1.0  # hake alone
    per["Object_Location_center_swig_agent"]["acc"] = 0.9  # one of four swig files
    per["Object_Location_center_vg_obj"] = {"acc": 0.0, "n": 0}  # no rows evaluated: left out of the vg mean
    agg = vl_checklist.aggregate(per)
    assert agg["Object_Location_center/acc"] == pytest.approx((1.0 + (0.9 + 0.5 * 3) / 4 + 0.5) / 3)
