"""`aobench build`: recipe → vocab → pairs → prompts → generate → filters → dataset + card, resumable.

The layout of DIR is `aobench.artifacts.BuildDir`'s (lock, pairs, images, manifest, hf/, card, and
`.aobench/` with the generation logs and the completion mark); this module only conducts the stages.
Generation appends one log line per finished image (image written first, atomically), so a killed
build resumes where it stopped and ends byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from aobench.artifacts import MANIFEST_FIELDS, BuildDir
from aobench.errors import AobenchError
from aobench.io import JsonlAppender, atomic_write_bytes, read_jsonl
from aobench.options import parse_shard
from aobench.progress import make_progress
from aobench.recipe import Recipe, load, lock_text, with_overrides


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
    empty_splits: list = field(default_factory=list)  # recipe splits with no kept image: left out of hf/
    processes: int = 1  # processes of the launch that ran it (torchrun / accelerate launch)
    rank: int = 0  # this process's rank in that launch (only rank 0 reports)


def _build_options(limit: Optional[int], tiny: bool) -> dict:
    return {"limit": limit, "tiny": tiny}


def _check_existing(bd: BuildDir, recipe: Recipe, opts: dict, force: bool) -> None:
    out = bd.root
    if bd.lock_path.exists():
        try:
            old = bd.lock_doc
        except AobenchError:
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
        ours = {p.name for p in [*bd.outputs(), bd.locks_dir]}
        foreign = [p.name for p in out.iterdir() if p.name not in ours]
        if foreign:
            raise AobenchError(f"--out {out} is not empty and holds no aobench build ({', '.join(sorted(foreign)[:5])}); use an empty dir or --force")
    if force:
        for p in bd.outputs():
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()


def _done_ids(bd: BuildDir) -> set[str]:
    done = set()
    for log in bd.generation_logs():
        for row in read_jsonl(log):
            if (bd.root / row["file"]).exists():
                done.add(row["id"])
    return done


def _png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _check_flags(limit: Optional[int], batch_size: Optional[int], dtype: Optional[str], shard: Optional[str], review: Optional[str]) -> Optional[tuple[int, int]]:
    """Every flag is checked before anything is written (a bad flag leaves --out as it was)."""
    from aobench.recipe import GeneratorSpec

    if limit is not None and limit < 1:
        raise AobenchError(f"--limit {limit}: must be at least 1")
    if batch_size is not None and batch_size < 1:
        raise AobenchError(f"--batch-size {batch_size}: must be at least 1 (images per generator call)")
    dtypes = GeneratorSpec.model_fields["dtype"].annotation.__args__
    if dtype is not None and dtype not in dtypes:
        raise AobenchError(f"--dtype {dtype!r}: allowed: {', '.join(dtypes)}")
    spec = parse_shard(shard)
    if review:  # a bad review file fails now, not after generation
        from aobench.filters.review import read_review

        read_review(review)
    return spec


def build(
    recipe_ref: str | Recipe,
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
    wait: bool = False,
    recipe_path: Optional[list[str | Path]] = None,
) -> BuildResult:
    """Build (or resume) the dataset a recipe describes into `out`; a second build into the same `out` is refused (or waits).

    `recipe_ref`: a recipe name, a YAML path, or a `Recipe` already loaded (the study passes its levels so).
    `recipe_path`: folders where a recipe name is looked up (before $AOBENCH_RECIPE_PATH and the built-ins).
    Under torchrun / `accelerate launch` each rank generates shard RANK/WORLD_SIZE and rank 0 assembles.
    """
    import aobench.launch as launching
    from aobench.io import writable_dir
    from aobench.locks import BuildLock

    shard_spec = _check_flags(limit, batch_size, dtype, shard, review)
    launch = launching.current()
    if launch is not None and shard_spec is not None:
        raise AobenchError(f"--shard {shard}: this process is rank {launch.rank} of a launch of {launch.world} processes and takes "
                           f"shard {launch.rank}/{launch.world} itself — drop --shard under torchrun / accelerate launch")  # fmt: skip
    overrides: dict = {}
    if seed is not None:
        overrides["seed"] = seed
    if batch_size is not None:
        overrides.setdefault("generator", {})["batch_size"] = batch_size
    if dtype is not None:
        overrides.setdefault("generator", {})["dtype"] = dtype
    recipe = with_overrides(recipe_ref, overrides) if isinstance(recipe_ref, Recipe) else load(recipe_ref, overrides, search=recipe_path or ())
    from aobench.generate.plan import check_sizes

    check_sizes(recipe, limit)  # before --out is touched: a size this machine cannot hold is a recipe error
    if device != "auto":  # a GPU this machine lacks fails now, not after generation ("auto" needs no check)
        from aobench.device import resolve_device

        resolve_device(device)
    out = writable_dir(out)
    if launch is not None:
        return _build_launched(recipe, out, launch, limit=limit, tiny=tiny, device=device, force=force, wait=wait, review=review)
    with BuildLock(out, shard=shard_spec, wait=wait) as lock:
        return _build_locked(recipe, out, lock, limit=limit, tiny=tiny, device=device, force=force, shard_spec=shard_spec, review=review)


def _prepare(bd: BuildDir, recipe: Recipe, opts: dict, force: bool, review) -> Optional[BuildResult]:
    """Check what DIR holds; a BuildResult when there is nothing to do (the lock is written once the plan is known to fit)."""
    _check_existing(bd, recipe, opts, force)
    if bd.completed_fingerprint() == recipe.fingerprint() and not review:
        return BuildResult(out=bd.root, status="already-complete")
    return None


def _plan(recipe: Recipe, limit: Optional[int], write_to: Optional[BuildDir], opts: Optional[dict] = None) -> tuple[list, str, list]:
    """(pairs, the evidence line, the planned items): the same on every process; pairs.jsonl and the lock written into `write_to`."""
    from aobench.generate.plan import check_sizes, limit_plan, plan
    from aobench.pairs import choose_pairs, evidence_line, load_corpora, summarize, write_pairs
    from aobench.vocab import load_vocab

    vocab = load_vocab(recipe.vocab)
    chosen = choose_pairs(recipe, vocab, load_corpora(recipe))
    pairs = chosen.pairs
    if not any(p.selected for p in pairs):
        raise AobenchError(f"recipe {recipe.name}: no attribute-object pairs left after compatibility rules and seen-pair exclusion")
    evidence = evidence_line(summarize(recipe, pairs, chosen.n_candidates, chosen.evidence.corpora, chosen.census))
    items = plan(recipe, pairs)  # lazy: nothing is made until read, so --limit picks its images first
    check_sizes(recipe, limit, items)
    if write_to is not None:  # only a plan this machine can hold makes DIR a build of this recipe
        write_pairs(write_to.pairs_path, pairs)
        write_to.write_lock(lock_text(recipe, opts or {}))
    return pairs, evidence, (limit_plan(items, limit) if limit is not None else items)


def _generate(recipe: Recipe, bd: BuildDir, items: list, shard_spec, *, tiny, device, evidence: Optional[str], label: str = "", lines: bool = False):
    """Generate this shard's images not yet on disk → (the backend or None, how many were generated now)."""
    from aobench.generate.registry import create_backend
    from aobench.progress import console

    mine = items if shard_spec is None else items[shard_spec[0] :: shard_spec[1]]
    done = _done_ids(bd)
    todo = [it for it in mine if it.id not in done]
    if not todo:
        return None, 0
    backend = create_backend(recipe.generator.backend, recipe.generator, tiny=tiny, device=device)
    backend.check(todo)
    if evidence:
        console.print(evidence, markup=False, highlight=False, soft_wrap=True)  # after the checks: errors stay one line
    bs = recipe.generator.batch_size
    with JsonlAppender(bd.generation_log(shard_spec)) as log, make_progress("images", lines=lines) as progress:
        task = progress.add_task(f"{label}generating ({len(done & {i.id for i in mine})} already done)", total=len(todo))
        for start in range(0, len(todo), bs):
            batch = todo[start : start + bs]
            for item, image in zip(batch, backend.generate(batch)):
                atomic_write_bytes(bd.root / item.file, _png_bytes(image))
                log.append({"id": item.id, "file": item.file})
            progress.advance(task, len(batch))
    return backend, len(todo)


def _finish(recipe: Recipe, bd: BuildDir, lock, items: list, pairs: list, backend, *, tiny, device, review, generated_now: int) -> BuildResult:
    """Assemble if every planned image is on disk (one process at a time); else say this shard is done."""
    with lock.assembling():
        done = _done_ids(bd)
        missing = [it for it in items if it.id not in done]
        if missing:
            return BuildResult(out=bd.root, status="shard-done", n_planned=len(items), n_generated_now=generated_now)
        if not lock.exclusive and bd.completed_fingerprint() == recipe.fingerprint() and not review:
            return BuildResult(out=bd.root, status="already-complete", n_planned=len(items), n_generated_now=generated_now)
        return _assemble(recipe, bd, items, pairs, backend, device=device, tiny=tiny, review=review, generated_now=generated_now)


def _build_locked(recipe: Recipe, out: Path, lock, *, limit, tiny, device, force, shard_spec, review) -> BuildResult:
    bd = BuildDir(out)
    early = _prepare(bd, recipe, _build_options(limit, tiny), force, review)
    if early is not None:
        return early
    pairs, evidence, items = _plan(recipe, limit, bd, _build_options(limit, tiny))
    backend, generated_now = _generate(recipe, bd, items, shard_spec, tiny=tiny, device=device, evidence=evidence)
    return _finish(recipe, bd, lock, items, pairs, backend, tiny=tiny, device=device, review=review, generated_now=generated_now)


def _build_launched(recipe: Recipe, out: Path, launch, *, limit, tiny, device, force, wait, review) -> BuildResult:
    """One rank of a launch: every rank generates shard RANK/WORLD; rank 0 checks DIR first and assembles after the others.

    Each step is a collective (`Launch.agree`), so a user error on any rank stops every rank with one line.
    """
    from contextlib import ExitStack
    from dataclasses import replace

    from aobench.locks import BuildLock

    bd = BuildDir(out)
    shard_spec = (launch.rank, launch.world)
    mine: dict = {}
    with ExitStack() as stack:
        # the ranks of one launch share DIR (a read lock each, plus their shard's lock); any other build is refused
        launch.agree(lambda: mine.update(lock=stack.enter_context(BuildLock(out, shard=shard_spec, wait=wait))))
        early = launch.agree(lambda: _prepare(bd, recipe, _build_options(limit, tiny), force, review) if launch.main else None)[0]
        if early is not None:
            return replace(early, processes=launch.world, rank=launch.rank)
        launch.agree(lambda: mine.update(zip(("pairs", "evidence", "items"), _plan(recipe, limit, bd if launch.main else None, _build_options(limit, tiny)))))

        def generate() -> int:
            mine["backend"], n = _generate(recipe, bd, mine["items"], shard_spec, tiny=tiny, device=device, evidence=mine["evidence"] if launch.main else None,
                                           label=f"rank {launch.rank}/{launch.world}: ", lines=not launch.main)  # fmt: skip
            return n

        generated_now = sum(launch.agree(generate))

        def assemble() -> Optional[BuildResult]:
            if not launch.main:
                return None
            return _finish(recipe, bd, mine["lock"], mine["items"], mine["pairs"], mine["backend"], tiny=tiny, device=device, review=review, generated_now=generated_now)

        res = launch.agree(assemble)[0]  # the other ranks hold DIR until rank 0 has assembled
        return replace(res, processes=launch.world, rank=launch.rank)


def _assemble(recipe: Recipe, bd: BuildDir, items: list, pairs: list, backend, *, device, tiny, review, generated_now: int) -> BuildResult:
    """Filters, manifest, hf/ and the card, once every planned image is on disk (the caller holds the dir)."""
    from aobench.filters import FilterContext, run_filters
    from aobench.io import sweep_temp

    # every image is done and nobody else writes here now: temp files of killed writers can go
    out = bd.root
    sweep_temp(out, bd.images_dir.name, bd.state_dir.name)
    records = [{k: it.as_dict()[k] for k in MANIFEST_FIELDS} for it in items]
    # "auto" is resolved by the filter that needs a device (clip_score), so a procedural build never imports torch
    # (about 4 CPU-seconds a process); an explicit CUDA device was checked in `build`
    dev = getattr(backend, "device", None) or device
    stats = run_filters(records, recipe.filters, FilterContext(root=out, device=dev, tiny=tiny, extra={"review": review}))
    review_stats = None
    if review:
        from aobench.filters.review import apply_review

        review_stats = apply_review(records, review)
        stats["review"] = review_stats["rejected"]

    from aobench.dataset.assemble import build_dataset_dict, save_dataset_dict
    from aobench.dataset.card import render_card

    split_order = recipe.split_names()
    dsd = build_dataset_dict(records, out, split_order, [(p.attribute, p.object) for p in pairs if p.selected])
    if not len(dsd):
        raise AobenchError(f"--out {out}: the filters dropped every image ({', '.join(f'{k}: {v}' for k, v in stats.items())}); nothing to save — loosen the recipe's filters and rerun")
    bd.write_manifest(records)
    save_dataset_dict(dsd, bd.hf_dir)
    # the card comes from what the lock and manifest say, never from this run's state (a resume renders the same card)
    bd.write_card(render_card(recipe, records, pairs, _generator_info(recipe, tiny), stats, review=review_stats, tiny=tiny))
    bd.mark_complete(recipe.fingerprint())
    return BuildResult(
        out=out,
        status="complete",
        n_planned=len(items),
        n_generated_now=generated_now,
        n_kept=sum(r["filters"] == "kept" for r in records),
        filter_stats=stats,
        splits={k: len(v) for k, v in dsd.items()},
        empty_splits=[s for s in split_order if s not in dsd],
    )


def _generator_info(recipe: Recipe, tiny: bool) -> dict:
    """The card's generator line, as the recipe's backend describes itself (from the recipe and --tiny only)."""
    from aobench.generate.backend import card_info
    from aobench.generate.registry import BACKENDS

    return card_info(BACKENDS.get(recipe.generator.backend), recipe.generator, tiny)
