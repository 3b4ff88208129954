"""ColorSwap, MMVP-VLM and EqBen: 2×2 image–caption groups — loaders on the published formats, scoring, aggregates."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from aobench.errors import AobenchError
from aobench.suite import colorswap, eqben, mmvp_vlm
from aobench.suite.schema import GROUP, Example, ImageRef, score_example


def _counts(examples):
    return dict(Counter(ex.subset for ex in examples))


@pytest.mark.parametrize("s, want", [
    ([[0.9, 0.1], [0.1, 0.9]], (True, True, True)),
    ([[0.9, 0.8], [0.1, 0.2]], (True, False, False)),  # each image prefers its caption; caption 1 prefers image 0
    ([[0.5, 0.6], [0.1, 0.9]], (False, True, False)),  # each caption prefers its image; image 0 prefers caption 1
    ([[0.5, 0.5], [0.1, 0.9]], (False, True, False)),  # a tie is wrong
])  # fmt: skip
def test_group_scores_are_winogrounds(s, want):
    ex = Example("0", "test", GROUP, (ImageRef("c", "a"), ImageRef("c", "b")), ("x", "y"))
    out = score_example(ex, np.array(s))  # S[image, caption]
    assert (out["text"], out["image"], out["group"]) == want


# ---- ColorSwap ----------------------------------------------------------------------------------------


def test_colorswap_test_split_by_default_train_when_named(published_annotations):
    root = published_annotations("colorswap")
    exs = colorswap.load_examples(root)
    assert _counts(exs) == {"test": 3}
    ex = exs[0]
    assert ex.schema == GROUP and ex.id == "0"
    assert ex.images == (ImageRef("colorswap", "images/img_0_1.png"), ImageRef("colorswap", "images/img_0_2.png"))
    assert ex.texts == ("a red ball on a blue box 0", "a blue ball on a red box 0")
    assert _counts(colorswap.load_examples(root, ["train"])) == {"train": 2}


def test_colorswap_missing_caption_is_one_line(published_annotations):
    root = published_annotations("colorswap")
    data = json.loads((root / "test.json").read_text())
    del data[1]["caption_2"]
    (root / "test.json").write_text(json.dumps(data))
    with pytest.raises(AobenchError, match=r"test\.json: \[1\]\.caption_2: expected a non-empty string"):
        colorswap.load_examples(root)


def test_colorswap_aggregate_is_the_test_group_score():
    agg = colorswap.aggregate({"test": {"text": 107 / 300, "image": 45 / 300, "group": 36 / 300, "n": 300}})
    assert agg["acc"] == pytest.approx(0.12) and agg["text"] == pytest.approx(107 / 300)
    assert agg["acc_stderr"] == pytest.approx(np.sqrt(0.12 * 0.88 / 299))


# ---- MMVP-VLM -----------------------------------------------------------------------------------------


def test_mmvp_pairs_consecutive_rows_patterns_by_position(published_annotations):
    from fixtures.published_annotations import MMVP_FOLDERS

    exs = mmvp_vlm.load_examples(published_annotations("mmvp_vlm"))
    assert _counts(exs) == {p: 15 for p in mmvp_vlm.PATTERNS}
    first, last = exs[0], exs[-1]
    assert first.subset == "Orientation and Direction" and first.id == "1-2"
    assert first.images == (ImageRef("mmvp_vlm", "MLLM_VLM Images/Orientation/1.jpg"), ImageRef("mmvp_vlm", "MLLM_VLM Images/Orientation/2.jpg"))
    assert first.texts == ("a photo of the thing 1 faces left", "a photo of the thing 2 faces right")
    assert last.subset == "Viewpoint and Perspective" and last.images[1].file == f"MLLM_VLM Images/{MMVP_FOLDERS[-1]}/270.jpg"
    assert [ex.id for ex in mmvp_vlm.load_examples(published_annotations("mmvp_vlm"), ["Texts"])][:2] == ["211-212", "213-214"]


def test_mmvp_odd_row_count_is_one_line(published_annotations):
    root = published_annotations("mmvp_vlm")
    lines = (root / "Questions.csv").read_text().splitlines()
    (root / "Questions.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(AobenchError, match=r"Questions\.csv:270: an odd number of rows \(269\)"):
        mmvp_vlm.load_examples(root)


def test_mmvp_aggregate_is_the_mean_of_nine_group_scores():
    # OpenAI ViT-B/32 group scores (in fifteenths) from vl_compo → results.csv mmvp_vlm 6.666666667
    groups = [0, 0, 2, 0, 0, 2, 2, 1, 2]
    per = {p: {"text": 0.5, "image": 0.5, "group": g / 15, "n": 15} for p, g in zip(mmvp_vlm.PATTERNS, groups)}
    agg = mmvp_vlm.aggregate(per)
    assert agg["acc"] == pytest.approx(0.06666666667, abs=1e-10) and agg["group"] == agg["acc"]
    assert "acc" not in mmvp_vlm.aggregate({p: per[p] for p in mmvp_vlm.PATTERNS[:8]})


# ---- EqBen --------------------------------------------------------------------------------------------


def test_eqben_reads_each_nesting_and_spelling_of_the_authors_files(published_annotations):
    exs = eqben.load_examples(published_annotations("eqben"))
    assert _counts(exs) == {"eqbenyoucook2": 3, "eqbengebc": 2, "eqbenag": 3, "eqbenkubric_loc": 2, "eqbenkubric_cnt": 1,
                            "eqbenkubric_attr": 1, "eqbensd": 2}  # fmt: skip
    ag = next(ex for ex in exs if ex.subset == "eqbenag")
    assert ag.texts == ("eqbenag before 0", "eqbenag after 0")  # the first caption of each list
    kub = [ex for ex in exs if ex.subset == "eqbenkubric_loc"][1]  # written with Winoground's image_0 / caption_0
    assert kub.images == (ImageRef("eqben", "eqbenkubric_loc/v1/frame_a.png"), ImageRef("eqben", "eqbenkubric_loc/v1/frame_b.png"))
    yc = next(ex for ex in exs if ex.subset == "eqbenyoucook2")
    assert yc.images[0].file.endswith(".npy")


def test_eqben_non_record_is_one_line(published_annotations):
    root = published_annotations("eqben")
    (root / "eqbensd.json").write_text(json.dumps([{"image0": "a.png", "image1": "b.png", "caption0": "x", "caption1": "y"}, 7]))
    with pytest.raises(AobenchError, match=r"eqbensd\.json\[1\]: expected a record with image0"):
        eqben.load_examples(root, ["eqbensd"])


def test_eqben_youcook2_frames_are_bgr_arrays(tmp_path):
    arr = np.zeros((4, 5, 3), dtype=np.uint8)
    arr[..., 0] = 200  # blue channel in BGR
    np.save(tmp_path / "f.npy", arr)
    im = eqben.open_image(tmp_path / "f.npy")
    assert im.mode == "RGB" and im.size == (5, 4) and im.getpixel((0, 0)) == (0, 0, 200)
    assert eqben.open_image(tmp_path / "f.png") is None
    np.save(tmp_path / "g.npy", np.zeros((4, 5)))
    with pytest.raises(AobenchError, match=r"g\.npy: expected an H×W×3 BGR frame"):
        eqben.open_image(tmp_path / "g.npy")


def test_eqben_aggregate_reproduces_vl_compo():
    # OpenAI ViT-B/32 group scores from vl_compo individual_results.csv → results.csv eqben 26.49190578
    g = {"eqbenyoucook2": 37.34, "eqbengebc": 4.5203969128996695, "eqbenag": 3.04, "eqbenkubric_loc": 1.0,
         "eqbenkubric_cnt": 6.1, "eqbenkubric_attr": 22.2, "eqbensd": 77.79246530072703}  # fmt: skip
    per = {s: {"text": 0.5, "image": 0.5, "group": v / 100, "n": eqben.SPEC.counts[s]} for s, v in g.items()}
    agg = eqben.aggregate(per)
    assert agg["acc"] == pytest.approx(0.2649190578, abs=1e-10)
    assert agg["natural/group"] == pytest.approx((37.34 + 4.5203969128996695 + 3.04) / 300)
