"""Custom recipes: paths resolve against the recipe file, include: names built-ins, the recipe search path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from aobench import recipe
from aobench.errors import AobenchError
from conftest import cli

OBJECTS = "objects:\n  - {name: circle, group: round}\n  - {name: star, group: icon}\n"
ATTRIBUTES = "attributes:\n  colour: [red, blue]\n"
CARD = "---\n{{ card_data }}\n---\n\n# {{ pretty_name }} from my own template ({{ splits | length }} splits)\n"
MINE = """\
include: shapes-ao
name: my-shapes
description: My shapes, two of each.
vocab:
  objects: data/objects.yaml
  attributes: data/attributes.yaml
pairs:
  seen_pairs: data/seen.txt
  unusual_fraction: null
card:
  template: card.md
splits:
  - {name: test, pairs: all, images_per_pair: 1}
"""


@pytest.fixture
def recipe_dir(tmp_path, monkeypatch) -> Path:
    """A folder of the user's own recipe and its data files; the working directory is elsewhere."""
    d = tmp_path / "myrecipes"
    (d / "data").mkdir(parents=True)
    (d / "data" / "objects.yaml").write_text(OBJECTS)
    (d / "data" / "attributes.yaml").write_text(ATTRIBUTES)
    (d / "data" / "seen.txt").write_text("red circle\n")
    (d / "card.md").write_text(CARD)
    (d / "my-shapes.yaml").write_text(MINE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv(recipe.RECIPE_PATH_ENV, raising=False)
    return d


def test_paths_resolve_against_the_recipe_file(recipe_dir):
    r = recipe.load(recipe_dir / "my-shapes.yaml")
    assert r.vocab.objects == str(recipe_dir / "data" / "objects.yaml")
    assert r.vocab.attributes == str(recipe_dir / "data" / "attributes.yaml")
    assert r.pairs.seen_pairs == str(recipe_dir / "data" / "seen.txt")
    assert r.card.template == str(recipe_dir / "card.md")
    assert r.generator.backend == "procedural"  # from the built-in it includes
    # built-in names stay names
    base = recipe.load("shapes-ao")
    assert (base.vocab.objects, base.card.template) == ("shapes", "default.md")


def test_relative_path_fields_of_an_included_file_resolve_against_that_file(recipe_dir, tmp_path):
    child = tmp_path / "other" / "child.yaml"
    child.parent.mkdir()
    child.write_text("include: ../myrecipes/my-shapes.yaml\nname: child\n")
    r = recipe.load(child)
    assert r.name == "child" and r.vocab.objects == str(recipe_dir / "data" / "objects.yaml")
    missing = tmp_path / "other" / "bad.yaml"
    missing.write_text("include: nope.yaml\nname: bad\n")
    with pytest.raises(AobenchError, match=r"include: recipe file not found: .*other/nope\.yaml \(included by"):
        recipe.load(missing)


def test_include_names_a_builtin_even_when_cwd_has_that_name(recipe_dir):
    Path("shapes-ao").mkdir()  # a folder named like the built-in, in the working directory
    p = recipe_dir / "inc.yaml"
    p.write_text("include: shapes-ao\nname: inc\n")
    assert recipe.load(p).generator.backend == "procedural"


def test_override_paths_resolve_against_the_working_directory(recipe_dir):
    Path("seen.txt").write_text("blue star\n")
    r = recipe.load(recipe_dir / "my-shapes.yaml", {"pairs": {"seen_pairs": "seen.txt"}})
    assert r.pairs.seen_pairs == str(Path.cwd() / "seen.txt")


def test_search_path_finds_recipes_by_name(recipe_dir, monkeypatch):
    with pytest.raises(AobenchError, match="unknown recipe 'my-shapes'"):
        recipe.load("my-shapes")
    assert recipe.load("my-shapes", search=[recipe_dir]).name == "my-shapes"
    assert "my-shapes" not in recipe.list_recipes()
    monkeypatch.setenv(recipe.RECIPE_PATH_ENV, os.pathsep.join([str(recipe_dir / "none"), str(recipe_dir)]))
    listed = recipe.list_recipes()
    assert listed["my-shapes"] == "My shapes, two of each." and "shapes-ao" in listed
    assert recipe.recipe_sources()["my-shapes"] == recipe_dir / "my-shapes.yaml"
    assert recipe.load("my-shapes").name == "my-shapes"
    # a recipe on the search path can be included by name
    (recipe_dir / "more.yaml").write_text("include: my-shapes\nname: more\n")
    assert recipe.load("more").vocab.objects == str(recipe_dir / "data" / "objects.yaml")


def test_recipes_command_lists_the_users_recipes(recipe_dir, capsys):
    code, out, _ = cli(capsys, "recipes")
    header = next(line for line in out.splitlines() if "recipe" in line and "description" in line)
    assert code == 0 and "shapes-ao" in out and "my-shapes" not in out and "file" not in header  # no file column without user recipes
    code, out, _ = cli(capsys, "recipes", "--recipe-path", recipe_dir)
    assert code == 0
    row = next(line for line in out.splitlines() if "my-shapes" in line)
    assert "My shapes, two of each." in row
    assert str(recipe_dir / "my-shapes.yaml") in "".join(c for c in out if c not in "│ \n")  # wrapped in a narrow terminal
    assert "built-in" in next(line for line in out.splitlines() if "shapes-ao " in line)


def test_build_by_name_from_recipe_path_uses_the_recipes_own_files(recipe_dir, tmp_path, capsys):
    out = tmp_path / "build"
    code, _, err = cli(capsys, "build", "my-shapes", "--recipe-path", recipe_dir, "--out", out)
    assert code == 0, err
    lock = yaml.safe_load((out / "recipe.lock.yaml").read_text())["recipe"]
    assert lock["vocab"]["objects"] == str(recipe_dir / "data" / "objects.yaml")  # absolute: later stages read it anywhere
    rows = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    status = {(r["attribute"], r["object"]): r["status"] for r in rows}  # every candidate is kept, with its evidence
    assert status == {("blue", "circle"): "unusual", ("red", "star"): "unusual", ("blue", "star"): "unusual", ("red", "circle"): "seen"}
    drawn = {(r["attribute"], r["object"]) for r in rows if r["selected"]}
    assert drawn == {("blue", "circle"), ("red", "star"), ("blue", "star")}  # "red circle" is in the seen-pairs file
    assert "from my own template (1 splits)" in (out / "README.md").read_text()
