"""Human review as a filter: review.jsonl → rejected_by_review, re-applied on a finished build, reported in the card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aobench.errors import AobenchError
from aobench.filters.review import REASON, apply_review, read_review
from aobench.io import read_jsonl
from conftest import run_cli


def recs(*states):
    return [{"id": f"i{n}", "filters": s} for n, s in enumerate(states)]


def write(path: Path, *rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_apply_review_marks_only_kept_rejections(tmp_path):
    records = recs("kept", "kept", "near_duplicate", "kept")
    review = write(tmp_path / "r.jsonl", {"id": "i0", "decision": "reject"}, {"id": "i1", "decision": "accept"},
                   {"id": "i2", "decision": "reject"}, "", {"id": "other", "decision": "reject"})
    stats = apply_review(records, review)
    assert [r["filters"] for r in records] == [REASON, "kept", "near_duplicate", "kept"]
    assert stats == {"reviewed": 3, "rejected": 1, "unknown": 1}


def test_last_decision_wins(tmp_path):
    review = write(tmp_path / "r.jsonl", {"id": "i0", "decision": "reject"}, {"id": "i0", "decision": "accept"})
    assert read_review(review) == {"i0": "accept"}


@pytest.mark.parametrize("line, needle", [
    ("{not json", "not valid JSON"),
    ('{"id": "i0", "decision": "maybe"}', "expected"),
    ('{"decision": "accept"}', "expected"),
    ('["i0", "accept"]', "expected"),
])
def test_bad_lines_name_file_and_line(tmp_path, line, needle):
    review = write(tmp_path / "r.jsonl", {"id": "i0", "decision": "accept"}, line)
    with pytest.raises(AobenchError, match=needle) as exc:
        read_review(review)
    assert f"{review}:2:" in str(exc.value)


def test_review_of_another_build_is_refused(tmp_path):
    review = write(tmp_path / "r.jsonl", {"id": "zzz", "decision": "reject"})
    with pytest.raises(AobenchError, match="none of its 1 ids"):
        apply_review(recs("kept"), review)


def test_missing_review_file(tmp_path):
    with pytest.raises(AobenchError, match="no such file"):
        read_review(tmp_path / "nope.jsonl")


def reapply(build_dir: Path, recipe: Path, review: Path):
    return run_cli("build", recipe, "--out", build_dir, "--review", review)


@pytest.mark.slow
def test_build_review_reapplies_on_complete_build(shapes_build, small_shapes_recipe, tmp_path):
    out = tmp_path / "b"
    shutil.copytree(shapes_build, out)
    manifest = list(read_jsonl(out / "manifest.jsonl"))
    kept = [r for r in manifest if r["filters"] == "kept"]
    review = write(tmp_path / "review.jsonl", {"id": kept[0]["id"], "decision": "reject"},
                   {"id": kept[1]["id"], "decision": "accept"}, {"id": kept[2]["id"], "decision": "reject"})
    proc = reapply(out, small_shapes_recipe, review)
    assert proc.returncode == 0, proc.stderr
    after = {r["id"]: r for r in read_jsonl(out / "manifest.jsonl")}
    assert after[kept[0]["id"]]["filters"] == REASON and after[kept[2]["id"]]["filters"] == REASON
    assert after[kept[1]["id"]]["filters"] == "kept"
    assert sum(r["filters"] == "kept" for r in after.values()) == len(kept) - 2
    card = (out / "README.md").read_text()
    assert "Human review: 3 images reviewed, 2 rejected." in card
    from datasets import load_from_disk

    dsd = load_from_disk(str(out / "hf"))
    ids = {i for split in dsd.values() for i in split["id"]}
    assert kept[0]["id"] not in ids and kept[1]["id"] in ids
    # a second review replaces the first: filters are recomputed from the images, not stacked
    write(review, {"id": kept[0]["id"], "decision": "accept"})
    assert reapply(out, small_shapes_recipe, review).returncode == 0
    after = {r["id"]: r for r in read_jsonl(out / "manifest.jsonl")}
    assert after[kept[0]["id"]]["filters"] == after[kept[2]["id"]]["filters"] == "kept"
    assert "Human review: 1 images reviewed, 0 rejected." in (out / "README.md").read_text()


def test_build_bad_review_is_one_line_error(shapes_build, small_shapes_recipe, tmp_path):
    out = tmp_path / "b"
    shutil.copytree(shapes_build, out)
    before = (out / "manifest.jsonl").read_bytes()
    review = write(tmp_path / "review.jsonl", {"id": "x", "decision": "accept"}, "oops")
    proc = reapply(out, small_shapes_recipe, review)
    assert proc.returncode == 2
    assert proc.stderr.strip() == proc.stderr.strip().splitlines()[0] and f"{review}:2:" in proc.stderr
    assert (out / "manifest.jsonl").read_bytes() == before
