"""Where a benchmark's files are on this machine: annotations (`--annotations`, the data home), images (`--images`), sha256 checks, `benchmarks get`.

aobench ships each benchmark's metadata (file names, the sha256 of every published file, the source commit,
licence, counts), never the files: they come from `--annotations DIR` or from the data home
`$AOBENCH_DATA/benchmarks/<name>/` (default `~/.cache/aobench/benchmarks/<name>/`), which
`aobench benchmarks get NAME` fills from a local checkout (`--from DIR`), the pinned URLs, or the Hub.
Images come from `--images SOURCE=DIR`, or `--images DIR` (one folder for every source: its `<source>/`
subfolder or the folder itself), else from `$AOBENCH_DATA/images/<source>/`. A file is looked up as the annotations spell it below the folder, then by its
base name (so `--images coco2014=val2014/` and `--images coco2014=.` both find `val2014/COCO_val2014_….jpg`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

from aobench.errors import AobenchError, one_line
from aobench.io import atomic_write_bytes, sha256_file, temp_dir_beside
from aobench.suite.schema import BenchmarkSpec, Example, ImageRef


DATA_ENV = "AOBENCH_DATA"
TIMEOUT_S = 60


def data_home() -> Path:
    """`$AOBENCH_DATA` (default ~/.cache/aobench): benchmark annotations and images aobench keeps for the user."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "aobench").expanduser()


def benchmark_home(name: str) -> Path:
    """Where `aobench benchmarks get NAME` puts a benchmark's annotation files."""
    return data_home() / "benchmarks" / name


def images_home(source: str) -> Path:
    """The default folder of an image source (used when no --images names it)."""
    return data_home() / "images" / source


def locate(folder: Path, file: str) -> Optional[Path]:
    """`folder/file`, else `folder/<base name of file>`; None when neither is a file, or when `file` would leave `folder`."""
    rel = Path(file)
    if rel.is_absolute() or ".." in rel.parts or not rel.name:
        return None  # an annotation naming /etc/passwd or ../x reads nothing outside the folder the user gave
    for p in (folder / rel, folder / rel.name):
        if p.is_file():
            return p
    return None


# ---- annotations -------------------------------------------------------------------------------


@dataclass
class Annotations:
    """The annotation files of one benchmark as found here: folder, each file's path and whether its sha256 is the published one."""

    folder: Path
    paths: dict  # file (as in spec.annotation_files) → Path
    verified: dict  # file → True (published sha256), False (differs), None (aobench has no published hash)

    def path(self, file: str) -> Path:
        """The path of one annotation file."""
        return self.paths[file]

    def provenance(self) -> dict:
        """What a result records of its annotations: folder, each file's sha256 check."""
        return {"folder": str(self.folder), "verified": {f: v for f, v in self.verified.items()}}


def _candidates(spec: BenchmarkSpec, annotations: Optional[Path]) -> list[Path]:
    if annotations is not None:
        a = Path(annotations).expanduser()
        return [a / spec.name, a] if (a / spec.name).is_dir() else [a]
    return [benchmark_home(spec.name)]


def how_to_get(spec: BenchmarkSpec) -> str:
    """The hint that ends a 'not found' line: the `get` command, or the benchmark's own access note."""
    if spec.hub:
        return spec.access or f"run `aobench benchmarks get {spec.name}` (Hugging Face dataset {spec.hub})"
    if spec.urls and set(spec.urls) >= set(spec.annotation_files):
        return f"run `aobench benchmarks get {spec.name}` (downloads from {spec.annotations.split('@')[0]}) or pass --annotations DIR"
    where = f"; {spec.access}" if spec.access else ""
    some = f" (`aobench benchmarks get {spec.name}` downloads {', '.join(Path(f).name for f in spec.urls)})" if spec.urls else ""
    return f"pass --annotations DIR or run `aobench benchmarks get {spec.name} --from DIR`{some}{where}"


def find_annotations(spec: BenchmarkSpec, annotations: Optional[Path] = None, subsets: Optional[Sequence[str]] = None) -> Annotations:
    """The folder holding the files `subsets` need (`--annotations`, else the data home), sha256-checked; one-line error if absent."""
    files = spec.files_for(subsets)
    tried = _candidates(spec, annotations)
    for folder in tried:
        found = {f: locate(folder, f) for f in files}
        if all(found.values()):
            verified = {f: _verify(spec, f, p) for f, p in found.items()}
            return Annotations(folder, found, verified)
    if annotations is not None and not Path(annotations).expanduser().exists():
        raise AobenchError(f"--annotations {annotations}: no such folder")
    missing = [f for f in files if not locate(tried[-1], f)]
    shown = ", ".join(Path(f).name for f in missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    raise AobenchError(f"{spec.name}: annotation file(s) {shown} not found in {' or '.join(map(str, tried))} — {how_to_get(spec)}")


def _verify(spec: BenchmarkSpec, file: str, path: Path) -> Optional[bool]:
    want = spec.sha256.get(file)
    if not want:
        return None
    return sha256_file(path) == want  # a mismatch becomes a note in every result (see suite.run.prepare)


def has_annotations(spec: BenchmarkSpec, annotations: Optional[Path] = None, subsets: Optional[Sequence[str]] = None) -> bool:
    """Whether the files `subsets` need are here (no hashing)."""
    files = spec.files_for(subsets)
    return any(all(locate(folder, f) for f in files) for folder in _candidates(spec, annotations))


def available_subsets(spec: BenchmarkSpec, annotations: Optional[Path] = None) -> list[str]:
    """The subsets whose annotation files are here."""
    return [s for s in spec.subsets if has_annotations(spec, annotations, [s])]


# ---- `aobench benchmarks get` ------------------------------------------------------------------


@dataclass
class GetResult:
    """What `get_benchmark` did: the destination, the files written or already there, what it could not get, images unpacked."""

    dest: Path
    written: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # already present with the published sha256
    unverified: list = field(default_factory=list)  # no published sha256 to check against
    missing: list = field(default_factory=list)  # no way to get them here (see `hint`)
    hint: str = ""
    images: dict = field(default_factory=dict)  # image source → folder unpacked into


def _check_hash(spec: BenchmarkSpec, file: str, data: bytes, origin: str) -> Optional[bool]:
    want = spec.sha256.get(file)
    if not want:
        return None
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        raise AobenchError(f"{spec.name}: {origin} has sha256 {got[:12]}…, not the published {want[:12]}… — "
                           "not written (a different version of the file; pass --annotations DIR to use it anyway)")  # fmt: skip
    return True


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:  # noqa: S310 - pinned https URLs or the user's mirror
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise AobenchError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AobenchError(f"cannot download {url}: {one_line(reason) if isinstance(reason, BaseException) else reason} (offline? use --from DIR)") from None


def _hub_file(spec: BenchmarkSpec, file: str) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id=spec.hub, filename=file, repo_type="dataset"))
    except Exception as exc:  # noqa: BLE001 - gated, offline, no token: all one line with the way in
        raise AobenchError(f"{spec.name}: cannot get {file} from the Hub dataset {spec.hub} ({one_line(exc)}) — {spec.access or 'check your token'}") from None


def _origin(spec: BenchmarkSpec, file: str, from_dir: Optional[Path], base_url: Optional[str]):
    """(where from, loader) for one file: the local folder, a mirror, the pinned URL, the Hub — or None."""
    if from_dir is not None:
        src = locate(from_dir, file)
        if src is not None:
            return str(src), src.read_bytes
    if base_url:
        url = base_url.rstrip("/") + "/" + file
        return url, lambda: _download(url)
    if file in spec.urls:
        return spec.urls[file], lambda: _download(spec.urls[file])
    if spec.hub and from_dir is None:
        return f"{spec.hub}:{file}", lambda: _hub_file(spec, file).read_bytes()
    return None


def get_benchmark(spec: BenchmarkSpec, from_dir: Optional[Path] = None, base_url: Optional[str] = None, dest: Optional[Path] = None) -> GetResult:
    """Fill the data home with a benchmark's annotation files: from a local folder, a mirror, the pinned URLs, or the Hub.

    Each file comes from `from_dir` when it holds it, else a mirror (`base_url` + the file's path in the source
    repository), else its pinned URL, else the Hub. Every file is checked against its published sha256 before any
    is written (temp file, then rename), so a wrong or torn download never replaces a good copy; files already
    present with the right hash are kept. Files with no way in are listed in `missing` with the benchmark's hint.
    """
    dest = Path(dest) if dest is not None else benchmark_home(spec.name)
    res = GetResult(dest)
    if from_dir is not None:
        from_dir = Path(from_dir).expanduser()
        if not from_dir.is_dir():
            raise AobenchError(f"--from {from_dir}: no such folder — give a checkout of {spec.annotations.split(':')[0].split('@')[0]} or a folder with its files")
    plan = []
    for file in spec.annotation_files:
        target = dest / file  # as published: VL-CheckList's files share base names (Attribute/vg/action.json, Relation/vg/action.json)
        if target.is_file() and spec.sha256.get(file) and sha256_file(target) == spec.sha256[file]:
            res.kept.append(file)
            continue
        origin = _origin(spec, file, from_dir, base_url)
        if origin is None:
            res.missing.append(file)
        else:
            plan.append((file, target, *origin))
    if res.missing:
        res.hint = spec.access or f"get them from {spec.annotations} and rerun with --from DIR"
        if not plan and not res.kept:
            where = f" in --from {from_dir}" if from_dir is not None else ""
            raise AobenchError(f"{spec.name}: {', '.join(Path(f).name for f in res.missing)} not found{where} and not downloadable — {res.hint}")
    fetched = [(file, target, origin, load()) for file, target, origin, load in plan]  # every file checked before any is written
    for file, target, origin, data in fetched:
        if _check_hash(spec, file, data, origin) is None:
            res.unverified.append(file)
    for file, target, origin, data in fetched:
        atomic_write_bytes(target, data)
        res.written.append(file)
    if spec.hub and from_dir is None and not base_url:
        for source, archive in spec.archives.items():
            res.images[source] = unpack_zip(_hub_file(spec, archive), images_home(source))
    return res


def unpack_zip(archive: Path, folder: Path) -> Path:
    """Unpack a zip into `folder` through a temp dir beside it (members that would land outside it are refused)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir_beside(folder)
    try:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if Path(name).is_absolute() or ".." in Path(name).parts:
                    raise AobenchError(f"{archive}: member {name!r} would be written outside {folder} — not unpacked")
            zf.extractall(tmp)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


# ---- images ------------------------------------------------------------------------------------


@dataclass
class ImageRoots:
    """`--images` as given: one folder for every source and/or one per source name."""

    default: Optional[Path] = None
    by_source: dict = field(default_factory=dict)

    def roots(self, source: str) -> list[Path]:
        """Folders searched for a source's images, in order (the data home's last)."""
        out = [self.by_source[source]] if source in self.by_source else []
        if self.default is not None:
            out.extend([self.default / source, self.default])  # one folder for all: its SOURCE/ subfolder, or itself
        out.append(images_home(source))
        return out

    def resolve(self, ref: ImageRef) -> Optional[Path]:
        """The file of an image, or None when no root holds it."""
        for root in self.roots(ref.source):
            p = locate(root, ref.file)
            if p is not None:
                return p
        return None

    def given(self, source: str) -> bool:
        """Whether the user named a folder for this source (or one for all)."""
        return source in self.by_source or self.default is not None


def parse_images(values: Optional[Iterable[str]]) -> ImageRoots:
    """`--images DIR` / `--images SOURCE=DIR` values (repeatable) → ImageRoots; a folder that does not exist is an error."""
    roots = ImageRoots()
    for v in values or []:
        v = str(v)
        source, sep, folder = v.partition("=")
        if sep and source and "/" not in source and os.sep not in source:
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise AobenchError(f"--images {v}: {path} is not a folder")
            roots.by_source[source] = path
        else:
            path = Path(v).expanduser()
            if not path.is_dir():
                raise AobenchError(f"--images {v}: not a folder (give DIR, or SOURCE=DIR for one image set)")
            if roots.default is not None:
                raise AobenchError(f"--images {v}: a second folder for every source — name its source: --images SOURCE={v}")
            roots.default = path
    return roots


@dataclass
class ImageCheck:
    """Which images of a benchmark's examples are here: each ref's path, the refs missing per source."""

    paths: dict  # ImageRef → Path
    missing: dict  # source → sorted list of missing files
    total: dict  # source → number of distinct images needed

    def missing_count(self) -> int:
        """How many distinct images are missing."""
        return sum(len(v) for v in self.missing.values())


def check_images(examples: Sequence[Example], roots: ImageRoots) -> ImageCheck:
    """Resolve every distinct image of the examples (one stat per image)."""
    paths, missing, total = {}, {}, {}
    found: dict = {}  # (source, file) → Path or None: one lookup per file, whatever its crops
    for ex in examples:
        for ref in ex.images:
            key = (ref.source, ref.file)
            if key not in found:
                found[key] = roots.resolve(ref)
                total[ref.source] = total.get(ref.source, 0) + 1
                if found[key] is None:
                    missing.setdefault(ref.source, []).append(ref.file)
            if found[key] is not None:
                paths[ref] = found[key]
    return ImageCheck(paths, {s: sorted(v) for s, v in missing.items()}, total)


def missing_images_line(spec: BenchmarkSpec, check: ImageCheck, roots: ImageRoots) -> str:
    """One line: how many images of how many are missing, from which source, where to get them."""
    parts = []
    for source, files in sorted(check.missing.items()):
        where = ", ".join(str(r) for r in roots.roots(source))
        get = spec.image_sources.get(source, "")
        parts.append(f"{len(files):,} of {check.total[source]:,} {source} images missing (looked in {where}; e.g. {files[0]})" + (f" — get them from {get}" if get else ""))
    return f"{spec.name}: " + "; ".join(parts) + f"; pass --images {'SOURCE=DIR' if len(spec.image_sources) > 1 else 'DIR'}, or --skip-missing to evaluate the rest"
