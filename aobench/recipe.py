"""Recipes: a benchmark build declared as data (YAML), validated by pydantic.

`load(name_or_path)` resolves a built-in name (`aobench/recipes/<name>.yaml`) or a path, follows
`include:` (a base recipe whose fields the file overrides, as lm-eval task YAMLs do), and returns a
`Recipe`. Every error names the file, the dotted field path and, where there is a fixed set, the
allowed values.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aobench import __version__
from aobench.errors import AobenchError

RECIPES_PACKAGE = "aobench.recipes"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class VocabSpec(_Strict):
    """Where objects and attributes come from."""

    objects: str = Field("imagenet", description="built-in object list (imagenet, shapes) or a YAML path")
    attributes: str = Field("vaw", description="built-in attribute list (vaw, v1, shapes) or a YAML path")
    attribute_types: Optional[list[str]] = Field(None, description="keep only these attribute types")
    compatibility: Optional[str] = Field(None, description="attribute-object rules (built-in name or path)")
    max_objects: Optional[int] = Field(None, ge=1, description="first N objects only (smoke runs)")


class PairsSpec(_Strict):
    """How attribute x object pairs are chosen and labelled seen/unusual."""

    attributes_per_object: Optional[int] = Field(None, ge=1, description="sample K attributes per object")
    unusual_fraction: Optional[float] = Field(
        None, gt=0, lt=1, description="hold out this fraction of pairs as unusual; the rest are seen"
    )
    seen_pairs: Optional[str] = Field(None, description="file of pairs known to be seen (csv/jsonl/txt)")
    counts: list[str] = Field(default_factory=list, description="saved corpus counts (aobench nmi) marking seen pairs")
    seen_threshold: int = Field(1, ge=1, description="a pair with corpus count >= this is seen")


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


class FiltersSpec(_Strict):
    """Filters run after generation, in this order."""

    clip_score: ClipScoreSpec = Field(default_factory=ClipScoreSpec)
    near_duplicate: NearDupSpec = Field(default_factory=NearDupSpec)
    corpus_leak: CorpusLeakSpec = Field(default_factory=CorpusLeakSpec)


class SplitSpec(_Strict):
    """One dataset split: which pairs, how many images, how they are drawn."""

    name: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    pairs: Literal["seen", "unusual", "all"] = "unusual"
    images_per_pair: Optional[int] = Field(None, ge=1, description="fixed count per pair")
    images: Optional[int] = Field(None, ge=1, description="total images, spread by `dependence`")
    dependence: float = Field(
        0.0, ge=0, le=1, description="0: attributes uniform per object; 1: each object's preferred attribute only"
    )

    @model_validator(mode="after")
    def _one_count(self) -> "SplitSpec":
        if (self.images_per_pair is None) == (self.images is None):
            raise ValueError("give exactly one of images_per_pair or images")
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

    def fingerprint(self) -> str:
        """Hash of the resolved recipe: two builds with equal fingerprints produce the same dataset."""
        data = self.model_dump(mode="json")
        # batch sizes change speed, never images (see generate/diffusers_backend.py), so they are left out
        data["generator"].pop("batch_size", None)
        data["filters"]["clip_score"].pop("batch_size", None)
        return hashlib.sha256(yaml.safe_dump(data, sort_keys=True).encode()).hexdigest()[:16]


def builtin_dir() -> Path:
    """Folder holding the built-in recipe YAMLs (inside the installed package)."""
    return Path(str(resources.files(RECIPES_PACKAGE)))


def list_recipes() -> dict[str, str]:
    """Built-in recipe names with their one-line descriptions."""
    out = {}
    for path in sorted(builtin_dir().glob("*.yaml")):
        data = _read_yaml(path)
        out[path.stem] = str(data.get("description", "")).strip().splitlines()[0] if data.get("description") else ""
    return out


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AobenchError(f"cannot read recipe: {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
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


def resolve_path(name_or_path: str | Path) -> Path:
    """A built-in name or a YAML path → the recipe file; unknown names list the valid ones."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise AobenchError(f"recipe file not found: {p}")
        return p
    builtin = builtin_dir() / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    raise AobenchError(f"unknown recipe {str(name_or_path)!r}; built-in recipes: {', '.join(list_recipes())} (or give a YAML path)")


def load_data(name_or_path: str | Path, _seen: tuple = ()) -> tuple[dict, Path]:
    """Raw recipe mapping with `include:` applied, and the file it came from."""
    path = resolve_path(name_or_path)
    if path.resolve() in _seen:
        raise AobenchError(f"recipe include cycle: {' -> '.join(str(s) for s in _seen + (path,))}")
    data = _read_yaml(path)
    inc = data.pop("include", None)
    if inc is not None:
        base_ref = Path(inc)
        if not base_ref.is_absolute() and (path.parent / base_ref).exists():
            base_ref = path.parent / base_ref
        base, _ = load_data(base_ref if base_ref.exists() else str(inc), _seen + (path.resolve(),))
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


def validate(data: dict, path: Path | str = "<recipe>") -> Recipe:
    """Validate a recipe mapping; errors name the dotted field path."""
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise AobenchError(_format_validation(exc, Path(path))) from None
    from aobench.generate import registry  # local import: generate depends on recipe, not the reverse

    if recipe.generator.backend not in registry.list_backends():
        raise AobenchError(
            f"invalid recipe {path}: generator.backend: unknown backend {recipe.generator.backend!r}; "
            f"allowed: {', '.join(registry.list_backends())}"
        )
    return recipe


def load(name_or_path: str | Path, overrides: Optional[dict] = None) -> Recipe:
    """Load and validate a recipe by built-in name or YAML path, with optional field overrides."""
    data, path = load_data(name_or_path)
    if overrides:
        data = _merge(data, overrides)
    return validate(data, path)


def dump_yaml(recipe: Recipe) -> str:
    """The resolved recipe as YAML, every default filled."""
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def lock_text(recipe: Recipe, build: dict) -> str:
    """Contents of `recipe.lock.yaml`: aobench version, build options and the resolved recipe."""
    doc = {
        "aobench_version": __version__,
        "fingerprint": recipe.fingerprint(),
        "build": build,
        "recipe": recipe.model_dump(mode="json"),
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
