"""`aobench eval BENCHMARK…`: the standard benchmarks × models → one result JSON per (benchmark, model) and per-example JSONL.

Steps: load every benchmark's examples and check its images before any model loads (a missing annotation
file, image or misspelt subset fails fast, in one line) → per model: embed each distinct image and text once
(`embed.Embedder`, cached) → the score matrices of all examples at once → outcomes (the benchmark's rule) →
per-subset metrics and the benchmark's aggregate → `OUT/<dataset>_<pretrained>_<model>_en_image_caption_selection.json`
and `OUT/examples/<same name>.jsonl` (id, subset, scores S[image][text], correct, outcomes), so any metric can be
recomputed. The runner knows no benchmark's internals: each module's SPEC and functions say them.
"""

from __future__ import annotations

import inspect
import logging
import math
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from aobench.errors import AobenchError
from aobench.evaluate.cache import EmbeddingCache, content_hash
from aobench.evaluate.results import Result, jsonable, nest_metrics, result_path, write_result
from aobench.evaluate.sources import SELECTION_TASK, BenchmarkData
from aobench.io import atomic_write_jsonl
from aobench.suite import scoring
from aobench.suite.data import ImageCheck, ImageRoots, check_images, missing_images_line, parse_images

log = logging.getLogger(__name__)

EXAMPLES_DIR = "examples"
PRECISIONS = ("fp32", "amp")


@dataclass
class Prepared:
    """One benchmark ready to score: its data, the examples kept, image paths, and what was left out."""

    data: BenchmarkData
    examples: list
    images: ImageCheck
    dropped_missing: int = 0  # examples left out because an image is missing (--skip-missing)
    notes: list = field(default_factory=list)
    skip_missing: bool = False  # also leave out examples whose images cannot be read


def examples_path(result_file: Path) -> Path:
    """The per-example JSONL beside a result: `OUT/examples/<result name>.jsonl`."""
    return result_file.parent / EXAMPLES_DIR / (result_file.stem + ".jsonl")


def prepare(benchmarks: Sequence[tuple], annotations: Optional[Path], roots: ImageRoots, skip_missing: bool,
            optional: frozenset = frozenset(), skipped_notes: Optional[list] = None) -> list[Prepared]:  # fmt: skip
    """Load each benchmark's examples and resolve its images; missing images are one line (exit 2) unless `skip_missing`.

    A benchmark in `optional` (one `suite` added) with none of its images here is left out, with a note.
    """
    out = []
    for src, subsets in benchmarks:
        data = src.load(src.name, annotations=annotations, subsets=subsets)
        resolve = getattr(data.module, "resolve_images", None)
        if resolve is not None:  # refs only a folder listing names, rows the authors pick by image presence
            data.examples = list(resolve(data.examples, roots))
        check = check_images(data.examples, roots)
        notes = []
        if data.skipped:
            where, why = data.skipped[0]
            notes.append(f"{len(data.skipped)} annotation row(s) could not be used and were skipped (first: {where}: {why})")
        bad = [f for f, ok in data.annotations.verified.items() if ok is False]
        if bad:
            notes.append(f"annotation file(s) {', '.join(bad)} differ from the published sha256: not the authors' files")
        examples, dropped = data.examples, 0
        if src.name in optional and check.total and check.missing_count() == sum(check.total.values()):
            if skipped_notes is not None:
                skipped_notes.append(f"suite: {src.name} left out: none of its {sum(check.total.values()):,} images is here ({', '.join(sorted(check.total))})")
            continue
        if check.missing_count():
            if not skip_missing:
                raise AobenchError(missing_images_line(data.spec, check, roots))
            examples = [ex for ex in data.examples if all(r in check.paths for r in ex.images)]
            dropped = len(data.examples) - len(examples)
            notes.append(f"--skip-missing: {check.missing_count()} image(s) missing, {dropped} of {len(data.examples)} example(s) not evaluated")
        if not examples:
            raise AobenchError(f"{data.spec.name}: no example left to evaluate ({len(data.examples)} loaded, {dropped} without their images)")
        out.append(Prepared(data, examples, check, dropped, notes, skip_missing))
    return out


def _outcome_fn(module):
    fn = getattr(module, "outcomes", None)
    return fn if fn is not None else scoring.default_outcomes


def _subset_fn(module):
    fn = getattr(module, "subset_metrics", None)
    return fn if fn is not None else scoring.default_subset_metrics


def score_all(examples: Sequence, emb, needs_text: bool) -> tuple[list, list]:
    """(S per example [n_images, n_texts], text×text similarities or None), computed in float32 in groups of equal shape."""
    import torch

    scores: list = [None] * len(examples)
    texts: list = [None] * len(examples)
    groups: dict = {}
    for i, ex in enumerate(examples):
        groups.setdefault((len(ex.images), len(ex.texts)), []).append(i)
    for idx in groups.values():
        im = torch.stack([torch.stack([emb.images[r] for r in examples[i].images]) for i in idx]).float()
        tx = torch.stack([torch.stack([emb.texts[t] for t in examples[i].texts]) for i in idx]).float()
        s = torch.einsum("nid,ntd->nit", im, tx).numpy()
        tt = torch.einsum("nsd,ntd->nst", tx, tx).numpy() if needs_text else None
        for j, i in enumerate(idx):
            scores[i] = s[j]
            texts[i] = tt[j] if tt is not None else None
    return scores, texts


def _finite(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def metrics_of(prep: Prepared, outcomes: list) -> dict:
    """Flat metrics: `<subset>/<metric>` per subset, the benchmark's aggregate, counts."""
    module = prep.data.module
    subset_fn = _subset_fn(module)
    per_subset = {}
    for subset in prep.data.subsets:
        pairs = [(ex, o) for ex, o in zip(prep.examples, outcomes) if ex.subset == subset]
        if pairs:
            per_subset[subset] = subset_fn(subset, [p[0] for p in pairs], [p[1] for p in pairs])
    flat = {f"{s}/{k}": v for s, m in per_subset.items() for k, v in m.items() if not isinstance(v, dict)}
    flat.update(module.aggregate(per_subset))
    flat["n_examples"] = len(prep.examples)
    flat["n_missing_examples"] = prep.dropped_missing
    flat["n_images"] = len({r for ex in prep.examples for r in ex.images})
    flat["n_skipped_rows"] = len(prep.data.skipped)
    return flat


def _outcome_value(v: Any) -> Any:
    # a 0/1 outcome as a bool; a count such as CREPE's caption rank as an int
    return bool(v) if isinstance(v, (bool, np.bool_)) else int(v) if isinstance(v, (int, np.integer)) else float(v)


def example_rows(prep: Prepared, scores: list, text_scores: list, outcomes: list) -> list[dict]:
    """The per-example rows: id, subset, scores S[image][text], the headline outcome as `correct`, every outcome, labels."""
    rows = []
    for ex, s, t, o in zip(prep.examples, scores, text_scores, outcomes):
        row = {"id": ex.id, "subset": ex.subset, "scores": np.asarray(s, dtype=float).tolist(), "correct": bool(o[scoring.headline_outcome(o)]),
               "outcomes": {k: _outcome_value(v) for k, v in o.items()}}  # fmt: skip
        if t is not None:
            row["text_scores"] = np.asarray(t, dtype=float).tolist()
        if ex.meta.get("label") is not None:
            row["label"] = ex.meta["label"]
        rows.append(row)
    return rows


def protocol_record(prep: Prepared, precision: str) -> dict:
    """What a result records of the benchmark and its protocol (beside CLIP_benchmark's keys)."""
    spec = prep.data.spec
    return {
        "name": spec.name, "subsets": list(prep.data.subsets), "schema": spec.schema, "protocol": spec.protocol,
        "aggregate_rule": spec.aggregate_rule, "tie_rule": spec.tie_rule, "reference": spec.reference, "licence": spec.licence,
        "annotations": {"source": spec.annotations, **prep.data.annotations.provenance()}, "precision": precision,
        "images": {"needed": dict(prep.images.total), "missing": {s: len(v) for s, v in prep.images.missing.items()}},
    }  # fmt: skip


def evaluate_one(prep: Prepared, handle, emb, out: Path, precision: str, notes: list) -> Result:
    """Score one benchmark with one model's embedder and write its result and per-example file."""
    from aobench.version import __version__

    ms = handle.spec
    examples = prep.examples
    emb.embed_images([r for ex in examples for r in ex.images], prep.images.paths)
    failed = sorted({r for ex in examples for r in ex.images if r in emb.failed}, key=lambda r: (r.source, r.file))
    notes = list(notes)
    if failed:
        first = emb.failed[failed[0]]
        if not prep.skip_missing:
            raise AobenchError(f"{prep.data.spec.name}: {len(failed)} image(s) could not be read (first: {first}) — replace them, or pass --skip-missing")
        kept = [ex for ex in examples if not any(r in emb.failed for r in ex.images)]
        notes.append(f"--skip-missing: {len(failed)} unreadable image(s) (first: {first}), {len(examples) - len(kept)} example(s) not evaluated")
        prep = Prepared(prep.data, kept, prep.images, prep.dropped_missing + len(examples) - len(kept), prep.notes, True)
        examples = kept
        if not examples:
            raise AobenchError(f"{prep.data.spec.name}: no example left to evaluate (every image unreadable)")
    emb.embed_texts([t for ex in examples for t in ex.texts])
    module = prep.data.module
    needs_text = bool(getattr(module, "needs_text_scores", False))
    scores, text_scores = score_all(examples, emb, needs_text)
    fn = _outcome_fn(module)
    takes_text = len(inspect.signature(fn).parameters) >= 3
    outcomes = [fn(ex, s, t) if takes_text else fn(ex, s) for ex, s, t in zip(examples, scores, text_scores)]
    flat = {k: jsonable(_finite(v)) for k, v in metrics_of(prep, outcomes).items()}
    bench = protocol_record(prep, precision)
    result = Result(
        dataset=prep.data.dataset, model=ms.model_name, pretrained=ms.pretrained_name, task=SELECTION_TASK, metrics=nest_metrics(flat),
        spec=ms.spec, templates="none", splits=list(prep.data.subsets), notes=list(prep.notes) + list(notes), aobench_version=__version__,
        model_revision=handle.revision, data_fingerprint=content_hash(["suite", bench["annotations"], [ex.id for ex in examples]]),
        options={"precision": precision, "skip_missing": prep.skip_missing}, extra={"benchmark": bench},
    )  # fmt: skip
    path = write_result(out, result)
    atomic_write_jsonl(examples_path(path), example_rows(prep, scores, text_scores, outcomes))
    return result


def model_notes(handle) -> list[str]:
    """Warnings a result carries about its model (an OpenAI-architecture checkpoint whose activation may not match)."""
    from aobench.clipzoo import activation_mismatch

    ms = handle.spec
    if ms.kind == "open_clip" and ms.pretrained:
        note = activation_mismatch(ms.arch, ms.pretrained)
        if note:
            log.warning("%s", note)
            return [note]
    return []


def evaluate_benchmarks(benchmarks: Sequence[tuple], items: Sequence, out: Path, run, *, handle_of, cache: EmbeddingCache,
                        annotations: Optional[Path] = None, images: Optional[Sequence[str]] = None, skip_missing: bool = False,
                        precision: str = "fp32", batch_size: int = 64, workers: int = 2, skip_existing: bool = False,
                        progress: bool = True, optional: Sequence[str] = ()) -> None:  # fmt: skip
    """Every (model, benchmark) pair → a result in OUT (`run` collects results, paths, failures, notes; see `EvalRun`).

    `handle_of(item)` turns a model item into a `ModelHandle`; `optional` names benchmarks `suite` added (left out,
    with a note, when none of their images is here). Under a multi-process launch the pairs are
    shared round-robin between the ranks (each writes its own files).
    """
    import aobench.launch as launching
    from aobench.progress import make_progress

    if precision not in PRECISIONS:
        raise AobenchError(f"--precision {precision!r}: choose fp32 (the default, as the authors' code) or amp")
    preps = prepare(benchmarks, annotations, parse_images(images), skip_missing, frozenset(optional), run.notes)
    if not preps:
        raise AobenchError("suite: no benchmark has its images here — pass --images DIR or SOURCE=DIR (`aobench benchmarks --images DIR` shows what is found)")
    launch = launching.current()
    pairs = [(m, p) for m in range(len(items)) for p in range(len(preps))]
    if launch is not None:
        pairs = pairs[launch.rank :: launch.world]
    by_model: dict = {}
    for m, p in pairs:
        by_model.setdefault(m, []).append(p)
    for m, plist in by_model.items():
        try:
            handle = handle_of(items[m])
        except AobenchError as exc:
            run.failures.append((getattr(items[m], "spec", str(items[m])), str(exc)))
            continue
        ms = handle.spec
        todo = []
        for p in plist:
            path = result_path(out, preps[p].data.dataset, ms.model_name, ms.pretrained_name, SELECTION_TASK)
            if skip_existing and path.exists():
                run.existing.append(path)
            else:
                todo.append(p)
        if not todo:
            continue
        notes = model_notes(handle)
        from aobench.suite.embed import Embedder

        try:
            with make_progress("images", transient=True) if progress else nullcontext() as prog:
                emb = Embedder(handle, cache, batch_size, workers, prog)
                for p in todo:
                    result = evaluate_one(preps[p], handle, emb, out, precision, notes)
                    run.paths.append(result.path)
                    run.results.append(result.to_dict())
                    run.notes.extend(f"{ms.spec}: {preps[p].data.spec.name}: {n}" for n in result.notes)
                    log.info("%s: %s → %s", ms.spec, preps[p].data.dataset, result.path.name)
        except AobenchError as exc:
            run.failures.append((ms.spec, str(exc)))
        finally:
            handle.release()
    if launch is not None:  # rank 0 reports for every rank
        gathered = launch.all_gather((run.failures, run.notes, run.results, [str(p) for p in run.paths], [str(p) for p in run.existing]))
        if launch.main:
            run.failures, run.notes, run.results = ([x for g in gathered for x in g[i]] for i in range(3))
            run.paths = [Path(x) for g in gathered for x in g[3]]
            run.existing = [Path(x) for g in gathered for x in g[4]]
