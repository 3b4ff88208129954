"""`retrieval`: image→text and text→image recall@1/5/10 (CLIP_benchmark's metric names).

Texts are the distinct captions (`prompt` column; the first template where it is empty); a text and
an image match when they name the same attribute–object pair.
"""

from __future__ import annotations

import numpy as np

from aobench.evaluate.metrics import recall_at_k, recall_at_k_chance, recall_at_k_stderr
from aobench.evaluate.tasks import TaskNotApplicable

KS = (1, 5, 10)


def retrieval(ctx) -> dict:
    """`text_retrieval_recall@k` (image→text), `image_retrieval_recall@k` (text→image), as CLIP_benchmark names them; with `_stderr` (binomial over queries) and chance."""
    if not ctx.rows:
        raise TaskNotApplicable("no images could be read")
    caps = {}
    for r in ctx.rows:
        cap = r.get("prompt") or ctx.caption(r["attribute"], r["object"])
        caps.setdefault(cap, (r["attribute"], r["object"]))
    texts = sorted(caps)
    sims = (ctx.image_emb @ ctx.text_embeddings(texts).T).numpy()
    pid = {p: i for i, p in enumerate(sorted(set(caps.values())))}
    img_pair = np.array([pid.get((r["attribute"], r["object"]), -1) for r in ctx.rows])
    positive = img_pair[:, None] == np.array([pid[caps[t]] for t in texts])[None, :]
    out = {"n_texts": len(texts), "n": len(ctx.rows)}
    # text retrieval: one query per image (n); image retrieval: one query per text (its own `_n`)
    for side, sc, pos, n in (("text", sims, positive, None), ("image", sims.T, positive.T, len(texts))):
        for k, v in recall_at_k(sc, pos, KS).items():
            out[f"{side}_retrieval_recall@{k}"] = v
        for k, v in recall_at_k_stderr(sc, pos, KS).items():
            out[f"{side}_retrieval_recall@{k}_stderr"] = v
        for k, v in recall_at_k_chance(pos, KS).items():
            out[f"chance/{side}_retrieval_recall@{k}"] = v
        if n is not None:
            for k in KS:
                out[f"{side}_retrieval_recall@{k}_n"] = n
    return out
