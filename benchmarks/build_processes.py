"""Speed of a build as 2 cooperating processes (torchrun, as `accelerate launch` runs it) vs 1, tiny diffusers pipeline, CPU.

Both sides build the same plan (`imagenet-ao --tiny --limit N --device cpu`) into fresh dirs, each as a fresh
command, so both pay their start-up (imports, pair choice) and the 2-process side also pays the launcher, the
rendezvous and rank 0's serial assembly (filters, hf/, card). Every process runs torch on ONE thread
(OMP_NUM_THREADS=MKL_NUM_THREADS=1 on both sides): the comparison is processes, not threads, and 2 processes
× 1 thread use the 2 cores a 2-thread single process would. Checks the two builds are byte-identical
(manifest, card, pairs, every image, hf/ arrow files) and prints two ratios (higher = 2 processes faster): the
whole commands, and the generation phase alone (first to last image written, from the images' mtimes), which
is what the processes share; the rest (start-up, pair choice, rank 0's assembly) does not shrink with more
processes. Target: >= 1.6x on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env={**env, **THREADS})
    took = time.perf_counter() - t0
    if res.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stderr[-3000:]}")
    print(f"  {res.stdout.strip().splitlines()[-1]}")
    return took


def _generation_span(out: Path) -> float:
    """Seconds from the first image written to the last (every rank's images together)."""
    times = [p.stat().st_mtime for p in out.glob("images/**/*.png")]
    return max(times) - min(times)


def _digest(out: Path) -> dict:
    files = ["manifest.jsonl", "README.md", "pairs.jsonl", *(str(p.relative_to(out)) for p in sorted(out.glob("images/**/*.png"))),
             *(str(p.relative_to(out)) for p in sorted(out.glob("hf/**/*.arrow")))]  # fmt: skip
    return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in files}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=96, help="images (--limit)")
    ap.add_argument("--recipe", default="imagenet-ao")
    args = ap.parse_args()
    build = ["-m", "aobench.cli", "build", args.recipe, "--tiny", "--limit", str(args.n), "--device", "cpu"]
    with tempfile.TemporaryDirectory() as tmp:
        one, two = Path(tmp) / "one", Path(tmp) / "two"
        print(f"1 process, 1 torch thread: {args.recipe} --tiny --limit {args.n}")
        t_one = _run([sys.executable, *build, "--out", str(one)])
        print("2 processes (torchrun --nproc_per_node 2), 1 torch thread each")
        t_two = _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_port()), *build, "--out", str(two)])
        same = _digest(one) == _digest(two)
        n_files = len(_digest(one))
        g_one, g_two = _generation_span(one), _generation_span(two)
    print(f"images={args.n} cores={os.cpu_count()} 1 process: {t_one:.1f}s  2 processes: {t_two:.1f}s (whole commands, start-up included)")
    print(f"generation phase: 1 process {g_one:.1f}s  2 processes {g_two:.1f}s")
    print(f"2 processes vs 1, whole build: {t_one / t_two:.2f}x   generation: {g_one / g_two:.2f}x   "
          f"(byte-identical builds: {'yes' if same else 'NO'}, {n_files} files compared)")
    if not same:
        sys.exit("the 2-process build differs from the 1-process build")


if __name__ == "__main__":
    main()
