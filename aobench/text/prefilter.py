"""An exact pre-filter for vocabulary extraction: which captions cannot hold a vocab pair, from the tokenizer alone.

A vocabulary pair needs a token whose lower-case form or lemma is an attribute entry and one that is an object
entry (multi-word entries are merged tokens, whose text and lemma join their parts'). The tokenizer is the one the
full parse uses, so a caption passes when its tokens could give both:
- a token's possible lemmas are its lower-case form plus everything the pipeline's rule lemmatizer can return for it
  under any part of speech (every rule, exception and out-of-vocabulary form: a superset of the one it will pick)
  plus the lemmas the attribute ruler assigns to it (a lemma assigned by a pattern that does not name the word
  counts for every word);
- a single-token entry hits when it is a possible lemma of some token; a multi-token entry when every one of its
  tokens is.
So a skipped caption is one the parse would have found nothing in: counts are identical with and without it.
Pipelines without spaCy's rule lemmatizer get no pre-filter (every caption is parsed).
"""

from __future__ import annotations

from typing import Iterable, Optional

CACHE_MAX = 1 << 16  # lower-case forms remembered; past it the cache is emptied (web text: a new id or URL a caption)


class Prefilter:
    """Decides from a tokenized Doc whether a caption may hold an attribute entry and an object entry."""

    def __init__(self, nlp, attr_keys: Iterable[str], obj_keys: Iterable[str]):
        self.enabled = _rule_lemmatizer(nlp) is not None
        self._tables = _lemma_tables(nlp) if self.enabled else {}
        self._assigned, self._anywhere = _ruler_lemmas(nlp)
        self._cache: dict[str, frozenset] = {}
        self._attr_single, self._attr_multi = _entries(nlp, attr_keys)
        self._obj_single, self._obj_multi = _entries(nlp, obj_keys)
        # a lemma the attribute ruler may give any word: every caption "has" it
        self._any = frozenset(self._anywhere)

    def lemmas(self, lower: str) -> frozenset:
        """Every lemma the pipeline could give a token of this lower-case form (the form itself included)."""
        got = self._cache.get(lower)
        if got is None:
            forms = {lower, *self._assigned.get(lower, ())}
            index_t, exc_t, rules_t = self._tables.get("index", {}), self._tables.get("exc", {}), self._tables.get("rules", {})
            for pos in set(index_t) | set(exc_t) | set(rules_t):
                forms.update(exc_t.get(pos, {}).get(lower, ()))
                for old, new in rules_t.get(pos, ()):
                    if lower.endswith(old):
                        form = lower[: len(lower) - len(old)] + new
                        if form:
                            forms.add(form)
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            got = self._cache[lower] = frozenset(forms)
        return got

    def forget(self) -> None:
        """Empty the per-form cache (it refills as captions come; called with each freed spaCy memory zone)."""
        self._cache.clear()

    def sides(self, doc) -> tuple[bool, bool]:
        """(may hold an attribute entry, may hold an object entry)."""
        if not self.enabled:
            return True, True
        present = set(self._any)
        for tok in doc:
            present |= self.lemmas(tok.lower_)
        return _hit(present, self._attr_single, self._attr_multi), _hit(present, self._obj_single, self._obj_multi)

    def may_match(self, doc, objects_only: bool = False) -> bool:
        """Whether the parse could find a pair (or, `objects_only`, an object) in this tokenized caption."""
        attr, obj = self.sides(doc)
        return (objects_only or attr) and obj


def _entries(nlp, keys: Iterable[str]) -> tuple[set, dict]:
    """One-token entries, and multi-token ones as token sets indexed by their first token.

    A multi-token entry also counts whole as a one-token entry: a caption token (or a merged name's joined lemma)
    equal to it hits even if the tokenizer splits the entry differently on its own.
    """
    single: set = set()
    multi: dict = {}
    for key in keys:
        low = key.lower()
        single.add(low)
        toks = [t.lower_ for t in nlp.tokenizer(low)]
        if len(toks) > 1:
            multi.setdefault(toks[0], []).append(frozenset(toks))
    return single, multi


def _hit(present: set, single: set, multi: dict) -> bool:
    if not single.isdisjoint(present):
        return True
    return any(entry <= present for first in present.intersection(multi) for entry in multi[first])


def _rule_lemmatizer(nlp) -> Optional[object]:
    from spacy.pipeline import Lemmatizer

    lem = next((p for _, p in nlp.pipeline if isinstance(p, Lemmatizer)), None)
    return lem if lem is not None and getattr(lem, "mode", None) == "rule" else None


def _lemma_tables(nlp) -> dict:
    lookups = _rule_lemmatizer(nlp).lookups
    out = {}
    for name, key in (("lemma_index", "index"), ("lemma_exc", "exc"), ("lemma_rules", "rules")):
        out[key] = dict(lookups.get_table(name, {})) if lookups.has_table(name) else {}
    return out


def _ruler_lemmas(nlp) -> tuple[dict, set]:
    """Lemmas attribute rulers assign: {lower-case word: {lemma}}, and those a pattern may give any word."""
    from spacy.pipeline import AttributeRuler

    from aobench.text.memo import literal_words

    assigned: dict[str, set] = {}
    anywhere: set = set()
    for _, pipe in nlp.pipeline:
        if not isinstance(pipe, AttributeRuler):
            continue
        for p in pipe.patterns:
            lemma = p["attrs"].get("LEMMA")
            if lemma is None:
                continue
            for pattern in p["patterns"]:
                target = pattern[p.get("index", 0)] if isinstance(pattern, list) and pattern else {}
                words = literal_words(target)
                if words is None:
                    anywhere.add(str(lemma).lower())
                for w in words or ():
                    assigned.setdefault(w, set()).add(str(lemma).lower())
    return assigned, anywhere
