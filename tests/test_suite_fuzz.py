"""Fuzzing the annotation readers: any JSON value in a benchmark's file is a counted skip or a one-line error, never a crash."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aobench.errors import AobenchError
from aobench.suite import aro, sugarcrepe, sugarcrepe_pp, valse, winoground
from aobench.suite.schema import SCHEMAS, Example

scalars = st.none() | st.booleans() | st.integers(-3, 30) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


def _row(fields: dict):
    """A row with the right keys, each value either plausible or any JSON value, some keys dropped."""
    return st.fixed_dictionaries({}, optional={k: st.one_of(v, values) for k, v in fields.items()})


WORD = st.text(alphabet="abc xyz", min_size=1, max_size=12)
NUM = st.integers(0, 60)
SC_ROW = _row({"filename": WORD, "caption": WORD, "negative_caption": WORD})
SCPP_ROW = _row({"id": st.integers(0, 5), "filename": WORD, "caption": WORD, "caption2": WORD, "negative_caption": WORD})
VALSE_ROW = _row({"dataset": st.sampled_from(list(valse.SOURCES) + ["other"]), "image_file": WORD, "caption": WORD, "foil": WORD,
                  "mturk": st.fixed_dictionaries({}, optional={"caption": st.one_of(st.integers(0, 3), values)})})  # fmt: skip
WINO_ROW = _row({"id": st.integers(0, 5), "caption_0": WORD, "caption_1": WORD, "image_0": WORD, "image_1": WORD,
                 "collapsed_tag": st.sampled_from(winoground.SUBSETS + ("Other",))})  # fmt: skip
VG_ROW = _row({"image_path": WORD, "true_caption": WORD, "false_caption": WORD, "relation_name": WORD, "bbox_x": NUM, "bbox_y": NUM,
               "bbox_w": NUM, "bbox_h": NUM, "attributes": st.lists(WORD, min_size=2, max_size=2)})  # fmt: skip
ORDER_ROW = _row({"image": WORD, "caption": st.lists(WORD, max_size=2) | WORD})


def _check(load, folder: Path, **kw) -> None:
    skipped: list = []
    try:
        examples = load(folder, skipped=skipped, **kw)
    except AobenchError as exc:
        assert "\n" not in str(exc) and str(folder) in str(exc)
        return
    for ex in examples:
        assert isinstance(ex, Example) and ex.schema in SCHEMAS and isinstance(ex.id, str)
        assert all(isinstance(t, str) and t.strip() for t in ex.texts) and ex.images
        assert all(isinstance(r.file, str) and r.file for r in ex.images)
    for where, why in skipped:
        assert isinstance(where, str) and isinstance(why, str) and "\n" not in why


def _write(folder: Path, file: str, doc) -> None:
    path = folder / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(doc=values | st.dictionaries(st.text(max_size=4), SC_ROW | values, max_size=4))
def test_sugarcrepe_reader(doc):
    with tempfile.TemporaryDirectory() as d:
        _write(Path(d), "data/swap_obj.json", doc)
        _check(sugarcrepe.load_examples, Path(d), subsets=["swap_obj"])


@FUZZ
@given(doc=values | st.lists(SCPP_ROW | values, max_size=4))
def test_sugarcrepe_pp_reader(doc):
    with tempfile.TemporaryDirectory() as d:
        _write(Path(d), "data/swap_obj.json", doc)
        _check(sugarcrepe_pp.load_examples, Path(d), subsets=["swap_obj"])


@FUZZ
@given(doc=values | st.dictionaries(st.text(max_size=4), VALSE_ROW | values, max_size=4))
def test_valse_reader(doc):
    with tempfile.TemporaryDirectory() as d:
        _write(Path(d), "data/existence.json", doc)
        _check(valse.load_examples, Path(d), subsets=["existence"])


@FUZZ
@given(lines=st.lists(WINO_ROW | values, max_size=5), junk=st.booleans())
def test_winoground_reader(lines, junk):
    with tempfile.TemporaryDirectory() as d:
        text = "".join(json.dumps(v) + "\n" for v in lines) + ("{not json\n" if junk else "")
        _write(Path(d), "examples.jsonl", text)
        _check(winoground.load_examples, Path(d))


@FUZZ
@given(doc=values | st.lists(VG_ROW | values, max_size=4), subset=st.sampled_from(["VG_Relation", "VG_Attribution"]))
def test_aro_vg_reader(doc, subset):
    with tempfile.TemporaryDirectory() as d:
        _write(Path(d), aro.FILES[subset], doc)
        _check(aro.load_examples, Path(d), subsets=[subset])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=values | st.lists(ORDER_ROW | values, max_size=3))
def test_aro_order_reader(doc):
    with tempfile.TemporaryDirectory() as d:
        _write(Path(d), aro.FILES["COCO_Order"], doc)
        _check(aro.load_examples, Path(d), subsets=["COCO_Order"])


@pytest.mark.parametrize("text", ["", "[1, 2", "\xff\xfe", '{"a": 1, "a": 2}'])
def test_unreadable_files_are_one_line(tmp_path, text):
    path = tmp_path / "data" / "swap_obj.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(AobenchError) as err:
        sugarcrepe.load_examples(tmp_path, ["swap_obj"])
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_image_names_never_leave_the_images_folder(tmp_path):
    from aobench.suite.data import ImageRoots, locate
    from aobench.suite.schema import ImageRef

    (tmp_path / "imgs").mkdir()
    (tmp_path / "secret.jpg").write_bytes(b"x")
    (tmp_path / "imgs" / "ok.jpg").write_bytes(b"x")
    assert locate(tmp_path / "imgs", "../secret.jpg") is None and locate(tmp_path / "imgs", str(tmp_path / "secret.jpg")) is None
    assert ImageRoots(default=tmp_path / "imgs").resolve(ImageRef("s", "sub/ok.jpg")) == tmp_path / "imgs" / "ok.jpg"
