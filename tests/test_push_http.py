"""`aobench push` through the real huggingface_hub client, over HTTP, against the loopback Hub (`hub` fixture, `HF_ENDPOINT`).

The server (tests/fixtures/hub.py) speaks the endpoints the client calls: repo creation, the tree listing, file
resolve, YAML validation, preupload, the LFS batch API, branches, and the commit (applied whole or not at all).
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import yaml

from conftest import HUB_TOKEN as TOKEN
from conftest import LoopbackHub as Hub
from conftest import cli, free_port, run_cli


def _rows(ds) -> list[dict]:
    from datasets import Image

    return [dict(r, image=r["image"]["bytes"]) for r in ds.cast_column("image", Image(decode=False)).to_list()]


def _error(err: str) -> str:
    """The one error line (the real client also draws its upload bars on stderr); no traceback."""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    return lines[0]


def _lfs_files(hub: Hub, repo_id: str) -> set:
    return {p for (r, p) in hub.lfs_paths if r == repo_id and p in hub.files(repo_id)}


def test_push_over_http_creates_validates_uploads_and_commits_once(hub, push_build, tmp_path, capsys):
    from datasets import load_dataset, load_from_disk
    from huggingface_hub import DatasetCard

    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/shapes-small", "--private")
    assert code == 0, err
    assert "alice/shapes-small: pushed 8 files" in out
    assert hub.private == {"alice/shapes-small": True}
    files = hub.files("alice/shapes-small")
    shards = ["data/test_seen-00000-of-00001.parquet", "data/test_unusual-00000-of-00001.parquet", "data/train-00000-of-00001.parquet",
              "foils/train-00000-of-00001.parquet", "pairs/train-00000-of-00001.parquet", "real/real-00000-of-00001.parquet"]  # fmt: skip
    assert sorted(files) == [".gitattributes", "README.md", "aobench.json", *shards]
    # the card went through the Hub's YAML validation before anything was uploaded, and is what landed
    assert hub.validated == [files["README.md"].decode()]
    first_upload = next(i for i, (m, p) in enumerate(hub.requests) if m == "PUT")
    assert hub.requests.index(("POST", "/api/validate-yaml")) < first_upload
    assert ("POST", "/api/datasets/alice/shapes-small/preupload/main") in hub.requests
    # Parquet shards went through LFS (one PUT each), the card and aobench.json inline, all in one commit
    assert _lfs_files(hub, "alice/shapes-small") == set(shards)
    assert sorted(hub.uploads) == sorted(hashlib.sha256(files[p]).hexdigest() for p in shards)
    assert len(hub.commits) == 1 and sorted(hub.commits[0][3]) == ["file", "file"] + ["lfsFile"] * len(shards)

    repo = hub.materialise("alice/shapes-small", tmp_path / "clone")
    meta = DatasetCard.load(repo / "README.md").data.to_dict()
    card = files["README.md"].decode()
    assert meta["license"] == "cc0-1.0" and meta["task_categories"] == ["zero-shot-image-classification"] and meta["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in meta["configs"]] == ["default", "pairs", "foils", "real"]
    assert meta["configs"][0]["data_files"] == [{"split": s, "path": f"data/{s}-*"} for s in ("train", "test_seen", "test_unusual")]
    assert {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]} == {"train": 240, "test_seen": 120, "test_unusual": 72}
    assert 'load_dataset("alice/shapes-small")' in card and "aobench eval alice/shapes-small --model " in card and "<owner>" not in card
    assert json.loads(files["aobench.json"])["fingerprint"] == yaml.safe_load((push_build / "recipe.lock.yaml").read_text())["fingerprint"]

    # what landed loads with datasets (configs from the card's YAML) and gives the build's rows, images included
    built, pushed = load_from_disk(str(push_build / "hf")), load_dataset(str(repo))
    assert list(pushed) == ["train", "test_seen", "test_unusual"]
    for split in built:
        assert _rows(pushed[split]) == _rows(built[split])
    # the Hub copy keeps the ClassLabel columns (ids + names), in the parquet files and the card's dataset_info
    by_files = load_dataset("parquet", data_files={"test_unusual": str(repo / "data" / "test_unusual-*.parquet")})
    for col in ("attribute", "object", "pair"):
        assert pushed["test_unusual"].features[col] == by_files["test_unusual"].features[col] == built["test_unusual"].features[col]
    names = [f["name"] for f in meta["dataset_info"]["features"]]
    assert "class_label" in meta["dataset_info"]["features"][names.index("pair")]["dtype"]
    assert len(load_dataset(str(repo), "pairs")["train"]) == sum(1 for _ in open(push_build / "pairs.jsonl"))
    assert load_dataset(str(repo), "foils")["train"]["foil"] == ["a cube red", "a red ring"]
    assert load_dataset(str(repo), "real")["real"]["id"] == built["test_seen"]["id"][:5]

    # the same build again: a listing and an aobench.json download, nothing sent
    hub.requests.clear()
    code, out, _ = cli(capsys, "push", push_build, "--repo-id", "alice/shapes-small")
    assert code == 0 and "already holds this build" in out
    assert not [r for r in hub.requests if r[0] in ("POST", "PUT")] and len(hub.commits) == 1


def test_dry_run_sends_nothing(hub, push_build, capsys):
    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/shapes-small", "--dry-run")
    assert code == 0, err
    assert hub.requests == [] and hub.repos == {}
    assert "data/train-00000-of-00001.parquet" in out and "README.md" in out and "aobench.json" in out
    assert "config_name: default" in out and 'load_dataset("alice/shapes-small")' in out  # the card is shown
    assert "nothing uploaded" in out


def test_server_error_mid_commit_leaves_repo_untouched_and_rerun_sends_only_what_is_missing(hub, push_build, capsys):
    hub.refuse_put_after = 1  # the object store takes one shard, then refuses the rest
    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/s")
    assert code == 2 and "nothing was committed" in _error(err) and "rerun the same command" in _error(err)
    assert hub.files("alice/s") == {".gitattributes": hub.files("alice/s")[".gitattributes"]} and hub.commits == []
    sent_first = list(hub.uploads)
    assert len(sent_first) == 1

    hub.refuse_put_after = None
    hub.fail_commit = 500  # every shard uploads, then the commit itself fails on the server
    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/s")
    assert code == 2 and "nothing was committed" in _error(err)
    assert "README.md" not in hub.files("alice/s") and hub.commits == []  # no half commit: no card, no shard
    assert len(hub.uploads) == 6 and hub.uploads[0] == sent_first[0]  # the blob already there was not sent again

    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/s")
    assert code == 0, err
    assert len(hub.uploads) == 6 == len(set(hub.uploads))  # the rerun sent no blob: all were on the Hub already
    assert len(hub.commits) == 1 and "README.md" in hub.files("alice/s")
    for text in (out, err):
        assert TOKEN not in text


def test_refuses_a_different_build_without_force_over_http(hub, push_build, tmp_path, capsys):
    assert cli(capsys, "push", push_build, "--repo-id", "alice/s")[0] == 0
    other = tmp_path / "other"
    shutil.copytree(push_build, other)
    lock = yaml.safe_load((other / "recipe.lock.yaml").read_text())
    lock["fingerprint"] = "0123456789abcdef"  # stands in for a build of another recipe
    (other / "recipe.lock.yaml").write_text(yaml.safe_dump(lock))
    (other / ".aobench" / "complete").write_text("0123456789abcdef\n")
    (other / "foils.jsonl").unlink()
    shutil.rmtree(other / "real")

    hub.requests.clear()
    code, _, err = cli(capsys, "push", other, "--repo-id", "alice/s")
    assert code == 2 and "different build" in _error(err) and "--force" in err
    assert not [r for r in hub.requests if r[0] in ("POST", "PUT")] and len(hub.commits) == 1  # refused before any write

    code, _, err = cli(capsys, "push", other, "--repo-id", "alice/s", "--force")
    assert code == 0, err
    files = hub.files("alice/s")
    assert json.loads(files["aobench.json"])["fingerprint"] == "0123456789abcdef"
    assert not any(p.startswith(("foils/", "real/")) for p in files)  # the old build's files, deleted in the same commit
    assert hub.commits[-1][3].count("deletedFile") == 2

    # a repo holding files aobench did not push: refused, then --force leaves those files alone
    hub.repos["bob/notes"] = {"main": {".gitattributes": b"", "notes.txt": b"mine"}}
    code, _, err = cli(capsys, "push", push_build, "--repo-id", "bob/notes")
    assert code == 2 and "not pushed by aobench" in _error(err)
    assert cli(capsys, "push", push_build, "--repo-id", "bob/notes", "--force")[0] == 0
    assert hub.files("bob/notes")["notes.txt"] == b"mine"


def test_invalid_card_metadata_is_refused_by_the_hub_before_any_upload(hub, push_build, capsys):
    card = push_build / "README.md"
    card.write_text(card.read_text().replace("license: cc0-1.0", "license: free-for-all", 1))
    code, _, err = cli(capsys, "push", push_build, "--repo-id", "alice/s")
    assert code == 2 and "Invalid metadata in README.md" in _error(err) and "free-for-all" in _error(err)
    assert hub.uploads == [] and hub.commits == []


def test_branch_and_pull_request_over_http(hub, push_build, capsys):
    assert cli(capsys, "push", push_build, "--repo-id", "alice/s", "--revision", "v1")[0] == 0
    assert "README.md" in hub.files("alice/s", "v1") and "README.md" not in hub.files("alice/s")
    code, out, _ = cli(capsys, "push", push_build, "--repo-id", "alice/s", "--create-pr")
    assert code == 0 and "/discussions/" in out
    assert hub.commits[-1][1].startswith("refs/pr/") and "README.md" not in hub.files("alice/s")


def test_wrong_token_is_one_line(hub, push_build, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_someoneElsesToken0000000000000000")
    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/s")
    assert code == 2 and "not authorised" in _error(err)
    assert "hf_someoneElsesToken" not in out + err and hub.repos == {}


def test_unreachable_endpoint_is_one_line(push_build, tmp_path, monkeypatch, capsys):
    from huggingface_hub import constants

    port = free_port()  # nothing listens there
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/s")
    assert code == 2 and f"127.0.0.1:{port}" in _error(err)
    assert "Traceback" not in out + err and TOKEN not in out + err


def test_offline_is_one_line(hub, push_build, monkeypatch, capsys):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/s")
    assert code == 2 and "HF_HUB_OFFLINE" in _error(err) and "--dry-run" in err
    assert hub.requests == []


@pytest.mark.slow
def test_push_as_a_user_runs_it(hub, push_build, monkeypatch):
    """A fresh interpreter that reads HF_ENDPOINT, HF_HUB_DISABLE_XET and the token from its environment only."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    r = run_cli("push", push_build, "--repo-id", "bob/shapes")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "bob/shapes: pushed" in r.stdout and len(hub.commits) == 1
    assert hub.validated and _lfs_files(hub, "bob/shapes")
