"""Placeholder images named as a benchmark's annotations name them: end-to-end runs without the real image sets (smoke tests, speed checks).

Each placeholder is a small seeded gradient (its colours derived from its file name), large enough to hold
every crop box the annotations put on it, so crops differ and a random model's scores rarely tie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from aobench.seeds import rng_for
from aobench.suite.schema import Example

MIN_SIDE = 64
MAX_SIDE = 1024


def write_placeholders(examples: Sequence[Example], folder: Path, per_source: bool = True) -> int:
    """Write one placeholder per distinct image file under `folder/<source>/<file>` (or `folder/<file>`); returns how many were written."""
    from PIL import Image

    sizes: dict = {}
    for ex in examples:
        for ref in ex.images:
            w, h = sizes.get((ref.source, ref.file), (MIN_SIDE, MIN_SIDE))
            if ref.box is not None:
                x, y, bw, bh = ref.box
                w, h = max(w, int(x + bw) + 1), max(h, int(y + bh) + 1)
            sizes[(ref.source, ref.file)] = (min(w, MAX_SIDE), min(h, MAX_SIDE))
    n = 0
    for (source, file), (w, h) in sizes.items():
        path = Path(folder) / source / file if per_source else Path(folder) / file
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = rng_for("placeholder", source, file)
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        top = Image.new("RGB", (w, h), tuple(int(v) for v in a))
        mask = Image.linear_gradient("L").resize((w, h)).rotate(float(rng.integers(0, 360)))
        Image.composite(Image.new("RGB", (w, h), tuple(int(v) for v in b)), top, mask).save(path, format="PNG")
        n += 1
    return n
