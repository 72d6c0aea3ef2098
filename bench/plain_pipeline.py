"""The floor datamill is measured against: the six ops as a plain script.

No partitions, no commits, no fault tolerance: read the JSONL, apply the same
transformations document by document on ``multiprocessing.Pool(np)`` in
chunks, write the survivors in order. It uses the same cheap shortcuts as
datamill's ops (skip the email regex without an '@', skip ftfy on text it
cannot change), so that the ratio measures the engine, not the shortcuts.
Only the character sets and patterns (data) come from datamill.

    python bench/plain_pipeline.py INPUT.jsonl OUTPUT.jsonl --np 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re as stdlib_re
from collections.abc import Iterator

import ftfy
import regex

from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR, VARIOUS_WHITESPACES
from datamill.ops.text.clean_email import DEFAULT_EMAIL_PATTERN
from datamill.ops.text.clean_links import DEFAULT_LINK_PATTERN

LINKS = regex.compile(DEFAULT_LINK_PATTERN, flags=regex.DOTALL)
EMAILS = regex.compile(DEFAULT_EMAIL_PATTERN, flags=regex.DOTALL)
TO_SPACE = str.maketrans({ch: " " for ch in VARIOUS_WHITESPACES})
SEPARATORS = str.maketrans({"\n": " ", "\t": " "})
FTFY_MAY_CHANGE = stdlib_re.compile(r"[^\t\n\x20-\x25\x27-\x7e]")


def clean(text: str) -> str | None:
    if LINKS.search(text):
        text = LINKS.sub("", text)
    if "@" in text and EMAILS.search(text):
        text = EMAILS.sub("", text)
    text = text.strip().translate(TO_SPACE)
    if FTFY_MAY_CHANGE.search(text):
        text = ftfy.fix_text(text, normalization="NFC")
    if len(text) < 100:
        return None
    words = sum(1 for w in text.translate(SEPARATORS).split(" ") if w.strip(SPECIAL_CHARACTERS_STR))
    return text if words >= 20 else None


def process_chunk(lines: list[str]) -> str:
    out = []
    for line in lines:
        doc = json.loads(line)
        text = clean(doc["text"])
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
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--np", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=1000)
    args = parser.parse_args()
    with multiprocessing.Pool(args.np) as pool, open(args.output, "w", encoding="utf-8") as out:
        for text in pool.imap(process_chunk, chunks(args.input, args.chunk)):
            out.write(text)


if __name__ == "__main__":
    main()
