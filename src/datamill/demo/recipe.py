"""The demo's recipe: the six built-in text ops in Data-Juicer's shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SIX_OPS: list[dict[str, Any]] = [
    {"clean_links_mapper": {}},
    {"clean_email_mapper": {}},
    {"whitespace_normalization_mapper": {}},
    {"fix_unicode_mapper": {}},
    {"text_length_filter": {"min_len": 100}},
    {"words_num_filter": {"min_num": 20}},
]


def demo_recipe(dataset: Path, export: Path, work_dir: Path, np: int) -> dict[str, Any]:
    return {
        "project_name": "demo",
        "dataset_path": str(dataset),
        "export_path": str(export),
        "work_dir": str(work_dir),
        "np": np,
        "text_key": "text",
        "partition": {"size": 500},
        "checkpoint": {"strategy": "every_n_ops", "n_ops": 2},
        "process": SIX_OPS,
    }
