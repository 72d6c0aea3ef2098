"""Arrays built without pa.array are the arrays pa.array builds, and building
them (with reading a partition and running the cleaning ops) imports no pandas."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.io.arrays import filled, flags, scalar, string_array, strings
from datamill.io.readers import Columns
from tests.conftest import write_jsonl
from tests.io.test_readers import read_all

TEXT = st.text().filter(lambda t: t.encode("utf-8", "ignore").decode() == t)


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=30))
def test_strings_are_what_pa_array_makes(values: list[str | None]) -> None:
    assert strings(values).equals(pa.array(values, pa.string()))


@pytest.mark.parametrize("values", [[1, "a"], [{"a": 1}], ["lone \udc80"]])
def test_what_is_not_a_string_is_refused(values: list[object]) -> None:
    assert string_array(values) is None


def test_a_non_string_output_fails_as_pa_array_fails() -> None:
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        strings(["a", 3])


@given(st.integers(0, 50), st.integers(0, 50))
def test_flags(trues: int, falses: int) -> None:
    assert flags(trues, falses).to_pylist() == [True] * trues + [False] * falses


@given(st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False)))
def test_scalar_is_pa_scalar(value: float) -> None:
    made = scalar(value)
    assert made.type == pa.scalar(value).type and made.as_py() == value
    stats = pa.chunked_array([[1, 5, 2**40]], pa.int64())
    assert pc.greater_equal(stats, made).equals(pc.greater_equal(stats, value))


def test_filled() -> None:
    stamp = pa.timestamp("us", tz="UTC")
    micros = 1_700_000_000_000_001
    assert filled(stamp, micros, 3).equals(pa.repeat(pa.scalar(micros, stamp), 3))
    assert filled(pa.int64(), 7, 0).to_pylist() == []


def test_mixed_and_null_columns_keep_their_types(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [{"text": "a", "n": None, "s": "x", "m": 1}, {"text": "b", "n": None, "s": None, "m": "one"}],
    )
    [table], _ = read_all(path, tmp_path, Columns("text", None), size=10)
    assert table.schema.field("n").type == pa.null()
    assert table.schema.field("s").type == pa.string()
    assert table.schema.field("m").metadata  # mixed: JSON text, as before
    assert table.column("s").to_pylist() == ["x", None]


def test_reading_and_cleaning_import_no_pandas(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [{"text": f"  see https://www.x.com/{i} or a{i}@b.com\u3000now ", "url": f"u{i}"} for i in range(50)],
    )
    script = f"""
        import sys
        from pathlib import Path
        from datamill.io.readers import Columns
        from datamill.ops.registry import build_pipeline
        from tests.io.test_readers import read_all
        [table], _ = read_all(Path({str(path)!r}), Path({str(tmp_path)!r}), Columns("text", None), size=100)
        recipe = [{{"clean_links_mapper": None}}, {{"clean_email_mapper": None}},
                  {{"whitespace_normalization_mapper": None}}, {{"text_length_filter": {{"min_len": 5}}}}]
        for op in build_pipeline(recipe, "text"):
            table = op.run(table).table
        assert table.column("text").to_pylist()[0] == "see  or  now", table.column("text").to_pylist()[0]
        assert "pandas" not in sys.modules, "pandas was imported"
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_jobs_driver_imports_no_pandas(tmp_path: Path) -> None:
    """The driver folds the events into the summary and the monitor's state:
    with Arrow arrays it builds itself, not ``pa.array``/``to_numpy``/``fill_null``,
    which import pandas (about 40 MB of the driver's memory)."""
    data = write_jsonl(
        tmp_path / "d.jsonl", [{"text": f"row {i} caf\u00e9 https://x.com/{i}"} for i in range(400)]
    )
    (tmp_path / "r.yaml").write_text(
        f"dataset_path: {data}\nexport_path: {tmp_path / 'out.jsonl'}\nnp: 2\n"
        "partition:\n  size: 100\nprocess:\n  - clean_links_mapper:\n  - fix_unicode_mapper:\n"
        "  - text_length_filter:\n      min_len: 5\n"
    )
    script = f"""
        import sys
        if __name__ == "__main__":
            from datamill.cli.main import main
            code = main(["run", "--config", {str(tmp_path / "r.yaml")!r}])
            assert code == 0, code
            assert "pandas" not in sys.modules, "the driver imported pandas"
    """
    (tmp_path / "drive.py").write_text(textwrap.dedent(script))
    done = subprocess.run(
        [sys.executable, str(tmp_path / "drive.py")], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 400
