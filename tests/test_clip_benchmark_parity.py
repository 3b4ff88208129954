"""`aobench export` reproduces `aobench eval`: clip_benchmark's own zero-shot evaluation of the exported split
gives the same acc1, acc5 and mean_per_class_recall as `aobench eval --splits SPLIT` for a saved checkpoint, and a
default run's `by_split/SPLIT/acc1` (`--classes split`) and `by_split/SPLIT/acc1_all` (`--classes all`)."""

from __future__ import annotations

import math

import pytest


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A saved random aobench-tiny open_clip checkpoint (open_clip's {"state_dict": ...} format)."""
    import torch

    from aobench.clipzoo import create_open_clip

    model, _, _ = create_open_clip("tiny")
    path = tmp_path_factory.mktemp("ckpt") / "random.pt"
    torch.save({"epoch": 0, "state_dict": model.state_dict()}, path)
    return path


def _clip_benchmark(root, view, split, checkpoint) -> tuple[dict, object]:
    """clip_benchmark's path for a `wds/` dataset (its builder, batched loader and `evaluate`, CPU, no AMP): (metrics, classifier [D, C])."""
    import open_clip
    import torch
    from clip_benchmark.datasets.builder import build_dataset
    from clip_benchmark.metrics import zeroshot_classification as zc

    from aobench.clipzoo import register_configs

    register_configs()
    model, _, transform = open_clip.create_model_and_transforms("aobench-tiny", pretrained=str(checkpoint))
    model.eval()
    tokenizer = open_clip.get_tokenizer("aobench-tiny")
    ds = build_dataset(dataset_name=f"wds/{view}", root=str(root), split=split, transform=transform)
    loader = torch.utils.data.DataLoader(ds.batched(32), batch_size=None, shuffle=False, num_workers=0)
    metrics = zc.evaluate(model, loader, tokenizer, ds.classes, ds.templates, device="cpu", amp=False)
    return metrics, zc.zero_shot_classifier(model, tokenizer, ds.classes, ds.templates, "cpu", amp=False)


def _aobench_classifier(build, split, view, spec):
    """aobench eval's zero-shot classifier [C, D] for one split and view (its TaskContext, classes in its order)."""
    from aobench.evaluate.cache import EmbeddingCache
    from aobench.evaluate.context import TaskContext, select_templates
    from aobench.evaluate.data import load_data
    from aobench.evaluate.models import resolve

    data = load_data(str(build), [split])
    templates, label = select_templates("recipe", data)
    ctx = TaskContext(data, resolve(spec, "cpu", False), EmbeddingCache(None), templates, label, rows=data.rows(split), image_emb=None)
    classes = ctx.eval_pairs() if view == "composition" else [("", o) for o in sorted({r["object"] for r in ctx.rows})]
    return ctx.class_embeddings(classes)


@pytest.mark.slow
def test_clip_benchmark_on_export_equals_aobench_eval(shapes_build, checkpoint, tmp_path, numpy24_accuracy_shim):
    from aobench.dataset.webdataset import export_webdataset
    from aobench.evaluate.runner import evaluate

    export = tmp_path / "wds"
    res = export_webdataset(shapes_build, export)
    assert res.exact and res.classes == "split"
    compared = 0
    for split in ("test_unusual", "test_seen"):
        run = evaluate(str(shapes_build), [f"open_clip:aobench-tiny:{checkpoint}"], tmp_path / f"eval-{split}", tasks=["composition", "object"],
                       splits=[split], cache_dir=None, progress=False)  # fmt: skip
        ours = {r["task"]: r["metrics"] for r in run.results}
        assert ours["composition"]["n_classes"] == {"test_unusual": 36, "test_seen": 120}[split]
        for view in ("composition", "object"):
            theirs, classifier = _clip_benchmark(export / res.views[view]["splits"][split]["root"], view, split, checkpoint)
            # the classifiers themselves agree: same classes, same order, same prompts (articles included)
            ours_w = _aobench_classifier(shapes_build, split, view, f"open_clip:aobench-tiny:{checkpoint}")
            assert ours_w.shape == classifier.T.shape and float((ours_w - classifier.T).abs().max()) <= 1e-6, (split, view)
            for key in ("acc1", "acc5", "mean_per_class_recall"):
                a, b = ours[view][key], theirs[key]
                assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-6, (split, view, key, a, b)
                compared += not math.isnan(a)
    assert compared >= 8  # acc5 is NaN only where a view has fewer than 5 classes


@pytest.mark.slow
def test_a_default_run_holds_both_protocols_clip_benchmark_reproduces(shapes_build, checkpoint, tmp_path, numpy24_accuracy_shim):
    """One default `aobench eval` (every split): `by_split/S/acc1` is clip_benchmark on the `--classes split` export's
    root of S, and `by_split/S/acc1_all` is clip_benchmark on the `--classes all` export (S among every class)."""
    from aobench.dataset.webdataset import export_webdataset
    from aobench.evaluate.results import flat_metrics
    from aobench.evaluate.runner import evaluate

    exports = {mode: export_webdataset(shapes_build, tmp_path / f"wds-{mode}", classes=mode) for mode in ("split", "all")}
    run = evaluate(str(shapes_build), [f"open_clip:aobench-tiny:{checkpoint}"], tmp_path / "eval", tasks=["composition"], cache_dir=None, progress=False)
    ours = flat_metrics(run.results[0]["metrics"])
    evaluated = set(run.results[0]["splits"])
    compared = 0
    for split in ("test_unusual", "test_seen"):
        for mode, suffix in (("split", ""), ("all", "_all")):
            res = exports[mode]
            if mode == "all" and res.views["composition"]["classes"] != ours["n_classes"]:
                pytest.skip(f"the export's class union ({res.views['composition']['classes']}) spans splits eval did not rank ({evaluated})")
            theirs, _ = _clip_benchmark(tmp_path / f"wds-{mode}" / res.views["composition"]["splits"][split]["root"], "composition", split, checkpoint)
            n_classes = res.views["composition"]["splits"][split]["classes"] if mode == "split" else res.views["composition"]["classes"]
            assert ours[f"by_split/{split}/n_classes{suffix}"] == n_classes
            for key in ("acc1", "acc5", "mean_per_class_recall"):
                a, b = ours[f"by_split/{split}/{key}{suffix}"], theirs[key]
                assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-6, (split, mode, key, a, b)
                compared += not math.isnan(a)
    assert compared >= 10
