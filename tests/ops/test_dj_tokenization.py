"""``tokenization: true`` of word_repetition_filter, remove_words_with_incorrect_substrings_mapper
and alphanumeric_filter against the real Data-Juicer.

``data/dj_reference_tokenization.json`` was made by ``data/make_dj_reference_tokenization.py``
running Data-Juicer with tiny SentencePiece models and Hugging Face tokenizers; the test
builds the same files (and checks they are byte for byte the ones Data-Juicer used) into a
temporary model cache, then checks every case through the per-sample hook and through the
batch path the engine uses.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.error
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import datamill.ops.text.alphanumeric
import datamill.ops.text.incorrect_substrings
import datamill.ops.text.repetition  # noqa: F401  (registers the ops)
from datamill.errors import ConfigError
from datamill.models import MODEL_DIR_ENV, ModelUnavailable
from datamill.models.hf_tokenizer import load_tokenizer
from datamill.ops.base import Filter, Mapper, Op
from datamill.ops.registry import build_pipeline
from tests.ops.reference import script

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "dj_reference_tokenization.json").read_text(encoding="ascii"))
CASES: list[dict[str, Any]] = REFERENCE["cases"]
TEXTS: dict[str, str] = REFERENCE["texts"]
OPS = ("word_repetition_filter", "remove_words_with_incorrect_substrings_mapper", "alphanumeric_filter")
TOKENIZER = "EleutherAI/pythia-6.9b-deduped"
ONE_ROW = pa.table({"text": ["some text. More text."]})


@cache
def input_text(text_id: str) -> str:
    if text_id != "generated_1mb":
        return TEXTS[text_id]
    big = REFERENCE["generated_1mb"]
    text = str(script("make_dj_reference").generate_text(big["seed"]))
    assert hashlib.sha256(text.encode()).hexdigest() == big["sha256"]
    return text


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny models, as Data-Juicer had them."""
    folder = tmp_path_factory.mktemp("models")
    digests = script("make_dj_reference_tokenization").populate(folder)
    assert digests == REFERENCE["models"]["sha256"], "the test models differ from Data-Juicer's"
    return folder


def make_op(case: dict[str, Any], models: Path, monkeypatch: pytest.MonkeyPatch) -> Op:
    """The case's op, with the model cache it ran with (a tokenizer's own folder for alphanumeric)."""
    monkeypatch.setenv(MODEL_DIR_ENV, str(models / case.get("model_home", "")))
    (op,) = build_pipeline([{case["op"]: case["params"]}], "text")
    return op


def check_output(case: dict[str, Any], got: str) -> None:
    if "output_sha256" in case:
        digest = hashlib.sha256(got.encode()).hexdigest()
        assert (len(got), digest) == (case["output_len"], case["output_sha256"])
    else:
        assert got == case["output"]


def case_id(case: dict[str, Any]) -> str:
    params = json.dumps(case["params"], sort_keys=True, ensure_ascii=True)
    return f"{case['op']}:{case.get('model_home', '')}:{params}:{case['text_id']}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_per_sample_hook_matches_data_juicer(
    case: dict[str, Any], models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    op = make_op(case, models, monkeypatch)
    text = input_text(case["text_id"])
    if isinstance(op, Mapper):
        check_output(case, op.process_text(text))
        return
    assert isinstance(op, Filter)
    stat = op.compute_stat(text)
    ((key, want),) = case["stats"].items()
    assert (op.stat_key, type(stat), stat) == (key, type(want), want)
    assert op.keep(pa.array([stat])).to_pylist() == [case["keep"]]


def utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def grouped_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in CASES:
        if utf8(TEXTS.get(case["text_id"], "")):
            key = json.dumps([case["op"], case.get("model_home", ""), case["params"]], sort_keys=True)
            groups[key].append(case)
    return sorted(groups.items())


@pytest.mark.parametrize(("key", "cases"), grouped_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_batch_path_matches_data_juicer(
    key: str, cases: list[dict[str, Any]], models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    op = make_op(cases[0], models, monkeypatch)
    op.batch_size = 7  # several batches per table
    texts = [input_text(c["text_id"]) for c in cases]
    table = pa.table({"text": pa.array(texts, pa.string()), "n": list(range(len(texts)))})
    result = op.run(table)
    assert not result.failures
    out = result.table
    if isinstance(op, Mapper):
        for case, got in zip(cases, out.column("text").to_pylist(), strict=True):
            check_output(case, got)
        return
    assert out.column("n").to_pylist() == [i for i, c in enumerate(cases) if c["keep"]]
    ((key_name, _),) = cases[0]["stats"].items()
    stats = out.column(f"__dj__stats__.{key_name}")
    assert stats.type == pa.float64()
    assert stats.to_pylist() == [c["stats"][key_name] for c in cases if c["keep"]]


def test_reference_covers_every_op_and_edge() -> None:
    assert {c["op"] for c in CASES} == set(OPS)
    for op in OPS:
        mine = [c for c in CASES if c["op"] == op and c["params"].get("tokenization")]
        assert len({json.dumps(c["params"], sort_keys=True) for c in mine}) >= 2, f"{op}: one parameter set"
        ids = {c["text_id"] for c in mine}
        assert {"generated_1mb", "empty", "whitespace_only", "cjk_zh", "code", "html", "emoji"} <= ids, op
        if op.endswith("_filter"):
            assert {c["keep"] for c in mine} == {True, False}, op
            stat = [c["stats"][next(iter(c["stats"]))] for c in mine]
            for bound in ("min_ratio", "max_ratio"):
                at = [c for c, v in zip(mine, stat, strict=True) if c["params"].get(bound) == v]
                assert {c["keep"] for c in at} == {True, False}, f"{op}: no case at {bound}"
                near = [
                    c
                    for c, v in zip(mine, stat, strict=True)
                    if 0 < abs(c["params"].get(bound, -9) - v) < 0.011
                ]
                assert {c["keep"] for c in near} == {True, False}, f"{op}: no case just beside {bound}"
        else:
            assert any(c["output"] != TEXTS[c["text_id"]] for c in mine if "output" in c), op
            assert any(c["output"] == TEXTS[c["text_id"]] for c in mine if "output" in c), op
    homes = {c.get("model_home") for c in CASES if c["op"] == "alphanumeric_filter"}
    assert homes == {None, "hf-neox", "hf-wordpiece"}


@pytest.mark.parametrize(
    ("op", "module", "extra"),
    [
        ("word_repetition_filter", "sentencepiece", "lang"),
        ("remove_words_with_incorrect_substrings_mapper", "sentencepiece", "lang"),
        ("alphanumeric_filter", "transformers", "hf"),
    ],
)
def test_missing_package_fails_when_the_pipeline_is_built(
    op: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError, match=rf'{module}.*pip install "datamill\[{extra}\]"'):
        build_pipeline([{op: {"tokenization": True}}], "text")
    build_pipeline([{op: {"tokenization": False}}], "text")  # the package is needed only to tokenize


def _no_network(*args: object, **kwargs: object) -> None:
    raise urllib.error.URLError("no network in tests")


@pytest.mark.parametrize("op", ["word_repetition_filter", "remove_words_with_incorrect_substrings_mapper"])
def test_missing_sentencepiece_model_stops_the_op_and_names_file_and_url(
    op: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    monkeypatch.setattr("urllib.request.urlopen", _no_network)
    (built,) = build_pipeline([{op: {"tokenization": True, "lang": "xx"}}], "text")  # nothing loaded yet
    where = rf"xx\.sp\.model.*data_juicer/models/xx\.sp\.model.*{tmp_path}"
    with pytest.raises(ModelUnavailable, match=where):
        built.run(ONE_ROW)  # the engine's path: the op fails, not every sample set aside


def test_alphanumeric_reads_the_tokenizer_from_the_model_cache(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(models / "hf-neox"))
    (op,) = build_pipeline([{"alphanumeric_filter": {"tokenization": True}}], "text")
    assert isinstance(op, Filter) and op.stat_key == "alpha_token_ratio"
    first = load_tokenizer(TOKENIZER)
    assert first is load_tokenizer(TOKENIZER)  # once per process
    (plain,) = build_pipeline([{"alphanumeric_filter": {}}], "text")
    assert isinstance(plain, Filter) and plain.stat_key == "alnum_ratio"


def test_tokenizer_folder_without_files_names_where_to_put_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / TOKENIZER).mkdir(parents=True)
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    (op,) = build_pipeline([{"alphanumeric_filter": {"tokenization": True}}], "text")
    assert isinstance(op, Filter)
    with pytest.raises(ModelUnavailable, match=rf"cannot be loaded.*{tmp_path / TOKENIZER}"):
        op.compute_stat("some text")
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        op.run(ONE_ROW)


def test_tokenizer_that_cannot_be_downloaded_names_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transformers

    def offline(name: str, *args: object, **kwargs: object) -> None:
        assert name == TOKENIZER  # not in the model cache: the hub name goes to Hugging Face
        raise OSError(f"We couldn't connect to 'https://huggingface.co' to load the files of {name}.")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", offline)
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    (op,) = build_pipeline([{"alphanumeric_filter": {"tokenization": True}}], "text")
    with pytest.raises(ModelUnavailable, match=rf"couldn't connect.*{tmp_path / TOKENIZER}"):
        op.run(ONE_ROW)
