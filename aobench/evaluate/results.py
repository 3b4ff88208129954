"""The eval result format: one CLIP_benchmark-shaped JSON per (dataset, model, task), `results.csv`, labels.

Every reader and writer of results goes through here (the runner, `aobench eval --plot`, the report, the CLI),
so a result means one thing everywhere. A result file keeps CLIP_benchmark's keys (`dataset, model,
pretrained, task, metrics, language`) and adds what produced it: the spec, the model's revision, the
data fingerprint, the templates, the protocol options and the aobench version.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from aobench.errors import AobenchError
from aobench.io import atomic_write_json, atomic_write_text

LANGUAGE = "en"
FILENAME = "{dataset}_{pretrained}_{model}_{language}_{task}.json"  # CLIP_benchmark's default output pattern
REQUIRED = ("dataset", "model", "pretrained", "task", "metrics")  # what makes a JSON a result
CSV_KEYS = ("dataset", "model", "pretrained", "task", "language", "spec", "templates", "model_revision", "data_fingerprint", "aobench_version", "options",
            "step", "alpha")  # fmt: skip
# the metric a table shows first for a result of a task that names none (another tool's, a plug-in's): the first of these it has
HEADLINE_KEYS = ("acc1", "closed/best_hm", "acc", "text_retrieval_recall@1", "group")  # group: Winoground-style benchmarks


@dataclass
class Result:
    """One (dataset, model, task) result: CLIP_benchmark's fields plus what produced it."""

    dataset: str
    model: str
    pretrained: str
    task: str
    metrics: dict
    language: str = LANGUAGE
    spec: str = ""
    templates: str = ""
    splits: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # [{"id", "reason"}]
    notes: list = field(default_factory=list)  # this task's notes only
    aobench_version: str = ""
    model_revision: Optional[str] = None  # the Hub commit of the weights, when known
    data_fingerprint: Optional[str] = None  # identity of the evaluated splits' content
    options: dict = field(default_factory=dict)  # protocol options (seed, task options such as a CZSL protocol)
    step: Optional[int] = None  # the training step (epoch) of a checkpoint of a series
    series: Optional[str] = None  # the spec of the series the model belongs to (a checkpoint folder)
    alpha: Optional[float] = None  # the WiSE-FT interpolation weight of a `wise:` model
    extra: dict = field(default_factory=dict)  # keys of a file read back that this schema does not name
    path: Optional[Path] = None  # where it was read from or written to

    _FIELDS = ("dataset", "model", "pretrained", "task", "metrics", "language", "spec", "templates", "splits", "skipped", "notes",
               "aobench_version", "model_revision", "data_fingerprint", "options", "step", "series", "alpha")  # fmt: skip

    def to_dict(self) -> dict:
        """The JSON document (CLIP_benchmark's keys first, then aobench's, then unknown keys read back)."""
        return {**{k: getattr(self, k) for k in self._FIELDS}, **self.extra}

    @classmethod
    def from_dict(cls, d: dict, path: Optional[Path] = None) -> "Result":
        """A result from a JSON document (must hold dataset, model, pretrained, task, metrics)."""
        missing = [k for k in REQUIRED if k not in d]
        if missing:
            raise ValueError(f"not a result: no {', '.join(missing)}")
        known = {k: d[k] for k in cls._FIELDS if k in d}
        extra = {k: v for k, v in d.items() if k not in cls._FIELDS}
        for k in ("dataset", "model", "pretrained", "task"):
            known[k] = "" if known[k] is None else str(known[k])
        return cls(**known, extra=extra, path=path)

    @property
    def label(self) -> str:
        """How tables and plots name the model: its spec, else `model:pretrained` (or the model alone)."""
        return label(self.to_dict())

    @property
    def flat(self) -> dict:
        """Scalar metrics flattened to 'a/b' keys (curves and id lists left out)."""
        return flat_metrics(self.metrics)

    def headline(self) -> tuple[Optional[str], Optional[float]]:
        """(key, value) of the metric a table shows first, or (None, None)."""
        return headline(self.flat, self.task)


def label(d: dict) -> str:
    """A result's model label: `spec`, else `model:pretrained`, else `model`."""
    if d.get("spec"):
        return str(d["spec"])
    model, pre = str(d.get("model", "?")), d.get("pretrained")
    return f"{model}:{pre}" if pre not in (None, "", "none") else model


def headline(flat: dict, task: Optional[str] = None) -> tuple[Optional[str], Optional[float]]:
    """(key, value) of the headline metric `task` declares (its TaskSpec), else of the first of HEADLINE_KEYS present; or (None, None)."""
    from aobench.evaluate.tasks import TASKS, task_spec

    declared = task_spec(task).headline if task in TASKS else None
    key = declared if declared in flat else next((k for k in HEADLINE_KEYS if k in flat), None)
    return key, (flat[key] if key else None)


def safe_part(part: str) -> str:
    """A filename-safe component ('/', ':', ',', spaces → '_'), as CLIP_benchmark turns '/' in dataset names."""
    return re.sub(r"[^A-Za-z0-9._@=+()-]+", "_", str(part)).strip("_") or "none"


NAME_HASH = 8  # hex digits of the identity hash a sanitised name carries


def result_path(out: Path, dataset: str, model: str, pretrained: str, task: str, language: str = LANGUAGE) -> Path:
    """Where the JSON of one (dataset, model, pretrained, task) result goes: CLIP_benchmark's name, injective in the identity.

    Sanitising maps `/`, `_`, spaces and other characters alike (`ck/a_b/ep.pt` and `ck/a/b/ep.pt` both become
    `ck_a_b_ep.pt`), so whenever it changed a part the name ends with a short hash of the raw parts
    (`..._en_composition-1a2b3c4d.json`); names that needed no change stay exactly CLIP_benchmark's.
    """
    raw = {"dataset": str(dataset), "pretrained": str(pretrained), "model": str(model)}
    parts = {k: safe_part(v) for k, v in raw.items()}
    name = FILENAME.format(**parts, language=language, task=task)
    if parts != raw:
        digest = hashlib.sha256(json.dumps([raw["dataset"], raw["model"], raw["pretrained"]]).encode("utf-8")).hexdigest()[:NAME_HASH]
        name = f"{name[: -len('.json')]}-{digest}.json"
    return Path(out) / name


def _identity(r: "Result") -> tuple:
    return (r.dataset, r.model, r.pretrained, r.task, r.language)


def jsonable(v: Any) -> Any:
    """A metric value as JSON can hold it: numpy/torch scalars to Python, ±inf to ±1e30."""
    if isinstance(v, float) and math.isinf(v):
        return 1e30 if v > 0 else -1e30
    if hasattr(v, "item") and not isinstance(v, (list, dict)):
        return v.item()
    return v


def nest_metrics(flat: dict) -> dict:
    """'by_attribute_type/colour/acc1' keys → metrics["by_attribute_type"]["colour"]["acc1"] (the JSON shape)."""
    out: dict = {}
    for key, value in flat.items():
        parts = key.split("/")
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a scalar already holds this name: keep the key flat
                node = None
                break
            node = child
        if node is None or (parts[-1] in node and isinstance(node[parts[-1]], dict)):
            out[key] = value
        else:
            node[parts[-1]] = value
    return out


def flatten_metrics(metrics: dict, prefix: str = "") -> dict:
    """Nested metrics → flat 'a/b/c' keys (the inverse of `nest_metrics`)."""
    out = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            out.update(flatten_metrics(v, f"{prefix}{k}/"))
        else:
            out[f"{prefix}{k}"] = v
    return out


def flat_metrics(metrics: dict) -> dict:
    """The scalar metrics of a result, flattened to 'a/b' keys (lists such as curves and skipped ids left out)."""
    return {k: v for k, v in flatten_metrics(metrics).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def write_result(out: Path, result: Result) -> Path:
    """Write a result atomically to its file name in OUT; returns the path. Replacing another model's result is an error."""
    path = result_path(out, result.dataset, result.model, result.pretrained, result.task, result.language)
    old = read_result(path) if path.exists() else None
    if old is not None and (_identity(old) != _identity(result) or (old.spec and result.spec and old.spec != result.spec)):
        raise AobenchError(
            f"{path}: holds the {old.task} result of {old.label} on {old.dataset}; {result.label} would replace it "
            "— evaluate it into another --out, or remove that file"
        )
    atomic_write_json(path, result.to_dict())
    result.path = path
    return path


def read_result(path: Path) -> Optional[Result]:
    """The result in a JSON file, or None when the file is not a result (another JSON, not JSON, unreadable)."""
    try:
        d = json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return None
    if not isinstance(d, dict) or not isinstance(d.get("metrics"), dict):
        return None
    try:
        return Result.from_dict(d, Path(path))
    except ValueError:
        return None


def load_results(paths: str | Path | Iterable[str | Path], recursive: bool = False, skip_dirs: tuple[str, ...] = ("report",)) -> list[Result]:
    """Every result in the given file(s) and dir(s) (a dir's own JSONs, or all below it when recursive), sorted per dir by name."""
    if isinstance(paths, (str, os.PathLike)):  # one path, as the README shows: `load_results(DIR)`
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            found = p.rglob("*.json") if recursive else p.glob("*.json")
            files.extend(sorted(f for f in found if not set(f.relative_to(p).parts[:-1]) & set(skip_dirs)))
        else:
            raise AobenchError(f"results {p}: no such file or directory — pass an `aobench eval --out` dir or one of its JSON files")
    return [r for r in map(read_result, files) if r is not None]


RESULTS_CSV = "results.csv"
RESULTS_LONG_CSV = "results_long.csv"
LONG_KEYS = ("dataset", "model", "pretrained", "task", "metric", "value", "stderr", "n")
STDERR = "_stderr"  # `<metric>_stderr`: the standard error of `<metric>` (lm-evaluation-harness's naming)
CHANCE = "chance"  # `<group>/chance/<metric>`: the chance level of `<group>/<metric>` (a path segment before the leaf)
OLD_CHANCE = "_chance"  # `<metric>_chance`: the suite's chance key before it followed CHANCE (read in old files, never written)


def chance_key(key: str) -> str:
    """The key of metric `key`'s chance level: `chance` as a segment before the leaf (`a/b/acc` → `a/b/chance/acc`)."""
    group, _, leaf = key.rpartition("/")
    return f"{group}/{CHANCE}/{leaf}" if group else f"{CHANCE}/{leaf}"


def is_chance_key(key: str) -> bool:
    """Whether a flat metric key is a chance level (`…/chance/<metric>`, or the old `<metric>_chance`)."""
    return CHANCE in key.split("/")[:-1] or key.endswith(OLD_CHANCE)


def _is_count(key: str) -> bool:
    last = key.rsplit("/", 1)[-1]
    return last == "n" or last.startswith("n_") or last.endswith("_n") or key.endswith(STDERR)


def metric_n(flat: dict, key: str) -> Optional[int]:
    """How many units (images, foils, groups, queries) metric `key` is computed over.

    The first present of: `<key>_n` (a metric whose units differ from its group's), `<group>/n` (e.g.
    `by_split/test/n`), the result's `n`, `n_images`.
    """
    group = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    for k in (f"{key}_n", f"{group}n", "n", "n_images"):
        v = flat.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return int(v)
    return None


def long_rows(result: "Result") -> list[dict]:
    """One row per scalar metric of a result (counts and stderrs are columns, not rows): `LONG_KEYS`.

    A chance level (`…/chance/<metric>`) is a row with neither stderr nor n: it is the task's property, not an
    estimate from the units, so it borrows neither its metric's stderr nor its group's count.
    """
    flat = result.flat
    rows = []
    for key in sorted(flat):
        if _is_count(key):
            continue
        chance = is_chance_key(key)
        se = None if chance else flat.get(key + STDERR)
        rows.append({"dataset": result.dataset, "model": result.model, "pretrained": result.pretrained, "task": result.task, "metric": key,
                     "value": flat[key], "stderr": se, "n": None if chance else metric_n(flat, key)})  # fmt: skip
    return rows


def write_csv(out: Path, results: Optional[list[Result]] = None) -> Path:
    """`OUT/results.csv`: one row per result (default: every result JSON in OUT), metrics as columns (as CLIP_benchmark's `build`,
    `<metric>_stderr` columns included), and beside it `OUT/results_long.csv`: one row per (result, metric) with its value,
    stderr and n. Returns the path of results.csv."""
    rows = load_results([out]) if results is None else results
    mkeys = sorted({k for r in rows for k in r.flat})
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(list(CSV_KEYS) + mkeys)
    for r in rows:
        d, m = r.to_dict(), r.flat
        meta = [json.dumps(d[k], sort_keys=True) if k == "options" else ("" if d.get(k) is None else d.get(k, "")) for k in CSV_KEYS]
        w.writerow(meta + [m.get(k, "") for k in mkeys])
    path = Path(out) / RESULTS_CSV
    atomic_write_text(path, buf.getvalue())
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(LONG_KEYS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        for row in long_rows(r):
            w.writerow({k: "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else v for k, v in row.items()})
    atomic_write_text(Path(out) / RESULTS_LONG_CSV, buf.getvalue())
    return path


@dataclass
class ModelSummary:
    """What the cross-model figures show of one model: composition and object top-1, composition top-1 per attribute type."""

    composition: Optional[float] = None
    object: Optional[float] = None
    by_attribute_type: dict = field(default_factory=dict)


def _number(v) -> Optional[float]:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def summarize(results: Iterable[Result]) -> dict[str, ModelSummary]:
    """Per model label: `acc1` of the composition and object tasks and `by_attribute_type/<t>/acc1` of composition."""
    out: dict[str, ModelSummary] = {}
    for r in results:
        s = out.setdefault(r.label, ModelSummary())
        m = r.flat
        if r.task == "object" and s.object is None:
            s.object = _number(m.get("acc1"))
        if r.task == "composition" and s.composition is None:
            s.composition = _number(m.get("acc1"))
            for k, v in m.items():
                parts = k.split("/")
                if len(parts) == 3 and parts[0] == "by_attribute_type" and parts[2] == "acc1" and _number(v) is not None:
                    s.by_attribute_type[parts[1]] = float(v)
    return out


@dataclass
class Headline:
    """The benchmark's headline for one model: composition acc1 on seen vs unusual pairs, their gap, chance — each with its stderr.

    Both ranked among every evaluated pair (`by_status/<status>/acc1`), so they share one class list and one
    chance level and their gap compares like with like; the gap's stderr treats the two image sets as
    independent (sqrt(se_seen² + se_unusual²)).
    """

    model: str
    seen: float
    seen_stderr: float
    n_seen: int
    unusual: float
    unusual_stderr: float
    n_unusual: int
    chance: float
    n_classes: int

    @property
    def gap(self) -> float:
        """Seen minus unusual accuracy."""
        return self.seen - self.unusual

    @property
    def gap_stderr(self) -> float:
        """Stderr of the gap (independent image sets)."""
        return math.sqrt(self.seen_stderr**2 + self.unusual_stderr**2)


def headlines(results: Iterable[Result], task: str = "composition") -> list[Headline]:
    """Per model (first result of `task` each): the seen/unusual headline, for results that have both statuses."""
    out, done = [], set()
    for r in results:
        if r.task != task or r.label in done:
            continue
        m = r.flat
        keys = [f"by_status/{s}/{k}" for s in ("seen", "unusual") for k in ("acc1", "acc1_stderr", "n")]
        if not all(k in m for k in keys):
            continue
        done.add(r.label)
        out.append(Headline(r.label, m["by_status/seen/acc1"], m["by_status/seen/acc1_stderr"], int(m["by_status/seen/n"]), m["by_status/unusual/acc1"],
                            m["by_status/unusual/acc1_stderr"], int(m["by_status/unusual/n"]), m.get("chance/acc1", math.nan), int(m.get("n_classes", 0))))  # fmt: skip
    return out
