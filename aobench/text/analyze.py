"""`aobench nmi`: counts → NMI/MI/entropies (+ bootstrap CI), PMI per pair, comparison across corpora.

The output dir is `aobench.nmidir.NmiDir`'s: its top level describes all corpora pooled; with several
corpora each also gets its own dir under `corpora/`, and a comparison table has one row per corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Optional

from aobench.nmidir import NmiDir
from aobench.text.counts import Counts
from aobench.text.stats import bootstrap_ci, nmi_of_counts, pmi_table

SUMMARY_KEYS = ("nmi", "mi", "h_attribute", "h_object", "normalization", "n_events", "n_captions", "n_skipped")


def write_analysis(out: Path, counts: Counts, caption_pairs: Optional[Counter], *, name: str, normalization: str, bootstrap: int, seen_threshold: int, seed: int = 0, extra: Optional[dict] = None) -> dict:
    """Write one table's statistics, pair rows and counts into the nmi dir `out`; returns the statistics (nmi.json's document)."""
    info = nmi_of_counts(counts, normalization)
    info["n_skipped"] = counts.skipped_total()
    info["n_skipped_by_reason"] = dict(sorted(counts.n_skipped.items()))
    info["n_negated"] = counts.n_negated  # negated pair mentions ("the umbrella is not blue"): not events
    info["n_seen_pairs"] = sum(1 for n in counts.pairs.values() if n >= seen_threshold)
    info["seen_threshold"] = seen_threshold
    info["corpus"] = name
    if bootstrap and caption_pairs is not None:
        info["ci"] = bootstrap_ci(caption_pairs, bootstrap, normalization, seed, n_captions=counts.n_captions)
    if extra:
        info.update(extra)
    ordered = {k: info[k] for k in SUMMARY_KEYS if k in info}
    ordered.update({k: v for k, v in info.items() if k not in ordered})
    NmiDir(out).write(counts, ordered, pmi_table(counts, seen_threshold))
    return ordered


def corpus_name(source: str) -> str:
    """A folder-safe name for a corpus path or id."""
    base = Path(str(source)).name or str(source)
    for suf in (".gz", ".zst", ".zstd", ".parquet", ".jsonl", ".json", ".csv", ".tsv", ".txt"):
        base = base.removesuffix(suf)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", base) or "corpus"


def run_nmi(
    sources: list[str],
    out: Path,
    *,
    vocab_ref: Optional[str] = "imagenet-ao",
    normalization: str = "arithmetic",
    bootstrap: int = 0,
    engine: str = "local",
    workers: int = 1,
    text_column: Optional[str] = None,
    pairs_file: Optional[Path] = None,
    seen_threshold: int = 1,
    seed: int = 0,
    spark_master: Optional[str] = None,
    spark_partitions: Optional[int] = None,
) -> dict:
    """Analyse one or more corpora (or an `aobench extract` file); returns {"pooled": info, "corpora": [info, ...]}."""
    from aobench.errors import AobenchError
    from aobench.text.stats import NORMALIZATIONS

    if normalization not in NORMALIZATIONS:
        raise AobenchError(f"--normalization {normalization!r}: allowed: {', '.join(NORMALIZATIONS)}")
    if engine not in ("local", "spark"):
        raise AobenchError(f"--engine {engine!r}: allowed: local, spark")
    if engine == "spark":
        from aobench.extras import require

        require("spark", "--engine spark")
    if engine != "spark" and (spark_master or spark_partitions):
        raise AobenchError("--spark-master/--spark-partitions need --engine spark")
    from aobench.io import writable_dir

    out = writable_dir(out)
    nd = NmiDir(out)
    kw = dict(normalization=normalization, bootstrap=bootstrap, seen_threshold=seen_threshold, seed=seed)
    meta = {"vocab": vocab_ref or "none", "engine": engine}
    if pairs_file is not None:
        from aobench.text.engine import counts_from_pairs_file

        counts, cps = counts_from_pairs_file(pairs_file)
        return {"pooled": write_analysis(out, counts, cps, name=Path(pairs_file).name, extra={**meta, "sources": [str(pairs_file)]}, **kw), "corpora": []}
    per: list[tuple[str, Counts, Counter]] = []
    for src in sources:
        if engine == "spark":
            from aobench.text.spark import count_with_spark

            c, cps = count_with_spark([src], vocab_ref, text_column=text_column, master=spark_master, partitions=spark_partitions,
                                      shard_dir=nd.shards_dir, keep_caption_types=bool(bootstrap))
        else:
            from aobench.text.engine import count_corpora

            c, cps = count_corpora([src], vocab_ref, text_column=text_column, workers=workers, shard_dir=nd.shards_dir, keep_caption_pairs=bool(bootstrap))
        per.append((str(src), c, cps))
    pooled = Counts()
    pooled_cps: Optional[Counter] = Counter() if bootstrap else None
    for _, c, cps in per:
        pooled.merge(c)
        if pooled_cps is not None:
            pooled_cps.update(cps)
    result = {"pooled": write_analysis(out, pooled, pooled_cps, name="+".join(corpus_name(s) for s in sources), extra={**meta, "sources": list(map(str, sources))}, **kw), "corpora": []}
    if len(per) > 1:
        for src, c, cps in per:
            name = corpus_name(src)
            result["corpora"].append(write_analysis(nd.corpus(name).root, c, cps, name=name, extra={**meta, "sources": [src]}, **kw))
        nd.write_comparison(result["corpora"])
    return result
