"""Regenerate aobench/vocab/imagenet_hypernyms.yaml: generic caption nouns → the ImageNet-1k classes beneath them.

Captions say "a black dog", "a red car"; ImageNet's classes are "Labrador Retriever", "sports car". The map
lets a caption's generic noun count as evidence for every class below it in the WordNet hierarchy.

Sources (WordNet cannot be downloaded at run time, so the derived map ships as data):
- ImageNet's WordNet files from the image-net.org download API: `wordnet.is_a.txt` (parent child wnid per
  line) and `words.txt` (wnid TAB lemmas). A copy: github.com/niharikajainn/imagenet-ancestors-descendants
  at commit 6921b884a9a5030a1a699f741e3acbf1429ac715 (`is_a.txt`, `words.txt`).
- The 1,000 ILSVRC-2012 class wnids: `LOC_synset_mapping.txt` (one wnid a line; sorted wnid order is the
  standard class-index order, checked below against torchvision's class names). A copy:
  github.com/JasmineLi-805/res18 at commit 47e9b8cb3c1a26691464147d79718a68f40fc859.
WordNet 3.0 Copyright 2006 by Princeton University (WordNet licence: use, copy and distribute with this notice).

The nouns are chosen by hand (NOUNS below): everyday caption words, each with the WordNet synset(s) of its
everyday sense; classes are every ILSVRC class with that synset among its ancestors (or equal to it), minus a
few WordNet placements that captions would never mean (EXCLUDE), plus a few classes whose ImageNet synset sits
elsewhere than the everyday word suggests (EXTRA). Nouns that already name an ImageNet class (duck, pig, tent,
cup, couch, plane) are left out: extraction maps them to that class. Very broad nouns (animal, vehicle, object)
are left out too: "a brown animal" says little about which of 398 classes was brown.

Usage: python scripts/make_imagenet_hypernyms.py --words words.txt --is-a is_a.txt --synsets LOC_synset_mapping.txt
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import yaml

VOCAB = Path(__file__).resolve().parents[1] / "aobench" / "vocab"
VERSION = 1

# noun: (synsets of its everyday sense, aliases the caption may use instead)
NOUNS: dict[str, tuple[list[str], list[str]]] = {
    # animals
    "dog": (["n02084071"], ["puppy", "pup", "doggy"]),
    "cat": (["n02121808"], ["kitten", "kitty"]),  # domestic cat: captions' "cat" is the house cat
    "bird": (["n01503061"], []),
    "fish": (["n02512053"], []),
    "shark": (["n01482330"], []),
    "snake": (["n01726692"], ["serpent"]),
    "lizard": (["n01674464"], []),
    "turtle": (["n01662784"], ["tortoise"]),
    "frog": (["n01639765"], ["toad"]),
    "salamander": (["n01629276"], []),
    "spider": (["n01772222"], []),
    "insect": (["n02159955"], ["bug"]),
    "beetle": (["n02164464"], []),
    "butterfly": (["n02274259"], []),
    "bear": (["n02131653"], []),
    "monkey": (["n02484322"], []),
    "ape": (["n02470325"], []),
    "whale": (["n02062744"], []),
    "crab": (["n01976957"], []),
    "lobster": (["n01982650"], []),
    "wolf": (["n02114100"], []),
    "fox": (["n02118333"], []),
    "rabbit": (["n02324045"], ["bunny"]),
    "horse": (["n02374451"], ["pony"]),
    "cow": (["n02402425"], ["cattle", "bull", "calf"]),
    "sheep": (["n02411705"], ["lamb"]),
    "goat": (["n02416519"], []),
    "elephant": (["n02503517"], []),
    "owl": (["n01621127"], []),
    "eagle": (["n01613294"], []),
    "parrot": (["n01816887"], []),
    "penguin": (["n02055803"], []),
    "antelope": (["n02419796"], []),
    "chicken": ([], []),  # ILSVRC's cock/hen synsets are "adult male/female bird"; their images are chickens
    # vehicles
    "car": (["n02958343"], ["automobile"]),
    "truck": (["n04490091"], []),
    "van": (["n04520170"], []),
    "bus": (["n02924116"], []),
    "train": (["n04468005", "n03684823", "n02959942"], ["locomotive"]),
    "boat": (["n02858304", "n04128499"], []),
    "ship": (["n04194289"], []),
    "airplane": (["n02691156", "n04552348"], ["aeroplane", "jet"]),
    "bicycle": (["n02834778"], ["bike"]),
    "motorcycle": (["n03790512"], ["motorbike"]),
    "cart": (["n02970849", "n03484083"], []),
    # clothing and accessories
    "hat": (["n03497657"], []),
    "cap": (["n02954340"], []),
    "helmet": (["n03513137"], []),
    "shoe": (["n04199027"], []),
    "boot": (["n02872752"], []),
    "bag": (["n02773037"], []),
    "shirt": (["n04197391"], []),
    "dress": (["n03236735"], []),
    "coat": (["n03057021"], []),
    "sweater": (["n04370048"], []),
    "watch": (["n04555897"], ["wristwatch"]),
    "tie": (["n03815615"], ["necktie"]),
    "towel": (["n04459362"], []),
    # household things
    "ball": (["n02778669"], []),
    "clock": (["n03046257"], []),
    "phone": (["n04401088"], ["telephone", "cellphone"]),
    "computer": (["n03082979"], []),
    "table": (["n04379243", "n04379964"], []),
    "chair": (["n03001627"], []),
    "bed": (["n02818832"], []),
    "sofa": (["n04256520"], []),
    "lamp": (["n03636649"], []),
    "bottle": (["n02876657"], []),
    "mug": (["n03797390"], []),
    "bowl": (["n02880940"], []),
    "pan": (["n03880531"], []),
    "basket": (["n02801938"], []),
    "box": (["n02883344"], []),
    "guitar": (["n03467517"], []),
    "piano": (["n03928116"], []),
    "keyboard": (["n03614007"], []),
    "bench": (["n02828884"], []),
    "cabinet": (["n02933112"], []),
    "door": (["n03221720"], []),
    "sign": (["n06793231"], []),
    # places and structures
    "building": (["n02913152"], []),
    "bridge": (["n02898711"], []),
    "fence": (["n03327234"], []),
    # food and plants
    "fruit": (["n07705931"], []),
    "apple": (["n07739125"], []),
    "vegetable": (["n07707451"], ["veggie"]),
    "bread": (["n07679356"], []),
    "sandwich": (["n07695965"], []),
    "dessert": (["n07609840"], []),
    "flower": (["n11669921"], []),
}

# WordNet placements a caption's noun never means (wnid of the excluded class, why)
EXCLUDE: dict[str, dict[str, str]] = {
    "ball": {"n04023962": "punching bag (WordNet: punching ball)"},
    "truck": {"n03770679": "minivan (WordNet: a van, under truck)"},
    "computer": {"n04238763": "slide rule", "n06359193": "web site"},
}
# classes added by wnid where the everyday noun's WordNet synset does not reach them
EXTRA: dict[str, dict[str, str]] = {
    "chicken": {"n01514668": "cock", "n01514859": "hen"},
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_inputs(words: Path, is_a: Path, synsets: Path) -> tuple[dict, dict, list[str]]:
    """(wnid → lemmas, child → parents, the 1,000 class wnids in index order)."""
    lemmas = {}
    for line in words.read_text(encoding="utf-8").splitlines():
        wnid, text = line.split("\t", 1)
        lemmas[wnid] = [w.strip() for w in text.split(",")]
    parents: dict[str, set] = defaultdict(set)
    for line in is_a.read_text(encoding="utf-8").splitlines():
        parent, child = line.split()
        parents[child].add(parent)
    wnids = [line.split()[0] for line in synsets.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(wnids) != 1000 or wnids != sorted(wnids):
        raise SystemExit(f"{synsets}: expected the 1,000 ILSVRC wnids in sorted order, got {len(wnids)}")
    return lemmas, parents, wnids


def ancestors(wnid: str, parents: dict) -> set[str]:
    """Every synset above `wnid` (WordNet is a DAG: some synsets have two parents)."""
    out, stack = set(), [wnid]
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in out:
                out.add(p)
                stack.append(p)
    return out


def check_order(wnids: list[str], lemmas: dict) -> None:
    """Sorted wnids must be torchvision's class order (names compared where torchvision is installed)."""
    try:
        from torchvision.models._meta import _IMAGENET_CATEGORIES
    except ImportError:
        return
    off = [i for i, (w, name) in enumerate(zip(wnids, _IMAGENET_CATEGORIES)) if name.lower() not in [x.lower() for x in lemmas[w]]]
    # torchvision renames two homonyms: 134 "crane bird" (the bird crane) and 639 "maillot tank suit"
    if set(off) - {134, 639}:
        raise SystemExit(f"class order differs from torchvision at indices {off[:10]}")


def build_map(lemmas: dict, parents: dict, wnids: list[str], classes: list[dict]) -> dict:
    """noun → {synsets, aliases, classes (display names in class-index order)}."""
    taken = {w.lower(): o["name"] for o in classes for w in (o["name"], *o["synonyms"])}
    anc = {w: ancestors(w, parents) | {w} for w in wnids}
    out = {}
    for noun, (synsets, aliases) in NOUNS.items():
        for word in (noun, *aliases):
            if word in taken:
                raise SystemExit(f"{word!r} already names the class {taken[word]!r}: drop it from NOUNS")
        for s in synsets:
            if s not in lemmas:
                raise SystemExit(f"{noun}: unknown synset {s}")
        skip = EXCLUDE.get(noun, {})
        extra = EXTRA.get(noun, {})
        idx = [i for i, w in enumerate(wnids) if (anc[w] & set(synsets) and w not in skip) or w in extra]
        if not idx:
            raise SystemExit(f"{noun}: no ImageNet class under {synsets}")
        out[noun] = {
            "synsets": [f"{s} {lemmas[s][0]}" for s in synsets],
            "aliases": list(aliases),
            "classes": [classes[i]["name"] for i in idx],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=Path, required=True, help="ImageNet words.txt")
    ap.add_argument("--is-a", type=Path, required=True, help="ImageNet wordnet.is_a.txt")
    ap.add_argument("--synsets", type=Path, required=True, help="LOC_synset_mapping.txt (the 1,000 class wnids)")
    ap.add_argument("--out", type=Path, default=VOCAB / "imagenet_hypernyms.yaml")
    args = ap.parse_args()
    lemmas, parents, wnids = read_inputs(args.words, args.is_a, args.synsets)
    check_order(wnids, lemmas)
    classes = json.loads((VOCAB / "imagenet_classes.json").read_text())["objects"]
    nouns = build_map(lemmas, parents, wnids, classes)
    doc = {
        "name": "imagenet",
        "version": VERSION,
        "source": {
            "hierarchy": "ImageNet's WordNet is-a relations (wordnet.is_a.txt) and lemmas (words.txt), image-net.org download API; "
            "copy: github.com/niharikajainn/imagenet-ancestors-descendants@6921b884a9a5030a1a699f741e3acbf1429ac715",
            "classes": "ILSVRC-2012 LOC_synset_mapping.txt, sorted wnid order = class index (checked against torchvision); "
            "copy: github.com/JasmineLi-805/res18@47e9b8cb3c1a26691464147d79718a68f40fc859",
            "sha256": {"is_a.txt": _sha256(args.is_a), "words.txt": _sha256(args.words), "LOC_synset_mapping.txt": _sha256(args.synsets)},
            "licence": "WordNet 3.0 Copyright 2006 by Princeton University (WordNet licence)",
            "generator": "scripts/make_imagenet_hypernyms.py (nouns, exclusions and additions chosen by hand there)",
        },
        "nouns": nouns,
    }
    header = "# Generic caption nouns -> the ImageNet-1k classes beneath them in WordNet.\n# Generated by scripts/make_imagenet_hypernyms.py; edit the script, not this file.\n"
    args.out.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    print(f"wrote {args.out}: {len(nouns)} nouns, {len({c for n in nouns.values() for c in n['classes']})} classes covered")


if __name__ == "__main__":
    main()
