"""Speed of foiling free-form captions vs parsing them alone (en_core_web_sm, imagenet-ao vocab, CPU).

Both sides read the same synthetic captions (one or two attribute–object pairs, copulas, plurals, relative clauses,
and some with no pair) in one process. Side 1 is the parse alone (`Extractor.parse`: spaCy + the pair rules, what
`aobench extract` does); side 2 is the same parse plus every foil type and its JSONL row (`FoilMaker.from_parse`,
`Foil.row`, `dumps_line`), i.e. `aobench foils` without the audit. Prints captions/s of each and the overhead
ratio. Target: foiling adds < 20% over the parse.
"""

from __future__ import annotations

import argparse
import random
import time


def make_captions(n: int, vocab, seed: int = 0) -> list[str]:
    """Captions in several shapes from the vocab's own words (so most parse to pairs), a few with none."""
    rng = random.Random(seed)
    attrs = [a.name for a in vocab.attributes]
    objs = [o.name for o in vocab.objects if " " not in o.name][:400]
    shapes = [
        "a {a1} {o1} next to a {a2} {o2}",
        "a photo of a {a1} {o1}",
        "two {a1} {o1}s on a table",
        "the {o1} is {a1}",
        "a {o1} that is {a1} sitting near a {a2} {o2}",
        "a {a1} and {a2} {o1} in the grass",
        "someone holding a {a1} {o1} in front of a {o2}",
        "a blurry picture of people walking down a street",
    ]
    out = []
    for _ in range(n):
        s = rng.choice(shapes)
        out.append(s.format(a1=rng.choice(attrs), a2=rng.choice(attrs), o1=rng.choice(objs), o2=rng.choice(objs)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="captions")
    ap.add_argument("--vocab", default="imagenet-ao")
    ap.add_argument("--block", type=int, default=2000, help="captions per alternation block")
    args = ap.parse_args()

    from aobench.foils.make import FOIL_TYPES, FoilMaker
    from aobench.io import dumps_line
    from aobench.text.parse import Extractor, vocab_for

    vocab = vocab_for(args.vocab)
    extractor = Extractor(vocab)
    maker = FoilMaker(vocab, seed=0, per_type=1)
    caps = make_captions(args.n, vocab)
    list(extractor.parse(caps[:512]))  # warm-up: lazy spaCy/model initialisation is not either side's cost

    # the two sides alternate block by block, so load from other processes on shared cores hits both alike
    parse_s = total_s = foil_only = 0.0
    n_pairs = n_foils = 0
    for s in range(0, len(caps), args.block):
        block = caps[s: s + args.block]
        t0 = time.perf_counter()
        for _, matches in extractor.parse(block):
            n_pairs += bool(matches)
        parse_s += time.perf_counter() - t0

        t0 = time.perf_counter()
        for i, (doc, matches) in enumerate(extractor.parse(block), start=s):
            t1 = time.perf_counter()
            for f in maker.from_parse(str(i), caps[i], doc, matches, FOIL_TYPES):
                dumps_line(f.row())
                n_foils += 1
            foil_only += time.perf_counter() - t1
        total_s += time.perf_counter() - t0

    print(f"captions: {args.n:,} ({n_pairs:,} with pairs); foils: {n_foils:,} ({len(FOIL_TYPES)} types, 1 per caption and type)")
    print(f"parse alone:        {args.n / parse_s:10,.0f} captions/s  ({parse_s:.1f} s)")
    print(f"parse + foils:      {args.n / total_s:10,.0f} captions/s  ({total_s:.1f} s)")
    print(f"foiling itself:     {foil_only:.1f} s = {foil_only / parse_s:.1%} of the parse alone (in-loop timer)")
    print(f"overhead ratio (parse+foils)/parse: {total_s / parse_s:.3f}  (target < 1.20)")
    print(f"overhead ratio from the in-loop timer:  {1 + foil_only / parse_s:.3f}  (less sensitive to shared-CPU noise)")


if __name__ == "__main__":
    main()
