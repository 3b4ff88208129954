"""Atomic writes, crash-tolerant JSONL logs, and strict JSONL for files users give: nothing already written is lost or half-written."""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from aobench.errors import AobenchError

TMP_SUFFIX = ".tmp"  # every temp file or dir this module makes ends so; `sweep_temp` finds leftovers by it
FSYNC_ENV = "AOBENCH_FSYNC"


def _fsync(fd: int) -> None:
    # durability against power loss or an OS crash (a kill -9 loses nothing either way: the page cache outlives the
    # process); AOBENCH_FSYNC=0 skips it where that is not wanted — the test suite, which writes thousands of tiny files
    if os.environ.get(FSYNC_ENV, "1") != "0":
        os.fsync(fd)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _tmp_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    # mkstemp makes 0600 files; give the final file the mode a plain open() would have
    os.fchmod(fd, _umask_mode())
    os.close(fd)
    return Path(name)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes to a temp file beside `path`, fsync, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_beside(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            _fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write text (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def strict(obj: Any) -> Any:
    """`obj` with every NaN/inf float replaced by None, so it serialises as strict JSON (null)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    return obj


def json_dumps(obj: Any, **kw: Any) -> str:
    """json.dumps that never writes NaN/Infinity (not JSON): non-finite floats become null."""
    try:
        return json.dumps(obj, ensure_ascii=False, allow_nan=False, **kw)
    except ValueError:  # the rare document holding a NaN pays for the second, sanitising pass
        return json.dumps(strict(obj), ensure_ascii=False, allow_nan=False, **kw)


def dumps_line(obj: Any) -> str:
    """One canonical JSON line (sorted keys are not used: field order is part of the format)."""
    return json_dumps(obj, separators=(", ", ": "))


def atomic_write_jsonl(path: str | os.PathLike, rows: Iterable[Any]) -> int:
    """Write rows as JSON lines atomically; returns the number of rows."""
    lines = [dumps_line(r) for r in rows]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write a JSON document atomically (indented, UTF-8)."""
    atomic_write_text(path, json_dumps(obj, indent=2) + "\n")


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    """Yield JSON objects from a log written by `JsonlAppender`; a torn last line (a crash) is ignored."""
    path = Path(path)
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                return  # torn tail from a killed writer: the work it names is redone
            raw = raw.strip()
            if raw:
                yield json.loads(raw)


def read_jsonl_strict(path: str | os.PathLike, hint: str = "") -> Iterator[tuple[int, Any]]:
    """(line number, value) of each non-blank line of a JSON-lines file a user gave; a bad line is `FILE:N: not valid JSON (why)[ — hint]`.

    Unlike `read_jsonl` (aobench's own logs, where a torn last line is a crash to redo), every line counts here.
    Callers check the values' shape and raise with the same `FILE:N:` prefix.
    """
    tail = f" — {hint}" if hint else ""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                yield n, json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise AobenchError(f"{path}:{n}: not UTF-8 text{tail}") from None
            except json.JSONDecodeError as exc:
                raise AobenchError(f"{path}:{n}: not valid JSON ({exc.msg}){tail}") from None
            except RecursionError:  # a line nested deeper than the parser goes
                raise AobenchError(f"{path}:{n}: JSON nested too deeply to read{tail}") from None


class JsonlAppender:
    """Append-only JSONL log that survives `kill -9`: a torn tail is cut before appending."""

    def __init__(self, path: str | os.PathLike, fsync: bool = True):
        self.path = Path(path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._truncate_torn_tail()
        self._fh = open(self.path, "ab")

    def _truncate_torn_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(keep)

    def append(self, obj: Any) -> None:
        """Append one row and flush it to disk."""
        self._fh.write((dumps_line(obj) + "\n").encode("utf-8"))
        if self.fsync:  # per-line durability for resumable logs; bulk outputs skip it
            self._fh.flush()
            _fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the log."""
        self._fh.close()

    def __enter__(self) -> "JsonlAppender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def temp_dir_beside(path: str | os.PathLike) -> Path:
    """A fresh hidden temp dir next to `path` (swept by `sweep_temp` if a kill leaves it behind)."""
    path = Path(path)
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent))


def sweep_temp(root: str | os.PathLike, *subdirs: str) -> int:
    """Remove temp files/dirs a killed writer left in `root` and the given subfolders (recursively); returns how many.

    Only call it while no other process writes there (the build sweeps under its lock, after all work is done).
    """
    root = Path(root)
    n = 0
    for base in [root, *(root / s for s in subdirs)]:
        if not base.is_dir():
            continue
        found = [base / p for p in os.listdir(base)] if base == root else list(base.rglob(f".*{TMP_SUFFIX}"))
        for p in found:
            if not (p.name.startswith(".") and p.name.endswith(TMP_SUFFIX)):
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            n += 1
    return n


def _where(exc: OSError) -> str:
    return str(exc.filename) if exc.filename else ""


def os_error_line(exc: OSError, path: Optional[str] = None) -> str:
    """One user-facing line for a failed file operation: which path (or `path`), what went wrong, what to do."""
    path = path if path is not None else _where(exc)
    if not path and not exc.strerror:  # not about a file (e.g. a connection error): its own words
        return " ".join(str(exc).split()) or type(exc).__name__
    reason = exc.strerror or type(exc).__name__
    hint = {
        errno.EROFS: "the filesystem is read-only; choose another --out",
        errno.EACCES: "no permission; choose another location or fix its permissions",
        errno.EPERM: "not permitted here; choose another location",
        errno.ENOSPC: "the disk is full; free space and rerun to resume",
        errno.EDQUOT: "the disk quota is exhausted; free space and rerun to resume",
        errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
        errno.EISDIR: "it is a folder; give a file path",
        errno.EEXIST: "it is in the way; remove it or choose another path",
        errno.ENOENT: "check the path",
    }.get(exc.errno or -1, "check the path and rerun")
    return f"{path}: {reason} — {hint}" if path else f"{reason} — {hint}"


def _probe_writable(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".aobench-write-test.", suffix=TMP_SUFFIX, dir=folder)
    os.close(fd)
    os.unlink(probe)


def writable_dir(path: str | os.PathLike, flag: str = "--out") -> Path:
    """Create `path` as a folder (parents too) and prove it is writable, or raise a one-line AobenchError naming it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise AobenchError(f"{flag} {path}: is a file, not a folder — give a folder (it is created if missing)")
    try:
        _probe_writable(path)
    except OSError as exc:
        raise AobenchError(f"{flag} {path}: cannot write there ({os_error_line(exc, '')})") from None
    return path


def writable_file(path: str | os.PathLike, flag: str = "--out") -> Path:
    """Check that a file can be written at `path` (its folder is created), or raise a one-line AobenchError naming it."""
    path = Path(path)
    if path.is_dir():
        raise AobenchError(f"{flag} {path}: is a folder — give a file path")
    if path.parent.exists() and not path.parent.is_dir():
        raise AobenchError(f"{flag} {path}: {path.parent} is a file, not a folder — choose another path")
    try:
        _probe_writable(path.parent)
    except OSError as exc:
        raise AobenchError(f"{flag} {path}: cannot write there ({os_error_line(exc, '')})") from None
    return path


def replace_dir(tmp_dir: str | os.PathLike, final_dir: str | os.PathLike) -> None:
    """Swap a fully written temp directory into place, removing the old one only after."""
    tmp_dir, final_dir = Path(tmp_dir), Path(final_dir)
    old = final_dir.with_name(f".{final_dir.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final_dir.exists():
        os.replace(final_dir, old)
    os.replace(tmp_dir, final_dir)
    if old.exists():
        shutil.rmtree(old)


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
