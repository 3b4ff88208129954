"""Recipes: a benchmark build declared as data (YAML), validated by pydantic.

`load(name_or_path)` resolves a built-in name (`aobench/recipes/<name>.yaml`) or a path, follows
`include:` (a base recipe whose fields the file overrides, as lm-eval task YAMLs do), and returns a
`Recipe`. Every error names the file, the dotted field path and, where there is a fixed set, the
allowed values.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import aobench.strict_yaml as strict_yaml
from aobench.version import __version__
from aobench.errors import AobenchError
from aobench.paths import is_local, looks_like_path

RECIPES_PACKAGE = "aobench.recipes"
RECIPE_PATH_ENV = "AOBENCH_RECIPE_PATH"
VOCAB_SUFFIXES = (".yaml", ".yml", ".json")  # a vocab list given by file, not by built-in name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class VocabSpec(_Strict):
    """Where objects and attributes come from."""

    objects: str = Field("imagenet", description="built-in object list (imagenet, shapes) or a YAML path")
    attributes: str = Field("vaw", description="built-in attribute list (vaw, v1, shapes) or a YAML path")
    attribute_types: Optional[list[str]] = Field(None, description="keep only these attribute types")
    compatibility: Optional[str] = Field(None, description="attribute-object rules (built-in name or path)")
    hypernyms: Optional[str] = Field(
        None, description="generic caption nouns (dog, car) mapped to the classes beneath them (built-in: imagenet, or a YAML path)"
    )
    max_objects: Optional[int] = Field(None, ge=1, description="first N objects only (smoke runs)")


class PairsSpec(_Strict):
    """How attribute x object pairs are chosen and labelled seen/unusual."""

    attributes_per_object: Optional[int] = Field(None, ge=1, description="sample K attributes per object")
    unusual_fraction: Optional[float] = Field(
        None, gt=0, lt=1, description="hold out this fraction of pairs as unusual; the rest are seen"
    )
    seen_pairs: Optional[str] = Field(None, description="file of pairs known to be seen (csv/jsonl/txt)")
    counts: list[str] = Field(
        default_factory=list, description="caption-corpus counts marking seen pairs: builtin:NAME or `aobench nmi` output dirs"
    )
    seen_threshold: int = Field(1, ge=1, description="a pair with corpus count >= this is seen")
    match: Literal["class", "hypernym"] = Field(
        "class", description="class: only captions naming the class count; hypernym: generic nouns above it too (needs vocab.hypernyms)"
    )
    flagged: Literal["exclude", "keep"] = Field(
        "exclude",
        description="pairs the vocab's flag rules mark as default states (clean, dry, a tiny terrier): exclude keeps them out of unusual splits; keep draws them like the rest (flags still recorded)",
    )


class GeneratorSpec(_Strict):
    """The image generator: backend, model and sampling settings."""

    backend: str = Field("diffusers", description="registered backend: diffusers or procedural")
    model: Optional[str] = Field(None, description="Hub id or local path of the pipeline")
    family: Literal["sdxl", "sd"] = Field("sdxl", description="architecture family the --tiny model copies")
    steps: int = Field(1, ge=1)
    guidance_scale: float = Field(0.0, ge=0)
    resolution: int = Field(512, ge=16, le=4096)
    dtype: Literal["float32", "float16", "bfloat16"] = "float16"
    batch_size: int = Field(4, ge=1)
    negative_prompt: Optional[str] = None
    options: dict[str, Any] = Field(default_factory=dict, description="backend-specific settings")
    license: Optional[str] = Field(None, description="licence of the generated images (an SPDX/Hub id, or other); default: aobench's table by backend and model id")
    license_name: Optional[str] = Field(None, pattern=r"^[a-z0-9][a-z0-9.+-]*$", description="the licence's slug when license is other (e.g. sai-nc-community)")
    license_link: Optional[str] = Field(None, description="where the licence's terms are (needed with license: other)")

    @model_validator(mode="after")
    def _other_needs_name_and_link(self) -> "GeneratorSpec":
        if self.license == "other" and not (self.license_name and self.license_link):
            raise ValueError("license: other needs license_name and license_link (the Hub card requires both)")
        return self


class ClipScoreSpec(_Strict):
    """Drop images whose CLIP image-text similarity to their prompt is low."""

    enabled: bool = False
    model: str = "ViT-B-32"
    pretrained: str = "laion2b_s34b_b79k"
    threshold: float = Field(0.2, description="minimum cosine similarity image vs prompt")
    tiny_threshold: float = Field(
        -1.0, description="threshold used with --tiny: the real threshold is calibrated for the real model, so scores are recorded but nothing is dropped by default"
    )
    batch_size: int = Field(32, ge=1)


class NearDupSpec(_Strict):
    """Drop near-identical images (perceptual hash)."""

    enabled: bool = True
    max_distance: int = Field(4, ge=0, le=64, description="Hamming distance of 64-bit dHashes")
    scope: Literal["pair", "split", "all"] = "pair"


class CorpusLeakSpec(_Strict):
    """Drop generated pairs that a caption corpus contains (parsed, not substring-matched)."""

    enabled: bool = False
    counts: list[str] = Field(default_factory=list, description="saved counts (aobench nmi output dirs)")
    threshold: int = Field(1, ge=1)


class PluginFilterSpec(BaseModel):
    """Settings of a filter registered by another package (entry point group `aobench.filters`): any fields."""

    model_config = ConfigDict(extra="allow")

    enabled: bool = True


class FiltersSpec(BaseModel):
    """Filters run after generation, in this order: the built-in ones, then registered ones in recipe order."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    clip_score: ClipScoreSpec = Field(default_factory=ClipScoreSpec)
    near_duplicate: NearDupSpec = Field(default_factory=NearDupSpec)
    corpus_leak: CorpusLeakSpec = Field(default_factory=CorpusLeakSpec)

    @model_validator(mode="after")
    def _plugin_specs(self) -> "FiltersSpec":
        for name, value in (self.__pydantic_extra__ or {}).items():
            if not isinstance(value, PluginFilterSpec):
                if not isinstance(value, dict):
                    raise ValueError(f"filter {name!r}: expected a mapping of its settings, e.g. {{enabled: true}}")
                self.__pydantic_extra__[name] = PluginFilterSpec.model_validate(value)
        return self

    def items(self) -> list[tuple[str, BaseModel]]:
        """(filter name, its settings) in the order filters run."""
        return [(name, getattr(self, name)) for name in type(self).model_fields] + list((self.__pydantic_extra__ or {}).items())


class SplitSpec(_Strict):
    """One dataset split: which pairs, how many images, how they are drawn."""

    name: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    pairs: Literal["seen", "unusual", "all"] = "unusual"
    images_per_pair: Optional[int] = Field(None, ge=1, description="fixed count per pair")
    images: Optional[int] = Field(None, ge=1, description="total images, spread by `dependence`")
    dependence: float = Field(
        0.0, ge=0, le=1, description="0: attributes uniform per object; 1: each object's preferred attribute only"
    )
    min_images_per_pair: int = Field(
        0, ge=0, description="with `images`: every pair keeps at least this many at any dependence (the rest is spread by it)"
    )
    dependence_kind: Literal["mixture", "shared-to-own"] = Field(
        "mixture",
        description="mixture: p(a|o) = (1-d)/|S_o| + d [a = preferred(o)]; shared-to-own: every pair gets min_images_per_pair, "
        "each object's other images go to a shared attribute (d=0) or its own (d=1), so per-pair counts stay fixed",
    )

    @model_validator(mode="after")
    def _one_count(self) -> "SplitSpec":
        if (self.images_per_pair is None) == (self.images is None):
            raise ValueError("give exactly one of images_per_pair or images")
        if (self.min_images_per_pair or self.dependence_kind != "mixture") and self.images is None:
            raise ValueError("min_images_per_pair and dependence_kind go with images (a split spread by dependence)")
        return self


class CardSpec(_Strict):
    """Dataset-card fields."""

    template: str = "default.md"
    pretty_name: str = "ImageNet-AO"
    license: Optional[str] = Field(None, description="the card's licence; default: the generator's (images carry their generator's terms)")
    task_categories: list[str] = Field(default_factory=lambda: ["zero-shot-image-classification"])
    tags: list[str] = Field(default_factory=lambda: ["compositionality", "out-of-distribution", "clip"])
    description: str = ""
    limitations: str = ""


# fields that change how fast a build runs, never what it makes (batch sizes: see generate/diffusers_backend.py):
# left out of the fingerprint and of recipe.lock.yaml, so builds differing only in `--batch-size` are byte-identical
RUN_TIME_FIELDS = (("generator", "batch_size"), ("filters", "clip_score", "batch_size"))


class Recipe(_Strict):
    """A full benchmark recipe."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    version: int = 1
    seed: int = 0
    vocab: VocabSpec = Field(default_factory=VocabSpec)
    pairs: PairsSpec = Field(default_factory=PairsSpec)
    prompts: list[str] = Field(default_factory=lambda: ["a photo of {a} {attribute} {object}"])
    generator: GeneratorSpec = Field(default_factory=GeneratorSpec)
    filters: FiltersSpec = Field(default_factory=FiltersSpec)
    splits: list[SplitSpec] = Field(default_factory=lambda: [SplitSpec(name="test", images_per_pair=1)])
    card: CardSpec = Field(default_factory=CardSpec)

    @field_validator("prompts")
    @classmethod
    def _templates_name_fields(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one prompt template is needed")
        for t in v:
            if "{object}" not in t:
                raise ValueError(f"template {t!r} lacks {{object}}")
            try:
                t.format(a="a", attribute="x", object="y", attribute_type="t")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"template {t!r} uses an unknown field {exc}; allowed: a, attribute, object, attribute_type")
        return v

    @field_validator("splits")
    @classmethod
    def _unique_splits(cls, v: list[SplitSpec]) -> list[SplitSpec]:
        names = [s.name for s in v]
        if len(set(names)) != len(names):
            raise ValueError(f"split names repeat: {names}")
        return v

    def split_names(self) -> list[str]:
        """Split names in recipe order (the order of hf/, the card and every export)."""
        return [s.name for s in self.splits]

    def locked(self) -> dict:
        """The resolved recipe as recipe.lock.yaml records it: every field but the run-time ones (RUN_TIME_FIELDS)."""
        data = self.model_dump(mode="json")
        for *parents, key in RUN_TIME_FIELDS:
            node = data
            for p in parents:
                node = node[p]
            node.pop(key, None)
        return data

    def fingerprint(self) -> str:
        """Hash of the resolved recipe: two builds with equal fingerprints produce the same dataset."""
        data = self.locked()
        for split in data["splits"]:  # added later: at their defaults they leave older builds' fingerprints as they were
            if not split.get("min_images_per_pair"):
                split.pop("min_images_per_pair", None)
            if split.get("dependence_kind") == "mixture":
                split.pop("dependence_kind", None)
        return hashlib.sha256(yaml.safe_dump(data, sort_keys=True).encode()).hexdigest()[:16]


def builtin_dir() -> Path:
    """Folder holding the built-in recipe YAMLs (inside the installed package)."""
    return Path(str(resources.files(RECIPES_PACKAGE)))


def recipe_dirs(search: Iterable[str | Path] = ()) -> list[Path]:
    """Folders recipe names are looked up in, first match wins: `search` (--recipe-path), $AOBENCH_RECIPE_PATH, the built-ins."""
    env = [d for d in os.environ.get(RECIPE_PATH_ENV, "").split(os.pathsep) if d]
    return [Path(d).expanduser() for d in (*search, *env)] + [builtin_dir()]


def _recipe_files(search: Iterable[str | Path] = ()) -> dict[str, Path]:
    """Recipe name → file over the search path (a name in an earlier folder hides a later one)."""
    out: dict[str, Path] = {}
    for d in recipe_dirs(search):
        for path in sorted([*d.glob("*.yaml"), *d.glob("*.yml")]) if d.is_dir() else []:
            out.setdefault(path.stem, path)
    return out


def _description(path: Path) -> str:
    try:
        data = _read_yaml(path)
    except AobenchError as exc:
        return f"(unreadable: {exc})"  # one bad file on the search path does not hide the others
    return str(data.get("description", "")).strip().splitlines()[0] if data.get("description") else ""


def list_recipes(search: Iterable[str | Path] = ()) -> dict[str, str]:
    """Recipe names on the search path (built-ins and the user's) with their one-line descriptions."""
    return {name: _description(path) for name, path in sorted(_recipe_files(search).items())}


def recipe_sources(search: Iterable[str | Path] = ()) -> dict[str, Path]:
    """Recipe names on the search path → the file each name loads."""
    return dict(sorted(_recipe_files(search).items()))


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AobenchError(f"cannot read recipe: {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise AobenchError(f"{path}: not UTF-8 text (byte {exc.start}) — a recipe is a UTF-8 YAML file") from None
    try:
        data = strict_yaml.safe_load(text)
    except strict_yaml.DuplicateKeyError as exc:
        raise AobenchError(f"{path}:{exc.line}: duplicate key {exc.key!r} (first at line {exc.first}) — keep one of them") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise AobenchError(f"YAML syntax error: {where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AobenchError(f"recipe must be a mapping of fields: {path}")
    return data


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# Recipe fields that name files: dotted path → suffixes by which a value is a path and not a built-in
# name (None: always a path). Relative paths are resolved against the folder of the file that sets them.
PATH_FIELDS: dict[tuple[str, ...], Optional[tuple[str, ...]]] = {
    ("vocab", "objects"): VOCAB_SUFFIXES,
    ("vocab", "attributes"): VOCAB_SUFFIXES,
    ("vocab", "compatibility"): (".yaml", ".yml"),
    ("pairs", "seen_pairs"): None,
    ("pairs", "counts"): None,
    ("filters", "corpus_leak", "counts"): None,
    ("card", "template"): (),
}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]+:")  # builtin:NAME, hf:ID — references, not paths


def _resolve_value(value: Any, base: Path, suffixes: Optional[tuple[str, ...]]) -> Any:
    if isinstance(value, list):
        return [_resolve_value(v, base, suffixes) for v in value]
    if not isinstance(value, str) or not value or _SCHEME.match(value):
        return value
    p = Path(value).expanduser()
    if p.is_absolute():
        return str(p)
    if suffixes is None or looks_like_path(value, suffixes) or (base / p).exists():
        return os.path.normpath(base / p)
    return value  # a built-in name


def resolve_paths(data: dict, base: str | Path) -> dict:
    """A copy of a raw recipe mapping with every relative path (see PATH_FIELDS) made absolute against `base`."""
    base = Path(base).absolute()
    out = copy.deepcopy(data)
    for dotted, suffixes in PATH_FIELDS.items():
        parent = out
        for key in dotted[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and dotted[-1] in parent:
            parent[dotted[-1]] = _resolve_value(parent[dotted[-1]], base, suffixes)
    return out


def resolve_path(name_or_path: str | Path, search: Iterable[str | Path] = ()) -> Path:
    """A recipe name (on the search path) or a YAML path → the recipe file; unknown names list the valid ones."""
    if is_local(name_or_path, (".yaml", ".yml")):
        p = Path(name_or_path).expanduser()
        if not p.exists():
            raise AobenchError(f"recipe file not found: {p}")
        return p
    return _by_name(str(name_or_path), search)


def _by_name(name: str, search: Iterable[str | Path] = ()) -> Path:
    found = _recipe_files(search).get(name)
    if found is None:
        raise AobenchError(f"unknown recipe {name!r}; recipes: {', '.join(list_recipes(search))} (or give a YAML path)")
    return found


def load_data(name_or_path: str | Path, search: Iterable[str | Path] = (), _seen: tuple = ()) -> tuple[dict, Path]:
    """Raw recipe mapping with `include:` applied and paths made absolute, and the file it came from.

    `include:` names a recipe (built-in or on the search path) or a YAML path relative to the including file.
    """
    search = tuple(search)
    path = resolve_path(name_or_path, search)
    if path.resolve() in _seen:
        raise AobenchError(f"recipe include cycle: {' -> '.join(str(s) for s in _seen + (path,))}")
    data = resolve_paths(_read_yaml(path), path.absolute().parent)
    inc = data.pop("include", None)
    if inc is not None:
        ref, here = Path(str(inc)).expanduser(), path.absolute().parent
        if not ref.is_absolute() and (looks_like_path(str(inc), (".yaml", ".yml")) or (here / ref).exists()):
            ref = here / ref
        if ref.is_absolute():
            if not ref.is_file():
                raise AobenchError(f"include: recipe file not found: {ref} (included by {path})")
            base_file = ref
        else:
            base_file = _by_name(str(inc), search)  # a recipe name: built-in or on the search path
        base, _ = load_data(base_file, search, _seen + (path.resolve(),))
        data = _merge(base, data)
    return data, path


def _format_validation(exc: ValidationError, path: Path) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            parent = err["loc"][:-1]
            allowed = _allowed_fields(parent)
            msg = f"unknown field; allowed: {', '.join(allowed)}"
        elif err["type"] == "literal_error":
            msg = f"invalid value {err.get('input')!r}; {msg.lower()}"
        parts.append(f"{loc}: {msg}")
    more = f" (+{len(exc.errors()) - 3} more)" if len(exc.errors()) > 3 else ""
    return f"invalid recipe {path}: " + "; ".join(parts) + more


def _allowed_fields(loc: tuple) -> list[str]:
    model: Any = Recipe
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(key)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or ()
        candidates = [ann, *args]
        for a in args:
            candidates.extend(getattr(a, "__args__", ()) or ())
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields)


def validate(data: dict, path: Path | str = "<recipe>", *, check_plugins: bool = True) -> Recipe:
    """Validate a recipe mapping; errors name the dotted field path. `check_plugins`: its backend and filters are registered."""
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise AobenchError(_format_validation(exc, Path(path))) from None
    if not check_plugins:
        return recipe
    # local imports: generate and filters depend on recipe, not the reverse
    from aobench.filters import FILTERS
    from aobench.generate.registry import BACKENDS

    if recipe.generator.backend not in BACKENDS:
        raise AobenchError(
            f"invalid recipe {path}: generator.backend: unknown backend {recipe.generator.backend!r}; "
            f"allowed: {', '.join(BACKENDS.names())}"
        )
    for name, _ in recipe.filters.items():
        if name not in FILTERS:
            raise AobenchError(f"invalid recipe {path}: filters.{name}: {FILTERS.unknown(name)}")
    return recipe


def load(name_or_path: str | Path, overrides: Optional[dict] = None, search: Iterable[str | Path] = ()) -> Recipe:
    """Load and validate a recipe by name (built-in or on the search path) or YAML path, with optional field overrides.

    Relative paths in the recipe resolve against its file; those in `overrides` against the working directory.
    """
    data, path = load_data(name_or_path, search)
    if overrides:
        data = _merge(data, resolve_paths(overrides, Path.cwd()))
    return validate(data, path)


def with_overrides(recipe: Recipe, overrides: Optional[dict] = None) -> Recipe:
    """A loaded recipe with field overrides applied (as `load` applies them), validated again; itself when there are none."""
    if not overrides:
        return recipe
    return validate(_merge(recipe.model_dump(mode="json"), resolve_paths(overrides, Path.cwd())), f"<recipe {recipe.name}>")


def lock_text(recipe: Recipe, build: dict) -> str:
    """Contents of `recipe.lock.yaml`: aobench version, build options and the resolved recipe."""
    doc = {
        "aobench_version": __version__,
        "fingerprint": recipe.fingerprint(),
        "build": build,
        "recipe": recipe.locked(),  # run-time fields (`--batch-size`) are not part of what was built
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
