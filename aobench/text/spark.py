"""The Spark engine: extraction in `mapInArrow` on the executors, counts summed there, one shard per input file.

DataFrame API only, so it runs on any master and under Spark Connect: Spark's readers read the corpora on the
executors; each Python worker keeps one spaCy pipeline (the local engine's) across its tasks; every partition
turns its captions into the local engine's `Counts`, flattened to rows, and `groupBy(file, kind, attribute,
object).sum` adds them up on the executors. Only that aggregated table comes back; the driver writes one shard
per input file, so a rerun counts only the files without one. Counts equal the local engine's; skip reasons
are those Spark can see (it decodes invalid UTF-8 leniently and cannot read `.zst`).
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import unquote, urlparse

from aobench.errors import AobenchError
from aobench.io import atomic_write_json
from aobench.text.corpus import FORMATS, Format, Record, _pick_column, format_of, parquet_dir
from aobench.text.counts import Counts

OUT_SCHEMA = "file string, kind string, attribute string, object string, n long"
TYPES_KIND = "caption_types"  # bootstrap's caption types, beside the Counts fields


# -- sources ---------------------------------------------------------------------------------------
def _is_uri(src: str) -> bool:
    return "://" in src and not src.startswith("file:")


def _local(src: str) -> Path:
    return Path(unquote(urlparse(src).path)) if src.startswith("file:") else Path(src)


def _format(src: str) -> Format:
    """The source's format (`aobench.text.corpus.FORMATS`); a remote URI without a suffix is a folder of Parquet files."""
    path = Path(urlparse(src).path) if _is_uri(src) else _local(src)
    if (not _is_uri(src) and parquet_dir(path)) or (_is_uri(src) and not path.suffix):
        return FORMATS[".parquet"]
    return format_of(path)[0] or FORMATS[".txt"]


def check_sources(sources: list[str]) -> None:
    """Spark reads plain or gzip files of the usual formats; anything else is a one-line error before Spark starts."""
    for src in map(str, sources):
        if _is_uri(src):
            continue  # hdfs://, s3a://, gs://...: only the executors can see them
        p = _local(src)
        if parquet_dir(p):
            continue
        fmt, _, comp = format_of(p)
        if not p.is_file() or fmt is None or fmt.spark is None or comp not in ("", ".gz"):
            raise AobenchError(f"--engine spark cannot read {src} (it reads .txt/.jsonl/.csv/.tsv/.parquet files, plain or .gz, folders of .parquet and hdfs:// or s3a:// URIs): use --engine local")
        refused = fmt.spark_refuses(p) if fmt.spark_refuses else None
        if refused:
            raise AobenchError(refused.format(src=src))


def _read(spark, fmt: Format, paths: list[str]):
    if fmt.spark == "parquet":
        return spark.read.parquet(*paths)
    if fmt.spark in ("csv", "tsv"):
        # RFC 4180 as Python's csv reads it: "" escapes a quote, quoted fields may span lines
        reader = spark.read.option("header", True).option("sep", "\t" if fmt.spark == "tsv" else ",").option("escape", '"').option("multiLine", True)
        return reader.csv(paths)
    return spark.read.text(paths)  # text, and JSON lines parsed by the local reader's own rules on the workers


def _norm(uri: str) -> str:
    """One spelling per file for inputFiles() and input_file_name() (file:/x, file:///x, %20)."""
    return str(_local(uri).resolve()) if uri.startswith("file:") or "://" not in uri else unquote(uri)


# -- executors -------------------------------------------------------------------------------------
@contextmanager
def _without_torch() -> Iterator[None]:
    # thinc imports torch whenever it is installed (~650 MB a process) though the spaCy pipeline never uses it;
    # hidden only while the pipeline loads, so the worker's later tasks can still import torch
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def _record(fmt: str, value, text_column: Optional[str]) -> Record:
    """The format's record rule for a value Spark read (`fmt`: its key in FORMATS, a string: the task ships no aobench objects)."""
    return FORMATS[fmt].spark_record(value, text_column)


def _flatten(file: str, counts: Counts, types: Counter) -> Iterator[tuple]:
    """Counts (any additive fields: totals, by-reason tallies, pair tables) and caption types as summable rows."""
    for kind, value in counts.to_dict().items():
        if isinstance(value, int):
            yield file, kind, "", "", value
        elif isinstance(value, dict):
            yield from ((file, kind, k, "", int(n)) for k, n in value.items())
        elif isinstance(value, list) and all(len(r) == 3 for r in value):
            yield from ((file, kind, a, o, int(n)) for a, o, n in value)
        else:
            raise TypeError(f"Counts field {kind!r} cannot be summed across partitions")
    yield from ((file, TYPES_KIND, json.dumps([list(p) for p in key]), "", m) for key, m in types.items())


def _unflatten(rows: list[tuple]) -> tuple[Counts, Counter]:
    """Counts and caption types from (kind, attribute, object, n) rows; rows with the same key add up."""
    shapes = Counts().to_dict()  # each field's shape: a total, a by-key tally or a pair table
    d: dict = {k: Counter() if isinstance(v, (dict, list)) else 0 for k, v in shapes.items()}
    types: Counter = Counter()
    for kind, a, o, n in rows:
        if kind == TYPES_KIND:
            types[tuple(tuple(p) for p in json.loads(a))] += n
        elif isinstance(shapes.get(kind), dict):
            d[kind][a] += n
        elif isinstance(shapes.get(kind), list):
            d[kind][a, o] += n
        else:
            d[kind] = d.get(kind, 0) + n
    for kind, shape in shapes.items():
        if isinstance(shape, list):
            d[kind] = [[a, o, n] for (a, o), n in d[kind].items()]
    return Counts.from_dict(d), types


def count_partition(batches, fmt: str, vocab_ref: Optional[str], text_column: Optional[str], keep_types: bool):
    """mapInArrow body: Arrow batches of (text, file) in, one batch of summable count rows per file out."""
    import pyarrow as pa

    from aobench.text import engine

    per_file: dict[str, tuple[Counts, Counter]] = {}
    for batch in batches:
        texts: dict[str, list[str]] = defaultdict(list)
        for value, file in zip(batch.column("text").to_pylist(), batch.column("file").to_pylist()):
            counts, _ = per_file.setdefault(file, (Counts(), Counter()))
            rec = _record(fmt, value, text_column)
            if rec.skip:
                counts.skip(rec.skip)
            else:
                texts[file].append(rec.text)
        if texts:
            with _without_torch():
                engine._init_worker(vocab_ref)  # one pipeline per Python worker, kept across tasks
        for file, chunk in texts.items():
            counts, types = per_file[file]
            for pairs, negated in engine._extract_chunk(chunk):
                counts.add_caption(pairs, negated)
                if keep_types and pairs:
                    types[tuple(sorted(pairs))] += 1
    rows = [r for file, (c, t) in per_file.items() for r in _flatten(file, c, t)]
    names = ["file", "kind", "attribute", "object", "n"]
    yield pa.RecordBatch.from_arrays([pa.array([r[i] for r in rows], pa.int64() if i == 4 else pa.string()) for i in range(5)], names=names)


def _task(root: str, fmt: str, vocab_ref: Optional[str], text_column: Optional[str], keep_types: bool):
    """The function Spark ships: a closure, so it is pickled by value and can put `root` on the worker's path
    before importing aobench (workers on this machine, or sharing its disk, need no install of their own)."""

    def count(batches):
        import os
        import sys

        if os.path.isdir(root) and root not in sys.path:
            sys.path.insert(0, root)
        from aobench.text.spark import count_partition

        return count_partition(batches, fmt, vocab_ref, text_column, keep_types)

    return count


# -- driver ----------------------------------------------------------------------------------------
class _Watch:
    """Advances a progress task with the tasks Spark finishes (classic sessions; Spark Connect shows a spinner)."""

    def __init__(self, spark, progress, task):
        from aobench.spark_session import is_connect

        self.progress, self.task, self.stages = progress, task, {}
        self.tracker = None if is_connect(spark) else spark.sparkContext.statusTracker()
        self._stop = threading.Event()
        if self.tracker is not None:
            threading.Thread(target=self._run, daemon=True).start()

    def _poll(self, ids) -> None:
        for sid in ids:
            info = self.tracker.getStageInfo(sid)
            if info is not None:
                self.stages[sid] = (info.numCompletedTasks, info.numTasks)
        done, total = sum(d for d, _ in self.stages.values()), sum(t for _, t in self.stages.values())
        self.progress.update(self.task, completed=done, total=total or None)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._poll(self.tracker.getActiveStageIds())

    def stop(self) -> None:
        """Stop polling and show the finished stages' final counts."""
        self._stop.set()
        if self.tracker is not None:
            self._poll(list(self.stages))


def _shard_path(shard_dir: Optional[Path], file: str, vocab_ref, text_column, keep_types) -> Optional[Path]:
    from aobench.text.engine import _shard_key

    if shard_dir is None:
        return None
    # the local engine's key (path, size, mtime, vocab, column) under its own prefix: skip reasons may differ
    return Path(shard_dir) / f"spark-{_shard_key(_local(file) if not _is_uri(file) else Path(file), vocab_ref, text_column, keep_types)}.json"


def _count_files(spark, df, fmt: str, column: str, vocab_ref, text_column, keep_types: bool, partitions, progress, label: str) -> dict[str, list]:
    """One Spark job: extraction on the executors, rows summed there per (file, kind, attribute, object)."""
    from pyspark.sql import functions as F

    from aobench.spark_session import is_connect, package_root, worker_python

    df = df.select(F.col(f"`{column}`").alias("text"), F.input_file_name().alias("file"))
    if not partitions and not is_connect(spark) and df.rdd.getNumPartitions() < spark.sparkContext.defaultParallelism:
        # Spark splits files by bytes (4 MB at least), far more captions than one core parses quickly: a corpus
        # of few small files would run on one core, so it is spread over every core the session has
        partitions = spark.sparkContext.defaultParallelism
    if partitions:
        df = df.repartition(partitions)
    with worker_python(spark):
        rows = df.mapInArrow(_task(package_root(), fmt, vocab_ref, text_column, keep_types), OUT_SCHEMA)
    summed = rows.groupBy("file", "kind", "attribute", "object").agg(F.sum("n").alias("n"))
    watch = _Watch(spark, progress, progress.add_task(label, total=None))
    try:
        table = summed.collect()
    finally:
        watch.stop()
    by_file: dict[str, list] = defaultdict(list)
    for r in table:
        by_file[_norm(r["file"])].append((r["kind"], r["attribute"], r["object"], int(r["n"])))
    return by_file


def count_with_spark(
    sources: list[str], vocab_ref: Optional[str], *, text_column: Optional[str] = None, master: Optional[str] = None,
    partitions: Optional[int] = None, keep_caption_types: bool = False, shard_dir: Optional[Path] = None, spark=None,
) -> tuple[Counts, Counter]:
    """Counts over the sources on Spark (see aobench.spark_session for the master), resuming per file from `shard_dir`."""
    from aobench.progress import make_progress
    from aobench.spark_session import get_session
    from aobench.text.engine import _types_from_json, _types_to_json, preflight

    sources = [str(s) for s in sources]
    check_sources(sources)
    preflight(vocab_ref)
    spark = spark or get_session(master, "aobench-nmi")
    total, types = Counts(), Counter()
    with make_progress("tasks") as progress:
        for src in sources:
            fmt = _format(src)
            whole = _read(spark, fmt, [src])
            column = "value" if fmt.spark == "text" else _pick_column([c for c in whole.columns if c != "_corrupt_record"], text_column, Path(src))
            files = {_norm(f): f for f in whole.inputFiles()}
            shards = {f: _shard_path(shard_dir, f, vocab_ref, text_column, keep_caption_types) for f in files}
            pending = sorted(f for f, s in shards.items() if s is None or not s.exists())
            if len(pending) < len(files):
                progress.console.print(f"{src}: {len(files) - len(pending)} of {len(files)} files resumed from saved shards", markup=False, highlight=False)
            by_file: dict[str, list] = {}
            if pending:
                df = whole if len(pending) == len(files) else _read(spark, fmt, [files[f] for f in pending])
                by_file = _count_files(spark, df, fmt.suffixes[0], column, vocab_ref, text_column, keep_caption_types, partitions, progress, f"{Path(src).name}: {len(pending)} files")
            part, cps = Counts(), Counter()
            for f in sorted(files):
                if f in pending:
                    c, t = _unflatten(by_file.get(f, []))
                    if not _is_uri(f) and _local(f).stat().st_size == 0:
                        c.skip("empty_file")  # as the local reader counts it; Spark reads no row from it
                    saved = {"source": files[f], "engine": "spark", "counts": c.to_dict(), **({"caption_types": _types_to_json(t)} if keep_caption_types else {})}
                    if shards[f] is not None:
                        atomic_write_json(shards[f], saved)
                else:
                    saved = json.loads(shards[f].read_text())
                part.merge(Counts.from_dict(saved["counts"]))
                cps.update(_types_from_json(saved.get("caption_types", [])))
            # one source's table in canonical (sorted) order, as the local engine keeps it: floats summed over it
            # come out the same whichever engine, partitioning or resume point produced the counts
            total.merge(Counts.from_dict(part.to_dict()))
            types.update(_types_from_json(_types_to_json(cps)))
    return total, types
