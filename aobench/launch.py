"""Multi-process launches (torchrun, `accelerate launch`): which rank this process is, and the collectives build and eval use.

The launcher names the rank: torchrun and accelerate's multi-GPU launcher set RANK / WORLD_SIZE / LOCAL_RANK,
accelerate's multi-CPU launcher goes through mpirun, which sets MPI's names (the same list accelerate's
`PartialState` reads). MASTER_ADDR / MASTER_PORT name the rendezvous. Collectives run over a gloo group (CPU
objects only: plans, counts, embeddings moved to the CPU), created on first use with a long timeout, because
ranks meet at a barrier after their shards and a real build's shards run for hours; if a rank dies, the
launcher stops the others.

`accelerate launch --cpu --num_processes N` starts ONE process unless mpirun is given a hostfile (accelerate 1.x),
and tells it nothing of N; aobench's build and eval read N from the launcher's command line and start the N ranks
themselves with torch.distributed.run (gloo, this machine), which is what accelerate's own multi-process launcher runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Iterator, Optional

from aobench.errors import AobenchError

RANK_VARS = ("RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "PMI_RANK")
WORLD_VARS = ("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMI_SIZE")
LOCAL_RANK_VARS = ("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID")
TIMEOUT = timedelta(days=7)

_alone: ContextVar[bool] = ContextVar("aobench_alone", default=False)
_group: Any = None  # the gloo group of this launch, once created
_owned = False  # whether aobench initialised torch.distributed (then it also tears it down)


def _env_int(names: tuple, default: int) -> int:
    for name in names:
        value = os.environ.get(name, "")
        if value.strip():
            try:
                return int(value)
            except ValueError:
                raise AobenchError(f"{name}={value!r}: not an integer — the launcher sets it; unset it to run as one process") from None
    return default


def launch_shard() -> Optional[tuple[int, int]]:
    """(rank, world size) when this process is one rank of a multi-process launch, else None."""
    world = _env_int(WORLD_VARS, 1)
    return (_env_int(RANK_VARS, 0), world) if world > 1 else None


def local_rank() -> Optional[int]:
    """This rank's index on its machine under a multi-process launch (its GPU), else None."""
    return _env_int(LOCAL_RANK_VARS, 0) if launch_shard() else None


def accelerate_cpu_processes() -> Optional[int]:
    """N under `accelerate launch --cpu --num_processes N` (N > 1) when accelerate started this process alone, else None."""
    if os.environ.get("ACCELERATE_USE_CPU", "").lower() != "true" or launch_shard() or os.environ.get("AOBENCH_NO_RELAUNCH"):
        return None
    try:
        import psutil

        cmd = psutil.Process().parent().cmdline()
    except Exception:  # noqa: BLE001 - no parent to read: run as the one process accelerate started
        return None
    return _num_processes(cmd)


def _num_processes(cmd: list[str]) -> Optional[int]:
    """`--num_processes N` of an `accelerate launch` command line (its own options only), if more than one."""
    at = next((i for i, a in enumerate(cmd) if a == "launch" or a.endswith("accelerate.commands.launch")), None)
    if at is None:
        return None
    head = cmd[at + 1 :]
    for i, arg in enumerate(head):
        if arg in ("-m", "--module") or not arg.startswith("-"):
            break  # the script and its own arguments start here
        for flag in ("--num_processes", "--num-processes"):
            value = head[i + 1] if arg == flag and i + 1 < len(head) else arg.split("=", 1)[1] if arg.startswith(flag + "=") else None
            if value is not None and value.isdigit() and int(value) > 1:
                return int(value)
    return None


def relaunch(argv: list[str], n: int) -> int:
    """Run `aobench ARGV` as `n` ranks on this machine (torch.distributed.run, gloo) and return the launch's exit code."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n), "-m", "aobench.cli", *argv]
    env = {**os.environ, "AOBENCH_NO_RELAUNCH": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the ranks got the same Ctrl-C; let them stop and report
        return proc.wait()


@dataclass(frozen=True)
class Launch:
    """One rank of a multi-process launch: its rank, the world size, and collectives over the launch's gloo group."""

    rank: int
    world: int

    @property
    def main(self) -> bool:
        """Whether this is rank 0 (the one that assembles, writes results and prints)."""
        return self.rank == 0

    def all_gather(self, obj: Any) -> list:
        """Every rank's `obj`, in rank order, on every rank."""
        import torch.distributed as dist

        out: list = [None] * self.world
        dist.all_gather_object(out, obj, group=_process_group(self))
        return out

    def gather(self, obj: Any) -> Optional[list]:
        """Every rank's `obj` in rank order on rank 0 (None on the others): the big payloads, sent once."""
        import torch.distributed as dist

        out: Optional[list] = [None] * self.world if self.main else None
        dist.gather_object(obj, out, dst=0, group=_process_group(self))
        return out

    def barrier(self) -> None:
        """Wait until every rank gets here."""
        import torch.distributed as dist

        dist.barrier(group=_process_group(self))

    def agree(self, fn: Callable[[], Any]) -> list:
        """Run `fn` on every rank and return every rank's value; if it raised on any rank, raise on every rank.

        The one way a rank's user error (a lock held, a bad --out) reaches the others: they stop with the same
        line instead of waiting at the next collective for a rank that is gone.
        """
        try:
            mine = (True, fn())
        except AobenchError as exc:
            mine = (False, str(exc))
        results = self.all_gather(mine)
        failed = [(r, v) for r, (ok, v) in enumerate(results) if not ok]
        if failed:
            rank, msg = failed[0]
            raise AobenchError(msg if rank == self.rank or msg.startswith("rank ") else f"rank {rank}/{self.world}: {msg}")
        return [v for _, v in results]


def current() -> Optional[Launch]:
    """This process's rank of a multi-process launch, or None when it runs alone (or inside `alone()`)."""
    sh = None if _alone.get() else launch_shard()
    return Launch(*sh) if sh else None


@contextmanager
def alone() -> Iterator[None]:
    """Run as one process even under a launcher (a library call made on one rank only, e.g. rank 0 of a training job)."""
    token = _alone.set(True)
    try:
        yield
    finally:
        _alone.reset(token)


def _process_group(launch: Launch):
    """The gloo group of the launch: torch.distributed initialised here if the launcher left it to us."""
    global _group, _owned
    if _group is not None:
        return _group
    import torch.distributed as dist

    if not dist.is_initialized():
        for var in ("MASTER_ADDR", "MASTER_PORT"):
            if not os.environ.get(var):
                raise AobenchError(f"{var} is not set: WORLD_SIZE={launch.world} says this is one of several processes, but no rendezvous is named — start it with torchrun or `accelerate launch`")
        dist.init_process_group("gloo", rank=launch.rank, world_size=launch.world, timeout=TIMEOUT)
        _owned = True
        import atexit

        atexit.register(close)
        _group = dist.group.WORLD
    elif dist.get_backend() == "gloo":
        _group = dist.group.WORLD
    else:  # the caller's group (NCCL under accelerate) cannot move Python objects between CPUs: a gloo group beside it
        _group = dist.new_group(backend="gloo", timeout=TIMEOUT)
    return _group


def close() -> None:
    """Tear down torch.distributed if aobench set it up (at exit; a second call does nothing)."""
    global _group, _owned
    if _owned:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
    _group, _owned = None, False
