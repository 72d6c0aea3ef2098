"""bench_peers' floor: the web cleaning recipe as a bare script.

No partitions, no commits, no fault tolerance, and no shortcut at all: read
the JSONL, and on ``multiprocessing.Pool(np)``, in chunks, apply to every
document the link regex, the e-mail regex, ``str.strip`` and the whitespace
translation, ``ftfy.fix_text(text, normalization="NFC")``, and keep it if it
has at least 100 characters; write the survivors in input order, each line as
datamill's JSONL export writes it (``json.dumps(row, ensure_ascii=False)``,
the fields in their input order). The patterns and the character set are
datamill's own, handed over as data in ``--ops`` (see :func:`write_ops`), so
that this script imports nothing but the standard library, ``regex`` and
``ftfy`` (the datatrove pipeline, in a venv of its own, uses it too).

    python bench/bare_web.py INPUT.jsonl OUTPUT.jsonl --ops OPS.json [--np 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ftfy
import regex

MIN_LEN = 100


def write_ops(path: Path) -> Path:
    """The recipe's data, taken from datamill's op modules, as JSON for :class:`Cleaner`."""
    from datamill.ops.text.characters import VARIOUS_WHITESPACES
    from datamill.ops.text.clean_email import DEFAULT_EMAIL_PATTERN
    from datamill.ops.text.clean_links import DEFAULT_LINK_PATTERN

    ops = {
        "link_pattern": DEFAULT_LINK_PATTERN,
        "email_pattern": DEFAULT_EMAIL_PATTERN,
        "whitespaces": "".join(sorted(VARIOUS_WHITESPACES)),
        "normalization": "NFC",
        "min_len": MIN_LEN,
    }
    path.write_text(json.dumps(ops, ensure_ascii=False), encoding="utf-8")
    return path


class Cleaner:
    """The four transformations and the length filter, for one text at a time."""

    def __init__(self, ops: dict[str, Any]) -> None:
        # (the flags datamill's RegexReplaceMapper compiles its patterns with)
        self.links = regex.compile(ops["link_pattern"], flags=regex.DOTALL)
        self.emails = regex.compile(ops["email_pattern"], flags=regex.DOTALL)
        self.to_space = str.maketrans(dict.fromkeys(ops["whitespaces"], " "))
        self.normalization = ops["normalization"]
        self.min_len = ops["min_len"]

    @classmethod
    def load(cls, path: str | Path) -> Cleaner:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def __call__(self, text: str) -> str | None:
        """The cleaned text, or None when the length filter drops it."""
        text = self.links.sub("", text)
        text = self.emails.sub("", text)
        text = text.strip().translate(self.to_space)
        text = ftfy.fix_text(text, normalization=self.normalization)
        return text if len(text) >= self.min_len else None


_cleaner: Cleaner | None = None


def _start(ops: str) -> None:
    global _cleaner
    _cleaner = Cleaner.load(ops)


def process_chunk(lines: list[str]) -> str:
    assert _cleaner is not None
    out = []
    for line in lines:
        doc = json.loads(line)
        text = _cleaner(doc["text"])
        if text is not None:
            doc["text"] = text
            out.append(json.dumps(doc, ensure_ascii=False) + "\n")
    return "".join(out)


def chunks(path: str, size: int) -> Iterator[list[str]]:
    with open(path, encoding="utf-8") as fh:
        chunk: list[str] = []
        for line in fh:
            chunk.append(line)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--ops", required=True, help="the recipe's data, from write_ops()")
    parser.add_argument("--np", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    with (
        multiprocessing.Pool(args.np, initializer=_start, initargs=(args.ops,)) as pool,
        open(args.output, "w", encoding="utf-8") as out,
    ):
        for text in pool.imap(process_chunk, chunks(args.input, args.chunk)):
            out.write(text)


if __name__ == "__main__":
    main()
