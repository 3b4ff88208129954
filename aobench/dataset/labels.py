"""Label columns (`attribute`, `object`, `pair`) as `datasets.ClassLabel`, and reading them back as names.

ClassLabel gives Hub viewer and `load_dataset` users class ids with their names; the names are the
build's vocabulary (every selected pair), so ids are the same in every split and do not move with
`--limit` or filters. An empty value (a real photograph with no attribute) is ClassLabel's -1, "no label".
Readers call `read_columns`, which gives names whether a column is a ClassLabel or plain strings.
"""

from __future__ import annotations

from typing import Iterable

from aobench.errors import AobenchError

LABEL_COLUMNS = ("attribute", "object", "pair")


def pair_name(attribute: str, obj: str) -> str:
    """The `pair` label of an (attribute, object) pair: "attribute object" ("" when either is missing)."""
    return f"{attribute} {obj}" if attribute and obj else ""


def label_names(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Sorted class names per label column for these (attribute, object) pairs (empty values left out)."""
    pairs = sorted({(a or "", o or "") for a, o in pairs})
    by_name: dict[str, tuple[str, str]] = {}
    for a, o in pairs:
        if a and o and by_name.setdefault(pair_name(a, o), (a, o)) != (a, o):
            raise AobenchError(f"pairs {by_name[pair_name(a, o)]} and {(a, o)} both read {pair_name(a, o)!r}: rename an attribute or object in the vocabulary")
    return {"attribute": sorted({a for a, _ in pairs} - {""}), "object": sorted({o for _, o in pairs} - {""}), "pair": sorted(by_name)}


def label_features(names: dict[str, list[str]]) -> dict:
    """`ClassLabel` features for the label columns."""
    from datasets import ClassLabel

    return {col: ClassLabel(names=list(names[col])) for col in LABEL_COLUMNS}


def encode(value: str) -> str | int:
    """A label value for `Dataset.from_dict` with a ClassLabel feature: the name, or -1 ("no label") when empty."""
    return value if value else -1


def read_columns(ds, columns: list[str]) -> dict[str, list]:
    """Columns of a `datasets.Dataset` as lists, ClassLabel ids turned back into names (-1 → "")."""
    from datasets import ClassLabel

    data = ds.select_columns(list(columns)).to_dict() if columns else {}
    for col in columns:
        feat = ds.features.get(col)
        if isinstance(feat, ClassLabel):
            data[col] = [feat.int2str(v) if v is not None and v >= 0 else "" for v in data[col]]
    return data
