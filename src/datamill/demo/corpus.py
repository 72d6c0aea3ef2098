"""A generator of C4-like documents: English-like paragraphs with the dirt
that text cleaning exists for (links, emails, odd Unicode whitespace,
mojibake, HTML entities, stray markup) and some documents too short to keep.

The same seed always gives the same documents.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

WORDS = """
the of and to in is was for on that with as by at from it his an were are which this be
or have has had one their not but all new more after first its also two been other who
they time when into most can there only years over some city would world during such
year where then these made may many under state between school people three national
her while later part used him because season including known through since team before
well about use being series both same area until early first water family history
government century against called village each four region however river war local
country high several house around public small second film based day music population
great long major music north south east west american large number place united life
game work york album like during county members group children became company among
system another within final left within early without family around home market paper
research report study data project community process program service business energy
coffee garden kitchen weather morning evening travel library student teacher health
""".split()

ACCENTED = ["café", "naïve", "résumé", "coöperate", "jalapeño", "façade", "Zürich", "déjà vu"]
QUOTED = ["it’s", "don’t", "“quoted”", "they’re", "— dash —", "…"]
ODD_SPACES = ["\u00a0", "\u2009", "\u3000", "\u200b", "\t", "\u2003", "\u202f"]
TLDS = ["com", "org", "net", "io", "co.uk", "de"]
NAMES = ["john", "mary", "info", "sales", "contact", "j.smith", "support", "anna_lee"]


def mojibake(text: str) -> str:
    """``text`` as it looks after UTF-8 bytes were decoded as Windows-1252."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


class CorpusGenerator:
    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)

    def _domain(self) -> str:
        r = self.rng
        return f"{r.choice(WORDS)}{r.choice(WORDS)}.{r.choice(TLDS)}"

    def _link(self) -> str:
        r = self.rng
        kind = r.random()
        path = "/".join(r.choice(WORDS) for _ in range(r.randint(0, 3)))
        if kind < 0.5:
            return f"https://www.{self._domain()}/{path}"
        if kind < 0.8:
            return f"http://{self._domain()}/{path}?id={r.randint(1, 9999)}"
        return f"www.{self._domain()}"

    def _email(self) -> str:
        return f"{self.rng.choice(NAMES)}@{self._domain()}"

    def _token(self) -> str:
        r = self.rng
        x = r.random()
        if x < 0.006:
            return self._link()
        if x < 0.009:
            return self._email()
        if x < 0.014:
            return r.choice(ACCENTED)
        if x < 0.018:
            return r.choice(QUOTED)
        if x < 0.020:
            return "&amp;"
        return r.choice(WORDS)

    def _sentence(self) -> str:
        r = self.rng
        words = [self._token() for _ in range(r.randint(6, 22))]
        words[0] = words[0].capitalize()
        sep = " "
        text = sep.join(words)
        if r.random() < 0.08:
            text = text.replace(" ", r.choice(ODD_SPACES), 1)
        return text + r.choice([".", ".", ".", "!", "?", ":"])

    def _paragraph(self) -> str:
        return " ".join(self._sentence() for _ in range(self.rng.randint(2, 7)))

    def document(self, index: int) -> dict[str, str]:
        r = self.rng
        if r.random() < 0.04:
            text = " ".join(r.choice(WORDS) for _ in range(r.randint(0, 6)))
        else:
            text = "\n\n".join(self._paragraph() for _ in range(r.randint(1, 4)))
        if r.random() < 0.03:
            text = mojibake(text)
        if r.random() < 0.05:
            text = r.choice(ODD_SPACES) + " " + text + "\n "
        return {
            "text": text,
            "url": f"https://{self._domain()}/doc/{index}",
            "timestamp": f"2019-04-{1 + index % 28:02d}T{index % 24:02d}:{index % 60:02d}:00Z",
        }

    def documents(self, n: int) -> Iterator[dict[str, str]]:
        for i in range(n):
            yield self.document(i)


def write_corpus(path: Path, n: int, seed: int = 42) -> Path:
    """Write ``n`` documents as JSONL to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for doc in CorpusGenerator(seed).documents(n):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path
