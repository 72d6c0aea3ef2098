"""A corpus with planted near-duplicates, for bench_dedup.

N JSON lines ``{"id": i, "text": ...}`` of English-like prose: words drawn
from a Zipf law over a vocabulary of common English words and made-up ones,
sentences with capitals and punctuation, paragraphs split by "\\n"; 200 to
5,000 characters, about 2 KB on average. Exactly one document in ten (per
block of :data:`BLOCK` documents) is planted as a copy of an earlier
document, drawn uniformly from all before it (a copy may itself be a copy):
a quarter are exact copies, the rest near-duplicates with about one edit per
120 words: a word replaced, a word's case changed, a punctuation mark
changed, a space doubled or made a line break; one in ten near-duplicates
also has its whole text lower- or uppercased. Close enough that MinHash with
Data-Juicer's defaults (Jaccard 0.7 on 5-word shingles, lowercased) catches
nearly all of them.

The text is assembled in numpy, a block at a time, from a table of the JSON
bytes of every word form, so 1,000,000 documents (about 2 GB) take well under
a minute. The same seed gives the same bytes, and the first K documents of a
corpus of N are the corpus of K (every random draw is keyed by the block), so
a smaller run is a prefix of a larger one. Next to ``dedup_{N}_{seed}.jsonl``,
``dedup_{N}_{seed}.planted.json`` lists each planted copy: its id, the id it
copies, and whether it is exact.

    python bench/dedup_corpus.py [--docs 10000] [--seed 2026] [--out bench/out]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from web_corpus import WORD_LIST

HERE = Path(__file__).resolve().parent
BLOCK = 10_000
"""Documents per block; part of the corpus's identity (the draws are keyed by block)."""
DUP_SHARE = 0.10
EXACT_SHARE = 0.25
"""Share of the planted copies that are exact."""
EDIT_RATE = 1 / 120
"""Edits per word of a near-duplicate, on top of the one it always has."""
VOCABULARY = 30_000
CASES = 3  # lower, Capitalised, UPPER
MARKS = ("", ".", ",", "?")
FORMS = CASES * len(MARKS)
SEPARATORS = (" ", "\n", "  ", "")
"""Between words: a space, a paragraph break, a double space; nothing after the last word."""
SPACE, BREAK, DOUBLE, NONE = range(len(SEPARATORS))
WIDTH = 16
"""Bytes per piece, at most: a made-up word has at most 12 letters."""
ZIPF_TABLE = 1 << 20
"""A word is drawn as a uniform index into a table of this many word ids laid out by the Zipf law."""


def vocabulary(size: int) -> list[str]:
    """Common English words first, then made-up words of one to three syllables (fixed seed)."""
    rng = np.random.default_rng(12345)
    onsets = "b c d f g h j k l m n p r s t v w z br ch cl dr fl gr pl pr sh st th tr".split()
    vowels = "a e i o u a e i o u ai ea ee ou oo".split()
    codas = ["", "", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "rk"]
    words = list(dict.fromkeys(WORD_LIST))
    seen = set(words)
    while len(words) < size:
        syllables = int(rng.choice([1, 2, 2, 2, 3, 3]))
        parts = [
            onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))] for _ in range(syllables)
        ]
        word = "".join(parts) + codas[rng.integers(len(codas))]
        if len(word) <= 12 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Pieces:
    """The JSON bytes of every word form followed by every separator, as rows of a table.

    A row's id is ``(word * FORMS + case * len(MARKS) + mark) * len(SEPARATORS) + sep``;
    each row holds its bytes left-aligned in :data:`WIDTH` bytes, so that joining
    pieces is a gather of rows and one mask."""

    def __init__(self, words: list[str]) -> None:
        forms = [c + m for w in words for c in (w, w.capitalize(), w.upper()) for m in MARKS]
        lengths = np.array([len(f) for f in forms], dtype=np.int64)
        padded = np.frombuffer("".join(f.ljust(WIDTH, "\0") for f in forms).encode("ascii"), np.uint8)
        table = np.repeat(padded.reshape(len(forms), 1, WIDTH), len(SEPARATORS), axis=1)
        rows = np.arange(len(forms))
        seps = [json.dumps(sep)[1:-1].encode("ascii") for sep in SEPARATORS]
        for s, sep in enumerate(seps):
            for k, byte in enumerate(sep):
                table[rows, s, lengths + k] = byte
        self.lengths = (lengths[:, None] + np.array([len(b) for b in seps])).ravel()
        if self.lengths.max() > WIDTH:
            raise ValueError(f"a piece is longer than {WIDTH} bytes")
        self.rows = table.reshape(-1, WIDTH).view(f"V{WIDTH}").ravel()
        """Each piece's row as one numpy element (gathering those is a fast copy)."""
        self.masks = (np.arange(WIDTH)[None, :] < self.lengths[:, None]).view(f"V{WIDTH}").ravel()
        """Which bytes of each row are the piece's."""

    def join(self, ids: np.ndarray) -> np.ndarray:
        """The bytes of the pieces ``ids``, one after the other."""
        return self.rows[ids].view(np.uint8)[self.masks[ids].view(np.bool_)]


@dataclass
class Doc:
    """Words as arrays: word ids, case, mark and the separator after each word."""

    word: np.ndarray
    case: np.ndarray
    mark: np.ndarray
    sep: np.ndarray

    def copy(self, start: int = 0, stop: int | None = None) -> Doc:
        """A copy of words ``start:stop``."""
        return Doc(*(a[start:stop].copy() for a in (self.word, self.case, self.mark, self.sep)))

    def piece_ids(self) -> np.ndarray:
        """The id of each word's :class:`Pieces` row."""
        form = self.case.astype(np.int32) * len(MARKS) + self.mark
        return (self.word * FORMS + form) * len(SEPARATORS) + self.sep


class Generator:
    """Blocks of documents, fresh or planted, from draws keyed by seed and block."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.pieces = Pieces(vocabulary(VOCABULARY))
        weights = 1.0 / (np.arange(VOCABULARY) + 2.7) ** 1.05
        cdf = np.cumsum(weights / weights.sum())
        self.zipf = np.searchsorted(cdf, (np.arange(ZIPF_TABLE) + 0.5) / ZIPF_TABLE).astype(np.int32)

    def draw_words(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.zipf[rng.integers(0, ZIPF_TABLE, n, dtype=np.int32)]

    def rng(self, block: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, block, stream])

    def plan(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        """For each document of ``block``: the id it copies (-1 for none), and whether exactly."""
        rng, first = self.rng(block, 0), block * BLOCK
        chosen = rng.choice(np.arange(1 if block == 0 else 0, BLOCK), int(BLOCK * DUP_SHARE), replace=False)
        source = np.full(BLOCK, -1, dtype=np.int64)
        source[chosen] = (rng.random(len(chosen)) * (first + chosen)).astype(np.int64)
        return source, rng.random(BLOCK) < EXACT_SHARE

    def fresh(self, block: int) -> tuple[Doc, np.ndarray]:
        """A block of new documents (Zipf words, sentences of about 13 words, paragraphs):
        the words of all, and where each document's words start, then the end."""
        rng = self.rng(block, 1)
        counts = np.clip(np.rint(rng.lognormal(np.log(280), 0.6, BLOCK)), 40, 700).astype(np.int64)
        total = int(counts.sum())
        word = self.draw_words(rng, total)
        last = np.cumsum(counts) - 1
        ends = rng.random(total) < 1 / 13
        ends[last] = True
        mark = np.where(rng.random(total) < 0.05, 2, 0).astype(np.int8)
        mark[ends] = np.where(rng.random(int(ends.sum())) < 0.06, 3, 1)
        case = (rng.random(total) < 0.02).astype(np.int8)
        case[1:][ends[:-1]] = 1
        case[last - counts + 1] = 1
        sep = np.full(total, SPACE, dtype=np.int8)
        sep[ends & (rng.random(total) < 0.2)] = BREAK
        sep[last] = NONE
        return Doc(word, case, mark, sep), np.concatenate([[0], last + 1])

    def edit(self, doc: Doc, rng: np.random.Generator) -> Doc:
        """A near-duplicate of ``doc``: one edit, plus about one per 120 words."""
        out, n = doc.copy(), len(doc.word)
        for _ in range(1 + rng.poisson(n * EDIT_RATE)):
            at, kind = int(rng.integers(n)), rng.random()
            if kind < 0.4:
                out.word[at] = self.draw_words(rng, 1)[0]
            elif kind < 0.6:
                out.case[at] = (out.case[at] + rng.integers(1, CASES)) % CASES
            elif kind < 0.75:
                out.mark[at] = (out.mark[at] + rng.integers(1, len(MARKS))) % len(MARKS)
            elif at < n - 1:
                out.sep[at] = DOUBLE if out.sep[at] != DOUBLE and rng.random() < 0.6 else BREAK
        if rng.random() < 0.1:
            out.case[:] = 0 if rng.random() < 0.5 else 2
        return out


class Writer:
    """Writes the corpus block by block, keeping the documents later copies need until then."""

    def __init__(self, docs: int, seed: int) -> None:
        self.gen, self.docs = Generator(seed), docs
        self.blocks = -(-docs // BLOCK)
        plans = [self.gen.plan(b) for b in range(self.blocks)]
        self.source = np.concatenate([p[0] for p in plans])[:docs]
        self.exact = np.concatenate([p[1] for p in plans])[:docs]
        self.planted = np.flatnonzero(self.source >= 0)
        self.last_use = {int(s): int(i) for i, s in zip(self.planted, self.source[self.planted], strict=True)}
        """A copied document -> the last copy of it (the planted ids ascend, so the last one wins)."""
        self.kept: dict[int, Doc] = {}

    def block_text(self, block: int) -> tuple[bytes, np.ndarray]:
        """The JSON-escaped texts of a block in one buffer, and where each ends."""
        first, stop = block * BLOCK, min(BLOCK, self.docs - block * BLOCK)
        words, bounds = self.gen.fresh(block)
        for j in range(stop):
            if first + j in self.last_use and self.source[first + j] < 0:
                self.kept[first + j] = words.copy(bounds[j], bounds[j + 1])
        ids, lengths = words.piece_ids(), self.gen.pieces.lengths
        doc_bytes = np.add.reduceat(lengths[ids], bounds[:-1])[:stop]
        rng, pieces, done = self.gen.rng(block, 2), [], 0
        for j in self.planted[(self.planted >= first) & (self.planted < first + stop)] - first:
            i, src = first + j, self.kept[int(self.source[first + j])]
            copy = src.copy() if self.exact[i] else self.gen.edit(src, rng)
            if i in self.last_use:
                self.kept[i] = copy
            pieces += [ids[bounds[done] : bounds[j]], copy.piece_ids()]
            doc_bytes[j] = lengths[pieces[-1]].sum()
            done = j + 1
        pieces.append(ids[bounds[done] : bounds[stop]])
        for k in [k for k in self.kept if self.last_use[k] < first + BLOCK]:
            del self.kept[k]
        return self.gen.pieces.join(np.concatenate(pieces)).tobytes(), np.cumsum(doc_bytes)

    def write(self, path: Path) -> np.ndarray:
        """Write the JSON lines (atomically); returns the texts' lengths in JSON bytes."""
        sizes = []
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            for block in range(self.blocks):
                raw, ends = self.block_text(block)
                starts = np.concatenate([[0], ends[:-1]])
                first = block * BLOCK
                spans = zip(starts.tolist(), ends.tolist(), strict=True)
                fh.write(
                    b"".join(
                        b'{"id": %d, "text": "%s"}\n' % (first + j, raw[s:e])
                        for j, (s, e) in enumerate(spans)
                    )
                )
                sizes.append(ends - starts)
        tmp.replace(path)
        return np.concatenate(sizes)


def write_corpus(path: Path, docs: int, seed: int) -> dict[str, float]:
    """Write ``docs`` documents to ``path`` and the planted copies next to it; returns their facts."""
    writer = Writer(docs, seed)
    sizes = writer.write(path)
    pairs = [[int(i), int(writer.source[i]), bool(writer.exact[i])] for i in writer.planted]
    write_planted(planted_path(path), {"docs": docs, "seed": seed, "planted": pairs})
    return {
        "documents": docs,
        "planted copies": len(pairs),
        "exact copies": sum(p[2] for p in pairs),
        "shortest text bytes": int(sizes.min()),
        "longest text bytes": int(sizes.max()),
        "mean text bytes": float(sizes.mean()),
        "file MB": path.stat().st_size / 1e6,
    }


def planted_path(corpus_path: Path) -> Path:
    return corpus_path.with_suffix(".planted.json")


def write_planted(path: Path, content: dict[str, object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(content, separators=(",", ":")))
    tmp.replace(path)


def read_planted(corpus_path: Path) -> dict[int, tuple[int, bool]]:
    """Planted copy id -> (the id it copies, exact)."""
    content = json.loads(planted_path(corpus_path).read_text())
    return {i: (src, exact) for i, src, exact in content["planted"]}


def corpus(out: Path, docs: int, seed: int) -> Path:
    """The corpus of ``docs`` documents, generated (and described) once per size and seed."""
    path = out / f"dedup_{docs}_{seed}.jsonl"
    if not (path.exists() and planted_path(path).exists()):
        out.mkdir(parents=True, exist_ok=True)
        print(f"generating {docs:,} documents with planted duplicates -> {path}", flush=True)
        started = time.perf_counter()
        facts = write_corpus(path, docs, seed)
        facts["seconds"] = time.perf_counter() - started
        print("  " + "; ".join(f"{k} {v:,.0f}" for k, v in facts.items()), flush=True)
    return path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", type=Path, default=HERE / "out")
    args = p.parse_args()
    print(corpus(args.out.resolve(), args.docs, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
