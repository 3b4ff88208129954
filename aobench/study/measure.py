"""Caption NMI as `aobench nmi` measures it, and NMI of known pair counts (the solver's prediction).

`measure_captions` is the one place the study asks the text stage for a number: it writes the
captions to a .txt corpus and runs the extraction + statistics path of `aobench nmi` with the recipe's
vocabulary. `nmi_of_counts` feeds exact (attribute, object) counts to the same statistics code.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

from aobench.io import atomic_write_text

NORMALIZATION = "arithmetic"  # aobench nmi's default


def nmi_of_counts(counts: Mapping[tuple[str, str], int], normalization: str = NORMALIZATION) -> float:
    """NMI between attribute and object over pair-occurrence counts (aobench.text.stats)."""
    try:
        from collections import Counter

        from aobench.text.counts import Counts
        from aobench.text.stats import nmi_of_counts as text_nmi
    except ImportError:  # text stage absent (partial install): same definition, computed here
        return _local_nmi(counts, normalization)
    return float(text_nmi(Counts(pairs=Counter({k: int(n) for k, n in counts.items() if n > 0})), normalization)["nmi"])


def _local_nmi(counts: Mapping[tuple[str, str], int], normalization: str) -> float:
    # the textbook definition over pair occurrences, for installs without aobench.text
    total = float(sum(counts.values()))
    if total <= 0:
        return 0.0
    pa: dict[str, float] = {}
    po: dict[str, float] = {}
    for (a, o), n in counts.items():
        pa[a] = pa.get(a, 0.0) + n
        po[o] = po.get(o, 0.0) + n
    mi = sum(n / total * math.log(n * total / (pa[a] * po[o])) for (a, o), n in counts.items() if n > 0)
    ha = -sum(v / total * math.log(v / total) for v in pa.values() if v > 0)
    ho = -sum(v / total * math.log(v / total) for v in po.values() if v > 0)
    denom = {
        "arithmetic": (ha + ho) / 2,
        "geometric": math.sqrt(ha * ho),
        "min": min(ha, ho),
        "max": max(ha, ho),
        "joint": ha + ho - mi,
    }[normalization]
    return mi / denom if denom > 0 else 0.0


def measure_captions(captions: list[str], workdir: str | Path, recipe_ref: str = "shapes-ao") -> dict:
    """NMI of a caption list measured the way `aobench nmi` does; writes `captions.txt` and `nmi.json` in workdir."""
    workdir = Path(workdir)
    corpus = workdir / "captions.txt"
    atomic_write_text(corpus, "".join(c.replace("\n", " ") + "\n" for c in captions))
    return _measure_corpus(corpus, workdir / "nmi", recipe_ref)


def _measure_corpus(corpus: Path, out: Path, recipe_ref: str) -> dict:
    try:
        from aobench.text.analyze import run_nmi  # the function `aobench nmi` calls
    except ImportError:  # text stage absent (partial install)
        return _local_corpus_nmi(corpus, out, recipe_ref)
    return dict(run_nmi([str(corpus)], out, vocab_ref=recipe_ref, normalization=NORMALIZATION)["pooled"])


def _local_corpus_nmi(corpus: Path, out: Path, recipe_ref: str) -> dict:
    # vocabulary word matching, for installs without aobench.text (shapes-ao captions are templated)
    from aobench.io import atomic_write_json
    from aobench.recipe import load
    from aobench.vocab import load_vocab

    vocab = load_vocab(load(recipe_ref).vocab)
    counts: dict[tuple[str, str], int] = {}
    n_captions = n_skipped = 0
    for line in corpus.read_text(encoding="utf-8").splitlines():
        n_captions += 1
        words = line.lower().split()
        attrs = [vocab.attribute_by_word[w].name for w in words if w in vocab.attribute_by_word]
        objs = [vocab.object_by_phrase[w].name for w in words if w in vocab.object_by_phrase]
        if not attrs or not objs:
            n_skipped += 1
            continue
        key = (attrs[0], objs[-1])
        counts[key] = counts.get(key, 0) + 1
    res = {
        "nmi": _local_nmi(counts, NORMALIZATION),
        "normalization": NORMALIZATION,
        "n_events": sum(counts.values()),
        "n_captions": n_captions,
        "n_skipped": n_skipped,
        "engine": "study-fallback",
    }
    atomic_write_json(out / "nmi.json", res)
    return res
