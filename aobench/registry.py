"""One lazy registry for every pluggable kind (generator backends, filters, eval model kinds, eval tasks, data sources).

Entries are `"package.module:attr"` strings (imported only when used) or objects already in memory, each
with a one-line description and the metadata its kind needs (a task's headline metric and options, a data
source's schema...), readable without importing the target. Users add their own with `register(...)` or
through a Python entry point group (e.g. `aobench.backends`) declared by their package, so nothing in
aobench has to change to plug a new one in. A name is registered once: registering it again is refused
unless `replace=True` says so.
"""

from __future__ import annotations

import difflib
import importlib
import logging
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Generic, Iterator, Optional, TypeVar

from aobench.errors import AobenchError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Entry:
    """One registered name: its target (a "module:attr" string until first use), description and metadata."""

    name: str
    target: Any
    description: str = ""
    meta: Any = None  # what the registry's kind records about an entry (e.g. a TaskSpec); None from entry points


class Registry(Generic[T]):
    """Name → lazily imported target (+ description and metadata), with "did you mean" errors and optional entry points."""

    def __init__(self, kind: str, entry_point_group: str | None = None):
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, Entry] = {}
        self._loaded_entry_points = entry_point_group is None

    def register(self, name: str, target: Any = None, description: str = "", *, meta: Any = None, replace: bool = False):
        """Register `target` ("module:attr" or an object) under `name`; without a target, a decorator.

        A name already registered is refused (AobenchError) unless `replace=True`.
        """
        if target is None:

            def deco(obj):
                self._add(Entry(name, obj, description, meta), replace)
                return obj

            return deco
        self._add(Entry(name, target, description, meta), replace)
        return target

    def _add(self, entry: Entry, replace: bool) -> None:
        if entry.name in self._entries and not replace:
            raise AobenchError(f"{self.kind} {entry.name!r} is already registered — pick another name, or pass replace=True to replace it")
        self._entries[entry.name] = entry

    def _scan_entry_points(self) -> None:
        if self._loaded_entry_points:
            return
        self._loaded_entry_points = True
        for ep in metadata.entry_points(group=self.entry_point_group):
            if ep.name in self._entries:  # a name registered in code wins over an installed package's: said, not silent
                log.warning("%s %r of entry point %s is already registered; the installed package's one is ignored", self.kind, ep.name, ep.value)
                continue
            self._entries[ep.name] = Entry(ep.name, ep.value)

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        self._scan_entry_points()
        return list(self._entries)

    def describe(self) -> dict[str, str]:
        """Registered names → one-line descriptions."""
        self._scan_entry_points()
        return {n: e.description for n, e in self._entries.items()}

    def entry(self, name: str) -> Entry:
        """The entry registered under `name` (its target not imported), or the one-line "unknown" error."""
        self._scan_entry_points()
        entry = self._entries.get(name)
        if entry is None:
            raise self.unknown(name)
        return entry

    def meta(self, name: str) -> Optional[Any]:
        """The metadata registered with `name` (None when it came without, e.g. from an entry point)."""
        return self.entry(name).meta

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
        entry = self.entry(name)
        if isinstance(entry.target, str):
            entry.target = import_target(entry.target, f"{self.kind} {name!r}")
        return entry.target


def import_target(target: str, what: str) -> Any:
    """The object a "package.module:attr" string names; AobenchError naming `what` when it cannot be imported."""
    module, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in filter(None, attr.split(".")):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise AobenchError(f"cannot load {what} from {target!r}: {exc}") from exc
    return obj
