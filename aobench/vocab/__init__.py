"""Vocabulary data (objects with synonyms and groups, typed attributes) and their loaders.

Built-in lists live beside this file as data: `imagenet_classes.json` (1,000 ImageNet-1k classes:
display name, synonyms, group), `attributes_*.yaml` (typed attributes with synonyms),
`shapes_objects.yaml`, `compatibility.yaml` (which attributes fit which object groups) and
`imagenet_hypernyms.yaml` (generic caption nouns — dog, car, bird — with the classes beneath them in WordNet,
made by `scripts/make_imagenet_hypernyms.py`). A recipe names a built-in list or a YAML path of the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Optional

import yaml

import aobench.strict_yaml as strict_yaml
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


@dataclass(frozen=True)
class Hypernym:
    """A generic caption noun ("dog"), the other words captions use for it ("puppy") and the classes beneath it."""

    name: str
    synonyms: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()


@dataclass
class Hypernyms:
    """Generic nouns above a vocabulary's classes; iterating gives the `Hypernym`s (what extraction matches)."""

    nouns: dict[str, Hypernym]
    name: str = ""
    version: int = 1
    source: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        above: dict[str, list[str]] = {}
        for h in self.nouns.values():
            for c in h.classes:
                above.setdefault(c, []).append(h.name)
        self._above = {c: tuple(v) for c, v in above.items()}

    def __iter__(self):
        return iter(self.nouns.values())

    def __len__(self) -> int:
        return len(self.nouns)

    def ancestors(self, obj: str) -> tuple[str, ...]:
        """The generic nouns whose classes include this object (by display name), in file order."""
        return self._above.get(obj, ())

    def restrict(self, names: Iterable[str]) -> "Hypernyms":
        """Only these classes (and the nouns above at least one of them)."""
        keep = set(names)
        nouns = {}
        for k, h in self.nouns.items():
            classes = tuple(c for c in h.classes if c in keep)
            if classes:
                nouns[k] = Hypernym(h.name, h.synonyms, classes)
        return Hypernyms(nouns, self.name, self.version, self.source)


@dataclass
class Vocab:
    """Objects and attributes of a recipe, with lookups from any surface word to the canonical entry."""

    objects: list[ObjectClass]
    attributes: list[Attribute]
    rules: list = field(default_factory=list)  # `aobench.vocab.rules` objects (mappings are parsed)
    hypernyms: Optional[Hypernyms] = None  # generic caption nouns above the objects (corpus evidence, extraction)

    def __post_init__(self) -> None:
        from aobench.vocab.rules import parse_rule

        # rules as parsed objects (`aobench.vocab.rules`); a plain mapping is parsed here too
        self.rules = [parse_rule(r, f"rules[{i}]") if isinstance(r, dict) else r for i, r in enumerate(self.rules)]
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
        return self.denied_by(attribute, obj) is None

    def denied_by(self, attribute: Attribute, obj: ObjectClass) -> Optional[str]:
        """The id of the first rule that removes this pair, or None (see `aobench.vocab.rules`)."""
        for rule in self.rules:
            if not hasattr(rule, "flags") and rule.denies(attribute, obj, self):
                return rule.id
        return None

    def flags(self, attribute: Attribute, obj: ObjectClass) -> list[str]:
        """The ids of the flag rules this pair meets (default states: kept as candidates, marked)."""
        return [rule.id for rule in self.rules if hasattr(rule, "flags") and rule.flags(attribute, obj)]


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
        return json.loads(text) if path.suffix == ".json" else strict_yaml.safe_load(text)
    except strict_yaml.DuplicateKeyError as exc:
        raise AobenchError(f"{path}:{exc.line}: duplicate key {exc.key!r} (first at line {exc.first}) — keep one of them") from None
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


@lru_cache(maxsize=None)
def load_hypernyms(ref: str) -> Hypernyms:
    """Generic nouns → classes: a built-in map (imagenet) or a YAML file `{nouns: {noun: {aliases, classes}}}`."""
    path = _ref_path(ref, "", ("_hypernyms.yaml",))
    data = _load_file(path)
    nouns = {}
    try:
        for noun, item in data["nouns"].items():
            noun = str(noun).lower()
            nouns[noun] = Hypernym(noun, tuple(str(a).lower() for a in item.get("aliases") or ()), tuple(str(c) for c in item["classes"]))
    except (KeyError, TypeError, AttributeError):
        raise AobenchError(f"malformed hypernym map {path}: expected nouns: {{noun: {{aliases: [...], classes: [...]}}}}") from None
    return Hypernyms(nouns, str(data.get("name", path.stem)), int(data.get("version", 1)), dict(data.get("source") or {}))


def _hypernyms_for(ref: str, objects: list[ObjectClass], all_objects: Iterable[ObjectClass]) -> Hypernyms:
    hyp = load_hypernyms(ref)
    known = {o.name for o in all_objects}
    unknown = sorted({c for h in hyp for c in h.classes} - known)
    if unknown:
        raise AobenchError(f"vocab.hypernyms: {ref} names classes the object list lacks: {', '.join(unknown[:5])} — use the map made for these objects")
    words = {w.lower() for o in all_objects for w in o.names}
    clash = sorted(w for h in hyp for w in (h.name, *h.synonyms) if w in words)
    if clash:
        raise AobenchError(f"vocab.hypernyms: {ref}: {', '.join(clash[:5])} already name a class — a generic noun must not be a class name")
    return hyp.restrict(o.name for o in objects)


def load_rules(ref: Optional[str], _seen: tuple = ()) -> list:
    """Pair rules (built-in name or YAML path; `include:` another rules file first); none when ref is None."""
    from aobench.vocab.rules import parse_rule

    if not ref:
        return []
    path = Path(ref).expanduser() if looks_like_path(ref, (".yaml", ".yml")) else _data_dir() / f"{ref}.yaml"
    if not path.exists():
        raise AobenchError(f"compatibility rules not found: {ref}")
    if path.resolve() in _seen:
        raise AobenchError(f"compatibility rules {path}: include cycle")
    data = _load_file(path) or {}
    inc = data.get("include")  # a built-in name, or a path relative to this file
    if inc and looks_like_path(str(inc), (".yaml", ".yml")) and not Path(inc).is_absolute():
        inc = str(path.parent / inc)
    rules = load_rules(inc, (*_seen, path.resolve())) if inc else []
    rules += [parse_rule(raw, f"{path.name}: rules[{i}]", path.parent) for i, raw in enumerate(data.get("rules") or [])]
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise AobenchError(f"compatibility rules {path}: duplicate rule id(s) {', '.join(dup)}")
    return rules


def load_vocab(spec) -> Vocab:
    """The vocabulary a recipe's `vocab:` section describes (type filter, object limit, rules applied)."""
    attrs = list(load_attributes(spec.attributes))
    if spec.attribute_types:
        known = sorted({a.type for a in attrs})
        bad = [t for t in spec.attribute_types if t not in known]
        if bad:
            raise AobenchError(f"vocab.attribute_types: unknown type(s) {bad}; allowed: {', '.join(known)}")
        attrs = [a for a in attrs if a.type in spec.attribute_types]
    all_objs = load_objects(spec.objects)
    objs = list(all_objs)
    if spec.max_objects:
        objs = objs[: spec.max_objects]
    hyp_ref = getattr(spec, "hypernyms", None)
    hypernyms = _hypernyms_for(hyp_ref, objs, all_objs) if hyp_ref else None
    return Vocab(objects=objs, attributes=attrs, rules=load_rules(spec.compatibility), hypernyms=hypernyms)
