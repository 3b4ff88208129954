"""`make_spectrum(results, out)`: read → join → correlate → plot; writes spectrum.csv, correlations.json, spectrum.png, dynamics.png."""

from __future__ import annotations

import csv
import difflib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from aobench.correlation import correlate
from aobench.errors import AobenchError
from aobench.io import atomic_write_json, atomic_write_text, writable_dir
from aobench.locks import holding
from aobench.spectrum import roles
from aobench.spectrum.reference import Reference, read_reference
from aobench.spectrum.table import CLASSIFICATION, FINE_TUNED, MEAN, PRE_TRAINED, SpectrumTable, load_table

log = logging.getLogger(__name__)

CSV_NAME, CORRELATIONS_NAME, SPECTRUM_PNG, DYNAMICS_PNG = "spectrum.csv", "correlations.json", "spectrum.png", "dynamics.png"
ROW_KEYS = ("model", "pretrained", "spec", "group", "series", "step", "alpha")


def protocol(n_boot: int, draws: int, seed: int, level: float) -> str:
    """The correlation protocol, as correlations.json states it."""
    return (f"Pearson r and Spearman rho (average ranks for ties) over the models that have both metrics (n per pair); "
            f"{level:.0%} percentile bootstrap interval over models ({n_boot} paired resamples, seed {seed}; resamples with a constant "
            f"metric are dropped and counted); two-sided permutation p-value of |r| (exact over all n! orders for n <= 8, else "
            f"Monte Carlo (1 + hits) / (1 + {draws}), seed {seed}); chance: r = 0 (no association). Points of one checkpoint series "
            f"or WiSE-FT sweep are not independent models.")  # fmt: skip


@dataclass
class SpectrumRun:
    """What `make_spectrum` wrote and found."""

    out: Path
    x: str
    y: list[str]
    n_models: int
    n_results: int
    csv: Optional[Path] = None
    correlations: Optional[Path] = None
    figures: list[Path] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _pick(table: SpectrumTable, name: str, flag: str) -> str:
    if name in table.columns:
        return name
    near = difflib.get_close_matches(name, list(table.columns), n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(near)}?" if near else f"; columns: {', '.join(sorted(table.columns)[:8])}, … (see spectrum.csv)"
    raise AobenchError(f"{flag} {name}: no such metric in the results{hint}")


def default_x(table: SpectrumTable) -> Optional[str]:
    """The mean zero-shot classification accuracy when CLIP_benchmark classification results are present, else aobench's object accuracy."""
    mean = f"{MEAN}/{CLASSIFICATION}/acc1"
    if mean in table.columns:
        return mean
    obj = sorted(c.name for c in table.columns.values() if c.task == "object" and c.headline)
    if obj:
        return obj[0]
    rec = table.by_role(roles.RECOGNITION)
    return rec[0] if rec else None


def choose_axes(table: SpectrumTable, x: Optional[str], y: Optional[Sequence[str]]) -> tuple[str, list[str]]:
    """(x, ys): the given ones checked against the table's columns, else the defaults."""
    xs = _pick(table, x, "--x") if x else default_x(table)
    if xs is None:
        raise AobenchError("no recognition metric in the results (CLIP_benchmark zero-shot classification, or aobench's object task) — pass --x METRIC")
    ys = [_pick(table, v, "--y") for v in y] if y else table.by_role(roles.COMPOSITIONAL)
    if not ys:
        raise AobenchError("no compositionality metric in the results (aobench composition, the suite's benchmarks, CLIP_benchmark sugar_crepe/winoground) — pass --y METRIC")
    return xs, ys


def _pairs(table: SpectrumTable, x: str, ys: list[str], reference: Optional[Reference], n_boot: int, draws: int, seed: int, level: float,
           progress: bool = False) -> list[dict]:  # fmt: skip
    from contextlib import nullcontext

    from aobench.progress import make_progress

    recognition = [x] + [c for c in table.by_role(roles.RECOGNITION) if c != x]
    todo = [(y, xr) for y in ys for xr in recognition if xr != y]
    out = []
    with make_progress("pairs", transient=True) if progress else nullcontext() as prog:
        task = prog.add_task("correlations", total=len(todo)) if prog else None
        for y, xr in todo:
            rows = [r for r in table.rows if r.values.get(xr) is not None and r.values.get(y) is not None]
            xv, yv = [r.values[xr] for r in rows], [r.values[y] for r in rows]
            res = correlate(xv, yv, n_boot=n_boot, draws=draws, seed=seed, level=level)
            pair = {"x": xr, "y": y, "n": res.pop("n"), **res, "chance": {"r": 0.0, "x": table.columns[xr].chance, "y": table.columns[y].chance},
                    "models": [r.label for r in rows]}  # fmt: skip
            if reference is not None:
                pts = [(reference.value(r, table.columns[xr]), reference.value(r, table.columns[y])) for r in reference.rows]
                pts = [p for p in pts if None not in p]
                pair["reference"] = correlate([a for a, _ in pts], [b for _, b in pts], n_boot=n_boot, draws=draws, seed=seed, level=level)
            out.append(pair)
            if prog:
                prog.advance(task)
    return out


def write_table_csv(path: Path, table: SpectrumTable, first: Sequence[str] = ()) -> Path:
    """spectrum.csv: a row per model (ROW_KEYS), then a column per metric (`first` ones leading, the rest sorted)."""
    metrics = list(dict.fromkeys([*first, *sorted(table.columns)]))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([*ROW_KEYS, *metrics])
    for r in table.rows:
        ident = [r.model, r.pretrained, r.spec, r.group, r.series or "", "" if r.step is None else r.step, "" if r.alpha is None else f"{r.alpha:g}"]
        w.writerow(ident + [("" if r.values.get(m) is None else repr(r.values[m])) for m in metrics])
    atomic_write_text(path, buf.getvalue())
    return path


@holding("aobench spectrum")  # one writer of OUT at a time, as every command that writes a folder
def make_spectrum(results: Sequence[str | Path], out: str | Path, *, x: Optional[str] = None, y: Optional[Sequence[str]] = None,
                  reference: Optional[Sequence[str | Path]] = None, reference_scale: float = 100.0, fine_tuned: Sequence[str] = (),
                  pre_trained: Sequence[str] = (), seed: int = 0, bootstrap: int = 2000, permutations: int = 9999, level: float = 0.95,
                  plots: bool = True, progress: bool = True) -> SpectrumRun:  # fmt: skip
    """Join the result JSONs below RESULTS (aobench's and CLIP_benchmark's) by (model, pretrained) and write the spectrum into OUT.

    `x`/`y`: spectrum.csv column names (`dataset/task/metric`); default x is the mean zero-shot classification
    accuracy over the datasets present (else aobench's object accuracy), default y every compositionality
    aggregate present. `reference`: published per-checkpoint CSVs (vl_compo's format, values in percent unless
    `reference_scale` says otherwise) drawn behind and correlated alike. `fine_tuned` / `pre_trained`: globs
    over a model's spec or pretrained that set its group. `seed`, `bootstrap`, `permutations`: the correlation
    protocol (stated in correlations.json).
    """
    if bootstrap < 0 or permutations < 1:
        raise AobenchError(f"--bootstrap {bootstrap} / --permutations {permutations}: need bootstrap >= 0 and permutations >= 1")
    if not 0 < level < 1:
        raise AobenchError(f"--level {level}: a confidence level lies strictly between 0 and 1 (e.g. 0.95)")
    marks = {**{g: FINE_TUNED for g in fine_tuned}, **{g: PRE_TRAINED for g in pre_trained}}
    table = load_table(results, marks)
    xs, ys = choose_axes(table, x, y)
    ref = read_reference(list(reference), reference_scale) if reference else None
    out = writable_dir(Path(out))  # before the correlations: a bad --out fails at once (and only valid input creates it)
    run = SpectrumRun(out, xs, ys, len(table.rows), table.n_results, notes=list(table.notes))
    if len(table.rows) < 3:
        run.notes.append(f"{len(table.rows)} model(s): a correlation needs at least 3 (r, CIs and p-values are null)")
    if any(r.series for r in table.rows):
        run.notes.append("checkpoint series / WiSE-FT sweeps are among the models: their points are not independent, so p-values over all models overstate the evidence")
    run.pairs = _pairs(table, xs, ys, ref, bootstrap, permutations, seed, level, progress)
    run.csv = write_table_csv(out / CSV_NAME, table, [xs, *ys])
    doc = {
        "protocol": protocol(bootstrap, permutations, seed, level), "seed": seed, "n_bootstrap": bootstrap, "n_permutations": permutations,
        "level": level, "n_models": len(table.rows), "n_results": table.n_results, "x": xs, "y": ys,
        "columns": {name: {"role": c.role, "chance": c.chance, "derived": c.derived or None, "source": c.source}
                    for name, c in sorted(table.columns.items()) if c.headline or name in (xs, *ys)},
        "pairs": run.pairs,
        "reference": {"files": [str(p) for p in ref.files], "n_models": len(ref.rows), "scale": reference_scale} if ref else None,
        "notes": run.notes,
    }  # fmt: skip
    run.correlations = out / CORRELATIONS_NAME
    atomic_write_json(run.correlations, doc)
    if plots:
        from aobench.spectrum.plots import dynamics_figure, spectrum_figure

        by_pair = {(p["x"], p["y"]): p for p in run.pairs}
        made = [spectrum_figure(table, xs, ys, out / SPECTRUM_PNG, by_pair, ref), dynamics_figure(table, [*ys, xs], out / DYNAMICS_PNG)]
        run.figures = [p for p in made if p is not None]
        if made[1] is None:
            run.notes.append("no checkpoint series with two or more steps: dynamics.png not drawn")
    return run


MIN_MODELS = 3  # fewer models make no spectrum (and no correlation)


def draw_spectrum(results: Sequence, path: str | Path, min_models: int = MIN_MODELS) -> Optional[Path]:
    """The spectrum scatter of results already read (the report's figure), with the default axes; None under `min_models` models or without both axes."""
    from aobench.spectrum.plots import spectrum_figure
    from aobench.spectrum.table import build_table

    table = build_table(results)
    if len(table.rows) < min_models:
        return None
    try:
        xs, ys = choose_axes(table, None, None)
    except AobenchError:
        return None  # no recognition or no compositionality metric among the results: no spectrum to draw
    pairs = _pairs(table, xs, ys, None, 0, 9999, 0, 0.95)
    return spectrum_figure(table, xs, ys, Path(path), {(p["x"], p["y"]): p for p in pairs})
