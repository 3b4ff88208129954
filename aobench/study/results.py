"""Study outputs: per-level means with 95% CIs and coverage, correlation and slope statistics; the contents of the study document, its CSV, plot and summary (written by StudyDir).

Three accuracies are analysed alike, so a reader can see whether unusual-pair accuracy moves more than
seen-pair accuracy: closed-world composition accuracy on unusual (held-out) pairs, on seen pairs, the
best harmonic mean of the czsl bias sweep, and the per-run difference unusual - seen.
Across runs: Spearman rho with a permutation p-value and the OLS slope on measured NMI (runs as units);
the same on level means (levels as units: seeds of a level share one training split, so this is the
conservative reading).
"""

from __future__ import annotations

import csv
import io
from typing import Optional

import numpy as np

from aobench.study.stats import mean_ci, ols_slope, points_per_minus_tenth, spearman_permutation
from aobench.study.studydir import PLOT, StudyDir

PRIMARY = "closed_unusual_composition_acc"  # accuracy on held-out unusual pairs: the paper's generalisation measure
SEEN = "closed_seen_composition_acc"
HM = "closed_best_hm"
GAP = "unusual_minus_seen"  # derived per run: does unusual accuracy move more than seen?
ANALYSED = {PRIMARY: "unusual-pair accuracy", SEEN: "seen-pair accuracy", HM: "best HM (czsl)", GAP: "unusual minus seen accuracy"}


def metric_value(run: dict, name: str) -> Optional[float]:
    """A run's value of an analysed metric (GAP derived from the two accuracies)."""
    m = run["metrics"]
    if name == GAP:
        return None if m.get(PRIMARY) is None or m.get(SEEN) is None else m[PRIMARY] - m[SEEN]
    v = m.get(name)
    return None if v is None else float(v)


def level_rows(runs: list[dict]) -> list[dict]:
    """Per target level: measured NMI, knob, coverage, seeds and mean / sd / 95% t-interval of each analysed metric."""
    out = []
    for target in sorted({r["target_nmi"] for r in runs}):
        rs = [r for r in runs if r["target_nmi"] == target]
        out.append({
            "target_nmi": target,
            "measured_nmi": float(np.mean([r["measured_nmi"] for r in rs])),
            "measured_ami": rs[0].get("measured_ami"),  # one training split per level: the same for every seed
            "plugin_bias": rs[0].get("plugin_bias"),
            "dependence": rs[0].get("dependence"),
            "coverage": rs[0].get("coverage"),
            "n_seeds": len(rs),
            "metrics": {name: mean_ci([metric_value(r, name) for r in rs]) for name in ANALYSED},
        })  # fmt: skip
    return out


def across(runs: list[dict], levels: list[dict], seed: int = 0) -> dict:
    """Per analysed metric: Spearman rho + permutation p and OLS slope, over runs and over level means."""
    x_runs = [r["measured_nmi"] for r in runs]
    x_lv = [lv["measured_nmi"] for lv in levels]
    out = {}
    for name in ANALYSED:
        y_runs = [metric_value(r, name) for r in runs]
        y_lv = [lv["metrics"][name]["mean"] for lv in levels]
        by_runs = {"spearman": spearman_permutation(x_runs, y_runs, seed=seed), "slope": ols_slope(x_runs, y_runs)}
        by_levels = {"spearman": spearman_permutation(x_lv, y_lv, seed=seed), "slope": ols_slope(x_lv, y_lv)}
        for block in (by_runs, by_levels):
            block["points_per_minus_0.1_nmi"] = points_per_minus_tenth(block["slope"])
        out[name] = {"label": ANALYSED[name], "runs": by_runs, "levels": by_levels}
    return out


def effect_sentence(name: str, entry: dict) -> str:
    """'lower NMI → +x points per -0.1 NMI (95% CI [a, b]; ...)' for one analysed metric, as measured."""
    e = entry["runs"]["points_per_minus_0.1_nmi"]
    lv = entry["levels"]["points_per_minus_0.1_nmi"]
    sp = entry["runs"]["spearman"]
    if e is None:
        return f"{ANALYSED[name]}: undetermined (need runs at two or more NMI levels)."  # the slope needs two x values
    ci = f"95% CI [{e['ci95'][0]:+.1f}, {e['ci95'][1]:+.1f}]" if e["ci95"] else "no CI (2 runs)"
    lv_ci = f"; levels as units: 95% CI [{lv['ci95'][0]:+.1f}, {lv['ci95'][1]:+.1f}]" if lv and lv["ci95"] else ""
    p = f", Spearman rho {sp['rho']:.2f}, permutation p = {_p(sp['p_value'])}" if sp["rho"] is not None else ""
    return f"{ANALYSED[name]}: lower NMI → {e['points']:+.1f} points per −0.1 NMI ({ci}, n = {entry['runs']['slope']['n']} runs{p}{lv_ci})."


def verdict(stats: dict) -> str:
    """One sentence: does lower caption NMI go with better unusual-pair accuracy here, and more than seen-pair accuracy?"""
    sp = stats[PRIMARY]["runs"]["spearman"]
    rho, p, n = sp["rho"], sp["p_value"], sp["n"]
    if rho is None:
        why = sp.get("undefined") or f"{n} run(s)"
        return f"Undetermined: Spearman's rho and its permutation p-value are undefined here ({why})."
    sig = p is not None and p < 0.05
    if rho < 0 and sig:
        head = f"The seed paper's direction holds here: lower caption NMI goes with higher accuracy on unusual pairs (rho = {rho:.3f}, permutation p = {_p(p)}, n = {n} runs)."
    elif rho < 0:
        head = f"The direction matches the seed paper (rho = {rho:.3f} < 0) but is not significant (permutation p = {_p(p)}, n = {n} runs); this study does not confirm it."
    elif rho > 0 and sig:
        head = f"The seed paper's direction does not hold here: higher caption NMI goes with higher accuracy on unusual pairs (rho = {rho:.3f}, permutation p = {_p(p)}, n = {n} runs)."
    elif rho > 0:
        head = f"No support for the seed paper's direction: rho = {rho:.3f} > 0 (permutation p = {_p(p)}, n = {n} runs, not significant)."
    else:
        head = f"No monotone relation between caption NMI and unusual-pair accuracy (rho = 0, n = {n} runs)."
    gap = stats[GAP]["runs"]["points_per_minus_0.1_nmi"]
    if gap and gap["ci95"]:
        lo, hi = gap["ci95"]
        if lo > 0:
            head += " Unusual-pair accuracy gains more than seen-pair accuracy as NMI falls (the gap's slope CI excludes 0)."
        elif hi < 0:
            head += " Seen-pair accuracy gains more than unusual-pair accuracy as NMI falls (the gap's slope CI excludes 0)."
        else:
            head += " Whether unusual-pair accuracy moves more than seen-pair accuracy is not resolved (the gap's slope CI includes 0)."
    return head


def _p(p: Optional[float]) -> str:
    return "n/a" if p is None else f"{p:.3g}"


def design_block(runs: list[dict], design: dict, seed: int = 0) -> dict:
    """Levels, statistics, the primary test (rho, p_value) and the effect sentences of one design's runs."""
    levels = level_rows(runs) if runs else []
    stats = across(runs, levels, seed=seed)
    sp = stats[PRIMARY]["runs"]["spearman"]
    return {
        "runs": runs,
        "levels": levels,
        "stats": stats,
        "spearman": {"metric": PRIMARY, **sp},
        "rho": sp["rho"],
        "p_value": sp["p_value"],
        "effects": {name: effect_sentence(name, stats[name]) for name in ANALYSED},
        "verdict": verdict(stats),
    }


def metric_names(runs: list[dict]) -> list[str]:
    """Numeric metric names present in the runs, in first-seen order."""
    names: list[str] = []
    for r in runs:
        for k, v in r["metrics"].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in names:
                names.append(k)
    return names


COVERAGE_COLUMNS = ("min_images_per_seen_pair", "mean_images_per_seen_pair", "max_images_per_seen_pair", "seen_pairs_present")


def study_csv(runs: list[dict]) -> str:
    """study.csv: one row per run (design, level, measured NMI, seed, knob, coverage, every metric)."""
    names = metric_names(runs)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["design", "target_nmi", "measured_nmi", "dependence", "seed", *COVERAGE_COLUMNS, "checkpoint", *names])
    for r in runs:
        cov = r.get("coverage") or {}
        w.writerow([(r.get("design") or {}).get("tag", ""), r["target_nmi"], f"{r['measured_nmi']:.6f}", f"{r['dependence']:.6f}", r["seed"],
                    *(cov.get(c, "") for c in COVERAGE_COLUMNS), r["checkpoint"], *(_fmt(r["metrics"].get(k)) for k in names)])  # fmt: skip
    return buf.getvalue()


def _fmt(v) -> str:
    return "" if v is None else (f"{v:.6f}" if isinstance(v, float) else str(v))


def plot_png(study: dict) -> bytes:
    """Accuracy vs measured caption NMI, one panel per design: runs as dots, level means with 95% CIs, random baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks = [("coverage-controlled" if study["design"]["kind"] == "shared-to-own" else "mixture knob", study)]
    if study.get("ablation") and study["ablation"]["runs"]:
        blocks.append(("ablation: mixture knob (coverage falls with NMI)", study["ablation"]))
    fig, axes = plt.subplots(1, len(blocks), figsize=(5.6 * len(blocks), 4.2), dpi=120, sharey=True, squeeze=False)
    colours = {PRIMARY: "tab:red", SEEN: "tab:blue", HM: "tab:green"}
    base = study.get("baseline") or {}
    for ax, (title, block) in zip(axes[0], blocks):
        for name, colour in colours.items():
            xs = [r["measured_nmi"] for r in block["runs"]]
            ax.scatter(xs, [metric_value(r, name) for r in block["runs"]], s=12, alpha=0.45, color=colour)
            lv = block["levels"]
            means = [x["metrics"][name]["mean"] for x in lv]
            err = np.array([[m - x["metrics"][name]["ci95"][0], x["metrics"][name]["ci95"][1] - m] if x["metrics"][name]["ci95"] else [0.0, 0.0]
                            for m, x in zip(means, lv)]).T  # fmt: skip
            ax.errorbar([x["measured_nmi"] for x in lv], means, yerr=err if len(lv) else None, fmt="o-", color=colour, capsize=4, label=f"{ANALYSED[name]} (mean ± 95% CI)")
        if PRIMARY in base:
            ax.axhline(base[PRIMARY], color="grey", ls="--", lw=1, label="random model, unusual")
        k = block["design"]["min_images_per_seen_pair"]
        ax.set_title(f"{title}" + (f", every seen pair {k} images" if k else ""), fontsize=9)
        ax.set_xlabel("caption NMI of the training split (measured, aobench nmi)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("closed-world accuracy / best HM")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle("shapes-ao: accuracy vs caption NMI of the training split", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _ci(m: dict) -> str:
    return f"{m['mean']:.3f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}]" if m.get("ci95") else (f"{m['mean']:.3f} (1 seed)" if m.get("mean") is not None else "n/a")


def _fnum(v) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def _design_md(block: dict, heading: str) -> list[str]:
    lines = [
        f"## {heading}",
        "",
        "| target NMI | measured NMI | AMI | chance NMI at this size | seeds | images per seen pair: min / mean / max | seen pairs present | unusual acc [95% CI] | seen acc [95% CI] | best HM [95% CI] |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lv in block["levels"]:
        c = lv.get("coverage") or {}
        cov = f"{c.get('min_images_per_seen_pair', '?')} / {c.get('mean_images_per_seen_pair', '?')} / {c.get('max_images_per_seen_pair', '?')}"
        present = f"{c.get('seen_pairs_present', '?')}/{c.get('n_seen_pairs', '?')}"
        m = lv["metrics"]
        bias = lv.get("plugin_bias") or {}
        lines.append(f"| {lv['target_nmi']:g} | {lv['measured_nmi']:.4f} | {_fnum(lv.get('measured_ami'))} | {_fnum(bias.get('expected_nmi'))} | {lv['n_seeds']} | {cov} | {present} "
                     f"| {_ci(m[PRIMARY])} | {_ci(m[SEEN])} | {_ci(m[HM])} |")  # fmt: skip
    biases = [lv["plugin_bias"] for lv in block["levels"] if (lv.get("plugin_bias") or {}).get("expected_mi") is not None]
    if biases:
        b = biases[0]
        lines += ["", f"Plug-in bias at this table size: a training split with these marginals and no attribute–object dependence at all would "
                      f"still show NMI {min(x['expected_nmi'] for x in biases):.4f}–{max(x['expected_nmi'] for x in biases):.4f} (the 'chance NMI' column: "
                      f"E[MI] under the hypergeometric model of the split's own marginals — the mean shuffled-attribute baseline — over the "
                      f"normaliser; {b['n_attributes']} attributes x {b['n_objects']} objects, {b['n_events']:,} events; the Miller–Madow order "
                      f"term (R-1)(C-1)/(2N) is {b['miller_madow_mi']:.4f} nats). AMI subtracts it: (MI - E[MI]) / (norm - E[MI])."]  # fmt: skip
    lines += ["", "Effect sizes (OLS slope of accuracy on measured NMI; runs as units, then level means as units):", ""]
    lines += [f"- {block['effects'][name]}" for name in ANALYSED]
    lv_sp = block["stats"][PRIMARY]["levels"]["spearman"]
    if lv_sp["rho"] is not None:
        lines += ["", f"Level means as units (the conservative test: seeds of a level share one training split): Spearman rho = {lv_sp['rho']:.3f}, "
                      f"{lv_sp['method']} permutation p = {_p(lv_sp['p_value'])} over {lv_sp['n_permutations']} permutations of {lv_sp['n']} levels."]  # fmt: skip
    sp = block["spearman"]
    if sp["rho"] is not None:
        lines += ["", f"Runs as units: Spearman rho = {sp['rho']:.3f}, {sp['method']} permutation p = {_p(sp['p_value'])} ({sp['n_permutations']:,} permutations, n = {sp['n']} runs)."]
    else:
        lines += ["", f"Spearman rho: n/a with {sp['n']} run(s) (a permutation test needs 3 or more runs at 2 or more NMI levels)."]
    lines += ["", f"**Verdict:** {block['verdict']}", ""]
    return lines


def summary_md(study: dict) -> str:
    """summary.md: setup, per-level table with CIs and coverage, effect sizes, tests and the verdict, as measured."""
    prof = study["profile"]
    d = study["design"]
    k = d["min_images_per_seen_pair"]
    lines = [
        "# NMI sweep on shapes-ao",
        "",
        f"Profile `{prof['name']}`: {prof['train']['arch']} trained from scratch for {prof['train']['epochs']} epochs "
        f"(batch {prof['train']['batch_size']}) on {prof['images']} images per level; {len(study['runs'])} run(s) over "
        f"{len(study['levels'])} level(s). Caption NMI (arithmetic normalisation) is measured with aobench's NMI code on each "
        "training split's captions; accuracy is zero-shot closed-world composition accuracy on held-out unusual pairs (the same "
        f"pairs at every level), on seen pairs, and the best harmonic mean of the czsl bias sweep (protocol: {study.get('czsl_protocol') or 'n/a'}).",
        "",
    ]
    if d["kind"] == "shared-to-own":
        lines += [
            f"Design: coverage-controlled (`min_images_per_seen_pair` = {k}). Every seen pair has {k} training images plus, per object, "
            "one attribute that carries the object's remaining images; at low NMI that attribute is shared by all objects, at high "
            "NMI each object has its own. The per-pair image counts are the same at every level (see the coverage columns), so the "
            "levels differ in attribute-object dependence, not in how many images any seen pair gets.",
            "",
        ]
    else:
        lines += ["Design: the recipe's mixture knob (no coverage control): raising NMI moves images from each object's other seen pairs "
                  "to its preferred one, so seen-pair coverage falls as NMI rises (see the coverage columns).", ""]  # fmt: skip
    if not study.get("complete", True):
        lines += [f"_Partial: {len(study.get('missing', []))} run(s) not finished yet; rerun the sweep to complete it._", ""]
    lines += [f"**Effect:** {study['effects'][PRIMARY]}", ""]
    lines += _design_md(study, "Coverage-controlled design" if d["kind"] == "shared-to-own" else "Mixture design")
    abl = study.get("ablation")
    if abl and abl["runs"]:
        lines += _design_md(abl, "Ablation: the mixture knob (coverage moves with NMI)")
        lines += ["Compare the two designs at the same NMI: where they differ, seen-pair coverage (not dependence alone) moves accuracy.", ""]
    base = study.get("baseline") or {}
    if base:
        lines += [f"Random (untrained) model: unusual acc {base.get(PRIMARY, float('nan')):.3f}, seen acc {base.get(SEEN, float('nan')):.3f}, "
                  f"best HM {base.get(HM, float('nan')):.3f}.", ""]  # fmt: skip
    lines += [
        "What this does not show: shapes-ao is procedural (flat shapes, colours, patterns, sizes at 64 px) and the models are "
        "tiny CLIPs trained from scratch; the direction and size of the effect for natural images and web-scale CLIP "
        "training is not tested here.",
        "",
        f"![accuracy vs NMI]({PLOT})",
        "",
    ]
    return "\n".join(lines)


def write_all(sd: StudyDir, study: dict) -> None:
    """Write the study document, its CSV, the plot (when there are runs) and summary.md into the study dir."""
    runs = study["runs"] + ((study.get("ablation") or {}).get("runs") or [])
    sd.write_results(study, study_csv(runs), plot_png(study) if runs else None, summary_md(study))
