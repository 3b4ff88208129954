"""`evaluate(...)`: models × tasks on one dataset → one CLIP_benchmark-shaped JSON per (model, task), results.csv, plots.

The runner knows neither models nor tasks: it resolves specs through `models`, runs registered tasks
on a `TaskContext`, and writes what they return. A model that cannot be loaded is recorded in
`EvalRun.failures` (the CLI prints one line per failure and exits 2) and the other models still run.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from aobench.device import resolve_device
from aobench.errors import AobenchError
from aobench.evaluate import tasks as task_registry
from aobench.evaluate.cache import EmbeddingCache, default_cache_dir
from aobench.evaluate.context import TaskContext, embed_split, select_templates
from aobench.evaluate.data import load_data
from aobench.evaluate.models import expand_wise, parse_alphas, resolve
from aobench.io import atomic_write_json, atomic_write_text, read_jsonl

LANGUAGE = "en"
FILENAME = "{dataset}_{pretrained}_{model}_{language}_{task}.json"  # CLIP_benchmark's default output pattern


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


def _safe(part: str) -> str:
    """A filename-safe component ('/', ':', ',', spaces → '_'), as CLIP_benchmark turns '/' in dataset names."""
    return re.sub(r"[^A-Za-z0-9._@=+()-]+", "_", str(part)).strip("_") or "none"


def result_path(out: Path, dataset: str, model: str, pretrained: str, task: str, language: str = LANGUAGE) -> Path:
    """Where the JSON of one (dataset, model, pretrained, task) result goes."""
    return Path(out) / FILENAME.format(dataset=_safe(dataset), pretrained=_safe(pretrained), model=_safe(model), language=language, task=task)


def read_foils(path: Path) -> list[dict]:
    """Rows of a foils JSONL file (from `aobench foils`); each needs id, caption, foil."""
    path = Path(path)
    if not path.exists():
        raise AobenchError(f"--foils file not found: {path}")
    rows = []
    try:
        for n, r in enumerate(read_jsonl(path), 1):
            if not all(k in r for k in ("id", "caption", "foil")):
                raise AobenchError(f"{path}:{n}: a foil row needs id, caption and foil (got {', '.join(r)}) — make it with `aobench foils`")
            rows.append(r)
    except json.JSONDecodeError as exc:
        raise AobenchError(f"{path}: not JSON lines ({exc.msg} at line {exc.lineno}) — make it with `aobench foils`") from None
    return rows


def _jsonable(v):
    if isinstance(v, float) and math.isinf(v):
        return 1e30 if v > 0 else -1e30
    if hasattr(v, "item") and not isinstance(v, (list, dict)):
        return v.item()
    return v


def parse_shard(shard: Optional[str]) -> Optional[tuple[int, int]]:
    """'i/n' → (i, n): this process evaluates every n-th model from the i-th (one process per GPU)."""
    if not shard:
        return None
    m = re.fullmatch(r"(\d+)/(\d+)", shard.strip())
    if not m or not int(m.group(2)) or int(m.group(1)) >= int(m.group(2)):
        raise AobenchError(f"bad --shard {shard!r}: expected i/n with 0 <= i < n, e.g. 0/2")
    return int(m.group(1)), int(m.group(2))


def evaluate(
    data: str,
    models: Sequence[str],
    out: str | Path,
    tasks: Optional[Sequence[str]] = None,
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
    czsl_protocol: str = "reference",
) -> EvalRun:
    """Evaluate model specs on DATA; write `OUT/<dataset>_<pretrained>_<model>_en_<task>.json` and `OUT/results.csv`."""
    from aobench import __version__
    from aobench.progress import make_progress

    out = Path(out)
    task_names = task_registry.parse_tasks(tasks)
    alphas = parse_alphas(wise_alphas) if isinstance(wise_alphas, str) or wise_alphas is None else list(wise_alphas)
    specs = expand_wise(list(models), alphas)
    if not specs:
        raise AobenchError("no model given — pass --model SPEC (see `aobench eval --list-models`)")
    sh = parse_shard(shard)
    if sh:
        specs = specs[sh[0] :: sh[1]]
    if batch_size < 1:
        raise AobenchError(f"--batch-size {batch_size}: must be at least 1")
    from aobench.evaluate.tasks.czsl import check_protocol

    options = {"czsl_protocol": check_protocol(czsl_protocol)}
    dev = resolve_device(device)
    ed = load_data(data, list(splits) if splits else None)
    tmpl, tmpl_label = select_templates(templates, ed)
    foil_rows = read_foils(Path(foils)) if foils else None
    cache = EmbeddingCache(default_cache_dir() if cache_dir == "default" else cache_dir)
    run = EvalRun()
    out.mkdir(parents=True, exist_ok=True)

    for spec in specs:
        try:
            handle = resolve(spec, dev, amp)
        except AobenchError as exc:
            run.failures.append((spec, str(exc)))
            continue
        ms = handle.spec
        todo = []
        for t in task_names:
            p = result_path(out, ed.name, ms.model_name, ms.pretrained_name, t)
            if skip_existing and p.exists():
                run.existing.append(p)
            else:
                todo.append((t, p))
        if not todo:
            continue
        ctx = TaskContext(ed, handle, cache, tmpl, tmpl_label, foils=foil_rows, batch_size=batch_size, seed=seed, options=options)
        try:
            with make_progress("images", transient=True) if progress else _Null() as prog:
                import torch

                ids, embs, skipped = [], [], []
                for split in ed.splits:
                    sid, emb, sk = embed_split(ed, split, handle, cache, batch_size, workers, ctx.model, prog if progress else None)
                    meta = {r["id"]: r for r in ed.rows(split)}
                    ctx.rows.extend(meta[i] for i in sid)
                    if len(sid):
                        embs.append(emb)
                    skipped.extend(sk)
                ctx.image_emb = torch.cat(embs) if embs else torch.zeros(0, 1)
                ctx.skipped = skipped
                for t, p in todo:
                    try:
                        metrics = task_registry.get_task(t).fn(ctx)
                    except task_registry.TaskNotApplicable as exc:
                        run.notes.append(f"{spec}: task {t} skipped: {exc}")
                        continue
                    metrics = {k: _jsonable(v) for k, v in metrics.items()}
                    metrics["n_images"] = len(ctx.rows)
                    metrics["n_skipped"] = len(skipped)
                    metrics["skipped_ids"] = [s[0] for s in skipped]
                    metrics = nest_metrics(metrics)
                    res = {
                        "dataset": ed.name,
                        "model": ms.model_name,
                        "pretrained": ms.pretrained_name,
                        "task": t,
                        "metrics": metrics,
                        "language": LANGUAGE,
                        "spec": spec,
                        "templates": tmpl_label,
                        "splits": list(ed.splits),
                        "skipped": [{"id": i, "reason": r} for i, r in skipped],
                        "notes": list(ctx.notes),
                        "aobench_version": __version__,
                    }
                    atomic_write_json(p, res)
                    run.results.append(res)
                    run.paths.append(p)
        except AobenchError as exc:
            run.failures.append((spec, str(exc)))
        finally:
            handle.release()
        if skipped:
            run.notes.append(f"{spec}: {len(skipped)} unreadable image(s) skipped (listed in each result's skipped_ids)")
        run.notes.extend(f"{spec}: {n}" for n in dict.fromkeys(ctx.notes) if not n.startswith("czsl: seen pairs"))
    run.cache_hits, run.cache_misses = cache.hits, cache.misses
    run.csv = write_csv(out)
    if plot:
        from aobench.evaluate.plots import make_plots

        run.plots = make_plots(out)
    return run


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def load_results(out: Path) -> list[dict]:
    """Every result JSON in OUT (CLIP_benchmark shape), sorted by filename."""
    res = []
    for p in sorted(Path(out).glob("*.json")):
        try:
            d = json.loads(p.read_text())
        except (json.JSONDecodeError, OSError):
            continue
        if isinstance(d, dict) and {"dataset", "model", "pretrained", "task", "metrics"} <= set(d):
            res.append(d)
    return res


def nest_metrics(flat: dict) -> dict:
    """'by_attribute_type/colour/acc1' keys → metrics["by_attribute_type"]["colour"]["acc1"] (the JSON shape)."""
    out: dict = {}
    for key, value in flat.items():
        parts = key.split("/")
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a scalar already holds this name: keep the key flat
                node = None
                break
            node = child
        if node is None or (parts[-1] in node and isinstance(node[parts[-1]], dict)):
            out[key] = value
        else:
            node[parts[-1]] = value
    return out


def flatten_metrics(metrics: dict, prefix: str = "") -> dict:
    """Nested metrics → flat 'a/b/c' keys (the inverse of `nest_metrics`)."""
    out = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            out.update(flatten_metrics(v, f"{prefix}{k}/"))
        else:
            out[f"{prefix}{k}"] = v
    return out


def flat_metrics(metrics: dict) -> dict:
    """The scalar metrics of a result, flattened to 'a/b' keys (lists such as curves and skipped ids left out)."""
    return {k: v for k, v in flatten_metrics(metrics).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def write_csv(out: Path) -> Path:
    """`OUT/results.csv`: one row per result JSON in OUT, metrics as columns (as CLIP_benchmark's `build`)."""
    rows = load_results(out)
    keys = ["dataset", "model", "pretrained", "task", "language", "spec", "templates"]
    mkeys = sorted({k for r in rows for k in flat_metrics(r["metrics"])})
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(keys + mkeys)
    for r in rows:
        m = flat_metrics(r["metrics"])
        w.writerow([r.get(k, "") for k in keys] + [m.get(k, "") for k in mkeys])
    path = Path(out) / "results.csv"
    atomic_write_text(path, buf.getvalue())
    return path
