"""The pieces of deduplication: parameters, permutation arithmetic, union-find, errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.dedup import (
    DocumentDeduplicatorParams,
    DocumentMinhashDeduplicatorParams,
    DocumentSimhashDeduplicatorParams,
    decide,
    hash_partition,
    hash_schema,
    parse_params,
)
from datamill.dedup.components import components
from datamill.dedup.minhash import MAX_HASH, MERSENNE_PRIME, permutations, permute
from datamill.errors import ConfigError, InputError

OPS = ["document_deduplicator", "document_simhash_deduplicator", "document_minhash_deduplicator"]


def test_defaults_are_data_juicers() -> None:
    assert DocumentDeduplicatorParams().model_dump() == {"lowercase": False, "ignore_non_character": False}
    assert DocumentSimhashDeduplicatorParams().model_dump() == {
        "tokenization": "space",
        "window_size": 6,
        "lowercase": True,
        "ignore_pattern": None,
        "num_blocks": 6,
        "hamming_distance": 4,
    }
    minhash = DocumentMinhashDeduplicatorParams()
    assert minhash.model_dump() == {
        "tokenization": "space",
        "window_size": 5,
        "lowercase": True,
        "ignore_pattern": None,
        "num_permutations": 256,
        "jaccard_threshold": 0.7,
        "num_bands": None,
        "num_rows_per_band": None,
        "tokenizer_model": None,
    }
    assert minhash.shape == (25, 10)


@pytest.mark.parametrize(
    ("op", "values", "message"),
    [
        ("document_simhash_deduplicator", {"tokenization": "sentencepiece"}, "use one of 'space'"),
        ("document_simhash_deduplicator", {"hamming_distance": 6}, "must be less than num_blocks"),
        ("document_simhash_deduplicator", {"num_blocks": 65, "hamming_distance": 2}, "at most 64 blocks"),
        ("document_simhash_deduplicator", {"num_blocks": 40, "hamming_distance": 20}, "block choices"),
        ("document_simhash_deduplicator", {"ignore_pattern": "(unclosed"}, "not a valid regex"),
        ("document_simhash_deduplicator", {"window_size": 0}, "greater than 0"),
        ("document_minhash_deduplicator", {"tokenization": "words"}, "'sentencepiece'"),
        ("document_minhash_deduplicator", {"num_bands": 4}, "give both num_bands and num_rows_per_band"),
        ("document_minhash_deduplicator", {"num_rows_per_band": 4}, "give both num_bands"),
        (
            "document_minhash_deduplicator",
            {"num_bands": 30, "num_rows_per_band": 10},
            "exceeds num_permutations",
        ),
        ("document_minhash_deduplicator", {"jaccard_threshold": 1.5}, "less than or equal to 1"),
        ("document_minhash_deduplicator", {"tokenization": "sentencepiece"}, "needs tokenizer_model"),
        ("document_minhash_deduplicator", {"num_perm": 128}, "has no parameter 'num_perm'"),
        ("document_deduplicator", {"lowercase": "perhaps"}, "parameter 'lowercase'"),
        ("document_line_deduplicator", {}, "is not a deduplicator"),
    ],
)
def test_unsupported_values_are_config_errors(op: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_params(op, values)


def test_runtime_parameters_are_ignored() -> None:
    assert parse_params("document_deduplicator", {"text_key": "body", "num_proc": 4}).lowercase is False


def test_sentencepiece_missing_is_a_config_error_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    with pytest.raises(ConfigError, match=r'pip install "datamill\[lang\]"'):
        parse_params(
            "document_minhash_deduplicator", {"tokenization": "sentencepiece", "tokenizer_model": "x.model"}
        )


def test_permutations_are_data_juicers_first_draws() -> None:
    gen = np.random.RandomState(seed=42)
    a0 = gen.randint(1, MERSENNE_PRIME, dtype=np.uint64)
    b0 = gen.randint(0, MERSENNE_PRIME, dtype=np.uint64)
    a, b = permutations(4)
    assert (a[0], b[0]) == (a0, b0)
    assert len(set(a.tolist())) == 4


def test_permute_equals_the_plain_formula() -> None:
    a, b = permutations(256)
    rng = np.random.default_rng(3)
    hashes = np.r_[rng.integers(0, 2**32, 500, dtype=np.uint64), np.array([0, 1, 2**32 - 1], dtype=np.uint64)]
    plain = np.bitwise_and((hashes[:, None] * a + b) % MERSENNE_PRIME, MAX_HASH)
    assert np.array_equal(permute(hashes, a, b), plain)


def test_mersenne_reduction_at_its_edges() -> None:
    p = (1 << 61) - 1
    xs = [0, 1, p - 1, p, p + 1, 2 * p, 2 * p + 5, 1 << 61, (1 << 62) + 3, 7 * p, 8 * p - 1, 2**64 - 1]
    values = np.array(xs, dtype=np.uint64)
    one, zero = np.array([1], dtype=np.uint64), np.array([0], dtype=np.uint64)
    assert permute(values, one, zero)[:, 0].tolist() == [(x % p) & 0xFFFFFFFF for x in xs]


def _union_find_like_data_juicer(buckets: list[list[int]]) -> dict[int, int]:
    """Data-Juicer's procedure: union each bucket member with the bucket's minimum, smaller root wins."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for bucket in buckets:
        if len(bucket) > 1:
            low = min(bucket)
            for x in bucket:
                rx, rl = find(x), find(low)
                parent[rx] = parent[rl] = min(rx, rl)
    return {x: find(x) for x in parent}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 60), min_size=1, max_size=6), max_size=25))
def test_components_keep_the_smallest_row_like_data_juicer(buckets: list[list[int]]) -> None:
    u = [x for b in buckets if len(b) > 1 for x in b]
    v = [min(b) for b in buckets if len(b) > 1 for _ in b]
    nodes, roots = components(np.array(u, dtype=np.int64), np.array(v, dtype=np.int64))
    expected = {x: r for x, r in _union_find_like_data_juicer(buckets).items() if x in set(u)}
    assert dict(zip(nodes.tolist(), roots.tolist(), strict=True)) == expected


@pytest.mark.parametrize("op", OPS)
def test_hash_columns_and_nulls(op: str) -> None:
    params = parse_params(op)
    table = hash_partition(params, pa.array(["a b c d e f g h", None, ""], pa.string()))
    assert table.schema == hash_schema(params)
    assert table.slice(1, 1).equals(table.slice(2, 1)), "a null text hashes as an empty one"
    assert hash_partition(params, pa.chunked_array([], pa.string())).schema == hash_schema(params)


@pytest.mark.parametrize("op", OPS)
def test_decide_edges(op: str, tmp_path: Path) -> None:
    params = parse_params(op)
    texts = pa.array(["same text here for all of us now", "other", "same text here for all of us now"])
    table = hash_partition(params, texts).append_column("__id", pa.array([5, 9, 11], pa.int64()))
    drops = decide(params, table, "__id", spill_dir=tmp_path)
    assert drops.to_pylist() == [{"__id": 11, "dup_of": 5}]
    assert drops.schema == pa.schema([("__id", pa.int64()), ("dup_of", pa.int64())])
    assert list(tmp_path.iterdir()) == [], "the spill directory is cleaned up"
    assert decide(params, []).num_rows == 0
    assert decide(params, table.slice(0, 0), "__id").num_rows == 0
    with pytest.raises(InputError, match="no column 'row_id'"):
        decide(params, table)
