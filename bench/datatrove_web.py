"""bench_peers' datatrove run: the web cleaning recipe as a datatrove pipeline.

Run by a python that has datatrove (a venv of its own): ``JsonlReader`` over
the corpus cut into one file per task, a pipeline step applying
:class:`bare_web.Cleaner` (the same four transformations and length filter as
the bare script, from the same ``--ops`` data) to every document, and
``JsonlWriter`` (uncompressed), on ``LocalPipelineExecutor`` with its default
start method. Its output is datatrove's own JSONL (text, id, metadata), one
file per task, so bench_peers compares it with the others by text.

    PY bench/datatrove_web.py SHARDS_DIR OUTPUT_DIR --ops OPS.json --logs LOGS_DIR [--tasks 2]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

HERE = str(Path(__file__).resolve().parent)


class WebClean(PipelineStep):
    """The recipe on each document; a document the length filter drops is not passed on."""

    name = "web clean"
    type = "bench"

    def __init__(self, ops: str) -> None:
        super().__init__()
        self.ops = ops

    def run(self, data: Iterator[Document], rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        import sys

        if HERE not in sys.path:  # (a worker of the fork server imports this step's module afresh)
            sys.path.insert(0, HERE)
        from bare_web import Cleaner

        clean = Cleaner.load(self.ops)
        for doc in data:
            self.stat_update("documents")
            with self.track_time():
                text = clean(doc.text)
            if text is None:
                self.stat_update("dropped")
                continue
            doc.text = text
            yield doc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("shards")
    parser.add_argument("output")
    parser.add_argument("--ops", required=True)
    parser.add_argument("--logs", required=True)
    parser.add_argument("--tasks", type=int, default=2)
    args = parser.parse_args()
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(args.shards, glob_pattern="*.jsonl"),
            WebClean(str(Path(args.ops).resolve())),
            JsonlWriter(args.output, output_filename="${rank}.jsonl", compression=None),
        ],
        tasks=args.tasks,
        workers=args.tasks,
        logging_dir=args.logs,
    ).run()


if __name__ == "__main__":
    main()
