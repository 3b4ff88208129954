"""Corpus-leak filter: drop generated pairs that parsed caption corpora contain (not substring tests)."""

from __future__ import annotations

from aobench.nmidir import load_corpus


def corpus_leak_filter(records: list[dict], spec, ctx) -> tuple[list[dict], list[tuple[dict, str]]]:
    """Drop records whose (attribute, object) has count >= threshold in any of the saved counts."""
    tables = [load_corpus(p).counts for p in spec.counts]
    kept, dropped = [], []
    for rec in records:
        n = sum(t.pair_count(rec["attribute"], rec["object"]) for t in tables)
        if n >= spec.threshold:
            dropped.append((rec, f"corpus_leak:{n}"))
        else:
            kept.append(rec)
    return kept, dropped
