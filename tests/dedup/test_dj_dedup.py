"""The deduplicators keep exactly the rows Data-Juicer 1.6.1 keeps.

Each reference case (``data/dj_reference_dedup.json``, made by the real
Data-Juicer ops) is replayed in two phases: the corpus is cut into partitions,
each hashed on its own with row ids offset as the engine gives them, and the
hashes are decided together, from Parquet files and from one Arrow table.
Property tests check that the decision does not depend on where the
partitions are cut, nor on the row ids' spacing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datamill.dedup import PARAMS_BY_OP, DedupParams, decide, hash_partition, parse_params
from datamill.dedup.lsh_shape import optimal_shape

DATA = Path(__file__).parent / "data"
REFERENCE: dict[str, Any] = json.loads((DATA / "dj_reference_dedup.json").read_text(encoding="ascii"))
CASES: list[dict[str, Any]] = REFERENCE["cases"]
PLACEHOLDER = REFERENCE["sentencepiece_placeholder"]


@cache
def corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dedup_corpus", DATA / "dedup_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def corpus(seed: int) -> list[str]:
    texts: list[str] = corpus_module().make_corpus(seed)
    expected = REFERENCE["corpora"][str(seed)]
    assert corpus_module().corpus_sha256(texts) == expected["sha256"], "the corpus generator changed"
    return texts


@pytest.fixture(scope="session")
def sp_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny SentencePiece model Data-Juicer used, trained again (the same bytes)."""
    pytest.importorskip("sentencepiece")
    blob: bytes = corpus_module().train_sentencepiece()
    assert hashlib.sha256(blob).hexdigest() == REFERENCE["sentencepiece_model_sha256"]
    path = tmp_path_factory.mktemp("sp") / "tiny.sp.model"
    path.write_bytes(blob)
    return path


def params_of(case: dict[str, Any], model: Path | None) -> DedupParams:
    values = {k: str(model) if v == PLACEHOLDER else v for k, v in case["params"].items()}
    return parse_params(case["op"], values)


def hash_parts(params: DedupParams, texts: list[str], cuts: Sequence[int], ids: np.ndarray) -> list[pa.Table]:
    """Each partition's hashes with its global row ids, as the engine would commit them."""
    bounds = [0, *sorted(cuts), len(texts)]
    parts = []
    for start, end in itertools.pairwise(bounds):
        table = hash_partition(params, pa.array(texts[start:end], pa.string()))
        assert table.num_rows == end - start
        parts.append(table.append_column("row_id", pa.array(ids[start:end], pa.int64())))
    return parts


def kept_rows(params: DedupParams, parts: list[pa.Table], ids: np.ndarray, folder: Path | None) -> list[int]:
    """Positions of the kept rows; checks the drops table on the way."""
    if folder is None:
        drops = decide(params, pa.concat_tables(parts))
    else:
        files = []
        for i, part in enumerate(parts):
            files.append(folder / f"part-{i}.parquet")
            pq.write_table(part, files[-1])
        drops = decide(params, files)
    dropped = drops.column("row_id").to_numpy()
    dup_of = drops.column("dup_of").to_numpy()
    assert np.all(np.diff(dropped) > 0), "drops are listed once each, ascending"
    assert np.all(dup_of < dropped), "a row duplicates an earlier one"
    assert not np.isin(dup_of, dropped).any(), "a row duplicates a kept row"
    return [int(i) for i in np.flatnonzero(~np.isin(ids, dropped))]


def case_id(case: dict[str, Any]) -> str:
    params = ",".join(f"{k}={v}" for k, v in sorted(case["params"].items()))
    return f"{case['op']}[{params}]-{case['corpus_seed']}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_kept_rows_equal_data_juicer(
    case: dict[str, Any], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model = request.getfixturevalue("sp_model") if PLACEHOLDER in case["params"].values() else None
    params = params_of(case, model)
    texts = corpus(case["corpus_seed"])
    ids = np.arange(len(texts), dtype=np.int64) * 7 + 10**12
    parts = hash_parts(params, texts, [0, 1, 97, 98, 250, 251, 251], ids)
    assert kept_rows(params, parts, ids, tmp_path) == case["kept"]
    assert kept_rows(params, parts, ids, None) == case["kept"]


def test_every_deduplicator_has_cases() -> None:
    by_op = {name: [c for c in CASES if c["op"] == name] for name in PARAMS_BY_OP}
    assert all(len(cases) >= 8 for cases in by_op.values()), {k: len(v) for k, v in by_op.items()}
    assert any(PLACEHOLDER in c["params"].values() for c in CASES), "sentencepiece has cases"


def test_lsh_shape_equals_data_juicer() -> None:
    shapes = REFERENCE["optimal_shapes"]
    assert len(shapes) > 100
    for key, expected in shapes.items():
        perm, threshold = key.split(":")
        assert list(optimal_shape(float(threshold), int(perm))) == expected, key


PROPERTY_PARAMS = [
    ("document_deduplicator", {"lowercase": True}),
    ("document_simhash_deduplicator", {"window_size": 3}),
    ("document_minhash_deduplicator", {"num_permutations": 32, "window_size": 2}),
]


@pytest.mark.parametrize(("op", "values"), PROPERTY_PARAMS, ids=[p[0] for p in PROPERTY_PARAMS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_decision_ignores_partitioning(op: str, values: dict[str, Any], data: st.DataObject) -> None:
    params = parse_params(op, values)
    texts = corpus(REFERENCE["cases"][0]["corpus_seed"])[:160]
    whole = np.arange(len(texts), dtype=np.int64)
    expected = kept_rows(params, hash_parts(params, texts, [], whole), whole, None)
    cuts = data.draw(st.lists(st.integers(0, len(texts)), max_size=8))
    gaps = np.array(data.draw(st.lists(st.integers(1, 10**9), min_size=len(texts), max_size=len(texts))))
    ids = np.cumsum(gaps).astype(np.int64) - 10**6
    assert kept_rows(params, hash_parts(params, texts, cuts, ids), ids, None) == expected
