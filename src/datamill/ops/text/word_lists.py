"""flagged_words_filter and stopwords_filter: the share of a document's words found in a word list.

Both compute, as Data-Juicer does, the words of the document (split on ' ',
'\\n', '\\t', or a SentencePiece model's pieces with ``tokenization: true``),
lowered and stripped of special characters (empty ones dropped), optionally
followed by "augmented" words: every run of ``n`` consecutive words joined with
``words_aug_join_char``, for each ``n`` in ``words_aug_group_sizes`` (for
languages written without spaces, or with a space between syllables). The
statistic is the fraction of those words that are in the list of ``lang``
(``all``: every language's list together), 0.0 for a document without words.

The lists are JSON files mapping a language to its words, Data-Juicer's
``flagged_words.json`` and ``stopwords.json``: every ``*.json`` file whose name
contains the list's type, in ``flagged_words_dir`` / ``stopwords_dir``, merged
by language. Left unset, the folder is the model cache, where the file is
downloaded from Data-Juicer on first use. The ratios depend on the exact lists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import PositiveInt

from datamill.errors import ConfigError
from datamill.models.cache import fetch, model_dir
from datamill.models.loaded import load_once
from datamill.models.sentencepiece import WordSplitter
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS, SPECIAL_CHARACTERS_STR
from datamill.ops.text.stat_arrays import float_array

WORD_LISTS_URL = "https://dail-wlcb.oss-cn-wulanchabu.aliyuncs.com/data_juicer/"
"""Where Data-Juicer downloads ``flagged_words.json`` and ``stopwords.json`` from."""

WordLists = dict[str, frozenset[str]]


def list_files(folder: Path, kind: str) -> list[Path]:
    """The JSON files in ``folder`` that hold lists of ``kind``, as Data-Juicer picks them."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(".json") and kind in p.name and p.is_file())


def read_word_lists(files: Sequence[Path]) -> WordLists:
    """The lists of every language in ``files``, merged; ``all`` is their union unless a file has one."""
    merged: dict[str, set[str]] = {}
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for lang, words in json.load(fh).items():
                merged.setdefault(lang, set()).update(words)
    if "all" not in merged:
        merged["all"] = set().union(*merged.values())
    return {lang: frozenset(words) for lang, words in merged.items()}


def load_word_lists(kind: str, directory: str | None) -> WordLists:
    """The word lists of ``kind`` from ``directory`` (or the model cache), read once per process."""
    folder = Path(directory).expanduser() if directory else model_dir()
    files = list_files(folder, kind)
    if not files:
        files = [fetch(f"{kind}.json", f"{WORD_LISTS_URL}{kind}.json")]
    return load_once(("word_lists", kind, tuple(map(str, files))), lambda: read_word_lists(files))


def refine(words: list[str]) -> list[str]:
    """Words lowered and stripped of special characters; empty ones dropped.

    A word is stripped only when one of its ends is special: ``str.strip`` with
    the long list of special characters scans it for every character it keeps.
    """
    special, strip = SPECIAL_CHARACTERS, SPECIAL_CHARACTERS_STR
    lowered = (word.lower() for word in words)
    return [
        w
        for w in (x.strip(strip) if x and (x[0] in special or x[-1] in special) else x for x in lowered)
        if w
    ]


def augment(words: list[str], group_sizes: Sequence[int], join_char: str) -> list[str]:
    """``words`` followed by every run of ``n`` consecutive words joined, for each ``n``."""
    extra = [join_char.join(words[i : i + n]) for n in group_sizes for i in range(len(words) - n + 1)]
    return words + extra


class WordListRatioFilter(Filter):
    """The fraction of a document's refined words that are in the list of one language."""

    kind_of_list = ""

    def configure(
        self,
        lang: str,
        tokenization: bool,
        ratio_range: tuple[float, float],
        words_dir: str | None,
        words_aug: tuple[bool, Sequence[int], str],
    ) -> None:
        """Set the op up from its parameters (shared by both ops' ``__init__``)."""
        if words_dir and not list_files(Path(words_dir).expanduser(), self.kind_of_list):
            raise ConfigError(
                f"{self.name}: no file named *{self.kind_of_list}*.json in {words_dir}. Put Data-Juicer's "
                f"{WORD_LISTS_URL}{self.kind_of_list}.json there, or leave the folder unset to download "
                "it into the model cache."
            )
        self.lang = lang
        self.words_dir = words_dir
        self.splitter = WordSplitter(self.name, lang, tokenization)
        use_words_aug, group_sizes, self.join_char = words_aug
        self.group_sizes = tuple(group_sizes) if use_words_aug else ()
        self.min_value, self.max_value = ratio_range
        self._listed: frozenset[str] | None = None

    def listed(self) -> frozenset[str]:
        """The list of ``lang``, loaded on first use."""
        if self._listed is None:
            lists = load_word_lists(self.kind_of_list, self.words_dir)
            if self.lang not in lists:
                raise ConfigError(
                    f"{self.name}: there is no {self.kind_of_list} list for lang '{self.lang}'. "
                    f"Lists: {', '.join(sorted(lists))}."
                )
            self._listed = lists[self.lang]
        return self._listed

    def ratio(self, words: list[str]) -> float:
        """The fraction of listed words among the refined (and augmented) ``words``."""
        refined = refine(words)
        if self.group_sizes:
            refined = augment(refined, self.group_sizes, self.join_char)
        if not refined:
            return 0.0
        listed = self.listed()
        hits = sum(1 for word in refined if word in listed)
        return min(hits / len(refined), 1.0)

    def compute_stat(self, text: str) -> float:
        return self.ratio(self.splitter.words(text))

    def compute_stats(self, table: pa.Table) -> pa.Array:
        texts = table.column(self.text_key).to_pylist()
        return float_array([self.ratio(words) for words in self.splitter.words_of(texts)])

    def run(self, table: pa.Table) -> OpResult:
        if table.num_rows and self.stat_column not in table.column_names:
            # Load here, not inside the per-batch isolation: a missing list or model
            # stops the job instead of setting every sample aside.
            self.listed()
            self.splitter.load()
        return super().run(table)


@register("flagged_words_filter")
class FlaggedWordFilter(WordListRatioFilter):
    """Keep samples whose share of flagged (obscene, offensive) words is in range."""

    stat_key = "flagged_words_ratio"
    kind_of_list = "flagged_words"

    def __init__(
        self,
        lang: str = "en",
        tokenization: bool = False,
        min_ratio: float = 0.0,
        max_ratio: float = 0.045,
        flagged_words_dir: str | None = None,
        use_words_aug: bool = False,
        words_aug_group_sizes: Sequence[PositiveInt] = (2,),
        words_aug_join_char: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        words_aug = (use_words_aug, words_aug_group_sizes, words_aug_join_char)
        self.configure(lang, tokenization, (min_ratio, max_ratio), flagged_words_dir, words_aug)


@register("stopwords_filter")
class StopWordsFilter(WordListRatioFilter):
    """Keep samples whose share of stopwords is in range (prose has many, lists and code few)."""

    stat_key = "stopwords_ratio"
    kind_of_list = "stopwords"

    def __init__(
        self,
        lang: str = "en",
        tokenization: bool = False,
        min_ratio: float = 0.3,
        max_ratio: float = 1.0,
        stopwords_dir: str | None = None,
        use_words_aug: bool = False,
        words_aug_group_sizes: Sequence[PositiveInt] = (2,),
        words_aug_join_char: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        words_aug = (use_words_aug, words_aug_group_sizes, words_aug_join_char)
        self.configure(lang, tokenization, (min_ratio, max_ratio), stopwords_dir, words_aug)
