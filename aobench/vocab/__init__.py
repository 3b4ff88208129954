"""Vocabulary data (objects with synonyms and groups, typed attributes) and their loaders.

Built-in lists live beside this file as data: `imagenet_classes.json` (1,000 ImageNet-1k classes:
display name, synonyms, group), `attributes_*.yaml` (typed attributes with synonyms),
`shapes_objects.yaml`, and `compatibility.yaml` (which attributes fit which object groups).
A recipe names a built-in list or a YAML path of the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Optional

import yaml

from aobench.errors import AobenchError
from aobench.paths import looks_like_path


@dataclass(frozen=True)
class Attribute:
    """An attribute word, its type (colour, material, ...) and words that mean the same."""

    name: str
    type: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectClass:
    """An object class: display name, synonyms (other names, multi-word allowed) and coarse group."""

    name: str
    synonyms: tuple[str, ...] = ()
    group: str = "object"
    subgroup: str = ""
    index: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        """Display name first, then synonyms."""
        return (self.name, *self.synonyms)


@dataclass
class Vocab:
    """Objects and attributes of a recipe, with lookups from any surface word to the canonical entry."""

    objects: list[ObjectClass]
    attributes: list[Attribute]
    rules: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.attribute_by_word: dict[str, Attribute] = {}
        for a in self.attributes:
            for w in (a.name, *a.synonyms):
                self.attribute_by_word.setdefault(w.lower(), a)
        self.object_by_phrase: dict[str, ObjectClass] = {}
        for o in self.objects:
            for w in o.names:
                self.object_by_phrase.setdefault(w.lower(), o)
        self.attribute_types = sorted({a.type for a in self.attributes})
        self._attr = {a.name: a for a in self.attributes}
        self._obj = {o.name: o for o in self.objects}

    def attribute(self, name: str) -> Attribute:
        """The attribute with this canonical name."""
        return self._attr[name]

    def object(self, name: str) -> ObjectClass:
        """The object with this display name."""
        return self._obj[name]

    def compatible(self, attribute: Attribute, obj: ObjectClass) -> bool:
        """Whether the compatibility rules allow this pair."""
        for rule in self.rules:
            deny = rule.get("deny", {})
            groups = deny.get("groups", ["*"])
            if "*" not in groups and obj.group not in groups and obj.subgroup not in groups:
                continue
            if attribute.name in deny.get("attributes", []) or attribute.type in deny.get("attribute_types", []):
                return False
        return True


def _data_dir() -> Path:
    return Path(str(resources.files("aobench.vocab")))


def _ref_path(ref: str, prefix: str, suffixes: Iterable[str]) -> Path:
    p = Path(ref).expanduser()
    if looks_like_path(ref, (".yaml", ".yml", ".json")):
        if not p.exists():
            raise AobenchError(f"vocabulary file not found: {p}")
        return p
    for suf in suffixes:
        cand = _data_dir() / f"{prefix}{ref}{suf}"
        if cand.exists():
            return cand
    known = sorted({f.stem[len(prefix):] for f in _data_dir().glob(f"{prefix}*") if f.suffix in (".yaml", ".json")})
    raise AobenchError(f"unknown vocabulary {ref!r}; built-in: {', '.join(known)} (or give a YAML path)")


def _load_file(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise AobenchError(f"cannot read vocabulary file {path}: {exc}") from None


@lru_cache(maxsize=None)
def load_attributes(ref: str) -> tuple[Attribute, ...]:
    """Attributes of a built-in list (vaw, v1, shapes) or a YAML file `{attributes: {type: [word | {word: [synonyms]}]}}`."""
    path = _ref_path(ref, "attributes_", (".yaml",))
    data = _load_file(path)
    out = []
    try:
        for typ, items in data["attributes"].items():
            for item in items:
                if isinstance(item, dict):
                    ((name, syns),) = item.items()
                    out.append(Attribute(str(name), typ, tuple(syns or ())))
                else:
                    out.append(Attribute(str(item), typ))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise AobenchError(f"malformed attribute list {path}: expected attributes: {{type: [word, ...]}}") from None
    return tuple(out)


@lru_cache(maxsize=None)
def load_objects(ref: str) -> tuple[ObjectClass, ...]:
    """Objects of a built-in list (imagenet, shapes) or a YAML file `{objects: [{name, synonyms, group}]}`."""
    if ref == "imagenet":
        path = _data_dir() / "imagenet_classes.json"
    else:
        path = _ref_path(ref, "", ("_objects.yaml",))
    data = _load_file(path)
    out = []
    try:
        for i, item in enumerate(data["objects"]):
            if isinstance(item, str):
                item = {"name": item}
            out.append(
                ObjectClass(
                    name=str(item["name"]),
                    synonyms=tuple(item.get("synonyms", ()) or ()),
                    group=item.get("group", "object"),
                    subgroup=item.get("subgroup", item.get("group", "object")),
                    index=int(item.get("index", i)),
                )
            )
    except (KeyError, TypeError, ValueError):
        raise AobenchError(f"malformed object list {path}: expected objects: [{{name, synonyms, group}}]") from None
    return tuple(out)


def load_rules(ref: Optional[str]) -> list[dict]:
    """Compatibility rules (built-in name or YAML path); none when ref is None."""
    if not ref:
        return []
    path = Path(ref).expanduser() if looks_like_path(ref, (".yaml", ".yml")) else _data_dir() / f"{ref}.yaml"
    if not path.exists():
        raise AobenchError(f"compatibility rules not found: {ref}")
    return list(_load_file(path).get("rules", []))


def load_vocab(spec) -> Vocab:
    """The vocabulary a recipe's `vocab:` section describes (type filter, object limit, rules applied)."""
    attrs = list(load_attributes(spec.attributes))
    if spec.attribute_types:
        known = sorted({a.type for a in attrs})
        bad = [t for t in spec.attribute_types if t not in known]
        if bad:
            raise AobenchError(f"vocab.attribute_types: unknown type(s) {bad}; allowed: {', '.join(known)}")
        attrs = [a for a in attrs if a.type in spec.attribute_types]
    objs = list(load_objects(spec.objects))
    if spec.max_objects:
        objs = objs[: spec.max_objects]
    return Vocab(objects=objs, attributes=attrs, rules=load_rules(spec.compatibility))
