"""aobench extraction vs a naive `for c in captions: nlp(c)` loop on the same captions; identical pair and negation counts.

Both sides apply the same rules (aobench/text/parse.py) to the same captions, in this one run:
- aobench: `count_corpora`, what `aobench nmi` runs, with --workers spawned processes (one pipeline each). In
  vocabulary mode each caption is tokenized once and the exact pre-filter (aobench/text/prefilter.py) skips the ones
  that cannot hold a vocab pair; the rest go through `nlp.pipe` batches (a chunk of 1024 captions at a time) of the
  pipeline without NER, its attribute ruler and lemmatizer memoised per token (aobench/text/memo.py: the same
  annotations). Open vocabulary (`--vocab none`) has no pre-filter: every caption is parsed. The time counts reading
  the file, process start and model load (a fixed cost, also printed apart: a run over the first chunk alone).
- naive: the full en_core_web_sm pipeline (NER included) called once per caption in this process, then the rules
  on each doc; no pre-filter.
Captions: `--corpus FILE` in any format `aobench nmi` reads (one caption a line, JSONL, CSV, Parquet, ...) or a COCO
captions JSON (`captions_val2017.json`: its annotations, in id order), else synthetic LAION-like ones.
`--naive-n N` runs the naive side on the first N captions only (half before and half after the aobench run, so load
from other processes on shared cores hits both sides alike) and extrapolates its time; the counts of both sides are
then compared on exactly those N captions. Also printed: the share of captions the pre-filter lets through, and two
single-process ceilings: the tokenizer alone (of any spaCy-based extraction) and the parse alone (`nlp.pipe` without
NER and without the rules: what bounds open vocabulary, where every caption must be parsed: tok2vec and the parser
alone take ~1 ms a caption a core, so on 2 cores open vocabulary stays near 10x).
Target (issue 14): >= 20x on real captions, with the imagenet-ao vocab and with --vocab none.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _captions import captions  # noqa: E402

CEILING_N = 5000  # captions for the single-process ceilings


def _naive(rules, full, caps: list[str]) -> tuple[float, Counter, Counter]:
    from aobench.text.parse import CaptionPairs

    pairs, negated = Counter(), Counter()
    t0 = time.perf_counter()
    for c in caps:
        got = CaptionPairs.from_matches(rules.matches(full(c), negated=True))
        pairs.update(got.pairs)
        negated.update(got.negated)
    return time.perf_counter() - t0, pairs, negated


def _write_jsonl(path: Path, texts: list[str]) -> Path:
    # JSONL, not lines: a caption may hold a line break
    path.write_text("".join(json.dumps({"id": i, "caption": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    return path


def _coco(path: Path) -> bool:
    """Whether a .json file is a COCO captions file (one JSON object with `annotations`), not JSON lines."""
    if path.suffix.lower() != ".json":
        return False
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # JSON lines
        return False
    return isinstance(doc, dict) and "annotations" in doc


def _source(args, tmp: Path) -> tuple[Path, str]:
    if not args.corpus:
        return _write_jsonl(tmp / "synthetic.jsonl", captions(args.n)), "synthetic"
    src = Path(args.corpus)
    if _coco(src):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
        from make_corpus_counts import coco_rows, write_jsonl  # the same annotation-id order as the shipped coco-captions counts

        out = tmp / "coco.jsonl"
        write_jsonl(coco_rows([src]), out)
        return out, f"{src} (COCO annotations)"
    return src, str(src)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None, help="a caption file (default: synthetic captions)")
    ap.add_argument("--text-column", default=None)
    ap.add_argument("--n", type=int, default=100_000, help="synthetic captions (without --corpus)")
    ap.add_argument("--naive-n", type=int, default=None, help="captions for the naive side (default: all); its rate is extrapolated")
    ap.add_argument("--vocab", default="imagenet-ao", help="recipe whose vocabulary to match, or none (open vocabulary)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from aobench.text.corpus import iter_records
    from aobench.text.engine import CHUNK, count_corpora
    from aobench.text.parse import Extractor, load_nlp, vocab_for

    vocab_ref = None if args.vocab.lower() == "none" else args.vocab
    load_start = _load()
    with tempfile.TemporaryDirectory() as d:
        src, label = _source(args, Path(d))
        text_column = None if src.name in ("coco.jsonl", "synthetic.jsonl") else args.text_column
        caps = [r.text for r in iter_records(src, text_column) if not r.skip]
        n = len(caps)
        naive_caps = caps[: args.naive_n or n]

        full = load_nlp(full=True)  # every component, NER included
        rules = Extractor(vocab_for(vocab_ref), nlp=full)
        _naive(rules, full, naive_caps[:20])  # warm-up: lazy initialisation is neither side's cost
        half = len(naive_caps) // 2
        t_a, pairs, negated = _naive(rules, full, naive_caps[:half])

        t0 = time.perf_counter()
        ours, _ = count_corpora([str(src)], vocab_ref, text_column=text_column, workers=args.workers)
        t_ours = time.perf_counter() - t0
        # the fixed cost: the same run over the first chunk alone (process start, model load, one chunk)
        first = _write_jsonl(Path(d) / "first.jsonl", caps[:CHUNK])
        t0 = time.perf_counter()
        count_corpora([str(first)], vocab_ref, workers=args.workers)
        t_fixed = time.perf_counter() - t0

        t_b, pairs_b, negated_b = _naive(rules, full, naive_caps[half:])
        t_naive = t_a + t_b
        pairs.update(pairs_b)
        negated.update(negated_b)
        if len(naive_caps) == n:
            sub, same = ours, "identical"
        else:
            sub, _ = count_corpora([str(_write_jsonl(Path(d) / "sub.jsonl", naive_caps))], vocab_ref, workers=1)
            same = f"identical on the {len(naive_caps)} captions both ran"
        assert pairs == sub.pairs, "pair counts differ"
        assert negated == sub.negated, "negation counts differ"
    load_end = _load()

    sample = caps[:CEILING_N]
    nlp = load_nlp()
    passed = ""
    if vocab_ref is not None:
        ex = Extractor(vocab_for(vocab_ref), nlp=nlp)
        k = sum(ex.may_match(c) for c in caps)
        passed = f"; the pre-filter lets {k} of {n} ({100 * k / n:.1f} %) through to the parse"
    t0 = time.perf_counter()
    for _ in nlp.tokenizer.pipe(sample, batch_size=1000):
        pass
    t_tok = time.perf_counter() - t0
    list(nlp.pipe(sample[:200]))  # warm-up
    t0 = time.perf_counter()
    for _ in nlp.pipe(sample, batch_size=1000):
        pass
    t_parse = time.perf_counter() - t0

    naive_rate, ours_rate = len(naive_caps) / t_naive, n / t_ours
    steady = (n - min(CHUNK, n)) / max(t_ours - t_fixed, 1e-9)
    print(f"corpus={label} captions={n} vocab={args.vocab} workers={args.workers} naive-n={len(naive_caps)} cores={os.cpu_count()}")
    print(f"load average (1/5/15 min): {load_start} at start, {load_end} after both sides")
    print(f"events={ours.n_events} negated={ours.n_negated} captions with pairs={ours.n_captions_with_pairs}{passed}")
    print(f"pair and negation counts: {same}")
    print(f"aobench:        {ours_rate:10.0f} captions/s ({t_ours:.1f} s; fixed cost {t_fixed:.1f} s: process start, model load, first chunk)")
    print(f"aobench after the fixed cost: {steady:10.0f} captions/s")
    print(f"naive nlp(c):   {naive_rate:10.0f} captions/s")
    print(f"ceilings, one process: tokenizer only {len(sample) / t_tok:.0f} captions/s, parse only (nlp.pipe, no NER, no rules) {len(sample) / t_parse:.0f} captions/s")
    print(f"speed-up aobench vs naive: {ours_rate / naive_rate:.1f}x (after the fixed cost: {steady / naive_rate:.1f}x)")


if __name__ == "__main__":
    main()
