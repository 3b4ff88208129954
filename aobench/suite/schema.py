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

    Optional module functions, called by the runner when the module defines them:
    - `outcomes(ex, scores, text_scores=None) -> dict`: an example's outcomes (default: `score_example`, its
      "correct" named "acc"); extra keys become per-subset means too (CREPE: R@3/5/10 and the rank).
    - `subset_metrics(subset, examples, outcomes) -> dict`: metrics the authors report beside the outcome
      means, over the subset's evaluated examples in load order (What'sUp pair/set accuracy, CREPE mean and
      median rank); its keys are added to the default ones (each outcome's mean, stderr, chance; `n`).
    - `resolve_images(examples, roots) -> list[Example]`: once the image folders are known, before the
      missing-image check; `roots.roots(source)` lists the folders searched for a source and
      `roots.resolve(ref)` is a ref's file (None when absent). It may rewrite refs whose file name only a
      folder listing gives (ImageCoDe: the k-th frame of a set; CREPE: VG_100K or VG_100K_2) and select rows
      as the authors do (VL-CheckList: the first 1000 rows whose image exists, per file). Rows it keeps whose
      image is still absent are reported missing, so `--skip-missing` evaluates exactly the authors' rows.
    - `open_image(path) -> PIL.Image.Image | None`: for files PIL cannot open (EqBen's YouCook2 frames are
      BGR `.npy` arrays); None means "open it as usual".
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
    optional_subsets: tuple[str, ...] = ()  # run only when named (`crepe/syst_…`): not part of the default run or aggregate
