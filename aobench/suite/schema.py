"""Row schemas of the standard compositionality benchmarks: what one example holds and how it is scored.

Every benchmark loader turns its authors' annotation files into `Example`s of one of three schemas; the
tasks that apply follow from the schema, so the runner knows no benchmark's internals:

- `IMAGE_TEXTS`: one image against K texts (a caption and its foils: SugarCrepe, VALSE, ARO-VG; or N
  captions: ARO order, What'sUp, CREPE, VL-CheckList). `images` has one entry; `positives` index `texts`.
- `TEXT_IMAGES`: one text against K images (SVO-Probes: a positive and a negative image; ImageCoDe: 10).
  `texts` has one entry; `positives` index `images`.
- `GROUP`: 2×2 image–caption groups (Winoground, ColorSwap, MMVP-VLM, EqBen): text i belongs to image i.

Scores are `S[i, t]` = similarity of image i to text t (higher is better). Comparisons are strict: a tie is
wrong unless a benchmark's authors count it otherwise, and then its loader says so in `tie_rule`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

IMAGE_TEXTS = "image_texts"
TEXT_IMAGES = "text_images"
GROUP = "group"
SCHEMAS = (IMAGE_TEXTS, TEXT_IMAGES, GROUP)

# How a tie between the best positive and the best negative is scored.
TIE_WRONG = "wrong"  # strict `>` (SugarCrepe main_eval.py, Winoground's notebook, VALSE acc_r)
TIE_FIRST = "first"  # argmax with its first-index tie break (ARO's evaluate_scores: right iff the positive comes first)


@dataclass(frozen=True)
class ImageRef:
    """One image of an example: its image set, its file there as the annotations name it, an optional crop."""

    source: str  # image set, e.g. "coco2017"; `--images SOURCE=DIR` (or one `--images DIR`) gives its folder
    file: str  # path inside that image set, exactly as the annotation file spells it
    box: Optional[tuple[float, float, float, float]] = None  # (x, y, width, height) in pixels: crop before preprocessing


@dataclass(frozen=True)
class Example:
    """One scored unit of a benchmark, in one of the three schemas."""

    id: str  # the annotation's own id (key or row number), unique within its subset
    subset: str
    schema: str
    images: tuple[ImageRef, ...]
    texts: tuple[str, ...]
    positives: tuple[int, ...] = (0,)  # IMAGE_TEXTS: indices into texts; TEXT_IMAGES: into images; GROUP: unused
    tie_rule: str = TIE_WRONG
    meta: dict = field(default_factory=dict, compare=False, hash=False)  # fields a subset's aggregate needs (relation, tag…)


def _beats(row: np.ndarray, pos: list[int], neg: list[int], tie_rule: str) -> bool:
    """Every positive above every negative; under TIE_FIRST a tie goes to the earlier index, as argmax breaks it."""
    if not neg:
        return True
    p, n = row[pos][:, None], row[neg][None, :]
    wins = p > n
    if tie_rule == TIE_FIRST:
        # argmax returns the first of equal maxima: a positive tied with a later negative still wins (ARO order,
        # What'sUp: positive first; ImageCoDe: the target anywhere among 10), tied with an earlier one it loses
        wins |= (p == n) & (np.asarray(pos)[:, None] < np.asarray(neg)[None, :])
    return bool(wins.all())


def score_example(ex: Example, scores: np.ndarray) -> dict[str, bool]:
    """Correctness of one example from its score matrix S[image, text] → {"correct"} or Winoground's {"text", "image", "group"}."""
    s = np.asarray(scores, dtype=np.float64)
    if ex.schema == GROUP:
        text = s[0, 0] > s[0, 1] and s[1, 1] > s[1, 0]
        image = s[0, 0] > s[1, 0] and s[1, 1] > s[0, 1]
        return {"text": bool(text), "image": bool(image), "group": bool(text and image)}
    row = s[0, :] if ex.schema == IMAGE_TEXTS else s[:, 0]
    pos = list(ex.positives)
    neg = [i for i in range(row.size) if i not in pos]
    return {"correct": _beats(row, pos, neg, ex.tie_rule)}


@dataclass(frozen=True)
class BenchmarkSpec:
    """What a standard benchmark is: its subsets, schema, data sources, licence, and how its authors aggregate.

    A benchmark module defines one `SPEC` and two functions, named here so the source registry can call them:
    `load_examples(annotations: Path, subsets: list[str] | None) -> list[Example]` (the authors' files, as
    published, under `annotations`) and `aggregate(per_subset: dict[str, dict]) -> dict` (the headline
    metrics from the per-subset metrics, exactly as the reference computes them).

    Two optional functions refine the defaults (`aobench.suite.scoring`): `outcomes(ex, scores, text_scores)
    -> dict[str, bool]` (an example's outcomes; default `score_example`, its "correct" named "acc"; define
    it with `needs_text_scores = True` in the module to get the text×text similarities, e.g. a text-only
    task) and `subset_metrics(subset, examples, outcomes) -> dict` (a subset's metrics; default: the mean
    of each outcome with its stderr and chance level).

    One more, for benchmarks whose images need more than a name: `resolve_images(examples, roots) ->
    list[Example]`, called once the image folders are known and before the missing-image check
    (`roots.roots(source)` lists a source's folders, `roots.resolve(ref)` is a ref's file or None): it may
    rewrite refs only a folder listing names (ImageCoDe: the k-th frame of a set; CREPE: VG_100K or
    VG_100K_2) and select rows as the authors do (VL-CheckList: per file, the first 1000 rows whose image
    exists; rows it keeps whose image is absent are reported missing, so `--skip-missing` evaluates exactly
    the authors' rows). Image files PIL cannot open are `.npy` frames (EqBen's YouCook2: BGR arrays), which
    `embed.open_image` reads with `eqben.open_image`.
    """

    name: str  # the registry name, e.g. "sugarcrepe"
    description: str  # one line: what it measures
    schema: str  # one of SCHEMAS
    subsets: tuple[str, ...]
    counts: dict  # subset → example count as published (or as counted from the published files)
    image_sources: dict  # image-set name (ImageRef.source) → where the authors say to get it
    annotations: str  # where the annotation files come from: "owner/repo:path@commit", a Hub id, a URL
    annotation_files: tuple[str, ...]  # file names as the authors publish them, relative to the annotations dir
    licence: str  # licence of the annotations (and of the images where it differs)
    protocol: str  # one line: the scoring rule and the aggregate, with the reference it follows
    metric_names: tuple[str, ...] = ("acc",)  # per-subset metric names (("text", "image", "group") for GROUP)
    chance: dict = field(default_factory=dict)  # metric → chance level of a random scorer
    # --- where the published files are and how to check them (aobench ships this metadata, never the files) ---
    subset_files: dict = field(default_factory=dict)  # subset → the annotation files it reads (default: every file)
    sha256: dict = field(default_factory=dict)  # annotation file → sha256 of the published file (None: not seen by aobench)
    urls: dict = field(default_factory=dict)  # annotation file → pinned URL it downloads from (absent: no direct download)
    hub: str = ""  # a gated/hosted Hugging Face dataset repo the files come from (`huggingface_hub`, the user's token)
    archives: dict = field(default_factory=dict)  # image source → a zip in `hub` holding its images (unpacked by `benchmarks get`)
    access: str = ""  # one line: how to get the files where aobench cannot download them (gated, Google Drive, sign-up)
    aggregate_rule: str = ""  # one line: how `acc` (the headline) is formed from the subsets, and whose rule it is
    tie_rule: str = TIE_WRONG  # how its authors' code scores a tie (recorded in every result)
    reference: str = ""  # the authors' scoring code this protocol follows (repo:path@commit)
    optional_subsets: tuple[str, ...] = ()  # run only when named (`crepe/syst_…`): not part of the default run or aggregate

    def files_for(self, subsets) -> tuple[str, ...]:
        """The annotation files the given subsets read (all of them when `subsets` is None)."""
        if subsets is None or not self.subset_files:
            return self.annotation_files
        need = {f for s in subsets for f in self.subset_files.get(s, self.annotation_files)}
        return tuple(f for f in self.annotation_files if f in need)


def chance_of(ex: Example) -> dict[str, float]:
    """Per outcome, the probability that random continuous scores make `ex` right (every positive above every negative)."""
    if ex.schema == GROUP:
        return {"text": 0.25, "image": 0.25, "group": 1 / 6}  # Thrush et al. 2022: the group's events are not independent
    k = len(ex.texts) if ex.schema == IMAGE_TEXTS else len(ex.images)
    p = len(ex.positives)
    return {"acc": math.factorial(p) * math.factorial(k - p) / math.factorial(k)}  # 1 / C(k, p)
