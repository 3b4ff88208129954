"""Shared fixtures: tiny real models built from configs (no downloads) and small real builds.

Every stage's tests take their models and data from here, so the offline stand-ins are written once:
tiny diffusers pipelines (as diffusers' own tests build them), a tiny random open_clip model from
aobench's config, and small shapes-ao builds made by the real `aobench build` code.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# One BLAS/OpenMP thread per process: the suite's models are tiny, and on a busy 2-core machine a second intra-op
# thread mostly spin-waits at barriers (a micro study run's training: 8x the CPU time and wall with 2 threads under
# load, and the same CPU time on an idle machine, where 2 threads save about a third of its wall time). Set before
# torch/numpy load; subprocesses inherit it.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# No fsync per written file (aobench.io): a kill -9 loses nothing without it (only power loss would), and the
# thousands of small files the builds write here cost twice the wall time with it; test_io checks the default.
os.environ.setdefault("AOBENCH_FSYNC", "0")
# One console width wherever the suite runs: rich sizes its console from COLUMNS, else from whichever of fds 0-2 is a
# terminal, else 80 — so a table a test reads would wrap differently in a terminal, a CI log or an xdist worker
# (pipes). Set before aobench.progress makes its console; CLI subprocesses inherit it.
os.environ["COLUMNS"] = "200"
# A suite started as a background job (`pytest &`) inherits SIGINT ignored, and so would every CLI process it starts:
# the Ctrl-C tests would see runs that cannot be interrupted. A handled signal is reset to its default across exec,
# so handling it here gives the children the disposition a user's foreground command has.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback TCP port nothing listens on now (a rendezvous, a server, or an endpoint that must be unreachable)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `aobench ARGS...` in a fresh interpreter (as a user would), capturing output."""
    return subprocess.run(
        [sys.executable, "-m", "aobench.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env=dict(os.environ),
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


@pytest.fixture(scope="session")
def tiny_hf_clip(tmp_path_factory):
    """A tiny random transformers CLIPModel + processor saved with save_pretrained."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    from aobench.tiny import clip_tokenizer

    torch.manual_seed(0)
    cfg = CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, vocab_size=49408,
                         bos_token_id=49406, eos_token_id=49407, pad_token_id=49407, max_position_embeddings=77),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, image_size=32, patch_size=8),
        projection_dim=16,
    )  # fmt: skip
    d = tmp_path_factory.mktemp("hf") / "tiny-clip"
    CLIPModel(cfg).save_pretrained(d)
    proc = CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}), tokenizer=clip_tokenizer())
    proc.save_pretrained(d)
    return d


def handmade_dataset(tmp_path: Path, corrupt: set[int] = frozenset()) -> Path:
    """A bare save_to_disk dataset of rendered shapes; rows in `corrupt` get undecodable image bytes."""
    import io

    import datasets
    from datasets import Features, Image, Value

    from aobench.generate.procedural import render

    rows = []
    specs = [("red", "circle", "colour"), ("blue", "circle", "colour"), ("red", "square", "colour"), ("striped", "star", "pattern"), ("blue", "star", "colour"), ("small", "square", "size")]
    for i, (a, o, t) in enumerate(specs * 2):
        buf = io.BytesIO()
        render(o, a, seed=i, resolution=64).save(buf, format="PNG")
        data = b"not an image" if i in corrupt else buf.getvalue()
        rows.append({"image": {"bytes": data, "path": None}, "id": f"img{i}", "attribute": a, "attribute_type": t, "object": o,
                     "object_group": "", "pair_status": "unusual" if o == "star" else "seen", "prompt": f"a {a} {o}", "seed": i})  # fmt: skip
    feats = Features({"image": Image(), "id": Value("string"), "attribute": Value("string"), "attribute_type": Value("string"), "object": Value("string"),
                      "object_group": Value("string"), "pair_status": Value("string"), "prompt": Value("string"), "seed": Value("int64")})  # fmt: skip
    d = tmp_path / "bare"
    datasets.DatasetDict({"test": datasets.Dataset.from_list(rows, features=feats)}).save_to_disk(str(d))
    return d


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


@pytest.fixture(scope="session")
def eval_build(tmp_path_factory) -> Path:
    """A finished shapes-ao build of ~180 images (EVAL_SMALL) for the eval CLI's known counts."""
    from aobench.build import build

    d = tmp_path_factory.mktemp("evalbuild")
    (d / "r.yaml").write_text(EVAL_SMALL)
    res = build(str(d / "r.yaml"), d / "build")
    assert res.status == "complete"
    return d / "build"


@pytest.fixture
def build_copy(tmp_path, shapes_build) -> Path:
    """A private copy of the session's small build (tests that change a build change this one)."""
    out = tmp_path / "build"
    shutil.copytree(shapes_build, out)
    return out


@pytest.fixture
def push_build(build_copy) -> Path:
    """`build_copy` with what a push also carries: a foils.jsonl and a `real` split as `aobench real` writes it."""
    import json

    from datasets import DatasetDict, load_from_disk

    foils = [{"id": "f0", "caption": "a red cube", "foil": "a cube red", "type": "swap", "bow_identical": True},
             {"id": "f1", "caption": "a blue ring", "foil": "a red ring", "type": "replace", "bow_identical": False}]  # fmt: skip
    (build_copy / "foils.jsonl").write_text("".join(json.dumps(f) + "\n" for f in foils))
    DatasetDict({"real": load_from_disk(str(build_copy / "hf"))["test_seen"].select(range(5))}).save_to_disk(str(build_copy / "real" / "hf"))
    return build_copy


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """The loopback Hub (tests/fixtures/hub.py), HF_ENDPOINT pointing at it and its token in HF_TOKEN (the Hub's one fake).

    HF_ENDPOINT is set after huggingface_hub was imported: aobench reads it per push.
    """
    from huggingface_hub import constants

    server = LoopbackHub()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    # every other test is offline (above); this one talks HTTP to loopback only
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    yield server
    server.close()


@pytest.fixture
def no_progress_bars():
    """huggingface_hub's upload bars off (they share stderr with aobench's one error line)."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was = are_progress_bars_disabled()
    disable_progress_bars()
    yield
    if not was:
        enable_progress_bars()


def hashing_embedder(texts):
    """Deterministic bag-of-words embedding (no model) for the foils audit: texts sharing words are close."""
    import zlib

    import numpy as np

    out = np.zeros((len(texts), 256), np.float32)
    for i, t in enumerate(texts):
        for w in t.lower().split():
            out[i, zlib.crc32(w.encode()) % 256] += 1.0  # a stable hash: the same buckets in every process (hash() varies with PYTHONHASHSEED)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out


@pytest.fixture(scope="session")
def natural_captions() -> Path:
    """40 photo-style captions written for these tests (generic nouns, people, plurals, compounds, word senses)."""
    return Path(__file__).parent / "fixtures" / "natural_captions.txt"


@pytest.fixture(scope="session")
def suite_files(tmp_path_factory) -> dict:
    """Synthetic files of every standard benchmark in its published schema (tests/fixtures/suite.py), with their images."""
    from fixtures.suite import build_all

    return build_all(tmp_path_factory.mktemp("suite"))


@pytest.fixture(scope="session")
def known_suite_model(suite_files):
    """An in-memory model whose embeddings fix every score of the synthetic benchmarks (so each outcome is known)."""
    from fixtures.suite import known_model

    return known_model(list(suite_files.values()))


MIRRORS = Path(os.environ.get("AOBENCH_MIRRORS", "/work/.mirror"))


def mirror_file(repo: str, path: str, dest: Path) -> Path | None:
    """A published file from a fetched mirror of `repo` (OWNER+NAME), written under dest; None when the mirror is absent (CI)."""
    git = MIRRORS / repo / "repo"
    if not git.is_dir():
        return None
    out = subprocess.run(["git", "-C", str(git), "show", f"HEAD:{path}"], capture_output=True)
    if out.returncode:
        return None
    target = dest / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(out.stdout)
    return target


@pytest.fixture
def published_annotations(tmp_path):
    """NAME → a folder of tiny annotation files in that benchmark's published format (tests/fixtures/published_annotations.py)."""
    from fixtures import published_annotations as pa

    def make(name: str) -> Path:
        root = tmp_path / f"{name}-annotations"
        if name == "vl_checklist":
            from aobench.suite.vl_checklist import CORPUS

            return pa.vl_checklist(root, CORPUS)
        return getattr(pa, name)(root)

    return make


@pytest.fixture(scope="session")
def known_three(tmp_path_factory) -> tuple:
    """(fixtures, model): ImageCoDe, CREPE and What'sUp files whose scores an in-memory model fixes, ties included."""
    from fixtures.published_annotations import known_three as build
    from fixtures.suite import known_model

    fixtures = build(tmp_path_factory.mktemp("known-three"))
    return fixtures, known_model(list(fixtures.values()))


@pytest.fixture
def published_file(tmp_path):
    """(owner/name, path) → that published file from a fetched mirror (`mirror_file`); skips when it is absent (CI, or over the mirror's size limit)."""

    def get(repo: str, path: str) -> Path:
        found = mirror_file(repo.replace("/", "+"), path, tmp_path / "mirror")
        if found is None:
            pytest.skip(f"{repo}:{path} is not in a local mirror ({MIRRORS})")
        return found

    return get


from fixtures.synthetic_corpus import draw_captions, known_joint, population_nmi  # noqa: E402,F401  (synthetic corpora of a known distribution)
from fixtures.builds import EVAL_SMALL, SMALL_SHAPES, build_digest, images_digest  # noqa: E402,F401  (shared by the build, fault and launch tests)
from fixtures.captions import EVERYDAY, LABELLED, OPEN_LABELLED  # noqa: E402,F401  (the extraction tests' captions)
from fixtures.hub import TOKEN as HUB_TOKEN  # noqa: E402,F401
from fixtures.hub import Hub as LoopbackHub  # noqa: E402,F401  (the one Hub fake, `hub`)


@pytest.fixture
def numpy24_accuracy_shim(monkeypatch):
    """SHIM for clip_benchmark 1.6.2 on numpy >= 2.4 (test-only; remove once upstream fixes it).

    Its `zeroshot_classification.accuracy` passes a 1-element array to `float()`, which numpy 2.4 refuses
    ("only 0-dimensional arrays can be converted to Python scalars"). This is the same computation with
    `.item()`; nothing else of clip_benchmark is touched.
    """
    from clip_benchmark.metrics import zeroshot_classification as zc

    def accuracy(output, target, topk=(1,)):
        pred = output.topk(max(topk), 1, True, True)[1].t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        return [float(correct[:k].reshape(-1).float().sum().item()) / len(target) for k in topk]

    monkeypatch.setattr(zc, "accuracy", accuracy)


# ---- many models: checkpoint series and result files of both tools (builders in fixtures/series.py) ----------------

from fixtures.series import save_tiny_checkpoints, write_aobench_result, write_clip_benchmark_result  # noqa: E402, F401


@pytest.fixture(scope="session")
def checkpoint_series(tmp_path_factory) -> Path:
    """A folder of three tiny open_clip checkpoints saved as open_clip's training saves them (epoch_1..3.pt, {"epoch", "state_dict"}),
    plus `epoch_latest.pt`, a copy of the last (read-only for tests)."""
    import shutil

    folder = tmp_path_factory.mktemp("series") / "checkpoints"
    save_tiny_checkpoints(folder, {"epoch_1.pt": 1, "epoch_2.pt": 2, "epoch_3.pt": 3})
    shutil.copy(folder / "epoch_3.pt", folder / "epoch_latest.pt")
    return folder
