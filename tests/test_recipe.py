"""Recipes: built-ins load, include: merges, errors name file:line and dotted field paths."""

from pathlib import Path

import pytest
import yaml

from aobench import recipe
from aobench.errors import AobenchError


def test_builtin_recipes_listed_and_valid():
    names = recipe.list_recipes()
    assert {"imagenet-ao", "imagenet-ao-v1", "shapes-ao"} <= set(names)
    for name in names:
        r = recipe.load(name)
        assert r.name == name
        assert names[name]  # every built-in has a one-line description


def test_imagenet_ao_defaults_come_from_the_recipe():
    r = recipe.load("imagenet-ao")
    assert r.generator.model == "stabilityai/sdxl-turbo"
    assert (r.generator.steps, r.generator.guidance_scale) == (1, 0.0)
    v1 = recipe.load("imagenet-ao-v1")
    # include: keeps the base's generator, overrides prompts and attributes
    assert v1.generator.model == r.generator.model
    assert v1.prompts == ["{a} {attribute} {object}"]
    assert v1.vocab.attributes == "v1"


def test_lock_records_every_default_and_version(tmp_path):
    r = recipe.load("shapes-ao")
    doc = yaml.safe_load(recipe.lock_text(r, {"limit": None, "tiny": False}))
    assert doc["aobench_version"]
    assert doc["recipe"]["filters"]["clip_score"]["model"] == "ViT-B-32"  # a default not in the YAML
    assert recipe.validate(doc["recipe"]).fingerprint() == r.fingerprint() == doc["fingerprint"]


def test_batch_size_does_not_change_fingerprint():
    a = recipe.load("imagenet-ao")
    b = recipe.load("imagenet-ao", {"generator": {"batch_size": 1}})
    c = recipe.load("imagenet-ao", {"seed": 1})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_unknown_name_lists_builtins():
    with pytest.raises(AobenchError, match=r"unknown recipe 'imagenet-a0'.*imagenet-ao.*shapes-ao"):
        recipe.load("imagenet-a0")


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nvocab:\n  objects: [a, b\n  attributes: vaw\n")
    with pytest.raises(AobenchError, match=r"YAML syntax error: .*bad\.yaml:\d+:\d+"):
        recipe.load(p)


def test_unknown_field_names_dotted_path_and_allowed(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: x\ngenerator:\n  stepz: 3\n")
    with pytest.raises(AobenchError) as exc:
        recipe.load(p)
    msg = str(exc.value)
    assert "generator.stepz" in msg and "unknown field" in msg and "steps" in msg and str(p) in msg


def test_invalid_value_names_allowed_values(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: x\ngenerator:\n  dtype: float8\n")
    with pytest.raises(AobenchError, match=r"generator\.dtype.*float8.*'float32', 'float16' or 'bfloat16'"):
        recipe.load(p)
    p.write_text("name: x\ngenerator:\n  backend: dalle\n")
    with pytest.raises(AobenchError, match=r"generator\.backend: unknown backend 'dalle'; allowed: diffusers, procedural"):
        recipe.load(p)


def test_split_needs_exactly_one_count(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: x\nsplits:\n  - {name: test, images: 3, images_per_pair: 2}\n")
    with pytest.raises(AobenchError, match=r"splits\.0: .*exactly one of images_per_pair or images"):
        recipe.load(p)


def test_template_with_unknown_field_rejected(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: x\nprompts: ['a {colour} {object}']\n")
    with pytest.raises(AobenchError, match=r"prompts: .*unknown field"):
        recipe.load(p)


def test_recipes_ship_inside_the_package():
    assert (recipe.builtin_dir() / "shapes-ao.yaml").exists()
    assert Path(recipe.builtin_dir()).parent.name == "aobench"
