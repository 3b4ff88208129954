"""Assemble kept images into a `datasets.DatasetDict` with an `Image` feature (bytes embedded) and ClassLabel label columns."""

from __future__ import annotations

from pathlib import Path

from aobench.artifacts import COLUMN_TYPES, HF_COLUMNS, BuildDir
from aobench.dataset.labels import LABEL_COLUMNS, encode, label_features, label_names, pair_name
from aobench.io import replace_dir, temp_dir_beside


def features(names: dict[str, list[str]]):
    """The typed columns of every split; `names` are the class names of the label columns (`labels.label_names`)."""
    from datasets import Features, Image, Value

    labels = label_features(names)
    return Features({**{c: labels[c] if c in labels else Value(COLUMN_TYPES[c]) for c in HF_COLUMNS}, "image": Image()})


def build_dataset_dict(records: list[dict], root: Path, split_order: list[str], pairs=()):
    """A DatasetDict of the kept records, one split per recipe split that has any.

    A split with no rows is left out: `save_to_disk` writes no Arrow file for it, and `load_from_disk` of such a
    dict fails, so one empty split would make the whole dataset unreadable. Label classes are `pairs`
    ((attribute, object) tuples: the build's selection) plus any pair the records hold.
    """
    from datasets import Dataset, DatasetDict

    feats = features(label_names([*pairs, *((r["attribute"], r["object"]) for r in records)]))
    out = {}
    bd = BuildDir(root)  # every image read through the build's one containment rule
    for split in split_order:
        rows = [r for r in records if r["split"] == split and r.get("filters") == "kept"]
        if not rows:
            continue
        data = {c: [pair_name(r["attribute"], r["object"]) if c == "pair" else r[c] for r in rows] for c in HF_COLUMNS}
        for col in LABEL_COLUMNS:
            data[col] = [encode(v) for v in data[col]]
        data["image"] = [{"bytes": bd.file_path(r["file"], f"image of {r['id']!r}").read_bytes(), "path": Path(r["file"]).name} for r in rows]
        out[split] = Dataset.from_dict(data, features=feats)
    return DatasetDict(out)


def save_dataset_dict(dsd, target: Path) -> None:
    """`save_to_disk` into a temp dir beside `target`, then swap it in (never a half-written hf/)."""
    target = Path(target)
    tmp = temp_dir_beside(target)
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    dsd.save_to_disk(str(tmp / "d"))
    replace_dir(tmp / "d", target)
    tmp.rmdir()
