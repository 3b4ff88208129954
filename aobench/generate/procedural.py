"""Weight-free renderer: 12 shapes/icons drawn with one colour, pattern or size attribute each.

Each image depends only on its own seed (position, rotation, jitter, background clutter), so a build
is the same whatever the batch size, shard or resume point. Attributes that are not colours are
drawn on a neutral grey, so the attribute named in the caption is the only one that varies.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from aobench.errors import AobenchError

COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (35, 70, 220),
    "yellow": (240, 210, 20),
    "purple": (130, 40, 170),
    "orange": (245, 130, 20),
    "pink": (245, 120, 190),
    "cyan": (20, 200, 210),
    "brown": (130, 80, 35),
    "black": (20, 20, 20),
    "white": (250, 250, 250),
}
PATTERNS = ("striped", "dotted", "checkered")
SIZES = {"small": 0.2, "large": 0.44}
NEUTRAL = (120, 120, 120)
SHAPES = (
    "circle", "square", "triangle", "star", "heart", "cross",
    "diamond", "hexagon", "pentagon", "arrow", "crescent", "ring",
)  # fmt: skip


def _rotate(points: list[tuple[float, float]], angle: float) -> list[tuple[float, float]]:
    c, s = math.cos(angle), math.sin(angle)
    return [(x * c - y * s, x * s + y * c) for x, y in points]


def _regular(n: int, phase: float = -math.pi / 2) -> list[tuple[float, float]]:
    return [(math.cos(phase + 2 * math.pi * k / n), math.sin(phase + 2 * math.pi * k / n)) for k in range(n)]


def _outline(shape: str) -> list[tuple[float, float]] | None:
    """Unit-radius polygon of a shape, or None for the ellipse-based ones."""
    if shape == "square":
        return [(-0.75, -0.75), (0.75, -0.75), (0.75, 0.75), (-0.75, 0.75)]
    if shape == "triangle":
        return _regular(3)
    if shape == "pentagon":
        return _regular(5)
    if shape == "hexagon":
        return _regular(6, 0.0)
    if shape == "diamond":
        return [(0, -1), (0.6, 0), (0, 1), (-0.6, 0)]
    if shape == "star":
        pts = []
        for k in range(10):
            r = 1.0 if k % 2 == 0 else 0.42
            a = -math.pi / 2 + math.pi * k / 5
            pts.append((r * math.cos(a), r * math.sin(a)))
        return pts
    if shape == "cross":
        w = 0.3
        return [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1), (-w, w), (-1, w), (-1, -w), (-w, -w)]
    if shape == "arrow":
        return [(-1, -0.25), (0.2, -0.25), (0.2, -0.6), (1, 0), (0.2, 0.6), (0.2, 0.25), (-1, 0.25)]
    if shape == "heart":
        pts = []
        for k in range(48):
            t = 2 * math.pi * k / 48
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            pts.append((x / 17, -y / 17 + 0.1))
        return pts
    return None


def _shape_mask(shape: str, size: int, cx: float, cy: float, r: float, angle: float) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    box = [cx - r, cy - r, cx + r, cy + r]
    if shape == "circle":
        draw.ellipse(box, fill=255)
    elif shape == "ring":
        draw.ellipse(box, fill=255)
        ri = r * 0.55
        draw.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=0)
    elif shape == "crescent":
        draw.ellipse(box, fill=255)
        dx, dy = 0.45 * r * math.cos(angle), 0.45 * r * math.sin(angle)
        ri = r * 0.85
        draw.ellipse([cx + dx - ri, cy + dy - ri, cx + dx + ri, cy + dy + ri], fill=0)
    else:
        pts = _outline(shape)
        if pts is None:
            raise AobenchError(f"procedural renderer cannot draw object {shape!r}; it draws: {', '.join(SHAPES)}")
        draw.polygon([(cx + r * x, cy + r * y) for x, y in _rotate(pts, angle)], fill=255)
    return mask


def _texture(attribute: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """RGB fill (size x size x 3, uint8) for the attribute."""
    if attribute in COLOURS:
        base = np.array(COLOURS[attribute], dtype=np.int16) + rng.integers(-12, 13, size=3)
        return np.broadcast_to(np.clip(base, 0, 255).astype(np.uint8), (size, size, 3)).copy()
    if attribute in PATTERNS:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        period = size * rng.uniform(0.11, 0.15)
        if attribute == "striped":
            theta = rng.uniform(0, math.pi)
            on = ((xx * math.cos(theta) + yy * math.sin(theta)) // (period / 2)) % 2 == 0
        elif attribute == "checkered":
            off = rng.uniform(0, period, size=2)
            on = (((xx + off[0]) // (period / 1.4)) + ((yy + off[1]) // (period / 1.4))) % 2 == 0
        else:  # dotted
            off = rng.uniform(0, period, size=2)
            dx = (xx + off[0]) % period - period / 2
            dy = (yy + off[1]) % period - period / 2
            on = dx * dx + dy * dy <= (period * 0.28) ** 2
        light, dark = np.array([235, 235, 235], np.uint8), np.array([30, 30, 30], np.uint8)
        return np.where(on[..., None], dark, light)
    if attribute in SIZES:
        return np.broadcast_to(np.array(NEUTRAL, np.uint8), (size, size, 3)).copy()
    raise AobenchError(
        f"procedural renderer cannot draw attribute {attribute!r}; it draws colours {', '.join(COLOURS)}, "
        f"patterns {', '.join(PATTERNS)} and sizes {', '.join(SIZES)}"
    )


def render(obj: str, attribute: str, seed: int, resolution: int = 64, clutter: int = 4, supersample: int = 2) -> Image.Image:
    """One image of `attribute obj`, fully determined by the seed."""
    rng = np.random.default_rng(seed)
    big = resolution * supersample
    radius_frac = SIZES.get(attribute, rng.uniform(0.28, 0.36))
    r = big * radius_frac
    margin = r * 1.02
    cx = rng.uniform(margin, big - margin) if big - 2 * margin > 0 else big / 2
    cy = rng.uniform(margin, big - margin) if big - 2 * margin > 0 else big / 2
    angle = rng.uniform(-0.5, 0.5) if obj not in ("arrow", "crescent") else rng.uniform(0, 2 * math.pi)

    tint = rng.integers(215, 246) + rng.integers(-8, 9, size=3)
    bg = Image.new("RGB", (big, big), tuple(int(v) for v in np.clip(tint, 0, 255)))
    draw = ImageDraw.Draw(bg)
    for _ in range(int(rng.integers(clutter // 2, clutter + 1)) if clutter else 0):
        g = int(rng.integers(150, 195))
        x0, y0, x1, y1 = (float(v) for v in rng.uniform(0, big, size=4))
        if rng.random() < 0.5:
            draw.line([x0, y0, x1, y1], fill=(g, g, g), width=max(1, supersample))
        else:
            d = big * 0.03
            draw.ellipse([x0 - d, y0 - d, x0 + d, y0 + d], fill=(g, g, g))
    mask = _shape_mask(obj, big, cx, cy, r, angle)
    fill = Image.fromarray(_texture(attribute, big, rng), "RGB")
    bg.paste(fill, (0, 0), mask)
    return bg.resize((resolution, resolution), Image.Resampling.LANCZOS) if supersample > 1 else bg


class ProceduralBackend:
    """Backend `procedural`: options `clutter` (distractor marks per image) and `supersample`."""

    name = "procedural"

    def __init__(self, spec, **_: object):
        self.spec = spec
        self.clutter = int(spec.options.get("clutter", 4))
        self.supersample = int(spec.options.get("supersample", 2))

    @classmethod
    def card_info(cls, spec, tiny: bool) -> dict:
        """What the card says produced the images (the recipe's options follow)."""
        return {"backend": spec.backend, "resolution": spec.resolution}

    def check(self, items) -> None:
        """Fail before any work if an item names something the renderer cannot draw."""
        for it in {(i.object, i.attribute) for i in items}:
            _texture(it[1], 4, np.random.default_rng(0))
            if it[0] not in SHAPES:
                raise AobenchError(f"procedural renderer cannot draw object {it[0]!r}; it draws: {', '.join(SHAPES)}")

    def generate(self, items) -> list[Image.Image]:
        """Render a batch (each image from its own seed)."""
        return [render(i.object, i.attribute, i.seed, self.spec.resolution, self.clutter, self.supersample) for i in items]
