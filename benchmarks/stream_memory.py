"""Peak RSS of extraction + counts over captions streamed from disk: under 1 GiB at 1M, and flat in corpus size.

Two corpora: `repeated` (template captions, a closed set of words) and `unique` (the same captions, each with a
token never seen before, as web alt-text carries ids and URLs). Each size runs in a fresh process (peak RSS only
grows), so the ratio compares like with like; the target is peak(1M) <= 1.1 x peak(100k) for both cases, which holds
only while spaCy's string store, the memos and the pre-filter cache are bounded (aobench.text.engine.ZONE_CAPTIONS).

    python benchmarks/stream_memory.py                            # both cases at 100k and 1M (the target)
    python benchmarks/stream_memory.py --sizes 20000,200000       # a quicker look
    python benchmarks/stream_memory.py --one 100000 --case unique # one run, one line
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _captions import captions  # noqa: E402

LIMIT_MIB = 1024
GROWTH = 1.1


def _write(path: Path, n: int, case: str) -> None:
    with open(path, "w") as fh:
        for start in range(0, n, 100_000):
            batch = captions(min(100_000, n - start), seed=start)
            if case == "unique":  # one new token a caption (a hex id, like the ids and URLs of web alt-text)
                batch = [f"{c} id{start + i:x}q{(start + i) * 2654435761 % 2**32:08x}" for i, c in enumerate(batch)]
            fh.write("\n".join(batch) + "\n")


def one(n: int, case: str, workers: int) -> dict:
    """Count one corpus of n captions in this process; peak RSS of this process and of its largest worker (MiB)."""
    from aobench.text.engine import count_corpora

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "caps.txt"
        _write(f, n, case)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        counts, _ = count_corpora([str(f)], "imagenet-ao", workers=workers)
        dt = time.perf_counter() - t0
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"n": n, "case": case, "workers": workers, "events": counts.n_events, "seconds": round(dt, 1), "before_mib": round(before),
            "main_mib": round(main_peak), "worker_mib": round(child_peak), "peak_mib": round(max(main_peak, child_peak))}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated corpus sizes; the ratio is last / first")
    ap.add_argument("--cases", default="repeated,unique")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--one", type=int, help="run one size in this process and print its JSON line (used by the comparison)")
    ap.add_argument("--case", default="unique")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.case, args.workers)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    ok = True
    for case in args.cases.split(","):
        runs = []
        for n in sizes:
            r = subprocess.run([sys.executable, __file__, "--one", str(n), "--case", case, "--workers", str(args.workers)], capture_output=True, text=True)
            if r.returncode:
                sys.exit(r.stderr[-2000:])
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
            x = runs[-1]
            print(f"{case:8s} captions={n:>9,} events={x['events']:>9,} time={x['seconds']:.0f}s ({n / max(x['seconds'], 1e-9):.0f}/s)  "
                  f"peak RSS: main {x['main_mib']} MiB (before extraction {x['before_mib']}), largest worker {x['worker_mib']} MiB", flush=True)  # fmt: skip
        ratio = runs[-1]["peak_mib"] / runs[0]["peak_mib"]
        ok &= ratio <= GROWTH and runs[-1]["peak_mib"] < LIMIT_MIB
        print(f"{case:8s} peak at {sizes[-1]:,} / peak at {sizes[0]:,} = {ratio:.3f} (target <= {GROWTH}); limit {LIMIT_MIB} MiB")
    if not ok:
        sys.exit("stream memory target missed")


if __name__ == "__main__":
    main()
