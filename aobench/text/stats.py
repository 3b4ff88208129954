"""Information statistics of attribute x object counts, from the sparse contingency in O(nnz).

NMI = MI / norm(H_attribute, H_object) with norm = arithmetic mean (default; scikit-learn's default),
geometric mean, min, max, or the joint entropy H(attribute, object). Natural logarithms (nats); NMI has
no unit. PMI(a, o) = ln p(a,o) / (p(a) p(o)); NPMI = PMI / -ln p(a,o). Special cases follow
scikit-learn: one attribute and one object (nothing to tell apart) → NMI 1; MI = 0 → NMI 0.

Plug-in NMI is biased upwards on sparse tables (an independent table of N events has MI ≈ (R-1)(C-1)/(2N)
nats), so it mostly measures sample size there. Three corrections live here:

- **AMI** (Vinh, Epps & Bailey 2010): (MI - E[MI]) / (norm - E[MI]) with E[MI] the exact expectation of MI
  under the hypergeometric model of the observed marginals (permutation null), computed from the marginal
  counts alone — equal to `sklearn.metrics.adjusted_mutual_info_score` on the same events. `joint` has no
  chance-corrected form under that model (H(attribute, object) is not fixed by the marginals), so with
  `joint` AMI uses the arithmetic normalisation and says so (`ami_normalization`).
- **Bias-corrected bootstrap intervals**: captions (their pair lists kept together) resampled as count
  vectors; the basic interval [2θ̂ - q_hi, 2θ̂ - q_lo] with the estimate 2θ̂ - median(θ*), which it always contains.
- **Size-matched values**: NMI and AMI of exactly n captions drawn without replacement, repeated.
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
AMI_NORMALIZATIONS = ("arithmetic", "geometric", "min", "max")  # scikit-learn's `average_method`
# E[MI] sums each cell's hypergeometric terms over the counts within this many nats of tail probability of its
# mean (Bernstein's bound, which the hypergeometric obeys as a sum drawn without replacement, Hoeffding 1963):
# every term left out has probability < e^-TAIL, so the total left out is < 2 ln(N) min(R, C) e^-50 < 1e-17 for
# any table that fits in memory — the sum equals the full one to float precision, at a fraction of its terms
TAIL = 50.0
EMI_CHUNK = 1 << 17  # terms per vectorised block of the E[MI] sum: 1 MB arrays stay in cache and are reused, not page-faulted in


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


def ami_normalization(normalization: str) -> str:
    """The normalisation AMI uses for an NMI normalisation (`joint` has no chance-corrected form: arithmetic)."""
    return normalization if normalization in AMI_NORMALIZATIONS else "arithmetic"


def _norm(normalization: str, ha, ho, hj=None):
    """The NMI denominator (works on floats and on numpy arrays alike)."""
    if normalization == "arithmetic":
        return (ha + ho) / 2
    if normalization == "geometric":
        return np.sqrt(ha * ho)
    if normalization == "min":
        return np.minimum(ha, ho)
    if normalization == "max":
        return np.maximum(ha, ho)
    return hj


def _check_normalization(normalization: str) -> None:
    if normalization not in NORMALIZATIONS:
        raise AobenchError(f"--normalization {normalization!r}: allowed: {', '.join(NORMALIZATIONS)}")


# --- expected mutual information ---------------------------------------------------------------------------


def _runs(values: np.ndarray, problem: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(problem, value, multiplicity) of each distinct positive value per problem; input sorted by (problem, value)."""
    keep = values > 0
    v, p = values[keep], problem[keep]
    if v.size == 0:
        return p.astype(np.int64), v, np.zeros(0, np.int64)
    start = np.ones(v.size, bool)
    start[1:] = (v[1:] != v[:-1]) | (p[1:] != p[:-1])
    idx = np.flatnonzero(start)
    return p[idx].astype(np.int64), v[idx], np.diff(np.append(idx, v.size))


def _marginal_runs(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_runs` of each row of a [problems, k] matrix of marginal counts."""
    m = np.sort(np.asarray(m, dtype=np.float64), axis=1)
    return _runs(m.ravel(), np.repeat(np.arange(m.shape[0]), m.shape[1]))


def _expected_mi_many(n, a_prob, a_val, a_mult, b_prob, b_val, b_mult) -> np.ndarray:
    """E[MI] per problem p from its total n[p] and its distinct row / column sums with their multiplicities.

    E[MI] = Σ_ij Σ_k P(k | a_i, b_j, N) (k/N) ln(N k / (a_i b_j)), P hypergeometric (Vinh et al. 2010, eq. 24a;
    scikit-learn's `expected_mutual_information`, the reference). It depends on a cell only through (a_i, b_j),
    so the sum runs once per pair of distinct values (weighted by their multiplicities); each pair's k runs over
    its support within the TAIL window, and P(k+1)/P(k) = (a-k)(b-k) / ((k+1)(N-a-b+k+1)) gives every term from
    the first by one cumulative sum (log space), normalised over the window; vectorised over pairs padded to
    lengths within a factor of 2. No factorial of N is formed, so no rounding grows with N.
    """
    n = np.asarray(n, dtype=np.float64)
    n_prob = n.size
    out = np.zeros(n_prob)
    if a_val.size == 0 or b_val.size == 0:
        return out
    # pairs of distinct values within each problem: every a-entry meets every b-entry of its problem
    kb = np.bincount(b_prob, minlength=n_prob)
    b_start = np.concatenate([[0], np.cumsum(kb)[:-1]])
    rep = kb[a_prob]
    ai = np.repeat(np.arange(a_val.size), rep)
    bi = b_start[a_prob[ai]] + (np.arange(ai.size) - np.repeat(np.cumsum(rep) - rep, rep))
    prob = a_prob[ai]
    a, b, N = a_val[ai].astype(np.float64), b_val[bi].astype(np.float64), n[prob]
    weight = (a_mult[ai] * b_mult[bi]).astype(np.float64)
    mean = a * b / N
    var = mean * (1 - np.maximum(a, b) / N)  # the smaller of the two binomial variances (draws a or b)
    half = TAIL / 3 + np.sqrt(TAIL * TAIL / 9 + 2 * TAIL * var)  # Bernstein: P(|k - mean| > half) < 2 e^-TAIL
    lo = np.maximum(np.maximum(a + b - N, 0.0), np.floor(mean - half))
    hi = np.minimum(np.minimum(a, b), np.ceil(mean + half))
    length = (hi - lo + 1).astype(np.int64)
    log_c = np.log(N) - np.log(a) - np.log(b)
    c_den = N - a - b + 1
    pair_sum = np.zeros(a.size)
    order = np.argsort(length, kind="stable")
    lengths = length[order]
    bounds = np.unique(np.append(np.searchsorted(lengths, 2 ** np.arange(1, 63), side="left"), lengths.size))
    start = 0
    with np.errstate(divide="ignore"):
        for end in bounds:
            if end <= start:
                continue
            width = int(lengths[end - 1])
            # one column per pair, one row per k: sums over k run down columns, vectorised across pairs
            j = np.arange(width, dtype=np.float64)[:, None]
            cols_per_block = max(1, EMI_CHUNK // width)
            for c0 in range(start, end, cols_per_block):
                r = order[c0 : min(end, c0 + cols_per_block)]
                k = lo[r] + j
                ks = k[:-1]
                # ln P(k+1)/P(k) for k = lo .. lo+width-2; steps past the window's end get ln 0 = -inf, so their weights are 0
                step = (a[r] - ks) * (b[r] - ks) * (j[1:] < length[r])
                step /= (ks + 1) * (ks + c_den[r])
                w = np.zeros((width, r.size))
                np.cumsum(np.log(step, out=step), axis=0, out=w[1:])
                # weights normalised over the window: the factorials of P(lo) are never formed (nor their rounding,
                # which grows with N)
                w -= w.max(0)
                np.exp(w, out=w)
                s0 = w.sum(0)
                w *= k
                s1 = w.sum(0)  # Σ w k
                s2 = np.einsum("ij,ij->j", w, np.log(np.maximum(k, 1.0)))  # Σ w k ln k (0 at k = 0)
                # Σ_k P(k) (k/N) ln(N k / (a b)) = (Σ P k ln k + ln(N/(ab)) Σ P k) / N
                pair_sum[r] = (s2 + log_c[r] * s1) / (N[r] * s0)
            start = end
    out = np.bincount(prob, weights=weight * pair_sum, minlength=n_prob)
    # one row or one column: MI is 0 in every permutation (scikit-learn returns 0 exactly)
    n_rows = np.bincount(a_prob, weights=a_mult, minlength=n_prob)
    n_cols = np.bincount(b_prob, weights=b_mult, minlength=n_prob)
    out[(n_rows <= 1) | (n_cols <= 1)] = 0.0
    return out


def expected_mutual_info(row_sums, col_sums) -> float:
    """E[MI] in nats of a table with these marginal counts under the hypergeometric (permutation) model.

    Equals scikit-learn's `expected_mutual_information` (to float precision; see TAIL); 0 for one row or column.
    """
    a = np.sort(np.asarray(row_sums, dtype=np.float64))[None, :]
    b = np.sort(np.asarray(col_sums, dtype=np.float64))[None, :]
    total = float(a.sum())
    if total <= 0:
        return 0.0
    return float(_expected_mi_many(np.array([total]), *_marginal_runs(a), *_marginal_runs(b))[0])


def adjusted_mi(mi, expected, h_attribute, h_object, normalization: str = "arithmetic", n_attributes=2, n_objects=2):
    """AMI = (MI - E[MI]) / (norm - E[MI]), with scikit-learn's conventions (floats or arrays alike).

    One attribute and one object, or no events: 1 (both labelings have zero entropy: nothing to tell apart).
    One attribute or one object (not both): 0. E[MI] equal to the normaliser (to 1e-12 nats: every permutation
    of the table reaches the maximum, as in some tables of 3 events): 1, scikit-learn's "perfect match" —
    scikit-learn reaches it by keeping numerator and denominator one float epsilon from 0 with their sign,
    which the rounding of E[MI] can flip to -1; here the case is decided before rounding can. Never NaN.
    """
    norm = _norm(ami_normalization(normalization), np.asarray(h_attribute, float), np.asarray(h_object, float))
    eps = np.finfo(np.float64).eps
    den = norm - expected
    perfect = np.abs(den) <= 1e-12
    den = np.where(den < 0, np.minimum(den, -eps), np.maximum(den, eps))
    num = mi - np.asarray(expected, float)
    num = np.where(num < 0, np.minimum(num, -eps), np.maximum(num, eps))
    na, no = np.asarray(n_attributes), np.asarray(n_objects)
    out = np.where((na == no) & (na <= 1), 1.0, np.where((na <= 1) | (no <= 1), 0.0, np.where(perfect, 1.0, num / den)))
    return float(out) if out.ndim == 0 else out


# --- plug-in information of one table and of many weightings of it --------------------------------------


def information(table: Contingency, normalization: str = "arithmetic", weights: Optional[np.ndarray] = None, ami: bool = True) -> dict:
    """MI, entropies, NMI and (unless `ami=False`) E[MI] and AMI of a contingency (cell counts optionally replaced by `weights`)."""
    _check_normalization(normalization)
    n = table.counts if weights is None else weights
    total = float(n.sum())
    extra = {"ami": 1.0, "expected_mi": 0.0, "ami_normalization": ami_normalization(normalization)} if ami else {}
    if total <= 0:
        return {"nmi": float("nan"), "mi": 0.0, "h_attribute": 0.0, "h_object": 0.0, "h_joint": 0.0, "normalization": normalization, **extra}
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
        norm = float(_norm(normalization, ha, ho, hj))
        nmi = mi / norm if norm > 0 else 0.0
    out = {"nmi": nmi, "mi": mi, "h_attribute": ha, "h_object": ho, "h_joint": hj, "normalization": normalization}
    if ami:
        emi = expected_mutual_info(a[a > 0], o[o > 0])
        out.update(ami=adjusted_mi(mi, emi, ha, ho, normalization, n_a, n_o), expected_mi=emi, ami_normalization=ami_normalization(normalization))
    return out


def information_many(table: Contingency, weights: np.ndarray, normalization: str = "arithmetic", ami: bool = True) -> dict[str, np.ndarray]:
    """`information` of many weightings of one table at once: weights [B, cells] → arrays [B] (nmi, mi, and ami, expected_mi)."""
    _check_normalization(normalization)
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    n_rep, n_a_all, n_o_all = w.shape[0], len(table.attributes), len(table.objects)
    total = w.sum(1)
    rep = np.arange(n_rep)[:, None]
    a = np.bincount((table.rows[None, :] + rep * n_a_all).ravel(), weights=w.ravel(), minlength=n_rep * n_a_all).reshape(n_rep, n_a_all)
    o = np.bincount((table.cols[None, :] + rep * n_o_all).ravel(), weights=w.ravel(), minlength=n_rep * n_o_all).reshape(n_rep, n_o_all)
    safe_total = np.where(total > 0, total, 1.0)[:, None]

    def plogp(x):  # Σ x/N ln(x/N) per row, 0 where x = 0
        p = x / safe_total
        return (p * np.log(np.where(p > 0, p, 1.0))).sum(1)

    with np.errstate(divide="ignore", invalid="ignore"):
        ha, ho, hj = np.maximum(-plogp(a), 0.0), np.maximum(-plogp(o), 0.0), np.maximum(-plogp(w), 0.0)
        pw = w / safe_total
        lr = np.log(np.where(w > 0, w, 1.0)) + np.log(safe_total) - np.log(np.where(a[:, table.rows] > 0, a[:, table.rows], 1.0)) - np.log(np.where(o[:, table.cols] > 0, o[:, table.cols], 1.0))
        mi = np.maximum((pw * lr).sum(1), 0.0)
        norm = _norm(normalization, ha, ho, hj)
        n_a, n_o = (a > 0).sum(1), (o > 0).sum(1)
        nmi = np.where((n_a == 1) & (n_o == 1), 1.0, np.where(mi == 0, 0.0, np.where(norm > 0, mi / np.where(norm > 0, norm, 1.0), 0.0)))
    nmi = np.where(total > 0, nmi, np.nan)
    out = {"nmi": nmi, "mi": mi, "n_events": total}
    if ami:
        emi = _expected_mi_many(np.where(total > 0, total, 1.0), *_marginal_runs(a), *_marginal_runs(o))
        out["expected_mi"] = emi
        out["ami"] = np.atleast_1d(adjusted_mi(mi, emi, ha, ho, normalization, n_a, n_o))
    return out


def nmi_of_counts(counts: Counts, normalization: str = "arithmetic", ami: bool = True) -> dict:
    """`information` of a Counts table, with event and caption totals."""
    table = Contingency.from_counts(counts)
    out = information(table, normalization, ami=ami)
    out.update(n_events=int(table.counts.sum()), n_captions=counts.n_captions, n_captions_with_pairs=counts.n_captions_with_pairs,
               n_attributes=len(table.attributes), n_objects=len(table.objects))  # fmt: skip
    return out


def pmi_table(counts: Counts, seen_threshold: int = 1, min_count: int = 1) -> list[dict]:
    """Per pair seen at least `min_count` times: count, PMI, NPMI (nats) and whether it counts as seen (marginals from every event)."""
    total = counts.n_events
    if total == 0:
        return []
    ac, oc = counts.attribute_counts(), counts.object_counts()
    rows = []
    for (a, o), n in sorted(counts.pairs.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < min_count:
            continue
        p = n / total
        pmi = math.log(p / ((ac[a] / total) * (oc[o] / total)))
        npmi = 1.0 if p == 1.0 else pmi / -math.log(p)
        rows.append({"attribute": a, "object": o, "count": n, "pmi": pmi, "npmi": npmi, "seen": n >= seen_threshold})
    return rows


def caption_types(caption_pairs) -> Counter:
    """Captions grouped by their pair lists: {(pair, ...): number of captions}; empty captions are left out."""
    return Counter(tuple(sorted(tuple(p) for p in pairs)) for pairs in caption_pairs if pairs)


def plugin_bias(info: dict) -> dict:
    """The plug-in bias expected at a table's size, from its `nmi_of_counts` statistics.

    `expected_mi`: E[MI] of a table with these marginals and no dependence at all (exact, hypergeometric —
    the mean of the shuffled-attribute baseline over every shuffle); `expected_nmi`: that E[MI] over the
    table's normaliser, the NMI such a table shows by chance alone; `miller_madow_mi`: its leading-order
    approximation (R-1)(C-1)/(2N) nats (Miller–Madow), R attributes, C objects, N events.
    """
    emi = info.get("expected_mi")
    n, r, c = info.get("n_events") or 0, info.get("n_attributes") or 0, info.get("n_objects") or 0
    norm = _norm(info.get("normalization", "arithmetic"), info.get("h_attribute", 0.0), info.get("h_object", 0.0), info.get("h_joint", 0.0))
    return {"expected_mi": emi, "expected_nmi": (emi / norm) if emi is not None and norm else None,
            "miller_madow_mi": (r - 1) * (c - 1) / (2 * n) if n else None, "n_events": n, "n_attributes": r, "n_objects": c}  # fmt: skip


# --- captions as count vectors: bootstrap and size-matched subsamples ---------------------------------------


@dataclass
class CaptionTable:
    """A corpus as caption types: each type (a sorted pair list) with its multiplicity and its pair-count vector.

    `table` has one cell per distinct pair (its counts the corpus's); `incidence[t, c]` is how often type t holds
    cell c; `n_captions` counts every caption, those without pairs included. A resample or subsample of
    captions is then a vector of type counts, and its table is `weights(drawn)` — nothing is parsed again.
    """

    table: Contingency
    incidence: object  # scipy.sparse.csr_matrix [types, cells]
    mult: np.ndarray
    n_captions: int

    @classmethod
    def from_types(cls, captions, n_captions: Optional[int] = None) -> "CaptionTable":
        """From per-caption pair lists or a `caption_types` Counter (`n_captions`: all captions, default those given)."""
        if isinstance(captions, Counter):
            types = captions
            n_cap = n_captions if n_captions is not None else sum(types.values())
        else:
            captions = list(captions)
            types = caption_types(captions)
            n_cap = n_captions if n_captions is not None else len(captions)
        types = Counter({k: m for k, m in sorted(types.items()) if k and m > 0})
        from scipy.sparse import csr_matrix

        pair_ids: dict[tuple[str, str], int] = {}
        type_of, pair_of = [], []
        for t, key in enumerate(types):
            for pair in key:
                type_of.append(t)
                pair_of.append(pair_ids.setdefault(tuple(pair), len(pair_ids)))
        keys = list(pair_ids)
        attrs, objs = sorted({a for a, _ in keys}), sorted({o for _, o in keys})
        ai, oi = {a: i for i, a in enumerate(attrs)}, {o: i for i, o in enumerate(objs)}
        inc = csr_matrix((np.ones(len(type_of)), (np.asarray(type_of, np.int64), np.asarray(pair_of, np.int64))), shape=(len(types), len(keys)))
        mult = np.asarray(list(types.values()), dtype=np.int64)
        counts = np.asarray(inc.T @ mult.astype(np.float64)).ravel()
        table = Contingency(np.array([ai[a] for a, _ in keys], np.int64), np.array([oi[o] for _, o in keys], np.int64), counts, attrs, objs)
        return cls(table, inc, mult, max(int(n_cap), int(mult.sum())))

    @property
    def n_with_pairs(self) -> int:
        """Captions holding at least one pair."""
        return int(self.mult.sum())

    def weights(self, drawn: np.ndarray) -> np.ndarray:
        """Cell counts [B, cells] of type-count vectors drawn [B, types]."""
        return np.asarray((self.incidence.T @ np.asarray(drawn, dtype=np.float64).T).T)

    def _blocks(self, n: int):
        step = max(1, (1 << 22) // max(1, self.mult.size + self.table.counts.size))
        return (range(i, min(n, i + step)) for i in range(0, n, step))

    def resample(self, n_boot: int, rng: np.random.Generator, normalization: str, ami: bool = True) -> dict[str, np.ndarray]:
        """`information_many` of `n_boot` resamples of all captions with replacement (empty captions included)."""
        parts = []
        for block in self._blocks(n_boot):
            # how many of the n_captions draws hold pairs, then which types they are: one multinomial over all captions
            k = rng.binomial(self.n_captions, min(1.0, self.n_with_pairs / self.n_captions), size=len(block))
            drawn = rng.multinomial(k, self.mult / self.n_with_pairs)
            parts.append(information_many(self.table, self.weights(drawn), normalization, ami))
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def subsample(self, n: int, repeats: int, rng: np.random.Generator, normalization: str, ami: bool = True) -> dict[str, np.ndarray]:
        """`information_many` of `repeats` draws of exactly `n` captions without replacement (empty captions included)."""
        colors = np.append(self.mult, self.n_captions - self.n_with_pairs)
        parts = []
        for block in self._blocks(repeats):
            drawn = rng.multivariate_hypergeometric(colors, n, size=len(block))[:, :-1]
            parts.append(information_many(self.table, self.weights(drawn), normalization, ami))
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def basic_interval(estimate: float, replicates: np.ndarray, level: float = 0.95, lower: float = -math.inf, upper: float = math.inf,
                   bias_corrected: bool = True) -> dict:  # fmt: skip
    """The basic bootstrap interval of a statistic θ̂ from its bootstrap replicates θ*: [2θ̂ - q_hi, 2θ̂ - q_lo].

    It pivots on θ* - θ̂ ≈ θ̂ - θ, so it is corrected for the statistic's bias — which the percentile interval
    [q_lo, q_hi] is not (it excludes an upward-biased θ̂). `estimate` is the matching point 2θ̂ - median(θ*),
    the interval at level 0, inside the interval always; `bias` is the bootstrap bias mean(θ*) - θ̂.

    `bias_corrected=False` (for a statistic already corrected for its bias, such as AMI): the same spread
    reflected about θ̂ itself, [θ̂ - (q_hi - m), θ̂ + (m - q_lo)] with m = median(θ*); `estimate` is θ̂ and the
    bootstrap bias is reported, not applied. Values are clipped to [lower, upper]; undefined replicates (no
    events) are left out.
    """
    reps = np.asarray(replicates, dtype=np.float64)
    reps = reps[np.isfinite(reps)]
    method = "basic" if bias_corrected else "basic, centred on the estimate"
    if reps.size == 0 or not math.isfinite(estimate):
        return {"method": method, "estimate": None, "low": None, "high": None, "bias": None, "std": None, "n_valid": int(reps.size)}
    q_lo, q_mid, q_hi = np.percentile(reps, [(1 - level) / 2 * 100, 50.0, (1 + level) / 2 * 100])
    centre = estimate if bias_corrected else q_mid  # the pivot's centre: θ̂ (bias applied) or median(θ*) (not applied)

    def clip(x: float) -> float:
        return float(min(max(x, lower), upper))

    return {"method": method, "estimate": clip(estimate - (q_mid - centre)), "low": clip(estimate - (q_hi - centre)), "high": clip(estimate - (q_lo - centre)),
            "bias": float(reps.mean() - estimate), "std": float(reps.std(ddof=1)) if reps.size > 1 else 0.0, "n_valid": int(reps.size)}  # fmt: skip


CI_METHOD = "basic"  # the basic (reverse-percentile) bootstrap interval: 2θ̂ - q


def bootstrap_ci(captions, n_boot: int, normalization: str = "arithmetic", seed: int = 0, level: float = 0.95,
                 n_captions: Optional[int] = None, ami: bool = True) -> dict:  # fmt: skip
    """Bias-corrected bootstrap intervals of NMI and AMI, resampling captions (not events): captions' pairs stay together.

    `captions` is a list of per-caption pair lists or a `caption_types` Counter (memory bounded by the distinct
    pair lists, not the corpus); `n_captions` counts every caption, those without pairs included. Each resample
    draws n_captions captions with replacement, exactly, as a multinomial over the caption types (vectorised:
    no caption is parsed again). Returns {"method": "basic", "level", "n_boot", "seed", "resample": "captions",
    "nmi": basic_interval(...), "ami": ...}, or {} when there is nothing to resample.

    What the intervals are for. NMI's (bias-corrected): the population NMI of the distribution the captions'
    events were drawn from. AMI's: the population AMI, defined as the value AMI tends to as the number of
    events grows — E[MI] of N events falls as (R-1)(C-1)/(2N), so that value is the population NMI in AMI's
    normalisation. AMI is already corrected for the plug-in bias, so its interval is the bootstrap spread
    centred on AMI itself (`basic_interval(bias_corrected=False)`); applying the bootstrap's bias would be
    wrong for it: resampling captions with replacement duplicates rare pairs, which raises MI more than the
    E[MI] of the resampled marginals expects, so AMI* sits above AMI by an artefact of resampling, not by a
    bias of AMI. Coverage of both on known distributions: tests/test_text_stats.py. On very sparse tables
    (open vocabulary) AMI and NMI can differ widely; no interval fixes that — compare at one size (`size_matched`).
    """
    ct = CaptionTable.from_types(captions, n_captions)
    if ct.mult.size == 0 or n_boot < 1 or ct.n_captions < 1:
        return {}
    point = information(ct.table, normalization, ami=ami)
    reps = ct.resample(n_boot, np.random.default_rng(seed), normalization, ami)
    out = {"method": CI_METHOD, "level": level, "n_boot": n_boot, "seed": seed, "resample": "captions",
           "nmi": basic_interval(point["nmi"], reps["nmi"], level, 0.0, 1.0)}  # fmt: skip
    if ami:
        out["ami"] = basic_interval(point["ami"], reps["ami"], level, -math.inf, 1.0, bias_corrected=False)
        out["ami"]["normalization"] = point["ami_normalization"]
    return out


def size_matched(captions, n: int, repeats: int = 20, normalization: str = "arithmetic", seed: int = 0, level: float = 0.95,
                 n_captions: Optional[int] = None) -> dict:  # fmt: skip
    """NMI and AMI at exactly `n` captions: `repeats` seeded draws without replacement → mean, std and the central `level` range.

    Comparing corpora at one n removes the part of plug-in NMI that is sample size; the range is the spread
    over draws (the variability of an n-caption corpus drawn from this one), not a CI of the full corpus.
    """
    ct = CaptionTable.from_types(captions, n_captions)
    if n > ct.n_captions or n < 1:
        raise AobenchError(f"--sample-captions {n}: the corpus has {ct.n_captions} captions — choose 1..{ct.n_captions}")
    if repeats < 1:
        raise AobenchError(f"--repeats {repeats}: must be at least 1")
    out = {"n_captions": n, "repeats": repeats, "seed": seed, "sampling": "captions without replacement", "level": level}
    if ct.mult.size == 0:
        vals = {"nmi": np.full(repeats, np.nan), "ami": np.ones(repeats)}
    else:
        vals = ct.subsample(n, repeats, np.random.default_rng(seed), normalization)
    for key in ("nmi", "ami"):
        v = vals[key][np.isfinite(vals[key])]
        if v.size == 0:
            out[key] = {"mean": None, "low": None, "high": None, "std": None}
            continue
        lo, hi = np.percentile(v, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
        out[key] = {"mean": float(v.mean()), "low": float(lo), "high": float(hi), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0}
    out["ami"]["normalization"] = ami_normalization(normalization)
    return out
