"""Winoground (Thrush et al., CVPR 2022): two images and two captions with the same words in a different order; 400 groups.

Protocol (the authors' `statistics/compute_statistics.py` and CLIP notebook): with s(c, i),
text = s(c0,i0) > s(c1,i0) and s(c1,i1) > s(c0,i1); image = s(c0,i0) > s(c0,i1) and s(c1,i1) > s(c1,i0);
group = text and image; all strict. Subsets are the `collapsed_tag`s (Object, Relation, Both); the headline
text / image / group pool all 400 groups, as the paper reports them. Chance: 25 / 25 / 16.67.
The data is gated on the Hub (facebook/winoground): aobench needs the user's token and never redistributes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aobench.evaluate.results import chance_key
from aobench.suite.loading import annotation_path, check_subsets, read_jsonl, require_str, skip
from aobench.suite.schema import GROUP, TIE_WRONG, BenchmarkSpec, Example, ImageRef
from aobench.suite.scoring import micro

HUB = "facebook/winoground"
FILE = "data/examples.jsonl"
SUBSETS = ("Object", "Relation", "Both")
METRICS = ("text", "image", "group")
CHANCE = {"text": 0.25, "image": 0.25, "group": 1 / 6}
ACCESS = (f"Winoground is gated on the Hugging Face Hub: accept its licence at https://huggingface.co/datasets/{HUB}, log in "
          "(`hf auth login` or HF_TOKEN), then run `aobench benchmarks get winoground`; or pass --annotations DIR (with "
          "examples.jsonl) and --images DIR (its images/ folder)")  # fmt: skip

SPEC = BenchmarkSpec(
    name="winoground",
    description="two images and two captions with the same words in another order: match each caption to its image (text / image / group)",
    schema=GROUP,
    subsets=SUBSETS,
    counts={"Object": 141, "Relation": 233, "Both": 26},
    image_sources={"winoground": f"images.zip of the gated Hub dataset {HUB} (Getty Images); `aobench benchmarks get winoground` unpacks it"},
    annotations=f"{HUB} (Hub, gated):{FILE}",
    annotation_files=(FILE,),
    licence="Winoground licence agreement (Meta): non-commercial research only, non-transferable; images from Getty Images",
    protocol="text: s(c0,i0)>s(c1,i0) and s(c1,i1)>s(c0,i1); image: s(c0,i0)>s(c0,i1) and s(c1,i1)>s(c1,i0); group: both; strict",
    metric_names=METRICS,
    chance=CHANCE,
    # the copy of the Hub file mirrored in e-bug/fine-grained-evals@6cc5fc1 (data/winoground/data/examples.jsonl)
    sha256={FILE: "055f68668e60bb9bac18ec37dcbb40b935690302011e3f8f53767f0b68a65911"},
    hub=HUB,
    archives={"winoground": "data/images.zip"},
    access=ACCESS,
    aggregate_rule="text / image / group over all 400 groups (micro, as the paper reports)",
    tie_rule=TIE_WRONG,
    reference=f"{HUB}:statistics/compute_statistics.py",
)


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """Groups from `examples.jsonl` ({id, caption_0, caption_1, image_0, image_1, collapsed_tag, ...}); images are `images/<name>.png`."""
    chosen = set(check_subsets(SPEC, subsets))
    path = annotation_path(annotations, FILE)
    out, seen = [], set()
    for n, row in read_jsonl(path, skipped):
        where = f"{path}:{n}"
        try:
            c0, c1, i0, i1, tag = (require_str(row, k) for k in ("caption_0", "caption_1", "image_0", "image_1", "collapsed_tag"))
        except ValueError as exc:
            skip(skipped, where, str(exc))
            continue
        ex_id = row.get("id")
        if isinstance(ex_id, bool) or not isinstance(ex_id, (int, str)) or str(ex_id) in seen:
            skip(skipped, where, f"id {ex_id!r} is {'a duplicate' if str(ex_id) in seen else 'missing or not a number'}")
            continue
        if tag not in SUBSETS:
            skip(skipped, where, f"collapsed_tag {tag!r} is not one of {', '.join(SUBSETS)}")
            continue
        seen.add(str(ex_id))
        if tag in chosen:
            images = (ImageRef("winoground", f"images/{i0}.png"), ImageRef("winoground", f"images/{i1}.png"))
            out.append(Example(str(ex_id), tag, GROUP, images, (c0, c1), tie_rule=TIE_WRONG, meta={"tag": row.get("tag", "")}))
    return out


def aggregate(per_subset: dict) -> dict:
    """text / image / group pooled over every group (when all three subsets ran)."""
    if not all(s in per_subset for s in SUBSETS):
        return {}
    out = {}
    for metric in METRICS:
        m = micro(per_subset, SUBSETS, metric)
        out.update({metric: m[metric], f"{metric}_stderr": m[f"{metric}_stderr"], chance_key(metric): CHANCE[metric]})
    out["n"] = micro(per_subset, SUBSETS, "group")["n"]
    return out
