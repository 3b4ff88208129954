"""`aobench report`: figures, the gallery page's embedded data, thumbnails, missing images, bad input (no browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from aobench.errors import AobenchError
from aobench.evaluate.results import flat_metrics, load_results, summarize
from aobench.io import read_jsonl
from aobench.report.gallery import make_report
from aobench.nmidir import parse_ci
from conftest import cli, run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def page_data(index: Path) -> dict:
    html = index.read_text()
    m = re.search(r'<script id="aob-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "embedded data missing"
    return json.loads(m.group(1))


def write_results(d: Path, models=("ViT-B-32:laion400m", "RN50:openai", "ViT-S:cc12m")) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for i, m in enumerate(models):
        arch, pre = m.split(":")
        for task, acc in (("composition", 0.2 + 0.1 * i), ("object", 0.5 + 0.1 * i)):
            metrics = {"acc1": acc, "acc5": acc + 0.2, "mean_per_class_recall": acc - 0.05,
                       "by_attribute_type": {"colour": {"acc1": acc + 0.05}, "size": {"acc1": acc - 0.05}}}
            (d / f"{arch}_{pre}_{task}.json").write_text(json.dumps(
                {"dataset": "shapes-ao", "model": arch, "pretrained": pre, "task": task, "metrics": metrics, "language": "en"}))
    (d / "results.csv").write_text("model,task,acc1\n")  # not JSON: ignored
    (d / "notes.json").write_text('{"not": "a result"}')  # JSON but no metrics: ignored
    return d


def write_corpus(d: Path, nmi: float, ci=True) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    stats = {"nmi": nmi, "mi": 0.4, "h_attribute": 2.0, "h_object": 3.0, "normalization": "arithmetic",
             "n_events": 500, "n_captions": 400, "n_skipped": 2}
    if ci:
        stats["ci"] = [nmi - 0.01, nmi + 0.02]
    (d / "nmi.json").write_text(json.dumps(stats))
    lines = ["attribute,object,count,pmi,npmi,seen"]
    for a, o, c, p in (("red", "circle", 40, 0.5), ("red", "square", 3, -1.2), ("blue", "circle", 0, ""), ("small", "star", 12, 0.1)):
        lines.append(f"{a},{o},{c},{p},0.1,{int(c > 0)}")
    (d / "pairs.csv").write_text("\n".join(lines) + "\n")
    return d


def test_report_build_only(build_copy):
    res = make_report(build_copy)
    assert res.index == build_copy / "report" / "index.html"
    manifest = list(read_jsonl(build_copy / "manifest.jsonl"))
    data = page_data(res.index)
    assert len(data["rows"]) == len(manifest) == res.n_items
    row = dict(zip(data["fields"], data["rows"][0]))
    first = manifest[0]
    for k in ("id", "attribute", "object", "prompt", "split", "filters"):
        assert row[k] == first[k]
    assert row["seed"] == str(first["seed"])  # 64-bit seeds as strings: JS numbers would round them
    # small images link the originals, relative to report/
    assert row["thumb"] == "../" + first["file"] and (res.index.parent / row["thumb"]).is_file()
    assert res.n_missing == 0
    assert [p.name for p in res.figures] == ["images_per_type.png"]
    assert res.figures[0].read_bytes().startswith(PNG_MAGIC)
    html = res.index.read_text()
    assert 'src="figures/images_per_type.png"' in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from the network
    assert 'id="results-table"' not in html


def test_report_missing_and_large_images(build_copy):
    manifest = list(read_jsonl(build_copy / "manifest.jsonl"))
    gone, big = manifest[0], manifest[1]
    (build_copy / gone["file"]).unlink()
    Image.new("RGB", (800, 600), "red").save(build_copy / big["file"])
    res = make_report(build_copy)
    rows = {r[0]: dict(zip(page_data(res.index)["fields"], r)) for r in page_data(res.index)["rows"]}
    assert res.n_missing == 1
    assert rows[gone["id"]]["missing"] is True and rows[gone["id"]]["thumb"] is None
    thumb = rows[big["id"]]["thumb"]
    assert thumb.startswith("thumbs/") and thumb.endswith(".jpg")
    with Image.open(res.index.parent / thumb) as im:
        assert max(im.size) == 192
    assert any("missing" in n for n in res.notes)


def test_report_with_results_and_corpora(build_copy, tmp_path):
    results = write_results(tmp_path / "results")
    c1 = write_corpus(tmp_path / "laion400m", 0.1)
    c2 = write_corpus(tmp_path / "cc12m", 0.3, ci=False)
    res = make_report(build_copy, results=[results], corpora=[c1, c2])
    names = {p.name for p in res.figures}
    assert names == {
        "images_per_type.png", "pair_counts_laion400m.png", "pmi_laion400m.png", "pair_counts_cc12m.png", "pmi_cc12m.png",
        "nmi_per_corpus.png", "accuracy_by_attribute_type.png", "composition_vs_object.png", "nmi_vs_accuracy.png",
        "spectrum.png",  # three models with composition and object results: the spectrum figure
    }
    for p in res.figures:
        assert p.read_bytes().startswith(PNG_MAGIC)
    assert res.n_results == 6 and res.n_corpora == 2
    html = res.index.read_text()
    table = html.split('id="results-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 6
    assert "ViT-B-32:laion400m" in table and "0.2000" in table
    assert "laion400m" in html.split('id="corpus-table"')[1]


def test_summary_reads_results_by_schema(tmp_path):
    results = load_results([write_results(tmp_path / "r")])
    assert len(results) == 6  # results.csv and a JSON without the result keys are not results
    s = summarize(results)
    assert s["ViT-B-32:laion400m"].composition == pytest.approx(0.2)
    assert s["ViT-B-32:laion400m"].object == pytest.approx(0.5)
    # the per-type breakdown is the composition task's, never the object task's
    assert s["RN50:openai"].by_attribute_type == {"colour": pytest.approx(0.35), "size": pytest.approx(0.25)}
    # a task named otherwise is not guessed to be composition or object
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.json").write_text(json.dumps({"dataset": "d", "model": "m", "pretrained": "p", "task": "zeroshot_composition", "metrics": {"acc1": 0.9}}))
    assert summarize(load_results([other]))["m:p"].composition is None


def test_metric_helpers():
    assert flat_metrics({"acc1": 0.5, "by": {"x": {"acc1": 1}}, "name": "n", "ok": True}) == {"acc1": 0.5, "by/x/acc1": 1.0}
    assert parse_ci([0.1, 0.2]) == (0.1, 0.2)
    assert parse_ci({"low": 0.1, "high": 0.3}) == (0.1, 0.3)
    assert parse_ci(None) is None


def test_report_results_only_dir(tmp_path):
    results = write_results(tmp_path / "results")
    res = make_report(results)
    assert res.index == results / "report" / "index.html" and res.n_items == 0
    assert "composition_vs_object.png" in {p.name for p in res.figures}
    assert 'id="aob-data"' not in res.index.read_text()  # no gallery without a build


def test_cli_report(build_copy, tmp_path):
    results = write_results(tmp_path / "results")
    proc = run_cli("report", build_copy, "--results", results, "--corpus", write_corpus(tmp_path / "c", 0.2))
    assert proc.returncode == 0, proc.stderr
    assert f"{build_copy / 'report' / 'index.html'}:" in proc.stdout
    assert (build_copy / "report" / "figures" / "nmi_per_corpus.png").exists()


def test_cli_report_bad_input(tmp_path, capsys):
    # through the CLI app in this process (test_cli_report runs the command in a fresh interpreter)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "something.txt").write_text("x")
    code, _, err = cli(capsys, "report", empty)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "the report needs a build" in lines[0] and "Traceback" not in err
    code, _, err = cli(capsys, "report", tmp_path / "nope")
    assert code == 2 and "no such directory" in err
    code, _, err = cli(capsys, "report", empty, "--corpus", tmp_path / "nope")
    assert code == 2 and "no nmi.json" in err


def test_bad_manifest_is_one_line(tmp_path):
    d = tmp_path / "b"
    d.mkdir()
    (d / "manifest.jsonl").write_text('{"id": 1}\nnot json\n')
    with pytest.raises(AobenchError, match="not valid JSON lines"):
        make_report(d)


def test_corpus_figure_shows_size_matched_nmi_or_ami_and_says_which(tmp_path):
    from aobench.nmidir import Corpus
    from aobench.report import plots

    base = {"nmi": 0.4, "n_events": 10, "n_captions": 10}
    plain = [Corpus("a", stats=dict(base)), Corpus("b", stats=dict(base))]
    assert plots.corpus_statistic(plain)[0] == "nmi"
    with_ami = [Corpus(n, stats={**base, "ami": 0.1, "ami_normalization": "arithmetic"}) for n in "ab"]
    which, label = plots.corpus_statistic(with_ami)
    assert which == "ami" and label.startswith("AMI (arithmetic")
    at = {"n_captions": 2000, "repeats": 20, "nmi": {"mean": 0.3, "low": 0.25, "high": 0.35}}
    sized = [Corpus(n, stats={**base, "ami": 0.1, "at_n": at}) for n in "ab"]
    which, label = plots.corpus_statistic(sized)
    assert which == "at_n" and "NMI at 2,000 captions" in label
    # different n per corpus is no size-matched comparison: AMI then
    assert plots.corpus_statistic([sized[0], Corpus("c", stats={**base, "ami": 0.1, "at_n": {**at, "n_captions": 500}})])[0] == "ami"
    assert plots.nmi_per_corpus(sized, tmp_path / "n.png").read_bytes().startswith(PNG_MAGIC)


def test_pmi_histogram_floor(tmp_path):
    from aobench.nmidir import Corpus
    from aobench.report import plots

    pairs = [{"count": 1.0, "pmi": 3.0}, {"count": 1.0, "pmi": 2.5}, {"count": 8.0, "pmi": 0.2}]
    assert plots.pmi_histogram(Corpus("c", stats={}, pairs=pairs), tmp_path / "a.png") is not None
    assert plots.pmi_histogram(Corpus("c", stats={"min_count": 9}, pairs=pairs), tmp_path / "b.png") is None  # nmi --min-count recorded
    assert plots.pmi_histogram(Corpus("c", stats={}, pairs=pairs), tmp_path / "c.png", min_count=9) is None
