"""One rule for "is this argument a local path?", where a value may also be a name or a Hub id (ORG/NAME)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

LOCAL_PREFIXES = ("/", "./", "../", "~")
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")


def looks_like_path(text: str | os.PathLike, suffixes: Iterable[str] = ()) -> bool:
    """Whether `text` is written as a local path: absolute, ./ ../ or ~, more than one '/', or ending in one of `suffixes`.

    A bare name and a Hub id (`NAME`, `ORG/NAME`) are not; whether the path exists is not looked at.
    """
    s = str(text)
    return s.startswith(LOCAL_PREFIXES) or s.count("/") > 1 or (os.sep != "/" and os.sep in s) or s.endswith(tuple(suffixes))


def is_local(text: str | os.PathLike, suffixes: Iterable[str] = ()) -> bool:
    """Whether `text` names a local file or folder: one that exists, or one written as a path."""
    return looks_like_path(text, suffixes) or Path(text).expanduser().exists()
