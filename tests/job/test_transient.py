"""Transient or terminal, decided once: which errors are retried, which stop
their partition at once, which stop the job."""

from __future__ import annotations

import errno
import json
import pickle
from pathlib import Path

import pytest
import sqlalchemy.exc as sa_exc

from datamill.errors import (
    ConfigError,
    OutOfSpace,
    PartitionError,
    Terminal,
    Transient,
    WorkerDied,
    classify,
    out_of_space,
    stops_job,
)
from datamill.sinks.sql import translate
from tests.conftest import read_jsonl
from tests.job import jobproc


class _Flaky(Transient, RuntimeError):
    pass


class _Broken(Terminal, TimeoutError):
    pass


def _marked(exc: BaseException, transient: bool) -> BaseException:
    exc.transient = transient  # type: ignore[attr-defined]
    return exc


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _db(cls: type[sa_exc.DBAPIError], message: str, sqlstate: str | None = None) -> sa_exc.DBAPIError:
    return cls("INSERT ...", {}, _Orig(message, sqlstate))


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionResetError(errno.ECONNRESET, "reset"), True),
        (TimeoutError("timed out"), True),
        (OSError(errno.EIO, "Input/output error"), True),
        (OSError(errno.EAGAIN, "try again"), True),
        (OSError("an I/O error pyarrow gives no errno"), True),
        (WorkerDied("worker process 7 died", -9), True),
        (PartitionError("a partition failed as a whole"), True),
        (_Flaky("rate limited"), True),
        (_marked(ValueError("busy"), True), True),
        (_Broken("the service says never"), False),
        (_marked(ConnectionError("refused for good"), False), False),
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (OSError("IOError: No space left on device"), False),
        (FileNotFoundError(errno.ENOENT, "No such file"), False),
        (PermissionError(errno.EACCES, "Permission denied"), False),
        (ModuleNotFoundError("No module named 'x'", name="x"), False),
        (TypeError("unsupported operand"), False),
        (ValueError("bad parameter"), False),
        (KeyError("text"), False),
        (MemoryError(), False),
        (ConfigError("bad recipe"), False),
    ],
    ids=repr,
)
def test_classify(error: BaseException, transient: bool) -> None:
    assert classify(error) is transient
    assert classify(pickle.loads(pickle.dumps(error))) is transient  # (it crosses processes)


OPERATIONAL = sa_exc.OperationalError


@pytest.mark.parametrize(
    ("error", "expected", "transient", "stops"),
    [
        (_db(OPERATIONAL, "server closed the connection unexpectedly"), PartitionError, True, False),
        (_db(OPERATIONAL, "terminating connection", "57P01"), PartitionError, True, False),
        (_db(OPERATIONAL, "database is locked"), PartitionError, True, False),
        (_db(OPERATIONAL, 'password authentication failed for user "me"', "28P01"), ConfigError, False, True),
        (_db(sa_exc.ProgrammingError, 'column "x" does not exist', "42703"), ConfigError, False, True),
        (_db(OPERATIONAL, "table t has no column named x"), ConfigError, False, True),
        (_db(OPERATIONAL, "database or disk is full"), OutOfSpace, False, True),
    ],
    ids=str,
)
def test_database_errors_are_translated_once(
    error: sa_exc.DBAPIError, expected: type, transient: bool, stops: bool
) -> None:
    ours = translate(error, "postgresql+psycopg://me:s3cret@db/x", "clips")
    assert type(ours) is expected and "s3cret" not in ours.message
    assert (classify(ours), stops_job(ours)) == (transient, stops)


def test_out_of_space_names_the_path_and_the_space_left(tmp_path: Path) -> None:
    full = out_of_space(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "results" / "x.parquet")
    assert full is not None and stops_job(full) and not classify(full)
    assert str(tmp_path / "results" / "x.parquet") in full.message
    assert "free of" in full.message and "run the same command again" in full.message
    assert out_of_space(ValueError("nothing to do with disks"), tmp_path) is None


# error raised by an op → retried?, PARTITION_RETRY events, partitions failed, exit code
CASES = [
    ("ConnectionResetError", "run", 1, 0, 0),
    ("TimeoutError", "run", 1, 0, 0),
    ("EIO", "run", 1, 0, 0),
    ("EAGAIN", "run", 1, 0, 0),
    ("Transient mixin", "run", 1, 0, 0),
    ("exc.transient = True", "run", 1, 0, 0),
    ("Terminal mixin", "run", 0, 1, 1),  # the partition fails at once: completed with failures
    ("TypeError", "run", 0, 1, 1),
    ("ENOENT", "run", 0, 1, 1),
    ("ModuleNotFoundError", "run", 0, 0, 2),  # every partition would hit it: the job stops
    ("TimeoutError", "batch", 1, 0, 0),  # a transient error on a batch retries the partition
    ("TypeError", "batch", 0, 0, 0),  # a terminal one is tried sample by sample (which pass)
]


@pytest.mark.parametrize(("kind", "where", "retries", "failed", "code"), CASES)
def test_what_an_op_raises_is_retried_or_not(
    datamill, corpus, tmp_path: Path, kind: str, where: str, retries: int, failed: int, code: int
) -> None:
    data = corpus(20)  # one partition
    op = {"tests.job.user_ops:RaiseOnceMapper": {"kind": kind, "count": str(tmp_path / "n"), "where": where}}
    recipe = jobproc.write_recipe(
        tmp_path, data, "job", [op], fault_tolerance={"retry_delay_s": 0.05, "max_retries": 3}
    )
    assert datamill("run", "--config", recipe, "--job_id", "job") == code
    (log,) = (tmp_path / "jobs" / "job").rglob("events.jsonl")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert sum(e["type"] == "PARTITION_RETRY" for e in events) == retries
    s = jobproc.summary(tmp_path / "jobs" / "job")
    if code != 2:
        assert s["counts"]["partitions_failed"] == failed
        out = tmp_path / "job.jsonl"
        assert len(read_jsonl(out) if out.exists() else []) == (0 if failed else 20)
    else:
        assert s["status"] == "failed" and "nowhere" in s["error"]
