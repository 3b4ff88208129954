"""Report figures of builds and corpora as PNG (matplotlib, Agg backend): each function writes one file and returns its path, or None when it has no data.

Figures of eval results across models are evaluate's own (`aobench.evaluate.plots`); the report draws them with those functions.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI or on a GPU box
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from aobench.evaluate.plots import save_figure as _save  # noqa: E402
from aobench.nmidir import Corpus  # noqa: E402

MAX_HEATMAP = 40  # attributes/objects shown in a heatmap; more is unreadable at report size


def images_per_type(records: list[dict], path: Path) -> Optional[Path]:
    """Grouped bars: kept images per attribute type, one bar per split (dropped shown hatched)."""
    if not records:
        return None
    splits = list(dict.fromkeys(r.get("split", "?") for r in records))
    types = sorted({r.get("attribute_type") or "?" for r in records})
    kept = Counter((r.get("split", "?"), r.get("attribute_type") or "?") for r in records if r.get("filters") == "kept")
    dropped = Counter((r.get("split", "?"), r.get("attribute_type") or "?") for r in records if r.get("filters") != "kept")
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(types) * max(1, len(splits)) / 2), 3.6))
    width = 0.8 / len(splits)
    for i, s in enumerate(splits):
        xs = [j + i * width for j in range(len(types))]
        k = [kept[(s, t)] for t in types]
        ax.bar(xs, k, width, label=s)
        d = [dropped[(s, t)] for t in types]
        if any(d):
            ax.bar(xs, d, width, bottom=k, color="none", edgecolor="grey", hatch="//", label=f"{s} dropped")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(types))], types)
    ax.set_ylabel("images")
    ax.set_title("Images per attribute type and split")
    ax.legend(fontsize=8)
    return _save(fig, path)


def pair_heatmap(corpus: Corpus, path: Path) -> Optional[Path]:
    """Attributes × objects pair counts of a corpus (the most frequent ones), log colour scale."""
    rows = [p for p in corpus.pairs if p.get("count", 0) > 0 and p.get("attribute") and p.get("object")]
    if not rows:
        return None
    a_tot, o_tot = Counter(), Counter()
    for p in rows:
        a_tot[p["attribute"]] += p["count"]
        o_tot[p["object"]] += p["count"]
    attrs = [a for a, _ in a_tot.most_common(MAX_HEATMAP)]
    objs = [o for o, _ in o_tot.most_common(MAX_HEATMAP)]
    ai, oi = {a: i for i, a in enumerate(attrs)}, {o: i for i, o in enumerate(objs)}
    grid = [[math.nan] * len(objs) for _ in attrs]
    for p in rows:
        if p["attribute"] in ai and p["object"] in oi:
            grid[ai[p["attribute"]]][oi[p["object"]]] = p["count"]
    vmax = max(max((v for v in row if not math.isnan(v)), default=1) for row in grid)
    fig, ax = plt.subplots(figsize=(2 + 0.22 * len(objs), 1.5 + 0.2 * len(attrs)))
    im = ax.imshow(grid, norm=LogNorm(vmin=1, vmax=max(vmax, 2)), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(objs)), objs, rotation=90, fontsize=7)
    ax.set_yticks(range(len(attrs)), attrs, fontsize=7)
    ax.set_title(f"{corpus.name}: pair counts (log; blank = never seen)", fontsize=9)
    fig.colorbar(im, ax=ax, label="count")
    return _save(fig, path)


def pmi_histogram(corpus: Corpus, path: Path) -> Optional[Path]:
    """Histogram of PMI over the corpus's observed pairs."""
    pmis = [p["pmi"] for p in corpus.pairs if p.get("pmi") is not None]
    if not pmis:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist(pmis, bins=min(50, max(5, len(pmis) // 5)), color="#4c72b0")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("PMI (pair vs independent attribute and object)")
    ax.set_ylabel("pairs")
    ax.set_title(f"{corpus.name}: PMI of {len(pmis)} pairs", fontsize=9)
    return _save(fig, path)


def nmi_per_corpus(corpora: list[Corpus], path: Path) -> Optional[Path]:
    """NMI per corpus as bars, with bootstrap CIs as error bars when present."""
    rows = [(c.name, c.nmi, c.ci) for c in corpora if c.nmi is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(rows)), 3.4))
    vals = [v for _, v, _ in rows]
    lo = [v - ci[0] if ci else 0 for _, v, ci in rows]
    hi = [ci[1] - v if ci else 0 for _, v, ci in rows]
    ax.bar(range(len(rows)), vals, yerr=[lo, hi], capsize=4, color="#55a868")
    ax.set_xticks(range(len(rows)), [n for n, _, _ in rows], rotation=20, ha="right")
    ax.set_ylabel("NMI(attribute; object)")
    ax.set_title("NMI per corpus" + (" (95% CI)" if any(ci for *_, ci in rows) else ""))
    return _save(fig, path)


def _pearson(xs: list[float], ys: list[float]) -> Optional[float]:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx, syy = sum((x - mx) ** 2 for x in xs), sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


def _scatter(points: list[tuple[str, float, float]], path: Path, xlabel: str, ylabel: str, title: str) -> Path:
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ax.scatter(xs, ys, color="#c44e52")
    for name, x, y in points:
        ax.annotate(name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    r = _pearson(xs, ys)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title + (f" (Pearson r = {r:.2f}, n = {len(xs)})" if r is not None else f" (n = {len(xs)})"), fontsize=9)
    return _save(fig, path)


def nmi_vs_accuracy(points: list[tuple[str, float, float]], path: Path) -> Optional[Path]:
    """Scatter: training-corpus NMI (x) vs composition accuracy (y), one point per model."""
    if not points:
        return None
    return _scatter(points, path, "NMI of the model's training corpus", "composition accuracy", "NMI vs accuracy")
