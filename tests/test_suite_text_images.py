"""SVO-Probes and ImageCoDe: one text against K images — loaders on the published formats, scoring, aggregates."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from aobench.errors import AobenchError
from aobench.suite import imagecode, svo_probes
from aobench.suite.schema import TEXT_IMAGES, TIE_FIRST, TIE_WRONG, Example, ImageRef, score_example


def _counts(examples):
    return dict(Counter(ex.subset for ex in examples))


# ---- SVO-Probes ---------------------------------------------------------------------------------------


def test_svo_probes_rows_parse_to_their_negation_type_with_bugliarellos_precedence(published_annotations):
    exs = svo_probes.load_examples(published_annotations("svo_probes"))
    assert _counts(exs) == {"subj_neg": 2, "verb_neg": 1, "obj_neg": 3}
    by_id = {ex.id: ex for ex in exs}
    assert by_id["3"].subset == "subj_neg"  # subj and verb both flagged: subj wins
    assert by_id["4"].subset == "obj_neg"  # no flag: Bugliarello's `else` branch
    first = by_id["0"]
    assert first.schema == TEXT_IMAGES and first.texts == ("A girl rides a horse.",)
    assert first.images == (ImageRef("svo_probes", "11.jpg"), ImageRef("svo_probes", "12.jpg"))
    assert first.positives == (0,) and first.tie_rule == TIE_WRONG
    assert first.meta["pos_triplet"] == "girl,ride,horse" and first.meta["subj_neg"] is True


def test_svo_probes_subsets_filter_and_unknown_subset_is_one_line(published_annotations):
    root = published_annotations("svo_probes")
    assert [ex.id for ex in svo_probes.load_examples(root, ["verb_neg"])] == ["1"]
    with pytest.raises(AobenchError, match="no subset 'verbs'; did you mean svo_probes/verb_neg"):
        svo_probes.load_examples(root, ["verbs"])


def test_svo_probes_bad_cells_name_file_line_and_column(published_annotations):
    root = published_annotations("svo_probes")
    path = root / "svo_probes.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",False,False,True", ",False,False,maybe")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AobenchError, match=r"svo_probes\.csv:4: obj_neg: expected True or False"):
        svo_probes.load_examples(root)
    skipped = []  # as the runner loads: the row is counted and reported, the rest evaluated
    assert len(svo_probes.load_examples(root, skipped=skipped)) == 5
    assert skipped == [(f"{path}:4", "obj_neg: expected True or False, got 'maybe'")]
    path.write_text("sentence,pos_image_id\nx,1\n")
    with pytest.raises(AobenchError, match=r"svo_probes\.csv:1: missing column\(s\) pos_triplet"):
        svo_probes.load_examples(root)


def test_svo_probes_missing_file_is_one_line(tmp_path):
    with pytest.raises(AobenchError, match=r"svo_probes\.csv not found"):
        svo_probes.load_examples(tmp_path)


def test_text_against_images_is_strict_a_tie_is_wrong():
    ex = Example("0", "subj_neg", TEXT_IMAGES, (ImageRef("s", "a"), ImageRef("s", "b")), ("t",))
    assert score_example(ex, np.array([[0.3], [0.2]])) == {"correct": True}
    assert score_example(ex, np.array([[0.2], [0.3]])) == {"correct": False}
    assert score_example(ex, np.array([[0.25], [0.25]])) == {"correct": False}


def test_svo_probes_aggregate_is_the_plain_mean_vl_compo_reports():
    # OpenAI ViT-B/32 in vl_compo individual_results.csv → its results.csv svo_probes 84.13824737
    per = {"subj_neg": {"acc": 0.8406652360515021, "n": 1000}, "verb_neg": {"acc": 0.7973082895807143, "n": 3000},
           "obj_neg": {"acc": 0.8861738953369985, "n": 500}}  # fmt: skip
    agg = svo_probes.aggregate(per)
    assert agg["acc"] == pytest.approx(0.8413824737, abs=1e-10)
    micro = (0.8406652360515021 * 1000 + 0.7973082895807143 * 3000 + 0.8861738953369985 * 500) / 4500
    assert agg["acc_micro"] == pytest.approx(micro)
    assert agg["acc_stderr"] > 0
    assert "acc" not in svo_probes.aggregate({"subj_neg": per["subj_neg"]})  # a partial run has no headline


# ---- ImageCoDe ----------------------------------------------------------------------------------------


def test_imagecode_valid_data_parses_to_videos_and_static(published_annotations):
    exs = imagecode.load_examples(published_annotations("imagecode"))
    assert _counts(exs) == {"static": 2, "videos": 3}
    first = exs[0]
    assert first.id == "open-images-12_aa11/5" and first.subset == "static"
    assert first.texts == ("A deer head next to a painting",)  # stripped, as the authors' zero_shot.py
    assert first.positives == (5,) and first.tie_rule == TIE_FIRST and len(first.images) == 10
    assert all("#" in ref.file for ref in first.images)  # unresolved until the folder is listed
    assert [ex.subset for ex in imagecode.load_examples(published_annotations("imagecode"), ["videos"])] == ["videos"] * 3


def test_imagecode_frames_sort_by_frame_number_not_name(tmp_path):
    folder = tmp_path / "MSR-VTT-x"
    folder.mkdir()
    for n in (0, 12, 3, 100, 25):
        (folder / f"img{n}.jpg").write_bytes(b"")
    (folder / "notes.txt").write_text("")
    assert imagecode.frames(folder) == ["img0.jpg", "img3.jpg", "img12.jpg", "img25.jpg", "img100.jpg"]


@pytest.mark.parametrize("row, target, correct", [
    ([0.1, 0.5, 0.2, 0.5, 0, 0, 0, 0, 0, 0], 1, True),  # tied with a later image: argmax's first index wins
    ([0.1, 0.5, 0.2, 0.5, 0, 0, 0, 0, 0, 0], 3, False),  # tied with an earlier image: it loses
    ([0.1, 0.2, 0.2, 0.9, 0, 0, 0, 0, 0, 0], 3, True),
    ([0.9, 0.2, 0.2, 0.1, 0, 0, 0, 0, 0, 0], 3, False),
])  # fmt: skip
def test_imagecode_scores_as_the_authors_argsort(row, target, correct):
    ex = Example("d/0", "videos", TEXT_IMAGES, tuple(ImageRef("imagecode", f"d/{i}") for i in range(10)),
                                                       ("t",), (target,), TIE_FIRST)  # fmt: skip
    s = np.array(row)[:, None]
    assert score_example(ex, s)["correct"] is correct
    assert (int(np.argsort(-s[:, 0])[0]) == target) is correct  # the authors' ranking


def test_imagecode_bad_target_index_is_one_line(published_annotations):
    root = published_annotations("imagecode")
    data = json.loads((root / "valid_data.json").read_text())
    data["open-images-12_aa11"]["10"] = "out of range"
    (root / "valid_data.json").write_text(json.dumps(data))
    with pytest.raises(AobenchError, match=r"valid_data\.json: 'open-images-12_aa11'\.'10': target index outside 0\.\.9"):
        imagecode.load_examples(root)


def test_imagecode_aggregate_is_the_pooled_accuracy_vl_compo_reports():
    # OpenAI ViT-B/32: videos 15.064…% of 1872, static 50.697…% of 430 → results.csv imagecode 21.72024327
    per = {"videos": {"acc": 0.15064102564102564, "n": 1872}, "static": {"acc": 0.5069767441860465, "n": 430}}
    agg = imagecode.aggregate(per)
    assert agg["acc"] == pytest.approx(0.2172024327, abs=1e-10)
    assert agg["n"] == 2302
    assert agg["acc_stderr"] == pytest.approx(np.sqrt(agg["acc"] * (1 - agg["acc"]) / 2301))


def test_imagecode_published_valid_data_counts(published_file):
    path = published_file("McGill-NLP/imagecode", "data/valid_data.json")
    exs = imagecode.load_examples(path.parent)
    assert _counts(exs) == imagecode.SPEC.counts == {"videos": 1872, "static": 430}
    assert len({ex.meta["directory"] for ex in exs}) == 1039
