"""Lazy plans (issue 20.4): `--limit` picks its images before any is made; sizes the machine cannot hold are refused up front."""

from __future__ import annotations

import tracemalloc

import pytest

from aobench.generate.plan import Plan, limit_plan, plan
from aobench.pairs import select_pairs
from aobench.recipe import load, validate
from aobench.vocab import load_vocab
from conftest import cli

HUGE = """\
include: shapes-ao
name: huge
splits:
  - {name: train, pairs: seen, images: 1000000000, dependence: 0.3}
  - {name: test_unusual, pairs: unusual, images_per_pair: 1}
"""


def _plan(recipe):
    return plan(recipe, select_pairs(recipe, load_vocab(recipe.vocab), []))


def test_the_lazy_plan_is_the_plan_item_for_item():
    recipe = load("shapes-ao")
    p = _plan(recipe)
    items = list(p)
    assert isinstance(p, Plan) and len(p) == len(items) == 3576
    assert p.split_sizes() == {"train": 3000, "test_seen": 360, "test_unusual": 216}
    assert [p[i] for i in (0, 2999, 3000, 3575, -1)] == [items[0], items[2999], items[3000], items[3575], items[-1]]
    assert p[10:13] == items[10:13] and p[1::1000] == items[1::1000]
    assert len({it.id for it in items}) == len(items)  # ids unique
    for limit in (1, 2, 3, 24, 300, 3575):  # picking positions from the split sizes = picking from the materialised list
        assert limit_plan(p, limit) == limit_plan(items, limit)
    assert limit_plan(p, 10**6) == items


def test_a_billion_image_recipe_with_limit_makes_only_the_limit():
    recipe = validate(_huge_data())
    tracemalloc.start()
    try:
        p = _plan(recipe)
        assert len(p) == 1_000_000_000 + 36  # 36 unusual pairs, one image each
        got = limit_plan(p, 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(got) == 20 and {it.split for it in got} == {"train", "test_unusual"}
    assert peak < 20 * 2**20  # a materialised plan would need ~0.5 TB; the lazy one a few MB


def _huge_data() -> dict:
    from aobench.recipe import load_data

    data, _ = load_data("shapes-ao")
    data["name"] = "huge"
    data["splits"] = [{"name": "train", "pairs": "seen", "images": 1_000_000_000, "dependence": 0.3}, {"name": "test_unusual", "pairs": "unusual", "images_per_pair": 1}]
    return data


def test_limit_20_of_a_billion_builds(tmp_path, capsys):
    (tmp_path / "huge.yaml").write_text(HUGE)
    code, out, err = cli(capsys, "build", tmp_path / "huge.yaml", "--out", tmp_path / "b", "--limit", "20")
    assert code == 0, err
    assert "20/20 images kept" in out


@pytest.mark.parametrize(
    "splits, limit, field",
    [
        ("[{name: train, pairs: seen, images: 5000}]", None, "recipe big: splits.train.images: 5,000 images"),
        ("[{name: a, pairs: seen, images: 600}, {name: b, pairs: seen, images: 600}]", None, "recipe big: splits[*].images (all splits): 1,200 images"),
        ("[{name: test, pairs: seen, images_per_pair: 100}]", None, "recipe big: splits.test.images_per_pair (100 x 120 pairs): 12,000 images"),
        ("[{name: train, pairs: seen, images: 5000}]", 2000, "--limit: 2,000 images"),
    ],
)
def test_sizes_over_the_cap_are_refused_naming_the_field(tmp_path, capsys, monkeypatch, splits, limit, field):
    monkeypatch.setenv("AOBENCH_MAX_IMAGES", "1000")
    (tmp_path / "big.yaml").write_text(f"include: shapes-ao\nname: big\nsplits: {splits}\n")
    code, _, err = cli(capsys, "build", tmp_path / "big.yaml", "--out", tmp_path / "b", *(["--limit", limit] if limit else []))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: {field} are more than this machine can plan (1,000;"), err
    assert not (tmp_path / "b" / "recipe.lock.yaml").exists() and not (tmp_path / "b" / "pairs.jsonl").exists()


def test_under_the_cap_a_limit_builds_a_recipe_larger_than_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AOBENCH_MAX_IMAGES", "1000")
    (tmp_path / "big.yaml").write_text("include: shapes-ao\nname: big\nsplits: [{name: train, pairs: seen, images: 5000}]\n")
    code, out, err = cli(capsys, "build", tmp_path / "big.yaml", "--out", tmp_path / "b", "--limit", "10")
    assert code == 0 and "10/10 images kept" in out, err
