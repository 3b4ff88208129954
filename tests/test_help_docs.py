"""What the help and the docs say matches the code (issue 20.9): examples in every --help, no stale wording, honest cards."""

from __future__ import annotations

import pytest
import typer

from aobench.cli import app
from conftest import cli


def _commands() -> list[list[str]]:
    """Every command path of the CLI (`build`, `study nmi-sweep`, ...), found from the app itself."""
    out = []

    def walk(cmd, path: list[str]) -> None:
        if hasattr(cmd, "commands"):  # a group (typer's own click: not `import click`'s classes)
            for name, sub in cmd.commands.items():
                walk(sub, path + [name])
        else:
            out.append(path)

    walk(typer.main.get_command(app), [])
    return out


@pytest.fixture(autouse=True)
def _wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # one line per option: phrases are not cut by the table's wrapping


def _help(capsys, *path: str) -> str:
    code, out, err = cli(capsys, *path, "--help")
    assert code == 0, err
    return " ".join(out.replace("│", " ").split())  # the words, without the table's borders


def test_there_are_commands_to_check():
    names = {" ".join(p) for p in _commands()}
    assert {"build", "nmi", "eval", "foils", "export", "report", "push", "extract", "real", "recipes", "study nmi-sweep"} <= names


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p))
def test_every_help_has_an_examples_block_of_real_commands(path, capsys):
    text = _help(capsys, *path)
    assert "Examples:" in text, f"aobench {' '.join(path)} --help has no Examples block"
    after = text.split("Examples:", 1)[1]
    assert f"aobench {' '.join(path)}" in after  # an example of this very command
    assert "%%" not in text


def test_flags_say_what_the_code_does(capsys):
    build = _help(capsys, "build")
    assert "first N images" not in build and "spread over the splits in proportion" in build
    foils = _help(capsys, "foils")
    assert "near 50% per type" in foils and "50%%" not in foils
    nmi = _help(capsys, "nmi")
    assert "--text-column TEXT caption column" in nmi or "caption column of .jsonl" in nmi
    study = _help(capsys, "study", "nmi-sweep")
    assert "auto: default on a CUDA device, else cpu" in study and "17 min on a busy one" in study


def test_study_profile_auto_fits_the_machine():
    import torch

    from aobench.errors import AobenchError
    from aobench.study.profiles import get_profile, machine_profile

    assert machine_profile("auto", "cpu") == "cpu" and machine_profile("quick", "cpu") == "quick"
    assert machine_profile("auto") == ("default" if torch.cuda.is_available() else "cpu")
    with pytest.raises(AobenchError, match="choose one of auto, quick, cpu, default"):
        get_profile("gpu")


def test_verdict_of_two_runs_names_the_reason():
    from aobench.study.results import PRIMARY, verdict
    from aobench.study.stats import spearman_permutation

    two = {PRIMARY: {"runs": {"spearman": spearman_permutation([0.2, 0.45], [0.3, 0.2])}}}
    assert verdict(two) == "Undetermined: Spearman's rho and its permutation p-value are undefined here (2 run(s): a permutation test needs at least 3)."
    one_level = {PRIMARY: {"runs": {"spearman": spearman_permutation([0.3, 0.3, 0.3], [0.1, 0.2, 0.3])}}}
    assert "every run is at one NMI level" in verdict(one_level)


def test_a_tiny_build_card_says_so_and_claims_no_model_licence():
    from huggingface_hub import DatasetCard

    from aobench import recipe
    from aobench.dataset.card import render_card
    from aobench.pairs import select_pairs
    from aobench.vocab import load_vocab

    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 4}, "pairs": {"counts": []}})
    pairs = select_pairs(r, load_vocab(r.vocab))
    real = render_card(r, [], pairs, {"backend": "diffusers"}, {})
    tiny = render_card(r, [], pairs, {"backend": "diffusers"}, {}, tiny=True)
    assert DatasetCard(real).data.to_dict()["license_name"] == "sai-nc-community" and "Smoke build" not in real
    data = DatasetCard(tiny).data.to_dict()
    assert data["license"] == "cc0-1.0" and "license_name" not in data
    assert "**Smoke build (`--tiny`).**" in tiny and "not from `stabilityai/sdxl-turbo`" in tiny and "SDXL-Turbo" not in tiny
    # the load snippet works before any push, and "below" points at a section that is there
    assert 'load_from_disk("DIR/hf")' in real
    assert "summarised under *Corpus evidence* below" in real and "## Corpus evidence" in real
