"""`aobench spectrum`: hand-made result files of both tools joined by (model, pretrained), known correlations, figures, the reference overlay."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

from aobench.spectrum.run import make_spectrum
from conftest import cli, write_aobench_result, write_clip_benchmark_result

X = [0.1, 0.2, 0.3, 0.4]  # ImageNet acc1 of four models (CLIP_benchmark)
Y = [0.9, 0.2, 0.3, 0.1]  # their unusual-pair accuracy (aobench)
R_PEARSON = -0.115 / math.sqrt(0.05 * 0.3875)  # centred sums: sxy = -0.115, sxx = 0.05, syy = 0.3875
RHO = -0.8  # ranks of Y (4, 2, 3, 1): 1 - 6 * 18 / (4 * 15)
MODELS = [("ViT-B-32", "openai"), ("ViT-B-16", "laion2b_s34b_b88k"), ("RN50", "openai"), ("ckpt-arch", "runs/a/epoch_1.pt")]
COMPOSITION = "shapes-ao/composition/by_status/unusual/acc1"
IMAGENET = "imagenet1k/zeroshot_classification/acc1"
MEAN_X = "mean/zeroshot_classification/acc1"


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def two_tools(tmp_path) -> tuple[Path, Path]:
    """Four models: ImageNet zero-shot from CLIP_benchmark, unusual-pair accuracy from aobench; a fifth model only in CLIP_benchmark."""
    cb, ao = tmp_path / "clip_benchmark", tmp_path / "aobench"
    for (model, pre), x, y in zip(MODELS, X, Y):
        # CLIP_benchmark was given the checkpoint as ./runs//a/epoch_1.pt: the same file, spelled differently
        cb_pre = "./runs//a/epoch_1.pt" if pre.endswith(".pt") else pre
        write_clip_benchmark_result(cb, "wds/imagenet1k", model, cb_pre, "zeroshot_classification", {"acc1": x, "acc5": min(1, 3 * x), "mean_per_class_recall": x})
        write_aobench_result(ao, "shapes-ao", model, pre, "composition", {"acc1": y / 2, "by_status/unusual/acc1": y, "by_status/seen/acc1": 0.5, "n_classes": 40,
                                                                          "by_attribute_type/colour/acc1": y, "by_attribute_type/shape/acc1": y / 3})  # fmt: skip
        write_aobench_result(ao, "shapes-ao", model, pre, "object", {"acc1": 0.6, "n_classes": 8})
    write_clip_benchmark_result(cb, "wds/imagenet1k", "ViT-L-14", "openai", "zeroshot_classification", {"acc1": 0.7, "acc5": 0.9, "mean_per_class_recall": 0.7})
    return ao, cb


def test_known_correlations_and_the_join(two_tools, tmp_path):
    run = make_spectrum(list(two_tools), tmp_path / "out", bootstrap=500, seed=1)
    assert run.x == MEAN_X and run.y == [COMPOSITION]  # defaults: mean zero-shot acc1; the unusual-pair accuracy
    rows = {(r["model"], r["pretrained"]): r for r in _rows(run.csv)}
    assert len(rows) == 5  # the checkpoint's two spellings are one model; ViT-L-14 has CLIP_benchmark results only
    for (model, pre), x, y in zip(MODELS, X, Y):
        r = rows[(model, pre)]
        assert float(r[IMAGENET]) == x and float(r[MEAN_X]) == x and float(r[COMPOSITION]) == y
    ck = rows[("ckpt-arch", "runs/a/epoch_1.pt")]
    assert ck["step"] == "1" and ck["group"] == "fine-tuned" and ck["series"] == "open_clip:ckpt-arch:runs/a/"
    assert rows[("ViT-L-14", "openai")][COMPOSITION] == "" and rows[("ViT-B-32", "openai")]["group"] == "pre-trained"

    doc = json.loads(run.correlations.read_text())
    pair = next(p for p in doc["pairs"] if p["x"] == MEAN_X and p["y"] == COMPOSITION)
    assert pair["n"] == 4 and sorted(pair["models"]) == sorted(f"open_clip:{m}:{p}" for m, p in MODELS)
    assert pair["pearson"]["r"] == pytest.approx(R_PEARSON, abs=1e-12) and pair["pearson"]["r"] == pytest.approx(st.pearsonr(X, Y).statistic, abs=1e-12)
    assert pair["spearman"]["r"] == pytest.approx(RHO, abs=1e-12)
    ref = st.permutation_test((np.array(Y),), lambda yy: abs(st.pearsonr(X, yy).statistic), permutation_type="pairings", alternative="greater", n_resamples=np.inf)
    assert pair["pearson"]["test"] == "exact" and pair["pearson"]["p_value"] == pytest.approx(ref.pvalue, abs=1e-12)
    lo, hi = pair["pearson"]["ci"]
    assert -1 <= lo <= hi <= 1 and pair["pearson"]["n_undefined_resamples"] >= 0
    # chance levels: r = 0; ImageNet's 1/1000; 1/40 classes for the composition task
    assert pair["chance"] == {"r": 0.0, "x": pytest.approx(1 / 1000), "y": pytest.approx(1 / 40)}
    assert "percentile bootstrap" in doc["protocol"] and "seed 1" in doc["protocol"] and doc["n_models"] == 5
    # every recognition metric is correlated too (here also aobench's object accuracy, constant: r undefined)
    assert {p["x"] for p in doc["pairs"]} == {MEAN_X, IMAGENET, "shapes-ao/object/acc1"}
    assert next(p for p in doc["pairs"] if p["x"] == "shapes-ao/object/acc1")["pearson"]["r"] is None
    assert {f.name for f in run.figures} == {"spectrum.png"}  # no series of two or more steps: no dynamics
    assert any("dynamics.png not drawn" in n for n in run.notes)


def test_reruns_write_the_same_bytes(two_tools, tmp_path):
    a = make_spectrum(list(two_tools), tmp_path / "a", bootstrap=200)
    b = make_spectrum(list(two_tools), tmp_path / "b", bootstrap=200)
    for name in ("spectrum.csv", "correlations.json", "spectrum.png"):
        assert (a.out / name).read_bytes() == (b.out / name).read_bytes(), name


def _series(tmp_path: Path) -> Path:
    """A checkpoint series (3 steps, aobench results with step/series), a WiSE-FT sweep (3 alphas) and two pre-trained models."""
    d = tmp_path / "results"
    folder = "ckpts/run1/"
    for step, (x, y) in enumerate([(0.30, 0.62), (0.40, 0.58), (0.45, 0.50)], 1):
        pre = f"{folder}epoch_{step}.pt"
        kw = {"spec": f"open_clip:ViT-B-32:{pre}", "step": step, "series": f"open_clip:ViT-B-32:{folder}"}
        write_aobench_result(d, "shapes-ao", "ViT-B-32", pre, "object", {"acc1": x, "n_classes": 10}, **kw)
        write_aobench_result(d, "shapes-ao", "ViT-B-32", pre, "composition", {"by_status/unusual/acc1": y, "by_status/seen/acc1": y + 0.2,
                                                                               "n_classes": 20}, **kw)  # fmt: skip
    wise = "wise:open_clip:ViT-B-32:openai,open_clip:ViT-B-32:ft.pt"
    for alpha, (x, y) in zip((0.0, 0.5, 1.0), [(0.6, 0.4), (0.55, 0.5), (0.4, 0.6)]):
        kw = {"spec": f"{wise}@{alpha:g}", "alpha": alpha}
        pre = f"wise(openai,ft.pt)@{alpha:g}"
        write_aobench_result(d, "shapes-ao", "ViT-B-32", pre, "object", {"acc1": x, "n_classes": 10}, **kw)
        write_aobench_result(d, "shapes-ao", "ViT-B-32", pre, "composition", {"by_status/unusual/acc1": y, "n_classes": 20}, **kw)
    for name, x, y in (("openai", 0.62, 0.41), ("laion400m_e32", 0.5, 0.45)):
        write_aobench_result(d, "shapes-ao", "ViT-B-16", name, "object", {"acc1": x, "n_classes": 10})
        write_aobench_result(d, "shapes-ao", "ViT-B-16", name, "composition", {"by_status/unusual/acc1": y, "n_classes": 20})
    return d


def test_series_and_wise_paths_and_both_figures(tmp_path):
    run = make_spectrum([_series(tmp_path)], tmp_path / "out", bootstrap=100)
    assert run.x == "shapes-ao/object/acc1" and run.y == [COMPOSITION]  # no CLIP_benchmark classification: aobench's object task
    rows = _rows(run.csv)
    assert [(r["step"], r["alpha"], r["group"]) for r in rows if r["series"]] == [
        ("1", "", "fine-tuned"), ("2", "", "fine-tuned"), ("3", "", "fine-tuned"), ("", "0", "wise-ft"), ("", "0.5", "wise-ft"), ("", "1", "wise-ft")]
    assert {r["series"] for r in rows if r["alpha"]} == {"wise:open_clip:ViT-B-32:openai,open_clip:ViT-B-32:ft.pt"}
    assert {f.name for f in run.figures} == {"spectrum.png", "dynamics.png"}
    from PIL import Image

    for f in run.figures:
        with Image.open(f) as im:
            assert im.format == "PNG" and im.size[0] > 200
    doc = json.loads(run.correlations.read_text())
    assert doc["pairs"][0]["n"] == 8 and any("not independent" in n for n in doc["notes"])
    # dynamics.png: the series' lines are composition's other pair status, and each series' points in step order
    from aobench.spectrum.plots import series_of, subset_lines
    from aobench.spectrum.table import load_table

    table = load_table([tmp_path / "results"])
    assert subset_lines(table, COMPOSITION) == ["shapes-ao/composition/by_status/seen/acc1"]  # beside the headline (unusual) itself
    assert [r.step for r in series_of(table)["open_clip:ViT-B-32:ckpts/run1/"]] == [1, 2, 3]


def test_marks_and_unclassified_results(two_tools, tmp_path):
    ao, cb = two_tools
    write_aobench_result(ao, "shapes-ao", "ViT-B-32", "openai", "my_plugin_task", {"score": 0.3})
    run = make_spectrum([ao, cb], tmp_path / "out", fine_tuned=["*laion2b*"], bootstrap=0)
    rows = {(r["model"], r["pretrained"]): r for r in _rows(run.csv)}
    assert rows[("ViT-B-16", "laion2b_s34b_b88k")]["group"] == "fine-tuned"
    assert rows[("ViT-B-32", "openai")]["shapes-ao/my_plugin_task/score"] == "0.3"
    assert any("shapes-ao/my_plugin_task" in n and "not correlated" in n for n in run.notes)
    pair = json.loads(run.correlations.read_text())["pairs"][0]
    assert pair["pearson"]["ci"] is None and pair["pearson"]["r"] == pytest.approx(R_PEARSON)  # --bootstrap 0: no interval


def test_sugar_crepe_subsets_make_one_aggregate(tmp_path):
    cb = tmp_path / "cb"
    subsets = {"add_att": [0.8, 0.7, 0.6], "swap_obj": [0.6, 0.5, 0.55]}
    for i, model in enumerate(("A", "B", "C")):
        write_clip_benchmark_result(cb, "imagenet1k", model, "openai", "zeroshot_classification", {"acc1": 0.2 + 0.1 * i})
        for sub, accs in subsets.items():
            if model == "C" and sub == "swap_obj":
                continue  # C lacks a subset: its aggregate is undefined, not a mean over the other one
            write_clip_benchmark_result(cb, f"sugar_crepe/{sub}", model, "openai", "image_caption_selection", {"acc": accs[i], "text_acc": accs[i], "image_acc": 1.0})
    run = make_spectrum([cb], tmp_path / "out", bootstrap=0)
    agg = "sugar_crepe/image_caption_selection/acc"
    assert run.y == [agg]
    rows = {r["model"]: r for r in _rows(run.csv)}
    assert float(rows["A"][agg]) == pytest.approx(0.7) and float(rows["B"][agg]) == pytest.approx(0.6) and rows["C"][agg] == ""
    assert any(n.startswith(agg) and "undefined for 1 model" in n for n in run.notes)
    doc = json.loads(run.correlations.read_text())
    assert doc["columns"][agg]["chance"] == 0.5 and "macro mean" in doc["columns"][agg]["derived"]


REFERENCE = """\
,arch,pretrained,family,elevator::imagenet-1k,sugarcrepe::add_att,sugarcrepe::swap_obj,winoground::group
0,ViT-B-32,openai,OpenCLIP,63.0,80.0,60.0,8.75
1,ViT-L-14,laion2b,OpenCLIP,75.0,85.0,64.0,10.0
2,NegCLIP,coco-ft,StructuredCLIP,55.0,90.0,75.0,9.0
3,DAC-LLM,cc3m-ft,StructuredCLIP,50.0,92.0,80.0,,
"""


def test_reference_overlay_in_vl_compo_format(tmp_path):
    cb = tmp_path / "cb"
    for i, model in enumerate(("A", "B", "C")):
        write_clip_benchmark_result(cb, "imagenet1k", model, "openai", "zeroshot_classification", {"acc1": 0.2 + 0.1 * i})
        for sub in ("add_att", "swap_obj"):
            write_clip_benchmark_result(cb, f"sugar_crepe/{sub}", model, "openai", "image_caption_selection", {"acc": 0.9 - 0.1 * i, "text_acc": 0.9, "image_acc": 1.0})
        retrieval = {f"{d}_retrieval_recall@{k}": 0.1 * (i + 1) * k / 10 for d in ("image", "text") for k in (1, 5, 10)}
        write_clip_benchmark_result(cb, "mscoco_captions", model, "openai", "zeroshot_retrieval", retrieval)
    ref = tmp_path / "individual_results.csv"
    ref.write_text(REFERENCE.replace(",winoground::group\n", ",winoground::group,coco_karpathy::t2i/R@1\n")
                   .replace("8.75\n", "8.75,30.5\n").replace("10.0\n", "10.0,36.0\n").replace("9.0\n", "9.0,28.0\n"))  # fmt: skip
    run = make_spectrum([cb], tmp_path / "out", reference=[ref], bootstrap=0)
    pair = next(p for p in run.pairs if p["x"] == MEAN_X)
    # the reference's x is elevator::imagenet-1k, its y the mean of the same two SugarCrepe subsets, percent → fraction
    xs, ys = [0.63, 0.75, 0.55, 0.50], [0.70, 0.745, 0.825, 0.86]
    assert pair["reference"]["n"] == 4
    assert pair["reference"]["pearson"]["r"] == pytest.approx(st.pearsonr(xs, ys).statistic, abs=1e-12)
    assert pair["reference"]["spearman"]["r"] == pytest.approx(st.spearmanr(xs, ys).statistic, abs=1e-12)
    doc = json.loads(run.correlations.read_text())
    assert doc["reference"]["n_models"] == 4 and doc["reference"]["scale"] == 100.0
    # CLIP_benchmark's retrieval is recognition too: each direction's R@1 is correlated; text→image R@1 is vl_compo's t2i/R@1
    t2i = "mscoco_captions/zeroshot_retrieval/image_retrieval_recall@1"
    assert {t2i, "mscoco_captions/zeroshot_retrieval/text_retrieval_recall@1"} <= {p["x"] for p in run.pairs}
    pair = next(p for p in run.pairs if p["x"] == t2i)
    assert pair["n"] == 3 and pair["reference"]["n"] == 3  # DAC-LLM has no coco_karpathy value
    assert pair["reference"]["pearson"]["r"] == pytest.approx(st.pearsonr([0.305, 0.36, 0.28], [0.70, 0.745, 0.825]).statistic, abs=1e-12)


def test_bad_input_is_one_line_exit_2(capsys, two_tools, tmp_path):
    ao, cb = two_tools
    code, _, err = cli(capsys, "spectrum", ao, cb, "--out", tmp_path / "o", "--y", "shapes-ao/composition/by_status/unusal/acc1")
    assert code == 2 and "no such metric" in err and "did you mean shapes-ao/composition/by_status/unusual/acc1" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    code, _, err = cli(capsys, "spectrum", tmp_path / "nowhere", "--out", tmp_path / "o")
    assert code == 2 and "no such file or directory" in err
    (tmp_path / "empty").mkdir()
    code, _, err = cli(capsys, "spectrum", tmp_path / "empty", "--out", tmp_path / "o")
    assert code == 2 and "no result JSON" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("name,score\nx,1\n")
    code, _, err = cli(capsys, "spectrum", ao, cb, "--out", tmp_path / "o", "--reference", bad)
    assert code == 2 and f"{bad}:1: needs a `model` (or `arch`) and a `pretrained` column" in err
    bad.write_text("arch,pretrained,sugarcrepe::add_att\nA,openai,high\n")
    code, _, err = cli(capsys, "spectrum", ao, cb, "--out", tmp_path / "o", "--reference", bad)
    assert code == 2 and f"{bad}:2: column 'sugarcrepe::add_att' holds 'high', not a number" in err
    bad.write_text("arch,pretrained,sugarcrepe::add_att\nA,openai,0.8\nB,openai,85\n")  # fractions and a percentage mixed up
    code, _, err = cli(capsys, "spectrum", ao, cb, "--out", tmp_path / "o", "--reference", bad, "--reference-scale", "1")
    assert code == 2 and f"{bad}:3: column 'sugarcrepe::add_att' holds 85" in err and "not a fraction in [0, 1]" in err
    (tmp_path / "afile").write_text("x")
    code, _, err = cli(capsys, "spectrum", ao, cb, "--out", tmp_path / "afile")
    assert code == 2 and "afile" in err and len(err.strip().splitlines()) == 1 and (tmp_path / "afile").read_text() == "x"


def test_cli_prints_the_correlations(capsys, two_tools, tmp_path):
    code, out, err = cli(capsys, "spectrum", *two_tools, "--out", tmp_path / "o", "--bootstrap", "100")
    assert code == 0, err
    assert COMPOSITION in out and f"{R_PEARSON:+.3f}" in out and f"{RHO:+.3f}" in out
    assert "spectrum.csv, correlations.json, spectrum.png" in out


def test_report_draws_the_spectrum_from_three_models(two_tools, tmp_path):
    from aobench.report.gallery import make_report

    ao, _ = two_tools
    res = make_report(ao, results=[ao])
    assert any(f.name == "spectrum.png" for f in res.figures)
    two = tmp_path / "two"
    for (model, pre), y in list(zip(MODELS, Y))[:2]:
        write_aobench_result(two, "shapes-ao", model, pre, "composition", {"by_status/unusual/acc1": y, "n_classes": 40})
        write_aobench_result(two, "shapes-ao", model, pre, "object", {"acc1": y, "n_classes": 8})
    assert not any(f.name == "spectrum.png" for f in make_report(two, results=[two]).figures)


@pytest.mark.slow
def test_clip_benchmark_eval_of_a_series_joins_its_rows(shapes_build, checkpoint_series, tmp_path, numpy24_accuracy_shim, monkeypatch):
    """Real clip_benchmark runs (its own CLI) on the exported build join the rows of the same checkpoints evaluated by aobench."""
    import sys

    import clip_benchmark.cli as cb_cli

    from aobench.clipzoo import register_configs
    from aobench.dataset.webdataset import export_webdataset
    from aobench.evaluate.runner import evaluate

    split = "test_unusual"
    ao, cb = tmp_path / "aobench", tmp_path / "clip_benchmark"
    run = evaluate(str(shapes_build), [f"open_clip:aobench-tiny:{checkpoint_series}/"], ao, tasks=["composition", "object"], splits=[split],
                   cache_dir=None, progress=False)  # fmt: skip
    assert not run.failures and len(run.results) == 6
    export = export_webdataset(shapes_build, tmp_path / "wds")
    register_configs()  # clip_benchmark loads aobench-tiny through open_clip's registry
    cb.mkdir()
    for view in ("object", "composition"):
        root = tmp_path / "wds" / export.views[view]["splits"][split]["root"]
        for epoch in (1, 2, 3):
            # given as clip_benchmark users type paths: a doubled slash, normalised by the join
            argv = ["clip_benchmark", "eval", "--dataset", f"wds/{view}", "--dataset_root", str(root), "--split", split, "--model", "aobench-tiny",
                    "--pretrained", f"{checkpoint_series}//epoch_{epoch}.pt", "--output", str(cb / "{dataset}_{pretrained}_{model}_{language}_{task}.json"),
                    "--no_amp", "--num_workers", "0", "--batch_size", "32"]  # fmt: skip
            monkeypatch.setattr(sys, "argv", argv)
            cb_cli.main()
    assert sorted(p.name for p in cb.glob("object_*.json")) == [f"object_epoch_{e}.pt_aobench-tiny_en_zeroshot_classification.json" for e in (1, 2, 3)]
    spec = make_spectrum([ao, cb], tmp_path / "out", bootstrap=100)
    rows = _rows(spec.csv)
    assert [(r["pretrained"], r["step"]) for r in rows] == [(str(checkpoint_series / f"epoch_{e}.pt"), str(e)) for e in (1, 2, 3)]
    assert spec.x == MEAN_X and "shapes-ao-small/composition/by_status/unusual/acc1" in spec.y
    keys = [f"{view}/{m}" for view in ("object", "composition") for m in ("acc1", "acc5", "mean_per_class_recall")]
    for r in rows:  # each clip_benchmark file sits on its checkpoint's row: its metrics are aobench's own for that checkpoint
        for k in keys:
            view, m = k.split("/")
            theirs, ours = r[f"{view}/zeroshot_classification/{m}"], r[f"shapes-ao-small/{view}/{m}"]
            assert (theirs == ours == "") or float(theirs) == pytest.approx(float(ours), abs=1e-6), (r["pretrained"], k)
    # the three checkpoints score differently, so a row given another checkpoint's file would fail above
    assert len({tuple(r[f"{k.split('/')[0]}/zeroshot_classification/{k.split('/')[1]}"] for k in keys) for r in rows}) == 3
    assert {f.name for f in spec.figures} == {"spectrum.png", "dynamics.png"}


def test_a_dir_given_twice_counts_once_and_paths_read_normalised(two_tools, tmp_path):
    ao, cb = two_tools
    run = make_spectrum([cb, ao, ao, ao.parent / "aobench" / "."], tmp_path / "out", bootstrap=0)
    assert run.n_results == 13 and not any("a second result" in n for n in run.notes)  # 4 + 1 CLIP_benchmark files, 8 aobench files
    # CLIP_benchmark's spelling came first: the row still names the checkpoint by its normalised path
    assert ("ckpt-arch", "runs/a/epoch_1.pt") in {(r["model"], r["pretrained"]) for r in _rows(run.csv)}
    # the same result in two dirs is a conflict: the first given is kept, and a note names both
    twin = tmp_path / "twin"
    write_aobench_result(twin, "shapes-ao", "RN50", "openai", "object", {"acc1": 0.99, "n_classes": 8})
    run = make_spectrum([ao, twin, cb], tmp_path / "out2", bootstrap=0)
    assert any("a second result of RN50:openai on shapes-ao/object" in n for n in run.notes)
    assert {r["model"]: r for r in _rows(run.csv)}["RN50"]["shapes-ao/object/acc1"] == "0.6"


def test_chance_read_from_the_result_new_form_first_old_suffix_still_read():
    """`<group>/chance/<metric>` (aobench's one convention) is read before an old file's `<group>/<metric>_chance`, before the spec."""
    from aobench.spectrum import roles

    rule = roles.rule_for("image_caption_selection", "svo_probes")
    assert roles.chance_of(rule, "svo_probes", "subj_neg/acc", {"subj_neg/acc": 0.8, "subj_neg/chance/acc": 0.3}) == 0.3
    assert roles.chance_of(rule, "svo_probes", "subj_neg/acc", {"subj_neg/acc": 0.8, "subj_neg/acc_chance": 0.4}) == 0.4
    assert roles.chance_of(rule, "svo_probes", "subj_neg/acc", {"subj_neg/chance/acc": 0.3, "subj_neg/acc_chance": 0.4}) == 0.3
    assert roles.chance_of(rule, "svo_probes", "subj_neg/acc", {"subj_neg/acc": 0.8}) == 0.5  # none stated: the spec's
    assert roles.chance_of(rule, "svo_probes", "acc", {"acc": 0.8, "chance/acc": 0.25}) == 0.25
    comp = roles.rule_for("composition", "shapes-ao")  # aobench's eval: a breakdown's chance sits in its group
    assert roles.chance_of(comp, "shapes-ao", "by_status/unusual/acc1", {"by_status/unusual/chance/acc1": 0.01, "n_classes": 40}) == 0.01
    # the aggregate's `chance/acc` is not a subset called "chance"
    assert rule.subset_metrics({"a/acc": 1.0, "chance/acc": 0.5, "a/chance/acc": 0.5, "acc": 1.0}, "acc") == {"a/acc": "a"}


def test_suite_benchmarks_and_clip_benchmark_winoground(tmp_path):
    """Results in the suite's format (task image_caption_selection, dataset = benchmark, `SUBSET/m`, `SUBSET/chance/m`; ColorSwap's in the old
    `SUBSET/m_chance` form) and CLIP_benchmark's Winoground."""
    d = tmp_path / "r"
    for i, (model, pre) in enumerate(MODELS[:3]):
        write_clip_benchmark_result(d, "imagenet1k", model, pre, "zeroshot_classification", {"acc1": X[i]})
        write_clip_benchmark_result(d, "winoground", model, pre, "image_caption_selection", {"acc": 0.1 * i, "text_acc": 0.3, "image_acc": 0.2})
        svo = {"subj_neg/acc": 0.8 - 0.1 * i, "subj_neg/chance/acc": 0.5, "verb_neg/acc": 0.7, "verb_neg/chance/acc": 0.5, "acc": 0.75 - 0.05 * i,
               "acc_stderr": 0.02, "chance/acc": 0.5}  # fmt: skip
        write_aobench_result(d, "svo_probes", model, pre, "image_caption_selection", svo, spec=f"open_clip:{model}:{pre}")
        group = {"test/text": 0.3, "test/image": 0.2, "test/group": 0.1 + 0.05 * i, "test/group_chance": 1 / 6, "group": 0.1 + 0.05 * i, "acc": 0.1 + 0.05 * i}
        write_aobench_result(d, "colorswap", model, pre, "image_caption_selection", group)
    ref = tmp_path / "results.csv"
    ref.write_text("arch,pretrained,family,elevator::imagenet-1k,svo_probes,svo_probes::subj_neg,winoground::group,colorswap::group\n"
                   "A,x,OpenCLIP,60,80,85,10,12\nB,y,OpenCLIP,70,82,86,12,15\nC,z,OpenCLIP,50,78,80,8,11\n")  # fmt: skip
    run = make_spectrum([d], tmp_path / "out", reference=[ref], bootstrap=0)
    svo, cs, wg = "svo_probes/image_caption_selection/acc", "colorswap/image_caption_selection/acc", "winoground/image_caption_selection/acc"
    assert set(run.y) == {svo, cs, wg}
    doc = json.loads(run.correlations.read_text())
    # chance: svo's from the suite's SPEC (1/2); a 2×2-group benchmark's aggregate is its group score (1/6); Winoground's group (1/6)
    assert doc["columns"][svo]["chance"] == 0.5 and doc["columns"][cs]["chance"] == pytest.approx(1 / 6) and doc["columns"][wg]["chance"] == pytest.approx(1 / 6)
    from aobench.spectrum.plots import subset_lines
    from aobench.spectrum.table import load_table

    table = load_table([d])
    assert subset_lines(table, svo) == ["svo_probes/image_caption_selection/subj_neg/acc", "svo_probes/image_caption_selection/verb_neg/acc"]
    assert subset_lines(table, cs) == ["colorswap/image_caption_selection/test/group"]
    assert table.columns["svo_probes/image_caption_selection/subj_neg/acc"].chance == 0.5
    assert all(r.stderrs[svo] == 0.02 for r in table.rows) and not any(cs in r.stderrs for r in table.rows)  # error bars where stated
    # the reference: svo's aggregate column (results.csv), Winoground's and ColorSwap's group columns, each against elevator::imagenet-1k
    ref_x = [0.6, 0.7, 0.5]
    for y, ref_y in ((svo, [0.80, 0.82, 0.78]), (wg, [0.10, 0.12, 0.08]), (cs, [0.12, 0.15, 0.11])):
        pair = next(p for p in run.pairs if p["x"] == MEAN_X and p["y"] == y)
        assert pair["reference"]["n"] == 3 and pair["reference"]["pearson"]["r"] == pytest.approx(st.pearsonr(ref_x, ref_y).statistic, abs=1e-12), y
