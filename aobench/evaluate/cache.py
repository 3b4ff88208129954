"""On-disk embedding cache: class-text embeddings per (model, class names, templates), image embeddings per (model, split fingerprint).

The identities it is keyed by are made here too: a model kind's key (`hash_text` of what names its weights, with
`file_identity`/`dir_identity` for local files) and the content keys of texts and splits (`content_hash`).

Entries are `torch.save`d dicts written atomically under `ROOT/<model key>/<kind>/<hash>.pt`, so a
killed run leaves no torn entry and a rerun (or another model sweep over the same data) reuses them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, Optional

from aobench.io import atomic_write_bytes


def default_cache_dir() -> Path:
    """`$AOBENCH_CACHE/eval` (default ~/.cache/aobench/eval)."""
    return Path(os.environ.get("AOBENCH_CACHE", Path.home() / ".cache" / "aobench")) / "eval"


def hash_text(text: str) -> str:
    """A short stable hash (a model's cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def file_identity(path: Path) -> str:
    """A file's identity without reading it: resolved path, size, mtime."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def dir_identity(path: Path) -> str:
    """A folder's identity: the identities of the files below it."""
    return "|".join(file_identity(p) for p in sorted(p for p in path.rglob("*") if p.is_file()))


def content_hash(obj: Any) -> str:
    """A short stable hash of JSON-able content (class names, templates, texts)."""
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:24]


class EmbeddingCache:
    """Get/put embedding entries by (model key, kind, content key); `root=None` disables caching."""

    def __init__(self, root: Optional[os.PathLike | str]):
        self.root = Path(root) if root is not None else None
        self.hits = 0
        self.misses = 0

    def path(self, model_key: Optional[str], kind: str, key: str) -> Optional[Path]:
        """Where an entry lives (None when caching is off, or for a model without a stable identity)."""
        return None if self.root is None or model_key is None else self.root / model_key / kind / f"{key}.pt"

    def get(self, model_key: Optional[str], kind: str, key: str) -> Optional[dict]:
        """The stored entry, or None (missing, caching off, or unreadable: recomputed then)."""
        import torch

        p = self.path(model_key, kind, key)
        if p is None or not p.exists():
            self.misses += 1
            return None
        try:
            entry = torch.load(p, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a damaged entry is only a cache miss
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, model_key: Optional[str], kind: str, key: str, entry: dict) -> None:
        """Store an entry atomically (no-op when caching is off)."""
        import torch

        p = self.path(model_key, kind, key)
        if p is None:
            return
        buf = io.BytesIO()
        torch.save(entry, buf)
        atomic_write_bytes(p, buf.getvalue())
