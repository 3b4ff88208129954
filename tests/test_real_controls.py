"""`aobench real`: caption selection, img2dataset download from a local HTTP server (broken, non-image, slow URLs), resume."""

from __future__ import annotations

import http.server
import io
import json
import shutil
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from aobench.errors import AobenchError
from aobench.io import read_jsonl
from aobench.pairs import read_pairs
from aobench.real.select import Matcher, read_table, select_rows
from conftest import cli, run_cli

pytest.importorskip("img2dataset", reason="img2dataset not installed (pip install -e '.[test]' or '.[real]')")


class Server:
    """Images at /img/N.png (N*10 px wide), 404 at /broken/*, HTML at /text/*, /slow/* answering after 4 s."""

    def __init__(self):
        self.hits: Counter = Counter()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.hits[self.path] += 1
                kind = self.path.split("/")[1]
                if kind == "img":
                    n = int(self.path.split("/")[2].split(".")[0])
                    buf = io.BytesIO()
                    Image.new("RGB", (40 + 10 * n, 30 + 5 * n), (20 * n % 255, 90, 160)).save(buf, format="PNG")
                    body, ctype = buf.getvalue(), "image/png"
                elif kind == "text":
                    body, ctype = b"<html>not an image</html>", "image/png"  # lies about its type
                elif kind == "slow":
                    time.sleep(4)
                    body, ctype = b"late", "image/png"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def image_hits(self) -> int:
        return sum(v for k, v in self.hits.items() if k.startswith("/img/"))


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


CAPTIONS = [
    # (path kind, caption) — images 0..: the good ones
    ("img", "An orange circle on a table"),          # unusual pair (orange, circle)
    ("img", "two small circles drawn in chalk"),      # unusual pair (small, circle), plural
    ("img", "a red circle on a sticker"),             # seen pair
    ("img", "Hand-drawn star with glitter"),         # object only
    ("img", "a STAR in the night sky"),              # object only, capitals
    ("img", "a pattern of blue squares"),             # seen or object, plural
    ("img", "a photo of my dog"),                     # no recipe object: not selected
    ("broken", "a triangle on a road sign"),
    ("text", "a crescent over the sea"),
    ("slow", "a heart shaped balloon"),
]


def write_table(path: Path, server: Server) -> Path:
    rows = [{"url": f"{server.base}/{kind}/{i}.png", "caption": cap} for i, (kind, cap) in enumerate(CAPTIONS)]
    rows.append({"url": rows[0]["url"], "caption": "an orange circle again"})  # duplicate URL: selected once
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_matcher_and_selection(shapes_build):
    from aobench.real import _load_build

    recipe, vocab, pairs = _load_build(shapes_build)
    m = Matcher(vocab, pairs)
    assert m.mentions("two small circles drawn") == [("small", "circle")]
    assert m.mentions("a STAR and a red, striped square") == [(None, "star"), ("striped", "square")]
    assert m.mentions("a photo of my dog") == []
    # parsed, not matched on surface words: a compound modifier, a colour word and a negated mention name no object
    assert m.mentions("a circle sticker") == [] and m.mentions("an orange sticker") == [] and m.mentions("no red circles") == []
    assert m.mentions("a red circle that is not striped") == [("red", "circle")]
    unusual = next(p for p in pairs if p.status == "unusual")
    rows = [(f"u{i}", f"a {unusual.attribute} {unusual.object}") for i in range(5)] + [("s1", "a star")]
    sel = select_rows(iter(rows), pairs, m, per_object=10, per_pair=2, seed=0)
    assert [r["pair_status"] for r in sel].count("unusual") == 2
    assert {r["url"] for r in sel if r["pair_status"] == "object"} == {"s1"}
    again = select_rows(iter(reversed(rows)), pairs, m, per_object=10, per_pair=2, seed=0)
    assert {r["url"] for r in again} == {r["url"] for r in sel}  # caps do not depend on table order


def test_read_table_formats(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"URL": ["u1", None], "TEXT": ["a star", "x"]}), tmp_path / "t.parquet")
    assert list(read_table(tmp_path / "t.parquet", "URL", "TEXT")) == [("u1", "a star")]
    (tmp_path / "t.csv").write_text("url,caption\nu2,a circle\n,empty\n")
    assert list(read_table(tmp_path / "t.csv")) == [("u2", "a circle")]
    with pytest.raises(AobenchError, match="no column 'url'"):
        list(read_table(tmp_path / "t.parquet"))
    (tmp_path / "t.jsonl").write_text('{"url": "u", "caption": "c"}\n{bad\n')
    with pytest.raises(AobenchError, match=r"t.jsonl:2:"):
        list(read_table(tmp_path / "t.jsonl"))
    (tmp_path / "t.bak").write_text("x")
    with pytest.raises(AobenchError, match="unknown format"):
        list(read_table(tmp_path / "t.bak"))


REAL_FLAGS = ("--timeout", "2", "--threads", "4", "--shard-size", "3", "--image-size", "64")


def run_real(build: Path, table: Path, *extra: str):
    """`aobench real` in a fresh interpreter, as a user runs it."""
    return run_cli("real", build, "--table", table, *REAL_FLAGS, *extra)


def real_here(capsys, build: Path, table: Path, *extra: str) -> tuple[int, str, str]:
    """`aobench real` in this process (img2dataset still starts its own worker and logger processes): (code, stdout, stderr).

    Saves a fresh interpreter's imports (img2dataset pulls in torch, pandas, wandb) per run; img2dataset's SIGINT
    handler is put back afterwards, so a Ctrl-C still stops pytest.
    """
    handler = signal.getsignal(signal.SIGINT)
    try:
        return cli(capsys, "real", build, "--table", table, *REAL_FLAGS, *extra)
    finally:
        signal.signal(signal.SIGINT, handler)


@pytest.fixture(scope="module")
def real_split(shapes_build, server, tmp_path_factory) -> Path:
    """A copy of the small build with a finished real split (files format) from the test server (read-only: copy it)."""
    root = tmp_path_factory.mktemp("real")
    build = root / "b"
    shutil.copytree(shapes_build, build)
    from aobench.real import make_real

    handler = signal.getsignal(signal.SIGINT)
    try:
        make_real(build, [write_table(root / "captions.jsonl", server)], timeout=2, threads=4, shard_size=3, image_size=64)
    finally:
        signal.signal(signal.SIGINT, handler)
    return build


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["files", "webdataset"])
def test_real_split_download_failures_and_resume(build_copy, server, tmp_path, fmt, capsys):
    table = write_table(tmp_path / "captions.jsonl", server)
    server.hits.clear()
    proc = run_real(build_copy, table, "--output-format", fmt)  # the first run as a user's; the reruns in this process
    assert proc.returncode == 0, proc.stderr[-3000:]
    root = build_copy / "real"
    manifest = list(read_jsonl(root / "manifest.jsonl"))
    assert len(manifest) == 9  # 10 captions, minus the dog, duplicate URL dropped
    by_caption = {r["prompt"]: r for r in manifest}
    assert "a photo of my dog" not in by_caption
    assert by_caption["An orange circle on a table"]["pair_status"] == "unusual"
    assert by_caption["An orange circle on a table"]["attribute"] == "orange"
    assert by_caption["two small circles drawn in chalk"]["pair_status"] == "unusual"
    assert by_caption["a red circle on a sticker"]["pair_status"] == "seen"
    assert by_caption["Hand-drawn star with glitter"]["pair_status"] == "object"
    assert by_caption["Hand-drawn star with glitter"]["attribute"] == ""
    kept = [r for r in manifest if r["filters"] == "kept"]
    assert len(kept) == 6
    assert by_caption["a triangle on a road sign"]["filters"] == "failed_to_download"
    assert by_caption["a heart shaped balloon"]["filters"] == "failed_to_download"  # timed out
    assert by_caption["a crescent over the sea"]["filters"] in ("failed_to_resize", "failed_to_download")  # not an image
    for r in kept:
        assert r["split"] == "real" and r["seed"] == -1 and r["file"].startswith("real/images/")
        with Image.open(build_copy / r["file"]) as im:
            assert max(im.size) <= 64 and im.format == "JPEG"
    gen = next(read_jsonl(build_copy / "manifest.jsonl"))
    assert set(gen) - {"dhash", "clip_score", "filters"} <= set(manifest[0])  # the generated splits' columns
    stats = json.loads((root / "stats.json").read_text())
    assert stats["count"] == 9 and stats["successes"] == 6
    assert stats["failed_to_download"] + stats["failed_to_resize"] == 3
    assert stats["by_status"] == {"unusual": 2, "seen": 2, "object": 2}
    assert "6/9 images" in proc.stdout

    from datasets import load_from_disk

    dsd = load_from_disk(str(root / "hf"))
    assert list(dsd) == ["real"] and dsd["real"].num_rows == 6
    assert set(dsd["real"].column_names) == set(load_from_disk(str(build_copy / "hf"))["train"].column_names)

    if fmt != "files":
        # the reruns below do not depend on the format: img2dataset drops finished shards (a *_stats.json) on the driver
        # before any writer runs, and the split is assembled from the same parquet outcomes: they run once, with files
        return
    # rerun: every shard finished, so nothing is fetched again and the split is the same
    fetched = server.image_hits()
    assert fetched == 6
    code, _, err = real_here(capsys, build_copy, table, "--output-format", fmt)
    assert code == 0, err[-3000:]
    assert server.image_hits() == fetched
    assert list(read_jsonl(root / "manifest.jsonl")) == manifest

    # a killed run: one shard left unfinished is the only one fetched again
    shard = sorted((root / "download").glob("*_stats.json"))[0]
    shard.unlink()
    for p in (root / "download").glob(shard.name.replace("_stats.json", "") + "*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    code, _, err = real_here(capsys, build_copy, table, "--output-format", fmt)
    assert code == 0, err[-3000:]
    assert 0 < server.image_hits() - fetched <= 3
    assert list(read_jsonl(root / "manifest.jsonl")) == manifest


@pytest.mark.slow
def test_real_report_shows_real_split(real_split, tmp_path):
    build_copy = tmp_path / "b"
    shutil.copytree(real_split, build_copy)
    from aobench.report.gallery import make_report

    res = make_report(build_copy)
    n_generated = sum(1 for _ in read_jsonl(build_copy / "manifest.jsonl"))
    assert res.n_items == n_generated + 9
    assert res.n_missing == 3  # failed downloads shown as missing


def test_real_bad_input(build_copy, tmp_path, capsys):
    code, _, err = cli(capsys, "real", tmp_path, "--table", tmp_path / "x.csv")
    assert code == 2 and "needs a build dir" in err
    (tmp_path / "none.csv").write_text("url,caption\nhttp://127.0.0.1:9/a.png,a photo of my dog\n")
    code, _, err = cli(capsys, "real", build_copy, "--table", tmp_path / "none.csv")
    assert code == 2 and "mentions an object" in err


@pytest.mark.slow
def test_real_other_selection_is_refused_before_fetching(real_split, tmp_path, server, capsys):
    # a real split made from the captions table: the same table with other caps is refused before anything is fetched
    done = tmp_path / "done"
    shutil.copytree(real_split, done)
    table = write_table(tmp_path / "captions.jsonl", server)
    server.hits.clear()
    code, _, err = real_here(capsys, done, table, "--per-object", "1")  # two star captions → one
    assert code == 2 and "different selection" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1 and not server.hits
    # one subprocess run of a refusal: exit 2 and one line from a fresh interpreter too
    proc = run_real(done, table, "--per-object", "1")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "different selection" in proc.stderr


@pytest.mark.slow
def test_real_split_with_pyspark_distributor(build_copy, server, tmp_path):
    """img2dataset's pyspark distributor in a local Spark session aobench makes: the same split as multiprocessing."""
    table = write_table(tmp_path / "captions.jsonl", server)
    server.hits.clear()
    proc = run_real(build_copy, table, "--distributor", "pyspark", "--spark-master", "local[2]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "6/9 images" in proc.stdout
    manifest = list(read_jsonl(build_copy / "real" / "manifest.jsonl"))
    by_caption = {r["prompt"]: r["filters"] for r in manifest}
    assert sum(f == "kept" for f in by_caption.values()) == 6 and by_caption["a triangle on a road sign"] == "failed_to_download"
    assert json.loads((build_copy / "real" / "stats.json").read_text())["by_status"] == {"unusual": 2, "seen": 2, "object": 2}
    assert len(list((build_copy / "real" / "download").glob("*_stats.json"))) == 3  # 9 URLs in shards of 3, each a Spark task
    assert server.image_hits() == 6

    proc = run_real(build_copy, table, "--distributor", "pyspark", "--spark-master", "local[2]")
    assert proc.returncode == 0 and server.image_hits() == 6  # finished shards are not fetched again
    assert list(read_jsonl(build_copy / "real" / "manifest.jsonl")) == manifest


def test_real_spark_master_needs_pyspark(build_copy, tmp_path, capsys):
    code, _, err = cli(capsys, "real", build_copy, "--table", tmp_path / "t.csv", "--spark-master", "local[1]")
    assert code == 2 and "--spark-master needs --distributor pyspark" in err
    assert not (build_copy / "real").exists()  # refused before anything was written
