"""`aobench study nmi-sweep`: shapes-ao training splits at chosen caption NMI → small CLIPs → evaluation → summary.

Two designs of a level's training split (both at the same total images and measured caption NMI):
  k<K>     coverage-controlled (default): every seen pair gets K images and the per-pair counts are the
           same multiset at every level; NMI moves only with which attribute each object's extra images
           carry (one shared attribute: low NMI; each object its own: high NMI).
  mixture  the recipe's plain dependence knob (`--min-images-per-seen-pair 0`, or the ablation beside
           the controlled design with `--ablation`): raising NMI moves images from each object's other
           pairs to its preferred one, so seen-pair coverage falls as NMI rises.

The layout of DIR is `aobench.study.studydir.StudyDir`'s (lock, levels, data builds, runs, baseline, log, results).
Each (design, level, seed) is an independent run; `--shard i/n` takes every n-th of them, and a rerun
skips finished runs and resumes an unfinished one from its last epoch checkpoint.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from aobench.version import __version__
from aobench.artifacts import BuildDir
from aobench.errors import AobenchError
from aobench.io import JsonlAppender
from aobench.locks import holding
from aobench.recipe import Recipe
from aobench.study.profiles import Profile
from aobench.study.splits import NmiSolver, build_recipe, check_same_pairs, kept_captions, level_recipe, measured_split_nmi
from aobench.study.studydir import StudyDir
from aobench.text.stats import plugin_bias


@dataclass(frozen=True)
class Design:
    """How a level's train split reaches its NMI: kind (shared-to-own | mixture) and the per-pair floor."""

    kind: str
    min_images_per_seen_pair: int

    @property
    def tag(self) -> str:
        """Short name used in folder names."""
        return f"k{self.min_images_per_seen_pair}" if self.kind == "shared-to-own" else "mixture"

    def as_dict(self) -> dict:
        """Plain-data form."""
        return {"kind": self.kind, "min_images_per_seen_pair": self.min_images_per_seen_pair, "tag": self.tag}


MIXTURE = Design("mixture", 0)


def main_design(profile: Profile) -> Design:
    """The profile's design: coverage-controlled when it sets a floor, else the plain mixture knob."""
    k = profile.min_images_per_seen_pair
    return Design("shared-to-own", k) if k > 0 else MIXTURE


@dataclass
class Run:
    """One (design, level, seed) training run."""

    target: float
    seed: int
    design: Design = MIXTURE

    @property
    def level_name(self) -> str:
        """Folder name of the level."""
        return f"nmi-{self.target:.3f}-{self.design.tag}"

    @property
    def name(self) -> str:
        """Folder name of the run."""
        return f"{self.level_name}-seed{self.seed}"


@dataclass
class SweepResult:
    """What a sweep call did and where its outputs are."""

    out: Path
    trained: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    complete: bool = False
    study: dict = field(default_factory=dict)


def designs(profile: Profile, ablation: bool = False) -> list[Design]:
    """The designs a sweep runs: the profile's, then (ablation) the mixture knob beside it."""
    d = main_design(profile)
    if ablation and d == MIXTURE:
        raise AobenchError("--ablation compares the coverage-controlled design with the mixture knob; it needs --min-images-per-seen-pair >= 1")
    return [d, MIXTURE] if ablation else [d]


def plan_runs(profile: Profile, shard: Optional[tuple[int, int]] = None, ablation: bool = False) -> list[Run]:
    """All (design, level, seed) runs in a fixed order, or a shard's share of them."""
    runs = [Run(t, s, d) for d in designs(profile, ablation) for t in profile.levels for s in range(profile.seeds)]
    return runs if shard is None else runs[shard[0] :: shard[1]]


def _lock_config(profile: Profile) -> dict:
    # levels and seeds may grow between calls; anything that changes what a run computes may not
    d = profile.as_dict()
    d.pop("levels"), d.pop("seeds"), d.pop("name")
    return d


def _check_lock(sd: StudyDir, profile: Profile) -> None:
    cfg = _lock_config(profile)
    old = sd.lock()
    if old is not None:
        if old.get("config") != cfg:
            raise AobenchError(
                f"--out {sd.root} holds a sweep with other settings (profile {old.get('profile')}); use another --out or the same profile and overrides"
            )
        return
    if sd.foreign():
        raise AobenchError(f"--out {sd.root} is not empty and holds no NMI sweep; use an empty or new folder")
    sd.write_lock({"aobench_version": __version__, "profile": profile.name, "config": cfg})


def _eval_recipe(profile: Profile) -> Recipe:
    return level_recipe(
        profile.base,
        "shapes-ao-nmi-eval",
        [
            {"name": "test_seen", "pairs": "seen", "images_per_pair": profile.test_seen_per_pair},
            {"name": "test_unusual", "pairs": "unusual", "images_per_pair": profile.test_unusual_per_pair},
        ],
    )


def make_solver(profile: Profile, design: Design) -> NmiSolver:
    """The NMI solver of one design at the profile's size."""
    return NmiSolver(profile.base, profile.images, min_images_per_pair=design.min_images_per_seen_pair, kind=design.kind)


def coverage(build_dir: Path, split: str = "train") -> dict:
    """Train images per seen pair of a finished build (kept images): min, mean, max, pairs present of all seen pairs."""
    build = BuildDir(build_dir)
    seen = [(r["attribute"], r["object"]) for r in build.pairs() if r["status"] == "seen"]
    n = Counter((r["attribute"], r["object"]) for r in build.manifest() if r["split"] == split and r["filters"] == "kept")
    counts = [n.get(p, 0) for p in seen]
    return {
        "min_images_per_seen_pair": min(counts) if counts else 0,
        "mean_images_per_seen_pair": round(sum(counts) / len(counts), 3) if counts else 0.0,
        "max_images_per_seen_pair": max(counts) if counts else 0,
        "seen_pairs_present": sum(c > 0 for c in counts),
        "n_seen_pairs": len(counts),
        "n_images": sum(counts),
    }


def prepare_level(out: Path, profile: Profile, solver: NmiSolver, target: float, design: Optional[Design] = None) -> dict:
    """Solve, build and measure one level's training split (cached in the level's level.json)."""
    design = design or main_design(profile)
    name = Run(target, 0, design).level_name
    sd = StudyDir(out)
    level = sd.level(name)
    data_dir = sd.level_data(name)
    info = level.info()
    if info is not None and BuildDir(data_dir).manifest_path.exists():
        return info
    sol = solver.solve(target, level.root)  # measures the planned captions into the level dir
    build_recipe(level_recipe(profile.base, f"shapes-ao-{name}", [solver.split_spec(sol.dependence)]), data_dir)
    # the split's captions are the planned ones unless a filter dropped images: only then measure again
    same = kept_captions(data_dir, solver.split) == solver.planned_captions(sol.dependence)
    measured = measured_split_nmi(data_dir, solver.split, level.root, profile.base, target, solver.tolerance, reuse=same)
    info = {
        "target_nmi": target,
        "design": design.as_dict(),
        "dependence": sol.dependence,
        "predicted_nmi": sol.predicted_nmi,
        "measured_nmi": float(measured["nmi"]),
        # AMI beside plug-in NMI, and the bias plug-in NMI has by chance alone at this table size
        "measured_ami": measured.get("ami"),
        "plugin_bias": plugin_bias(measured),
        "n_captions": measured.get("n_captions"),
        "coverage": coverage(data_dir, solver.split),
        "nmi_json": str(level.nmi.nmi_path),
        "data": str(data_dir.relative_to(out)),  # relative: a study folder can be moved or copied
    }
    level.write_info(info)
    return info


def evaluate_run(arch: str, checkpoint: str, eval_dir: Path, device: str, out: Path) -> dict:
    """Flat metrics of one checkpoint on the shared test splits, from `aobench.evaluate.evaluate` (what `aobench eval` runs)."""
    from aobench.evaluate import evaluate

    res = evaluate(str(eval_dir), [f"open_clip:{arch}:{checkpoint}"], out, tasks=["composition", "object", "attribute", "czsl"],
                   device=device, cache_dir=None, workers=0, progress=False)  # fmt: skip
    if res.failures:
        raise AobenchError(f"evaluating {checkpoint} failed: {res.failures[0][1]}")
    by_task = {r["task"]: r["metrics"] for r in res.results}
    m: dict = {}
    for world in ("closed", "open"):
        w = by_task["czsl"][world]
        m[f"{world}_seen_composition_acc"] = w["seen_acc"]
        m[f"{world}_unusual_composition_acc"] = w["unseen_acc"]
        m[f"{world}_auc"], m[f"{world}_best_hm"] = w["auc"], w["best_hm"]
    for task in ("object", "attribute"):
        for status in ("seen", "unusual"):
            m[f"{status}_{task}_acc"] = by_task[task]["by_status"][status]["acc1"]
    m["composition_acc1"] = by_task["composition"]["acc1"]
    m["composition_acc5"] = by_task["composition"]["acc5"]
    m["n_seen_images"], m["n_unusual_images"] = by_task["czsl"]["n_seen_images"], by_task["czsl"]["n_unseen_images"]
    m["evaluator"] = "aobench.evaluate"
    # the czsl protocol the best HM / AUC come from (the evaluator's default unless it reports another)
    m["czsl_protocol"] = str(by_task["czsl"].get("protocol", "reference"))
    return m


def random_checkpoint(arch: str, path: Path) -> Path:
    """An untrained model of the study's architecture saved in open_clip's format (the random baseline)."""
    import open_clip
    import torch

    from aobench.clipzoo import intended_random_init, register_configs
    from aobench.seeds import stable_int
    from aobench.study.train import save_checkpoint

    if not path.exists():
        register_configs()
        torch.manual_seed(stable_int(0, "init"))
        with intended_random_init():
            model = open_clip.create_model(arch)
        save_checkpoint(path, {"epoch": 0, "name": "random-init", "state_dict": model.state_dict()})
    return path


def _say(text: str) -> None:
    # one plain line per run (kept above a live progress bar on a terminal, a log line otherwise)
    from aobench.progress import console

    console.print(text, highlight=False, soft_wrap=True, markup=False)


@holding("aobench study nmi-sweep", shard_arg="shard")
def run_sweep(
    out: str | Path,
    profile: Profile,
    *,
    shard: Optional[tuple[int, int]] = None,
    device: str = "auto",
    ablation: bool = False,
    on_epoch_end: Optional[Callable[[str, int], None]] = None,
) -> SweepResult:
    """Run (or resume) an NMI sweep into `out`; writes the study files from every finished run."""
    from aobench.device import resolve_device
    from aobench.seeds import stable_int
    from aobench.study.train import train

    out = Path(out)
    ds = designs(profile, ablation)
    solvers = {d: make_solver(profile, d) for d in ds}
    for s in solvers.values():
        s.check_targets(profile.levels)  # before any work: a bad target fails in one line
    out.mkdir(parents=True, exist_ok=True)
    sd = StudyDir(out)
    _check_lock(sd, profile)
    device = resolve_device(device)
    res = SweepResult(out=out)
    t_sweep = time.time()
    eval_dir = build_recipe(_eval_recipe(profile), sd.eval_data)
    mine = plan_runs(profile, shard, ablation)
    levels = {(r.design, r.target): None for r in mine}
    for d, t in levels:
        levels[(d, t)] = prepare_level(out, profile, solvers[d], t, d)
        check_same_pairs(out / levels[(d, t)]["data"], eval_dir)

    with JsonlAppender(sd.log_path) as log:
        for i, run in enumerate(mine, 1):
            run_dir = sd.run_dir(run.name)
            if sd.is_finished(run.name):
                res.skipped.append(run.name)
                log.append({"run": run.name, "event": "skipped", "time": time.time()})
                continue
            info = levels[(run.design, run.target)]
            hook = (lambda e, _n=run.name: on_epoch_end(_n, e)) if on_epoch_end else None
            t0 = time.time()
            _say(f"run {i}/{len(mine)} {run.name}: training ({profile.train.arch}, {profile.train.epochs} epochs, measured NMI {info['measured_nmi']:.3f})")
            tr = train(out / info["data"], run_dir, profile.train, stable_int(run.seed, "study-seed"), device=device, name=run.name, on_epoch_end=hook)
            t_train = time.time() - t0
            (res.resumed if tr["resumed_from_epoch"] else res.trained).append(run.name)
            log.append({"run": run.name, "event": "resumed" if tr["resumed_from_epoch"] else "trained", "from_epoch": tr["resumed_from_epoch"], "time": time.time()})
            metrics = evaluate_run(profile.train.arch, tr["checkpoint"], eval_dir, device, sd.run_eval_dir(run.name))
            sd.write_run(run.name, {
                "target_nmi": run.target,
                "measured_nmi": info["measured_nmi"],
                "measured_ami": info.get("measured_ami"),
                "plugin_bias": info.get("plugin_bias"),
                "dependence": info["dependence"],
                "design": run.design.as_dict(),
                "coverage": info.get("coverage"),
                "seed": run.seed,
                "arch": profile.train.arch,
                "checkpoint": tr["checkpoint"],
                "model_spec": f"open_clip:{profile.train.arch}:{tr['checkpoint']}",
                "train": {k: tr.get(k) for k in ("epochs", "final_loss", "n_images", "steps", "steps_per_second")},
                "train_seconds": round(t_train, 1),
                "eval_seconds": round(time.time() - t0 - t_train, 1),
                "metrics": metrics,
            })  # fmt: skip
            _say(f"run {i}/{len(mine)} {run.name}: done in {time.time() - t0:.0f} s (sweep {time.time() - t_sweep:.0f} s); "
                 f"unusual acc {metrics['closed_unusual_composition_acc']:.3f}, seen acc {metrics['closed_seen_composition_acc']:.3f}")  # fmt: skip

    if sd.baseline() is None:
        ckpt = random_checkpoint(profile.train.arch, sd.baseline_dir / "random_init.pt")
        sd.write_baseline(evaluate_run(profile.train.arch, str(ckpt), eval_dir, device, sd.baseline_dir / "eval"))
    res.study = collect(out, profile, ablation=ablation)
    res.complete = res.study["complete"]
    from aobench.study.results import write_all

    write_all(sd, res.study)
    return res


def _finished(sd: StudyDir, runs: list[Run]) -> tuple[list[dict], list[str]]:
    done, missing = [], []
    for run in runs:
        doc = sd.finished_run(run.name)
        if doc is not None:
            done.append(doc)
        else:
            missing.append(run.name)
    return done, missing


def collect(out: Path, profile: Profile, ablation: bool = False) -> dict:
    """The study document from every finished run on disk (all shards), in plan order."""
    from aobench.study.results import design_block

    sd = StudyDir(out)
    main = main_design(profile)
    planned = plan_runs(profile, ablation=ablation)
    runs, missing = _finished(sd, [r for r in planned if r.design == main])
    block = design_block(runs, main.as_dict())
    study = {
        "aobench_version": __version__,
        "profile": profile.as_dict(),
        "design": main.as_dict(),
        "min_images_per_seen_pair": main.min_images_per_seen_pair,
        "complete": False,
        "missing": missing,
        **block,
        "baseline": sd.baseline(),
        "ablation": None,
    }
    if main != MIXTURE:
        # the mixture design beside it: run when asked, reported whenever its runs are on disk
        abl_runs, abl_missing = _finished(sd, [Run(t, s, MIXTURE) for t in profile.levels for s in range(profile.seeds)])
        if ablation or abl_runs:
            study["ablation"] = {"design": MIXTURE.as_dict(), "missing": abl_missing if ablation else [], **design_block(abl_runs, MIXTURE.as_dict())}
            if ablation:
                missing = missing + abl_missing
    study["complete"] = not missing
    study["missing"] = missing
    study["czsl_protocol"] = next((r["metrics"].get("czsl_protocol") for r in runs if r["metrics"].get("czsl_protocol")), None)
    return study
