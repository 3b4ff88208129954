"""Speed of aobench's batched diffusers generation vs a per-image loop (tiny SDXL pipeline, CPU).

Both sides use the same prompts and per-image seeds in one process. Two baselines:
1. per-image loop through aobench's backend (batch size 1): same kernels, so images must be identical;
2. plain diffusers per-image loop (`pipe(prompt, generator)` one at a time): the usual script; its
   images differ from batched ones in the last bit before rounding, so the max pixel difference is printed.
Prints the ratios (higher = aobench faster). Target: >= 2x.
"""

from __future__ import annotations

import argparse
import time
import warnings
from types import SimpleNamespace

import numpy as np
import torch

warnings.filterwarnings("ignore")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=48, help="images")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--family", default="sdxl")
    args = ap.parse_args()

    from aobench.generate.diffusers_backend import DiffusersBackend
    from aobench.seeds import image_seed
    from aobench.recipe import GeneratorSpec
    from aobench.tiny import tiny_pipeline

    attrs = ["glass", "striped", "wooden", "furry", "melting", "golden"]
    objs = ["tiger", "bagel", "violin", "teapot", "zebra", "kayak", "goldfish", "umbrella"]
    items = [
        SimpleNamespace(prompt=f"a photo of a {attrs[i % 6]} {objs[i % 8]}", seed=image_seed(0, "bench", attrs[i % 6], objs[i % 8], i))
        for i in range(args.n)
    ]
    spec = GeneratorSpec(family=args.family, steps=args.steps, guidance_scale=0.0, options={"compute_batch": args.batch_size})
    backend = DiffusersBackend(spec, tiny=True, device="cpu")
    backend.generate(items[:2])  # warm-up (allocations, lazy init)

    t0 = time.perf_counter()
    batched = []
    for s in range(0, len(items), args.batch_size):
        batched += [np.asarray(im) for im in backend.generate(items[s : s + args.batch_size])]
    t_batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    loop_same = [np.asarray(backend.generate([it])[0]) for it in items]
    t_loop_same = time.perf_counter() - t0
    assert all(np.array_equal(a, b) for a, b in zip(batched, loop_same)), "batched images differ from per-image ones"

    plain = tiny_pipeline(args.family)
    plain.set_progress_bar_config(disable=True)
    t0 = time.perf_counter()
    loop_plain = []
    with torch.inference_mode():
        for it in items:
            g = torch.Generator("cpu").manual_seed(it.seed)
            loop_plain.append(np.asarray(plain(prompt=it.prompt, num_inference_steps=args.steps, guidance_scale=0.0, generator=g, output_type="pil").images[0]))
    t_loop_plain = time.perf_counter() - t0
    maxdiff = max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(batched, loop_plain))

    print(f"images={args.n} batch_size={args.batch_size} steps={args.steps} family={args.family} threads={torch.get_num_threads()}")
    print(f"per-image loop (aobench kernels) vs batched: {t_loop_same / t_batched:.2f}x   (identical images: yes)")
    print(f"plain diffusers per-image loop vs batched:   {t_loop_plain / t_batched:.2f}x   (max pixel difference: {maxdiff}/255)")


if __name__ == "__main__":
    main()
