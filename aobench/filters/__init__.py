"""Filters: each `fn(records, spec, ctx) -> (kept, dropped)`, dropped = [(record, reason)].

Records are manifest rows (dicts with at least `id`, `file`, `prompt`, `attribute`, `object`,
`split`). `run_filters` applies the recipe's enabled filters in order and sets each row's
`filters` field to "kept" or the first reason it was dropped. Filters live in the shared lazy
`Registry`; other packages add theirs through the `aobench.filters` entry point group and switch
them on in a recipe's `filters:` section by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aobench.registry import Registry

FILTERS: Registry = Registry("filter", entry_point_group="aobench.filters")
FILTERS.register("clip_score", "aobench.filters.clip_score:clip_score_filter", "drop images whose CLIP similarity to their prompt is low")
FILTERS.register("near_duplicate", "aobench.filters.near_dup:near_duplicate_filter", "drop near-identical images (perceptual hash)")
FILTERS.register("corpus_leak", "aobench.filters.corpus_leak:corpus_leak_filter", "drop pairs that caption corpora contain")


@dataclass
class FilterContext:
    """What filters may need besides the records: where images are, device, tiny mode."""

    root: Path
    device: str = "cpu"
    tiny: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def run_filters(records: list[dict], spec, ctx: FilterContext) -> dict[str, int]:
    """Apply enabled filters in recipe order; set `filters` on every record; return drop counts per filter.

    An enabled filter that is not registered is an AobenchError naming it (never silently skipped).
    """
    for r in records:
        r["filters"] = "kept"
    stats: dict[str, int] = {}
    alive = list(records)
    for name, sub in spec.items():
        if not getattr(sub, "enabled", False):
            continue
        kept, dropped = FILTERS.get(name)(alive, sub, ctx)
        for rec, reason in dropped:
            rec["filters"] = reason
        stats[name] = len(dropped)
        alive = kept
    return stats
