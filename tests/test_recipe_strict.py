"""Recipes (issue 20.7): a key given twice is refused with the key and its line; `--batch-size` stays out of the lock."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from aobench import recipe
from aobench.errors import AobenchError
from conftest import cli


def _write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_duplicate_top_level_key_names_key_and_both_lines(tmp_path):
    p = _write(tmp_path, "include: shapes-ao\nname: first\nseed: 3\nname: second\n")
    with pytest.raises(AobenchError) as e:
        recipe.load(p)
    assert str(e.value) == f"{p}:4: duplicate key 'name' (first at line 2) — keep one of them"


def test_duplicate_nested_key_and_in_a_flow_mapping(tmp_path):
    p = _write(tmp_path, "include: shapes-ao\ngenerator:\n  steps: 2\n  backend: procedural\n  steps: 3\n")
    with pytest.raises(AobenchError, match=r"r.yaml:5: duplicate key 'steps' \(first at line 3\)"):
        recipe.load(p)
    p = _write(tmp_path, "include: shapes-ao\nsplits:\n  - {name: a, images: 4, name: b}\n")
    with pytest.raises(AobenchError, match=r"r.yaml:3: duplicate key 'name' \(first at line 3\)"):
        recipe.load(p)


def test_equal_keys_in_different_mappings_and_merge_keys_are_fine(tmp_path):
    p = _write(tmp_path, "include: shapes-ao\nname: ok\nbase: &b {steps: 2}\ngenerator:\n  <<: *b\n  steps: 3\n")
    data, _ = recipe.load_data(p)
    assert data["generator"]["steps"] == 3  # a merge key is overridden, as YAML defines
    p = _write(tmp_path, "include: shapes-ao\nname: ok2\nsplits:\n  - {name: a, images_per_pair: 1}\n  - {name: b, images_per_pair: 1}\n")
    assert recipe.load(p).split_names() == ["a", "b"]


def test_duplicate_key_in_a_vocab_file(tmp_path):
    from aobench.vocab import load_attributes

    p = _write(tmp_path, "attributes:\n  colour: [red, blue]\n  colour: [green]\n", "attrs.yaml")
    with pytest.raises(AobenchError, match=r"attrs.yaml:3: duplicate key 'colour' \(first at line 2\)"):
        load_attributes(str(p))


def test_the_cli_prints_it_in_one_line(tmp_path, capsys):
    p = _write(tmp_path, "include: shapes-ao\nname: a\nname: b\n")
    code, _, err = cli(capsys, "build", p, "--out", tmp_path / "o")
    assert code == 2 and err.strip() == f"error: {p}:3: duplicate key 'name' (first at line 2) — keep one of them"
    assert not (tmp_path / "o").exists()


def _tree(root: Path) -> dict:
    """Every file a user reads, byte for byte (hf/ by its Arrow data); the lock dir and run state left out."""
    from datasets import Image, load_from_disk

    out = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
           if p.is_file() and p.relative_to(root).parts[0] not in ("hf", ".aobench", ".aobench-locks")}  # fmt: skip
    dsd = load_from_disk(str(root / "hf"))
    out["hf"] = {s: [(r["id"], hashlib.sha256(r["image"]["bytes"]).hexdigest()) for r in ds.cast_column("image", Image(decode=False))] for s, ds in dsd.items()}
    return out


def test_builds_differing_only_in_batch_size_are_byte_identical_lock_included(tmp_path, small_shapes_recipe):
    from aobench.build import build

    build(str(small_shapes_recipe), tmp_path / "a", limit=20, batch_size=1)
    build(str(small_shapes_recipe), tmp_path / "b", limit=20, batch_size=7)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b and "recipe.lock.yaml" in a
    lock = yaml.safe_load((tmp_path / "a" / "recipe.lock.yaml").read_text())
    assert "batch_size" not in lock["recipe"]["generator"] and "batch_size" not in lock["recipe"]["filters"]["clip_score"]
    # and the lock still validates (the run-time fields take their defaults when read back)
    from aobench.artifacts import BuildDir

    assert BuildDir(tmp_path / "a").lock.generator.batch_size == recipe.GeneratorSpec().batch_size
    # a rerun with another --batch-size is the same build: nothing to do
    assert build(str(small_shapes_recipe), tmp_path / "a", limit=20, batch_size=3).status == "already-complete"
