"""The spectrum's correlations (aobench.correlation) vs scipy.stats called per pair, over the models of a spectrum-sized study.

Both sides compute, for every (compositional, recognition) metric pair over the same models: Pearson r and
Spearman rho, a Monte Carlo permutation p-value (`--permutations` draws) and a percentile bootstrap interval
(`--bootstrap` resamples), all seeded alike, so the numbers agree to 1e-12 (checked). scipy's side is
`scipy.stats.permutation_test` (permutation_type="pairings", statistic |r|) and `scipy.stats.bootstrap`
(paired, percentile), each called once per pair and method with vectorized statistics (scipy at its fastest). aobench draws the permutation orders and the
bootstrap resamples once per (n, seed) and reuses them for every pair of the same models, and ranks a
resample from counts of tie groups instead of sorting it. Default: 274 models (the spectrum study's count),
40 pairs; `aobench spectrum` correlates every y with every recognition metric.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=274)
    ap.add_argument("--pairs", type=int, default=40)
    ap.add_argument("--permutations", type=int, default=9999)
    ap.add_argument("--bootstrap", type=int, default=2000)
    args = ap.parse_args()
    import scipy.stats as st

    from aobench.correlation import correlate

    rng = np.random.default_rng(0)
    x = rng.normal(size=args.models)
    ys = [np.round(0.3 * x + rng.normal(size=args.models), 2) for _ in range(args.pairs)]  # rounded: ties, as accuracies have
    def pearson(a, b, axis=-1):
        return st.pearsonr(*np.broadcast_arrays(a, b), axis=axis).statistic

    def spearman(a, b, axis=-1):  # rho = Pearson of average ranks (scipy.stats.spearmanr does not batch over rows)
        return pearson(st.rankdata(a, axis=axis), st.rankdata(b, axis=axis), axis=axis)

    stat = {"pearson": pearson, "spearman": spearman}

    def ref_one(y, method):
        f = stat[method]
        # scipy at its fastest: vectorized statistics over whole batches of permutations / resamples
        p = st.permutation_test((y,), lambda yy, axis=-1: np.abs(f(x, yy, axis=axis)), permutation_type="pairings", alternative="greater",
                                n_resamples=args.permutations, vectorized=True, rng=np.random.default_rng(0)).pvalue  # fmt: skip
        ci = st.bootstrap((x, y), f, paired=True, vectorized=True, n_resamples=args.bootstrap, method="percentile",
                          rng=np.random.default_rng(0)).confidence_interval  # fmt: skip
        return float(f(x, y)), p, [ci.low, ci.high]

    t0 = time.perf_counter()
    ours = [correlate(x, y, n_boot=args.bootstrap, draws=args.permutations, seed=0) for y in ys]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [{m: ref_one(y, m) for m in ("pearson", "spearman")} for y in ys]
    t_ref = time.perf_counter() - t0
    worst = 0.0
    for o, rf in zip(ours, ref):
        for m in ("pearson", "spearman"):
            r, p, ci = rf[m]
            diffs = [abs(o[m]["r"] - r), abs(o[m]["p_value"] - p), abs(o[m]["ci"][0] - ci[0]), abs(o[m]["ci"][1] - ci[1])]
            worst = max(worst, *diffs)
    assert worst < 1e-12, worst
    print(f"models={args.models} pairs={args.pairs} permutations={args.permutations} bootstrap={args.bootstrap} max |diff|={worst:.1e}")
    print(f"aobench {t_ours:.2f}s ({t_ours / args.pairs:.3f}s a pair)  scipy {t_ref:.2f}s ({t_ref / args.pairs:.2f}s a pair)  speed-up {t_ref / t_ours:.1f}x")


if __name__ == "__main__":
    main()
