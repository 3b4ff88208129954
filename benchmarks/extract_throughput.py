"""aobench extraction vs a naive `for c in captions: nlp(c)` with the full pipeline; identical pair counts.

aobench: lexical pre-filter, `nlp.pipe` batches, NER excluded, --workers processes. Naive: the full
en_core_web_sm pipeline (NER included) called once per caption, then the same rules. Also prints the
tokenizer-only throughput (the ceiling of any spaCy-based extraction). Target: >= 5x.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _captions import captions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--naive-n", type=int, default=None, help="captions for the naive side (default: all); its rate is extrapolated")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from aobench.text.engine import count_corpora
    from aobench.text.parse import Extractor, load_nlp, vocab_for

    caps = captions(args.n)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "caps.txt"
        f.write_text("\n".join(caps) + "\n")
        t0 = time.perf_counter()
        ours, _ = count_corpora([str(f)], "imagenet-ao", workers=args.workers)
        t_ours = time.perf_counter() - t0

    full = load_nlp(full=True)  # every component, NER included
    rules = Extractor(vocab_for("imagenet-ao"), nlp=full)
    naive_caps = caps[: args.naive_n or len(caps)]
    t0 = time.perf_counter()
    naive = Counter()
    for c in naive_caps:
        naive.update(rules.extract_doc(full(c)))
    t_naive = time.perf_counter() - t0
    t_naive_all = t_naive * len(caps) / len(naive_caps)
    if len(naive_caps) == len(caps):
        assert naive == ours.pairs, "pair counts differ"
        same = "identical"
    else:
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "caps.txt"
            f.write_text("\n".join(naive_caps) + "\n")
            sub_counts, _ = count_corpora([str(f)], "imagenet-ao", workers=1)
        assert naive == sub_counts.pairs, "pair counts differ"
        same = f"identical on the {len(naive_caps)} captions both ran"

    t0 = time.perf_counter()
    for _ in full.tokenizer.pipe(caps, batch_size=1000):
        pass
    t_tok = time.perf_counter() - t0

    print(f"captions={args.n} workers={args.workers} events={ours.n_events} pair counts: {same}")
    print(f"aobench:        {args.n / t_ours:10.0f} captions/s")
    print(f"naive nlp(c):   {len(naive_caps) / t_naive:10.0f} captions/s")
    print(f"tokenizer only: {args.n / t_tok:10.0f} captions/s (ceiling)")
    print(f"speed-up aobench vs naive: {t_naive_all / t_ours:.1f}x")


if __name__ == "__main__":
    main()
