"""Task registry: every task is `fn(ctx: TaskContext) -> dict[str, metric]`; the runner knows no task's internals.

`TASKS` is a lazy `Registry` (entry point group `aobench.tasks`): a task module is imported only when
its task runs. Each task is registered with its `TaskSpec` — description, headline metric and its
direction, version, and the options it reads — so the runner, the CLI and the result tables read those
from the task (`aobench eval --list-tasks` prints them). A package adds its own task with
`register_task(...)` or an entry point (which gets a default spec: no headline, no options).
A task reads its options from `ctx.options`, adds notes with `ctx.note(...)`, and raises
`TaskNotApplicable(reason)` when the data lacks what it needs (the runner notes it and goes on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from aobench.registry import Registry, import_target


class TaskNotApplicable(Exception):
    """The data lacks what a task needs (e.g. no seen pairs for CZSL); the reason is shown to the user."""


@dataclass(frozen=True)
class TaskOption:
    """An option a task reads from `ctx.options`: its default, a one-line help, and its check ("module:attr", value → value)."""

    name: str
    default: Any = None
    help: str = ""
    check: Optional[str | Callable[[Any], Any]] = None  # raises AobenchError on a bad value, before any model loads

    def validate(self, value: Any) -> Any:
        """`value` checked (the check's result), or as given when the option has no check."""
        if self.check is None:
            return value
        fn = import_target(self.check, f"the check of task option {self.name!r}") if isinstance(self.check, str) else self.check
        return fn(value)


@dataclass(frozen=True)
class TaskSpec:
    """What a task declares about itself: the metric a table shows first (a flat key) and its direction, version, options."""

    description: str = ""
    headline: Optional[str] = None  # flat metric key; None: the result tables' generic rule picks one
    higher_is_better: bool = True
    version: int = 1
    options: tuple[TaskOption, ...] = ()

    @property
    def direction(self) -> str:
        """'higher' or 'lower' (is better), as the listing prints it."""
        return "higher" if self.higher_is_better else "lower"


TASKS: Registry[Callable] = Registry("task", "aobench.tasks")


def register_task(name: str, target: Any, description: str, *, headline: Optional[str] = None, higher_is_better: bool = True,
                  version: int = 1, options: tuple[TaskOption, ...] = (), replace: bool = False) -> Any:  # fmt: skip
    """Register task `name` (`target`: "module:attr" or a function of the context) with its spec."""
    spec = TaskSpec(description, headline, higher_is_better, version, tuple(options))
    return TASKS.register(name, target, description, meta=spec, replace=replace)


def task_spec(name: str) -> TaskSpec:
    """The spec of a registered task (a default one for a task registered without, e.g. from an entry point)."""
    return TASKS.meta(name) or TaskSpec(TASKS.entry(name).description)


register_task("composition", "aobench.evaluate.tasks.zeroshot:composition", "zero-shot classification over the attribute–object pairs of the evaluated splits", headline="acc1")
register_task("object", "aobench.evaluate.tasks.zeroshot:object_task", "zero-shot classification over object names only", headline="acc1")
register_task("attribute", "aobench.evaluate.tasks.zeroshot:attribute_task", "attribute classification among the attributes of the true object", headline="acc1")
register_task("czsl", "aobench.evaluate.tasks.czsl:czsl", "closed/open-world CZSL: seen/unseen accuracy under a calibration-bias sweep, AUC, best HM", headline="closed/best_hm",
              options=(TaskOption("czsl_protocol", "reference", "reference (the CZSL community's evaluator) or exact (every point of the bias curve)",
                                  "aobench.evaluate.tasks.czsl:check_protocol"),))  # fmt: skip
register_task("foils", "aobench.evaluate.tasks.itm:foils", "image-text matching against attribute/object foils (and --foils FILE), Winoground-style groups", headline="acc")
register_task("retrieval", "aobench.evaluate.tasks.retrieval:retrieval", "image→text and text→image recall@1/5/10 over the captions", headline="text_retrieval_recall@1")


def parse_tasks(values) -> list[str]:
    """Task names from repeated and/or comma-separated flags (default: all), validated, in registry order."""
    names = [n.strip() for v in (values or []) for n in str(v).split(",") if n.strip()]
    registered = TASKS.names()
    if not names or names == ["all"]:
        return registered
    for n in names:
        if n not in TASKS:
            raise TASKS.unknown(n)
    return [n for n in registered if n in names]


def check_options(options: dict, tasks: Optional[list[str]] = None) -> dict:
    """Every option a task (of `tasks`, default all) declares, checked by that task's rule; a bad one fails before any model loads."""
    declared = {o.name: o for t in (tasks if tasks is not None else TASKS.names()) for o in task_spec(t).options}
    return {k: (declared[k].validate(v) if k in declared else v) for k, v in options.items()}


def list_tasks() -> list[dict]:
    """What `aobench eval --list-tasks` prints: per task its name, headline metric, direction, version, options and description."""
    out = []
    for name in TASKS.names():
        s = task_spec(name)
        out.append({"name": name, "headline": s.headline, "direction": s.direction, "version": s.version,
                    "options": [o.name for o in s.options], "description": s.description})  # fmt: skip
    return out
