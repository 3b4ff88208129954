"""`aobench eval` end to end on the eight benchmarks of tiny fixture annotations and placeholder images, checked
against a plain open_clip loop (one forward per image and caption, as the authors' scripts) on the same tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import cli, run_cli

from aobench.suite import colorswap, crepe, eqben, imagecode, mmvp_vlm, svo_probes, vl_checklist, whatsup
from aobench.suite.data import ImageRoots
from aobench.suite.schema import GROUP, IMAGE_TEXTS, score_example

MODULES = {m.SPEC.name: m for m in (svo_probes, whatsup, crepe, vl_checklist, colorswap, mmvp_vlm, eqben, imagecode)}
RESULT = "{}_random_aobench-tiny_en_image_caption_selection"


@pytest.fixture(scope="module")
def eight_runs(tmp_path_factory):
    """One `aobench eval` of all eight (one folder per benchmark under --annotations, one image folder for every source)."""
    from fixtures import published_annotations as pa

    root = tmp_path_factory.mktemp("eight")
    ann, images = root / "annotations", root / "images"
    for name, mod in MODULES.items():
        folder = ann / name
        pa.vl_checklist(folder, vl_checklist.CORPUS) if name == "vl_checklist" else getattr(pa, name)(folder)
        pa.write_placeholders(mod.load_examples(folder), images)
    res = run_cli("eval", ",".join(MODULES), "--annotations", ann, "--images", images, "--model", "tiny", "--out", root / "r")
    assert res.returncode == 0, res.stderr
    return root


def _plain_loop(module, examples, images: Path) -> list[np.ndarray]:
    """S[image, text] per example, one image and one text at a time (the authors' loops), no aobench embedding code."""
    import torch
    from PIL import Image

    from aobench.clipzoo import create_open_clip

    model, preprocess, tokenizer = create_open_clip("tiny")
    out = []
    with torch.inference_mode():
        for ex in examples:
            ims = []
            for ref in ex.images:
                path = images / ref.file
                if path.suffix == ".npy":
                    im = Image.fromarray(np.load(path)[:, :, [2, 1, 0]], "RGB")  # EqBen's process_img_npy
                else:
                    im = Image.open(path).convert("RGB")
                if ref.box is not None:
                    x, y, w, h = ref.box
                    im = im.crop((x, y, x + w, y + h))
                f = model.encode_image(preprocess(im)[None]).float()
                ims.append(f / f.norm(dim=-1, keepdim=True))
            txs = []
            for t in ex.texts:
                f = model.encode_text(tokenizer([t])).float()
                txs.append(f / f.norm(dim=-1, keepdim=True))
            out.append((torch.cat(ims) @ torch.cat(txs).T).numpy())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODULES))
def test_eval_equals_a_plain_open_clip_loop(eight_runs, name):
    module = MODULES[name]
    result = json.loads((eight_runs / "r" / (RESULT.format(name) + ".json")).read_text())
    rows = [json.loads(line) for line in (eight_runs / "r" / "examples" / (RESULT.format(name) + ".jsonl")).read_text().splitlines()]
    examples = module.load_examples(eight_runs / "annotations" / name)
    if hasattr(module, "resolve_images"):
        examples = module.resolve_images(examples, ImageRoots(default=eight_runs / "images"))
    assert [(r["id"], r["subset"]) for r in rows] == [(ex.id, ex.subset) for ex in examples]
    plain = _plain_loop(module, examples, eight_runs / "images")
    for row, ex, s in zip(rows, examples, plain):
        assert np.allclose(row["scores"], s, atol=1e-5), (ex.subset, ex.id)
        want = score_example(ex, s)
        assert row["correct"] == (want["group"] if ex.schema == GROUP else want["correct"])
    metrics = result["metrics"]
    headline = "group" if module.SPEC.schema == GROUP else "acc"
    for subset in module.SPEC.subsets:
        got = [r["correct"] for r in rows if r["subset"] == subset]
        assert metrics[subset]["n"] == len(got) and metrics[subset][headline] == pytest.approx(np.mean(got))
    assert result["dataset"] == name and "acc" in metrics and "acc_stderr" in metrics
    assert metrics["n_missing_examples"] == 0


# the eight_runs fixture runs `aobench eval` on benchmarks in a fresh interpreter; these two go through the CLI app in this process
@pytest.mark.slow
def test_eval_imagecode_missing_set_is_one_line_then_skip_missing(tmp_path, published_annotations, capsys):
    from fixtures.published_annotations import write_placeholders

    ann = published_annotations("imagecode")
    images = write_placeholders(imagecode.load_examples(ann), tmp_path / "img")
    for f in (images / "YouCook-video2-shot3_1").iterdir():
        f.unlink()
    code, _, err = cli(capsys, "eval", "imagecode", "--annotations", ann, "--images", images, "--model", "tiny", "--out", tmp_path / "r")
    errors = [line for line in err.splitlines() if line.startswith("error")]  # beside the fixture's sha256 warning
    assert code == 2 and len(errors) == 1
    assert "imagecode: 10 of 30 imagecode images missing" in errors[0] and "zenodo" in errors[0]
    code, _, err = cli(capsys, "eval", "imagecode", "--annotations", ann, "--images", images, "--model", "tiny", "--out", tmp_path / "r", "--skip-missing")
    assert code == 0, err
    metrics = json.loads((tmp_path / "r" / (RESULT.format("imagecode") + ".json")).read_text())["metrics"]
    assert metrics["n_examples"] == 3 and metrics["n_missing_examples"] == 2


@pytest.mark.slow
def test_eval_vl_checklist_keeps_the_first_1000_rows_with_an_image(tmp_path, published_annotations, capsys):
    ann = published_annotations("vl_checklist")
    rel = vl_checklist.CORPUS["Relation_spatial_vg"][2]
    rows = [[f"VG_100K/{'gone' if i in (3, 7) else 'shared'}.jpg", {"POS": [f"a cup left of a plate {i}"], "NEG": [f"a cup right of a plate {i}"]}]
            for i in range(1005)]  # fmt: skip
    (ann / rel).write_text(json.dumps(rows))
    images = tmp_path / "img"
    (images / "VG_100K").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (32, 32), (200, 10, 10)).save(images / "VG_100K" / "shared.jpg")
    args = ["eval", "vl_checklist/Relation_spatial_vg", "--annotations", ann, "--images", images, "--model", "tiny", "--out", tmp_path / "r"]
    code, _, err = cli(capsys, *args)
    assert code == 2 and "1 of 2 vg images missing" in err  # one distinct file, rows 3 and 7
    code, _, err = cli(capsys, *args, "--skip-missing")
    assert code == 0, err
    out = list((tmp_path / "r").glob("vl_checklist*.json"))
    assert len(out) == 1, out
    metrics = json.loads(out[0].read_text())["metrics"]
    assert metrics["Relation_spatial_vg"]["n"] == 1000  # rows 0..1001 less the two without an image, as the authors' loader + MAX_NUM
    assert metrics["n_missing_examples"] == 2
    ids = [json.loads(line)["id"] for line in (tmp_path / "r" / "examples" / (out[0].stem + ".jsonl")).read_text().splitlines()]
    assert ids[:4] == ["0", "1", "2", "4"] and ids[-1] == "1001"


def _known_run(name, fx, model, tmp_path, data):
    from aobench.evaluate import evaluate
    from aobench.evaluate.results import flat_metrics

    run = evaluate(data, model, tmp_path / "out", annotations=fx.annotations, images=[str(fx.images)], cache_dir=None, progress=False)
    assert not run.failures, run.failures
    (result,) = run.results
    rows = [json.loads(line) for line in open(tmp_path / "out" / "examples" / (run.paths[0].stem + ".jsonl"))]
    m = flat_metrics(result["metrics"])
    assert not [k for k in m if k.endswith("_chance")], name  # chance is `<subset>/chance/<metric>`, as aobench's eval tasks write it
    return m, {(r["subset"], r["id"]): r for r in rows}


def test_imagecode_known_answers_ties_and_frame_order(known_three, tmp_path):
    fixtures, model = known_three
    fx = fixtures["imagecode"]
    m, rows = _known_run("imagecode", fx, model, tmp_path, "imagecode")
    assert {k: r["correct"] for k, r in rows.items()} == fx.expected  # the tied target wins only as the earlier image
    assert m["static/acc"] == 0.5 and m["videos/acc"] == 0.5 and m["acc"] == 0.5 and m["static/chance/acc"] == pytest.approx(0.1)


def test_crepe_known_ranks_crops_and_vg_100k_2(known_three, tmp_path):
    fixtures, model = known_three
    fx = fixtures["crepe"]
    m, rows = _known_run("crepe", fx, model, tmp_path, "crepe/atom_complexity_4")
    assert {k: r["outcomes"]["rank"] for k, r in rows.items()} == fx.expected
    assert m["atom_complexity_4/acc"] == pytest.approx(1 / 3) and m["atom_complexity_4/r@3"] == pytest.approx(2 / 3)
    assert m["atom_complexity_4/r@5"] == 1.0 and m["atom_complexity_4/mean_rank"] == pytest.approx(1 + 6 / 3)
    assert m["atom_complexity_4/median_rank"] == 3.0 and m["n_missing_examples"] == 0
    assert "acc" not in m  # one CREPE file is not the benchmark: no headline


def test_whatsup_known_answers_first_option_tie_and_pairs(known_three, tmp_path):
    fixtures, model = known_three
    fx = fixtures["whatsup"]
    m, rows = _known_run("whatsup", fx, model, tmp_path, "whatsup/Controlled_Images_A")
    assert {k: r["correct"] for k, r in rows.items()} == fx.expected
    assert m["Controlled_Images_A/acc"] == 0.75 and m["Controlled_Images_A/chance/acc"] == 0.25
    assert m["Controlled_Images_A/pair_acc"] == 0.5 and m["Controlled_Images_A/set_acc"] == 0.0
