"""Many models in one run: checkpoint folders as series (step per result), `--models-from` files, reruns that skip finished results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aobench.evaluate.checkpoints import list_checkpoints, step_from_name
from aobench.evaluate.results import load_results
from aobench.evaluate.runner import evaluate
from conftest import cli, handmade_dataset, save_tiny_checkpoints

TASKS = ["composition", "object"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return handmade_dataset(tmp_path_factory.mktemp("seriesdata"))


def test_step_from_name_known_answers():
    assert step_from_name("epoch_3.pt") == 3
    assert step_from_name("ViT-B-32_epoch-12.safetensors") == 12
    assert step_from_name("checkpoint_step1000.bin") == 1000
    assert step_from_name("epoch_2_step_500.pt") == 2  # the first named count
    assert step_from_name("model-0005.pth") == 5  # no keyword: the last number
    assert step_from_name("epoch_latest.pt") is None and step_from_name("final.pt") is None


def test_a_folder_of_three_checkpoints_evaluates_as_three_models_with_their_steps(data, checkpoint_series, tmp_path):
    spec = f"open_clip:aobench-tiny:{checkpoint_series}/"
    run = evaluate(str(data), [spec], tmp_path / "out", tasks=TASKS, cache_dir=None, progress=False)
    assert not run.failures
    got = sorted((r["pretrained"], r["task"], r["step"], r["series"]) for r in run.results)
    # epoch_latest.pt is epoch 3 again: one model, kept as epoch_3.pt (the file whose name says its step)
    want = sorted((str(checkpoint_series / f"epoch_{e}.pt"), t, e, spec) for e in (1, 2, 3) for t in TASKS)
    assert got == want
    assert all(r["model"] == "aobench-tiny" and r["spec"] == f"open_clip:aobench-tiny:{r['pretrained']}" for r in run.results)
    # each checkpoint is its own model: its results equal those of its file given alone
    alone = evaluate(str(data), [f"open_clip:aobench-tiny:{checkpoint_series / 'epoch_2.pt'}"], tmp_path / "alone", tasks=TASKS, cache_dir=None, progress=False)
    series = {r["task"]: r["metrics"] for r in run.results if r["step"] == 2}
    assert {r["task"]: r["metrics"] for r in alone.results} == series
    assert alone.results[0]["step"] is None  # a single file is no series point
    # the step is in every result file and in results.csv
    files = load_results([tmp_path / "out"])
    assert sorted({r.step for r in files}) == [1, 2, 3]
    header = (tmp_path / "out" / "results.csv").read_text().splitlines()[0].split(",")
    assert "step" in header and "alpha" in header


def test_the_stored_epoch_orders_the_series_before_the_name(tmp_path):
    folder = tmp_path / "ck"
    save_tiny_checkpoints(folder, {"a.pt": 3, "b.pt": 1, "c_7.pt": 2})  # stored epochs disagree with the names
    save_tiny_checkpoints(tmp_path / "bare", {"epoch_5.pt": None, "epoch_4.pt": None, "notes.pt": None}, store=False)
    assert [(Path(c.path).name, c.step, c.step_from) for c in list_checkpoints(str(folder))] == [("b.pt", 1, "epoch"), ("c_7.pt", 2, "epoch"), ("a.pt", 3, "epoch")]
    bare = list_checkpoints(str(tmp_path / "bare"))
    assert [(Path(c.path).name, c.step, c.step_from) for c in bare] == [("epoch_4.pt", 4, "name"), ("epoch_5.pt", 5, "name"), ("notes.pt", None, "")]


def test_an_empty_folder_is_a_one_line_error(capsys, data, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no weights here")
    code, _, err = cli(capsys, "eval", data, "--model", f"open_clip:aobench-tiny:{tmp_path / 'empty'}/", "--out", tmp_path / "o", "--no-cache")
    assert code == 2 and "no checkpoint files" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_models_from_file_with_comments_and_a_folder(capsys, data, checkpoint_series, tmp_path):
    listing = tmp_path / "models.txt"
    listing.write_text(f"# three checkpoints and the random baseline\n\nopen_clip:aobench-tiny:{checkpoint_series}/   # the series\n  tiny\n")
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "eval", data, "--models-from", listing, "--out", out, "--tasks", "object", "--no-cache")
    assert code == 0, err
    assert sorted((r.pretrained, r.step) for r in load_results([out])) == [(str(checkpoint_series / f"epoch_{e}.pt"), e) for e in (1, 2, 3)] + [("random", None)]
    assert "4 results written" in stdout


def test_a_bad_line_of_models_from_names_file_and_line(capsys, data, tmp_path):
    listing = tmp_path / "models.txt"
    listing.write_text("tiny\n# fine so far\nnot_a_kind:foo\n")
    code, _, err = cli(capsys, "eval", data, "--models-from", listing, "--out", tmp_path / "o", "--no-cache")
    assert code == 2 and f"{listing}:3: bad model spec 'not_a_kind:foo'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.json"))  # nothing evaluated
    code, _, err = cli(capsys, "eval", data, "--models-from", tmp_path / "missing.txt", "--out", tmp_path / "o", "--no-cache")
    assert code == 2 and "missing.txt: no such file" in err
    (tmp_path / "blank.txt").write_text("# nothing\n\n")
    code, _, err = cli(capsys, "eval", data, "--models-from", tmp_path / "blank.txt", "--out", tmp_path / "o", "--no-cache")
    assert code == 2 and "no model spec in it" in err


def test_a_rerun_with_skip_existing_computes_only_what_is_missing(capsys, data, checkpoint_series, tmp_path):
    listing = tmp_path / "models.txt"
    listing.write_text(f"open_clip:aobench-tiny:{checkpoint_series}/\n")
    out = tmp_path / "out"
    args = ["eval", data, "--models-from", listing, "--out", out, "--tasks", "composition,object", "--no-cache", "--skip-existing"]
    assert cli(capsys, *args)[0] == 0
    files = sorted(p for p in out.glob("*.json"))
    assert len(files) == 6
    stamps = {p: p.stat().st_mtime_ns for p in files}
    lost = next(p for p in files if (lambda d: d["task"] == "object" and d["step"] == 2)(json.loads(p.read_text())))
    before = json.loads(lost.read_text())
    lost.unlink()  # an interrupted run: one (model, task) missing
    code, stdout, _ = cli(capsys, *args)
    assert code == 0 and "1 results written, 5 kept (--skip-existing)" in stdout
    assert json.loads(lost.read_text())["metrics"] == before["metrics"]
    assert all(p.stat().st_mtime_ns == stamps[p] for p in files if p != lost)  # finished results untouched
    shutil.rmtree(out)
