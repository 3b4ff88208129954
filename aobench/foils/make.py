"""Foil captions: minimal rewrites of a true caption that change its attribute–object composition.

Types (SugarCrepe's replace/swap/add subsets, VALSE-style negation):
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
from aobench.foils.grammar import agree_article, bow_identical, changed_span, match_case, pluralize
from aobench.prompts import render

FOIL_TYPES = ("replace_att", "replace_obj", "swap_att", "swap_obj", "add_att", "negate")
NEGATION_TYPES = frozenset({"negate"})
# English prenominal adjective order (coarse): a smaller number stands further from the noun
TYPE_ORDER = {"size": 0, "state": 1, "shape": 2, "texture": 3, "pattern": 4, "colour": 5, "material": 6}
_PLURAL_TAGS = {"NNS", "NNPS"}


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


class _Rewrite:
    """Token edits on a parsed caption (its token table), rendered with its own whitespace and articles re-agreed."""

    def __init__(self, toks: list):
        self.toks = toks  # (text, whitespace, tag, lower) per token: read from spaCy once per caption
        self.sub: dict[int, str] = {}
        self.before: dict[int, str] = {}
        self.after: dict[int, str] = {}
        self.drop: set[int] = set()

    def render(self) -> str:
        """The edited text."""
        words: list[list] = []  # [text, whitespace, original index or None]
        for i, (text, ws, _, _) in enumerate(self.toks):
            if i in self.before:
                words.append([self.before[i], " ", None])
            if i in self.drop:
                continue
            words.append([self.sub.get(i, text), ws, i])
            if i in self.after:
                words[-1][1] = " "
                words.append([self.after[i], ws, None])
        for k in range(len(words) - 1):
            i = words[k][2]
            if i is None or i in self.sub:
                continue
            _, _, tag, lower = self.toks[i]
            if lower not in ("a", "an") or tag != "DT":
                continue
            nxt = words[k + 1]
            # only where the edit reached the next word: an untouched "a apple" in the caption stays as written
            if nxt[2] is None or nxt[2] != i + 1 or nxt[2] in self.sub:
                words[k][0] = agree_article(words[k][0], nxt[0])
        return "".join(w + ws for w, ws, _ in words).strip()


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

    def _pick(self, rng: HashRng, options: list) -> list:
        if self.per_type == 0 or len(options) <= self.per_type:
            return options
        return rng.sample(options, self.per_type)

    def _choose(self, rng: HashRng, slots: list) -> list:
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

    # -- free-form captions (parsed once) ----------------------------------------------------------
    def from_parse(self, ident: str, text: str, doc, matches: list, types: Iterable[str]) -> list[Foil]:
        """Foils of every requested type from one parse (doc after multi-word merging, and its matches)."""
        if not matches:
            return []
        pairs = [(m.attribute, m.object) for m in matches]
        ctx = _Ctx(doc, matches, pairs)
        out: list[Foil] = []
        seen = {text}
        for typ in types:
            for foil_text, foil_pairs in getattr(self, f"_p_{typ}")(ident, ctx):
                if foil_text in seen or not foil_text:
                    continue  # a foil never equals its caption, nor another foil of it
                seen.add(foil_text)
                out.append(Foil(ident, text, foil_text, typ, pairs, foil_pairs))
        return out

    def _p_replace_att(self, ident, ctx):
        slots = [(m, self.replace_att_pool(m.attribute), self.replace_att_ok(m.attribute, ctx.objects_of_attr_token(m.attr_i), ctx.attributes))
                 for m in ctx.matches]
        for m, cand in self._choose(self.rng(ident, "replace_att"), slots):
            rw = _Rewrite(ctx.toks)
            rw.sub[m.attr_i] = match_case(ctx.toks[m.attr_i][0], self.attr_word(cand))
            yield rw.render(), ctx.replaced_pairs(attr_i=m.attr_i, attribute=cand)

    def _p_replace_obj(self, ident, ctx):
        slots = [(noun_i, self.replace_obj_pool(obj), self.replace_obj_ok(obj, ctx.attrs_of_noun(noun_i), ctx.objects))
                 for noun_i, obj in ctx.nouns()]
        for noun_i, cand in self._choose(self.rng(ident, "replace_obj"), slots):
            text, _, tag, _ = ctx.toks[noun_i]
            word = self.obj_word(cand)
            if tag in _PLURAL_TAGS:
                word = pluralize(word)
            rw = _Rewrite(ctx.toks)
            rw.sub[noun_i] = match_case(text, word)
            yield rw.render(), ctx.replaced_pairs(noun_i=noun_i, obj=cand)

    def _p_swap_att(self, ident, ctx):
        rng = self.rng(ident, "swap_att")
        options = []
        ms = ctx.matches
        for x in range(len(ms)):
            for y in range(x + 1, len(ms)):
                m1, m2 = ms[x], ms[y]
                if m1.obj_start == m2.obj_start or m1.attr_i == m2.attr_i or m1.attribute == m2.attribute:
                    continue
                # the swap must change what each noun is said to be
                if m1.attribute in ctx.attrs_of_noun(m2.obj_start) or m2.attribute in ctx.attrs_of_noun(m1.obj_start):
                    continue
                options.append((m1, m2))
        for m1, m2 in self._pick(rng, options):
            rw = _Rewrite(ctx.toks)
            t1, t2 = ctx.doc[m1.attr_i], ctx.doc[m2.attr_i]
            rw.sub[m1.attr_i] = match_case(t1.text, t2.text, moved=True)
            rw.sub[m2.attr_i] = match_case(t2.text, t1.text, moved=True)
            yield rw.render(), ctx.swapped_pairs(m1, m2)

    def _p_swap_obj(self, ident, ctx):
        rng = self.rng(ident, "swap_obj")
        nouns = ctx.nouns()
        options = []
        for x in range(len(nouns)):
            for y in range(x + 1, len(nouns)):
                (i1, o1), (i2, o2) = nouns[x], nouns[y]
                if o1 == o2 or ctx.attrs_of_noun(i1) == ctx.attrs_of_noun(i2):
                    continue
                options.append((i1, o1, i2, o2))
        for i1, o1, i2, o2 in self._pick(rng, options):
            rw = _Rewrite(ctx.toks)
            rw.sub[i1] = self._moved_noun(ctx.doc[i1], ctx.doc[i2], o2)
            rw.sub[i2] = self._moved_noun(ctx.doc[i2], ctx.doc[i1], o1)
            pairs = [(a, o2 if n == i1 else o1 if n == i2 else o) for (a, o), n in zip(ctx.pairs, ctx.noun_index)]
            yield rw.render(), pairs

    def _moved_noun(self, slot, source, canonical: str) -> str:
        """The source noun's words in the slot's grammatical number and letter case."""
        slot_pl, src_pl = slot.tag_ in _PLURAL_TAGS, source.tag_ in _PLURAL_TAGS
        if slot_pl == src_pl:
            word = source.text
        else:
            word = pluralize(self.obj_word(canonical)) if slot_pl else self.obj_word(canonical)
        return match_case(slot.text, word, moved=slot_pl == src_pl)

    def _p_add_att(self, ident, ctx):
        slots = [((noun_i, obj), self.add_att_pool(), self.add_att_ok(obj, ctx.attrs_of_noun(noun_i), ctx.attributes))
                 for noun_i, obj in ctx.nouns()]
        for (noun_i, obj), cand in self._choose(self.rng(ident, "add_att"), slots):
            pos = self._insert_position(ctx.doc, noun_i, TYPE_ORDER.get(self.attr_type(cand), 5))
            rw = _Rewrite(ctx.toks)
            word = self.attr_word(cand)
            tok = ctx.doc[pos]
            if pos == 0 and tok.text[:1].isupper() and not tok.text.isupper():
                word = match_case(tok.text, word)  # the new word now starts the sentence
                rw.sub[pos] = tok.text[:1].lower() + tok.text[1:]
            rw.before[pos] = word
            yield rw.render(), [*ctx.pairs, (cand, obj)]

    def _insert_position(self, doc, noun_i: int, order: int) -> int:
        """Where a new adjective of this order goes among the noun's prenominal modifiers."""
        run = []
        k = noun_i - 1
        while k >= 0 and doc[k].dep_ in ("amod", "compound", "cc", "conj", "punct", "advmod") and doc[k].tag_ != "DT" and doc[k].text != "(":
            run.append(k)
            k -= 1
        for k in reversed(run):  # left to right
            t = self.attr_type(self._canon_attr(doc[k]))
            if t and TYPE_ORDER.get(t, 5) > order:
                return k
        return noun_i

    def _canon_attr(self, tok) -> str:
        a = self.vocab.attribute_by_word.get(tok.lower_) or self.vocab.attribute_by_word.get(tok.lemma_.lower())
        return a.name.lower() if a else ""

    def _p_negate(self, ident, ctx):
        rng = self.rng(ident, "negate")
        options = []
        for m in ctx.matches:
            tok = ctx.doc[m.attr_i]
            if m.rule in ("copula", "relcl"):
                verb = tok.head
                if verb.lemma_ == "be" and not any(c.dep_ == "neg" for c in verb.children):
                    options.append((m, "not", verb.i))
            elif m.rule == "amod" and tok.head.i == m.obj_start and not any(c.dep_ in ("conj", "cc") for c in tok.children):
                nxt = ctx.doc[tok.i + 1] if tok.i + 1 < len(ctx.doc) else None
                if nxt is not None and not nxt.is_punct and nxt.dep_ != "cc":
                    options.append((m, "relcl", m.obj_start))
        for m, how, at in self._pick(rng, options):
            rw = _Rewrite(ctx.toks)
            if how == "not":
                rw.after[at] = "not"
            else:
                noun = ctx.doc[at]
                rw.drop.add(m.attr_i)
                if m.attr_i == 0 and ctx.doc[0].text[:1].isupper():  # the next word now starts the sentence
                    nxt = ctx.doc[1]
                    rw.sub[1] = nxt.text[:1].upper() + nxt.text[1:]
                verb = "are" if noun.tag_ in _PLURAL_TAGS else "is"
                rw.after[at] = f"that {verb} not {ctx.doc[m.attr_i].text.lower()}"
            yield rw.render(), list(ctx.pairs)

    # -- built datasets (known pair per row, no parse) ---------------------------------------------
    def from_pair(self, ident: str, caption: str, attribute: str, obj: str, template: str, types: Iterable[str]) -> list[Foil]:
        """Foils of a templated caption with a known pair: the template re-rendered with the foil pair."""
        a, o = attribute.lower(), obj.lower()
        pairs = [(a, o)]
        out: list[Foil] = []
        seen = {caption}

        def emit(typ, text, foil_pairs):
            if text and text not in seen:
                seen.add(text)
                out.append(Foil(ident, caption, text, typ, pairs, foil_pairs))

        for typ in types:
            rng = self.rng(ident, typ)
            if typ == "replace_att":
                for _, x in self._choose(rng, [(0, self.replace_att_pool(a), self.replace_att_ok(a, [o], {a}))]):
                    emit(typ, render(template, self.attr_word(x), obj, self.attr_type(x)), [(x, o)])
            elif typ == "replace_obj":
                for _, x in self._choose(rng, [(0, self.replace_obj_pool(o), self.replace_obj_ok(o, [a], {o}))]):
                    emit(typ, render(template, attribute, self.obj_word(x), self.attr_type(a)), [(a, x)])
            elif typ == "add_att":
                for _, x in self._choose(rng, [(0, self.add_att_pool(), self.add_att_ok(o, [a], {a}))]):
                    first = TYPE_ORDER.get(self.attr_type(x), 5) < TYPE_ORDER.get(self.attr_type(a), 5)
                    words = f"{self.attr_word(x)} {attribute}" if first else f"{attribute} {self.attr_word(x)}"
                    emit(typ, render(template, words, obj, self.attr_type(a)), [(a, o), (x, o)])
            elif typ == "negate" and "{attribute} {object}" in template:
                neg = template.replace("{attribute} {object}", "{object} that is not {attribute}")
                emit(typ, render(neg, attribute, obj, self.attr_type(a)), [(a, o)])
            # swap_att / swap_obj need two pairs: a one-pair row has none
        return out


class _Ctx:
    """Per-caption view of the matches: nouns, their attributes, the caption's words (computed once)."""

    def __init__(self, doc, matches, pairs):
        self.doc = doc
        self.toks = [(t.text, t.whitespace_, t.tag_, t.lower_) for t in doc]
        self.matches = matches
        self.pairs = pairs
        self.noun_index = [m.obj_start for m in matches]
        self.attributes = {m.attribute for m in matches}
        self.objects = {m.object for m in matches}
        self._by_noun: dict[int, set] = {}
        self._noun_obj: dict[int, str] = {}
        for m in matches:
            self._by_noun.setdefault(m.obj_start, set()).add(m.attribute)
            self._noun_obj[m.obj_start] = m.object

    def nouns(self) -> list[tuple[int, str]]:
        """(token index, canonical object) of each matched noun, in order."""
        return sorted(self._noun_obj.items())

    def attrs_of_noun(self, noun_i: int) -> set:
        """Canonical attributes said of this noun."""
        return self._by_noun.get(noun_i, set())

    def objects_of_attr_token(self, attr_i: int) -> list[str]:
        """Objects an attribute token describes ("the car and the bus are red": both)."""
        return [m.object for m in self.matches if m.attr_i == attr_i]

    def replaced_pairs(self, attr_i: Optional[int] = None, attribute: str = "", noun_i: Optional[int] = None, obj: str = "") -> list:
        """The caption's pairs with one attribute token or one noun replaced."""
        out = []
        for m in self.matches:
            a, o = m.attribute, m.object
            if attr_i is not None and m.attr_i == attr_i:
                a = attribute
            if noun_i is not None and m.obj_start == noun_i:
                o = obj
            out.append((a, o))
        return out

    def swapped_pairs(self, m1, m2) -> list:
        """The caption's pairs with the attributes of two matches exchanged."""
        out = []
        for m in self.matches:
            if m.attr_i == m1.attr_i:
                out.append((m2.attribute, m.object))
            elif m.attr_i == m2.attr_i:
                out.append((m1.attribute, m.object))
            else:
                out.append((m.attribute, m.object))
        return out
