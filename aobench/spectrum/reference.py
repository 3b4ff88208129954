"""Published per-checkpoint results to draw behind one's own models: vl_compo's CSV format.

The spectrum study (Oh et al. 2024, `ytaek-oh/vl_compo`) published 202 checkpoints as `individual_results.csv`
(`arch, pretrained, family` then one `benchmark::subset` column each, e.g. `sugarcrepe::swap_att`,
`winoground::group`, `elevator::imagenet-1k`, `coco_karpathy::i2t/R@1`) and `results.csv` (one aggregate
column per benchmark). Values are percentages; they are read as fractions (÷ 100) to share axes with
aobench and CLIP_benchmark. A file may name the model column `model` or `arch`; several files are joined
by (model, pretrained). A row is fine-tuned when its `family` is one of `FINE_TUNED_FAMILIES` (vl_compo's
fine-tuning-for-compositionality group) or a `fine_tuned` column says so.

A column of the spectrum table finds its reference values by `reference_value`, whose mapping is this table:

| spectrum column                                      | reference column(s)                                      |
|------------------------------------------------------|----------------------------------------------------------|
| D/zeroshot_classification/acc1 (CLIP_benchmark D)    | elevator::E, E = `ELEVATER[D]`                           |
| mean/zeroshot_classification/acc1                    | the mean of the above over the same datasets (all needed)|
| mscoco_captions, flickr30k / zeroshot_retrieval      | coco_karpathy::, flickr30k:: t2i/R@1 (image_retrieval), i2t/R@1 (text_retrieval) |
| sugar_crepe/S/image_caption_selection/acc            | sugarcrepe::S (the group's mean: the mean over the same S) |
| suite benchmark B (and CLIP_benchmark's winoground): S/acc, S/m | B::S, B::S::m (m: text/image/group)             |
|   its aggregate acc (B/S: one subset chosen)         | the aggregate column B (results.csv), else B::group (acc, text_acc, image_acc → B::group, ::text, ::image); B::S |
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError
from aobench.spectrum import roles
from aobench.spectrum.table import CLASSIFICATION, MEAN, Column

SEP = "::"
FINE_TUNED_FAMILIES = ("StructuredCLIP",)
MODEL_KEYS = ("model", "arch")
# CLIP_benchmark dataset → ELEVATER task name as vl_compo spells it
ELEVATER = {
    "caltech101": "caltech101", "cifar10": "cifar10", "cifar100": "cifar100", "country211": "country211", "dtd": "dtd",
    "eurosat": "eurosat-clip", "fer2013": "fer2013", "fgvc_aircraft": "fgvc-aircraft-2013b", "flowers": "flower102",
    "food101": "food101", "gtsrb": "gtsrb", "imagenet1k": "imagenet-1k", "kitti_closest_vehicle_distance": "kitti-distance",
    "mnist": "mnist", "pets": "oxford-iiit-pets", "pcam": "patchcamelyon", "renderedsst2": "rendered-sst2",
    "resisc45": "resisc45-clip", "cars": "stanfordcar", "voc2007": "voc2007classification",
}  # fmt: skip
RETRIEVAL = {"mscoco_captions": "coco_karpathy", "flickr30k": "flickr30k"}
DIRECTION = {"image_retrieval_recall@1": "t2i/R@1", "text_retrieval_recall@1": "i2t/R@1"}  # CLIP_benchmark's text→image is t2i
WINOGROUND = {"acc": "group", "text_acc": "text", "image_acc": "image"}
SUGAR_CREPE = "sugarcrepe"


@dataclass
class ReferenceRow:
    """One published checkpoint: identity, whether fine-tuned, and its values (fractions) by column name."""

    model: str
    pretrained: str
    family: str = ""
    fine_tuned: bool = False
    values: dict = field(default_factory=dict)


@dataclass
class Reference:
    """The published rows and the files they came from."""

    rows: list[ReferenceRow]
    files: list[Path]
    scale: float = 100.0

    def value(self, row: ReferenceRow, column: Column) -> Optional[float]:
        """The reference value matching a spectrum column (see the module's table), or None."""
        return reference_value(row.values, column)


def _truthy(v: str) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes", "y")


def read_reference(paths: list[str | Path], scale: float = 100.0) -> Reference:
    """Rows of one or more reference CSVs, joined by (model, pretrained); values divided by `scale` (vl_compo: percent)."""
    rows: dict[tuple[str, str], ReferenceRow] = {}
    files = []
    for path in map(Path, paths):
        try:
            with path.open(newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                header = reader.fieldnames or []
                mkey = next((k for k in MODEL_KEYS if k in header), None)
                if mkey is None or "pretrained" not in header:
                    raise AobenchError(f"--reference {path}:1: needs a `model` (or `arch`) and a `pretrained` column (got {', '.join(h for h in header if h) or 'none'}) — vl_compo's results.csv / individual_results.csv format")
                meta = {mkey, "pretrained", "family", "fine_tuned", ""}
                for n, rec in enumerate(reader, 2):
                    key = (str(rec[mkey]).strip(), str(rec["pretrained"]).strip())
                    row = rows.setdefault(key, ReferenceRow(*key))
                    row.family = row.family or str(rec.get("family") or "").strip()
                    row.fine_tuned = row.fine_tuned or row.family in FINE_TUNED_FAMILIES or _truthy(rec.get("fine_tuned") or "")
                    for col, raw in rec.items():
                        if col in meta or col is None or raw in (None, ""):
                            continue
                        try:
                            v = float(raw)
                        except ValueError:
                            raise AobenchError(f"--reference {path}:{n}: column {col!r} holds {raw!r}, not a number") from None
                        if math.isfinite(v):
                            if not 0 <= v / scale <= 1:  # every published metric here is an accuracy or a recall
                                raise AobenchError(f"--reference {path}:{n}: column {col!r} holds {raw}, which is {v / scale:g} after dividing by "
                                                   f"--reference-scale {scale:g}: not a fraction in [0, 1] — give the scale the file's values use "
                                                   "(100 for percentages, 1 for fractions)")  # fmt: skip
                            row.values.setdefault(col, v / scale)
        except FileNotFoundError:
            raise AobenchError(f"--reference {path}: no such file") from None
        except UnicodeDecodeError:
            raise AobenchError(f"--reference {path}: not a UTF-8 CSV file") from None
        files.append(path)
    return Reference(list(rows.values()), files, scale)


def _mean(values: list[Optional[float]]) -> Optional[float]:
    return sum(values) / len(values) if values and all(v is not None for v in values) else None


def reference_value(values: dict, column: Column) -> Optional[float]:
    """The value of a reference row (`{column: fraction}`) that corresponds to a spectrum column, or None."""
    ds, task, metric = column.dataset, column.task, column.metric
    if task == CLASSIFICATION and metric == "acc1":
        if ds == MEAN:
            return _mean([values.get(f"elevator{SEP}{ELEVATER[d]}") if d in ELEVATER else None for d in column.parts])
        return values.get(f"elevator{SEP}{ELEVATER[ds]}") if ds in ELEVATER else None
    if task == "zeroshot_retrieval" and ds in RETRIEVAL and metric in DIRECTION:
        return values.get(f"{RETRIEVAL[ds]}{SEP}{DIRECTION[metric]}")
    if column.group == "sugar_crepe" and task == "image_caption_selection" and metric == "acc":  # CLIP_benchmark's sugar_crepe/SUBSET files
        subsets = column.parts if column.derived else [column.subset]
        return _mean([values.get(f"{SUGAR_CREPE}{SEP}{s}") for s in subsets])
    rule = roles.rule_for(task, ds)
    if rule is None or rule.producer != roles.SUITE_PRODUCER:
        return None
    bench, _, chosen = ds.partition("/")
    if "/" in metric:  # a subset: S/acc, or S/text|image|group of a 2×2-group benchmark
        subset, _, m = metric.rpartition("/")
        return values.get(f"{bench}{SEP}{subset}") if m == "acc" else values.get(f"{bench}{SEP}{subset}{SEP}{m}")
    if chosen:  # the aggregate of some subsets only: the reference's one subset, when one was chosen
        return values.get(f"{bench}{SEP}{chosen}") if "+" not in chosen and metric == "acc" else None
    if metric in ("acc", "group") and bench in values:  # results.csv's aggregate column
        return values[bench]
    return values.get(f"{bench}{SEP}{WINOGROUND.get(metric, metric)}")  # individual_results.csv's `winoground::group`, ::text, ::image
