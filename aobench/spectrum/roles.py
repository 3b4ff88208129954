"""Which result measures compositionality and which recognition: one table, matched on a result's (task, dataset).

A result is classified by the schema fields its producer writes — the `task` and the `dataset` — never by
fragments of metric names. The first rule of `RULES` that matches gives the result's role, the metrics
that stand for it (its headline: the first of `metrics` it has, or all of them with `every=True`), their
chance level, and the group its subsets belong to:

| task (dataset), in match order                | producer       | role          | metric(s)                                   | chance |
|-----------------------------------------------|----------------|---------------|---------------------------------------------|--------|
| zeroshot_classification (any)                 | CLIP_benchmark | recognition   | acc1                                        | 1 / classes |
| zeroshot_retrieval (any)                      | CLIP_benchmark | recognition   | image_ and text_retrieval_recall@1          | not in the file |
| image_caption_selection (sugar_crepe/SUBSET)  | CLIP_benchmark | compositional | acc (= text_acc: one image, two captions)   | 1/2 |
| any task (a registered benchmark B, or B/SUBSET: `aobench benchmarks`) | aobench suite, CLIP_benchmark's winoground | compositional | acc (the benchmark's aggregate; a 2×2-group benchmark's group score) | the result's, else B's `SPEC.chance` |
| image_caption_selection (other)               | CLIP_benchmark | compositional | acc                                         | unknown |
| composition (an aobench dataset)              | aobench        | compositional | by_status/unusual/acc1, else acc1           | 1 / classes |
| czsl                                          | aobench        | compositional | closed/best_hm                              | none (a curve's maximum) |
| foils                                         | aobench        | compositional | acc (caption above its foil)                | 1/2 |
| object                                        | aobench        | recognition   | acc1                                        | 1 / classes |
| attribute, retrieval                          | aobench        | other         | (in spectrum.csv, not correlated by default) | |

A registered benchmark is one of the eval data-source registry (`aobench.evaluate.sources.benchmarks()`: the
suite's and plug-ins'); CLIP_benchmark's `winoground` results (task image_caption_selection, `acc` its group
score) are Winoground's too. Subsets (the lines of dynamics.png): CLIP_benchmark's `sugar_crepe/SUBSET` datasets; the suite's `SUBSET/acc`;
composition's `by_status/STATUS/acc1` (seen and unusual pairs); foils' `by_type/TYPE/acc` (`SUBSET/group` for a 2×2-group benchmark).

Chance levels come, in order, from the result itself (`<group>/chance/<metric>`, as aobench writes it; an older
suite file's `<group>/<metric>_chance` is still read),
from the class names CLIP_benchmark dumps (`--dump_classnames`) or the `n_classes` aobench records, from
`CLASS_COUNTS` (the class lists of CLIP_benchmark's builder, counted), else from the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Optional

from aobench.evaluate.results import CHANCE, OLD_CHANCE, chance_key

CLIP_BENCHMARK, AOBENCH, SUITE_PRODUCER = "clip_benchmark", "aobench", "aobench suite"
COMPOSITIONAL = "compositional"
RECOGNITION = "recognition"
OTHER = "other"
ROLES = (COMPOSITIONAL, RECOGNITION, OTHER)

WDS_PREFIX = "wds/"  # CLIP_benchmark writes `dataset` as given: wds/NAME for a webdataset of NAME (its builder strips it)

# Classes per CLIP_benchmark classification dataset (counted from its en_classnames.json and builder.py, clip_benchmark 1.6).
CLASS_COUNTS = {
    "imagenet1k": 1000, "imagenetv2": 1000, "imagenet_sketch": 1000, "imagenet-w": 1000, "imagenet1k-unverified": 1000,
    "imagenet-a": 200, "imagenet-r": 200, "imagenet-o": 200, "objectnet": 113, "cifar10": 10, "cifar100": 100, "stl10": 10,
    "voc2007": 20, "food101": 101, "sun397": 397, "cars": 196, "fgvc_aircraft": 100, "dtd": 47, "pets": 37, "caltech101": 102,
    "flowers": 102, "mnist": 10, "svhn": 10, "eurosat": 10, "gtsrb": 43, "country211": 211, "pcam": 2, "renderedsst2": 2,
    "fer2013": 7, "resisc45": 45, "kitti_closest_vehicle_distance": 4, "clevr_count_all": 8, "clevr_closest_object_distance": 6,
    "dmlab": 6, "diabetic_retinopathy": 5,
}  # fmt: skip

GROUP_SCHEMA = "group"  # aobench.suite.schema.GROUP: a 2×2-group benchmark, whose aggregate `acc` is a group score


@lru_cache(maxsize=None)
def _benchmark_specs() -> dict[str, Any]:
    from aobench.evaluate.sources import benchmarks

    return {b.name: b.spec for b in benchmarks()}


def benchmark_spec(dataset: str) -> Optional[Any]:
    """The `BenchmarkSpec` of a registered standard benchmark a result's dataset names (`B` or `B/SUBSET+…`), or None."""
    return _benchmark_specs().get(dataset.partition("/")[0])


def dataset_name(dataset: str) -> str:
    """A result's dataset as the table matches it: CLIP_benchmark's `wds/` prefix dropped."""
    return dataset[len(WDS_PREFIX):] if dataset.startswith(WDS_PREFIX) else dataset


@dataclass(frozen=True)
class Rule:
    """One row of the table: which results it matches, their role, the metric(s) standing for them, chance, subset group."""

    producer: str  # the tool whose results the rule reads
    role: str
    task: Optional[str]  # the result's task; None: any task
    metrics: tuple[str, ...]  # candidate headline metrics
    datasets: Optional[tuple[str, ...]] = None  # exact dataset names; None: any
    prefix: Optional[str] = None  # a dataset-name prefix (CLIP_benchmark's `sugar_crepe/SUBSET`): the rest is the subset
    benchmark: bool = False  # matches the datasets of registered standard benchmarks (`benchmark_spec`)
    every: bool = False  # all of `metrics` stand for the result (retrieval's two directions), not the first present
    subsets: tuple[str, ...] = ()  # per-subset metric keys ('*': one path part, '{m}': the headline's last part), for dynamics.png; first that matches
    chance: Callable[[str, str, dict], Optional[float]] = lambda dataset, metric, flat: None
    source: str = ""  # what the rule follows

    def matches(self, task: str, dataset: str) -> bool:
        """Whether a result of this task and dataset is this rule's."""
        if self.task is not None and task != self.task:
            return False
        if self.prefix is not None:
            return dataset.startswith(self.prefix) and len(dataset) > len(self.prefix)
        if self.benchmark:
            return benchmark_spec(dataset) is not None
        return self.datasets is None or dataset in self.datasets

    def headline(self, flat: dict) -> list[str]:
        """The metric keys of a result (flat) that stand for it."""
        present = [m for m in self.metrics if m in flat]
        return present if self.every else present[:1]

    def subset_metrics(self, flat: dict, metric: str) -> dict[str, str]:
        """{metric key: subset name} of the per-subset values of `metric` in a result (keys matching the first of `subsets` that any match)."""
        for pattern in self.subsets:
            head, _, tail = pattern.format(m=metric).partition("*")
            out = {}
            for k in flat:
                mid = k[len(head): len(k) - len(tail)] if k.startswith(head) and k.endswith(tail) and len(k) > len(head) + len(tail) else ""
                if mid and "/" not in mid and mid != CHANCE:  # `chance/acc` is the aggregate's chance level, not a subset
                    out[k] = mid
            if out:
                return out
        return {}

    def group(self, dataset: str) -> tuple[str, Optional[str]]:
        """(group, subset): a `prefix` rule's datasets are subsets of one group (sugar_crepe/add_att → sugar_crepe, add_att)."""
        if self.prefix is not None:
            return self.prefix.rstrip("/"), dataset[len(self.prefix):]
        return dataset, None


def _classes(dataset: str, metric: str, flat: dict) -> Optional[float]:
    n = flat.get("n_classes") or CLASS_COUNTS.get(dataset)
    return 1.0 / n if n else None


def _const(value: Optional[float]) -> Callable[[str, str, dict], Optional[float]]:
    return lambda dataset, metric, flat: value


def _suite(dataset: str, metric: str, flat: dict) -> Optional[float]:
    spec = benchmark_spec(dataset)
    chance = dict(getattr(spec, "chance", None) or {})
    name = metric.rpartition("/")[2]
    if name == "acc" and "acc" not in chance and getattr(spec, "schema", "") == GROUP_SCHEMA:
        return chance.get("group")  # a 2×2-group benchmark's aggregate is its group score
    return chance.get(name)


RULES: tuple[Rule, ...] = (  # first match wins: dataset-specific rules before task-only ones
    Rule(CLIP_BENCHMARK, RECOGNITION, "zeroshot_classification", ("acc1",), chance=_classes, source="CLIP_benchmark metrics/zeroshot_classification.py"),
    Rule(CLIP_BENCHMARK, RECOGNITION, "zeroshot_retrieval", ("image_retrieval_recall@1", "text_retrieval_recall@1"), every=True,
         source="CLIP_benchmark metrics/zeroshot_retrieval.py"),
    Rule(CLIP_BENCHMARK, COMPOSITIONAL, "image_caption_selection", ("acc",), prefix="sugar_crepe/", chance=_const(0.5),
         source="CLIP_benchmark metrics/image_caption_selection.py (acc = text_acc: image_acc is 1 with one image)"),
    Rule(SUITE_PRODUCER, COMPOSITIONAL, None, ("acc", "group"), benchmark=True, chance=_suite, subsets=("*/{m}", "*/group"),
         source="aobench suite: the benchmark's aggregate as its authors compute it (CLIP_benchmark's winoground: acc = group score)"),
    Rule(CLIP_BENCHMARK, COMPOSITIONAL, "image_caption_selection", ("acc",), source="CLIP_benchmark metrics/image_caption_selection.py"),
    Rule(AOBENCH, COMPOSITIONAL, "composition", ("by_status/unusual/acc1", "acc1"), chance=_classes, subsets=("by_status/*/{m}",),
         source="aobench composition: top-1 among all evaluated pairs, on the images of unusual pairs"),
    Rule(AOBENCH, COMPOSITIONAL, "czsl", ("closed/best_hm",), source="aobench czsl: best harmonic mean of seen/unseen accuracy over the bias sweep"),
    Rule(AOBENCH, COMPOSITIONAL, "foils", ("acc",), chance=_const(0.5), subsets=("by_type/*/{m}",), source="aobench foils: true caption above its foil"),
    Rule(AOBENCH, RECOGNITION, "object", ("acc1",), chance=_classes, source="aobench object: top-1 among the object names"),
    Rule(AOBENCH, OTHER, "attribute", ("acc1",), source="aobench attribute: attribute given the true object (neither axis)"),
    Rule(AOBENCH, OTHER, "retrieval", ("text_retrieval_recall@1", "image_retrieval_recall@1"), every=True,
         source="aobench retrieval over the benchmark's own captions (neither axis)"),
)


def rule_for(task: str, dataset: str) -> Optional[Rule]:
    """The first rule matching a result's task and dataset (the dataset as `dataset_name` gives it), or None."""
    return next((r for r in RULES if r.matches(task, dataset)), None)


def carried_chance(flat: dict, metric: str) -> Optional[float]:
    """The chance level a result states for one of its metrics (`…/chance/<metric>`, else an old file's `<metric>_chance`)."""
    for key in (chance_key(metric), f"{metric}{OLD_CHANCE}"):
        v = flat.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def chance_of(rule: Optional[Rule], dataset: str, metric: str, flat: dict, classnames: Optional[list] = None) -> Optional[float]:
    """The chance level of one metric of a result: its own, else 1/len(classnames), else the rule's."""
    own = carried_chance(flat, metric)
    if own is not None:
        return own
    if classnames and rule is not None and rule.chance is _classes:
        return 1.0 / len(classnames)
    return rule.chance(dataset, metric, flat) if rule is not None else None
