"""No key is accepted and ignored in silence.

Every field of every section of :class:`Recipe` (recursively) has an entry in
:data:`EVIDENCE`, naming the tests that show its effect on a real job (or, for
keys that only shape the config, on the loaded recipe), or in the loader's
:data:`~datamill.config.loader.NOT_APPLICABLE`, whose line the loader prints
when a recipe sets the key. A field with neither fails this test.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from datamill.config.keys import _keys
from datamill.config.loader import NOT_APPLICABLE, load_recipe
from datamill.config.models import Recipe

ROOT = Path(__file__).resolve().parents[2]

EVIDENCE: dict[str, tuple[str, ...]] = {
    "dataset_path": ("tests/job/test_run.py::test_six_ops_on_a_pool_of_two",),
    "export_path": ("tests/job/test_run.py::test_parquet_and_directory_exports",),
    "export_format": ("tests/config/test_key_effects.py::test_export_format_chooses_the_part_files_format",),
    "export": ("tests/sinks/test_sql.py::test_sqlite_by_default_upserts_and_verify_is_clean",),
    "export.type": ("tests/sinks/test_sql.py::test_sqlite_by_default_upserts_and_verify_is_clean",),
    "export.url": ("tests/sinks/test_sql.py::test_postgresql_upsert",),
    "export.table": ("tests/sinks/test_sql.py::test_bad_table_name_is_refused_before_work",),
    "export.key": ("tests/sinks/test_sql.py::test_an_export_key_that_is_no_column_stops_the_job",),
    "export.insert_batch": (
        "tests/sinks/test_sql.py::test_upsert_bisects_a_refused_batch_down_to_its_bad_rows",
    ),
    "np": ("tests/job/test_run.py::test_parquet_and_directory_exports",),
    "text_key": ("tests/job/test_run.py::test_a_data_juicer_recipe_runs_unchanged",),
    "id_field": (
        "tests/job/test_preflight.py::test_a_missing_id_column_is_one_error_naming_the_file_and_the_columns",
    ),
    "work_dir": ("tests/control/test_job_paths.py::test_every_command_takes_the_work_dir_of_a_job",),
    "job_id": ("tests/job/test_run.py::test_rerun_skips_committed_partitions_and_removes_leftovers",),
    "executor_type": (
        "tests/config/test_ray_keys.py::test_ray_and_data_juicers_name_for_it_choose_the_ray_executor",
    ),
    "ray_address": (
        "tests/config/test_ray_keys.py::test_ray_keys_on_the_local_pool_are_said_to_do_nothing_there",
    ),
    "keep_stats_in_res_ds": ("tests/job/test_run.py::test_keep_stats_gives_data_juicer_stats_column",),
    "process": ("tests/job/test_run.py::test_six_ops_on_a_pool_of_two",),
    "partition": ("tests/plan/test_planner.py::test_byte_limit_cuts_first_when_rows_are_big",),
    "partition.size": ("tests/job/test_run.py::test_parquet_and_directory_exports",),
    "partition.max_size_mb": ("tests/plan/test_planner.py::test_byte_limit_cuts_first_when_rows_are_big",),
    "partition.auto_configure": (
        "tests/plan/test_auto_configure.py::test_the_job_prints_and_records_its_choice",
        "tests/plan/test_auto_configure.py::test_manual_size_is_ignored_with_a_note",
    ),
    "checkpoint": ("tests/config/test_key_effects.py::test_checkpoint_keys_choose_the_checkpoints_written",),
    "checkpoint.enabled": (
        "tests/config/test_key_effects.py::test_checkpoint_keys_choose_the_checkpoints_written",
    ),
    "checkpoint.strategy": (
        "tests/config/test_key_effects.py::test_checkpoint_keys_choose_the_checkpoints_written",
        "tests/job/test_fault_tolerance.py::test_disabled_strategy_starts_over",
    ),
    "checkpoint.n_ops": (
        "tests/config/test_key_effects.py::test_checkpoint_keys_choose_the_checkpoints_written",
    ),
    "checkpoint.op_names": (
        "tests/config/test_key_effects.py::test_checkpoint_keys_choose_the_checkpoints_written",
    ),
    "fault_tolerance": ("tests/job/test_transient.py::test_what_an_op_raises_is_retried_or_not",),
    "fault_tolerance.enabled": (
        "tests/config/test_key_effects.py::test_fault_tolerance_enabled_decides_whether_a_failed_partition_is_retried",
    ),
    "fault_tolerance.max_retries": ("tests/job/test_transient.py::test_what_an_op_raises_is_retried_or_not",),
    "fault_tolerance.retry_backoff": ("tests/job/test_fault_tolerance.py::test_backoff_kinds",),
    "fault_tolerance.retry_delay_s": ("tests/job/test_fault_tolerance.py::test_backoff_kinds",),
    "fault_tolerance.stop_timeout_s": (
        "tests/job/test_fault_tolerance.py::test_sigterm_stops_within_the_timeout_and_resume_completes",
    ),
    "fault_tolerance.stall_timeout_s": (
        "tests/job/test_no_hang.py::test_a_partition_that_hangs_is_killed_recorded_and_retried",
    ),
    "fault_tolerance.on_sample_error": (
        "tests/job/test_run.py::test_fail_partition_mode_fails_the_partition_and_the_rest_goes_on",
    ),
    "intermediate_storage": (
        "tests/engine/test_storage_formats.py::test_every_accepted_pair_compresses_and_resumes_identically",
    ),
    "intermediate_storage.format": (
        "tests/engine/test_storage_formats.py::test_every_accepted_pair_compresses_and_resumes_identically",
    ),
    "intermediate_storage.compression": (
        "tests/engine/test_storage_formats.py::test_every_accepted_pair_compresses_and_resumes_identically",
        "tests/engine/test_storage_formats.py::test_a_pair_the_format_cannot_do_is_refused_naming_the_alternatives",
    ),
    "intermediate_storage.use_arrow_batches": (
        "tests/engine/test_storage_formats.py::test_use_arrow_batches_false_is_refused_with_the_reason",
    ),
    "intermediate_storage.arrow_batch_size": (
        "tests/engine/test_arrow_keys.py::test_arrow_batch_size_is_the_ops_batch_size",
        "tests/engine/test_arrow_keys.py::test_an_ops_own_batch_size_wins",
    ),
    "intermediate_storage.arrow_memory_mapping": (
        "tests/engine/test_arrow_keys.py::test_arrow_memory_mapping_opens_inputs_and_checkpoints_mapped",
    ),
    "intermediate_storage.preserve_intermediate_data": (
        "tests/job/test_fault_tolerance.py::test_preserve_intermediate_data_keeps_every_ops_output",
        "tests/job/test_retention.py::test_keep_all_keeps_every_checkpoint_and_the_seed_layout",
    ),
    "intermediate_storage.cleanup_temp_files": ("tests/job/test_retention.py::test_cleanup_temp_files",),
    "intermediate_storage.cleanup_on_success": (
        "tests/job/test_retention.py::test_cleanup_on_success_only_on_success",
    ),
    "intermediate_storage.retention_policy": (
        "tests/job/test_retention.py::test_keep_all_keeps_every_checkpoint_and_the_seed_layout",
        "tests/job/test_retention.py::test_keep_failed_only_on_a_clean_job_removes_all",
        "tests/job/test_retention.py::test_keep_failed_only_keeps_the_failed_partitions",
        "tests/job/test_retention.py::test_cleanup_all_leaves_a_resumable_job",
    ),
    "intermediate_storage.max_retention_days": (
        "tests/job/test_retention.py::test_max_retention_days_ages_out_other_finished_jobs",
    ),
    "event_logging": ("tests/control/test_control.py::test_event_logging_off_breaks_nothing",),
    "event_logging.enabled": ("tests/events/test_events.py::test_disabled_event_logging_writes_nothing",),
    "event_logging.max_log_size_mb": (
        "tests/events/test_events.py::test_rotation_keeps_every_event_readable_in_order",
    ),
    "event_logging.backup_count": ("tests/control/test_control.py::test_rotated_logs_are_counted_whole",),
    "event_logging.resource_interval_s": (
        "tests/config/test_key_effects.py::test_resource_interval_s_sets_how_often_usage_is_logged",
    ),
    "event_logging.level": (
        "tests/events/test_levels.py::test_the_level_leaves_out_notes_only",
        "tests/events/test_levels.py::test_level_warning_writes_no_notes_and_everything_the_monitor_reads",
    ),
    "image_key": ("tests/plan/test_auto_configure.py::test_the_job_prints_and_records_its_choice",),
    "audio_key": (
        "tests/plan/test_auto_configure.py::test_each_modality_is_detected_from_a_real_file",
        "tests/plan/test_auto_configure.py::test_other_sample_keys_are_read",
    ),
    "video_key": (
        "tests/plan/test_auto_configure.py::test_each_modality_is_detected_from_a_real_file",
        "tests/plan/test_auto_configure.py::test_other_sample_keys_are_read",
    ),
    "ledger": ("tests/ledger/test_fold.py::test_folds_happen_while_a_long_run_goes_on",),
    "ledger.fold_interval_s": ("tests/ledger/test_fold.py::test_folds_happen_while_a_long_run_goes_on",),
    "event_log_dir": (
        "tests/config/test_key_effects.py::test_event_log_dir_and_checkpoint_dir_hold_the_jobs_logs_and_checkpoints",
    ),
    "checkpoint_dir": (
        "tests/config/test_key_effects.py::test_event_log_dir_and_checkpoint_dir_hold_the_jobs_logs_and_checkpoints",
    ),
}
"""Each key, and the tests (``file::function``, or a whole file) that show its effect."""

OTHER_HELPERS = {"partition.auto_configure", "event_logging.level", "image_key", "audio_key", "video_key"}
"""Keys whose tests other helpers write: an entry whose file does not exist yet is skipped, not failed."""

SAMPLE_VALUES = {"project_name": "a project"}
"""A value to set each not-applicable key to, to see the loader's line."""

MODEL_KEYS = _keys(Recipe, "")


def test_every_field_of_the_model_has_evidence_or_a_not_applicable_line() -> None:
    missing = [key for key in MODEL_KEYS if key not in EVIDENCE and key not in NOT_APPLICABLE]
    assert not missing, f"keys with neither a test of their effect nor a 'not applicable' line: {missing}"
    both = sorted(set(EVIDENCE) & set(NOT_APPLICABLE))
    assert not both, f"keys said both to have an effect and to have none: {both}"


@pytest.mark.parametrize("key", sorted(EVIDENCE))
def test_the_named_tests_exist(key: str) -> None:
    if key not in MODEL_KEYS:
        if key in OTHER_HELPERS:
            pytest.skip(f"{key}: not a key of the model yet (another helper adds it)")
        pytest.fail(f"{key} is no longer a key of the recipe: remove its entry")
    for ref in EVIDENCE[key]:
        path, _, function = ref.partition("::")
        file = ROOT / path
        if not file.is_file():
            if key in OTHER_HELPERS:
                pytest.skip(f"{key}: {path} does not exist yet (another helper writes it)")
            pytest.fail(f"{key}: {path} does not exist")
        if function:
            assert re.search(rf"^def {function}\(", file.read_text(), re.MULTILINE), f"{key}: no {ref}"


@pytest.mark.parametrize("key", sorted(NOT_APPLICABLE))
def test_a_not_applicable_key_is_said_to_be_so_when_set(key: str, caplog: pytest.LogCaptureFixture) -> None:
    assert key in MODEL_KEYS
    raw: dict[str, object] = {"dataset_path": "x.jsonl"}
    node = raw
    *sections, name = key.split(".")
    for section in sections:
        node = node.setdefault(section, {})  # type: ignore[assignment]
    node[name] = SAMPLE_VALUES[key]
    with caplog.at_level(logging.WARNING):
        load_recipe(None, raw=raw)
    assert NOT_APPLICABLE[key] in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        load_recipe(None, raw={"dataset_path": "x.jsonl"})
    assert NOT_APPLICABLE[key] not in caplog.text  # said only when set
