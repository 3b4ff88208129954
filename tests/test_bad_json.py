"""Rows that broke the readers (issue 20.6): a lone surrogate escape and JSON nested 100,000 deep are skipped rows, counted by reason."""

from __future__ import annotations

import json

from aobench.text.corpus import iter_records
from conftest import cli

DEEP = "[" * 100_000 + "]" * 100_000


def _corpus(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(
        '{"caption": "a red star"}\n'
        '{"caption": "a \\ud800 blue square"}\n'  # a lone surrogate escape: valid JSON, not encodable text
        '{"id": "\\udc00", "caption": "a blue star"}\n'  # usable caption, unusable id: the row's position is its id
        + DEEP + "\n"
        + '{"caption": ' + DEEP + "}\n"
        + '{"caption": "a green circle"}\n'
    )
    return p


def test_reader_counts_them_by_reason(tmp_path):
    recs = list(iter_records(_corpus(tmp_path)))
    assert [(r.id, r.skip) for r in recs] == [
        ("c.jsonl:1", None), ("c.jsonl:2", "lone_surrogate"), ("c.jsonl:3", None), ("c.jsonl:4", "too_deep"), ("c.jsonl:5", "too_deep"), ("c.jsonl:6", None),
    ]  # fmt: skip


def test_nmi_and_extract_skip_them_and_exit_0(tmp_path, capsys):
    corpus = _corpus(tmp_path)
    code, out, err = cli(capsys, "nmi", corpus, "--vocab", "shapes-ao", "--out", tmp_path / "n")
    assert code == 0, err
    info = json.loads((tmp_path / "n" / "nmi.json").read_text())
    assert info["n_captions"] == 3 and info["n_skipped_by_reason"] == {"lone_surrogate": 1, "too_deep": 2} and info["n_skipped"] == 3
    assert "skipped: lone_surrogate: 1, too_deep: 2" in out
    code, out, err = cli(capsys, "extract", corpus, "--vocab", "shapes-ao", "--out", tmp_path / "x.jsonl")
    assert code == 0, err
    assert "skipped: lone_surrogate: 1, too_deep: 2" in out
    rows = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["c.jsonl:1", "c.jsonl:3", "c.jsonl:6"]


def test_a_json_document_nested_too_deep_is_one_line(tmp_path, capsys):
    p = tmp_path / "doc.json"
    p.write_text(DEEP)
    code, _, err = cli(capsys, "nmi", p, "--vocab", "shapes-ao", "--out", tmp_path / "n")
    assert code == 2 and err.count("\n") == 1 and "nested too deeply" in err and "Traceback" not in err, err
