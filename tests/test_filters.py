"""Filters: near-duplicate hashing and the CLIP-score filter with a real (tiny) open_clip model."""

import shutil

import pytest
from PIL import Image

from aobench.filters import FilterContext, run_filters
from aobench.filters.clip_score import clip_scores
from aobench.filters.near_dup import dhash, hamming
from aobench.generate.procedural import render
from aobench.recipe import FiltersSpec


def _write(tmp_path, name, img):
    p = tmp_path / "images" / f"{name}.png"
    p.parent.mkdir(parents=True, exist_ok=True)
    img.save(p)
    return f"images/{name}.png"


def _rec(i, file, **kw):
    return {"id": f"r{i}", "file": file, "split": "test", "attribute": "red", "object": "star", "prompt": "a red star", **kw}


def test_dhash_identical_vs_different():
    a, b = render("star", "red", 1), render("heart", "blue", 2)
    assert hamming(dhash(a), dhash(a.copy())) == 0
    assert hamming(dhash(a), dhash(b)) > 20


def test_near_duplicate_drops_copies_and_names_the_original(tmp_path):
    f0 = _write(tmp_path, "a", render("star", "red", 1))
    f1 = _write(tmp_path, "b", render("star", "red", 1))  # same seed: a duplicate
    f2 = _write(tmp_path, "c", render("star", "red", 2))
    recs = [_rec(0, f0), _rec(1, f1), _rec(2, f2)]
    spec = FiltersSpec.model_validate({"near_duplicate": {"max_distance": 0}})
    stats = run_filters(recs, spec, FilterContext(root=tmp_path))
    assert [r["filters"] for r in recs] == ["kept", "near_duplicate_of:r0", "kept"]
    assert stats == {"near_duplicate": 1}


def test_near_duplicate_scope_pair_keeps_copies_of_other_pairs(tmp_path):
    f0 = _write(tmp_path, "a", render("star", "red", 1))
    recs = [_rec(0, f0), _rec(1, f0, attribute="blue")]
    spec = FiltersSpec.model_validate({"near_duplicate": {"max_distance": 0, "scope": "pair"}})
    run_filters(recs, spec, FilterContext(root=tmp_path))
    assert [r["filters"] for r in recs] == ["kept", "kept"]
    spec = FiltersSpec.model_validate({"near_duplicate": {"max_distance": 0, "scope": "all"}})
    run_filters(recs, spec, FilterContext(root=tmp_path))
    assert [r["filters"] for r in recs] == ["kept", "near_duplicate_of:r0"]


def test_clip_score_filter_applies_threshold_to_real_scores(tmp_path, tiny_clip):
    files = [_write(tmp_path, f"i{i}", render(s, a, i)) for i, (s, a) in enumerate([("star", "red"), ("heart", "blue"), ("ring", "striped"), ("cross", "small")])]
    recs = [_rec(i, f, prompt=p) for i, (f, p) in enumerate(zip(files, ["a red star", "a blue heart", "a striped ring", "a small cross"]))]
    scores = clip_scores(recs, tmp_path, "tiny", None)
    assert len(scores) == 4 and all(-1 <= s <= 1 for s in scores)
    # manual check of one score against the model itself
    import torch

    model, preprocess, tok = tiny_clip
    with torch.no_grad():
        im = model.encode_image(preprocess(Image.open(tmp_path / files[0]).convert("RGB"))[None])
        tx = model.encode_text(tok(["a red star"]))
        expect = torch.nn.functional.cosine_similarity(im, tx).item()
    assert scores[0] == pytest.approx(expect, abs=1e-5)
    threshold = sorted(scores)[2]  # exactly the two highest pass
    spec = FiltersSpec.model_validate({"clip_score": {"enabled": True, "model": "tiny", "pretrained": "", "threshold": threshold, "tiny_threshold": threshold}, "near_duplicate": {"enabled": False}})
    stats = run_filters(recs, spec, FilterContext(root=tmp_path, tiny=True))
    kept = [r["id"] for r in recs if r["filters"] == "kept"]
    assert stats == {"clip_score": 2} and len(kept) == 2
    assert all(r["clip_score"] >= threshold for r in recs if r["filters"] == "kept")
    assert all(r["filters"].startswith("clip_score_below:") for r in recs if r["filters"] != "kept")
