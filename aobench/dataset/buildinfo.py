"""Read a finished build directory for publishing (push, export); refuse anything else with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from aobench.errors import AobenchError


@dataclass
class BuildInfo:
    """What publishing needs from a finished build."""

    root: Path
    fingerprint: str
    aobench_version: str
    recipe: dict

    @property
    def name(self) -> str:
        """The recipe name."""
        return self.recipe.get("name", self.root.name)


def open_build(build_dir: str | Path) -> BuildInfo:
    """A finished build at `build_dir`, or an AobenchError saying why it is not one."""
    from aobench.build import STATE, is_complete

    root = Path(build_dir)
    if not root.is_dir():
        raise AobenchError(f"{root}: not a directory — pass the --out dir of a finished `aobench build`")
    if not (root / "manifest.jsonl").exists() and not (root / STATE).exists():
        raise AobenchError(f"{root}: not an aobench build (no manifest.jsonl) — run `aobench build RECIPE --out {root}` first")
    if not is_complete(root):
        missing = [p for p in ("manifest.jsonl", "hf", "README.md", f"{STATE}/complete") if not (root / p).exists()]
        raise AobenchError(f"{root}: build not finished (missing {', '.join(missing)}); it is resumable — rerun `aobench build` with --out {root}")
    lock = root / "recipe.lock.yaml"
    try:
        data = yaml.safe_load(lock.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AobenchError(f"{lock}: unreadable ({exc}) — rebuild with `aobench build`") from None
    mark = (root / STATE / "complete").read_text().strip()
    fp = str(data.get("fingerprint", ""))
    if not fp or fp != mark:
        # a lock rewritten by a newer, unfinished build run: the data on disk is not what the lock describes
        raise AobenchError(f"{root}: recipe.lock.yaml fingerprint {fp or 'missing'} does not match the finished build ({mark}); rerun `aobench build` with --out {root}")
    return BuildInfo(root=root, fingerprint=fp, aobench_version=str(data.get("aobench_version", "")), recipe=data.get("recipe") or {})
