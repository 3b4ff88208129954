"""A parsed caption as foils see it (its matches by noun and attribute token) and token edits rendered back to text."""

from __future__ import annotations

from typing import Optional

from aobench.foils.grammar import agree_article

PLURAL_TAGS = frozenset({"NNS", "NNPS"})


class Rewrite:
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


class CaptionView:
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
        self._head: dict[int, int] = {}
        for m in matches:
            self._by_noun.setdefault(m.obj_start, set()).add(m.attribute)
            self._noun_obj[m.obj_start] = m.object
            self._head[m.obj_start] = m.obj_end - 1
        self._attr_tokens = {m.attr_i for m in matches}

    def nouns(self) -> list[tuple[int, str]]:
        """(token index, canonical object) of each matched noun, in order."""
        return sorted(self._noun_obj.items())

    def head(self, noun_i: int) -> int:
        """The head token of the noun that starts at noun_i (open vocabulary keeps noun compounds: "school bus")."""
        return self._head.get(noun_i, noun_i)

    def noun_span(self, noun_i: int) -> tuple[int, int]:
        """[start, end) of the noun with the compound nouns before it ("bathing suit"): what replacing the noun rewrites."""
        start, end = noun_i, self.head(noun_i) + 1
        while start > 0:
            t = self.doc[start - 1]
            if t.dep_ != "compound" or t.pos_ not in ("NOUN", "PROPN") or not (start <= t.head.i < end) or t.i in self._attr_tokens:
                break
            start -= 1
        return start, end

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
