"""`datamill ops`: every op a recipe may use, with its parameters and defaults."""

from __future__ import annotations

import json

import pytest

from datamill.cli.main import main
from datamill.ops.registry import registered_names


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["ops", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_lists_every_registered_op_with_kind_and_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json")
    ops = {op["name"]: op for op in json.loads(out)}
    assert code == 0 and sorted(ops) == registered_names()
    assert all(op["kind"] in ("mapper", "filter", "deduplicator") and op["summary"] for op in ops.values())
    assert {n for n, op in ops.items() if op["kind"] == "deduplicator"} == {
        "document_deduplicator",
        "document_minhash_deduplicator",
        "document_simhash_deduplicator",
    }
    params = {p["name"]: p for p in ops["words_num_filter"]["params"]}
    assert params["min_num"] == {"name": "min_num", "type": "int", "default": 10, "required": False}
    assert params["max_num"]["default"] == "sys.maxsize"
    assert "text_key" not in params and "batch_size" not in params


def test_the_table_names_ops_and_filters_by_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--kind", "mapper")
    assert code == 0 and "clean_links_mapper" in out and "_filter" not in out
    code, out, _ = run(capsys, "text_length_filter")
    assert code == 0 and "min_len: int = 10" in out and "max_len: int = sys.maxsize" in out


def test_an_unknown_op_is_one_sentence_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "text_lenght_filter")
    assert code == 2 and "unknown op 'text_lenght_filter'" in err and "text_length_filter" in err
    assert "Traceback" not in err
