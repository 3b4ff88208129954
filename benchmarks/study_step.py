"""Speed of the study's training loop (`aobench.study.train.train`) vs a plain open_clip training loop.

Data: one shapes-ao train split (default 2,000 procedural 64 px images, dependence 0.3), built once.
Both sides run in one process on the same images, captions, architecture, batch size, learning-rate
schedule and number of steps, alternating in R rounds (median reported):
- plain: open_clip_train's own `train_one_epoch` over its `CsvDataset` (decode + preprocess every image
  every step through a DataLoader, as `open_clip_train.main --train-data x.csv` does), AdamW as
  open_clip_train builds it (default implementation), the same ClipLoss and cosine schedule;
- aobench: `train()` (decodes the split once, fused AdamW, loss read once per epoch, random flips).
Times cover the whole call (model creation, data loading, E epochs); the step loop alone is read from
the epoch timestamps of train_log.jsonl (epochs 2..E). `--before path/to/train.py` times an earlier
aobench train.py as a third side in the same process (before/after of a change). Prints steps/s of
each and the ratio (higher = aobench faster). Target: >= 1.5x on CPU.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)  # open_clip's "no pretrained weights" and train_one_epoch's info lines


def make_split(root: Path, images: int) -> Path:
    """A shapes-ao build whose `train` split has `images` images (dependence 0.3)."""
    from aobench.study.splits import build_recipe, level_recipe

    return build_recipe(level_recipe("shapes-ao", "shapes-ao-bench", [{"name": "train", "pairs": "seen", "images": images, "dependence": 0.3}]), root / "data")


def plain_loop(build: Path, csv_path: Path, arch: str, epochs: int, batch_size: int, lr: float, workers: int) -> tuple[float, int]:
    """open_clip_train's train_one_epoch on a CsvDataset; returns (seconds, steps)."""
    import open_clip
    import torch
    from open_clip_train.data import CsvDataset, DataInfo
    from open_clip_train.scheduler import cosine_lr
    from open_clip_train.train import train_one_epoch

    from aobench.clipzoo import register_configs
    from aobench.study.train import _param_groups

    t0 = time.perf_counter()
    register_configs()
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(arch, output_dict=True)
    ds = CsvDataset(str(csv_path), preprocess, img_key="filepath", caption_key="title", tokenizer=open_clip.get_tokenizer(arch))
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers, drop_last=True)
    loader.num_batches, loader.num_samples = len(loader), len(loader) * batch_size
    steps = len(loader) * epochs
    optimizer = torch.optim.AdamW(_param_groups(model, 0.1), lr=lr, betas=(0.9, 0.98), eps=1e-6)
    scheduler = cosine_lr(optimizer, lr, max(1, steps // 10), steps)
    args = SimpleNamespace(device="cpu", precision="fp32", distill=False, accum_freq=1, skip_scheduler=False, horovod=False,
                           grad_clip_norm=None, log_every_n_steps=10**9, world_size=1, rank=0, local_rank=0, batch_size=batch_size, wandb=False)  # fmt: skip
    for epoch in range(epochs):
        train_one_epoch(model, {"train": DataInfo(loader)}, open_clip.ClipLoss(), epoch, optimizer, None, scheduler, None, args)
    return time.perf_counter() - t0, steps


def aobench_loop(module, build: Path, run_dir: Path, arch: str, epochs: int, batch_size: int, lr: float) -> tuple[float, int, float]:
    """`module.train` (aobench.study.train or an earlier copy); returns (seconds, steps, steps/s of epochs 2..E)."""
    from aobench.io import read_jsonl

    t0 = time.perf_counter()
    res = module.train(build, run_dir, module.TrainConfig(arch=arch, epochs=epochs, batch_size=batch_size, lr=lr), seed=0, device="cpu")
    seconds = time.perf_counter() - t0
    stamps = [r["time"] for r in read_jsonl(run_dir / "train_log.jsonl")]
    per_epoch = res["steps"] // epochs
    loop = (len(stamps) - 1) * per_epoch / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else float("nan")
    return seconds, res["steps"], loop


def load_module(path: Path):
    """A train.py from another aobench version, imported under its own name."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("aobench_train_before", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    """Build the split, alternate both loops for R rounds, print steps/s and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--arch", default="aobench-tiny")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=0, help="DataLoader workers of the plain loop (0: decode in-process)")
    ap.add_argument("--data", type=Path, default=None, help="reuse/keep the built split here")
    ap.add_argument("--before", type=Path, default=None, help="an earlier aobench/study/train.py to time as well")
    a = ap.parse_args()

    import aobench.study.train as now
    from aobench.io import read_jsonl

    sides = {"aobench": now} | ({"before": load_module(a.before)} if a.before else {})

    with tempfile.TemporaryDirectory() as tmp:
        root = a.data or Path(tmp)
        build = make_split(root, a.images)
        rows = [r for r in read_jsonl(build / "manifest.jsonl") if r["split"] == "train" and r["filters"] == "kept"]
        csv_path = Path(tmp) / "train.csv"
        csv_path.write_text("filepath\ttitle\n" + "".join(f"{build / r['file']}\t{r['prompt']}\n" for r in rows))
        plain_t: list[float] = []
        times: dict[str, list[float]] = {k: [] for k in sides}
        loops: dict[str, list[float]] = {k: [] for k in sides}
        for rnd in range(a.rounds):
            t, steps = plain_loop(build, csv_path, a.arch, a.epochs, a.batch_size, 2e-3, a.workers)
            plain_t.append(t)
            line = f"round {rnd + 1}: plain {steps / t:.2f} steps/s"
            for name, mod in sides.items():
                t2, steps2, loop = aobench_loop(mod, build, Path(tmp) / f"{name}{rnd}", a.arch, a.epochs, a.batch_size, 2e-3)
                assert steps2 == steps, (steps, steps2)
                times[name].append(t2)
                loops[name].append(loop)
                line += f", {name} {steps / t2:.2f} (step loop {loop:.2f})"
            print(line, flush=True)
        p = statistics.median(plain_t)
        print(f"{len(rows)} images, {a.arch}, batch {a.batch_size}, {a.epochs} epochs = {steps} steps per side, {a.rounds} rounds (median)")
        print(f"plain open_clip_train loop: {steps / p:.2f} steps/s ({p:.1f} s)")
        for name in sides:
            q = statistics.median(times[name])
            print(f"{name} train(): {steps / q:.2f} steps/s ({q:.1f} s; step loop alone {statistics.median(loops[name]):.2f} steps/s); ratio vs plain {p / q:.2f}x")
        if "before" in sides:
            print(f"step loop after / before: {statistics.median(loops['aobench']) / statistics.median(loops['before']):.2f}x")


if __name__ == "__main__":
    main()
