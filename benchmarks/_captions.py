"""Realistic template captions (LAION-like: many without any vocabulary pair) for the text benchmarks."""

from __future__ import annotations

import random

ATTRS = ["red", "blue", "striped", "wooden", "glass", "fluffy", "shiny", "rusty", "golden", "tiny", "huge", "spotted", "plastic", "metal", "orange"]
OBJS = ["tiger", "goldfish", "teapot", "zebra", "violin", "school bus", "banana", "umbrella", "canoe", "toaster", "pizza", "teddy bear", "golden retriever"]
OTHER_NOUNS = ["man", "woman", "street", "house", "phone", "laptop", "garden", "city", "beach", "shirt", "logo", "poster"]
OTHER_ADJ = ["beautiful", "modern", "vintage", "cheap", "new", "best", "happy", "free"]
TEMPLATES = [
    "a {a} {o} on a table",
    "the {o} is {a}",
    "a {o} that is {a}",
    "{a} and {a2} {o} for sale",
    "photo of a {a} {o} next to a {a2} {o2}",
    "a {oa} {on} in the {on2}",
    "{oa} {on} stock photo | free download",
    "buy the {oa} {on} online - best price",
    "a {on} holding a {a} {o}",
    "{oa} {on2} with {oa2} {on}",
]


def captions(n: int, seed: int = 0) -> list[str]:
    """n captions from templates with distractor text."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = rng.choice(TEMPLATES)
        out.append(
            t.format(a=rng.choice(ATTRS), a2=rng.choice(ATTRS), o=rng.choice(OBJS), o2=rng.choice(OBJS),
                     oa=rng.choice(OTHER_ADJ), oa2=rng.choice(OTHER_ADJ), on=rng.choice(OTHER_NOUNS), on2=rng.choice(OTHER_NOUNS))
        )  # fmt: skip
    return out
