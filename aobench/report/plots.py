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


def pmi_histogram(corpus: Corpus, path: Path, min_count: Optional[int] = None) -> Optional[Path]:
    """Histogram of PMI over the corpus's pairs seen at least `min_count` times (default: the corpus's `--min-count`, else 1).

    Pairs seen once have the most extreme PMI and the least evidence; a floor keeps them from filling the tails.
    """
    floor = int(min_count if min_count is not None else corpus.stats.get("min_count") or 1)
    pmis = [p["pmi"] for p in corpus.pairs if p.get("pmi") is not None and (p.get("count") or 0) >= floor]
    if not pmis:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist(pmis, bins=min(50, max(5, len(pmis) // 5)), color="#4c72b0")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("PMI (pair vs independent attribute and object)")
    ax.set_ylabel("pairs")
    ax.set_title(f"{corpus.name}: PMI of {len(pmis)} pairs" + (f" seen ≥ {floor} times" if floor > 1 else ""), fontsize=9)
    return _save(fig, path)


def corpus_statistic(corpora: list[Corpus]) -> tuple[str, str]:
    """Which statistic the NMI figure shows, and its label: size-matched NMI when every corpus has it at one n, else AMI, else plug-in NMI."""
    ats = [c.stats.get("at_n") or {} for c in corpora]
    sizes = {a.get("n_captions") for a in ats}
    if corpora and all(a.get("nmi", {}).get("mean") is not None for a in ats) and len(sizes) == 1:
        a = ats[0]
        return "at_n", f"NMI at {a['n_captions']:,} captions (mean of {a.get('repeats', '?')} draws; bars: 95% of draws)"
    if corpora and all(c.stats.get("ami") is not None for c in corpora):
        norm = corpora[0].stats.get("ami_normalization", "arithmetic")
        return "ami", f"AMI ({norm}; chance-corrected)" + (" (bars: 95% basic bootstrap CI)" if all((c.stats.get("ci") or {}).get("ami") for c in corpora) else "")
    return "nmi", "plug-in NMI" + (" (bars: 95% bootstrap CI)" if any(c.ci for c in corpora) else "")


def nmi_per_corpus(corpora: list[Corpus], path: Path) -> Optional[Path]:
    """Bars per corpus of the statistic `corpus_statistic` picks (labelled), with its interval as error bars when present."""
    corpora = [c for c in corpora if c.nmi is not None]
    if not corpora:
        return None
    which, label = corpus_statistic(corpora)
    rows = []
    for c in corpora:
        if which == "at_n":
            a = c.stats["at_n"]["nmi"]
            rows.append((c.name, a["mean"], (a["low"], a["high"]) if a.get("low") is not None else None))
        elif which == "ami":
            iv = (c.stats.get("ci") or {}).get("ami") or {}
            rows.append((c.name, float(c.stats["ami"]), (iv["low"], iv["high"]) if iv.get("low") is not None else None))
        else:
            rows.append((c.name, c.nmi, c.ci))
    fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(rows)), 3.4))
    vals = [v for _, v, _ in rows]
    lo = [max(0.0, v - ci[0]) if ci else 0 for _, v, ci in rows]
    hi = [max(0.0, ci[1] - v) if ci else 0 for _, v, ci in rows]
    ax.bar(range(len(rows)), vals, yerr=[lo, hi], capsize=4, color="#55a868")
    ax.set_xticks(range(len(rows)), [n for n, _, _ in rows], rotation=20, ha="right")
    ax.set_ylabel({"at_n": "NMI at n captions", "ami": "AMI(attribute; object)"}.get(which, "NMI(attribute; object)"))
    ax.set_title(label, fontsize=9)
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
