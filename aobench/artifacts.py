"""The build directory: its layout, its validated lock and its rows, owned here and nowhere else.

A build DIR (written by `aobench build`, read by every later stage):

    recipe.lock.yaml       resolved recipe, fingerprint, build options, aobench version
    pairs.jsonl            the selected pairs
    manifest.jsonl         one row per image (MANIFEST_FIELDS + `filters`)
    images/<split>/<id>.png
    hf/                    `datasets.DatasetDict.save_to_disk` (image + COLUMNS)
    README.md              the dataset card
    foils.jsonl            optional: `aobench foils DIR --out DIR/foils.jsonl`
    real/                  optional: the `aobench real` control split (see RealDir)
    report/                optional: `aobench report DIR`
    .aobench/              generation logs, the completion mark, push staging
    .aobench-locks/        kernel locks of the builds writing DIR (aobench.locks)

Stages ask a `BuildDir` for paths and contents instead of spelling file names; it sits at the bottom
of the import graph (it imports only errors, io and recipe), so any stage may use it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Optional

import yaml

from aobench.errors import AobenchError, one_line
from aobench.io import atomic_write_jsonl, atomic_write_text, read_jsonl
from aobench.recipe import Recipe, validate

LOCK = "recipe.lock.yaml"
PAIRS = "pairs.jsonl"
MANIFEST = "manifest.jsonl"
IMAGES = "images"
HF = "hf"
CARD = "README.md"
FOILS = "foils.jsonl"
REAL = "real"
REPORT = "report"
STATE = ".aobench"
LOCKS = ".aobench-locks"
COMPLETE = "complete"
PUSH = "push"

# typed columns of every split in hf/ besides `image` (their order is the dataset's column order)
COLUMN_TYPES = {
    "id": "string",
    "attribute": "string",
    "attribute_type": "string",
    "object": "string",
    "object_group": "string",
    "pair_status": "string",
    "prompt": "string",
    "seed": "int64",
}
COLUMNS = tuple(COLUMN_TYPES)
# hf/ adds `pair` ("attribute object") after `object`; `attribute`, `object` and `pair` are ClassLabels there (dataset/labels.py)
HF_COLUMNS = (*COLUMNS[: COLUMNS.index("object") + 1], "pair", *COLUMNS[COLUMNS.index("object") + 1 :])
# fields of a manifest row before filtering adds `filters`
MANIFEST_FIELDS = ("id", "split", "attribute", "attribute_type", "object", "object_group", "pair_status", "prompt", "seed", "file")


def image_file(split: str, ident: str) -> str:
    """Where an image lives, relative to the build dir (the manifest's `file`)."""
    return f"{IMAGES}/{split}/{ident}.png"


def contained(root: Path, rel: object, where: str, base: Optional[Path] = None) -> Path:
    """`root / rel` when that file stays inside `root` (also through symlinks); else an AobenchError naming `where`.

    The one rule for every path a build's own files name (a manifest's `file`, an `hf/` image path): a build is
    read, thumbnailed, exported and published as a unit, so it may never pull in a file from outside itself.
    `base` is `root.resolve()` when the caller checks many rows.
    """
    text = str(rel)
    if not isinstance(rel, str) or not text or "\0" in text or "\\" in text:
        why = "is not a relative file path"
    elif Path(text).is_absolute():
        why = "is an absolute path"
    elif ".." in Path(text).parts:
        why = "leaves the build dir (`..`)"
    else:
        base = base or root.resolve()
        target = (root / text).resolve()
        if base in target.parents:
            return root / text
        why = f"leaves the build dir through a symlink (to {target})"
    raise AobenchError(f"{where}: file {text!r} {why} — a build's files must stay inside {root}; rebuild it with `aobench build`")


def _read_manifest(path: Path, root: Path) -> list[dict]:
    try:
        rows = list(read_jsonl(path))
    except json.JSONDecodeError as exc:
        raise AobenchError(f"{path}: not valid JSON lines ({exc.msg}) — rebuild with `aobench build`") from None
    except UnicodeDecodeError:
        raise AobenchError(f"{path}: not UTF-8 text — rebuild with `aobench build`") from None
    except RecursionError:
        raise AobenchError(f"{path}: JSON nested too deeply to read — rebuild with `aobench build`") from None
    base = root.resolve()
    for i, r in enumerate(rows, 1):
        if not isinstance(r, dict):
            raise AobenchError(f"{path} row {i}: not a JSON object — rebuild with `aobench build`")
        if r.get("file"):  # empty: an image that does not exist (a failed download), shown as missing
            contained(root, r["file"], f"{path} row {i} (id {r.get('id')!r})", base)
    return rows


class RealDir:
    """DIR/real/: the `aobench real` control split (selection, downloads, images, manifest, hf/, stats)."""

    SPLIT = REAL

    def __init__(self, build_root: str | Path):
        self.build_root = Path(build_root)
        self.root = self.build_root / REAL
        self.selection_path = self.root / "urls.parquet"
        self.download_dir = self.root / "download"
        self.manifest_path = self.root / MANIFEST
        self.hf_dir = self.root / HF
        self.stats_path = self.root / "stats.json"

    def image_file(self, ident: str) -> str:
        """Where a real image lives, relative to the build dir (the manifest's `file`)."""
        return f"{REAL}/{IMAGES}/{ident}.jpg"

    def exists(self) -> bool:
        """Whether the real split has been assembled (manifest and hf/)."""
        return self.manifest_path.is_file() and self.hf_dir.is_dir()

    def manifest(self) -> list[dict]:
        """Rows of real/manifest.jsonl (the generated splits' columns, plus `url`); every `file` checked inside the build."""
        return _read_manifest(self.manifest_path, self.build_root)


class BuildDir:
    """One build directory: paths of its layout, its lock as a `Recipe`, its manifest and pairs."""

    def __init__(self, path: str | Path):
        self.root = Path(path)
        self.lock_path = self.root / LOCK
        self.pairs_path = self.root / PAIRS
        self.manifest_path = self.root / MANIFEST
        self.images_dir = self.root / IMAGES
        self.hf_dir = self.root / HF
        self.card_path = self.root / CARD
        self.foils_path = self.root / FOILS
        self.report_dir = self.root / REPORT
        self.state_dir = self.root / STATE
        self.complete_path = self.state_dir / COMPLETE
        self.push_dir = self.state_dir / PUSH
        self.locks_dir = self.root / LOCKS
        self.real = RealDir(self.root)
        self._lock_doc: Optional[dict] = None
        self._lock: Optional[Recipe] = None

    columns = (*HF_COLUMNS, "image")  # the column order of every split in hf/

    def __repr__(self) -> str:
        return f"BuildDir({str(self.root)!r})"

    # -- what is there ------------------------------------------------------------------------------

    def outputs(self) -> list[Path]:
        """Every path a build writes (what `--force` removes)."""
        return [self.lock_path, self.pairs_path, self.manifest_path, self.card_path, self.images_dir, self.hf_dir, self.state_dir]

    def is_build(self) -> bool:
        """Whether DIR holds (part of) an aobench build."""
        return self.manifest_path.exists() or self.state_dir.exists()

    def missing(self) -> list[str]:
        """Parts of a finished build that are absent (relative names); empty when complete."""
        parts = (self.manifest_path, self.hf_dir, self.card_path, self.complete_path)
        return [str(p.relative_to(self.root)) for p in parts if not p.exists()]

    def is_complete(self) -> bool:
        """Whether DIR holds a finished build (manifest, hf/, card and the completion mark)."""
        return not self.missing()

    def completed_fingerprint(self) -> Optional[str]:
        """The fingerprint the completion mark records, or None before a build finished."""
        return self.complete_path.read_text().strip() if self.complete_path.exists() else None

    def mark_complete(self, fingerprint: str) -> None:
        """Write the completion mark (the last step of a build)."""
        atomic_write_text(self.complete_path, fingerprint + "\n")

    def require_complete(self) -> "BuildDir":
        """This build, checked finished and matching its lock; otherwise an AobenchError saying why."""
        root = self.root
        if not root.is_dir():
            raise AobenchError(f"{root}: not a directory — pass the --out dir of a finished `aobench build`")
        if not self.is_build():
            raise AobenchError(f"{root}: not an aobench build (no {MANIFEST}) — run `aobench build RECIPE --out {root}` first")
        missing = self.missing()
        if missing:
            raise AobenchError(f"{root}: build not finished (missing {', '.join(missing)}); it is resumable — rerun `aobench build` with --out {root}")
        fp, mark = self.fingerprint, self.completed_fingerprint()
        if not fp or fp != mark:
            # a lock rewritten by a newer, unfinished build run: the data on disk is not what the lock describes
            raise AobenchError(f"{root}: {LOCK} fingerprint {fp or 'missing'} does not match the finished build ({mark}); rerun `aobench build` with --out {root}")
        return self

    # -- the lock -----------------------------------------------------------------------------------

    def write_lock(self, text: str) -> None:
        """Write recipe.lock.yaml (atomically) and forget the cached one."""
        atomic_write_text(self.lock_path, text)
        self._lock_doc = self._lock = None

    @property
    def lock_doc(self) -> dict:
        """recipe.lock.yaml as a mapping ({} when there is none); an unreadable one is an AobenchError."""
        if self._lock_doc is None:
            if not self.lock_path.exists():
                return {}
            try:
                doc = yaml.safe_load(self.lock_path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                raise AobenchError(f"{self.lock_path}: unreadable ({one_line(exc)}) — rebuild with `aobench build`") from None
            if doc is None:
                doc = {}
            if not isinstance(doc, dict):
                raise AobenchError(f"{self.lock_path}: not a recipe lock (a mapping) — rebuild with `aobench build`")
            self._lock_doc = doc
        return self._lock_doc

    @property
    def lock(self) -> Recipe:
        """The build's recipe, validated once from recipe.lock.yaml."""
        if self._lock is None:
            if not self.lock_path.exists():
                raise AobenchError(f"{self.root}: no {LOCK} — pass a build dir of `aobench build RECIPE --out DIR`")
            data = self.lock_doc.get("recipe")
            if not isinstance(data, dict):
                raise AobenchError(f"{self.lock_path}: no `recipe` mapping — rebuild with `aobench build`")
            # the lock holds a recipe already resolved (paths absolute), so it is validated as it is, and
            # plugins need not be installed to read a build they made
            self._lock = validate(data, self.lock_path, check_plugins=False)
        return self._lock

    @property
    def fingerprint(self) -> Optional[str]:
        """The recipe fingerprint the lock records."""
        fp = self.lock_doc.get("fingerprint")
        return str(fp) if fp else None

    @property
    def aobench_version(self) -> str:
        """The aobench version that wrote the lock."""
        return str(self.lock_doc.get("aobench_version", ""))

    @property
    def build_options(self) -> Optional[dict]:
        """The build options (`--limit`, `--tiny`) the lock records."""
        return self.lock_doc.get("build")

    def split_names(self, available: Optional[Iterable[str]] = None) -> list[str]:
        """Split names in the recipe's order; with `available`, only those present, then any others present."""
        names = self.lock.split_names()
        if available is None:
            return names
        avail = list(available)
        return [s for s in names if s in avail] + [s for s in avail if s not in names]

    # -- rows ---------------------------------------------------------------------------------------

    def manifest(self) -> list[dict]:
        """Rows of manifest.jsonl (one per planned image, with `filters`); every `file` checked inside the build."""
        return _read_manifest(self.manifest_path, self.root)

    def file_path(self, rel: object, where: str = "") -> Path:
        """The path of a file the build names (a manifest row's `file`), refused in one line when it leaves the build dir."""
        return contained(self.root, rel, where or str(self.manifest_path))

    def image_bytes(self, value: dict, where: str) -> bytes:
        """The bytes of an undecoded `hf/` image value: embedded, else read from its file inside the build."""
        if value.get("bytes"):
            return value["bytes"]
        return self.file_path(value.get("path"), where).read_bytes()

    def check_images(self, dsd, where: str) -> None:
        """Refuse image values of a loaded `hf/` (DatasetDict or Dataset) that name a file outside the build instead of embedding bytes."""
        parts = dsd.items() if hasattr(dsd, "items") else [("", dsd)]
        for split, ds in parts:
            if "image" not in ds.column_names:
                continue
            import pyarrow.compute as pc

            col = ds.data.column("image")  # Arrow struct {bytes, path}: read without decoding any image
            if not hasattr(col.type, "get_field_index") or col.type.get_field_index("path") < 0 or col.type.get_field_index("bytes") < 0:
                continue
            path_only = pc.and_(pc.is_null(pc.struct_field(col, "bytes")), pc.is_valid(pc.struct_field(col, "path")))
            base = self.root.resolve()
            for i in pc.indices_nonzero(path_only).to_pylist():
                contained(self.root, col[i]["path"].as_py(), f"{where} split {split or '?'} row {i + 1}", base)

    def write_manifest(self, rows: list[dict]) -> None:
        """Write manifest.jsonl atomically."""
        atomic_write_jsonl(self.manifest_path, rows)

    def pairs(self) -> list[dict]:
        """Rows of pairs.jsonl ([] when the build has none)."""
        return list(read_jsonl(self.pairs_path))

    def write_card(self, text: str) -> None:
        """Write the dataset card (README.md) atomically."""
        atomic_write_text(self.card_path, text)

    # -- generation logs ----------------------------------------------------------------------------

    def generation_log(self, shard: Optional[tuple[int, int]] = None) -> Path:
        """The append-only log of images generated by one process (one per shard)."""
        name = "generated.jsonl" if shard is None else f"generated.shard-{shard[0]}-of-{shard[1]}.jsonl"
        return self.state_dir / name

    def generation_logs(self) -> list[Path]:
        """Every generation log, in a fixed order."""
        return sorted(self.state_dir.glob("generated*.jsonl"))
