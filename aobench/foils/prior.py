"""A blind plausibility prior for foils: drop a new pair that caption corpora reject outright (LM-free, counts only).

SugarCrepe found that hard negatives a text-only model rejects as implausible ("wooden clouds") let blind models beat
CLIP; it generated fluent negatives with ChatGPT, had people remove the implausible ones, then balanced text-only
scores (`adversarial_refine.py`). aobench has neither an LLM nor annotators offline, so the "rejected outright" step
is this rule over attribute–object counts of captions (the shipped `builtin:*` corpora, `--counts` when given, and
the input's own captions, each caption left out of them while its foils are made):

    a foil's new pair (a, o) is implausible when the reference never says `a` of `o` although it describes `o` itself
    at least `4 × min_events` times, or never says `a` of anything of o's kind (caption-noun kinds: pet, garment,
    vehicle, ...) although it has at least `min_events` pairs of that kind. "Says" is: at least twice and in at least
    0.5% of the pairs of that object (or kind) — a single mention, or a handful among thousands, is parse noise
    ("a dog with its mouth open" read as an open dog) as often as not.

An added attribute (add_att) must moreover be said of `o` itself, in that sense, yet not be typical of it (in >= 10%
of o's pairs: "denim jeans", "green grass" are most likely true of the image, so they make no foil).

So "a purple dog" is dropped when none of the thousands of reference pairs on dogs says purple, and "a turquoise
lizard" when no reference caption calls any creature of its kind turquoise; "a white dog" is kept. An object and a kind
the reference barely describes, and an object of no kind, are never judged: the prior abstains rather than guess. It reads text only (no image), and never the
caption it is judging. Reference objects are given kinds with the ImageNet-AO lexicon (the shipped counts name its
classes and generic nouns) and the caption-noun data.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Optional

MIN_EVENTS = 50
ATTESTED = 2  # "says": at least twice (a single mention is a parse error as often as not: "a full dog") ...
SHARE = 0.005  # ... and in at least 0.5% of the pairs of that object or kind (parse noise grows with the corpus)
TYPICAL = 0.1  # an attribute in >= 10% of an object's pairs is its default: adding it is no foil
OBJECT_FACTOR = 4  # an object is judged on its own pairs from OBJECT_FACTOR × min_events of them


class PlausibilityPrior:
    """Rejects a pair the reference never pairs with its object or kind, where the kind is well described."""

    def __init__(self, tables: Iterable, kind_of, min_events: int = MIN_EVENTS, sources: Optional[list[str]] = None):
        self.kind_of = kind_of  # object name → kind ('' unknown)
        self.min_events = min_events
        self.sources = list(sources or [])
        self.pairs: Counter = Counter()
        for t in tables:
            self.pairs.update(getattr(t, "pairs", t))
        self.kind_events: Counter = Counter()
        self.attr_kind: Counter = Counter()
        self.obj_events: Counter = Counter()
        for (a, o), n in self.pairs.items():
            self.obj_events[o] += n
            k = kind_of(o)
            if k:
                self.kind_events[k] += n
                self.attr_kind[(a, k)] += n
        self._kind: dict[str, str] = {}
        self._held = (Counter(), Counter(), Counter(), Counter())

    def kind(self, obj: str) -> str:
        """The kind the prior reads for an object (memoised)."""
        k = self._kind.get(obj)
        if k is None:
            k = self._kind[obj] = self.kind_of(obj)
        return k

    def hold(self, pairs) -> None:
        """Leave one caption's pairs out of the reference (they are in it when the reference includes the input)."""
        held = Counter((a.lower(), o.lower()) for a, o in pairs)
        attr_kind, kind_events, obj_events = Counter(), Counter(), Counter()
        for (a, o), n in held.items():
            obj_events[o] += n
            k = self.kind(o)
            if k:
                attr_kind[(a, k)] += n
                kind_events[k] += n
        self._held = (held, attr_kind, kind_events, obj_events)

    @staticmethod
    def _says(n: int, total: int) -> bool:
        return n >= max(ATTESTED, SHARE * total)

    def ok(self, attribute: str, obj: str) -> bool:
        """Whether the pair may appear in a foil."""
        a, o = attribute.lower(), obj.lower()
        held, held_ak, held_k, held_o = self._held
        n_o = self.obj_events[o] - held_o.get(o, 0)
        if self._says(self.pairs.get((a, o), 0) - held.get((a, o), 0), n_o):
            return True
        if n_o >= OBJECT_FACTOR * self.min_events:
            return False  # described often, never (or hardly ever: parse errors) so
        k = self.kind(o)
        n_k = self.kind_events[k] - held_k.get(k, 0) if k else 0
        if n_k < self.min_events:
            return True  # too little evidence to reject
        return self._says(self.attr_kind[(a, k)] - held_ak.get((a, k), 0), n_k)

    def attested(self, attribute: str, obj: str) -> bool:
        """Whether the reference says the attribute of this very object, twice (what add_att needs: an added attribute
        claims something new, so it must be a thing captions say of it, not merely one they do not deny)."""
        a, o = attribute.lower(), obj.lower()
        held, _, _, held_o = self._held
        return self._says(self.pairs.get((a, o), 0) - held.get((a, o), 0), self.obj_events[o] - held_o.get(o, 0))

    def typical(self, attribute: str, obj: str) -> bool:
        """Whether the attribute is said in >= 10% of the object's pairs ("denim jeans", "green grass"): adding it to a
        caption most likely says something true of the image, so add_att does not."""
        a, o = attribute.lower(), obj.lower()
        held, _, _, held_o = self._held
        n_o = self.obj_events[o] - held_o.get(o, 0)
        return n_o >= self.min_events and self.pairs.get((a, o), 0) - held.get((a, o), 0) >= TYPICAL * n_o

    def addable(self, attribute: str, obj: str) -> bool:
        """What add_att's new pair must be: said of the object (plausible), yet not typical of it (likely false)."""
        return self.attested(attribute, obj) and not self.typical(attribute, obj)

    def describe(self) -> dict:
        """What the prior is, for the audit file."""
        return {
            "rule": f"a pair is said when it has >= {ATTESTED} and >= {SHARE:.1%} of the pairs of its object (kind); drop a "
                    f"foil whose new pair (a, o) is not said although the reference has >= {OBJECT_FACTOR * self.min_events} "
                    f"pairs of o, or whose a is not said of o's kind although it has >= {self.min_events} pairs of that kind; "
                    f"otherwise keep (abstain); add_att: its new pair must be said and below {TYPICAL:.0%} of the object's pairs; "
                    f"the caption being foiled is left out",
            "reference": self.sources,
            "n_events": int(sum(self.pairs.values())),
            "kinds_judged": sorted(k for k, n in self.kind_events.items() if n >= self.min_events),
        }  # fmt: skip


def default_prior(tables=(), sources=(), min_events: int = MIN_EVENTS) -> PlausibilityPrior:
    """The prior over every shipped corpus and these extra count tables (`--counts`, the input's own captions)."""
    from aobench.nmidir import list_builtin, load_corpus
    from aobench.foils.lexicon import reference_lexicon

    refs = [f"builtin:{name}" for name in list_builtin()]
    lex = reference_lexicon()
    return PlausibilityPrior([load_corpus(r).counts for r in refs] + list(tables), lambda o: lex.noun(o).kind,
                             min_events=min_events, sources=refs + list(sources))  # fmt: skip
