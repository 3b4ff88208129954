"""The work plan of a build: one item per image, in a fixed order (the manifest's order)."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Iterator, Optional

from aobench.artifacts import image_file
from aobench.budget import split_counts
from aobench.errors import AobenchError
from aobench.pairs import Pair
from aobench.prompts import render
from aobench.seeds import image_seed


@dataclass
class WorkItem:
    """One image to make: its identity, prompt and seed."""

    id: str
    split: str
    attribute: str
    attribute_type: str
    object: str
    object_group: str
    pair_status: str
    index: int
    prompt: str
    seed: int
    file: str

    def as_dict(self) -> dict:
        """Fields as a plain dict."""
        return asdict(self)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


class SplitPlan:
    """One split's images: per chosen pair, how many; the k-th image made on demand (pairs in order, then index)."""

    def __init__(self, recipe, split, pairs: list[Pair], counts: list[int]):
        self.recipe, self.split, self.pairs, self.counts = recipe, split, pairs, counts
        self.starts = list(itertools.accumulate(counts, initial=0))  # starts[i]: the first position of pairs[i]

    def __len__(self) -> int:
        return self.starts[-1]

    def item(self, k: int) -> WorkItem:
        """The k-th image of the split (0 <= k < len)."""
        i = bisect.bisect_right(self.starts, k) - 1
        p, idx, name = self.pairs[i], k - self.starts[i], self.split.name
        seed = image_seed(self.recipe.seed, name, p.attribute, p.object, idx)
        template = self.recipe.prompts[seed % len(self.recipe.prompts)]
        ident = f"{name}-{_slug(p.attribute)}-{_slug(p.object)}-{idx:05d}"
        return WorkItem(
            id=ident,
            split=name,
            attribute=p.attribute,
            attribute_type=p.attribute_type,
            object=p.object,
            object_group=p.object_group,
            pair_status=p.status,
            index=idx,
            prompt=render(template, p.attribute, p.object, p.attribute_type),
            seed=seed,
            file=image_file(name, ident),
        )


class Plan(Sequence):
    """Every image of every split, deterministic in order, prompt and seed — a sequence whose items are made when read.

    Only per-pair counts are held, so a recipe of a billion images costs nothing until its items are read:
    `limit_plan` picks `--limit` positions first and makes just those.
    """

    def __init__(self, recipe, pairs: list[Pair]):
        self.splits: list[SplitPlan] = []
        for split in recipe.splits:
            # candidates excluded as seen are listed for the audit, never drawn; an `unusual` split of a build that
            # checked no corpus takes its `unchecked` pairs and says so in pair_status
            chosen = [p for p in pairs if p.selected and (split.pairs == "all" or p.status == split.pairs or (split.pairs == "unusual" and p.status == "unchecked"))]
            if split.images_per_pair is not None:
                counts = {p.key(): split.images_per_pair for p in chosen}
            else:
                counts = split_counts(chosen, split.dependence, recipe.seed, split.images, split.min_images_per_pair,
                                      kind=split.dependence_kind, where=f"recipe {recipe.name}: splits.{split.name}")  # fmt: skip
            self.splits.append(SplitPlan(recipe, split, chosen, [counts.get(p.key(), 0) for p in chosen]))
        self.starts = list(itertools.accumulate((len(s) for s in self.splits), initial=0))

    def __len__(self) -> int:
        return self.starts[-1]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Plan, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def split_sizes(self) -> dict[str, int]:
        """Images per split, in recipe order."""
        return {s.split.name: len(s) for s in self.splits}

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        k = bisect.bisect_right(self.starts, i) - 1
        return self.splits[k].item(i - self.starts[k])

    def __iter__(self) -> Iterator[WorkItem]:
        for sp in self.splits:
            for k in range(len(sp)):
                yield sp.item(k)


def plan(recipe, pairs: list[Pair]) -> Plan:
    """Every image of every split, deterministic in order, prompt and seed (made as they are read)."""
    return Plan(recipe, pairs)


# memory a build keeps per planned image (its work item, manifest row and record, the dataset's metadata columns):
# ~1.4 KB measured for shapes-ao items + manifest rows; 4 KB leaves room for the copies assembly makes. Image
# bytes are not counted (they are on disk until assembly).
BYTES_PER_IMAGE = 4096
MAX_IMAGES_ENV = "AOBENCH_MAX_IMAGES"  # a fixed cap instead of the one from available memory (tests, shared machines)


def max_images() -> int:
    """How many images this machine can plan: $AOBENCH_MAX_IMAGES, else available memory / BYTES_PER_IMAGE."""
    import os

    env = os.environ.get(MAX_IMAGES_ENV)
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise AobenchError(f"${MAX_IMAGES_ENV}={env!r}: not a whole number of images") from None
    import psutil

    return max(1, psutil.virtual_memory().available // BYTES_PER_IMAGE)


def _too_big(where: str, n: int, cap: int) -> AobenchError:
    need = n * BYTES_PER_IMAGE / 2**30
    return AobenchError(f"{where}: {n:,} images are more than this machine can plan ({cap:,}; about {need:,.1f} GiB of memory needed) "
                        f"— lower it, or pass --limit N (set ${MAX_IMAGES_ENV} to change the cap)")  # fmt: skip


def check_sizes(recipe, limit: Optional[int] = None, items: Optional["Plan"] = None) -> None:
    """Refuse a recipe whose images this machine cannot hold, naming the field; with `--limit`, only the limit counts.

    Before pairs are chosen only `images` fields are known; with the plan, `images_per_pair` x pairs too.
    """
    cap = max_images()
    if limit is not None:
        if limit > cap:
            raise _too_big("--limit", limit, cap)
        return
    where = f"recipe {recipe.name}: splits"
    if items is None:
        for split in recipe.splits:
            if split.images is not None and split.images > cap:
                raise _too_big(f"{where}.{split.name}.images", split.images, cap)
        total = sum(s.images or 0 for s in recipe.splits)
        if total > cap:
            raise _too_big(f"{where}[*].images (all splits)", total, cap)
        return
    if len(items) > cap:
        sp = max(items.splits, key=len)
        field = "images" if sp.split.images is not None else f"images_per_pair ({sp.split.images_per_pair} x {len(sp.pairs)} pairs)"
        raise _too_big(f"{where}.{sp.split.name}.{field}" + ("" if len(sp) == len(items) else f" and the other splits ({len(items):,} in all)"), len(items), cap)


def limit_plan(items: list[WorkItem], limit: int) -> list[WorkItem]:
    """`limit` items spread over the splits in proportion to their full sizes (every split gets at least one while
    the budget lasts), evenly spaced within each split; deterministic, and in plan order.

    Evenly spaced picks keep each split's mix of pairs (and its attribute-object dependence) instead of the first
    pairs only; the picked items keep their ids and seeds, so they are the same images as in the full build.
    """
    if limit >= len(items):
        return list(items)
    positions: dict[str, Sequence[int]] = {}
    if isinstance(items, Plan):  # splits are contiguous runs of the plan: positions without making any item
        for name, n, start in zip(items.split_sizes(), items.split_sizes().values(), items.starts):
            if n:
                positions[name] = range(start, start + n)
    else:
        for pos, it in enumerate(items):
            positions.setdefault(it.split, []).append(pos)
    names = list(positions)
    exact = {s: len(positions[s]) * limit / len(items) for s in names}
    quota = {s: int(exact[s]) for s in names}
    # largest remainder for the rest (ties: recipe order)
    for s in sorted(names, key=lambda s: (-(exact[s] - quota[s]), names.index(s)))[: limit - sum(quota.values())]:
        quota[s] += 1
    for s in names:  # a split with images in the full plan gets one, taken from the largest share
        if quota[s] == 0:
            donor = max(names, key=lambda d: (quota[d], -names.index(d)))
            if quota[donor] <= 1:
                break
            quota[donor] -= 1
            quota[s] = 1
    chosen: list[int] = []
    for s in names:
        pos, m = positions[s], quota[s]
        chosen += [pos[(2 * j + 1) * len(pos) // (2 * m)] for j in range(m)]
    return [items[p] for p in sorted(chosen)]
