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
    mark (by default each quarter of the work) is passed and, with ``every_s``,
    at least that often, so a log shows that the run is alive.
    """

    def __init__(self, console: Console, description: str, unit: str = "steps",
                 marks: tuple[float, ...] = PLAIN_MARKS, every_s: float | None = None) -> None:
        self.console, self.description, self.unit, self.marks = console, description, unit, marks
        self.every_s = every_s  # also a plain line when this long passed since the last one
        self.last_line = time.perf_counter()
        self.bar = None
        self.t0 = time.perf_counter()
        self.first: int | None = None  # units already done at the first update (a resumed run)
        self.next_mark = 0

    def __enter__(self) -> StepProgress:
        self.t0 = time.perf_counter()
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn(f"{self.unit} {{task.fields[rate]}}"), TimeElapsedColumn(),
                                TextColumn("{task.fields[left]} left {task.fields[detail]}"),
                                console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=None, rate="", left="-", detail="")
        return self

    def update(self, done: int, total: int, detail: str = "") -> None:
        """Record that ``done`` of ``total`` units are finished; ``detail`` is shown beside them."""
        if self.first is None:
            self.first = done - 1  # the unit just finished ran since the start
        if self.bar is not None:
            rate, left = self.speed(done, total)
            self.bar.update(self.task, completed=done, total=total, rate=rate, left=left, detail=detail)
            return
        fraction = done / max(total, 1)
        crossed = self.next_mark < len(self.marks) and fraction >= self.marks[self.next_mark]
        while self.next_mark < len(self.marks) and fraction >= self.marks[self.next_mark]:
            self.next_mark += 1
        if crossed or (self.every_s is not None and time.perf_counter() - self.last_line >= self.every_s):
            self.last_line = time.perf_counter()
            self.console.print(self.line(done, total, detail), highlight=False, markup=False)

    def speed(self, done: int, total: int) -> tuple[str, str]:
        """('1.21/s', '2:05'): units per second since the start and the time left at that pace."""
        elapsed = time.perf_counter() - self.t0
        per_s = (done - self.first) / elapsed if elapsed > 0 else 0.0
        return f"{per_s:.3g}/s", clock((total - done) / per_s) if per_s > 0 else "-"

    def line(self, done: int, total: int, detail: str = "") -> str:
        """One plain progress line: units done, pace, elapsed time and an estimate of the time left."""
        rate, left = self.speed(done, total)
        extra = f", {detail}" if detail else ""
        return (f"{self.description}: {done}/{total} {self.unit} ({done / max(total, 1):.0%}), {rate}, "
                f"{clock(time.perf_counter() - self.t0)} elapsed, {left} left{extra}")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()
