"""`aobench build` end to end: outputs, resume after kill -9, determinism, bad input."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, cli, images_digest, run_cli


def test_small_shapes_build_outputs(shapes_build):
    out = shapes_build
    for name in ("recipe.lock.yaml", "pairs.jsonl", "manifest.jsonl", "README.md", "hf"):
        assert (out / name).exists(), name
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    by_split = {s: sum(r["split"] == s for r in rows) for s in ("train", "test_seen", "test_unusual")}
    assert by_split == {"train": 240, "test_seen": 120, "test_unusual": 2 * 36}  # 12x13 pairs, 36 held out
    assert {r["split"] for r in rows} == {"train", "test_seen", "test_unusual"}
    assert {"id", "attribute", "object", "prompt", "seed", "file", "split", "filters"} <= set(rows[0])
    assert all((out / r["file"]).exists() for r in rows)
    # train shows only seen pairs, test_unusual only held-out ones
    assert all(r["pair_status"] == "seen" for r in rows if r["split"] in ("train", "test_seen"))
    assert all(r["pair_status"] == "unusual" for r in rows if r["split"] == "test_unusual")
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert {"attribute", "object", "attribute_type", "status"} <= set(pairs[0])

    from datasets import Image, load_from_disk

    dsd = load_from_disk(str(out / "hf"))
    assert set(dsd) == {"train", "test_seen", "test_unusual"}
    assert isinstance(dsd["train"].features["image"], Image)
    kept = [r for r in rows if r["filters"] == "kept"]
    assert sum(len(d) for d in dsd.values()) == len(kept)
    first = dsd["train"][0]
    assert first["image"].size == (64, 64) and first["prompt"] and isinstance(first["seed"], int)

    # label columns are ClassLabels over the build's pairs: ids for load_dataset users, the same names in every split
    from datasets import ClassLabel

    from aobench.dataset.labels import read_columns

    feats = dsd["test_unusual"].features
    assert all(isinstance(feats[c], ClassLabel) for c in ("attribute", "object", "pair"))
    assert feats["pair"].names == sorted(f"{p['attribute']} {p['object']}" for p in pairs)
    assert dsd["train"].features["attribute"] == feats["attribute"]
    assert isinstance(first["attribute"], int) and feats["attribute"].int2str(first["attribute"]) == kept[0]["attribute"]
    names = read_columns(dsd["test_unusual"], ["attribute", "object", "pair"])
    want = [r for r in kept if r["split"] == "test_unusual"]
    assert names["attribute"] == [r["attribute"] for r in want] and names["object"] == [r["object"] for r in want]
    assert names["pair"] == [f"{r['attribute']} {r['object']}" for r in want]


def test_card_is_valid_hub_metadata(shapes_build):
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(shapes_build / "README.md")
    meta = card.data.to_dict()
    assert meta["license"] == "cc0-1.0"
    assert [c["config_name"] for c in meta["configs"]] == ["default"]
    assert {d["split"] for d in meta["configs"][0]["data_files"]} == {"train", "test_seen", "test_unusual"}
    assert "| train | 240 |" in card.text and "Abbasi" in card.text and "## Limitations" in card.text


def test_rerun_of_finished_build_does_nothing(shapes_build, small_shapes_recipe):
    before = images_digest(shapes_build)
    mtime = (shapes_build / "manifest.jsonl").stat().st_mtime_ns
    r = run_cli("build", small_shapes_recipe, "--out", shapes_build)
    assert r.returncode == 0 and "already complete; nothing to do" in r.stdout
    assert images_digest(shapes_build) == before and (shapes_build / "manifest.jsonl").stat().st_mtime_ns == mtime


def _kill_midway(args, log: Path, min_lines: int) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "aobench.cli", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_bytes().count(b"\n") >= min_lines:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed"


# kill -9 of a shapes-ao build, then a resume: test_faults.test_build_interrupted_and_killed_then_resumed_equals_uninterrupted
# (Ctrl-C and kill -9 at three points, a torn temp file, a resume with another batch size; compared by build_digest)


@pytest.mark.slow
def test_kill9_then_resume_equals_uninterrupted_imagenet_tiny(tmp_path, capsys):
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    args = ["build", "imagenet-ao", "--tiny", "--limit", "12"]
    # the reference and the resume run in this process; the run that is killed is a fresh interpreter
    code, _, err = cli(capsys, *args, "--out", ref, "--batch-size", "4")
    assert code == 0, err
    _kill_midway([*args, "--out", killed, "--batch-size", "1"], killed / ".aobench" / "generated.jsonl", 3)
    code, _, err = cli(capsys, *args, "--out", killed, "--batch-size", "3")
    assert code == 0, err
    assert images_digest(killed) == images_digest(ref)  # also: batch sizes 4 vs 1+3 gave identical images
    rows = [json.loads(line) for line in (ref / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and all("clip_score" in r for r in rows)  # the CLIP filter ran (tiny model)


def test_same_recipe_and_seed_same_dataset_other_seed_differs(tmp_path, small_shapes_recipe):
    from aobench.build import build

    build(str(small_shapes_recipe), tmp_path / "a", limit=20)
    build(str(small_shapes_recipe), tmp_path / "b", limit=20, batch_size=7)
    build(str(small_shapes_recipe), tmp_path / "c", limit=20, seed=1)
    assert images_digest(tmp_path / "a") == images_digest(tmp_path / "b")
    assert images_digest(tmp_path / "a")["images"] != images_digest(tmp_path / "c")["images"]


def test_shards_then_assemble_equal_single_run(tmp_path, small_shapes_recipe):
    from aobench.build import build

    build(str(small_shapes_recipe), tmp_path / "one", limit=30)
    assert build(str(small_shapes_recipe), tmp_path / "sh", limit=30, shard="0/2").status == "shard-done"
    assert not (tmp_path / "sh" / "manifest.jsonl").exists()
    assert build(str(small_shapes_recipe), tmp_path / "sh", limit=30, shard="1/2").status == "complete"
    assert images_digest(tmp_path / "sh") == images_digest(tmp_path / "one")


def _one_line_error(result):
    """The one error line of a refused `aobench build`: a subprocess's CompletedProcess or `cli`'s (code, stdout, stderr)."""
    code, out, err = (result.returncode, result.stdout, result.stderr) if hasattr(result, "returncode") else result
    assert code == 2, (code, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# bad input goes through the CLI app in this process; the first check also runs as a user's fresh interpreter
def test_bad_input_unknown_recipe(tmp_path, capsys):
    line = _one_line_error(run_cli("build", "imagenet-a0", "--out", tmp_path / "o"))
    assert "unknown recipe 'imagenet-a0'" in line and "shapes-ao" in line
    assert _one_line_error(cli(capsys, "build", "imagenet-a0", "--out", tmp_path / "o")) == line


def test_bad_input_yaml_syntax_and_unknown_field(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsplits: [\n")
    assert f"{bad}:" in _one_line_error(cli(capsys, "build", bad, "--out", tmp_path / "o"))
    bad.write_text("include: shapes-ao\ngenerator:\n  resolutoin: 32\n")
    line = _one_line_error(cli(capsys, "build", bad, "--out", tmp_path / "o"))
    assert "generator.resolutoin" in line and "resolution" in line


def test_bad_input_out_dir_of_another_recipe_refused_unless_force(tmp_path, small_shapes_recipe, capsys):
    from aobench.build import build

    out = tmp_path / "o"
    build(str(small_shapes_recipe), out, limit=5)
    before = images_digest(out)
    capsys.readouterr()  # the build's own lines
    line = _one_line_error(cli(capsys, "build", small_shapes_recipe, "--out", out, "--seed", "3", "--limit", "5"))
    assert "different recipe" in line and "--force" in line
    assert images_digest(out) == before  # nothing touched
    code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--seed", "3", "--limit", "5", "--force")
    assert code == 0 and images_digest(out) != before, err


def test_bad_input_model_path_missing(tmp_path, capsys):
    rec = tmp_path / "r.yaml"
    rec.write_text(f"include: imagenet-ao\ngenerator:\n  model: {tmp_path / 'no-such-model'}\n")
    line = _one_line_error(cli(capsys, "build", rec, "--out", tmp_path / "o", "--limit", "2"))
    assert "model path does not exist" in line and "no-such-model" in line


def test_a_gpu_this_machine_lacks_is_refused_before_anything_is_written(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    line = _one_line_error(cli(capsys, "build", "shapes-ao", "--out", tmp_path / "o", "--limit", "4", "--device", "cuda"))
    assert "--device cuda: no CUDA device" in line
    assert not (tmp_path / "o").exists()


def test_a_procedural_build_does_not_import_torch(tmp_path):
    # torch costs ~4 CPU-seconds a process; shapes-ao needs it only for a CLIP filter ("auto" is resolved there)
    code = f"import sys; from aobench.build import build; build('shapes-ao', {str(tmp_path / 'b')!r}, limit=4); print('torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "b" / "hf").is_dir()


def test_bad_input_bad_shard_flag(tmp_path, small_shapes_recipe, capsys):
    assert "--shard" in _one_line_error(cli(capsys, "build", small_shapes_recipe, "--out", tmp_path / "o", "--shard", "2/2"))
