"""`foils`: image–text matching (true caption above its foil) per foil type, and Winoground-style groups.

Foils come from `--foils FILE` (rows `id, caption, foil, type, bow_identical` from `aobench foils`)
and from the dataset columns: per image an `attribute_foil` (same object, another attribute of the
same type) and an `object_foil` (same attribute, another object). Winoground groups pair two images
whose pairs differ in the attribute (same object) or in the object (same attribute); each group is
2 captions × 2 images, scored text/image/group (chance 1/4, 1/4, 1/6).
"""

from __future__ import annotations

import numpy as np

from aobench.evaluate.metrics import PAIRWISE_CHANCE, WINOGROUND_CHANCE, pairwise_metrics, winoground_scores, winoground_stderr
from aobench.evaluate.tasks import TaskNotApplicable
from aobench.seeds import random_for


def column_foils(ctx) -> list[dict]:
    """Built-in foils for each evaluated row: attribute_foil and object_foil (when an alternative exists)."""
    universe = ctx.pair_universe()
    attrs = sorted({a for a, _ in universe})
    objs = sorted({o for _, o in universe})
    out = []
    for i, r in enumerate(ctx.rows):
        a, o = r["attribute"], r["object"]
        t = ctx.attribute_type(a)
        same_type = [x for x in attrs if x != a and ctx.attribute_type(x) == t] or [x for x in attrs if x != a]
        other_objs = [x for x in objs if x != o]
        cap = ctx.caption(a, o)
        if same_type:
            fa = random_for(ctx.seed, r["id"], "attribute").choice(same_type)
            out.append({"row": i, "caption": cap, "foil": ctx.caption(fa, o), "type": "attribute_foil", "bow_identical": False})
        if other_objs:
            fo = random_for(ctx.seed, r["id"], "object").choice(other_objs)
            out.append({"row": i, "caption": cap, "foil": ctx.caption(a, fo), "type": "object_foil", "bow_identical": False})
    return out


def file_foils(ctx) -> tuple[list[dict], int]:
    """Foils from `--foils FILE` whose id is an evaluated row; (foils, number with unknown ids)."""
    index = {r["id"]: i for i, r in enumerate(ctx.rows)}
    out, unknown = [], 0
    for f in ctx.foils or []:
        i = index.get(str(f.get("id")))
        if i is None:
            unknown += 1
            continue
        out.append({"row": i, "caption": f["caption"], "foil": f["foil"], "type": str(f.get("type") or "file"), "bow_identical": bool(f.get("bow_identical", False))})
    return out, unknown


def winoground_groups(ctx, limit: int = 2000) -> list[tuple[int, int, str, str, str]]:
    """(row i, row j, caption i, caption j, kind) groups of two images differing in attribute or in object only."""
    by_obj, by_attr = {}, {}
    for i, r in enumerate(ctx.rows):
        by_obj.setdefault(r["object"], []).append(i)
        by_attr.setdefault(r["attribute"], []).append(i)
    groups = []
    for i, r in enumerate(ctx.rows):
        for kind, pool in (("attribute", by_obj[r["object"]]), ("object", by_attr[r["attribute"]])):
            key = "attribute" if kind == "attribute" else "object"
            cands = [j for j in pool if ctx.rows[j][key] != r[key] and j > i]
            if kind == "attribute":  # same attribute type: a minimal, meaningful swap
                cands = [j for j in cands if ctx.rows[j].get("attribute_type") == r.get("attribute_type")] or cands
            if cands:
                j = random_for(ctx.seed, r["id"], "wino", kind).choice(cands)
                groups.append((i, j, ctx.caption(r["attribute"], r["object"]), ctx.caption(ctx.rows[j]["attribute"], ctx.rows[j]["object"]), kind))
    if len(groups) > limit:
        groups = random_for(ctx.seed, "wino-sample").sample(groups, limit)
    return groups


def foils(ctx) -> dict:
    """`acc` overall, `by_type/<type>/acc|n`, `by_status/<status>/acc|n`, `bow_identical/acc`, `winoground/*`; each with `_stderr` (binomial) and chance."""
    if not ctx.rows:
        raise TaskNotApplicable("no images could be read")
    fs = column_foils(ctx)
    from_file, unknown = file_foils(ctx)
    fs += from_file
    if unknown:
        ctx.note(f"foils: {unknown} rows of --foils name ids not among the evaluated images (ignored)")
    texts = sorted({f["caption"] for f in fs} | {f["foil"] for f in fs})
    groups = winoground_groups(ctx)
    texts = sorted(set(texts) | {g[2] for g in groups} | {g[3] for g in groups})
    tindex = {t: k for k, t in enumerate(texts)}
    sims = (ctx.image_emb @ ctx.text_embeddings(texts).T).numpy()
    rows = np.array([f["row"] for f in fs])
    pos = sims[rows, [tindex[f["caption"]] for f in fs]]
    neg = sims[rows, [tindex[f["foil"]] for f in fs]]
    out: dict = {**pairwise_metrics(pos, neg), "chance/acc": PAIRWISE_CHANCE, "n": len(fs), "n_foils": len(fs), "n_from_file": len(from_file)}
    types = np.array([f["type"] for f in fs])
    for t in sorted(set(types)):
        m = types == t
        out.update({f"by_type/{t}/{k}": v for k, v in pairwise_metrics(pos[m], neg[m]).items()})
        out[f"by_type/{t}/n"] = int(m.sum())
    status = np.array([ctx.rows[f["row"]].get("pair_status") or "" for f in fs])
    for st in sorted(set(status) - {""}):
        m = status == st
        out.update({f"by_status/{st}/{k}": v for k, v in pairwise_metrics(pos[m], neg[m]).items()})
        out[f"by_status/{st}/n"] = int(m.sum())
    bow = np.array([f["bow_identical"] for f in fs], dtype=bool)
    if bow.any():
        out.update({f"bow_identical/{k}": v for k, v in pairwise_metrics(pos[bow], neg[bow]).items()})
        out["bow_identical/n"] = int(bow.sum())
    if groups:
        s = np.array([[[sims[i, tindex[ci]], sims[j, tindex[ci]]], [sims[i, tindex[cj]], sims[j, tindex[cj]]]] for i, j, ci, cj, _ in groups])
        kinds = np.array([g[4] for g in groups])
        for k, v in {**winoground_scores(s), **winoground_stderr(s)}.items():
            out[f"winoground/{k}"] = v
        for k, v in WINOGROUND_CHANCE.items():
            out[f"winoground/chance/{k}"] = v
        for kind in sorted(set(kinds)):
            m = kinds == kind
            for k, v in {**winoground_scores(s[m]), **winoground_stderr(s[m])}.items():
                out[f"winoground/{kind}/{k}"] = v
            out[f"winoground/{kind}/n"] = int(m.sum())
        out["winoground/n"] = out["winoground/n_groups"] = len(groups)
    return out
