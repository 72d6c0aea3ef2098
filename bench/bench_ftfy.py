"""Micro-benchmark: ``ftfy.fix_text`` against ``ftfy_exact.fix_text``, same process, same documents.

Generates web-like documents (fixed seed; about 1 KB, paragraphs on lines of
their own, 2% of words accented, 3% with curly quotes or dashes, and in a
share of the documents one sentence of mojibake: UTF-8 read as cp1252),
checks that both functions return the same string for every document, then
times each ``--repeat`` times, alternating, and prints the best docs/s of
each and the ratio, for the documents without mojibake, with, and all.

    python bench/bench_ftfy.py [--docs 5000] [--mojibake 0.3] [--repeat 3]

Goal: ftfy_exact at least 5x ftfy's docs/s on documents that need no mojibake fix.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import ftfy

from datamill.demo.corpus import WORDS, mojibake
from datamill.ops.text.ftfy_exact import fix_text

ACCENTED = ["café", "naïve", "résumé", "jalapeño", "façade", "Zürich", "Málaga", "São", "Ångström", "crème"]
QUOTED = ["it’s", "don’t", "“quoted”", "they’re", "—", "…", "‘single’", "–"]


def sentence(rng: random.Random, spoiled: bool) -> str:
    words = []
    for _ in range(rng.randint(6, 20)):
        x = rng.random()
        words.append(
            rng.choice(ACCENTED) if x < 0.02 else rng.choice(QUOTED) if x < 0.05 else rng.choice(WORDS)
        )
    text = " ".join(words).capitalize() + rng.choice(".!?")
    return mojibake(text) if spoiled else text


def document(rng: random.Random, spoiled: bool) -> str:
    sentences = [sentence(rng, False) for _ in range(rng.randint(8, 16))]
    if spoiled:
        sentences[rng.randrange(len(sentences))] = sentence(rng, True)
    paragraphs, at = [], 0
    while at < len(sentences):
        step = rng.randint(2, 4)
        paragraphs.append(" ".join(sentences[at : at + step]))
        at += step
    return "\n".join(paragraphs)


def reference(text: str) -> str:
    return ftfy.fix_text(text, normalization="NFC")


def fast(text: str) -> str:
    return fix_text(text, "NFC")


def rate(fn: Callable[[str], str], docs: list[str]) -> float:
    started = time.perf_counter()
    for doc in docs:
        fn(doc)
    return len(docs) / (time.perf_counter() - started)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=5000)
    p.add_argument("--mojibake", type=float, default=0.3, help="share of documents with a mojibake sentence")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    rng = random.Random(args.seed)
    spoiled = [rng.random() < args.mojibake for _ in range(args.docs)]
    docs = [document(rng, s) for s in spoiled]
    clean = [d for d, s in zip(docs, spoiled, strict=True) if not s]
    spoilt = [d for d, s in zip(docs, spoiled, strict=True) if s]
    reference = lambda t: ftfy.fix_text(t, normalization="NFC")  # noqa: E731
    fast = lambda t: fix_text(t, "NFC")  # noqa: E731
    assert all(fast(d) == reference(d) for d in docs), "outputs differ"
    mean = sum(map(len, docs)) / len(docs)
    print(f"{len(docs)} documents, mean {mean:.0f} chars, {len(clean)} without mojibake")
    for label, subset in [("no mojibake", clean), ("mojibake", spoilt), ("all", docs)]:
        if not subset:
            continue
        ftfy_rate = fast_rate = 0.0
        for _ in range(args.repeat):
            ftfy_rate = max(ftfy_rate, rate(reference, subset))
            fast_rate = max(fast_rate, rate(fast, subset))
        print(
            f"{label:>12}: ftfy.fix_text {ftfy_rate:8.0f} docs/s   ftfy_exact {fast_rate:8.0f} docs/s"
            f"   {fast_rate / ftfy_rate:.1f}x"
        )


if __name__ == "__main__":
    main()
