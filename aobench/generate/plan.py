"""The work plan of a build: one item per image, in a fixed order (the manifest's order)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from aobench.generate.seeds import image_seed
from aobench.pairs import Pair, split_counts
from aobench.prompts import render


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
        chosen = [p for p in pairs if split.pairs == "all" or p.status == split.pairs]
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
                        file=f"images/{split.name}/{ident}.png",
                    )
                )
    return items
