"""`czsl`: closed- vs open-world compositional zero-shot learning with the calibration-bias sweep.

Seen pairs come from pairs.jsonl (status), else the train split, else the pair_status column. A bias
added to unseen-pair scores is swept, tracing seen vs unseen accuracy: AUC and best harmonic mean
(Purushwalkam et al. 2019; Mancini et al. 2021 for the open world). Two protocols (task option
`czsl_protocol`, recorded as `protocol` in the metrics):

- `reference` (default): as the CZSL community's evaluator reports it, so numbers compare with
  published tables — closed world over the seen (training) pairs plus the evaluated pairs, biases
  from the gaps of correctly classified unseen images thinned to about 20, plus a large final bias
  (`metrics.reference_bias_sweep`);
- `exact`: closed world over the evaluated pairs only, every state of the step curve (`metrics.bias_sweep`).

Open world, in both: every attribute x object of the data.
"""

from __future__ import annotations

import numpy as np

from aobench.errors import AobenchError
from aobench.evaluate.metrics import CZSL_PROTOCOLS, czsl_sweep, mean_stderr
from aobench.evaluate.tasks import TaskNotApplicable

MAX_OPEN_CLASSES = 100_000  # beyond this the open world is skipped (text encoding cost), with a note
OPTION = "czsl_protocol"


def check_protocol(protocol: str) -> str:
    """The protocol name, or an AobenchError listing the choices."""
    if protocol not in CZSL_PROTOCOLS:
        raise AobenchError(f"--czsl-protocol {protocol!r}: choose {' or '.join(CZSL_PROTOCOLS)}")
    return protocol


def czsl(ctx) -> dict:
    """`protocol`, and per world (`closed/…`, `open/…`): auc, best_hm, best_seen, best_unseen, accuracies at bias 0, acc1, the curve."""
    if not ctx.rows:
        raise TaskNotApplicable("no images could be read")
    protocol = check_protocol(ctx.options.get(OPTION, CZSL_PROTOCOLS[0]))
    seen, source = ctx.seen_pairs()
    if seen is None:
        raise TaskNotApplicable("no seen pairs: need pairs.jsonl with status, a train split, or a pair_status column")
    labels = [(r["attribute"], r["object"]) for r in ctx.rows]
    unseen_image = np.array([lab not in seen for lab in labels])
    closed = ctx.eval_pairs()
    universe = ctx.pair_universe()
    if protocol == "reference":
        # the community's closed world: every training (seen) pair competes, not only the evaluated ones
        closed = sorted(set(closed) | set(seen))
        universe = sorted(set(universe) | set(seen))
    attrs, objs = sorted({a for a, _ in universe}), sorted({o for _, o in universe})
    worlds = {"closed": closed}
    if len(attrs) * len(objs) <= MAX_OPEN_CLASSES:
        worlds["open"] = [(a, o) for o in objs for a in attrs]
    else:
        ctx.note(f"czsl: open world skipped ({len(attrs)}x{len(objs)} pairs > {MAX_OPEN_CLASSES})")
    out: dict = {"protocol": protocol, "n": len(labels), "n_seen_images": int((~unseen_image).sum()), "n_unseen_images": int(unseen_image.sum()), "n_seen_pairs": len(seen)}
    for world, classes in worlds.items():
        index = {c: i for i, c in enumerate(classes)}
        targets = np.array([index[lab] for lab in labels])
        scores = (ctx.image_emb @ ctx.class_embeddings(classes).T).numpy()
        unseen_class = np.array([c not in seen for c in classes])
        sweep = czsl_sweep(scores, targets, unseen_class, unseen_image, protocol)
        hits = scores.argmax(1) == targets
        out[f"{world}/acc1"] = float(hits.mean())
        out[f"{world}/acc1_stderr"] = mean_stderr(hits)
        out[f"{world}/chance/acc1"] = 1 / len(classes)
        out[f"{world}/n_classes"] = len(classes)
        # the accuracies at bias 0 are proportions over the seen / the unseen images: binomial stderr
        out[f"{world}/seen_acc_stderr"], out[f"{world}/unseen_acc_stderr"] = mean_stderr(hits[~unseen_image]), mean_stderr(hits[unseen_image])
        out[f"{world}/seen_acc_n"], out[f"{world}/unseen_acc_n"] = int((~unseen_image).sum()), int(unseen_image.sum())
        for k, v in sweep.items():
            if k == "curve":
                for ck, cv in v.items():
                    out[f"{world}/curve/{ck}"] = cv
            else:
                out[f"{world}/{k}"] = v
    ctx.note(f"czsl: seen pairs from the {source}", shown=False)  # provenance, in the result
    return out
