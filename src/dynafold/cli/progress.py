"""Messages and progress on stderr: a live bar in a terminal, a few plain lines elsewhere."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console

PLAIN_MARKS = (0.25, 0.5, 0.75, 1.0)  # fractions done at which a plain (non-terminal) line is printed


def stderr_console() -> Console:
    """A console on stderr whose lines are never wrapped mid-sentence (a terminal wraps them itself)."""
    return Console(stderr=True, soft_wrap=True)


def clock(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour on."""
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class StepProgress:
    """Progress of ``done`` of ``total`` units with the time left.

    In a terminal a bar redrawn in place; otherwise one plain line each time a
    quarter of the work is done, so a log shows that the run is alive.
    """

    def __init__(self, console: Console, description: str, unit: str = "steps") -> None:
        self.console, self.description, self.unit = console, description, unit
        self.bar = None
        self.t0 = time.perf_counter()
        self.next_mark = 0

    def __enter__(self) -> StepProgress:
        self.t0 = time.perf_counter()
        if self.console.is_terminal:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn(self.unit), TimeElapsedColumn(), TextColumn("left"),
                                TimeRemainingColumn(), TextColumn("{task.fields[detail]}"),
                                console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=None, detail="")
        return self

    def update(self, done: int, total: int, detail: str = "") -> None:
        """Record that ``done`` of ``total`` units are finished; ``detail`` is shown beside them."""
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total, detail=detail)
            return
        fraction = done / max(total, 1)
        if self.next_mark < len(PLAIN_MARKS) and fraction >= PLAIN_MARKS[self.next_mark]:
            while self.next_mark < len(PLAIN_MARKS) and fraction >= PLAIN_MARKS[self.next_mark]:
                self.next_mark += 1
            self.console.print(self.line(done, total, detail), highlight=False, markup=False)

    def line(self, done: int, total: int, detail: str = "") -> str:
        """One plain progress line: units done, elapsed time and an estimate of the time left."""
        elapsed = time.perf_counter() - self.t0
        eta = clock(elapsed * (total - done) / done) if done else "-"
        extra = f", {detail}" if detail else ""
        return (f"{self.description}: {done}/{total} {self.unit} ({done / max(total, 1):.0%}), "
                f"{clock(elapsed)} elapsed, {eta} left{extra}")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()
