"""`aobench export --format webdataset`: the CLIP_benchmark zero-shot classification layout, per task view.

Views: `composition` (classes are attribute–object pairs) and `object` (objects). Class lists and
prompts reproduce `aobench eval` exactly, so `clip_benchmark eval` on the export measures the same task:

- `classes="split"` (default): each split is its own CLIP_benchmark root with the classes present in
  that split, as `aobench eval --splits SPLIT` ranks them — `OUT/<view>/<split>/classnames.txt`,
  `OUT/<view>/<split>/zeroshot_classification_templates.txt`, `OUT/<view>/<split>/<split>/{nshards.txt,0.tar,…}`;
  run `clip_benchmark eval --dataset wds/<view> --dataset_root OUT/<view>/<split> --split <split>`.
- `classes="all"`: one root per view whose classes are the union over every exported split —
  `OUT/<view>/classnames.txt`, `OUT/<view>/zeroshot_classification_templates.txt`, `OUT/<view>/<split>/…`;
  run `clip_benchmark eval --dataset wds/<view> --dataset_root OUT/<view> --split <split>`.

Classes are in `aobench eval`'s order (sorted (attribute, object) pairs; sorted objects). The recipe's
prompts put the article (`{a}`) before the class text, and the article depends on the class, so class
names carry it ("a blue arrow") and templates hold `{c}` where "{a} {attribute} {object}" was
("a picture of {c}"). Every exported template is checked: `template.format(c=name)` must equal aobench's
rendered prompt for every class; a recipe template that cannot be written as one `{c}` template is left
out and named in the export's notes (`exact: false` in `aobench_export.json`). Each tar holds
`s%07d.<ext>` + `s%07d.cls` (0-based label). Tars are byte-deterministic (fixed order, mtime 0, no owner
names); the export is written to a temp dir and swapped in whole.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import string
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from aobench.artifacts import BuildDir
from aobench.dataset.labels import read_columns
from aobench.errors import AobenchError
from aobench.io import atomic_write_text, replace_dir
from aobench.locks import holding
from aobench.progress import make_progress
from aobench.prompts import DEFAULT_EVAL_TEMPLATES, article, render

VIEWS = ("composition", "object")
CLASS_MODES = ("split", "all")
IMAGE_FORMATS = ("png", "webp")
MARKER = "aobench_export.json"  # marks a dir as ours, so a rerun may replace it and nothing else is clobbered


@dataclass
class ExportResult:
    """What an export wrote."""

    out: Path
    classes: str = "split"
    views: dict = field(default_factory=dict)  # view -> {"classes": n (union), "splits": {split: {samples, shards, classes, root}}}
    skipped: list = field(default_factory=list)  # empty splits (no shard can be written for them)
    notes: list = field(default_factory=list)  # templates that could not be exported exactly
    exact: bool = True  # every recipe template exported, prompts identical to aobench eval's


def _class_text(key: tuple[str, str], with_article: bool) -> str:
    a, o = key
    return render("{a} {attribute} {object}" if with_article else "{attribute} {object}", a, o)


def _c_template(prompt: str, view: str, with_article: bool) -> Optional[str]:
    """A recipe prompt as a `{c}`-only template (class text, with or without its article, replaced by {c}); None if impossible."""
    t = prompt
    if view == "object":  # aobench eval renders the object view with an empty attribute (and its type)
        t = t.replace("{attribute_type}", "").replace("{attribute}", "")
        span = r"\{object\}"
    else:
        span = r"\{attribute\}\s+\{object\}"
    if with_article:
        t, n = re.subn(r"\{a\}\s+" + span, "{c}", t)
    else:
        t, n = re.subn(span, "{c}", t)
    if not n:
        return None
    # an article before a fixed word ("{a} photo of {c}") does not depend on the class
    t = re.sub(r"\{a\}(\s+)([^\s{}]+)", lambda m: article(m.group(2)) + m.group(1) + m.group(2), t)
    t = " ".join(t.split())
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(t) if f is not None}
    except ValueError:
        return None
    return t if fields == {"c"} else None


def class_templates(prompts: list[str], view: str, classes: list[tuple[str, str]], attribute_types: dict) -> tuple[list[str], list[str], list[str]]:
    """(class names, `{c}` templates, notes): `template.format(c=name)` is aobench eval's prompt for every class and template."""
    rendered = {k: [render(p, k[0], k[1], attribute_types.get(k[0], "")) for p in prompts] for k in classes}
    best = None
    for with_article in (True, False):  # on a tie, class names keep their article (recipes write "{a} {attribute} {object}")
        names = [_class_text(k, with_article) for k in classes]
        kept, lost = [], []
        for i, p in enumerate(prompts):
            t = _c_template(p, view, with_article)
            if t is not None and all(t.format(c=n) == rendered[k][i] for k, n in zip(classes, names)):
                kept.append(t)  # duplicates stay: aobench eval averages over every template, repeats included
            else:
                lost.append(p)
        if best is None or len(kept) > len(best[1]):
            best = (names, kept, lost)
    names, kept, lost = best
    notes = []
    if lost:
        notes.append(f"{view}: {len(lost)} of {len(prompts)} recipe template(s) cannot be written as one {{c}} template and were left out "
                     f"({'; '.join(lost)}): clip_benchmark's classifier differs from aobench eval's")
    return names, kept or ["{c}"], notes


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


def _write_split(bd: BuildDir, ds, labels: list[int], split_dir: Path, image_format: str, shard_size: int, progress, task) -> int:
    split_dir.mkdir(parents=True)
    n_shards = (len(labels) + shard_size - 1) // shard_size
    col = ds.cast_column("image", _raw_image()).select_columns(["image"])
    for s in range(n_shards):
        with tarfile.open(split_dir / f"{s}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
            for i in range(s * shard_size, min(len(labels), (s + 1) * shard_size)):
                key = f"s{i:07d}"
                png = bd.image_bytes(col[i]["image"], f"{bd.hf_dir} split {split_dir.name} row {i + 1}")
                for name, data in ((f"{key}.{image_format}", _encode(png, image_format)), (f"{key}.cls", str(labels[i]).encode())):
                    tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))
                progress.advance(task)
    atomic_write_text(split_dir / "nshards.txt", f"{n_shards}\n")
    return n_shards


def _raw_image():
    from datasets import Image

    return Image(decode=False)


def _attribute_types(bd: BuildDir, meta: dict) -> dict:
    """attribute → type, as aobench eval reads it: pairs.jsonl first, then the rows."""
    types: dict = {}
    for p in bd.pairs() if bd.pairs_path.exists() else []:
        types.setdefault(p.get("attribute"), p.get("attribute_type", ""))
    for rows in meta.values():
        for a, t in zip(rows["attribute"], rows.get("attribute_type") or [""] * len(rows["attribute"])):
            types.setdefault(a, t or "")
    return types


@holding("aobench export", entry=True)  # --out is replaced whole, so its lock lives beside it
def export_webdataset(
    build_dir: str | Path,
    out: str | Path,
    *,
    image_format: str = "png",
    shard_size: int = 10000,
    views: Optional[list[str]] = None,
    classes: str = "split",
    force: bool = False,
) -> ExportResult:
    """Export a finished build in CLIP_benchmark's webdataset layout: per view, one root per split (`classes="split"`) or one for all."""
    from datasets import load_from_disk
    from datasets.utils.logging import disable_progress_bar

    if image_format not in IMAGE_FORMATS:
        raise AobenchError(f"--image-format {image_format!r}: choose one of {', '.join(IMAGE_FORMATS)}")
    if classes not in CLASS_MODES:
        raise AobenchError(f"--classes {classes!r}: choose split (each split's own classes, as `aobench eval --splits`) or all (one class list over every split)")
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
    bd.check_images(dsd, str(bd.hf_dir))  # before anything is written: no image from outside the build
    order = bd.split_names(dsd)
    prompts = list(bd.lock.prompts) or list(DEFAULT_EVAL_TEMPLATES)
    res = ExportResult(out=out, classes=classes, skipped=[s for s in order if len(dsd[s]) == 0])
    order = [s for s in order if len(dsd[s])]
    meta = {s: read_columns(dsd[s], [c for c in ("attribute", "object", "attribute_type") if c in dsd[s].column_names]) for s in order}
    types = _attribute_types(bd, meta)

    def keys(split: str, view: str) -> list[tuple[str, str]]:
        """Each row's class as `aobench eval` keys it: (attribute, object), or ("", object) in the object view."""
        return [(a if view == "composition" else "", o) for a, o in zip(meta[split]["attribute"], meta[split]["object"])]

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with make_progress("images") as progress:
            for view in views:
                union = sorted({k for split in order for k in keys(split, view)})
                res.views[view] = {"classes": len(union), "splits": {}}
                groups = [(tmp / view / split, [split], sorted(set(keys(split, view)))) for split in order] if classes == "split" else [(tmp / view, order, union)]
                for root, splits, cls in groups:
                    names, tmpl, notes = class_templates(prompts, view, cls, types)
                    for n in notes:
                        if n not in res.notes:
                            res.notes.append(n)
                    if len(set(names)) != len(names):
                        raise AobenchError(f"{view}: two classes share a name in classnames.txt — rename an attribute or object in the vocabulary")
                    root.mkdir(parents=True)
                    atomic_write_text(root / "classnames.txt", "".join(_check_name(c) + "\n" for c in names))
                    atomic_write_text(root / "zeroshot_classification_templates.txt", "".join(t + "\n" for t in tmpl))
                    index = {k: i for i, k in enumerate(cls)}
                    for split in splits:
                        labels = [index[k] for k in keys(split, view)]
                        task = progress.add_task(f"{view}/{split}", total=len(labels))
                        n = _write_split(bd, dsd[split], labels, root / split, image_format, shard_size, progress, task)
                        res.views[view]["splits"][split] = {"samples": len(labels), "shards": n, "classes": len(cls), "root": str(root.relative_to(tmp))}
        res.exact = not res.notes
        marker = {"fingerprint": bd.fingerprint, "recipe": bd.lock.name, "format": "webdataset", "image_format": image_format, "classes": classes,
                  "exact": res.exact, "notes": res.notes, "views": res.views, "skipped_empty_splits": res.skipped}
        atomic_write_text(tmp / MARKER, json.dumps(marker, indent=2) + "\n")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return res
