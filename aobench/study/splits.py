"""Training splits at a target caption NMI: solve shapes-ao's `dependence` knob, build, measure.

Only the train split's `dependence` changes between levels; the recipe seed, the number of images,
the seen pairs and the held-out (unusual) pairs stay fixed. The solver predicts NMI from the exact
per-pair image counts (`train_distribution` + `allocate`), bisects on it, then checks the planned
captions with `aobench nmi`'s own code; the number a study reports is measured on the built split.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from aobench.artifacts import BuildDir
from aobench.errors import AobenchError
from aobench.options import parse_floats
from aobench.recipe import Recipe
from aobench.recipe import load as load_recipe
from aobench.study.studydir import LevelDir

TOLERANCE = 0.02
NORMALIZATION = "arithmetic"  # aobench nmi's default


def nmi_value(counts: dict[tuple[str, str], int], normalization: str = NORMALIZATION) -> float:
    """The NMI number of a {(attribute, object): count} table (the solver's prediction; `aobench.text.stats.nmi_of_counts` gives the full statistics of a `Counts`)."""
    from collections import Counter

    from aobench.text.counts import Counts
    from aobench.text.stats import nmi_of_counts as text_nmi

    return float(text_nmi(Counts(pairs=Counter({k: int(n) for k, n in counts.items() if n > 0})), normalization)["nmi"])


def measure_captions(captions: list[str], workdir: str | Path, recipe_ref: str = "shapes-ao") -> dict:
    """NMI of a caption list measured by `aobench nmi`'s own function; writes the captions and their nmi dir into the level dir `workdir`."""
    from aobench.text.analyze import run_nmi

    level = LevelDir(workdir)
    corpus = level.write_captions(captions)
    return dict(run_nmi([str(corpus)], level.nmi.root, vocab_ref=recipe_ref, normalization=NORMALIZATION)["pooled"])


@dataclass
class SplitPlan:
    """A solved level: target, the knob value and the NMI predicted and measured on its planned captions."""

    target: float
    dependence: float
    predicted_nmi: float
    planned_nmi: float


class NmiSolver:
    """Predict and solve caption NMI of a base recipe's train split as a function of `dependence`.

    kind "mixture" (min_images_per_pair 0: the recipe's own knob) moves images from each object's other
    pairs to its preferred one, so seen-pair coverage falls as NMI rises; kind "shared-to-own" keeps
    every pair at min_images_per_pair and the same per-pair counts at every level (see
    `aobench.budget.shared_to_own_counts`), so only which attribute each object's extra images carry changes.
    """

    def __init__(self, base: str = "shapes-ao", images: int = 3000, split: str = "train", tolerance: float = TOLERANCE,
                 min_images_per_pair: int = 0, kind: str = "mixture"):  # fmt: skip
        from aobench.pairs import select_pairs
        from aobench.recipe import load
        from aobench.vocab import load_vocab

        self.base, self.images, self.split, self.tolerance = base, images, split, tolerance
        self.min_images_per_pair, self.kind = min_images_per_pair, kind
        if kind == "shared-to-own" and min_images_per_pair < 1:
            raise AobenchError("--min-images-per-seen-pair must be at least 1 for the coverage-controlled design (0 means the mixture design)")
        self.recipe = load(base, {"splits": [self.split_spec(0.0)]})
        self.pairs = select_pairs(self.recipe, load_vocab(self.recipe.vocab))
        self.seen = [p for p in self.pairs if p.status == "seen"]
        if not self.seen:
            raise AobenchError(f"recipe {base}: no seen pairs, so no training split can be made")
        if min_images_per_pair * len(self.seen) > images:
            raise AobenchError(
                f"--min-images-per-seen-pair {min_images_per_pair}: {len(self.seen)} seen pairs need {min_images_per_pair * len(self.seen)} "
                f"images, more than the {images} train images — lower it or raise --images"
            )

    def split_spec(self, dependence: float) -> dict:
        """The train split's recipe entry at this dependence."""
        spec = {"name": self.split, "pairs": "seen", "images": self.images, "dependence": float(dependence)}
        if self.min_images_per_pair:
            spec["min_images_per_pair"] = self.min_images_per_pair
        if self.kind != "mixture":
            spec["dependence_kind"] = self.kind
        return spec

    def counts(self, dependence: float) -> dict[tuple[str, str], int]:
        """Exact images per (attribute, object) of the split at this dependence."""
        from aobench.budget import split_counts

        return split_counts(self.seen, dependence, self.recipe.seed, self.images, self.min_images_per_pair, kind=self.kind)

    def predict(self, dependence: float) -> float:
        """NMI of the split's pair counts (what the captions should measure)."""
        return nmi_value({k: n for k, n in self.counts(dependence).items() if n > 0})

    def reachable(self) -> tuple[float, float]:
        """(NMI at dependence 0, NMI at dependence 1)."""
        return self.predict(0.0), self.predict(1.0)

    def check_targets(self, targets: list[float]) -> None:
        """Refuse, in one line with the reachable range, targets the knob cannot reach."""
        lo, hi = self.reachable()
        bad = [t for t in targets if not (lo - self.tolerance <= t <= hi + self.tolerance)]
        if bad:
            k = self.min_images_per_pair
            floor = f" at >= {k} images per seen pair" if k else ""
            hint = " (a lower --min-images-per-seen-pair or more --images reaches higher NMI)" if k else ""
            raise AobenchError(
                f"--nmi {','.join(f'{t:g}' for t in bad)}: unreachable with {self.base}'s seen pairs and "
                f"{self.images} train images{floor}; reachable caption NMI is {lo:.3f} to {hi:.3f} (dependence 0 to 1, "
                f"tolerance ±{self.tolerance}) — pick targets in that range{hint}"
            )

    def planned_captions(self, dependence: float) -> list[str]:
        """Captions (prompts) the split would have at this dependence, before any filter."""
        from aobench.generate.plan import plan

        recipe = self.recipe.model_copy(deep=True)
        recipe.splits = [recipe.splits[0].model_copy(update={"dependence": float(dependence)})]
        return [it.prompt for it in plan(recipe, self.seen)]

    def solve(self, target: float, workdir: str | Path) -> SplitPlan:
        """The dependence whose split measures within tolerance of the target (planned captions, aobench nmi)."""
        self.check_targets([target])
        workdir = Path(workdir)
        lo, hi = bracket(self.predict, target)
        d = bisect(self.predict, target, tol=self.tolerance / 10, lo=lo, hi=hi)
        measured = measure_captions(self.planned_captions(d), workdir, self.recipe_ref())["nmi"]
        if abs(measured - target) > self.tolerance / 2:
            # extraction disagrees with the exact counts (e.g. a word it does not parse): solve on the measurement itself
            def measure(x: float) -> float:
                return measure_captions(self.planned_captions(x), workdir, self.recipe_ref())["nmi"]

            d = bisect(measure, target, tol=self.tolerance / 2, max_iter=14)
            measured = measure(d)
        return SplitPlan(target=target, dependence=d, predicted_nmi=self.predict(d), planned_nmi=measured)

    def recipe_ref(self) -> str:
        """Recipe whose vocabulary `aobench nmi --vocab` should use."""
        return self.base


def bracket(fn: Callable[[float], float], target: float, n: int = 48) -> tuple[float, float]:
    """The first grid cell [x_i, x_i+1] of [0, 1] where fn crosses target (fn need only rise overall, not everywhere)."""
    xs = [i / n for i in range(n + 1)]
    vals = [fn(x) for x in xs]
    for i in range(n):
        if min(vals[i], vals[i + 1]) <= target <= max(vals[i], vals[i + 1]):
            return xs[i], xs[i + 1]
    return (0.0, xs[1]) if target < vals[0] else (xs[-2], 1.0)


def bisect(fn: Callable[[float], float], target: float, tol: float, lo: float = 0.0, hi: float = 1.0, max_iter: int = 40) -> float:
    """x in [lo, hi] with fn(x) within tol of target, for fn increasing (the closest point seen otherwise)."""
    best_x, best_err = lo, float("inf")
    for _ in range(max_iter):
        mid = (lo + hi) / 2
        val = fn(mid)
        err = abs(val - target)
        if err < best_err:
            best_x, best_err = mid, err
        if err <= tol:
            return mid
        if val < target:
            lo = mid
        else:
            hi = mid
    return best_x


def level_recipe(base: str, name: str, splits: list[dict]) -> Recipe:
    """The base recipe renamed, with its splits replaced (what a YAML with `include: BASE` would give)."""
    return load_recipe(base, {"name": name, "splits": splits})


def build_recipe(recipe: Recipe, out: Path) -> Path:
    """Build a recipe into `out` unless a finished build is there; concurrent shards race safely."""
    from aobench.build import build

    if BuildDir(out).is_complete():
        return out
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    build(recipe, tmp)
    try:
        os.rename(tmp, out)  # builds are deterministic: if another shard won the race, its copy is the same
    except OSError:
        if not BuildDir(out).is_complete():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def kept_captions(build_dir: Path, split: str) -> list[str]:
    """Prompts of the images a finished build kept in one split (the split's captions)."""
    return [r["prompt"] for r in BuildDir(build_dir).manifest() if r["split"] == split and r["filters"] == "kept"]


def check_same_pairs(a: Path, b: Path) -> None:
    """Fail if two builds disagree on their seen/unusual pairs (levels must share the held-out pairs)."""
    pa = [(r["attribute"], r["object"], r["status"]) for r in BuildDir(a).pairs()]
    pb = [(r["attribute"], r["object"], r["status"]) for r in BuildDir(b).pairs()]
    if pa != pb:
        raise AobenchError(f"builds {a} and {b} disagree on seen/unusual pairs; remove them and rerun")


def measured_split_nmi(build_dir: Path, split: str, workdir: Path, recipe_ref: str, target: float, tolerance: float = TOLERANCE, reuse: bool = False) -> dict:
    """Measure a built split's captions with aobench nmi (reuse: workdir already holds that measurement); refuse a level outside tolerance."""
    nd = LevelDir(workdir).nmi
    if reuse and nd.has_stats():
        res = nd.stats()
    else:
        res = measure_captions(kept_captions(build_dir, split), workdir, recipe_ref)
    if abs(res["nmi"] - target) > tolerance:
        raise AobenchError(
            f"split {build_dir}/{split}: measured caption NMI {res['nmi']:.4f} is outside ±{tolerance} of target {target:g} "
            f"(filters dropped images?); see {nd.nmi_path}"
        )
    return res


def parse_levels(text: Optional[str]) -> Optional[list[float]]:
    """`0.15,0.3` → [0.15, 0.3]; one-line error for anything else."""
    vals = parse_floats(text, "--nmi", "0.15,0.3,0.6", 0, 1)
    if vals is None:
        return None
    if len(set(vals)) != len(vals):
        raise AobenchError(f"--nmi {text!r}: a level repeats")
    return vals
