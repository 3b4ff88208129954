"""VALSE (Parcalabescu et al., ACL 2022): an image, its caption and a foil that breaks one linguistic phenomenon; 11 pieces.

Only valid rows count: at least two of three annotators chose the caption and not the foil (`mturk.caption >= 2`,
the README and `lxmert_valse_eval.py`). Protocol for dual encoders: pairwise accuracy acc_r, right iff
s(I, caption) > s(I, foil), strictly. The headline `acc` is the paper's "Avg." (Table 2), the plain mean of the
11 pieces (CLIP: 64.0); `instrument_mean` is the mean over the 7 instruments of their pieces' mean (the rule
vl_compo's valse column follows: 67.53 for OpenAI ViT-B/32 from its own per-piece numbers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aobench.suite.loading import annotation_path, check_subsets, read_json, require_str, skip
from aobench.suite.schema import IMAGE_TEXTS, TIE_WRONG, BenchmarkSpec, Example, ImageRef
from aobench.suite.scoring import macro

REPO, COMMIT = "Heidelberg-NLP/VALSE", "2152d90d4aecd11f7f74cf03420abcb63efff9c5"
INSTRUMENTS = {
    "existence": ("existence",),
    "plurality": ("plurals",),
    "counting": ("counting-hard", "counting-small-quant", "counting-adversarial"),
    "relations": ("relations",),
    "actions": ("action-replacement", "actant-swap"),
    "coreference": ("coreference-standard", "coreference-hard"),
    "foil-it": ("foil-it",),
}
SUBSETS = tuple(p for pieces in INSTRUMENTS.values() for p in pieces)
FILES = {s: f"data/{s}.json" for s in SUBSETS}
# the `dataset` field of a row → the image set its image_file belongs to
SOURCES = {"visual7w": "visual7w", "coco2017": "coco2017", "coco_2017": "coco2017", "SWiG": "swig", "VisDial_v1.0": "visdial", "FOIL dataset": "coco2014"}
MIN_VOTES = 2

SPEC = BenchmarkSpec(
    name="valse",
    description="an image against its caption and a foil for one linguistic phenomenon (existence, plurality, counting, relations, actions, coreference, FOIL)",
    schema=IMAGE_TEXTS,
    subsets=SUBSETS,
    counts={"existence": 505, "plurals": 851, "counting-hard": 868, "counting-small-quant": 900, "counting-adversarial": 691, "relations": 535,
            "action-replacement": 648, "actant-swap": 949, "coreference-standard": 708, "coreference-hard": 104, "foil-it": 943},  # fmt: skip
    image_sources={
        "visual7w": "Visual7W images (existence, counting: v7w_<id>.jpg), http://ai.stanford.edu/~yukez/visual7w/",
        "coco2017": "COCO 2017 images (plurals, relations; val2017), https://cocodataset.org/#download",
        "swig": "SWiG / imSitu images (actions), https://github.com/allenai/swig",
        "visdial": "VisDial v1.0 images (coreference: COCO_train2014_*, VisualDialog_val2018_*), https://visualdialog.org/data",
        "coco2014": "COCO 2014 val images (foil-it: COCO_val2014_*), http://images.cocodataset.org/zips/val2014.zip",
    },
    annotations=f"{REPO}:data/*.json@{COMMIT}",
    annotation_files=tuple(FILES.values()),
    licence="MIT (annotations, the repo's LICENSE); images: each source dataset's terms",
    protocol="valid rows only (mturk.caption >= 2); right iff s(I,caption) > s(I,foil) (acc_r, strict); accuracy per piece",
    chance={"acc": 0.5},
    subset_files={s: (f,) for s, f in FILES.items()},
    sha256={
        "data/existence.json": "b20fca52eba86c544083d423345a2e28e60e601ef61c56c9ac1c73a95a3a6d18",
        "data/plurals.json": "43760db7fc8c6f2a21d3536d52f81539cb101f3370e8d2effb09de43d91486a3",
        "data/counting-hard.json": "2cc83615653675fb50914ce2d8ab4041cce1278eed7ac0abf6f319dbce5c967a",
        "data/counting-small-quant.json": "ca0645885b05738f6c6df2dffec70c669aaff64114017f33425821faab4bc374",
        "data/counting-adversarial.json": "0d23529308449c98b37a91048a865a5f377325eceb9accd73f2947bc512d12b0",
        "data/relations.json": "061fc557459c318ccd6734d07c21cfa5bf5ae87aa6b1110b8f5ec3d6b2911043",
        "data/action-replacement.json": "336ba134f29a3475d0508809067218909a6bd30f079c59309d19244eccb7917f",
        "data/actant-swap.json": "915294ac3ade7c4c067b1c6841d0db93b60cb8a61ac8e2fb6b125c2a1c0ca93a",
        "data/coreference-standard.json": "dae1d9eb018acb54e29a1c4983f3563f86ec3b6beb4037a261564270b0473e95",
        "data/coreference-hard.json": "ef54d8d971d9e0f264e07de08d9915c6e3d6129a2f239888f2b938f5c2eb4139",
        "data/foil-it.json": "6f6f0d7494271ed28f6e6f075c3ba36ba1bc45d00ecf7403920f060915130460",
    },
    urls={f: f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/{f}" for f in FILES.values()},
    aggregate_rule="acc: the plain mean of the 11 pieces (the paper's Avg.); instrument_mean: the mean over 7 instruments of their pieces' mean (vl_compo)",
    tie_rule=TIE_WRONG,
    reference=f"{REPO}:lxmert_valse_eval.py@{COMMIT} (acc_r)",
)


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """Valid rows (`mturk.caption >= 2`) of each piece's `data/<piece>.json`; texts = (caption, foil). Invalid rows are not skips."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        path = annotation_path(annotations, FILES[subset])
        for key, row in read_json(path, dict, "a JSON object keyed by example id").items():
            where = f"{path}: [{key!r}]"
            if not isinstance(row, dict):
                skip(skipped, where, "not an object")
                continue
            votes = row.get("mturk")
            caption_votes = votes.get("caption") if isinstance(votes, dict) else None
            if isinstance(caption_votes, bool) or not isinstance(caption_votes, (int, float)):
                skip(skipped, where, "mturk.caption is missing or not a number")
                continue
            if caption_votes < MIN_VOTES:
                continue  # not validated by the annotators: not part of VALSE's valid set
            try:
                image, caption, foil, dataset = (require_str(row, k) for k in ("image_file", "caption", "foil", "dataset"))
            except ValueError as exc:
                skip(skipped, where, str(exc))
                continue
            if dataset not in SOURCES:
                skip(skipped, where, f"unknown image dataset {dataset!r} (known: {', '.join(SOURCES)})")
                continue
            out.append(Example(str(key), subset, IMAGE_TEXTS, (ImageRef(SOURCES[dataset], image),), (caption, foil), positives=(0,), tie_rule=TIE_WRONG))
    return out


def aggregate(per_subset: dict) -> dict:
    """`acc`: the plain mean of the 11 pieces; `instrument/<name>/acc` the mean of its pieces; `instrument_mean` their mean (all when every piece ran)."""
    out = {}
    for inst, pieces in INSTRUMENTS.items():
        if all(p in per_subset for p in pieces):
            key = f"instrument/{inst}/acc"  # "instrument/": three instruments share their one piece's name
            out[key], out[f"{key}_stderr"] = macro([(per_subset[p]["acc"], per_subset[p]["acc_stderr"]) for p in pieces])
    if all(s in per_subset for s in SUBSETS):
        out["acc"], out["acc_stderr"] = macro([(per_subset[s]["acc"], per_subset[s]["acc_stderr"]) for s in SUBSETS])
        out["instrument_mean"], out["instrument_mean_stderr"] = macro([(out[f"instrument/{i}/acc"], out[f"instrument/{i}/acc_stderr"]) for i in INSTRUMENTS])
        out["chance/acc"] = out["chance/instrument_mean"] = 0.5
    return out
