"""MMVP-VLM (Tong et al. 2024): visual patterns CLIP is blind to — two images, two statements, nine patterns.

Annotations: `Questions.csv` of the Hub dataset `MMVP/MMVP_VLM` (written from the authors'
scripts/evaluate_vlm.py in `tsb0601/MMVP`): columns `Question ID, Type, Statement`, consecutive rows forming a
pair; images `MLLM_VLM Images/<Type>/<Question ID>.jpg` in the same dataset folder.

Protocol (evaluate_vlm.py): each statement is prefixed "a photo of "; statement 1 (the odd question id)
belongs to image 1 and statement 2 to image 2; the pair's pattern is the authors' list of nine categories in
file order, 15 pairs each (`categories[num_pairs // 15]`). The authors score only "both statements pick
their own image" (Winoground's image score; their `> 0.5` on a two-way softmax makes a tie pick image 2);
the spectrum study reports Winoground text / image / group per pattern (values are multiples of 1/15) and
the mean of the nine group scores as its headline (results.csv, checked). aobench scores all three with
Winoground's strict `>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets
from aobench.suite.schema import GROUP, TIE_WRONG, BenchmarkSpec, Example, ImageRef

FILE = "Questions.csv"
IMAGE_DIR = "MLLM_VLM Images"
PAIRS_PER_PATTERN = 15
PATTERNS = (
    "Orientation and Direction", "Presence of Specific Features", "State and Condition", "Quantity and Count",
    "Positional and Relational Context", "Color and Appearance", "Structural Characteristics", "Texts",
    "Viewpoint and Perspective",
)  # fmt: skip
GROUP_METRICS = ("text", "image", "group")
PREFIX = "a photo of "

SPEC = BenchmarkSpec(
    name="mmvp_vlm",
    description="CLIP-blind visual patterns: two images and two statements per pair, nine patterns of 15 pairs",
    schema=GROUP,
    subsets=PATTERNS,
    counts={p: PAIRS_PER_PATTERN for p in PATTERNS},
    image_sources={"mmvp_vlm": "the Hub dataset MMVP/MMVP_VLM (its 'MLLM_VLM Images/' folder beside Questions.csv)"},
    annotations="Hub dataset MMVP/MMVP_VLM:Questions.csv (protocol: tsb0601/MMVP scripts/evaluate_vlm.py@7635005)",
    annotation_files=(FILE,),
    licence="see the MMVP/MMVP_VLM dataset card (images from ImageNet and LAION-Aesthetics, their owners' terms)",
    protocol="'a photo of ' + statement; Winoground text/image/group (strict >) per pattern (15 pairs each, file "
             "order); headline = mean of the 9 group scores (vl_compo); the authors' own score is the image score",
    metric_names=GROUP_METRICS,
    chance={"text": 0.25, "image": 0.25, "group": 1 / 6},
    subset_files={p: (FILE,) for p in PATTERNS},
    hub="MMVP/MMVP_VLM",
    access="download the Hub dataset MMVP/MMVP_VLM (Questions.csv and 'MLLM_VLM Images/') and pass its folder",
    aggregate_rule="acc: the mean of the 9 patterns' group scores (vl_compo results.csv); text / image means beside it",
    tie_rule=TIE_WRONG,
    reference="tsb0601/MMVP:scripts/evaluate_vlm.py@7635005 (pairs, prefix, categories); Winoground's text/image/group",
)


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """The pairs of Questions.csv as 2×2 groups, pattern by position (15 pairs each), in file order."""
    wanted = set(check_subsets(SPEC, subsets))
    path = annotation_path(annotations, FILE)
    rows = [(line, r) for line, r in files.csv_rows(path, ("Question ID", "Type", "Statement"))]
    if len(rows) % 2:
        raise AobenchError(f"{path}:{rows[-1][0]}: an odd number of rows ({len(rows)}); statements come in pairs")
    if len(rows) > 2 * PAIRS_PER_PATTERN * len(PATTERNS):
        raise AobenchError(f"{path}: {len(rows)} rows, more than the {2 * PAIRS_PER_PATTERN * len(PATTERNS)} of 9 patterns × 15 pairs")
    out = []
    for k in range(0, len(rows), 2):
        (l1, r1), (l2, r2) = rows[k], rows[k + 1]
        pattern = PATTERNS[(k // 2) // PAIRS_PER_PATTERN]  # the authors' `categories[num_pairs // 15]`: by position
        if pattern not in wanted:
            continue
        try:
            q1 = files.integer(r1["Question ID"], f"{path}:{l1}: Question ID")
            q2 = files.integer(r2["Question ID"], f"{path}:{l2}: Question ID")
            folder = files.text(r1["Type"], f"{path}:{l1}: Type")  # the authors take both images from the first row's folder
            texts = (PREFIX + files.text(r1["Statement"], f"{path}:{l1}: Statement"),
                     PREFIX + files.text(r2["Statement"], f"{path}:{l2}: Statement"))  # fmt: skip
        except AobenchError as exc:
            files.row_error(skipped, f"{path}:{l1}", exc)
            continue
        images = (ImageRef("mmvp_vlm", f"{IMAGE_DIR}/{folder}/{q1}.jpg"), ImageRef("mmvp_vlm", f"{IMAGE_DIR}/{folder}/{q2}.jpg"))
        out.append(Example(f"{q1}-{q2}", pattern, GROUP, images, texts, meta={"type": folder}))
    return out


def aggregate(per_subset: dict[str, dict]) -> dict:
    """Means of text / image / group over the nine patterns; acc = the group mean (vl_compo)."""
    out = {}
    for m in GROUP_METRICS:
        out.update(combine.flatten("", combine.mean_of(per_subset, PATTERNS, m)))
    if "group" in out:
        out["acc"], out["acc_stderr"] = out["group"], out["group_stderr"]
    return out
