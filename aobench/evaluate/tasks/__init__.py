"""Task registry: every task is `fn(ctx: TaskContext) -> dict[str, metric]`; the runner knows no task's internals.

`TASKS` is a lazy `Registry` (entry point group `aobench.tasks`): a task module is imported only when
its task runs, and a package adds its own task with an entry point or `TASKS.register(name, fn, description)`.
A task reads its options from `ctx.options`, appends notes to `ctx.notes`, and raises
`TaskNotApplicable(reason)` when the data lacks what it needs (the runner notes it and goes on).
"""

from __future__ import annotations

from typing import Callable

from aobench.registry import Registry


class TaskNotApplicable(Exception):
    """The data lacks what a task needs (e.g. no seen pairs for CZSL); the reason is shown to the user."""


TASKS: Registry[Callable] = Registry("task", "aobench.tasks")
TASKS.register("composition", "aobench.evaluate.tasks.zeroshot:composition", "zero-shot classification over the attribute–object pairs of the evaluated splits")
TASKS.register("object", "aobench.evaluate.tasks.zeroshot:object_task", "zero-shot classification over object names only")
TASKS.register("attribute", "aobench.evaluate.tasks.zeroshot:attribute_task", "attribute classification among the attributes of the true object")
TASKS.register("czsl", "aobench.evaluate.tasks.czsl:czsl", "closed/open-world CZSL: seen/unseen accuracy under a calibration-bias sweep, AUC, best HM")
TASKS.register("foils", "aobench.evaluate.tasks.itm:foils", "image-text matching against attribute/object foils (and --foils FILE), Winoground-style groups")
TASKS.register("retrieval", "aobench.evaluate.tasks.retrieval:retrieval", "image→text and text→image recall@1/5/10 over the captions")


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
