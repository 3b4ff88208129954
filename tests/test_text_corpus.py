"""Corpus readers (formats, compression, bad input counted by reason), engines, resume, CLI."""

import gzip
import json
from pathlib import Path

import pytest

from aobench.errors import AobenchError
from aobench.nmidir import NmiDir
from aobench.text.corpus import iter_records
from conftest import cli, run_cli


def _write_messy_txt(path: Path):
    path.write_bytes(
        b"a red tiger\n"
        b"\n"  # empty
        b"a blue goldfish \xff\xfe\n"  # not UTF-8
        + b"x" * (1024 * 1024) + b"\n"  # a 1 MB line
        + b"the tiger is orange\n"
    )


def test_bad_input_counted_by_reason(tmp_path):
    p = tmp_path / "messy.txt"
    _write_messy_txt(p)
    recs = list(iter_records(p))
    assert [r.skip for r in recs] == [None, "empty", "invalid_utf8", "too_long", None]
    j = tmp_path / "c.jsonl"
    j.write_text('{"caption": "a red tiger"}\n{not json\n{"text": "the tiger is orange"}\n{"other": 1}\n')
    assert [r.skip for r in iter_records(j)] == [None, "malformed_json", None, "missing_column"]
    e = tmp_path / "empty.txt"
    e.write_text("")
    assert [r.skip for r in iter_records(e)] == ["empty_file"]


def test_bad_input_in_tabular_files(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    c = tmp_path / "c.csv"
    c.write_bytes(b"id,caption\n1,a red tiger\n2," + b"y" * (1024 * 1024) + b"\n3,\n4,bad \xff bytes\n5,a glass teapot\n")
    assert [(r.id, r.skip) for r in iter_records(c)] == [("1", None), ("2", "too_long"), ("3", "empty"), ("4", "invalid_utf8"), ("5", None)]
    pq.write_table(pa.table({"caption": ["a red tiger", None, ""]}), tmp_path / "p.parquet")
    assert [r.skip for r in iter_records(tmp_path / "p.parquet")] == [None, "null", "empty"]
    with pytest.raises(AobenchError, match=r"p\.parquet: no column 'TEXT'; columns: caption"):
        list(iter_records(tmp_path / "p.parquet", text_column="TEXT"))


def test_spark_refuses_what_it_cannot_read_before_starting(tmp_path):
    from aobench.text.spark import check_sources

    (tmp_path / "a.txt.zst").write_bytes(b"x")
    with pytest.raises(AobenchError, match="--engine spark cannot read .*a.txt.zst.*use --engine local"):
        check_sources([str(tmp_path / "a.txt.zst")])
    (tmp_path / "pq").mkdir()
    (tmp_path / "pq" / "part-0.parquet").write_bytes(b"")
    check_sources([str(tmp_path / "pq")])  # a folder of Parquet files is fine


def test_formats_and_compression(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    caps = ["a red tiger", "a glass teapot", "a striped zebra"]
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress("\n".join(caps).encode()))
    (tmp_path / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress("\n".join(json.dumps({"id": i, "caption": c}) for i, c in enumerate(caps)).encode()))
    (tmp_path / "c.tsv").write_text("key\tTEXT\n" + "\n".join(f"k{i}\t{c}" for i, c in enumerate(caps)) + "\n")
    pq.write_table(pa.table({"TEXT": caps, "url": ["u0", "u1", "u2"]}), tmp_path / "d.parquet", row_group_size=2)
    for name in ("a.txt.gz", "b.jsonl.zst", "c.tsv", "d.parquet"):
        recs = list(iter_records(tmp_path / name))
        assert [r.text for r in recs] == caps, name
    assert [r.id for r in iter_records(tmp_path / "b.jsonl.zst")] == ["0", "1", "2"]
    assert [r.id for r in iter_records(tmp_path / "c.tsv")] == ["k0", "k1", "k2"]


def test_json_documents_list_and_coco_captions(tmp_path):
    from aobench.text.spark import check_sources

    caps = ["a red tiger", "a glass teapot", "a striped zebra"]
    coco = {"info": {}, "images": [{"id": 7}], "annotations": [{"image_id": 7, "id": 40 + i, "caption": c} for i, c in enumerate(caps)]}
    (tmp_path / "coco.json").write_text(json.dumps(coco, indent=1))  # pretty-printed: an object over many lines
    (tmp_path / "list.json.gz").write_bytes(gzip.compress(json.dumps([{"text": c} for c in caps] + [3]).encode()))
    (tmp_path / "lines.json").write_text("\n".join(json.dumps({"caption": c}) for c in caps))  # JSON lines named .json
    assert [(r.id, r.text) for r in iter_records(tmp_path / "coco.json")] == [("40", caps[0]), ("41", caps[1]), ("42", caps[2])]
    (tmp_path / "coco1.json").write_text(json.dumps(coco))  # COCO's own files are one line
    assert [r.text for r in iter_records(tmp_path / "coco1.json")] == caps
    recs = list(iter_records(tmp_path / "list.json.gz"))
    assert [r.text for r in recs[:3]] == caps and recs[3].skip == "malformed_json"
    assert [r.text for r in iter_records(tmp_path / "lines.json")] == caps
    (tmp_path / "odd.json").write_text(json.dumps({"captions": caps}))
    with pytest.raises(AobenchError, match=r"odd.json: a JSON document that is neither a list of records nor COCO captions"):
        list(iter_records(tmp_path / "odd.json"))
    with pytest.raises(AobenchError, match=r"--engine spark reads .json files as JSON lines, and .*coco.json is one JSON document"):
        check_sources([str(tmp_path / "coco.json")])
    check_sources([str(tmp_path / "lines.json")])


def test_hf_save_to_disk_dir(tmp_path):
    from datasets import Dataset

    Dataset.from_dict({"caption": ["a red tiger", ""]}).save_to_disk(str(tmp_path / "ds"))
    assert [(r.text, r.skip) for r in iter_records(tmp_path / "ds")] == [("a red tiger", None), (None, "empty")]


def test_streaming_dataset_rows(tmp_path):
    # what a Hub dataset opened with streaming=True yields: an IterableDataset, read row by row
    from datasets import Dataset

    from aobench.text.corpus import _iter_dataset

    ds = Dataset.from_dict({"uid": ["u1", "u2", "u3"], "TEXT": ["a red tiger", None, "  "]}).to_iterable_dataset()
    assert [(r.id, r.text, r.skip) for r in _iter_dataset(ds, "org/name", None, 10_000)] == [
        ("u1", "a red tiger", None), ("u2", None, "missing_column"), ("u3", None, "empty")]  # fmt: skip


def test_missing_column_is_one_line_error(tmp_path, capsys):
    p = tmp_path / "x.csv"
    p.write_text("foo,bar\n1,2\n")
    code, _, err = cli(capsys, "nmi", p, "--out", tmp_path / "o")
    assert code == 2 and "no caption column found" in err and "foo, bar" in err and "Traceback" not in err


CORPUS = ["a red tiger in the snow", "the tiger is orange", "an orange and black tiger", "a glass teapot", "a wooden teapot on a table",
          "a striped zebra", "the zebra is striped", "a blue goldfish", "a bored man"] * 3  # fmt: skip


def test_nmi_cli_end_to_end_and_pairs_roundtrip(tmp_path, capsys):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("\n".join(CORPUS[:9]) + "\n\n")
    b.write_text("\n".join(CORPUS[9:]) + "\n")
    r = run_cli("nmi", a, b, "--out", tmp_path / "out", "--bootstrap", "20")  # a fresh interpreter; extract and nmi --pairs in-process
    assert r.returncode == 0, r.stderr
    info = json.loads((tmp_path / "out" / "nmi.json").read_text())
    assert {"nmi", "mi", "h_attribute", "h_object", "normalization", "n_events", "n_captions", "n_skipped", "ci"} <= set(info)
    assert info["n_captions"] == 27 and info["n_skipped"] == 1 and info["n_skipped_by_reason"] == {"empty": 1}
    assert "skipped: empty: 1" in r.stdout
    # 7 events per 9 captions: red-tiger, orange-tiger x2, black-tiger, glass-teapot, wooden-teapot, striped-zebra x2, blue-goldfish
    assert info["n_events"] == 27
    assert (tmp_path / "out" / "comparison.csv").read_text().count("\n") == 3
    assert (tmp_path / "out" / "corpora" / "a" / "nmi.json").exists()
    lines = (tmp_path / "out" / "pairs.csv").read_text().splitlines()
    assert lines[0] == "attribute,object,count,pmi,npmi,seen"
    assert any(line.startswith("striped,zebra,6,") for line in lines)
    # extract, then nmi from the pairs file: the same numbers
    assert cli(capsys, "extract", a, b, "--out", tmp_path / "p.jsonl")[0] == 0
    rows = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert rows[0] == {"id": "a.txt:1", "pairs": [["red", "tiger"]]}
    assert cli(capsys, "nmi", "--pairs", tmp_path / "p.jsonl", "--out", tmp_path / "out2")[0] == 0
    info2 = json.loads((tmp_path / "out2" / "nmi.json").read_text())
    assert info2["nmi"] == pytest.approx(info["nmi"]) and info2["n_events"] == info["n_events"]


def _shapes_corpora(tmp_path):
    """a.txt: 300 captions, colour independent of shape; b.txt: 40 captions, colour decides shape."""
    import random

    rng, colours, shapes = random.Random(0), ["red", "blue", "green", "yellow", "purple"], ["circle", "square", "triangle", "star"]
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("".join(f"a {rng.choice(colours)} {rng.choice(shapes)} on a table\n" for _ in range(300)))
    b.write_text("".join(f"a {c} {shapes[colours.index(c) % 4]}\n" for c in (rng.choice(colours) for _ in range(40))))
    return a, b


def test_nmi_compares_corpora_by_ami_intervals_and_at_one_size(tmp_path, capsys):
    a, b = _shapes_corpora(tmp_path)
    out = tmp_path / "cmp"
    code, stdout, err = cli(capsys, "nmi", a, b, "--vocab", "shapes-ao", "--out", out, "--bootstrap", "100", "--min-count", "3")
    assert code == 0, err
    # without --sample-captions, corpora 7.5x apart in size: one line naming the flag
    assert "corpora differ 7.5x in size" in stdout and "--sample-captions 40" in stdout
    pooled = json.loads((out / "nmi.json").read_text())
    per = {n: json.loads((out / "corpora" / n / "nmi.json").read_text()) for n in ("a", "b")}
    for info in (pooled, *per.values()):
        assert {"ami", "expected_mi", "ami_normalization"} <= set(info) and info["expected_mi"] > 0
        ci = info["ci"]
        assert ci["method"] == "basic" and ci["n_boot"] == 100 and ci["resample"] == "captions"
        for key in ("nmi", "ami"):  # no interval excludes its own estimate
            assert ci[key]["low"] <= ci[key]["estimate"] <= ci[key]["high"] and ci[key]["bias"] is not None
    # a: independent by construction. Plug-in NMI is far from 0 at 300 events; AMI is near 0
    assert per["a"]["nmi"] > 2 * abs(per["a"]["ami"]) and abs(per["a"]["ami"]) < 0.02
    assert per["b"]["ami"] > 0.9
    # pairs.csv: only pairs seen at least 3 times (a: 20 cells, 300 events; b: colour decides shape, 5 pairs)
    rows = (out / "corpora" / "b" / "pairs.csv").read_text().splitlines()[1:]
    assert rows and all(int(r.split(",")[2]) >= 3 for r in rows) and per["b"]["min_count"] == 3
    header = (out / "comparison.csv").read_text().splitlines()[0].split(",")
    assert {"ami", "ci_estimate", "ci_low", "ci_high", "ami_ci_low", "ami_ci_high", "nmi_at_n", "ami_at_n", "ami_at_n_low", "ami_at_n_high"} <= set(header)
    # size-matched: every corpus at 40 captions, seeded draws without replacement
    code, stdout, err = cli(capsys, "nmi", a, b, "--vocab", "shapes-ao", "--out", out, "--sample-captions", "40", "--repeats", "25", "--seed", "3")
    assert code == 0, err
    assert "corpora differ" not in stdout and "@40" in stdout
    at_a = json.loads((out / "corpora" / "a" / "nmi.json").read_text())["at_n"]
    at_b = json.loads((out / "corpora" / "b" / "nmi.json").read_text())["at_n"]
    assert at_a["n_captions"] == 40 and at_a["repeats"] == 25 and at_a["seed"] == 3
    assert at_a["nmi"]["mean"] > per["a"]["nmi"]  # plug-in NMI of 40 captions is higher than of 300: size, not dependence
    assert at_b["nmi"]["mean"] == pytest.approx(per["b"]["nmi"]) and at_b["nmi"]["std"] == pytest.approx(0.0, abs=1e-12)  # b is all 40 captions
    import csv

    rows = {r["corpus"]: r for r in csv.DictReader((out / "comparison.csv").open())}
    assert float(rows["a"]["nmi_at_n"]) == pytest.approx(at_a["nmi"]["mean"]) and rows["a"]["at_n"] == "40"
    # more captions than a corpus has: one line naming it and its size, exit 2, nothing written over
    before = (out / "nmi.json").read_bytes()
    code, _, err = cli(capsys, "nmi", a, b, "--vocab", "shapes-ao", "--out", out, "--sample-captions", "41")
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1 and "corpus b has only 40 captions" in errors[0] and "Traceback" not in err
    assert (out / "nmi.json").read_bytes() == before


def test_workers_equal_one_process_and_read_ahead_is_bounded(monkeypatch):
    from aobench.text import engine
    from aobench.text.corpus import Record

    monkeypatch.setattr(engine, "CHUNK", 4)
    caps = CORPUS * 4
    pulled, leads = [0], []

    def records():
        for i, c in enumerate(caps):
            pulled[0] += 1
            yield Record(str(i), c)

    two = []
    with engine.Runner("imagenet-ao", workers=2) as runner:
        for item in runner.run(records()):
            two.append(item)
            leads.append(pulled[0] - len(two))
        pool = runner._pool
        again = list(runner.run(Record(str(i), c) for i, c in enumerate(caps[:5])))  # a second file: same processes
        assert runner._pool is pool
    one = list(engine.extract_records((Record(str(i), c) for i, c in enumerate(caps)), "imagenet-ao", workers=1))
    assert two == one and len(one) == len(caps) and again == one[:5]
    # streaming: at most IN_FLIGHT_PER_WORKER * workers chunks (+ the one being filled) ahead of the consumer
    assert max(leads) <= (engine.IN_FLIGHT_PER_WORKER * 2 + 1) * 4


def test_workers_and_resume_per_file(tmp_path, monkeypatch):
    from aobench.text import engine
    from aobench.text.engine import count_corpora

    files = []
    for i in range(3):
        f = tmp_path / f"s{i}.txt"
        f.write_text("\n".join(CORPUS) + "\n")
        files.append(str(f))
    one, _ = count_corpora(files, "imagenet-ao", workers=1, shard_dir=tmp_path / "shards")
    assert one.n_captions == 3 * len(CORPUS) and one.n_events == 3 * 27
    assert len(list((tmp_path / "shards").glob("*.json"))) == 3

    # a rerun reads every file from its saved shard: extraction must not run at all
    def boom(*a, **k):
        raise AssertionError("re-extracted a file that had a saved shard")

    monkeypatch.setattr(engine.Runner, "run", boom)
    again, _ = count_corpora(files, "imagenet-ao", workers=1, shard_dir=tmp_path / "shards")
    assert again.to_dict() == one.to_dict()


def test_corpus_leak_filter_is_parsed_not_substring(tmp_path):
    from aobench.filters.corpus_leak import corpus_leak_filter
    from aobench.recipe import CorpusLeakSpec
    from aobench.text.engine import count_corpora

    f = tmp_path / "c.txt"
    f.write_text("a bored tiger\nthe tiger is striped\n")
    counts, _ = count_corpora([str(f)], "imagenet-ao")
    NmiDir(tmp_path / "counts").write_counts(counts)
    recs = [{"attribute": "red", "object": "tiger"}, {"attribute": "striped", "object": "tiger"}]
    kept, dropped = corpus_leak_filter(recs, CorpusLeakSpec(enabled=True, counts=[str(tmp_path / "counts")]), None)
    assert kept == [recs[0]]  # "bored" does not leak "red"
    assert dropped == [(recs[1], "corpus_leak:1")]


def test_recipe_counts_mark_pairs_seen(tmp_path):
    from aobench.pairs import select_pairs
    from aobench.recipe import load
    from aobench.text.counts import Counts
    from aobench.vocab import load_vocab

    c = Counts()
    c.add_caption([("red", "tench")])
    NmiDir(tmp_path / "nmi").write_counts(c)
    r = load("imagenet-ao", {"vocab": {"max_objects": 1}, "pairs": {"attributes_per_object": None, "counts": [str(tmp_path / "nmi")]}})
    from aobench.pairs import load_corpora

    pairs = {p.key(): p for p in select_pairs(r, load_vocab(r.vocab), load_corpora(r))}
    assert pairs[("red", "tench")].status == "seen" and not pairs[("red", "tench")].selected
    assert pairs[("red", "tench")].counts == {"nmi": 1} and pairs[("blue", "tench")].status == "unusual"
