import pickle

import pytest

from datamill.errors import (
    MAX_ERROR_CHARS,
    ConfigError,
    DatamillError,
    InputError,
    PartitionError,
    WorkerDied,
    at_op,
    brief,
    op_of,
)


@pytest.mark.parametrize("cls", [DatamillError, ConfigError, InputError, PartitionError])
def test_errors_pickle_across_processes(cls: type[DatamillError]) -> None:
    err = pickle.loads(pickle.dumps(cls("what went wrong")))
    assert type(err) is cls and err.message == "what went wrong"


def test_transient_and_exit_codes() -> None:
    assert PartitionError("x").transient and not ConfigError("x").transient
    assert ConfigError("x").exit_code == InputError("x").exit_code == 2


def test_a_dead_worker_and_the_op_an_error_came_from_survive_pickling() -> None:
    err = pickle.loads(pickle.dumps(WorkerDied("worker process 7 died", -9, "clean_links_mapper")))
    assert (err.exitcode, err.op_name, err.transient) == (-9, "clean_links_mapper", True)
    assert err.how == "worker killed by signal 9 — possibly out of memory"
    assert WorkerDied("x", -11).how == "worker killed by signal 11 (SIGSEGV)"
    assert WorkerDied("x", 3).how == "worker exited with code 3"
    raised = PartitionError("disk full")
    at_op(raised, "words_num_filter")
    assert op_of(pickle.loads(pickle.dumps(raised))) == "words_num_filter"
    assert op_of(ValueError("no op")) is None


def test_brief_keeps_one_readable_line() -> None:
    assert brief("duplicate key\n  DETAIL:  x") == "duplicate key DETAIL: x"
    long = brief("INSERT INTO t VALUES " + "(%s, %s), " * 10_000)
    assert len(long) == MAX_ERROR_CHARS and "\n" not in long
    assert long.startswith("INSERT INTO t VALUES") and long.endswith("characters in all]")
