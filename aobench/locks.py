"""Exclusive use of an output directory: one writer at a time, or the shards of one launch together.

Every command that writes a directory holds it so (`aobench build`, `nmi`, `eval`, `foils`, `export`, `report`,
`real`, `study`): two runs into one `--out` never mix their files; the second is refused in one line naming
the command that holds it. `holding(command)` wraps a library function whose `out` argument is that directory.

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

import functools
import inspect
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

from aobench.artifacts import LOCKS
from aobench.errors import AobenchError

HOLDER = "holder"  # the command that holds the dir, named in the refusal (informative only: the kernel lock decides)


class DirLock:
    """Hold an output directory for one run (unsharded) or for one shard of a launch; refuse or wait otherwise."""

    def __init__(self, root: str | os.PathLike, shard: Optional[tuple[int, int]] = None, wait: bool = False, command: str = "aobench build",
                 flag: str = "--out", file: Optional[str] = None):  # fmt: skip
        # `file`: hold one output file of the folder `root` (its own lock there) instead of the whole folder
        self.root = Path(root)
        self.file = file
        self.key = "dir" if file is None else f"file-{file}"
        self.shard = shard
        self.wait = wait
        self.command = command
        self.flag = flag
        self._held: list = []

    @property
    def folder(self) -> Path:
        """Where the lock files are."""
        return self.root / LOCKS

    @property
    def _holder_path(self) -> Path:
        return self.folder / (HOLDER if self.file is None else f"{self.key}.{HOLDER}")

    def _holder(self) -> str:
        try:
            name = self._holder_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            name = ""
        return name or self.command

    def _busy(self, what: str) -> AobenchError:
        hint = "run each shard once" if what.startswith("shard") else "wait for it to finish" + (", or pass --wait to queue behind it" if self.command == "aobench build" else "")
        shown = self.root if self.file is None else self.root / self.file
        return AobenchError(f"{self.flag + ' ' if self.flag else ''}{shown}: {what} is already writing there — {hint}")

    def __enter__(self) -> "DirLock":
        from filelock import FileLock, ReadWriteLock, Timeout

        self.folder.mkdir(parents=True, exist_ok=True)
        dir_lock = ReadWriteLock(str(self.folder / f"{self.key}.db"), blocking=self.wait, is_singleton=False)
        try:
            if self.shard is None:
                dir_lock.acquire_write()
            else:
                dir_lock.acquire_read()
        except Timeout:
            dir_lock.close()
            raise self._busy(f"another `{self._holder()}`" if self.shard is None else f"an unsharded `{self._holder()}`") from None
        self._held.append(dir_lock)
        try:
            self._holder_path.write_text(self.command + "\n", encoding="utf-8")
        except OSError:
            pass  # only the refusal's wording depends on it
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


class BuildLock(DirLock):
    """The lock of `aobench build` on its --out."""


def holding(command: str, arg: str = "out", flag: str = "--out", entry: bool = False, shard_arg: Optional[str] = None, launched: bool = False,
            existing: bool = False) -> Callable:  # fmt: skip
    """Decorate a library function so it runs holding its `arg` directory (created and checked writable first) as `command`.

    `entry=True`: `arg` is an output file, or a folder the function replaces whole; the run holds that name with a
    lock of its own in the parent folder, so runs writing other names there do not wait for each other.
    `shard_arg`: the argument holding this process's `i/n` (or `(i, n)`), whose processes share the dir.
    `launched`: under torchrun / `accelerate launch` every rank holds its shard of the dir, agreed by all ranks
    (a rank refused stops every rank); a call with `distributed=False` runs alone and is held then.
    `existing`: `arg` is an input dir the function writes into (a build): never created here; when it is not a
    folder the function runs unheld and says what is wrong itself.
    """

    def deco(fn: Callable) -> Callable:
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            from contextlib import ExitStack

            import aobench.launch as launching
            from aobench.io import writable_dir
            from aobench.options import parse_shard

            bound = sig.bind(*args, **kwargs)
            launch = launching.current() if launched else None
            if launch is not None and bound.arguments.get("distributed") is False:
                return fn(*args, **kwargs)  # it reruns itself inside `launching.alone()`, and is held there
            target = Path(bound.arguments[arg])
            if existing and not target.is_dir():
                return fn(*args, **kwargs)
            shard = bound.arguments.get(shard_arg) if shard_arg else None
            shard = parse_shard(shard, flag="--shard") if isinstance(shard, str) else shard
            if launch is not None:
                shard = (launch.rank, launch.world)
            with ExitStack() as stack:

                def take() -> None:
                    if entry:
                        lock = DirLock(writable_dir(target.parent, flag), shard=shard, command=command, flag=flag, file=target.name)
                    else:
                        lock = DirLock(writable_dir(target, flag), shard=shard, command=command, flag=flag)
                    stack.enter_context(lock)

                launch.agree(take) if launch is not None else take()
                return fn(*args, **kwargs)

        return wrapper

    return deco
