"""`aobench study nmi-sweep`: shapes-ao training splits at chosen caption NMI → small CLIPs → evaluation → summary.

Layout of DIR:
  study.lock.json            profile the folder was started with (a different one is refused)
  levels/nmi-<t>/            solved knob (level.json), the split's captions.txt and nmi/nmi.json (aobench nmi)
  data/eval/, data/nmi-<t>/  shapes-ao builds: the test splits (shared by all levels) and each level's train split
  runs/nmi-<t>-seed<s>/      checkpoints/epoch_latest.pt (open_clip format), train_log.jsonl, run.json (= finished)
  study_log.jsonl            one line per run event: trained, resumed, skipped
  study.json, study.csv, accuracy_vs_nmi.png, summary.md
Each (level, seed) is an independent run; `--shard i/n` takes every n-th of them, and a rerun skips
finished runs and resumes an unfinished one from its last epoch checkpoint.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from aobench import __version__
from aobench.artifacts import BuildDir
from aobench.errors import AobenchError
from aobench.io import JsonlAppender, atomic_write_json
from aobench.study.profiles import Profile
from aobench.study.splits import (
    NmiSolver,
    build_recipe,
    check_same_pairs,
    kept_captions,
    level_recipe_text,
    measured_split_nmi,
)

LOCK = "study.lock.json"


@dataclass
class Run:
    """One (level, seed) training run."""

    target: float
    seed: int

    @property
    def level_name(self) -> str:
        """Folder name of the level."""
        return f"nmi-{self.target:.3f}"

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


def plan_runs(profile: Profile, shard: Optional[tuple[int, int]] = None) -> list[Run]:
    """All (level, seed) runs in a fixed order, or a shard's share of them."""
    runs = [Run(t, s) for t in profile.levels for s in range(profile.seeds)]
    return runs if shard is None else runs[shard[0] :: shard[1]]


def _lock_config(profile: Profile) -> dict:
    # levels and seeds may grow between calls; anything that changes what a run computes may not
    d = profile.as_dict()
    d.pop("levels"), d.pop("seeds"), d.pop("name")
    return d


def _check_lock(out: Path, profile: Profile) -> None:
    lock = out / LOCK
    cfg = _lock_config(profile)
    if lock.exists():
        import json

        old = json.loads(lock.read_text())
        if old.get("config") != cfg:
            raise AobenchError(
                f"--out {out} holds a sweep with other settings (profile {old.get('profile')}); use another --out or the same profile and overrides"
            )
        return
    if out.exists() and any(p.name not in ("levels", "data", "runs") for p in out.iterdir()):
        raise AobenchError(f"--out {out} is not empty and holds no NMI sweep; use an empty or new folder")
    atomic_write_json(lock, {"aobench_version": __version__, "profile": profile.name, "config": cfg})


def _eval_recipe(profile: Profile) -> str:
    return level_recipe_text(
        profile.base,
        "shapes-ao-nmi-eval",
        [
            {"name": "test_seen", "pairs": "seen", "images_per_pair": profile.test_seen_per_pair},
            {"name": "test_unusual", "pairs": "unusual", "images_per_pair": profile.test_unusual_per_pair},
        ],
    )


def prepare_level(out: Path, profile: Profile, solver: NmiSolver, target: float) -> dict:
    """Solve, build and measure one level's training split (cached in levels/<level>/level.json)."""
    import json

    level_dir = out / "levels" / f"nmi-{target:.3f}"
    info_path = level_dir / "level.json"
    data_dir = out / "data" / f"nmi-{target:.3f}"
    if info_path.exists() and BuildDir(data_dir).manifest_path.exists():
        return json.loads(info_path.read_text())
    sol = solver.solve(target, level_dir)  # measures the planned captions into level_dir (captions.txt, nmi/)
    text = level_recipe_text(profile.base, f"shapes-ao-nmi-{target:.3f}", [solver.split_spec(sol.dependence)])
    build_recipe(text, data_dir, level_dir)
    # the split's captions are the planned ones unless a filter dropped images: only then measure again
    same = kept_captions(data_dir, solver.split) == solver.planned_captions(sol.dependence)
    measured = measured_split_nmi(data_dir, solver.split, level_dir, profile.base, target, solver.tolerance, reuse=same)
    info = {
        "target_nmi": target,
        "dependence": sol.dependence,
        "predicted_nmi": sol.predicted_nmi,
        "measured_nmi": float(measured["nmi"]),
        "n_captions": measured.get("n_captions"),
        "nmi_json": str(level_dir / "nmi" / "nmi.json"),
        "data": str(data_dir.relative_to(out)),  # relative: a study folder can be moved or copied
    }
    atomic_write_json(info_path, info)
    return info


def evaluate_run(arch: str, checkpoint: str, eval_dir: Path, templates: list[str], device: str, out: Path) -> dict:
    """Flat metrics of one checkpoint on the shared test splits, from the bundled evaluator (`aobench eval`)."""
    try:
        from aobench.evaluate.runner import evaluate
    except ImportError:  # evaluator absent (partial install): the study's own zero-shot code, same definitions
        from aobench.study.zeroshot import evaluate_checkpoint

        return evaluate_checkpoint(arch, checkpoint, eval_dir, templates, device=device)
    res = evaluate(str(eval_dir), [f"open_clip:{arch}:{checkpoint}"], out, tasks=["composition", "object", "attribute", "czsl"],
                   device=device, cache_dir=None, workers=0)  # fmt: skip
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
        for status, name in (("seen", "seen"), ("unusual", "unusual")):
            m[f"{name}_{task}_acc"] = by_task[task]["by_status"][status]["acc1"]
    m["composition_acc1"] = by_task["composition"]["acc1"]
    m["composition_acc5"] = by_task["composition"]["acc5"]
    m["n_seen_images"], m["n_unusual_images"] = by_task["czsl"]["n_seen_images"], by_task["czsl"]["n_unseen_images"]
    m["evaluator"] = "aobench.evaluate"
    return m


def random_checkpoint(arch: str, path: Path) -> Path:
    """An untrained model of the study's architecture saved in open_clip's format (the random baseline)."""
    import open_clip
    import torch

    from aobench.clipzoo import register_configs
    from aobench.seeds import stable_int
    from aobench.study.train import save_checkpoint

    if not path.exists():
        register_configs()
        torch.manual_seed(stable_int(0, "init"))
        model = open_clip.create_model(arch)
        save_checkpoint(path, {"epoch": 0, "name": "random-init", "state_dict": model.state_dict()})
    return path


def run_sweep(
    out: str | Path,
    profile: Profile,
    *,
    shard: Optional[tuple[int, int]] = None,
    device: str = "auto",
    on_epoch_end: Optional[Callable[[str, int], None]] = None,
) -> SweepResult:
    """Run (or resume) an NMI sweep into `out`; writes the study files from every finished run."""
    from aobench.seeds import stable_int
    from aobench.recipe import load
    from aobench.device import resolve_device
    from aobench.study.train import train

    out = Path(out)
    solver = NmiSolver(profile.base, profile.images)
    solver.check_targets(profile.levels)  # before any work: a bad target fails in one line
    out.mkdir(parents=True, exist_ok=True)
    _check_lock(out, profile)
    device = resolve_device(device)
    res = SweepResult(out=out)
    eval_dir = build_recipe(_eval_recipe(profile), out / "data" / "eval", out / "levels")
    templates = load(profile.base).prompts
    mine = plan_runs(profile, shard)
    levels = {t: prepare_level(out, profile, solver, t) for t in sorted({r.target for r in mine})}
    for info in levels.values():
        check_same_pairs(out / info["data"], eval_dir)

    with JsonlAppender(out / "study_log.jsonl") as log:
        for run in mine:
            run_dir = out / "runs" / run.name
            if (run_dir / "run.json").exists():
                res.skipped.append(run.name)
                log.append({"run": run.name, "event": "skipped", "time": time.time()})
                continue
            info = levels[run.target]
            hook = (lambda e, _n=run.name: on_epoch_end(_n, e)) if on_epoch_end else None
            t0 = time.time()
            tr = train(out / info["data"], run_dir, profile.train, stable_int(run.seed, "study-seed"), device=device, name=run.name, on_epoch_end=hook)
            (res.resumed if tr["resumed_from_epoch"] else res.trained).append(run.name)
            log.append({"run": run.name, "event": "resumed" if tr["resumed_from_epoch"] else "trained", "from_epoch": tr["resumed_from_epoch"], "time": time.time()})
            metrics = evaluate_run(profile.train.arch, tr["checkpoint"], eval_dir, templates, device, run_dir / "eval")
            atomic_write_json(run_dir / "run.json", {
                "target_nmi": run.target,
                "measured_nmi": info["measured_nmi"],
                "dependence": info["dependence"],
                "seed": run.seed,
                "arch": profile.train.arch,
                "checkpoint": tr["checkpoint"],
                "model_spec": f"open_clip:{profile.train.arch}:{tr['checkpoint']}",
                "train": {k: tr[k] for k in ("epochs", "final_loss", "n_images", "steps")},
                "train_seconds": round(time.time() - t0, 1),
                "metrics": metrics,
            })  # fmt: skip

    baseline_path = out / "baseline.json"
    if not baseline_path.exists():
        ckpt = random_checkpoint(profile.train.arch, out / "baseline" / "random_init.pt")
        atomic_write_json(baseline_path, evaluate_run(profile.train.arch, str(ckpt), eval_dir, templates, device, out / "baseline" / "eval"))
    res.study = collect(out, profile, baseline_path)
    res.complete = res.study["complete"]
    from aobench.study.results import write_all

    write_all(out, res.study)
    return res


def collect(out: Path, profile: Profile, baseline_path: Path) -> dict:
    """The study document from every finished run on disk (all shards), in plan order."""
    import json

    from aobench.study.results import level_stats, spearman

    runs, missing = [], []
    for run in plan_runs(profile):
        p = out / "runs" / run.name / "run.json"
        if p.exists():
            runs.append(json.loads(p.read_text()))
        else:
            missing.append(run.name)
    baseline = json.loads(baseline_path.read_text()) if baseline_path.exists() else None
    return {
        "aobench_version": __version__,
        "profile": profile.as_dict(),
        "complete": not missing,
        "missing": missing,
        "runs": runs,
        "levels": level_stats(runs) if runs else [],
        "spearman": spearman(runs),
        "baseline": baseline,
    }
