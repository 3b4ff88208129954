"""The README's smoke figure of `aobench spectrum` (docs/spectrum/): a tiny CLIP trained for a few epochs on a small shapes-ao build.

A smoke figure, not a finding: aobench-tiny (a few hundred thousand parameters), 2,000 procedural training
images, 8 epochs on CPU. It shows the pieces working end to end: a checkpoint folder evaluated as a series
(one model per epoch, `step` in every result), a WiSE-FT sweep between two of its checkpoints, the random
baseline, then `aobench spectrum` over the results.

    python scripts/make_spectrum_smoke.py [--work runs/spectrum-smoke] [--epochs 8]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

RECIPE = """\
include: shapes-ao
name: shapes-ao-smoke
splits:
  - {name: train, pairs: seen, images: 2000, dependence: 0.3}
  - {name: test_seen, pairs: seen, images_per_pair: 2}
  - {name: test_unusual, pairs: unusual, images_per_pair: 4}
"""


def main() -> None:
    """Build, train (a checkpoint per epoch), evaluate the series, a WiSE-FT sweep and the random model, draw the spectrum."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("runs/spectrum-smoke"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--docs", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "spectrum")
    args = ap.parse_args()

    from aobench import build, evaluate, make_spectrum
    from aobench.study.train import CHECKPOINT, TrainConfig, train

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    recipe = work / "shapes-ao-smoke.yaml"
    recipe.write_text(RECIPE)
    build(str(recipe), work / "build")
    ckpts = work / "checkpoints"
    ckpts.mkdir(exist_ok=True)
    run_dir = work / "train"

    def keep(epoch: int) -> None:  # the trainer keeps only its latest checkpoint: copy each epoch's
        shutil.copy(run_dir / "checkpoints" / CHECKPOINT, ckpts / f"epoch_{epoch}.pt")

    train(work / "build", run_dir, TrainConfig(arch="aobench-tiny", epochs=args.epochs, batch_size=128), seed=0, device="cpu", on_epoch_end=keep)
    arch = "open_clip:aobench-tiny"
    models = [f"{arch}:{ckpts}/", "tiny", f"wise:{arch}:{ckpts}/epoch_2.pt,{arch}:{ckpts}/epoch_{args.epochs}.pt"]
    evaluate(str(work / "build"), models, work / "results", tasks=["composition", "object"], wise_alphas="0,0.25,0.5,0.75,1", device="cpu", skip_existing=True)
    run = make_spectrum([work / "results"], work / "spectrum")
    args.docs.mkdir(parents=True, exist_ok=True)
    for fig in run.figures:
        shutil.copy(fig, args.docs / fig.name)
        print(args.docs / fig.name)


if __name__ == "__main__":
    main()
