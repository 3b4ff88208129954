"""Streaming caption readers: .txt, .jsonl, .csv/.tsv, .parquet (row groups; a folder of them too), gzip/zstd, HF datasets.

A .json file is JSON lines, or one JSON document: a list of records or COCO's caption file (`annotations`), read whole.

`iter_records(path)` yields `Record(id, text, skip)`: `skip` is None for a usable caption, else the reason
it was not used (`empty`, `too_long`, `invalid_utf8`, `malformed_json`, `missing_column`, `not_text`,
`empty_file`, `malformed_csv`, `null`, `truncated`: a .gz/.zst file cut short or damaged after some rows, which are
counted; `corrupt_row_group`: the rows of an unreadable Parquet row group; `lone_surrogate`: text with a lone UTF-16
surrogate such as JSON's `"\ud800"`, which no tokenizer or UTF-8 writer takes; `too_deep`: a JSON row nested deeper
than the parser goes). Nothing is dropped silently: callers count every skip by reason. Memory does not grow
with corpus size (lines, row groups and streamed datasets are read one piece at a time).

A missing caption column: tabular files (.csv/.tsv/.parquet, datasets) have one header, so a file without the
column (`--text-column`, else the first of TEXT_COLUMNS) is a one-line AobenchError naming the file and the columns
it has (a typo in `--text-column` should stop the run, not yield "0 captions"). JSONL rows each carry their own
keys, so a row without the column is skipped with reason `missing_column` and counted.

A corpus may also be a stream, read once as it arrives (`is_stream`): `-` (standard input), a named pipe or a
process substitution (`<(zcat big.txt.gz)`); see `_Stream` for how its format is found.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Optional

from aobench.errors import AobenchError, one_line
from aobench.paths import is_hub_id

MAX_CHARS = 10_000
TEXT_COLUMNS = ("caption", "text", "TEXT", "Caption", "sentence", "alt_text", "txt")
ID_COLUMNS = ("id", "key", "uid", "image_id", "url")


@dataclass
class Record:
    """One caption (or the reason a row could not give one)."""

    id: str
    text: Optional[str]
    skip: Optional[str] = None


def _base_suffix(path: Path) -> tuple[str, str]:
    suffixes = [s.lower() for s in path.suffixes]
    comp = suffixes[-1] if suffixes and suffixes[-1] in (".gz", ".zst", ".zstd") else ""
    base = suffixes[-2] if comp and len(suffixes) >= 2 else (suffixes[-1] if suffixes else "")
    return base, comp


class _ZstdFrames(io.RawIOBase):
    """The zstd frames of a file, one after another; EOFError where the file ends inside a frame (a cut download).

    zstandard's stream_reader stops after the first frame and reads a truncated frame as a clean end of file.
    """

    def __init__(self, path: Path | IO[bytes]):
        import zstandard

        self._zstd = zstandard
        self._fh = path if hasattr(path, "read") else open(path, "rb")  # a path, or a stream already open
        self._dobj = None
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            chunk = self._fh.read(1 << 16)
            if not chunk:
                if self._dobj is not None and not self._dobj.eof:
                    raise EOFError("compressed file ended before the end of a zstd frame")
                return 0
            while chunk:
                if self._dobj is None or self._dobj.eof:
                    self._dobj = self._zstd.ZstdDecompressor().decompressobj()
                self._buf += self._dobj.decompress(chunk)
                chunk = self._dobj.unused_data if self._dobj.eof else b""
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


STDIN = "-"  # the corpus name of standard input


def is_stream(source: str | Path) -> bool:
    """Whether a corpus is read once, as it arrives: `-` (standard input), a named pipe, `<(zcat big.txt.gz)`."""
    if str(source) == STDIN:
        return True
    try:
        mode = os.stat(source).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


class _Stream:
    """A corpus that can be read once only: its format from its name, else from its first bytes.

    Compression: `.gz`/`.zst` in the name, else gzip or zstd magic bytes. Format: the name's suffix, else JSON
    lines when the first character is `{`, else one caption a line. A `.json` stream is read as JSON lines, and
    Parquet (which needs random access) is refused.
    """

    def __init__(self, source: str | Path):
        self.source = str(source)
        self.path = Path("stdin" if self.source == STDIN else self.source)
        self.name, self.suffixes = self.path.name, self.path.suffixes
        raw = open(sys.stdin.fileno(), "rb", closefd=False) if self.source == STDIN else open(self.source, "rb")
        base, comp = _base_suffix(self.path) if self.source != STDIN else ("", "")
        base = base if base in FORMATS and base else ""
        if base == ".parquet":
            raw.close()
            raise AobenchError(f"{self.source}: Parquet cannot be read from a pipe (it needs random access) — write it to a file first")
        if not comp:
            head = raw.peek(4)[:4]
            comp = ".gz" if head[:2] == b"\x1f\x8b" else ".zst" if head == b"\x28\xb5\x2f\xfd" else ""
        fh = gzip.GzipFile(fileobj=raw, mode="rb") if comp == ".gz" else io.BufferedReader(_ZstdFrames(raw), 1 << 16) if comp else raw
        self.raw, self.fh, self.comp = raw, fh, comp
        try:
            first = fh.peek(1 << 12)
        except _read_errors():
            first = b"?"  # damaged from its first bytes: the reader reports it
        self.empty = not first
        self.base = ".jsonl" if base == ".json" else base or (".jsonl" if first.lstrip()[:1] == b"{" else ".txt")

    def __str__(self) -> str:
        return self.source

    def close(self) -> None:
        """Close the stream (standard input's descriptor stays open)."""
        self.fh.close()
        self.raw.close()


def _open_binary(path: Path, comp: str) -> IO[bytes]:
    if isinstance(path, _Stream):
        return path.fh  # opened once, when its format was found
    if comp == ".gz":
        return gzip.open(path, "rb")
    if comp in (".zst", ".zstd"):
        return io.BufferedReader(_ZstdFrames(path), buffer_size=1 << 16)
    return open(path, "rb")


def _read_errors() -> tuple:
    """Exceptions of a damaged compressed stream: a cut file (EOFError), bad gzip/zlib data, bad zstd data."""
    import zlib

    import zstandard

    return (EOFError, gzip.BadGzipFile, zlib.error, zstandard.ZstdError)


def _damaged(path: Path, n_read: int, exc: BaseException) -> Record:
    """The record that reports a damaged file, or an AobenchError when not one line of it was readable."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if n_read == 0:
        raise AobenchError(f"{path}: not a readable {''.join(path.suffixes[-2:]) or 'compressed'} file ({detail}) — check or re-download it")
    # the rows before the damage were counted; the file itself is counted once under `truncated`
    return Record(f"{path.name}:{n_read + 1}", None, "truncated")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON `"\ud800"`): no tokenizer or JSON writer takes it
        return False
    return True


def _check(ident: str, text: object, max_chars: int) -> Record:
    if text is None:
        return Record(ident, None, "missing_column")
    if not isinstance(text, str):
        return Record(ident, None, "not_text")
    text = text.strip()
    if not text:
        return Record(ident, None, "empty")
    if len(text) > max_chars:
        return Record(ident, None, "too_long")
    if not _encodable(text):
        return Record(ident, None, "lone_surrogate")
    return Record(ident, text)


def _row_id(value: object, ident: str) -> str:
    """A row's own id when it has a usable one (text UTF-8 can write), else its place (`ident`)."""
    if value is None:
        return ident
    text = str(value)
    return text if _encodable(text) else ident


def _lines(path: Path, comp: str) -> Iterator[tuple[int, Optional[str] | Record]]:
    """(line number, text or None when not UTF-8), streaming; a damaged compressed file ends with a `truncated` Record."""
    n = 0
    with _open_binary(path, comp) as raw:
        lines = iter(raw)
        while True:
            try:
                line = next(lines)
            except StopIteration:
                return
            except _read_errors() as exc:
                yield n + 1, _damaged(path, n, exc)
                return
            n += 1
            try:
                yield n, line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield n, None


def _pick_column(columns: list[str], wanted: Optional[str], path: Path) -> str:
    if wanted:
        if wanted not in columns:
            raise AobenchError(f"{path}: no column {wanted!r}; columns: {', '.join(columns[:20])} (set --text-column)")
        return wanted
    for c in TEXT_COLUMNS:
        if c in columns:
            return c
    raise AobenchError(f"{path}: no caption column found; columns: {', '.join(columns[:20])} (set --text-column)")


def _id_column(columns: list[str]) -> Optional[str]:
    return next((c for c in ID_COLUMNS if c in columns), None)


def parquet_dir(path: Path) -> bool:
    """A folder of Parquet files (how Spark writes tables and LAION metadata comes), not a datasets save_to_disk dir."""
    return path.is_dir() and not (path / "dataset_dict.json").exists() and not (path / "state.json").exists() and any(path.glob("*.parquet"))


# -- rows: what each format's local reader gives ------------------------------------------------------
LINE = "text"  # the one field of a .txt row


@dataclass
class Row:
    """One row of a caption table as its format's reader gives it: where it is, its fields, or why it could not be read."""

    where: str  # FILE:N (a line, or a row's index)
    values: Optional[object]  # the row: a dict of fields (a JSON row may be any value); None when unreadable
    skip: Optional[str] = None  # why unreadable: invalid_utf8, empty, malformed_json, malformed_csv, corrupt_row_group, truncated, empty_file
    line: int = 0
    detail: str = ""  # the parser's message (a JSON error)


def _truncated(rec: Record) -> Row:
    return Row(rec.id, None, rec.skip)


def _txt_rows(path: Path, comp: str, pick: Callable) -> Iterator[Row]:
    for n, text in _lines(path, comp):
        if isinstance(text, Record):
            yield _truncated(text)
        else:
            yield Row(f"{path.name}:{n}", None if text is None else {LINE: text}, "invalid_utf8" if text is None else None, n)


def _parse_line(line: Optional[str]) -> tuple[object, Optional[str], str]:
    """(value, skip reason, detail) of one JSON line (None: not UTF-8)."""
    if line is None:
        return None, "invalid_utf8", ""
    if not line.strip():
        return None, "empty", ""
    try:
        return json.loads(line), None, ""
    except RecursionError:  # nested deeper than Python's parser goes (a row of 100,000 `[`)
        return None, "too_deep", ""
    except json.JSONDecodeError as exc:
        return None, "malformed_json", exc.msg
    except ValueError as exc:
        return None, "malformed_json", str(exc)


def _jsonl_rows(path: Path, comp: str, pick: Callable) -> Iterator[Row]:
    for n, line in _lines(path, comp):
        if isinstance(line, Record):  # a truncated compressed file ends with its skip record
            yield _truncated(line)
            continue
        value, skip, detail = _parse_line(line)
        yield Row(f"{path.name}:{n}", value, skip, n, detail)


def json_document(path: Path) -> bool:
    """Whether a .json file is one JSON document (a list of records, COCO captions) rather than JSON lines."""
    _, comp = _base_suffix(path)
    try:
        with _open_binary(path, comp) as raw:
            first = raw.readline(1 << 20).decode("utf-8", "replace").strip()
    except _read_errors():
        return False
    if first.startswith("["):
        return True
    try:
        head = json.loads(first)
    except ValueError:
        return first.startswith("{")  # an object spread over several lines
    if not isinstance(head, dict):
        return True
    # one line holding the whole document (COCO's files): no caption of its own, lists of records inside
    return not any(c in head for c in TEXT_COLUMNS) and any(isinstance(v, list) for v in head.values())


def _json_rows(path: Path, comp: str, pick: Callable) -> Iterator[Row]:
    """A .json file: JSON lines, or one document — a list of objects, or COCO caption annotations ({"annotations": [...]})."""
    if not json_document(path):
        yield from _jsonl_rows(path, comp, pick)
        return
    try:
        with _open_binary(path, comp) as raw:
            doc = json.load(raw)
    except ValueError as exc:
        raise AobenchError(f"{path}: not valid JSON ({exc}); a .json corpus is JSON lines, a list of records or COCO captions") from None
    except RecursionError:
        raise AobenchError(f"{path}: JSON nested too deeply to read — a .json corpus is JSON lines, a list of records or COCO captions") from None
    rows = doc.get("annotations") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise AobenchError(f"{path}: a JSON document that is neither a list of records nor COCO captions ({{\"annotations\": [...]}}): write JSON lines, one record a line")
    for n, row in enumerate(rows):
        yield Row(f"{path.name}:{n}", row, None, n)


def _csv_rows(path: Path, comp: str, pick: Callable, delimiter: str) -> Iterator[Row]:
    stem = path.name
    damaged = _read_errors()
    with _open_binary(path, comp) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        # over-long fields are counted as `too_long` below instead of stopping the reader
        csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
        reader = csv.DictReader(text, delimiter=delimiter)
        try:
            fieldnames = reader.fieldnames
        except damaged as exc:
            yield _truncated(_damaged(path, 0, exc))
            return
        if not fieldnames:
            yield Row(f"{stem}:0", None, "empty_file")
            return
        cols = pick(list(fieldnames))
        n = 1
        while True:
            n += 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:  # e.g. an unterminated quote; the reader goes on with the next line
                yield Row(f"{stem}:{n}", None, "malformed_csv", n)
                continue
            except damaged as exc:
                yield _truncated(_damaged(path, n - 1, exc))
                return
            yield Row(f"{stem}:{n}", {c: row.get(c) for c in cols}, None, n)


def _parquet_rows(path: Path, comp: str, pick: Callable) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise AobenchError(f"{path}: not a readable Parquet file ({' '.join(str(exc).split())}) — check or re-write it") from None
    cols = list(dict.fromkeys(pick(pf.schema_arrow.names)))
    row = 0
    for g in range(pf.num_row_groups):
        try:
            table = pf.read_row_group(g, columns=cols)
        except (pa.ArrowException, OSError):  # a damaged row group: its rows are counted as skipped, the rest is read
            for _ in range(pf.metadata.row_group(g).num_rows):
                yield Row(f"{path.name}:{row}", None, "corrupt_row_group", row)
                row += 1
            continue
        columns = {c: table.column(c).to_pylist() for c in cols}
        for i in range(table.num_rows):
            yield Row(f"{path.name}:{row}", {c: v[i] for c, v in columns.items()}, None, row)
            row += 1


# -- the format table: suffix → local reader, Spark reader, record rule --------------------------------
@dataclass(frozen=True)
class Format:
    """One caption-table format: its suffixes, local reader, how Spark reads it, and the rules that make a row a caption record.

    kind: `lines` (a caption a line), `records` (a JSON value a row, each with its own keys: a row without the
    caption column is skipped as `missing_column`), `table` (one header: a missing column is an error).
    """

    name: str
    suffixes: tuple[str, ...]
    kind: str
    rows: Callable[[Path, str, Callable[[list[str]], list[str]]], Iterator[Row]]  # (path, compression, pick(header) → columns)
    null: str = "missing_column"  # record rule: the skip reason of a null value
    blank_id: bool = False  # record rule: an empty id is an id (else the row's place names it)
    spark: Optional[str] = None  # Spark's reader: text (a row a line, parsed here), csv, tsv or parquet; None: --engine local only
    spark_null: Optional[str] = None  # record rule on Spark: the reason of a null value (its CSV reader makes empty fields null)
    spark_refuses: Optional[Callable[[Path], Optional[str]]] = None  # a file of this suffix Spark cannot read: why

    def record(self, row: Row, text_column: Optional[str], max_chars: int, col: Optional[str] = None, idc: Optional[str] = None) -> Record:
        """The caption record of one local row (`col`, `idc`: the text and id columns a table's header gave)."""
        if row.values is None:  # unreadable, or a JSON row that is `null` (not a record)
            return Record(row.where, None, row.skip or ("malformed_json" if self.kind == "records" else "null"))
        if self.kind == "lines":
            return _check(row.where, row.values[LINE], max_chars)
        if self.kind == "records":
            return _row_record(row.where, row.values, text_column, max_chars)
        rid = row.values.get(idc) if idc else None
        ident = _row_id(rid, row.where) if rid is not None and (self.blank_id or rid != "") else row.where
        value = row.values.get(col)
        if value is None:
            return Record(ident, None, self.null)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # the CSV reader keeps undecodable bytes as surrogates
                return Record(ident, None, "invalid_utf8")
        return _check(ident, value, max_chars)

    def spark_record(self, value: Optional[str], text_column: Optional[str], max_chars: int = MAX_CHARS) -> Record:
        """The caption record of one value as Spark's reader gives it."""
        if self.kind == "records":
            return jsonl_record("", value, text_column, max_chars)
        if value is None and self.spark_null:
            return Record("", None, self.spark_null)
        return _check("", value, max_chars)


def _json_lines_only(path: Path) -> Optional[str]:
    if json_document(path):
        return "--engine spark reads .json files as JSON lines, and {src} is one JSON document (a list or COCO captions): use --engine local, or write it as JSON lines"
    return None


FORMATS: dict[str, Format] = {f.suffixes[0]: f for f in (
    Format("text", (".txt", ""), "lines", _txt_rows, spark="text"),
    Format("jsonl", (".jsonl",), "records", _jsonl_rows, spark="text"),
    Format("json", (".json",), "records", _json_rows, spark="text", spark_refuses=_json_lines_only),
    Format("csv", (".csv",), "table", functools.partial(_csv_rows, delimiter=","), spark="csv", spark_null="empty"),
    Format("tsv", (".tsv",), "table", functools.partial(_csv_rows, delimiter="\t"), spark="tsv", spark_null="empty"),
    Format("parquet", (".parquet",), "table", _parquet_rows, null="null", blank_id=True, spark="parquet", spark_null="null"),
)}  # fmt: skip
FORMATS.update({suf: f for f in list(FORMATS.values()) for suf in f.suffixes})
COMPRESSIONS = (".gz", ".zst", ".zstd")
SUFFIXES = tuple(s for s in dict.fromkeys(FORMATS) if s)


def format_of(path: Path) -> tuple[Optional[Format], str, str]:
    """(the format of a file by its suffix or None, its base suffix, its compression suffix)."""
    base, comp = _base_suffix(path)
    return FORMATS.get(base), base, comp


def iter_rows(path: Path, fmt: Format, pick: Callable[[list[str]], list[str]]) -> Iterator[Row]:
    """Every row of a caption/URL table file of format `fmt`; `pick(header)` → the columns a table format reads."""
    if path.stat().st_size == 0:
        yield Row(f"{path.name}:0", None, "empty_file")
        return
    yield from fmt.rows(path, _base_suffix(path)[1], pick)


def iter_records(source: str | Path, text_column: Optional[str] = None, max_chars: int = MAX_CHARS, split: str = "train") -> Iterator[Record]:
    """Stream the captions of a file, a pipe or `-` (standard input), a `save_to_disk` dir, or a Hub dataset id (`hf:ORG/NAME` or ORG/NAME)."""
    if is_stream(source):
        yield from _stream_records(_Stream(source), text_column, max_chars)
        return
    path = Path(source)
    if parquet_dir(path):
        for part in sorted(path.glob("*.parquet")):
            yield from _file_records(part, text_column, max_chars)
        return
    if path.is_dir():
        yield from _iter_hf_local(path, text_column, max_chars, split)
        return
    if not path.exists():
        if is_hub_id(str(source)):
            yield from _iter_hf_hub(str(source).removeprefix("hf:"), text_column, max_chars, split)
            return
        raise AobenchError(f"corpus not found: {source} — check the path (a Hub dataset is named OWNER/NAME or hf:OWNER/NAME)")
    yield from _file_records(path, text_column, max_chars)


def _picker(path, text_column: Optional[str]) -> tuple[dict, Callable[[list[str]], list[str]]]:
    """(the header's text and id columns once read, the `pick` a table reader calls with its header)."""
    header: dict = {}

    def pick(columns: list[str]) -> list[str]:
        header["col"], header["idc"] = _pick_column(columns, text_column, path), _id_column(columns)
        return [c for c in (header["col"], header["idc"]) if c]

    return header, pick


def _stream_records(s: _Stream, text_column: Optional[str], max_chars: int) -> Iterator[Record]:
    try:
        if s.empty:
            yield Record(f"{s.name}:0", None, "empty_file")
            return
        fmt = FORMATS[s.base]
        header, pick = _picker(s, text_column)
        for row in fmt.rows(s, s.comp, pick):
            yield fmt.record(row, text_column, max_chars, header.get("col"), header.get("idc"))
    finally:
        s.close()


def _file_records(path: Path, text_column: Optional[str], max_chars: int) -> Iterator[Record]:
    header, pick = _picker(path, text_column)
    fmt, base, _ = format_of(path)
    if path.stat().st_size == 0:
        yield Record(f"{path.name}:0", None, "empty_file")
        return
    if fmt is None:
        raise AobenchError(f"{path}: unknown corpus format {base!r}; use {', '.join(SUFFIXES)} (optionally .gz/.zst)")
    for row in iter_rows(path, fmt, pick):
        yield fmt.record(row, text_column, max_chars, header.get("col"), header.get("idc"))


def jsonl_record(ident: str, line: Optional[str], text_column: Optional[str], max_chars: int = MAX_CHARS) -> Record:
    """The record of one JSON line (None: not UTF-8); the Spark engine's rule for JSON rows, as the local reader's."""
    value, skip, _ = _parse_line(line)
    return Record(ident, None, skip) if skip else _row_record(ident, value, text_column, max_chars)


def _row_record(ident: str, row, text_column: Optional[str], max_chars: int) -> Record:
    """The record of one parsed JSON value (a JSON line's, or an entry of a JSON document's list)."""
    if not isinstance(row, dict):
        return Record(ident, None, "malformed_json")
    col = text_column or next((c for c in TEXT_COLUMNS if c in row), None)
    rid = row.get(_id_column(list(row)) or "", None)
    return _check(_row_id(rid, ident), row.get(col) if col else None, max_chars)


def _iter_dataset(ds, name: str, text_column: Optional[str], max_chars: int) -> Iterator[Record]:
    cols = list(ds.column_names or []) if getattr(ds, "column_names", None) else []
    col = _pick_column(cols, text_column, Path(name)) if cols else text_column
    idc = _id_column(cols)
    for n, row in enumerate(ds):
        c = col or next((k for k in TEXT_COLUMNS if k in row), None)
        rid = row.get(idc) if idc else None
        yield _check(_row_id(rid, f"{name}:{n}"), row.get(c) if c else None, max_chars)


def _iter_hf_local(path: Path, text_column: Optional[str], max_chars: int, split: str) -> Iterator[Record]:
    from datasets import DatasetDict, load_from_disk

    try:
        ds = load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise AobenchError(f"{path}: not a datasets save_to_disk directory ({exc})") from None
    if isinstance(ds, DatasetDict):
        splits = list(ds) if split not in ds else [split]
        for s in splits:
            yield from _iter_dataset(ds[s].select_columns([c for c in ds[s].column_names if c != "image"]), f"{path.name}/{s}", text_column, max_chars)
    else:
        yield from _iter_dataset(ds, path.name, text_column, max_chars)


def _iter_hf_hub(repo: str, text_column: Optional[str], max_chars: int, split: str) -> Iterator[Record]:
    from datasets import load_dataset

    try:
        ds = load_dataset(repo, split=split, streaming=True)
    except Exception as exc:  # noqa: BLE001 - offline, missing repo, bad config: one user-facing line
        msg = one_line(exc)
        raise AobenchError(f"cannot stream Hub dataset {repo!r} (split {split}): {msg}") from None
    yield from _iter_dataset(ds, repo, text_column, max_chars)
