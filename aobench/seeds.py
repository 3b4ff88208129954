"""Seeds derived from names, never from a global RNG state: the same on every machine, run, batch and shard.

`stable_int` hashes its parts (SHA-256 of "p1|p2|..."); `rng_for` and `random_for` seed a numpy or a
stdlib generator from such a hash; `image_seed` is the seed of one generated image.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np


def _digest(parts: tuple) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()


def stable_int(*parts: object, bits: int = 63) -> int:
    """A stable integer hash of the parts (same on every machine and Python run)."""
    return int.from_bytes(_digest(parts)[:8], "little") & ((1 << bits) - 1)


def rng_for(*parts: object) -> np.random.Generator:
    """A numpy generator seeded from the parts."""
    return np.random.default_rng(stable_int(*parts))


def random_for(*parts: object) -> random.Random:
    """A stdlib generator seeded from the parts (for draws from Python lists, e.g. one per evaluated row)."""
    # seeded with the digest's first 8 bytes read big-endian: the eval foils were drawn so from the start
    return random.Random(int.from_bytes(_digest(parts)[:8], "big"))


def image_seed(recipe_seed: int, split: str, attribute: str, obj: str, index: int) -> int:
    """The seed of one image: stable across machines, runs, batch sizes and shards (fits torch's int64)."""
    return stable_int(recipe_seed, split, attribute, obj, index, bits=62)
