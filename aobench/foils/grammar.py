"""Word-level grammar for foils: plurals, case, articles after an edit, bag-of-words identity, changed span."""

from __future__ import annotations

import re
from functools import lru_cache

from aobench.prompts import article

_IRREGULAR = {
    "man": "men", "woman": "women", "child": "children", "person": "people", "mouse": "mice",
    "goose": "geese", "tooth": "teeth", "foot": "feet", "ox": "oxen", "louse": "lice",
    "knife": "knives", "leaf": "leaves", "wolf": "wolves", "loaf": "loaves", "shelf": "shelves",
    "calf": "calves", "half": "halves", "wife": "wives", "life": "lives", "thief": "thieves",
    "potato": "potatoes", "tomato": "tomatoes", "hero": "heroes", "cactus": "cacti", "fungus": "fungi",
}
_INVARIANT = {"sheep", "fish", "deer", "moose", "bison", "salmon", "trout", "shrimp", "aircraft", "series", "species", "jeans", "pants", "scissors", "glasses"}
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def pluralize(noun: str) -> str:
    """Plural of a (possibly multi-word) noun: the last word inflects ("golden retriever" → "golden retrievers")."""
    head, _, last = noun.rpartition(" ")
    low = last.lower()
    if low in _INVARIANT:
        plural = last
    elif low in _IRREGULAR:
        plural = _IRREGULAR[low]
    elif low.endswith(("s", "x", "z", "ch", "sh")):
        plural = last + "es"
    elif low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


def plural_only(noun: str) -> bool:
    """Whether a (possibly multi-word) noun has no singular in its sense ("jeans", "swim trunks", "sunglasses")."""
    from aobench.text.parse import PLURAL_ONLY

    last = noun.rpartition(" ")[2].lower()
    return last in PLURAL_ONLY or last in ("trunks", "overalls", "jeans", "stairs", "steps")


def match_case(template: str, word: str, moved: bool = False) -> str:
    """`word` in the letter case of the word it replaces (Title at a sentence start, UPPER, or as written).

    `moved`: the word comes from elsewhere in the caption, where a capital may only have marked the sentence
    start ("Red car near a blue bus" → "Blue car near a red bus"); vocab names keep their capitals ("Australian Kelpie").
    """
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    if moved and word[:1].isupper() and not word.isupper():
        return word[:1].lower() + word[1:]
    return word


def agree_article(det: str, next_word: str) -> str:
    """The indefinite article `det` ('a'/'an', any case) made to agree with the word after it."""
    new = article(next_word)
    if det.isupper() and len(det) > 1:
        return new.upper()
    return new.capitalize() if det[:1].isupper() else new


@lru_cache(maxsize=4096)
def _sorted_words(text: str) -> tuple[str, ...]:
    # cached: every foil of a caption compares against the same caption
    return tuple(sorted(_WORD.findall(text.lower())))


def bow_identical(caption: str, foil: str) -> bool:
    """True when the foil is a different text made of exactly the caption's words (a permutation)."""
    return caption != foil and _sorted_words(caption) == _sorted_words(foil)


def changed_span(caption: str, foil: str) -> tuple[int, int, str]:
    """(start, end, replacement): the smallest word-aligned span of the caption that the foil rewrites."""
    def inside(text: str, k: int) -> bool:
        return 0 < k < len(text) and text[k - 1].isalnum() and text[k].isalnum()

    n = min(len(caption), len(foil))
    i = 0
    while i < n and caption[i] == foil[i]:
        i += 1
    # widen to whole words so the span reads "red" → "blue", not "re" → "blu"; the suffix is matched after,
    # so a shared first letter ("gray golden") cannot pull the span into the next word
    while i > 0 and (inside(caption, i) or inside(foil, i)):
        i -= 1
    j = 0
    while j < n - i and caption[-1 - j] == foil[-1 - j]:
        j += 1
    while j > 0 and (inside(caption, len(caption) - j) or inside(foil, len(foil) - j)):
        j -= 1
    return i, len(caption) - j, foil[i: len(foil) - j]
