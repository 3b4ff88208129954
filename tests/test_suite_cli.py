"""`aobench eval BENCHMARK…` and `aobench benchmarks [get]`: result files, several benchmarks, `suite`, missing data, plug-ins, downloads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from aobench.errors import AobenchError
from conftest import REPO, cli

NAME = "{}_random_aobench-tiny_en_image_caption_selection.json"


@pytest.fixture(autouse=True)
def _empty_data_home(tmp_path, monkeypatch):
    """Every test starts with an empty data home (the user's ~/.cache/aobench is never read)."""
    monkeypatch.setenv("AOBENCH_DATA", str(tmp_path / "home"))
    monkeypatch.setenv("AOBENCH_CACHE", str(tmp_path / "cache"))


def _root(suite_files) -> Path:
    return suite_files["sugarcrepe"].annotations.parent


def test_several_benchmarks_in_one_call(capsys, suite_files, tmp_path):
    root = _root(suite_files)
    code, out, err = cli(capsys, "eval", "sugarcrepe,valse,winoground", "--annotations", root, "--images", root / "images", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 0, err
    for name in ("sugarcrepe", "valse", "winoground"):
        d = json.loads((tmp_path / "r" / NAME.format(name)).read_text())
        assert d["dataset"] == name and d["benchmark"]["name"] == name
        assert (tmp_path / "r" / "examples" / NAME.format(name).replace(".json", ".jsonl")).exists()
    csv = (tmp_path / "r" / "results.csv").read_text().splitlines()
    assert len(csv) == 4 and "winoground" in out and "group" in out
    # the console's chance column: the headline's `chance/<metric>`, as for aobench's own tasks
    rows = {line.split("│")[2].strip(): line for line in out.splitlines() if line.count("│") > 5}
    assert "│ 0.5000 │" in rows["sugarcrepe"] and "│ 0.5000 │" in rows["valse"] and "│ group  │" in rows["winoground"] and "│ 0.1667 │" in rows["winoground"]


def test_suite_runs_every_benchmark_this_machine_has(capsys, suite_files, tmp_path):
    root = _root(suite_files)
    code, out, err = cli(capsys, "eval", "suite", "--annotations", root, "--images", root / "images", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 0, err
    written = sorted(p.name.split("_random")[0] for p in (tmp_path / "r").glob("*.json"))
    assert written == ["aro", "sugarcrepe", "sugarcrepe_pp", "valse", "winoground"]


def test_suite_leaves_out_benchmarks_without_any_image(capsys, suite_files, tmp_path):
    root = _root(suite_files)
    images = tmp_path / "only_sugarcrepe" / "coco2017"
    images.mkdir(parents=True)
    for p in (root / "images" / "coco2017").glob("*.jpg"):
        if not p.name.startswith(("pp_", "valse_")):  # SugarCrepe's images only
            (images / p.name).write_bytes(p.read_bytes())
    code, out, err = cli(capsys, "eval", "suite", "--annotations", root, "--images", images.parent, "--model", "tiny", "--out", tmp_path / "r")
    assert code == 0, err
    assert [json.loads(p.read_text())["dataset"] for p in (tmp_path / "r").glob("*.json")] == ["sugarcrepe"]
    assert "suite: valse left out: none of its" in out and "suite: sugarcrepe_pp left out" in out
    code, _, err = cli(capsys, "eval", "suite,valse", "--annotations", root, "--images", images.parent, "--model", "tiny", "--out", tmp_path / "r2")
    assert code == 2 and "valse:" in err and "images missing" in err  # named explicitly: its missing images are an error


def test_subsets_and_the_whole_benchmark_never_share_a_file(capsys, suite_files, tmp_path):
    """CLIP_benchmark#128: a subset's result must not overwrite (or be taken for) another's."""
    root, out_dir = _root(suite_files), tmp_path / "r"
    args = ["--annotations", root, "--images", root / "images", "--model", "tiny", "--out", out_dir]
    assert cli(capsys, "eval", "sugarcrepe/swap_att", *args)[0] == 0
    assert cli(capsys, "eval", "sugarcrepe/swap_obj+add_att", *args)[0] == 0
    code, out, _ = cli(capsys, "eval", "sugarcrepe", "--skip-existing", *args)
    assert code == 0 and "1 results written" in out
    datasets = sorted(json.loads(p.read_text())["dataset"] for p in out_dir.glob("*.json"))
    # subsets in the benchmark's order: swap_obj+add_att and add_att+swap_obj are one selection, one file
    assert datasets == ["sugarcrepe", "sugarcrepe/add_att+swap_obj", "sugarcrepe/swap_att"]
    one = next(json.loads(p.read_text()) for p in out_dir.glob("*.json") if "swap_att_" in p.name and "add" not in p.name)
    assert list(one["metrics"]) == ["swap_att", "n_examples", "n_missing_examples", "n_images", "n_skipped_rows"]  # no aggregate from one subset
    code, out, _ = cli(capsys, "eval", "sugarcrepe", "--skip-existing", *args)
    assert code == 0 and "0 results written, 1 kept" in out


def test_missing_images_one_line_then_skip_missing(capsys, suite_files, tmp_path):
    root = _root(suite_files)
    images = tmp_path / "some"
    (images / "coco2017").mkdir(parents=True)
    for name in ("add_obj.jpg", "swap_att.jpg"):
        (images / "coco2017" / name).write_bytes((root / "images" / "coco2017" / name).read_bytes())
    args = ["eval", "sugarcrepe", "--annotations", root, "--images", images, "--model", "tiny", "--out", tmp_path / "r"]
    code, out, err = cli(capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "5 of 7 coco2017 images missing" in err and "val2017.zip" in err and "--skip-missing" in err
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").glob("*.json"))
    code, out, err = cli(capsys, *args, "--skip-missing")
    assert code == 0, err
    (res,) = [json.loads(p.read_text()) for p in (tmp_path / "r").glob("*.json")]
    assert res["metrics"]["n_missing_examples"] == 15 and res["metrics"]["n_examples"] == 7
    assert res["options"]["skip_missing"] is True and any("--skip-missing" in n for n in res["notes"])
    assert "acc" not in res["metrics"] and "add" not in res["metrics"]  # no aggregate over categories with subsets left out


def test_unreadable_image_is_one_line_or_skipped(capsys, suite_files, tmp_path):
    root = _root(suite_files)
    images = tmp_path / "imgs"
    (images / "coco2017").mkdir(parents=True)
    for p in (root / "images" / "coco2017").iterdir():
        (images / "coco2017" / p.name).write_bytes(b"not an image" if p.name == "swap_obj.jpg" else p.read_bytes())
    args = ["eval", "sugarcrepe", "--annotations", root, "--images", images, "--model", "tiny", "--out", tmp_path / "r", "--no-cache"]
    code, _, err = cli(capsys, *args)
    assert code == 2 and "1 image(s) could not be read" in err and "swap_obj.jpg" in err
    code, _, err = cli(capsys, *args, "--skip-missing")
    assert code == 0, err
    (res,) = [json.loads(p.read_text()) for p in (tmp_path / "r").glob("*.json")]
    assert res["metrics"]["n_missing_examples"] == 3 and "swap_obj" not in res["metrics"]


def test_misspelt_benchmark_subset_and_task(capsys, suite_files, tmp_path):
    code, _, err = cli(capsys, "eval", "sugarcrep", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "did you mean 'sugarcrepe'" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "eval", "sugarcrep/swap_att", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "did you mean 'sugarcrepe'" in err
    code, _, err = cli(capsys, "eval", "sugarcrepe/swap_atts", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "did you mean sugarcrepe/swap_att" in err
    root = _root(suite_files)
    code, _, err = cli(capsys, "eval", "sugarcrepe", "--annotations", root, "--tasks", "composition", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "does not apply to benchmark sugarcrepe" in err
    code, _, err = cli(capsys, "eval", "sugarcrepe", "--annotations", root, "--images", root / "images", "--precision", "fp16", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "--precision" in err


def test_no_annotations_and_gated_winoground_say_how_to_get_them(capsys, tmp_path):
    code, _, err = cli(capsys, "eval", "sugarcrepe", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "aobench benchmarks get sugarcrepe" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "eval", "winoground", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "gated" in err and "huggingface.co/datasets/facebook/winoground" in err and "HF_TOKEN" in err
    code, _, err = cli(capsys, "benchmarks", "get", "winoground")  # offline (HF_HUB_OFFLINE=1 in conftest)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "accept its licence" in err
    code, _, err = cli(capsys, "eval", "suite", "--model", "tiny", "--out", tmp_path / "r")
    assert code == 2 and "no benchmark's annotations" in err


def test_benchmarks_listing(capsys, suite_files, tmp_path):
    root = _root(suite_files)
    code, out, err = cli(capsys, "benchmarks", "--annotations", root, "--images", root / "images")
    assert code == 0, err
    for name in ("sugarcrepe", "sugarcrepe_pp", "valse", "winoground", "aro"):
        assert f"\n{name}: " in "\n" + out
    assert "swap_obj (245)" in out and "licence: MIT" in out and "coco2017: 7 of 7" in out
    assert "VG_Relation (23,937)" in out and "vg: 1 of 1" in out
    code, out, _ = cli(capsys, "benchmarks")
    assert code == 0 and "annotations no — run `aobench benchmarks get sugarcrepe`" in out


def test_get_from_a_folder_checks_the_published_sha256(capsys, suite_files, tmp_path):
    """The synthetic files are not the published ones: refused, nothing written; the real files are copied and kept."""
    from aobench.suite.data import benchmark_home

    code, _, err = cli(capsys, "benchmarks", "get", "sugarcrepe", "--from", suite_files["sugarcrepe"].annotations)
    assert code == 2 and "not the published" in err and len(err.strip().splitlines()) == 1
    assert not benchmark_home("sugarcrepe").exists() or not list(benchmark_home("sugarcrepe").iterdir())
    from conftest import mirror_file

    real = tmp_path / "checkout"
    for s in ("add_att", "add_obj", "replace_att", "replace_obj", "replace_rel", "swap_att", "swap_obj"):
        if mirror_file("RAIVNLab+sugar-crepe", f"data/{s}.json", real) is None:
            pytest.skip("the RAIVNLab/sugar-crepe mirror is not on this machine")
    code, out, err = cli(capsys, "benchmarks", "get", "sugarcrepe", "--from", real)
    assert code == 0 and "7 file(s) written" in out, err
    code, out, _ = cli(capsys, "benchmarks", "get", "sugarcrepe", "--from", real)
    assert code == 0 and "0 file(s) written, 7 already there" in out
    code, out, _ = cli(capsys, "benchmarks")
    assert f"annotations yes, {benchmark_home('sugarcrepe')}" in out


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102 - keep test output clean
        pass


@pytest.fixture
def loopback(tmp_path):
    """A loopback HTTP server over a folder (stands in for raw.githubusercontent.com; no network)."""
    root = tmp_path / "served"
    root.mkdir()
    server = HTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_verifies_before_writing(loopback, suite_files, tmp_path):
    import hashlib

    from aobench.suite.data import get_benchmark
    from aobench.suite.sugarcrepe import SPEC

    served, url = loopback
    (served / "data").mkdir()
    for p in (suite_files["sugarcrepe"].annotations / "data").iterdir():
        (served / "data" / p.name).write_bytes(p.read_bytes())
    dest = tmp_path / "dest"
    with pytest.raises(AobenchError, match="not the published"):
        get_benchmark(SPEC, base_url=url, dest=dest)
    assert not dest.exists() or not list(dest.iterdir())  # nothing written: every file is checked first
    # a spec whose pinned hashes are these files' (as a package's own benchmark would pin its files)
    from dataclasses import replace

    mine = replace(SPEC, sha256={f: hashlib.sha256((served / f).read_bytes()).hexdigest() for f in SPEC.annotation_files},
                   urls={f: f"{url}/{f}" for f in SPEC.annotation_files})  # fmt: skip
    res = get_benchmark(mine, dest=dest)
    assert sorted(res.written) == sorted(SPEC.annotation_files) and not res.unverified
    assert (dest / "data" / "swap_att.json").read_bytes() == (served / "data" / "swap_att.json").read_bytes()  # published paths
    with pytest.raises(AobenchError, match="HTTP 404"):
        get_benchmark(replace(mine, urls={f: f"{url}/missing/{f}" for f in SPEC.annotation_files}), dest=tmp_path / "other")


@pytest.mark.slow
def test_a_package_adds_a_benchmark_with_an_entry_point(tmp_path):
    """A fake installed distribution on sys.path declares `toybench` under `aobench.datasets`: listed, fetched, evaluated."""
    from fixtures.suite import plugin_distribution

    toy = plugin_distribution(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(toy["site"]), str(REPO), os.environ.get("PYTHONPATH", "")]),
           "AOBENCH_DATA": str(tmp_path / "home"), "AOBENCH_CACHE": str(tmp_path / "cache")}  # fmt: skip

    def run(*args):
        return subprocess.run([sys.executable, "-m", "aobench.cli", *map(str, args)], capture_output=True, text=True, env=env, timeout=600)

    listed = run("benchmarks")
    assert listed.returncode == 0 and "toybench: a toy benchmark from a plug-in package" in listed.stdout, listed.stderr
    got = run("benchmarks", "get", "toybench", "--from", toy["data"])
    assert got.returncode == 0 and "1 file(s) written" in got.stdout, got.stderr
    ev = run("eval", "toybench", "--images", f"toy={toy['images']}", "--model", "tiny", "--out", tmp_path / "r")
    assert ev.returncode == 0, ev.stderr
    res = json.loads((tmp_path / "r" / NAME.format("toybench")).read_text())
    assert res["metrics"]["only"]["n"] == 2 and res["benchmark"]["annotations"]["verified"] == {"toy.json": True}


def test_cache_reuses_every_embedding(suite_files, tmp_path):
    from aobench.evaluate import evaluate

    root = _root(suite_files)
    kw = dict(annotations=root, images=[str(root / "images")], cache_dir=tmp_path / "c", progress=False)
    first = evaluate("sugarcrepe,winoground", ["tiny"], tmp_path / "a", **kw)
    again = evaluate("sugarcrepe,winoground", ["tiny"], tmp_path / "b", **kw)
    assert again.cache_misses == 0 and again.cache_hits > 0
    assert [r["metrics"] for r in first.results] == [r["metrics"] for r in again.results]


def test_quickgelu_mismatch_is_flagged(tmp_path):
    from aobench.clipzoo import activation_mismatch

    ckpt = tmp_path / "negclip.pt"
    ckpt.write_bytes(b"")
    note = activation_mismatch("ViT-B-32", str(ckpt))
    assert note and "QuickGELU" in note and "ViT-B-32-quickgelu" in note
    assert activation_mismatch("ViT-B-32-quickgelu", str(ckpt)) is None
    assert activation_mismatch("ViT-B-32", "openai") is None  # the tag switches open_clip to QuickGELU itself
    assert activation_mismatch("aobench-tiny", str(ckpt)) is None


@pytest.mark.slow
def test_two_ranks_share_the_pairs_and_give_one_process_metrics(suite_files, tmp_path):
    """Under torchrun the (model, benchmark) pairs are shared between the ranks; the files equal one process's."""
    from conftest import free_port

    from aobench.evaluate import evaluate

    root = _root(suite_files)
    common = ["--annotations", root, "--images", root / "images", "--model", "tiny", "--no-cache"]
    evaluate("sugarcrepe,winoground,valse", ["tiny"], tmp_path / "one", annotations=root, images=[str(root / "images")], cache_dir=None, progress=False)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()), "-m", "aobench.cli",
                          "eval", "sugarcrepe,winoground,valse", *map(str, common), "--out", str(tmp_path / "two")],
                         capture_output=True, text=True, timeout=600, env={**env, "OMP_NUM_THREADS": "1"})  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    assert "(2 processes)" in res.stdout and "3 results written" in res.stdout, res.stdout

    def metrics(d):
        return {p.name: json.loads(p.read_text())["metrics"] for p in sorted(d.glob("*.json"))}

    assert metrics(tmp_path / "two") == metrics(tmp_path / "one") and len(metrics(tmp_path / "one")) == 3
