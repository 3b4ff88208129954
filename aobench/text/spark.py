"""The Spark engine: the same extraction in `mapPartitions`, one spaCy pipeline per partition.

Readers are Spark's own (text, JSON lines, CSV, Parquet), so corpora are read by the executors, not the
driver. Pair counts equal the local engine's on the same corpus; skip reasons are those Spark can see
(empty and over-long captions; Spark decodes invalid UTF-8 leniently).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Iterator, Optional

from aobench.errors import AobenchError
from aobench.text.corpus import MAX_CHARS, _base_suffix, _check, _pick_column
from aobench.text.counts import Counts


def _partition(rows: Iterator, vocab_ref: Optional[str], keep_types: bool) -> Iterator[dict]:
    from aobench.text.parse import Extractor, vocab_for

    extractor = Extractor(vocab_for(vocab_ref))
    part = Counts()
    types: Counter = Counter()
    texts = []
    for text in rows:
        rec = _check("", text, MAX_CHARS)
        if rec.skip:
            part.skip(rec.skip)
        else:
            texts.append(rec.text)
    for pairs, negated in extractor.extract_all(texts):
        part.add_caption(pairs, negated)
        if keep_types and pairs:
            types[tuple(sorted(pairs))] += 1
    yield {"counts": part.to_dict(), "types": [[[list(p) for p in k], m] for k, m in types.items()]}


SPARK_FORMATS = (".txt", "", ".jsonl", ".json", ".csv", ".tsv", ".parquet")


def check_sources(sources: list[str]) -> None:
    """Spark reads plain or gzip files of the usual formats; anything else is a one-line error before Spark starts."""
    for src in sources:
        p = Path(src)
        if _parquet_dir(p):
            continue
        base, comp = _base_suffix(p)
        if not p.is_file() or base not in SPARK_FORMATS or comp not in ("", ".gz"):
            raise AobenchError(f"--engine spark cannot read {src} (it reads .txt/.jsonl/.csv/.tsv/.parquet files, plain or .gz, and folders of .parquet): use --engine local")


def _parquet_dir(p: Path) -> bool:
    """A folder of Parquet files (how Spark and LAION metadata dumps come), not a datasets save_to_disk dir."""
    return p.is_dir() and not (p / "dataset_dict.json").exists() and not (p / "state.json").exists() and any(p.glob("*.parquet"))


def _frame(spark, path: str, text_column: Optional[str]):
    base, _ = _base_suffix(Path(path))
    if base == ".parquet" or _parquet_dir(Path(path)):
        df = spark.read.parquet(path)
    elif base in (".jsonl", ".json"):
        df = spark.read.json(path)
    elif base in (".csv", ".tsv"):
        df = spark.read.option("header", True).option("sep", "\t" if base == ".tsv" else ",").csv(path)
    else:
        return spark.read.text(path).select("value")
    col = _pick_column([c for c in df.columns if c != "_corrupt_record"], text_column, Path(path))
    return df.select(col)


def count_with_spark(
    sources: list[str], vocab_ref: Optional[str], *, text_column: Optional[str] = None, master: str = "local[2]",
    partitions: Optional[int] = None, keep_caption_types: bool = False,
) -> tuple[Counts, Counter]:
    """Counts over the sources with pyspark (local mode by default), and caption types (for bootstrap) when asked."""
    from pyspark.sql import SparkSession

    from aobench.text.engine import preflight

    check_sources([str(s) for s in sources])
    preflight(vocab_ref)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    spark = SparkSession.builder.master(master).appName("aobench-nmi").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    total, types = Counts(), Counter()
    for src in sources:
        rdd = _frame(spark, str(src), text_column).rdd.map(lambda row: row[0])
        if partitions:
            rdd = rdd.repartition(partitions)
        for d in rdd.mapPartitions(lambda rows: _partition(rows, vocab_ref, keep_caption_types)).collect():
            total.merge(Counts.from_dict(d["counts"]))
            types.update({tuple(tuple(p) for p in k): m for k, m in d["types"]})
    return total, types
