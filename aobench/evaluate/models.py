"""Models for `aobench eval`: spec strings, or models already in memory, → handles with a cache identity → one embedding interface.

The part of a spec before the first ':' names a model kind in `MODEL_KINDS` (entry point group
`aobench.models`, so a package can add its own kind); `aobench eval --list-models` prints every form:
  open_clip:ARCH:PRETRAINED | open_clip:ARCH:/path/ckpt.pt | open_clip:ARCH | open_clip:hf-hub:ORG/NAME[@REV]
  hf:ID_OR_PATH[@REV] | wise:SPEC_A,SPEC_B@ALPHA | tiny
A spec is parsed and checked once, by `resolve`: its `ModelHandle` knows the model's identity (`key`,
the embedding cache's key) and Hub revision without loading weights, so a fully cached evaluation never
loads the model; `handle.load()` gives an `EmbeddingModel`. `as_handle` wraps a model already in memory.
What every kind shares (ModelSpec, Identity, the ModelKind contract, EmbeddingModel) is in `kinds/base.py`, each
kind with its wrapper in `kinds/`, and the identities that key the embedding cache are made by `cache.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from aobench.errors import AobenchError, one_line
from aobench.evaluate.kinds.base import EmbeddingModel, Identity, ModelKind, ModelSpec
from aobench.options import parse_floats
from aobench.registry import Registry

__all__ = ["MODEL_KINDS", "EmbeddingModel", "Identity", "LoadedModel", "ModelHandle", "ModelKind", "ModelSpec", "as_handle", "expand_wise",
           "list_models", "load_model", "model_kind", "parse_alphas", "parse_spec", "resolve"]  # fmt: skip

MODEL_KINDS: Registry = Registry("model kind", "aobench.models")
MODEL_KINDS.register("open_clip", "aobench.evaluate.kinds.openclip:OPEN_CLIP", "open_clip models: pretrained tags, checkpoints, random weights, hf-hub")
MODEL_KINDS.register("hf", "aobench.evaluate.kinds.hf:HF", "transformers CLIPModel / SiglipModel")
MODEL_KINDS.register("wise", "aobench.evaluate.kinds.wise:WISE", "WiSE-FT weight interpolation of two models")
MODEL_KINDS.register("tiny", "aobench.evaluate.kinds.openclip:TINY", "aobench's random tiny open_clip model (offline)")


def model_kind(name: str) -> ModelKind:
    """The registered kind called `name` (a class registered by a plugin is instantiated)."""
    kind = MODEL_KINDS.get(name)
    return kind() if isinstance(kind, type) else kind


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec string; a malformed one raises AobenchError naming it."""
    s = spec.strip()
    kind, _, body = s.partition(":")
    if kind not in MODEL_KINDS:
        raise AobenchError(f"bad model spec {spec!r}: {MODEL_KINDS.unknown(kind)} — see `aobench eval --list-models`")
    return model_kind(kind).parse(s, body)


def parse_alphas(text: Optional[str]) -> Optional[list[float]]:
    """'0,0.25,0.5' → [0.0, 0.25, 0.5]; each in [0, 1]."""
    return parse_floats(text or None, "--wise-alphas", "0,0.25,0.5,0.75,1", 0, 1)


def expand_specs(specs: Sequence[Union[str, ModelSpec]], alphas: Optional[Sequence[float]]) -> list[ModelSpec]:
    """Parse each spec once; a spec standing for several models (a checkpoint folder) becomes one spec each; WiSE sweeps expanded."""
    out = []
    for s in specs:
        ms = parse_spec(s) if isinstance(s, str) else s
        expand = getattr(model_kind(ms.kind), "expand", None) if ms.kind in MODEL_KINDS else None  # a plug-in kind may not have it
        out.extend(expand_wise(expand(ms) if expand else [ms], alphas))
    return out


COMMENT = "#"


def read_model_list(path: Union[str, Path]) -> list[str]:
    """The specs of a `--models-from` file: one a line; blank lines and `#` comments skipped; a bad line fails as FILE:LINE."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AobenchError(f"--models-from {p}: no such file — give a text file with one model spec a line") from None
    except UnicodeDecodeError:
        raise AobenchError(f"--models-from {p}: not a UTF-8 text file — give one model spec a line") from None
    specs = []
    for n, line in enumerate(text.splitlines(), 1):
        spec = line.split(f" {COMMENT}", 1)[0].strip()  # a comment after a spec needs a space before '#'
        if not spec or spec.startswith(COMMENT):
            continue
        try:
            parse_spec(spec)
        except AobenchError as exc:
            raise AobenchError(f"{p}:{n}: {exc}") from None
        specs.append(spec)
    if not specs:
        raise AobenchError(f"--models-from {p}: no model spec in it (one a line; '#' starts a comment)")
    return specs


def expand_wise(specs: Sequence[Union[str, ModelSpec]], alphas: Optional[Sequence[float]]) -> list[ModelSpec]:
    """Parse each spec once; `wise:A,B` specs without an alpha become one spec per alpha of the sweep."""
    out = []
    for s in specs:
        ms = parse_spec(s) if isinstance(s, str) else s
        if ms.kind == "wise" and ms.alpha is None:
            if not alphas:
                raise AobenchError(f"model spec {ms.spec!r} has no @ALPHA; add one or pass --wise-alphas 0,0.5,1")
            out.extend(model_kind("wise").with_alpha(ms, a) for a in alphas)
        else:
            out.append(ms)
    return out


# ---- loaded models -------------------------------------------------------------------------------


@dataclass
class ModelHandle:
    """A model with its identity known; `load()` builds it once, on first need (a failure names the spec)."""

    spec: ModelSpec
    key: Optional[str]  # the embedding cache's key; None: not cached (a model in memory may change)
    revision: Optional[str] = None  # the Hub commit of the weights, when known
    device: str = "cpu"
    amp: bool = False
    loader: Optional[Callable[[], EmbeddingModel]] = field(default=None, repr=False)
    _model: Optional[EmbeddingModel] = field(default=None, repr=False)

    def load(self) -> EmbeddingModel:
        """The loaded model (loaded on the first call)."""
        if self._model is None:
            try:
                if self.loader is not None:
                    self._model = self.loader()
                else:
                    self._model = model_kind(self.spec.kind).load(self.spec, self.device, self.amp)
            except Exception as exc:  # noqa: BLE001 - any loader failure is the spec's fault, reported in one line
                raise AobenchError(f"cannot load {self.spec.spec}: {one_line(exc)}") from None
        return self._model

    def release(self) -> None:
        """Drop the loaded weights (the next model gets the memory)."""
        self._model = None


def resolve(spec: Union[str, ModelSpec], device: str = "cpu", amp: bool = False) -> ModelHandle:
    """A handle for a spec (parsed here if a string): its identity and revision, no weights loaded; AobenchError if it cannot load."""
    ms = parse_spec(spec) if isinstance(spec, str) else spec
    try:
        ident = model_kind(ms.kind).identify(ms)
    except AobenchError as exc:
        raise AobenchError(f"cannot load {ms.spec}: {exc}") from None
    return ModelHandle(ms, ident.key, revision=ident.revision, device=device, amp=amp)


def load_model(spec: Union[str, ModelSpec], device: str = "cpu", amp: bool = False) -> EmbeddingModel:
    """Load the model a spec names (checked first); failures raise AobenchError naming the spec and why."""
    return resolve(spec, device, amp).load()


# ---- models already in memory --------------------------------------------------------------------


@dataclass
class LoadedModel:
    """A model already in memory, evaluated instead of a spec: open_clip's (model, preprocess, tokenizer) or transformers' (model, processor).

    Embeddings of a model in memory are cached only when `key` names its weights (they may change
    between calls, e.g. during training); `name` and `pretrained` are the result's `model` and `pretrained`.
    """

    model: Any
    preprocess: Any  # open_clip's image transform, or a transformers processor
    tokenizer: Any = None  # open_clip's tokenizer; None for transformers (the processor tokenizes)
    name: str = ""  # default: the model's class name
    pretrained: str = "in-memory"
    key: Optional[str] = None
    revision: Optional[str] = None


def _module_device(module) -> str:
    try:
        return str(next(module.parameters()).device)
    except (AttributeError, StopIteration, TypeError):
        return "cpu"


def as_handle(obj: Any, amp: bool = False) -> ModelHandle:
    """A handle for a model already in memory: a LoadedModel, an EmbeddingModel, or a (model, preprocess, tokenizer) / (model, processor) tuple."""
    if isinstance(obj, ModelHandle):
        return obj
    if isinstance(obj, tuple) and len(obj) in (2, 3):
        obj = LoadedModel(*obj)
    if isinstance(obj, EmbeddingModel):
        em, name, pretrained, key, revision = obj, obj.name, "in-memory", None, None
    elif isinstance(obj, LoadedModel):
        module = obj.model
        name, pretrained, key, revision = obj.name or type(module).__name__, obj.pretrained, obj.key, obj.revision
        device = _module_device(module)
        if obj.tokenizer is not None and hasattr(module, "encode_image") and hasattr(module, "encode_text"):
            from aobench.evaluate.kinds.openclip import wrap_open_clip

            em = wrap_open_clip(name, module, obj.preprocess, obj.tokenizer, device, amp)
        elif hasattr(module, "get_image_features") and hasattr(module, "get_text_features"):
            from aobench.evaluate.kinds.hf import wrap_hf

            em = wrap_hf(name, module, obj.preprocess, getattr(module.config, "model_type", "") == "siglip", device, amp)
        else:
            raise AobenchError(f"cannot evaluate {type(module).__name__}: give open_clip's (model, preprocess, tokenizer) or transformers' (CLIPModel/SiglipModel, processor)")
    else:
        raise AobenchError(f"cannot evaluate a {type(obj).__name__}: pass a model spec string, a LoadedModel, or (model, preprocess, tokenizer)")
    ms = ModelSpec(spec=name, kind="in-memory", arch=name, pretrained=pretrained, model_name=name, pretrained_name=pretrained)
    return ModelHandle(ms, key, revision=revision, device=em.device, amp=amp, loader=lambda: em)


def list_models() -> dict[str, list[str]]:
    """What `aobench eval --list-models` prints: every kind's spec forms, then each kind's own listings (architectures, tags)."""
    kinds = [model_kind(n) for n in MODEL_KINDS.names()]
    out = {"spec forms": [f"{k}  —  {v}" for kind in kinds for k, v in kind.forms.items()]}
    for kind in kinds:
        out.update(kind.listing())
    return out
