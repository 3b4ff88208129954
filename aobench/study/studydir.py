"""The NMI study directory: its layout, readers and writers, owned here and nowhere else.

A study DIR (written by `aobench study nmi-sweep --out DIR`):

    study.lock.json                     the profile the folder was started with (a different one is refused)
    levels/nmi-<t>-<design>/            level.json (solved knob, coverage), captions.txt and nmi/ (an `aobench nmi` dir)
    data/eval/, data/nmi-<t>-<design>/  shapes-ao builds: the test splits (shared by all levels) and each level's train split
    runs/nmi-<t>-<design>-seed<s>/      checkpoints/ and train_log.jsonl (aobench.study.train), eval/, run.json (= finished)
    baseline/, baseline.json            the untrained model's checkpoint and evaluation, and its metrics
    study_log.jsonl                     one line per run event: trained, resumed, skipped
    study.json, study.csv, accuracy_vs_nmi.png, summary.md   the results (aobench.study.results makes their contents)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from aobench.artifacts import LOCKS
from aobench.io import atomic_write_bytes, atomic_write_json, atomic_write_text
from aobench.nmidir import NmiDir

LOCK = "study.lock.json"
LEVELS = "levels"
DATA = "data"
RUNS = "runs"
LOG = "study_log.jsonl"
BASELINE = "baseline.json"
BASELINE_DIR = "baseline"
STUDY_JSON = "study.json"
STUDY_CSV = "study.csv"
PLOT = "accuracy_vs_nmi.png"
SUMMARY = "summary.md"
RUN_JSON = "run.json"
LEVEL_JSON = "level.json"
CAPTIONS = "captions.txt"
EVAL = "eval"
WORK_DIRS = (LEVELS, DATA, RUNS)  # what a sweep makes before its lock: a folder holding only these is one of ours


def _read_json(path: Path) -> Optional[dict]:
    return json.loads(path.read_text()) if path.exists() else None


class LevelDir:
    """levels/<level>/: the solved level (level.json), its planned or kept captions, and their measurement (an nmi dir)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.info_path = self.root / LEVEL_JSON
        self.captions_path = self.root / CAPTIONS
        self.nmi = NmiDir(self.root / "nmi")

    def info(self) -> Optional[dict]:
        """level.json, or None before the level is prepared."""
        return _read_json(self.info_path)

    def write_info(self, info: dict) -> None:
        """level.json, atomically (written last: its presence means the level is ready)."""
        atomic_write_json(self.info_path, info)

    def write_captions(self, captions: list[str]) -> Path:
        """captions.txt: one caption a line (the corpus `aobench nmi` measures)."""
        atomic_write_text(self.captions_path, "".join(c.replace("\n", " ") + "\n" for c in captions))
        return self.captions_path


class StudyDir:
    """One NMI study folder: paths, the lock, finished runs, the baseline and the results."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.lock_path = self.root / LOCK
        self.levels_dir = self.root / LEVELS
        self.eval_data = self.root / DATA / EVAL
        self.log_path = self.root / LOG
        self.baseline_path = self.root / BASELINE
        self.baseline_dir = self.root / BASELINE_DIR
        self.study_path = self.root / STUDY_JSON
        self.csv_path = self.root / STUDY_CSV
        self.plot_path = self.root / PLOT
        self.summary_path = self.root / SUMMARY

    # --- layout ------------------------------------------------------------------------------------
    def level(self, name: str) -> LevelDir:
        """levels/<name>/."""
        return LevelDir(self.levels_dir / name)

    def level_data(self, name: str) -> Path:
        """data/<name>/: the level's train build."""
        return self.root / DATA / name

    def run_dir(self, name: str) -> Path:
        """runs/<name>/."""
        return self.root / RUNS / name

    def run_eval_dir(self, name: str) -> Path:
        """runs/<name>/eval/: the run's `aobench eval` results."""
        return self.run_dir(name) / EVAL

    def foreign(self) -> list[str]:
        """Names in the folder that no sweep writes before its lock (a folder with such names is not a study)."""
        # the kernel locks of the run holding the folder (aobench.locks) are written before anything else
        return [p.name for p in self.root.iterdir() if p.name not in WORK_DIRS and p.name != LOCKS] if self.root.exists() else []

    # --- readers and writers ------------------------------------------------------------------------
    def lock(self) -> Optional[dict]:
        """study.lock.json, or None in a new folder."""
        return _read_json(self.lock_path)

    def write_lock(self, doc: dict) -> None:
        """study.lock.json, atomically."""
        atomic_write_json(self.lock_path, doc)

    def finished_run(self, name: str) -> Optional[dict]:
        """run.json of a finished run, or None."""
        return _read_json(self.run_dir(name) / RUN_JSON)

    def is_finished(self, name: str) -> bool:
        """Whether the run wrote its run.json."""
        return (self.run_dir(name) / RUN_JSON).exists()

    def write_run(self, name: str, doc: dict) -> None:
        """run.json, atomically (written last: the run is finished)."""
        atomic_write_json(self.run_dir(name) / RUN_JSON, doc)

    def baseline(self) -> Optional[dict]:
        """baseline.json (the untrained model's metrics), or None."""
        return _read_json(self.baseline_path)

    def write_baseline(self, metrics: dict) -> None:
        """baseline.json, atomically."""
        atomic_write_json(self.baseline_path, metrics)

    def study(self) -> Optional[dict]:
        """study.json, or None before the first collection."""
        return _read_json(self.study_path)

    def write_results(self, study: dict, csv_text: str, plot_png: Optional[bytes], summary: str) -> None:
        """study.json, study.csv, the plot (when there is one) and summary.md, each atomically."""
        atomic_write_json(self.study_path, study)
        atomic_write_text(self.csv_path, csv_text)
        if plot_png is not None:
            atomic_write_bytes(self.plot_path, plot_png)
        atomic_write_text(self.summary_path, summary)
