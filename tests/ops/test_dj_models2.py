"""perplexity_filter, sentence_split_mapper and token_num_filter against the real Data-Juicer.

``data/dj_reference_models2.json`` was made by ``data/make_dj_reference_models2.py``
running Data-Juicer with the tiny models of ``data/tiny_models_models2.py``; the
test builds the same models into a temporary model cache (and checks they are
byte for byte the ones Data-Juicer used), then checks every case through the
per-sample hook and through the batch path the engine uses.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.error
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import datamill.ops.text.perplexity
import datamill.ops.text.sentence_split
import datamill.ops.text.token_num  # noqa: F401  (registers the ops)
from datamill.errors import ConfigError
from datamill.models import MODEL_DIR_ENV, ModelUnavailable
from datamill.ops.base import Filter, Mapper, Op
from datamill.ops.registry import build_pipeline
from tests.ops.reference import script

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "dj_reference_models2.json").read_text(encoding="ascii"))
CASES: list[dict[str, Any]] = REFERENCE["cases"]
OPS = ("perplexity_filter", "sentence_split_mapper", "token_num_filter")


@cache
def generated_text(seed: int) -> str:
    return str(script("make_dj_reference").generate_text(seed))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tiny models, in a model cache of their own, as Data-Juicer had them."""
    folder = tmp_path_factory.mktemp("models")
    digests = script("tiny_models_models2").populate(folder)
    assert digests == REFERENCE["models"]["sha256"], "the test models differ from Data-Juicer's"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(MODEL_DIR_ENV, str(folder))
        yield folder


def make_op(case: dict[str, Any], folder: Path) -> Op:
    params = {
        k: v.replace("{models}", str(folder)) if isinstance(v, str) else v for k, v in case["params"].items()
    }
    (op,) = build_pipeline([{case["op"]: params}], "text")
    return op


def input_text(case: dict[str, Any]) -> str:
    if "generated" in case:
        text = generated_text(case["generated"]["seed"])
        assert hashlib.sha256(text.encode()).hexdigest() == case["input_sha256"]
        return text
    return str(case["text"])


def check_output(case: dict[str, Any], got: str) -> None:
    if "output_sha256" in case:
        digest = hashlib.sha256(got.encode()).hexdigest()
        assert (len(got), digest) == (case["output_len"], case["output_sha256"])
    else:
        assert got == case["output"]


def utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['op']}:{c['id']}")
def test_per_sample_hook_matches_data_juicer(case: dict[str, Any], models: Path) -> None:
    op = make_op(case, models)
    text = input_text(case)
    if isinstance(op, Mapper):
        check_output(case, op.process_text(text))
        return
    assert isinstance(op, Filter)
    stat = op.compute_stat(text)
    ((key, want),) = case["stats"].items()
    assert (op.stat_key, type(stat), stat) == (key, type(want), want)
    assert op.keep(pa.array([stat])).to_pylist() == [case["keep"]]


def grouped_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in CASES:
        if utf8(case.get("text", "")):
            groups[json.dumps([case["op"], case["params"]], sort_keys=True)].append(case)
    return sorted(groups.items())


@pytest.mark.parametrize(("key", "cases"), grouped_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_batch_path_matches_data_juicer(key: str, cases: list[dict[str, Any]], models: Path) -> None:
    op = make_op(cases[0], models)
    texts = [input_text(c) for c in cases]
    table = pa.table({"text": pa.array(texts, pa.string()), "n": list(range(len(texts)))})
    result = op.run(table)
    assert not result.failures
    out = result.table
    if isinstance(op, Mapper):
        for case, got in zip(cases, out.column("text").to_pylist(), strict=True):
            check_output(case, got)
        return
    assert set(out.column("n").to_pylist()) == {i for i, c in enumerate(cases) if c["keep"]}
    ((key_name, _),) = cases[0]["stats"].items()
    kept = [c["stats"][key_name] for c in cases if c["keep"]]
    assert out.column(f"__dj__stats__.{key_name}").to_pylist() == kept


def test_reference_covers_every_op_and_edge() -> None:
    assert {c["op"] for c in CASES} == set(OPS)
    for op in OPS:
        mine = [c for c in CASES if c["op"] == op]
        assert len({json.dumps(c["params"], sort_keys=True) for c in mine}) >= 2, f"{op}: one parameter set"
        assert any("generated" in c for c in mine), f"{op} lacks a 1 MB case"
        assert any(c.get("text") == "" for c in mine), f"{op} lacks the empty text"
        assert any("\u4e00" <= ch <= "\u9fff" for c in mine for ch in c.get("text", "")), f"{op}: no CJK"
        if op.endswith("_filter"):
            assert {c["keep"] for c in mine} == {True, False}
            for edge in ("min_below", "min_at", "min_above", "max_below", "max_at", "max_above"):
                assert any(f"edge_{edge}:" in c["id"] for c in mine), f"{op} lacks {edge}"


@pytest.mark.parametrize(
    ("op", "params", "module", "extra"),
    [
        ("perplexity_filter", {}, "kenlm", "perplexity"),
        ("perplexity_filter", {}, "sentencepiece", "perplexity"),
        ("sentence_split_mapper", {}, "nltk", "lang"),
        ("token_num_filter", {}, "transformers", "hf"),
    ],
)
def test_missing_package_fails_when_the_pipeline_is_built(
    op: str, params: dict[str, Any], module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError, match=rf'{module}.*pip install "datamill\[{extra}\]"'):
        build_pipeline([{op: params}], "text")


@pytest.mark.parametrize(
    ("op", "params", "what"),
    [
        ("sentence_split_mapper", {"lang": "de"}, "en, fr, pt, es"),
        ("perplexity_filter", {"lang": "../en"}, "language code"),
    ],
)
def test_unsupported_language_is_a_config_error(op: str, params: dict[str, Any], what: str) -> None:
    with pytest.raises(ConfigError, match=what):
        build_pipeline([{op: params}], "text")


def _no_network(*args: object, **kwargs: object) -> None:
    raise urllib.error.URLError("no network in tests")


ONE_ROW = pa.table({"text": ["some text. More text."]})


@pytest.mark.parametrize(("lang", "missing"), [("xx", "xx.sp.model"), ("en", "en.arpa.bin")])
def test_missing_model_stops_the_op_and_names_file_and_url(
    lang: str, missing: str, models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "en.sp.model").write_bytes((models / "en.sp.model").read_bytes())
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    monkeypatch.setattr("urllib.request.urlopen", _no_network)
    (op,) = build_pipeline([{"perplexity_filter": {"lang": lang}}], "text")
    assert isinstance(op, Filter)
    where = rf"{missing}.*data_juicer/models/{missing}.*{tmp_path}"
    with pytest.raises(ModelUnavailable, match=where):
        op.compute_stat("some text")
    # on the engine's path too: not every sample set aside, the op fails
    with pytest.raises(ModelUnavailable, match=where):
        op.run(ONE_ROW)


@pytest.mark.parametrize("name", ["en.sp.model", "en.arpa.bin"])
def test_unreadable_model_file_says_what_to_do(
    name: str, models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for other in ("en.sp.model", "en.arpa.bin"):
        (tmp_path / other).write_bytes(b"not a model\n" if other == name else (models / other).read_bytes())
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    (op,) = build_pipeline([{"perplexity_filter": {}}], "text")
    with pytest.raises(ModelUnavailable, match=f"{tmp_path / name} cannot be read.*Delete it"):
        op.run(ONE_ROW)


def test_punkt_is_read_from_nltks_zip_in_the_cache(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file a download would bring (nltk's punkt_tab.zip) is read as it is."""
    target = tmp_path / "nltk_data" / "tokenizers" / "punkt_tab.zip"
    target.parent.mkdir(parents=True)
    source = models / "nltk_data" / "tokenizers"
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted((source / "punkt_tab").rglob("*")):
            zf.write(path, path.relative_to(source).as_posix())
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    import nltk

    monkeypatch.setattr(nltk.data, "path", [])
    case = next(c for c in CASES if c["id"] == "en:abbreviations")
    (op,) = build_pipeline([{"sentence_split_mapper": {}}], "text")
    assert isinstance(op, Mapper)
    assert op.process_text(case["text"]) == case["output"]


def test_punkt_missing_everywhere_names_the_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    monkeypatch.setattr("urllib.request.urlopen", _no_network)
    import nltk

    monkeypatch.setattr(nltk.data, "path", [])
    (op,) = build_pipeline([{"sentence_split_mapper": {"lang": "pt"}}], "text")
    assert isinstance(op, Mapper)
    with pytest.raises(ModelUnavailable, match=r"punkt_tab\.zip.*nltk_data/gh-pages"):
        op.process_text("Uma frase. Outra frase.")
    with pytest.raises(ModelUnavailable, match=r"punkt_tab\.zip.*nltk_data/gh-pages"):
        op.run(ONE_ROW)


def test_unloadable_tokenizer_is_a_model_error(tmp_path: Path) -> None:
    (op,) = build_pipeline([{"token_num_filter": {"hf_tokenizer": str(tmp_path)}}], "text")
    assert isinstance(op, Filter)
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        op.compute_stat("some text")
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        op.run(ONE_ROW)
