"""Attribute x object pairs: enumerate, weigh the corpus evidence, mark seen/unusual, sample (images per pair: `aobench.budget`).

Evidence: a pair is `seen` when caption corpora pair its attribute with its object at least `seen_threshold`
times (counts: `aobench.nmidir.load_corpus`, anything with `.pair_count(a, o)`), or a `seen_pairs` file lists it. With
`pairs.match: hypernym` a caption's generic noun counts for every class beneath it ("a black dog" is evidence
for "black Labrador Retriever"; `vocab.hypernyms`). A pair checked and not found is `unusual`; a pair checked
against nothing is `unchecked`, never silently `unusual`. In a holdout recipe (shapes-ao) `unusual` means held
out of the build's own training split.

`pairs.jsonl` keeps every pair drawn for the build and every candidate excluded as seen (`selected: false`), each
with its evidence: the corpora consulted, the count per corpus, the level that matched (class or hypernym) and
the generic nouns that did. Unusual pairs are the ones a benchmark tests; seen pairs the ones a training split
may show.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Protocol

import numpy as np

from aobench.errors import AobenchError
from aobench.seeds import rng_for
from aobench.vocab import Vocab

LEVELS = ("class", "hypernym")


class PairCounts(Protocol):
    """Anything that can say how often a corpus pairs an attribute with an object."""

    def pair_count(self, attribute: str, obj: str) -> int: ...


@dataclass
class Pair:
    """One candidate pair with its labels and evidence (a line of `pairs.jsonl`)."""

    attribute: str
    object: str
    attribute_type: str
    object_group: str
    status: str  # "seen", "unusual", or "unchecked" (no corpus, seen-pairs file or holdout consulted)
    corpus_count: int = 0  # summed over the corpora, at the levels consulted
    selected: bool = True  # drawn for the build; False: a candidate excluded as seen, listed for the audit
    evidence: list = field(default_factory=list)  # what the status rests on: corpus names, "seen_pairs", "holdout"
    level: Optional[str] = None  # the most specific level with corpus evidence: "class" or "hypernym"
    via: list = field(default_factory=list)  # generic caption nouns that matched ("dog" for a dog breed)
    counts: dict = field(default_factory=dict)  # corpus name -> pair count at the levels consulted
    negated: dict = field(default_factory=dict)  # corpus name -> negated mentions ("not blue"), where counted
    flags: list = field(default_factory=list)  # ids of the vocab's flag rules the pair meets (default states: "default-clean-dry")

    def key(self) -> tuple[str, str]:
        """(attribute, object)."""
        return (self.attribute, self.object)


def read_seen_pairs(path: str | Path) -> set[tuple[str, str]]:
    """Pairs from a `.jsonl` (attribute, object), `.csv` (attribute,object columns) or `.txt` ("attribute object" per line)."""
    p = Path(path)
    if not p.exists():
        raise AobenchError(f"pairs.seen_pairs: file not found: {p}")
    out: set[tuple[str, str]] = set()
    if p.suffix == ".jsonl":
        from aobench.io import read_jsonl_strict

        for n, row in read_jsonl_strict(p, 'expected {"attribute", "object"} per line'):
            try:
                out.add((row["attribute"].lower(), row["object"].lower()))
            except (KeyError, TypeError, AttributeError):
                raise AobenchError(f"malformed seen pair: {p}:{n}: expected {{\"attribute\", \"object\"}}") from None
        return out
    with open(p, encoding="utf-8") as fh:
        if p.suffix in (".csv", ".tsv"):
            reader = csv.DictReader(fh, delimiter="\t" if p.suffix == ".tsv" else ",")
            if not reader.fieldnames or not {"attribute", "object"} <= set(reader.fieldnames):
                raise AobenchError(f"seen pairs file {p} needs columns attribute,object")
            for row in reader:
                out.add((row["attribute"].strip().lower(), row["object"].strip().lower()))
        else:
            for n, line in enumerate(fh, 1):
                parts = line.strip().split(maxsplit=1)
                if not parts:
                    continue
                if len(parts) != 2:
                    raise AobenchError(f"malformed seen pair: {p}:{n}: expected 'attribute object'")
                out.add((parts[0].lower(), parts[1].lower()))
    return out


def compatible_pairs(vocab: Vocab) -> list[tuple]:
    """All attribute x object pairs the vocabulary's rules allow, in vocabulary order."""
    return [(a, o) for o in vocab.objects for a in vocab.attributes if vocab.compatible(a, o)]


@dataclass
class Census:
    """What the vocabulary's pair rules did to the enumerated attribute x object pairs (the card's rule table)."""

    enumerated: int  # distinct (attribute, object) names before any rule
    removed: dict  # rule id -> candidates it removed (each counted once, by the first rule that denies it)
    flagged: dict  # flag rule id -> candidates it flagged (a pair may meet several)
    described: dict  # rule id -> what the rule does, in a few words

    @property
    def candidates(self) -> int:
        """Pairs left after the rules."""
        return self.enumerated - sum(self.removed.values())


def candidates(vocab: Vocab) -> tuple[list[tuple], Census]:
    """(the distinct compatible (Attribute, ObjectClass) pairs, the census of what each rule removed or flagged)."""
    removed = {r.id: 0 for r in vocab.rules if not hasattr(r, "flags")}
    flagged = {r.id: 0 for r in vocab.rules if hasattr(r, "flags")}
    out: dict = {}  # two classes may share a name: the pair keeps its first place and the last compatible class
    denied: dict = {}
    for o in vocab.objects:
        for a in vocab.attributes:
            key = (a.name, o.name)
            rule = vocab.denied_by(a, o)
            if rule is None:
                out[key] = (a, o)
            else:
                denied.setdefault(key, rule)
    for key, rule in denied.items():
        if key not in out:
            removed[rule] += 1
    for a, o in out.values():
        for f in vocab.flags(a, o):
            flagged[f] += 1
    described = {r.id: r.describe() for r in vocab.rules}
    return list(out.values()), Census(len(out.keys() | denied.keys()), removed, flagged, described)


class Evidence:
    """Checks pairs against caption-corpus counts (class level, or with the generic nouns above each class) and a seen-pairs file."""

    def __init__(self, corpora: Iterable[PairCounts] = (), seen_file: Optional[set] = None, *, threshold: int = 1, match: str = "class", hypernyms=None):
        self.corpora = list(corpora)
        self.names = [str(getattr(c, "name", "") or f"corpus{i + 1}") for i, c in enumerate(self.corpora)]
        self.seen_file = seen_file
        self.threshold = threshold
        if match not in LEVELS:
            raise AobenchError(f"pairs.match: {match!r}; allowed: {', '.join(LEVELS)}")
        if match == "hypernym" and hypernyms is None:
            raise AobenchError("pairs.match: hypernym needs vocab.hypernyms (generic nouns mapped to classes; built-in: imagenet) — set it or use match: class")
        self.match = match
        self.hypernyms = hypernyms if match == "hypernym" else None

    @classmethod
    def for_recipe(cls, recipe, vocab: Vocab, counts: Optional[Iterable[PairCounts]] = None) -> "Evidence":
        """The evidence a recipe's `pairs` section asks for (counts loaded by the caller)."""
        spec = recipe.pairs
        seen_file = read_seen_pairs(spec.seen_pairs) if spec.seen_pairs else None
        return cls(counts or (), seen_file, threshold=spec.seen_threshold, match=spec.match, hypernyms=vocab.hypernyms)

    @property
    def sources(self) -> list[str]:
        """What was consulted: corpus names, and "seen_pairs" for a seen-pairs file."""
        return self.names + (["seen_pairs"] if self.seen_file is not None else [])

    def check(self, a, o) -> tuple[bool, dict]:
        """(seen?, the Pair fields recording why) for an Attribute and an ObjectClass."""
        nouns = self.hypernyms.ancestors(o.name) if self.hypernyms is not None else ()
        counts, negated, via = {}, {}, []
        class_hit = False
        for name, c in zip(self.names, self.corpora):
            n = int(c.pair_count(a.name, o.name))
            class_hit |= n > 0
            neg = _negated(c, a.name, o.name)
            for noun in nouns:
                k = int(c.pair_count(a.name, noun))
                if k and noun not in via:
                    via.append(noun)
                n += k
                neg += _negated(c, a.name, noun)
            counts[name] = n
            if neg:
                negated[name] = neg
        total = sum(counts.values())
        seen = bool(self.corpora) and total >= self.threshold
        if self.seen_file is not None:
            listed = any((w.lower(), n.lower()) in self.seen_file for w in (a.name, *a.synonyms) for n in o.names)
            counts["seen_pairs"] = int(listed)
            seen = seen or listed
        level = "class" if class_hit else ("hypernym" if via else None)
        return seen, {"corpus_count": total, "evidence": self.sources, "level": level, "via": via, "counts": counts, "negated": negated}


def _negated(counts, a: str, o: str) -> int:
    f = getattr(counts, "negated_count", None)
    if f is not None:
        return int(f(a, o))
    table = getattr(counts, "negated", None)  # aobench.text.counts.Counts keeps negated mentions apart
    return int(table.get((a.lower(), o.lower()), 0)) if table else 0


def _cyclic_holdout(n_objects: int, n_attrs: int, fraction: float, seed: int) -> np.ndarray:
    """Boolean [object, attribute] mask of held-out pairs: every object loses k attributes, attributes evenly."""
    k = max(1, min(n_attrs - 1, round(fraction * n_attrs)))
    perm = rng_for(seed, "holdout").permutation(n_attrs)
    mask = np.zeros((n_objects, n_attrs), dtype=bool)
    for i in range(n_objects):
        for j in range(k):
            mask[i, perm[(i * k + j) % n_attrs]] = True
    return mask


@dataclass
class Selection:
    """The pairs of a build (`pairs.jsonl`), how many candidates there were, the evidence consulted and what the rules did."""

    pairs: list[Pair]
    n_candidates: int
    evidence: Evidence
    census: Optional[Census] = None


def choose_pairs(recipe, vocab: Vocab, counts: Optional[list[PairCounts]] = None) -> Selection:
    """Pairs for a build with their evidence: seen/unusual/unchecked labels, K sampled per object, seen candidates kept for the audit.

    Flagged candidates (a flag rule of the vocab: default states) carry `flags`; with `pairs.flagged: exclude` (the
    default) an unusual one is never drawn and is listed with `selected: false`, like a seen one.
    """
    spec = recipe.pairs
    ev = Evidence.for_recipe(recipe, vocab, counts)
    cand, census = candidates(vocab)
    exclude = spec.flagged == "exclude"
    rows: list[Pair] = []
    if spec.unusual_fraction is not None:
        attr_index = {a.name: j for j, a in enumerate(vocab.attributes)}
        obj_index = {o.name: i for i, o in enumerate(vocab.objects)}
        mask = _cyclic_holdout(len(vocab.objects), len(vocab.attributes), spec.unusual_fraction, recipe.seed)
        for a, o in cand:
            is_seen, fields = ev.check(a, o)
            held = mask[obj_index[o.name], attr_index[a.name]] and not is_seen
            fields["evidence"] = fields["evidence"] + ["holdout"]
            flags = vocab.flags(a, o)
            rows.append(Pair(a.name, o.name, a.type, o.group, "unusual" if held else "seen", selected=not (held and flags and exclude), flags=flags, **fields))
        return Selection(rows, len(cand), ev, census)
    by_object: dict[str, list[Pair]] = {}
    unseen = "unusual" if ev.sources else "unchecked"
    for a, o in cand:
        is_seen, fields = ev.check(a, o)
        flags = vocab.flags(a, o)
        by_object.setdefault(o.name, []).append(
            Pair(a.name, o.name, a.type, o.group, "seen" if is_seen else unseen, selected=not is_seen and not (flags and exclude), flags=flags, **fields)
        )
    for name in dict.fromkeys(o.name for o in vocab.objects):
        pool = by_object.get(name, [])
        options = [p for p in pool if p.selected]
        if spec.attributes_per_object and len(options) > spec.attributes_per_object:
            pick = set(rng_for(recipe.seed, "pairs", name).choice(len(options), spec.attributes_per_object, replace=False).tolist())
            for i, p in enumerate(options):
                p.selected = i in pick
        # unpicked unusual candidates are implied (vocab x rules minus the rest); seen and excluded flagged ones are listed
        rows.extend(p for p in pool if p.selected or p.status == "seen" or (p.flags and exclude))
    return Selection(rows, len(cand), ev, census)


def select_pairs(recipe, vocab: Vocab, counts: Optional[list[PairCounts]] = None) -> list[Pair]:
    """The rows of `pairs.jsonl` for a build (see `choose_pairs`)."""
    return choose_pairs(recipe, vocab, counts).pairs


def drawn(pairs: Iterable[Pair]) -> list[Pair]:
    """The pairs a build draws images of (candidates excluded as seen are left out)."""
    return [p for p in pairs if p.selected]


def load_corpora(recipe) -> list:
    """The corpora a recipe's `pairs.counts` names (`builtin:NAME` or `aobench nmi` dirs), loaded."""
    from aobench.nmidir import load_corpus

    out = []
    for i, ref in enumerate(recipe.pairs.counts):
        try:
            out.append(load_corpus(ref))
        except AobenchError as exc:
            raise AobenchError(f"pairs.counts[{i}]: {exc}") from None
    return out


def summarize(recipe, pairs: list[Pair], n_candidates: Optional[int] = None, corpora: Optional[list] = None, census: Optional[Census] = None) -> dict:
    """Evidence numbers of a build (card, first line): corpora, level, candidates, seen/excluded, kept, what each rule did.

    `corpora`: the ones the pairs were checked against (default: load the recipe's `pairs.counts` again);
    `census`: what the vocabulary's rules removed and flagged (default: count it again from the recipe's vocab).
    """
    if census is None:
        from aobench.vocab import load_vocab

        _, census = candidates(load_vocab(recipe.vocab))
    if n_candidates is None:
        n_candidates = census.candidates
    if corpora is None:
        from aobench.nmidir import load_corpus

        corpora = []
        for ref in recipe.pairs.counts:
            try:
                corpora.append(load_corpus(ref))
            except AobenchError:  # counts moved since the build: the names in pairs.jsonl still say what was used
                corpora.append({"name": str(ref)})
    corpora = [c if isinstance(c, dict) else {**(getattr(c, "info", None) or {}), "name": str(getattr(c, "name", "") or f"corpus{i + 1}")} for i, c in enumerate(corpora)]
    seen = [p for p in pairs if p.status == "seen"]
    sources = sorted({s for p in pairs for s in p.evidence})
    return {
        "corpora": corpora,
        "seen_pairs_file": recipe.pairs.seen_pairs,
        "checked": bool(corpora) or recipe.pairs.seen_pairs is not None,
        "holdout": "holdout" in sources,
        "match": recipe.pairs.match,
        "threshold": recipe.pairs.seen_threshold,
        "candidates": n_candidates,
        "seen": len(seen),
        "excluded_as_seen": sum(not p.selected for p in seen),
        "seen_by_level": {lvl: sum(p.level == lvl for p in seen) for lvl in LEVELS},
        "kept": sum(p.selected for p in pairs),
        "by_status": {s: sum(p.selected and p.status == s for p in pairs) for s in ("seen", "unusual", "unchecked")},
        "enumerated": census.enumerated,
        "rules": [{"id": k, "what": census.described.get(k, ""), "action": "removed", "n": n} for k, n in census.removed.items()]
        + [{"id": k, "what": census.described.get(k, ""), "action": "flagged", "n": n} for k, n in census.flagged.items()],
        "removed_by_rules": sum(census.removed.values()),
        "flagged_policy": recipe.pairs.flagged,
        "flagged_excluded": sum(bool(p.flags) and not p.selected and p.status != "seen" for p in pairs),
    }


def evidence_line(summary: dict) -> str:
    """One line saying what a build's pair labels rest on (printed when a build starts)."""
    s = summary
    if not s["checked"]:
        if s["holdout"]:
            return (f"pairs: checked against no caption corpus; 'unusual' means held out of this build's training split "
                    f"({s['by_status']['unusual']:,} of {s['candidates']:,} pairs)")
        return (f"pairs: checked against NO caption corpus: the {s['kept']:,} pairs drawn are 'unchecked', not known to be unusual "
                f"— list corpus counts in pairs.counts (e.g. builtin:coco-captions, or an `aobench nmi` dir)")
    what = ", ".join(f"{c['name']} ({c.get('n_captions', 0):,} captions)" if c.get("n_captions") else c["name"] for c in s["corpora"])
    if s["seen_pairs_file"]:
        what = ", ".join(x for x in (what, f"seen pairs {s['seen_pairs_file']}") if x)
    kept = f"{s['kept']:,} drawn" if not s["holdout"] else f"{s['by_status']['unusual']:,} held out"
    rules = ""
    if s.get("removed_by_rules") or s.get("flagged_excluded"):
        rules = f" (the vocab's rules removed {s['removed_by_rules']:,} of {s['enumerated']:,} pairs"
        rules += f"; {s['flagged_excluded']:,} unusual candidates flagged as default states were left out)" if s.get("flagged_excluded") else ")"
    return (f"pairs: checked against {what} at {s['match']} level: {s['candidates']:,} candidates{rules}, "
            f"{s['seen']:,} seen ({s['seen_by_level']['class']:,} by class name, {s['seen_by_level']['hypernym']:,} only by a generic noun), {kept}")


def write_pairs(path: str | Path, pairs: list[Pair]) -> None:
    """Write `pairs.jsonl` atomically."""
    from aobench.io import atomic_write_jsonl

    atomic_write_jsonl(path, (asdict(p) for p in pairs))


def read_pairs(path: str | Path) -> list[Pair]:
    """Read `pairs.jsonl`."""
    from aobench.io import read_jsonl

    return [Pair(**row) for row in read_jsonl(path)]
