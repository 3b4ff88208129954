"""What a foil may write in place of a caption's words: contradicting attributes, nouns of one kind, display names.

Built from a recipe's vocabulary (typed attributes, classes, the hypernym map's generic nouns) or, in open vocabulary
(`vocab=None`), from the VAW attribute list alone; the caption-noun and attribute-scale data of `aobench/vocab/`
(`caption_nouns.yaml`, `attribute_scales.yaml`) add what a vocabulary does not say:

- attributes: an untyped adjective is never replaced; within its type an attribute is replaced only by one that
  contradicts it (exclusive types: any but a near-synonym on one scale; graded types: a listed opposite);
- nouns: two levels, each replaced within itself — a vocabulary class by a class under the same hypernym ("a
  Labrador" → "a Beagle"), else of the same kind (its hypernym's or its own name's), else of the vocabulary's subgroup
  (ImageNet's catch-all "artifact" is too broad: such a class is not replaced); a generic noun (the hypernym map's, or any caption noun the data
  lists) by another entry of its kind, never a near-synonym ("car" → "truck", never "van"); a noun the data does
  not list is not replaced;
- display names: a foil writes a class's name without its parenthesis ("kite (bird of prey)" → "kite"), or its
  first clean synonym when the name is a list ("bell or wind chime" → "chime", "baluster / handrail" → "bannister");
- word senses: an ImageNet class word that captions use in an everyday sense ("ears", "kite", a "bathing suit") is
  read as that everyday noun, not the class (`resolve`);
- pairs kept apart (colour words of people) are never foiled.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from aobench.vocab import ObjectClass, Vocab, load_attributes
from aobench.vocab.lexicon import load_caption_nouns, load_scales

# vocabulary groups too broad for "another object of the same group" to read as a sensible contradiction
TOO_COARSE = frozenset({"artifact", "object"})
# ImageNet's coarse groups → caption-noun kinds (for classes the noun data does not place)
GROUP_KINDS = {"animal": "animal", "food": "food", "plant": "plant", "nature": "terrain", "person": "person"}
_LISTED = re.compile(r"\s/\s|/|\bor\b")
_PAREN = re.compile(r"\s*\([^)]*\)")
CLASS, HYPERNYM, NOUN = "class", "hypernym", "noun"


def display_name(o: ObjectClass) -> str:
    """The words a foil writes for a class: its name without parenthesis, or its first clean synonym for a listed name."""
    name = _PAREN.sub("", o.name).strip()
    if name and not _LISTED.search(name):
        return name
    for s in o.synonyms:
        if not _LISTED.search(s) and "(" not in s:
            return s
    return _PAREN.sub("", _LISTED.split(o.name)[0]).strip() or o.name


@dataclass(frozen=True)
class Noun:
    """A noun as foils see it: canonical name, the words written for it, level, kind, pool, rule groups."""

    name: str
    display: str
    level: str  # class | hypernym | noun
    kind: str = ""  # caption-noun kind ('' unknown)
    pool: str = ""  # replacement pool within the level ('' : never replaced)
    entry: str = ""  # caption-noun entry it belongs to (near-synonym checks)
    group: str = ""  # vocabulary group / subgroup, for compatibility rules ('' : no rule applies)
    subgroup: str = ""


class FoilLexicon:
    """Attribute and noun knowledge for foils of one vocabulary (None: open vocabulary, VAW-typed attributes)."""

    def __init__(self, vocab: Optional[Vocab] = None):
        self.vocab = vocab
        self.nouns = load_caption_nouns()
        self.scales = load_scales()
        attrs = list(vocab.attributes) if vocab is not None else list(load_attributes("vaw"))
        self.attributes = {a.name.lower(): a for a in attrs}
        self.attribute_by_word = {}
        for a in attrs:
            for w in (a.name, *a.synonyms):
                self.attribute_by_word.setdefault(w.lower(), a.name.lower())
        self.by_type: dict[str, list[str]] = {}
        for a in attrs:
            self.by_type.setdefault(a.type, []).append(a.name.lower())
        self.all_attributes = [a.name.lower() for a in attrs]
        self.addable_attributes = [a for a in self.all_attributes if not a.endswith("ing")]
        self.rules = list(vocab.rules) if vocab is not None else []
        self._keep_apart = {(kind, t) for kind, types in self.nouns.keep_apart for t in types}
        self._noun: dict[str, Noun] = {}
        self._pools: dict[tuple[str, str], list[str]] = {}
        self._compat: dict[tuple, bool] = {}
        self._contra: dict[str, list[str]] = {}
        self._obj_pool: dict[str, list[str]] = {}
        if vocab is not None:
            self._add_classes(vocab)
        for kind, entries in self.nouns.kinds.items():
            for e in entries:
                self._noun.setdefault(e, Noun(e, e, NOUN, kind, kind, e))
                # every entry is a generic replacement, also where a class of the same name shadows it ("balloon")
                self._pools.setdefault((NOUN, kind), []).append(e)
        for w, kind in self.nouns.general.items():
            self._noun.setdefault(w, Noun(w, w, NOUN, kind, "", ""))
        for n in self._noun.values():
            if n.pool and n.level == CLASS:
                self._pools.setdefault((CLASS, n.pool), []).append(n.name)

    # -- construction ------------------------------------------------------------------------------
    def _add_classes(self, vocab: Vocab) -> None:
        hyps = vocab.hypernyms
        under: dict[str, int] = {h.name: len(h.classes) for h in hyps} if hyps else {}
        first_class: dict[str, ObjectClass] = {}
        for o in vocab.objects:
            ancestors = hyps.ancestors(o.name) if hyps else ()
            for h in ancestors:
                first_class.setdefault(h, o)
            disp = display_name(o)
            heads = [*ancestors, disp.lower(), disp.lower().rsplit(" ", 1)[-1], o.name.lower()]
            kind = next((k for k in map(self.nouns.kind, heads) if k), "") or GROUP_KINDS.get(o.group, "")
            pool = next((h for h in ancestors if under.get(h, 0) >= 2), "")
            if not pool:  # not by the last word alone: a "seat belt" is no belt to trade for a mask
                pool = next((k for k in map(self._entry_kind, (*ancestors, disp.lower(), o.name.lower())) if k), "")
            if not pool:
                pool = next((g for g in (o.subgroup, o.group) if g and g not in TOO_COARSE), "")
            # its own name's entry only (every dog breed is under "dog", and no two breeds are near-synonyms)
            entry = next((e for e in map(self.nouns.entry_of.get, (disp.lower(), o.name.lower())) if e), "")
            self._noun.setdefault(o.name.lower(), Noun(o.name.lower(), disp, CLASS, kind, pool, entry, o.group, o.subgroup))
        for h in hyps or ():
            o = first_class.get(h.name)
            entry = self.nouns.entry_of.get(h.name, "")
            kind = self.nouns.kind(h.name)
            self._noun.setdefault(h.name, Noun(h.name, h.name, HYPERNYM, kind, kind if entry else "", entry,
                                               o.group if o else "", o.subgroup if o else ""))  # fmt: skip

    def _entry_kind(self, word: str) -> str:
        e = self.nouns.entry_of.get(word)
        return self.nouns.kind_of_entry[e] if e else ""

    @staticmethod
    def _family(level: str) -> str:
        # generic nouns (the hypernym map's and the caption nouns) replace one another; classes stay classes
        return CLASS if level == CLASS else NOUN

    # -- nouns -------------------------------------------------------------------------------------
    def noun(self, name: str) -> Noun:
        """What foils know of an object name (a class, a generic noun, a caption noun or compound, or nothing)."""
        name = name.lower()
        hit = self._noun.get(name)
        if hit is not None:
            return hit
        entry = self.nouns.entry_of.get(name)
        if entry is not None:  # a word of an entry ("puppy"): the entry's kind and pool, its own words
            base = self._noun[entry]
            n = Noun(name, name, NOUN, base.kind, base.pool, entry)
        else:
            head = name.rsplit(" ", 1)[-1]  # open vocabulary keeps noun compounds: "school bus" is a bus
            base = self._noun.get(self.nouns.entry_of.get(head, head)) if head != name else None
            n = Noun(name, name, NOUN, base.kind, base.pool, base.entry) if base else Noun(name, name, NOUN)
        self._noun[name] = n
        return n

    def obj_word(self, name: str) -> str:
        """The words a foil writes for an object."""
        return self.noun(name).display

    def replace_obj_pool(self, obj: str) -> list[str]:
        """Objects a foil may put in this object's place: its level and pool, never itself nor a near-synonym."""
        hit = self._obj_pool.get(obj)
        if hit is None:
            n = self.noun(obj)
            pool = self._pools.get((self._family(n.level), n.pool), []) if n.pool else []
            hit = self._obj_pool[obj] = [x for x in pool if x != n.name and not self._near_nouns(n, self._pool_noun(n.level, x))]
        return hit

    def _pool_noun(self, level: str, name: str) -> Noun:
        n = self._noun[name]
        if self._family(level) == NOUN and n.level == CLASS:  # the entry a class of the same name shadows
            return Noun(name, name, NOUN, self.nouns.kind_of_entry.get(name, n.kind), n.pool, name)
        return n

    def _near_nouns(self, a: Noun, b: Noun) -> bool:
        if a.entry and b.entry:
            return self.nouns.near_synonyms(a.entry, b.entry)
        return False

    def same_pool(self, a: str, b: str) -> bool:
        """Whether two objects may trade places (swap_obj): the same level family and pool, not near-synonyms."""
        na, nb = self.noun(a), self.noun(b)
        return bool(na.pool) and na.pool == nb.pool and self._family(na.level) == self._family(nb.level) and not self._near_nouns(na, nb)

    # -- attributes --------------------------------------------------------------------------------
    def canon_attr(self, word: str) -> str:
        """The canonical attribute a word names ('' when the lexicon does not type it)."""
        return self.attribute_by_word.get(word.lower(), "")

    def attr_type(self, name: str) -> str:
        """The type of a canonical attribute name ('' when untyped)."""
        a = self.attributes.get(name)
        return a.type if a else ""

    def attr_word(self, name: str) -> str:
        """Surface word of a canonical attribute."""
        a = self.attributes.get(name)
        return a.name if a else name

    def _words_of(self, name: str) -> tuple[str, ...]:
        a = self.attributes.get(name)
        return tuple(w.lower() for w in (a.name, *a.synonyms)) if a else (name,)

    def contradicts(self, a: str, b: str) -> bool:
        """Whether `b` said instead of `a` makes a false caption (same type; scales and opposites of the data)."""
        t = self.attr_type(a)
        if not t or t != self.attr_type(b) or a == b:
            return False
        wa, wb = self._words_of(a), self._words_of(b)
        if any(self.scales.near_synonyms(x, y) for x in wa for y in wb):
            return False
        return t in self.scales.exclusive or any(y in self.scales.opposite.get(x, ()) for x in wa for y in wb)

    def replace_att_pool(self, attribute: str) -> list[str]:
        """Attributes of the same type that contradict this one (static: the per-caption rules are predicates)."""
        hit = self._contra.get(attribute)
        if hit is None:
            hit = self._contra[attribute] = [x for x in self.by_type.get(self.attr_type(attribute), []) if self.contradicts(attribute, x)]
        return hit

    # -- pairs -------------------------------------------------------------------------------------
    def compatible(self, attribute: str, obj: str) -> bool:
        """Whether the vocabulary's compatibility rules allow the pair (no rule for the noun's group: allowed)."""
        if not self.rules:
            return True
        a, n = self.attributes.get(attribute), self.noun(obj)
        if a is None or not (n.group or n.subgroup):
            return True
        key = (attribute, n.group, n.subgroup)  # rules read the attribute and the group only: hundreds of keys
        hit = self._compat.get(key)
        if hit is None:
            hit = self._compat[key] = self.vocab.compatible(a, ObjectClass(n.name, group=n.group, subgroup=n.subgroup))
        return hit

    def foilable(self, attribute: str, obj: str) -> bool:
        """Whether foils may touch this pair (`keep_apart` of the caption-noun data: colour words of people)."""
        return (self.noun(obj).kind, self.attr_type(attribute)) not in self._keep_apart

    def resolve(self, doc, matches: Iterable) -> list:
        """The matches as foils read them: word senses of class nouns resolved, open-vocabulary words canonical."""
        out = []
        for m in matches:
            changes = {}
            if self.vocab is None:
                a = self.canon_attr(m.attribute)
                if a and a != m.attribute:
                    changes["attribute"] = a
                e = self.nouns.entry_of.get(m.object)
                if e and e != m.object and " " not in m.object:
                    changes["object"] = e  # "puppy" is the dog entry; compounds keep their words
            elif m.level == CLASS:
                target = self._sense(doc, m.obj_start)
                if target is not None:
                    changes.update(object=target, level=NOUN)
            out.append(dataclasses.replace(m, **changes) if changes else m)
        return out

    def _sense(self, doc, i: int) -> Optional[str]:
        """The everyday noun a class word at doc[i] stands for, or None when it is the class."""
        tok = doc[i]
        for w in (tok.lower_, tok.lemma_.lower()):
            s = self.nouns.senses.get(w)
            if s is None:
                continue
            if s.after and not (i > 0 and doc[i - 1].lower_ in s.after):
                return None
            return s.as_ or tok.lemma_.lower()
        return None


@lru_cache(maxsize=1)
def reference_lexicon() -> FoilLexicon:
    """The lexicon of the ImageNet-AO vocabulary, whose class and generic names the shipped corpus counts use."""
    from aobench.text.parse import vocab_for

    return FoilLexicon(vocab_for("imagenet-ao"))
