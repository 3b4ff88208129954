"""Assemble kept images into a `datasets.DatasetDict` with an `Image` feature (bytes embedded)."""

from __future__ import annotations

from pathlib import Path

from aobench.artifacts import COLUMN_TYPES, COLUMNS
from aobench.io import replace_dir, temp_dir_beside


def features():
    """The typed columns of every split."""
    from datasets import Features, Image, Value

    return Features({"image": Image(), **{c: Value(t) for c, t in COLUMN_TYPES.items()}})


def build_dataset_dict(records: list[dict], root: Path, split_order: list[str]):
    """A DatasetDict of the kept records, one split per recipe split that has any.

    A split with no rows is left out: `save_to_disk` writes no Arrow file for it, and `load_from_disk` of such a
    dict fails, so one empty split would make the whole dataset unreadable.
    """
    from datasets import Dataset, DatasetDict

    feats = features()
    out = {}
    for split in split_order:
        rows = [r for r in records if r["split"] == split and r.get("filters") == "kept"]
        if not rows:
            continue
        data = {c: [r[c] for r in rows] for c in COLUMNS}
        data["image"] = [{"bytes": (Path(root) / r["file"]).read_bytes(), "path": Path(r["file"]).name} for r in rows]
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
