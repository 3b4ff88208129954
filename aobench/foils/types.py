"""The foil types, one object each: how it rewrites a parsed caption and how it re-renders a built row's known pair.

Each type has a `name`, whether it tests negation rather than composition (`negation`), and two methods that yield
`(foil text, foil pairs)`: `from_parse(maker, ident, view)` for a free-form caption (a `CaptionView` of one parse) and
`from_pair(maker, ident, row)` for a built dataset's row (a `PairRow`: known pair, prompt template). `maker` is the
`FoilMaker` that owns the vocabulary, the seeded draws and the candidate rules shared by all types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from aobench.foils.grammar import match_case, plural_only, pluralize
from aobench.foils.rewrite import PLURAL_TAGS, CaptionView, Rewrite
from aobench.prompts import render

# English prenominal adjective order (coarse): a smaller number stands further from the noun
TYPE_ORDER = {"size": 0, "state": 1, "shape": 2, "texture": 3, "pattern": 4, "colour": 5, "material": 6}


@dataclass(frozen=True)
class PairRow:
    """A built dataset's row: its caption, the known pair as written and lower-cased, and its prompt template."""

    caption: str
    attribute: str
    obj: str
    template: str

    @property
    def a(self) -> str:
        return self.attribute.lower()

    @property
    def o(self) -> str:
        return self.obj.lower()


class FoilType:
    """One kind of foil (subclasses fill `name` and the two makers)."""

    name = ""
    negation = False  # tests negation, not composition: reports keep it apart
    adds = False  # claims something the caption did not say: the prior must have seen its new pair, not merely allow it

    def from_parse(self, maker, ident: str, view: CaptionView) -> Iterator[tuple[str, list]]:
        """(foil text, foil pairs) of a parsed caption."""
        return iter(())

    def from_pair(self, maker, ident: str, row: PairRow) -> Iterator[tuple[str, list]]:
        """(foil text, foil pairs) of a templated caption with a known pair."""
        return iter(())


class ReplaceAtt(FoilType):
    """One attribute → another of its type that contradicts it, never a synonym or near-synonym, never one in the caption."""

    name = "replace_att"

    def from_parse(self, maker, ident, view):
        lex = maker.lexicon
        slots = []
        for m in view.matches:
            objects = view.objects_of_attr_token(m.attr_i)
            # "a bowl full of cork" → "a bowl empty of cork": an attribute with its own complement is left alone, and
            # so is the end of a hyphenated word ("greyish-brown" → "greyish-gray")
            if any(c.dep_ == "prep" for c in view.doc[m.attr_i].children):
                continue
            if m.attr_i > 0 and view.toks[m.attr_i - 1][0] == "-" and not view.toks[m.attr_i - 1][1]:
                continue
            if all(lex.foilable(m.attribute, o) for o in objects):
                slots.append((m, maker.replace_att_pool(m.attribute), maker.replace_att_ok(m.attribute, objects, view.attributes)))
        for m, cand in maker.choose(maker.rng(ident, self.name), slots):
            rw = Rewrite(view.toks)
            rw.sub[m.attr_i] = match_case(view.toks[m.attr_i][0], maker.attr_word(cand))
            yield rw.render(), view.replaced_pairs(attr_i=m.attr_i, attribute=cand)

    def from_pair(self, maker, ident, row):
        a, o = row.a, row.o
        for _, x in maker.choose(maker.rng(ident, self.name), [(0, maker.replace_att_pool(a), maker.replace_att_ok(a, [o], {a}))]):
            yield render(row.template, maker.attr_word(x), row.obj, maker.attr_type(x)), [(x, o)]


class ReplaceObj(FoilType):
    """One noun (with its compound nouns) → another of its pool, not already in the caption; plurals kept."""

    name = "replace_obj"

    def from_parse(self, maker, ident, view):
        lex = maker.lexicon
        slots = []
        for noun_i, obj in view.nouns():
            if not all(lex.foilable(a, obj) for a in view.attrs_of_noun(noun_i)):
                continue
            ok = maker.replace_obj_ok(obj, view.attrs_of_noun(noun_i), view.objects)
            slots.append((noun_i, maker.replace_obj_pool(obj), self._number_ok(maker, view, noun_i, ok)))
        for noun_i, cand in maker.choose(maker.rng(ident, self.name), slots):
            start, end = view.noun_span(noun_i)
            word = maker.obj_word(cand)
            if view.toks[end - 1][2] in PLURAL_TAGS:
                word = pluralize(word)
            rw = Rewrite(view.toks)
            rw.sub[start] = match_case(view.toks[start][0], word)
            rw.drop.update(range(start + 1, end))
            yield rw.render(), view.replaced_pairs(noun_i=noun_i, obj=cand)

    @staticmethod
    def _number_ok(maker, view, noun_i: int, ok):
        """`ok` and the number agrees: "jeans" only for a plural-only noun or a plural, never "a red jeans"."""
        head = view.toks[view.head(noun_i)]
        slot_po, slot_pl = plural_only(head[3]), head[2] in PLURAL_TAGS
        return lambda x: ok(x) and (plural_only(maker.obj_word(x)) == slot_po or (slot_pl and not slot_po))

    def from_pair(self, maker, ident, row):
        a, o = row.a, row.o
        for _, x in maker.choose(maker.rng(ident, self.name), [(0, maker.replace_obj_pool(o), maker.replace_obj_ok(o, [a], {o}))]):
            yield render(row.template, row.attribute, maker.obj_word(x), maker.attr_type(a)), [(a, x)]


class SwapAtt(FoilType):
    """Two pairs on different nouns exchange their attributes (same type, contradicting): a permutation of the words."""

    name = "swap_att"

    def from_parse(self, maker, ident, view):
        lex = maker.lexicon
        options = []
        ms = view.matches
        for x in range(len(ms)):
            for y in range(x + 1, len(ms)):
                m1, m2 = ms[x], ms[y]
                if m1.obj_start == m2.obj_start or m1.attr_i == m2.attr_i or m1.attribute == m2.attribute:
                    continue
                # the swap must change what each noun is said to be: "a small dog with a red ball" → "a red dog with
                # a small ball" may still be true, "a red car and a blue bus" → "a blue car and a red bus" is not
                if not lex.contradicts(m1.attribute, m2.attribute):
                    continue
                if m1.attribute in view.attrs_of_noun(m2.obj_start) or m2.attribute in view.attrs_of_noun(m1.obj_start):
                    continue
                if not all(lex.foilable(m.attribute, m.object) for m in (m1, m2)):
                    continue
                if not (maker.fits(m1.attribute, m2.object) and maker.fits(m2.attribute, m1.object)):
                    continue
                options.append((m1, m2))
        for m1, m2 in maker.pick(maker.rng(ident, self.name), options):
            rw = Rewrite(view.toks)
            t1, t2 = view.doc[m1.attr_i], view.doc[m2.attr_i]
            rw.sub[m1.attr_i] = match_case(t1.text, t2.text, moved=True)
            rw.sub[m2.attr_i] = match_case(t2.text, t1.text, moved=True)
            yield rw.render(), view.swapped_pairs(m1, m2)
    # a one-pair row has nothing to swap: no from_pair


class SwapObj(FoilType):
    """Two described nouns of one pool exchange places (each slot keeps its grammatical number)."""

    name = "swap_obj"

    def from_parse(self, maker, ident, view):
        lex = maker.lexicon
        nouns = view.nouns()
        options = []
        for x in range(len(nouns)):
            for y in range(x + 1, len(nouns)):
                (i1, o1), (i2, o2) = nouns[x], nouns[y]
                a1, a2 = view.attrs_of_noun(i1), view.attrs_of_noun(i2)
                if o1 == o2 or a1 == a2:
                    continue
                # "a man in a red shirt with a black dog" → "a man in a red dog ..." is absurd, not compositional
                if not lex.same_pool(o1, o2):
                    continue
                if not (all(lex.foilable(a, o1) for a in a1) and all(lex.foilable(a, o2) for a in a2)):
                    continue
                if not (all(maker.fits(a, o2) for a in a1) and all(maker.fits(a, o1) for a in a2)):
                    continue
                # "jeans" moved into a singular slot would read "a red jeans"
                pl1, pl2 = (view.toks[view.head(i)][2] in PLURAL_TAGS for i in (i1, i2))
                if (plural_only(view.toks[view.head(i1)][3]) and not pl2) or (plural_only(view.toks[view.head(i2)][3]) and not pl1):
                    continue
                options.append((i1, o1, i2, o2))
        for i1, o1, i2, o2 in maker.pick(maker.rng(ident, self.name), options):
            rw = Rewrite(view.toks)
            (s1, e1), (s2, e2) = view.noun_span(i1), view.noun_span(i2)
            rw.sub[s1] = self._moved_noun(maker, view, (s1, e1), (s2, e2), o2)
            rw.sub[s2] = self._moved_noun(maker, view, (s2, e2), (s1, e1), o1)
            rw.drop.update([*range(s1 + 1, e1), *range(s2 + 1, e2)])
            pairs = [(a, o2 if n == i1 else o1 if n == i2 else o) for (a, o), n in zip(view.pairs, view.noun_index)]
            yield rw.render(), pairs

    @staticmethod
    def _moved_noun(maker, view, slot: tuple, source: tuple, canonical: str) -> str:
        """The source noun's words in the slot's grammatical number and letter case."""
        doc = view.doc
        slot_pl, src_pl = doc[slot[1] - 1].tag_ in PLURAL_TAGS, doc[source[1] - 1].tag_ in PLURAL_TAGS
        if slot_pl == src_pl:
            word = doc[source[0]: source[1]].text
        else:
            word = pluralize(maker.obj_word(canonical)) if slot_pl else maker.obj_word(canonical)
        return match_case(doc[slot[0]].text, word, moved=slot_pl == src_pl)


class AddAtt(FoilType):
    """Insert an attribute of a type the noun does not have yet, in English adjective order."""

    name = "add_att"
    adds = True

    def from_parse(self, maker, ident, view):
        lex = maker.lexicon
        slots = [((noun_i, obj), maker.add_att_pool(), maker.add_att_ok(obj, view.attrs_of_noun(noun_i), view.attributes))
                 for noun_i, obj in view.nouns() if all(lex.foilable(a, obj) for a in view.attrs_of_noun(noun_i))]
        for (noun_i, obj), cand in maker.choose(maker.rng(ident, self.name), slots):
            pos = self._insert_position(maker, view.doc, view.noun_span(noun_i)[0], TYPE_ORDER.get(maker.attr_type(cand), 5))
            rw = Rewrite(view.toks)
            word = maker.attr_word(cand)
            tok = view.doc[pos]
            if pos == 0 and tok.text[:1].isupper() and not tok.text.isupper():
                word = match_case(tok.text, word)  # the new word now starts the sentence
                rw.sub[pos] = tok.text[:1].lower() + tok.text[1:]
            rw.before[pos] = word
            yield rw.render(), [*view.pairs, (cand, obj)]

    def from_pair(self, maker, ident, row):
        a, o = row.a, row.o
        for _, x in maker.choose(maker.rng(ident, self.name), [(0, maker.add_att_pool(), maker.add_att_ok(o, [a], {a}))]):
            first = TYPE_ORDER.get(maker.attr_type(x), 5) < TYPE_ORDER.get(maker.attr_type(a), 5)
            words = f"{maker.attr_word(x)} {row.attribute}" if first else f"{row.attribute} {maker.attr_word(x)}"
            yield render(row.template, words, row.obj, maker.attr_type(a)), [(a, o), (x, o)]

    @staticmethod
    def _insert_position(maker, doc, noun_i: int, order: int) -> int:
        """Where a new adjective of this order goes among the noun's prenominal modifiers."""
        run = []
        k = noun_i - 1
        while k >= 0 and doc[k].dep_ in ("amod", "compound", "cc", "conj", "punct", "advmod") and doc[k].tag_ != "DT" and doc[k].text != "(":
            run.append(k)
            k -= 1
        for k in reversed(run):  # left to right
            t = maker.attr_type(maker.canon_attr(doc[k]))
            if t and TYPE_ORDER.get(t, 5) > order:
                return k
        return noun_i


class Negate(FoilType):
    """"a red car" → "a car that is not red", "the car is red" → "the car is not red"."""

    name = "negate"
    negation = True

    def from_parse(self, maker, ident, view):
        options = []
        for m in view.matches:
            if not maker.lexicon.foilable(m.attribute, m.object):
                continue
            tok = view.doc[m.attr_i]
            head = m.obj_end - 1  # the noun itself (open vocabulary's objects start at their compound nouns)
            if m.rule in ("copula", "relcl"):
                verb = tok.head
                if verb.lemma_ == "be" and not any(c.dep_ == "neg" for c in verb.children):
                    options.append((m, "not", verb.i))
            elif m.rule == "amod" and tok.head.i == head and not any(c.dep_ in ("conj", "cc") for c in tok.children):
                nxt = view.doc[tok.i + 1] if tok.i + 1 < len(view.doc) else None
                after = view.doc[head + 1] if head + 1 < len(view.doc) else None
                # "the gray dog's ear" → "the dog that is not gray's ear" is no sentence
                if nxt is not None and not nxt.is_punct and nxt.dep_ != "cc" and not (after is not None and after.tag_ == "POS"):
                    options.append((m, "relcl", head))
        for m, how, at in maker.pick(maker.rng(ident, self.name), options):
            rw = Rewrite(view.toks)
            if how == "not":
                rw.after[at] = "not"
            else:
                noun = view.doc[at]
                rw.drop.add(m.attr_i)
                if m.attr_i == 0 and view.doc[0].text[:1].isupper():  # the next word now starts the sentence
                    nxt = view.doc[1]
                    rw.sub[1] = nxt.text[:1].upper() + nxt.text[1:]
                verb = "are" if noun.tag_ in PLURAL_TAGS else "is"
                rw.after[at] = f"that {verb} not {view.doc[m.attr_i].text.lower()}"
            yield rw.render(), list(view.pairs)

    def from_pair(self, maker, ident, row):
        if "{attribute} {object}" in row.template:
            neg = row.template.replace("{attribute} {object}", "{object} that is not {attribute}")
            yield render(neg, row.attribute, row.obj, maker.attr_type(row.a)), [(row.a, row.o)]


TYPES: dict[str, FoilType] = {t.name: t for t in (ReplaceAtt(), ReplaceObj(), SwapAtt(), SwapObj(), AddAtt(), Negate())}
FOIL_TYPES = tuple(TYPES)
NEGATION_TYPES = frozenset(n for n, t in TYPES.items() if t.negation)
