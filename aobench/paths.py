"""One rule for "is this argument a local path?", where a value may also be a name (`imagenet`) or a Hub id (`OWNER/NAME`)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")
# an OWNER/NAME whose NAME ends so is a local file, not a Hub repo
FILE_SUFFIXES = (".txt", ".jsonl", ".json", ".csv", ".tsv", ".parquet", ".gz", ".zst", ".zstd", ".yaml", ".yml", ".arrow", ".tar")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def looks_like_path(ref: str | os.PathLike, suffixes: Iterable[str] = ()) -> bool:
    """Whether `ref` is written as a local path rather than a bare name or a Hub id (whether it exists is not looked at).

    Paths: `./x`, `../x`, `/x`, `~/x`, `.x`, anything with a backslash, `a/b/c`, a name ending in one of `suffixes`,
    and `a/b` when `b` has a file suffix or `./a` is a local folder (so a typo there says "not found", not
    "cannot reach the Hub"). Not paths: `imagenet`, `OWNER/NAME`, `hf:...`.
    """
    s = str(ref)
    if s.startswith("hf:"):
        return False
    if s.startswith((".", "/", "~")) or "\\" in s or s.endswith(tuple(suffixes)):
        return True
    if "/" not in s:
        return False  # a bare name
    if not _HUB_ID.match(s):
        return True  # more than one '/', or characters a Hub id cannot hold
    head, _, tail = s.partition("/")
    return tail.lower().endswith(FILE_SUFFIXES) or Path(head).is_dir()


def is_local(ref: str | os.PathLike, suffixes: Iterable[str] = ()) -> bool:
    """Whether `ref` names a local file or folder: one that exists, or one written as a path."""
    return looks_like_path(ref, suffixes) or Path(ref).expanduser().exists()


def is_hub_id(ref: str | os.PathLike) -> bool:
    """Whether a reference that is not on disk names a Hub repo (`OWNER/NAME` or `hf:...`) rather than a local file."""
    s = str(ref)
    return s.startswith("hf:") or ("/" in s and not looks_like_path(s))
