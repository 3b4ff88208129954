"""`aobench push --revision NEW`: a new branch starts as a copy of main, whose shards must not leak into ours."""

from __future__ import annotations

from pathlib import Path

from conftest import HUB_TOKEN


def test_new_branch_drops_mains_stale_shards(hub, build_copy, tmp_path):
    from datasets import load_dataset, load_from_disk

    from aobench.dataset.hub import push

    build = build_copy
    # main holds the same build cut into more shards (as a bigger --max-shard-bytes-era push would leave it)
    push(build, "alice/s", max_shard_bytes=200_000)
    main_train = sorted(p for p in hub.files("alice/s") if p.startswith("data/train-"))
    assert len(main_train) > 1

    res = push(build, "alice/s", revision="v1")
    assert res.status == "pushed"
    v1 = hub.files("alice/s", "v1")
    assert sorted(p for p in v1 if p.startswith("data/train-")) == ["data/train-00000-of-00001.parquet"]
    assert hub.files("alice/s").keys() >= set(main_train)  # main itself is untouched

    built = load_from_disk(str(build / "hf"))
    pushed = load_dataset(str(hub.materialise("alice/s", tmp_path / "clone", "v1")))  # default checks: split sizes match the card
    assert {s: len(d) for s, d in pushed.items()} == {s: len(d) for s, d in built.items()}
    assert pushed["train"]["id"] == built["train"]["id"]
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert HUB_TOKEN.encode() not in path.read_bytes(), path
