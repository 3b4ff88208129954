"""Device choice shared by generation, filters, evaluation and training."""

from __future__ import annotations

from aobench.errors import AobenchError


def resolve_device(device: str) -> str:
    """`auto` → cuda if available, else cpu; a CUDA device asked for where there is none is a user error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise AobenchError(f"--device {device}: no CUDA device is available here; use --device cpu")
    return device
