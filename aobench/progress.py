"""One progress style for every long loop: a rich bar on a terminal, plain lines at intervals otherwise.

When stderr is not a terminal (a log file, CI, `2>&1 | tee`), a live bar prints nothing until it stops, so a
run of hours looks dead. There a task prints one plain line every `AOBENCH_PROGRESS_INTERVAL` seconds
(default 30) while it advances, and, if it printed any, a last one when it ends; a task done within the
interval prints nothing (short commands keep a quiet stderr: an error stays one line).
"""

from __future__ import annotations

import os
import time
from typing import Optional

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

console = Console(stderr=True)
INTERVAL_ENV = "AOBENCH_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 30.0


class RateColumn(ProgressColumn):
    """Items per second, in the loop's own unit (captions/s, images/s)."""

    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} {self.unit}/s" if speed else f"- {self.unit}/s", style="cyan")


def _clock(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-:--:--"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def progress_line(task, unit: str) -> str:
    """One plain line for a rich task: done/total, percent, rate, elapsed and ETA."""
    done = int(task.completed)
    count = f"{done:,}/{int(task.total):,} {unit} ({task.percentage:.0f}%)" if task.total else f"{done:,} {unit}"
    speed = task.finished_speed or task.speed
    rate = f", {speed:,.1f} {unit}/s" if speed else ""
    eta = f", eta {_clock(task.time_remaining)}" if task.total and not task.finished and task.time_remaining is not None else ""
    return f"{task.description}: {count}{rate}, elapsed {_clock(task.elapsed)}{eta}"


def interval_seconds() -> float:
    """Seconds between plain progress lines (env AOBENCH_PROGRESS_INTERVAL; 0 prints on every update)."""
    try:
        return max(0.0, float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


class LineProgress(Progress):
    """The Progress API with the live bar off: plain lines at intervals, and at the end of a task that printed any."""

    def __init__(self, *columns, unit: str = "items", interval: Optional[float] = None, **kwargs):
        self._line_transient = bool(kwargs.pop("transient", False))
        super().__init__(*columns, disable=True, **kwargs)
        self.unit = unit
        self.interval = interval_seconds() if interval is None else interval
        self._last: dict[TaskID, float] = {}
        self._printed_at: dict[TaskID, float] = {}

    def _say(self, task_id: TaskID) -> None:
        task = self._tasks.get(task_id)
        if task is None or not task.visible:
            return
        self.console.print(progress_line(task, self.unit), markup=False, highlight=False, soft_wrap=True)
        self._last[task_id] = time.monotonic()
        self._printed_at[task_id] = task.completed

    def _maybe_say(self, task_id: TaskID) -> None:
        if time.monotonic() - self._last.get(task_id, 0.0) >= self.interval:
            self._say(task_id)

    def add_task(self, description: str, start: bool = True, total: Optional[float] = 100.0, completed: int = 0, visible: bool = True, **fields) -> TaskID:
        """Add a task; its first line comes once the interval has passed."""
        task_id = super().add_task(description, start=start, total=total, completed=completed, visible=visible, **fields)
        self._last[task_id] = time.monotonic()
        return task_id

    def update(self, task_id: TaskID, **kwargs) -> None:
        """Update a task; print a line if the interval has passed."""
        super().update(task_id, **kwargs)
        self._maybe_say(task_id)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        """Advance a task; print a line if the interval has passed."""
        super().advance(task_id, advance)
        self._maybe_say(task_id)

    def stop(self) -> None:
        """Print the last line of every task that printed before and moved since (not for transient bars)."""
        if not self._line_transient:
            for task_id, task in list(self._tasks.items()):
                if task_id in self._printed_at and task.completed != self._printed_at[task_id]:
                    self._say(task_id)
        super().stop()


def make_progress(unit: str = "items", transient: bool = False, lines: bool = False) -> Progress:
    """A progress bar with count, rate and ETA on stderr; plain lines at intervals when stderr is not a terminal or `lines`.

    `lines`: for processes that share a terminal with another one's live bar (the other ranks of a launch).
    """
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    if lines or not (console.is_terminal or console.is_jupyter):
        return LineProgress(*columns, unit=unit, console=console, transient=transient)
    return Progress(*columns, console=console, transient=transient)
