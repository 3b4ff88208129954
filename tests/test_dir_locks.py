"""One writer per output dir for every command that writes one (issue 20.3), and `nmi` reruns drop stale corpora."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aobench.locks import DirLock
from conftest import cli

CAPTIONS = "a red circle\na blue square\na small star\na red square next to a blue circle\n"


def _one_line(code: int, err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, (code, err)
    return lines[0]


def _files(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and ".aobench-locks" not in p.parts) if d.exists() else []


@pytest.fixture
def corpus(tmp_path) -> Path:
    p = tmp_path / "caps.txt"
    p.write_text(CAPTIONS)
    return p


def _commands(tmp_path: Path, corpus: Path, build: Path) -> dict:
    """command → (argv, the dir a holder takes, the file name it holds there or None for the whole dir, where output goes)."""
    return {
        "nmi": (["nmi", corpus, "--vocab", "shapes-ao", "--out", tmp_path / "n"], tmp_path / "n", None, tmp_path / "n"),
        "eval": (["eval", build, "--model", "tiny", "--out", tmp_path / "e", "--no-cache", "--tasks", "object"], tmp_path / "e", None, tmp_path / "e"),
        "foils": (["foils", corpus, "--vocab", "shapes-ao", "--out", tmp_path / "f" / "foils.jsonl", "--no-audit"], tmp_path / "f", "foils.jsonl", tmp_path / "f"),
        "export": (["export", build, "--format", "webdataset", "--out", tmp_path / "x" / "wds"], tmp_path / "x", "wds", tmp_path / "x"),
        "report": (["report", build], build, None, build / "report"),
        "study": (["study", "nmi-sweep", "--out", tmp_path / "s", "--profile", "quick"], tmp_path / "s", None, tmp_path / "s"),
    }


@pytest.mark.parametrize("command", ["nmi", "eval", "foils", "export", "report", "study"])
def test_a_held_output_is_refused_in_one_line_and_nothing_is_written(command, tmp_path, corpus, shapes_build, capsys):
    build = tmp_path / "b"
    shutil.copytree(shapes_build, build)
    argv, held, name, written = _commands(tmp_path, corpus, build)[command]
    before = _files(written)
    with DirLock(held, command="aobench nmi", file=name):  # another process's run (a kernel lock: the same as in-process)
        code, _, err = cli(capsys, *argv)
        line = _one_line(code, err)
        assert "another `aobench nmi` is already writing there" in line, line
        assert _files(written) == before


def test_the_refusal_names_the_holder_command(tmp_path, shapes_build, capsys):
    build = tmp_path / "b"
    shutil.copytree(shapes_build, build)
    with DirLock(build):  # a build is running in DIR: its report waits for it
        code, _, err = cli(capsys, "report", build)
        assert f"{build}: another `aobench build` is already writing there — wait for it to finish" in _one_line(code, err)
    code, _, err = cli(capsys, "report", build)
    assert code == 0, err


def test_foils_into_other_files_of_one_folder_do_not_wait(tmp_path, corpus, capsys):
    out = tmp_path / "f"
    with DirLock(out, command="aobench foils", file="a.jsonl"):
        code, _, err = cli(capsys, "foils", corpus, "--vocab", "shapes-ao", "--out", out / "b.jsonl", "--no-audit")
        assert code == 0, err


def test_two_nmi_processes_into_one_out(tmp_path):
    # the first run reads a pipe nobody writes yet, so it is surely running (and holding --out) while the second starts
    import json
    import os

    fifo = tmp_path / "first.txt"
    os.mkfifo(fifo)
    small = tmp_path / "small.txt"
    small.write_text("a green star\n")
    out = tmp_path / "n"
    args = [sys.executable, "-m", "aobench.cli", "nmi", "--vocab", "shapes-ao", "--out", str(out)]
    first = subprocess.Popen([*args, str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600  # a safety net, not a speed assertion
    while not (out / ".aobench-locks" / "holder").exists():
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    second = subprocess.run([*args, str(small)], capture_output=True, text=True, timeout=600)
    assert second.returncode == 2 and "another `aobench nmi` is already writing there" in second.stderr, second.stderr
    with open(fifo, "w") as fh:
        fh.write(CAPTIONS)
    _, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err
    assert json.loads((out / "nmi.json").read_text())["sources"] == [str(fifo)]  # the first run's output alone
    assert not (out / "corpora").exists()


def test_nmi_rerun_with_fewer_corpora_removes_the_dropped_ones(tmp_path, capsys):
    srcs = []
    for name, text in (("a", "a red circle\n"), ("b", "a blue square\n"), ("c", "a small star\n")):
        (tmp_path / f"{name}.txt").write_text(text * 3)
        srcs.append(tmp_path / f"{name}.txt")
    out = tmp_path / "n"
    keep_mine = out / "corpora" / "notes"  # a folder of the user's, not an `aobench nmi` output: never removed
    keep_mine.mkdir(parents=True)

    def run(*paths):
        code, _, err = cli(capsys, "nmi", *paths, "--vocab", "shapes-ao", "--out", out)
        assert code == 0, err

    def corpora() -> list[str]:
        return sorted(p.name for p in (out / "corpora").iterdir()) if (out / "corpora").exists() else []

    run(*srcs)
    assert corpora() == ["a", "b", "c", "notes"]
    run(*srcs[:2])
    assert corpora() == ["a", "b", "notes"]
    assert [r["corpus"] for r in csv.DictReader(open(out / "comparison.csv"))] == ["a", "b"]
    run(srcs[0])
    assert corpora() == ["notes"] and not (out / "comparison.csv").exists()


def test_two_corpora_of_one_name_get_two_folders(tmp_path, capsys):
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "caps.txt").write_text("a red circle\n" if d == "x" else "a blue square\n")
    out = tmp_path / "n"
    code, _, err = cli(capsys, "nmi", tmp_path / "x" / "caps.txt", tmp_path / "y" / "caps.txt", "--vocab", "shapes-ao", "--out", out)
    assert code == 0, err
    names = sorted(p.name for p in (out / "corpora").iterdir())
    assert len(names) == 2 and all(n.startswith("caps-") for n in names)
