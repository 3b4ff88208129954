"""How many of a build's selected unusual pairs a held-out caption corpus contains (the check of issue 25).

    aobench extract Flickr8k.jsonl --vocab imagenet-ao --out flickr8k_pairs.jsonl
    aobench build imagenet-ao --tiny --limit 8 --out build
    python scripts/heldout_pairs.py build flickr8k_pairs.jsonl [--sample 30 --seed 0]

Matching is the build's own: `pairs.Evidence` at class level, and at hypernym level (a caption's "spotted dog"
counts for every dog breed). Prints both shares, the pairs found, and a seeded sample of selected pairs to read.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter

from aobench.artifacts import BuildDir
from aobench.io import read_jsonl
from aobench.pairs import Evidence, read_pairs
from aobench.text.counts import Counts
from aobench.vocab import load_vocab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", help="a build dir (its pairs.jsonl and recipe.lock.yaml)")
    ap.add_argument("extracted", help="`aobench extract` output of the held-out corpus")
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    bd = BuildDir(args.build)
    recipe = bd.lock
    vocab = load_vocab(recipe.vocab)
    held = Counts(pairs=Counter())
    for row in read_jsonl(args.extracted):
        held.add_caption([(a.lower(), o.lower()) for a, o in row["pairs"]])
    sel = [p for p in read_pairs(bd.pairs_path) if p.selected and p.status == "unusual"]
    by = {lvl: Evidence([held], match=lvl, hypernyms=vocab.hypernyms) for lvl in ("class", "hypernym")}
    found = {lvl: [p for p in sel if ev.check(vocab.attribute(p.attribute), vocab.object(p.object))[0]] for lvl, ev in by.items()}
    n = len(sel)
    print(f"{n} selected unusual pairs; in the held-out corpus ({held.n_captions:,} captions): "
          f"{len(found['class'])} by class name ({len(found['class']) / n:.2%}), {len(found['hypernym'])} with generic nouns ({len(found['hypernym']) / n:.2%})")  # fmt: skip
    print("found:", ", ".join(f"{p.attribute} {p.object}" for p in found["hypernym"]))
    print(f"sample (seed {args.seed}):", ", ".join(f"{p.attribute} {p.object}" for p in random.Random(args.seed).sample(sel, min(args.sample, n))))
    print(json.dumps({"n_selected": n, "class": len(found["class"]), "hypernym": len(found["hypernym"])}))


if __name__ == "__main__":
    main()
