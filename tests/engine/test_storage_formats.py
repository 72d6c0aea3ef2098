"""``intermediate_storage.format`` × ``compression``: every accepted pair
compresses what it writes that way and resumes to the same output; every
other pair is refused when the recipe is loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datamill.config.loader import load_recipe
from datamill.config.models import FORMAT_COMPRESSIONS
from datamill.errors import ConfigError

PROCESS = [
    {"clean_links_mapper": {}},
    {"whitespace_normalization_mapper": {}},
    {"text_length_filter": {"min_len": 100}},
]
EDITED = [*PROCESS[:2], {"text_length_filter": {"min_len": 200}}]
ACCEPTED = [(fmt, codec) for fmt, codecs in FORMAT_COMPRESSIONS.items() for codec in codecs]
REFUSED = [
    (fmt, codec)
    for fmt in FORMAT_COMPRESSIONS
    for codec in ("snappy", "gzip", "zstd", "lz4")
    if codec not in FORMAT_COMPRESSIONS[fmt]
]
MAGIC = {"gzip": b"\x1f\x8b", "zstd": b"\x28\xb5\x2f\xfd", "lz4": b"\x04\x22\x4d\x18"}
"""The frame magic of each stream codec (Arrow IPC puts one such frame in each
compressed buffer, after its length)."""


def compression_of(path: Path, fmt: str) -> str:
    """How a written file is really compressed, read from the file itself."""
    if fmt == "parquet":
        codec = pq.ParquetFile(path).metadata.row_group(0).column(0).compression
        return {"UNCOMPRESSED": "none", "LZ4_RAW": "lz4"}.get(codec, codec.lower())
    data = path.read_bytes()
    if fmt == "jsonl":
        found = [name for name, magic in MAGIC.items() if data.startswith(magic)]
        return found[0] if found else ("none" if data.startswith(b"{") else "unknown")
    assert data.startswith(b"ARROW1")
    found = [name for name in ("lz4", "zstd") if MAGIC[name] in data]
    return found[0] if len(found) == 1 else "none" if not found else "unknown"


def run(datamill, recipe_file, data: Path, name: str, process: list, **storage) -> Path:
    path = recipe_file(
        name,
        dataset_path=str(data),
        export_path=str(data.parent / f"{name}.jsonl"),
        partition={"size": 25},
        checkpoint={"strategy": "every_op"},
        intermediate_storage=storage,
        process=process,
    )
    assert datamill("run", "--config", path, "--job_id", name) == 0
    return data.parent / f"{name}.jsonl"


@pytest.mark.parametrize(("fmt", "codec"), ACCEPTED, ids=[f"{f}-{c}" for f, c in ACCEPTED])
def test_every_accepted_pair_compresses_and_resumes_identically(
    datamill, recipe_file, corpus, tmp_path: Path, fmt: str, codec: str
) -> None:
    data = corpus(60)
    storage = {"format": fmt, "compression": codec, "preserve_intermediate_data": True}
    run(datamill, recipe_file, data, "job", PROCESS, **storage)
    job = tmp_path / "jobs" / "job"
    checkpoints = sorted((job / "checkpoints").rglob("op*"))
    kept = sorted((job / "intermediate").rglob("op_*"))
    assert checkpoints and kept
    for path in checkpoints + kept:
        assert compression_of(path, fmt) == codec, path
        assert (
            path.name.endswith({"gzip": ".gz", "zstd": ".zst", "lz4": ".lz4"}.get(codec, ""))
            or fmt != "jsonl"
        )
    # The last op edited: the committed partitions are redone from their checkpoints after op 1.
    out = run(datamill, recipe_file, data, "job", EDITED, **storage)
    markers = [json.loads(p.read_text()) for p in (job / "results").glob("*.commit")]
    resumed = [Path(m["resumed_from"]).name for m in markers]
    assert len(resumed) == 3 and all(name.startswith("op001-") for name in resumed)
    reference = run(datamill, recipe_file, data, "fresh", EDITED, format=fmt, compression=codec)
    assert out.read_bytes() == reference.read_bytes() and out.stat().st_size > 0


@pytest.mark.parametrize(("fmt", "codec"), REFUSED, ids=[f"{f}-{c}" for f, c in REFUSED])
def test_a_pair_the_format_cannot_do_is_refused_naming_the_alternatives(fmt: str, codec: str) -> None:
    raw = {"dataset_path": "x.jsonl", "intermediate_storage": {"format": fmt, "compression": codec}}
    with pytest.raises(ConfigError) as info:
        load_recipe(None, raw=raw)
    message = str(info.value)
    assert "\n" not in message and "intermediate_storage.compression" in message
    assert all(alternative in message for alternative in FORMAT_COMPRESSIONS[fmt])


@pytest.mark.parametrize(("fmt", "codec"), [("parquet", "snappy"), ("arrow", "lz4"), ("jsonl", "none")])
def test_unset_compression_follows_the_format(fmt: str, codec: str) -> None:
    recipe = load_recipe(None, raw={"dataset_path": "x.jsonl", "intermediate_storage": {"format": fmt}})
    assert recipe.intermediate_storage.compression == codec


def test_use_arrow_batches_false_is_refused_with_the_reason() -> None:
    raw = {"dataset_path": "x.jsonl", "use_arrow_batches": False}
    with pytest.raises(ConfigError, match=r"use_arrow_batches: false is not supported: .*Arrow record"):
        load_recipe(None, raw=raw)


def test_intermediate_files_say_what_made_them_and_a_retry_round_keeps_its_own(
    datamill, recipe_file, corpus, tmp_path: Path
) -> None:
    data = corpus(60)
    fixed = tmp_path / "fixed"
    op = {"tests.job.user_ops:FailUntilFixedMapper": {"fixed": str(fixed)}}
    recipe = recipe_file(
        dataset_path=str(data),
        partition={"size": 30},
        intermediate_storage={"preserve_intermediate_data": True},
        process=[op],
    )
    assert datamill("run", "--config", recipe, "--job_id", "prov") == 0
    job = tmp_path / "jobs" / "prov"
    ids = sorted(p.name[len("part-") : -len(".commit")] for p in (job / "results").glob("*.commit"))
    name = "op_000_tests.job.user_ops_FailUntilFixedMapper.parquet"
    for index, pid in enumerate(ids):
        path = job / "intermediate" / f"partition_{index:06d}" / name
        made_by = json.loads(pq.read_schema(path).metadata[b"datamill.checkpoint"])
        assert made_by["partition_id"] == pid and made_by["op_index"] == 0 and made_by["retry_round"] == 0
        assert len(made_by["prefix_hash"]) == 16
    full = {p: pq.read_table(p).num_rows for p in (job / "intermediate").rglob(name)}
    fixed.write_text("fixed")
    datamill("run", "--config", recipe, "--job_id", "prov", "--retry-failed")
    rounds = sorted((job / "intermediate").rglob(f"retry_round_1/{name}"))
    assert rounds, "the retry round's output is kept apart"
    assert {p: pq.read_table(p).num_rows for p in full} == full  # the full outputs were not replaced
    assert all(pq.read_table(p).num_rows < 30 for p in rounds)
