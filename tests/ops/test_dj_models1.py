"""Word-list, language-id and tokenized word-count filters against the real Data-Juicer.

``data/dj_reference_models1.json`` was made by ``data/make_dj_reference_models1.py``
running Data-Juicer on the same tiny models and word lists that
``data/tiny_models_models1.py`` makes here, in a temporary model cache. Every
parameter set is checked through the per-sample hook and through ``op.run`` on
an Arrow table (in small batches), statistics and kept rows both.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.errors import ConfigError
from datamill.models import MODEL_DIR_ENV, ModelUnavailable
from datamill.ops.base import STATS_PREFIX, Filter
from datamill.ops.registry import build_pipeline
from datamill.ops.text import language_id, word_lists, words_num
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR
from datamill.ops.text.language_id import LanguageIDScoreFilter
from tests.ops.data import make_dj_reference, tiny_models_models1

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "dj_reference_models1.json").read_text(encoding="ascii"))
CASES: list[dict[str, Any]] = REFERENCE["cases"]
OPS = {"flagged_words_filter", "stopwords_filter", "language_id_score_filter", "words_num_filter"}
assert {language_id.__name__, word_lists.__name__, words_num.__name__}  # registers the ops


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A model cache holding the files Data-Juicer was given, and the word-list folders."""
    root = tmp_path_factory.mktemp("models1")
    digests = tiny_models_models1.populate(root / "cache")
    assert digests == REFERENCE["model_sha256"], "the test models differ from those Data-Juicer was given"
    tiny_models_models1.write_word_dirs(root / "words")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(MODEL_DIR_ENV, str(root / "cache"))
        yield root


def text_of(text_id: str) -> str:
    if text_id == "generated_1mb":
        info = REFERENCE["generated_1mb"]
        text = str(make_dj_reference.generate_text(info["seed"]))
        assert hashlib.sha256(text.encode()).hexdigest() == info["sha256"]
        return text
    return str(REFERENCE["texts"][text_id])


def groups() -> list[tuple[str, list[dict[str, Any]]]]:
    by_key: dict[str, list[dict[str, Any]]] = {}
    for case in CASES:
        by_key.setdefault(json.dumps([case["op"], case["params"]], sort_keys=True), []).append(case)
    return sorted(by_key.items())


def make_op(case: dict[str, Any], root: Path) -> Filter:
    params = {
        k: v.replace("{words}", str(root / "words")) if isinstance(v, str) else v
        for k, v in case["params"].items()
    }
    (op,) = build_pipeline([{case["op"]: params}], "text")
    assert isinstance(op, Filter)
    return op


def per_sample(op: Filter, text: str) -> tuple[dict[str, Any], bool]:
    if isinstance(op, LanguageIDScoreFilter):
        lang, score = op.predict(text)
        keep = op.keep_languages(pa.array([lang]), pa.array([score], pa.float64())).to_pylist()[0]
        return {"lang": lang, "lang_score": score}, keep
    stat = op.compute_stat(text)
    return {op.stat_key: stat}, op.keep(pa.array([stat])).to_pylist()[0]


@pytest.mark.parametrize(("key", "cases"), groups(), ids=lambda v: v if isinstance(v, str) else "")
def test_per_sample_hook_matches_data_juicer(models: Path, key: str, cases: list[dict[str, Any]]) -> None:
    op = make_op(cases[0], models)
    wrong = []
    for case in cases:
        stats, keep = per_sample(op, text_of(case["text_id"]))
        types = {k: type(v) for k, v in stats.items()}
        if stats != case["stats"] or types != {k: type(v) for k, v in case["stats"].items()}:
            wrong.append((case["text_id"], "stats", stats, case["stats"]))
        if keep != case["keep"]:
            wrong.append((case["text_id"], "keep", keep, case["keep"]))
    assert not wrong


@pytest.mark.parametrize(("key", "cases"), groups(), ids=lambda v: v if isinstance(v, str) else "")
def test_batch_path_matches_data_juicer(models: Path, key: str, cases: list[dict[str, Any]]) -> None:
    op = make_op(cases[0], models)
    op.batch_size = 7
    texts = [text_of(c["text_id"]) for c in cases]
    out = op.run(pa.table({"text": pa.array(texts, pa.string()), "n": list(range(len(texts)))}))
    assert not out.failures
    kept = out.table.column("n").to_pylist()
    assert kept == [i for i, c in enumerate(cases) if c["keep"]]
    arrow_types = {int: pa.int64(), float: pa.float64(), str: pa.string()}
    for name, value in cases[0]["stats"].items():
        assert out.table.schema.field(STATS_PREFIX + name).type == arrow_types[type(value)]
        got = out.table.column(STATS_PREFIX + name).to_pylist()
        assert got == [cases[i]["stats"][name] for i in kept], name
    # the statistics of the rows that were not kept too, from the batch hook
    table = pa.table({"text": pa.array(texts, pa.string())})
    if isinstance(op, LanguageIDScoreFilter):
        langs, scores = op.predict_table(table)
        assert langs.to_pylist() == [c["stats"]["lang"] for c in cases]
        assert scores.to_pylist() == [c["stats"]["lang_score"] for c in cases]
    else:
        assert op.compute_stats(table).to_pylist() == [c["stats"][op.stat_key] for c in cases]


def test_every_op_has_hard_cases() -> None:
    assert {c["op"] for c in CASES} == OPS
    for name in OPS:
        mine = [c for c in CASES if c["op"] == name]
        ids = {c["text_id"] for c in mine}
        assert {"empty", "whitespace_only", "cjk_zh", "code_python", "generated_1mb"} <= ids, name
        assert any(c["keep"] for c in mine) and not all(c["keep"] for c in mine), name
        if name != "language_id_score_filter":
            assert any(c["params"].get("tokenization") for c in mine), name
    for name in ("flagged_words_filter", "stopwords_filter"):
        mine = [c for c in CASES if c["op"] == name]
        assert any(c["params"].get("use_words_aug") for c in mine)
        assert any(c["params"].get("lang") == "all" for c in mine)
        assert any(c["params"].get("tokenization") and next(iter(c["stats"].values())) > 0 for c in mine)


@pytest.mark.parametrize(
    ("op", "params", "module"),
    [
        ("words_num_filter", {"tokenization": True}, "sentencepiece"),
        ("flagged_words_filter", {"tokenization": True}, "sentencepiece"),
        ("stopwords_filter", {"tokenization": True}, "sentencepiece"),
        ("language_id_score_filter", {}, "fasttext"),
    ],
)
def test_a_missing_package_fails_at_load_time_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, op: str, params: dict[str, Any], module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError, match=r'pip install "datamill\[lang\]"'):
        build_pipeline([{op: params}], "text")


def test_word_lists_without_tokenization_need_no_package(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    (op,) = build_pipeline([{"flagged_words_filter": {}}], "text")
    assert isinstance(op, Filter)
    assert op.compute_stat("damn the fox") == 1 / 3


def test_a_missing_model_stops_the_job_instead_of_setting_samples_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    monkeypatch.setattr("datamill.models.fasttext.LANGUAGE_ID_URL", "http://127.0.0.1:9/lid.176.bin")
    (op,) = build_pipeline([{"language_id_score_filter": {}}], "text")
    with pytest.raises(ModelUnavailable, match=r"lid\.176\.bin"):
        op.run(pa.table({"text": ["hello world"]}))


def test_an_empty_table_needs_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    empty = pa.table({"text": pa.array([], pa.string())})
    for entry in ({"language_id_score_filter": {}}, {"words_num_filter": {"tokenization": True}}):
        (op,) = build_pipeline([entry], "text")
        assert op.run(empty).table.num_rows == 0


def test_language_stats_already_there_are_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))  # no model: it must not be needed
    (op,) = build_pipeline([{"language_id_score_filter": {"lang": ["fr"], "min_score": 0.5}}], "text")
    table = pa.table(
        {
            "text": ["a", "b", "c"],
            STATS_PREFIX + "lang": ["fr", "en", "fr"],
            STATS_PREFIX + "lang_score": [0.9, 0.9, 0.4],
        }
    )
    assert op.run(table).table.column("text").to_pylist() == ["a"]


def test_an_unknown_language_is_a_config_error(models: Path) -> None:
    (op,) = build_pipeline([{"stopwords_filter": {"lang": "xx"}}], "text")
    with pytest.raises(ConfigError, match=r"no stopwords list for lang 'xx'.*en"):
        op.run(pa.table({"text": ["the fox"]}))


def test_a_folder_without_lists_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no file named \*flagged_words\*.json"):
        build_pipeline([{"flagged_words_filter": {"flagged_words_dir": str(tmp_path)}}], "text")


def test_group_sizes_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="words_aug_group_sizes"):
        build_pipeline([{"stopwords_filter": {"words_aug_group_sizes": [0]}}], "text")


CHARS = st.sampled_from("ab\u03a3\u0130 .,!1\u2581\U0001f600\u3000\u00a0")
PIECES = st.lists(st.text(alphabet=CHARS, max_size=6))


@settings(max_examples=300, deadline=None)
@given(PIECES)
def test_the_shortcuts_strip_as_str_strip_does(pieces: list[str]) -> None:
    strip = SPECIAL_CHARACTERS_STR
    assert words_num.count_pieces(pieces) == sum(1 for p in pieces if p.strip(strip))
    assert word_lists.refine(pieces) == [w for w in (p.lower().strip(strip) for p in pieces) if w]
