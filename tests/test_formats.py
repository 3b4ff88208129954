"""One strict JSONL reader for files users give, and one format table for every caption/URL table reader."""

from __future__ import annotations

import gzip
import json

import pytest

from aobench.errors import AobenchError
from aobench.io import read_jsonl_strict


def test_strict_jsonl_numbers_lines_and_names_the_file(tmp_path):
    f = tmp_path / "x.jsonl"
    f.write_bytes(b'{"a": 1}\n\n  \n[2]\n"s"\n{"b": 3}')  # blank lines skipped, a last line without newline counts
    assert list(read_jsonl_strict(f)) == [(1, {"a": 1}), (4, [2]), (5, "s"), (6, {"b": 3})]
    f.write_bytes(b'{"a": 1}\n{oops\n')
    with pytest.raises(AobenchError, match=r"^.*x\.jsonl:2: not valid JSON \(Expecting property name.*\) — make it so$"):
        list(read_jsonl_strict(f, "make it so"))
    f.write_bytes(b'{"a": 1}\n\xff\n')
    with pytest.raises(AobenchError, match=r"x\.jsonl:2: not UTF-8 text"):
        list(read_jsonl_strict(f))


def test_the_four_user_jsonl_readers_share_it(tmp_path):
    from aobench.evaluate.runner import read_foils
    from aobench.filters.review import read_review
    from aobench.pairs import read_seen_pairs
    from aobench.real.select import read_table

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "decision": "accept", "caption": "c", "foil": "f", "attribute": "red", "object": "car", "url": "u"}\n{nope\n')
    for read in (read_foils, read_review, read_seen_pairs, lambda p: list(read_table(p))):
        with pytest.raises(AobenchError, match=rf"{bad}:2: not valid JSON"):
            read(bad)
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('\n{"id": "a"}\n')
    with pytest.raises(AobenchError, match=rf"{wrong}:2: a foil row needs id, caption and foil"):
        read_foils(wrong)
    with pytest.raises(AobenchError, match=rf"{wrong}:2: expected"):
        read_review(wrong)


def test_one_format_table_serves_the_corpus_reader_spark_and_real(tmp_path):
    from aobench.real.select import read_table
    from aobench.text.corpus import FORMATS, iter_records
    from aobench.text.spark import _format, check_sources

    assert {f.name for f in FORMATS.values()} == {"text", "jsonl", "json", "csv", "tsv", "parquet"}
    rows = [{"url": "u1", "caption": "a red car"}, {"url": "u2", "caption": "a blue bus"}]
    gz = tmp_path / "t.jsonl.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))
    assert [r.text for r in iter_records(gz)] == ["a red car", "a blue bus"]
    assert list(read_table(gz)) == [("u1", "a red car"), ("u2", "a blue bus")]  # real reads what the corpus reader reads
    check_sources([str(gz)])
    assert _format(str(gz)) is FORMATS[".jsonl"] and FORMATS[".jsonl"].spark_record('{"caption": " x "}', None).text == "x"
    assert FORMATS[".csv"].spark_record(None, None).skip == "empty" and FORMATS[".parquet"].spark_record(None, None).skip == "null"
    doc = tmp_path / "d.json"
    doc.write_text(json.dumps(rows))
    assert list(read_table(doc)) == [("u1", "a red car"), ("u2", "a blue bus")]
    with pytest.raises(AobenchError, match="one JSON document"):
        check_sources([str(doc)])
    (tmp_path / "t.txt").write_text("a red car\n")
    with pytest.raises(AobenchError, match=r"--table .*t\.txt: unknown format '\.txt'"):
        list(read_table(tmp_path / "t.txt"))
