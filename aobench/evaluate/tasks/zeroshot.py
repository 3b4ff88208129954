"""Zero-shot classification tasks: `composition` (attribute–object pairs), `object`, `attribute` (given the true object).

Scores are cosine similarities of image embeddings with class embeddings (CLIP_benchmark's classifier:
mean over templates of unit-norm prompt embeddings, renormalised). Metrics: acc1, acc5 (NaN under 5
classes), mean_per_class_recall, each with `<metric>_stderr` and its chance level (`chance/<metric>`), plus
the same per attribute type, per split and per pair status.

Two protocols for a split, two keys: `by_split/<s>/acc1` ranks the split's images among the split's own
classes — what `aobench eval --splits s` and an `aobench export --classes split` root measure — and
`by_split/<s>/acc1_all` among every evaluated class (what `--classes all` measures); each with its class
count (`n_classes`, `n_classes_all`) and chance. Attribute-type and status breakdowns rank among every
evaluated class (their images share one class list).
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from aobench.evaluate.metrics import classification_chance, classification_metrics
from aobench.evaluate.tasks import TaskNotApplicable

BREAKDOWNS = (("attribute_type", "by_attribute_type"), ("split", "by_split"), ("pair_status", "by_status"))
ALL = "_all"  # suffix of a split's metrics ranked among every evaluated class


def _own_classes(scores: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The masked rows ranked among the classes they hold (sorted, so in the same order as the full list)."""
    own = np.unique(targets[mask])
    return scores[np.ix_(mask, own)], np.searchsorted(own, targets[mask])


def _metrics(scores: np.ndarray, targets: np.ndarray, seed: int, suffix: str = "") -> dict:
    """classification_metrics + chance + class count, every key ending in `suffix` (before `_stderr`)."""
    out = {}
    for k, v in classification_metrics(scores, targets, seed).items():
        out[k.replace("_stderr", f"{suffix}_stderr") if k.endswith("_stderr") else f"{k}{suffix}"] = v
    for k, v in classification_chance(scores, targets).items():
        out[f"{k}{suffix}"] = v
    out[f"n_classes{suffix}"] = int(scores.shape[1]) if scores.ndim == 2 else 0
    return out


def with_breakdowns(rows: list[dict], scores: np.ndarray, targets: np.ndarray, seed: int = 0,
                    split_view: Optional[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = None) -> dict:  # fmt: skip
    """Overall metrics plus `by_attribute_type/<t>/…`, `by_split/<s>/…` (both protocols), `by_status/<st>/…` (each with `n`).

    `split_view(mask)` gives (scores, targets) of a split's rows among its own classes (default: the classes
    its images hold); seeds of the bootstrap stderrs differ per breakdown, derived from `seed`.
    """
    from aobench.seeds import stable_int

    split_view = split_view or (lambda mask: _own_classes(scores, targets, mask))
    out = _metrics(scores, targets, seed)
    for col, prefix in BREAKDOWNS:
        values = [r.get(col) or "" for r in rows]
        for v in sorted(set(values) - {""}):
            mask = np.array([x == v for x in values])
            sub_seed = stable_int(seed, prefix, v)
            if prefix == "by_split":
                part = {**_metrics(*split_view(mask), sub_seed), **_metrics(scores[mask], targets[mask], sub_seed, ALL)}
            else:
                part = _metrics(scores[mask], targets[mask], sub_seed)
                part.pop("n_classes")
            for k, m in part.items():
                out[f"{prefix}/{v}/{k}"] = m
            out[f"{prefix}/{v}/n"] = int(mask.sum())
    out["n"] = len(rows)
    return out


def _scores(ctx, classes) -> np.ndarray:
    if not ctx.rows:
        raise TaskNotApplicable("no images could be read")
    w = ctx.class_embeddings(classes)
    return (ctx.image_emb @ w.T).numpy()


def composition(ctx) -> dict:
    """acc1/acc5/mean_per_class_recall (+ stderr, chance) over all pairs of the evaluated images (the ImageNet-AO protocol)."""
    classes = ctx.eval_pairs()
    index = {c: i for i, c in enumerate(classes)}
    targets = np.array([index[(r["attribute"], r["object"])] for r in ctx.rows])
    return with_breakdowns(ctx.rows, _scores(ctx, classes), targets, ctx.seed)


def object_task(ctx) -> dict:
    """Object accuracy: classes are the objects, prompts without the attribute."""
    objects = sorted({r["object"] for r in ctx.rows})
    index = {o: i for i, o in enumerate(objects)}
    targets = np.array([index[r["object"]] for r in ctx.rows])
    return with_breakdowns(ctx.rows, _scores(ctx, [("", o) for o in objects]), targets, ctx.seed)


def _attribute_matrix(rows: list[dict], scores: np.ndarray, universe: list, allowed: set) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the scores of the attributes its object is paired with among the `allowed` pairs (-inf for the others)."""
    attrs = sorted({a for a, _ in allowed})
    a_index = {a: i for i, a in enumerate(attrs)}
    att_scores = np.full((len(rows), len(attrs)), -np.inf)
    objs = np.array([r["object"] for r in rows])
    pair_obj = np.array([o for _, o in universe])
    keep = np.array([p in allowed for p in universe])
    pair_attr = np.array([a_index.get(a, -1) for a, _ in universe])
    for obj in set(objs.tolist()):
        cols = np.flatnonzero((pair_obj == obj) & keep)
        img = objs == obj
        att_scores[np.ix_(img, pair_attr[cols])] = scores[np.ix_(img, cols)]
    return att_scores, np.array([a_index[r["attribute"]] for r in rows])


def attribute_task(ctx) -> dict:
    """Attribute accuracy with the object given: candidates are the pairs (a', true object) the data names.

    The data names the build's pairs plus the evaluated images' (as `ctx.pair_universe`); a split's own
    protocol takes the build's pairs plus that split's, as `--splits` would.
    """
    universe = ctx.pair_universe()
    scores = _scores(ctx, universe)
    att_scores, targets = _attribute_matrix(ctx.rows, scores, universe, set(universe))
    data_pairs = {(p["attribute"], p["object"]) for p in ctx.data.pairs or []}

    def split_view(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = [r for r, m in zip(ctx.rows, mask) if m]
        return _attribute_matrix(rows, scores[mask], universe, data_pairs | {(r["attribute"], r["object"]) for r in rows})

    out = with_breakdowns(ctx.rows, att_scores, targets, ctx.seed, split_view)
    out["mean_candidates"] = float(np.isfinite(att_scores).sum(1).mean())
    return out
