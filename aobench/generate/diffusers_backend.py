"""Backend `diffusers`: any text-to-image pipeline by Hub id or local path (AutoPipelineForText2Image).

Batch invariance: CPU and GPU kernels give last-bit differences when the batch size changes (a row's
result depends on how many rows are computed together, not on its neighbours' values or position).
So the denoiser, VAE and text encoders always see a fixed number of rows, `compute_batch` (a recipe field), the last
chunk padded with copies; initial noise comes from one CPU `torch.Generator` per image seed. The
images are then the same whatever `--batch-size`, shard or resume point.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

from aobench.device import resolve_device
from aobench.errors import AobenchError, one_line
from aobench.paths import is_local

_DTYPES = {"float32": "float32", "float16": "float16", "bfloat16": "bfloat16"}


def fixed_chunks(fn: Callable, k: int) -> Callable:
    """Wrap a module call so its batch is always processed in chunks of exactly k rows (padded)."""
    import torch

    def take(x: Any, idx: list[int], n: int) -> Any:
        if torch.is_tensor(x):
            return x[idx] if x.dim() > 0 and x.shape[0] == n else x
        if isinstance(x, dict):
            return {key: take(v, idx, n) for key, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(take(v, idx, n) for v in x)
        return x

    def cat(parts: list, keep: list[int]) -> Any:
        first = parts[0]
        if torch.is_tensor(first):
            return torch.cat([p[:m] for p, m in zip(parts, keep)])
        if isinstance(first, tuple) and not hasattr(first, "keys"):
            return tuple(cat([p[i] for p in parts], keep) for i in range(len(first)))
        if hasattr(first, "keys"):  # diffusers BaseOutput
            return type(first)(**{key: cat([p[key] for p in parts], keep) for key in first.keys()})
        return first

    @functools.wraps(fn)
    def wrapped(sample, *args, **kwargs):
        n = sample.shape[0]
        parts, keep = [], []
        for start in range(0, n, k):
            idx = list(range(start, min(start + k, n)))
            keep.append(len(idx))
            idx = idx + [idx[-1]] * (k - len(idx))
            parts.append(fn(take(sample, idx, n), *take(args, idx, n), **take(kwargs, idx, n)))
        return cat(parts, keep)

    return wrapped


class DiffusersBackend:
    """Text-to-image with diffusers; `tiny=True` swaps in a random tiny pipeline of the recipe's family."""

    name = "diffusers"

    def __init__(self, spec, *, tiny: bool = False, device: str = "auto", **_: object):
        import torch

        self.spec = spec
        self.tiny = tiny
        self.device = resolve_device(device)
        self.compute_batch = int(spec.options.get("compute_batch", 4))
        dtype = getattr(torch, _DTYPES[spec.dtype])
        if self.device == "cpu" and dtype != torch.float32:
            dtype = torch.float32  # half precision on CPU is slow or unsupported
        self.dtype = dtype
        if tiny:
            from aobench.tiny import tiny_pipeline

            pipe = tiny_pipeline(spec.family)
            self.resolution = 64
        else:
            pipe = self._load(spec.model, dtype)
            self.resolution = spec.resolution
        pipe = pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        if hasattr(pipe, "unet"):
            pipe.unet.forward = fixed_chunks(pipe.unet.forward, self.compute_batch)
        elif hasattr(pipe, "transformer"):
            pipe.transformer.forward = fixed_chunks(pipe.transformer.forward, self.compute_batch)
        if hasattr(pipe, "vae"):
            pipe.vae.decode = fixed_chunks(pipe.vae.decode, self.compute_batch)
        for name in ("text_encoder", "text_encoder_2"):
            enc = getattr(pipe, name, None)
            if enc is not None:
                enc.forward = fixed_chunks(enc.forward, self.compute_batch)
        self.pipe = pipe

    @staticmethod
    def _load(model: str | None, dtype):
        if not model:
            raise AobenchError("generator.model: no model given for the diffusers backend (a Hub id or a local path)")
        if is_local(model) and not Path(model).expanduser().exists():
            raise AobenchError(f"generator.model: model path does not exist: {model}")
        from diffusers import AutoPipelineForText2Image

        try:
            return AutoPipelineForText2Image.from_pretrained(str(Path(model).expanduser()) if is_local(model) else model, torch_dtype=dtype)
        except (OSError, ValueError, EnvironmentError) as exc:
            first = one_line(exc)
            raise AobenchError(
                f"generator.model: cannot load pipeline {model!r}: {first} "
                "(offline? give a local path, or use --tiny for a random tiny model)"
            ) from None

    @classmethod
    def card_info(cls, spec, tiny: bool) -> dict:
        """What the card says produced the images, from the recipe and --tiny alone (no weights load)."""
        return {"backend": spec.backend, "resolution": 64 if tiny else spec.resolution, "model": f"tiny-random-{spec.family}" if tiny else spec.model,
                "steps": spec.steps, "guidance_scale": spec.guidance_scale}  # fmt: skip

    def check(self, items) -> None:
        """Nothing to check before generating: any prompt is drawable."""

    def generate(self, items) -> list:
        """One pipeline call for the batch; each image seeded by its own CPU generator."""
        import torch

        generators = [torch.Generator("cpu").manual_seed(int(i.seed)) for i in items]
        kwargs: dict[str, Any] = dict(
            prompt=[i.prompt for i in items],
            num_inference_steps=self.spec.steps,
            guidance_scale=self.spec.guidance_scale,
            height=self.resolution,
            width=self.resolution,
            generator=generators,
            output_type="pil",
        )
        if self.spec.negative_prompt:
            kwargs["negative_prompt"] = [self.spec.negative_prompt] * len(items)
        with torch.inference_mode():
            return list(self.pipe(**kwargs).images)
