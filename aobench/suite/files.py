"""Reading the authors' CSV files and the fields of their rows, each failure one line naming file, line and field (JSON: `loading`)."""

from __future__ import annotations

import ast
import csv
import math
from pathlib import Path
from typing import Any, Iterator, Optional

from aobench.errors import AobenchError


def row_error(skipped: Optional[list], where: str, exc: AobenchError) -> None:
    """A row that cannot be used: counted in `skipped` as (where, why) for the runner to report, or raised when nobody counts."""
    if skipped is None:
        raise exc
    msg = str(exc)
    skipped.append((where, msg[len(where):].lstrip(": ") if msg.startswith(where) else msg))


def csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """(line number, row dict) for each data row of a CSV with a header naming every `required` column."""
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise AobenchError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with f:
        reader = csv.DictReader(f)
        try:
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise AobenchError(f"{path}:1: missing column(s) {', '.join(missing)} (header: {', '.join(header) or 'empty'})")
            for row in reader:
                yield reader.line_num, row
        except csv.Error as exc:
            raise AobenchError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
        except UnicodeDecodeError as exc:
            raise AobenchError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def need(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    """`value` if it is of `kind` (a bool never passes for an int), else a one-line error naming `where`."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise AobenchError(f"{where}: expected {names}, got {type(value).__name__} {short(value)}")
    return value


def text(value: Any, where: str) -> str:
    """A non-empty string field."""
    if not isinstance(value, str) or not value.strip():
        raise AobenchError(f"{where}: expected a non-empty string, got {short(value)}")
    return value


def integer(value: Any, where: str) -> int:
    """An integer field, also as CSV text or a float with no fraction ('123', 123.0)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, str):
            value = value.strip()
            return int(value) if value.lstrip("-").isdigit() else _whole(float(value))
        return int(value) if isinstance(value, int) else _whole(float(value))
    except (TypeError, ValueError, OverflowError):
        raise AobenchError(f"{where}: expected an integer, got {short(value)}") from None


def number(value: Any, where: str) -> float:
    """A finite number field, also as CSV text."""
    try:
        if isinstance(value, bool):
            raise ValueError
        x = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x):
        raise AobenchError(f"{where}: expected a number, got {short(value)}")
    return x


def flag(value: Any, where: str) -> bool:
    """A boolean field, also as CSV text ('True'/'False', any case; '1'/'0')."""
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("true", "1"):
        return True
    if s in ("false", "0"):
        return False
    raise AobenchError(f"{where}: expected True or False, got {short(value)}")


def python_list(value: Any, where: str) -> list[str]:
    """A list of strings written as a Python literal in a CSV cell (CREPE's `hard_negs`), parsed without eval."""
    try:
        items = ast.literal_eval(value) if isinstance(value, str) else value
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        items = None
    if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
        raise AobenchError(f"{where}: expected a list of strings like ['a', 'b'], got {short(value)}")
    return list(items)


def _whole(x: float) -> int:
    if not x.is_integer():
        raise ValueError
    return int(x)


def short(value: Any, limit: int = 60) -> str:
    """A value's repr, cut to `limit` characters for an error line."""
    s = repr(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"
