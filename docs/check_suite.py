"""Run every registered benchmark end to end, offline, on the tiny model with placeholder images, from the real annotation files.

    python docs/check_suite.py --annotations DIR [--out DIR]

DIR holds one folder per benchmark (`DIR/sugarcrepe/data/*.json`, `DIR/winoground/examples.jsonl`, …), e.g.
checkouts of the authors' repositories, or the data home filled by `aobench benchmarks get` (the default).
For each benchmark whose files are there, placeholder images named as its annotations name them are written
(`aobench.suite.placeholders`) and `aobench eval` runs it with `tiny`; the script prints, per benchmark, the
examples evaluated, the annotation check (published sha256) and the headline, and exits 1 if any run failed.
Benchmarks without files are listed as skipped. This checks the plumbing, not the numbers: a random model
scores near chance.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--annotations", type=Path, default=None, help="folder with one subfolder per benchmark (default: the data home)")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default: a temp folder)")
    args = ap.parse_args()

    from aobench.errors import AobenchError
    from aobench.evaluate import evaluate
    from aobench.evaluate.results import Result
    from aobench.evaluate.sources import benchmarks
    from aobench.suite.data import available_subsets
    from aobench.suite.placeholders import write_placeholders

    work = Path(tempfile.mkdtemp(prefix="check_suite."))
    out = args.out or work / "results"
    failed = 0
    for b in benchmarks():
        have = available_subsets(b.spec, args.annotations)
        if not have:
            print(f"{b.name}: skipped (no annotation files here)")
            continue
        t0 = time.perf_counter()
        try:
            data = b.load(b.name, annotations=args.annotations, subsets=have)
            write_placeholders(data.examples, work / "images")
            ref = b.name if have == list(b.spec.subsets) else f"{b.name}/{'+'.join(have)}"
            run = evaluate(ref, ["tiny"], out, annotations=args.annotations, images=[str(work / "images")], cache_dir=None, progress=False)
        except AobenchError as exc:
            print(f"{b.name}: FAILED: {exc}")
            failed += 1
            continue
        if run.failures:
            print(f"{b.name}: FAILED: {run.failures[0][1]}")
            failed += 1
            continue
        r = Result.from_dict(run.results[0])
        key, value = r.headline()
        verified = data.annotations.verified.values()
        check = "all published sha256" if all(v is True for v in verified) else ("unpinned" if all(v is None for v in verified) else "DIFFERENT from the published files")
        headline = f"{key} {value:.4f}" if key and value is not None else "no aggregate (not every subset)"
        print(f"{b.name}: ok — {r.flat['n_examples']:,} examples, {r.flat['n_images']:,} images, subsets {len(have)}/{len(b.spec.subsets)}, "
              f"annotations {check}; {headline} ({time.perf_counter() - t0:.0f} s) → {run.paths[0]}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
