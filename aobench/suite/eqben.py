"""EqBen (Wang et al. 2023): visual-minimal change — two near-identical images (video frames, Kubric, Stable Diffusion) and their captions.

Annotations: the authors publish them on Google Drive only (`Wangt-CN/EqBen` README): the full test set's
original annotation "formalized similar to Winoground" and a 10% subset. The loader follows the authors'
per-subset Dataset classes (src/eqben/eqben_utils.py: EqBenAG, EqBenYoucook2, EqBenGEBC, EqBenKubric,
EqBenSD), one JSON file per subset named `<subset>.json` in the annotations dir (aobench's naming; the
authors' code takes each file's path from its config): records `{image0, image1, caption0, caption1}`
(Winoground's `image_0`… spellings also read) either in a list (Kubric, SD), a dict of lists per video
(YouCook2, GEBC) or a dict of dicts of lists per video and subject (AG); where a caption is a list the
authors use its first entry.

Images: `image0`/`image1` are paths under the authors' image root, read from the `eqben` folder; YouCook2
frames are BGR `.npy` arrays (the authors' `process_img_npy`), opened by `open_image`.

Protocol (evaluate_eqben_locally.py `cal_wino_score`): Winoground text / image / group with strict `>` per
subset. The spectrum study's `eqben` headline is the mean of five group scores — YouCook2, GEBC, AG, SD and
the mean of the three Kubric subsets (results.csv, checked against individual_results.csv to 1e-8) —
which aobench's `acc` follows; `natural` / `synthetic` are the means over the video and the rendered subsets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets, read_json
from aobench.suite.schema import GROUP, TIE_WRONG, BenchmarkSpec, Example, ImageRef

SUBSETS = ("eqbenyoucook2", "eqbengebc", "eqbenag", "eqbenkubric_loc", "eqbenkubric_cnt", "eqbenkubric_attr", "eqbensd")
KUBRIC = ("eqbenkubric_loc", "eqbenkubric_cnt", "eqbenkubric_attr")
GROUP_METRICS = ("text", "image", "group")
SOURCE = "eqben"

SPEC = BenchmarkSpec(
    name="eqben",
    description="visual-minimal change: two near-identical images (video frames, Kubric, Stable Diffusion) and their captions",
    schema=GROUP,
    subsets=SUBSETS,
    # groups per subset of the full test set (evaluate_eqben_locally.py SUBSET_LENGTH_INFO)
    counts={"eqbenag": 195872, "eqbenyoucook2": 45849, "eqbengebc": 1814, "eqbenkubric_loc": 2000,
            "eqbenkubric_attr": 2000, "eqbenkubric_cnt": 2000, "eqbensd": 1513},
    image_sources={SOURCE: "the authors' image archive (Google Drive, ~100 GB png; or the ~23 GB jpg 'light' version, "
                           "whose paths end .jpg), links in Wangt-CN/EqBen README"},
    annotations="Google Drive links in Wangt-CN/EqBen README@ab6c79a (one <subset>.json per subset)",
    annotation_files=tuple(f"{s}.json" for s in SUBSETS),
    licence="Apache-2.0 (Wangt-CN/EqBen); frames from YouCook2, GEBC (Kinetics) and Action Genome under their terms",
    protocol="Winoground text/image/group (strict >) per subset; headline = mean of the group scores of YouCook2, "
             "GEBC, AG, SD and the Kubric mean (vl_compo)",
    metric_names=GROUP_METRICS,
    chance={"text": 0.25, "image": 0.25, "group": 1 / 6},
    subset_files={s: (f"{s}.json",) for s in SUBSETS},
    access="download the annotations and images from the Google Drive links in Wangt-CN/EqBen README; save each subset's "
           "annotation as <subset>.json",
    aggregate_rule="acc: the mean of the group scores of YouCook2, GEBC, AG, SD and the mean of the three Kubric subsets "
                   "(vl_compo results.csv); natural / synthetic: means over the video and the rendered subsets",
    tie_rule=TIE_WRONG,
    reference="Wangt-CN/EqBen:evaluate_eqben_locally.py (cal_wino_score) + src/eqben/eqben_utils.py@ab6c79a",
)


def _records(node: Any, at: str, skipped: Optional[list]) -> Iterator[tuple[str, dict]]:
    """(where, record) for each {image0, …} record, through the lists and per-video dicts the authors nest them in."""
    if isinstance(node, dict) and ("image0" in node or "image_0" in node):
        yield at, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _records(v, f"{at}[{k!r}]", skipped)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _records(v, f"{at}[{i}]", skipped)
    else:
        files.row_error(skipped, at, AobenchError(f"{at}: expected a record with image0/image1/caption0/caption1, got {files.short(node)}"))


def _field(rec: dict, name: str, at: str) -> str:
    value = rec.get(name, rec.get(name[:-1] + "_" + name[-1]))
    if isinstance(value, list) and value:
        value = value[0]  # EqBenAG: "only use the first caption in the caption list"
    return files.text(value, f"{at}.{name}")


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """The 2×2 groups of the requested subsets, in file order."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        path = annotation_path(annotations, f"{subset}.json")
        doc = read_json(path, (list, dict), "a JSON list or object of {image0, image1, caption0, caption1} records")
        for i, (at, rec) in enumerate(_records(doc, str(path), skipped)):
            try:
                images = (ImageRef(SOURCE, _field(rec, "image0", at)), ImageRef(SOURCE, _field(rec, "image1", at)))
                texts = (_field(rec, "caption0", at), _field(rec, "caption1", at))
            except AobenchError as exc:
                files.row_error(skipped, at, exc)
                continue
            out.append(Example(str(i), subset, GROUP, images, texts))
    return out


def open_image(path: Path):
    """YouCook2's frames: BGR uint8 arrays saved with numpy, as RGB (the authors' `process_img_npy`); None otherwise."""
    if Path(path).suffix.lower() != ".npy":
        return None
    from PIL import Image

    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise AobenchError(f"{path}: not a numpy image array ({exc})") from None
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise AobenchError(f"{path}: expected an H×W×3 BGR frame, got shape {arr.shape}")
    return Image.fromarray(np.ascontiguousarray(arr[:, :, [2, 1, 0]]).astype(np.uint8), "RGB")


def aggregate(per_subset: dict[str, dict]) -> dict:
    """Per metric: the 5-category mean (Kubric's three averaged first) as vl_compo; acc = its group score."""
    out = {}
    for m in GROUP_METRICS:
        kubric = combine.mean_of(per_subset, KUBRIC, m)
        singles = [combine.mean_of(per_subset, [s], m) for s in ("eqbenyoucook2", "eqbengebc", "eqbenag", "eqbensd")]
        out.update(combine.flatten("", combine.mean_of_means([*singles, kubric], m)))
        out.update(combine.flatten("natural", combine.mean_of(per_subset, SUBSETS[:3], m)))
        out.update(combine.flatten("synthetic", combine.mean_of(per_subset, SUBSETS[3:], m)))
    if "group" in out:
        out["acc"], out["acc_stderr"] = out["group"], out["group_stderr"]
    return out
