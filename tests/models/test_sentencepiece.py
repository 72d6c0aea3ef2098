"""The SentencePiece loader and the word splitter that the word-based ops share."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from datamill.errors import ConfigError
from datamill.models import MODEL_DIR_ENV, ModelUnavailable
from datamill.models.sentencepiece import (
    WordSplitter,
    load_sentencepiece,
    model_name,
    split_on_whitespace,
)
from tests.ops.data import tiny_models_models1


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    (tmp_path / "en.sp.model").write_bytes(tiny_models_models1.train_sentencepiece("en"))
    return tmp_path


def test_data_juicer_file_names() -> None:
    assert model_name("en") == "en.sp.model"
    assert model_name("zh") == "zh.sp.model"


def test_without_a_model_words_are_split_on_space_newline_and_tab_only() -> None:
    text = "a  b\tc\n\nd\re\u00a0f\u3000g "
    assert split_on_whitespace(text) == ["a", "b", "c", "d\re\u00a0f\u3000g"]
    assert WordSplitter("op", "en", tokenization=False).words(text) == split_on_whitespace(text)
    assert split_on_whitespace("") == [] and split_on_whitespace(" \n\t") == []


def test_with_a_model_words_are_its_pieces(cache: Path) -> None:
    splitter = WordSplitter("op", "en", tokenization=True)
    words = splitter.words("The quick fox, jumped!")
    assert "".join(words).replace("\u2581", " ").strip() == "The quick fox, jumped!"
    assert words[0].startswith("\u2581")
    assert splitter.words("") == []


def test_the_batch_gives_the_words_of_each_document(cache: Path) -> None:
    splitter = WordSplitter("op", "en", tokenization=True)
    texts = ["The quick fox", "", "\u8fd9\u662f\u6d4b\u8bd5 the end", "a\nb\tc"]
    assert splitter.words_of(texts) == [splitter.words(t) for t in texts]


def test_the_model_is_loaded_once_per_process(cache: Path) -> None:
    assert load_sentencepiece("en") is load_sentencepiece("en")


def test_a_missing_model_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    monkeypatch.setattr("datamill.models.sentencepiece.SENTENCEPIECE_URL", "http://127.0.0.1:9/")
    splitter = WordSplitter("op", "xx", tokenization=True)
    with pytest.raises(ModelUnavailable, match=r"xx\.sp\.model"):
        splitter.load()


def test_a_missing_package_is_a_config_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    with pytest.raises(ConfigError, match=r"my_op.*pip install \"datamill\[lang\]\""):
        WordSplitter("my_op", "en", tokenization=True)
    assert WordSplitter("my_op", "en", tokenization=False).words("a b") == ["a", "b"]
