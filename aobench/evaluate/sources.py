"""Eval data sources as a registry (entry point group `aobench.datasets`): what `aobench eval DATA` can read, and its row schema.

Every source has a `name`, a row `schema`, `match(ref)` (does DATA name it?) and `load(ref, …)`. aobench
registers its builds, `save_to_disk` dirs and Hub datasets (schema `labelled_images`: an image with attribute
and object labels, read by `evaluate/data.py`) and each standard benchmark (schemas of `aobench.suite.schema`:
image×texts, text×images, 2×2 groups). The tasks that apply follow from the schema (`tasks_for`).

A package adds a benchmark with nothing in aobench changed: an entry point in group `aobench.datasets` naming
a module that defines `SPEC`, `load_examples` and `aggregate` (the `BenchmarkSpec` contract), or any object
with `name`, `schema`, `match` and `load`. `SOURCES.register(name, target)` does the same in-process.
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from aobench.errors import AobenchError
from aobench.paths import is_hub_id
from aobench.registry import Registry

LABELLED = "labelled_images"  # an aobench build's rows: image, attribute, object (and split, prompt, …)
SELECTION_TASK = "image_caption_selection"  # CLIP_benchmark's name for "pick the right caption/image"
SUITE_NAME = "suite"  # every registered benchmark whose annotations this machine has

SOURCES: Registry = Registry("eval data source", "aobench.datasets")


def tasks_for(schema: str) -> list[str]:
    """The tasks that apply to rows of a schema: aobench's task registry for labelled images, the selection protocol for benchmarks."""
    if schema == LABELLED:
        from aobench.evaluate.tasks import TASKS

        return TASKS.names()
    return [SELECTION_TASK]


# ---- aobench's own data: builds, save_to_disk dirs, Hub datasets --------------------------------


@dataclass(frozen=True)
class LabelledSource:
    """A build dir, a `save_to_disk` dir or a Hub dataset id, read by `evaluate.data.load_data`."""

    name: str
    description: str
    schema: str = LABELLED
    fallback: bool = False  # tried only after every other source declined

    def match(self, ref: str) -> bool:
        """Whether DATA names this kind of source (a path that exists, or a Hub id)."""
        p = Path(str(ref)).expanduser()
        if self.name == "build":
            return p.is_dir() and ((p / "hf").is_dir() or (p / "recipe.lock.yaml").exists())
        if self.name == "save_to_disk":
            return p.is_dir() and ((p / "dataset_dict.json").exists() or (p / "state.json").exists())
        return not p.exists() and is_hub_id(str(ref))

    def load(self, ref: str, splits: Optional[Sequence[str]] = None, **_: Any):
        """The `EvalData` of DATA."""
        from aobench.evaluate.data import load_data

        return load_data(str(ref), list(splits) if splits else None)


BUILD = LabelledSource("build", "an aobench build dir (its hf/ splits, recipe templates and pairs)")
SAVED = LabelledSource("save_to_disk", "a datasets `save_to_disk` dir with image, attribute, object columns")
HUB = LabelledSource("hub", "a Hugging Face Hub dataset id OWNER/NAME with image, attribute, object columns", fallback=True)


# ---- standard benchmarks ------------------------------------------------------------------------


@dataclass
class BenchmarkData:
    """A benchmark loaded for evaluation: its spec and module, the subsets chosen, their examples, where the files came from."""

    spec: Any  # BenchmarkSpec
    module: Any
    subsets: list
    examples: list
    annotations: Any  # suite.data.Annotations
    skipped: list = field(default_factory=list)  # (where, why) of annotation rows that could not be used

    @property
    def dataset(self) -> str:
        """The result's `dataset`: the benchmark's name, with the subsets when not all were chosen (`sugarcrepe/swap_att`)."""
        if list(self.subsets) == list(self.spec.subsets):
            return self.spec.name
        return f"{self.spec.name}/{'+'.join(self.subsets)}"


class BenchmarkSource:
    """A benchmark module (`SPEC`, `load_examples`, `aggregate`) as a data source: DATA is `NAME` or `NAME/SUBSET[+SUBSET…]`."""

    fallback = False

    def __init__(self, module: Any):
        self.module = module
        self.spec = module.SPEC
        self.name = self.spec.name
        self.schema = self.spec.schema
        self.description = self.spec.description

    def match(self, ref: str) -> bool:
        """DATA is this benchmark's name, optionally with subsets after a '/'."""
        return str(ref).split("/", 1)[0] == self.name

    def subsets_of(self, ref: str) -> Optional[list[str]]:
        """The subsets DATA names (None: all), checked against the benchmark's."""
        from aobench.suite.loading import check_subsets

        _, _, rest = str(ref).partition("/")
        if not rest:
            return None
        return check_subsets(self.spec, [s for s in rest.split("+") if s])

    def load(self, ref: str, annotations: Optional[Path] = None, subsets: Optional[Sequence[str]] = None, **_: Any) -> BenchmarkData:
        """Find the annotation files (sha256-checked) and read the chosen subsets' examples."""
        from aobench.suite.data import find_annotations

        chosen = list(subsets) if subsets is not None else (self.subsets_of(ref) or list(self.spec.subsets))
        found = find_annotations(self.spec, annotations, chosen)
        skipped: list = []
        load = self.module.load_examples
        kwargs = {"skipped": skipped} if "skipped" in inspect.signature(load).parameters else {}
        examples = load(found.folder, chosen, **kwargs)
        return BenchmarkData(self.spec, self.module, chosen, list(examples), found, skipped)


# the standard benchmarks aobench ships (the `suite2` helper's land beside these)
BENCHMARKS = {
    "sugarcrepe": "aobench.suite.sugarcrepe",
    "sugarcrepe_pp": "aobench.suite.sugarcrepe_pp",
    "valse": "aobench.suite.valse",
    "winoground": "aobench.suite.winoground",
    "aro": "aobench.suite.aro",
    "svo_probes": "aobench.suite.svo_probes",
    "whatsup": "aobench.suite.whatsup",
    "crepe": "aobench.suite.crepe",
    "vl_checklist": "aobench.suite.vl_checklist",
    "colorswap": "aobench.suite.colorswap",
    "mmvp_vlm": "aobench.suite.mmvp_vlm",
    "eqben": "aobench.suite.eqben",
    "imagecode": "aobench.suite.imagecode",
}

SOURCES.register("build", "aobench.evaluate.sources:BUILD", BUILD.description)
SOURCES.register("save_to_disk", "aobench.evaluate.sources:SAVED", SAVED.description)
for _name, _module in BENCHMARKS.items():
    SOURCES.register(_name, _module, f"standard benchmark ({_module.rsplit('.', 1)[1]})")
SOURCES.register("hub", "aobench.evaluate.sources:HUB", HUB.description)


_WRAPPED: dict = {}  # id(module) → its BenchmarkSource (wrapped once)


def source(name: str):
    """The registered source called `name` (a benchmark module is wrapped as a `BenchmarkSource`)."""
    obj = SOURCES.get(name)
    if hasattr(obj, "SPEC") and hasattr(obj, "load_examples") and hasattr(obj, "aggregate") and not isinstance(obj, BenchmarkSource):
        if id(obj) not in _WRAPPED:
            _WRAPPED[id(obj)] = BenchmarkSource(obj)
        return _WRAPPED[id(obj)]
    for attr in ("name", "schema", "match", "load"):
        if not hasattr(obj, attr):
            raise AobenchError(f"eval data source {name!r} ({type(obj).__name__}) has no {attr!r}: give a module with SPEC, "
                               "load_examples and aggregate, or an object with name, schema, match and load")  # fmt: skip
    return obj


def benchmarks() -> list[BenchmarkSource]:
    """Every registered standard benchmark (aobench's and plug-ins'), in registration order."""
    out = []
    for name in SOURCES.names():
        s = source(name)
        if isinstance(s, BenchmarkSource):
            out.append(s)
    return out


def benchmark_source(name: str) -> BenchmarkSource:
    """The registered benchmark called `name`; one-line error with the closest name."""
    for b in benchmarks():
        if b.name == name:
            return b
    raise _unknown(name)


def _unknown(ref: str) -> AobenchError:
    head = str(ref).split("/", 1)[0]
    names = [b.name for b in benchmarks()] + [SUITE_NAME]
    close = difflib.get_close_matches(head, names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return AobenchError(f"unknown benchmark or dataset {ref!r}{hint} — `aobench benchmarks` lists the benchmarks; "
                        "or pass a build dir, a `save_to_disk` dir or a Hub id OWNER/NAME")  # fmt: skip


def resolve(ref: str):
    """The source DATA names: the first (in registration order) whose `match` accepts it, fallbacks last; one-line error with the closest name."""
    ref = str(ref)
    ordered = [source(n) for n in SOURCES.names()]
    for src in ordered:
        if not getattr(src, "fallback", False) and src.match(ref):
            return src
    head = ref.split("/", 1)[0]
    if "/" not in ref or difflib.get_close_matches(head, [b.name for b in benchmarks()], n=1, cutoff=0.8):
        if not Path(ref).expanduser().exists():
            raise _unknown(ref)  # a bare word is no Hub id; `sugarcrep/swap_att` is a misspelt benchmark, not a Hub repo
    for src in ordered:
        if getattr(src, "fallback", False) and src.match(ref):
            return src
    if Path(ref).expanduser().exists():
        raise AobenchError(f"{ref} is neither a build dir (with hf/) nor a `save_to_disk` dir — pass one of those, a benchmark or a Hub id")
    raise AobenchError(f"dataset not found: {ref} — pass a build dir, a `save_to_disk` dir, a benchmark (`aobench benchmarks`) or a Hub id OWNER/NAME")


def parse_benchmarks(data: str, annotations: Optional[Path] = None) -> Optional[list[tuple[BenchmarkSource, Optional[list[str]]]]]:
    """DATA as benchmarks — `sugarcrepe`, `sugarcrepe/swap_att`, `sugarcrepe,valse,aro`, `suite` — or None when DATA is not one.

    `suite` is every registered benchmark whose annotation files this machine has (`--annotations` or the data
    home), each with the subsets it has files for.
    """
    from aobench.suite.data import available_subsets

    parts = [p.strip() for p in str(data).split(",") if p.strip()]
    if not parts:
        return None
    out: list = []
    for part in parts:
        if part == SUITE_NAME:
            for b in benchmarks():
                have = available_subsets(b.spec, annotations)
                if have and b.name not in [x.name for x, _ in out]:
                    out.append((b, None if have == list(b.spec.subsets) else have))
            if not out:
                raise AobenchError(f"`{SUITE_NAME}`: no benchmark's annotations are on this machine — run `aobench benchmarks get NAME` or pass --annotations DIR (`aobench benchmarks` lists them)")
            continue
        src = resolve(part)
        if not isinstance(src, BenchmarkSource):
            if len(parts) > 1:
                raise AobenchError(f"{part!r} is not a benchmark: several DATA (comma-separated) must all be benchmarks (`aobench benchmarks`)")
            return None
        out.append((src, src.subsets_of(part)))
    return out
