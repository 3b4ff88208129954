"""CREPE (Ma et al. 2023): compositional reasoning — one image region against its caption and hard negatives.

Annotations: the CSVs of `RAIVNLab/CREPE` data/prod_hard_negatives.zip and data/syst_hard_negatives.zip (both
over the size this machine's snapshots keep; the loader follows the authors' BaseCsvDataset and
crepe_compo_eval_open_clip.py). With both zips extracted into the annotations dir:
- productivity: `prod_hard_negatives/{atom,swap,negate}/prod_vg_hard_negs_{type}_complexity_{4..12}.csv`,
  columns `image_id, caption, hard_negs, x, y, width, height` (`hard_negs` a Python list literal);
- systematicity: `syst_hard_negatives/syst_vg_hard_negs_{seen,unseen}_compounds_in_{cc12m,yfcc,laion}.csv`,
  negatives in `valid_hard_negs_{atom,comp,combined}`. The authors say it applies only to models trained on
  CC12M, YFCC15M or LAION-400M, so its subsets run only when named (`crepe/syst_unseen_compounds_in_laion_comp`).

Images: Visual Genome `<image_id>.jpg` in VG_100K/ or VG_100K_2/ (the authors look in both) under the `vg`
folder, cropped to the row's box (x, y, width, height) as `TF.crop(img, y, x, height, width)` does.

Protocol (`get_one2many_rank` / `get_one2many_metrics`): texts = [caption] + hard negatives; the rank of the
caption among them; R@1 (= accuracy), R@3, R@5, R@10, mean rank (mean + 1) and median rank (floor + 1) per
CSV. The authors rank with `torch.argsort`, whose order among equal scores is unspecified; aobench ranks
the caption below every negative it ties with (so R@1 is the strict `>` accuracy). The spectrum study's
`crepe::{atom,swap,negate}` columns are R@1 pooled over complexities 4–12 (their values are multiples of
1/17698, 1/7405, 1/17303: micro means), and its `crepe` headline is the plain mean of the three
(results.csv, checked); aobench's `atom/acc`, `swap/acc`, `negate/acc` and `acc` follow them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets
from aobench.suite.schema import IMAGE_TEXTS, TIE_WRONG, BenchmarkSpec, Example, ImageRef
from aobench.suite.scoring import default_subset_metrics

TYPES = ("atom", "swap", "negate")
COMPLEXITIES = tuple(range(4, 13))
SYST_SPLITS = ("seen_compounds", "unseen_compounds")
SYST_DATA = ("cc12m", "yfcc", "laion")
SYST_NEGS = ("atom", "comp", "combined")


def _prod(t: str, c: int) -> tuple[str, str]:
    return f"{t}_complexity_{c}", f"prod_hard_negatives/{t}/prod_vg_hard_negs_{t}_complexity_{c}.csv"


def _syst(split: str, data: str, neg: str) -> tuple[str, str]:
    return f"syst_{split}_in_{data}_{neg}", f"syst_hard_negatives/syst_vg_hard_negs_{split}_in_{data}.csv"


PROD = dict(_prod(t, c) for t in TYPES for c in COMPLEXITIES)
SYST = dict(_syst(s, d, n) for s in SYST_SPLITS for d in SYST_DATA for n in SYST_NEGS)
FILES = {**PROD, **SYST}
BOX = ("x", "y", "width", "height")

SPEC = BenchmarkSpec(
    name="crepe",
    description="compositional productivity: an image region against its caption and atom/swap/negate hard negatives",
    schema=IMAGE_TEXTS,
    subsets=tuple(PROD),
    counts={},  # the CSV zips (>4 MB) are absent from this machine's snapshot: not counted
    image_sources={"vg": "Visual Genome images, VG_100K/ and VG_100K_2/ (https://visualgenome.org; the CREPE README "
                         "links a Google Drive copy)"},
    annotations="RAIVNLab/CREPE:data/prod_hard_negatives.zip, data/syst_hard_negatives.zip@1fa81c4 (extract both here)",
    annotation_files=tuple(dict.fromkeys(FILES.values())),
    licence="no licence file in RAIVNLab/CREPE (ask the authors before redistributing); Visual Genome images CC BY 4.0",
    protocol="rank of the caption among [caption] + hard negatives (ties rank it lower); R@1/3/5/10 and mean rank per "
             "CSV; atom/swap/negate = R@1 pooled over complexities 4-12, headline = their plain mean (vl_compo)",
    optional_subsets=tuple(SYST),
    subset_files={s: (f,) for s, f in FILES.items()},
    access="download data/prod_hard_negatives.zip and data/syst_hard_negatives.zip from RAIVNLab/CREPE (Git LFS) and extract both",
    aggregate_rule="atom / swap / negate: R@1 pooled over complexities 4-12; acc: the plain mean of the three (vl_compo results.csv)",
    tie_rule=TIE_WRONG,
    reference="RAIVNLab/CREPE:crepe_eval_utils.py (get_one2many_rank, get_one2many_metrics)@1fa81c4",
)


def _read(path: Path, subset: str, negs_column: str, skipped: Optional[list]) -> list[Example]:
    out = []
    for i, (line, row) in enumerate(files.csv_rows(path, ("image_id", "caption", negs_column, *BOX))):
        at = f"{path}:{line}"
        try:
            image_id = files.integer(row["image_id"], f"{at}: image_id")
            caption = files.text(row["caption"], f"{at}: caption")
            negatives = files.python_list(row[negs_column], f"{at}: {negs_column}")
            box = tuple(files.number(row[k], f"{at}: {k}") for k in BOX)
        except AobenchError as exc:
            files.row_error(skipped, at, exc)
            continue
        out.append(Example(
            id=str(i), subset=subset, schema=IMAGE_TEXTS,  # the row's index in the CSV (pandas' numbering)
            images=(ImageRef("vg", f"VG_100K/{image_id}.jpg", box),),
            texts=(caption, *negatives), positives=(0,), tie_rule=TIE_WRONG, meta={"image_id": image_id},
        ))  # fmt: skip
    return out


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """Examples of the requested CSVs (default: the 27 productivity ones), in file order."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        path = annotation_path(annotations, FILES[subset])
        column = "hard_negs" if subset in PROD else f"valid_hard_negs_{subset.rsplit('_', 1)[1]}"
        out += _read(path, subset, column, skipped)
    return out


def resolve_images(examples: list[Example], roots) -> list[Example]:
    """Point each image at VG_100K_2/ where it is not in VG_100K/ (the authors' `get_image_by_id` looks in both)."""
    out = []
    for ex in examples:
        ref = ex.images[0]
        if roots.resolve(ref) is None:
            alt = ImageRef(ref.source, "VG_100K_2/" + ref.file.split("/", 1)[1], ref.box)
            if roots.resolve(alt) is not None:
                ex = Example(ex.id, ex.subset, ex.schema, (alt,), ex.texts, ex.positives, ex.tie_rule, ex.meta)
        out.append(ex)
    return out


def caption_rank(scores: np.ndarray) -> int:
    """0-based rank of the caption (text 0) among its negatives; a negative scoring equal to it ranks above it."""
    row = np.asarray(scores, dtype=np.float64)[0]
    return int((row[1:] >= row[0]).sum())


def outcomes(ex: Example, scores: np.ndarray, text_scores=None) -> dict:
    """acc (= R@1), R@3, R@5, R@10 and the caption's 0-based rank, as get_one2many_metrics reads them."""
    rank = caption_rank(scores)
    return {"acc": rank < 1, "r@3": rank < 3, "r@5": rank < 5, "r@10": rank < 10, "rank": rank}


def subset_metrics(subset: str, examples: list[Example], outcomes: list[dict]) -> dict:
    """The default metrics (R@k means with stderr) and the authors' mean rank (mean + 1) and median rank (floor of the median + 1)."""
    out = default_subset_metrics(subset, examples, outcomes)
    for k in ("rank", "rank_stderr"):  # the 0-based mean rank, said the authors' way below
        out.pop(k, None)
    if examples:
        ranks = np.array([o["rank"] for o in outcomes], dtype=float)
        out.update({"mean_rank": float(ranks.mean() + 1), "median_rank": float(np.floor(np.median(ranks)) + 1)})
    return out


def aggregate(per_subset: dict[str, dict]) -> dict:
    """atom/swap/negate = R@1 pooled over complexities 4-12; acc = their plain mean (vl_compo's crepe columns)."""
    groups = {t: combine.pooled(per_subset, [_prod(t, c)[0] for c in COMPLEXITIES]) for t in TYPES}
    out = combine.flatten("", combine.mean_of_means(groups.values()))
    for t, g in groups.items():
        out.update(combine.flatten(t, g))
    return out
