"""The evaluator as a library: models in memory, typed result files, pinned Hub revisions, plugins, the top-level API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from aobench.evaluate import LoadedModel, evaluate
from aobench.evaluate.results import Result, flat_metrics, load_results, result_path
from conftest import REPO, cli, handmade_dataset

TASKS = ["composition", "object"]
SHA = "0123456789abcdef0123456789abcdef01234567"


def _metrics(run) -> dict:
    return {r["task"]: flat_metrics(r["metrics"]) for r in run.results}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return handmade_dataset(tmp_path_factory.mktemp("apidata"))


@pytest.fixture(scope="module")
def tiny_reference(data, tmp_path_factory) -> dict:
    """Metrics of the `tiny` spec (the same seeded weights as conftest's tiny_clip)."""
    return _metrics(evaluate(str(data), ["tiny"], tmp_path_factory.mktemp("ref"), tasks=TASKS, cache_dir=None, progress=False))


def test_open_clip_model_in_memory_equals_its_spec(data, tiny_clip, tiny_reference, tmp_path):
    cache = tmp_path / "cache"
    run = evaluate(str(data), tiny_clip, tmp_path / "out", tasks=TASKS, cache_dir=cache, progress=False)
    assert not run.failures and _metrics(run) == tiny_reference
    r = run.results[0]
    assert (r["model"], r["pretrained"], r["spec"]) == ("CLIP", "in-memory", "CLIP")
    # weights in memory may change between calls: nothing is cached without a key naming them
    assert not cache.exists() or not any(cache.rglob("*.pt"))
    # with a key, embeddings are cached and reused; the name goes into the result file name
    named = LoadedModel(*tiny_clip, name="tiny-mem", key="tiny-seed0")
    first = evaluate(str(data), [named], tmp_path / "out2", tasks=TASKS, cache_dir=cache, progress=False)
    again = evaluate(str(data), named, tmp_path / "out2", tasks=TASKS, cache_dir=cache, progress=False)
    assert _metrics(first) == _metrics(again) == tiny_reference
    assert again.cache_misses == 0 and again.cache_hits >= 2
    assert (tmp_path / "out2" / "bare_in-memory_tiny-mem_en_composition.json").exists()


def test_transformers_model_in_memory_equals_its_spec(data, tiny_hf_clip, tmp_path):
    from transformers import CLIPModel, CLIPProcessor

    spec_run = evaluate(str(data), [f"hf:{tiny_hf_clip}"], tmp_path / "a", tasks=TASKS, cache_dir=None, progress=False)
    obj = (CLIPModel.from_pretrained(tiny_hf_clip).eval(), CLIPProcessor.from_pretrained(tiny_hf_clip))
    obj_run = evaluate(str(data), [obj], tmp_path / "b", tasks=TASKS, cache_dir=None, progress=False)
    assert _metrics(obj_run) == _metrics(spec_run)


def test_a_mix_of_specs_and_objects_and_a_bad_object(data, tiny_clip, tmp_path):
    run = evaluate(str(data), ["tiny", LoadedModel(*tiny_clip, name="mem"), object()], tmp_path / "o", tasks=["object"], cache_dir=None, progress=False)
    assert [r["spec"] for r in run.results] == ["tiny", "mem"]
    assert len(run.failures) == 1 and "cannot evaluate a object" in run.failures[0][1]


def test_result_files_say_what_produced_them(data, tmp_path):
    from aobench import __version__

    run = evaluate(str(data), ["tiny"], tmp_path / "o", tasks=TASKS, cache_dir=None, progress=False, seed=3, options={"czsl_protocol": "exact"})
    doc = json.loads(run.paths[0].read_text())
    assert list(doc)[:6] == ["dataset", "model", "pretrained", "task", "metrics", "language"]  # CLIP_benchmark's keys first
    assert doc["aobench_version"] == __version__ and doc["model_revision"] is None and doc["spec"] == "tiny"
    assert doc["options"] == {"seed": 3, "amp": False, "czsl_protocol": "exact"}
    # the data fingerprint names the evaluated content: the same data gives the same one, other data another
    again = evaluate(str(data), ["tiny"], tmp_path / "o2", tasks=["object"], cache_dir=None, progress=False)
    other = evaluate(str(handmade_dataset(tmp_path / "other", corrupt={3})), ["tiny"], tmp_path / "o3", tasks=["object"], cache_dir=None, progress=False)
    assert doc["data_fingerprint"] == again.results[0]["data_fingerprint"] != other.results[0]["data_fingerprint"]
    # results.csv carries the same provenance per row, read back through the one result reader
    header, *rows = (tmp_path / "o" / "results.csv").read_text().splitlines()
    assert header.startswith("dataset,model,pretrained,task,language,spec,templates,model_revision,data_fingerprint,aobench_version,options,")
    assert len(rows) == 2 and doc["data_fingerprint"] in rows[0]
    back = load_results([tmp_path / "o"])
    assert [r.task for r in back] == ["composition", "object"] and isinstance(back[0], Result) and back[0].options["seed"] == 3


# ---- pinned Hub revisions: a real huggingface_hub cache layout in a temp dir, offline ---------------


def _fake_hub_repo(cache: Path, repo_id: str, files: Path, sha: str, refs: dict) -> None:
    """Lay out files as huggingface_hub's cache holds a downloaded repo (snapshots/<commit>, refs/<branch or tag>)."""
    root = cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(files, root / "snapshots" / sha)
    (root / "refs").mkdir(parents=True, exist_ok=True)
    for name, commit in refs.items():
        (root / "refs" / name).write_text(commit)


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    import huggingface_hub

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


def test_hf_revision_pins_and_records_the_commit(data, tiny_hf_clip, hub_cache, tmp_path):
    _fake_hub_repo(hub_cache, "org/tiny-clip", tiny_hf_clip, SHA, {"v1": SHA})
    ref = evaluate(str(data), [f"hf:{tiny_hf_clip}"], tmp_path / "ref", tasks=TASKS, cache_dir=None, progress=False)
    run = evaluate(str(data), ["hf:org/tiny-clip@v1", f"hf:org/tiny-clip@{SHA}", "hf:org/tiny-clip@v2"], tmp_path / "o",
                   tasks=TASKS, cache_dir=None, progress=False)  # fmt: skip
    by_spec = {}
    for r in run.results:
        by_spec.setdefault(r["spec"], {})[r["task"]] = flat_metrics(r["metrics"])
        assert r["model_revision"] == SHA
    assert by_spec["hf:org/tiny-clip@v1"] == by_spec[f"hf:org/tiny-clip@{SHA}"] == _metrics(ref)
    assert run.results[0]["pretrained"] == "org/tiny-clip@v1" and result_path(tmp_path / "o", "bare", "hf", "org/tiny-clip@v1", "object").exists()
    assert len(run.failures) == 1 and "cannot resolve revision 'v2'" in run.failures[0][1] and "\n" not in run.failures[0][1]


def test_hub_answer_is_preferred_over_the_cache(data, tiny_hf_clip, hub_cache, tmp_path, monkeypatch):
    import huggingface_hub

    asked = []

    def model_info(repo_id, revision=None, timeout=None):  # the Hub's answer: what `main` points to now
        asked.append((repo_id, revision))
        return SimpleNamespace(sha=SHA)

    monkeypatch.setattr(huggingface_hub, "model_info", model_info)
    _fake_hub_repo(hub_cache, "org/tiny-clip", tiny_hf_clip, SHA, {"main": SHA})
    run = evaluate(str(data), ["hf:org/tiny-clip"], tmp_path / "o", tasks=["object"], cache_dir=None, progress=False)
    assert run.results[0]["model_revision"] == SHA and asked == [("org/tiny-clip", None)]


def test_open_clip_hub_revision_loads_that_commit(data, hub_cache, tmp_path):
    import open_clip
    import torch

    from aobench.clipzoo import register_configs

    register_configs()
    torch.manual_seed(7)
    model = open_clip.create_model("aobench-tiny")
    ckpt = tmp_path / "ckpt.pt"
    torch.save(model.state_dict(), ckpt)
    files = tmp_path / "repo"
    files.mkdir()
    (files / "open_clip_config.json").write_text(json.dumps({"model_cfg": open_clip.get_model_config("aobench-tiny")}))
    shutil.copy(ckpt, files / "open_clip_pytorch_model.bin")
    _fake_hub_repo(hub_cache, "org/tiny-oc", files, SHA, {"v1": SHA})
    ref = evaluate(str(data), [f"open_clip:aobench-tiny:{ckpt}"], tmp_path / "ref", tasks=TASKS, cache_dir=None, progress=False)
    run = evaluate(str(data), ["open_clip:hf-hub:org/tiny-oc@v1"], tmp_path / "o", tasks=TASKS, cache_dir=None, progress=False)
    assert not run.failures and _metrics(run) == _metrics(ref)
    r = run.results[0]
    assert (r["model"], r["pretrained"], r["model_revision"]) == ("hf-hub:org/tiny-oc", "v1", SHA)


# ---- plugins: a package adds a model kind and a task through entry points ------------------------

PLUGIN = '''
from aobench.evaluate.models import Identity, ModelKind, ModelSpec, load_model


class Mini(ModelKind):
    forms = {"mini": "aobench's tiny model under a plugin's name"}

    def parse(self, spec, body):
        return ModelSpec(spec=spec, kind="mini", model_name="mini", pretrained_name="plugin")

    def identify(self, ms):
        return Identity("mini-plugin")

    def load(self, ms, device, amp):
        return load_model("tiny", device, amp)


MINI = Mini()


def rowcount(ctx):
    ctx.notes.append("rowcount ran")
    return {"rows": len(ctx.rows), "x": ctx.options.get("x", 0)}
'''


@pytest.mark.slow
def test_a_package_adds_a_model_kind_and_a_task(data, tmp_path):
    site = tmp_path / "site"
    (site / "aob_plugin-0.1.dist-info").mkdir(parents=True)
    (site / "aob_plugin.py").write_text(PLUGIN)
    (site / "aob_plugin-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: aob-plugin\nVersion: 0.1\n")
    (site / "aob_plugin-0.1.dist-info" / "entry_points.txt").write_text(
        "[aobench.models]\nmini = aob_plugin:MINI\n\n[aobench.tasks]\nrowcount = aob_plugin:rowcount\n")
    code = textwrap.dedent(f"""
        import json
        from aobench import evaluate
        from aobench.evaluate.models import list_models
        run = evaluate({str(data)!r}, ["mini", "tiny"], {str(tmp_path / "o")!r}, tasks=["composition", "rowcount"], cache_dir=None,
                       progress=False, options={{"x": 3}})
        print(json.dumps({{"results": run.results, "failures": run.failures, "forms": list_models()["spec forms"]}}))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not out["failures"] and any(f.startswith("mini ") for f in out["forms"])
    res = {(r["spec"], r["task"]): r for r in out["results"]}
    assert res[("mini", "rowcount")]["metrics"]["rows"] == 12 and res[("mini", "rowcount")]["metrics"]["x"] == 3
    assert res[("mini", "rowcount")]["notes"] == ["rowcount ran"] and res[("mini", "composition")]["notes"] == []
    # the plugin's kind loads the same tiny weights: the same numbers under its own name
    assert res[("mini", "composition")]["metrics"]["acc1"] == res[("tiny", "composition")]["metrics"]["acc1"]
    assert res[("mini", "composition")]["pretrained"] == "plugin"


# ---- the top-level API and the root CLI flags -------------------------------------------------------


def test_import_aobench_is_light_and_exports_the_cli_functions():
    code = ("import sys, inspect, aobench; light = not any(m in sys.modules for m in ('torch', 'numpy', 'datasets', 'aobench.evaluate'));"
            "from aobench import build, evaluate, measure_nmi, make_foils, push, export_webdataset;"
            "import aobench.evaluate.results as r;"  # the modules behind the names still import as usual
            "print(light, all(callable(f) for f in (build, evaluate, measure_nmi, make_foils, push, export_webdataset)),"
            "list(inspect.signature(evaluate).parameters)[:3], list(inspect.signature(build).parameters)[:2], r.__name__)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "['data',", "'models',", "'out']", "['recipe_ref',", "'out']", "aobench.evaluate.results"]


def test_api_functions_are_the_ones_the_cli_calls():
    import inspect

    import aobench
    from aobench.build import build
    from aobench.evaluate.runner import evaluate as run_evaluate
    from aobench.foils.pipeline import run_foils
    from aobench.text.analyze import run_nmi

    assert aobench.measure_nmi is run_nmi and aobench.make_foils is run_foils
    for name in ("build", "evaluate", "measure_nmi", "make_foils", "push", "export_webdataset"):
        assert (getattr(aobench, name).__doc__ or "").strip(), name
    # `build` and `evaluate` are also module names: those modules call the functions, with their signatures
    assert inspect.signature(aobench.build) == inspect.signature(build)
    assert inspect.signature(aobench.evaluate) == inspect.signature(run_evaluate)


def test_version_and_verbose_flags(capsys, data, tmp_path):
    from aobench import __version__

    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.strip() == f"aobench {__version__}"
    args = ["eval", data, "--model", "tiny", "--out", tmp_path / "o", "--tasks", "object", "--no-cache"]
    code, _, err = cli(capsys, *args)
    assert code == 0 and "evaluating 1 model" not in err
    code, _, err = cli(capsys, "--verbose", *args)
    assert code == 0 and "evaluating 1 model(s) × 1 task(s) on bare" in err
    code, _, err = cli(capsys, "-q", *args)
    assert code == 0 and "evaluating" not in err
