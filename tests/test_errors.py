import pickle

import pytest

from datamill.errors import ConfigError, DatamillError, InputError, PartitionError


@pytest.mark.parametrize("cls", [DatamillError, ConfigError, InputError, PartitionError])
def test_errors_pickle_across_processes(cls: type[DatamillError]) -> None:
    err = pickle.loads(pickle.dumps(cls("what went wrong")))
    assert type(err) is cls and err.message == "what went wrong"


def test_transient_and_exit_codes() -> None:
    assert PartitionError("x").transient and not ConfigError("x").transient
    assert ConfigError("x").exit_code == InputError("x").exit_code == 2
