"""The exception tree of datamill.

Every error datamill raises on purpose derives from :class:`DatamillError`.
Each class says whether retrying the same work can help (``transient``), since
the driver's retry decisions depend on it. All of them pickle, because they
cross process boundaries on their way back from workers.

    DatamillError
    ├── ConfigError        the recipe or the command line is wrong   (exit 2)
    ├── InputError         the dataset cannot be read as asked      (exit 2)
    ├── OpError            an op failed on data it was given
    ├── JobError           the job's state on disk is not usable
    ├── ExecutorError      the executor can run no more partitions (the job stops)
    └── PartitionError     a partition failed as a whole (transient)
        ├── WorkerDied     its worker process died (killed, out of memory, exited)
        └── PartitionStalled  it made no progress for stall_timeout_s; its worker was killed

An error raised while an op ran carries the op's name (:func:`op_of`), so a
partition that fails as a whole says where.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_ERROR_CHARS = 300
"""How much of an error message the terminal, the summary and the ledger keep."""


class DatamillError(Exception):
    """Root of datamill's errors. ``message`` is written for a person."""

    transient: bool = False
    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type, tuple[str], dict[str, object]]:
        return (type(self), (self.message,), self.__dict__)

    def __str__(self) -> str:
        return self.message


class ConfigError(DatamillError):
    """The recipe or a command-line override is invalid."""

    exit_code = 2


class InputError(DatamillError):
    """The dataset is missing, empty or unreadable."""

    exit_code = 2


class OpError(DatamillError):
    """An op raised on the data it was given."""


class JobError(DatamillError):
    """A job directory is in a state datamill cannot continue from."""


class ExecutorError(DatamillError):
    """The executor lost what it needs to run partitions (it could not start a
    worker, its own thread failed). Every partition would fail the same way,
    so the job stops; it stays resumable."""


class PartitionError(DatamillError):
    """A partition failed as a whole (I/O error, worker lost); retrying may help."""

    transient = True


class WorkerDied(PartitionError):
    """The worker process running a partition died: killed by a signal (the
    kernel's OOM killer sends SIGKILL), a crash in a C extension, an op calling
    ``os._exit``. Nothing it did was committed."""

    def __init__(self, message: str, exitcode: int | None = None, op_name: str | None = None) -> None:
        super().__init__(message)
        self.exitcode = exitcode
        self.op_name = op_name

    @property
    def how(self) -> str:
        """How it died, for a person: the reason a sample it was running is set aside."""
        return how_it_died(self.exitcode)


class PartitionStalled(PartitionError):
    """A partition sent no progress for ``fault_tolerance.stall_timeout_s``
    (an op hung: a deadlock, a lost network call, a stopped process), so its
    worker was killed. Retried like any transient failure."""


def how_it_died(exitcode: int | None) -> str:
    if exitcode is None:
        return "worker died"
    if exitcode == -9:
        return "worker killed by signal 9 — possibly out of memory"
    if exitcode < 0:
        import signal

        try:
            name = f" ({signal.Signals(-exitcode).name})"
        except ValueError:
            name = ""
        return f"worker killed by signal {-exitcode}{name}"
    return f"worker exited with code {exitcode}"


def at_op(exc: BaseException, op_name: str) -> None:
    """Note on ``exc`` the op that was running when it was raised."""
    if getattr(exc, "op_name", None) is None:
        exc.op_name = op_name  # type: ignore[attr-defined]


def op_of(exc: BaseException) -> str | None:
    """The op that was running when ``exc`` was raised, if known."""
    name = getattr(exc, "op_name", None)
    return name if isinstance(name, str) else None


def closest(name: str, candidates: Sequence[str]) -> str:
    """' Did you mean 'x'?' for the candidate nearest to ``name``, or '' (for error messages)."""
    import difflib  # only ever needed on the way to an error

    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""


def brief(message: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``message`` on one line, cut to ``limit`` characters (for the terminal,
    job_summary.json and the ledger: a database error can quote a whole INSERT)."""
    line = " ".join(message.split())
    if len(line) <= limit:
        return line
    more = f" … [{len(line):,} characters in all]"
    return line[: max(0, limit - len(more))] + more
