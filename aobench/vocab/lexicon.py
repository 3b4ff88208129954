"""Loaders of the caption lexicon data: attribute scales (which replacements contradict) and caption nouns by kind.

`attribute_scales.yaml`: exclusive attribute types, near-synonyms on one scale, opposites of graded types.
`caption_nouns.yaml`: everyday nouns by kind (entries that exclude one another, general nouns, near-synonyms), the
ImageNet class words captions use in another sense, and the pairs foils leave alone. Both are hand-curated data;
their comments say what each section means and where the words came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from aobench.errors import AobenchError


@dataclass(frozen=True)
class Scales:
    """Which attribute words contradict one another (see attribute_scales.yaml)."""

    exclusive: frozenset = frozenset()
    near: dict = field(default_factory=dict)  # word → words sharing a near-synonym list with it
    opposite: dict = field(default_factory=dict)  # word → words on the other side of one of its opposites

    def near_synonyms(self, a: str, b: str) -> bool:
        """Whether two words are near-synonyms on one scale (or the same word)."""
        return a == b or b in self.near.get(a, ())

    def contradicts(self, a: str, b: str, attribute_type: str) -> bool:
        """Whether saying `b` instead of `a` (both of this type) makes a false caption."""
        if self.near_synonyms(a, b):
            return False
        return attribute_type in self.exclusive or b in self.opposite.get(a, ())


@dataclass(frozen=True)
class Sense:
    """An ImageNet class word read in its everyday sense: as this caption noun (None: a noun of no kind)."""

    as_: Optional[str] = None
    after: tuple = ()  # only after one of these words ("bathing suit"); empty: always


@dataclass
class CaptionNouns:
    """Everyday caption nouns: entries by kind, the words that map to each, general nouns, near-synonyms, senses."""

    kinds: dict  # kind → entry names (in file order)
    entry_of: dict  # any word of an entry → the entry name
    kind_of_entry: dict  # entry → kind
    general: dict  # general noun → kind
    near: dict  # entry → entries it does not contradict
    senses: dict  # class word → Sense
    keep_apart: list = field(default_factory=list)  # [(kind, attribute types)]: pairs foils leave alone

    def kind(self, word: str) -> str:
        """The kind of a noun (entry word or general noun; '' when unknown)."""
        w = word.lower()
        e = self.entry_of.get(w)
        return self.kind_of_entry[e] if e else self.general.get(w, "")

    def near_synonyms(self, a: str, b: str) -> bool:
        """Whether two entries do not contradict one another (or are the same entry)."""
        return a == b or b in self.near.get(a, ())


def _read(name: str) -> dict:
    from pathlib import Path

    from aobench.vocab import _data_dir, _load_file

    path = Path(name) if Path(name).is_absolute() else _data_dir() / name
    data = _load_file(path)
    if not isinstance(data, dict):
        raise AobenchError(f"malformed vocabulary file {name}: expected a mapping")
    return data


def _words(item) -> tuple[str, list[str]]:
    """(entry name, its words) of `word` or `{word: [words]}`."""
    if isinstance(item, dict):
        ((name, words),) = item.items()
        return str(name).lower(), [str(w).lower() for w in (words or ())]
    return str(item).lower(), []


@lru_cache(maxsize=None)
def load_scales(name: str = "attribute_scales.yaml") -> Scales:
    """The attribute scales shipped beside the vocabularies (or the file at an absolute path)."""
    data = _read(name)
    near: dict[str, set] = {}
    opposite: dict[str, set] = {}
    try:
        for group in data.get("near_synonyms") or ():
            words = [str(w).lower() for w in group]
            for w in words:
                near.setdefault(w, set()).update(x for x in words if x != w)
        for left, right in data.get("opposites") or ():
            left, right = [str(w).lower() for w in left], [str(w).lower() for w in right]
            for w in left:
                opposite.setdefault(w, set()).update(right)
            for w in right:
                opposite.setdefault(w, set()).update(left)
        exclusive = frozenset(str(t) for t in data.get("exclusive") or ())
    except (TypeError, ValueError):
        raise AobenchError(f"malformed {name}: near_synonyms are lists of words, opposites pairs of lists") from None
    return Scales(exclusive, {k: frozenset(v) for k, v in near.items()}, {k: frozenset(v) for k, v in opposite.items()})


@lru_cache(maxsize=None)
def load_caption_nouns(name: str = "caption_nouns.yaml") -> CaptionNouns:
    """The caption nouns shipped beside the vocabularies (or the file at an absolute path); a word listed twice is an error naming it."""
    data = _read(name)
    kinds: dict[str, list[str]] = {}
    entry_of: dict[str, str] = {}
    kind_of_entry: dict[str, str] = {}
    general: dict[str, str] = {}

    def claim(word: str, owner: str) -> None:
        if word in entry_of or word in general:
            raise AobenchError(f"{name}: {word!r} is listed twice (under {owner} and elsewhere)")

    try:
        for kind, items in (data.get("kinds") or {}).items():
            for item in items:
                entry, words = _words(item)
                for w in (entry, *words):
                    claim(w, f"kinds.{kind}")
                    entry_of[w] = entry
                kinds.setdefault(kind, []).append(entry)
                kind_of_entry[entry] = kind
        for kind, words in (data.get("general") or {}).items():
            for w in words:
                w = str(w).lower()
                claim(w, f"general.{kind}")
                general[w] = kind
        near: dict[str, set] = {}
        for group in data.get("near_synonyms") or ():
            group = [str(w).lower() for w in group]
            for w in group:
                if w not in kind_of_entry:
                    raise AobenchError(f"{name}: near_synonyms names {w!r}, which is not an entry of `kinds`")
                near.setdefault(w, set()).update(x for x in group if x != w)
        senses = {}
        for word, spec in (data.get("senses") or {}).items():
            spec = spec or {}
            target = spec.get("as")
            if target is not None and str(target).lower() not in entry_of and str(target).lower() not in general:
                raise AobenchError(f"{name}: senses.{word}.as names {target!r}, which is neither an entry nor a general noun")
            senses[str(word).lower()] = Sense(str(target).lower() if target else None, tuple(str(w).lower() for w in spec.get("after") or ()))
        keep_apart = [(str(r["kind"]), tuple(str(t) for t in r["attribute_types"])) for r in data.get("keep_apart") or ()]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise AobenchError(f"malformed {name}: {exc} (see the comments at the top of the file)") from None
    return CaptionNouns(kinds, entry_of, kind_of_entry, general, {k: frozenset(v) for k, v in near.items()}, senses, keep_apart)
