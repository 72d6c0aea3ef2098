import pickle

import pytest

from datamill.errors import MAX_ERROR_CHARS, ConfigError, DatamillError, InputError, PartitionError, brief


@pytest.mark.parametrize("cls", [DatamillError, ConfigError, InputError, PartitionError])
def test_errors_pickle_across_processes(cls: type[DatamillError]) -> None:
    err = pickle.loads(pickle.dumps(cls("what went wrong")))
    assert type(err) is cls and err.message == "what went wrong"


def test_transient_and_exit_codes() -> None:
    assert PartitionError("x").transient and not ConfigError("x").transient
    assert ConfigError("x").exit_code == InputError("x").exit_code == 2


def test_brief_keeps_one_readable_line() -> None:
    assert brief("duplicate key\n  DETAIL:  x") == "duplicate key DETAIL: x"
    long = brief("INSERT INTO t VALUES " + "(%s, %s), " * 10_000)
    assert len(long) == MAX_ERROR_CHARS and "\n" not in long
    assert long.startswith("INSERT INTO t VALUES") and long.endswith("characters in all]")
