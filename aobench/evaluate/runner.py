"""`evaluate(...)`: models × tasks on one dataset → one CLIP_benchmark-shaped JSON per (model, task), results.csv, plots.

The steps: resolve the models (each spec parsed and checked once; a model in memory taken as it is)
→ load the data → per model: embed the images (cached) → run the registered tasks on a complete
`TaskContext` → write the results (`results.py` owns the format). The runner knows neither model
kinds nor tasks. A model that cannot be loaded is recorded in `EvalRun.failures` (the CLI prints one
line per failure and exits 2) and the other models still run.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from aobench.device import resolve_device
from aobench.errors import AobenchError
from aobench.evaluate.cache import EmbeddingCache, content_hash, default_cache_dir
from aobench.evaluate.context import TaskContext, embed, select_templates
from aobench.evaluate.data import EvalData
from aobench.evaluate.models import EmbeddingModel, LoadedModel, ModelHandle, ModelSpec, as_handle, expand_specs, parse_alphas, resolve
from aobench.evaluate.results import Result, jsonable, load_results, nest_metrics, result_path, write_csv, write_result
from aobench.evaluate.tasks import TASKS, TaskNotApplicable, check_options, parse_tasks
from aobench.io import read_jsonl_strict
from aobench.locks import holding
from aobench.options import parse_shard

log = logging.getLogger(__name__)

ModelLike = Union[str, ModelSpec, LoadedModel, EmbeddingModel, tuple]


@dataclass
class EvalRun:
    """What one `evaluate` call did: results written, results skipped (existing), failures, notes, files."""

    results: list = field(default_factory=list)  # result dicts (as written)
    paths: list = field(default_factory=list)
    existing: list = field(default_factory=list)  # paths kept by skip_existing
    failures: list = field(default_factory=list)  # (spec, message)
    notes: list = field(default_factory=list)
    csv: Optional[Path] = None
    plots: list = field(default_factory=list)
    cache_hits: int = 0
    cache_misses: int = 0
    processes: int = 1  # processes of the launch that ran it (torchrun / accelerate launch)
    rank: int = 0  # this process's rank in that launch (only rank 0 runs tasks and writes)


@dataclass(frozen=True)
class Protocol:
    """How every model of one call is evaluated (the same for all, recorded in each result)."""

    tasks: list
    templates: list
    templates_label: str
    foils: Optional[list]
    batch_size: int
    workers: int
    seed: int
    amp: bool
    options: dict  # task options, read by tasks from ctx.options

    def recorded_options(self) -> dict:
        """The options a result records: the seed, mixed precision, and every task option."""
        return {"seed": self.seed, "amp": self.amp, **self.options}


def read_foils(path: Path) -> list[dict]:
    """Rows of a foils JSONL file (from `aobench foils`); each needs id, caption, foil."""
    path = Path(path)
    if not path.exists():
        raise AobenchError(f"--foils file not found: {path}")
    rows = []
    for n, r in read_jsonl_strict(path, "make it with `aobench foils`"):
        if not isinstance(r, dict) or not all(k in r for k in ("id", "caption", "foil")):
            got = ", ".join(r) if isinstance(r, dict) else type(r).__name__
            raise AobenchError(f"{path}:{n}: a foil row needs id, caption and foil (got {got}) — make it with `aobench foils`")
        rows.append(r)
    return rows


def _model_list(models: Any) -> list:
    """`models` as a list: one spec or model object, or a sequence of them."""
    single = (str, ModelSpec, LoadedModel, EmbeddingModel, ModelHandle)
    if isinstance(models, single):
        return [models]
    if isinstance(models, tuple) and models and not isinstance(models[0], single + (tuple,)):
        return [models]  # one (model, preprocess, tokenizer) tuple
    return list(models or [])


def parse_models(models: Any, wise_alphas: Optional[Union[str, Sequence[float]]] = None, shard: Optional[str] = None) -> list:
    """Specs parsed once (checkpoint folders and WiSE sweeps expanded) and models in memory, in order; this shard's share of them."""
    alphas = parse_alphas(wise_alphas) if isinstance(wise_alphas, str) or wise_alphas is None else list(wise_alphas)
    items = []
    for m in _model_list(models):
        items.extend(expand_specs([m], alphas) if isinstance(m, (str, ModelSpec)) else [m])
    if not items:
        raise AobenchError("no model given — pass --model SPEC (see `aobench eval --list-models`)")
    sh = parse_shard(shard)
    return items[sh[0] :: sh[1]] if sh else items


def _handle(item, device: str, amp: bool) -> ModelHandle:
    return resolve(item, device, amp) if isinstance(item, ModelSpec) else as_handle(item, amp)


def _label_of(item) -> str:
    return item.spec if isinstance(item, ModelSpec) else getattr(item, "name", "") or type(item).__name__


@holding("aobench eval", shard_arg="shard", launched=True)
def evaluate(
    data: str | Path,
    models: Union[ModelLike, Sequence[ModelLike]],
    out: str | Path,
    tasks: Optional[Sequence[str]] = None,
    *,
    templates: str = "recipe",
    device: str = "auto",
    batch_size: int = 64,
    skip_existing: bool = False,
    plot: bool = False,
    foils: Optional[str | Path] = None,
    wise_alphas: Optional[str | Sequence[float]] = None,
    cache_dir: Optional[str | Path] = "default",
    splits: Optional[Sequence[str]] = None,
    workers: int = 2,
    amp: bool = False,
    seed: int = 0,
    shard: Optional[str] = None,
    progress: bool = True,
    options: Optional[dict] = None,
    distributed: Optional[bool] = None,
    images: Optional[Sequence[str]] = None,
    annotations: Optional[str | Path] = None,
    skip_missing: bool = False,
    precision: Optional[str] = None,
) -> EvalRun:
    """Evaluate models on DATA; write `OUT/<dataset>_<pretrained>_<model>_en_<task>.json` and `OUT/results.csv`.

    `models`: spec strings (`aobench eval --list-models`), or models already in memory — a `LoadedModel`,
    open_clip's `(model, preprocess, tokenizer)` or transformers' `(model, processor)` (embeddings of those
    are not cached unless `LoadedModel.key` names the weights). `options`: task options (tasks read
    `ctx.options`), recorded in every result with the seed. Under torchrun / `accelerate launch` the ranks
    share each split's images for every model and rank 0 alone runs the tasks and writes (`distributed`: None
    follows the launcher; False runs this process alone, for a call made on one rank only).

    DATA may also name standard benchmarks (`sugarcrepe`, `sugarcrepe/swap_att`, `sugarcrepe,valse,aro`, `suite`;
    `aobench benchmarks` lists them): `images` (`DIR` or `SOURCE=DIR` values), `annotations` (a folder) and
    `skip_missing` say where their files are; `precision` is fp32 (default) or amp. One result per
    (benchmark, model), with per-example scores in `OUT/examples/` (`aobench.suite.run`).
    """
    import aobench.launch as launching

    if distributed is False and launching.current() is not None:
        with launching.alone():
            return evaluate(data, models, out, tasks, templates=templates, device=device, batch_size=batch_size, skip_existing=skip_existing,
                            plot=plot, foils=foils, wise_alphas=wise_alphas, cache_dir=cache_dir, splits=splits, workers=workers, amp=amp,
                            seed=seed, shard=shard, progress=progress, options=options, images=images, annotations=annotations,
                            skip_missing=skip_missing, precision=precision)  # fmt: skip
    out = Path(out)
    if precision not in (None, "fp32", "amp"):
        raise AobenchError(f"--precision {precision!r}: choose fp32 (the default) or amp (mixed precision on CUDA)")
    from aobench.evaluate.sources import parse_benchmarks, resolve as resolve_source

    bench = parse_benchmarks(str(data), Path(annotations).expanduser() if annotations else None)
    if bench is not None:
        return _evaluate_benchmarks(str(data), bench, models, out, tasks, device=device, batch_size=batch_size, skip_existing=skip_existing,
                                    cache_dir=cache_dir, workers=workers, amp=amp, shard=shard, progress=progress, images=images,
                                    annotations=annotations, skip_missing=skip_missing, precision=precision, wise_alphas=wise_alphas)  # fmt: skip
    protocol_tasks = parse_tasks(tasks)
    items = parse_models(models, wise_alphas, shard)
    if batch_size < 1:
        raise AobenchError(f"--batch-size {batch_size}: must be at least 1")
    options = check_options(dict(options or {}))  # each task checks its own options: a bad one fails before any model loads
    dev = resolve_device(device)
    ed = resolve_source(str(data)).load(str(data), list(splits) if splits else None)
    tmpl, tmpl_label = select_templates(templates, ed)
    protocol = Protocol(protocol_tasks, tmpl, tmpl_label, read_foils(Path(foils)) if foils else None, batch_size, workers, seed, amp, options)
    cache = EmbeddingCache(default_cache_dir() if cache_dir == "default" else cache_dir)
    launch = launching.current()
    run = EvalRun(processes=launch.world if launch else 1, rank=launch.rank if launch else 0)
    out.mkdir(parents=True, exist_ok=True)
    log.info("evaluating %d model(s) × %d task(s) on %s (%s)", len(items), len(protocol.tasks), ed.name, ", ".join(ed.splits))
    for item in items:
        try:
            handle = _handle(item, dev, amp)
        except AobenchError as exc:
            run.failures.append((_label_of(item), str(exc)))
            continue
        evaluate_model(handle, ed, protocol, cache, out, run, skip_existing=skip_existing, progress=progress)
    if run.rank:  # the other ranks of a launch only embedded their share
        return run
    run.cache_hits, run.cache_misses = cache.hits, cache.misses
    written = load_results([out])  # every result in OUT, earlier runs' and other shards' included, read once
    run.csv = write_csv(out, written)
    if plot:
        from aobench.evaluate.plots import make_plots

        run.plots = make_plots(out, written)
    return run


def _evaluate_benchmarks(data: str, bench: list, models, out: Path, tasks, *, device: str, batch_size: int, skip_existing: bool, cache_dir, workers: int,
                         amp: bool, shard, progress: bool, images, annotations, skip_missing: bool, precision: Optional[str], wise_alphas) -> EvalRun:  # fmt: skip
    """Standard benchmarks × models (`aobench.suite.run`): one result per (benchmark, model), results.csv."""
    import aobench.launch as launching
    from aobench.evaluate.sources import SELECTION_TASK, SUITE_NAME, tasks_for
    from aobench.suite.run import evaluate_benchmarks

    names = [n.strip() for v in (tasks or []) for n in str(v).split(",") if n.strip() and n.strip() != "all"]
    for src, _ in bench:
        bad = [n for n in names if n not in tasks_for(src.schema)]
        if bad:
            raise AobenchError(f"task {bad[0]!r} does not apply to benchmark {src.name} (rows: {src.schema}); its task is {SELECTION_TASK}")
    if precision is None:
        precision = "amp" if amp else "fp32"
    if batch_size < 1:
        raise AobenchError(f"--batch-size {batch_size}: must be at least 1")
    items = parse_models(models, wise_alphas, shard)
    dev = resolve_device(device)
    launch = launching.current()
    run = EvalRun(processes=launch.world if launch else 1, rank=launch.rank if launch else 0)
    out.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(default_cache_dir() if cache_dir == "default" else cache_dir)
    parts = [x.strip() for x in str(data).split(",")]
    explicit = {x.split("/", 1)[0] for x in parts if x != SUITE_NAME}
    optional = [b.name for b, _ in bench if b.name not in explicit] if SUITE_NAME in parts else []
    evaluate_benchmarks(bench, items, out, run, handle_of=lambda item: _handle(item, dev, precision == "amp"), cache=cache, optional=optional,
                        annotations=Path(annotations).expanduser() if annotations else None, images=images, skip_missing=skip_missing,
                        precision=precision, batch_size=batch_size, workers=workers, skip_existing=skip_existing, progress=progress)  # fmt: skip
    run.cache_hits, run.cache_misses = cache.hits, cache.misses
    if run.rank:  # the ranks met in evaluate_benchmarks' final gather: every result file is written
        return run
    run.csv = write_csv(out, load_results([out]))
    return run


def evaluate_model(handle: ModelHandle, ed: EvalData, protocol: Protocol, cache: EmbeddingCache, out: Path, run: EvalRun,
                   skip_existing: bool = False, progress: bool = True) -> None:  # fmt: skip
    """One model: embed (cached) → run each pending task → write its result; failures and notes go into `run`."""
    import aobench.launch as launching
    from aobench.progress import make_progress

    launch = launching.current()
    ms = handle.spec
    todo, existing = [], []
    for t in protocol.tasks:
        p = result_path(out, ed.name, ms.model_name, ms.pretrained_name, t)
        if skip_existing and p.exists():
            existing.append(p)
        else:
            todo.append(t)
    if launch is not None:  # rank 0's view of OUT decides for every rank (they meet in the embedding collectives)
        todo, existing = launch.all_gather((todo, existing))[0]
    run.existing.extend(existing)
    if len(todo) < len(protocol.tasks):
        log.info("%s: %d result(s) already in %s, kept (--skip-existing)", ms.spec, len(protocol.tasks) - len(todo), out)
    if not todo:
        return
    ctx = None
    try:
        with make_progress("images", transient=True) if progress and run.rank == 0 else nullcontext() as prog:
            emb = embed(ed, handle, cache, protocol.batch_size, protocol.workers, prog)
        if run.rank:
            return
        log.info("%s: %d image(s) embedded, %d unreadable (cache: %d hit(s), %d miss(es) so far)", ms.spec, len(emb.rows), len(emb.skipped), cache.hits, cache.misses)
        ctx = TaskContext(ed, handle, cache, protocol.templates, protocol.templates_label, emb.rows, emb.image_emb, emb.skipped,
                          foils=protocol.foils, batch_size=protocol.batch_size, seed=protocol.seed, options=protocol.options)  # fmt: skip
        fingerprint = data_fingerprint(ed)
        for t in todo:
            result = run_task(ctx, t, run)
            if result is None:
                continue
            result.data_fingerprint, result.options = fingerprint, protocol.recorded_options()
            path = write_result(out, result)
            if path in run.paths:  # the same spec given twice: one file, so one result in the count
                run.results[run.paths.index(path)] = result.to_dict()
            else:
                run.paths.append(path)
                run.results.append(result.to_dict())
            log.info("%s: %s → %s", ms.spec, t, result.path.name)
    except AobenchError as exc:
        run.failures.append((ms.spec, str(exc)))
    finally:
        handle.release()
    if ctx is None:
        return
    if ctx.skipped:
        run.notes.append(f"{ms.spec}: {len(ctx.skipped)} unreadable image(s) skipped (listed in each result's skipped_ids)")
    run.notes.extend(f"{ms.spec}: {n}" for n in dict.fromkeys(ctx.notes) if n not in ctx.quiet_notes)


def run_task(ctx: TaskContext, task: str, run: EvalRun) -> Optional[Result]:
    """One task on a context → its Result (with only the notes this task added), or None when it does not apply."""
    from aobench.version import __version__

    ms = ctx.handle.spec
    first_note = len(ctx.notes)
    try:
        metrics = TASKS.get(task)(ctx)
    except TaskNotApplicable as exc:
        run.notes.append(f"{ms.spec}: task {task} skipped: {exc}")
        log.debug("%s: task %s does not apply: %s", ms.spec, task, exc)
        return None
    metrics = {k: jsonable(v) for k, v in metrics.items()}
    metrics["n_images"] = len(ctx.rows)
    metrics["n_skipped"] = len(ctx.skipped)
    metrics["skipped_ids"] = [s[0] for s in ctx.skipped]
    return Result(
        dataset=ctx.data.name, model=ms.model_name, pretrained=ms.pretrained_name, task=task, metrics=nest_metrics(metrics),
        spec=ms.spec, templates=ctx.templates_label, splits=list(ctx.data.splits), skipped=[{"id": i, "reason": r} for i, r in ctx.skipped],
        notes=list(ctx.notes[first_note:]), aobench_version=__version__, model_revision=ctx.handle.revision, step=ms.step, series=ms.series,
        alpha=ms.alpha,
    )  # fmt: skip


def data_fingerprint(ed: EvalData) -> str:
    """One identity of the evaluated splits' content (the build's recipe fingerprint and each split's)."""
    return content_hash(["data", [ed.split_fingerprint(s) for s in ed.splits]])
