"""ImageCoDe (Krojer et al. 2022): image retrieval from contextual descriptions — one description against 10 near-identical images.

Annotations: `valid_data.json` of `McGill-NLP/imagecode` data/ (the test set's labels are withheld): a dict
image-set directory → {target index "0".."9": description}. Image sets: `image-sets.zip` (Zenodo 6518944 or
the Hub dataset BennoKrojer/ImageCoDe), one directory of 10 `img<N>.jpg` per set, N the frame number for
video sets; the target index counts the directory's images sorted by N (the authors'
baselines/clip/zero_shot.py), which only the folder listing gives: `resolve_images` reads it.

Protocol (zero_shot.py): the description's best-scoring image must be the target; the authors rank with
numpy's argsort of the negated similarities, which puts the first of equal scores first (argmax's tie
break). Subsets `videos` and `static` ("open-images" in the directory name); the spectrum study's headline is
the pooled accuracy over all 2,302 descriptions (its values weigh static by 430/2302 exactly), the authors'
"OVERALL ACC".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets, read_json
from aobench.suite.schema import TEXT_IMAGES, TIE_FIRST, BenchmarkSpec, Example, ImageRef

FILE = "data/valid_data.json"
SUBSETS = ("videos", "static")
SOURCE = "imagecode"
SET_SIZE = 10
_FRAME = re.compile(r"^img(\d+)\.jpg$")

SPEC = BenchmarkSpec(
    name="imagecode",
    description="contextual descriptions: one description against 10 near-identical video frames or photos",
    schema=TEXT_IMAGES,
    subsets=SUBSETS,
    counts={"videos": 1872, "static": 430},  # counted: McGill-NLP/imagecode data/valid_data.json@609f076
    image_sources={SOURCE: "image-sets.zip (https://zenodo.org/record/6518944 or the Hub dataset BennoKrojer/ImageCoDe), "
                           "extracted: one folder per image set"},
    annotations="McGill-NLP/imagecode:data/valid_data.json@609f076",
    annotation_files=(FILE,),
    licence="MIT (McGill-NLP/imagecode); frames from MSR-VTT, Video Storytelling, YouCook and Open Images under their terms",
    protocol="argmax over the 10 images (first of equal scores wins) == target; videos / static; headline = pooled "
             "accuracy over all descriptions (zero_shot.py OVERALL ACC, vl_compo)",
    chance={"acc": 1 / SET_SIZE},
    subset_files={s: (FILE,) for s in SUBSETS},
    sha256={FILE: "cb4b8482354ba9bac62b6e101f145f9e59722dcf3b3fd42583f5b6de12bc698a"},
    urls={FILE: "https://raw.githubusercontent.com/McGill-NLP/imagecode/609f07611aed2599f946c30d730f40a41af1079b/data/valid_data.json"},
    aggregate_rule="acc: pooled accuracy over videos and static (zero_shot.py OVERALL ACC; vl_compo weighs static 430/2302)",
    tie_rule=TIE_FIRST,
    reference="McGill-NLP/imagecode:baselines/clip/zero_shot.py@609f076",
)


def _placeholder(directory: str, k: int) -> ImageRef:
    # the k-th image of a set is named only by the folder listing; until resolve_images reads it, a name no
    # image set has ("#k"), so an unresolved set is reported missing rather than silently misread
    return ImageRef(SOURCE, f"{directory}/#{k}")


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """One example per (image set, target) of valid_data.json, in file order."""
    wanted = set(check_subsets(SPEC, subsets))
    path = annotation_path(annotations, FILE)
    out = []
    for directory, targets in read_json(path, dict, "a JSON object: image-set folder → {target index: description}").items():
        at = f"{path}: {directory!r}"
        if not directory or "/" in directory or "\\" in directory or directory in (".", ".."):
            files.row_error(skipped, at, AobenchError(f"{at}: not an image-set folder name"))
            continue
        if not isinstance(targets, dict):
            files.row_error(skipped, at, AobenchError(f"{at}: expected an object of target index → description, got {files.short(targets)}"))
            continue
        subset = "static" if "open-images" in directory else "videos"
        for idx, description in targets.items():
            where = f"{at}.{idx!r}"
            try:
                k = files.integer(idx, f"{where} (target index)")
                if not 0 <= k < SET_SIZE:
                    raise AobenchError(f"{where}: target index outside 0..{SET_SIZE - 1}")
                text = files.text(description, where).strip()  # the authors strip the description
            except AobenchError as exc:
                files.row_error(skipped, where, exc)
                continue
            if subset in wanted:
                images = tuple(_placeholder(directory, j) for j in range(SET_SIZE))
                out.append(Example(f"{directory}/{k}", subset, TEXT_IMAGES, images, (text,), (k,), TIE_FIRST, {"directory": directory}))
    return out


def frames(folder: Path) -> list[str]:
    """The image files of one set in the authors' order: `img<N>.jpg` sorted by N."""
    names = [p.name for p in folder.iterdir() if _FRAME.match(p.name)]
    return sorted(names, key=lambda n: int(_FRAME.match(n).group(1)))


def resolve_images(examples: list[Example], roots) -> list[Example]:
    """Name each set's 10 images from its folder (the first root holding it); a set not found keeps placeholders (missing)."""
    listed: dict[str, list[str]] = {}
    out = []
    for ex in examples:
        directory = ex.meta["directory"]
        if directory not in listed:
            folders = [r / directory for r in roots.roots(SOURCE) if (r / directory).is_dir()]
            listed[directory] = frames(folders[0]) if folders else []
        names = listed[directory]
        if len(names) == SET_SIZE:
            images = tuple(ImageRef(SOURCE, f"{directory}/{n}") for n in names)
            ex = Example(ex.id, ex.subset, ex.schema, images, ex.texts, ex.positives, ex.tie_rule, ex.meta)
        out.append(ex)
    return out


def aggregate(per_subset: dict[str, dict]) -> dict:
    """acc = pooled accuracy over videos and static (the authors' overall accuracy, vl_compo's imagecode)."""
    return combine.flatten("", combine.pooled(per_subset, SUBSETS))
