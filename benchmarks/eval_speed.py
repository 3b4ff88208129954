"""Speed of `aobench eval` vs a CLIP_benchmark-style zero-shot loop (tiny open_clip model, CPU by default).

Data: N procedurally rendered images (default 2,000) labelled with C attribute–object classes
(default 1,000), saved with `save_to_disk`. Both sides run in one process on the same data, model,
templates and image batch size:
- baseline, as CLIP_benchmark's `zero_shot_classifier` + `run_classification`: per class, encode its
  templates, normalise, average, renormalise; then decode, preprocess and encode every image batch; every
  run re-embeds everything;
- aobench `evaluate(..., tasks=["composition"])`: cold = empty embedding cache, warm = cache filled.
Asserts identical acc1/acc5 and prints the ratios (higher = aobench faster). Targets: >= 1.5x cold, >= 10x warm.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

warnings.filterwarnings("ignore")


def make_data(root: Path, n: int, n_classes: int) -> tuple[Path, list[tuple[str, str]]]:
    """A save_to_disk dataset of n rendered images whose labels cycle over n_classes (attribute, object) classes."""
    import datasets
    from datasets import Features, Image, Value

    from aobench.generate.procedural import COLOURS, SHAPES, render

    attrs = [f"{c}" for c in COLOURS] + ["striped", "dotted", "small", "large", "checked", "wavy", "shiny", "wooden", "furry", "metal"]
    objs = [f"object{j}" for j in range(max(1, (n_classes + len(attrs) - 1) // len(attrs)))]
    classes = [(a, o) for o in objs for a in attrs][:n_classes]
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        a, o = classes[i % n_classes]
        buf = io.BytesIO()
        render(SHAPES[rng.integers(len(SHAPES))], list(COLOURS)[rng.integers(len(COLOURS))], seed=i, resolution=64).save(buf, format="PNG")
        rows.append({"image": {"bytes": buf.getvalue(), "path": None}, "id": f"img{i:05d}", "attribute": a, "object": o, "attribute_type": "", "prompt": f"{a} {o}"})
    feats = Features({"image": Image(), "id": Value("string"), "attribute": Value("string"), "object": Value("string"), "attribute_type": Value("string"), "prompt": Value("string")})
    d = root / "data"
    datasets.DatasetDict({"test": datasets.Dataset.from_list(rows, features=feats)}).save_to_disk(str(d))
    return d, classes


def baseline(data: Path, templates: list, batch_size: int, device: str) -> dict:
    """CLIP_benchmark's loop: model load, per-class classifier, DataLoader over decoded images, top-k."""
    import datasets

    from aobench.clipzoo import create_open_clip

    model, preprocess, tokenizer = create_open_clip("tiny", device=device)
    ds = datasets.load_from_disk(str(data))["test"]
    classnames = sorted({(a, o) for a, o in zip(ds["attribute"], ds["object"])})  # aobench's class order
    with torch.no_grad():
        weights = []
        for a, o in classnames:  # zero_shot_classifier: one forward per class
            texts = tokenizer([t(f"{a} {o}") if callable(t) else t.format(c=f"{a} {o}") for t in templates]).to(device)
            emb = model.encode_text(texts)
            emb = emb / emb.norm(dim=-1, keepdim=True)
            emb = emb.mean(0)
            weights.append(emb / emb.norm())
        w = torch.stack(weights, dim=1)
        index = {c: i for i, c in enumerate(classnames)}
        ds = ds.with_transform(lambda b: {"pixels": [preprocess(im.convert("RGB")) for im in b["image"]], "y": [index[(a, o)] for a, o in zip(b["attribute"], b["object"])]})
        loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, collate_fn=lambda xs: (torch.stack([x["pixels"] for x in xs]), torch.tensor([x["y"] for x in xs])))
        logits, ys = [], []
        for x, y in loader:
            f = model.encode_image(x.to(device))
            f = f / f.norm(dim=-1, keepdim=True)
            logits.append((100.0 * f @ w).cpu())
            ys.append(y)
    from aobench.evaluate.metrics import classification_metrics

    return classification_metrics(torch.cat(logits).numpy(), torch.cat(ys).numpy())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--templates", default="simple", help="simple (7 OpenAI templates) or openai (80)")
    ap.add_argument("--workers", type=int, default=1, help="aobench image decoding threads (baseline: DataLoader in-process)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    from open_clip import zero_shot_metadata as zsm

    from aobench.evaluate import evaluate
    from aobench.evaluate.results import flat_metrics

    templates = list(zsm.SIMPLE_IMAGENET_TEMPLATES if args.templates == "simple" else zsm.OPENAI_IMAGENET_TEMPLATES)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        data, _ = make_data(tmp, args.images, args.classes)
        print(f"data: {args.images} images x {args.classes} classes, {len(templates)} templates ({time.perf_counter() - t:.1f}s to render)")
        baseline(data, templates[:1], args.batch_size, args.device)  # warm-up: imports, allocator

        t = time.perf_counter()
        ref = baseline(data, templates, args.batch_size, args.device)
        t_base = time.perf_counter() - t

        def ours(cache):
            t0 = time.perf_counter()
            run = evaluate(str(data), ["tiny"], tmp / "out", tasks=["composition"], templates=args.templates, device=args.device,
                           batch_size=args.batch_size, cache_dir=cache, workers=args.workers, progress=False)  # fmt: skip
            return time.perf_counter() - t0, flat_metrics(run.results[0]["metrics"])

        t_cold, m_cold = ours(tmp / "cache")
        t_warm, m_warm = ours(tmp / "cache")
        for m in (m_cold, m_warm):
            for k in ("acc1", "acc5"):
                assert m[k] == ref[k] or (np.isnan(m[k]) and np.isnan(ref[k])), (k, m[k], ref[k])
        print(f"accuracies identical: acc1 {ref['acc1']:.4f}, acc5 {ref['acc5']:.4f}")
        print(f"CLIP_benchmark-style loop: {t_base:.2f}s")
        print(f"aobench cold (empty cache): {t_cold:.2f}s  -> {t_base / t_cold:.2f}x  (target >= 1.5x)")
        print(f"aobench warm (cache filled): {t_warm:.2f}s  -> {t_base / t_warm:.2f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
