"""Study profiles: sizes and hyper-parameters of an NMI sweep, declared as data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from aobench.errors import AobenchError
from aobench.study.train import TrainConfig


@dataclass
class Profile:
    """Everything a sweep needs besides its output folder."""

    name: str
    levels: list[float]
    seeds: int
    images: int  # train images per level (the same at every level)
    test_seen_per_pair: int
    test_unusual_per_pair: int
    train: TrainConfig = field(default_factory=TrainConfig)
    base: str = "shapes-ao"
    # coverage control: every seen pair keeps this many train images and the per-pair counts are the same at every
    # level (dependence kind shared-to-own); 0 turns it off (the recipe's mixture knob: coverage falls as NMI rises)
    min_images_per_seen_pair: int = 10

    def as_dict(self) -> dict:
        """Plain-data form (for the study document and its lock)."""
        return asdict(self)


PROFILES = {
    # smoke test: 2 levels x 1 seed, 2,000 images, the 3.4M-parameter aobench-tiny ViT: 3 minutes measured on 2 quiet
    # CPU cores, 17 minutes on the same 2 cores shared with other jobs
    "quick": Profile(
        name="quick",
        levels=[0.2, 0.45],
        seeds=1,
        images=2000,
        test_seen_per_pair=2,
        test_unusual_per_pair=4,
        train=TrainConfig(arch="aobench-tiny", epochs=30, batch_size=128, lr=2e-3, weight_decay=0.1, warmup_frac=0.1),
        min_images_per_seen_pair=6,
    ),
    # the CPU answer: 5 levels x 3 seeds (5 levels: the level-means permutation test can reach p < 0.05), 4,000 images,
    # aobench-tiny-c16 (aobench-tiny with a 16-token context: shapes-ao prompts are <= 11 tokens), 1,240 steps a run;
    # ~125 s a run measured on 2 quiet CPU cores -> ~33 minutes for the profile (result: docs/results/nmi-study-cpu/)
    "cpu": Profile(
        name="cpu",
        levels=[0.2, 0.275, 0.35, 0.425, 0.5],
        seeds=3,
        images=4000,
        test_seen_per_pair=3,
        test_unusual_per_pair=6,
        train=TrainConfig(arch="aobench-tiny-c16", epochs=40, batch_size=128, lr=2e-3, weight_decay=0.1, warmup_frac=0.1),
        min_images_per_seen_pair=10,
    ),
    # 5 levels x 3 seeds, 6,000 images, the 8.8M-parameter aobench-vit-s-64: sized for one GPU
    "default": Profile(
        name="default",
        levels=[0.2, 0.275, 0.35, 0.425, 0.5],
        seeds=3,
        images=6000,
        test_seen_per_pair=3,
        test_unusual_per_pair=6,
        train=TrainConfig(arch="aobench-vit-s-64", epochs=60, batch_size=256, lr=1e-3, weight_decay=0.1, warmup_frac=0.05),
        min_images_per_seen_pair=15,
    ),
}


AUTO = "auto"


def machine_profile(name: str, device: str = "auto") -> str:
    """`auto` → the profile this machine can run: `default` on a CUDA device, else `cpu`; other names as given."""
    if name != AUTO:
        return name
    from aobench.device import resolve_device

    return "default" if str(resolve_device(device)).startswith("cuda") else "cpu"


def get_profile(name: str, *, levels=None, seeds=None, epochs=None, arch=None, images=None, min_images_per_seen_pair=None) -> Profile:
    """A named profile with command-line overrides applied."""
    if name not in PROFILES:
        raise AobenchError(f"--profile {name!r}: unknown; choose one of {', '.join([AUTO, *PROFILES])}")
    p = PROFILES[name]
    train = replace(p.train, **{k: v for k, v in {"epochs": epochs, "arch": arch}.items() if v is not None})
    if seeds is not None and seeds < 1:
        raise AobenchError("--seeds must be at least 1")
    if epochs is not None and epochs < 1:
        raise AobenchError("--epochs must be at least 1")
    if images is not None and images < 100:
        raise AobenchError("--images must be at least 100")
    if min_images_per_seen_pair is not None and min_images_per_seen_pair < 0:
        raise AobenchError("--min-images-per-seen-pair must be 0 (coverage control off) or more")
    return replace(
        p,
        levels=list(levels) if levels is not None else list(p.levels),
        seeds=seeds if seeds is not None else p.seeds,
        images=images if images is not None else p.images,
        min_images_per_seen_pair=p.min_images_per_seen_pair if min_images_per_seen_pair is None else min_images_per_seen_pair,
        train=train,
    )
