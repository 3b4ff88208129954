"""Faults and bad input as a user meets them (issue 12), mostly through the CLI in subprocesses.

Ctrl-C (SIGINT) and kill -9 at several points of build, nmi and eval, then a rerun that must equal an
uninterrupted run byte for byte; two builds into one dir; damaged corpora of every supported format;
outputs that cannot be written; the one-line messages. Fault points are found by polling for files or
progress lines (AOBENCH_PROGRESS_INTERVAL=0 prints one per update); nothing asserts on time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aobench.errors import AobenchError
from conftest import SMALL_SHAPES, build_digest, cli, run_cli

INTERRUPTED = "interrupted; rerun the same command to resume"


# ---------------------------------------------------------------- helpers


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Proc:
    """A CLI process whose output goes to files (polled while it runs; a full pipe would stall it)."""

    count = 0

    def __init__(self, tmp: Path, *args, env: dict | None = None):
        Proc.count += 1
        self.out, self.err = tmp / f"proc-{Proc.count}.out", tmp / f"proc-{Proc.count}.err"
        env = {**os.environ, "AOBENCH_PROGRESS_INTERVAL": "0", **(env or {})}
        with open(self.out, "w") as o, open(self.err, "w") as e:
            self.proc = subprocess.Popen([sys.executable, "-m", "aobench.cli", *map(str, args)], stdout=o, stderr=e, env=env)

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def wait_until(self, ready) -> None:
        """Poll until `ready()`; fail if the process ends first (the fault point was never reached)."""
        deadline = time.monotonic() + 600  # a safety net for a hung run, not a speed assertion
        while not ready():
            assert self.proc.poll() is None, f"the run ended before the fault point:\n{self.stderr()[-2000:]}"
            assert time.monotonic() < deadline, "fault point not reached"
            time.sleep(0.01)

    def kill(self, sig: int) -> int:
        assert self.proc.poll() is None, "the run ended before it could be signalled"
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=600)

    def wait(self) -> int:
        return self.proc.wait(timeout=600)


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _interrupted_cleanly(p: Proc, code: int) -> None:
    err = p.stderr()
    assert code == 130, (code, err[-2000:])
    assert err.rstrip().splitlines()[-1] == INTERRUPTED and "Traceback" not in err, err[-2000:]


def _one_line_error(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def dir_bytes(root: Path, skip: tuple = ()) -> dict:
    """Every file under root (but `skip`ped folders and the kernel locks of the run that wrote it) → its hash."""
    skip = (*skip, ".aobench-locks")
    return {str(p.relative_to(root)): _sha(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file() and not str(p.relative_to(root)).startswith(skip)}


def _captions(path: Path, n: int, seed: int) -> Path:
    import random

    rng = random.Random(seed)
    cols = ["red", "green", "blue", "yellow", "purple", "orange", "pink", "striped", "dotted", "small", "large"]
    shapes = ["circle", "square", "triangle", "star", "heart", "cross", "diamond", "hexagon"]
    path.write_text("".join(f"a {rng.choice(cols)} {rng.choice(shapes)} next to a {rng.choice(cols)} {rng.choice(shapes)}\n" for _ in range(n)))
    return path


# ---------------------------------------------------------------- 1. --limit builds that load


def test_limit_plan_is_proportional_deterministic_and_a_subset():
    from aobench.generate.plan import limit_plan, plan
    from aobench.pairs import select_pairs
    from aobench.recipe import load
    from aobench.vocab import load_vocab

    recipe = load("shapes-ao")
    items = plan(recipe, select_pairs(recipe, load_vocab(recipe.vocab), []))
    full = {s.name: sum(i.split == s.name for i in items) for s in recipe.splits}
    assert full == {"train": 3000, "test_seen": 360, "test_unusual": 216}

    def split_counts(limit):
        got = limit_plan(items, limit)
        return {s: sum(i.split == s for i in got) for s in full}

    # shares 24 x (3000, 360, 216)/3576 = 20.1, 2.4, 1.45: floors 20, 2, 1 and the largest remainder to test_unusual
    assert split_counts(24) == {"train": 20, "test_seen": 2, "test_unusual": 2}
    assert split_counts(300) == {"train": 252, "test_seen": 30, "test_unusual": 18}
    assert split_counts(2) == {"train": 1, "test_seen": 1, "test_unusual": 0}  # one each while the budget lasts
    assert split_counts(3) == {"train": 1, "test_seen": 1, "test_unusual": 1}
    got = limit_plan(items, 24)
    assert got == limit_plan(items, 24)  # deterministic
    order = {i.id: n for n, i in enumerate(items)}
    assert [order[i.id] for i in got] == sorted(order[i.id] for i in got)  # plan order, same ids/seeds as the full plan
    assert len({(i.attribute, i.object) for i in got if i.split == "train"}) == 20  # spread over pairs, not the first pair's images
    assert limit_plan(items, 10**6) == items


@pytest.mark.slow
def test_limit_24_build_loads_evaluates_exports_and_dry_run_pushes(tmp_path, capsys):
    from datasets import load_from_disk

    # build, eval and push in this process (each has its own subprocess tests); export is this one's fresh interpreter
    out = tmp_path / "S"
    code, _, err = cli(capsys, "build", "shapes-ao", "--limit", "24", "--out", out)
    assert code == 0, err
    dsd = load_from_disk(str(out / "hf"))
    assert {s: len(d) for s, d in dsd.items()} == {"train": 20, "test_seen": 2, "test_unusual": 2}
    code, _, err = cli(capsys, "eval", out, "--model", "tiny", "--out", tmp_path / "E", "--no-cache")
    assert code == 0, err
    assert len(list((tmp_path / "E").glob("*.json"))) >= 3 and (tmp_path / "E" / "results.csv").exists()
    r = run_cli("export", out, "--format", "webdataset", "--out", tmp_path / "W")
    assert r.returncode == 0, r.stderr
    assert list((tmp_path / "W").rglob("*.tar"))
    code, stdout, err = cli(capsys, "push", out, "--repo-id", "me/shapes-limit", "--dry-run")
    assert code == 0 and "dry run: would push" in stdout, err


def test_a_split_with_no_images_is_left_out_and_said(tmp_path, small_shapes_recipe, capsys):
    from datasets import load_from_disk
    from huggingface_hub import DatasetCard

    out = tmp_path / "b"
    code, stdout, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--limit", "2")
    assert code == 0, err
    assert "note: no images in split(s) test_unusual: left out of" in stdout
    dsd = load_from_disk(str(out / "hf"))  # loads: no split without an Arrow file
    assert {s: len(d) for s, d in dsd.items()} == {"train": 1, "test_seen": 1}
    card = DatasetCard.load(out / "README.md")
    assert [f["split"] for f in card.data.to_dict()["configs"][0]["data_files"]] == ["train", "test_seen"]


# ---------------------------------------------------------------- 2. Ctrl-C: exit 130, one line


@pytest.mark.parametrize(
    "target, args",
    [
        ("aobench.build.build", ["build", "shapes-ao", "--out", "{tmp}/b"]),
        ("aobench.text.analyze.run_nmi", ["nmi", "x.txt", "--out", "{tmp}/n"]),
        ("aobench.evaluate.evaluate", ["eval", "{tmp}", "--model", "tiny", "--out", "{tmp}/e"]),
        ("aobench.text.engine.extract_to_jsonl", ["extract", "x.txt", "--out", "{tmp}/x.jsonl"]),
    ],
)
def test_ctrl_c_in_any_command_exits_130_with_one_line(target, args, tmp_path, monkeypatch, capsys):
    import importlib

    module, name = target.rsplit(".", 1)

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module(module), name, interrupted)
    code, _, err = cli(capsys, *[a.format(tmp=tmp_path) for a in args])
    assert code == 130 and err.strip() == INTERRUPTED


def test_end_of_input_is_a_user_error_not_an_interrupt(tmp_path, monkeypatch, capsys):
    import aobench.text.analyze as analyze

    def eof(*a, **k):
        raise EOFError("Compressed file ended before the end-of-stream marker was reached")

    monkeypatch.setattr(analyze, "run_nmi", eof)
    code, _, err = cli(capsys, "nmi", "x.txt.gz", "--out", tmp_path / "n")
    assert "end-of-stream" in _one_line_error(code, err)


# ---------------------------------------------------------------- faults during build, nmi, eval → byte-identical reruns


@pytest.mark.slow
def test_build_interrupted_and_killed_then_resumed_equals_uninterrupted(tmp_path, small_shapes_recipe, capsys):
    from aobench.build import build

    ref, out = tmp_path / "ref", tmp_path / "out"
    build(str(small_shapes_recipe), ref)
    log = out / ".aobench" / "generated.jsonl"
    args = ["build", small_shapes_recipe, "--out", out, "--batch-size", "1"]

    p = Proc(tmp_path, *args)  # Ctrl-C early in generation
    p.wait_until(lambda: _lines(log) >= 10)
    _interrupted_cleanly(p, p.kill(signal.SIGINT))
    assert "generating" in p.stderr()  # plain progress lines, stderr being a file

    p = Proc(tmp_path, *args)  # kill -9 later in generation
    p.wait_until(lambda: _lines(log) >= 150)
    assert p.kill(signal.SIGKILL) == -signal.SIGKILL
    assert not (out / "manifest.jsonl").exists()
    # a writer killed between its temp file and the rename leaves this behind; the resume sweeps it
    (out / "images" / "train" / ".train-red-circle-00000.png.k1ll3d.tmp").write_bytes(b"half an image")

    p = Proc(tmp_path, *args)  # Ctrl-C once generation is done, while (or after) assembling: either is fine
    p.wait_until(lambda: _lines(log) >= 400)
    p.proc.send_signal(signal.SIGINT)
    assert p.wait() in (0, 130), p.stderr()

    # the reference and the resume run in this process: only the runs that are signalled need their own interpreter
    code, _, err = cli(capsys, *args[:-2], "--batch-size", "16")
    assert code == 0, err
    assert build_digest(out) == build_digest(ref)


@pytest.mark.slow
def test_nmi_interrupted_and_killed_then_resumed_equals_uninterrupted(tmp_path, capsys):
    corpora = [_captions(tmp_path / f"c{i}.txt", 1500, i) for i in range(3)]
    args = ["--vocab", "shapes-ao", "--bootstrap", "20"]
    ref, out = tmp_path / "ref", tmp_path / "out"
    code, _, err = cli(capsys, "nmi", *corpora, "--out", ref, *args)  # the uninterrupted reference: in this process
    assert code == 0, err

    p = Proc(tmp_path, "nmi", *corpora, "--out", out, *args)  # Ctrl-C while the first corpus is being read
    p.wait_until(lambda: "extracting:" in p.stderr())
    _interrupted_cleanly(p, p.kill(signal.SIGINT))

    p = Proc(tmp_path, "nmi", *corpora, "--out", out, *args)  # kill -9 after one corpus's counts are saved
    p.wait_until(lambda: len(list((out / "shards").glob("*.json"))) >= 1)
    assert p.kill(signal.SIGKILL) == -signal.SIGKILL

    code, _, err = cli(capsys, "nmi", *corpora, "--out", out, *args)  # the resume, in this process
    assert code == 0 and "resumed from saved shard" in err, err
    assert dir_bytes(out, skip=("shards",)) == dir_bytes(ref, skip=("shards",))
    code, _, err = cli(capsys, "nmi", *corpora, "--out", out, *args)  # every corpus from shards now
    assert code == 0, err
    assert dir_bytes(out, skip=("shards",)) == dir_bytes(ref, skip=("shards",))


@pytest.mark.slow
def test_eval_interrupted_and_killed_then_rerun_equals_uninterrupted(tmp_path, shapes_build, capsys):
    args = ["--model", "tiny", "--batch-size", "4", "--workers", "1"]
    ref, out = tmp_path / "ref", tmp_path / "out"
    code, _, err = cli(capsys, "eval", shapes_build, *args, "--out", ref, "--cache-dir", tmp_path / "cache-ref")  # the reference: in this process
    assert code == 0, err
    cache = tmp_path / "cache"  # the interrupted runs leave a partial cache that the rerun reads

    p = Proc(tmp_path, "eval", shapes_build, *args, "--out", out, "--cache-dir", cache)
    p.wait_until(lambda: "embed test_seen: 8/" in p.stderr())
    _interrupted_cleanly(p, p.kill(signal.SIGINT))

    p = Proc(tmp_path, "eval", shapes_build, *args, "--out", out, "--cache-dir", cache)
    p.wait_until(lambda: "embed test_unusual: 8/" in p.stderr())
    assert p.kill(signal.SIGKILL) == -signal.SIGKILL

    code, _, err = cli(capsys, "eval", shapes_build, *args, "--out", out, "--cache-dir", cache)  # the rerun, in this process
    assert code == 0, err
    assert dir_bytes(out) == dir_bytes(ref) and dir_bytes(ref)


@pytest.mark.slow
def test_extract_interrupted_leaves_no_partial_file(tmp_path):
    corpus = _captions(tmp_path / "c.txt", 20000, 0)
    p = Proc(tmp_path, "extract", corpus, "--vocab", "shapes-ao", "--out", tmp_path / "x.jsonl")
    p.wait_until(lambda: "extracting:" in p.stderr())
    _interrupted_cleanly(p, p.kill(signal.SIGINT))
    assert sorted(f.name for f in tmp_path.iterdir() if "x.jsonl" in f.name) == []


# ---------------------------------------------------------------- 4. one build per dir (shards of one launch together)


def test_second_build_into_a_held_dir_is_refused_and_writes_nothing(tmp_path, small_shapes_recipe, capsys):
    from aobench.locks import BuildLock

    out = tmp_path / "b"
    with BuildLock(out):
        code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--limit", "5")
        line = _one_line_error(code, err)
        assert f"--out {out}: another `aobench build` is already writing there" in line and "--wait" in line
        assert sorted(p.name for p in out.iterdir()) == [".aobench-locks"]
    code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--limit", "5")
    assert code == 0, err


@pytest.mark.slow
def test_a_running_build_holds_its_dir(tmp_path, small_shapes_recipe, capsys):
    from aobench.artifacts import BuildDir
    from aobench.locks import BuildLock

    out = tmp_path / "b"
    first = Proc(tmp_path, "build", "shapes-ao", "--out", out, "--batch-size", "1")
    first.wait_until(lambda: _lines(out / ".aobench" / "generated.jsonl") >= 5)
    with pytest.raises(AobenchError, match="already writing there"):
        with BuildLock(out):
            pass
    # a different recipe into the same dir: refused with one line, and the first build is untouched
    code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out)
    assert "already writing there" in _one_line_error(code, err)
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    r = run_cli("build", "shapes-ao", "--out", out, "--limit", "30", "--force")  # the lock died with its holder
    assert r.returncode == 0 and BuildDir(out).is_complete(), r.stderr


def test_wait_flag_queues_behind_the_holder(tmp_path, small_shapes_recipe):
    from aobench.locks import BuildLock

    out = tmp_path / "b"
    with BuildLock(out):
        p = Proc(tmp_path, "build", small_shapes_recipe, "--out", out, "--limit", "5", "--wait")
        assert p.proc.poll() is None and not (out / "recipe.lock.yaml").exists()
    assert p.wait() == 0, p.stderr()
    assert (out / ".aobench" / "complete").exists()


def test_shards_share_the_dir_unsharded_and_duplicate_shards_do_not(tmp_path, small_shapes_recipe, capsys):
    from aobench.build import build
    from aobench.locks import BuildLock

    ref, out = tmp_path / "ref", tmp_path / "sh"
    build(str(small_shapes_recipe), ref, limit=30)
    with BuildLock(out, shard=(0, 2)):  # shard 0 of a launch is running
        code, stdout, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--limit", "30", "--shard", "1/2")
        assert code == 0 and "shard 1/2 done" in stdout, err
        code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--limit", "30", "--shard", "0/2")
        assert "shard 0/2 (another process) is already writing there" in _one_line_error(code, err)
        code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--limit", "30")
        assert "an unsharded" not in err and "already writing there" in _one_line_error(code, err)
    code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--limit", "30", "--shard", "0/2")
    assert code == 0, err
    assert build_digest(out) == build_digest(ref)


def test_launch_shard_reads_the_launcher_environment(monkeypatch):
    from aobench.launch import launch_shard

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert launch_shard() is None
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    assert launch_shard() == (2, 4)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert launch_shard() is None


# ---------------------------------------------------------------- 3/5. damaged corpora, every format


def _rows(fmt: str, n: int) -> bytes:
    caps = [f"a red circle number {i} with a blue square and some more words {i * 7919 % 10007}" for i in range(n)]
    if fmt == "txt":
        return "".join(c + "\n" for c in caps).encode()
    if fmt == "jsonl":
        return "".join(json.dumps({"id": i, "caption": c}) + "\n" for i, c in enumerate(caps)).encode()
    sep = "," if fmt == "csv" else "\t"
    return ("id" + sep + "caption\n" + "".join(f"{i}{sep}{c}\n" for i, c in enumerate(caps))).encode()


@pytest.mark.parametrize("fmt", ["txt", "jsonl", "csv", "tsv"])
@pytest.mark.parametrize("comp", ["gz", "zst"])
def test_truncated_compressed_corpus_counts_readable_rows_and_reports_the_file(tmp_path, fmt, comp):
    import zstandard

    from aobench.text.corpus import iter_records

    data = _rows(fmt, 20000)
    packed = gzip.compress(data) if comp == "gz" else zstandard.ZstdCompressor().compress(data)
    whole, cut = tmp_path / f"whole.{fmt}.{comp}", tmp_path / f"cut.{fmt}.{comp}"
    whole.write_bytes(packed)
    cut.write_bytes(packed[: len(packed) * 2 // 3])
    assert [r.skip for r in iter_records(whole)] == [None] * 20000
    recs = list(iter_records(cut))
    good = [r for r in recs if r.skip is None]
    assert [r.skip for r in recs if r.skip] == ["truncated"]  # the file once, after every readable row
    assert 0 < len(good) < 20000 and recs[-1].skip == "truncated"
    assert [r.text for r in good] == [r.text for r in list(iter_records(whole))[: len(good)]]
    garbage = tmp_path / f"garbage.{fmt}.{comp}"
    garbage.write_bytes(b"this was never compressed\n" * 10)
    with pytest.raises(AobenchError, match=rf"garbage\.{fmt}\.{comp}: not a readable \.{fmt}\.{comp} file"):
        list(iter_records(garbage))


def test_zst_of_several_frames_is_read_to_the_end(tmp_path):
    import zstandard

    from aobench.text.corpus import iter_records

    z = zstandard.ZstdCompressor()
    (tmp_path / "multi.txt.zst").write_bytes(z.compress(b"a red circle\n") + z.compress(b"a blue square\n"))
    assert [r.text for r in iter_records(tmp_path / "multi.txt.zst")] == ["a red circle", "a blue square"]


def test_damaged_plain_and_parquet_files(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aobench.text.corpus import iter_records

    (tmp_path / "text.parquet").write_text("caption\na red circle\n")
    with pytest.raises(AobenchError, match=r"text\.parquet: not a readable Parquet file"):
        list(iter_records(tmp_path / "text.parquet"))
    pq.write_table(pa.table({"caption": ["a red circle"] * 1000}), tmp_path / "whole.parquet")
    data = (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])  # the footer is gone
    with pytest.raises(AobenchError, match=r"cut\.parquet: not a readable Parquet file"):
        list(iter_records(tmp_path / "cut.parquet"))
    # plain text cut mid-line: the partial last line is still a caption; JSON cut mid-object is counted malformed
    (tmp_path / "cut.txt").write_bytes(b"a red circle\na blue squ")
    assert [r.text for r in iter_records(tmp_path / "cut.txt")] == ["a red circle", "a blue squ"]
    (tmp_path / "cut.jsonl").write_bytes(b'{"caption": "a red circle"}\n{"caption": "a bl')
    assert [r.skip for r in iter_records(tmp_path / "cut.jsonl")] == [None, "malformed_json"]
    (tmp_path / "cut.csv").write_bytes(b'caption\n"a red circle"\n"a blue squ')
    assert [r.skip for r in iter_records(tmp_path / "cut.csv")][0] is None


def test_nmi_of_a_truncated_gz_counts_it_and_exits_0(tmp_path, capsys):
    data = gzip.compress(_rows("txt", 2000))  # every readable row is parsed: 2,000 rows keep that cheap
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    code, stdout, err = cli(capsys, "nmi", tmp_path / "cut.txt.gz", "--vocab", "shapes-ao", "--out", tmp_path / "n")
    assert code == 0, err
    assert "truncated: 1" in stdout
    info = json.loads((tmp_path / "n" / "nmi.json").read_text())
    assert info["n_skipped_by_reason"] == {"truncated": 1} and 0 < info["n_captions"] < 2000
    (tmp_path / "text.parquet").write_text("not parquet\n")
    code, _, err = cli(capsys, "nmi", tmp_path / "text.parquet", "--out", tmp_path / "n2")
    assert "text.parquet: not a readable Parquet file" in _one_line_error(code, err)


# ---------------------------------------------------------------- 5. outputs that cannot be written


def _out_cases(tmp: Path, build: Path, bad: Path) -> list[list]:
    caps = tmp / "caps.txt"
    caps.write_text("a red circle\na blue square\n")
    return [
        ["build", "shapes-ao", "--limit", "3", "--out", bad],
        ["nmi", caps, "--vocab", "shapes-ao", "--out", bad],
        ["eval", build, "--model", "tiny", "--out", bad],
        ["export", build, "--format", "webdataset", "--out", bad],
        ["extract", caps, "--vocab", "shapes-ao", "--out", bad / "x.jsonl"],
        ["foils", caps, "--vocab", "shapes-ao", "--out", bad / "f.jsonl"],
    ]


def test_out_that_is_a_file_is_one_line_naming_it(tmp_path, shapes_build, capsys):
    bad = tmp_path / "a-file"
    bad.write_text("not a folder")
    for args in _out_cases(tmp_path, shapes_build, bad):
        code, _, err = cli(capsys, *args)
        line = _one_line_error(code, err)
        assert str(bad) in line and ("is a file" in line), (args, line)
    assert bad.read_text() == "not a folder"


@pytest.mark.slow
def test_out_on_a_read_only_filesystem_is_one_line_naming_it(tmp_path, shapes_build):
    ro = tmp_path / "ro"
    ro.mkdir()
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {ro} {ro} && mount -o remount,bind,ro {ro}"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot make a read-only mount here (needs unshare -m)")
    script = [f"mount --bind {ro} {ro} && mount -o remount,bind,ro {ro} || exit 99"]
    for n, args in enumerate(_out_cases(tmp_path, shapes_build, ro / "out")):
        cmd = " ".join(f"'{a}'" for a in [sys.executable, "-m", "aobench.cli", *map(str, args)])
        script.append(f"{cmd} >/dev/null 2>'{tmp_path}/err{n}'; echo \"rc=$?\"; cat '{tmp_path}/err{n}'")
    r = subprocess.run(["unshare", "-m", "sh", "-c", "\n".join(script)], capture_output=True, text=True, timeout=900)
    chunks = r.stdout.split("rc=")[1:]
    assert len(chunks) == 6, r.stdout + r.stderr
    for chunk in chunks:
        rc, *lines = [line for line in chunk.splitlines() if line.strip()]
        assert rc == "2" and len(lines) == 1 and f"{ro / 'out'}" in lines[0] and "Read-only file system" in lines[0], chunk
    assert list(ro.iterdir()) == []


# ---------------------------------------------------------------- 6. nmi resume is bit-identical


def test_nmi_rerun_from_shards_writes_identical_bytes(tmp_path):
    from aobench.text.analyze import run_nmi

    corpora = [str(_captions(tmp_path / f"c{i}.txt", 600, i)) for i in range(2)]
    kw = dict(vocab_ref="shapes-ao", bootstrap=30)
    run_nmi(corpora, tmp_path / "a", **kw)
    first = dir_bytes(tmp_path / "a", skip=("shards",))
    run_nmi(corpora, tmp_path / "a", **kw)  # every count now read back from a/shards/
    assert dir_bytes(tmp_path / "a", skip=("shards",)) == first
    assert {"nmi.json", "pairs.csv", "comparison.csv", "counts.json"} <= set(first)


# ---------------------------------------------------------------- 7. the card does not depend on the resume point


def test_card_is_the_same_whatever_the_rerun_had_to_do(tmp_path, small_shapes_recipe):
    from aobench.build import build

    out = tmp_path / "b"
    build(str(small_shapes_recipe), out, limit=20)
    card = (out / "README.md").read_bytes()
    assert b"Generator: backend=procedural, resolution=64, clutter=4." in card
    (out / ".aobench" / "complete").unlink()
    (out / "README.md").unlink()
    assert build(str(small_shapes_recipe), out, limit=20).n_generated_now == 0  # nothing left to generate
    assert (out / "README.md").read_bytes() == card


# ---------------------------------------------------------------- 8. leftovers


def test_bad_flags_write_nothing(tmp_path, small_shapes_recipe, capsys):
    out = tmp_path / "b"
    code, _, err = cli(capsys, "build", small_shapes_recipe, "--out", out, "--shard", "3/2")
    assert "--shard '3/2'" in _one_line_error(code, err)
    code, _, err = cli(capsys, "build", "shapes-ao", "--out", out, "--batch-size", "0")
    line = _one_line_error(code, err)
    assert line.startswith("error: --batch-size 0: must be at least 1") and "recipe" not in line
    code, _, err = cli(capsys, "build", "shapes-ao", "--out", out, "--dtype", "float8")
    assert _one_line_error(code, err).startswith("error: --dtype 'float8': allowed: float32, float16, bfloat16")
    assert not out.exists()


def test_extract_error_leaves_no_partial_file(tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    code, _, err = cli(capsys, "extract", tmp_path / "missing.txt", "--vocab", "shapes-ao", "--out", out)
    assert "corpus not found" in _one_line_error(code, err)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_sweep_temp_removes_only_temp_leftovers(tmp_path):
    from aobench.io import atomic_write_text, sweep_temp, temp_dir_beside

    (tmp_path / "images" / "train").mkdir(parents=True)
    keep = [tmp_path / "images" / "train" / "a.png", tmp_path / "manifest.jsonl", tmp_path / "images" / ".hidden"]
    for p in keep:
        p.write_text("x")
    (tmp_path / "images" / "train" / ".a.png.x1y2.tmp").write_text("torn")
    (tmp_path / ".manifest.jsonl.zz.tmp").write_text("torn")
    temp_dir_beside(tmp_path / "hf")
    atomic_write_text(tmp_path / "images" / "b.txt", "ok")
    assert sweep_temp(tmp_path, "images") == 3
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        ["images/train/a.png", "manifest.jsonl", "images/.hidden", "images/b.txt"]
    )


# ---------------------------------------------------------------- 9. messages


def test_missing_relative_path_is_not_found_not_a_hub_error(tmp_path, capsys, monkeypatch):
    from aobench.paths import FILE_SUFFIXES, looks_like_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    code, _, err = cli(capsys, "nmi", "data/caps.txt", "--out", "n")
    line = _one_line_error(code, err)
    assert "corpus not found: data/caps.txt" in line and "Hub" not in line.split("—")[0]
    assert [looks_like_path(x, FILE_SUFFIXES) for x in ("data/caps.txt", "data/caps", "a/b/c", "./x", "~/x", "caps.txt")] == [True] * 6
    assert [looks_like_path(x, FILE_SUFFIXES) for x in ("nlphuji/flickr30k", "hf:me/caps", "me/caps", "imagenet")] == [False] * 4


def test_push_with_an_unreachable_hub_fails_at_once_in_one_line(tmp_path, shapes_build):
    build = tmp_path / "build"
    shutil.copytree(shapes_build, build)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "COLUMNS")}
    r = subprocess.run([sys.executable, "-m", "aobench.cli", "push", str(build), "--repo-id", "me/x"], capture_output=True, text=True, timeout=300,
                       env={**env, "HF_TOKEN": "hf_fake_token_123", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf")})  # fmt: skip
    line = _one_line_error(r.returncode, r.stderr)
    assert "cannot reach http://127.0.0.1:9" in line and "Retry" not in r.stderr and "hf_fake_token_123" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "aobench.cli", "push", str(build), "--repo-id", "me/x"], capture_output=True, text=True, timeout=300,
                       env={**env, "HF_TOKEN": "hf_fake", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")})  # fmt: skip
    assert "HF_HUB_OFFLINE is set" in _one_line_error(r.returncode, r.stderr)


def test_nmi_of_an_empty_corpus_is_strict_json_with_null(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    code, stdout, err = cli(capsys, "nmi", tmp_path / "empty.txt", "--vocab", "shapes-ao", "--out", tmp_path / "n")
    assert code == 0, err

    def no_constants(name):
        raise AssertionError(f"not JSON: {name}")

    info = json.loads((tmp_path / "n" / "nmi.json").read_text(), parse_constant=no_constants)
    assert info["nmi"] is None and info["n_events"] == 0
    assert "n/a" in stdout and "nan" not in stdout.lower().replace("n/a", "")


def test_strict_json_writers(tmp_path):
    from aobench.io import atomic_write_json, dumps_line

    atomic_write_json(tmp_path / "x.json", {"a": float("nan"), "b": [1.5, float("inf")], "c": {"d": -float("inf")}})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": None, "b": [1.5, None], "c": {"d": None}}
    assert dumps_line({"x": float("nan")}) == '{"x": null}'


def test_foils_of_an_empty_file_says_so(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    code, _, err = cli(capsys, "foils", tmp_path / "empty.txt", "--out", tmp_path / "f.jsonl", "--no-audit")
    line = _one_line_error(code, err)
    assert "e.g. )" not in line and "no usable caption" in line and "empty_file: 1" in line


def test_tables_are_not_cut_when_piped():
    from aobench.recipe import list_recipes

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    r = subprocess.run([sys.executable, "-m", "aobench.cli", "recipes"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0
    desc = list_recipes()["shapes-ao"]
    assert len(desc) > 80 and any(desc in line for line in r.stdout.splitlines()), r.stdout


def test_progress_prints_plain_lines_when_not_a_terminal(monkeypatch):
    from rich.console import Console

    import aobench.progress as progress

    buf = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=buf, force_terminal=False, width=200))
    monkeypatch.setenv(progress.INTERVAL_ENV, "0")
    with progress.make_progress("steps") as bar:
        assert isinstance(bar, progress.LineProgress)
        task = bar.add_task("training run-a", total=4)
        for _ in range(4):
            bar.advance(task)
    lines = buf.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [f"training run-a: {i}/4 steps ({i * 25}%)" for i in range(1, 5)]
    buf.truncate(0), buf.seek(0)
    monkeypatch.setenv(progress.INTERVAL_ENV, "3600")  # a task done within the interval prints nothing
    with progress.make_progress("steps") as bar:
        bar.advance(bar.add_task("quick", total=2), 2)
    assert buf.getvalue() == ""
