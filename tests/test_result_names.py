"""Result file names are injective in the result's identity, and no result silently replaces another (issue 20.2)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aobench.errors import AobenchError
from aobench.evaluate.results import Result, load_results, result_path, write_result
from conftest import cli, handmade_dataset


def test_names_that_need_no_sanitising_are_clip_benchmarks_exactly(tmp_path):
    p = result_path(tmp_path, "shapes-ao", "ViT-B-32", "laion2b_s34b_b79k", "composition")
    assert p.name == "shapes-ao_laion2b_s34b_b79k_ViT-B-32_en_composition.json"


@pytest.mark.parametrize(
    "a, b",
    [
        ("ck/a_b/ep.pt", "ck/a/b/ep.pt"),  # '/' and '_' sanitise alike
        ("runs/lr 0.1/", "runs/lr_0.1/"),  # so do spaces
        ("x:y", "x/y"),
    ],
)
def test_specs_that_sanitise_alike_get_different_names(tmp_path, a, b):
    pa, pb = (result_path(tmp_path, "d", "aobench-tiny", p, "object") for p in (a, b))
    assert pa != pb
    for p in (pa, pb):  # the hash sits after the task, so the CLIP_benchmark-shaped part stays readable
        stem, digest = p.stem.rsplit("-", 1)
        assert stem.endswith("_aobench-tiny_en_object") and len(digest) == 8 and int(digest, 16) >= 0
    assert result_path(tmp_path, "d", "aobench-tiny", a, "object") == pa  # deterministic


def test_known_hash(tmp_path):
    # sha256 of the JSON list [dataset, model, pretrained], first 8 hex digits (fixed: renaming results is a format change)
    p = result_path(tmp_path, "d", "aobench-tiny", "ck/a_b/ep.pt", "object")
    assert p.name == "d_ck_a_b_ep.pt_aobench-tiny_en_object-84ba1aaa.json"


def _result(model: str, pretrained: str, spec: str = "") -> Result:
    return Result(dataset="d", model=model, pretrained=pretrained, task="object", metrics={"acc1": 0.5}, spec=spec)


def test_replacing_a_result_of_another_model_is_an_error(tmp_path):
    # `_` inside parts makes two unsanitised names meet: pretrained a_b + model c vs pretrained a + model b_c
    first, second = _result("c", "a_b"), _result("b_c", "a")
    assert write_result(tmp_path, first) == result_path(tmp_path, "d", "b_c", "a", "object")
    with pytest.raises(AobenchError, match=r"holds the object result of c:a_b on d; b_c:a would replace it"):
        write_result(tmp_path, second)
    assert [r.pretrained for r in load_results(tmp_path)] == ["a_b"]  # the first is intact
    write_result(tmp_path, _result("c", "a_b", spec="tiny"))  # the same model again (a rerun) replaces its own result
    with pytest.raises(AobenchError, match="would replace it"):  # same name fields, another spec: another model
        write_result(tmp_path, _result("c", "a_b", spec="open_clip:c:a_b"))


def test_load_results_takes_one_path_as_the_readme_shows(tmp_path):
    write_result(tmp_path, _result("m", "p"))
    assert [r.model for r in load_results(tmp_path)] == [r.model for r in load_results(str(tmp_path))] == ["m"]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> Path:
    """Two different aobench-tiny checkpoints at ck/a_b/ep.pt and ck/a/b/ep.pt (relative to the returned dir)."""
    import open_clip
    import torch

    from aobench.clipzoo import register_configs

    register_configs()
    d = tmp_path_factory.mktemp("names")
    for seed, rel in ((1, "ck/a_b/ep.pt"), (2, "ck/a/b/ep.pt")):
        torch.manual_seed(seed)
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        torch.save({"state_dict": open_clip.create_model("aobench-tiny").state_dict()}, d / rel)
    handmade_dataset(d)
    return d


def test_two_checkpoints_whose_names_sanitise_alike_keep_both_results(checkpoints, monkeypatch, capsys):
    monkeypatch.chdir(checkpoints)
    code, out, err = cli(capsys, "eval", "bare", "--model", "open_clip:aobench-tiny:ck/a_b/ep.pt", "--model", "open_clip:aobench-tiny:ck/a/b/ep.pt",
                         "--out", "res", "--tasks", "object", "--no-cache")  # fmt: skip
    assert code == 0, err
    assert "res: 2 results written" in out
    results = load_results(Path("res"))
    assert sorted(r.pretrained for r in results) == ["ck/a/b/ep.pt", "ck/a_b/ep.pt"]
    rows = list(csv.DictReader(open("res/results.csv")))
    assert sorted(r["pretrained"] for r in rows) == ["ck/a/b/ep.pt", "ck/a_b/ep.pt"]
    assert results[0].metrics != results[1].metrics  # two different models, two different results


def test_the_same_model_twice_is_counted_once(checkpoints, monkeypatch, capsys):
    monkeypatch.chdir(checkpoints)
    code, out, err = cli(capsys, "eval", "bare", "--model", "tiny", "--model", "tiny", "--out", "twice", "--tasks", "object", "--no-cache")
    assert code == 0, err
    assert "twice: 1 results written" in out and len(list(Path("twice").glob("*.json"))) == 1
