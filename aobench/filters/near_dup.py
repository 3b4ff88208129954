"""Near-duplicate filter: difference hashes (dHash) and Hamming distance, within a pair, split or all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

HASH_SIZE = 16  # 256-bit hashes: 64-bit ones collide on small, plain images


def dhash(image: Image.Image, size: int = HASH_SIZE) -> int:
    """Difference hash: sign of horizontal brightness steps on a (size+1) x size greyscale thumbnail."""
    small = np.asarray(image.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()


def near_duplicate_filter(records: list[dict], spec, ctx) -> tuple[list[dict], list[tuple[dict, str]]]:
    """Keep the first of each group of images within `max_distance` bits (in manifest order)."""
    kept, dropped = [], []
    seen: dict[tuple, list[tuple[int, str]]] = {}
    for rec in records:
        with Image.open(Path(ctx.root) / rec["file"]) as im:
            h = dhash(im)
        rec["dhash"] = f"{h:0{HASH_SIZE * HASH_SIZE // 4}x}"
        if spec.scope == "pair":
            key = (rec["split"], rec["attribute"], rec["object"])
        elif spec.scope == "split":
            key = (rec["split"],)
        else:
            key = ()
        group = seen.setdefault(key, [])
        match = next((rid for g, rid in group if hamming(g, h) <= spec.max_distance), None)
        if match is not None:
            dropped.append((rec, f"near_duplicate_of:{match}"))
        else:
            group.append((h, rec["id"]))
            kept.append(rec)
    return kept, dropped
