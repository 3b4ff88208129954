"""The small shared helpers: shard and number-list syntax, path detection, exception one-liners, seeds."""

from __future__ import annotations

import hashlib
import random

import pytest

from aobench.errors import AobenchError, one_line
from aobench.options import parse_floats, parse_shard
from aobench.paths import CHECKPOINT_SUFFIXES, is_hub_id, is_local, looks_like_path
from aobench.seeds import image_seed, random_for, rng_for, stable_int


def test_parse_shard_one_rule_set():
    assert parse_shard(None) is None and parse_shard("") is None
    assert parse_shard("0/4") == (0, 4) and parse_shard(" 3 / 4 ") == (3, 4)
    for bad in ("4/4", "1/0", "-1/4", "a/b", "1", "1/2/3"):
        with pytest.raises(AobenchError, match=r"--shard '.*': expected i/n with 0 <= i < n"):
            parse_shard(bad)


def test_parse_floats_bounds_and_errors():
    assert parse_floats("0.15, 0.3,", "--nmi", "0.15,0.3") == [0.15, 0.3]
    assert parse_floats(None, "--nmi", "0.1") is None
    with pytest.raises(AobenchError, match=r"--x '0,2': expected comma-separated numbers in \[0, 1\], e.g. 0,1"):
        parse_floats("0,2", "--x", "0,1", 0, 1)
    for bad in ("", "abc", ",,"):
        with pytest.raises(AobenchError, match="expected comma-separated numbers"):
            parse_floats(bad, "--x", "1")


def test_looks_like_path_known_answers():
    for p in ("/abs/x", "./x", "../x", "~/x", "a/b/c", "ckpt.pt"):
        assert looks_like_path(p, CHECKPOINT_SUFFIXES), p
    for name in ("imagenet", "laion2b_s34b_b79k", "org/name", "stabilityai/sdxl-turbo"):
        assert not looks_like_path(name, CHECKPOINT_SUFFIXES), name
    assert looks_like_path("r.yaml", (".yaml",)) and not looks_like_path("r.yaml")
    assert looks_like_path("data/caps.txt") and looks_like_path(".hidden") and looks_like_path("a b/c")


def test_hub_ids_versus_local_files():
    for hub in ("org/name", "hf:org/name", "hf:squad"):
        assert is_hub_id(hub), hub
    for local in ("captions.txt", "captions", "./org/name", "org/name/x", "org/caps.jsonl"):
        assert not is_hub_id(local), local


def test_is_local_also_counts_existing_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not is_local("org/name")
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "name").mkdir()
    assert is_local("org/name")


def test_one_line():
    assert one_line(ValueError("first\nsecond")) == "first"
    assert one_line(ValueError("\n  padded\nmore")) == "padded"
    assert one_line(KeyError()) == "KeyError"


def test_seeds_known_answers():
    # pinned values: a change here changes every image, pair sample and foil aobench makes
    expect = int.from_bytes(hashlib.sha256(b"0|test|red|car|0").digest()[:8], "little") & ((1 << 62) - 1)
    assert image_seed(0, "test", "red", "car", 0) == stable_int(0, "test", "red", "car", 0, bits=62) == expect
    assert rng_for(1, "x").integers(1 << 30) == rng_for(1, "x").integers(1 << 30)
    legacy = random.Random(int.from_bytes(hashlib.sha256(b"7|row-1|attribute").digest()[:8], "big"))
    assert random_for(7, "row-1", "attribute").random() == legacy.random()
