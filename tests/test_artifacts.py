"""BuildDir owns the build layout: paths, the validated lock, rows, split order, completion checks."""

from __future__ import annotations

import shutil

import pytest
import yaml

from aobench.artifacts import HF_COLUMNS, MANIFEST_FIELDS, BuildDir, image_file
from aobench.errors import AobenchError
from aobench.recipe import Recipe


def test_finished_build_reads_through_one_object(shapes_build):
    bd = BuildDir(shapes_build)
    assert bd.is_complete() and bd.missing() == []
    assert bd.require_complete() is bd
    assert isinstance(bd.lock, Recipe) and bd.lock.name == "shapes-ao-small"
    assert bd.fingerprint == bd.lock.fingerprint() == bd.completed_fingerprint()
    assert bd.build_options == {"limit": None, "tiny": False}
    assert bd.split_names() == ["train", "test_seen", "test_unusual"]
    rows = bd.manifest()
    assert rows and set(MANIFEST_FIELDS) | {"filters"} <= set(rows[0])
    assert all((shapes_build / r["file"]).is_file() for r in rows[:5])
    assert rows[0]["file"] == image_file(rows[0]["split"], rows[0]["id"])
    pairs = bd.pairs()
    assert {p["status"] for p in pairs} == {"seen", "unusual"}
    from datasets import load_from_disk

    dsd = load_from_disk(str(bd.hf_dir))
    assert list(dsd) == bd.split_names()
    assert dsd["train"].column_names == list(bd.columns) == [*HF_COLUMNS, "image"]


def test_split_order_keeps_recipe_order_then_extra_splits(shapes_build):
    bd = BuildDir(shapes_build)
    assert bd.split_names(["real", "test_unusual", "train"]) == ["train", "test_unusual", "real"]


def test_require_complete_says_why_not(tmp_path, shapes_build):
    with pytest.raises(AobenchError, match="not a directory"):
        BuildDir(tmp_path / "nope").require_complete()
    with pytest.raises(AobenchError, match="not an aobench build"):
        BuildDir(tmp_path).require_complete()
    copy = tmp_path / "b"
    shutil.copytree(shapes_build, copy)
    (copy / ".aobench" / "complete").unlink()
    with pytest.raises(AobenchError, match=r"not finished \(missing \.aobench/complete\).*resumable"):
        BuildDir(copy).require_complete()
    (copy / ".aobench" / "complete").write_text("0123456789abcdef\n")
    with pytest.raises(AobenchError, match="fingerprint .* does not match the finished build"):
        BuildDir(copy).require_complete()


def test_lock_errors_are_one_line_and_name_the_file(tmp_path):
    bd = BuildDir(tmp_path)
    with pytest.raises(AobenchError, match="no recipe.lock.yaml"):
        bd.lock
    bd.lock_path.write_text("recipe: [unclosed\n")
    with pytest.raises(AobenchError, match=r"recipe.lock.yaml: unreadable \(.+\) — rebuild"):
        bd.lock
    bd.write_lock(yaml.safe_dump({"recipe": {"name": "x", "splits": [{"name": "a", "images": 0}]}}))
    with pytest.raises(AobenchError, match=r"invalid recipe .*recipe.lock.yaml: splits.0.images"):
        bd.lock
    # a lock names a plugin backend that is not installed here: the build can still be read
    bd.write_lock(yaml.safe_dump({"recipe": {"name": "x", "generator": {"backend": "not-installed-here"}}}))
    assert bd.lock.generator.backend == "not-installed-here"


def test_manifest_errors_name_the_file(tmp_path):
    bd = BuildDir(tmp_path)
    bd.manifest_path.write_text('{"id": 1}\n{oops\n')
    with pytest.raises(AobenchError, match="manifest.jsonl: not valid JSON lines"):
        bd.manifest()


def test_generation_logs_one_per_shard(tmp_path):
    bd = BuildDir(tmp_path)
    assert bd.generation_log().name == "generated.jsonl"
    assert bd.generation_log((1, 4)).name == "generated.shard-1-of-4.jsonl"
    for p in (bd.generation_log((1, 4)), bd.generation_log()):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    assert [p.name for p in bd.generation_logs()] == ["generated.jsonl", "generated.shard-1-of-4.jsonl"]
