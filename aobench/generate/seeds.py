"""Per-image seeds: derived from (recipe seed, split, pair, index), never from a global RNG state."""

from __future__ import annotations

from aobench.pairs import stable_int


def image_seed(recipe_seed: int, split: str, attribute: str, obj: str, index: int) -> int:
    """The seed of one image: stable across machines, runs, batch sizes and shards (fits torch's int64)."""
    return stable_int(recipe_seed, split, attribute, obj, index, bits=62)
