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

import yaml

from aobench.artifacts import BuildDir
from aobench.errors import AobenchError
from aobench.io import atomic_write_text
from aobench.options import parse_floats
from aobench.study.measure import measure_captions, nmi_of_counts

TOLERANCE = 0.02


@dataclass
class SplitPlan:
    """A solved level: target, the knob value and the NMI predicted and measured on its planned captions."""

    target: float
    dependence: float
    predicted_nmi: float
    planned_nmi: float


class NmiSolver:
    """Predict and solve caption NMI of a base recipe's train split as a function of `dependence`."""

    def __init__(self, base: str = "shapes-ao", images: int = 3000, split: str = "train", tolerance: float = TOLERANCE):
        from aobench.pairs import select_pairs
        from aobench.recipe import load
        from aobench.vocab import load_vocab

        self.base, self.images, self.split, self.tolerance = base, images, split, tolerance
        self.recipe = load(base, {"splits": [self.split_spec(0.0)]})
        self.pairs = select_pairs(self.recipe, load_vocab(self.recipe.vocab))
        self.seen = [p for p in self.pairs if p.status == "seen"]
        if not self.seen:
            raise AobenchError(f"recipe {base}: no seen pairs, so no training split can be made")

    def split_spec(self, dependence: float) -> dict:
        """The train split's recipe entry at this dependence."""
        return {"name": self.split, "pairs": "seen", "images": self.images, "dependence": float(dependence)}

    def counts(self, dependence: float) -> dict[tuple[str, str], int]:
        """Exact images per (attribute, object) of the split at this dependence."""
        from aobench.pairs import allocate, train_distribution

        return allocate(train_distribution(self.seen, dependence, self.recipe.seed), self.images)

    def predict(self, dependence: float) -> float:
        """NMI of the split's pair counts (what the captions should measure)."""
        return nmi_of_counts({k: n for k, n in self.counts(dependence).items() if n > 0})

    def reachable(self) -> tuple[float, float]:
        """(NMI at dependence 0, NMI at dependence 1)."""
        return self.predict(0.0), self.predict(1.0)

    def check_targets(self, targets: list[float]) -> None:
        """Refuse, in one line with the reachable range, targets the knob cannot reach."""
        lo, hi = self.reachable()
        bad = [t for t in targets if not (lo - self.tolerance <= t <= hi + self.tolerance)]
        if bad:
            raise AobenchError(
                f"--nmi {','.join(f'{t:g}' for t in bad)}: unreachable with {self.base}'s seen pairs and "
                f"{self.images} train images; reachable caption NMI is {lo:.3f} to {hi:.3f} (dependence 0 to 1, "
                f"tolerance ±{self.tolerance}) — pick targets in that range"
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
        d = bisect(self.predict, target, tol=self.tolerance / 10)
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


def level_recipe_text(base: str, name: str, splits: list[dict]) -> str:
    """A recipe YAML that includes the base recipe and replaces its splits."""
    return yaml.safe_dump({"include": base, "name": name, "splits": splits}, sort_keys=False)


def build_recipe(recipe_text: str, out: Path, work: Path) -> Path:
    """Build a recipe into `out` unless a finished build is there; concurrent shards race safely."""
    from aobench.build import build

    if BuildDir(out).is_complete():
        return out
    work.mkdir(parents=True, exist_ok=True)
    recipe_path = work / f"{out.name}.yaml"
    atomic_write_text(recipe_path, recipe_text)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    build(str(recipe_path), tmp)
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
    if reuse and (workdir / "nmi" / "nmi.json").exists():
        import json

        res = json.loads((workdir / "nmi" / "nmi.json").read_text())
    else:
        res = measure_captions(kept_captions(build_dir, split), workdir, recipe_ref)
    if abs(res["nmi"] - target) > tolerance:
        raise AobenchError(
            f"split {build_dir}/{split}: measured caption NMI {res['nmi']:.4f} is outside ±{tolerance} of target {target:g} "
            f"(filters dropped images?); see {workdir}/nmi/nmi.json"
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
