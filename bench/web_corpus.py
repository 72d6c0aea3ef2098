"""A corpus of web text with web text's noise, for bench_peers.

Documents are C4-like JSON lines (``text``, ``timestamp``, ``url``) of 200 to
5,000 characters, paragraphs separated by "\\n", with the noise the cleaning
ops exist for, at the rates :data:`TARGETS` names: URLs in the three common
forms (some with query strings) and e-mail addresses in sentences, odd gaps
between words (double spaces, tabs, U+3000, U+00A0, U+2009), accented words,
curly quotes, sentences of mojibake (UTF-8 read as Windows-1252: ``â€™``,
``Ã©``) and documents of link and e-mail boilerplate that fall under 100
characters once cleaned. The same size and seed always give the same bytes.

:func:`measure` reads the rates back from the text (not from the generator's
choices), so that a reader, and the tests, can check them.

    python bench/web_corpus.py OUTPUT.jsonl [--docs 2000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

TARGETS = {
    "sentences with a URL": 0.10,
    "sentences with an e-mail": 0.05,
    "odd word gaps": 0.07,
    "accented words": 0.02,
    "words with curly quotes": 0.03,
    "mojibake sentences": 0.04,
    "boilerplate documents": 0.03,
}
"""What share of sentences, word gaps, words or documents carries each kind of noise."""

WORDS = np.array(
    """
the of and to in is was for on that with as by at from it his an were are which this be or have has
had one their not but all new more after first its also two been other who they time when into most
can there only years over some city would world during such year where then these made may many under
state between school people three national her while later part used him because season including
known through since team before well about use being series both same area until early water family
history government century against called village each four region however river war local country
high several house around public small second film based day music population great long major north
south east west american large number place united life game work york album like county members
group children became company among system another within final left without home market paper
research report study data project community process program service business energy coffee garden
kitchen weather morning evening travel library student teacher health recipe price shipping order
customer quality design online free best price review product hotel room beach summer winter support
""".split(),
    dtype=object,
)
WORD_LIST: list[str] = WORDS.tolist()
ACCENTED = np.array(
    "café naïve résumé coöperate jalapeño façade Zürich déjà crème brûlée entrée fiancée soufflé "
    "señor Málaga Genève Köln Gödel São rosé protégé".split(),
    dtype=object,
)
CURLY = np.array(
    "it’s don’t they’re can’t we’ll I’m isn’t you’ve ‘fine’ “great” “best” ‘real’ that’s".split(),
    dtype=object,
)
ODD_GAPS = np.array(["  ", "\t", "\u3000", "\u00a0", "\u2009"], dtype=object)
ENDS = np.array([".", ".", ".", ".", "!", "?"], dtype=object)
TLDS = ["com", "org", "net", "io", "co.uk", "de", "info"]
MAILBOXES = ["info", "sales", "contact", "j.smith", "support", "anna_lee", "press", "hello"]
LABELS = ["Share", "Tweet", "Contact", "Privacy", "Terms", "Follow", "Email", "Home", "Shop", "RSS"]

_SLOPPY_1252 = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xA0)}


def mojibake(text: str) -> str:
    """``text``'s UTF-8 bytes read as Windows-1252 (its five undefined bytes as Latin-1), as browsers do."""
    return text.encode("utf-8").decode("latin-1").translate(_SLOPPY_1252)


class WebCorpus:
    """Documents of web text, drawn from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def _pick(self, items: list[str]) -> str:
        return items[int(self.rng.integers(len(items)))]

    def _domain(self) -> str:
        return f"{self._pick(WORD_LIST)}{self._pick(WORD_LIST)}.{self._pick(TLDS)}"

    def url(self) -> str:
        path = "/".join(WORDS[self.rng.integers(len(WORDS), size=int(self.rng.integers(0, 4)))])
        kind, query = self.rng.random(), f"?id={self.rng.integers(1, 99999)}&ref={self._pick(WORD_LIST)}"
        if kind < 0.45:
            return f"https://www.{self._domain()}/{path}" + (query if self.rng.random() < 0.3 else "")
        if kind < 0.8:
            return f"http://{self._domain()}/{path}" + (query if self.rng.random() < 0.5 else "")
        return f"www.{self._domain()}"

    def email(self) -> str:
        return f"{self._pick(MAILBOXES)}@{self._domain()}"

    def text(self) -> str:
        """One document's text: paragraphs of sentences up to a length drawn for it."""
        rng = self.rng
        goal = int(np.clip(rng.lognormal(7.45, 0.62), 200, 4700))
        words = goal // 6 + 1
        tokens = WORDS[rng.integers(len(WORDS), size=words)]
        draw = rng.random(words)
        accented, curly = draw < 0.02, (draw >= 0.02) & (draw < 0.05)
        tokens[accented] = ACCENTED[rng.integers(len(ACCENTED), size=int(accented.sum()))]
        tokens[curly] = CURLY[rng.integers(len(CURLY), size=int(curly.sum()))]
        gaps = np.full(words, " ", dtype=object)
        odd = rng.random(words) < 0.07
        gaps[odd] = ODD_GAPS[rng.integers(len(ODD_GAPS), size=int(odd.sum()))]
        pieces = self._sentences(tokens.tolist(), gaps)
        text = "".join(pieces).rstrip()
        while len(text) > 5000:  # (mojibake and links lengthen a text; rarely by this much)
            text = text[: text.rindex("\n")] if "\n" in text else text[:5000].rstrip()
        return text if len(text) >= 200 else self.text()  # (short words, rarely)

    def _sentences(self, tokens: list[str], gaps: np.ndarray) -> list[str]:
        """Cut ``tokens`` into sentences and paragraphs; sprinkle links, e-mails and mojibake."""
        rng, most = self.rng, len(tokens) // 6 + 1
        lengths, paragraphs = rng.integers(6, 23, size=most).tolist(), rng.integers(2, 8, size=most).tolist()
        rolls, where = rng.random((most, 3)).tolist(), rng.random((most, 2)).tolist()
        ends = ENDS[rng.integers(len(ENDS), size=most)]
        accents = ACCENTED[rng.integers(len(ACCENTED), size=most)]
        seps = gaps.tolist()
        pieces: list[str] = []
        start, in_paragraph, paragraph = 0, 0, paragraphs[-1]
        for s, (length, (url, email, garbled)) in enumerate(zip(lengths, rolls, strict=True)):
            stop = min(len(tokens), start + length)
            words, sep = tokens[start:stop], seps[start:stop]
            words[0] = words[0][:1].upper() + words[0][1:]
            if url < 0.10:
                words[int(where[s][0] * len(words))] = self.url()
            if email < 0.05:
                words[int(where[s][1] * len(words))] = self.email()
            words[-1] += ends[s]
            in_paragraph += 1
            if in_paragraph == paragraph or stop == len(tokens):
                sep[-1], in_paragraph, paragraph = "\n", 0, paragraphs[s]
            joined = [""] * (2 * len(words))
            joined[::2], joined[1::2] = words, sep
            sentence = "".join(joined)
            if garbled < 0.04:
                plain = not (_ACCENTED.search(sentence) or _CURLY.search(sentence))
                sentence = mojibake(f"{accents[s]} {sentence}" if plain else sentence)
            pieces.append(sentence)
            if stop == len(tokens):
                break
            start = stop
        return pieces

    def boilerplate(self) -> str:
        """Lines of labelled links and addresses: over 200 characters, under 100 once cleaned."""
        lines: list[str] = []
        labels = 0
        while sum(map(len, lines)) < 200:
            target = self.email() if self.rng.random() < 0.3 else self.url()
            lines.append(f"{self._pick(LABELS)}: {target}")
            labels += len(lines[-1]) - len(target) + 1
        return "\n".join(lines) if labels < 90 else self.boilerplate()

    def document(self, index: int) -> dict[str, str]:
        text = self.boilerplate() if self.rng.random() < 0.03 else self.text()
        return {
            "text": text,
            "timestamp": f"2019-04-{1 + index % 28:02d} {index % 24:02d}:{index % 60:02d}:{index % 59:02d}",
            "url": f"https://{self._domain()}/{self._pick(WORD_LIST)}/{index}",
        }

    def documents(self, n: int) -> Iterator[dict[str, str]]:
        for i in range(n):
            yield self.document(i)


_GAP = re.compile(r"[ \t\u3000\u00a0\u2009]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:[ \t\u3000\u00a0\u2009]+|\n|$)")
_URL = re.compile(r"https?://|\bwww\.")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]")
_MOJIBAKE = re.compile(r"â€|Ã[^\sA-Za-z0-9]")
_ACCENTED = re.compile(r"[À-ÖØ-öø-ÿ]")
_CURLY = re.compile(r"[‘’“”]")
_ACCENTED_WORD = re.compile(r"[À-ÖØ-öø-ÿ]\S*")
_CURLY_WORD = re.compile(r"[‘’“”]\S*")
_CLEANED = re.compile(r"\S*(?:https?://|www\.|@)\S*")


def measure(texts: Iterator[str] | list[str]) -> dict[str, float]:
    """The noise rates of ``texts``, read from the text itself (keys as in :data:`TARGETS`),
    with the documents' lengths in characters."""
    n: Counter[str] = Counter()
    lengths = []
    for text in texts:
        lengths.append(len(text))
        n["documents"] += 1
        if len(_CLEANED.sub("", text).strip()) < 100:
            n["boilerplate"] += 1
            continue
        gaps = _GAP.findall(text)
        n["gaps"] += len(gaps)
        n["odd gaps"] += sum(g != " " for g in gaps)
        clean = []
        for sentence in _SENTENCE_END.split(text):
            if sentence:
                n["sentences"] += 1
                n["url"] += bool(_URL.search(sentence))
                n["email"] += bool(_EMAIL.search(sentence))
                if _MOJIBAKE.search(sentence):
                    n["mojibake"] += 1
                else:
                    clean.append(sentence)
        words = " ".join(clean)
        n["words"] += len(words.split())
        n["accented"] += len(_ACCENTED_WORD.findall(words))
        n["curly"] += len(_CURLY_WORD.findall(words))
    sentences, words = max(n["sentences"], 1), max(n["words"], 1)
    return {
        "sentences with a URL": n["url"] / sentences,
        "sentences with an e-mail": n["email"] / sentences,
        "odd word gaps": n["odd gaps"] / max(n["gaps"], 1),
        "accented words": n["accented"] / words,
        "words with curly quotes": n["curly"] / words,
        "mojibake sentences": n["mojibake"] / sentences,
        "boilerplate documents": n["boilerplate"] / max(n["documents"], 1),
        "shortest document": min(lengths, default=0),
        "longest document": max(lengths, default=0),
        "mean document": sum(lengths) / max(len(lengths), 1),
    }


MEASURED = 10_000
"""How many documents, from the first, :func:`write_corpus` measures (the rates settle well before)."""


def write_corpus(path: Path, n: int, seed: int) -> dict[str, float]:
    """Write ``n`` documents to ``path`` (atomically) and return their measured rates."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sample = []
    with open(tmp, "w", encoding="utf-8") as fh:
        for doc in WebCorpus(seed).documents(n):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
            if len(sample) < MEASURED:
                sample.append(doc["text"])
    tmp.replace(path)
    rates = measure(sample)
    rates["documents measured"] = len(sample)
    rates["mean line bytes"] = path.stat().st_size / max(n, 1)
    return rates


def describe(rates: dict[str, float]) -> str:
    """The measured rates as lines a reader can check against the targets."""
    lines = []
    for name, value in rates.items():
        if name in TARGETS:
            lines.append(f"  {name:28}{value:>8.1%}   (target {TARGETS[name]:.0%})")
        else:
            lines.append(f"  {name:28}{value:>8,.0f}")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output", type=Path)
    p.add_argument("--docs", type=int, default=2000)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    print(describe(write_corpus(args.output, args.docs, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
