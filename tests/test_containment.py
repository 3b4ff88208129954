"""A build's files stay inside it (issue 20.1): every reader refuses a `file` or an hf/ image path that leaves the build.

Each case edits a copy of a finished build the way a hostile or careless manifest would (an absolute path, `../`,
a symlink out of the dir) and runs the reader through the CLI: one `error:` line naming the row, exit 2, and
nothing written from the outside file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from aobench.artifacts import BuildDir, contained
from aobench.errors import AobenchError
from conftest import cli


@pytest.fixture
def secret(tmp_path) -> Path:
    """An image outside the build (large, so the report would make a thumbnail of it)."""
    path = tmp_path / "outside" / "secret.png"
    path.parent.mkdir()
    Image.new("RGB", (800, 600), "red").save(path)
    return path


def _set_file(build: Path, row: int, value: str) -> str:
    rows = [json.loads(line) for line in (build / "manifest.jsonl").read_text().splitlines()]
    rows[row]["file"] = value
    (build / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows[row]["id"]


def _one_line(code: int, err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, (code, err)
    return lines[0]


def test_the_rule_on_known_paths(tmp_path):
    root = tmp_path / "b"
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(b"x")
    (tmp_path / "out.png").write_bytes(b"x")
    assert contained(root, "images/a.png", "w") == root / "images" / "a.png"
    assert contained(root, "images/missing.png", "w") == root / "images" / "missing.png"  # missing is the reader's business
    (root / "images" / "inner.png").symlink_to(root / "images" / "a.png")  # a link that stays inside is fine
    assert contained(root, "images/inner.png", "w") == root / "images" / "inner.png"
    (root / "images" / "outer.png").symlink_to(tmp_path / "out.png")
    (root / "linked").symlink_to(tmp_path)
    cases = {
        str(tmp_path / "out.png"): "is an absolute path",
        "../out.png": "leaves the build dir (`..`)",
        "images/../../out.png": "leaves the build dir (`..`)",
        "images/outer.png": f"leaves the build dir through a symlink (to {tmp_path / 'out.png'})",
        "linked/out.png": f"leaves the build dir through a symlink (to {tmp_path / 'out.png'})",
        "": "is not a relative file path",
        "a\\..\\..\\x": "is not a relative file path",
    }
    for rel, why in cases.items():
        with pytest.raises(AobenchError) as e:
            contained(root, rel, "manifest.jsonl row 7 (id 'x')")
        assert str(e.value).startswith(f"manifest.jsonl row 7 (id 'x'): file {rel!r} {why}"), str(e.value)
    with pytest.raises(AobenchError, match="not a relative file path"):
        contained(root, 12, "w")


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_report_refuses_a_row_outside_the_build_and_thumbnails_nothing(build_copy, secret, how, capsys):
    row = 3
    if how == "absolute":
        ident = _set_file(build_copy, row, str(secret))
    elif how == "dotdot":
        ident = _set_file(build_copy, row, "../outside/secret.png")
    else:
        rows = BuildDir(build_copy).manifest()
        ident, target = rows[row]["id"], build_copy / rows[row]["file"]
        target.unlink()
        target.symlink_to(secret)
    code, out, err = cli(capsys, "report", build_copy)
    line = _one_line(code, err)
    assert f"row {row + 1} (id {ident!r})" in line and "secret.png" in line, line
    assert not (build_copy / "report").exists()  # refused before any thumbnail or page is written


@pytest.mark.parametrize("command", ["foils", "report"])
def test_every_manifest_reader_goes_through_the_rule(build_copy, secret, command, tmp_path, capsys):
    _set_file(build_copy, 0, str(secret))
    args = {"foils": ["foils", build_copy, "--out", tmp_path / "f.jsonl", "--no-audit"], "report": ["report", build_copy]}[command]
    code, _, err = cli(capsys, *args)
    assert "is an absolute path" in _one_line(code, err)
    assert not (tmp_path / "f.jsonl").exists()


def _hf_with_outside_path(build: Path, path: str) -> None:
    """Rewrite hf/test_seen's Arrow file so row 2's image names `path` instead of embedding bytes.

    `save_to_disk` embeds every local file it is given, so a path-only image can only come from an Arrow file
    written by hand: this writes one as pyarrow would.
    """
    import pyarrow as pa

    (arrow,) = (build / "hf" / "test_seen").glob("*.arrow")
    reader = pa.ipc.open_stream(arrow.read_bytes())  # in memory: the file is rewritten below
    schema, table = reader.schema, reader.read_all()
    col = table.column("image").combine_chunks()
    data = col.field("bytes").to_pylist()
    names = col.field("path").to_pylist()
    data[1], names[1] = None, path
    image = pa.StructArray.from_arrays([pa.array(data, pa.binary()), pa.array(names, pa.string())], fields=list(col.type))
    table = table.set_column(table.schema.get_field_index("image"), "image", image)
    with pa.OSFile(str(arrow), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        writer.write_table(table.cast(schema))


@pytest.mark.parametrize("command", ["export", "eval", "push"])
def test_hf_image_paths_outside_the_build_are_refused(build_copy, secret, command, tmp_path, capsys):
    _hf_with_outside_path(build_copy, str(secret))
    out = tmp_path / "o"
    args = {
        "export": ["export", build_copy, "--format", "webdataset", "--out", out],
        "eval": ["eval", build_copy, "--model", "tiny", "--out", out, "--no-cache", "--tasks", "object"],
        "push": ["push", build_copy, "--repo-id", "me/x", "--dry-run"],
    }[command]
    code, _, err = cli(capsys, *args)
    line = _one_line(code, err)
    assert "split test_seen row 2" in line and "is an absolute path" in line, line
    assert not list(out.rglob("*.tar")) and not list(out.glob("*.json"))


def test_hf_image_path_inside_the_build_is_read_from_the_build(build_copy, tmp_path, capsys):
    # a path-only image that stays inside is read relative to the build, not to the working directory
    rel = BuildDir(build_copy).manifest()[0]["file"]
    _hf_with_outside_path(build_copy, rel)
    code, _, err = cli(capsys, "export", build_copy, "--format", "webdataset", "--out", tmp_path / "o")
    assert code == 0, err
