"""Pair rules of a vocabulary (`compatibility*.yaml`): which attribute x object pairs make sense, and which to flag.

A rules file is `{name, include?, rules: [...]}`; each rule has an `id` (the card counts what each one removed or
flagged) and one kind:

- `deny: {groups, attributes, attribute_types}` — hand-written exclusions (sleeping pizza, sliced volcano).
- `deny_stated: {attribute_types, senses}` — a class whose name or a synonym states an attribute of one of these
  types (a word of a multi-word name before its last word, or a one-word name that is a material: "grey fox",
  "Golden Retriever", "silver salmon", "wooden spoon", "wool") gets no other attribute of that type (a pink grey
  fox contradicts itself) and not that one either (a grey grey fox says nothing). Words are matched with the
  attribute lexicon's names and synonyms; `senses` lists words of a class name used in another sense
  ("wood rabbit": the forest, not the material).
- `applicable: {corpora, objects, attributes, hypernyms, ...}` — applicability grounded in corpus counts (see
  `Applicability`): an attribute type applies to a coarse object group when the group's objects bear it in the
  counts, and a `specific_types` attribute (states, textures) only where the group's objects bear that attribute.
- `flag: {attributes, groups, nouns, classes}` — pairs kept as candidates but flagged (`pairs.jsonl` `flags`):
  attributes that describe the state a thing is in unless a caption says otherwise (a clean monastery, a hard
  planetarium, a tiny terrier). Captions omit them, so their absence from a corpus is no evidence of rarity;
  recipes keep flagged pairs out of unusual splits by default (`pairs.flagged`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError

_WORD_SPLIT = re.compile(r"[\s\-/,]+")


def _groups_match(groups, obj) -> bool:
    return "*" in groups or obj.group in groups or obj.subgroup in groups


@dataclass
class Deny:
    """Named attributes or attribute types never paired with the named groups ("*": all)."""

    id: str
    groups: tuple = ("*",)
    attributes: frozenset = frozenset()
    attribute_types: frozenset = frozenset()

    def denies(self, a, o, vocab) -> bool:
        """Whether this rule removes the pair."""
        return _groups_match(self.groups, o) and (a.name in self.attributes or a.type in self.attribute_types)

    def describe(self) -> str:
        """What the rule does, in a few words (the card)."""
        what = ", ".join(sorted(self.attributes) + [f"{t} attributes" for t in sorted(self.attribute_types)])
        return f"no {what} for {', '.join(self.groups)}"


def stated_words(name: str, by_word: dict, head_types: frozenset) -> dict[str, set]:
    """Attribute type → attribute names a class name states (modifiers of a multi-word name; a one-word material name)."""
    words = [w for w in _WORD_SPLIT.split(name.lower()) if w]
    out: dict[str, set] = {}
    for i, w in enumerate(words):
        a = by_word.get(w)
        if a is None or (i == len(words) - 1 and (len(words) > 1 or a.type not in head_types)):
            continue  # the last word is the noun ("beer glass", "orange"), unless a one-word material name ("wool")
        out.setdefault(a.type, set()).add(a.name)
    return out


@dataclass
class DenyStated:
    """No attribute of a type the class name already states ("a pink grey fox", "a golden silver salmon")."""

    id: str
    attribute_types: frozenset
    senses: dict = field(default_factory=dict)  # class name -> words used there in another sense
    head_types: frozenset = frozenset({"material"})

    def stated(self, o, vocab) -> dict[str, set]:
        """Attribute type → the attribute names this object's names state (for the rule's types)."""
        cache = vocab.__dict__.setdefault("_stated_cache", {})  # per vocabulary: its lexicon decides which words count
        hit = cache.get((self.id, o.name))
        if hit is None:
            skip = set(self.senses.get(o.name, ()))
            by_word = {w: a for w, a in vocab.attribute_by_word.items() if w not in skip and a.type in self.attribute_types}
            hit = {}
            for name in o.names:
                for t, names in stated_words(name, by_word, self.head_types).items():
                    hit.setdefault(t, set()).update(names)
            cache[(self.id, o.name)] = hit
        return hit

    def denies(self, a, o, vocab) -> bool:
        """Whether the object's name states an attribute of this attribute's type."""
        return a.type in self.attribute_types and a.type in self.stated(o, vocab)

    def describe(self) -> str:
        """What the rule does, in a few words (the card)."""
        return f"no {'/'.join(sorted(self.attribute_types))} attribute for a class whose name states one (grey fox, silver salmon)"


@dataclass(frozen=True)
class Applicability:
    """Which attribute types and attributes each coarse object group bears in corpus counts.

    Events: every counted (attribute, object) occurrence in `corpora` whose object is a class name (its group) or
    a generic noun of `hypernyms` (each group holding one of its classes), summed over the corpora. The rule:

    - a group with fewer than `min_group_events` events is not judged (too little evidence either way);
    - an attribute type applies to a group when the group has at least `min_type_events` events of that type;
    - an attribute of a `specific_types` type (states, textures: conditions particular kinds of things have,
      unlike a colour or material any depicted thing can carry) applies to a group only when the group's
      objects bear that attribute at least `min_attribute_events` times — so one parse error does not make
      "sleeping" apply to artifacts, and an attribute no group bears is tested nowhere (peeled: food only;
      wilted, grainy: no group in the counts).
    """

    id: str
    corpora: tuple
    objects: str = "imagenet"
    attributes: str = "vaw"
    hypernyms: Optional[str] = "imagenet"
    specific_types: tuple = ("state", "texture")
    min_type_events: int = 3
    min_attribute_events: int = 3
    min_group_events: int = 20

    def table(self) -> dict:
        """{"lexicon": attribute → type, "groups": group → {"events", "types": Counter, "attributes": Counter}} (cached)."""
        return _applicability_table(self)

    def denies(self, a, o, vocab) -> bool:
        """Whether the counts say this attribute (or its type) does not apply to the object's group."""
        t = self.table()
        g = t["groups"].get(o.group)
        typ = t["lexicon"].get(a.name)
        if g is None or typ is None or g["events"] < self.min_group_events:
            return False  # an attribute outside the counted lexicon, or a group with too little evidence: not judged
        if g["types"][typ] < self.min_type_events:
            return True
        return typ in self.specific_types and g["attributes"][a.name] < self.min_attribute_events

    def describe(self) -> str:
        """What the rule does, in a few words (the card)."""
        return (f"attribute types a group's objects bear >= {self.min_type_events} times, and {'/'.join(self.specific_types)} "
                f"attributes they bear >= {self.min_attribute_events} times, in {', '.join(self.corpora)}")


@lru_cache(maxsize=8)
def _applicability_table(rule: Applicability) -> dict:
    from aobench.nmidir import load_corpus
    from aobench.vocab import load_attributes, load_hypernyms, load_objects

    objects = load_objects(rule.objects)
    lexicon = {a.name: a.type for a in load_attributes(rule.attributes)}
    group_of: dict[str, set] = defaultdict(set)
    by_name = {}
    for o in objects:
        by_name.setdefault(o.name, o)
        for w in o.names:
            group_of[w.lower()].add(o.group)
    if rule.hypernyms:
        for h in load_hypernyms(rule.hypernyms):
            gs = {by_name[c].group for c in h.classes if c in by_name}
            for w in (h.name, *h.synonyms):
                group_of[w].update(gs)
    groups = {g: {"events": 0, "types": Counter(), "attributes": Counter()} for g in {o.group for o in objects}}
    for i, ref in enumerate(rule.corpora):
        try:
            counts = load_corpus(ref).counts
        except AobenchError as exc:
            raise AobenchError(f"compatibility rule {rule.id}: corpora[{i}]: {exc}") from None
        for (attr, obj), n in counts.pairs.items():
            t = lexicon.get(attr)
            if t is None:
                continue
            for g in group_of.get(obj.lower(), ()):
                groups[g]["events"] += n
                groups[g]["types"][t] += n
                groups[g]["attributes"][attr] += n
    return {"lexicon": lexicon, "groups": groups}


@dataclass
class Flag:
    """Pairs flagged (kept as candidates, marked in `pairs.jsonl`): attributes naming a default state of these objects."""

    id: str
    attributes: frozenset
    groups: tuple = ()
    nouns: tuple = ()  # generic nouns of `hypernyms`: every class beneath them
    classes: frozenset = frozenset()
    hypernyms: Optional[str] = "imagenet"
    why: str = ""

    def covers(self, o) -> bool:
        """Whether the rule's objects include this one."""
        if (self.groups and _groups_match(self.groups, o)) or o.name in self.classes:
            return True
        return o.name in _beneath(self.hypernyms, self.nouns) if self.nouns else False

    def flags(self, a, o) -> bool:
        """Whether this pair is flagged."""
        return a.name in self.attributes and self.covers(o)

    def describe(self) -> str:
        """What the rule flags, in a few words (the card)."""
        return self.why or f"{', '.join(sorted(self.attributes))}"


@lru_cache(maxsize=32)
def _beneath(hypernyms: Optional[str], nouns: tuple) -> frozenset:
    from aobench.vocab import load_hypernyms

    if not hypernyms:
        raise AobenchError("a flag rule with nouns needs hypernyms: NAME (the map the nouns come from)")
    hyp = load_hypernyms(hypernyms)
    unknown = [n for n in nouns if n not in hyp.nouns]
    if unknown:
        raise AobenchError(f"flag rule: unknown generic noun(s) {unknown} in hypernyms {hypernyms}")
    return frozenset(c for n in nouns for c in hyp.nouns[n].classes)


KINDS = ("deny", "deny_stated", "applicable", "flag")


def parse_rule(raw: dict, where: str, base: Optional[Path] = None):
    """One rule of a rules file → a Deny, DenyStated, Applicability or Flag (`base`: the file's folder, for relative corpus paths)."""
    if not isinstance(raw, dict):
        raise AobenchError(f"{where}: a rule is a mapping with an id and one of {', '.join(KINDS)}")
    kinds = [k for k in KINDS if k in raw]
    extra = set(raw) - set(KINDS) - {"id", "why"}
    if len(kinds) != 1 or extra:
        raise AobenchError(f"{where}: a rule needs exactly one of {', '.join(KINDS)} (and an id){'; unknown keys: ' + ', '.join(sorted(extra)) if extra else ''}")
    kind = kinds[0]
    rid = str(raw.get("id") or where)
    spec = raw[kind] or {}
    try:
        if kind == "deny":
            return Deny(rid, tuple(spec.get("groups", ["*"])), frozenset(spec.get("attributes", ())), frozenset(spec.get("attribute_types", ())))
        if kind == "deny_stated":
            return DenyStated(rid, frozenset(spec["attribute_types"]), {str(k): tuple(v) for k, v in (spec.get("senses") or {}).items()})
        if kind == "applicable":
            keys = ("objects", "attributes", "hypernyms", "min_type_events", "min_attribute_events", "min_group_events")
            corpora = tuple(c if str(c).startswith("builtin:") or base is None or Path(c).is_absolute() else str(base / c) for c in spec["corpora"])
            return Applicability(rid, corpora, specific_types=tuple(spec.get("specific_types", ("state", "texture"))),
                                 **{k: spec[k] for k in keys if k in spec})  # fmt: skip
        return Flag(rid, frozenset(spec["attributes"]), tuple(spec.get("groups", ())), tuple(spec.get("nouns", ())),
                    frozenset(spec.get("classes", ())), spec.get("hypernyms", "imagenet"), str(raw.get("why", "")))  # fmt: skip
    except (KeyError, TypeError, AttributeError) as exc:
        raise AobenchError(f"{where}: malformed {kind} rule {rid!r} ({exc})") from None
