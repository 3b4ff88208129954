"""End to end: `aobench eval` with the tiny model on a small shapes-ao build and on hand-made datasets."""

from __future__ import annotations

import json
import math

import pytest

from aobench.cli import main
from aobench.evaluate.results import flat_metrics
from aobench.evaluate.runner import evaluate
from conftest import handmade_dataset

def _run(argv, capsys):
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_eval_tiny_end_to_end(eval_build, tmp_path, capsys):
    out, cache = tmp_path / "res", tmp_path / "cache"
    code, so, se = _run(["eval", eval_build, "--model", "tiny", "--out", out, "--cache-dir", cache, "--plot"], capsys)
    assert code == 0, se
    files = sorted(p.name for p in out.glob("*.json"))
    assert files == [f"shapes-ao-evalsmall_random_aobench-tiny_en_{t}.json" for t in sorted(["attribute", "composition", "czsl", "foils", "object", "retrieval"])]
    comp = json.loads((out / "shapes-ao-evalsmall_random_aobench-tiny_en_composition.json").read_text())
    assert {"dataset", "model", "pretrained", "task", "metrics", "language"} <= set(comp)
    assert (comp["dataset"], comp["model"], comp["pretrained"], comp["task"], comp["language"]) == ("shapes-ao-evalsmall", "aobench-tiny", "random", "composition", "en")
    m = flat_metrics(comp["metrics"])
    assert m["n_classes"] == 156 and m["n_images"] == 156 and m["n_skipped"] == 0
    assert 0 <= m["acc1"] <= m["acc5"] <= 1 and "mean_per_class_recall" in m
    assert {"by_attribute_type/colour/acc1", "by_split/test_unusual/acc1", "by_status/unusual/acc1"} <= set(m)
    # each JSON carries the notes of its own task only
    notes = {p.name.rsplit("_", 1)[1][:-5]: json.loads(p.read_text())["notes"] for p in out.glob("*.json")}
    assert notes.pop("czsl") == ["czsl: seen pairs from the pairs.jsonl"] and not any(notes.values())
    cz = flat_metrics(json.loads((out / "shapes-ao-evalsmall_random_aobench-tiny_en_czsl.json").read_text())["metrics"])
    for w in ("closed", "open"):
        assert 0 <= cz[f"{w}/auc"] <= 1 and 0 <= cz[f"{w}/best_hm"] <= 1
    assert cz["n_unseen_images"] == 36
    fo = flat_metrics(json.loads((out / "shapes-ao-evalsmall_random_aobench-tiny_en_foils.json").read_text())["metrics"])
    assert {"by_type/attribute_foil/acc", "by_type/object_foil/acc", "winoground/group"} <= set(fo)
    rt = flat_metrics(json.loads((out / "shapes-ao-evalsmall_random_aobench-tiny_en_retrieval.json").read_text())["metrics"])
    assert rt["text_retrieval_recall@1"] <= rt["text_retrieval_recall@5"] <= rt["text_retrieval_recall@10"]
    csv = (out / "results.csv").read_text().splitlines()
    assert len(csv) == 7 and csv[0].startswith("dataset,model,pretrained,task,language")
    assert (out / "plots" / "accuracy_per_attribute_type.png").exists() and (out / "plots" / "composition_vs_object.png").exists()
    assert "composition" in so

    # warm: same numbers from the cache, nothing re-embedded; --skip-existing writes nothing
    run = evaluate(str(eval_build), ["tiny"], out, tasks=["composition"], cache_dir=cache, progress=False)
    assert run.cache_misses == 0 and run.cache_hits >= 2
    assert flat_metrics(run.results[0]["metrics"])["acc1"] == m["acc1"]
    run = evaluate(str(eval_build), ["tiny"], out, cache_dir=cache, skip_existing=True, progress=False)
    assert not run.results and len(run.existing) == 6


def test_bad_model_is_one_line_and_others_still_run(eval_build, tmp_path, capsys):
    out = tmp_path / "res"
    code, so, se = _run(["eval", eval_build, "--model", "open_clip:no-such-arch:x", "--model", "tiny", "--out", out,
                         "--tasks", "composition,object", "--no-cache"], capsys)  # fmt: skip
    assert code == 2
    lines = [ln for ln in se.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "open_clip:no-such-arch:x" in lines[0] and "unknown open_clip architecture" in lines[0]
    assert len(list(out.glob("*_aobench-tiny_en_*.json"))) == 2


def test_list_models(capsys):
    code, so, _ = _run(["eval", "--list-models"], capsys)
    assert code == 0 and "open_clip:ViT-B-32:openai" in so and "wise:SPEC_A,SPEC_B@ALPHA" in so


def test_list_tasks_shows_each_headline_and_direction(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    code, so, _ = _run(["eval", "--list-tasks"], capsys)
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:6]] for line in so.splitlines() if line.startswith("│")}
    assert code == 0 and rows["czsl"] == ["closed/best_hm", "higher", "1", "czsl_protocol"]
    assert rows["composition"][:2] == ["acc1", "higher"] and rows["retrieval"][0] == "text_retrieval_recall@1" and rows["foils"][0] == "acc"


def test_corrupt_images_are_skipped_counted_listed(tmp_path):
    data = handmade_dataset(tmp_path, corrupt={1, 4})
    foils = tmp_path / "foils.jsonl"
    foils.write_text("\n".join(json.dumps({"id": f"img{i}", "caption": "a red circle", "foil": "a circle red", "type": "word_order", "bow_identical": True}) for i in (0, 1, 6)) + "\n")
    run = evaluate(str(data), ["tiny"], tmp_path / "res", tasks=["composition", "foils"], foils=str(foils), cache_dir=None, progress=False)
    assert not run.failures
    m = flat_metrics(run.results[0]["metrics"])
    assert m["n_images"] == 10 and m["n_skipped"] == 2
    assert run.results[0]["metrics"]["skipped_ids"] == ["img1", "img4"]
    assert run.results[0]["dataset"] == "bare" and math.isnan(m["acc5"]) is False
    fo = flat_metrics(run.results[1]["metrics"])
    assert fo["by_type/word_order/n"] == 2  # img1 is unreadable, so its file foil is not scored
    assert fo["bow_identical/n"] == 2 and fo["n_from_file"] == 2
    assert any("unreadable" in n for n in run.notes)


def test_openai_templates_and_bad_data(tmp_path):
    from aobench.errors import AobenchError

    data = handmade_dataset(tmp_path, corrupt=set())
    run = evaluate(str(data), ["tiny"], tmp_path / "res", tasks=["object"], templates="openai", cache_dir=None, progress=False)
    assert run.results[0]["templates"] == "openai" and flat_metrics(run.results[0]["metrics"])["n_classes"] == 3
    with pytest.raises(AobenchError, match="not found"):
        evaluate(str(tmp_path / "nope"), ["tiny"], tmp_path / "res", cache_dir=None)
    with pytest.raises(AobenchError, match="offline|Hub"):
        evaluate("someone/not-a-dataset", ["tiny"], tmp_path / "res", cache_dir=None)
    with pytest.raises(AobenchError, match="unknown task"):
        evaluate(str(data), ["tiny"], tmp_path / "res", tasks=["nope"], cache_dir=None)


def test_build_with_real_split_is_evaluated_beside_generated(tmp_path, shapes_build):
    """`aobench real` output (DIR/real/hf) joins the splits, so object accuracy compares generated vs real."""
    import shutil

    from datasets import load_from_disk

    from aobench.evaluate.data import load_data

    build = tmp_path / "b"
    shutil.copytree(shapes_build, build)
    gen = load_from_disk(str(build / "hf"))["test_seen"].select(range(5))
    gen.save_to_disk(str(build / "real" / "hf"))
    data = load_data(str(build))
    assert "real" in data.splits and data.splits["real"].num_rows == 5
    assert {"test_seen", "test_unusual"} <= set(data.splits)


def test_results_long_gives_chance_rows_neither_stderr_nor_n(tmp_path):
    """Chance is the task's, not an estimate: its row borrows neither its metric's stderr nor its group's n (old `_chance` files too)."""
    import csv

    from aobench.evaluate.results import Result, nest_metrics, write_csv

    flat = {"acc": 0.8, "acc_stderr": 0.05, "n": 100, "chance/acc": 0.5, "a/acc": 0.7, "a/acc_stderr": 0.1, "a/n": 20, "a/chance/acc": 0.5,
            "old/acc": 0.6, "old/n": 10, "old/acc_chance": 0.25}  # fmt: skip
    write_csv(tmp_path, [Result("sugarcrepe", "RN50", "openai", "image_caption_selection", nest_metrics(flat))])
    long = {r["metric"]: r for r in csv.DictReader((tmp_path / "results_long.csv").open())}
    assert set(long) == {"acc", "chance/acc", "a/acc", "a/chance/acc", "old/acc", "old/acc_chance"}
    assert (long["acc"]["stderr"], long["acc"]["n"]) == ("0.05", "100") and (long["a/acc"]["stderr"], long["a/acc"]["n"]) == ("0.1", "20")
    assert (long["old/acc"]["stderr"], long["old/acc"]["n"]) == ("", "10")
    for key, value in (("chance/acc", "0.5"), ("a/chance/acc", "0.5"), ("old/acc_chance", "0.25")):
        assert (long[key]["value"], long[key]["stderr"], long[key]["n"]) == (value, "", ""), key


def test_two_protocols_two_keys_stderr_chance_and_the_headline(eval_build, tmp_path, capsys):
    out, cache = tmp_path / "res", tmp_path / "cache"
    code, so, se = _run(["eval", eval_build, "--model", "tiny", "--out", out, "--cache-dir", cache, "--tasks", "composition,object,attribute,foils,retrieval"], capsys)
    assert code == 0, se
    res = {p.name.rsplit("_", 1)[1][:-5]: flat_metrics(json.loads(p.read_text())["metrics"]) for p in out.glob("*.json")}
    m = res["composition"]
    # a split ranked among its own classes (= --splits) and among every evaluated class: two keys, each with its class count
    assert m["by_split/test_unusual/n_classes"] == 36 and m["by_split/test_unusual/n_classes_all"] == 156 and m["n_classes"] == 156
    alone = evaluate(str(eval_build), ["tiny"], tmp_path / "alone", tasks=["composition", "object", "attribute"], splits=["test_unusual"], cache_dir=cache, progress=False)
    by_task = {r["task"]: flat_metrics(r["metrics"]) for r in alone.results}
    for task in ("composition", "object", "attribute"):
        for key in ("acc1", "acc5", "mean_per_class_recall", "acc1_stderr", "n_classes", "chance/acc1"):
            a, b = res[task][f"by_split/test_unusual/{key}"], by_task[task][key]
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-12), (task, key)
    # the _all protocol is the status breakdown's (same images, same class list) here: unusual images are test_unusual's
    assert m["by_split/test_unusual/acc1_all"] == m["by_status/unusual/acc1"] and m["by_split/test_unusual/n"] == 36
    # stderr: binomial for accuracies; chance: 1/classes
    p, n = m["acc1"], m["n"]
    assert m["acc1_stderr"] == pytest.approx(math.sqrt(p * (1 - p) / (n - 1))) and m["mean_per_class_recall_stderr"] > 0
    assert m["chance/acc1"] == pytest.approx(1 / 156) and m["by_split/test_unusual/chance/acc1"] == pytest.approx(1 / 36)
    assert m["by_split/test_unusual/chance/acc1_all"] == pytest.approx(1 / 156)
    fo, rt = res["foils"], res["retrieval"]
    assert fo["chance/acc"] == 0.5 and "acc_stderr" in fo and "by_type/attribute_foil/acc_stderr" in fo and fo["winoground/chance/group"] == pytest.approx(1 / 6)
    assert "winoground/group_stderr" in fo and "text_retrieval_recall@1_stderr" in rt and 0 < rt["chance/text_retrieval_recall@1"] < 1
    # results.csv carries the stderr columns; results_long.csv one row per metric with value, stderr, n
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert {"acc1_stderr", "by_split/test_unusual/acc1_stderr", "by_split/test_unusual/acc1_all_stderr"} <= set(header)
    import csv

    long = list(csv.DictReader((out / "results_long.csv").open()))
    assert list(long[0]) == ["dataset", "model", "pretrained", "task", "metric", "value", "stderr", "n"]
    row = next(r for r in long if r["task"] == "composition" and r["metric"] == "by_split/test_unusual/acc1")
    assert float(row["value"]) == m["by_split/test_unusual/acc1"] and float(row["stderr"]) == pytest.approx(m["by_split/test_unusual/acc1_stderr"]) and row["n"] == "36"
    img = next(r for r in long if r["task"] == "retrieval" and r["metric"] == "image_retrieval_recall@1")
    assert img["n"] == str(int(rt["n_texts"])) and not any(r["metric"].endswith("_stderr") for r in long)
    # a chance level is a row of its own, with no stderr and no n of its own
    ch = next(r for r in long if r["task"] == "composition" and r["metric"] == "by_split/test_unusual/chance/acc1")
    assert float(ch["value"]) == pytest.approx(1 / 36) and ch["stderr"] == "" and ch["n"] == ""
    # the console headline: seen vs unusual with stderr, their gap, chance
    seen, uns = m["by_status/seen/acc1"], m["by_status/unusual/acc1"]
    line = next(x for x in so.splitlines() if "composition acc1 seen" in x)
    assert f"seen {seen:.4f} ± {m['by_status/seen/acc1_stderr']:.4f}" in line and f"unusual {uns:.4f}" in line
    assert f"gap seen - unusual {seen - uns:+.4f}" in line and f"chance {1 / 156:.4f}" in line
