"""Fuzzing the parsers (issue 20.10): any bytes or any JSON value gives a counted skip or a one-line error — never a traceback.

Property-based (hypothesis), with modest example counts so the file runs in seconds: the corpus readers of every
format (plain and compressed), a caption's way through spaCy extraction, the `--pairs` reader, the recipe loader
(raw bytes, and valid recipes with one field set to any JSON value), the vocab loader, and the readers of foils
(`aobench eval --foils`) and of a build's manifest (what `aobench foils DIR` reads). A hang would show as the
test not finishing; each example is a small file.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aobench.errors import AobenchError

# derandomized: the same examples every run (explicit seeds, as everywhere in aobench); `--hypothesis-seed=N` explores more
FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# every reason a reader may give (aobench.text.corpus); a new one must be added here and documented
REASONS = {"empty", "too_long", "invalid_utf8", "malformed_json", "missing_column", "not_text", "empty_file", "malformed_csv", "null",
           "truncated", "corrupt_row_group", "lone_surrogate", "too_deep"}  # fmt: skip

# text with the characters that broke readers before: lone surrogates, NUL, line and field separators, quotes
NASTY = st.text(st.one_of(st.characters(), st.sampled_from(["\ud800", "\udfff", "\x00", "\n", "\r", "\t", ",", '"', "\u2028", "{", "["])), max_size=40)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | NASTY,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(["caption", "text", "id", "url", "pairs", "x", "\ud800"]) | NASTY, kids, max_size=4),
    max_leaves=12,
)
# a JSON-lines file as a user might hand one over: any bytes, or lines of any JSON values
JSONL_BYTES = st.one_of(st.binary(max_size=400), st.lists(JSON, max_size=5).map(lambda rows: "".join(json.dumps(r) + "\n" for r in rows).encode()))


def _one_line(exc: AobenchError) -> None:
    text = str(exc)
    assert text and "\n" not in text.strip() and "Traceback" not in text, text


def _parsed(reader, path: Path, data: bytes):
    """What `reader(path)` gives for a file holding `data`, or None after checking its error is one line."""
    path.write_bytes(data)
    try:
        return reader(path)
    except AobenchError as exc:
        _one_line(exc)
        return None


def _read(path: Path, text_column=None) -> list:
    from aobench.text.corpus import iter_records

    try:
        recs = list(iter_records(path, text_column=text_column))
    except AobenchError as exc:
        _one_line(exc)
        return []
    for r in recs:
        assert (r.skip is None) == (r.text is not None), r
        assert r.skip is None or r.skip in REASONS, r.skip
        if r.text is not None:
            assert isinstance(r.text, str) and r.text.strip()
            r.text.encode("utf-8")  # a usable caption is writable text
        assert isinstance(r.id, str)
        r.id.encode("utf-8")  # ids are written to JSON too: no lone surrogate
    return recs


@pytest.fixture(scope="module")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="aobench-fuzz-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _zst(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


SUFFIXES = [".txt", ".jsonl", ".json", ".csv", ".tsv", ".parquet", ".txt.gz", ".jsonl.gz", ".csv.zst", ".json.zst", ""]


@FAST
@given(data=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES), pack=st.sampled_from(["raw", "compress", "compress-cut"]))
def test_corpus_readers_take_any_bytes(workdir, data, suffix, pack):
    if suffix.endswith(".gz") and pack != "raw":
        data = gzip.compress(data)
    elif suffix.endswith(".zst") and pack != "raw":
        data = _zst(data)
    if pack == "compress-cut":
        data = data[: max(1, len(data) // 2)]
    path = workdir / f"c{suffix}"
    path.write_bytes(data)
    _read(path)


@FAST
@given(rows=st.lists(JSON, max_size=6), column=st.sampled_from([None, "caption", "x"]), suffix=st.sampled_from([".jsonl", ".json", ".jsonl.gz"]))
def test_corpus_readers_take_any_json_values(workdir, rows, column, suffix):
    text = "".join(json.dumps(r) + "\n" for r in rows)
    data = text.encode("utf-8")
    path = workdir / f"j{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    _read(path, column)


@FAST
@given(doc=JSON)
def test_a_json_document_corpus_of_any_value(workdir, doc):
    path = workdir / "doc.json"
    path.write_text(json.dumps(doc, indent=1))  # several lines: read as one document when it is a list or an object
    _read(path)


@FAST
@given(cells=st.lists(st.lists(NASTY, min_size=1, max_size=3), max_size=6), header=st.sampled_from(["caption,id", "text", "x,y", ""]))
def test_csv_of_any_cells(workdir, cells, header):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    for row in cells:
        w.writerow(row)
    path = workdir / "t.csv"
    path.write_bytes((header + "\n" + buf.getvalue()).encode("utf-8", "surrogatepass"))
    _read(path)


@pytest.fixture(scope="module")
def extractor():
    from aobench.text.parse import Extractor, vocab_for

    return Extractor(vocab_for("shapes-ao"))


@SLOW
@given(rows=st.lists(JSON, min_size=1, max_size=4))
def test_whatever_a_reader_passes_extraction_takes(workdir, extractor, rows):
    # the full way `aobench nmi` and `extract` go: reader, then spaCy (the lone surrogate used to crash the tokenizer here)
    path = workdir / "e.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows + [{"caption": f"a red circle {json.dumps(rows)[:200]}"}]))
    texts = [r.text for r in _read(path) if r.text]
    for pairs, negated in extractor.extract_all(texts):
        json.dumps(pairs, ensure_ascii=False).encode("utf-8")


@FAST
@given(data=JSONL_BYTES)
def test_the_pairs_reader_takes_any_bytes(workdir, data):
    from aobench.text.engine import counts_from_pairs_file

    got = _parsed(counts_from_pairs_file, workdir / "p.jsonl", data)
    if got is None:
        return
    counts, _ = got
    json.dumps(counts.to_dict(), ensure_ascii=False).encode("utf-8")  # what nmi then writes


# ---------------------------------------------------------------- recipes


@FAST
@given(data=st.binary(max_size=400))
def test_the_recipe_loader_takes_any_bytes(workdir, data):
    from aobench.recipe import load

    path = workdir / "r.yaml"
    path.write_bytes(data)
    try:
        load(path)
    except AobenchError as exc:
        _one_line(exc)


def _recipe_fields() -> list[tuple[str, ...]]:
    from aobench.recipe import load_data

    data, _ = load_data("shapes-ao")
    out = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                out.append(path + (k,))
                walk(v, path + (k,))

    walk(data, ())
    return out


@FAST
@given(field=st.sampled_from(_recipe_fields()), value=JSON)
def test_a_valid_recipe_with_any_field_set_to_any_json_value(workdir, field, value):
    from aobench.recipe import load, load_data

    data, _ = load_data("shapes-ao")
    node = data
    for k in field[:-1]:
        node = node[k]
    node[field[-1]] = value
    data.pop("include", None)
    path = workdir / "v.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if _dumpable(data) else "name: x\n")
    try:
        load(path)
    except AobenchError as exc:
        _one_line(exc)


def _dumpable(data) -> bool:
    try:
        yaml.safe_dump(data, allow_unicode=True).encode("utf-8")
    except (yaml.YAMLError, UnicodeEncodeError):
        return False
    return True


@FAST
@given(text=st.sampled_from(["name: a\nname: b\n", "a: {b: 1, b: 2}\n", "- {x: 1, x: 1}\n"]) | NASTY.map(lambda t: f"attributes:\n  colour: [{json.dumps(t)}]\n"))
def test_the_vocab_loader_takes_any_yaml(workdir, text):
    from aobench.vocab import load_attributes

    path = workdir / "a.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_attributes.__wrapped__(str(path))
    except AobenchError as exc:
        _one_line(exc)


# ---------------------------------------------------------------- foils and build manifests


@FAST
@given(data=JSONL_BYTES)
def test_the_foils_reader_of_eval_takes_any_bytes(workdir, data):
    from aobench.evaluate.runner import read_foils

    rows = _parsed(read_foils, workdir / "f.jsonl", data) or []
    assert all(isinstance(r, dict) and {"id", "caption", "foil"} <= set(r) for r in rows)


@FAST
@given(data=JSONL_BYTES)
def test_a_build_manifest_of_any_bytes(workdir, data):
    from aobench.artifacts import BuildDir

    (workdir / "b").mkdir(exist_ok=True)
    rows = _parsed(lambda p: BuildDir(p.parent).manifest(), workdir / "b" / "manifest.jsonl", data) or []
    assert all(isinstance(r, dict) for r in rows)
