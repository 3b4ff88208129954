"""Speed of `aobench eval sugarcrepe` vs the authors' per-example loop (main_eval.py: one forward per image and per text of each example).

Both sides run the same tiny open_clip model (aobench-tiny, seed 0) on the same placeholder images, in one
process; aobench runs without its embedding cache (every image and caption is embedded). The per-subset
accuracies must be identical; prints both times and the ratio (higher = aobench faster). Target: >= 10x.

Annotations: the published SugarCrepe files from --annotations DIR (or the data home); without them, a
synthetic set of the same shape (7 subsets, 7,511 examples on 1,560 images, 4.8 examples per image).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path


def synthetic(folder: Path, per_subset: int, images: int) -> None:
    """SugarCrepe-shaped files: `per_subset` examples per subset over `images` image names."""
    from aobench.suite.sugarcrepe import SPEC, SUBSETS

    rng = random.Random(0)
    words = "a man woman dog cat red blue small large sits on under next to holds the table street pizza bike".split()
    for subset in SUBSETS:
        n = per_subset or SPEC.counts[subset]
        rows = {}
        for i in range(n):
            cap = " ".join(rng.choice(words) for _ in range(rng.randint(5, 12)))
            neg = " ".join(rng.sample(cap.split(), len(cap.split())))
            rows[str(i)] = {"filename": f"{rng.randrange(images):012d}.jpg", "caption": cap, "negative_caption": neg + " " + rng.choice(words)}
        (folder / "data").mkdir(parents=True, exist_ok=True)
        (folder / "data" / f"{subset}.json").write_text(json.dumps(rows))


def authors_loop(folder: Path, images: Path, subsets, model, preprocess, tokenizer) -> dict:
    """main_eval.py's evaluate(): per example, encode its image and both texts (normalize=True), right iff pos > neg."""
    import torch
    from PIL import Image

    out = {}
    with torch.no_grad():
        for subset in subsets:
            rows = json.loads((folder / "data" / f"{subset}.json").read_text())
            right = 0
            for row in rows.values():
                image = Image.open(images / "coco2017" / row["filename"])
                pos = model.encode_text(tokenizer(row["caption"]), normalize=True)
                neg = model.encode_text(tokenizer(row["negative_caption"]), normalize=True)
                img = model.encode_image(preprocess(image).unsqueeze(dim=0), normalize=True)
                right += 1 if (pos @ img.t()).item() > (neg @ img.t()).item() else 0
            out[subset] = right / len(rows)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--annotations", type=Path, default=None, help="folder with SugarCrepe's data/*.json (default: the data home, else synthetic)")
    ap.add_argument("--per-subset", type=int, default=0, help="synthetic only: examples per subset (0: the published counts)")
    ap.add_argument("--images", type=int, default=1560, help="synthetic only: distinct images")
    ap.add_argument("--subsets", default="", help="comma-separated subsets (default: all 7)")
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()

    import torch

    from aobench.clipzoo import create_open_clip
    from aobench.evaluate import LoadedModel, evaluate
    from aobench.evaluate.sources import benchmark_source
    from aobench.suite.data import benchmark_home, has_annotations
    from aobench.suite.placeholders import write_placeholders

    tmp = Path(tempfile.mkdtemp(prefix="suite_speed."))
    src = benchmark_source("sugarcrepe")
    folder = args.annotations or (benchmark_home("sugarcrepe") if has_annotations(src.spec) else None)
    if folder is None:
        folder = tmp / "annotations"
        synthetic(folder, args.per_subset, args.images)
        kind = "synthetic"
    else:
        kind = "published"
    subsets = [s for s in args.subsets.split(",") if s] or list(src.spec.subsets)
    data = src.load("sugarcrepe", annotations=folder, subsets=subsets)
    write_placeholders(data.examples, tmp / "images")
    n_images = len({r for ex in data.examples for r in ex.images})
    model, preprocess, tokenizer = create_open_clip("tiny")
    loaded = LoadedModel(model, preprocess, tokenizer, name="aobench-tiny")
    ref = "sugarcrepe" if subsets == list(src.spec.subsets) else "sugarcrepe/" + "+".join(subsets)
    evaluate(ref, loaded, tmp / "warm", annotations=folder, images=[str(tmp / "images")], cache_dir=None, progress=False,
             batch_size=args.batch_size)  # warm-up: allocations, spaCy-free imports  # fmt: skip

    t0 = time.perf_counter()
    run = evaluate(ref, loaded, tmp / "out", annotations=folder, images=[str(tmp / "images")], cache_dir=None, progress=False, batch_size=args.batch_size)
    t_ours = time.perf_counter() - t0
    assert not run.failures, run.failures
    ours = {s: run.results[0]["metrics"][s]["acc"] for s in subsets}

    t0 = time.perf_counter()
    theirs = authors_loop(folder, tmp / "images", subsets, model, preprocess, tokenizer)
    t_loop = time.perf_counter() - t0

    print(f"{kind} SugarCrepe: {len(data.examples):,} examples on {n_images:,} images, subsets {', '.join(subsets)}; torch threads {torch.get_num_threads()}")
    for s in subsets:
        print(f"  {s:12s} aobench {ours[s]:.6f}  authors' loop {theirs[s]:.6f}")
    same = ours == theirs
    print(f"per-subset accuracy identical: {same}")
    print(f"aobench eval: {t_ours:.2f} s; per-example loop: {t_loop:.2f} s; ratio {t_loop / t_ours:.1f}x")
    if not same:
        raise SystemExit("per-subset accuracies differ")


if __name__ == "__main__":
    main()
