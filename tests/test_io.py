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
