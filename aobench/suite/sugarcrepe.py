"""SugarCrepe (Hsieh et al., NeurIPS 2023 D&B): one COCO val2017 image, its caption and one hard negative; 7 subsets.

Protocol (`RAIVNLab/sugar-crepe:main_eval.py`, `text_retrieval`): right iff s(I, caption) > s(I, negative),
strictly, so a tie is wrong (CLIP_benchmark's argmax counts it right). Accuracy per subset; the paper's
REPLACE / SWAP / ADD figures pool their subsets' examples (micro means, maintainer in sugar-crepe#3), and
the headline `acc` is the plain mean of those three (this reproduces vl_compo's 73.03 for OpenAI ViT-B/32
from its own per-subset numbers; a plain mean of the 7 subsets would give 73.05).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aobench.suite.loading import annotation_path, check_subsets, read_json, require_str, skip
from aobench.suite.schema import IMAGE_TEXTS, TIE_WRONG, BenchmarkSpec, Example, ImageRef
from aobench.suite.scoring import macro, micro

REPO, COMMIT = "RAIVNLab/sugar-crepe", "0047054b243992f0fad63d6f64f7544862daf846"
SUBSETS = ("add_obj", "add_att", "replace_obj", "replace_att", "replace_rel", "swap_obj", "swap_att")  # main_eval.py's order
CATEGORIES = {"replace": ("replace_obj", "replace_att", "replace_rel"), "swap": ("swap_obj", "swap_att"), "add": ("add_obj", "add_att")}
FILES = {s: f"data/{s}.json" for s in SUBSETS}

SPEC = BenchmarkSpec(
    name="sugarcrepe",
    description="an image against its caption and a fluent, plausible hard negative (replace / swap / add of objects, attributes, relations)",
    schema=IMAGE_TEXTS,
    subsets=SUBSETS,
    counts={"add_obj": 2062, "add_att": 692, "replace_obj": 1652, "replace_att": 788, "replace_rel": 1406, "swap_obj": 245, "swap_att": 666},
    image_sources={"coco2017": "COCO 2017 val images, http://images.cocodataset.org/zips/val2017.zip (the README's instructions)"},
    annotations=f"{REPO}:data/*.json@{COMMIT}",
    annotation_files=tuple(FILES.values()),
    licence="MIT (annotations, the repo's LICENSE); images: COCO terms of use",
    protocol="right iff s(I,caption) > s(I,negative) (strict: a tie is wrong); accuracy per subset",
    chance={"acc": 0.5},
    subset_files={s: (f,) for s, f in FILES.items()},
    sha256={
        "data/add_att.json": "012d88d729693d193760e6f3393b06a1cf874380a9db0062e937201199fe044d",
        "data/add_obj.json": "1b9d76b93139a937b8dc1ada92a4f05ecc821bb3c291d752428bafadd4bb0682",
        "data/replace_att.json": "9fe55fd4c0a9ad1f85d486d9f6d0215b41f867eb025026e7f7b5ce44352545ee",
        "data/replace_obj.json": "9d299600639947e9d15281a9ded1382b376cf4ea088a8d08a1314bfe76e81898",
        "data/replace_rel.json": "356bcc2fc4c6aed3f4d9fd50acc58489bb1fe70c28791f9368d4cbf9ea39cdc9",
        "data/swap_att.json": "7a7ce04e5c4c80412b48c6f0c1347fb1a2f5d54c0be6aa429b64d390e442f8d0",
        "data/swap_obj.json": "073cdb8e253d053614e80710834d9773b09dbc1dd0a412f6f9492262caa1dcad",
    },
    urls={f: f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/{f}" for f in FILES.values()},
    aggregate_rule="replace/swap/add: micro means over their subsets' examples (the paper's categories); acc: the plain mean of the three",
    tie_rule=TIE_WRONG,
    reference=f"{REPO}:main_eval.py@{COMMIT}",
)


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """Examples of the chosen subsets from `data/<subset>.json` (a dict keyed by id: filename, caption, negative_caption)."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        path = annotation_path(annotations, FILES[subset])
        doc = read_json(path, dict, "a JSON object keyed by example id")
        for key, row in doc.items():
            where = f"{path}: [{key!r}]"
            if not isinstance(row, dict):
                skip(skipped, where, "not an object")
                continue
            try:
                fields = [require_str(row, k) for k in ("filename", "caption", "negative_caption")]
            except ValueError as exc:
                skip(skipped, where, str(exc))
                continue
            filename, caption, negative = fields
            out.append(Example(str(key), subset, IMAGE_TEXTS, (ImageRef("coco2017", filename),), (caption, negative), positives=(0,), tie_rule=TIE_WRONG))
    return out


def aggregate(per_subset: dict) -> dict:
    """REPLACE / SWAP / ADD micro means (where all their subsets ran) and `acc`, the mean of the three (when all ran)."""
    out = {}
    for cat, subs in CATEGORIES.items():
        if all(s in per_subset for s in subs):
            m = micro(per_subset, subs)
            out.update({f"{cat}/acc": m["acc"], f"{cat}/acc_stderr": m["acc_stderr"], f"{cat}/n": m["n"]})
    if all(f"{c}/acc" in out for c in CATEGORIES):
        out["acc"], out["acc_stderr"] = macro([(out[f"{c}/acc"], out[f"{c}/acc_stderr"]) for c in CATEGORIES])
        out["chance/acc"] = 0.5
    return out
