"""The work plan of a build: one item per image, in a fixed order (the manifest's order)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from aobench.artifacts import image_file
from aobench.budget import split_counts
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


def plan(recipe, pairs: list[Pair]) -> list[WorkItem]:
    """Every image of every split, deterministic in order, prompt and seed."""
    items: list[WorkItem] = []
    for split in recipe.splits:
        # candidates excluded as seen are listed for the audit, never drawn; an `unusual` split of a build that
        # checked no corpus takes its `unchecked` pairs and says so in pair_status
        chosen = [p for p in pairs if p.selected and (split.pairs == "all" or p.status == split.pairs or (split.pairs == "unusual" and p.status == "unchecked"))]
        if split.images_per_pair is not None:
            counts = {p.key(): split.images_per_pair for p in chosen}
        else:
            counts = split_counts(chosen, split.dependence, recipe.seed, split.images, split.min_images_per_pair,
                                  kind=split.dependence_kind, where=f"recipe {recipe.name}: splits.{split.name}")  # fmt: skip
        for p in chosen:
            for idx in range(counts.get(p.key(), 0)):
                seed = image_seed(recipe.seed, split.name, p.attribute, p.object, idx)
                template = recipe.prompts[seed % len(recipe.prompts)]
                ident = f"{split.name}-{_slug(p.attribute)}-{_slug(p.object)}-{idx:05d}"
                items.append(
                    WorkItem(
                        id=ident,
                        split=split.name,
                        attribute=p.attribute,
                        attribute_type=p.attribute_type,
                        object=p.object,
                        object_group=p.object_group,
                        pair_status=p.status,
                        index=idx,
                        prompt=render(template, p.attribute, p.object, p.attribute_type),
                        seed=seed,
                        file=image_file(split.name, ident),
                    )
                )
    return items


def limit_plan(items: list[WorkItem], limit: int) -> list[WorkItem]:
    """`limit` items spread over the splits in proportion to their full sizes (every split gets at least one while
    the budget lasts), evenly spaced within each split; deterministic, and in plan order.

    Evenly spaced picks keep each split's mix of pairs (and its attribute-object dependence) instead of the first
    pairs only; the picked items keep their ids and seeds, so they are the same images as in the full build.
    """
    if limit >= len(items):
        return list(items)
    positions: dict[str, list[int]] = {}
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
