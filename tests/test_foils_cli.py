"""`aobench foils` end to end: exit codes of user errors, skipped captions reported, FOILS.audit.json, --balance."""

from __future__ import annotations

import json

import pytest

from conftest import cli, run_cli

RECIPE = "include: shapes-ao\nname: shapes-vocab\n"
CAPTIONS = [
    "a red circle next to a blue square",
    "a striped star above a small green heart",
    "two yellow triangles",
    "a photo of nothing in particular",
    "the diamond is purple",
    "",
    "an orange ring beside a dotted arrow",
]


def write_inputs(tmp_path):
    recipe = tmp_path / "vocab.yaml"
    recipe.write_text(RECIPE)
    caps = tmp_path / "caps.txt"
    caps.write_text("\n".join(CAPTIONS) + "\n")
    return recipe, caps


# bad input through the CLI app in this process (the end-to-end runs below are fresh interpreters)
def test_unknown_type_lists_the_valid_ones(tmp_path, capsys):
    recipe, caps = write_inputs(tmp_path)
    code, _, err = cli(capsys, "foils", caps, "--out", tmp_path / "f.jsonl", "--types", "swap_att,recolour", "--vocab", recipe)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "unknown foil type 'recolour'" in lines[0] and "replace_att, replace_obj, swap_att, swap_obj, add_att, negate" in lines[0]
    assert not (tmp_path / "f.jsonl").exists()


def test_missing_input_and_no_pairs_exit_2(tmp_path, capsys):
    recipe, _ = write_inputs(tmp_path)
    code, _, err = cli(capsys, "foils", tmp_path / "nope.txt", "--out", tmp_path / "f.jsonl", "--vocab", recipe)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not found" in err
    empty = tmp_path / "none.txt"
    empty.write_text("a photo\nsome text without pairs\n")
    code, _, err = cli(capsys, "foils", empty, "--out", tmp_path / "f.jsonl", "--vocab", recipe, "--no-audit")
    assert code == 2 and "no caption has an attribute–object pair" in err and "'a photo'" in err


@pytest.mark.slow
def test_captions_file_foils_audit_and_balance(tmp_path):
    recipe, caps = write_inputs(tmp_path)
    out = tmp_path / "out" / "foils.jsonl"
    r = run_cli("foils", caps, "--out", out, "--vocab", recipe, "--seed", "3", "--balance", "--tolerance", "0.2")
    assert r.returncode == 0, r.stderr
    assert "skipped 1 captions with no attribute-object pair, e.g. 'a photo of nothing in particular'" in r.stdout
    assert "blind text-only scorers" in r.stdout and "balance: dropped" in r.stdout
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert rows and all(list(x)[:5] == ["id", "caption", "foil", "type", "bow_identical"] for x in rows)
    assert all(x["foil"] != x["caption"] for x in rows)
    swaps = [x for x in rows if x["type"] == "swap_att"]
    assert all(x["bow_identical"] for x in swaps)
    audit = json.loads((out.parent / "foils.audit.json").read_text())
    assert audit["counts_source"] == "the input's own captions"
    assert audit["n_foils"] >= len(rows) and audit["balance"]["n_dropped"] == audit["n_foils"] - len(rows)
    assert audit["scorers"]["embedding"].startswith("mean cosine similarity (all-MiniLM-L6-v2)")
    for typ, entry in audit["types"].items():
        assert 0.0 <= entry["embedding"]["acc"] <= 1.0 and 0.0 <= entry["pmi"]["acc"] <= 1.0


def test_build_dir_ids_are_dataset_row_ids(shapes_build, tmp_path):
    out = tmp_path / "foils.jsonl"
    r = run_cli("foils", shapes_build, "--out", out, "--no-audit", "--types", "replace_att", "--types", "replace_obj", "--split", "test_unusual")
    assert r.returncode == 0, r.stderr
    ids = {json.loads(x)["id"] for x in (shapes_build / "manifest.jsonl").read_text().splitlines() if json.loads(x)["split"] == "test_unusual"}
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert {x["id"] for x in rows} == ids
    assert {x["type"] for x in rows} == {"replace_att", "replace_obj"}
    # same seed, same file
    r2 = run_cli("foils", shapes_build, "--out", tmp_path / "again.jsonl", "--no-audit", "--types", "replace_att,replace_obj", "--split", "test_unusual")
    assert r2.returncode == 0 and (tmp_path / "again.jsonl").read_text() == out.read_text()
