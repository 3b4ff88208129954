"""Build and eval as N cooperating processes under `accelerate launch` / torchrun: the same bytes and metrics as one process.

The launches are real (gloo over localhost, 2 CPU processes). accelerate 1.x starts several CPU processes only
through mpirun (`--cpu --mpirun_hostfile`); without it, `--cpu --num_processes 2` starts one process, and aobench
starts the 2 ranks itself (tested below); accelerate's torchrun-based launcher (`--multi_gpu`) runs them without
MPI, also on a machine without GPUs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build_digest, cli, free_port

from aobench.errors import AobenchError

LAUNCH_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def launch(launcher: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """`aobench ARGS` as 2 processes under `accelerate` or `torchrun`, in fresh interpreters."""
    port = str(free_port())
    if launcher == "accelerate-cpu":  # exactly what a user types on a CPU machine
        head = ["-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2"]
    elif launcher == "accelerate":
        head = ["-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", port]  # fmt: skip
    else:
        head = ["-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", port]
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_ENV}
    return subprocess.run([sys.executable, *head, "-m", "aobench.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**env, "OMP_NUM_THREADS": "1"})  # fmt: skip


def _arrow_bytes(out: Path) -> dict:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "hf").rglob("*.arrow"))}


@pytest.fixture(scope="module")
def one_process_build(tmp_path_factory) -> Path:
    """shapes-ao, 48 images, built by one process (the reference)."""
    from aobench.build import build

    out = tmp_path_factory.mktemp("launch") / "ref"
    build("shapes-ao", out, limit=48, device="cpu")
    return out


@pytest.mark.slow
def test_accelerate_launch_build_equals_one_process_build(tmp_path, one_process_build):
    out = tmp_path / "two"
    res = launch("accelerate", "build", "shapes-ao", "--limit", "48", "--out", out, "--device", "cpu")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "48/48 images kept" in res.stdout and "(2 processes)" in res.stdout, res.stdout
    assert res.stdout.count("/48 images kept") == 1 and res.stdout.count("train ") == 1  # rank 0 reports for both
    # both ranks generated their half (each rank's own log), and the result is the 1-process build, byte for byte
    logs = {p.name: len(p.read_text().splitlines()) for p in (out / ".aobench").glob("generated*.jsonl")}
    assert logs == {"generated.shard-0-of-2.jsonl": 24, "generated.shard-1-of-2.jsonl": 24}
    assert build_digest(out) == build_digest(one_process_build)
    assert _arrow_bytes(out) == _arrow_bytes(one_process_build) and _arrow_bytes(out)
    # a second launch finds the build complete
    again = launch("accelerate", "build", "shapes-ao", "--limit", "48", "--out", out, "--device", "cpu")
    assert again.returncode == 0 and "build already complete; nothing to do (2 processes)" in again.stdout, again.stderr[-3000:]


@pytest.mark.slow
def test_accelerate_launch_cpu_runs_two_ranks_and_equals_one_process_build(tmp_path, one_process_build):
    out = tmp_path / "cpu"
    res = launch("accelerate-cpu", "-v", "build", "shapes-ao", "--limit", "48", "--out", out, "--device", "cpu")  # root options first
    assert res.returncode == 0, res.stderr[-3000:]
    assert "aobench starts its 2 ranks itself" in res.stderr and "48/48 images kept" in res.stdout and "(2 processes)" in res.stdout
    logs = {p.name: len(p.read_text().splitlines()) for p in (out / ".aobench").glob("generated*.jsonl")}
    assert logs == {"generated.shard-0-of-2.jsonl": 24, "generated.shard-1-of-2.jsonl": 24}
    assert build_digest(out) == build_digest(one_process_build)


def test_accelerate_num_processes_is_read_from_its_own_options_only():
    from aobench.launch import _num_processes

    assert _num_processes(["python", "/v/bin/accelerate", "launch", "--cpu", "--num_processes", "2", "-m", "aobench.cli", "build"]) == 2
    assert _num_processes(["python", "-m", "accelerate.commands.launch", "--cpu", "--num-processes=3", "run.py"]) == 3
    assert _num_processes(["python", "/v/bin/accelerate", "launch", "--cpu", "-m", "aobench.cli", "--num_processes", "4"]) is None
    assert _num_processes(["python", "/v/bin/accelerate", "launch", "--cpu", "--num_processes", "1", "x.py"]) is None
    assert _num_processes(["bash", "-c", "aobench build"]) is None


@pytest.mark.slow
def test_torchrun_build_equals_one_process_build(tmp_path):
    from aobench.build import build

    ref, out = tmp_path / "ref", tmp_path / "two"
    build("shapes-ao", ref, limit=12, device="cpu")
    res = launch("torchrun", "build", "shapes-ao", "--limit", "12", "--out", out, "--device", "cpu")
    assert res.returncode == 0 and "12/12 images kept" in res.stdout and "(2 processes)" in res.stdout, res.stderr[-3000:]
    assert build_digest(out) == build_digest(ref)


def _metrics(out: Path) -> dict:
    return {p.name: json.loads(p.read_text())["metrics"] for p in sorted(out.glob("*.json"))}


@pytest.mark.slow
def test_accelerate_launch_eval_gives_the_metrics_of_one_process(tmp_path, one_process_build):
    from aobench.evaluate import evaluate

    ref, out = tmp_path / "ref", tmp_path / "two"
    # batch size 2: each evaluated split is several batches, shared between the ranks
    evaluate(one_process_build, "tiny", ref, device="cpu", batch_size=2, cache_dir=None, progress=False, options={"czsl_protocol": "reference"})
    res = launch("accelerate", "eval", one_process_build, "--model", "tiny", "--out", out, "--device", "cpu", "--batch-size", "2", "--no-cache")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "6 results written" in res.stdout and "(2 processes)" in res.stdout, res.stdout
    got, want = _metrics(out), _metrics(ref)
    assert len(want) == 6 and got == want
    assert all(m["n_images"] > 2 for m in want.values())  # more images than one batch: both ranks embedded some
    assert (out / "results.csv").read_text() == (ref / "results.csv").read_text()


@pytest.mark.slow
def test_accelerate_launch_of_a_models_from_file_resumes_what_is_missing(tmp_path, one_process_build, checkpoint_series):
    listing = tmp_path / "models.txt"
    listing.write_text(f"# a series of three checkpoints and the random model\nopen_clip:aobench-tiny:{checkpoint_series}/\ntiny\n")
    out = tmp_path / "r"
    args = ["eval", one_process_build, "--models-from", listing, "--out", out, "--tasks", "object", "--device", "cpu", "--no-cache", "--skip-existing"]
    res = launch("accelerate", *args)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "4 results written, 0 kept" in res.stdout and "(2 processes)" in res.stdout, res.stdout
    docs = {p: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert sorted(d["step"] for d in docs.values() if d["step"] is not None) == [1, 2, 3]
    lost = next(p for p, d in docs.items() if d["step"] == 2)
    lost.unlink()  # a launch killed before this (model, task) was written
    res = launch("accelerate", *args)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "1 results written, 3 kept (--skip-existing)" in res.stdout, res.stdout
    assert json.loads(lost.read_text())["metrics"] == docs[lost]["metrics"]


@pytest.mark.slow
def test_one_rank_refused_stops_every_rank_with_one_line(tmp_path, one_process_build):
    from aobench.locks import BuildLock

    out = tmp_path / "busy"
    with BuildLock(out, shard=(1, 2)):  # rank 1's shard is already being written by someone else
        res = launch("torchrun", "build", "shapes-ao", "--limit", "48", "--out", out, "--device", "cpu", timeout=300)
    assert res.returncode != 0
    # rank 0 did not wait for a rank that had stopped: it stops with rank 1's reason
    assert "error: rank 1/2: --out" in res.stdout + res.stderr and "shard 1/2 (another process) is already writing there" in res.stderr
    assert not (out / "hf").exists()


def test_shard_flag_under_a_launch_is_a_one_line_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    code, _, err = cli(capsys, "build", "shapes-ao", "--limit", "4", "--out", tmp_path / "d", "--shard", "0/2")
    assert code == 2 and "drop --shard under torchrun / accelerate launch" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()


def test_launch_reads_mpi_ranks_as_accelerate_does(monkeypatch):
    from aobench.launch import current, launch_shard, local_rank

    for k in LAUNCH_ENV:
        monkeypatch.delenv(k, raising=False)
    assert current() is None and local_rank() is None
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1")
    assert launch_shard() == (3, 4) and local_rank() == 1 and current().rank == 3 and not current().main
    monkeypatch.setenv("WORLD_SIZE", "x")
    with pytest.raises(AobenchError, match="WORLD_SIZE='x': not an integer"):
        launch_shard()


def test_device_auto_under_a_launch_is_this_ranks_device(monkeypatch):
    import torch

    from aobench.device import resolve_device

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    if not torch.cuda.is_available():
        assert resolve_device("auto") == "cpu"
        return
    n = torch.cuda.device_count()
    if n > 1:
        assert resolve_device("auto") == resolve_device("cuda") == "cuda:1"
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert resolve_device("auto") == "cuda:0"
    assert resolve_device("cuda:0") == "cuda:0"  # an explicit GPU is kept
    monkeypatch.setenv("LOCAL_RANK", str(n))
    with pytest.raises(AobenchError, match=f"LOCAL_RANK={n}: this machine has {n} GPU"):
        resolve_device("auto")


def test_evaluate_on_one_rank_only_runs_alone_when_asked(tmp_path, monkeypatch):
    from conftest import handmade_dataset

    from aobench.evaluate import evaluate

    data = handmade_dataset(tmp_path)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.delenv("MASTER_PORT", raising=False)
    # under a launcher evaluate() shares the work with the other ranks, so it needs their rendezvous ...
    with pytest.raises(AobenchError, match="MASTER_ADDR is not set"):
        evaluate(data, "tiny", tmp_path / "a", tasks=["object"], device="cpu", cache_dir=None, progress=False)
    # ... unless the caller is the only rank calling it (e.g. rank 0 of a training job)
    run = evaluate(data, "tiny", tmp_path / "b", tasks=["object"], device="cpu", cache_dir=None, progress=False, distributed=False)
    assert run.processes == 1 and len(run.results) == 1 and run.results[0]["metrics"]
