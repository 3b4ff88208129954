"""Foil captions: minimal rewrites of a true caption that change its attribute–object composition.

Types (SugarCrepe's replace/swap/add subsets, VALSE-style negation), one object each in `aobench.foils.types`:
- `replace_att`: one attribute → another attribute of the same type (colour → colour), never the same attribute or a
  synonym of it (synonyms map to one canonical entry), never one already in the caption;
- `replace_obj`: one object → another object of the same coarse group (vocab `group`), not already in the caption;
- `swap_att` / `swap_obj`: in a caption with two attribute–object pairs on different nouns, exchange their
  attributes / their nouns (nouns keep their slot's grammatical number);
- `add_att`: insert an attribute of a type the noun does not have yet, in English adjective order (size, state,
  shape, texture, pattern, colour, material);
- `negate`: "a red car" → "a car that is not red", "the car is red" → "the car is not red" (`negation: true`: it tests
  negation, not composition, so reports keep it apart).
Where the vocab has compatibility rules, a foil's new pair must be allowed by them (no "wooden clouds": a foil a
blind reader rejects as impossible is a biased foil). Articles (a/an) are re-agreed after every edit.

Free-form captions are parsed ONCE by `aobench.text.parse.Extractor` and every type is made from that parse.
Built datasets need no parse: each row's known (attribute, object) is re-rendered in the row's prompt template.
Randomness is per (seed, caption id, type), so a caption's foils do not depend on the other captions or types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

from aobench.errors import AobenchError
from aobench.foils.draw import HashRng
from aobench.foils.grammar import bow_identical, changed_span
from aobench.foils.rewrite import CaptionView
from aobench.foils.types import FOIL_TYPES, NEGATION_TYPES, TYPE_ORDER, TYPES, PairRow

__all__ = ["FOIL_TYPES", "NEGATION_TYPES", "TYPE_ORDER", "Foil", "FoilMaker", "parse_types"]


@dataclass
class Foil:
    """One foil of one caption, with what changed and the pairs on each side (for the audit)."""

    id: str
    caption: str
    foil: str
    type: str
    pairs: list = field(default_factory=list)
    foil_pairs: list = field(default_factory=list)

    def row(self) -> dict:
        """The JSONL row (`id, caption, foil, type, bow_identical` first, as DESIGN.md fixes)."""
        start, end, replacement = changed_span(self.caption, self.foil)
        return {
            "id": self.id,
            "caption": self.caption,
            "foil": self.foil,
            "type": self.type,
            "bow_identical": bow_identical(self.caption, self.foil),
            "span": [start, end],
            "replacement": replacement,
            "negation": self.type in NEGATION_TYPES,
            "pairs": [list(p) for p in self.pairs],
            "foil_pairs": [list(p) for p in self.foil_pairs],
        }


def parse_types(types: Optional[Iterable[str]]) -> tuple[str, ...]:
    """Validated foil types (comma-separated values allowed); all types when none are given."""
    if not types:
        return FOIL_TYPES
    out: list[str] = []
    for item in types:
        for t in str(item).split(","):
            t = t.strip()
            if not t:
                continue
            if t not in FOIL_TYPES:
                raise AobenchError(f"unknown foil type {t!r}; valid types: {', '.join(FOIL_TYPES)}")
            if t not in out:
                out.append(t)
    if not out:
        raise AobenchError(f"--types is empty; valid types: {', '.join(FOIL_TYPES)}")
    return tuple(out)


class FoilMaker:
    """Makes foils from a vocab's typed attributes and grouped objects, deterministically from a seed."""

    def __init__(self, vocab, seed: int = 0, per_type: int = 1):
        self.vocab = vocab
        self.seed = seed
        self.per_type = per_type  # foils per caption and type; 0 = every alternative
        self._attr = {a.name.lower(): a for a in vocab.attributes}
        self._obj = {o.name.lower(): o for o in vocab.objects}
        self._attrs_by_type: dict[str, list[str]] = {}
        for a in vocab.attributes:
            self._attrs_by_type.setdefault(a.type, []).append(a.name.lower())
        self._objs_by_group: dict[str, list[str]] = {}
        for o in vocab.objects:
            self._objs_by_group.setdefault(o.group, []).append(o.name.lower())
        self._all_attrs = [a.name.lower() for a in vocab.attributes]
        self._compat: dict[tuple[str, str, str], bool] = {}

    # -- shared helpers ----------------------------------------------------------------------------
    def rng(self, ident: str, typ: str) -> HashRng:
        """The draws for one caption and type (hash-based: stable across runs, cheap per caption)."""
        return HashRng(f"{self.seed}|{ident}|{typ}")

    def attr_type(self, name: str) -> str:
        """The type of a canonical attribute name ('' when unknown)."""
        a = self._attr.get(name)
        return a.type if a else ""

    def obj_group(self, name: str) -> str:
        """The coarse group of a canonical object name ('' when unknown)."""
        o = self._obj.get(name)
        return o.group if o else ""

    def compatible(self, attribute: str, obj: str) -> bool:
        """Whether the vocab's rules allow the pair (unknown words: allowed)."""
        if not self.vocab.rules:
            return True
        a, o = self._attr.get(attribute), self._obj.get(obj)
        if a is None or o is None:
            return True
        # rules see only the attribute and the object's group/subgroup: cache on that (hundreds of keys, not 10^5)
        key = (attribute, o.group, o.subgroup)
        hit = self._compat.get(key)
        if hit is None:
            hit = self._compat[key] = self.vocab.compatible(a, o)
        return hit

    def attr_word(self, name: str) -> str:
        """Surface word of a canonical attribute."""
        a = self._attr.get(name)
        return a.name if a else name

    def obj_word(self, name: str) -> str:
        """Surface words of a canonical object."""
        o = self._obj.get(name)
        return o.name if o else name

    def canon_attr(self, tok) -> str:
        """The canonical attribute a (spaCy) token names ('' when none)."""
        a = self.vocab.attribute_by_word.get(tok.lower_) or self.vocab.attribute_by_word.get(tok.lemma_.lower())
        return a.name.lower() if a else ""

    # candidate pools are static per type/group; the per-caption rules are predicates checked on the draws
    def replace_att_pool(self, attribute: str) -> list[str]:
        """Attributes of the same type (the canonical entry stands for all its synonyms)."""
        return self._attrs_by_type.get(self.attr_type(attribute), [])

    def replace_att_ok(self, attribute: str, objects: Iterable[str], exclude: set):
        """Predicate: another attribute, not in the caption, fitting every object it will describe."""
        objects = tuple(objects)
        return lambda x: x != attribute and x not in exclude and all(self.compatible(x, o) for o in objects)

    def replace_obj_pool(self, obj: str) -> list[str]:
        """Objects of the same coarse group."""
        return self._objs_by_group.get(self.obj_group(obj), [])

    def replace_obj_ok(self, obj: str, attributes: Iterable[str], exclude: set):
        """Predicate: another object, not in the caption, that every attribute of the noun fits."""
        attributes = tuple(attributes)
        return lambda x: x != obj and x not in exclude and all(self.compatible(a, x) for a in attributes)

    def add_att_pool(self) -> list[str]:
        """Every attribute."""
        return self._all_attrs

    def add_att_ok(self, obj: str, present: Iterable[str], exclude: set):
        """Predicate: an attribute of a type the object does not have yet, not in the caption, that fits it."""
        types = {self.attr_type(a) for a in present}
        return lambda x: self.attr_type(x) not in types and x not in exclude and self.compatible(x, obj)

    def pick(self, rng: HashRng, options: list) -> list:
        """`per_type` options drawn without replacement (all of them when per_type is 0 or they are few)."""
        if self.per_type == 0 or len(options) <= self.per_type:
            return options
        return rng.sample(options, self.per_type)

    def choose(self, rng: HashRng, slots: list) -> list:
        """(slot, candidate) choices from (slot, pool, ok) triples: all of them, or `per_type` distinct ones drawn
        slot first, then candidate (rejection sampling: no per-caption filtering of pools of hundreds)."""
        if self.per_type == 0:
            return [(slot, c) for slot, pool, ok in slots for c in pool if ok(c)]
        out: list = []
        live = list(slots)
        tries = 0
        while live and len(out) < self.per_type and tries < 8 * self.per_type + 8:
            tries += 1
            j = rng.randrange(len(live))
            slot, pool, ok = live[j]
            c = rng.draw(pool, ok)
            if c is None:
                live.pop(j)  # nothing in this pool fits this slot
            elif (slot, c) not in out:
                out.append((slot, c))
        return out

    # -- drivers: every requested type, one object each (aobench.foils.types) ---------------------
    def from_parse(self, ident: str, text: str, doc, matches: list, types: Iterable[str]) -> list[Foil]:
        """Foils of every requested type from one parse (doc after multi-word merging, and its matches)."""
        if not matches:
            return []
        pairs = [(m.attribute, m.object) for m in matches]
        view = CaptionView(doc, matches, pairs)
        out: list[Foil] = []
        seen = {text}
        for typ in types:
            for foil_text, foil_pairs in TYPES[typ].from_parse(self, ident, view):
                if foil_text in seen or not foil_text:
                    continue  # a foil never equals its caption, nor another foil of it
                seen.add(foil_text)
                out.append(Foil(ident, text, foil_text, typ, pairs, foil_pairs))
        return out

    def from_pair(self, ident: str, caption: str, attribute: str, obj: str, template: str, types: Iterable[str]) -> list[Foil]:
        """Foils of a templated caption with a known pair: the template re-rendered with the foil pair."""
        row = PairRow(caption, attribute, obj, template)
        pairs = [(row.a, row.o)]
        out: list[Foil] = []
        seen = {caption}
        for typ in types:
            for text, foil_pairs in TYPES[typ].from_pair(self, ident, row):
                if text and text not in seen:
                    seen.add(text)
                    out.append(Foil(ident, caption, text, typ, pairs, foil_pairs))
        return out
