"""What every model kind shares: a parsed spec, its identity, the kind's contract, and the loaded model's interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from aobench.errors import AobenchError


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
