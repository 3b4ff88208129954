"""Corpus counting: the local engine (N processes) vs the Spark engine (local[N]) on the same captions, sizes swept.

Both sides in one process, on the same caption file per size; counts asserted identical. Spark pays a fixed
start-up (JVM, session, a spaCy pipeline in each Python worker) that the local engine does not, so it loses on
small inputs; the sweep prints where the two cross over (Spark's time counted with its start-up, as a CLI run pays
it, and without, as a long-lived session does).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,8000,32000", help="comma-separated caption counts")
    ap.add_argument("--workers", type=int, default=2, help="local processes; Spark runs local[N] with the same N")
    ap.add_argument("--vocab", default="imagenet-ao", help="recipe vocabulary, or none")
    args = ap.parse_args()
    from _captions import captions

    from aobench.spark_session import get_session
    from aobench.text.engine import count_corpora
    from aobench.text.spark import count_with_spark

    vocab = None if args.vocab == "none" else args.vocab
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.txt"
        warm.write_text("\n".join(captions(200, seed=99)) + "\n")
        t0 = time.perf_counter()
        spark = get_session(f"local[{args.workers}]", "aobench-bench")
        count_with_spark([str(warm)], vocab, spark=spark)  # every Python worker loads its spaCy pipeline once
        startup = time.perf_counter() - t0
        print(f"spark start-up (session + first job, spaCy loaded per worker): {startup:.1f}s")
        print(f"{'captions':>9} {'local':>8} {'spark':>8} {'spark+start':>11} {'local/spark':>11} {'local/(spark+start)':>19}")
        rows = []
        for n in sizes:
            f = Path(tmp) / f"c{n}.txt"
            f.write_text("\n".join(captions(n, seed=n)) + "\n")
            t0 = time.perf_counter()
            local, _ = count_corpora([str(f)], vocab, workers=args.workers)
            t_local = time.perf_counter() - t0
            t0 = time.perf_counter()
            ours, _ = count_with_spark([str(f)], vocab, spark=spark)
            t_spark = time.perf_counter() - t0
            assert ours.to_dict() == local.to_dict(), f"counts differ at {n} captions"
            rows.append((n, t_local, t_spark))
            print(f"{n:>9} {t_local:>7.1f}s {t_spark:>7.1f}s {t_spark + startup:>10.1f}s {t_local / t_spark:>10.2f}x {t_local / (t_spark + startup):>18.2f}x")
        spark.stop()
    print(f"counts identical at every size ({len(rows)} sizes, vocab {args.vocab}, {args.workers} processes each side)")
    for label, extra in (("long-lived session", 0.0), ("with start-up", startup)):
        print(f"crossover ({label}): {_crossover(rows, extra)}")


def _crossover(rows: list[tuple[int, float, float]], extra: float) -> str:
    """Where Spark starts to win for good: measured at that size and every larger one, else from each side's slope."""
    won = [ts + extra < tl for _, tl, ts in rows]
    for i in range(len(rows)):
        if all(won[i:]):
            return f"Spark faster from {rows[i][0]} captions (measured there and at every larger size)"
    note = f"; faster only at {', '.join(str(n) for (n, _, _), w in zip(rows, won) if w)} captions, not beyond" if any(won) else ""
    (n0, l0, s0), (n1, l1, s1) = rows[0], rows[-1]
    if n1 == n0:
        return "not reached (one size only)" + note
    dl, ds = (l1 - l0) / (n1 - n0), (s1 - s0) / (n1 - n0)  # seconds per caption
    if ds >= dl:
        return f"not reached: per caption Spark costs {ds * 1e3:.2f} ms, local {dl * 1e3:.2f} ms" + note
    at = n1 + ((s1 + extra) - l1) / (dl - ds)
    return f"not reached up to {n1}; the fitted lines cross near {at:,.0f} captions" + note


if __name__ == "__main__":
    main()
