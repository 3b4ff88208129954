"""Zero-shot classification tasks: `composition` (attribute–object pairs), `object`, `attribute` (given the true object).

Scores are cosine similarities of image embeddings with class embeddings (CLIP_benchmark's classifier:
mean over templates of unit-norm prompt embeddings, renormalised). Metrics: acc1, acc5 (NaN under 5
classes), mean_per_class_recall, plus the same per attribute type, per split and per pair status.
"""

from __future__ import annotations

import math

import numpy as np

from aobench.evaluate.metrics import classification_metrics, mean_per_class_recall
from aobench.evaluate.tasks import TaskNotApplicable

BREAKDOWNS = (("attribute_type", "by_attribute_type"), ("split", "by_split"), ("pair_status", "by_status"))


def with_breakdowns(rows: list[dict], scores: np.ndarray, targets: np.ndarray, metric_fn=classification_metrics) -> dict:
    """Overall metrics plus `by_attribute_type/<t>/…`, `by_split/<s>/…`, `by_status/<st>/…` (with `n`)."""
    out = dict(metric_fn(scores, targets))
    for col, prefix in BREAKDOWNS:
        values = [r.get(col) or "" for r in rows]
        for v in sorted(set(values) - {""}):
            mask = np.array([x == v for x in values])
            for k, m in metric_fn(scores[mask], targets[mask]).items():
                out[f"{prefix}/{v}/{k}"] = m
            out[f"{prefix}/{v}/n"] = int(mask.sum())
    return out


def _scores(ctx, classes) -> np.ndarray:
    if not ctx.rows:
        raise TaskNotApplicable("no images could be read")
    w = ctx.class_embeddings(classes)
    return (ctx.image_emb @ w.T).numpy()


def composition(ctx) -> dict:
    """acc1/acc5/mean_per_class_recall over all pairs of the evaluated images (the ImageNet-AO protocol)."""
    classes = ctx.eval_pairs()
    index = {c: i for i, c in enumerate(classes)}
    targets = np.array([index[(r["attribute"], r["object"])] for r in ctx.rows])
    out = with_breakdowns(ctx.rows, _scores(ctx, classes), targets)
    out["n_classes"] = len(classes)
    return out


def object_task(ctx) -> dict:
    """Object accuracy: classes are the objects, prompts without the attribute."""
    objects = sorted({r["object"] for r in ctx.rows})
    index = {o: i for i, o in enumerate(objects)}
    targets = np.array([index[r["object"]] for r in ctx.rows])
    out = with_breakdowns(ctx.rows, _scores(ctx, [("", o) for o in objects]), targets)
    out["n_classes"] = len(objects)
    return out


def attribute_task(ctx) -> dict:
    """Attribute accuracy with the object given: candidates are the pairs (a', true object) the data names."""
    universe = ctx.pair_universe()
    attrs = sorted({a for a, _ in universe})
    scores = _scores(ctx, universe)
    pair_obj = np.array([o for _, o in universe])
    pair_attr_idx = np.array([attrs.index(a) for a, _ in universe])
    # per image: attribute scores of the candidate pairs with its object, -inf for attributes never paired with it
    att_scores = np.full((len(ctx.rows), len(attrs)), -np.inf)
    for obj in set(pair_obj):
        cols = np.where(pair_obj == obj)[0]
        img = np.array([r["object"] == obj for r in ctx.rows])
        if img.any():
            att_scores[np.ix_(img, pair_attr_idx[cols])] = scores[np.ix_(img, cols)]
    targets = np.array([attrs.index(r["attribute"]) for r in ctx.rows])

    def metric_fn(s, t):
        m = classification_metrics(s, t)
        if len(attrs) < 5:
            m["acc5"] = math.nan
        m["mean_per_class_recall"] = mean_per_class_recall(s.argmax(1), t) if len(t) else math.nan
        return m

    out = with_breakdowns(ctx.rows, att_scores, targets, metric_fn)
    out["n_classes"] = len(attrs)
    out["mean_candidates"] = float(np.isfinite(att_scores).sum(1).mean())
    return out
