"""SugarCrepe++ (Dumpala et al., NeurIPS 2024 D&B): SugarCrepe's replace/swap examples with a second, lexically different positive.

Protocol (`Sri-Harsha/scpp:VLMs/test_Variants_CLIP.py`): ITT (image-to-text, the headline) is right iff both
positives score above the negative, s(I,P1) > s(I,N) and s(I,P2) > s(I,N); TOT (text only, the model's text
tower) iff s(P1,P2) > s(P1,N) and s(P1,P2) > s(P2,N); img_p1 / img_p2 are each positive alone against the
negative. All strict. The authors report per subset only; aobench's `acc` / `tot` aggregates pool REPLACE and
SWAP as SugarCrepe's paper does and take the plain mean of the two (aobench's choice, said in every result).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from aobench.evaluate.results import chance_key
from aobench.suite.loading import annotation_path, check_subsets, read_json, require_str, skip
from aobench.suite.schema import IMAGE_TEXTS, TIE_WRONG, BenchmarkSpec, Example, ImageRef
from aobench.suite.scoring import default_subset_metrics, macro, mean_metrics, micro

REPO, COMMIT = "Sri-Harsha/scpp", "c083bbf039a5ca215acaf25e7ee736d2ea6f3864"
SUBSETS = ("replace_att", "replace_obj", "replace_rel", "swap_att", "swap_obj")
CATEGORIES = {"replace": ("replace_obj", "replace_att", "replace_rel"), "swap": ("swap_obj", "swap_att")}
FILES = {s: f"data/{s}.json" for s in SUBSETS}
needs_text_scores = True  # TOT compares the texts with each other

SPEC = BenchmarkSpec(
    name="sugarcrepe_pp",
    description="SugarCrepe++: two positives (one lexically different) against a hard negative — image-to-text (ITT) and text-only (TOT)",
    schema=IMAGE_TEXTS,
    subsets=SUBSETS,
    counts={"replace_att": 788, "replace_obj": 1652, "replace_rel": 1406, "swap_att": 666, "swap_obj": 245},
    image_sources={"coco2017": "COCO 2017 val images, http://images.cocodataset.org/zips/val2017.zip"},
    annotations=f"{REPO}:data/*.json@{COMMIT}",
    annotation_files=tuple(FILES.values()),
    licence="CC BY 4.0 (data, the README); code MIT; images: COCO terms of use",
    protocol="ITT: s(I,P1)>s(I,N) and s(I,P2)>s(I,N); TOT: s(P1,P2)>s(P1,N) and s(P1,P2)>s(P2,N); strict",
    metric_names=("acc", "tot", "img_p1", "img_p2"),
    chance={"acc": 1 / 3, "tot": 1 / 3, "img_p1": 0.5, "img_p2": 0.5},
    subset_files={s: (f,) for s, f in FILES.items()},
    sha256={
        "data/replace_att.json": "6826413592894754eeca02aeebbcbbc8b95a7456998abcc714e71c033ce6fe87",
        "data/replace_obj.json": "5c6dc499ec8f511a8aa4ec1b7b5eb0eca90317488abe36ec39573355e2d361ab",
        "data/replace_rel.json": "040fb95d3f0619bf515db60879e99709a87a5e9b4f524ec3403b127243480fd4",
        "data/swap_att.json": "450d0fd9fcad3e6f44950dc634e7f901ab1c6d9c60a569ade5ae8ffb3d203ad8",
        "data/swap_obj.json": "5f33cae824de431a7ecd3c5de6301f689815f9497aa36d96b154bbaf117b201b",
    },
    urls={f: f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/{f}" for f in FILES.values()},
    aggregate_rule="aobench's: replace/swap micro means over their subsets, acc (ITT) and tot the plain mean of the two (the authors report subsets only)",
    tie_rule=TIE_WRONG,
    reference=f"{REPO}:VLMs/test_Variants_CLIP.py@{COMMIT}",
)


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """Examples from `data/<subset>.json` (a list of {id, filename, caption, caption2, negative_caption}); texts = (P1, P2, N)."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        path = annotation_path(annotations, FILES[subset])
        seen = set()
        for i, row in enumerate(read_json(path, list, "a JSON list of examples")):
            where = f"{path}: [{i}]"
            if not isinstance(row, dict):
                skip(skipped, where, "not an object")
                continue
            try:
                filename, p1, p2, neg = (require_str(row, k) for k in ("filename", "caption", "caption2", "negative_caption"))
            except ValueError as exc:
                skip(skipped, where, str(exc))
                continue
            ex_id = row.get("id", i)
            if isinstance(ex_id, (bool, dict, list)) or ex_id is None or str(ex_id) in seen:
                skip(skipped, where, f"id {ex_id!r} is {'a duplicate' if str(ex_id) in seen else 'not a number or string'}")
                continue
            seen.add(str(ex_id))
            out.append(Example(str(ex_id), subset, IMAGE_TEXTS, (ImageRef("coco2017", filename),), (p1, p2, neg), positives=(0, 1), tie_rule=TIE_WRONG))
    return out


def outcomes(ex: Example, scores: np.ndarray, text_scores: np.ndarray) -> dict[str, bool]:
    """ITT (`acc`), TOT, and each positive alone against the negative, from S[0, (P1, P2, N)] and the texts' similarities."""
    i_p1, i_p2, i_n = (float(v) for v in np.asarray(scores)[0])
    t = np.asarray(text_scores)
    p1p2, p1n, p2n = float(t[0, 1]), float(t[0, 2]), float(t[1, 2])
    return {"acc": i_p1 > i_n and i_p2 > i_n, "tot": p1p2 > p1n and p1p2 > p2n, "img_p1": i_p1 > i_n, "img_p2": i_p2 > i_n}


def subset_metrics(subset: str, examples: Sequence[Example], outs: Sequence[dict]) -> dict:
    """Mean, stderr and chance of each outcome (TOT's chance: the positives' similarity is the largest of three, 1/3)."""
    out = default_subset_metrics(subset, examples, outs)
    if examples:
        for key in ("tot", "img_p1", "img_p2"):
            out.update(mean_metrics(key, [o[key] for o in outs], SPEC.chance[key]))
    return out


def aggregate(per_subset: dict) -> dict:
    """REPLACE / SWAP micro means of ITT and TOT; `acc` and `tot` the plain mean of the two categories (when both ran)."""
    out = {}
    for metric in ("acc", "tot"):
        for cat, subs in CATEGORIES.items():
            if all(s in per_subset for s in subs):
                m = micro(per_subset, subs, metric)
                out.update({f"{cat}/{metric}": m[metric], f"{cat}/{metric}_stderr": m[f"{metric}_stderr"], f"{cat}/n": m["n"]})
        if all(f"{c}/{metric}" in out for c in CATEGORIES):
            out[metric], out[f"{metric}_stderr"] = macro([(out[f"{c}/{metric}"], out[f"{c}/{metric}_stderr"]) for c in CATEGORIES])
            out[chance_key(metric)] = SPEC.chance[metric]
    return out
