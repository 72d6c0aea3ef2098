#!/usr/bin/env python3
"""Generate dj_reference_tokenization.json: the REAL Data-Juicer ops with ``tokenization: true``.

Ops: word_repetition_filter and remove_words_with_incorrect_substrings_mapper
(words from a SentencePiece model ``{lang}.sp.model``), alphanumeric_filter
(tokens of the Hugging Face tokenizer ``EleutherAI/pythia-6.9b-deduped``).
Data-Juicer is not a datamill dependency: run this in its throwaway venv (with
sentencepiece and transformers installed there), from the repository root:

    /work/djvenv/bin/python tests/ops/data/make_dj_reference_tokenization.py

The models are tiny ones built by :func:`populate` (importing this script needs
no Data-Juicer; the test calls it too): the en and zh SentencePiece models of
tiny_models_models1.py, the fr one of tiny_models_models2.py (identity
normalisation: its pieces keep line breaks), and the two tokenizers of
tiny_models_models2.py, each in its own folder under the pythia name. Data-Juicer
finds the SentencePiece models in its model cache (``DATA_JUICER_MODELS_CACHE``)
and the tokenizer in its external models home (``DJEMH``, set per tokenizer), so
nothing is downloaded. A case's ``model_home`` names that per-tokenizer folder;
datamill finds the same tokenizer with ``DATAMILL_MODEL_DIR`` pointing at it.

Each case runs through Data-Juicer's batched entry points (``op.process`` for the
mapper; ``op.compute_stats`` then ``op.process`` for a filter) with a batch of one
text, and every parameter set also as one batch of all its texts: both must agree.
Texts are stored once under ``texts``; the ~1 MB input of make_dj_reference.py is
stored as its seed and SHA-256. JSON: ASCII, sorted keys.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT_PATH = HERE / "dj_reference_tokenization.json"
sys.path.insert(0, str(HERE))

import make_dj_reference  # noqa: E402  (stdlib only: generate_text)
import tiny_models_models1 as tiny1  # noqa: E402
import tiny_models_models2 as tiny2  # noqa: E402

TOKENIZER = "EleutherAI/pythia-6.9b-deduped"
HF_HOMES = {"tiny-neox": "hf-neox", "tiny-wordpiece": "hf-wordpiece"}
"""Each tiny tokenizer, by the folder that holds it under TOKENIZER's name."""
BIG = "generated_1mb"


def populate(folder: Path) -> dict[str, str]:
    """Every model the cases use, in ``folder``; the SHA-256 of each file, by relative path."""
    tiny1.populate(folder, lid=False)
    (folder / "fr.sp.model").write_bytes(tiny2.train_sentencepiece("fr"))
    for name, home in HF_HOMES.items():
        tiny2.write_hf_tokenizer(folder / home / TOKENIZER, name)
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


TEXTS = {
    "empty": "",
    "whitespace_only": " \t\n \u3000\u00a0 \r\n",
    "single_space": " ",
    "prose": "The quick brown fox jumps over the lazy dog. The data juicer is a text filter model, "
    "and the mill reads the text.",
    "shouting": "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG. The Quick Brown Fox Jumps Over The Lazy Dog.",
    "code": 'def f(x):\n    """Return x squared."""\n    return x ** 2  # comment\n\nfor i in range(10):\n'
    "\tprint(f(i))\n",
    "latex": "\\begin{equation}\n  E = mc^2 \\quad \\frac{a}{b} \\sum_{i=0}^{n} x_i\n\\end{equation}\n"
    "The proof of \\cite{einstein1905} is left to the reader.",
    "html": '<html><body><p class="x">Hello &amp; welcome!</p><a href="https://example.com/a?b=1">link</a>'
    "</body></html>",
    "cjk_zh": "\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002\u6570\u636e\u5904\u7406\u7684\u6587\u672c\u8fc7"
    "\u6ee4\uff0c\u6211\u5728\u8fd9\u91cc\u6709\u4e00\u4e2a\u8d4c\u535a\u548c\u8bc8\u9a97\u7684\u4f8b\u5b50"
    "\u3002 http://example.cn/\u6570\u636e www.\u6d4b\u8bd5.com",
    "cjk_zh_repeated": "\u6570\u636e\u5904\u7406\u7684\u6587\u672c\u3002" * 15,
    "cjk_ja_ko": "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\ud55c\uad6d\uc5b4 "
    "\ubb38\uc7a5\uc785\ub2c8\ub2e4.",
    "repeated_lines": "the same line again and again\n" * 20,
    "repeated_words": "fox " * 40,
    "half_repeated": "the quick brown fox jumps over the lazy dog " * 3
    + "data juicer mill text filter words model language token sentence piece process table arrow",
    "long_word": "x" * 300 + " " + "supercalifragilisticexpialidocious" * 8,
    "copyright_header": "/*\n * Copyright (c) 2024 Example Inc. All rights reserved.\n * Licensed under the "
    "Apache License, Version 2.0.\n */\nint main() { return 0; }\n",
    "ip_and_urls": "Server 192.168.0.1 and 10.0.0.255:8080 answer at http://example.com/x and "
    "www.example.org. Mail admin@example.com now, or see https://www.test.com//path?q=1.",
    "url_only": "https://www.example.com/index.html",
    "url_glued": "see:http://a.b/c,(www.x.com)and//comment href=x.com",
    "substrings_no_url": "The quick brown fox is running happily; data juicer is quick.",
    "emoji": "Great job \U0001f600\U0001f44d\U0001f3fd! Love it \u2764\ufe0f. Family: "
    "\U0001f468\u200d\U0001f469\u200d\U0001f467.",
    "mixed_scripts": "Caf\u00e9 na\u00efve \u00dcBER Stra\u00dfe \u0395\u03bb\u03bb\u03ac\u03b4\u03b1 "
    "\u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0130stanbul",
    "line_breaks": "one http\ntwo www\r\nthree\rfour\u2028five\u2029six\x85seven.com end",
    "tabs_spaces": "a\tb\t\tc\u00a0d\u2003e\u200bf  g   h    http://x",
    "digits_symbols": "3.14159 2024-06-11 $100 50% #tag @user 1+1=2 ~~~ *** ///",
    "word_start_marks": "\u2581 \u2581\u2581 the\u2581fox \u2581http",
    "normalisable": "\ufb01ne \uff21\uff22\uff23 \u00bd x\u00b2 e\u0301 \u2460 \u2126 "
    "\uff48\uff54\uff54\uff50",
    "special_tokens": "Hello<|endoftext|>world <|padding|> [CLS] [SEP] [UNK] end",
    "space_runs": "a  b    c      d        e",
    "unknown_only": "\u16a0\u16a1\u16a2 \u16a3\u16a4 \u16a5",
}

REPETITION_PARAMS: list[dict[str, Any]] = [
    {"tokenization": True},
    {"tokenization": True, "rep_len": 1, "min_ratio": 0.1, "max_ratio": 0.6},
    {"tokenization": True, "rep_len": 3, "max_ratio": 0.3},
    {"tokenization": True, "lang": "zh", "rep_len": 2, "max_ratio": 0.4},
    {"tokenization": True, "lang": "fr", "rep_len": 2},
    {"tokenization": False, "rep_len": 2},
]
SUBSTRINGS_PARAMS: list[dict[str, Any]] = [
    {"tokenization": True},
    {"tokenization": True, "substrings": ["qu", "ing", "@", "\u2581", "."]},
    {"tokenization": True, "substrings": []},
    {"tokenization": True, "lang": "zh", "substrings": ["\u6570\u636e", "http", "com"]},
    {"tokenization": True, "lang": "fr"},
    {"tokenization": False},
]
ALPHANUMERIC_PARAMS: list[dict[str, Any]] = [
    {"tokenization": True},
    {"tokenization": True, "min_ratio": 1.0, "max_ratio": 3.0},
    {"tokenization": False},
]
PROBES: list[tuple[str, dict[str, Any], str]] = [
    ("word_repetition_filter", {"tokenization": True, "rep_len": 2}, "half_repeated"),
    ("word_repetition_filter", {"tokenization": True, "lang": "zh", "rep_len": 2}, "cjk_zh_repeated"),
    ("alphanumeric_filter", {"tokenization": True}, "prose"),
    ("alphanumeric_filter", {"tokenization": True}, "code"),
]
"""Texts whose statistic the bounds of edge cases are placed around, with the parameters."""
STAT_KEYS = {"word_repetition_filter": "word_rep_ratio", "alphanumeric_filter": "alpha_token_ratio"}


def edge_params(base: dict[str, Any], stat: float, min_key: str, max_key: str) -> list[dict[str, Any]]:
    """Bounds just below, at and just above ``stat``, on each side, closed, open and reversed."""
    below, above, big = stat - 0.01, stat + 0.01, 1e9
    sets = [
        {min_key: below, max_key: big},
        {min_key: stat, max_key: big},
        {min_key: above, max_key: big},
        {min_key: 0.0, max_key: below},
        {min_key: 0.0, max_key: stat},
        {min_key: 0.0, max_key: above},
        {min_key: stat, max_key: big, "min_closed_interval": False},
        {min_key: 0.0, max_key: stat, "max_closed_interval": False},
        {min_key: below, max_key: above, "reversed_range": True},
        {min_key: stat, max_key: above, "reversed_range": True},
    ]
    return [{**base, **bounds} for bounds in sets]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="dj_tokenization_"))
    digests = populate(work)
    os.environ["DATA_JUICER_MODELS_CACHE"] = str(work)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.chdir(work)  # Data-Juicer first looks for a model file under its bare name, here

    import data_juicer
    import data_juicer.utils.model_utils as model_utils
    from data_juicer.ops.filter.alphanumeric_filter import AlphanumericFilter
    from data_juicer.ops.filter.word_repetition_filter import WordRepetitionFilter
    from data_juicer.ops.mapper.remove_words_with_incorrect_substrings_mapper import (
        RemoveWordsWithIncorrectSubstringsMapper,
    )
    from data_juicer.utils.cache_utils import DATA_JUICER_MODELS_CACHE
    from data_juicer.utils.constant import Fields

    assert str(work) == DATA_JUICER_MODELS_CACHE
    classes = {
        "word_repetition_filter": WordRepetitionFilter,
        "remove_words_with_incorrect_substrings_mapper": RemoveWordsWithIncorrectSubstringsMapper,
        "alphanumeric_filter": AlphanumericFilter,
    }

    def build(op_name: str, params: dict[str, Any], home: str | None) -> Any:
        # the tokenizer is looked up under DJEMH when the op is built and when it is first used
        model_utils.DJEMH = str(work / home) if home else None
        return classes[op_name](**params)

    def run(op: Any, texts: list[str]) -> list[Any]:
        assert op.is_batched_op()
        if isinstance(op, RemoveWordsWithIncorrectSubstringsMapper):
            return list(op.process({op.text_key: list(texts)})[op.text_key])
        batch = op.compute_stats({op.text_key: list(texts), Fields.stats: [{} for _ in texts]})
        keeps = [bool(k) for k in op.process(batch)]
        return [(k, dict(s)) for k, s in zip(keeps, batch[Fields.stats], strict=True)]

    big = make_dj_reference.generate_text(make_dj_reference.BIG_SEED)
    texts = {**TEXTS, BIG: big}
    cases: list[dict[str, Any]] = []

    def add_set(op_name: str, params: dict[str, Any], ids: list[str], home: str | None) -> None:
        op = build(op_name, params, home)
        single = [run(op, [texts[i]])[0] for i in ids]
        together = run(op, [texts[i] for i in ids])
        assert single == together, (op_name, params)
        for text_id, result in zip(ids, single, strict=True):
            case: dict[str, Any] = {"op": op_name, "params": params, "text_id": text_id}
            if home:
                case["model_home"] = home
            if isinstance(result, str) and text_id == BIG:
                case.update({"output_sha256": sha256_text(result), "output_len": len(result)})
            elif isinstance(result, str):
                case["output"] = result
            else:
                case["keep"], case["stats"] = result
            cases.append(case)

    def homes(params: dict[str, Any], op_name: str) -> list[str | None]:
        if op_name == "alphanumeric_filter" and params.get("tokenization"):
            return list(HF_HOMES.values())
        return [None]

    plans = {
        "word_repetition_filter": REPETITION_PARAMS,
        "remove_words_with_incorrect_substrings_mapper": SUBSTRINGS_PARAMS,
        "alphanumeric_filter": ALPHANUMERIC_PARAMS,
    }
    for op_name, param_sets in plans.items():
        for params in param_sets:
            for home in homes(params, op_name):
                add_set(op_name, params, list(texts), home)
    for op_name, base, text_id in PROBES:
        for home in homes(base, op_name):
            ((_, stats),) = run(build(op_name, base, home), [texts[text_id]])
            stat = stats[STAT_KEYS[op_name]]
            assert stat > 0, (op_name, text_id)
            for params in edge_params(base, stat, "min_ratio", "max_ratio"):
                add_set(op_name, params, [text_id], home)

    keys = [
        json.dumps([c["op"], c["params"], c["text_id"], c.get("model_home")], sort_keys=True) for c in cases
    ]
    assert len(keys) == len(set(keys)), "duplicate cases"
    versions = {name: md.version(name) for name in ("sentencepiece", "transformers", "tokenizers")}
    doc = {
        "data_juicer_version": data_juicer.__version__,
        "py_data_juicer_dist_version": md.version("py-data-juicer"),
        "python_version": sys.version.split()[0],
        "package_versions": versions,
        "models": {"how": "populate(folder) of make_dj_reference_tokenization.py", "sha256": digests},
        "invocation": {
            "mapper": "op = Cls(**params); op.process({'text': [text]})['text'][0]",
            "filters": "op = Cls(**params); b = op.compute_stats({'text': [text], '__dj__stats__': [{}]}); "
            "keep = list(op.process(b))[0]; stats = b['__dj__stats__'][0]",
            "batches": "each parameter set also ran as one batch of all its texts: same results",
            "models": "DATA_JUICER_MODELS_CACHE = the populated folder; "
            "model_utils.DJEMH = folder/model_home",
        },
        "generated_1mb": {"seed": make_dj_reference.BIG_SEED, "sha256": sha256_text(big), "len": len(big)},
        "texts": TEXTS,
        "cases": cases,
    }
    out = json.dumps(doc, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
    OUT_PATH.write_text(out, encoding="ascii", newline="\n")
    back = json.loads(OUT_PATH.read_text(encoding="ascii"))
    assert back["cases"] == json.loads(json.dumps(cases)) and back["texts"] == TEXTS
    counts: dict[str, int] = {}
    for case in cases:
        counts[case["op"]] = counts.get(case["op"], 0) + 1
    print("wrote", OUT_PATH, counts)


if __name__ == "__main__":
    main()
