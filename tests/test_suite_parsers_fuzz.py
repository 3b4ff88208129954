"""Any JSON value or CSV cell in an annotation file of the eight benchmarks: examples or one AobenchError line, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aobench.errors import AobenchError
from aobench.suite import colorswap, crepe, eqben, imagecode, mmvp_vlm, svo_probes, vl_checklist, whatsup

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=12,
)
# values near the published shapes, so the fuzzing reaches past the top-level check
NEAR = {
    "whatsup": st.lists(st.fixed_dictionaries({"image_path": JSON, "caption_options": JSON}) | st.lists(JSON, max_size=4), max_size=3),
    "vl_checklist": st.lists(st.lists(JSON | st.fixed_dictionaries({"POS": JSON, "NEG": JSON}), max_size=3), max_size=3),
    "colorswap": st.lists(st.dictionaries(st.sampled_from(["id", "caption_1", "caption_2", "image_1", "image_2"]), JSON), max_size=3),
    "eqben": st.dictionaries(st.text(max_size=4), st.lists(st.dictionaries(st.sampled_from(["image0", "image1", "caption0", "caption1", "image_0"]), JSON), max_size=2), max_size=2),
    "imagecode": st.dictionaries(st.text(max_size=8), st.dictionaries(st.text(max_size=3), JSON, max_size=3) | JSON, max_size=3),
}  # fmt: skip
JSON_FILES = {
    "whatsup": (whatsup, "coco_qa_one_obj.json", ["COCO_QA_one_obj"]),
    "vl_checklist": (vl_checklist, "data/Relation/vg/spatial.json", ["Relation_spatial_vg"]),
    "colorswap": (colorswap, "test.json", None),
    "eqben": (eqben, "eqbenag.json", ["eqbenag"]),
    "imagecode": (imagecode, "valid_data.json", None),
}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _load(module, rel, subsets, text):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        try:
            exs = module.load_examples(Path(d), subsets)
        except AobenchError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc) or "unknown subset" in str(exc)
            return None
        return exs


@pytest.mark.parametrize("name", sorted(JSON_FILES))
@SETTINGS
@given(data=st.data())
def test_any_json_is_examples_or_one_line(name, data):
    module, rel, subsets = JSON_FILES[name]
    value = data.draw(JSON | NEAR[name])
    exs = _load(module, rel, subsets, json.dumps(value))
    if exs is not None:
        assert all(ex.texts and all(isinstance(t, str) and t.strip() for t in ex.texts) for ex in exs)


@SETTINGS
@given(text=st.text(max_size=40))
def test_any_bytes_as_json_are_one_line(text):
    _load(colorswap, "test.json", None, text)


CELL = st.text(max_size=12) | st.sampled_from(["True", "false", "1", "12.0", "['a', 'b']", "[1]", "", "nan", "1e999"])
CSV_FILES = {
    "svo_probes": (svo_probes, "svo_probes.csv", None, svo_probes.COLUMNS),
    "crepe": (crepe, "prod_hard_negatives/atom/prod_vg_hard_negs_atom_complexity_4.csv", ["atom_complexity_4"],
              ("image_id", "caption", "hard_negs", "x", "y", "width", "height")),
    "mmvp_vlm": (mmvp_vlm, "Questions.csv", None, ("Question ID", "Type", "Statement")),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CSV_FILES))
@SETTINGS
@given(data=st.data())
def test_any_csv_cells_are_examples_or_one_line(name, data):
    module, rel, subsets, columns = CSV_FILES[name]
    rows = data.draw(st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)), max_size=4))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    _load(module, rel, subsets, buf.getvalue())
