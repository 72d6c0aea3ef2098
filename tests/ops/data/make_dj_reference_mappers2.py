#!/usr/bin/env python3
"""Generate dj_reference_mappers2.json: outputs of the REAL Data-Juicer text mappers

    remove_bibliography_mapper, expand_macro_mapper, remove_table_text_mapper,
    remove_non_chinese_character_mapper, replace_content_mapper,
    remove_repeat_sentences_mapper, remove_words_with_incorrect_substrings_mapper,
    chinese_convert_mapper

on a corpus written here, with several parameter sets per op.

Not part of datamill's test run; Data-Juicer is not a datamill dependency. Run it in
a throwaway venv outside the repository, with Data-Juicer's own OpenCC binding:

    /work/djvenv/bin/pip install opencc==1.1.9
    /work/djvenv/bin/python tests/ops/data/make_dj_reference_mappers2.py

Every op is run through Data-Juicer's own entry point, ``op.process`` (the wrapper
around ``process_batched`` that ``Mapper.run`` hands to ``dataset.map``), twice: once
per sample (a batch of one) and once with all the texts of a parameter set as one
batch. The two must agree; the script stops if they do not.

Importing this module needs only the standard library: datamill's test imports
``generate_latex(seed)`` to rebuild the big LaTeX input (stored as a sha256), and the
1 MB text of ``make_dj_reference.generate_text``. JSON conventions as in
make_dj_reference.py: ASCII, sorted keys, sha256 over UTF-8, lengths in code points.
"""

import hashlib
import importlib.util
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, "dj_reference_mappers2.json")

LATEX_KIND = "latex"
LATEX_LEN = 300_000
LATEX_SEED = 20250301
WEB_SEED = 20240611  # make_dj_reference.BIG_SEED

# Never reorder or edit (random.choice indexes into it): append instead.
_LATEX_LINES = [
    "\\section{Introduction}",
    "We study the problem of \\foo and \\bar in detail.",
    "\\newcommand{\\foo}{FOO}",
    "\\newcommand*{\\bar}{\\mathbf{B}}",
    "\\def\\baz{BAZ}",
    "\\def \\qux {Q\\,U\\,X}",
    "The value of \\foo\\bar is \\baz.",
    "\\foo1 is not \\foo but \\foo{} is.",
    "a b c",
    "1 2 3",
    "x|y|z",
    "col1\tcol2\tcol3",
    "Name Age City",
    "Alice 30 Paris",
    "Bob 25 Rome",
    "",
    "",
    "This is a sentence. This is a sentence. Another one!",
    "\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002",
    "See http://example.com and www.example.org for more.",
    "\\begin{equation} E = mc^2 \\end{equation}",
    "% a comment line",
    "\u7e41\u9ad4\u4e2d\u6587\u6e2c\u8a66\uff0c\u7b80\u4f53\u4e2d\u6587\u6d4b\u8bd5\u3002",
    "\U0001f600 emoji \U0001f44d\U0001f3fd line",
    "   indented   line   with   spaces   ",
    "tab\tseparated\tline",
    "end.",
]
_LATEX_TAILS = [
    "\\appendix\n\\section{Proofs}\nMore.",
    "\\begin{thebibliography}{9}\n\\bibitem{a} A.\n\\end{thebibliography}",
    "\\bibliography{refs}\n\\end{document}",
    "\\end{document}",
]


def generate_latex(seed, length=LATEX_LEN):
    """A deterministic LaTeX-like text of exactly ``length`` code points, with
    macros, small tables, repeated sentences, links and CJK. Stdlib only."""
    rng = random.Random(seed)
    lines = ["\\documentclass{article}"]
    total = len(lines[0])
    while total < length:
        line = rng.choice(_LATEX_LINES)
        lines.append(line)
        total += len(line) + 1
    text = "\n".join(lines)[: length - 80]
    tail = rng.choice(_LATEX_TAILS)
    return (text + "\n" + tail + "\n" + "z" * length)[:length]


def web_text(seed):
    """make_dj_reference.generate_text: the 1 MB web-like text of the first reference."""
    spec = importlib.util.spec_from_file_location(
        "make_dj_reference", os.path.join(HERE, "make_dj_reference.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_text(seed)


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------
# The corpus every op runs on (with its default parameters and some others).
# --------------------------------------------------------------------------

LATEX_DOC = (
    "\\documentclass{article}\n"
    "\\usepackage{amsmath}\n"
    "\\newcommand{\\R}{\\mathbb{R}}\n"
    "\\newcommand*{\\eps}{\\varepsilon}\n"
    "\\def\\half{\\frac{1}{2}}\n"
    "\\begin{document}\n"
    "\\section{Intro}\n"
    "Let $x \\in \\R$ and $\\eps > 0$. Then \\half x < x.\n"
    "\\cite{knuth84}\n"
    "\\appendix\n"
    "\\section{Proof}\n"
    "Trivial.\n"
    "\\bibliography{refs}\n"
    "\\end{document}\n"
)

HTML_DOC = (
    "<!DOCTYPE html>\n<html><head><title>Test &amp; page</title></head>\n<body>\n"
    '<p>Visit <a href="https://example.com/x?y=1">https://example.com/x?y=1</a>.</p>\n'
    "<table>\n<tr><td>a</td><td>b</td></tr>\n<tr><td>c</td><td>d</td></tr>\n</table>\n"
    "<p>\u4e2d\u6587\u6bb5\u843d\u3002</p>\n</body></html>\n"
)

CODE_DOC = (
    "#!/usr/bin/env python\n"
    "# Copyright (c) 2024 Example Corp. All rights reserved.\n"
    "import os\n\n"
    "def main():\n"
    "    url = 'http://www.example.com/api'  # TODO\n"
    "    for i in range(10):\n"
    "        print(i, os.getcwd())\n"
    "    return {'a': 1, 'b': [1, 2, 3]}\n"
)

COPYRIGHT = (
    "/*\n * Copyright (C) 2010-2024 The Authors.\n * Licensed under the Apache License, Version 2.0\n */\n"
    "int main(void) { return 0; }\n"
)

SIMPLIFIED = "\u8fd9\u662f\u51e0\u4e2a\u7b80\u4f53\u5b57\uff0c\u4f1a\u88ab\u8f6c\u6362\u4e3a\u7e41\u4f53\u5b57\u3002\u6c49\u5b57\u7684\u7b80\u5316\u662f\u4e00\u4e2a\u5386\u53f2\u8fc7\u7a0b\u3002"  # noqa: E501
TRADITIONAL = "\u9019\u662f\u5e7e\u500b\u7e41\u9ad4\u5b57\uff0c\u6703\u88ab\u8f49\u63db\u70ba\u7c21\u9ad4\u5b57\u3002\u6f22\u5b57\u7684\u7c21\u5316\u662f\u4e00\u500b\u6b77\u53f2\u904e\u7a0b\u3002"  # noqa: E501

CORPUS = [
    ("empty", ""),
    ("whitespace_only", " \t\n\u3000 \n\n"),
    ("single_space", " "),
    ("newlines_only", "\n\n\n\n"),
    ("plain_en", "The quick brown fox jumps over the lazy dog."),
    ("latex_doc", LATEX_DOC),
    ("html_doc", HTML_DOC),
    ("code_doc", CODE_DOC),
    ("copyright_header", COPYRIGHT),
    ("cjk_simplified", SIMPLIFIED),
    ("cjk_traditional", TRADITIONAL),
    ("cjk_mixed_en", "\u6211\u7231Python\u7f16\u7a0b\uff01Hello, \u4e16\u754c 123\u3002"),
    (
        "japanese_korean",
        "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3002\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8.",
    ),
    ("repeated_lines", "same line\nsame line\nsame line\nother line\nsame line\n"),
    ("repeated_sentences", "I like it. I like it. You like it! I like it? I LIKE IT."),
    ("long_word", "short " + "a" * 500 + " short " + "http" + "x" * 300),
    ("ip_addresses", "Server 192.168.0.1 and 10.0.0.255:8080 and ::1 and 2001:db8::ff00:42:8329."),
    ("urls", "Go to https://www.example.com/a/b?c=d, or http://x.org// or ftp://f.net/file.com now."),
    ("emails", "Mail me at someone@example.com or <x.y@z.co.uk>."),
    (
        "emoji",
        "\U0001f600 smile \U0001f44d\U0001f3fd ok \u2764\ufe0f \U0001f468\u200d\U0001f469\u200d\U0001f467 end",
    ),
    ("crlf", "line one.\r\nline two.\r\nline one.\r\n"),
    ("control_chars", "a\x00b\x07c\x1bd\x7fe\x1cf\x1fg"),
    ("odd_spaces", "a\u00a0b\u2003c\u200bd\u3000e\u2028f\u2029g\x85h"),
    ("lone_surrogate", "bad \ud800 surrogate"),
    ("mojibake", "caf\u00c3\u00a9 doesn\u00e2\u20ac\u2122t"),
    (
        "table_like",
        "Table:\nName Age City\nAlice 30 Paris\nBob 25 Rome\nEnd of table.\n",
    ),
    ("markdown_table", "Intro\n| a | b | c |\n|---|---|---|\n| 1 | 2 | 3 |\nOutro\n"),
]

# --------------------------------------------------------------------------
# Op-specific cases: (case_id, params, text[, Data-Juicer unit-test target])
# --------------------------------------------------------------------------


def bibliography_cases():
    d = {}
    return [
        (
            "dj_bibliography",
            d,
            "%%\n%% This is file `sample-sigconf.tex\\clearpage\n\\bibliographystyle{ACM-Reference-Format}\n"
            "\\bibliography{sample-base}\n\\end{document}\n\\endinput\n%%\n%% End of file `sample-sigconf.tex'.\n",
            "%%\n%% This is file `sample-sigconf.tex\\clearpage\n\\bibliographystyle{ACM-Reference-Format}\n",
        ),
        (
            "dj_references",
            d,
            "%%\n%% This is file `sample-sigconf.tex\\clearpage\n\\begin{references}\n\\end{document}\n"
            "\\endinput\n%%\n%% End of file `sample-sigconf.tex'.\n",
            "%%\n%% This is file `sample-sigconf.tex\\clearpage\n",
        ),
        ("appendix_first", d, "Body.\n\\appendix\nA.\n\\bibliography{x}\n"),
        ("bibliography_first", d, "Body.\n\\bibliography{x}\nmore\n\\appendix\n"),
        ("upper_references", d, "text \\begin{REFERENCES} \\item a"),
        ("mixed_case_references", d, "text \\begin{References} kept"),
        (
            "thebibliography",
            d,
            "Text.\n\\begin{thebibliography}{99}\n\\bibitem{k} K.\n\\end{thebibliography}",
        ),
        ("bibliography_no_close", d, "Text \\bibliography{never closed"),
        ("bibliography_close_later", d, "Text \\bibliography{a\nb\nc} \u4e2d\u6587 end"),
        ("bibliography_close_before_only", d, "} first \\bibliography{open"),
        ("bibliography_empty_braces", d, "x\\bibliography{}"),
        ("bibliographystyle_only", d, "x \\bibliographystyle{plain} y"),
        ("appendixes_word", d, "see \\appendixes here"),
        ("appendix_at_start", d, "\\appendix"),
        ("appendix_at_end", d, "Body text \\appendix"),
        ("no_backslash", d, "appendix begin{references} bibliography{x}"),
        ("double_backslash", d, "x \\\\appendix y"),
        ("trailing_newline", d, "A\n\\appendix\n"),
        ("crlf_appendix", d, "A\r\n\\appendix\r\nB\r\n"),
        ("cjk_before", d, "\u6458\u8981\u3002\\begin{thebibliography}\u53c2\u8003\u6587\u732e"),
        ("emoji_after", d, "ok \\appendix \U0001f600"),
        ("newline_in_marker", d, "\\bibliography\n{x}"),
    ]


def expand_macro_cases():
    d = {}
    return [
        ("newcommand_basic", d, "\\newcommand{\\foo}{bar}\nUse \\foo here. And \\foo.\n"),
        ("newcommand_star", d, "\\newcommand*{\\foo}{bar}\n\\foo \\foo"),
        ("def_basic", d, "\\def\\foo{bar}\n\\foo!\n"),
        ("def_spaces", d, "\\def \\foo {bar}\nx \\foo y\n"),
        ("def_newline_spaces", d, "\\def\n\\foo\n{bar}\nx \\foo y\n"),
        ("def_odd_space_x1c", d, "\\def\x1c\\foo{bar}\nx \\foo y\n"),
        ("def_nbsp", d, "\\def\u00a0\\foo{bar}\nx \\foo y\n"),
        ("macro_at_end", d, "\\newcommand{\\foo}{bar}\nend \\foo"),
        ("macro_prefix_of_word", d, "\\newcommand{\\foo}{bar}\n\\foobar \\foo1 \\foo_x \\foo{}"),
        ("adjacent_macros", d, "\\newcommand{\\a}{A}\n\\a\\a\\a.\n"),
        ("value_with_backslash", d, "\\newcommand{\\R}{\\mathbb{R}}\n$x \\in \\R$\n"),
        ("value_with_group_ref", d, "\\newcommand{\\g}{\\1 \\g<0> $1}\n\\g.\n"),
        ("value_non_ascii", d, "\\newcommand{\\cafe}{caf\u00e9 \u4e2d\u6587 \U0001f600}\n\\cafe!\n"),
        ("value_with_tab_cr", d, "\\newcommand{\\t}{a\tb\rc}\n\\t.\n"),
        ("value_braces_nested", d, "\\newcommand{\\x}{{a}{b}}\n\\x.\n"),
        ("value_not_at_line_end", d, "\\newcommand{\\x}{a} % comment\n\\x.\n"),
        ("value_empty", d, "\\newcommand{\\x}{}\nA\\x.B\n"),
        ("crlf_definitions", d, "\\newcommand{\\x}{a}\r\n\\x.\r\n\\def\\y{b}\r\n\\y.\r\n"),
        ("redefinition", d, "\\newcommand{\\x}{one}\n\\def\\y{Y}\n\\def\\x{two}\n\\x \\y \\x.\n"),
        ("order_matters", d, "\\newcommand{\\b}{\\a}\n\\newcommand{\\a}{A}\n\\b.\n"),
        ("order_matters_reverse", d, "\\newcommand{\\a}{A}\n\\newcommand{\\b}{\\a}\n\\b.\n"),
        ("macro_with_args_untouched", d, "\\newcommand{\\f}[1]{#1!}\n\\f{x}\n"),
        ("name_with_digits", d, "\\newcommand{\\x2}{two}\n\\x2 \\x.\n"),
        ("name_non_ascii", d, "\\newcommand{\\\u00e9}{e}\n\\\u00e9.\n"),
        ("renewcommand_ignored", d, "\\renewcommand{\\x}{a}\n\\x.\n"),
        ("newcommand_no_braces", d, "\\newcommand\\x{a}\n\\x.\n"),
        ("def_with_params_untouched", d, "\\def\\f#1{#1}\n\\f x\n"),
        ("no_definitions", d, "Just \\textbf{bold} and \\emph{it}."),
        ("definition_last_line_no_newline", d, "\\newcommand{\\x}{a}"),
        (
            "many_macros",
            d,
            "".join("\\newcommand{\\m%d}{v%d}\n" % (i, i) for i in range(30)) + "\\m1 \\m12 \\m29.\n",
        ),
        (
            "dj_preamble",
            d,
            "\\documentclass{article}\n\\newcommand{\\theHalgorithm}{\\arabic{algorithm}}\n"
            "\\newcommand{\\cmark}{\\ding{51}\\xspace}%\n"
            "\\def \\alambic {\\includegraphics[height=1.52ex]{img/alembic-crop.pdf}\\xspace}\n"
            "\\newcommand\\Zerocost{Zero-cost}\n\\begin{document}\n\\end{document}\n",
        ),
    ]


def _table(rows, cols, sep=" ", cell="c"):
    return "\n".join(sep.join("%s%d%d" % (cell, r, c) for c in range(cols)) for r in range(rows)) + "\n"


def table_cases():
    d = {}
    c = [
        (
            "dj_smallest_2x2",
            d,
            "This is a table:\n\u7f16\u53f7 \u5206\u884c\n\u2460 \u5317\u4eac\u5206\u884c\nThe end of the table.",
            "This is a table:\nThe end of the table.",
        ),
        (
            "dj_one_row",
            d,
            "This is a table:\n\u7f16\u53f7\n\u2460\n\u2461\n\u2462\nThe end of the table.",
            "This is a table:\n\u7f16\u53f7\n\u2460\n\u2461\n\u2462\nThe end of the table.",
        ),
        ("table_at_start_no_newline_before", d, _table(3, 3) + "after"),
        ("table_after_newline", d, "before\n" + _table(3, 3) + "after"),
        ("table_at_end", d, "before\n" + _table(3, 3)),
        ("table_at_end_no_final_newline", d, "before\n" + _table(3, 3)[:-1]),
        ("single_row", d, "before\n" + _table(1, 3) + "after"),
        ("two_rows", d, "before\n" + _table(2, 3) + "after"),
        ("ragged_rows", d, "before\na b c\nd e\nf g h\ni j k\nafter"),
        ("tab_separated", d, "before\n" + _table(3, 4, sep="\t") + "after"),
        ("pipe_separated", d, "before\n" + _table(3, 4, sep="|") + "after"),
        ("markdown_pipes", d, "before\n| a | b |\n|---|---|\n| 1 | 2 |\nafter"),
        ("double_space", d, "before\na  b\nc  d\nafter"),
        ("blank_lines_between_rows", d, "before\na b\n\n\nc d\n\nafter"),
        ("crlf_rows", d, "before\r\na b\r\nc d\r\nafter"),
        ("cjk_rows", d, "\u8868\n\u7532 \u4e59 \u4e19\n\u4e01 \u620a \u5df1\nend"),
        ("emoji_cells", d, "x\n\U0001f600 \U0001f44d\n\u2764\ufe0f \U0001f3fd\ny"),
        ("x1c_inside_cell", d, "x\na\x1cb c\nd e\ny"),
        ("nbsp_separator", d, "x\na\u00a0b\nc\u00a0d\ny"),
        ("prose_lines", d, "Title\nThis is prose.\nMore prose here too.\nEnd"),
        ("trailing_space_row", d, "x\na b \nc d \ny"),
        ("leading_space_row", d, "x\n a b\n c d\ny"),
        ("only_table", d, "\n" + _table(4, 2)),
    ]
    for cols in (1, 2, 3, 4, 5, 6, 19, 20, 21, 22):
        c.append(("cols_%d_default" % cols, d, "head\n" + _table(3, cols) + "tail"))
    for cols in (2, 3, 4, 5, 6):
        for p in ({"min_col": 3, "max_col": 5}, {"min_col": 4, "max_col": 4}):
            c.append(
                ("cols_%d_min%d_max%d" % (cols, p["min_col"], p["max_col"]), p, "h\n" + _table(3, cols) + "t")
            )
    c.append(("min_above_max_is_noop", {"min_col": 5, "max_col": 3}, "h\n" + _table(3, 4) + "t"))
    c.append(("max_col_2", {"max_col": 2}, "h\n" + _table(3, 2) + _table(3, 3) + "t"))
    c.append(("min_col_20", {"min_col": 20}, "h\n" + _table(3, 20) + _table(3, 19) + "t"))
    return c


NC_TEXTS = [
    "\u7279\u6b8a\u7684\u5eb7\u7199\u90e8\u9996\u6216\u8005\u6269\u5c55\u90e8\u9996\u4f1a\u88ab\u53bb\u9664\uff0c\u2f0f\u51e0\u2e87",
    "\u8bf7\u95ee\u4f60\u662f\u8c01dasoidhao@1264fg.45om",
    "f://exam\u5339\u914dple\u6c4912\u5b57ma-ni\u00e8\u5305\u62ecrdas\u7e4188\u9ad4\u5b57h@hqbchd.ds1",
    "\U0001f44a    \u6240\u6709\u7684\u975e\u6c49\u5b57a44sh\u90fd12@46h\u4f1a\u88ab*&\u2026\u2026*qb^4525\u53bb\u6389",
    "\u9fa5\u9fa6\u4e00\u4dff \u3400\u3401 \U00020000",
    "punct: .\uff0c ,-\u3002%\u300a*\u300b/\u2022\u3001&\uff06(\u2014)\uff08+\uff09\uff1a\uff1f!\uff01\u201c\u201d\u00b7 "
    "others: ;:'\"[]{}\\|_=~`^$#@<>?\u2013\u2018\u2019\u3010\u3011",
    "ASCII letters Aa Zz and fullwidth \uff21\uff41 and digits 0 9 and fullwidth \uff10\uff19 and \u00b2",
    "tabs\tand\nnewlines\r\nstay?",
]


def non_chinese_cases():
    c = []
    flags = [(a, n, p) for a in (True, False) for n in (True, False) for p in (True, False)]
    for a, n, p in flags:
        params = {"keep_alphabet": a, "keep_number": n, "keep_punc": p}
        if (a, n, p) == (True, True, True):
            params = {}
        tag = "a%dn%dp%d" % (a, n, p)
        for i, text in enumerate(NC_TEXTS):
            c.append(("%s_%d" % (tag, i), params, text))
    return c


def replace_content_cases():
    spec = {"pattern": "\u25cf\u25a0", "repl": "<SPEC>"}
    digit_raw = {"pattern": "r'\\d+(?:,\\d+)*'", "repl": "<DIGIT>"}
    digit = {"pattern": "\\d+(?:,\\d+)*", "repl": "<DIGIT>"}
    multi = {"pattern": ["\\s+", "(\\w+)@(\\w+)", "^x"], "repl": [" ", "\\2 at \\1", "X"]}
    multi_one_repl = {"pattern": ["a", "b"], "repl": "-"}
    longer_repl = {"pattern": ["a"], "repl": ["1", "2", "3"]}
    str_pattern_list_repl = {"pattern": "o", "repl": ["0"]}
    dotall = {"pattern": "<!--.*?-->", "repl": ""}
    unicode_cls = {"pattern": "\\p{Han}+", "repl": "[HAN]"}
    posix_cls = {"pattern": "[[:punct:]]+", "repl": "_"}
    fuzzy = {"pattern": "(?:colour){e<=1}", "repl": "color"}
    named = {"pattern": "(?P<user>\\w+)@(?P<host>[\\w.]+)", "repl": "\\g<host>/\\g<user>"}
    case_insensitive = {"pattern": "(?i)hello", "repl": "bye"}
    empty_match = {"pattern": "x*", "repl": "-"}
    none_pattern = {"pattern": None, "repl": "zzz"}
    texts = [
        "\u8fd9\u662f\u4e00\u4e2a\u5e72\u51c0\u7684\u6587\u672c\u3002Including Chinese and English.",
        "\u25c6\u25cf\u25a0\u25ba\u25bc\u25b2\u25b4\u2206\u25bb\u25b7\u2756\u2661\u25a1",
        "\u8fd9\u662f\u4e00\u4e2a123\u3002Including 456 and 1,000,000 English.",
        "x  y\n\tz user@host colour colr color COLOUR Hello HELLO \u4e2d\u6587\u5b57 !!?? <!-- a\nb --> end",
        "",
        "xxx",
        "aabb ooo",
    ]
    c = [
        (
            "dj_special_char",
            spec,
            texts[1],
            "\u25c6<SPEC>\u25ba\u25bc\u25b2\u25b4\u2206\u25bb\u25b7\u2756\u2661\u25a1",
        ),
        (
            "dj_raw_digit",
            digit_raw,
            "\u8fd9\u662f\u4e00\u4e2a123\u3002Including 456 and English.",
            "\u8fd9\u662f\u4e00\u4e2a<DIGIT>\u3002Including <DIGIT> and English.",
        ),
        (
            "dj_regular_digit",
            digit,
            "\u8fd9\u662f\u4e00\u4e2a123\u3002Including 456 and English.",
            "\u8fd9\u662f\u4e00\u4e2a<DIGIT>\u3002Including <DIGIT> and English.",
        ),
    ]
    sets = [
        ("spec", spec),
        ("digit_raw", digit_raw),
        ("digit", digit),
        ("multi", multi),
        ("multi_one_repl", multi_one_repl),
        ("longer_repl", longer_repl),
        ("str_pattern_list_repl", str_pattern_list_repl),
        ("dotall", dotall),
        ("unicode_class", unicode_cls),
        ("posix_class", posix_cls),
        ("fuzzy", fuzzy),
        ("named_groups", named),
        ("case_insensitive", case_insensitive),
        ("empty_match", empty_match),
        ("none_pattern", none_pattern),
        ("default", {}),
    ]
    for name, params in sets:
        for i, text in enumerate(texts):
            c.append(("%s_%d" % (name, i), params, text))
    return c


def repeat_sentences_cases():
    d = {}
    dj2 = {"lowercase": True, "ignore_special_character": False, "min_repeat_sentence_length": 5}
    quick = (
        "The quick brown fox jumps over the lazy dog. Isn't it amazing how a simple sentence can contain every "
        "letter of the alphabet? The quick brown fox jumps over the lazy dog. Speaking of weather, yesterday was "
        "quite dreary; however, today is absolutely delightful. Isn't it amazing how a simple sentence can "
        'contain every letter of the alphabet? "Let\'s seize the day," Tom exclaimed, full of enthusiasm. '
        '"Let\'s seize the day," Tom exclaimed, full of enthusiasm.'
    )
    quick_target = (
        "The quick brown fox jumps over the lazy dog. Isn't it amazing how a simple sentence can contain every "
        "letter of the alphabet? Speaking of weather, yesterday was quite dreary; however, today is absolutely "
        'delightful. "Let\'s seize the day," Tom exclaimed, full of enthusiasm.'
    )
    c = [
        ("dj_quick", d, quick, quick_target),
        (
            "dj_happy",
            d,
            "\u6211\u5f88\u5f00\u5fc3 \u3002\u4f46\u662f\u4f60\u4e0d\u5f00\u5fc3  \u3002\u6211\u5f88\u5f00\u5fc3 \u3002\n"
            "\u4f60\u597d\u5440\uff01\u6211\u5f88\u5f00\u5fc3 \u3002\u6211\u597d\u7684\u3002\u4f60\u597d\u5440\uff01",
            "\u6211\u5f88\u5f00\u5fc3 \u3002\u4f46\u662f\u4f60\u4e0d\u5f00\u5fc3  \u3002\n"
            "\u4f60\u597d\u5440\uff01\u6211\u597d\u7684\u3002",
        ),
        (
            "dj_short",
            d,
            "\u9ed8\u8ba4\u914d\u7f6e\u4e0b\uff0c\u957f\u5ea6\u4f4e\u4e8e2\u7684\u53e5\u5b50\u4e0d\u4f1a\u88ab\u53bb\u91cd\u3002"
            "\u53bb\u91cd\uff1f\u53bb\u91cd\u3002\u53bb\u91cd\uff01\u91cd\u3002\u91cd...... \u91cd! 1234\uff1f3215. 1234. 3. 3. 3",
            "\u9ed8\u8ba4\u914d\u7f6e\u4e0b\uff0c\u957f\u5ea6\u4f4e\u4e8e2\u7684\u53e5\u5b50\u4e0d\u4f1a\u88ab\u53bb\u91cd\u3002"
            "\u53bb\u91cd\uff1f\u91cd\u3002\u91cd...... \u91cd! 1234\uff1f3215. 3. 3. 3",
        ),
        ("dj2_quick", dj2, quick, quick_target),
        (
            "dj2_short",
            dj2,
            "\u53bb\u91cd\uff1f\u53bb\u91cd\u3002\u53bb\u91cd\uff01\u91cd\u3002\u91cd...... \u91cd! 1234\uff1f3215. 1234. 3. 3. 3",
            "\u53bb\u91cd\uff1f\u53bb\u91cd\u3002\u53bb\u91cd\uff01\u91cd\u3002\u91cd...... \u91cd! 1234\uff1f3215. 1234. 3. 3. 3",
        ),
    ]
    e = [
        (
            "quotes_after_marks",
            d,
            "He said \u201cgo.\u201d He said \u201cgo.\u201d She said \u2018no!\u2019 She said \u2018no!\u2019",
        ),
        ("six_dots", d, "Wait...... wait...... Wait......x wait......x"),
        ("ellipsis_chars", d, "Hmm\u2026\u2026 Hmm\u2026\u2026 Hmm\u2026\u2026x Hmm\u2026x"),
        ("odd_class_members", d, "a2\u201db a2\u201db {\u201dc {\u201dc 6\u201d6\u201d }\u2019z }\u2019z"),
        ("marks_in_a_row", d, "What?! What?! Really?!? Really?!?"),
        ("case_differs", d, "Hello there. hello there. HELLO THERE."),
        ("case_differs_lower", {"lowercase": True}, "Hello there. hello there. HELLO THERE."),
        ("special_chars_differ", d, "Hi, you! Hi you! Hi -- you!"),
        ("special_chars_kept", {"ignore_special_character": False}, "Hi, you! Hi you! Hi -- you!"),
        ("across_lines", d, "One. Two.\nTwo. Three.\n\nOne.\n"),
        ("empty_lines_kept", d, "\n\nA.\n\n\nA.\n\n"),
        ("crlf_lines", d, "A b.\r\nA b.\r\nC d.\r\n"),
        ("leading_spaces", d, "  A b.   A b.  C d."),
        ("tabs", d, "A b.\tA b.\tC d."),
        (
            "cjk_only",
            d,
            "\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002\u660e\u5929\u4e5f\u597d\uff01",
        ),
        ("traditional_outside_range", d, "\u9fa6\u9fa6. \u9fa6\u9fa6. \u4e00\u4e00. \u4e00\u4e00."),
        ("emoji_sentences", d, "\U0001f600\U0001f600. \U0001f600\U0001f600. ok ok. ok ok."),
        ("len_below_min", {"min_repeat_sentence_length": 4}, "abc. abc. abcd. abcd. abcde. abcde."),
        ("len_at_min", {"min_repeat_sentence_length": 3}, "abc. abc. ab. ab."),
        ("len_zero", {"min_repeat_sentence_length": 0}, "a. a. . . !! !!"),
        ("len_one", {"min_repeat_sentence_length": 1}, "a. a. . . !! !!"),
        ("len_large", {"min_repeat_sentence_length": 1000}, "Same. Same. Same."),
        ("no_marks", d, "no sentence marks here no sentence marks here"),
        ("trailing_mark", d, "End. End."),
        (
            "question_full_width",
            d,
            "\u4f60\u597d\uff1f\u4f60\u597d\uff1f\u4f60\u597d\uff01\u4f60\u597d\uff01",
        ),
        (
            "tokenizer_lambda_split",
            {"tokenizer": "lambda text: text.split('; ')"},
            "one; two; one; three;two; two",
        ),
        (
            "tokenizer_lambda_keeps_space",
            {"tokenizer": "lambda t: [t[:3], t[3:]]"},
            "ab  ab ",
        ),
        (
            "tokenizer_lambda_regex",
            {"tokenizer": "lambda t: __import__('re').split(r'(?<=[.!?])\\s+', t)"},
            "Hi there. Hi there! Bye now. bye now.",
        ),
    ]
    return c + e


def incorrect_substrings_cases():
    d = {}
    c = [
        (
            "dj_en_1",
            {"substrings": ["http", "www", ".com", "href", "//"]},
            "This paper proposed a novel https://whiugc.com method on LLM",
            "This paper proposed a novel method on LLM",
        ),
        (
            "dj_en_2",
            {"substrings": ["http", "www", ".com", "href", "//"]},
            "plusieurs \u00e8rdash@hqbchd.ckd d'acc\u00e9der \u00e0 ces wwwasdasd fonc",
            "plusieurs \u00e8rdash@hqbchd.ckd d'acc\u00e9der \u00e0 ces fonc",
        ),
        ("stripped_before_test", d, "(www) //x// a.com. x.com (.com) ...com... href=1 //"),
        ("word_boundaries", d, "httpx xhttp HTTP WWW w.w.w .co m com. .Com"),
        ("collapses_spaces", d, "a  b   c    d"),
        ("drops_empty_lines", d, "a\n\n\nb\n \n\t\nc"),
        ("tabs_kept_between", d, "a\tb\t\tc\t http://x \td"),
        ("only_bad_words", d, "http://a.com www.b.org"),
        ("bad_word_line", d, "keep\nhttp://a.com\nkeep"),
        ("crlf", d, "a http://x\r\nb\r\n"),
        ("nbsp_not_separator", d, "a\u00a0http://x b"),
        ("emoji_strip", d, "\U0001f600http://x\U0001f600 ok \U0001f44d"),
        ("cjk_glued", d, "\u8bf7\u7528\u767e\u5ea6www.baidu.com\u8fdb\u884c\u641c\u7d22 \u4f60\u597d"),
        ("empty_substrings", {"substrings": []}, "a  b http://x\n\nc"),
        ("empty_string_substring", {"substrings": [""]}, "a b c"),
        (
            "custom_substrings",
            {"substrings": ["com", "\u7b97\u5b50"]},
            "\u7b97\u5b50 computer \u8ba1\u7b97\u5b50 x.com",
        ),
        ("lang_zh_no_tokenization", {"lang": "zh"}, "\u4f60\u597d http://x \u4e16\u754c"),
        ("special_only_word", d, "!!! ... \u3002\u3002 //// a"),
        ("leading_trailing_ws", d, "  a b  \n  c  "),
    ]
    return c


def chinese_convert_cases():
    # Data-Juicer's own unit-test sentences, for every mode (written as characters:
    # this is the one place where reading them matters more than seeing code points).
    dj = {
        "s2t": [
            ("这是几个简体字，会被转换为繁体字", "這是幾個簡體字，會被轉換爲繁體字"),
            ("如果本身都是繁體字就不會被轉換", "如果本身都是繁體字就不會被轉換"),
            (
                "试试繁体afadf字$#@#和简体字，以及各123213*&dasd種不同字符数字的组合轉換效果",
                "試試繁體afadf字$#@#和簡體字，以及各123213*&dasd種不同字符數字的組合轉換效果",
            ),
        ],
        "t2s": [
            ("這是幾個繁體字，會被轉換爲簡體字", "这是几个繁体字，会被转换为简体字"),
            ("如果本身都是简体字，就不会被转换", "如果本身都是简体字，就不会被转换"),
        ],
        "s2tw": [
            ("群贤毕至，少长咸集", "群賢畢至，少長鹹集"),
            ("米线面粉里面启发吊钩", "米線麵粉裡面啟發吊鉤"),
        ],
        "tw2s": [
            ("群賢畢至，少長鹹集", "群贤毕至，少长咸集"),
            ("米線麵粉裡面啟發吊鉤", "米线面粉里面启发吊钩"),
        ],
        "s2hk": [
            ("群贤毕至，少长咸集", "羣賢畢至，少長鹹集"),
            ("米线面粉里面启发吊钩", "米線麪粉裏面啓發吊鈎"),
        ],
        "hk2s": [
            ("羣賢畢至，少長鹹集", "群贤毕至，少长咸集"),
            ("米線麪粉裏面啓發吊鈎", "米线面粉里面启发吊钩"),
        ],
        "s2twp": [
            ("网络连接异常，请检查信息安全", "網路連線異常，請檢查資訊保安"),
            ("今年想去新西兰和马尔代夫旅游", "今年想去紐西蘭和馬爾地夫旅遊"),
        ],
        "tw2sp": [
            ("網路連線異常，請檢查資訊保安", "网络连接异常，请检查信息安全"),
            (
                "我打個計程車打到了一輛賓士，準備在車上吃冰棒和乳酪",
                "我打个出租车打到了一辆奔驰，准备在车上吃冰棍和奶酪",
            ),
        ],
        "t2tw": [
            ("羣賢畢至，少長鹹集", "群賢畢至，少長鹹集"),
            ("米線麪粉裏面啓發吊鉤", "米線麵粉裡面啟發吊鉤"),
        ],
        "tw2t": [
            ("群賢畢至，少長鹹集", "羣賢畢至，少長鹹集"),
            ("米線麵粉裡面啟發吊鈎", "米線麪粉裏面啓發吊鈎"),
        ],
        "t2hk": [
            ("說他癡人說夢,他深感不悅", "説他痴人説夢,他深感不悦"),
            ("一隻憂鬱的臺灣烏龜", "一隻憂鬱的台灣烏龜"),
        ],
        "hk2t": [
            ("説他痴人説夢,他深感不悦", "說他癡人說夢,他深感不悅"),
            ("一隻憂鬱的台灣烏龜", "一隻憂鬱的臺灣烏龜"),
        ],
        "t2jp": [("他需要修復心臟瓣膜", "他需要修復心臓弁膜"), ("藝術 缺航 飲料罐", "芸術 欠航 飲料缶")],
        "jp2t": [
            ("旧字体歴史仮名遣 新字体現代仮名遣", "舊字體歷史假名遣 新字體現代假名遣"),
            ("芸術 欠航 飲料缶", "藝術 缺航 飲料罐"),
        ],
    }
    extra = [
        ("simplified_news", "我们在网络上发布了这个软件的最新版本，支持简繁转换。"),
        ("traditional_news", "我們在網路上發佈了這個軟體的最新版本，支援繁簡轉換。"),
        ("hongkong", "羣衆裏面説麼，我們在香港的一間茶餐廳食嘢。"),
        ("japanese", "旧字体歴史仮名遣 芸術 欠航 飲料缶 国際 学校"),
        ("mixed_scripts", "Hello 世界！这是Python 3.11。\U0001f600 這是 123\n第二行\t制表符"),
        ("phrases", "出租车 計程車 奶酪 乳酪 软件 軟體 内存 記憶體 鼠标 滑鼠 台湾 臺灣 里面 裡面"),
    ]
    c = []
    for mode, pairs in dj.items():
        params = {} if mode == "s2t" else {"mode": mode}
        for i, (text, target) in enumerate(pairs):
            c.append(("dj_%s_%d" % (mode, i), params, text, target))
        for name, text in extra:
            c.append(("%s_%s" % (mode, name), params, text))
    return c


# --------------------------------------------------------------------------
# Seeded random texts over each op's own alphabet: the combinations a person
# would not think to write. Never edit an alphabet: append a new one.
# --------------------------------------------------------------------------

FUZZ_PIECES = {
    "remove_bibliography_mapper": [
        "\\appendix",
        "\\begin{references}",
        "\\begin{REFERENCES}",
        "\\begin{thebibliography}",
        "\\bibliography{",
        "}",
        "{",
        "\n",
        "a",
        " ",
        "\\",
        "\u4e2d",
        "\\begin{",
        "references}",
    ],
    "expand_macro_mapper": [
        "\\newcommand",
        "\\newcommand*",
        "\\def",
        "{",
        "}",
        "\\foo",
        "\\bar",
        "\\a1",
        "*",
        " ",
        "\n",
        "\t",
        "x",
        "1",
        "\\",
        "\x1c",
        "\r",
        "\u00e9",
        "\\1",
        "%",
        "\u00a0",
        "}\n",
        "{\\foo}",
        "{\\a1}",
    ],
    "remove_table_text_mapper": [
        "a",
        "b1",
        "|",
        " ",
        "\t",
        "\n",
        "\n",
        "\n\n",
        "\r",
        "\u4e2d",
        "\x1c",
        "\u00a0",
        "  ",
        "x|y",
        "a|b c",
    ],
    "remove_non_chinese_character_mapper": list(
        "aZ09.,-\\ \n\t%*/&()+!^[]\u4e00\u9fa5\u9fa6\u3002\uff0c\u300a\u300b\u2022\u3001\uff06\u2014"
        "\uff08\uff09\uff1a\uff1f\uff01\u201c\u201d\u00b7\u00e9\u3000"
    )
    + ["\U0001f600"],
    "remove_repeat_sentences_mapper": [
        "a",
        "b",
        "A",
        ".",
        "\u3002",
        "!",
        "\uff01",
        "\uff1f",
        "?",
        "\u2019",
        "\u201d",
        "\u2026",
        "......",
        " ",
        "\n",
        "2",
        "6",
        "{",
        "}",
        "\u4e2d",
        ",",
        "\t",
        "ab",
        "ab.",
        "ab. ",
    ],
    "remove_words_with_incorrect_substrings_mapper": [
        "http",
        "www",
        ".com",
        "//",
        "/",
        "a",
        " ",
        "  ",
        "\t",
        "\n",
        "!",
        "\U0001f600",
        "\r",
        "\u4e2d",
        ".",
        "href",
        "\u00a0",
    ],
}
FUZZ_SEED = 20250302
FUZZ_COUNT = 40


def fuzz_cases(op_name):
    pieces = FUZZ_PIECES.get(op_name)
    if pieces is None:
        return []
    rng = random.Random("%s/%d" % (op_name, FUZZ_SEED))
    params = OPS[op_name][2]
    out = []
    for i in range(FUZZ_COUNT):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        out.append(("fuzz_%02d" % i, params[i % len(params)], text))
    if op_name == "remove_table_text_mapper":
        for i in range(FUZZ_COUNT):
            out.append(("fuzz_rows_%02d" % i, params[i % len(params)], fuzz_rows(rng)))
    return out


def fuzz_rows(rng):
    """Lines most of which can be cut into a few columns, ``|`` in and between cells."""
    lines = []
    for _ in range(rng.randint(1, 9)):
        cells = [
            rng.choice(["a", "b|c", "|", "a||b", "x", "a|||b", "||", "|a", "a|"])
            for _ in range(rng.randint(1, 5))
        ]
        line = cells[0] + "".join(rng.choice([" ", "\t", "|", " "]) + cell for cell in cells[1:])
        lines.append(line if rng.random() < 0.9 else line + rng.choice([" ", "\r", "\u00a0"]))
    joined = rng.choice(["\n", "\n\n"]).join(lines)
    return rng.choice(["", "h\n"]) + joined + rng.choice(["", "\n", "\n\n"])


OPS = {
    "remove_bibliography_mapper": (
        "data_juicer.ops.mapper.remove_bibliography_mapper:RemoveBibliographyMapper",
        bibliography_cases,
        [{}],
    ),
    "expand_macro_mapper": (
        "data_juicer.ops.mapper.expand_macro_mapper:ExpandMacroMapper",
        expand_macro_cases,
        [{}],
    ),
    "remove_table_text_mapper": (
        "data_juicer.ops.mapper.remove_table_text_mapper:RemoveTableTextMapper",
        table_cases,
        [{}, {"min_col": 3, "max_col": 5}],
    ),
    "remove_non_chinese_character_mapper": (
        "data_juicer.ops.mapper.remove_non_chinese_character_mapper:RemoveNonChineseCharacterlMapper",
        non_chinese_cases,
        [{}, {"keep_alphabet": False, "keep_number": False, "keep_punc": False}],
    ),
    "replace_content_mapper": (
        "data_juicer.ops.mapper.replace_content_mapper:ReplaceContentMapper",
        replace_content_cases,
        [{"pattern": ["\\d+", "\\s{2,}"], "repl": ["<N>", " "]}, {"pattern": "(?i)http\\S+", "repl": ""}],
    ),
    "remove_repeat_sentences_mapper": (
        "data_juicer.ops.mapper.remove_repeat_sentences_mapper:RemoveRepeatSentencesMapper",
        repeat_sentences_cases,
        [{}, {"lowercase": True, "ignore_special_character": False, "min_repeat_sentence_length": 5}],
    ),
    "remove_words_with_incorrect_substrings_mapper": (
        "data_juicer.ops.mapper.remove_words_with_incorrect_substrings_mapper:RemoveWordsWithIncorrectSubstringsMapper",  # noqa: E501
        incorrect_substrings_cases,
        [{}, {"substrings": ["the", "\u4e2d"]}],
    ),
    "chinese_convert_mapper": (
        "data_juicer.ops.mapper.chinese_convert_mapper:ChineseConvertMapper",
        chinese_convert_cases,
        [{}, {"mode": "t2s"}, {"mode": "s2twp"}, {"mode": "t2jp"}],
    ),
}
"""Each op: its Data-Juicer class, its own cases, and the parameter sets the shared
corpus and the big inputs are run with."""


# --------------------------------------------------------------------------
# Running the real ops
# --------------------------------------------------------------------------


def load_class(path):
    import importlib

    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def run_batch(cls, params, texts):
    """Data-Juicer's batched entry point on ``texts``; a fresh op per call."""
    op = cls(**params)
    assert op.is_batched_op()
    out = op.process({op.text_key: list(texts)})
    return list(out[op.text_key])


def all_cases():
    """(op, case_id, source, params, text, expected-or-None, generated-spec-or-None)."""
    out = []
    for op_name, (_, make, corpus_params) in OPS.items():
        for entry in make() + fuzz_cases(op_name):
            cid, params, text = entry[:3]
            out.append(
                (op_name, cid, "dj_unittest" if len(entry) > 3 else "edge", params, text, entry[3:4], None)
            )
        for k, params in enumerate(corpus_params):
            suffix = "" if k == 0 else "_p%d" % k
            for cid, text in CORPUS:
                out.append((op_name, "corpus_" + cid + suffix, "corpus", params, text, (), None))
            for kind, seed in (("1mb", WEB_SEED), (LATEX_KIND, LATEX_SEED)):
                out.append(
                    (op_name, "generated_%s%s" % (kind, suffix), "generated", params, None, (), (kind, seed))
                )
    return out


def main():
    import importlib.metadata as md

    import regex

    import data_juicer

    texts = {"1mb": web_text(WEB_SEED), LATEX_KIND: generate_latex(LATEX_SEED)}
    assert len(texts["1mb"]) == 1_000_000 and len(texts[LATEX_KIND]) == LATEX_LEN

    cases = []
    mismatches = []
    seen = set()
    groups = {}
    for op_name, cid, source, params, text, expected, generated in all_cases():
        assert (op_name, cid) not in seen, (op_name, cid)
        seen.add((op_name, cid))
        cls = load_class(OPS[op_name][0])
        inp = texts[generated[0]] if generated else text
        case = {"id": cid, "op": op_name, "source": source, "params": params}
        try:
            out = run_batch(cls, dict(params), [inp])[0]
        except Exception as exc:  # noqa: BLE001 - Data-Juicer's failure is the reference
            assert not generated, (op_name, cid, exc)
            case.update(text=text, error=type(exc).__name__)
            cases.append(case)
            continue
        if generated:
            case["generated"] = {"kind": generated[0], "seed": generated[1]}
            case.update(input_sha256=sha256_text(inp), input_len=len(inp))
            case.update(output_sha256=sha256_text(out), output_len=len(out))
        else:
            case.update(text=text, output=out)
        if expected:
            case["dj_test_expected"] = expected[0]
            if expected[0] != out:
                mismatches.append((op_name, cid, expected[0], out))
        cases.append(case)
        key = json.dumps([op_name, params], sort_keys=True)
        groups.setdefault(key, []).append((case, inp, out))

    # The same texts as one batch per parameter set: Data-Juicer must agree with itself.
    for key, members in groups.items():
        op_name, params = json.loads(key)
        cls = load_class(OPS[op_name][0])
        batch_out = run_batch(cls, dict(params), [inp for _, inp, _ in members])
        for (case, _, single), got in zip(members, batch_out):
            assert got == single, ("batch differs from per-sample", op_name, case["id"])

    # What Data-Juicer does with parameter values datamill refuses.
    refused = []
    for op_name, params, text in (
        ("remove_table_text_mapper", {"min_col": 1}, "h\na\nb\nc\n"),
        ("remove_table_text_mapper", {"max_col": 21}, "h\n" + _table(3, 21) + "t"),
        ("replace_content_mapper", {"pattern": ["a", "b"], "repl": ["x"]}, "ab"),
        ("chinese_convert_mapper", {"mode": "s2x"}, "\u6c49\u5b57"),
        ("remove_words_with_incorrect_substrings_mapper", {"tokenization": True}, "a http://x"),
    ):
        rec = {"op": op_name, "params": params, "text": text}
        try:
            rec["output"] = run_batch(load_class(OPS[op_name][0]), dict(params), [text])[0]
        except BaseException as exc:  # noqa: BLE001 - we record Data-Juicer's behaviour
            rec["error"] = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        refused.append(rec)

    import opencc

    doc = {
        "data_juicer_version": data_juicer.__version__,
        "py_data_juicer_dist_version": md.version("py-data-juicer"),
        "opencc_version": md.version("opencc"),
        "opencc_module": opencc.__name__,
        "regex_version": regex.__version__,
        "python_version": sys.version.split()[0],
        "invocation": "op = Cls(**params); op.process({'text': [text]})['text'][0] "
        "(op.process = catch_map_batches_exception(op.process_batched)); each parameter set "
        "also run as one batch of all its texts, with identical results",
        "generated_inputs": {
            "1mb": "make_dj_reference.generate_text(seed), 1,000,000 code points",
            LATEX_KIND: "generate_latex(seed) in make_dj_reference_mappers2.py, %d code points" % LATEX_LEN,
        },
        "refused_by_datamill": refused,
        "cases": cases,
    }
    with open(OUT_PATH, "w", encoding="ascii", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=True, indent=1, sort_keys=True)
        fh.write("\n")
    with open(OUT_PATH, encoding="ascii") as fh:
        back = json.load(fh)
    for orig, got in zip(cases, back["cases"]):
        assert orig == got, (orig["op"], orig["id"])

    counts = {}
    for case in cases:
        counts[case["op"]] = counts.get(case["op"], 0) + 1
    print("wrote", OUT_PATH)
    for k, v in counts.items():
        print("  %-46s %d cases" % (k, v))
    for rec in refused:
        print("  refused:", rec["op"], rec["params"], rec.get("error") or repr(rec.get("output")))
    if mismatches:
        print("WARNING: outputs differing from Data-Juicer's own unit-test expectations:")
        for m in mismatches:
            print("  ", repr(m))


if __name__ == "__main__":
    main()
