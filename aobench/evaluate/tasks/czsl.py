"""`czsl`: closed- vs open-world compositional zero-shot learning with the calibration-bias sweep.

Closed world: the classes are the evaluated images' pairs; open world: every attribute × object of
the data. Seen pairs come from pairs.jsonl (status), else the train split, else the pair_status
column. A bias added to unseen-pair scores is swept, tracing seen vs unseen accuracy: AUC and best
harmonic mean (Purushwalkam et al. 2019; Mancini et al. 2021 for the open world).
"""

from __future__ import annotations

import numpy as np

from aobench.evaluate.metrics import bias_sweep
from aobench.evaluate.tasks import TaskNotApplicable

MAX_OPEN_CLASSES = 100_000  # beyond this the open world is skipped (text encoding cost), with a note


def czsl(ctx) -> dict:
    """`closed/…` and `open/…`: auc, best_hm, best_seen, best_unseen, seen/unseen acc at bias 0, acc1, the curve."""
    if not ctx.rows:
        raise TaskNotApplicable("no images could be read")
    seen, source = ctx.seen_pairs()
    if seen is None:
        raise TaskNotApplicable("no seen pairs: need pairs.jsonl with status, a train split, or a pair_status column")
    labels = [(r["attribute"], r["object"]) for r in ctx.rows]
    unseen_image = np.array([lab not in seen for lab in labels])
    closed = ctx.eval_pairs()
    universe = ctx.pair_universe()
    attrs, objs = sorted({a for a, _ in universe}), sorted({o for _, o in universe})
    worlds = {"closed": closed}
    if len(attrs) * len(objs) <= MAX_OPEN_CLASSES:
        worlds["open"] = [(a, o) for o in objs for a in attrs]
    else:
        ctx.notes.append(f"czsl: open world skipped ({len(attrs)}x{len(objs)} pairs > {MAX_OPEN_CLASSES})")
    out: dict = {"n_seen_images": int((~unseen_image).sum()), "n_unseen_images": int(unseen_image.sum()), "n_seen_pairs": len(seen)}
    for world, classes in worlds.items():
        index = {c: i for i, c in enumerate(classes)}
        targets = np.array([index[lab] for lab in labels])
        scores = (ctx.image_emb @ ctx.class_embeddings(classes).T).numpy()
        unseen_class = np.array([c not in seen for c in classes])
        sweep = bias_sweep(scores, targets, unseen_class, unseen_image)
        out[f"{world}/acc1"] = float((scores.argmax(1) == targets).mean())
        out[f"{world}/n_classes"] = len(classes)
        for k, v in sweep.items():
            if k == "curve":
                for ck, cv in v.items():
                    out[f"{world}/curve/{ck}"] = cv
            else:
                out[f"{world}/{k}"] = v
    ctx.notes.append(f"czsl: seen pairs from the {source}")
    return out
