"""``partition.auto_configure``: modality from the data, size by the rule, the choice saved in the plan."""

from __future__ import annotations

import csv
import gzip
import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datamill.config.loader import load_recipe
from datamill.config.models import PartitionConfig
from datamill.errors import InputError
from datamill.io.sources import discover
from datamill.plan import auto
from datamill.plan.auto import MODALITIES, AutoChoice, auto_configure, choose, op_cost
from datamill.plan.planner import load_plan, make_plan
from datamill.plan.sample import SAMPLE_BYTES, InputSample, SampleKeys, media_count, sample_input
from tests.conftest import read_jsonl, write_jsonl
from tests.job import jobproc

AUTO = PartitionConfig(auto_configure=True)
LIGHT_OPS = [{"clean_links_mapper": {}}, {"whitespace_normalization_mapper": {}}]


def rows_of(modality: str, n: int) -> list[dict[str, Any]]:
    media = {
        "text": {},
        "image": {"images": ["a.jpg"]},
        "audio": {"audios": ["a.wav"]},
        "video": {"videos": ["a.mp4"]},
        "multimodal": {"images": ["a.jpg"], "videos": ["a.mp4"]},
    }[modality]
    return [{"text": f"sample {i}", **media} for i in range(n)]


def write_as(fmt: str, path: Path, rows: list[dict[str, Any]]) -> Path:
    if fmt == "jsonl":
        return write_jsonl(path.with_suffix(".jsonl"), rows)
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path.with_suffix(".parquet"), row_group_size=64)
        return path.with_suffix(".parquet")
    out = path.with_suffix(".csv")  # media cells as a JSON list, as a CSV export of a list column writes them
    columns = sorted({k for row in rows for k in row})
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()})
    return out


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
@pytest.mark.parametrize("modality", list(MODALITIES))
def test_each_modality_is_detected_from_a_real_file(tmp_path: Path, fmt: str, modality: str) -> None:
    path = write_as(fmt, tmp_path / "d", rows_of(modality, 300))
    choice = auto_configure(discover(str(path)), AUTO, LIGHT_OPS)
    assert choice.modality == modality
    assert choice.sampled_rows == 300
    assert 1 <= choice.size <= MODALITIES[modality].maximum
    assert choice.max_size_mb == round(auto.MEMORY_BUDGET_MB / MODALITIES[modality].memory_multiplier, 1)


def test_one_media_kind_among_text_rows_makes_it_that_kind(tmp_path: Path) -> None:
    rows = rows_of("text", 200)
    rows[150]["audios"] = ["x.wav"]
    rows[10]["images"] = []  # an empty list carries no media
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    choice = auto_configure(discover(str(path)), AUTO)
    assert choice.modality == "audio"
    assert "1 with audio ('audios')" in choice.reasons[0]
    assert "0 with image ('images')" in choice.reasons[0]


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (None, 0),
        ([], 0),
        (["a.jpg", "", None, "b.jpg"], 2),
        ("a.jpg", 1),
        ("  ", 0),
        ('["a.jpg", "b.jpg"]', 2),
        ("[not json", 1),
        (b"\x89PNG", 1),
        (b"", 0),
        (0, 0),
        (True, 0),
        (3.5, 0),
    ],
)
def test_media_items_of_one_value(value: object, count: int) -> None:
    assert media_count(value) == count


def test_other_sample_keys_are_read(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"content": "x", "pics": ["a.png", "b.png"]}] * 10)
    keys = SampleKeys(text="content", image="pics")
    choice = auto_configure(discover(str(path)), AUTO, keys=keys)
    assert choice.modality == "image"
    assert choice.media_per_row == 2
    assert auto_configure(discover(str(path)), AUTO).modality == "text"  # under the default keys, none


def test_the_sample_is_bounded(tmp_path: Path) -> None:
    for i in range(6):
        write_jsonl(tmp_path / "in" / f"{i}.jsonl", rows_of("text", 800))
    sample = sample_input(discover(str(tmp_path / "in")), SampleKeys())
    assert (sample.files, sample.rows) == (4, 1000)  # 250 of each of the first four files
    big = tmp_path / "big.jsonl"
    big.write_text(json.dumps({"text": "y" * (SAMPLE_BYTES + 10)}) + "\n" + json.dumps({"text": "z"}) + "\n")
    sample = sample_input(discover(str(big)), SampleKeys())
    assert sample.rows == 1 and sample.row_bytes == SAMPLE_BYTES  # the long line is not read whole


def test_compressed_jsonl_is_sampled_without_staging(tmp_path: Path) -> None:
    raw = "".join(json.dumps(r) + "\n" for r in rows_of("video", 40)).encode()
    (tmp_path / "d.jsonl.gz").write_bytes(gzip.compress(raw))
    choice = auto_configure(discover(str(tmp_path / "d.jsonl.gz")), AUTO)
    assert (choice.modality, choice.sampled_rows) == ("video", 40)
    assert choice.mean_row_bytes == round(len(raw) / 40, 1)


@pytest.mark.parametrize("name", ["d.jsonl.gz", "d.jsonl.zst"])
def test_a_corrupt_compressed_input_is_a_clear_error(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"not compressed at all")
    with pytest.raises(
        InputError, match=rf"Cannot read input file .*{name} to sample it for partition.auto_configure"
    ):
        make_plan(discover(str(tmp_path / name)), AUTO, tmp_path / "st")


def sample_of(
    rows: int, mean_bytes: float, media: dict[str, int] | None = None, items: int = 0
) -> InputSample:
    sample = InputSample(files=1, rows=rows, row_bytes=round(rows * mean_bytes), media_items=items)
    sample.rows_with.update(media or {})
    return sample


@pytest.mark.parametrize(
    ("ops", "mean", "expected"),
    [
        ([], 100, 800),  # light pipeline x2, short rows x2
        (["clean_links_mapper"] * 5, 100, 400),  # weight 5: neither light nor heavy
        (["perplexity_filter"], 100, 200),  # heavy /2, short rows x2
        (["perplexity_filter"], 4000, 100),  # heavy /2, rows neither short nor long
        ([], 100_000, 200),  # long rows /2 after a light x2
        (["my.module:Op"] * 2, 2000, 400),  # user ops cost 2: weight 4 is light
    ],
)
def test_text_sizes_follow_the_rule(ops: list[str], mean: float, expected: int) -> None:
    choice = choose(sample_of(500, mean), SampleKeys(), ops, AUTO)
    assert (choice.modality, choice.size) == ("text", expected)
    assert choice.max_size_mb == 128


def test_media_rule_and_the_table_maximum() -> None:
    image = {"image": 100}
    light = choose(sample_of(100, 100, image, items=100), SampleKeys(), [], AUTO)
    assert (light.modality, light.size) == ("image", 200)  # 50 x2 x2: the maximum, not past it
    many = choose(sample_of(100, 100, image, items=400), SampleKeys(), [], AUTO)
    assert many.size == 50  # 4 images a row: 200 / 4
    assert not any("maximum" in r for r in light.reasons + many.reasons)
    thirds = choose(sample_of(100, 4000, {"audio": 100}, items=300), SampleKeys(), [], AUTO)
    assert thirds.size == 20  # 30 x2 / 3 is exactly 20 (60 times a third would round down to 19)
    capped = choose(sample_of(100, 100, {"audio": 100}, items=100), SampleKeys(), [], AUTO)
    assert (capped.size, capped.reasons[-1]) == (100, "kept within the audio maximum of 100")  # 30 x2 x2


def test_two_media_kinds_make_it_multimodal_and_a_media_op_is_heavy() -> None:
    mixed = sample_of(100, 100, {"video": 100, "image": 3}, items=103)
    choice = choose(mixed, SampleKeys(), ["video_split_by_scene_mapper"], AUTO)
    assert op_cost("video_split_by_scene_mapper") == auto.HEAVY
    assert (choice.modality, choice.max_size_mb) == ("multimodal", 12.8)
    assert choice.size == 19  # 20, heavy /2, short rows x2, 1.03 media a row: 19.4 rounded down
    assert not any("maximum" in r for r in choice.reasons)


def test_size_never_passes_the_table_maximum_or_memory() -> None:
    text = choose(sample_of(10, 10, items=0), SampleKeys(), [], AUTO)
    assert text.size == 800 <= MODALITIES["text"].maximum
    audio = choose(sample_of(100, 2_000_000, {"audio": 100}, items=100), SampleKeys(), [], AUTO)
    # 16 MB of max_size_mb, half of it for 2 MB rows: 4 rows
    assert (audio.size, audio.max_size_mb) == (math.floor(16 * 2**20 / 2 / 2_000_000), 16.0)
    assert any("fill half of max_size_mb 16" in r for r in audio.reasons)


def test_manual_size_is_ignored_with_a_note(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", rows_of("image", 120))
    recipe = load_recipe(
        None,
        raw={"dataset_path": str(path), "partition": {"auto_configure": True, "size": 7, "max_size_mb": 3}},
    )
    plan = make_plan(discover(str(path)), recipe.partition, tmp_path / "st", process=LIGHT_OPS)
    assert plan.auto is not None and plan.size == plan.auto.size == 200  # 50 x2 x2, not 7
    assert [p.rows for p in plan.partitions] == [120]
    assert plan.auto.notes == (
        f"partition.size 7 is ignored: auto_configure chose {plan.size}",
        "partition.max_size_mb 3 is ignored: auto_configure chose 25.6",
    )
    untouched = make_plan(discover(str(path)), AUTO, tmp_path / "st")
    assert untouched.auto is not None and untouched.auto.notes == ()


def test_the_choice_is_deterministic(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", rows_of("multimodal", 500))
    first = auto_configure(discover(str(path)), AUTO, LIGHT_OPS)
    second = auto_configure(discover(str(path)), AUTO, LIGHT_OPS)
    assert first == second
    assert AutoChoice.from_json(json.loads(json.dumps(first.to_json()))) == first
    lines = first.describe()
    assert lines[0] == "partition.auto_configure: multimodal data, 40 samples per partition, 12.8 MB at most"
    assert (
        lines[1:] == [f"  - {r}" for r in first.reasons] and len(lines) == 5
    )  # detected, light, short, 2 media


def test_without_auto_configure_the_manual_size_holds(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", rows_of("image", 30))
    plan = make_plan(discover(str(path)), PartitionConfig(size=7), tmp_path / "st")
    assert plan.auto is None and [p.rows for p in plan.partitions] == [7, 7, 7, 7, 2]
    plan.save(tmp_path / "p.json")
    assert json.loads((tmp_path / "p.json").read_text())["partition_auto"] is None
    assert load_plan(tmp_path / "p.json").auto is None


def test_the_plan_saves_the_choice_and_the_partitions_follow_it(tmp_path: Path) -> None:
    path = write_as("csv", tmp_path / "d", rows_of("audio", 150))
    plan = make_plan(discover(str(path)), AUTO, tmp_path / "st", process=LIGHT_OPS)
    assert plan.auto is not None and plan.auto.modality == "audio"
    assert plan.size == plan.auto.size == 100  # 30 x2 x2, kept at the audio maximum
    assert [p.rows for p in plan.partitions] == [100, 50]
    plan.save(tmp_path / "p.json")
    loaded = load_plan(tmp_path / "p.json")
    assert (loaded.auto, loaded.size, loaded.max_size_mb) == (plan.auto, 100, 16.0)


def test_a_real_job_uses_the_choice_and_resumes_with_the_same_plan(datamill, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"Row {i} at https://x.org/{i}"} for i in range(2000)])
    nap = {"tests.job.user_ops:SlowMapper": {"delay_s": 1.5}}  # a user op: weight 2, a light pipeline
    partition = {"auto_configure": True, "size": 20}
    recipe = jobproc.write_recipe(tmp_path, data, "auto", [nap], np=1, partition=partition)
    job_dir = tmp_path / "jobs" / "auto"
    proc = jobproc.start(recipe, "--job_id", "auto")
    assert jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 1, 120, proc)
    jobproc.kill_group(proc)
    assert jobproc.committed(job_dir) < 3, "the job finished before the kill: no resume is tested"
    saved = (job_dir / "metadata" / "partitions.json").read_bytes()
    plan = load_plan(job_dir / "metadata" / "partitions.json")
    assert plan.auto is not None and plan.auto.modality == "text"
    assert [p.rows for p in plan.partitions] == [800, 800, 400]  # 200 x2 (light) x2 (short rows), not 20
    assert plan.auto.notes == ("partition.size 20 is ignored: auto_configure chose 800",)

    assert datamill("run", "--config", recipe, "--job_id", "auto") == 0
    assert (job_dir / "metadata" / "partitions.json").read_bytes() == saved
    assert jobproc.summary(job_dir)["counts"]["partitions_skipped"] >= 1
    assert jobproc.committed(job_dir) == 3
    out = read_jsonl(tmp_path / "auto.jsonl")
    assert [r["text"] for r in out] == [f"Row {i} at https://x.org/{i}" for i in range(2000)]


def test_the_job_prints_and_records_its_choice(datamill, recipe_file, tmp_path: Path, capsys) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}", "pics": ["a.jpg"]} for i in range(120)])
    recipe = recipe_file(
        dataset_path=str(data),
        image_key="pics",
        partition={"auto_configure": True, "size": 7},
        process=LIGHT_OPS,
    )
    assert datamill("run", "--config", recipe, "--job_id", "shown") == 0
    err = capsys.readouterr().err  # (the driver's messages go to stderr)
    assert "partition.auto_configure: image data, 200 samples per partition, 25.6 MB at most" in err
    assert "partition.size 7 is ignored: auto_configure chose 200" in err
    summary = jobproc.summary(tmp_path / "jobs" / "shown")
    assert (summary["partition_auto"]["modality"], summary["partition_auto"]["size"]) == ("image", 200)
    assert summary["partition_auto"]["notes"] == ["partition.size 7 is ignored: auto_configure chose 200"]
    log = (tmp_path / "jobs" / "shown" / "event_logs" / "events.jsonl").read_text().splitlines()
    assert any(
        json.loads(line).get("message") == "partition.size 7 is ignored: auto_configure chose 200"
        for line in log
    )
