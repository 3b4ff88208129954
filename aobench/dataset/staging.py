"""Lay out a finished build as the files of a Hub dataset repo: Parquet shards per config/split, card, aobench.json.

The layout is what `datasets.load_dataset(REPO)` reads without a loading script:
`data/<split>-0000i-of-0000N.parquet` (default config: the images), `pairs/train-*.parquet`,
`foils/train-*.parquet` and `real/<split>-*.parquet` where the build has them, `README.md` whose YAML
`configs` maps each config to its files, and `aobench.json` (build fingerprint + file hashes), by which a
later push recognises its own content.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aobench.artifacts import BuildDir
from aobench.io import atomic_write_text, read_jsonl, replace_dir, sha256_file
from aobench.progress import make_progress

MAX_SHARD_BYTES = 500 * 1024 * 1024  # the Hub's own push_to_hub default: shards the viewer and streaming handle well
FINGERPRINT_FILE = "aobench.json"
REPO_CARD = "README.md"  # the Hub reads a dataset repo's card from this name
MANAGED_DIRS = ("data/", "pairs/", "foils/", "real/")  # repo folders a push owns (stale files there are deleted)


@dataclass
class Staged:
    """The files of one push, staged on disk."""

    root: Path
    files: dict  # path in repo -> local Path
    card: str
    manifest: dict  # the content of aobench.json

    def size(self, path_in_repo: str) -> int:
        """Bytes of one staged file."""
        return self.files[path_in_repo].stat().st_size


def _shard_names(prefix: str, split: str, n: int) -> list[str]:
    return [f"{prefix}/{split}-{i:05d}-of-{n:05d}.parquet" for i in range(n)]


def _write_dataset(ds, prefix: str, split: str, tmp: Path, max_bytes: int, progress, task) -> list[str]:
    n = max(1, math.ceil(ds.data.nbytes / max_bytes))
    names = _shard_names(prefix, split, n)
    for i, name in enumerate(names):
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # contiguous shards keep the build's row order, so shard 0..N-1 read in order = the split
        ds.shard(num_shards=n, index=i, contiguous=True).to_parquet(str(target))
        progress.advance(task)
    return names


def _jsonl_dataset(path: Path):
    from datasets import Dataset

    # mappings (a pair's per-corpus counts) keep their keys as JSON text: as Parquet structs their fields would
    # change with the corpora consulted, and an empty one cannot be written at all
    rows = [{k: json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for k, v in r.items()} for r in read_jsonl(path)]
    return Dataset.from_list(rows) if rows else None


def _configs(bd: BuildDir, tmp: Path, max_bytes: int) -> tuple[list[dict], dict]:
    """Write every config's shards under tmp; returns (card configs, dataset_info of the default config)."""
    from datasets import load_from_disk
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    dsd = load_from_disk(str(bd.hf_dir))
    bd.check_images(dsd, str(bd.hf_dir))  # a push publishes the build alone: no image path may lead outside it
    order = bd.split_names(dsd)
    extra = {}
    for name, path in (("pairs", bd.pairs_path), ("foils", bd.foils_path)):
        if path.exists():
            ds = _jsonl_dataset(path)
            if ds is not None:
                extra[name] = {"train": ds}
    if bd.real.hf_dir.exists():
        extra["real"] = dict(load_from_disk(str(bd.real.hf_dir)))
        bd.check_images(extra["real"], str(bd.real.hf_dir))

    configs, splits_meta = [], []
    jobs = [("default", "data", s, dsd[s]) for s in order if len(dsd[s])]  # an empty split has no rows to load
    jobs += [(cfg, cfg, s, ds) for cfg, parts in extra.items() for s, ds in parts.items() if len(ds)]
    with make_progress("shards", transient=True) as progress:
        task = progress.add_task("writing parquet", total=sum(max(1, math.ceil(ds.data.nbytes / max_bytes)) for *_, ds in jobs))
        by_cfg: dict = {}
        for cfg, prefix, split, ds in jobs:
            _write_dataset(ds, prefix, split, tmp, max_bytes, progress, task)
            by_cfg.setdefault(cfg, []).append({"split": split, "path": f"{prefix}/{split}-*"})
            if cfg == "default":
                splits_meta.append({"name": split, "num_bytes": int(ds.data.nbytes), "num_examples": len(ds)})
    for cfg, files in by_cfg.items():
        configs.append({"config_name": cfg, "data_files": files, **({"default": True} if cfg == "default" else {})})
    first = dsd[order[0]]
    dataset_info = {
        "config_name": "default",
        "features": first.features._to_yaml_list(),
        "splits": splits_meta,
        "dataset_size": sum(s["num_bytes"] for s in splits_meta),
    }
    return configs, dataset_info


def render_push_card(bd: BuildDir, repo_id: str, configs: list[dict], dataset_info: dict) -> str:
    """The build's card with the repo id filled in and the pushed configs/splits in its YAML metadata."""
    from huggingface_hub import DatasetCard

    card = DatasetCard(bd.card_path.read_text(encoding="utf-8"))
    # the build renders the card before any repo exists, with this placeholder where the id goes
    card.text = card.text.replace(f"<owner>/{bd.lock.name}", repo_id)
    card.data.configs = configs
    card.data.dataset_info = dataset_info
    return str(card)


def source_digest(bd: BuildDir) -> str:
    """A digest of the build files a push reads (a review rerun keeps the fingerprint but changes rows and card)."""
    root = bd.root
    h = hashlib.sha256()
    for path in (bd.manifest_path, bd.card_path, bd.pairs_path, bd.foils_path):
        if path.exists():
            h.update(f"{path.name}:{sha256_file(path)}\n".encode())
    for sub in (bd.hf_dir, bd.real.hf_dir):
        # the Arrow files are large; save_to_disk always writes fresh files, so size + mtime tell a rewrite
        for p in sorted(sub.rglob("*")) if sub.exists() else []:
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def stage(bd: BuildDir, repo_id: str, max_shard_bytes: int = MAX_SHARD_BYTES) -> Staged:
    """Write (or reuse) the push layout of a finished build in its push staging dir and return it."""
    from aobench.version import __version__

    final = bd.push_dir
    stamp = {"fingerprint": bd.fingerprint, "repo_id": repo_id, "aobench_version": __version__, "max_shard_bytes": max_shard_bytes, "source": source_digest(bd)}
    meta = final / FINGERPRINT_FILE
    if meta.exists():
        # a rerun (e.g. after a failed upload) sends byte-identical files, so the Hub skips blobs it already has
        manifest = json.loads(meta.read_text())
        if manifest.get("stamp") == stamp and all((final / p).exists() for p in manifest["files"]):
            return _staged(final, manifest)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".push.", dir=final.parent))
    try:
        configs, dataset_info = _configs(bd, tmp, max_shard_bytes)
        atomic_write_text(tmp / REPO_CARD, render_push_card(bd, repo_id, configs, dataset_info))
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "fingerprint": bd.fingerprint,
            "recipe": bd.lock.name,
            "aobench_version": bd.aobench_version,
            "files": {p: sha256_file(tmp / p) for p in files},
            "stamp": stamp,
        }
        atomic_write_text(tmp / FINGERPRINT_FILE, json.dumps(manifest, indent=2) + "\n")
        replace_dir(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _staged(final, manifest)


def _staged(root: Path, manifest: dict) -> Staged:
    files = {p: root / p for p in manifest["files"]}
    files[FINGERPRINT_FILE] = root / FINGERPRINT_FILE
    return Staged(root=root, files=dict(sorted(files.items())), card=(root / REPO_CARD).read_text(encoding="utf-8"), manifest=manifest)
