"""Foil captions: minimal rewrites of a true caption that make it false by changing its attribute–object composition.

Types (SugarCrepe's replace/swap/add subsets, VALSE-style negation), one object each in `aobench.foils.types`:
- `replace_att`: one attribute → another of its type that contradicts it (`aobench.foils.lexicon`: any colour,
  material, pattern or shape but a near-synonym on one scale — never "large" → "huge", "yellow" → "golden"; a size,
  texture or state only by a listed opposite — "small" → "large", "wet" → "dry"); an adjective the lexicon does not
  type is not replaced; never a synonym (synonyms map to one canonical entry), never one already in the caption;
- `replace_obj`: one noun (with its compound nouns) → another of its pool: a class by a class under the same
  hypernym or of the same kind, a generic noun ("dog", "shirt") by another of its kind ("cat", "jacket"), never a
  near-synonym, written with its display name;
- `swap_att` / `swap_obj`: two pairs on different nouns exchange their (contradicting, same-type) attributes / their
  nouns (of one pool; nouns keep their slot's grammatical number);
- `add_att`: insert an attribute of a type the noun does not have yet, in English adjective order (size, state,
  shape, texture, pattern, colour, material);
- `negate`: "a red car" → "a car that is not red", "the car is red" → "the car is not red" (`negation: true`: it tests
  negation, not composition, so reports keep it apart).
Every new pair must be allowed by the vocab's compatibility rules and, when a plausibility prior is given
(`aobench.foils.prior`), not rejected by it: a foil a blind reader rejects as impossible is a biased foil. Pairs the
lexicon keeps apart (colour words of people) are never foiled. Articles (a/an) are re-agreed after every edit.

Free-form captions are parsed ONCE by `aobench.text.parse.Extractor` and every type is made from that parse.
Built datasets need no parse: each row's known (attribute, object) is re-rendered in the row's prompt template.
Randomness is per (seed, caption id, type), so a caption's foils do not depend on the other captions or types.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

from aobench.errors import AobenchError
from aobench.foils.draw import HashRng
from aobench.foils.grammar import bow_identical, changed_span
from aobench.foils.lexicon import FoilLexicon
from aobench.foils.rewrite import CaptionView
from aobench.foils.types import FOIL_TYPES, NEGATION_TYPES, TYPE_ORDER, TYPES, PairRow

__all__ = ["FOIL_TYPES", "NEGATION_TYPES", "TYPE_ORDER", "Foil", "FoilLexicon", "FoilMaker", "parse_types"]


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
    """Makes foils from a lexicon (a vocab's typed attributes and nouns by pool), deterministically from a seed."""

    def __init__(self, vocab, seed: int = 0, per_type: int = 1, prior=None):
        self.lexicon = vocab if isinstance(vocab, FoilLexicon) else FoilLexicon(vocab)
        self.vocab = self.lexicon.vocab
        self.seed = seed
        self.per_type = per_type  # foils per caption and type; 0 = every alternative
        self.prior = prior  # a PlausibilityPrior (ok, addable, hold); None: every pair is plausible
        self._use_prior = True

    # -- shared helpers ----------------------------------------------------------------------------
    def rng(self, ident: str, typ: str) -> HashRng:
        """The draws for one caption and type (hash-based: stable across runs, cheap per caption)."""
        return HashRng(f"{self.seed}|{ident}|{typ}")

    def attr_type(self, name: str) -> str:
        """The type of a canonical attribute name ('' when untyped)."""
        return self.lexicon.attr_type(name)

    def attr_word(self, name: str) -> str:
        """Surface word of a canonical attribute."""
        return self.lexicon.attr_word(name)

    def obj_word(self, name: str) -> str:
        """The words a foil writes for an object (display name)."""
        return self.lexicon.obj_word(name)

    def canon_attr(self, tok) -> str:
        """The canonical attribute a (spaCy) token names ('' when none)."""
        return self.lexicon.canon_attr(tok.lower_) or self.lexicon.canon_attr(tok.lemma_)

    def plausible(self, attribute: str, obj: str) -> bool:
        """Whether the prior (if any) lets a foil create this pair."""
        return self.prior is None or not self._use_prior or self.prior.ok(attribute, obj)

    def addable(self, attribute: str, obj: str) -> bool:
        """Whether the prior (if any) lets add_att add this pair: said of the object, yet not typical of it."""
        return self.prior is None or not self._use_prior or self.prior.addable(attribute, obj)

    def fits(self, attribute: str, obj: str) -> bool:
        """Whether a foil may create this pair: compatibility rules, pairs kept apart, the plausibility prior."""
        lex = self.lexicon
        return lex.compatible(attribute, obj) and lex.foilable(attribute, obj) and self.plausible(attribute, obj)

    # candidate pools are static per attribute/object; the per-caption rules are predicates checked on the draws
    def replace_att_pool(self, attribute: str) -> list[str]:
        """Attributes of the same type that contradict this one (the canonical entry stands for its synonyms)."""
        return self.lexicon.replace_att_pool(attribute)

    def replace_att_ok(self, attribute: str, objects: Iterable[str], exclude: set):
        """Predicate: another attribute, not in the caption, fitting every object it will describe."""
        objects = tuple(objects)
        return lambda x: x != attribute and x not in exclude and all(self.fits(x, o) for o in objects)

    def replace_obj_pool(self, obj: str) -> list[str]:
        """Objects of the same pool (level and kind), never a near-synonym."""
        return self.lexicon.replace_obj_pool(obj)

    def replace_obj_ok(self, obj: str, attributes: Iterable[str], exclude: set):
        """Predicate: another object, not in the caption, that every attribute of the noun fits."""
        attributes = tuple(attributes)
        return lambda x: x != obj and x not in exclude and all(self.fits(a, x) for a in attributes)

    def add_att_pool(self) -> list[str]:
        """Every typed attribute but participles ("sleeping", "floating"): they say what the noun is doing, which the
        caption's own verb already says ("a sleeping dog runs down a hill")."""
        return self.lexicon.addable_attributes

    def add_att_ok(self, obj: str, present: Iterable[str], exclude: set):
        """Predicate: an attribute of a type the object does not have yet, not in the caption, that fits it."""
        types = {self.attr_type(a) for a in present}
        return lambda x: self.attr_type(x) not in types and x not in exclude and self.fits(x, obj) and self.addable(x, obj)

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
    def from_parse(self, ident: str, text: str, doc, matches: list, types: Iterable[str], why: Optional[Counter] = None,
                   dropped: Optional[Counter] = None) -> list[Foil]:
        """Foils of every requested type from one parse (doc after multi-word merging, and its matches).

        With a prior, each type's foils are drawn as without it first; those whose new pairs it rejects are dropped
        (counted per type in `dropped`) and the type is drawn again among plausible candidates only. `why` counts, per
        type that made no foil, `implausible` (only the prior stood in the way) or `no_candidate`.
        """
        if not matches:
            return []
        matches = self.lexicon.resolve(doc, matches)
        pairs = [(m.attribute, m.object) for m in matches]
        if self.prior is not None and hasattr(self.prior, "hold"):
            self.prior.hold(pairs)  # the prior's reference may hold this very caption: judge its foils without it
        view = CaptionView(doc, matches, pairs)
        own = set(pairs)
        out: list[Foil] = []
        seen = {text}
        for typ in types:
            made = self._made(typ, ident, view, text, prior=False)
            if self.prior is not None:
                check = self.prior.addable if TYPES[typ].adds else self.prior.ok
                bad = sum(1 for _, fp in made if not all(check(a, o) for a, o in set(fp) - own))
                if bad:
                    if dropped is not None:
                        dropped[typ] += bad
                    made = self._made(typ, ident, view, text, prior=True)
                    if not made and why is not None:
                        why[(typ, "implausible")] += 1
                        continue
            n = len(out)
            for foil_text, foil_pairs in made:
                if foil_text not in seen:  # a foil never equals its caption, nor another foil of it
                    seen.add(foil_text)
                    out.append(Foil(ident, text, foil_text, typ, pairs, foil_pairs))
            if why is not None and len(out) == n:
                why[(typ, "no_candidate")] += 1
        return out

    def _made(self, typ: str, ident: str, view, text: str, prior: bool) -> list:
        """(text, pairs) of one type's foils, with the plausibility prior applied or not."""
        self._use_prior = prior
        try:
            return [(t, p) for t, p in TYPES[typ].from_parse(self, ident, view) if t and t != text]
        finally:
            self._use_prior = True

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
