"""Pick the numbers a report plots out of eval results whose metric names belong to the eval stage.

Matching is by name tokens (split on non-alphanumerics), so `acc1`, `composition/acc1`,
`by_attribute_type/colour/acc1` and `acc1_colour` are all understood.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from aobench.report.inputs import Result

ACC_PREFERENCE = ("acc1", "accuracy", "acc", "top1")
COMPOSITION_WORDS = ("composition", "compositional", "pair", "pairs", "attribute_object", "ao")
OBJECT_WORDS = ("object", "objects", "obj")


def tokens(key: str) -> list[str]:
    """Lowercase alphanumeric tokens of a metric or task name."""
    return [t for t in re.split(r"[^0-9a-z]+", key.lower()) if t]


def _acc_keys(metrics: dict[str, float]) -> list[str]:
    """Accuracy-like keys, best first (acc1 before acc5 before anything else)."""
    ranked = []
    for k in metrics:
        toks = tokens(k)
        for rank, name in enumerate(ACC_PREFERENCE):
            if name in toks:
                ranked.append((rank, len(toks), k))
                break
    return [k for _, _, k in sorted(ranked)]


def headline(metrics: dict[str, float], require: Iterable[str] = (), exclude: Iterable[str] = ()) -> Optional[float]:
    """The best accuracy-like metric whose tokens include all of `require` and none of `exclude`."""
    req, exc = set(require), set(exclude)
    for k in _acc_keys(metrics):
        toks = set(tokens(k))
        if req <= toks and not (exc & toks):
            return metrics[k]
    return None


def attribute_types_in(results: list[Result]) -> set[str]:
    """Attribute types named in metric keys after a segment mentioning attribute type(s)."""
    found = set()
    for r in results:
        for k in r.metrics:
            parts = k.split("/")
            for i, p in enumerate(parts[:-1]):
                if "attribute_type" in p.lower() or p.lower() in ("by_type", "per_type", "types"):
                    found.add(parts[i + 1])
    return found


def by_attribute_type(r: Result, types: Iterable[str]) -> dict[str, float]:
    """Accuracy per attribute type from one result's metrics (types with no metric are left out)."""
    out = {}
    for t in sorted(set(types)):
        tt = set(tokens(t))
        if not tt:
            continue
        v = headline({k: v for k, v in r.metrics.items() if tt <= set(tokens(k))})
        if v is not None:
            out[t] = v
    return out


def _is(words: tuple[str, ...], name: str) -> bool:
    toks = set(tokens(name))
    return any(w in toks or w in name.lower() for w in words)


def model_summary(results: list[Result], types: Iterable[str]) -> dict[str, dict]:
    """Per model: composition accuracy, object accuracy, accuracy by attribute type, and an nmi if a result carries one."""
    types = set(types) | attribute_types_in(results)
    out: dict[str, dict] = {}
    for r in results:
        s = out.setdefault(r.model, {"composition": None, "object": None, "by_type": {}, "nmi": None})
        task_obj, task_comp = _is(OBJECT_WORDS, r.task), _is(COMPOSITION_WORDS, r.task)
        obj = headline(r.metrics) if task_obj and not task_comp else headline(r.metrics, require=("object",))
        comp = headline(r.metrics, exclude=("object",) + tuple(types)) if not task_obj or task_comp else None
        for key, comp_word in (("composition", "composition"), ("composition", "pair")):
            v = headline(r.metrics, require=(comp_word,))
            if v is not None and s[key] is None:
                s[key] = v
        if s["object"] is None and obj is not None:
            s["object"] = obj
        if s["composition"] is None and comp is not None:
            s["composition"] = comp
        for t, v in by_attribute_type(r, types).items():
            s["by_type"].setdefault(t, v)
        for k in ("train_nmi", "nmi", "measured_nmi"):
            if s["nmi"] is None and isinstance(r.raw.get(k), (int, float)):
                s["nmi"] = float(r.raw[k])
    return out
