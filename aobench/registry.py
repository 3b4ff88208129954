"""One lazy registry for every pluggable kind (generator backends, filters, eval model kinds, eval tasks).

Entries are `"package.module:attr"` strings (imported only when used) or objects already in memory.
Users add their own with `register(...)` or through a Python entry point group (e.g. `aobench.backends`)
declared by their package, so nothing in aobench has to change to plug a new one in.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Generic, Iterator, TypeVar

from aobench.errors import AobenchError

T = TypeVar("T")


@dataclass
class _Entry:
    target: Any
    description: str = ""


class Registry(Generic[T]):
    """Name → lazily imported target, with "did you mean" errors and optional entry points."""

    def __init__(self, kind: str, entry_point_group: str | None = None):
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, _Entry] = {}
        self._loaded_entry_points = entry_point_group is None

    def register(self, name: str, target: Any = None, description: str = ""):
        """Register `target` ("module:attr" or an object) under `name`; without a target, a decorator."""
        if target is None:

            def deco(obj):
                self._entries[name] = _Entry(obj, description)
                return obj

            return deco
        self._entries[name] = _Entry(target, description)
        return target

    def _scan_entry_points(self) -> None:
        if self._loaded_entry_points:
            return
        self._loaded_entry_points = True
        for ep in metadata.entry_points(group=self.entry_point_group):
            self._entries.setdefault(ep.name, _Entry(ep.value))

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        self._scan_entry_points()
        return list(self._entries)

    def describe(self) -> dict[str, str]:
        """Registered names → one-line descriptions."""
        self._scan_entry_points()
        return {n: e.description for n, e in self._entries.items()}

    def __contains__(self, name: object) -> bool:
        self._scan_entry_points()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def unknown(self, name: str) -> AobenchError:
        """The one-line error for a name that is not registered, with the closest names suggested."""
        names = self.names()
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return AobenchError(f"unknown {self.kind} {name!r}{hint} (available: {', '.join(names)})")

    def get(self, name: str) -> T:
        """The target registered under `name`, imported on first use."""
        self._scan_entry_points()
        entry = self._entries.get(name)
        if entry is None:
            raise self.unknown(name)
        if isinstance(entry.target, str):
            entry.target = _import_target(entry.target, f"{self.kind} {name!r}")
        return entry.target


def _import_target(target: str, what: str) -> Any:
    module, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in filter(None, attr.split(".")):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise AobenchError(f"cannot load {what} from {target!r}: {exc}") from exc
    return obj
