"""`aobench export --format webdataset`: the CLIP_benchmark layout, checked with clip_benchmark's own dataset builder."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from conftest import cli

SPLITS = {"train": 240, "test_seen": 120, "test_unusual": 72}


def _manifest_rows(build: Path, split: str) -> list[dict]:
    """The kept rows of a split, in dataset order, from manifest.jsonl (names, independent of the hf/ encoding)."""
    from aobench.io import read_jsonl

    return [r for r in read_jsonl(build / "manifest.jsonl") if r["split"] == split and r["filters"] == "kept"]


@pytest.fixture(scope="module")
def export(shapes_build, tmp_path_factory) -> Path:
    """The small build exported once (png, 100 samples a shard, so train has several shards)."""
    from aobench.dataset.webdataset import export_webdataset

    out = tmp_path_factory.mktemp("export") / "wds"
    export_webdataset(shapes_build, out, shard_size=100)
    return out


def _read_tars(split_dir: Path) -> tuple[list[str], list[int]]:
    names, labels = [], []
    for tar in sorted(split_dir.glob("*.tar"), key=lambda p: int(p.stem)):
        with tarfile.open(tar) as tf:
            for m in tf.getmembers():
                assert m.mtime == 0 and m.uname == ""
                names.append(m.name)
                if m.name.endswith(".cls"):
                    labels.append(int(tf.extractfile(m).read()))
    return names, labels


def _eval_prompt(template: str, attribute: str, obj: str) -> str:
    """What `aobench eval` sends to the text encoder for a recipe template and class."""
    from aobench.prompts import render

    return render(template, attribute, obj)


def test_layout_and_labels(export, shapes_build):
    """Default `classes=split`: one CLIP_benchmark root per view and split, holding that split's classes only."""
    import yaml

    files = sorted(str(p.relative_to(export)) for p in export.rglob("*") if p.is_file())
    expected = ["aobench_export.json"]
    for view in ("composition", "object"):
        for split, n in SPLITS.items():
            k = -(-n // 100)
            expected += [f"{view}/{split}/classnames.txt", f"{view}/{split}/zeroshot_classification_templates.txt", f"{view}/{split}/{split}/nshards.txt"]
            expected += [f"{view}/{split}/{split}/{i}.tar" for i in range(k)]
            assert (export / view / split / split / "nshards.txt").read_text().strip() == str(k)
    assert files == sorted(expected)

    prompts = yaml.safe_load((shapes_build / "recipe.lock.yaml").read_text())["recipe"]["prompts"]
    for view in ("composition", "object"):
        for split in SPLITS:
            root = export / view / split
            classes = (root / "classnames.txt").read_text().splitlines()
            templates = (root / "zeroshot_classification_templates.txt").read_text().splitlines()
            rows = _manifest_rows(shapes_build, split)
            keys = sorted({(r["attribute"], r["object"]) if view == "composition" else ("", r["object"]) for r in rows})
            assert len(classes) == len(keys) == len(set(classes))  # aobench eval's classes for this split, in its order
            assert len(templates) == len(prompts)
            for t in templates:
                assert "{c}" in t and t.format(c="X")  # only {c}: CLIP_benchmark fills it with str.format(c=...)
            for (a, o), name in zip(keys, classes):
                # the rendered prompts are aobench's, article included ("a picture of an orange arrow")
                assert [t.format(c=name) for t in templates] == [_eval_prompt(p, a, o) for p in prompts]
            names, labels = _read_tars(root / split)
            assert names == [f"s{i:07d}.{ext}" for i in range(len(rows)) for ext in ("png", "cls")]
            row_keys = [(r["attribute"], r["object"]) if view == "composition" else ("", r["object"]) for r in rows]
            assert [keys[i] for i in labels] == row_keys
    comp = (export / "composition" / "test_unusual" / "classnames.txt").read_text().splitlines()
    assert len(comp) == 36 and all(c.startswith(("a ", "an ")) for c in comp)
    assert "a picture of {c}" in (export / "object" / "test_seen" / "zeroshot_classification_templates.txt").read_text().splitlines()
    assert json.loads((export / "aobench_export.json").read_text())["exact"] is True


def test_classes_all_one_list_per_view(shapes_build, tmp_path):
    from aobench.dataset.webdataset import export_webdataset

    out = tmp_path / "all"
    res = export_webdataset(shapes_build, out, classes="all", views=["composition"])
    classes = (out / "composition" / "classnames.txt").read_text().splitlines()
    assert len(classes) == 156 and res.views["composition"]["classes"] == 156
    for split, n in SPLITS.items():
        assert (out / "composition" / split / "nshards.txt").read_text().strip() == "1"
        names, labels = _read_tars(out / "composition" / split)
        assert len(labels) == n and res.views["composition"]["splits"][split]["root"] == "composition"


def test_templates_that_cannot_be_exact_are_named():
    from aobench.dataset.webdataset import class_templates

    classes = [("orange", "arrow"), ("blue", "arrow")]
    prompts = ["a photo of {a} {attribute} {object}", "{a} {object} that is {attribute}", "{a} picture of the {attribute} {object}"]
    names, templates, notes = class_templates(prompts, "composition", classes, {})
    assert names == ["an orange arrow", "a blue arrow"]
    assert templates == ["a photo of {c}"]  # "{a} picture of the {attribute} {object}" needs the bare name: one naming only
    assert len(notes) == 1 and "2 of 3" in notes[0] and "{a} {object} that is {attribute}" in notes[0] and "{a} picture of the" in notes[0]
    names, templates, notes = class_templates(["{a} picture of the {attribute} {object}"], "composition", classes, {})
    assert names == ["orange arrow", "blue arrow"] and templates == ["a picture of the {c}"] and not notes


def test_deterministic_and_webp(shapes_build, export, tmp_path):
    from PIL import Image

    from aobench.dataset.webdataset import export_webdataset

    again = tmp_path / "again"
    export_webdataset(shapes_build, again, shard_size=100)
    for p in export.rglob("*.tar"):
        assert (again / p.relative_to(export)).read_bytes() == p.read_bytes()

    webp = tmp_path / "webp"
    export_webdataset(shapes_build, webp, image_format="webp", views=["object"])
    with tarfile.open(webp / "object" / "test_seen" / "test_seen" / "0.tar") as tf, tarfile.open(export / "object" / "test_seen" / "test_seen" / "0.tar") as tp:
        a = Image.open(io.BytesIO(tf.extractfile("s0000000.webp").read()))
        b = Image.open(io.BytesIO(tp.extractfile("s0000000.png").read()))
        assert a.convert("RGB").tobytes() == b.convert("RGB").tobytes()  # lossless


@pytest.mark.parametrize("view,split", [("composition", "test_unusual"), ("object", "train")])
def test_clip_benchmark_builder_reads_export(export, view, split):
    """The peer: clip_benchmark's own `build_dataset` with a `wds/` name pointing at the export."""
    from clip_benchmark.datasets.builder import build_dataset

    root = export / view / split
    ds = build_dataset(dataset_name=f"wds/{view}", root=str(root), split=split, transform=None)
    assert ds.classes == (root / "classnames.txt").read_text().splitlines()
    assert ds.templates == (root / "zeroshot_classification_templates.txt").read_text().splitlines()
    samples = list(ds)
    assert len(samples) == SPLITS[split]
    image, label = samples[0]
    assert image.size == (64, 64) and 0 <= int(label) < len(ds.classes)


def test_cli_export_and_bad_input(shapes_build, tmp_path, capsys):
    out = tmp_path / "wds"
    code, text, err = cli(capsys, "export", shapes_build, "--format", "webdataset", "--out", out)
    assert code == 0, err
    assert "clip_benchmark eval --dataset wds/composition" in text
    marker = json.loads((out / "aobench_export.json").read_text())
    assert marker["views"]["object"]["splits"]["test_unusual"]["samples"] == 72
    assert cli(capsys, "export", shapes_build, "--format", "webdataset", "--out", out)[0] == 0  # rerun replaces its own export

    code, _, err = cli(capsys, "export", shapes_build, "--format", "tfrecord", "--out", out)
    assert code == 2 and "webdataset" in err
    code, _, err = cli(capsys, "export", shapes_build, "--format", "webdataset", "--out", out, "--image-format", "gif")
    assert code == 2 and len(err.strip().splitlines()) == 1
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    code, _, err = cli(capsys, "export", shapes_build, "--format", "webdataset", "--out", foreign)
    assert code == 2 and "not an aobench export" in err and (foreign / "keep.txt").exists()
    code, _, err = cli(capsys, "export", tmp_path / "nope", "--format", "webdataset", "--out", tmp_path / "x")
    assert code == 2 and "not a directory" in err
