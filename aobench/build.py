"""`aobench build`: recipe → vocab → pairs → prompts → generate → filters → dataset + card, resumable.

Layout of DIR: `recipe.lock.yaml`, `pairs.jsonl`, `images/<split>/<id>.png`, `manifest.jsonl`,
`hf/` (save_to_disk), `README.md` (the card), and `.aobench/` (generation logs, completion mark).
Generation appends one log line per finished image (image written first, atomically), so a killed
build resumes where it stopped and ends byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from aobench.errors import AobenchError
from aobench.io import JsonlAppender, atomic_write_bytes, atomic_write_jsonl, atomic_write_text, read_jsonl
from aobench.progress import make_progress
from aobench.recipe import Recipe, load, lock_text

STATE = ".aobench"
OUTPUTS = ("recipe.lock.yaml", "pairs.jsonl", "manifest.jsonl", "README.md", "images", "hf", STATE)
MANIFEST_FIELDS = ("id", "split", "attribute", "attribute_type", "object", "object_group", "pair_status", "prompt", "seed", "file")


@dataclass
class BuildResult:
    """What a build run did."""

    out: Path
    status: str  # "complete", "already-complete", "shard-done"
    n_planned: int = 0
    n_generated_now: int = 0
    n_kept: int = 0
    filter_stats: dict = field(default_factory=dict)
    splits: dict = field(default_factory=dict)


def parse_shard(text: Optional[str]) -> Optional[tuple[int, int]]:
    """`i/n` → (i, n) with 0 <= i < n."""
    if not text:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise AobenchError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
    if not 0 <= i < n:
        raise AobenchError(f"--shard {text!r}: need 0 <= i < n")
    return i, n


def _build_options(limit: Optional[int], tiny: bool) -> dict:
    return {"limit": limit, "tiny": tiny}


def _check_existing(out: Path, recipe: Recipe, opts: dict, force: bool) -> None:
    lock = out / "recipe.lock.yaml"
    if lock.exists():
        try:
            old = yaml.safe_load(lock.read_text()) or {}
        except yaml.YAMLError:
            old = {}
        same = old.get("fingerprint") == recipe.fingerprint() and old.get("build") == opts
        if same:
            return
        if not force:
            old_name = (old.get("recipe") or {}).get("name", "?")
            raise AobenchError(
                f"--out {out} holds a build of a different recipe or options ({old_name}, fingerprint "
                f"{old.get('fingerprint')}, build {old.get('build')}); use another --out, or --force to replace it"
            )
    elif out.exists() and any(out.iterdir()) and not force:
        foreign = [p.name for p in out.iterdir() if p.name not in OUTPUTS]
        if foreign:
            raise AobenchError(f"--out {out} is not empty and holds no aobench build ({', '.join(sorted(foreign)[:5])}); use an empty dir or --force")
    if force:
        for name in OUTPUTS:
            p = out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()


def _load_counts(recipe: Recipe) -> list:
    if not recipe.pairs.counts:
        return []
    try:
        from aobench.text.counts import load_counts
    except ImportError:  # pragma: no cover - text stage ships with the package
        raise AobenchError("pairs.counts needs aobench.text (caption-corpus counts)") from None
    return [load_counts(p) for p in recipe.pairs.counts]


def _done_ids(out: Path) -> set[str]:
    done = set()
    for log in sorted((out / STATE).glob("generated*.jsonl")):
        for row in read_jsonl(log):
            if (out / row["file"]).exists():
                done.add(row["id"])
    return done


def _png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def build(
    recipe_ref: str,
    out: str | Path,
    *,
    limit: Optional[int] = None,
    tiny: bool = False,
    seed: Optional[int] = None,
    batch_size: Optional[int] = None,
    device: str = "auto",
    dtype: Optional[str] = None,
    force: bool = False,
    shard: Optional[str] = None,
    review: Optional[str] = None,
) -> BuildResult:
    """Build (or resume) the dataset a recipe describes into `out`."""
    overrides: dict = {}
    if seed is not None:
        overrides["seed"] = seed
    if batch_size is not None:
        overrides.setdefault("generator", {})["batch_size"] = batch_size
    if dtype is not None:
        overrides.setdefault("generator", {})["dtype"] = dtype
    recipe = load(recipe_ref, overrides)
    if limit is not None and limit < 1:
        raise AobenchError("--limit must be at least 1")
    out = Path(out)
    opts = _build_options(limit, tiny)
    _check_existing(out, recipe, opts, force)
    out.mkdir(parents=True, exist_ok=True)
    complete_mark = out / STATE / "complete"
    if complete_mark.exists() and complete_mark.read_text().strip() == recipe.fingerprint() and not review:
        return BuildResult(out=out, status="already-complete")
    if review:  # a bad review file fails now, not after generation
        from aobench.filters.review import read_review

        read_review(review)
    atomic_write_text(out / "recipe.lock.yaml", lock_text(recipe, opts))

    from aobench.generate.plan import plan
    from aobench.generate.registry import create_backend
    from aobench.pairs import select_pairs, write_pairs
    from aobench.vocab import load_vocab

    vocab = load_vocab(recipe.vocab)
    pairs = select_pairs(recipe, vocab, _load_counts(recipe))
    if not pairs:
        raise AobenchError(f"recipe {recipe.name}: no attribute-object pairs left after compatibility rules and seen-pair exclusion")
    write_pairs(out / "pairs.jsonl", pairs)
    items = plan(recipe, pairs)
    if limit is not None:
        items = items[:limit]
    shard_spec = parse_shard(shard)
    mine = items if shard_spec is None else items[shard_spec[0] :: shard_spec[1]]

    done = _done_ids(out)
    todo = [it for it in mine if it.id not in done]
    backend = None
    if todo:
        backend = create_backend(recipe.generator.backend, recipe.generator, tiny=tiny, device=device)
        backend.check(todo)
        log_name = "generated.jsonl" if shard_spec is None else f"generated.shard-{shard_spec[0]}-of-{shard_spec[1]}.jsonl"
        bs = recipe.generator.batch_size
        with JsonlAppender(out / STATE / log_name) as log, make_progress("images") as progress:
            task = progress.add_task(f"generating ({len(done & {i.id for i in mine})} already done)", total=len(todo))
            for start in range(0, len(todo), bs):
                batch = todo[start : start + bs]
                for item, image in zip(batch, backend.generate(batch)):
                    atomic_write_bytes(out / item.file, _png_bytes(image))
                    log.append({"id": item.id, "file": item.file})
                progress.advance(task, len(batch))
    generated_now = len(todo)

    done = _done_ids(out)
    missing = [it for it in items if it.id not in done]
    if missing:
        return BuildResult(out=out, status="shard-done", n_planned=len(items), n_generated_now=generated_now)

    from aobench.filters import FilterContext, run_filters

    records = [{k: it.as_dict()[k] for k in MANIFEST_FIELDS} for it in items]
    from aobench.device import resolve_device

    dev = getattr(backend, "device", None) or resolve_device(device)
    stats = run_filters(records, recipe.filters, FilterContext(root=out, device=dev, tiny=tiny, extra={"review": review}))
    review_stats = None
    if review:
        from aobench.filters.review import apply_review

        review_stats = apply_review(records, review)
        stats["review"] = review_stats["rejected"]
    atomic_write_jsonl(out / "manifest.jsonl", records)

    from aobench.dataset.assemble import build_dataset_dict, save_dataset_dict
    from aobench.dataset.card import render_card

    split_order = [s.name for s in recipe.splits]
    dsd = build_dataset_dict(records, out, split_order, [(p.attribute, p.object) for p in pairs])
    save_dataset_dict(dsd, out / "hf")
    generator_info = backend.describe() if backend is not None else _generator_info(recipe, tiny)
    atomic_write_text(out / "README.md", render_card(recipe, records, pairs, generator_info, stats, review=review_stats))
    atomic_write_text(complete_mark, recipe.fingerprint() + "\n")
    return BuildResult(
        out=out,
        status="complete",
        n_planned=len(items),
        n_generated_now=generated_now,
        n_kept=sum(r["filters"] == "kept" for r in records),
        filter_stats=stats,
        splits={k: len(v) for k, v in dsd.items()},
    )


def _generator_info(recipe: Recipe, tiny: bool) -> dict:
    g = recipe.generator
    info = {"backend": g.backend, "resolution": 64 if tiny and g.backend == "diffusers" else g.resolution}
    if g.backend == "diffusers":
        info.update(model=f"tiny-random-{g.family}" if tiny else g.model, steps=g.steps, guidance_scale=g.guidance_scale)
    return info


def is_complete(out: str | Path) -> bool:
    """Whether DIR holds a finished build (manifest, hf/, card and the completion mark)."""
    out = Path(out)
    return all((out / p).exists() for p in ("manifest.jsonl", "hf", "README.md", f"{STATE}/complete"))
