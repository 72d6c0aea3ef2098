"""The exception tree of datamill.

Every error datamill raises on purpose derives from :class:`DatamillError`.
Each class says whether retrying the same work can help (``transient``), since
the driver's retry decisions depend on it. All of them pickle, because they
cross process boundaries on their way back from workers.

    DatamillError
    ├── ConfigError        the recipe or the command line is wrong   (exit 2, stops the job)
    ├── InputError         the dataset cannot be read as asked      (exit 2)
    ├── OpError            an op failed on data it was given
    ├── JobError           the job's state on disk is not usable
    ├── ExecutorError      the executor can run no more partitions (stops the job)
    ├── OutOfSpace         a disk is full (ENOSPC)                  (stops the job)
    └── PartitionError     a partition failed as a whole (transient unless marked)
        ├── WorkerDied     its worker process died (killed, out of memory, exited)
        └── PartitionStalled  it made no progress for stall_timeout_s; its worker was killed

Transient or terminal is decided once, by :func:`classify`, for every error
that reaches the driver's retry loop. An exception says it itself with a
``transient`` attribute: our classes carry one, the :class:`Transient` and
:class:`Terminal` mixins give one to a user op's own exceptions, and any
exception may be given one (``exc.transient = True``). Otherwise
:func:`classify` looks at what it is: a dropped connection, a timeout or an
I/O error (EIO, EAGAIN, ...) is transient; a full disk, a missing module, a
``TypeError`` or any other programming error is terminal.

An error raised while an op ran carries the op's name (:func:`op_of`), so a
partition that fails as a whole says where.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence

MAX_ERROR_CHARS = 300
"""How much of an error message the terminal, the summary and the ledger keep."""


class DatamillError(Exception):
    """Root of datamill's errors. ``message`` is written for a person."""

    transient: bool = False
    stops_job: bool = False
    """Whether this error would hit every partition, so the whole job stops."""
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
    stops_job = True


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

    stops_job = True


class OutOfSpace(DatamillError):
    """A disk is full. Every partition needs space, so the job stops; what was
    committed stays, and the same command resumes once there is room.
    ``path`` is the file that could not be written."""

    stops_job = True

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class PartitionError(DatamillError):
    """A partition failed as a whole (I/O error, worker lost); retrying may help."""

    transient = True


class WorkerDied(PartitionError):
    """The worker process running a partition died: killed by a signal (the
    kernel's OOM killer sends SIGKILL), a crash in a C extension, an op calling
    ``os._exit``. Nothing it did was committed."""

    def __init__(
        self, message: str, exitcode: int | None = None, op_name: str | None = None, how: str | None = None
    ) -> None:
        super().__init__(message)
        self.exitcode = exitcode
        self.op_name = op_name
        self._how = how

    @property
    def how(self) -> str:
        """How it died, for a person: the reason a sample it was running is set aside."""
        return self._how or how_it_died(self.exitcode)


class PartitionStalled(PartitionError):
    """A partition sent no progress for ``fault_tolerance.stall_timeout_s``
    (an op hung: a deadlock, a lost network call, a stopped process), so its
    worker was killed. Retried like any transient failure."""


class Transient:
    """Mixin for a user op's exception that retrying may cure (a rate limit, a
    timeout): ``class RateLimited(Transient, Exception)``. Raised by an op, it
    fails the partition, which is retried with backoff, instead of setting the
    sample aside."""

    transient = True


class Terminal:
    """Mixin for a user op's exception that retrying cannot cure: the sample
    is set aside, or the partition fails at once, without retries."""

    transient = False


TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "EIO", "EAGAIN", "EINTR", "EBUSY", "ETIMEDOUT", "ECONNRESET", "ECONNREFUSED",
        "ECONNABORTED", "ENETDOWN", "ENETUNREACH", "ENETRESET", "EHOSTUNREACH", "EPIPE",
        "ESTALE", "ENOLCK", "ENOBUFS", "ENOMEM",
    )
    if hasattr(errno, name)
)  # fmt: skip
"""OS errors that come and go: the same work may succeed on the next attempt."""

_FULL = ("no space left on device", "database or disk is full", "disk quota exceeded")


def classify(exc: BaseException) -> bool:
    """Whether ``exc`` is transient (True: retry the work with backoff) or
    terminal (False: stop that work now). The one place this is decided."""
    mark = getattr(exc, "transient", None)
    if isinstance(mark, bool):
        return mark
    if is_out_of_space(exc):
        return False
    if isinstance(exc, (TimeoutError, ConnectionError, BlockingIOError, InterruptedError)):
        return True
    if isinstance(exc, OSError):
        # pyarrow's I/O errors often carry no errno: an I/O error we cannot name may pass
        return exc.errno is None or exc.errno in TRANSIENT_ERRNOS
    return False


def stops_job(exc: BaseException) -> bool:
    """Whether ``exc`` would hit every partition, so the job stops at once."""
    return isinstance(exc, DatamillError) and exc.stops_job


def is_out_of_space(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says a disk is full."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, OutOfSpace) or (
            isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT)
        ):
            return True
        if any(s in str(seen).lower() for s in _FULL):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def out_of_space(exc: BaseException, path: str | os.PathLike[str]) -> OutOfSpace | None:
    """``exc`` as one paragraph for a person if it says a disk is full (else
    None): the file that could not be written and the space left there."""
    if isinstance(exc, OutOfSpace):
        return exc
    if not is_out_of_space(exc):
        return None
    where = str(getattr(exc, "filename", None) or path)
    return OutOfSpace(
        f"Out of disk space writing {where}: {_free_at(where)}. Everything committed so far "
        "is kept. Free some space (or give the job's directories a larger disk) and run the "
        "same command again: it resumes where it stopped.",
        where,
    )


def _free_at(path: str) -> str:
    import shutil

    here = os.path.abspath(path)
    while not os.path.exists(here) and os.path.dirname(here) != here:
        here = os.path.dirname(here)
    try:
        usage = shutil.disk_usage(here)
    except OSError:
        return "the space left there is unknown"
    return f"{_size(usage.free)} free of {_size(usage.total)} on the filesystem of {here}"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


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
