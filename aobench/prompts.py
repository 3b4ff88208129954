"""Prompt templates: `{a}` is the indefinite article of the word that follows it."""

from __future__ import annotations

import re

_A_BEFORE_VOWEL_LETTER = ("uni", "use", "usu", "uti", "ure", "eu", "ewe", "one", "once", "ufo", "ukulele", "urin")
_AN_BEFORE_SILENT_H = ("hour", "honest", "honor", "honour", "heir", "herb")
_SENTINEL = "\x00A\x00"
DEFAULT_EVAL_TEMPLATES = ("a photo of {a} {attribute} {object}.",)  # zero-shot prompts when a dataset brings none


def article(word: str) -> str:
    """'a' or 'an' for the word (by sound, with the common English exceptions)."""
    w = word.strip().lower()
    if not w:
        return "a"
    if w.startswith(_AN_BEFORE_SILENT_H):
        return "an"
    if w.startswith(_A_BEFORE_VOWEL_LETTER):
        return "a"
    if re.match(r"^[aeiou]", w):
        return "an"
    if re.match(r"^[fhlmnrsx](\b|[-\s]|$)", w):  # single letters read as "an ef", "an ex"
        return "an"
    return "a"


def render(template: str, attribute: str, obj: str, attribute_type: str = "") -> str:
    """Fill a template; `{a}` becomes the article agreeing with the next word."""
    text = template.format(a=_SENTINEL, attribute=attribute, object=obj, attribute_type=attribute_type)
    while _SENTINEL in text:
        head, tail = text.split(_SENTINEL, 1)
        nxt = tail.lstrip().split(" ", 1)[0] if tail.strip() else ""
        text = head + article(nxt) + tail
    return " ".join(text.split())
