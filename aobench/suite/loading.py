"""Shared pieces of the annotation readers: strict JSON / JSON lines, field checks, counted skips, subset checks.

A reader turns a file it cannot use at all (not JSON, the wrong top-level shape, a duplicate id) into one
`AobenchError` line naming the file (and line); a row it cannot use (a missing or mistyped field) is skipped
and counted in `skipped` as (where, why), so the result says how many rows of the published file were left out.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Optional, Sequence

from aobench.errors import AobenchError
from aobench.suite.data import locate
from aobench.suite.schema import BenchmarkSpec


def _no_duplicates(path: Path):
    def hook(pairs):
        out = {}
        for k, v in pairs:
            if k in out:
                raise AobenchError(f"{path}: duplicate key {k!r} — the file is not as its authors publish it")
            out[k] = v
        return out

    return hook


def _not_json(path: Path, exc: json.JSONDecodeError, line: Optional[int] = None) -> AobenchError:
    return AobenchError(f"{path}{f':{line}' if line else ''}: not JSON ({exc.msg} at line {line or exc.lineno} column {exc.colno})")


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AobenchError(f"{path}: not UTF-8 text (byte {exc.start}) — is it the published annotation file?") from None
    except FileNotFoundError:
        raise AobenchError(f"{path}: no such file") from None


def read_json(path: Path, kind: type, what: str) -> Any:
    """A whole JSON document whose top level must be `kind` (dict or list); one-line errors name the file."""
    try:
        doc = json.loads(_read_text(path), object_pairs_hook=_no_duplicates(path))
    except json.JSONDecodeError as exc:
        raise _not_json(path, exc) from None
    if not isinstance(doc, kind):
        raise AobenchError(f"{path}: expected {what}, got a JSON {type(doc).__name__} — is it the published annotation file?")
    return doc


def read_jsonl(path: Path, skipped: Optional[list] = None) -> list[tuple[int, dict]]:
    """(line number, object) of every non-blank line; a line that is not a JSON object is a counted skip, bad JSON an error."""
    rows = []
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_no_duplicates(Path(f"{path}:{n}")))
        except json.JSONDecodeError as exc:
            raise _not_json(path, exc, n) from None
        if isinstance(obj, dict):
            rows.append((n, obj))
        else:
            skip(skipped, f"{path}:{n}", f"a JSON {type(obj).__name__}, not an object")
    return rows


def skip(skipped: Optional[list], where: str, why: str) -> None:
    """Count one unusable row (kept in `skipped` when the caller collects them)."""
    if skipped is not None:
        skipped.append((where, why))


def require_str(row: dict, key: str) -> str:
    """A non-empty string field, else ValueError naming it (the caller counts the row as skipped)."""
    v = row.get(key)
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"field {key!r} is {'missing' if key not in row else 'not a non-empty string'}")
    return v


def require_number(row: dict, key: str) -> float:
    """A finite number field (not a bool), else ValueError naming it."""
    v = row.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"field {key!r} is {'missing' if key not in row else 'not a finite number'}")
    return float(v)


def check_subsets(spec: BenchmarkSpec, subsets: Optional[Sequence[str]]) -> list[str]:
    """The subsets to load (all when None), in the benchmark's order; an unknown one is a one-line error with the closest name."""
    if not subsets:
        return list(spec.subsets)
    known = (*spec.subsets, *spec.optional_subsets)  # optional ones (CREPE systematicity) run only when named
    for s in subsets:
        if s not in known:
            close = difflib.get_close_matches(s, known, n=1)
            hint = f"; did you mean {spec.name}/{close[0]}?" if close else ""
            raise AobenchError(f"{spec.name} has no subset {s!r}{hint} (subsets: {', '.join(spec.subsets)})")
    return [s for s in known if s in subsets]


def annotation_path(folder: Path, file: str) -> Path:
    """An annotation file below `folder` as published (`data/x.json`) or by its base name (`x.json`)."""
    folder = Path(folder)
    found = locate(folder, file)
    if found is not None:
        return found
    raise AobenchError(f"{folder}: {file} not found (looked for {folder / file} and {folder / Path(file).name})")
