"""SIGTERM is an interrupt like Ctrl-C, and corpora may be pipes or standard input (issue 20.8)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import cli

TERMINATED = "terminated (SIGTERM); rerun the same command to resume"
CAPTIONS = "a red circle\na blue square\na small star next to a red square\nno caption here\n"
AOBENCH = [sys.executable, "-m", "aobench.cli"]


def _nmi(out: Path) -> dict:
    d = json.loads((out / "nmi.json").read_text())
    d.pop("sources"), d.pop("corpus")  # named after the input, which differs
    return d


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """nmi.json of CAPTIONS from a plain file (made once for the module: every pipe test compares with it)."""
    tmp_path = tmp_path_factory.mktemp("reference")
    (tmp_path / "c.txt").write_text(CAPTIONS)
    r = subprocess.run([*AOBENCH, "nmi", tmp_path / "c.txt", "--vocab", "shapes-ao", "--out", tmp_path / "ref"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return _nmi(tmp_path / "ref")


def test_standard_input_as_dash(tmp_path, reference):
    r = subprocess.run([*AOBENCH, "nmi", "-", "--vocab", "shapes-ao", "--out", tmp_path / "n"], input=CAPTIONS, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert _nmi(tmp_path / "n") == reference and reference["n_events"] == 4


def test_process_substitution_of_a_gzip_file(tmp_path, reference):
    # `aobench nmi <(cat big.txt.gz)`: a pipe named /dev/fd/N, gzip found by its magic bytes
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(CAPTIONS.encode()))
    cmd = " ".join(map(str, AOBENCH)) + f" nmi <(cat {tmp_path / 'c.txt.gz'}) --vocab shapes-ao --out {tmp_path / 'n'}"
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert _nmi(tmp_path / "n") == reference
    assert not list((tmp_path / "n" / "shards").glob("*.json"))  # a pipe has no identity to resume by


def _feed(fifo: Path, data: bytes) -> threading.Thread:
    def write():
        with open(fifo, "wb") as fh:  # blocks until the reader opens it
            fh.write(data)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def test_named_pipe_with_a_jsonl_name_and_extract_from_stdin(tmp_path, reference, capsys):
    fifo = tmp_path / "caps.jsonl"
    os.mkfifo(fifo)
    rows = "".join(json.dumps({"id": f"r{i}", "caption": c}) + "\n" for i, c in enumerate(CAPTIONS.splitlines()))
    t = _feed(fifo, rows.encode())
    code, _, err = cli(capsys, "nmi", fifo, "--vocab", "shapes-ao", "--out", tmp_path / "n")
    t.join(60)
    assert code == 0, err
    assert _nmi(tmp_path / "n") == reference
    # `-` with JSON lines (found by the leading `{`): ids are the rows' own
    r = subprocess.run([*AOBENCH, "extract", "-", "--vocab", "shapes-ao", "--out", tmp_path / "x.jsonl"], input=rows, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["id"] for line in (tmp_path / "x.jsonl").read_text().splitlines()] == ["r0", "r1", "r2", "r3"]


def test_a_parquet_pipe_and_spark_on_a_pipe_are_one_line(tmp_path, capsys):
    fifo = tmp_path / "t.parquet"
    os.mkfifo(fifo)
    t = _feed(fifo, b"PAR1")
    code, _, err = cli(capsys, "nmi", fifo, "--vocab", "shapes-ao", "--out", tmp_path / "n")
    t.join(60)
    assert code == 2 and "Parquet cannot be read from a pipe" in err and "Traceback" not in err, err
    code, _, err = cli(capsys, "nmi", "-", "--vocab", "shapes-ao", "--engine", "spark", "--out", tmp_path / "n")
    assert code == 2 and "-: a pipe or standard input is read by this process alone — use --engine local" in err, err


def test_sigterm_is_an_interrupt_in_process(tmp_path, monkeypatch, capsys):
    import aobench.text.analyze as analyze

    def terminated(*a, **k):
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` or a scheduler's time limit would
        time.sleep(60)  # the handler raises before this ends

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(analyze, "run_nmi", terminated)
    code, _, err = cli(capsys, "nmi", "x.txt", "--out", tmp_path / "n")
    assert code == 143 and err.strip() == TERMINATED
    assert signal.getsignal(signal.SIGTERM) is before  # the CLI leaves the caller's handler as it found it


@pytest.mark.slow
def test_sigterm_during_nmi_then_rerun_resumes_and_equals_uninterrupted(tmp_path):
    import random

    rng = random.Random(0)
    words = ["red", "blue", "green", "striped", "small", "large"], ["circle", "square", "star", "heart", "cross"]
    corpora = []
    for i in range(3):
        p = tmp_path / f"c{i}.txt"
        p.write_text("".join(f"a {rng.choice(words[0])} {rng.choice(words[1])}\n" for _ in range(1500)))
        corpora.append(p)
    ref, out = tmp_path / "ref", tmp_path / "out"
    r = subprocess.run([*AOBENCH, "nmi", *corpora, "--vocab", "shapes-ao", "--out", ref], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    err = tmp_path / "err.txt"
    with open(err, "w") as fh:
        p = subprocess.Popen([*AOBENCH, "nmi", *corpora, "--vocab", "shapes-ao", "--out", out], stdout=subprocess.DEVNULL, stderr=fh)
    deadline = time.monotonic() + 600  # a safety net, not a speed assertion
    while not list((out / "shards").glob("*.json")) if (out / "shards").exists() else True:
        assert p.poll() is None, err.read_text()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    code = p.wait(timeout=600)
    if code == 0:
        pytest.skip("the run finished before SIGTERM arrived")
    assert code == 143 and err.read_text().rstrip().splitlines()[-1] == TERMINATED, err.read_text()[-2000:]
    assert not (out / "nmi.json").exists()  # nothing half-written
    r = subprocess.run([*AOBENCH, "nmi", *corpora, "--vocab", "shapes-ao", "--out", out], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "resumed from saved shard" in " ".join(r.stderr.split()), r.stderr
    for name in ("nmi.json", "pairs.csv", "counts.json", "comparison.csv"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
