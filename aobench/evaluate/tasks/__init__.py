"""Task registry: every task is `fn(ctx: TaskContext) -> dict[str, metric]`; the runner knows no task's internals.

Tasks register themselves with `@register(name, description)`; `list_tasks()` gives name → description.
A task that cannot run on the data raises `TaskNotApplicable(reason)` and the runner notes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from aobench.errors import AobenchError


class TaskNotApplicable(Exception):
    """The data lacks what a task needs (e.g. no seen pairs for CZSL); the reason is shown to the user."""


@dataclass(frozen=True)
class Task:
    """A registered evaluation task."""

    name: str
    fn: Callable
    description: str


_TASKS: dict[str, Task] = {}


def register(name: str, description: str) -> Callable:
    """Decorator adding a task function to the registry under `name`."""

    def deco(fn: Callable) -> Callable:
        _TASKS[name] = Task(name, fn, description)
        return fn

    return deco


def list_tasks() -> dict[str, str]:
    """Registered task names → one-line descriptions, in registration order."""
    return {t.name: t.description for t in _TASKS.values()}


def get_task(name: str) -> Task:
    """The task called `name`; AobenchError listing the valid names otherwise."""
    if name not in _TASKS:
        raise AobenchError(f"unknown task {name!r}; available: {', '.join(_TASKS)}")
    return _TASKS[name]


def parse_tasks(values) -> list[str]:
    """Task names from repeated and/or comma-separated flags (default: all), validated, in registry order."""
    names = [n.strip() for v in (values or []) for n in str(v).split(",") if n.strip()]
    if not names or names == ["all"]:
        return list(_TASKS)
    for n in names:
        get_task(n)
    return [n for n in _TASKS if n in names]


from aobench.evaluate.tasks import zeroshot, czsl, itm, retrieval  # noqa: E402,F401  (registration)
