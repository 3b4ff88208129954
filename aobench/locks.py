"""Exclusive use of a build directory: one build at a time, or the shards of one launch together.

Locks live in DIR/.aobench-locks/ and are kernel locks (fcntl, SQLite), so a killed process releases them:
nothing to clean up after `kill -9`, and no stale-lock heuristics.

- An unsharded build holds `dir.db` for writing for its whole run: any other build into DIR is refused with
  one line (or, with `--wait`, queues behind it).
- Shard I/N (`--shard I/N`, or rank I of a launch of N processes, see `aobench.launch`) holds `dir.db` for reading, which the shards
  of a launch share, plus `shard-I-of-N.lock` for itself: shards never refuse each other, two copies of one
  shard do, and an unsharded build is refused while any shard runs (and the other way round).
- Whoever finds every image done assembles the dataset under `assemble.lock`, one process at a time.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from aobench.artifacts import LOCKS
from aobench.errors import AobenchError


class BuildLock:
    """Hold a build directory for one build (unsharded) or for one shard of a launch; refuse or wait otherwise."""

    def __init__(self, root: str | os.PathLike, shard: Optional[tuple[int, int]] = None, wait: bool = False):
        self.root = Path(root)
        self.shard = shard
        self.wait = wait
        self._held: list = []

    @property
    def folder(self) -> Path:
        """Where the lock files are."""
        return self.root / LOCKS

    def _busy(self, what: str) -> AobenchError:
        hint = "run each shard once" if what.startswith("shard") else "wait for it to finish, or pass --wait to queue behind it"
        return AobenchError(f"--out {self.root}: {what} is already writing there — {hint}")

    def __enter__(self) -> "BuildLock":
        from filelock import FileLock, ReadWriteLock, Timeout

        self.folder.mkdir(parents=True, exist_ok=True)
        dir_lock = ReadWriteLock(str(self.folder / "dir.db"), blocking=self.wait, is_singleton=False)
        try:
            if self.shard is None:
                dir_lock.acquire_write()
            else:
                dir_lock.acquire_read()
        except Timeout:
            dir_lock.close()
            raise self._busy("another `aobench build`" if self.shard is None else "an unsharded `aobench build`") from None
        self._held.append(dir_lock)
        if self.shard is not None:
            i, n = self.shard
            mine = FileLock(str(self.folder / f"shard-{i}-of-{n}.lock"), blocking=self.wait)
            try:
                mine.acquire()
            except Timeout:
                self.__exit__()
                raise self._busy(f"shard {i}/{n} (another process)") from None
            self._held.append(mine)
        return self

    def __exit__(self, *exc: object) -> None:
        while self._held:
            lock = self._held.pop()
            lock.release()
            if hasattr(lock, "close"):
                lock.close()

    @property
    def exclusive(self) -> bool:
        """Whether this process alone writes the dir (an unsharded build), so it may sweep leftovers anywhere."""
        return self.shard is None

    @contextmanager
    def assembling(self) -> Iterator[None]:
        """Serialise the final assembly among the shards of a launch (an unsharded build already holds the dir)."""
        if self.shard is None:
            yield
            return
        from filelock import FileLock

        with FileLock(str(self.folder / "assemble.lock")):
            yield
