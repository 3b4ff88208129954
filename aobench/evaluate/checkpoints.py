"""A folder of checkpoints as a series: its checkpoint files, each with the training step it was saved at, in step order.

The step of a file is the `epoch` / `step` / `global_step` stored in it (open_clip's training saves
`{"epoch": N, "state_dict": ...}`; a safetensors file may carry it in its metadata), else the number its
name gives (`epoch_3.pt` → 3, `step-1000.safetensors` → 1000, else the last number in the name). Two files
of one step (open_clip's `epoch_latest.pt` beside `epoch_N.pt`) are one model: the file whose name gives
the step is kept, the other left out with a log line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError
from aobench.paths import CHECKPOINT_SUFFIXES

log = logging.getLogger(__name__)

STORED_KEYS = ("epoch", "step", "global_step")  # what trainers store beside the weights, in the order looked for
_NAMED = re.compile(r"(epoch|step|iter|it)[_-]?(\d+)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint file of a series and the step it was saved at (None when neither the file nor its name says)."""

    path: str  # as the folder was spelled + the file name: the `pretrained` of its results
    step: Optional[int]
    step_from: str  # "epoch", "step", "global_step" (stored), "name", or "" (unknown)


def step_from_name(name: str) -> Optional[int]:
    """The step a checkpoint's file name gives: `epoch_3.pt` → 3, `step-1000.bin` → 1000, else its last number, else None."""
    stem = Path(name).name
    for suffix in CHECKPOINT_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    named = _NAMED.search(stem)
    if named:
        return int(named.group(2))
    numbers = _NUMBER.findall(stem)
    return int(numbers[-1]) if numbers else None


def _int(v) -> Optional[int]:
    if hasattr(v, "item") and not isinstance(v, (dict, list)):
        v = v.item()
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v)
    return None


def stored_step(path: Path) -> tuple[Optional[int], str]:
    """(step, key) stored in a checkpoint without reading its tensors (mmap), or (None, "") when it stores none."""
    try:
        if path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
        else:
            import torch

            meta = torch.load(str(path), map_location="cpu", mmap=True, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - an old pickle, a foreign format: the name decides
        log.debug("%s: no stored step readable (%s); using its name", path, exc)
        return None, ""
    if isinstance(meta, dict):
        for key in STORED_KEYS:
            step = _int(meta.get(key))
            if step is not None:
                return step, key
    return None, ""


def list_checkpoints(folder: str) -> list[Checkpoint]:
    """The checkpoint files directly in `folder`, in step order (unknown steps last, by name); AobenchError when there are none."""
    root = Path(folder).expanduser()
    files = sorted(p for p in root.iterdir() if p.is_file() and p.name.endswith(CHECKPOINT_SUFFIXES))
    if not files:
        raise AobenchError(f"checkpoint folder {folder}: no checkpoint files ({', '.join('*' + s for s in CHECKPOINT_SUFFIXES)}) in it")
    found = []
    for p in files:
        step, key = stored_step(p)
        named = step_from_name(p.name)
        if step is None and named is not None:
            step, key = named, "name"
        found.append((Checkpoint(str(Path(folder) / p.name), step, key), named))
    kept: dict[int, tuple[Checkpoint, Optional[int]]] = {}
    out = []
    for ck, named in found:
        if ck.step is None:
            log.warning("checkpoint %s: no epoch/step stored in it or in its name; evaluated, but it is not a point of the series", ck.path)
            out.append(ck)
            continue
        other = kept.get(ck.step)
        # of two files of one step, the one whose name says the step is the model (epoch_3.pt over epoch_latest.pt)
        if other is None or (other[1] != ck.step and named == ck.step):
            if other is not None:
                log.info("checkpoint %s: same step %d as %s; left out", other[0].path, ck.step, ck.path)
            kept[ck.step] = (ck, named)
        else:
            log.info("checkpoint %s: same step %d as %s; left out", ck.path, ck.step, other[0].path)
    return sorted((ck for ck, _ in kept.values()), key=lambda c: c.step) + out
