"""The deduplication test corpus and the tiny SentencePiece model, rebuilt from a seed.

Shared by the reference generator (run in Data-Juicer's venv) and datamill's
tests: both build the very same texts and model file here, and the reference
JSON records their SHA-256 so a drift shows. Pure stdlib apart from
:func:`train_sentencepiece`, which needs the sentencepiece package.

The corpus plants, around random base documents in English and Chinese: exact
copies, copies differing only in case, whitespace, punctuation or digits, near
copies (a few words or characters changed, a sentence dropped, chains of
edits), far copies (about half the words changed, which no deduplicator should
remove), and short, empty and whitespace-only texts. It is shuffled, so a copy
often comes before its original.
"""

from __future__ import annotations

import hashlib
import io
import random
import string

CORPUS_SEED = 20241117
SENTENCEPIECE_SEED = 20241118

_SYLLABLES = ["ka", "lo", "mi", "ter", "an", "so", "ve", "ru", "din", "pel", "qua", "zo", "ith", "ne", "bra"]
_COMMON = (
    "the of and to in is was for on that with as by at from it this be are or an not which have "
    "data mill text model river stone light paper city music garden window winter market train"
).split()
_CJK_PUNCT = ["\uff0c", "\u3002", "\uff01", "\uff1f", "\u3001"]


def _vocabulary(rng: random.Random) -> list[str]:
    made = {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(600)}
    return _COMMON + sorted(made)


def _english(rng: random.Random, vocab: list[str], words: int) -> str:
    """Sentences of random words, capitalised, punctuated, some split over lines."""
    out: list[str] = []
    left = words
    while left > 0:
        n = min(left, rng.randint(4, 18))
        sentence = [rng.choice(vocab) for _ in range(n)]
        if rng.random() < 0.3:
            sentence[rng.randrange(n)] += ","
        if rng.random() < 0.1:
            sentence[rng.randrange(n)] = str(rng.randint(0, 9999))
        text = " ".join(sentence)
        out.append(text[0].upper() + text[1:] + rng.choice([".", ".", ".", "!", "?", ";"]))
        left -= n
    glue = [rng.choice([" ", " ", " ", "\n", "\n\n"]) for _ in out]
    return "".join(s + g for s, g in zip(out, glue, strict=True)).rstrip()


def _chinese(rng: random.Random, chars: int) -> str:
    out = []
    for i in range(chars):
        out.append(chr(rng.randint(0x4E00, 0x4E00 + 400)))
        if i % rng.randint(6, 20) == 5:
            out.append(rng.choice(_CJK_PUNCT))
    return "".join(out)


def _change_words(rng: random.Random, vocab: list[str], text: str, count: int) -> str:
    words = text.split(" ")
    for _ in range(count):
        words[rng.randrange(len(words))] = rng.choice(vocab)
    return " ".join(words)


def _change_chars(rng: random.Random, text: str, count: int) -> str:
    chars = list(text)
    for _ in range(count):
        chars[rng.randrange(len(chars))] = chr(rng.randint(0x4E00, 0x4E00 + 400))
    return "".join(chars)


def _respace(rng: random.Random, text: str) -> str:
    """The same words with other whitespace: doubled spaces, newlines, tabs, padding."""
    pieces = text.split(" ")
    seps = [rng.choice([" ", "  ", "\n", "\t", " \n "]) for _ in pieces[1:]]
    body = pieces[0] + "".join(s + p for s, p in zip(seps, pieces[1:], strict=True))
    return rng.choice(["", " ", "\n"]) + body + rng.choice(["", "  ", "\n\t"])


def _repunctuate(rng: random.Random, text: str) -> str:
    table = str.maketrans({".": rng.choice(["", "!", ";"]), ",": rng.choice(["", ";", " -"])})
    return text.translate(table)


def _redigit(rng: random.Random, text: str) -> str:
    return "".join(rng.choice(string.digits) if c.isdigit() else c for c in text) + f" {rng.randint(0, 99)}"


def _english_family(rng: random.Random, vocab: list[str]) -> list[str]:
    """A base document and the copies planted around it."""
    words = rng.choice([3, 5, 6, 7, 12, 25, 60, 120, 250])
    base = _english(rng, vocab, words)
    family = [base]
    makers = [
        lambda t: t,
        lambda t: t.upper() if rng.random() < 0.5 else t.lower(),
        lambda t: _respace(rng, t),
        lambda t: _repunctuate(rng, t),
        lambda t: _redigit(rng, t),
        lambda t: _change_words(rng, vocab, t, rng.choice([1, 1, 2, 3, 5])),
        lambda t: _change_words(rng, vocab, t, max(1, len(t.split(" ")) // 2)),
        lambda t: t.rsplit(".", 1)[0] if "." in t[:-1] else t + " extra words here",
    ]
    for _ in range(rng.choice([0, 1, 1, 2, 3, 4])):
        family.append(rng.choice(makers)(rng.choice(family)))
    return family


def _chinese_family(rng: random.Random) -> list[str]:
    base = _chinese(rng, rng.choice([4, 10, 40, 120, 300]))
    family = [base]
    for _ in range(rng.choice([0, 1, 2, 3])):
        source = rng.choice(family)
        kind = rng.random()
        if kind < 0.25:
            family.append(source)
        elif kind < 0.75:
            family.append(_change_chars(rng, source, rng.choice([1, 2, 4])))
        else:
            family.append(_change_chars(rng, source, len(source) // 2))
    return family


SHORT_TEXTS = [
    "",
    "",
    " ",
    "\n",
    " \t\n ",
    "a",
    "A",
    "hi there",
    "Hi there!",
    "hi, there",
    "one two three four five",
    "one two three four five",
    "One two three four five six",
    "Hello, World! 123",
    "hello world",
    "!!!",
    "12345",
    "\u4f60\u597d",
    "\u4f60\u597d\uff01",
    "caf\u00e9 na\u00efve \u00fcber",
    "CAF\u00c9 NA\u00cfVE \u00dcBER",
    "\U0001f600 emoji \U0001f600 text \U0001f44d here and there again",
    "def f(x):\n    return x + 1  # code\n",
    "def f(y):\n    return y + 1  # code\n",
]


def make_corpus(seed: int = CORPUS_SEED) -> list[str]:
    """The shuffled corpus: planted English and Chinese families and short texts."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    docs = list(SHORT_TEXTS)
    for _ in range(140):
        docs.extend(_english_family(rng, vocab))
    for _ in range(30):
        docs.extend(_chinese_family(rng))
    rng.shuffle(docs)
    return docs


def corpus_sha256(docs: list[str]) -> str:
    """A digest of the corpus, texts and boundaries."""
    digest = hashlib.sha256()
    for text in docs:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def _sentencepiece_lines() -> list[str]:
    rng = random.Random(SENTENCEPIECE_SEED)
    vocab = _vocabulary(rng)
    return [_english(rng, vocab, rng.randint(5, 30)) for _ in range(800)] + [
        _chinese(rng, rng.randint(5, 40)) for _ in range(200)
    ]


def train_sentencepiece() -> bytes:
    """A tiny SentencePiece model trained on made-up text; the same bytes on every run."""
    import sentencepiece as spm

    spm.set_random_generator_seed(SENTENCEPIECE_SEED)
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_sentencepiece_lines()),
        model_writer=out,
        vocab_size=800,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return out.getvalue()
