"""Filters: each `fn(records, spec, ctx) -> (kept, dropped)`, dropped = [(record, reason)].

Records are manifest rows (dicts with at least `id`, `file`, `prompt`, `attribute`, `object`,
`split`). `run_filters` applies the recipe's enabled filters in order and sets each row's
`filters` field to "kept" or the first reason it was dropped.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

_FILTERS: dict[str, str] = {
    "clip_score": "aobench.filters.clip_score:clip_score_filter",
    "near_duplicate": "aobench.filters.near_dup:near_duplicate_filter",
    "corpus_leak": "aobench.filters.corpus_leak:corpus_leak_filter",
}


@dataclass
class FilterContext:
    """What filters may need besides the records: where images are, device, tiny mode."""

    root: Path
    device: str = "cpu"
    tiny: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def get_filter(name: str) -> Callable:
    """The filter function registered under `name`."""
    module, fn = _FILTERS[name].split(":")
    return getattr(importlib.import_module(module), fn)


def run_filters(records: list[dict], spec, ctx: FilterContext) -> dict[str, int]:
    """Apply enabled filters in recipe order; set `filters` on every record; return drop counts per filter."""
    for r in records:
        r["filters"] = "kept"
    stats: dict[str, int] = {}
    alive = list(records)
    for name in type(spec).model_fields:
        sub = getattr(spec, name)
        if not getattr(sub, "enabled", False) or name not in _FILTERS:
            continue
        kept, dropped = get_filter(name)(alive, sub, ctx)
        for rec, reason in dropped:
            rec["filters"] = reason
        stats[name] = len(dropped)
        alive = kept
    return stats
