"""Atomic writes and the crash-tolerant JSONL log."""

import os
import stat

from aobench.io import JsonlAppender, atomic_write_text, read_jsonl


def test_atomic_write_replaces_and_uses_umask_mode(tmp_path):
    p = tmp_path / "f.txt"
    atomic_write_text(p, "one")
    atomic_write_text(p, "two")
    assert p.read_text() == "two"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask
    assert [x.name for x in tmp_path.iterdir()] == ["f.txt"]  # no temp files left


def test_torn_tail_is_ignored_then_cut_before_appending(tmp_path):
    p = tmp_path / "log.jsonl"
    p.write_bytes(b'{"id": 1}\n{"id": 2}\n{"id": ')  # a writer killed mid-line
    assert [r["id"] for r in read_jsonl(p)] == [1, 2]
    with JsonlAppender(p) as log:
        log.append({"id": 3})
    assert [r["id"] for r in read_jsonl(p)] == [1, 2, 3]
    assert p.read_bytes().endswith(b'{"id": 3}\n')


def test_writes_fsync_unless_aobench_fsync_is_0(tmp_path, monkeypatch):
    # the suite runs with AOBENCH_FSYNC=0 (conftest); what users get by default is checked here
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    monkeypatch.delenv("AOBENCH_FSYNC", raising=False)
    atomic_write_text(tmp_path / "a.txt", "a")
    with JsonlAppender(tmp_path / "log.jsonl") as log:
        log.append({"id": 1})
    with JsonlAppender(tmp_path / "bulk.jsonl", fsync=False) as log:
        log.append({"id": 1})  # bulk outputs never fsync
    assert len(synced) == 2
    monkeypatch.setenv("AOBENCH_FSYNC", "0")
    atomic_write_text(tmp_path / "b.txt", "b")
    with JsonlAppender(tmp_path / "log.jsonl") as log:
        log.append({"id": 2})
    assert len(synced) == 2 and (tmp_path / "b.txt").read_text() == "b" and [r["id"] for r in read_jsonl(tmp_path / "log.jsonl")] == [1, 2]
