"""The spectrum figures (PNG, matplotlib Agg): compositionality against recognition over models, and metrics against training step.

`spectrum.png`: one panel per compositional metric (y) against the recognition metric (x); a point per
model, marked by group (pre-trained, fine-tuned, WiSE-FT, random); checkpoint series and WiSE-FT sweeps drawn
as paths in step / alpha order; chance levels as dashed lines; published checkpoints (`--reference`) in grey
behind; ±1 standard error bars where the results state one (`<metric>_stderr`). `dynamics.png`: per checkpoint series, each metric against the step, one line per subset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from aobench.evaluate.plots import save_figure
from aobench.spectrum.reference import Reference
from aobench.spectrum.table import CLASSIFICATION, FINE_TUNED, MEAN, PRE_TRAINED, RANDOM, WISE, ModelRow, SpectrumTable

MARKERS = {PRE_TRAINED: "o", FINE_TUNED: "^", WISE: "D", RANDOM: "x"}
MAX_LABELS = 12  # models named beside their point; more would cover the figure
MAX_SERIES = 8  # rows of dynamics.png


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on CI or on a GPU box
    import matplotlib.pyplot as plt

    return plt


def _pct(v: Optional[float]) -> str:
    return "n/a" if v is None else f"{v:+.2f}"


def series_of(table: SpectrumTable) -> dict[str, list[ModelRow]]:
    """Rows per series (checkpoint folder or WiSE pair) with at least two points, in step / alpha order."""
    out: dict[str, list[ModelRow]] = {}
    for r in table.rows:
        if r.series and (r.step is not None or r.alpha is not None):
            out.setdefault(r.series, []).append(r)
    return {k: sorted(v, key=lambda r: (r.alpha if r.alpha is not None else r.step)) for k, v in out.items() if len(v) >= 2}


def spectrum_figure(table: SpectrumTable, x: str, ys: list[str], path: Path, correlations: Optional[dict] = None,
                    reference: Optional[Reference] = None) -> Optional[Path]:  # fmt: skip
    """Write the scatter of each y against x; None when no model has both."""
    panels = [y for y in ys if any(r.values.get(x) is not None and r.values.get(y) is not None for r in table.rows)]
    if not panels:
        return None
    plt = _pyplot()
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 4.2 * nrows), squeeze=False)
    xcol = table.columns[x]
    series = series_of(table)
    colours = {name: plt.cm.tab10(i % 10) for i, name in enumerate(series)}
    for ax, y in zip(axes.flat, panels):
        ycol = table.columns[y]
        if reference is not None:
            for ft in (False, True):
                pts = [(reference.value(r, xcol), reference.value(r, ycol)) for r in reference.rows if r.fine_tuned == ft]
                pts = [(a, b) for a, b in pts if a is not None and b is not None]
                if pts:
                    ax.scatter(*zip(*pts), s=14, c="0.75", marker="^" if ft else "o", zorder=1,
                               label=f"published, {'fine-tuned' if ft else 'pre-trained'} ({len(pts)})")  # fmt: skip
        for name, rows in series.items():
            pts = [(r.values.get(x), r.values.get(y)) for r in rows]
            pts = [p for p in pts if None not in p]
            if len(pts) >= 2:
                ax.plot(*zip(*pts), "-", color=colours[name], lw=1.2, alpha=0.8, zorder=2)
        drawn = set()
        for r in table.rows:
            xv, yv = r.values.get(x), r.values.get(y)
            if xv is None or yv is None:
                continue
            colour = colours.get(r.series, "#c44e52" if r.group == FINE_TUNED else "#4c72b0")
            label = r.group if r.group not in drawn else None
            drawn.add(r.group)
            xe, ye = r.stderrs.get(x), r.stderrs.get(y)
            if xe is not None or ye is not None:  # ±1 standard error, as the results state it
                ax.errorbar([xv], [yv], xerr=None if xe is None else [xe], yerr=None if ye is None else [ye], fmt="none", ecolor=colour, elinewidth=0.7, alpha=0.7, zorder=2)
            edge = {} if MARKERS.get(r.group) == "x" else {"edgecolors": "black", "linewidths": 0.4}  # 'x' has no face to outline
            ax.scatter([xv], [yv], marker=MARKERS.get(r.group, "o"), color=colour, s=36, zorder=3, label=label, **edge)
        named = [r for r in table.rows if r.values.get(x) is not None and r.values.get(y) is not None]
        ends = {id(rows[i]) for rows in series.values() for i in (0, -1)}  # a path's two ends are always named
        for r in named:
            if len(named) <= MAX_LABELS or id(r) in ends:
                tag = f"α={r.alpha:g}" if r.alpha is not None else (f"step {r.step}" if r.step is not None and r.series else r.label)
                ax.annotate(tag, (r.values[x], r.values[y]), fontsize=6, xytext=(3, 3), textcoords="offset points")
        for value, line in ((ycol.chance, ax.axhline), (xcol.chance, ax.axvline)):
            if value is not None:
                line(value, color="0.4", ls="--", lw=0.8, zorder=0)
        if ycol.chance is not None:
            ax.annotate("chance", (0, ycol.chance), xycoords=("axes fraction", "data"), fontsize=6, color="0.4", xytext=(2, 2), textcoords="offset points")
        title = y
        pair = (correlations or {}).get((x, y))
        if pair:
            title += f"\nPearson r {_pct(pair['pearson']['r'])}, Spearman ρ {_pct(pair['spearman']['r'])} (n = {pair['n']})"
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(f"{x} (recognition)", fontsize=8)
        ax.set_ylabel(f"{y} (compositionality)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="best")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    return save_figure(fig, path)


def subset_lines(table: SpectrumTable, column: str) -> list[str]:
    """The subset columns of a column (dynamics' lines): the datasets of the mean, the subsets of a benchmark, or none."""
    col = table.columns[column]
    if col.dataset == MEAN:  # the mean zero-shot accuracy: a line per classification dataset
        return [f"{d}/{CLASSIFICATION}/acc1" for d in col.parts]
    return sorted(c.name for c in table.columns.values() if c.subset is not None and not c.headline and c.group == col.group and c.task == col.task)


def dynamics_figure(table: SpectrumTable, metrics: list[str], path: Path) -> Optional[Path]:
    """Write each metric against the step for every checkpoint series (one line per subset); None when there is no series of steps."""
    series = {k: v for k, v in series_of(table).items() if all(r.step is not None for r in v)}
    if not series or not metrics:
        return None
    names = list(series)[:MAX_SERIES]
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(len(names), len(metrics), figsize=(4.2 * len(metrics), 3.2 * len(names)), squeeze=False)
    for i, name in enumerate(names):
        rows = series[name]
        steps = [r.step for r in rows]
        for j, m in enumerate(metrics):
            ax = axes[i][j]
            col = table.columns[m]
            for sub in subset_lines(table, m):
                ys = [r.values.get(sub) for r in rows]
                if any(v is not None for v in ys):
                    ax.plot(steps, [float("nan") if v is None else v for v in ys], "-", lw=1, alpha=0.8, label=table.columns[sub].subset or table.columns[sub].dataset)
            ys = [r.values.get(m) for r in rows]
            ax.plot(steps, [float("nan") if v is None else v for v in ys], "-o", color="black", lw=2, ms=3, label=col.metric if not col.derived else "mean")
            if col.chance is not None:
                ax.axhline(col.chance, color="0.4", ls="--", lw=0.8)
            ax.set_title(f"{name}\n{m}" if j == 0 else m, fontsize=7)
            ax.set_xlabel("step (epoch)", fontsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.tick_params(labelsize=6)
            ax.legend(fontsize=5, loc="best")
    fig.tight_layout()
    return save_figure(fig, path)
