"""Train a small open_clip CLIP on a built split: open_clip's ClipLoss, AdamW, cosine schedule with warmup.

Mirrors open_clip_train's recipe on one device: no weight decay on gains, biases and the logit scale,
the logit scale clamped to log(100) after each step, checkpoints as `{"epoch", "name", "state_dict",
"optimizer"}` in `checkpoints/epoch_latest.pt` (saved to a temp file, then renamed), so
`open_clip.create_model_and_transforms(arch, pretrained=path)` loads them. The data order of epoch e
is a permutation seeded by (seed, e), so a run resumed from an epoch checkpoint continues exactly
where an uninterrupted one would be.

Speed (benchmarks/study_step.py): the split is decoded and tokenised once, not per step; AdamW runs
fused (one kernel over all parameters: the 3.2M-entry token embedding dominates a tiny CLIP's update);
the loss is summed on the device and read once per epoch. When stderr is not a terminal (a log file,
a pipe) each epoch also prints one plain line: run, epoch, loss, elapsed.
"""

from __future__ import annotations

import math
import time
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from aobench.artifacts import BuildDir
from aobench.io import JsonlAppender, read_jsonl
from aobench.seeds import stable_int
from aobench.progress import make_progress
from aobench.device import resolve_device

CHECKPOINT = "epoch_latest.pt"


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run."""

    arch: str = "aobench-tiny"
    epochs: int = 20
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.1
    warmup_frac: float = 0.1
    beta2: float = 0.98
    eps: float = 1e-6
    hflip: bool = True  # mirror half of each batch: every shapes-ao object and attribute survives a left-right flip


def load_split(build_dir: Path, split: str, preprocess, tokenizer):
    """(images [N,3,H,W] float, tokens [N,L]) of a build's kept images in one split, in manifest order."""
    import torch
    from PIL import Image

    bd = BuildDir(build_dir)
    rows = [r for r in bd.manifest() if r["split"] == split and r["filters"] == "kept"]
    images = torch.stack([preprocess(Image.open(bd.file_path(r["file"])).convert("RGB")) for r in rows]) if rows else torch.zeros(0)
    tokens = tokenizer([r["prompt"] for r in rows])
    return images, tokens


def _param_groups(model, weight_decay: float) -> list[dict]:
    # as open_clip_train/main.py: gains, biases and the temperature are not decayed
    def exclude(n: str, p) -> bool:
        return p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [
        {"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
        {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": weight_decay},
    ]


def save_checkpoint(path: Path, state: dict) -> None:
    """torch.save to a temp file beside `path`, then rename (a kill never leaves a torn checkpoint)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)


def make_optimizer(model, cfg: TrainConfig, device: str):
    """open_clip_train's AdamW (decay groups, betas, eps), fused where torch has a fused kernel for the device."""
    import torch
    from torch.optim.optimizer import _get_fused_kernels_supported_devices

    fused = torch.device(device).type in _get_fused_kernels_supported_devices()
    return torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, cfg.beta2), eps=cfg.eps, fused=fused)


def train(
    build_dir: Path,
    run_dir: Path,
    cfg: TrainConfig,
    seed: int,
    *,
    split: str = "train",
    device: str = "auto",
    name: str = "",
    on_epoch_end: Optional[Callable[[int], None]] = None,
) -> dict:
    """Train (or resume) one run; returns {"checkpoint", "resumed_from_epoch", "epochs", "final_loss", "n_images", "steps", "steps_per_second"}."""
    import open_clip
    import torch
    from open_clip_train.scheduler import cosine_lr

    from aobench.clipzoo import intended_random_init, register_configs
    from aobench.progress import console

    register_configs()
    device = resolve_device(device)
    name = name or run_dir.name
    torch.manual_seed(stable_int(seed, "init"))  # the initial weights are the run's, not the process's
    with intended_random_init():  # trained from scratch
        model, _, preprocess = open_clip.create_model_and_transforms(cfg.arch, device=device)
    tokenizer = open_clip.get_tokenizer(cfg.arch)
    images, tokens = load_split(build_dir, split, preprocess, tokenizer)
    images, tokens = images.to(device), tokens.to(device)
    n = images.shape[0]
    bs = min(cfg.batch_size, n)
    steps_per_epoch = n // bs  # drop_last, as open_clip's loaders do: every batch has bs negatives
    total = steps_per_epoch * cfg.epochs
    optimizer = make_optimizer(model, cfg, device)
    scheduler = cosine_lr(optimizer, cfg.lr, max(1, int(cfg.warmup_frac * total)), total)
    loss_fn = open_clip.ClipLoss()

    ckpt_path = run_dir / "checkpoints" / CHECKPOINT
    start_epoch = 0
    if ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=True)
        model.load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch = int(state["epoch"])
    resumed_from = start_epoch

    final_loss = float("nan")
    plain = not console.is_terminal  # a log file or pipe gets one line per epoch instead of a live bar
    model.train()
    t_start = time.perf_counter()
    step_seconds = 0.0
    with JsonlAppender(run_dir / "train_log.jsonl") as log, make_progress("steps") as progress:
        task = progress.add_task(f"training {name}", total=total, completed=start_epoch * steps_per_epoch)
        for epoch in range(start_epoch, cfg.epochs):
            t_epoch = time.perf_counter()
            gen = torch.Generator().manual_seed(stable_int(seed, "order", epoch))
            order = torch.randperm(n, generator=gen).to(device)
            running = torch.zeros((), device=device)
            for i in range(steps_per_epoch):
                step = epoch * steps_per_epoch + i
                scheduler(step)
                idx = order[i * bs : (i + 1) * bs]
                batch = images[idx]  # a copy: flipping it in place leaves the split untouched
                if cfg.hflip:
                    flip = (torch.rand(bs, generator=gen) < 0.5).to(device)
                    batch[flip] = batch[flip].flip(-1)
                img_f, txt_f, scale = model(batch, tokens[idx])[:3]
                loss = loss_fn(img_f, txt_f, scale)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    model.logit_scale.clamp_(0, math.log(100))
                    running += loss.detach()
                progress.advance(task)
            final_loss = float(running) / max(1, steps_per_epoch)  # one device sync per epoch
            step_seconds += time.perf_counter() - t_epoch
            save_checkpoint(
                ckpt_path,
                {"epoch": epoch + 1, "name": name, "state_dict": model.state_dict(), "optimizer": optimizer.state_dict()},
            )
            log.append({"epoch": epoch + 1, "loss": round(final_loss, 5), "lr": optimizer.param_groups[0]["lr"], "logit_scale": round(float(model.logit_scale.detach().exp()), 3), "time": round(time.time(), 2)})
            if plain:
                console.print(f"{name}: epoch {epoch + 1}/{cfg.epochs}, loss {final_loss:.4f}, elapsed {time.perf_counter() - t_start:.0f} s", highlight=False, soft_wrap=True)
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1)
    if start_epoch >= cfg.epochs:
        rows = list(read_jsonl(run_dir / "train_log.jsonl"))
        final_loss = rows[-1]["loss"] if rows else float("nan")
    done = (cfg.epochs - start_epoch) * steps_per_epoch
    return {
        "checkpoint": str(ckpt_path),
        "resumed_from_epoch": resumed_from,
        "epochs": cfg.epochs,
        "final_loss": final_loss,
        "n_images": n,
        "steps": total,
        "steps_per_second": round(done / step_seconds, 3) if step_seconds > 0 else None,
    }
