"""Sparse attribute x object co-occurrence counts: mergeable, to and from their JSON document (saved in an nmi dir by `aobench.nmidir`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable


@dataclass
class Counts:
    """Pair counts (events = extracted pair occurrences) with caption totals and skip reasons.

    `negated` counts pair mentions a caption negates ("the umbrella is not blue"): kept apart, never events.
    """

    pairs: Counter = field(default_factory=Counter)
    n_captions: int = 0
    n_captions_with_pairs: int = 0
    n_skipped: Counter = field(default_factory=Counter)
    negated: Counter = field(default_factory=Counter)

    def add_caption(self, pairs: Iterable[tuple[str, str]], negated: Iterable[tuple[str, str]] = ()) -> None:
        """Count one caption's extracted pairs (and, apart, the pairs it negates)."""
        pairs = list(pairs)
        self.n_captions += 1
        if pairs:
            self.n_captions_with_pairs += 1
            self.pairs.update(pairs)
        self.negated.update(negated)

    def skip(self, reason: str, n: int = 1) -> None:
        """Count a record that could not be read, by reason."""
        self.n_skipped[reason] += n

    def merge(self, other: "Counts") -> "Counts":
        """Add another shard's counts into this one (returns self)."""
        self.pairs.update(other.pairs)
        self.n_captions += other.n_captions
        self.n_captions_with_pairs += other.n_captions_with_pairs
        self.n_skipped.update(other.n_skipped)
        self.negated.update(other.negated)
        return self

    def __add__(self, other: "Counts") -> "Counts":
        return Counts().merge(self).merge(other)

    @property
    def n_events(self) -> int:
        """Total pair occurrences."""
        return sum(self.pairs.values())

    @property
    def n_negated(self) -> int:
        """Total negated pair mentions (not events)."""
        return sum(self.negated.values())

    def attribute_counts(self) -> Counter:
        """Marginal count per attribute."""
        out: Counter = Counter()
        for (a, _), n in self.pairs.items():
            out[a] += n
        return out

    def object_counts(self) -> Counter:
        """Marginal count per object."""
        out: Counter = Counter()
        for (_, o), n in self.pairs.items():
            out[o] += n
        return out

    def pair_count(self, attribute: str, obj: str) -> int:
        """How often the corpus pairs this attribute with this object (names compared lower-case)."""
        return self.pairs.get((attribute.lower(), obj.lower()), 0)

    def skipped_total(self) -> int:
        """All skipped records."""
        return sum(self.n_skipped.values())

    def to_dict(self) -> dict:
        """JSON-ready form (pairs sorted, so files are reproducible)."""
        return {
            "n_captions": self.n_captions,
            "n_captions_with_pairs": self.n_captions_with_pairs,
            "n_events": self.n_events,
            "n_skipped": dict(sorted(self.n_skipped.items())),
            "pairs": [[a, o, n] for (a, o), n in sorted(self.pairs.items())],
            "n_negated": self.n_negated,
            "negated": [[a, o, n] for (a, o), n in sorted(self.negated.items())],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Counts":
        """Inverse of to_dict."""
        return cls(
            pairs=Counter({(a, o): int(n) for a, o, n in d["pairs"]}),
            n_captions=int(d["n_captions"]),
            n_captions_with_pairs=int(d.get("n_captions_with_pairs", 0)),
            n_skipped=Counter(d.get("n_skipped", {})),
            negated=Counter({(a, o): int(n) for a, o, n in d.get("negated", [])}),
        )
