"""The pipeline's attribute ruler and rule lemmatizer, memoised per token: the same annotations, less Python per token.

`memoise(nlp)` swaps both in place (`load_nlp` does it for extraction; `load_nlp(full=True)` stays as shipped).

Attribute ruler:

en_core_web_sm's attribute ruler (tag → POS and morphology, a few lemma exceptions) spends most of its time in
Python per match (~20 µs each, one or more per token): a fifth of the parse on short captions. When its token
patterns read only what the key below holds and set only token fields, what it writes on a token is a function of
that token's (ORTH, TAG, DEP, POS, LEMMA) before it runs (ORTH fixes every lexical attribute: LOWER, IS_SPACE, ...):
- each token gets the values remembered for its key; an unseen key is worked out once by the real ruler on a
  one-token doc with that key (its single-token patterns see nothing else);
- a doc that has a morphology already, or one holding a word of a multi-token pattern (those read their
  neighbours, e.g. "gon na"), goes through the real ruler as it is.
A ruler whose patterns read or set anything else is left as it is.

Rule lemmatizer: its lemma is a function of (ORTH, POS, MORPH), the key of spaCy's own cache; the memo keeps the
lemma's hash for that key and skips the per-token list and string work (~0.15 ms a caption). Tokens with a lemma
already (from the attribute ruler) keep it, as in spaCy (overwrite off; a lemmatizer with overwrite on is left as is).
"""

from __future__ import annotations

from typing import Optional

from spacy.pipeline import AttributeRuler, Lemmatizer

# token-pattern keys a token's own (ORTH, TAG, DEP, POS, LEMMA) decides; lexical ones follow from ORTH
_KEYS = frozenset(
    "ORTH TEXT LOWER LENGTH SHAPE PREFIX SUFFIX IS_ALPHA IS_ASCII IS_DIGIT IS_LOWER IS_UPPER IS_TITLE IS_PUNCT "
    "IS_SPACE IS_BRACKET IS_QUOTE IS_LEFT_PUNCT IS_RIGHT_PUNCT IS_CURRENCY LIKE_NUM TAG DEP POS LEMMA".split()
)
_SET = frozenset({"POS", "MORPH", "LEMMA", "TAG", "DEP"})  # token fields only (no lexeme attributes)
_MEMO_MAX = 1 << 17  # entries per memo; past it a memo is emptied and refilled (a bound, not an LRU: cheap per token)


def memoise(nlp) -> list[str]:
    """Memoise the pipeline's attribute ruler and rule lemmatizer in place (exact: see the module doc); the names swapped."""
    done = []
    for name, pipe in nlp.pipeline:
        if type(pipe) is AttributeRuler:
            triggers = _triggers(nlp, pipe)
            if triggers is None:
                continue
            # a subclass that only overrides __call__/pipe: the loaded ruler keeps its patterns and serialisation
            pipe.__class__ = MemoAttributeRuler
            pipe._memo, pipe._triggers = {}, triggers
            done.append(name)
        elif isinstance(pipe, Lemmatizer) and not isinstance(pipe, _MemoLemma) and pipe.mode == "rule" and not pipe.overwrite:
            pipe.__class__ = type(f"Memo{type(pipe).__name__}", (_MemoLemma, type(pipe)), {})
            pipe._lemma_memo = {}
            done.append(name)
    return done


def forget(nlp) -> None:
    """Empty the memos of a memoised pipeline (after a spaCy memory zone freed the strings their entries name)."""
    for _, pipe in nlp.pipeline:
        if isinstance(pipe, MemoAttributeRuler):
            pipe._memo.clear()
        elif isinstance(pipe, _MemoLemma):
            pipe._lemma_memo.clear()


def _triggers(nlp, ruler) -> Optional[frozenset]:
    """Lower-case word hashes whose presence lets a multi-token pattern match; None when the memo would not be exact."""
    words: set = set()
    for p in ruler.patterns:
        if not set(p["attrs"]) <= _SET:
            return None
        for pattern in p["patterns"]:
            if not isinstance(pattern, list):
                return None  # a Doc pattern (phrase): keep the real ruler
            if any(not isinstance(t, dict) or not set(t) <= _KEYS | {"OP"} for t in pattern):
                return None
            if len(pattern) == 1 and "OP" not in pattern[0]:
                continue
            literal = next((w for t in pattern if (w := literal_words(t)) is not None and t.get("OP") in (None, "+")), None)
            if literal is None or any(t.get("OP") == "!" for t in pattern):
                return None  # a multi-token pattern with no required literal word: cannot tell which docs it may hit
            words.update(literal)
    return frozenset(nlp.vocab.strings.add(w) for w in words)


def literal_words(token_pattern) -> Optional[list[str]]:
    """The lower-case words a token pattern is limited to (LOWER/ORTH/TEXT, a string or IN), or None when it may match others."""
    if not isinstance(token_pattern, dict):
        return None
    for attr in ("LOWER", "ORTH", "TEXT"):
        value = token_pattern.get(attr)
        if isinstance(value, str):
            return [value.lower()]
        if isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
            return [v.lower() for v in value["IN"]]
    return None


class MemoAttributeRuler(AttributeRuler):
    """spaCy's AttributeRuler with per-token memoised results (see `aobench.text.memo`)."""

    def __call__(self, doc):
        # multi-token patterns read neighbours; a morphology set before is not in the key
        if any(t.lower in self._triggers or t.has_morph() for t in doc):
            return super().__call__(doc)
        memo = self._memo
        for t in doc:
            k = (t.orth, t.tag, t.dep, t.pos, t.lemma)
            got = memo.get(k)
            if got is None:
                got = self._alone(t)
                if len(memo) >= _MEMO_MAX:
                    memo.clear()
                memo[k] = got
            pos, morph, lemma, tag, dep = got
            t.pos, t.lemma = pos, lemma
            if morph is not None:
                t.morph = morph
            if tag != t.tag:
                t.tag = tag
            if dep != t.dep:
                t.dep = dep
        return doc

    def pipe(self, stream, *, batch_size: int = 128):
        for doc in stream:
            yield self(doc)

    def _alone(self, tok) -> tuple:
        """What the real ruler sets on this token, run on a one-token doc with the same key (no pattern sees more)."""
        from spacy.tokens import Doc

        one = Doc(self.vocab, words=[tok.text], spaces=[False])
        t = one[0]
        t.tag, t.dep, t.pos, t.lemma = tok.tag, tok.dep, tok.pos, tok.lemma
        super().__call__(one)
        return t.pos, (t.morph if t.has_morph() else None), t.lemma, t.tag, t.dep


class _MemoLemma:
    """Mixed in before a rule-mode Lemmatizer class: the same lemmas, remembered per (ORTH, POS, MORPH)."""

    def __call__(self, doc):
        if not self._validated:
            return super().__call__(doc)  # validates the tables (and raises as spaCy does)
        memo, strings = self._lemma_memo, self.vocab.strings
        for t in doc:
            if t.lemma == 0:
                k = (t.orth, t.pos, t.morph.key)
                lemma = memo.get(k)
                if lemma is None:
                    lemma = strings.add(self.lemmatize(t)[0])
                    if len(memo) >= _MEMO_MAX:
                        memo.clear()
                    memo[k] = lemma
                t.lemma = lemma
        return doc

    def pipe(self, stream, *, batch_size: int = 128):
        for doc in stream:
            yield self(doc)
