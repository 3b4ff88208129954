"""`aobench nmi`: counts → NMI, AMI, MI, entropies (+ bias-corrected bootstrap intervals, size-matched values), PMI per pair, comparison.

The output dir is `aobench.nmidir.NmiDir`'s: its top level describes all corpora pooled; with several
corpora each also gets its own dir under `corpora/`, and a comparison table has one row per corpus.
The estimators are aobench.text.stats's; this module only decides what goes into which file.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError
from aobench.locks import holding
from aobench.nmidir import NmiDir
from aobench.text.corpus import COMPRESSIONS, SUFFIXES
from aobench.text.counts import Counts
from aobench.text.stats import bootstrap_ci, nmi_of_counts, pmi_table, size_matched

SUMMARY_KEYS = ("nmi", "ami", "expected_mi", "mi", "h_attribute", "h_object", "normalization", "ami_normalization", "n_events", "n_captions", "n_skipped")
SIZE_RATIO_WARNING = 2.0  # compared corpora whose caption counts differ more than this: the summary says to size-match


def write_analysis(out: Path, counts: Counts, caption_pairs: Optional[Counter], *, name: str, normalization: str, bootstrap: int, seen_threshold: int,
                   seed: int = 0, extra: Optional[dict] = None, sample_captions: Optional[int] = None, repeats: int = 20, min_count: int = 1) -> dict:  # fmt: skip
    """Write one table's statistics, pair rows and counts into the nmi dir `out`; returns the statistics (nmi.json's document)."""
    info = nmi_of_counts(counts, normalization)
    info["n_skipped"] = counts.skipped_total()
    info["n_skipped_by_reason"] = dict(sorted(counts.n_skipped.items()))
    info["n_negated"] = counts.n_negated  # negated pair mentions ("the umbrella is not blue"): not events
    info["n_seen_pairs"] = sum(1 for n in counts.pairs.values() if n >= seen_threshold)
    info["seen_threshold"] = seen_threshold
    info["min_count"] = min_count  # pairs.csv lists pairs seen at least this often; NMI/AMI count every event
    info["corpus"] = name
    if bootstrap and caption_pairs is not None:
        info["ci"] = bootstrap_ci(caption_pairs, bootstrap, normalization, seed, n_captions=counts.n_captions)
    if sample_captions and caption_pairs is not None:
        info["at_n"] = size_matched(caption_pairs, sample_captions, repeats, normalization, seed, n_captions=counts.n_captions)
    if extra:
        info.update(extra)
    ordered = {k: info[k] for k in SUMMARY_KEYS if k in info}
    ordered.update({k: v for k, v in info.items() if k not in ordered})
    NmiDir(out).write(counts, ordered, pmi_table(counts, seen_threshold, min_count))
    return ordered


def comparison_row(info: dict) -> dict:
    """One comparison.csv row of an nmi.json: plug-in NMI, AMI, their bootstrap intervals and size-matched values."""
    ci, at = info.get("ci") or {}, info.get("at_n") or {}
    row = dict(info)
    for prefix, iv in (("ci", ci.get("nmi") or {}), ("ami_ci", ci.get("ami") or {})):
        row.update({f"{prefix}_estimate": iv.get("estimate"), f"{prefix}_low": iv.get("low"), f"{prefix}_high": iv.get("high")})
    row["at_n"] = at.get("n_captions")
    for key in ("nmi", "ami"):
        v = at.get(key) or {}
        row.update({f"{key}_at_n": v.get("mean"), f"{key}_at_n_low": v.get("low"), f"{key}_at_n_high": v.get("high")})
    return row


def size_note(infos: list[dict], sample_captions: Optional[int]) -> Optional[str]:
    """One line when compared corpora differ in caption count by more than SIZE_RATIO_WARNING and nothing is size-matched."""
    sizes = [(str(i["corpus"]), int(i["n_captions"])) for i in infos if i.get("n_captions")]
    if sample_captions or len(sizes) < 2:
        return None
    (small, n_small), (big, n_big) = min(sizes, key=lambda x: x[1]), max(sizes, key=lambda x: x[1])
    if n_big <= SIZE_RATIO_WARNING * n_small:
        return None
    return (f"corpora differ {n_big / n_small:.1f}x in size ({big}: {n_big:,} captions, {small}: {n_small:,}); plug-in NMI grows as corpora "
            f"shrink — compare AMI, or NMI at one size with --sample-captions {n_small}")


def corpus_name(source: str) -> str:
    """A folder-safe name for a corpus path or id."""
    base = Path(str(source)).name or str(source)
    for group in (COMPRESSIONS, sorted(SUFFIXES, key=len, reverse=True)):  # a compression, then a format suffix
        base = next((base.removesuffix(s) for s in group if base.endswith(s)), base)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", base) or "corpus"


def corpus_names(sources: list[str]) -> list[str]:
    """`corpus_name` of each source, made unique (a short hash of the source) where two would share a folder."""
    import hashlib

    names = [corpus_name(s) for s in sources]
    return [f"{n}-{hashlib.sha256(str(s).encode()).hexdigest()[:8]}" if names.count(n) > 1 else n for n, s in zip(names, sources)]


@holding("aobench nmi")  # one run per --out: two would mix their nmi.json and corpora/
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
    sample_captions: Optional[int] = None,
    repeats: int = 20,
    min_count: int = 1,
) -> dict:
    """Analyse one or more corpora (or an `aobench extract` file); returns {"pooled": info, "corpora": [info, ...], "notes": [...]}.

    `bootstrap` resamples captions for bias-corrected intervals of NMI and AMI (`ci`); `sample_captions` adds
    each corpus's NMI and AMI at exactly that many captions (`at_n`: `repeats` seeded draws without
    replacement); `min_count` keeps rarer pairs out of pairs.csv (not out of NMI). `seed` seeds both.
    """
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
    if engine == "spark":
        from aobench.text.corpus import is_stream

        piped = [s for s in sources if is_stream(s)]
        if piped:
            raise AobenchError(f"{piped[0]}: a pipe or standard input is read by this process alone — use --engine local, or write it to a file the executors can read")
    if sample_captions is not None and sample_captions < 1:
        raise AobenchError(f"--sample-captions {sample_captions}: must be at least 1")
    if repeats < 1:
        raise AobenchError(f"--repeats {repeats}: must be at least 1")
    if min_count < 1:
        raise AobenchError(f"--min-count {min_count}: must be at least 1")
    from aobench.io import writable_dir

    out = writable_dir(out)
    nd = NmiDir(out)
    kw = dict(normalization=normalization, bootstrap=bootstrap, seen_threshold=seen_threshold, seed=seed, sample_captions=sample_captions,
              repeats=repeats, min_count=min_count)  # fmt: skip
    keep_types = bool(bootstrap or sample_captions)
    meta = {"vocab": vocab_ref or "none", "engine": engine}
    if pairs_file is not None:
        from aobench.text.engine import counts_from_pairs_file

        counts, cps = counts_from_pairs_file(pairs_file)
        _check_sample_size(sample_captions, [(Path(pairs_file).name, counts)])
        nd.drop_corpora(keep=[])
        return {"pooled": write_analysis(out, counts, cps, name=Path(pairs_file).name, extra={**meta, "sources": [str(pairs_file)]}, **kw), "corpora": [], "notes": []}
    per: list[tuple[str, Counts, Counter]] = []
    for src in sources:
        if engine == "spark":
            from aobench.text.spark import count_with_spark

            c, cps = count_with_spark([src], vocab_ref, text_column=text_column, master=spark_master, partitions=spark_partitions,
                                      shard_dir=nd.shards_dir, keep_caption_types=keep_types)
        else:
            from aobench.text.engine import count_corpora

            c, cps = count_corpora([src], vocab_ref, text_column=text_column, workers=workers, shard_dir=nd.shards_dir, keep_caption_pairs=keep_types)
        per.append((str(src), c, cps))
    # a corpus smaller than the size-matched n fails here, before any analysis is written (its counts are kept in shards/)
    _check_sample_size(sample_captions, [(corpus_name(src), c) for src, c, _ in per])
    pooled = Counts()
    pooled_cps: Optional[Counter] = Counter() if keep_types else None
    for _, c, cps in per:
        pooled.merge(c)
        if pooled_cps is not None:
            pooled_cps.update(cps)
    result = {"pooled": write_analysis(out, pooled, pooled_cps, name="+".join(corpus_name(s) for s in sources), extra={**meta, "sources": list(map(str, sources))}, **kw),
              "corpora": [], "notes": []}  # fmt: skip
    names = corpus_names([src for src, _, _ in per]) if len(per) > 1 else []
    nd.drop_corpora(keep=names)  # a rerun with fewer corpora leaves none of the dropped ones behind
    if len(per) > 1:
        for (src, c, cps), name in zip(per, names):
            result["corpora"].append(write_analysis(nd.corpus(name).root, c, cps, name=name, extra={**meta, "sources": [src]}, **kw))
        nd.write_comparison([comparison_row(r) for r in result["corpora"]])
        note = size_note(result["corpora"], sample_captions)
        if note:
            result["notes"].append(note)
    return result


def _check_sample_size(n: Optional[int], corpora: list[tuple[str, Counts]]) -> None:
    """--sample-captions larger than a corpus: one line naming it and its size."""
    for name, c in corpora:
        if n and n > c.n_captions:
            raise AobenchError(f"--sample-captions {n}: corpus {name} has only {c.n_captions:,} captions — choose at most {min(x.n_captions for _, x in corpora):,}")
