"""`aobench export --format webdataset`: the CLIP_benchmark zero-shot classification layout, per task view.

For each view (`composition`: classes "attribute object"; `object`: object names) and split:
`OUT/<view>/classnames.txt`, `OUT/<view>/zeroshot_classification_templates.txt` ({c} only),
`OUT/<view>/<split>/nshards.txt` and `OUT/<view>/<split>/0.tar … N-1.tar` holding `s%07d.<ext>` + `s%07d.cls`
(0-based label). Run with `clip_benchmark eval --dataset wds/<view> --dataset_root OUT/<view> --split <split>`.
Tars are byte-deterministic (fixed order, mtime 0, no owner names); the export is written to a temp dir
and swapped in whole.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from aobench.artifacts import BuildDir
from aobench.errors import AobenchError
from aobench.io import atomic_write_text, replace_dir
from aobench.progress import make_progress

VIEWS = ("composition", "object")
IMAGE_FORMATS = ("png", "webp")
MARKER = "aobench_export.json"  # marks a dir as ours, so a rerun may replace it and nothing else is clobbered
DEFAULT_TEMPLATES = ["a photo of a {c}."]


@dataclass
class ExportResult:
    """What an export wrote."""

    out: Path
    views: dict = field(default_factory=dict)  # view -> {"classes": n, "splits": {split: n_samples}}
    skipped: list = field(default_factory=list)  # empty splits (no shard can be written for them)


def class_name(row: dict, view: str) -> str:
    """The class label text of one row in a view."""
    return f"{row['attribute']} {row['object']}" if view == "composition" else row["object"]


def templates(prompts: list[str], view: str) -> list[str]:
    """Recipe prompts turned into `{c}`-only templates for a view (CLIP_benchmark fills them with str.format(c=...))."""
    out = []
    for p in prompts:
        t = p.replace("{a} ", "")  # the article depends on the class text, which a {c} template cannot know
        t = t.replace("{attribute} {object}", "{c}") if view == "composition" else t.replace("{attribute} ", "").replace("{object}", "{c}")
        rest = t.replace("{c}", "")
        if "{c}" in t and "{" not in rest and "}" not in rest and "\n" not in t and t.strip() not in out:
            out.append(t.strip())
    return out or list(DEFAULT_TEMPLATES)


def _check_name(name: str) -> str:
    if not name.strip() or "\n" in name or name != name.strip():
        raise AobenchError(f"class name {name!r} cannot be written to classnames.txt (one stripped name per line)")
    return name


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime, ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = size, 0, 0o644, 0, 0, "", ""
    return ti


def _encode(png: bytes, image_format: str) -> bytes:
    if image_format == "png":
        return png  # the build stores PNG already: no re-encoding, identical pixels
    from PIL import Image

    buf = io.BytesIO()
    # lossless, so the exported benchmark has the build's exact pixels
    Image.open(io.BytesIO(png)).save(buf, format="WEBP", lossless=True)
    return buf.getvalue()


def _write_split(ds, labels: list[int], split_dir: Path, image_format: str, shard_size: int, progress, task) -> int:
    split_dir.mkdir(parents=True)
    n_shards = (len(labels) + shard_size - 1) // shard_size
    col = ds.cast_column("image", _raw_image()).select_columns(["image"])
    for s in range(n_shards):
        with tarfile.open(split_dir / f"{s}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
            for i in range(s * shard_size, min(len(labels), (s + 1) * shard_size)):
                key = f"s{i:07d}"
                for name, data in ((f"{key}.{image_format}", _encode(col[i]["image"]["bytes"], image_format)), (f"{key}.cls", str(labels[i]).encode())):
                    tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))
                progress.advance(task)
    atomic_write_text(split_dir / "nshards.txt", f"{n_shards}\n")
    return n_shards


def _raw_image():
    from datasets import Image

    return Image(decode=False)


def export_webdataset(
    build_dir: str | Path,
    out: str | Path,
    *,
    image_format: str = "png",
    shard_size: int = 10000,
    views: Optional[list[str]] = None,
    force: bool = False,
) -> ExportResult:
    """Export a finished build in CLIP_benchmark's webdataset layout, one root per task view."""
    from datasets import load_from_disk
    from datasets.utils.logging import disable_progress_bar

    if image_format not in IMAGE_FORMATS:
        raise AobenchError(f"--image-format {image_format!r}: choose one of {', '.join(IMAGE_FORMATS)}")
    views = list(views or VIEWS)
    bad = [v for v in views if v not in VIEWS]
    if bad:
        raise AobenchError(f"view {bad[0]!r}: choose from {', '.join(VIEWS)}")
    if shard_size < 1:
        raise AobenchError(f"--shard-size {shard_size}: must be at least 1")
    bd = BuildDir(build_dir).require_complete()
    out = Path(out)
    if out.resolve() == bd.root.resolve() or out.resolve() in bd.root.resolve().parents:
        raise AobenchError(f"--out {out}: would replace the build itself — choose another directory")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists() and not force:
        raise AobenchError(f"--out {out}: exists, is not empty and is not an aobench export — choose a new directory or pass --force")

    disable_progress_bar()
    dsd = load_from_disk(str(bd.hf_dir))
    order = bd.split_names(dsd)
    prompts = list(bd.lock.prompts)
    res = ExportResult(out=out, skipped=[s for s in order if len(dsd[s]) == 0])
    order = [s for s in order if len(dsd[s])]
    meta = {s: dsd[s].select_columns(["attribute", "object"]).to_list() for s in order}

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with make_progress("images") as progress:
            for view in views:
                classes = sorted({_check_name(class_name(r, view)) for rows in meta.values() for r in rows})
                index = {c: i for i, c in enumerate(classes)}
                root = tmp / view
                root.mkdir()
                atomic_write_text(root / "classnames.txt", "".join(c + "\n" for c in classes))
                atomic_write_text(root / "zeroshot_classification_templates.txt", "".join(t + "\n" for t in templates(prompts, view)))
                res.views[view] = {"classes": len(classes), "splits": {}}
                for split in order:
                    labels = [index[class_name(r, view)] for r in meta[split]]
                    task = progress.add_task(f"{view}/{split}", total=len(labels))
                    n = _write_split(dsd[split], labels, root / split, image_format, shard_size, progress, task)
                    res.views[view]["splits"][split] = {"samples": len(labels), "shards": n}
        marker = {"fingerprint": bd.fingerprint, "recipe": bd.lock.name, "format": "webdataset", "image_format": image_format, "views": res.views, "skipped_empty_splits": res.skipped}
        atomic_write_text(tmp / MARKER, json.dumps(marker, indent=2) + "\n")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return res
