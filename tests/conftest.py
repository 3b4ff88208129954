"""Shared fixtures: tiny real models built from configs (no downloads) and small real builds.

Every stage's tests take their models and data from here, so the offline stand-ins are written once:
tiny diffusers pipelines (as diffusers' own tests build them), a tiny random open_clip model from
aobench's config, and small shapes-ao builds made by the real `aobench build` code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `aobench ARGS...` in a fresh interpreter (as a user would), capturing output."""
    return subprocess.run(
        [sys.executable, "-m", "aobench.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run `aobench ARGS` in-process (so monkeypatched boundaries apply); (exit code, stdout, stderr)."""
    from aobench.cli import main

    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture(scope="session")
def tiny_sdxl_pipeline():
    """A tiny random StableDiffusionXLPipeline (64x64)."""
    from aobench.tiny import tiny_pipeline

    return tiny_pipeline("sdxl")


@pytest.fixture(scope="session")
def tiny_sd_pipeline():
    """A tiny random StableDiffusionPipeline (64x64)."""
    from aobench.tiny import tiny_pipeline

    return tiny_pipeline("sd")


@pytest.fixture(scope="session")
def tiny_clip():
    """(model, preprocess, tokenizer) of the random aobench-tiny open_clip model."""
    from aobench.clipzoo import create_open_clip

    return create_open_clip("tiny")


SMALL_SHAPES = """\
include: shapes-ao
name: shapes-ao-small
splits:
  - {name: train, pairs: seen, images: 240, dependence: 0.3}
  - {name: test_seen, pairs: seen, images_per_pair: 1}
  - {name: test_unusual, pairs: unusual, images_per_pair: 2}
"""


@pytest.fixture(scope="session")
def small_shapes_recipe(tmp_path_factory) -> Path:
    """A shapes-ao recipe with a few hundred images (same code path, smaller counts)."""
    path = tmp_path_factory.mktemp("recipes") / "shapes-ao-small.yaml"
    path.write_text(SMALL_SHAPES)
    return path


@pytest.fixture(scope="session")
def shapes_build(tmp_path_factory, small_shapes_recipe) -> Path:
    """A finished small shapes-ao build directory (read-only for tests: copy before changing it)."""
    from aobench.build import build

    out = tmp_path_factory.mktemp("builds") / "shapes"
    res = build(str(small_shapes_recipe), out)
    assert res.status == "complete"
    return out
