"""Models for `aobench eval`: spec strings, or models already in memory, → handles with a cache identity → one embedding interface.

The part of a spec before the first ':' names a model kind in `MODEL_KINDS` (entry point group
`aobench.models`, so a package can add its own kind); `aobench eval --list-models` prints every form:
  open_clip:ARCH:PRETRAINED | open_clip:ARCH:/path/ckpt.pt | open_clip:ARCH | open_clip:hf-hub:ORG/NAME[@REV]
  hf:ID_OR_PATH[@REV] | wise:SPEC_A,SPEC_B@ALPHA | tiny
A spec is parsed and checked once, by `resolve`: its `ModelHandle` knows the model's identity (`key`,
the embedding cache's key) and Hub revision without loading weights, so a fully cached evaluation never
loads the model; `handle.load()` gives an `EmbeddingModel`. `as_handle` wraps a model already in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from aobench.errors import AobenchError, one_line
from aobench.options import parse_floats
from aobench.registry import Registry

MODEL_KINDS: Registry = Registry("model kind", "aobench.models")
MODEL_KINDS.register("open_clip", "aobench.evaluate.kinds.openclip:OPEN_CLIP", "open_clip models: pretrained tags, checkpoints, random weights, hf-hub")
MODEL_KINDS.register("hf", "aobench.evaluate.kinds.hf:HF", "transformers CLIPModel / SiglipModel")
MODEL_KINDS.register("wise", "aobench.evaluate.kinds.wise:WISE", "WiSE-FT weight interpolation of two models")
MODEL_KINDS.register("tiny", "aobench.evaluate.kinds.openclip:TINY", "aobench's random tiny open_clip model (offline)")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec: its kind, the kind's arguments, and the names a result gives it."""

    spec: str
    kind: str
    arch: str = ""
    pretrained: Optional[str] = None
    revision: Optional[str] = None  # the Hub revision asked for (ID@REV)
    parts: tuple["ModelSpec", ...] = ()
    alpha: Optional[float] = None
    model_name: str = ""  # the `model` field of a result (CLIP_benchmark: the architecture)
    pretrained_name: str = ""  # the `pretrained` field (tag, checkpoint path, Hub id, ...)
    step: Optional[int] = None  # the training step (epoch) of a checkpoint of a series
    series: Optional[str] = None  # the spec this one was expanded from (a checkpoint folder)


@dataclass(frozen=True)
class Identity:
    """What a spec denotes without loading it: a stable key of weights and preprocessing, and the Hub commit when known."""

    key: str
    revision: Optional[str] = None


class ModelKind:
    """One family of model specs (the part before ':'): parse, identify without loading, load.

    Subclass it (or give any object with these methods) and register it in `MODEL_KINDS` or under the
    `aobench.models` entry point group. Errors are `AobenchError` with the reason only; the caller
    prefixes the spec.
    """

    forms: dict[str, str] = {}  # spec form → one-line description, for `--list-models`

    def parse(self, spec: str, body: str) -> ModelSpec:
        """The ModelSpec of `spec` (`body` is what follows 'kind:'); AobenchError when malformed."""
        raise NotImplementedError

    def identify(self, ms: ModelSpec) -> Identity:
        """The spec's identity; AobenchError when it cannot exist (unknown architecture, missing file)."""
        raise NotImplementedError

    def expand(self, ms: ModelSpec) -> list[ModelSpec]:
        """The models one spec stands for (a checkpoint folder: one per checkpoint); most specs are one model."""
        return [ms]

    def load_module(self, ms: ModelSpec, device: str) -> tuple[Any, Callable[[Any, bool], "EmbeddingModel"]]:
        """(torch module, wrap(module, amp) → EmbeddingModel); WiSE interpolates two such modules."""
        raise AobenchError(f"model kind {ms.kind} cannot give its weights (no WiSE interpolation)")

    def load(self, ms: ModelSpec, device: str, amp: bool) -> "EmbeddingModel":
        """The loaded model."""
        module, wrap = self.load_module(ms, device)
        return wrap(module, amp)

    def listing(self) -> dict[str, list[str]]:
        """Extra sections for `--list-models` (e.g. available architectures)."""
        return {}


def hash_text(text: str) -> str:
    """A short stable hash (cache keys)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def file_identity(path: Path) -> str:
    """A file's identity without reading it: resolved path, size, mtime."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def dir_identity(path: Path) -> str:
    """A folder's identity: the identities of the files below it."""
    return "|".join(file_identity(p) for p in sorted(p for p in path.rglob("*") if p.is_file()))


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
class EmbeddingModel:
    """A loaded model: `preprocess(PIL) → tensor`, batch encoders, and L2-normalised float32 outputs."""

    name: str
    preprocess: Callable
    _encode_pixels: Callable
    _encode_texts: Callable
    device: str = "cpu"
    amp: bool = False
    module: object = field(default=None, repr=False)

    def _ctx(self):
        import contextlib

        import torch

        if self.amp and str(self.device).startswith("cuda"):
            return torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
        return contextlib.nullcontext()

    def encode_pixels(self, pixels):
        """Unit-norm image embeddings [N, D] (float32, CPU) of a preprocessed batch."""
        import torch

        with torch.inference_mode(), self._ctx():
            f = self._encode_pixels(pixels.to(self.device)).float()
        return torch.nn.functional.normalize(f, dim=-1).cpu()

    def encode_images(self, images: list) -> "object":
        """Unit-norm image embeddings [N, D] of PIL images."""
        import torch

        return self.encode_pixels(torch.stack([self.preprocess(im) for im in images]))

    def encode_texts(self, texts: list[str]):
        """Unit-norm text embeddings [N, D] (float32, CPU)."""
        import torch

        with torch.inference_mode(), self._ctx():
            f = self._encode_texts(list(texts)).float()
        return torch.nn.functional.normalize(f, dim=-1).cpu()


def wrap_open_clip(name: str, model, preprocess, tokenizer, device: str, amp: bool) -> EmbeddingModel:
    """An open_clip (model, preprocess, tokenizer) behind the EmbeddingModel interface."""

    def enc_t(texts):
        return model.encode_text(tokenizer(texts).to(device))

    return EmbeddingModel(name, preprocess, model.encode_image, enc_t, device=device, amp=amp, module=model)


def _features(out):
    # transformers 5 returns a model output whose pooler_output is the projected embedding; 4.x a tensor
    import torch

    if isinstance(out, torch.Tensor):
        return out
    for attr in ("image_embeds", "text_embeds", "pooler_output"):
        v = getattr(out, attr, None)
        if v is not None:
            return v
    return out[0]


def wrap_hf(name: str, model, processor, siglip: bool, device: str, amp: bool) -> EmbeddingModel:
    """A transformers dual encoder and its processor behind the EmbeddingModel interface."""

    def preprocess(im):
        return processor(images=[im.convert("RGB")], return_tensors="pt")["pixel_values"][0]

    def enc_i(pixels):
        return _features(model.get_image_features(pixel_values=pixels))

    def enc_t(texts):
        # SigLIP was trained on max_length-padded text; CLIP uses its EOS token, so padding is free
        padding = "max_length" if siglip else True
        tok = processor(text=texts, padding=padding, truncation=True, return_tensors="pt")
        kw = {k: v.to(device) for k, v in tok.items() if k in ("input_ids", "attention_mask")}
        if siglip:
            kw.pop("attention_mask", None)
        return _features(model.get_text_features(**kw))

    return EmbeddingModel(name, preprocess, enc_i, enc_t, device=device, amp=amp, module=model)


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
            em = wrap_open_clip(name, module, obj.preprocess, obj.tokenizer, device, amp)
        elif hasattr(module, "get_image_features") and hasattr(module, "get_text_features"):
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
