"""Dataset cards: a Markdown template in `aobench/cards/` with YAML metadata valid for `huggingface_hub.DatasetCard`."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError
from aobench.paths import is_local


def template_path(name: str) -> Path:
    """A built-in card template by file name, or a path."""
    if is_local(name):
        p = Path(name).expanduser()
        if not p.is_file():
            raise AobenchError(f"card.template: template not found: {name}")
        return p
    builtin = Path(str(resources.files("aobench"))) / "cards" / name
    if not builtin.exists():
        raise AobenchError(f"card.template: template not found: {name}")
    return builtin


def size_category(n: int) -> str:
    """The Hub's size_categories bucket for n rows."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"


def split_stats(records: list[dict], split_order: list[str]) -> list[dict]:
    """Per split: kept images, pairs, objects, attributes, images per attribute type."""
    out = []
    for split in split_order:
        rows = [r for r in records if r["split"] == split and r.get("filters") == "kept"]
        out.append(
            {
                "name": split,
                "images": len(rows),
                "pairs": len({(r["attribute"], r["object"]) for r in rows}),
                "objects": len({r["object"] for r in rows}),
                "attributes": len({r["attribute"] for r in rows}),
                "by_type": dict(Counter(r["attribute_type"] for r in rows)),
            }
        )
    return out


def render_card(recipe, records: list[dict], pairs: list, generator: dict, filter_stats: dict, *, repo_id: Optional[str] = None, review: Optional[dict] = None,
                tiny: bool = False) -> str:  # fmt: skip
    """The dataset card (README.md) for a build (`tiny`: a `--tiny` smoke build, said so at the top and in the licence)."""
    from huggingface_hub import DatasetCard, DatasetCardData

    from aobench.version import __version__
    from aobench.generate.licenses import generator_license
    from aobench.pairs import summarize

    lic = generator_license(recipe.generator, tiny)
    # the card's licence follows the generator's unless the recipe names another (card.license)
    license_fields = lic.card_fields() if recipe.card.license in (None, lic.id) else {"license": recipe.card.license}
    split_order = recipe.split_names()
    stats = split_stats(records, split_order)
    n_kept = sum(s["images"] for s in stats)
    data = DatasetCardData(
        **license_fields,
        pretty_name=recipe.card.pretty_name,
        task_categories=list(recipe.card.task_categories),
        tags=list(recipe.card.tags),
        language=["en"],
        size_categories=[size_category(n_kept)],
        # only splits with images: an empty split has no data files, and a config naming it cannot be loaded
        configs=[{"config_name": "default", "data_files": [{"split": s["name"], "path": f"data/{s['name']}-*"} for s in stats if s["images"]]}],
    )
    card = DatasetCard.from_template(
        data,
        template_path=str(template_path(recipe.card.template)),
        pretty_name=recipe.card.pretty_name,
        description=recipe.card.description or recipe.description,
        limitations=recipe.card.limitations or "Not stated in the recipe.",
        aobench_version=__version__,
        recipe_name=recipe.name,
        fingerprint=recipe.fingerprint(),
        seed=recipe.seed,
        repo_id=repo_id or f"<owner>/{recipe.name}",
        splits=stats,
        attribute_types=sorted({t for s in stats for t in s["by_type"]}),
        vocab=recipe.vocab.model_dump(),
        n_pairs=sum(p.selected for p in pairs),
        n_seen=sum(p.selected and p.status == "seen" for p in pairs),
        n_unusual=sum(p.selected and p.status == "unusual" for p in pairs),
        n_unchecked=sum(p.selected and p.status == "unchecked" for p in pairs),
        evidence=summarize(recipe, pairs),
        prompts=recipe.prompts,
        generator=generator,
        filter_stats=filter_stats,
        n_generated=len(records),
        n_kept=n_kept,
        review=review,
        image_license=lic,
        tiny=tiny and recipe.generator.backend not in ("procedural",),
        generator_model=recipe.generator.model or recipe.generator.backend,
    )
    return str(card)
