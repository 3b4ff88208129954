"""What `aobench eval` reads: a build dir, a `save_to_disk` dir or a Hub id → splits, row metadata, templates, pairs.

Images are decoded by us (the `image` column is read undecoded), so a corrupt or missing image is
skipped and reported instead of stopping the run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from aobench.artifacts import COLUMNS, BuildDir, contained
from aobench.dataset.labels import read_columns
from aobench.errors import AobenchError, one_line
from aobench.paths import looks_like_path

META_COLUMNS = tuple(c for c in COLUMNS if c != "seed")
REQUIRED = ("image", "attribute", "object")


@dataclass
class EvalData:
    """A dataset to evaluate: splits (HF Datasets), its name, the recipe's templates and pairs if known."""

    name: str
    source: str
    splits: dict  # name → datasets.Dataset
    templates: Optional[list[str]] = None
    pairs: Optional[list[dict]] = None  # the pairs rows of a build
    fingerprint: Optional[str] = None  # recipe fingerprint of a build
    other_splits: dict = field(default_factory=dict)  # not evaluated (train): read for seen pairs only
    root: Optional[Path] = None  # a build dir: image paths (where no bytes are embedded) are inside it

    def split_fingerprint(self, split: str) -> str:
        """A stable identity of one split's content (HF fingerprint, plus the build's recipe fingerprint)."""
        ds = self.splits[split]
        return f"{self.fingerprint or ''}|{split}|{ds._fingerprint}|{ds.num_rows}"

    def rows(self, split: str) -> list[dict]:
        """Metadata of every row of a split (no images), with defaults for missing columns."""
        ds = self.splits[split]
        cols = [c for c in META_COLUMNS if c in ds.column_names]
        data = read_columns(ds, cols)  # ClassLabel ids → names
        out = []
        for i in range(ds.num_rows):
            r = {c: data[c][i] for c in cols}
            r.setdefault("id", f"{split}-{i}")
            r["id"] = str(r["id"])
            r.setdefault("attribute_type", "")
            r.setdefault("object_group", "")
            r.setdefault("pair_status", "")
            r.setdefault("prompt", "")
            r["split"] = split
            out.append(r)
        return out


def _read_build_extras(bd: BuildDir) -> tuple[Optional[str], Optional[list[str]], Optional[list[dict]], Optional[str]]:
    """(recipe name, templates, pairs rows, fingerprint) of a build dir, where present."""
    name = templates = fp = None
    if bd.lock_path.exists():
        name, templates, fp = bd.lock.name, list(bd.lock.prompts), bd.fingerprint
    # candidates excluded as seen (`selected: false`) are audit rows, not pairs of the dataset
    pairs = [p for p in bd.pairs() if p.get("selected", True)]
    return name, templates, pairs or None, fp


def load_data(data: str, splits: Optional[list[str]] = None) -> EvalData:
    """Open DATA (build dir, save_to_disk dir, or Hub id) and pick the splits to evaluate (default: all but train)."""
    import datasets

    p = Path(data).expanduser()
    name, templates, pairs, fp, root = None, None, None, None, None
    if p.exists():
        bd = BuildDir(p)
        hf_dir = bd.hf_dir if bd.hf_dir.is_dir() else p
        if hf_dir == p and bd.lock_path.exists():
            raise AobenchError(f"{p} is a build dir without hf/ — finish the build (rerun `aobench build`) first")
        if (hf_dir / "dataset_dict.json").exists() or (hf_dir / "state.json").exists():
            name, templates, pairs, fp = _read_build_extras(bd)
            try:
                dsd = datasets.load_from_disk(str(hf_dir))
            except Exception as exc:  # noqa: BLE001 - datasets raises many kinds; the user needs one line
                raise AobenchError(f"cannot load dataset {hf_dir}: {one_line(exc)} — is it a complete `save_to_disk` dir?") from None
        else:
            raise AobenchError(f"{p} is neither a build dir (with hf/) nor a `save_to_disk` dir — pass one of those or a Hub dataset id")
        split = bd.real.SPLIT
        if bd.real.hf_dir.is_dir() and isinstance(dsd, datasets.DatasetDict) and split not in dsd:
            # real photographs of the same objects (`aobench real`): object accuracy on them vs the
            # generated splits separates generator artefacts from composition
            real = datasets.load_from_disk(str(bd.real.hf_dir))
            dsd[split] = real[split] if isinstance(real, datasets.DatasetDict) else real
        if hf_dir == bd.hf_dir:  # a build: no image may come from outside it
            bd.check_images(dsd, str(hf_dir))
            root = bd.root
        name = name or (p.name if hf_dir == p else p.name) or str(p)
    else:
        if looks_like_path(data):
            raise AobenchError(f"dataset not found: {data} — pass a build dir, a `save_to_disk` dir or a Hub id OWNER/NAME")
        try:
            dsd = datasets.load_dataset(data)
        except Exception as exc:  # noqa: BLE001
            raise AobenchError(f"cannot load dataset {data} from the Hub: {one_line(exc)} (offline? check the id)") from None
        name = data.replace("/", "_")
    if isinstance(dsd, datasets.Dataset):
        dsd = datasets.DatasetDict({"test": dsd})
    available = list(dsd.keys())
    if splits:
        missing = [s for s in splits if s not in available]
        if missing:
            raise AobenchError(f"split(s) {', '.join(missing)} not in {data}; available: {', '.join(available)}")
        chosen = list(splits)
    else:
        chosen = [s for s in available if s != "train"] or available
    for s in chosen:
        cols = dsd[s].column_names
        lack = [c for c in REQUIRED if c not in cols]
        if lack:
            raise AobenchError(f"split {s} of {data} lacks column(s) {', '.join(lack)} (have {', '.join(cols)}) — aobench eval needs image, attribute, object")
    from datasets import Image

    sel = {s: dsd[s].cast_column("image", Image(decode=False)) for s in chosen}
    extra = {s: dsd[s] for s in available if s not in chosen}  # train: seen pairs, never embedded
    return EvalData(name=str(name), source=str(data), splits=sel, templates=templates, pairs=pairs, fingerprint=fp, other_splits=extra, root=root)


def decode_image(value, root: Optional[Path] = None) -> "object":
    """A PIL RGB image from an undecoded `Image` value ({bytes, path}; a path is inside `root`, a build, when given); raises on missing or corrupt data."""
    from PIL import Image

    if value is None:
        raise ValueError("no image")
    if isinstance(value, dict):
        if value.get("bytes"):
            im = Image.open(io.BytesIO(value["bytes"]))
        elif value.get("path"):
            im = Image.open(contained(root, value["path"], "image") if root is not None else value["path"])
        else:
            raise ValueError("empty image value")
    else:
        im = Image.open(value) if isinstance(value, (str, Path)) else value
    im.load()
    return im.convert("RGB")
