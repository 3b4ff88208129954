"""Information statistics of attribute x object counts, from the sparse contingency in O(nnz).

NMI = MI / norm(H_attribute, H_object) with norm = arithmetic mean (default; scikit-learn's default),
geometric mean, min, max, or the joint entropy H(attribute, object). Natural logarithms (nats); NMI has
no unit. PMI(a, o) = ln p(a,o) / (p(a) p(o)); NPMI = PMI / -ln p(a,o). Special cases follow
scikit-learn: one attribute and one object (nothing to tell apart) → NMI 1; MI = 0 → NMI 0.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Optional

import numpy as np

from aobench.errors import AobenchError
from aobench.text.counts import Counts

NORMALIZATIONS = ("arithmetic", "geometric", "min", "max", "joint")


@dataclass
class Contingency:
    """Sparse table: row (attribute) and column (object) index per nonzero cell, and its count."""

    rows: np.ndarray
    cols: np.ndarray
    counts: np.ndarray
    attributes: list[str]
    objects: list[str]

    @classmethod
    def from_counts(cls, counts: Counts) -> "Contingency":
        """Index a Counts table (one pass over its cells; no sorting, so O(nnz))."""
        ai: dict[str, int] = {}
        oi: dict[str, int] = {}
        keys, n = counts.pairs.keys(), len(counts.pairs)
        rows = np.fromiter((ai.setdefault(a, len(ai)) for a, _ in keys), dtype=np.int64, count=n)
        cols = np.fromiter((oi.setdefault(o, len(oi)) for _, o in keys), dtype=np.int64, count=n)
        vals = np.fromiter(counts.pairs.values(), dtype=np.float64, count=n)
        return cls(rows, cols, vals, list(ai), list(oi))

    @classmethod
    def from_labels(cls, attr_labels, obj_labels) -> "Contingency":
        """From two label vectors (one entry per event), e.g. for comparison with scikit-learn; O(n), no sort of events."""
        a_u, a_code = _codes(attr_labels)
        o_u, o_code = _codes(obj_labels)
        n_cells = len(a_u) * len(o_u)
        key = a_code * len(o_u) + o_code
        if _dense(n_cells, len(key)):
            counts = np.bincount(key, minlength=n_cells)
            cells = np.flatnonzero(counts)
            n = counts[cells]
        else:  # a sparse table bigger than the events: hash the keys instead of allocating every cell
            k_u, k_code = _codes(key)
            n = np.bincount(k_code, minlength=len(k_u))
            cells = np.asarray(k_u, dtype=np.int64)
        return cls(cells // len(o_u), cells % len(o_u), n.astype(np.float64), list(map(str, a_u)), list(map(str, o_u)))


def _dense(n_slots: int, n_events: int) -> bool:
    """Whether a bincount over `n_slots` costs no more than a few passes over the events."""
    return n_slots <= 4 * n_events + 4096


def _codes(labels) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct labels and each entry's index into them, in O(n): bincount for dense integers, else hashing."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "iub" and labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if _dense(hi - lo + 1, labels.size):
            present = np.bincount((labels - lo).astype(np.int64), minlength=hi - lo + 1) > 0
            index = np.cumsum(present) - 1
            return np.flatnonzero(present) + lo, index[(labels - lo).astype(np.int64)].astype(np.int64)
    import pandas as pd  # hash-based factorize; only the distinct labels are sorted

    code, uniq = pd.factorize(labels, sort=True, use_na_sentinel=False)
    return np.asarray(uniq), code.astype(np.int64)


def _entropy(marginal: np.ndarray, total: float) -> float:
    p = marginal[marginal > 0] / total
    return max(0.0, float(-(p * np.log(p)).sum()))


def information(table: Contingency, normalization: str = "arithmetic", weights: Optional[np.ndarray] = None) -> dict:
    """MI, entropies and NMI of a contingency (cell counts optionally replaced by `weights`)."""
    if normalization not in NORMALIZATIONS:
        raise AobenchError(f"--normalization {normalization!r}: allowed: {', '.join(NORMALIZATIONS)}")
    n = table.counts if weights is None else weights
    total = float(n.sum())
    if total <= 0:
        return {"nmi": float("nan"), "mi": 0.0, "h_attribute": 0.0, "h_object": 0.0, "h_joint": 0.0, "normalization": normalization}
    a = np.bincount(table.rows, weights=n, minlength=len(table.attributes))
    o = np.bincount(table.cols, weights=n, minlength=len(table.objects))
    nz = n > 0
    nn, rr, cc = n[nz], table.rows[nz], table.cols[nz]
    mi = float((nn / total * (np.log(nn) + math.log(total) - np.log(a[rr]) - np.log(o[cc]))).sum())
    mi = max(mi, 0.0)
    ha, ho = _entropy(a, total), _entropy(o, total)
    hj = _entropy(nn, total)
    n_a, n_o = int((a > 0).sum()), int((o > 0).sum())
    if n_a == n_o == 1:
        nmi = 1.0
    elif mi == 0.0:
        nmi = 0.0
    else:
        norm = {"arithmetic": (ha + ho) / 2, "geometric": math.sqrt(ha * ho), "min": min(ha, ho), "max": max(ha, ho), "joint": hj}[normalization]
        nmi = mi / norm if norm > 0 else 0.0
    return {"nmi": nmi, "mi": mi, "h_attribute": ha, "h_object": ho, "h_joint": hj, "normalization": normalization}


def nmi_of_counts(counts: Counts, normalization: str = "arithmetic") -> dict:
    """`information` of a Counts table, with event and caption totals."""
    table = Contingency.from_counts(counts)
    out = information(table, normalization)
    out.update(n_events=int(table.counts.sum()), n_captions=counts.n_captions, n_captions_with_pairs=counts.n_captions_with_pairs,
               n_attributes=len(table.attributes), n_objects=len(table.objects))  # fmt: skip
    return out


def pmi_table(counts: Counts, seen_threshold: int = 1) -> list[dict]:
    """Per pair: count, PMI, NPMI (nats) and whether it counts as seen."""
    total = counts.n_events
    if total == 0:
        return []
    ac, oc = counts.attribute_counts(), counts.object_counts()
    rows = []
    for (a, o), n in sorted(counts.pairs.items(), key=lambda kv: (-kv[1], kv[0])):
        p = n / total
        pmi = math.log(p / ((ac[a] / total) * (oc[o] / total)))
        npmi = 1.0 if p == 1.0 else pmi / -math.log(p)
        rows.append({"attribute": a, "object": o, "count": n, "pmi": pmi, "npmi": npmi, "seen": n >= seen_threshold})
    return rows


def caption_types(caption_pairs) -> Counter:
    """Captions grouped by their pair lists: {(pair, ...): number of captions}; empty captions are left out."""
    return Counter(tuple(sorted(tuple(p) for p in pairs)) for pairs in caption_pairs if pairs)


def bootstrap_ci(captions, n_boot: int, normalization: str = "arithmetic", seed: int = 0, level: float = 0.95, n_captions: Optional[int] = None) -> dict:
    """Percentile CI of NMI resampling captions (not events): captions' pairs stay together.

    `captions` is a list of per-caption pair lists or a `caption_types` Counter (memory bounded by the distinct
    pair lists, not the corpus); `n_captions` counts every caption, those without pairs included. Drawing
    n_captions captions with replacement is drawn exactly as a multinomial over the caption types.
    """
    if isinstance(captions, Counter):
        types = captions
        n_cap = n_captions if n_captions is not None else sum(types.values())
    else:
        types = caption_types(captions)
        n_cap = n_captions if n_captions is not None else len(captions)
    types = Counter({k: m for k, m in types.items() if k and m > 0})
    if not types or n_boot < 1 or n_cap < 1:
        return {}
    pair_ids: dict[tuple[str, str], int] = {}
    type_of, pair_of = [], []
    for t, key in enumerate(types):
        for pair in key:
            type_of.append(t)
            pair_of.append(pair_ids.setdefault(tuple(pair), len(pair_ids)))
    keys = list(pair_ids)
    attrs = sorted({a for a, _ in keys})
    objs = sorted({o for _, o in keys})
    ai, oi = {a: i for i, a in enumerate(attrs)}, {o: i for i, o in enumerate(objs)}
    table = Contingency(np.array([ai[a] for a, _ in keys]), np.array([oi[o] for _, o in keys]), np.ones(len(keys)), attrs, objs)
    type_arr, pair_arr = np.asarray(type_of), np.asarray(pair_of)
    mult = np.asarray(list(types.values()), dtype=np.float64)
    n_with = float(mult.sum())
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        # a resample of all captions: those without pairs add no events, so draw how many with-pair ones come back
        k = rng.binomial(n_cap, min(1.0, n_with / n_cap))
        drawn = rng.multinomial(k, mult / n_with)
        w = np.bincount(pair_arr, weights=drawn[type_arr], minlength=len(keys))
        vals.append(information(table, normalization, weights=w)["nmi"])
    vals = np.asarray(vals)
    lo, hi = np.nanpercentile(vals, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return {"low": float(lo), "high": float(hi), "level": level, "n_boot": n_boot, "std": float(np.nanstd(vals))}
