"""Peak RSS of extraction + counts over 1M captions streamed from disk (target: < 1 GiB)."""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _captions import captions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from aobench.text.engine import count_corpora

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "caps.txt"
        with open(f, "w") as fh:
            for start in range(0, args.n, 100_000):
                fh.write("\n".join(captions(min(100_000, args.n - start), seed=start)) + "\n")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        counts, _ = count_corpora([str(f)], "imagenet-ao", workers=args.workers)
        dt = time.perf_counter() - t0
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"captions={args.n} events={counts.n_events} time={dt:.0f}s ({args.n / dt:.0f} captions/s)")
    print(f"peak RSS: main {main_peak:.0f} MiB (before extraction {before:.0f} MiB), largest worker {child_peak:.0f} MiB; limit 1024 MiB")
    assert main_peak < 1024 and child_peak < 1024, "peak RSS over 1 GiB"


if __name__ == "__main__":
    main()
