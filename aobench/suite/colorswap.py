"""ColorSwap (Burapacheep et al. 2024): colour binding — two captions with the same words, colours swapped, and their two images.

Annotations: `test.json` and `train.json` as the authors distribute them (`Top34051/colorswap` README: a Google
Drive archive extracted into data/; also the gated Hub dataset `stanfordnlp/colorswap`, which embeds the
images and is not what this loader reads): a list of `{id, caption_1, caption_2, image_1, image_2,
image_source, caption_source}`, `image_k` a path such as "images/img_0_1.png" under the data folder.

Protocol: Winoground's text / image / group scores (strict `>`), caption k belongs to image k; the spectrum
study reports the test split's three and uses its group score as the headline (results.csv, checked:
values are multiples of 1/300). `train` runs only when named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets, read_json
from aobench.suite.schema import GROUP, TIE_WRONG, BenchmarkSpec, Example, ImageRef

FILES = {"test": "data/test.json", "train": "data/train.json"}
GROUP_METRICS = ("text", "image", "group")

SPEC = BenchmarkSpec(
    name="colorswap",
    description="colour binding: two captions with the same words and swapped colours, against their two images",
    schema=GROUP,
    subsets=("test",),
    counts={"test": 300, "train": 700},  # README: 1,000 examples; test size inferred from vl_compo (multiples of 1/300)
    image_sources={"colorswap": "the authors' archive (Google Drive link in Top34051/colorswap README): data/images.zip "
                                "extracted beside test.json, so that images/img_<id>_<k>.png resolve"},
    annotations="Google Drive archive linked from Top34051/colorswap README@4f2c9e4 (data/{train,test}.json)",
    annotation_files=tuple(FILES.values()),
    licence="MIT (Top34051/colorswap); images generated with Midjourney / DALL-E 3 / Stable Diffusion (see the paper)",
    protocol="Winoground text/image/group (strict >), caption k ↔ image k; headline = test group score (vl_compo)",
    metric_names=GROUP_METRICS,
    chance={"text": 0.25, "image": 0.25, "group": 1 / 6},
    optional_subsets=("train",),
    subset_files={s: (f,) for s, f in FILES.items()},
    access="download the archive linked in Top34051/colorswap README (Google Drive) and extract data/ (test.json, images/)",
    aggregate_rule="acc: the test split's group score (vl_compo results.csv); text / image / group reported beside it",
    tie_rule=TIE_WRONG,
    reference="Winoground's text/image/group (facebook/winoground notebook), as vl_compo scores ColorSwap",
)


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """The 2×2 groups of the requested splits (default: test), in file order."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        path = annotation_path(annotations, FILES[subset])
        for i, rec in enumerate(read_json(path, list, "a JSON list of examples")):
            at = f"{path}: [{i}]"
            try:
                files.need(rec, dict, at)
                ident = files.need(rec.get("id"), (int, str), f"{at}.id")
                images = tuple(ImageRef("colorswap", files.text(rec.get(k), f"{at}.{k}")) for k in ("image_1", "image_2"))
                texts = tuple(files.text(rec.get(k), f"{at}.{k}") for k in ("caption_1", "caption_2"))
            except AobenchError as exc:
                files.row_error(skipped, at, exc)
                continue
            meta = {k: rec.get(k) for k in ("image_source", "caption_source")}
            out.append(Example(str(ident), subset, GROUP, images, texts, meta=meta))
    return out


def aggregate(per_subset: dict[str, dict]) -> dict:
    """The test split's text / image / group; acc = its group score (vl_compo)."""
    out = {}
    for m in GROUP_METRICS:
        out.update(combine.flatten("", combine.mean_of(per_subset, ["test"], m)))
    if "group" in out:
        out["acc"], out["acc_stderr"] = out["group"], out["group_stderr"]
    return out
