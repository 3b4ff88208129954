"""Seeded draws that cost microseconds per caption: BLAKE2b of (key, counter), no Mersenne Twister to seed."""

from __future__ import annotations

from hashlib import blake2b
from typing import Callable, Optional, Sequence, TypeVar

T = TypeVar("T")


class HashRng:
    """Deterministic draws for one key (e.g. seed|caption id|foil type), identical across runs and platforms."""

    __slots__ = ("_key", "_n")

    def __init__(self, key: str):
        self._key = key.encode("utf-8")
        self._n = 0

    def _u64(self) -> int:
        self._n += 1
        return int.from_bytes(blake2b(self._key + b"#%d" % self._n, digest_size=8).digest(), "big")

    def randrange(self, n: int) -> int:
        """An index in [0, n) (modulo bias below 2**-40 for any pool this package builds)."""
        return self._u64() % n

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """k distinct items in draw order (partial Fisher–Yates)."""
        items = list(seq)
        k = min(k, len(items))
        for i in range(k):
            j = i + self.randrange(len(items) - i)
            items[i], items[j] = items[j], items[i]
        return items[:k]

    def draw(self, pool: Sequence[T], ok: Callable[[T], bool], tries: int = 16) -> Optional[T]:
        """A uniform item of `pool` satisfying `ok`: rejection draws first, then one filtered pass (None: none fits)."""
        if not pool:
            return None
        for _ in range(tries):
            c = pool[self.randrange(len(pool))]
            if ok(c):
                return c
        fits = [c for c in pool if ok(c)]
        return fits[self.randrange(len(fits))] if fits else None
