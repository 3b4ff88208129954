"""Spreading a split's image budget over its pairs: images per (attribute, object) at a chosen attribute-object dependence.

Used by the build plan (`generate/plan.py`: a split with `images` and `dependence`) and the NMI study
(`study/splits.py`: it predicts a split's NMI from these counts). Pairs come from `aobench.pairs`; only
their `attribute`, `object` and `key()` are read here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from aobench.errors import AobenchError
from aobench.seeds import stable_int

if TYPE_CHECKING:
    from aobench.pairs import Pair


def preferred_attribute(obj: str, options: list[str], seed: int, obj_rank: int) -> str:
    """The attribute an object leans towards when a split has dependence > 0 (spread across attributes)."""
    order = sorted(options)
    shift = stable_int(seed, "preferred") % max(1, len(order))
    return order[(obj_rank + shift) % len(order)]


def train_distribution(pairs: list[Pair], dependence: float, seed: int) -> dict[tuple[str, str], float]:
    """p(attribute, object) of a split: objects uniform, p(a|o) = (1-d)/|S_o| + d [a = preferred(o)]."""
    by_obj: dict[str, list[str]] = {}
    for p in pairs:
        by_obj.setdefault(p.object, []).append(p.attribute)
    probs = {}
    n_obj = len(by_obj)
    for rank, (obj, attrs) in enumerate(by_obj.items()):
        pref = preferred_attribute(obj, attrs, seed, rank)
        for a in attrs:
            probs[(a, obj)] = ((1 - dependence) / len(attrs) + (dependence if a == pref else 0.0)) / n_obj
    return probs


DEPENDENCE_KINDS = ("mixture", "shared-to-own")


def split_counts(
    pairs: list[Pair], dependence: float, seed: int, total: int, floor: int = 0, kind: str = "mixture", where: str = "split"
) -> dict[tuple[str, str], int]:
    """Images per pair of a split of `total` images at `dependence`, every pair at least `floor` (see the two kinds below).

    mixture: `floor` each, the rest spread by `train_distribution` (p(a|o) = (1-d)/|S_o| + d [a = preferred(o)]).
    shared-to-own: `shared_to_own_counts` — the per-pair counts are the same multiset at every dependence.
    """
    if floor * len(pairs) > total:
        raise AobenchError(
            f"{where}: min_images_per_pair {floor} x {len(pairs)} pairs = {floor * len(pairs)} images, more than the split's "
            f"{total} — lower min_images_per_pair or raise images"
        )
    if kind == "shared-to-own":
        return shared_to_own_counts(pairs, dependence, seed, total, floor, where)
    counts = allocate(train_distribution(pairs, dependence, seed), total - floor * len(pairs))
    return {k: n + floor for k, n in counts.items()}


def shared_attributes(pairs: list[Pair]) -> dict[str, str]:
    """Per object, the attribute all objects lean towards when they share one: the most widely seen, first in name order."""
    reach: dict[str, int] = {}
    by_obj: dict[str, list[str]] = {}
    for p in pairs:
        reach[p.attribute] = reach.get(p.attribute, 0) + 1
        by_obj.setdefault(p.object, []).append(p.attribute)
    order = {a: i for i, a in enumerate(sorted(reach, key=lambda a: (-reach[a], a)))}
    return {o: min(attrs, key=order.__getitem__) for o, attrs in by_obj.items()}


def own_attributes(by_obj: dict[str, list[str]], shared: dict[str, str], seed: int) -> dict[str, str]:
    """Per object, an attribute of its own: no other object's and not the shared one where a matching allows it.

    Distinct own attributes make every object that switches to its own attribute add dependence (no two
    objects pile onto one attribute); a bipartite matching by augmenting paths, candidates in the seeded
    order `preferred_attribute` uses, and `preferred_attribute` for objects the matching cannot serve.
    """
    cands = {}
    for rank, (obj, attrs) in enumerate(by_obj.items()):
        pool = sorted(a for a in attrs if a != shared[obj]) or sorted(attrs)
        first = pool.index(preferred_attribute(obj, pool, seed, rank))
        cands[obj] = pool[first:] + pool[:first]
    owner: dict[str, str] = {}

    def place(obj: str, seen: set) -> bool:
        for a in cands[obj]:
            if a in seen:
                continue
            seen.add(a)
            if a not in owner or place(owner[a], seen):
                owner[a] = obj
                return True
        return False

    for obj in by_obj:
        place(obj, set())
    mine = {o: a for a, o in owner.items()}
    return {obj: mine.get(obj, cands[obj][0]) for obj in by_obj}


def shared_to_own_counts(pairs: list[Pair], dependence: float, seed: int, total: int, floor: int, where: str = "split") -> dict[tuple[str, str], int]:
    """Counts whose per-pair profile is fixed while attribute-object dependence varies.

    Objects get equal shares of `total`; every pair of an object gets `floor` and the object's remaining
    images all go to one of its attributes: a shared one (the same for every object where it can be:
    low dependence) or the object's own preferred one (spread across attributes: high dependence).
    `dependence` d is the fraction of objects (in a seeded order) whose extra images go to their own
    attribute; one object at the boundary splits them, so NMI moves continuously with d while the
    multiset of per-pair counts stays the same (exactly at d * n_objects integer).
    """
    by_obj: dict[str, list[str]] = {}
    for p in pairs:
        by_obj.setdefault(p.object, []).append(p.attribute)
    per_obj = allocate({o: 1.0 / len(by_obj) for o in by_obj}, total)
    shared = shared_attributes(pairs)
    own = own_attributes(by_obj, shared, seed)
    switch_order = sorted(by_obj, key=lambda o: (stable_int(seed, "switch", o), o))
    counts: dict[tuple[str, str], int] = {}
    for obj, attrs in by_obj.items():
        extra = per_obj[obj] - floor * len(attrs)
        if extra < 0:
            raise AobenchError(
                f"{where}: object {obj!r} gets {per_obj[obj]} images, fewer than min_images_per_pair {floor} x {len(attrs)} "
                "of its pairs — lower min_images_per_pair or raise images"
            )
        frac = min(1.0, max(0.0, dependence * len(by_obj) - switch_order.index(obj)))
        to_own = int(round(frac * extra))
        for a in attrs:
            counts[(a, obj)] = floor
        counts[(own[obj], obj)] += to_own
        counts[(shared[obj], obj)] += extra - to_own
    return counts


def allocate(probs: dict[tuple[str, str], float], total: int) -> dict[tuple[str, str], int]:
    """Integer image counts per pair summing to `total` (largest-remainder rounding, ties by key)."""
    keys = list(probs)
    raw = np.array([probs[k] * total for k in keys])
    base = np.floor(raw).astype(int)
    rem = total - int(base.sum())
    order = sorted(range(len(keys)), key=lambda i: (-(raw[i] - base[i]), keys[i]))
    for i in order[:rem]:
        base[i] += 1
    return {k: int(n) for k, n in zip(keys, base)}
