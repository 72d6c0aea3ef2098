#!/usr/bin/env python3
"""Generate dj_reference_models2.json: outputs of the REAL Data-Juicer ops that need models.

Ops: perplexity_filter, sentence_split_mapper, token_num_filter. Not part of
datamill's test run; Data-Juicer is not a datamill dependency. Run it inside
Data-Juicer's throwaway venv (with kenlm, sentencepiece, nltk and transformers
installed there), from the repository root:

    /work/djvenv/bin/python tests/ops/data/make_dj_reference_models2.py

The models are the tiny ones of ``tiny_models_models2.py``, built into a
temporary folder that is Data-Juicer's model cache (``DATA_JUICER_MODELS_CACHE``)
and, for nltk, ``NLTK_DATA``, so nothing is downloaded. Their SHA-256 are
recorded: the test builds them again and checks it has the same files. A
``hf_tokenizer`` value ``{models}/hf/NAME`` stands for that folder.

Each case runs through Data-Juicer's batched entry points (``op.process`` for a
mapper; ``op.compute_stats`` then ``op.process`` for a filter) with a batch of
one sample; every parameter set is also run once as one batch of all its
samples, and must give the same results. Threshold cases are placed at the
statistic Data-Juicer computes for a text (just below, at, just above each bound).

JSON conventions as in dj_reference.json: ASCII, sorted keys, sha256 over UTF-8,
lengths in code points, big inputs (``generate_text`` of make_dj_reference.py)
stored as hashes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_PATH = HERE / "dj_reference_models2.json"
MODELS = "{models}"
BIG_SEED = 20240611

sys.path.insert(0, str(HERE))
import tiny_models_models2 as tiny  # noqa: E402


def generate_text(seed: int) -> str:
    """The ~1 MB input of make_dj_reference.py (stdlib only)."""
    spec = importlib.util.spec_from_file_location("make_dj_reference", HERE / "make_dj_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.generate_text(seed))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------
# The corpus: every op gets all of these, and its own texts.
# --------------------------------------------------------------------------------------

COMMON = {
    "empty": "",
    "whitespace_only": " \t\n\r\u3000\u00a0 \n",
    "single_space": " ",
    "prose": "The quick brown fox jumps over the lazy dog. The data juicer is a text filter model.",
    "code": 'def f(x):\n    """Return x squared."""\n    return x ** 2  # comment\n\nprint(f(3))\n',
    "latex": "\\begin{equation}\n  E = mc^2 \\quad \\frac{a}{b} \\sum_{i=0}^{n} x_i\n\\end{equation}\n",
    "html": '<html><body><p class="x">Hello &amp; welcome!</p><a href="https://example.com/a?b=1">link</a></body></html>',
    "cjk": "\u4e2d\u6587\u6d4b\u8bd5\u3002\u6570\u636e\u5904\u7406\u5f88\u91cd\u8981\uff01\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3002\ud55c\uad6d\uc5b4 \ubb38\uc7a5.",
    "repeated_lines": "the same line again.\n" * 12,
    "long_word": "x" * 300 + " " + "supercalifragilisticexpialidocious" * 8,
    "copyright_header": "/*\n * Copyright (c) 2024 Example Inc. All rights reserved.\n * Licensed under the Apache License, Version 2.0.\n */\nint main() { return 0; }\n",
    "ip_and_urls": "Server 192.168.0.1 and 10.0.0.255:8080 answer at http://example.com/x and www.example.org. Mail admin@example.com now.",
    "emoji": "Great job \U0001f600\U0001f44d\U0001f3fd! Love it \u2764\ufe0f. Family: \U0001f468\u200d\U0001f469\u200d\U0001f467.",
    "mixed_scripts": "caf\u00e9 na\u00efve \u00fcber Stra\u00dfe \u0395\u03bb\u03bb\u03ac\u03b4\u03b1 \u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea",
    "line_breaks": "one\ntwo\r\nthree\rfour\u2028five\u2029six\x85seven\x1cend\x1d\x1e\x0b\x0c.",
    "tabs_nbsp": "a\tb\t\tc\u00a0d\u2003e\u200bf  g   h",
    "control_chars": "a\x00b\x07c\x1b[31mred\x1b[0m\x7f end.",
    "normalisable": "\ufb01ne \uff21\uff22\uff23 \u00bd x\u00b2 e\u0301 \u2460 \u3000 \u2126",
    "training_like": "The quick brown fox jumps over the lazy dog data juicer mill text.",
    "unknown_only": "\u16a0\u16a1\u16a2 \u16a3\u16a4 \u16a5",
}

SENTENCE_TEXTS = {
    "abbreviations": "Dr. Smith met Mr. Brown at the U.S. market. They sold 3 engines vs. 2 bridges etc. and left.",
    "initials_numbers": "J. R. R. Tolkien wrote it in 1954. Pi is 3.14 approx. The end.",
    "question_exclaim": "Where is the report? It is here! Really?! Yes... maybe. OK.",
    "quotes_parens": 'He said "Stop." Then he left. (This is odd.) Next sentence.',
    "lowercase_after_period": "The model was built. and then it was sold. However the river rose.",
    "newlines_inside": "First sentence.\nSecond one\ncontinues here. Third.\n\nFourth after blank line.",
    "crlf": "Line one. Line two.\r\nLine three.\r\n",
    "multiple_spaces": "Sentence one.   Sentence two.\t Sentence three.",
    "no_terminal": "no punctuation at all here",
    "ellipsis_unicode": "Wait\u2026 what? He left\u2026 Then came back.",
    "french": "M. Dupont a vendu le pont. Ensuite Mme. Martin a ouvert le jardin, p.ex. hier! Cependant etc. fin.",
    "cjk_punct": "\u4f60\u597d\u3002\u8fd9\u662f\u6d4b\u8bd5\uff01\u771f\u7684\u5417\uff1f\u662f\u7684\u3002",
    "leading_trailing_ws": "   Leading space. Trailing space.   ",
}

PERPLEXITY_TEXTS = {
    "spaces_only_pieces": "\u2581 \u2581\u2581 \u2581",
    "newline_only": "\n",
    "blank_lines": "a\n\n\nb",
    "many_lines": "\n".join(f"line {i} the fox" for i in range(30)),
}

TOKEN_TEXTS = {
    "special_token_inside": "Hello<|endoftext|>world <|padding|> end",
    "space_runs": "a  b    c      d        e",
    "combining_nfc": "cafe\u0301 vs caf\u00e9",
    "bert_specials": "[CLS] hello [SEP] [MASK] [UNK]",
}


def _threshold_cases(stat: float | int, step: float | int, min_key: str, max_key: str) -> list[tuple[str, dict]]:
    """Parameter sets placing ``stat`` just below, at and just above each bound."""
    big = 10**9
    below, above = stat - step, stat + step
    if isinstance(step, float):
        below, above = round(below, 1), round(above, 1)
    return [
        ("min_below", {min_key: below, max_key: big}),
        ("min_at", {min_key: stat, max_key: big}),
        ("min_above", {min_key: above, max_key: big}),
        ("max_below", {min_key: 0, max_key: below}),
        ("max_at", {min_key: 0, max_key: stat}),
        ("max_above", {min_key: 0, max_key: above}),
        ("min_at_open", {min_key: stat, max_key: big, "min_closed_interval": False}),
        ("max_at_open", {min_key: 0, max_key: stat, "max_closed_interval": False}),
        ("reversed_inside", {min_key: below, max_key: above, "reversed_range": True}),
        ("reversed_at_min", {min_key: stat, max_key: above, "reversed_range": True}),
        ("reversed_below", {min_key: above, max_key: above + step * 10, "reversed_range": True}),
    ]


def main() -> None:
    import importlib.metadata as md

    work = Path(tempfile.mkdtemp(prefix="dj_models2_"))
    # before anything imports nltk or Data-Juicer: both read these once
    os.environ["DATA_JUICER_MODELS_CACHE"] = str(work)
    os.environ["NLTK_DATA"] = str(work / "nltk_data")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    digests = tiny.populate(work)

    import data_juicer
    from data_juicer.ops.filter.perplexity_filter import PerplexityFilter
    from data_juicer.ops.filter.token_num_filter import TokenNumFilter
    from data_juicer.ops.mapper.sentence_split_mapper import SentenceSplitMapper
    from data_juicer.utils.constant import Fields

    classes = {
        "perplexity_filter": PerplexityFilter,
        "sentence_split_mapper": SentenceSplitMapper,
        "token_num_filter": TokenNumFilter,
    }
    built: dict[str, object] = {}

    def make(op_name: str, params: dict) -> object:
        real = {k: (v.replace(MODELS, str(work)) if isinstance(v, str) else v) for k, v in params.items()}
        key = json.dumps([op_name, real], sort_keys=True)
        if key not in built:
            built[key] = classes[op_name](**real)
        return built[key]

    def run(op_name: str, params: dict, texts: list[str]) -> list:
        op = make(op_name, params)
        assert op.is_batched_op()
        if op_name.endswith("_mapper"):
            return list(op.process({op.text_key: list(texts)})[op.text_key])
        batch = op.compute_stats({op.text_key: list(texts), Fields.stats: [{} for _ in texts]})
        keeps = [bool(k) for k in op.process(batch)]
        return [(k, dict(s)) for k, s in zip(keeps, batch[Fields.stats], strict=True)]

    big = generate_text(BIG_SEED)
    cases: list[dict] = []

    def add(op_name: str, cid: str, params: dict, text: str, generated: bool = False) -> dict:
        (result,) = run(op_name, params, [text])
        case: dict = {"id": cid, "op": op_name, "params": params}
        if generated:
            case.update({"generated": {"kind": "1mb", "seed": BIG_SEED}, "input_sha256": sha256_text(text)})
            case["input_len"] = len(text)
        else:
            case["text"] = text
        if op_name.endswith("_mapper"):
            if generated:
                case.update({"output_sha256": sha256_text(result), "output_len": len(result)})
            else:
                case["output"] = result
        else:
            case["keep"], case["stats"] = result
        cases.append(case)
        return case

    def corpus_run(op_name: str, tag: str, params: dict, extra: dict[str, str]) -> None:
        for cid, text in {**COMMON, **extra}.items():
            add(op_name, f"{tag}:{cid}", params, text)
        add(op_name, f"{tag}:generated_1mb", params, big, generated=True)

    # perplexity_filter
    for lang in tiny.SP_LANGS:
        params = {} if lang == "en" else {"lang": lang}
        corpus_run("perplexity_filter", lang, params, PERPLEXITY_TEXTS)
        corpus_run("perplexity_filter", f"{lang}_narrow", {**params, "min_ppl": 20, "max_ppl": 400}, {})
        for text_id in ("prose", "line_breaks"):
            stat = add("perplexity_filter", f"{lang}_probe:{text_id}", params, COMMON[text_id])["stats"]
            for cid, bounds in _threshold_cases(stat["perplexity"], 0.1, "min_ppl", "max_ppl"):
                add("perplexity_filter", f"{lang}_edge_{cid}:{text_id}", {**params, **bounds}, COMMON[text_id])

    # sentence_split_mapper
    for lang in tiny.PUNKT_LANGS:
        corpus_run("sentence_split_mapper", lang, {} if lang == "en" else {"lang": lang}, SENTENCE_TEXTS)

    # token_num_filter
    for name in tiny.HF_TOKENIZERS:
        params = {"hf_tokenizer": f"{MODELS}/hf/{name}"}
        corpus_run("token_num_filter", name, params, TOKEN_TEXTS)
        corpus_run("token_num_filter", f"{name}_range", {**params, "min_num": 5, "max_num": 40}, {})
        for text_id in ("prose", "emoji"):
            stat = add("token_num_filter", f"{name}_probe:{text_id}", params, COMMON[text_id])["stats"]
            for cid, bounds in _threshold_cases(stat["num_token"], 1, "min_num", "max_num"):
                add("token_num_filter", f"{name}_edge_{cid}:{text_id}", {**params, **bounds}, COMMON[text_id])

    check_batches(cases, run, big)
    ids = [(c["op"], c["id"]) for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"

    versions = {name: md.version(name) for name in ("kenlm", "sentencepiece", "nltk", "transformers", "tokenizers")}
    doc = {
        "data_juicer_version": data_juicer.__version__,
        "py_data_juicer_dist_version": md.version("py-data-juicer"),
        "python_version": sys.version.split()[0],
        "package_versions": versions,
        "models": {"how": "tiny_models_models2.populate(folder)", "sha256": digests},
        "invocation": {
            "mappers": "op = Cls(**params); op.process({'text': [text]})['text'][0]",
            "filters": "op = Cls(**params); b = op.compute_stats({'text': [text], '__dj__stats__': [{}]}); "
            "keep = list(op.process(b))[0]; stats = b['__dj__stats__'][0]",
            "batches": "each parameter set also ran as one batch of all its texts: same results",
            "placeholder": "{models} in hf_tokenizer is the folder tiny_models_models2.populate filled",
        },
        "cases": cases,
    }
    text = json.dumps(doc, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
    OUT_PATH.write_text(text, encoding="ascii", newline="\n")
    back = json.loads(OUT_PATH.read_text(encoding="ascii"))
    assert back["cases"] == json.loads(json.dumps(cases)), "cases do not read back as written"
    print(f"wrote {len(cases)} cases to {OUT_PATH}")


def check_batches(cases: list[dict], run, big: str) -> None:  # noqa: ANN001 - script helper
    """Every parameter set, run as one batch, gives what its one-sample batches gave."""
    groups: dict[str, list[dict]] = {}
    for case in cases:
        groups.setdefault(json.dumps([case["op"], case["params"]], sort_keys=True), []).append(case)
    for group in groups.values():
        op_name, params = group[0]["op"], group[0]["params"]
        texts = [big if "generated" in c else c["text"] for c in group]
        for case, got in zip(group, run(op_name, params, texts), strict=True):
            if op_name.endswith("_mapper"):
                want = case.get("output")
                assert want is None or got == want, (op_name, case["id"])
                assert want is not None or sha256_text(got) == case["output_sha256"], (op_name, case["id"])
            else:
                assert got == (case["keep"], case["stats"]), (op_name, case["id"], got)


if __name__ == "__main__":
    main()
