#!/usr/bin/env python3
"""Generate dj_reference_filters.json: what the REAL Data-Juicer filters decide.

Covers character_repetition_filter, word_repetition_filter, alphanumeric_filter,
special_characters_filter, maximum_line_length_filter, average_line_length_filter
(on texts) and specified_field_filter, specified_numeric_field_filter,
suffix_filter (on records of several columns).

Not part of datamill's test run; Data-Juicer is not a datamill dependency. Run it
in a throwaway virtual environment outside the repository:

    /work/djvenv/bin/python tests/ops/data/make_dj_reference_filters.py

Importing this module needs no Data-Juicer (only main() imports it). The 1 MB
input is rebuilt by ``generate_text(seed)`` of make_dj_reference.py; cases
using it store its sha256 instead of the text.

What is recorded:

* text cases: ``{"op", "id", "params", "text_id", "keep", "stats"}``; texts
  live once in ``texts`` (name -> text). Each op runs per sample (a batch of
  one, through ``op.compute_stats`` / ``op.process``, the wrappers Data-Juicer's
  ``Filter.run`` maps), and the generator checks that a batch of all texts of
  a parameter set gives the same answers.
* record cases: ``{"op", "id", "params", "dataset"}``; datasets live once in
  ``datasets`` (name -> list of records). ``per_record`` is Data-Juicer on each
  record as written (``{"keep", "stats"}`` or ``{"error"}``). When Hugging Face
  ``datasets`` can load the records (``loaded``), ``per_loaded_record`` is the
  same on the records as loaded (a key missing from one record is then None,
  as Arrow and datamill's reader make it), and ``dataset_run`` is
  ``op.run(dataset)`` with ``skip_op_error=True``: the rows kept (by position)
  and their ``__dj__stats__`` (absent when the op adds none). Without
  ``skip_op_error`` a sample that raises stops Data-Juicer's whole run; with
  it, a sample whose statistic raised is dropped, but one whose decision
  raised is kept (the error wrapper returns a non-empty dict, which
  ``datasets.filter`` takes for true).
"""

import copy
import hashlib
import importlib.util
import json
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, "dj_reference_filters.json")
ROW = "__row__"
"""Column added for the dataset run only, to tell which rows were kept."""


def _base():
    spec = importlib.util.spec_from_file_location(
        "make_dj_reference", os.path.join(HERE, "make_dj_reference.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# The text corpus
# --------------------------------------------------------------------------

PYTHON_CODE = '''#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Module docstring."""
import os, sys

def main(argv: list[str]) -> int:
    for i in range(10):
        if i % 2 == 0:
            print(f"{i:>4d}\\t{argv!r}")  # even
        else:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

C_COPYRIGHT = """/*
 * Copyright (c) 2008-2024 The Example Authors. All rights reserved.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */
#include <stdio.h>
int main(void) { printf("hello\\n"); return 0; }
"""

LATEX = r"""\documentclass{article}
\usepackage{amsmath}
\begin{document}
\section{Intro}
Let $f(x) = \sum_{i=0}^{n} a_i x^i$ and $\int_0^1 f(x)\,dx = \frac{1}{2}$.
\begin{align}
  E &= mc^2 \\
  \nabla \cdot \mathbf{E} &= \frac{\rho}{\varepsilon_0}
\end{align}
\end{document}
"""

HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test &amp; page</title>
<style>body{margin:0;padding:0}</style></head>
<body><div class="nav"><a href="/">Home</a> | <a href="/about">About</a></div>
<p>Hello&nbsp;world! &copy; 2024 &lt;tag&gt;</p>
<script>var x = 1 < 2 && 3 > 2;</script>
</body></html>"""

CHINESE = (
    "\u6570\u636e\u5904\u7406\u662f\u5927\u6a21\u578b\u8bad\u7ec3\u4e2d\u975e\u5e38\u91cd\u8981\u7684"
    "\u4e00\u73af\u3002\u9ad8\u8d28\u91cf\u7684\u6570\u636e\u80fd\u591f\u663e\u8457\u63d0\u5347\u6a21"
    "\u578b\u7684\u6548\u679c\uff0c\u800c\u4f4e\u8d28\u91cf\u7684\u6570\u636e\u5219\u4f1a\u5e26\u6765"
    "\u566a\u58f0\u3002\n\u6211\u4eec\u9700\u8981\u5bf9\u6570\u636e\u8fdb\u884c\u6e05\u6d17\u3001"
    "\u53bb\u91cd\u548c\u8fc7\u6ee4\u3002"
)

JAPANESE_KOREAN = (
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u30ab\u30bf\u30ab\u30ca"
    "\u3082\u3042\u308a\u307e\u3059\uff01\n\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4. "
    "\uc548\ub155\ud558\uc138\uc694?"
)

EMOJI = (
    "Great job \U0001f44d\U0001f3fd!! \U0001f600\U0001f600\U0001f600 family "
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 love \u2764\ufe0f flags \U0001f1ef\U0001f1f5 "
    "check \u2714 star \u2605"
)

URLS = (
    "See https://www.example.com/path/to/page.html?x=1&y=2#frag and http://example.org, "
    "ftp://files.example.net/pub/file.tar.gz or www.example.co.uk/index.html."
)

IPS = "Hosts: 192.168.0.1, 10.0.0.255:8080, 2001:0db8:85a3:0000:0000:8a2e:0370:7334 and ::1 (localhost)."

REPEATED_LINES = "Subscribe to our newsletter!\n" * 20 + "Last line."

REPEATED_WORDS = " ".join(["the cat sat on the mat"] * 12)

BOILERPLATE = (
    "Home | About | Contact\nThis website uses cookies to improve your experience.\n"
    "An actual sentence about data processing pipelines and their failures.\n"
    "Home | About | Contact\nThis website uses cookies to improve your experience.\n"
    "Copyright 2024. All rights reserved.\n"
)

ENGLISH = (
    "Data-Juicer is a one-stop data processing system to make data higher-quality, "
    "juicier, and more digestible for large language models. It offers dozens of "
    "operators: mappers rewrite samples, filters drop them, and deduplicators remove "
    "near copies. Each operator is configurable, and recipes chain them together.\n"
    "Filters compute a statistic per sample and keep the samples whose statistic "
    "falls inside a range; the statistics can be exported for analysis."
)

LINE_ENDINGS = (
    "crlf line\r\nlf line\ncr line\rvt line\x0bff line\x0cfs line\x1cgs line\x1drs line\x1e"
    "nel line\x85ls line\u2028ps line\u2029last"
)

GREEK = (
    "\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3 \u03bf\u03b4\u03bf\u03c2 \u039f\u0394\u039f\u03a3. "
    * 4
)
CASE_SPECIALS = (
    "\u00d8 \u03a0 \ua7ae \u0413 \u24c2 \u00f8 \u03c0 \u0433 \u00d8x \u0413\u041e\u0420\u041e\u0414 "
    "x\u03a0 \u24c2\u24c2 (\u00d8) \u00d8 \u03a0 \ua7ae \u0413 \u24c2 \u00d8 \u03a0 \ua7ae \u0413 \u24c2"
)
"""Characters that are special once lower-cased, or only before: Data-Juicer
lower-cases words before it strips them."""
TURKISH = "\u0130stanbul \u0130STANBUL istanbul \u0131rmak IRMAK " * 3

NUMBERS = (
    "12345 67890 \u00bd \u00b2 \u00b3 \u0663\u0664 \u0968 \u2167 \u216b \u2460 \uff11\uff12\uff13 "
    "\U0001d7d8 3.14 1,000 -7 1e10"
)

SCRIPTS = (
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0644\u063a\u0629 \u062c\u0645\u064a\u0644\u0629. "
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e\u0964 "
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u0395\u03bb\u03bb\u03ac\u03b4\u03b1"
)

CONTROL = "a\x00b\x07c\x1b[31mred\x1b[0m\x7fd\x84e\x93f\ufeffg\ufffch\ufffd\u00adi"
ZERO_WIDTH = "zero\u200bwidth\u200cjoin\u200dword\u2060joiner \u3000ideographic\u00a0nbsp\u202fnarrow"
COMBINING = "e\u0301 a\u0308 n\u0303 \u1e9b\u0323 \u0915\u094d\u0937 \ufb01 \ufb02"
MATH_SMP = "\U0001d400\U0001d401\U0001d402 \U00020000\U00020001 \U0001f600 \U0001d7ce"
MARKDOWN = (
    "# Title\n\n| col a | col b |\n|-------|-------|\n| 1     | 2     |\n\n"
    "* item one\n* item two\n\n```bash\n$ make check\n```\n> quote\n"
)
JSON_BLOB = '{"id": 17, "name": "x_y", "tags": ["a", "b"], "nested": {"k": null, "v": [1.5, -2e3]}}'
UNDERSCORES = "foo_bar_baz __init__ snake_case_name ____ _"
PUNCTUATION = "!!! ??? ... ;;; ::: --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}"
FULLWIDTH = "\uff21\uff22\uff23\uff41\uff42\uff43\uff11\uff12\uff13\uff01\uff1f\uff0c\u3002"
TABS = "col1\tcol2\tcol3\nval1\tval2\tval3\n\t\tindented\ttab"
LONG_WORD = "a" * 300 + " " + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 5
LONG_LINE = "word " * 400
SHORT_LINES = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj"
TRAILING_NEWLINES = "line one\nline two\n\n\n"
LEADING_NEWLINES = "\n\n\nline after blank lines"
CRLF_ONLY = "\r\n\r\n\r\n"
CR_ONLY = "one\rtwo\rthree\r"
LONE_SURROGATE = "broken \ud800 surrogate \udfff text"

TEXTS = {
    "empty": "",
    "space": " ",
    "whitespace_only": " \t\n\u3000 \r\n ",
    "newlines_only": "\n\n\n",
    "single_char": "a",
    "single_special": "!",
    "nine_chars": "abcdefghi",
    "ten_chars": "abcdefghij",
    "eleven_chars": "abcdefghijk",
    "ten_same": "aaaaaaaaaa",
    "eleven_same": "aaaaaaaaaaa",
    "python_code": PYTHON_CODE,
    "c_copyright": C_COPYRIGHT,
    "latex": LATEX,
    "html": HTML,
    "chinese": CHINESE,
    "japanese_korean": JAPANESE_KOREAN,
    "emoji": EMOJI,
    "urls": URLS,
    "ip_addresses": IPS,
    "repeated_lines": REPEATED_LINES,
    "repeated_words": REPEATED_WORDS,
    "boilerplate": BOILERPLATE,
    "english": ENGLISH,
    "line_endings": LINE_ENDINGS,
    "greek_sigma": GREEK,
    "turkish_i": TURKISH,
    "case_specials": CASE_SPECIALS,
    "numbers": NUMBERS,
    "scripts": SCRIPTS,
    "control_chars": CONTROL,
    "zero_width": ZERO_WIDTH,
    "combining": COMBINING,
    "math_smp": MATH_SMP,
    "markdown": MARKDOWN,
    "json_blob": JSON_BLOB,
    "underscores": UNDERSCORES,
    "punctuation": PUNCTUATION,
    "fullwidth": FULLWIDTH,
    "tabs": TABS,
    "long_word": LONG_WORD,
    "long_line": LONG_LINE,
    "short_lines": SHORT_LINES,
    "trailing_newlines": TRAILING_NEWLINES,
    "leading_newlines": LEADING_NEWLINES,
    "crlf_only": CRLF_ONLY,
    "cr_only": CR_ONLY,
    "lone_surrogate": LONE_SURROGATE,
    # threshold texts at the defaults
    "alnum_quarter": "a!!!",
    "alnum_fifth": "a!!!!",
    "alnum_third": "a!!",
    "special_quarter": "abc!",
    "special_fifth": "abcd!",
    "special_third": "ab!",
    "line_9": "123456789\nabc",
    "line_10": "1234567890\nabc",
    "line_11": "12345678901\nabc",
    "avg_9": "12345678\n12345678\n",
    "avg_10": "123456789\n123456789\n",
    "avg_10_5": "1234567890\n123456789\n",
    "avg_11": "1234567890\n1234567890\n",
}

# --------------------------------------------------------------------------
# Parameter sets
# --------------------------------------------------------------------------

TEXT_OPS = {
    "character_repetition_filter": [
        {},
        {"rep_len": 1},
        {"rep_len": 3, "min_ratio": 0.1, "max_ratio": 0.9},
        {"rep_len": 50, "max_ratio": 0.2},
        {"reversed_range": True},
    ],
    "word_repetition_filter": [
        {},
        {"rep_len": 1},
        {"rep_len": 2, "max_ratio": 0.3},
        {"lang": "zh", "rep_len": 3, "min_ratio": 0.05},
        {"min_ratio": 0.1, "min_closed_interval": False, "rep_len": 4},
    ],
    "alphanumeric_filter": [
        {},
        {"min_ratio": 0.5, "max_ratio": 0.9},
        {"tokenization": False, "min_ratio": 0.0, "max_ratio": 1.0, "max_closed_interval": False},
        {"reversed_range": True},
    ],
    "special_characters_filter": [
        {},
        {"min_ratio": 0.1, "max_ratio": 0.5},
        {"reversed_range": True},
    ],
    "maximum_line_length_filter": [
        {},
        {"min_len": 0, "max_len": 80},
        {"min_len": 5, "max_len": 20, "reversed_range": True},
    ],
    "average_line_length_filter": [
        {},
        {"min_len": 0, "max_len": 40},
        {"min_len": 10, "min_closed_interval": False},
    ],
}

STAT_KEYS = {
    "character_repetition_filter": "char_rep_ratio",
    "word_repetition_filter": "word_rep_ratio",
    "alphanumeric_filter": "alnum_ratio",
    "special_characters_filter": "special_char_ratio",
    "maximum_line_length_filter": "max_line_length",
    "average_line_length_filter": "avg_line_length",
}

EDGE_TEXTS = {
    "character_repetition_filter": ["repeated_lines", "english", "boilerplate", "ten_same", "chinese"],
    "word_repetition_filter": ["repeated_words", "boilerplate", "greek_sigma", "case_specials", "turkish_i"],
    "alphanumeric_filter": ["html", "python_code", "numbers", "underscores", "alnum_quarter"],
    "special_characters_filter": ["latex", "emoji", "punctuation", "json_blob", "special_quarter"],
    "maximum_line_length_filter": ["python_code", "line_endings", "long_line", "line_10"],
    "average_line_length_filter": ["markdown", "avg_10", "avg_10_5", "trailing_newlines", "cr_only"],
}
"""Texts whose statistic becomes a bound: the bound just below, at and just above it."""


def ratio_edges(s):
    down, up = math.nextafter(s, -math.inf), math.nextafter(s, math.inf)
    return {
        "min_at": {"min_ratio": s, "max_ratio": 10.0},
        "min_above": {"min_ratio": up, "max_ratio": 10.0},
        "min_below": {"min_ratio": down, "max_ratio": 10.0},
        "max_at": {"min_ratio": -1.0, "max_ratio": s},
        "max_below": {"min_ratio": -1.0, "max_ratio": down},
        "max_above": {"min_ratio": -1.0, "max_ratio": up},
        "min_open": {"min_ratio": s, "max_ratio": 10.0, "min_closed_interval": False},
        "max_open": {"min_ratio": -1.0, "max_ratio": s, "max_closed_interval": False},
        "reversed_at": {"min_ratio": s, "max_ratio": s, "reversed_range": True},
    }


def length_edges(s):
    at = int(s) if s == int(s) else None
    below, above = (at - 1, at + 1) if at is not None else (math.floor(s), math.ceil(s))
    bound = at if at is not None else above
    return {
        "min_at_or_next": {"min_len": bound},
        "min_above": {"min_len": above},
        "min_below": {"min_len": below},
        "max_at_or_next": {"min_len": 0, "max_len": bound},
        "max_below": {"min_len": 0, "max_len": below},
        "max_above": {"min_len": 0, "max_len": above},
        "min_open": {"min_len": bound, "min_closed_interval": False},
        "max_open": {"min_len": 0, "max_len": bound, "max_closed_interval": False},
        "reversed_at": {"min_len": bound, "max_len": bound, "reversed_range": True},
    }


SEARCH = {
    # op: (params, default bound to straddle, pieces, separator, how many pieces)
    "character_repetition_filter": ({}, 0.5, ["aaaa", "aaaa", "abab", "b", "c"], "", (5, 12)),
    "word_repetition_filter": ({}, 0.5, ["x", "x", "X.", "(x)", "y", "Y!"], " ", (12, 30)),
    "alphanumeric_filter": ({}, 0.25, list("a1!? \u4e00\U0001f600"), "", (6, 16)),
    "special_characters_filter": ({}, 0.25, list("aaaab1\u4e2d\U0001f600"), "", (6, 16)),
}
"""Texts found by a seeded search whose statistic lies just below, at and just
above a default bound."""


def search_candidates(pieces, separator, lengths, count, seed):
    rng = random.Random(seed)
    return [separator.join(rng.choice(pieces) for _ in range(rng.randint(*lengths))) for _ in range(count)]


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------

BASIC = [
    {
        "text": "alpha",
        "meta": {"lang": "en", "score": 0.9, "n": 3, "tags": ["x", "y"], "src": {"site": "a.com"}},
        "count": 5,
        "label": "good",
        "__dj__suffix__": ".jsonl",
    },
    {
        "text": "beta \u6570\u636e",
        "meta": {"lang": "zh", "score": 0.2, "n": 0, "tags": ["x"], "src": {"site": "b.org"}},
        "count": 0,
        "label": "bad",
        "__dj__suffix__": ".txt",
    },
    {
        "text": "gamma",
        "meta": {"lang": "en", "score": 1.5, "n": -2, "tags": [], "src": {"site": "a.com"}},
        "count": 12,
        "label": "good",
        "__dj__suffix__": "txt",
    },
    {
        "text": "delta",
        "meta": {"lang": None, "score": None, "tags": None, "src": None},
        "count": None,
        "label": None,
        "__dj__suffix__": None,
    },
    {
        "text": "epsilon",
        "meta": {"lang": "fr", "score": 10.0, "n": 100, "tags": ["y", "z"], "src": {"site": None}},
        "count": 7,
        "label": "neutral",
        "__dj__suffix__": ".JSONL",
    },
    {"text": "zeta", "meta": None, "count": 3, "label": "good", "__dj__suffix__": ".jsonl"},
    {"text": "eta", "count": 1},
    {
        "text": "",
        "meta": {"lang": "en", "score": 0.2, "n": 50, "tags": ["x", "x"], "src": {"site": "a.com"}},
        "count": 10,
        "label": "good",
        "__dj__suffix__": ".txt",
    },
]

MIXED_VALUES = [
    1,
    "1",
    "abc",
    [1, 2],
    True,
    {"a": 1},
    " 2.5 ",
    "1e3",
    "nan",
    "inf",
    "-inf",
    0,
    "",
    [],
    None,
    False,
    0.0,
    "0",
    "0x10",
    "1_000",
    "\uff11\uff12",
    3.5,
    "3.5",
    [1],
    ["a"],
    -7,
    1e300,
    "1e400",
    {},
    "\u0663",
]

MIXED = [{"text": "r%d" % i, "v": v, "w": ({"k": v} if i % 5 else {})} for i, v in enumerate(MIXED_VALUES)]

NO_TEXT = [
    {"id": 1, "meta": {"quality": 0.8, "lang": "en"}},
    {"id": 2, "meta": {"quality": 0.3, "lang": "de"}},
    {"id": 3, "meta": {"quality": 0.95, "lang": "en"}},
]

ODD_SUFFIX = [
    {"text": "a", "__dj__suffix__": 1},
    {"text": "b", "__dj__suffix__": 2},
]

NO_SUFFIX = [{"text": "a", "meta": {"lang": "en"}}, {"text": "b", "meta": {"lang": "fr"}}]

DATASETS = {
    "basic": BASIC,
    "mixed": MIXED,
    "no_text": NO_TEXT,
    "odd_suffix": ODD_SUFFIX,
    "no_suffix": NO_SUFFIX,
}

RECORD_CASES = {
    "specified_field_filter": [
        ("label_good", "basic", {"field_key": "label", "target_value": ["good"]}),
        ("lang_en_zh", "basic", {"field_key": "meta.lang", "target_value": ["en", "zh"]}),
        ("tags_list", "basic", {"field_key": "meta.tags", "target_value": ["x", "y"]}),
        ("three_levels", "basic", {"field_key": "meta.src.site", "target_value": ["a.com"]}),
        ("reversed", "basic", {"field_key": "meta.lang", "target_value": ["en"], "reversed_range": True}),
        ("no_target_keeps_all", "basic", {"field_key": "label"}),
        ("no_target_reversed", "basic", {"field_key": "label", "reversed_range": True}),
        ("ints", "basic", {"field_key": "count", "target_value": [5, 0, 1]}),
        ("floats_int_equal", "basic", {"field_key": "meta.score", "target_value": [0.9, 10]}),
        ("none_in_target", "basic", {"field_key": "label", "target_value": [None, "bad"]}),
        ("missing_nested_key", "basic", {"field_key": "meta.nosuch", "target_value": ["x"]}),
        ("missing_column", "basic", {"field_key": "nosuch", "target_value": ["x"]}),
        ("through_a_leaf", "basic", {"field_key": "label.x", "target_value": ["x"]}),
        ("mixed", "mixed", {"field_key": "v", "target_value": [1, "abc", True, None, [1, 2], {"a": 1}]}),
        ("mixed_nested", "mixed", {"field_key": "w.k", "target_value": ["1", 0, "", "abc"]}),
        ("no_text_column", "no_text", {"field_key": "meta.lang", "target_value": ["en"]}),
    ],
    "specified_numeric_field_filter": [
        ("count_range", "basic", {"field_key": "count", "min_value": 1, "max_value": 10}),
        ("score_closed", "basic", {"field_key": "meta.score", "min_value": 0.2, "max_value": 1.5}),
        (
            "score_open",
            "basic",
            {
                "field_key": "meta.score",
                "min_value": 0.2,
                "max_value": 1.5,
                "min_closed_interval": False,
                "max_closed_interval": False,
            },
        ),
        (
            "n_reversed",
            "basic",
            {"field_key": "meta.n", "min_value": 0, "max_value": 50, "reversed_range": True},
        ),
        ("n_defaults", "basic", {"field_key": "meta.n"}),
        ("strings_never_numbers", "basic", {"field_key": "label", "min_value": 0}),
        ("lists", "basic", {"field_key": "meta.tags"}),
        ("missing_column", "basic", {"field_key": "nosuch"}),
        ("mixed_defaults", "mixed", {"field_key": "v"}),
        (
            "mixed_reversed",
            "mixed",
            {"field_key": "v", "min_value": 1, "max_value": 1000, "reversed_range": True},
        ),
        ("mixed_nested", "mixed", {"field_key": "w.k", "min_value": -10, "max_value": 10}),
        ("no_text_column", "no_text", {"field_key": "meta.quality", "min_value": 0.5}),
    ],
    "suffix_filter": [
        ("no_suffixes", "basic", {}),
        ("none", "basic", {"suffixes": None}),
        ("one_string", "basic", {"suffixes": ".jsonl"}),
        ("list", "basic", {"suffixes": [".txt", "txt"]}),
        ("reversed", "basic", {"suffixes": [".jsonl"], "reversed_range": True}),
        ("empty_list_reversed", "basic", {"suffixes": [], "reversed_range": True}),
        ("not_strings", "odd_suffix", {"suffixes": [".txt"]}),
        ("no_column", "no_suffix", {"suffixes": [".jsonl"]}),
        ("no_column_no_suffixes", "no_suffix", {}),
    ],
}


# --------------------------------------------------------------------------
# Running Data-Juicer
# --------------------------------------------------------------------------


def main():
    import importlib.metadata as md

    import data_juicer
    from data_juicer.core.data import NestedDataset
    from data_juicer.ops.filter.alphanumeric_filter import AlphanumericFilter
    from data_juicer.ops.filter.average_line_length_filter import AverageLineLengthFilter
    from data_juicer.ops.filter.character_repetition_filter import CharacterRepetitionFilter
    from data_juicer.ops.filter.maximum_line_length_filter import MaximumLineLengthFilter
    from data_juicer.ops.filter.special_characters_filter import SpecialCharactersFilter
    from data_juicer.ops.filter.specified_field_filter import SpecifiedFieldFilter
    from data_juicer.ops.filter.specified_numeric_field_filter import SpecifiedNumericFieldFilter
    from data_juicer.ops.filter.suffix_filter import SuffixFilter
    from data_juicer.ops.filter.word_repetition_filter import WordRepetitionFilter
    from data_juicer.utils.constant import Fields

    classes = {
        "character_repetition_filter": CharacterRepetitionFilter,
        "word_repetition_filter": WordRepetitionFilter,
        "alphanumeric_filter": AlphanumericFilter,
        "special_characters_filter": SpecialCharactersFilter,
        "maximum_line_length_filter": MaximumLineLengthFilter,
        "average_line_length_filter": AverageLineLengthFilter,
        "specified_field_filter": SpecifiedFieldFilter,
        "specified_numeric_field_filter": SpecifiedNumericFieldFilter,
        "suffix_filter": SuffixFilter,
    }

    def run_texts(op_name, params, texts):
        """Per sample (batches of one), checked against one batch of all."""
        op = classes[op_name](**params)
        assert op.is_batched_op()
        single = []
        for text in texts:
            batch = op.compute_stats({op.text_key: [text], Fields.stats: [{}]})
            keep = list(op.process(batch))
            assert len(keep) == 1
            single.append((bool(keep[0]), dict(batch[Fields.stats][0])))
        batch = op.compute_stats({op.text_key: list(texts), Fields.stats: [{} for _ in texts]})
        together = list(zip((bool(k) for k in op.process(batch)), batch[Fields.stats]))
        assert together == single, (op_name, params)
        return single

    def stat_of(op_name, text, params=None):
        return run_texts(op_name, params or {}, [text])[0][1][STAT_KEYS[op_name]]

    def error_text(exc):
        return "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")

    def run_record(op, record):
        batch = {key: [copy.deepcopy(value)] for key, value in record.items()}
        batch[Fields.stats] = [{}]
        try:
            batch = op.compute_stats(batch)
            keep = list(op.process(batch))
        except Exception as exc:  # noqa: BLE001 - Data-Juicer's behaviour is the record
            return {"error": error_text(exc)}
        assert len(keep) == 1
        return {"keep": bool(keep[0]), "stats": dict(batch[Fields.stats][0])}

    def run_dataset(op_name, params, records):
        rows = [dict(copy.deepcopy(r), **{ROW: i}) for i, r in enumerate(records)]
        try:
            dataset = NestedDataset.from_list(rows)
        except Exception as exc:  # noqa: BLE001
            return None, {"error": error_text(exc)}
        loaded = [{k: v for k, v in r.items() if k != ROW} for r in dataset.to_list()]
        op = classes[op_name](**params, skip_op_error=True, num_proc=1)
        try:
            out = op.run(dataset).to_list()
        except Exception as exc:  # noqa: BLE001
            return loaded, {"error": error_text(exc)}
        run = {"kept": [r[ROW] for r in out]}
        if any(Fields.stats in r for r in out):
            run["stats"] = [r[Fields.stats] for r in out]
        return loaded, run

    base = _base()
    texts = dict(TEXTS)
    cases = []
    seen = set()

    def add(case):
        key = (case["op"], case["id"])
        assert key not in seen, key
        seen.add(key)
        cases.append(case)

    # seeded searches for texts around the default bounds
    for op_name, (params, bound, pieces, separator, lengths) in SEARCH.items():
        candidates = search_candidates(pieces, separator, lengths, 3000, seed=len(op_name))
        stats = [s[STAT_KEYS[op_name]] for _, s in run_texts(op_name, params, candidates)]
        at = [t for t, s in zip(candidates, stats) if s == bound]
        below = max((s, t) for t, s in zip(candidates, stats) if s < bound)
        above = min((s, t) for t, s in zip(candidates, stats) if s > bound)
        assert at, (op_name, below, above)
        found = {"at": at[0], "below": below[1], "above": above[1]}
        for where, text in sorted(found.items()):
            texts["%s_default_%s" % (op_name, where)] = text

    for op_name, param_sets in TEXT_OPS.items():
        names = sorted(
            n for n in texts if not n.endswith(("_default_at", "_default_below", "_default_above"))
        )
        names += sorted(n for n in texts if n.startswith(op_name + "_default_"))
        for i, params in enumerate(param_sets):
            results = run_texts(op_name, params, [texts[n] for n in names])
            for name, (keep, stats) in zip(names, results):
                add(
                    {
                        "op": op_name,
                        "id": "p%d:%s" % (i, name),
                        "params": params,
                        "text_id": name,
                        "keep": keep,
                        "stats": stats,
                    }
                )
        edge_maker = length_edges if "line_length" in op_name else ratio_edges
        for name in EDGE_TEXTS[op_name]:
            s = stat_of(op_name, texts[name])
            for label, params in edge_maker(s).items():
                ((keep, stats),) = run_texts(op_name, params, [texts[name]])
                add(
                    {
                        "op": op_name,
                        "id": "edge:%s:%s" % (name, label),
                        "params": params,
                        "text_id": name,
                        "keep": keep,
                        "stats": stats,
                    }
                )

    big = base.generate_text(base.BIG_SEED)
    big_info = {
        "generated": {"kind": base.BIG_KIND, "seed": base.BIG_SEED},
        "input_sha256": hashlib.sha256(big.encode("utf-8")).hexdigest(),
        "input_len": len(big),
    }
    for op_name in TEXT_OPS:
        for params in ({}, {"reversed_range": True}):
            ((keep, stats),) = run_texts(op_name, params, [big])
            add(
                {
                    "op": op_name,
                    "id": "generated_1mb" + ("_reversed" if params else ""),
                    "params": params,
                    "keep": keep,
                    "stats": stats,
                    **big_info,
                }
            )

    for op_name, entries in RECORD_CASES.items():
        for cid, dataset_name, params in entries:
            records = DATASETS[dataset_name]
            op = classes[op_name](**params)
            case = {
                "op": op_name,
                "id": cid,
                "params": params,
                "dataset": dataset_name,
                "per_record": [run_record(op, r) for r in records],
            }
            loaded, run = run_dataset(op_name, params, records)
            case["loaded"] = loaded is not None
            if loaded is not None:
                case["per_loaded_record"] = [run_record(op, r) for r in loaded]
                case["dataset_run"] = run
                if "kept" in run:
                    # skip_op_error drops a sample whose statistic raised, but keeps one whose
                    # decision raised (its wrapper returns a non-empty dict, which is true)
                    outcomes = case["per_loaded_record"]
                    kept_ok = {i for i, r in enumerate(outcomes) if r.get("keep")}
                    raised = {i for i, r in enumerate(outcomes) if "error" in r}
                    assert kept_ok <= set(run["kept"]) <= kept_ok | raised, (op_name, cid, run)
            else:
                case["load_error"] = run["error"]
            add(case)

    doc = {
        "data_juicer_version": data_juicer.__version__,
        "py_data_juicer_dist_version": md.version("py-data-juicer"),
        "datasets_version": md.version("datasets"),
        "python_version": sys.version.split()[0],
        "invocation": {
            "text_filters": "op = Cls(**params); b = op.compute_stats({'text': [text], '__dj__stats__': [{}]}); "
            "keep = list(op.process(b))[0]; stats = b['__dj__stats__'][0]; the same on a batch of all texts "
            "of a parameter set gives the same answers",
            "record_filters": "per record: op.compute_stats({k: [v] for k, v in record}) with '__dj__stats__': [{}], "
            "then op.process; dataset_run: Cls(**params, skip_op_error=True, num_proc=1).run("
            "NestedDataset.from_list(records))",
        },
        "generated_inputs": {
            "kind": base.BIG_KIND,
            "how": "generate_text(seed) in make_dj_reference.py (stdlib random.Random)",
            "length": base.BIG_LEN,
        },
        "texts": texts,
        "datasets": DATASETS,
        "cases": cases,
    }
    with open(OUT_PATH, "w", encoding="ascii", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=True, indent=1, sort_keys=True)
        fh.write("\n")

    with open(OUT_PATH, encoding="ascii") as fh:
        back = json.load(fh)
    assert back["texts"] == texts and back["datasets"] == DATASETS
    assert len(back["cases"]) == len(cases)

    counts = {}
    for case in cases:
        counts[case["op"]] = counts.get(case["op"], 0) + 1
    print("wrote", OUT_PATH)
    for name, count in counts.items():
        print("  %-34s %d cases" % (name, count))


if __name__ == "__main__":
    main()
