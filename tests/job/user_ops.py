"""A user op, named in recipes as ``tests.job.user_ops:ShoutMapper``."""

from datamill.errors import Terminal, Transient
from datamill.ops import Mapper


class ShoutMapper(Mapper):
    def __init__(self, suffix: str = "!", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.suffix = suffix

    def process_text(self, text: str) -> str:
        return text.upper() + self.suffix


class FailOnMapper(Mapper):
    """Raises on any text containing ``needle``: a broken user op."""

    def __init__(self, needle: str = "boom", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.needle = needle

    def process_text(self, text: str) -> str:
        if self.needle in text:
            raise ValueError(f"cannot handle {text!r}")
        return text


class SlowMapper(Mapper):
    """Sleeps ``delay_s`` per batch: makes a job slow enough to interrupt."""

    def __init__(self, delay_s: float = 0.05, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.delay_s = delay_s

    def process_batch(self, table):  # type: ignore[no-untyped-def]
        import time

        time.sleep(self.delay_s)
        return table


class DieOnceMapper(Mapper):
    """Kills its own worker process the first time it sees ``needle``.

    ``how`` is ``sigkill`` (a real SIGKILL to the pool worker) or ``exit``
    (``os._exit``). The flag file makes it happen once across retries.
    """

    def __init__(self, needle: str = "", flag: str = "", how: str = "sigkill", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.needle, self.flag, self.how = needle, flag, how

    def process_text(self, text: str) -> str:
        import os
        import signal
        from pathlib import Path

        if text == self.needle and not Path(self.flag).exists():
            Path(self.flag).write_text("died once")
            if self.how == "exit":
                os._exit(3)
            os.kill(os.getpid(), signal.SIGKILL)
        return text


class FlakyMapper(Mapper):
    """Raises on about one sample in ``every``, chosen by a hash of the text."""

    def __init__(self, every: int = 100, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.every = every

    def process_text(self, text: str) -> str:
        import zlib

        if zlib.crc32(text.encode()) % self.every == 0:
            raise RuntimeError("flaky op refuses this sample")
        return text.lower()


class AlwaysDieMapper(Mapper):
    """Kills its worker on ``needle`` (or any of ``needles``) every time: a poison sample.

    ``how`` is ``exit`` (``os._exit(9)``) or ``sigkill`` (a real SIGKILL, as the
    kernel's OOM killer sends)."""

    def __init__(
        self, needle: str = "", needles: list[str] | None = None, how: str = "exit", **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.needles = {needle, *(needles or [])} - {""}
        self.how = how

    def process_text(self, text: str) -> str:
        import os
        import signal

        if text in self.needles:
            if self.how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(9)
        return text


class DieOnPairMapper(Mapper):
    """Kills its worker when a batch holds both ``pair`` texts: no sample kills it alone."""

    def __init__(self, pair: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pair = set(pair or [])

    def process_batch(self, table):  # type: ignore[no-untyped-def]
        import os

        if self.pair and self.pair <= set(table.column(self.text_key).to_pylist()):
            os._exit(9)
        return table


class BrokenUntilFixedMapper(Mapper):
    """Fails its whole partition while the file ``fixed`` is missing, on a partition
    holding ``needle``: a service it needs is down (no sample is to blame)."""

    def __init__(self, needle: str = "", fixed: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.needle, self.fixed = needle, fixed

    def run(self, table):  # type: ignore[no-untyped-def]
        from pathlib import Path

        if self.needle in table.column(self.text_key).to_pylist() and not Path(self.fixed).exists():
            raise ConnectionError("the metadata service is unavailable")
        return super().run(table)

    def process_text(self, text: str) -> str:
        return text


class FailUntilFixedMapper(Mapper):
    """Raises on about one sample in ten until the file ``fixed`` exists: a cause that gets fixed."""

    def __init__(self, fixed: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.fixed = fixed

    def process_text(self, text: str) -> str:
        import zlib
        from pathlib import Path

        if zlib.crc32(text.encode()) % 10 == 0 and not Path(self.fixed).exists():
            raise LookupError("no metadata for this scene")
        return text


class HoldWhileFileMapper(Mapper):
    """Waits, up to a minute, while the file ``hold`` exists: keeps a worker busy on demand."""

    def __init__(self, hold: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.hold = hold

    def process_batch(self, table):  # type: ignore[no-untyped-def]
        import time
        from pathlib import Path

        deadline = time.monotonic() + 60
        while Path(self.hold).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return table


class CountColumnsMapper(Mapper):
    """Adds the number of input columns to each row: an op that reads no text."""

    needs_text = False

    def process_batch(self, table):  # type: ignore[no-untyped-def]
        import pyarrow as pa

        return table.append_column("columns", pa.repeat(table.num_columns, table.num_rows))


class HangOnceMapper(Mapper):
    """Hangs (sleeps an hour, sending nothing) the first time it sees ``needle``;
    the flag file makes it happen once across retries."""

    def __init__(self, needle: str = "", flag: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.needle, self.flag = needle, flag

    def process_text(self, text: str) -> str:
        import time
        from pathlib import Path

        if text == self.needle and not Path(self.flag).exists():
            Path(self.flag).write_text("hung once")
            time.sleep(3600)
        return text


class MarkedTransient(Transient, Exception):
    """A user op's own error, marked transient."""


class MarkedTerminal(Terminal, ConnectionError):
    """A user op's own error, marked terminal (although a ConnectionError)."""


def _raised(kind: str) -> BaseException:
    import errno

    made: dict[str, BaseException] = {
        "ConnectionResetError": ConnectionResetError(errno.ECONNRESET, "connection reset by peer"),
        "TimeoutError": TimeoutError("read timed out"),
        "EIO": OSError(errno.EIO, "Input/output error"),
        "EAGAIN": OSError(errno.EAGAIN, "Resource temporarily unavailable"),
        "Transient mixin": MarkedTransient("rate limited"),
        "Terminal mixin": MarkedTerminal("the API says: never again"),
        "TypeError": TypeError("unsupported operand type(s)"),
        "ENOENT": FileNotFoundError(errno.ENOENT, "No such file or directory"),
        "ModuleNotFoundError": ModuleNotFoundError("No module named 'nowhere'", name="nowhere"),
    }
    if kind == "exc.transient = True":
        error = ValueError("service busy")
        error.transient = True  # type: ignore[attr-defined]
        return error
    return made[kind]


class RaiseOnceMapper(Mapper):
    """Raises the error named ``kind`` on the first attempt at the partition
    (counted in the file ``count``), from ``run`` (the whole partition) or from
    ``process_batch`` (``where: batch``); later attempts pass the data through."""

    def __init__(self, kind: str = "", count: str = "", where: str = "run", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.kind, self.count, self.where = kind, count, where

    def _attempt(self) -> int:
        from pathlib import Path

        path = Path(self.count)
        n = int(path.read_text()) + 1 if path.exists() else 1
        path.write_text(str(n))
        return n

    def run(self, table):  # type: ignore[no-untyped-def]
        if self.where == "run" and self._attempt() == 1:
            raise _raised(self.kind)
        return super().run(table)

    def process_batch(self, table):  # type: ignore[no-untyped-def]
        if self.where == "batch" and self._attempt() == 1:
            raise _raised(self.kind)
        return table
