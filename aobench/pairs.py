"""Attribute x object pairs: enumerate, mark seen/unusual, sample, and spread a split's images over them.

Seen pairs come from a `seen_pairs` file or from corpus counts (anything with `.pair_count(a, o)`,
such as `aobench.text.counts.Counts`); a pair with count >= threshold is seen. Unusual pairs are
the ones a benchmark tests; seen pairs are the ones a training split may show.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Optional, Protocol

import numpy as np

from aobench.errors import AobenchError
from aobench.seeds import rng_for, stable_int
from aobench.vocab import Vocab


class PairCounts(Protocol):
    """Anything that can say how often a corpus pairs an attribute with an object."""

    def pair_count(self, attribute: str, obj: str) -> int: ...


@dataclass
class Pair:
    """One selected pair with its labels and scores (a line of `pairs.jsonl`)."""

    attribute: str
    object: str
    attribute_type: str
    object_group: str
    status: str  # "seen" or "unusual"
    corpus_count: int = 0

    def key(self) -> tuple[str, str]:
        """(attribute, object)."""
        return (self.attribute, self.object)


def read_seen_pairs(path: str | Path) -> set[tuple[str, str]]:
    """Pairs from a `.jsonl` (attribute, object), `.csv` (attribute,object columns) or `.txt` ("attribute object" per line)."""
    p = Path(path)
    if not p.exists():
        raise AobenchError(f"pairs.seen_pairs: file not found: {p}")
    out: set[tuple[str, str]] = set()
    with open(p, encoding="utf-8") as fh:
        if p.suffix == ".jsonl":
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    out.add((row["attribute"].lower(), row["object"].lower()))
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise AobenchError(f"malformed seen pair: {p}:{n}: expected {{\"attribute\", \"object\"}}") from None
        elif p.suffix in (".csv", ".tsv"):
            reader = csv.DictReader(fh, delimiter="\t" if p.suffix == ".tsv" else ",")
            if not reader.fieldnames or not {"attribute", "object"} <= set(reader.fieldnames):
                raise AobenchError(f"seen pairs file {p} needs columns attribute,object")
            for row in reader:
                out.add((row["attribute"].strip().lower(), row["object"].strip().lower()))
        else:
            for n, line in enumerate(fh, 1):
                parts = line.strip().split(maxsplit=1)
                if not parts:
                    continue
                if len(parts) != 2:
                    raise AobenchError(f"malformed seen pair: {p}:{n}: expected 'attribute object'")
                out.add((parts[0].lower(), parts[1].lower()))
    return out


def compatible_pairs(vocab: Vocab) -> list[tuple]:
    """All attribute x object pairs the vocabulary's rules allow, in vocabulary order."""
    return [(a, o) for o in vocab.objects for a in vocab.attributes if vocab.compatible(a, o)]


def _is_seen(a, o, seen: set, counts: Iterable[PairCounts], threshold: int) -> tuple[bool, int]:
    total = sum(int(c.pair_count(a.name, o.name)) for c in counts)
    names_o = {n.lower() for n in o.names}
    in_file = any((w.lower(), n) in seen for w in (a.name, *a.synonyms) for n in names_o)
    return in_file or total >= threshold, total


def _cyclic_holdout(n_objects: int, n_attrs: int, fraction: float, seed: int) -> np.ndarray:
    """Boolean [object, attribute] mask of held-out pairs: every object loses k attributes, attributes evenly."""
    k = max(1, min(n_attrs - 1, round(fraction * n_attrs)))
    perm = rng_for(seed, "holdout").permutation(n_attrs)
    mask = np.zeros((n_objects, n_attrs), dtype=bool)
    for i in range(n_objects):
        for j in range(k):
            mask[i, perm[(i * k + j) % n_attrs]] = True
    return mask


def select_pairs(recipe, vocab: Vocab, counts: Optional[list[PairCounts]] = None) -> list[Pair]:
    """Pairs for a build: seen/unusual labels, excluded corpus-seen pairs, K sampled attributes per object."""
    spec = recipe.pairs
    counts = list(counts or [])
    seen_file = read_seen_pairs(spec.seen_pairs) if spec.seen_pairs else set()
    cand = compatible_pairs(vocab)
    rows: list[Pair] = []
    if spec.unusual_fraction is not None:
        attr_index = {a.name: j for j, a in enumerate(vocab.attributes)}
        obj_index = {o.name: i for i, o in enumerate(vocab.objects)}
        mask = _cyclic_holdout(len(vocab.objects), len(vocab.attributes), spec.unusual_fraction, recipe.seed)
        for a, o in cand:
            is_seen, n = _is_seen(a, o, seen_file, counts, spec.seen_threshold)
            held = mask[obj_index[o.name], attr_index[a.name]] and not is_seen
            rows.append(Pair(a.name, o.name, a.type, o.group, "unusual" if held else "seen", n))
        return rows
    by_object: dict[str, list[Pair]] = {}
    for a, o in cand:
        is_seen, n = _is_seen(a, o, seen_file, counts, spec.seen_threshold)
        if not is_seen:
            by_object.setdefault(o.name, []).append(Pair(a.name, o.name, a.type, o.group, "unusual", n))
    for o in vocab.objects:
        options = by_object.get(o.name, [])
        if spec.attributes_per_object and len(options) > spec.attributes_per_object:
            pick = rng_for(recipe.seed, "pairs", o.name).choice(len(options), spec.attributes_per_object, replace=False)
            options = [options[i] for i in sorted(pick)]
        rows.extend(options)
    return rows


def write_pairs(path: str | Path, pairs: list[Pair]) -> None:
    """Write `pairs.jsonl` atomically."""
    from aobench.io import atomic_write_jsonl

    atomic_write_jsonl(path, (asdict(p) for p in pairs))


def read_pairs(path: str | Path) -> list[Pair]:
    """Read `pairs.jsonl`."""
    from aobench.io import read_jsonl

    return [Pair(**row) for row in read_jsonl(path)]


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
