"""The progress bar on the terminal: samples and partitions, rate, ETA."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class JobProgress:
    """A bar over samples with partition counts beside it."""

    def __init__(
        self, console: Console, samples: int, partitions: int, done_partitions: int, done_samples: int
    ) -> None:
        self._partitions = partitions
        self._done = done_partitions
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("samples · {task.fields[parts]} partitions · {task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID = self._progress.add_task(
            "processing", total=samples, completed=done_samples, parts=self._parts(), rate="-"
        )

    def _parts(self) -> str:
        return f"{self._done}/{self._partitions}"

    def advance(self, samples: int) -> None:
        self._done += 1
        self._progress.update(self._task, advance=samples, parts=self._parts())
        speed = self._progress.tasks[0].speed
        if speed:
            self._progress.update(self._task, rate=f"{speed:,.0f} samples/s")

    def __enter__(self) -> JobProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)
