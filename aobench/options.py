"""Small value syntaxes that commands and library calls share: `i/n` shards and comma-separated numbers."""

from __future__ import annotations

import re
from typing import Optional

from aobench.errors import AobenchError

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: Optional[str], flag: str = "--shard") -> Optional[tuple[int, int]]:
    """`i/n` → (i, n) with 0 <= i < n: this process takes every n-th unit of work from the i-th; None when not given."""
    if not text:
        return None
    m = _SHARD.fullmatch(str(text))
    if not m or not int(m.group(1)) < int(m.group(2)):
        raise AobenchError(f"{flag} {text!r}: expected i/n with 0 <= i < n, e.g. 0/4")
    return int(m.group(1)), int(m.group(2))


def parse_floats(text: Optional[str], flag: str, example: str, low: Optional[float] = None, high: Optional[float] = None) -> Optional[list[float]]:
    """`0.15, 0.3` → [0.15, 0.3] (None when not given); a non-number, an empty list or a value outside [low, high] is a one-line error."""
    if text is None:
        return None
    try:
        vals = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        vals = []
    if not vals or any((low is not None and v < low) or (high is not None and v > high) for v in vals):
        bounds = f" in [{low:g}, {high:g}]" if low is not None and high is not None else ""
        raise AobenchError(f"{flag} {text!r}: expected comma-separated numbers{bounds}, e.g. {example}")
    return vals
