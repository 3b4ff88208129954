"""What'sUp (Kamath et al. 2023): spatial relations — one image against captions that differ only in the preposition.

Annotations: the six JSON files the authors publish on Google Drive (ids in `amitakamath/whatsup_vlms`
dataset_zoo/aro_datasets.py, which this loader follows; not fetchable here):
- `controlled_images_dataset.json` (Controlled_Images_A, own photographs) and `controlled_clevr_dataset.json`
  (Controlled_Images_B, CLEVR renders): a list of `{image_path, caption_options}`, four options;
- `coco_qa_one_obj.json`, `coco_qa_two_obj.json` (COCO val2017) and `vg_qa_one_obj.json`, `vg_qa_two_obj.json`
  (Visual Genome / GQA): a list of `[image_id, true_caption, false_caption]`.
The first caption option is always the correct one (the authors' README).

Images: `image_path` is relative to the authors' data dir ("data/controlled_images/x.jpeg"); aobench reads it
under the `whatsup` folder without the leading "data/" (the authors' tarballs extract controlled_images/,
controlled_clevr/ and vg_images/ there). COCO images are `<id:012>.jpg` in the `coco2017` (val2017) folder;
VG-QA images are `vg_images/<id>.jpg` in the `whatsup` folder.

Protocol (`evaluate_scores`): argmax over the options == 0, so a tie with the correct (first) option counts
as correct; per-subset accuracy, and for the controlled sets pair accuracy (left/right and on/under — or
in-front/behind — of one object pair both right, over n/2) and set accuracy (all four right, over n/4). The
headline is the plain mean of the six subset accuracies (vl_compo results.csv, checked); `controlled`,
`coco_qa` and `vg_qa` are the macro means of each pair of subsets the paper's Table 1 reports.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets, read_json
from aobench.suite.scoring import default_subset_metrics
from aobench.suite.schema import IMAGE_TEXTS, TIE_FIRST, BenchmarkSpec, Example, ImageRef

FILES = {
    "Controlled_Images_A": "controlled_images_dataset.json",
    "Controlled_Images_B": "controlled_clevr_dataset.json",
    "COCO_QA_one_obj": "coco_qa_one_obj.json",
    "COCO_QA_two_obj": "coco_qa_two_obj.json",
    "VG_QA_one_obj": "vg_qa_one_obj.json",
    "VG_QA_two_obj": "vg_qa_two_obj.json",
}
SUBSETS = tuple(FILES)
CONTROLLED = ("Controlled_Images_A", "Controlled_Images_B")
# each controlled image is one of four positions of an object pair; these two pairs of positions are opposites
OPPOSITES = {"Controlled_Images_A": (("left", "right"), ("on", "under")),
             "Controlled_Images_B": (("left", "right"), ("in-front", "behind"))}  # fmt: skip

SPEC = BenchmarkSpec(
    name="whatsup",
    description="spatial relations: one image against captions differing only in the preposition",
    schema=IMAGE_TEXTS,
    subsets=SUBSETS,
    # not published as counts; inferred from the spectrum study's per-subset accuracies (all multiples of 1/n)
    counts={"Controlled_Images_A": 412, "Controlled_Images_B": 408, "COCO_QA_one_obj": 2247,
            "COCO_QA_two_obj": 440, "VG_QA_one_obj": 1160, "VG_QA_two_obj": 291},
    image_sources={
        "whatsup": "the authors' Google Drive folder (amitakamath/whatsup_vlms README): controlled_images.tar.gz, "
                   "controlled_clevr.tar.gz and vg_images.tar.gz extracted into one folder",
        "coco2017": "COCO 2017 val images (http://images.cocodataset.org/zips/val2017.zip)",
    },
    annotations="Google Drive folder linked from amitakamath/whatsup_vlms README (ids in dataset_zoo/aro_datasets.py)@7c1f255",
    annotation_files=tuple(FILES.values()),
    licence="MIT (amitakamath/whatsup_vlms); COCO images CC BY 4.0 (Flickr terms), Visual Genome images CC BY 4.0",
    protocol="argmax over the caption options == 0 (first option correct; a tie with it counts), per subset; "
             "pair/set accuracy on the controlled sets; headline = plain mean of the 6 subsets (vl_compo)",
    subset_files={s: (f,) for s, f in FILES.items()},
    access="download the six JSON files from the Google Drive folder linked in amitakamath/whatsup_vlms README",
    aggregate_rule="acc: the plain mean of the 6 subset accuracies (vl_compo results.csv); controlled / coco_qa / vg_qa: "
                   "the paper's Table 1 macro means of each pair",
    tie_rule=TIE_FIRST,
    reference="amitakamath/whatsup_vlms:dataset_zoo/aro_datasets.py (evaluate_scores)@7c1f255",
)


def _controlled(path: Path, subset: str, data: list, skipped: Optional[list]) -> list[Example]:
    out = []
    for i, rec in enumerate(data):
        at = f"{path}: [{i}]"
        try:
            files.need(rec, dict, at)
            image_path = files.text(rec.get("image_path"), f"{at}.image_path")
            options = files.need(rec.get("caption_options"), list, f"{at}.caption_options")
            if len(options) < 2:
                raise AobenchError(f"{at}.caption_options: expected at least 2 options, got {len(options)}")
            texts = tuple(files.text(t, f"{at}.caption_options[{k}]") for k, t in enumerate(options))
        except AobenchError as exc:
            files.row_error(skipped, at, exc)
            continue
        parts = image_path.split("/")[-1].split("_")
        # the authors key an object pair by the first and last name parts (last without its 5-character ".jpeg")
        # and read the position from the second: "mug_left_of_table.jpeg" → pair (mug, table), position left
        meta = {"pair": f"{parts[0]}|{parts[-1][:-5]}", "position": parts[1] if len(parts) > 1 else "",
                "preposition": _controlled_preposition(subset, image_path)}
        rel = image_path[len("data/"):] if image_path.startswith("data/") else image_path
        out.append(Example(str(i), subset, IMAGE_TEXTS, (ImageRef("whatsup", rel),), texts, (0,), TIE_FIRST, meta))
    return out


def _controlled_preposition(subset: str, image_path: str) -> str:
    # the authors' all_prepositions rule, by substring of the path
    for key in ("left_of", "right_of"):
        if key in image_path:
            return key
    if subset == "Controlled_Images_A":
        return "on" if "_on_" in image_path else "under"
    return "in-front_of" if "_in-front_of_" in image_path else "behind"


def _qa(path: Path, subset: str, data: list, skipped: Optional[list]) -> list[Example]:
    coco = subset.startswith("COCO")
    out = []
    for i, rec in enumerate(data):
        at = f"{path}: [{i}]"
        try:
            if not isinstance(rec, list) or len(rec) != 3:
                raise AobenchError(f"{at}: expected [image_id, true_caption, false_caption], got {files.short(rec)}")
            image_id = files.integer(rec[0], f"{at}[0]")
            true, false = files.text(rec[1], f"{at}[1]"), files.text(rec[2], f"{at}[2]")
        except AobenchError as exc:
            files.row_error(skipped, at, exc)
            continue
        ref = ImageRef("coco2017", f"{image_id:012d}.jpg") if coco else ImageRef("whatsup", f"vg_images/{image_id}.jpg")
        meta = {"preposition": _qa_preposition(subset, true)}
        out.append(Example(str(i), subset, IMAGE_TEXTS, (ref,), (true, false), (0,), TIE_FIRST, meta))
    return out


def _qa_preposition(subset: str, caption: str) -> str:
    # the authors' all_prepositions rule: one-object sets end in the preposition, two-object sets by substring
    if subset.endswith("one_obj"):
        return caption.split()[-1]
    rules = [("left of", "left"), ("right of", "right")]
    rules += [("above", "above")] if subset.startswith("COCO") else [("front of", "front"), ("behind", "behind")]
    for needle, name in rules:
        if needle in caption:
            return name
    return "below" if subset.startswith("COCO") else "top"


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """Every example of the requested subsets, in file order, first caption option correct."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        path = annotation_path(annotations, FILES[subset])
        data = read_json(path, list, "a JSON list of examples")
        out += _controlled(path, subset, data, skipped) if subset in CONTROLLED else _qa(path, subset, data, skipped)
    return out


def subset_metrics(subset: str, examples: list[Example], outcomes: list[dict]) -> dict:
    """The default metrics, per-preposition accuracy and, on the controlled sets, the authors' pair and set accuracy."""
    out = default_subset_metrics(subset, examples, outcomes)
    if not examples:
        return out
    correct = [bool(o["acc"]) for o in outcomes]
    by_prep = defaultdict(list)
    for ex, ok in zip(examples, correct):
        by_prep[ex.meta.get("preposition", "")].append(ok)
    out.update({f"acc_by_preposition/{p}": float(np.mean(v)) for p, v in sorted(by_prep.items())})
    if subset in OPPOSITES:
        pairs: dict[str, dict[str, bool]] = defaultdict(dict)
        for ex, ok in zip(examples, correct):
            pairs[ex.meta["pair"]][ex.meta["position"]] = ok
        n = len(examples)
        pair_correct = sum(bool(d.get(a)) and bool(d.get(b)) for d in pairs.values() for a, b in OPPOSITES[subset])
        set_correct = sum(sum(bool(v) for v in d.values()) == 4 for d in pairs.values())
        # the authors divide by the number of images / 2 and / 4 (every object pair has its four positions)
        out["pair_acc"] = pair_correct / (n / 2)
        out["set_acc"] = set_correct / (n / 4)
    return out


def aggregate(per_subset: dict[str, dict]) -> dict:
    """acc = plain mean of the 6 subsets (vl_compo); controlled / coco_qa / vg_qa = the paper's Table 1 macro means."""
    out = combine.flatten("", combine.mean_of(per_subset, SUBSETS))
    for name, pair in (("controlled", CONTROLLED), ("coco_qa", SUBSETS[2:4]), ("vg_qa", SUBSETS[4:6])):
        out.update(combine.flatten(name, combine.mean_of(per_subset, pair)))
    return out
