"""Synthetic attribute-object events for the statistic benchmarks (nmi_speed, ami_speed): label vectors and their counts."""

from __future__ import annotations

from collections import Counter

import numpy as np


def events(n: int, n_attr: int = 140, n_obj: int = 1000, dependent: float = 0.3, seed: int = 0):
    """`n` events over n_attr x n_obj (a `dependent` share with attribute = object mod n_attr): (attr, obj, Counts)."""
    from aobench.text.counts import Counts

    rng = np.random.default_rng(seed)
    obj = rng.integers(0, n_obj, n)
    attr = np.where(rng.random(n) < dependent, obj % n_attr, rng.integers(0, n_attr, n))
    # the counts aobench keeps while extracting (built outside the timed region, as extraction does it)
    key, cnt = np.unique(attr.astype(np.int64) * n_obj + obj, return_counts=True)
    counts = Counts(pairs=Counter({(f"a{k // n_obj}", f"o{k % n_obj}"): int(c) for k, c in zip(key, cnt)}))
    return attr, obj, counts
