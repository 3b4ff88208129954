"""Device choice shared by generation, filters, evaluation and training."""

from __future__ import annotations

from aobench.errors import AobenchError


def resolve_device(device: str) -> str:
    """`auto` → cuda if available, else cpu; a CUDA device asked for where there is none is a user error.

    Under a multi-process launch `auto` and `cuda` mean this rank's GPU, `cuda:LOCAL_RANK` (not GPU 0 for every rank).
    """
    if device != "auto" and not device.startswith("cuda"):
        return device  # cpu, mps, ...: nothing to check here, so no torch import (~4 CPU-s a process)
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise AobenchError(f"--device {device}: no CUDA device is available here; use --device cpu")
    if device == "auto" and not torch.cuda.is_available():
        return "cpu"
    if device in ("auto", "cuda"):
        from aobench.launch import local_rank

        lr = local_rank()
        if lr is None:
            return "cuda"
        if lr >= torch.cuda.device_count():
            raise AobenchError(f"LOCAL_RANK={lr}: this machine has {torch.cuda.device_count()} GPU(s) — launch at most that many processes per machine, or pass --device cuda:N")
        return f"cuda:{lr}"
    return device
