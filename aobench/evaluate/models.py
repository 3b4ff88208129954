"""Model registry for `aobench eval`: spec strings → lazily loaded models with one embedding interface.

Spec forms (see `spec_forms()`):
  open_clip:ARCH:PRETRAINED      an open_clip pretrained tag (open_clip.list_pretrained())
  open_clip:ARCH:/path/ckpt.pt   an open_clip architecture with a local checkpoint
  open_clip:ARCH                 random weights (seed 0), e.g. a baseline
  open_clip:hf-hub:ORG/NAME      an open_clip model on the Hugging Face Hub
  hf:ID_OR_PATH                  a transformers CLIPModel or SiglipModel (Hub id or saved folder)
  wise:SPEC_A,SPEC_B@ALPHA       WiSE-FT: weights (1-ALPHA)*A + ALPHA*B of two models of one architecture
  tiny                           aobench's random tiny open_clip model (offline smoke runs and tests)

A `ModelHandle` knows the model's identity (`key`, used by the embedding cache) without loading
weights, so a fully cached evaluation never loads the model; `load()` gives an `EmbeddingModel`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from aobench.errors import AobenchError, one_line
from aobench.options import parse_floats
from aobench.paths import CHECKPOINT_SUFFIXES, looks_like_path

SPEC_FORMS = {
    "open_clip:ARCH:PRETRAINED": "open_clip architecture with a pretrained tag (downloads once)",
    "open_clip:ARCH:/path/ckpt.pt": "open_clip architecture with a local checkpoint",
    "open_clip:ARCH": "open_clip architecture with random weights (seed 0)",
    "open_clip:hf-hub:ORG/NAME": "open_clip model from the Hugging Face Hub",
    "hf:ID_OR_PATH": "transformers CLIPModel / SiglipModel (Hub id or save_pretrained folder)",
    "wise:SPEC_A,SPEC_B@ALPHA": "WiSE-FT interpolation (1-ALPHA)*A + ALPHA*B; --wise-alphas sweeps ALPHA",
    "tiny": "aobench's random tiny open_clip model (offline)",
}


def spec_forms() -> dict[str, str]:
    """The accepted model spec forms with a one-line description each."""
    return dict(SPEC_FORMS)


@dataclass
class ModelSpec:
    """A parsed model spec: the loader kind and its arguments."""

    spec: str
    kind: str  # open_clip | hf | wise | tiny
    arch: str = ""
    pretrained: Optional[str] = None
    parts: tuple["ModelSpec", ...] = ()
    alpha: Optional[float] = None

    @property
    def model_name(self) -> str:
        """The `model` field of a result (CLIP_benchmark: the architecture)."""
        if self.kind == "wise":
            return self.parts[0].model_name
        if self.kind == "hf":
            return "hf"
        return self.arch

    @property
    def pretrained_name(self) -> str:
        """The `pretrained` field of a result (tag, checkpoint path, Hub id, or a WiSE description)."""
        if self.kind == "wise":
            return f"wise({self.parts[0].pretrained_name},{self.parts[1].pretrained_name})@{self.alpha:g}"
        if self.kind == "tiny":
            return "random"
        if self.kind == "hf":
            return self.arch
        return self.pretrained or "random"


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec string; a malformed one raises AobenchError naming it."""
    s = spec.strip()
    if s == "tiny":
        return ModelSpec(spec=s, kind="tiny", arch="aobench-tiny")
    if s.startswith("wise:"):
        body, alpha = s[len("wise:"):], None
        if "@" in body:
            head, tail = body.rsplit("@", 1)
            try:
                alpha = float(tail)
                body = head
            except ValueError:
                pass  # an '@' inside a component spec; no alpha given
        comps = [c for c in body.split(",")]
        if len(comps) != 2 or not all(c.strip() for c in comps):
            raise AobenchError(f"bad model spec {spec!r}: wise needs two component specs, e.g. wise:open_clip:ARCH:/a.pt,open_clip:ARCH:/b.pt@0.5")
        a, b = parse_spec(comps[0]), parse_spec(comps[1])
        if "wise" in (a.kind, b.kind):
            raise AobenchError(f"bad model spec {spec!r}: wise components cannot be wise specs")
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise AobenchError(f"bad model spec {spec!r}: WiSE alpha {alpha:g} must lie in [0, 1]")
        return ModelSpec(spec=s, kind="wise", parts=(a, b), alpha=alpha)
    if s.startswith("open_clip:"):
        rest = s[len("open_clip:"):]
        if rest.startswith("hf-hub:"):
            if "/" not in rest[len("hf-hub:"):]:
                raise AobenchError(f"bad model spec {spec!r}: expected open_clip:hf-hub:ORG/NAME")
            return ModelSpec(spec=s, kind="open_clip", arch=rest, pretrained=None)
        arch, _, pretrained = rest.partition(":")
        if not arch:
            raise AobenchError(f"bad model spec {spec!r}: expected open_clip:ARCH:PRETRAINED (see `aobench eval --list-models`)")
        return ModelSpec(spec=s, kind="open_clip", arch=arch, pretrained=pretrained or None)
    if s.startswith("hf:"):
        ident = s[len("hf:"):]
        if not ident:
            raise AobenchError(f"bad model spec {spec!r}: expected hf:MODEL_ID_OR_PATH")
        return ModelSpec(spec=s, kind="hf", arch=ident)
    raise AobenchError(f"bad model spec {spec!r}: expected one of {', '.join(SPEC_FORMS)} (see `aobench eval --list-models`)")


def expand_wise(specs: list[str], alphas: Optional[list[float]]) -> list[str]:
    """Expand `wise:A,B` specs without an alpha over the sweep `alphas` (specs with @ALPHA are kept)."""
    out = []
    for s in specs:
        parsed = parse_spec(s)
        if parsed.kind == "wise" and parsed.alpha is None:
            if not alphas:
                raise AobenchError(f"model spec {s!r} has no @ALPHA; add one or pass --wise-alphas 0,0.5,1")
            body = s.strip()
            out.extend(f"{body}@{a:g}" for a in alphas)
        else:
            out.append(s)
    return out


def parse_alphas(text: Optional[str]) -> Optional[list[float]]:
    """'0,0.25,0.5' → [0.0, 0.25, 0.5]; each in [0, 1]."""
    return parse_floats(text or None, "--wise-alphas", "0,0.25,0.5,0.75,1", 0, 1)


# ---- identity (cache keys) without loading weights ----------------------------------------------


def _file_identity(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _dir_identity(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return "|".join(_file_identity(p) for p in files)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def model_key(ms: ModelSpec) -> str:
    """A stable identity of the weights and preprocessing a spec denotes; raises AobenchError if it cannot exist."""
    import open_clip

    from aobench.clipzoo import register_configs

    if ms.kind == "wise":
        return _hash(f"wise|{model_key(ms.parts[0])}|{model_key(ms.parts[1])}|{ms.alpha!r}")
    if ms.kind == "hf":
        p = Path(ms.arch).expanduser()
        if p.exists():
            return _hash(f"hf|{_dir_identity(p)}")
        if looks_like_path(ms.arch):
            raise AobenchError(f"cannot load {ms.spec}: folder {ms.arch} not found")
        return _hash(f"hf|{ms.arch}")
    register_configs()
    if ms.kind == "tiny":
        cfg = open_clip.get_model_config("aobench-tiny")
        return _hash(f"tiny|{json.dumps(cfg, sort_keys=True)}|{open_clip.__version__}")
    if ms.arch.startswith("hf-hub:"):
        return _hash(f"open_clip|{ms.arch}|{open_clip.__version__}")
    if ms.arch not in open_clip.list_models():
        near = [m for m in open_clip.list_models() if ms.arch.lower().split("-")[0] in m.lower()][:6]
        raise AobenchError(f"cannot load {ms.spec}: unknown open_clip architecture {ms.arch!r}; e.g. {', '.join(near or open_clip.list_models()[:6])} (see `aobench eval --list-models`)")
    cfg = json.dumps(open_clip.get_model_config(ms.arch), sort_keys=True)
    if ms.pretrained is None:
        return _hash(f"open_clip|{ms.arch}|random0|{cfg}|{open_clip.__version__}")
    p = Path(ms.pretrained).expanduser()
    if p.exists():
        return _hash(f"open_clip|{ms.arch}|{_file_identity(p)}|{cfg}")
    if looks_like_path(ms.pretrained, CHECKPOINT_SUFFIXES):
        raise AobenchError(f"cannot load {ms.spec}: checkpoint not found: {ms.pretrained}")
    tags = open_clip.list_pretrained_tags_by_model(ms.arch)
    if ms.pretrained not in tags:
        raise AobenchError(f"cannot load {ms.spec}: unknown pretrained tag {ms.pretrained!r} for {ms.arch}; valid: {', '.join(tags) or 'none (give a checkpoint path)'}")
    return _hash(f"open_clip|{ms.arch}|{ms.pretrained}|{cfg}|{open_clip.__version__}")


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

        if self.amp and self.device.startswith("cuda"):
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


def _open_clip_module(ms: ModelSpec, device: str):
    """(module, preprocess, tokenizer) of an open_clip or tiny spec."""
    import torch

    from aobench.clipzoo import create_open_clip

    if ms.kind == "tiny":
        return create_open_clip("tiny", device=device)
    if ms.pretrained is None and not ms.arch.startswith("hf-hub:"):
        torch.manual_seed(0)  # random baseline weights are the same in every process
    try:
        return create_open_clip(ms.arch, ms.pretrained, device=device)
    except AobenchError as exc:
        raise AobenchError(f"cannot load {ms.spec}: {str(exc)}") from None


def _wrap_open_clip(name: str, model, preprocess, tokenizer, device: str, amp: bool) -> EmbeddingModel:
    def enc_t(texts):
        return model.encode_text(tokenizer(texts).to(device))

    return EmbeddingModel(name, preprocess, model.encode_image, enc_t, device=device, amp=amp, module=model)


def _hf_load(ms: ModelSpec, device: str):
    """(module, processor, is_siglip) of a transformers CLIP/SigLIP model."""
    from transformers import AutoConfig, AutoModel, AutoProcessor, CLIPModel, SiglipModel

    try:
        cfg = AutoConfig.from_pretrained(ms.arch)
        cls = {"clip": CLIPModel, "siglip": SiglipModel}.get(cfg.model_type, AutoModel)
        model = cls.from_pretrained(ms.arch)
        processor = AutoProcessor.from_pretrained(ms.arch)
    except Exception as exc:  # noqa: BLE001 - missing folder, offline Hub, bad config: one user-facing line
        raise AobenchError(f"cannot load {ms.spec}: {one_line(exc)} (offline? a Hub id needs the network once)") from None
    if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
        raise AobenchError(f"cannot load {ms.spec}: {type(model).__name__} is not a CLIP-style dual encoder (need get_image_features/get_text_features)")
    return model.to(device).eval(), processor, cfg.model_type == "siglip"


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


def _wrap_hf(name: str, model, processor, siglip: bool, device: str, amp: bool) -> EmbeddingModel:
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


def _interpolate(ms: ModelSpec, a, b) -> None:
    """Set module a's weights to (1-alpha)*a + alpha*b in place; architectures must match."""
    import torch

    sa, sb = a.state_dict(), b.state_dict()
    if sa.keys() != sb.keys() or any(sa[k].shape != sb[k].shape for k in sa):
        raise AobenchError(f"cannot load {ms.spec}: the two checkpoints have different architectures (WiSE needs one architecture)")
    alpha = float(ms.alpha)
    with torch.no_grad():
        mixed = {k: (torch.lerp(v.float(), sb[k].float(), alpha).to(v.dtype) if v.is_floating_point() else v) for k, v in sa.items()}
    a.load_state_dict(mixed)


def _load_components(ms: ModelSpec, device: str, amp: bool):
    if ms.kind in ("open_clip", "tiny"):
        model, preprocess, tokenizer = _open_clip_module(ms, device)
        return model, lambda m: _wrap_open_clip(ms.spec, m, preprocess, tokenizer, device, amp)
    if ms.kind == "hf":
        model, processor, siglip = _hf_load(ms, device)
        return model, lambda m: _wrap_hf(ms.spec, m, processor, siglip, device, amp)
    raise AobenchError(f"cannot load {ms.spec}: unsupported model kind {ms.kind}")


def load_model(ms: ModelSpec, device: str = "cpu", amp: bool = False) -> EmbeddingModel:
    """Load the model a spec names; failures raise AobenchError naming the spec and why."""
    if ms.kind == "wise":
        a, wrap = _load_components(ms.parts[0], device, amp)
        b, _ = _load_components(ms.parts[1], device, amp)
        _interpolate(ms, a, b)
        del b
        em = wrap(a)
        em.name = ms.spec
        return em
    module, wrap = _load_components(ms, device, amp)
    return wrap(module)


@dataclass
class ModelHandle:
    """A model spec with its identity resolved; `load()` builds the model once, on first need."""

    spec: ModelSpec
    key: str
    device: str = "cpu"
    amp: bool = False
    _model: Optional[EmbeddingModel] = field(default=None, repr=False)

    def load(self) -> EmbeddingModel:
        """The loaded model (loaded on the first call)."""
        if self._model is None:
            self._model = load_model(self.spec, self.device, self.amp)
        return self._model

    def release(self) -> None:
        """Drop the loaded weights (the next model gets the memory)."""
        self._model = None


def resolve(spec: str, device: str = "cpu", amp: bool = False) -> ModelHandle:
    """Parse a spec and compute its cache identity (no weights loaded); AobenchError if it cannot be loaded."""
    ms = parse_spec(spec)
    return ModelHandle(ms, model_key(ms), device=device, amp=amp)


def list_models() -> dict[str, list[str]]:
    """What `aobench eval --list-models` prints: spec forms, aobench configs, open_clip architectures and pretrained tags."""
    import open_clip

    from aobench.clipzoo import register_configs

    ours = register_configs()
    return {
        "spec forms": [f"{k}  —  {v}" for k, v in SPEC_FORMS.items()],
        "aobench configs (random weights or your checkpoint)": [f"open_clip:{n}" + ("" if n == "aobench-tiny" else ":/path/ckpt.pt") for n in ours],
        "open_clip pretrained": [f"open_clip:{arch}:{tag}" for arch, tag in open_clip.list_pretrained()],
        "open_clip architectures": sorted(set(open_clip.list_models()) - set(ours)),
    }
