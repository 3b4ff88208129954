"""Results of many models → one table: a row per model, joined by (model, pretrained), a column per `dataset/task/metric`.

aobench's and CLIP_benchmark's result JSONs are read by `aobench.evaluate.results` (the one reader of the
format); both tools write `model` (the architecture) and `pretrained` (the tag, or the checkpoint path as
given), so one model's results from both join into one row. Paths are compared after `os.path.normpath`
(`./ckpt//epoch_1.pt` is `ckpt/epoch_1.pt`), never resolved against this machine's folders, so results made
elsewhere still join. Columns are classified by `roles.RULES`; derived columns are the mean zero-shot
classification accuracy over the datasets present (`mean/zeroshot_classification/acc1`) and the macro mean of
a subset group (`sugar_crepe/image_caption_selection/acc`), each defined only for models with every part.
"""

from __future__ import annotations

import fnmatch
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from aobench.errors import AobenchError
from aobench.evaluate.checkpoints import step_from_name
from aobench.evaluate.results import Result, load_results
from aobench.paths import CHECKPOINT_SUFFIXES
from aobench.spectrum import roles

log = logging.getLogger(__name__)

MEAN = "mean"  # the dataset part of the mean zero-shot classification column
CLASSIFICATION = "zeroshot_classification"
PRE_TRAINED, FINE_TUNED, WISE, RANDOM = "pre-trained", "fine-tuned", "wise-ft", "random"
GROUPS = (PRE_TRAINED, FINE_TUNED, WISE, RANDOM)  # the groups a model is drawn in (spectrum.csv `group`)


@dataclass
class Column:
    """One column of the table: a metric of one (dataset, task), what it measures, its chance level."""

    name: str  # dataset/task/metric
    dataset: str
    task: str
    metric: str
    role: str  # roles.COMPOSITIONAL, RECOGNITION or OTHER
    headline: bool = False  # stands for its (dataset, task): correlated by default
    chance: Optional[float] = None  # the chance level when every model's is the same, else None
    group: str = ""  # the benchmark a subset column belongs to
    subset: Optional[str] = None
    derived: str = ""  # how a derived column is computed (empty: read from results)
    parts: tuple[str, ...] = ()  # a derived column's parts: the datasets of a mean, the subsets of a group
    source: str = ""


@dataclass
class ModelRow:
    """One model: its identity, where it sits in a series, and its value per column."""

    model: str
    pretrained: str
    spec: str = ""
    step: Optional[int] = None
    alpha: Optional[float] = None
    series: Optional[str] = None  # checkpoint series (folder) or WiSE pair the row is a point of
    group: str = PRE_TRAINED
    values: dict = field(default_factory=dict)
    chances: dict = field(default_factory=dict)  # column → this model's chance level
    stderrs: dict = field(default_factory=dict)  # column → the standard error its result states (`<metric>_stderr`)
    files: list = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        """The join key: (model, pretrained) with paths normalised."""
        return self.model, join_name(self.pretrained)

    @property
    def label(self) -> str:
        """How figures name the model: its spec, else model:pretrained."""
        return self.spec or f"{self.model}:{self.pretrained}"


@dataclass
class SpectrumTable:
    """The joined table: rows (models), columns, and what was noticed on the way."""

    rows: list[ModelRow]
    columns: dict[str, Column]
    notes: list[str] = field(default_factory=list)
    n_results: int = 0

    def values(self, column: str) -> list[Optional[float]]:
        """The column's value per row (None where a model has none)."""
        return [r.values.get(column) for r in self.rows]

    def by_role(self, role: str, headline: bool = True) -> list[str]:
        """Column names of one role (headline columns only, by default), derived ones first."""
        cols = [c for c in self.columns.values() if c.role == role and (c.headline or not headline)]
        return [c.name for c in sorted(cols, key=lambda c: (not c.derived, c.name))]


def join_name(pretrained: str) -> str:
    """`pretrained` as the join compares it: a path normalised (os.path.normpath), anything else as written."""
    s = str(pretrained)
    return os.path.normpath(s) if "/" in s and "://" not in s else s


def is_checkpoint(pretrained: str) -> bool:
    """Whether `pretrained` names a local checkpoint file (its results' `pretrained` is the path)."""
    return str(pretrained).endswith(CHECKPOINT_SUFFIXES)


def _number(v) -> Optional[float]:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _int(v) -> Optional[int]:
    return int(v) if isinstance(v, int) and not isinstance(v, bool) else None


def _wise_alpha(r: Result) -> Optional[float]:
    """A WiSE result's alpha: recorded, else the `@ALPHA` its spec ends with (results written before `alpha` was recorded)."""
    if _number(r.alpha) is not None:
        return float(r.alpha)
    if r.spec.startswith("wise:") and "@" in r.spec:
        try:
            return float(r.spec.rsplit("@", 1)[1])
        except ValueError:
            return None
    return None


def _group_of(row: ModelRow, marks: dict[str, str]) -> str:
    for pattern, group in marks.items():
        if any(fnmatch.fnmatchcase(name, pattern) for name in (row.label, row.pretrained, f"{row.model}:{row.pretrained}")):
            return group
    if row.alpha is not None:
        return WISE
    if row.pretrained == "random":
        return RANDOM
    return FINE_TUNED if is_checkpoint(row.pretrained) else PRE_TRAINED


def build_table(results: Iterable[Result], marks: Optional[dict[str, str]] = None) -> SpectrumTable:
    """Join results into rows by (model, pretrained) and classify their metrics into columns.

    `marks`: glob (over a model's spec, pretrained or model:pretrained) → group (`pre-trained` or `fine-tuned`),
    checked first; otherwise a WiSE model is `wise-ft`, a local checkpoint `fine-tuned`, random weights
    `random`, anything else (a published tag or Hub model) `pre-trained`.
    """
    rows: dict[tuple[str, str], ModelRow] = {}
    columns: dict[str, Column] = {}
    notes: list[str] = []
    seen: dict[tuple, Path] = {}
    unclassified: set[tuple[str, str]] = set()
    n = 0
    for r in results:
        n += 1
        dataset = roles.dataset_name(r.dataset)
        row = rows.setdefault((r.model, join_name(r.pretrained)), ModelRow(r.model, join_name(r.pretrained)))
        ident = (row.key, dataset, r.task)
        if ident in seen:
            notes.append(f"{r.path}: a second result of {r.model}:{r.pretrained} on {dataset}/{r.task}; kept {seen[ident]} (the first given)")
            continue
        seen[ident] = r.path
        row.files.append(r.path)
        if r.spec and not row.spec:
            row.spec = r.spec
        if row.step is None and _int(r.step) is not None:
            row.step = int(r.step)
        if row.series is None and r.series:
            row.series = r.series
        if row.alpha is None:
            row.alpha = _wise_alpha(r)
        rule = roles.rule_for(r.task, dataset)
        if rule is None:
            unclassified.add((dataset, r.task))
        flat = r.flat
        classnames = r.extra.get("classnames") if isinstance(r.extra.get("classnames"), list) else None
        heads = set(rule.headline(flat)) if rule else set()
        group, subset = rule.group(dataset) if rule else (dataset, None)
        subsets = {}
        for h in heads:
            subsets.update(rule.subset_metrics(flat, h.rpartition("/")[2]))
        for metric, value in flat.items():
            v = _number(value)
            if v is None:
                continue
            name = f"{dataset}/{r.task}/{metric}"
            col = columns.get(name)
            if col is None:
                col = columns[name] = Column(name, dataset, r.task, metric, rule.role if rule else roles.OTHER, headline=metric in heads,
                                             group=group, subset=subset if metric in heads else subsets.get(metric),
                                             source=rule.source if rule else "")  # fmt: skip
            row.values[name] = v
            if metric in heads or metric in subsets:
                row.chances[name] = roles.chance_of(rule, dataset, metric, flat, classnames)
                se = _number(flat.get(f"{metric}_stderr"))
                if se is not None:
                    row.stderrs[name] = se
    if unclassified:
        notes.append("results of no rule in aobench.spectrum.roles (in spectrum.csv, not correlated by default): "
                     + ", ".join(f"{d}/{t}" for d, t in sorted(unclassified)))  # fmt: skip
    table = SpectrumTable(list(rows.values()), columns, notes, n)
    for row in table.rows:
        _place(row)
        row.group = _group_of(row, marks or {})
    _derive(table)
    for col in table.columns.values():
        _common_chance(table, col)
    table.rows.sort(key=lambda r: (r.series or "", r.step if r.step is not None else -1, r.alpha if r.alpha is not None else -1, r.label))
    return table


def _place(row: ModelRow) -> None:
    """A checkpoint's step and series from its path when no aobench result recorded them (CLIP_benchmark's results of it)."""
    if not is_checkpoint(row.pretrained):
        if row.alpha is not None and row.series is None:
            row.series = row.spec.rsplit("@", 1)[0] if row.spec else f"wise:{row.model}:{row.pretrained.rsplit('@', 1)[0]}"
        return
    if row.step is None:
        row.step = step_from_name(row.pretrained)
    if row.series is None and row.step is not None:
        row.series = f"open_clip:{row.model}:{os.path.dirname(join_name(row.pretrained)) or '.'}/"


def _derive(table: SpectrumTable) -> None:
    """Add the mean zero-shot classification column and the macro mean of each subset group."""
    cls = sorted(c.name for c in table.columns.values() if c.task == CLASSIFICATION and c.headline)
    if cls:
        datasets = [table.columns[c].dataset for c in cls]
        name = f"{MEAN}/{CLASSIFICATION}/acc1"
        how = f"mean of acc1 over the {len(cls)} zero-shot classification dataset(s) present: {', '.join(datasets)}"
        table.columns[name] = Column(name, MEAN, CLASSIFICATION, "acc1", roles.RECOGNITION, headline=True, derived=how, group=MEAN,
                                     parts=tuple(datasets), source="CLIP_benchmark zero-shot classification results")  # fmt: skip
        _mean_into(table, name, cls)
    groups: dict[tuple[str, str, str], list[str]] = {}
    for c in table.columns.values():
        if c.headline and c.subset is not None and not c.derived and c.group != c.dataset:  # a dataset that is a subset of a group
            groups.setdefault((c.group, c.task, c.metric), []).append(c.name)
    for (group, task, metric), parts in sorted(groups.items()):
        name = f"{group}/{task}/{metric}"
        first = table.columns[parts[0]]
        subsets = [table.columns[p].subset for p in sorted(parts)]
        how = f"macro mean of {metric} over the {len(parts)} subset(s) present: {', '.join(subsets)}"
        table.columns[name] = Column(name, group, task, metric, first.role, headline=True, derived=how, group=group, parts=tuple(subsets),
                                     source=first.source)  # fmt: skip
        for p in parts:  # the group's aggregate stands for it; its subsets are lines of dynamics.png
            table.columns[p].headline = False
        _mean_into(table, name, sorted(parts))


def _mean_into(table: SpectrumTable, name: str, parts: list[str]) -> None:
    missing = 0
    for row in table.rows:
        vals = [row.values.get(p) for p in parts]
        if all(v is not None for v in vals):
            row.values[name] = sum(vals) / len(vals)
            ch = [row.chances.get(p) for p in parts]
            row.chances[name] = sum(ch) / len(ch) if all(c is not None for c in ch) else None
            se = [row.stderrs.get(p) for p in parts]
            if all(e is not None for e in se):  # the parts are scored on different data: independent errors
                row.stderrs[name] = math.sqrt(sum(e * e for e in se)) / len(se)
        elif any(v is not None for v in vals):
            missing += 1
    if missing:
        table.notes.append(f"{name}: undefined for {missing} model(s) that lack some of its {len(parts)} part(s) (a mean over other parts would not compare)")


def _common_chance(table: SpectrumTable, col: Column) -> None:
    """The column's chance level when the models that have it agree on one (models that state none are left out)."""
    known = {row.chances.get(col.name) for row in table.rows if col.name in row.values} - {None}
    col.chance = known.pop() if len(known) == 1 else None
    if len(known) > 1:
        table.notes.append(f"{col.name}: the chance level differs between models (different class counts); none drawn")


def load_table(paths: Iterable[str | Path], marks: Optional[dict[str, str]] = None) -> SpectrumTable:
    """The table of every result JSON below the given dirs (or the given files); AobenchError when there is none."""
    paths = [Path(p) for p in paths]
    results, files = [], set()
    for r in load_results(paths, recursive=True):
        key = r.path.resolve() if r.path else id(r)
        if key not in files:  # a file below two of the given dirs is one result
            files.add(key)
            results.append(r)
    if not results:
        raise AobenchError(f"{', '.join(map(str, paths))}: no result JSON (aobench eval or clip_benchmark eval output) found — pass the --out dirs of those runs")
    return build_table(results, marks)
