"""Check `aobench foils` on a real photo-caption corpus against issue 25's bar, and print every measured number.

Reads Flickr8k's `Flickr8k.token.txt` (`IMAGE#k<TAB>caption`), COCO's `captions_*.json` or a captions JSONL, takes
an optional seeded sample, runs `run_foils` with its audit (all four blind scorers), and checks:
- >= 80% of the captions that carry a pair get a foil;
- no foil writes a class-name artefact ("/", " or ", a parenthesis) and no replace_att swaps words on one scale
  (a hand-written list below, independent of `attribute_scales.yaml`);
- the PMI blind scorer is below 0.95 on replace_att and replace_obj foils.
Prints the share foiled, the foils the plausibility prior dropped per type, each scorer's accuracy ± stderr per type,
and writes `OUT/read_me.txt`: 50 seeded random foils to read by eye. Exit code 1 when a check fails.

    python scripts/check_foils_real.py /work/data/flickr8k/Flickr8k.token.txt --out /tmp/foils-flickr
    python scripts/check_foils_real.py /work/data/coco/captions_val2017.json --sample 5000 --out /tmp/foils-coco
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

SAME_SCALE = [{"large", "big", "huge", "enormous", "giant"}, {"small", "little", "tiny", "miniature"}, {"yellow", "golden", "gold"},
              {"gray", "grey", "silver"}, {"red", "crimson", "maroon", "scarlet"}, {"brown", "tan", "beige"},
              {"purple", "violet", "lavender"}, {"turquoise", "teal", "cyan", "aqua"}, {"checkered", "checked", "plaid"}]  # fmt: skip
ARTEFACT = re.compile(r"/|\bor\b|\(|\)")


def read_captions(path: Path) -> list[dict]:
    """[{id, caption}] of a Flickr8k token file, a COCO captions JSON or a JSONL with id/caption."""
    if path.suffix == ".json":
        return [{"id": str(a["id"]), "caption": a["caption"].strip()} for a in json.loads(path.read_text())["annotations"]]
    if path.suffix == ".jsonl":
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        ident, _, caption = line.partition("\t")
        if caption.strip():
            out.append({"id": ident, "caption": caption.strip()})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--sample", type=int, default=0, help="seeded sample of N captions (0: all)")
    ap.add_argument("--vocab", default="imagenet-ao")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--balance", action="store_true")
    args = ap.parse_args()

    from aobench.foils.pipeline import run_foils

    rows = read_captions(args.corpus)
    if args.sample and args.sample < len(rows):
        rows = random.Random(args.seed).sample(rows, args.sample)
    args.out.mkdir(parents=True, exist_ok=True)
    caps = args.out / "captions.jsonl"
    caps.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = run_foils(caps, args.out / "foils.jsonl", vocab=args.vocab, seed=args.seed, do_balance=args.balance)
    foils = [json.loads(x) for x in (args.out / "foils.jsonl").read_text().splitlines()]

    print(f"corpus: {args.corpus} ({len(rows):,} captions{', seeded sample' if args.sample else ''}); vocab {args.vocab}")
    print(f"captions with a pair: {res['n_with_pairs']:,}; foiled: {res['n_foiled']:,} ({res['share_foiled']:.1%}); foils: {res['n_foils']:,}")
    print("foils per type:", res["per_type"])
    print("foils the plausibility prior dropped per type:", res["implausible_per_type"])
    print("captions × type with no foil, by reason:", res["no_foil_by_type"])
    audit = res["audit"]
    print(f"blind scorers (accuracy ± stderr, chance 0.5; n audited per type ≤ {audit['sample_per_type']}):")
    for typ, e in sorted(audit["types"].items()):
        cells = [f"{s} {e[s]['acc']:.3f}±{e[s]['stderr'] or 0:.3f}" for s in ("pmi", "embedding", "length", "random_clip") if e.get(s)]
        print(f"  {typ:12s} n={e['n']:5d}  " + "  ".join(cells))
    if audit.get("balance"):
        b = audit["balance"]
        print(f"balanced: dropped {b['n_dropped']} ({b['dropped_per_type']})")
        for typ, e in sorted(b["types"].items()):
            cells = [f"{s} {e[s]['acc']:.3f}" for s in ("pmi", "embedding", "length", "random_clip") if e.get(s)]
            print(f"  {typ:12s} n={e['n']:5d}  " + "  ".join(cells) + ("" if e["within_tolerance"] else "  (not within tolerance)"))

    failures = []
    if res["share_foiled"] < 0.8:
        failures.append(f"share foiled {res['share_foiled']:.1%} < 80%")
    for r in foils:
        if len(ARTEFACT.findall(r["foil"])) > len(ARTEFACT.findall(r["caption"])):  # the caption's own "or" is no artefact
            failures.append(f"class-name artefact: {r['foil']!r}")
        if r["type"] == "replace_att":  # pairs and foil_pairs are aligned: the replaced attribute is where they differ
            changed = {(a, b) for (a, _), (b, _) in zip(r["pairs"], r["foil_pairs"]) if a != b}
            if any({a, b} <= g for a, b in changed for g in SAME_SCALE):
                failures.append(f"same-scale replacement: {r['caption']!r} → {r['foil']!r}")
    for typ in ("replace_att", "replace_obj"):
        pmi = (audit["types"].get(typ) or {}).get("pmi")
        if pmi and pmi["acc"] >= 0.95:
            failures.append(f"PMI scorer {pmi['acc']:.3f} >= 0.95 on {typ}")
    sample = random.Random(args.seed).sample(foils, min(50, len(foils)))
    (args.out / "read_me.txt").write_text("".join(f"{r['type']}\t{r['caption']}\t→\t{r['foil']}\n" for r in sample))
    print(f"50 foils to read: {args.out / 'read_me.txt'}")
    for f in failures[:20]:
        print("FAIL:", f)
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
