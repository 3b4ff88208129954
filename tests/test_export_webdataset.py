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
    from datasets import load_from_disk

    return load_from_disk(str(build / "hf"))[split].select_columns(["attribute", "object"]).to_list()


@pytest.fixture(scope="module")
def export(shapes_build, tmp_path_factory) -> Path:
    """The small build exported once (png, 100 samples a shard, so train has several shards)."""
    from aobench.dataset.webdataset import export_webdataset

    out = tmp_path_factory.mktemp("export") / "wds"
    export_webdataset(shapes_build, out, shard_size=100)
    return out


def test_layout_and_labels(export, shapes_build):
    files = sorted(str(p.relative_to(export)) for p in export.rglob("*") if p.is_file())
    expected = ["aobench_export.json"]
    for view in ("composition", "object"):
        expected += [f"{view}/classnames.txt", f"{view}/zeroshot_classification_templates.txt"]
        for split, n in SPLITS.items():
            k = -(-n // 100)
            expected += [f"{view}/{split}/nshards.txt"] + [f"{view}/{split}/{i}.tar" for i in range(k)]
            assert (export / view / split / "nshards.txt").read_text().strip() == str(k)
    assert files == sorted(expected)

    for view in ("composition", "object"):
        classes = (export / view / "classnames.txt").read_text().splitlines()
        templates = (export / view / "zeroshot_classification_templates.txt").read_text().splitlines()
        assert classes == sorted(set(classes))
        for t in templates:
            assert "{c}" in t and t.format(c="X")  # only {c}: CLIP_benchmark fills it with str.format(c=...)
        for split in SPLITS:
            rows = _manifest_rows(shapes_build, split)
            names, labels = [], []
            for tar in sorted((export / view / split).glob("*.tar"), key=lambda p: int(p.stem)):
                with tarfile.open(tar) as tf:
                    for m in tf.getmembers():
                        assert m.mtime == 0 and m.uname == ""
                        names.append(m.name)
                        if m.name.endswith(".cls"):
                            labels.append(int(tf.extractfile(m).read()))
            assert names == [f"s{i:07d}.{ext}" for i in range(len(rows)) for ext in ("png", "cls")]
            want = [f"{r['attribute']} {r['object']}" if view == "composition" else r["object"] for r in rows]
            assert [classes[i] for i in labels] == want
    obj_templates = (export / "object" / "zeroshot_classification_templates.txt").read_text().splitlines()
    assert "a picture of {c}" in obj_templates


def test_deterministic_and_webp(shapes_build, export, tmp_path):
    from PIL import Image

    from aobench.dataset.webdataset import export_webdataset

    again = tmp_path / "again"
    export_webdataset(shapes_build, again, shard_size=100)
    for p in export.rglob("*.tar"):
        assert (again / p.relative_to(export)).read_bytes() == p.read_bytes()

    webp = tmp_path / "webp"
    export_webdataset(shapes_build, webp, image_format="webp", views=["object"])
    with tarfile.open(webp / "object" / "test_seen" / "0.tar") as tf, tarfile.open(export / "object" / "test_seen" / "0.tar") as tp:
        a = Image.open(io.BytesIO(tf.extractfile("s0000000.webp").read()))
        b = Image.open(io.BytesIO(tp.extractfile("s0000000.png").read()))
        assert a.convert("RGB").tobytes() == b.convert("RGB").tobytes()  # lossless


@pytest.mark.parametrize("view,split", [("composition", "test_unusual"), ("object", "train")])
def test_clip_benchmark_builder_reads_export(export, view, split):
    """The peer: clip_benchmark's own `build_dataset` with a `wds/` name pointing at the export."""
    from clip_benchmark.datasets.builder import build_dataset

    ds = build_dataset(dataset_name=f"wds/{view}", root=str(export / view), split=split, transform=None)
    assert ds.classes == (export / view / "classnames.txt").read_text().splitlines()
    assert ds.templates == (export / view / "zeroshot_classification_templates.txt").read_text().splitlines()
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
