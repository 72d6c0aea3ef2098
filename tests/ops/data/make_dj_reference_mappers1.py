#!/usr/bin/env python3
"""Generate dj_reference_mappers1.json: outputs of the REAL Data-Juicer mappers

    punctuation_normalization_mapper, clean_copyright_mapper, clean_ip_mapper,
    clean_html_mapper, remove_long_words_mapper, remove_specific_chars_mapper,
    remove_header_mapper, remove_comments_mapper

on a corpus written here (code, LaTeX, HTML, CJK, emoji, IP addresses, URLs,
long words, empty and whitespace-only texts, every length threshold's edges)
under several parameter sets per op.

Data-Juicer is NOT a datamill dependency. Run this only in a throwaway venv
outside the repository that has py-data-juicer 1.6.1 and selectolax:

    /work/djvenv/bin/python tests/ops/data/make_dj_reference_mappers1.py

Each text goes through two of Data-Juicer's entry points: ``op.process`` on a
one-sample batch (the per-sample result that is stored), and ``op.run`` on a
NestedDataset of all the texts of one parameter set (its batched run through
``datasets.map``); the script stops if the two ever disagree.

Importing this module needs only the standard library: datamill's test calls
``generate_text(seed)`` to rebuild the ~1 MB inputs stored as hashes.
JSON conventions: ASCII (every non-ASCII character is a \\uXXXX escape),
sorted keys, sha256 over UTF-8, lengths in code points.
"""

import hashlib
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, "dj_reference_mappers1.json")

BIG_LEN = 1_000_000
BIG_SEED = 20251128

# Alphabet of the generated text. Order matters (random.choice indexes into
# it): never edit, only append.
_BIG_TOKENS = [
    "the",
    "quick",
    "brown",
    "fox",
    "a",
    "I",
    "word",
    "Text",
    "42",
    "3.14",
    "v1.2.3",
    ".",
    ",",
    "!",
    "?",
    "(",
    ")",
    '"',
    "'",
    "-",
    "--",
    "...",
    "supercalifragilisticexpialidocious",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "((parenthesised))",
    "\u201cquoted\u201d",
    "https://www.example.org/a/very/long/path/index.html?q=1&r=2",
    "192.168.0.1",
    "10.0.0.255",
    "256.300.1.1",
    "127.0.0.1:8080",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "fe80::1",
    "aa:bb:cc:dd:ee:ff:00:11",
    "12:30:45",
    "\\section{Intro}",
    "\\subsection*{Method}",
    "\\paragraph[short]{Long title}",
    "\\chapter{One}",
    "\\sectionx{no}",
    "\\begin{document}",
    "\\end{document}",
    "$x^2$",
    "%",
    "% a comment",
    "50\\%",
    "/*",
    "*/",
    "Copyright",
    "(c) 2024",
    "//",
    "#",
    "<p>",
    "</p>",
    "<li>",
    "</li>",
    "<ol>",
    "</ol>",
    "<ul>",
    "<br>",
    "<b>bold</b>",
    "&amp;",
    "&lt;",
    "&nbsp;",
    "<!-- c -->",
    "<script>x<1</script>",
    "\uff0c",
    "\u3002",
    "\u3001",
    "\u201e",
    "\u00ab",
    "\u00bb",
    "\uff11",
    "\u300c",
    "\u300d",
    "\u300a",
    "\u300b",
    "\u00b4",
    "\u2236",
    "\uff1a",
    "\uff1f",
    "\uff01",
    "\uff08",
    "\uff09",
    "\uff1b",
    "\u2013",
    "\u2014",
    "\uff0e",
    "\uff5e",
    "\u2019",
    "\u2026",
    "\u2501",
    "\u3008",
    "\u3009",
    "\u3010",
    "\u3011",
    "\uff05",
    "\u25ba",
    "\u25c6",
    "\u25cf",
    "\u25a0",
    "\u25a1",
    "\u2661",
    "\u2756",
    "\u4e2d\u6587",
    "\u8fd9\u662f\u4e00\u4e2a\u5f88\u957f\u7684\u6ca1\u6709\u7a7a\u683c\u7684\u53e5\u5b50",
    "\u65e5\u672c\u8a9e",
    "\ud55c\uad6d\uc5b4",
    "caf\u00e9",
    "\u0440\u0443\u0441\u0441\u043a\u0438\u0439",
    "\U0001f600",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\u00a9",
    "\x00",
    "\ufeff",
]

_BIG_SEPARATORS = [" "] * 30 + ["", "  ", "\t", "\n", "\n", "\n\n", "\r\n", " \t ", " \n ", "\u3000", "\u00a0"]


def generate_text(seed, length=BIG_LEN):
    """Deterministic text of exactly ``length`` code points. Stdlib only."""
    rng = random.Random(seed)
    parts = []
    total = 0
    while total < length:
        token, sep = rng.choice(_BIG_TOKENS), rng.choice(_BIG_SEPARATORS)
        parts += (token, sep)
        total += len(token) + len(sep)
    return "".join(parts)[:length]


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------
# The corpus. Each op: a list of parameter sets and a list of (id, text); every
# text runs under every parameter set of its op.
# --------------------------------------------------------------------------

COMMON = [
    ("empty", ""),
    ("space", " "),
    ("whitespace_only", " \t\n\u3000 \r\n "),
    ("newlines_only", "\n\n\n"),
    ("plain_english", "The quick brown fox jumps over the lazy dog."),
    ("cjk", "\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\uff0c\u6211\u4eec\u8bf4\u4e2d\u6587\u3002"),
    ("emoji", "I \u2764\ufe0f data \U0001f600\U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467!"),
    ("url", "see https://example.com/path?q=1 and www.example.org."),
    ("nul_and_bom", "a\x00b\ufeffc\u200bd"),
]

PUNCT_ALL = (
    "\uff0c\u3002\u3001\u201e\u201d\u201c\u00ab\u00bb\uff11\u300d\u300c\u300a\u300b\u00b4\u2236\uff1a\uff1f"
    "\uff01\uff08\uff09\uff1b\u2013\u2014\uff0e\uff5e\u2019\u2026\u2501\u3008\u3009\u3010\u3011\uff05\u25ba"
)

PUNCTUATION = [
    ("all_mapped", PUNCT_ALL),
    ("each_between_letters", "".join("a" + ch for ch in PUNCT_ALL) + "a"),
    ("cjk_sentence", "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u8fd9\u662f\u300a\u4e66\u300b\u3002\u5bf9\u5417\uff1f"),
    ("fullwidth_digits", "\uff10\uff11\uff12\uff13 \u2014 \uff11\uff11"),
    ("quotes_mix", "\u201cHello\u201d, \u2018world\u2019 \u00abbonjour\u00bb \u201egut\u201c"),
    ("ascii_unchanged", "Already, plain: (ASCII) punctuation; 100% - ok? yes! ~ [x] <y>"),
    ("not_in_table", "\u2018\u2032\u2033\u2010\u2011\u2012\u2015\u00b7\u2022\u301c\uff3b\uff3d\uff5b\uff5d"),
    ("ellipsis_and_dashes", "wait\u2026 what\u2014no\u2013yes\u2501\u2501\u25ba\u25ba"),
    ("code", 'print("\uff08x\uff09")  # \u6ce8\u91ca\uff1a\u4e2d\u6587\n'),
]

COPYRIGHT = [
    ("c_header", "/*\n * Copyright (c) 2024 Example Corp.\n * All rights reserved.\n */\n#include <stdio.h>\n"),
    ("c_header_upper", "/* COPYRIGHT 1999 ACME */\nint main(void) { return 0; }"),
    ("c_header_mixed_case", "/* CoPyRiGhT notice */int x;"),
    ("block_without_copyright", "/* just a note */\n// Copyright 2020\nint x;"),
    ("second_block_has_it", "/* first */ code /* Copyright later */ more"),
    ("block_in_middle", "int a;\n/* Copyright X */\nint b;"),
    ("stars_inside", "/** Copyright ** with *stars* **/\nx = 1"),
    ("unterminated_block", "/* Copyright never closed\n// line\ncode"),
    ("slash_lines", "// Copyright 2024 Foo\n// Licensed under MIT\n\nconst x = 1;\n// trailing\n"),
    ("hash_lines", "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# Copyright (c) Bar\nimport os\n"),
    ("sql_lines", "-- Copyright 2010\n-- schema\nSELECT 1;\n-- end"),
    ("all_comment_lines", "# one\n# two\n\n// three\n"),
    ("indented_comment_not_skipped", "  # indented\ncode\n"),
    ("no_comment", "plain text\nsecond line"),
    ("leading_empty_lines", "\n\n\nbody\n"),
    ("crlf_lines", "# a\r\n# b\r\ncode\r\n"),
    ("single_dash", "- item\n-- comment"),
    ("copyright_cjk", "/* \u7248\u6743\u6240\u6709 Copyright \u00a9 \u963f\u91cc */\n\u4ee3\u7801"),
    ("copyright_dotless_i", "/* COPYR\u0130GHT */x"),
    ("copyright_long_s", "/* \u017fopyright copyrigh t */x"),
    ("slash_star_in_string", 's = "/*";\n// c\ny = 2 */ z'),
    ("empty_block", "/**/rest"),
]

IP = [
    ("v4_simple", "server at 192.168.0.1 is up"),
    ("v4_edges", "0.0.0.0 255.255.255.255 1.2.3.4 99.100.199.200 249.250.251.252"),
    ("v4_out_of_range", "256.256.256.256 300.1.1.1 1.2.3.999"),
    ("v4_leading_zeros", "01.02.03.04 001.002.003.004"),
    ("v4_more_dots", "1.2.3.4.5.6 version 10.0.0.1.2"),
    ("v4_with_port", "http://10.0.0.1:8080/api and 127.0.0.1:22"),
    ("v4_no_space", "ip=8.8.8.8,dns=8.8.4.4;"),
    ("v4_three_parts", "1.2.3 and 1.2"),
    ("v6_full", "addr 2001:0db8:85a3:0000:0000:8a2e:0370:7334 end"),
    ("v6_short_groups", "1:2:3:4:5:6:7:8 and 1:2:3:4:5:6:7"),
    ("v6_compressed", "::1 fe80::1 2001:db8::ff00:42:8329"),
    ("v6_nine_groups", "1:2:3:4:5:6:7:8:9"),
    ("v6_upper", "FE80:0000:0000:0000:0202:B3FF:FE1E:8329"),
    ("mac_address", "aa:bb:cc:dd:ee:ff:00:11 and 00:1A:2B:3C:4D:5E"),
    ("times", "12:30:45 and 1:2:3:4:5:6:7:8pm"),
    ("unicode_digits_v6", "\u0661:\u0662:\u0663:\u0664:\u0665:\u0666:\u0667:\u0668 \uff11:2:3:4:5:6:7:8"),
    ("unicode_digits_v4", "\u0661.\u0662.\u0663.\u0664 \uff11.2.3.4"),
    ("cjk_around", "\u670d\u52a1\u5668192.168.1.1\u5df2\u542f\u52a8"),
    ("newline_split", "192.168.\n0.1\t10.0.\t0.1"),
    ("many", " ".join("10.0.%d.%d" % (i, j) for i in range(3) for j in range(250, 257))),
]

HTML = [
    ("paragraphs", "<html><body><h1>Title</h1><p>Hello <b>world</b>!</p></body></html>"),
    ("unordered_list", "<ul><li>one</li><li>two</li></ul>"),
    ("ordered_list", "<ol><li>first</li><li>second</li></ol>"),
    ("nested_lists", "<ul><li>a<ol><li>a1</li></ol></li><li>b</li></ul>"),
    ("list_with_attributes", '<ul><li class="x">kept tag</li><LI>upper</LI></ul>'),
    ("entities", "a &amp; b &lt;c&gt; &nbsp;d &eacute; &#233; &#x4e2d; &bogus;"),
    ("script_style", "<style>p{color:red}</style><script>var x = 1 < 2;</script><p>text</p>"),
    ("comment", "before<!-- hidden -->after"),
    ("br_and_spaces", "line1<br>line2<br/>  spaced   out  \n\n next"),
    ("malformed", "<p>unclosed <b>bold <i>italic</p> tail <"),
    ("plain_text", "no tags at all, just text"),
    ("angle_brackets_text", "if a < b and c > d then 1<2"),
    ("cjk_html", "<div>\u4e2d\u6587<span>\u6d4b\u8bd5</span>\uff0c\u65e5\u672c\u8a9e</div>"),
    ("emoji_html", "<p>\U0001f600 smile</p><p>\U0001f44d</p>"),
    ("table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"),
    ("pre_whitespace", "<pre>  keep\n   spaces\t</pre>"),
    ("head_title", "<head><title>T</title><meta charset=utf-8></head><body>B</body>"),
    ("cdata_and_doctype", "<!DOCTYPE html><![CDATA[x]]><p>y</p>"),
    ("textarea", "<textarea><b>not bold</b></textarea>"),
    ("li_text_only", "<li>item</li>"),
    ("nul_in_html", "<p>a\x00b</p>"),
    ("crlf", "<p>a\r\nb</p>\r\n"),
]

LONG_WORDS = [
    ("lengths_1_to_9", "a bb ccc dddd eeeee ffffff ggggggg hhhhhhhh iiiiiiiii"),
    ("wrapped_punctuation", '((abcd)) "abcdef" abc... ...abcdefghij!!! 1234567 ab12345cd'),
    ("only_specials", "... !!! ((( ))) 123456789 \u2014\u2014\u2014\u2014"),
    ("emoji_words", "\U0001f600\U0001f600\U0001f600 abc\U0001f600 \U0001f468\u200d\U0001f469\u200d\U0001f467"),
    ("cjk_long", "\u8fd9\u662f\u4e00\u4e2a\u5f88\u957f\u7684\u53e5\u5b50 \u4e2d\u6587 \u5b57"),
    ("structure", "  a  b \t\t c \n\n d  \n\t\n  \t  e\t"),
    ("tabs_only_fields", "\t\t\t"),
    ("spaces_lines", "   \n   \n"),
    ("crlf", "one two\r\nthree four\r\n"),
    ("odd_spaces", "a\u3000b\u00a0c\u2003d e"),
    ("url_word", "visit https://www.example.org/a/very/long/path/index.html?q=1 now"),
    ("special_inside", "abc-def-ghi a-b ((a)) (((abcdefghijklmnop)))"),
    ("exact_edges", "abc abcd abcde abcdef abcdefg abcdefgh abcdefghi abcdefghij"),
    ("stripped_edges", "(abc) (abcd) (abcde) (abcdef) (abcdefgh) ((abcdefghi))"),
]

SPECIFIC_CHARS = [
    ("default_chars", "\u25c6 item \u25cf dot \u25a0 sq \u25ba tri \u25bc\u25b2\u25b4\u2206\u25bb\u25b7\u2756\u2661\u25a1 end"),
    ("lookalikes", "\u25c7\u25cb\u2666\u2665\u2764 \u25b3 \u0394 \u2207 kept"),
    ("letters", "abcabc xyz ABC"),
    ("regex_specials", "a[b]c^d-e\\f.g*h+i?j(k)l{m}n|o$p"),
    ("whitespace_chars", "a b\tc\nd\r\ne"),
    ("cjk_chars", "\u4e2d\u6587\u6d4b\u8bd5\u4e2d"),
    ("emoji_parts", "\U0001f468\u200d\U0001f469 \u2764\ufe0f"),
    ("combining", "e\u0301 cafe\u0301"),
]

LATEX_HEADER = [
    (
        "full_document",
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\maketitle\n"
        "\\section{Introduction}\nText here.\n\\subsection{More}\nMore text.\n\\end{document}\n",
    ),
    ("section_star", "preamble \\section*{Star} body"),
    ("short_title", "pre \\subsection[Short]{A much longer title} body"),
    ("chapter", "front matter\n\\chapter{One}\nbody"),
    ("part", "x \\part{I} y"),
    ("subsubsection", "a\\subsubsection{deep}b"),
    ("paragraph", "intro \\paragraph{P.} text"),
    ("subparagraph", "intro \\subparagraph{SP} text"),
    ("first_wins", "aaa \\subsection{second} bbb \\section{first} ccc"),
    ("no_header", "\\documentclass{article}\n\\begin{document}\nJust text.\n\\end{document}"),
    ("prefix_command", "\\sectionx{not} \\subsectionmark{no} tail"),
    ("no_braces", "\\section Title without braces"),
    ("empty_title", "pre\\section{}post"),
    ("nested_braces", "pre \\section{A {nested} title} post"),
    ("newline_title", "pre \\section{multi\nline} post"),
    ("header_at_start", "\\section{Start} rest"),
    ("star_and_brackets", "x\\section*[s]{t}y"),
    ("double_backslash", "a \\\\section{after newline cmd} b"),
    ("cjk_title", "\u524d\u8a00 \\section{\u5f15\u8a00} \u6b63\u6587"),
    ("unclosed_brace", "pre \\section{never closed"),
]

LATEX_COMMENTS = [
    ("inline", "text % comment\nmore text"),
    ("escaped_percent", "50\\% of 100\\% % real comment\nnext"),
    ("line_comment", "% whole line\ntext\n% another\n%\nend"),
    ("percent_at_start", "%start of text\nbody"),
    ("percent_end_of_line", "abc%\ndef%"),
    ("double_percent", "a %% b % c\n%% line"),
    ("consecutive_comment_lines", "x\n% one\n% two\n% three\ny"),
    ("last_line_comment", "body\n% last"),
    ("crlf", "a % c\r\nb\r\n% d\r\ne"),
    ("indented_comment", "  % indented\n\t%tab"),
    ("url_percent", "see http://x.org/a%20b here"),
    ("cjk_comment", "\u6b63\u6587 % \u6ce8\u91ca\n\u4e0b\u4e00\u884c"),
    ("only_percent", "%"),
    ("percent_newline", "%\n"),
    ("verbatim_like", "\\begin{verbatim}\n100% sure\n\\end{verbatim}"),
    ("backslash_before_newline_comment", "a\\\n% c\nb"),
]

OPS = {
    "punctuation_normalization_mapper": ([{}], PUNCTUATION),
    "clean_copyright_mapper": ([{}], COPYRIGHT),
    "clean_ip_mapper": (
        [
            {},
            {"repl": "<IP>"},
            {"pattern": r"\d+\.\d+", "repl": "N"},
            {"pattern": "r'(\\d+)\\.(\\d+)'", "repl": "\\2.\\1"},
        ],
        IP,
    ),
    "clean_html_mapper": ([{}], HTML),
    "remove_long_words_mapper": (
        [
            {},
            {"min_len": 3, "max_len": 6},
            {"max_len": 5},
            {"min_len": 5},
            {"min_len": 4, "max_len": 4},
            {"min_len": 0, "max_len": 0},
            {"min_len": 1, "max_len": 1},
        ],
        LONG_WORDS,
    ),
    "remove_specific_chars_mapper": (
        [
            {},
            {"chars_to_remove": "abc"},
            {"chars_to_remove": ["\u25c6", "xy", "\u4e2d"]},
            {"chars_to_remove": ""},
            {"chars_to_remove": []},
            {"chars_to_remove": "[]^-\\.*+?(){}|$"},
            {"chars_to_remove": " \t\n"},
            {"chars_to_remove": "\u0301\u200d\ufe0f"},
        ],
        SPECIFIC_CHARS,
    ),
    "remove_header_mapper": ([{}, {"drop_no_head": False}], LATEX_HEADER),
    "remove_comments_mapper": (
        [
            {},
            {"inline": False},
            {"multiline": False},
            {"inline": False, "multiline": False},
            {"doc_type": ["tex"]},
        ],
        LATEX_COMMENTS,
    ),
}

BIG_PARAMS = {
    "remove_long_words_mapper": [{}, {"min_len": 2, "max_len": 12}],
    "clean_ip_mapper": [{}, {"repl": "<IP>"}],
    "remove_header_mapper": [{}],
    "remove_comments_mapper": [{}],
}
"""Parameter sets the ~1 MB text runs under; [{}] for the other ops."""

# A few texts of each op's corpus also run under the other ops (cross-checks).
CROSS = [t for corpus in (COPYRIGHT, IP, HTML, LATEX_HEADER, LATEX_COMMENTS) for t in corpus[:3]]


def cases_of(op_name):
    """(case id, params, text) for every text of the op under every parameter set."""
    param_sets, corpus = OPS[op_name]
    own_ids = {cid for cid, _ in corpus}
    texts = list(corpus) + COMMON + [("x_" + cid, t) for cid, t in CROSS if cid not in own_ids]
    for k, params in enumerate(param_sets):
        for cid, text in texts:
            yield (cid if k == 0 else "%s@p%d" % (cid, k)), params, text


# --------------------------------------------------------------------------
# Running the real ops
# --------------------------------------------------------------------------


def op_classes():
    from data_juicer.ops.mapper.clean_copyright_mapper import CleanCopyrightMapper
    from data_juicer.ops.mapper.clean_html_mapper import CleanHtmlMapper
    from data_juicer.ops.mapper.clean_ip_mapper import CleanIpMapper
    from data_juicer.ops.mapper.punctuation_normalization_mapper import PunctuationNormalizationMapper
    from data_juicer.ops.mapper.remove_comments_mapper import RemoveCommentsMapper
    from data_juicer.ops.mapper.remove_header_mapper import RemoveHeaderMapper
    from data_juicer.ops.mapper.remove_long_words_mapper import RemoveLongWordsMapper
    from data_juicer.ops.mapper.remove_specific_chars_mapper import RemoveSpecificCharsMapper

    return {
        "punctuation_normalization_mapper": PunctuationNormalizationMapper,
        "clean_copyright_mapper": CleanCopyrightMapper,
        "clean_ip_mapper": CleanIpMapper,
        "clean_html_mapper": CleanHtmlMapper,
        "remove_long_words_mapper": RemoveLongWordsMapper,
        "remove_specific_chars_mapper": RemoveSpecificCharsMapper,
        "remove_header_mapper": RemoveHeaderMapper,
        "remove_comments_mapper": RemoveCommentsMapper,
    }


def per_sample(cls, params, text):
    """op.process (Data-Juicer's wrapper of process_batched) on a one-sample batch."""
    op = cls(**params, skip_op_error=False)
    out = op.process({op.text_key: [text]})
    return out[op.text_key][0]


def batched(cls, params, texts):
    """op.run on a NestedDataset of all ``texts`` (datasets.map, one process)."""
    from data_juicer.core.data import NestedDataset

    op = cls(**params, num_proc=1, skip_op_error=False)
    dataset = NestedDataset.from_dict({op.text_key: list(texts)})
    return list(op.run(dataset)[op.text_key])


def run_op(op_name, cls):
    groups = {}
    for cid, params, text in cases_of(op_name):
        groups.setdefault(json.dumps(params, sort_keys=True), []).append((cid, params, text))
    cases = []
    for group in groups.values():
        params = group[0][1]
        outputs = [per_sample(cls, dict(params), text) for _, _, text in group]
        assert outputs == batched(cls, dict(params), [text for _, _, text in group]), (op_name, params)
        for (cid, _, text), out in zip(group, outputs):
            cases.append({"id": cid, "op": op_name, "params": params, "text": text, "output": out})
    return cases


def run_big(op_name, cls, big_text, big_info):
    cases = []
    for k, params in enumerate(BIG_PARAMS.get(op_name, [{}])):
        out = per_sample(cls, dict(params), big_text)
        assert [out] == batched(cls, dict(params), [big_text]), (op_name, params)
        case = {"id": "generated_1mb" + ("" if k == 0 else "@p%d" % k), "op": op_name, "params": params}
        case.update(big_info, output_sha256=sha256_text(out), output_len=len(out))
        cases.append(case)
    return cases


def main():
    import importlib.metadata as md

    import regex
    import selectolax

    import data_juicer

    big_text = generate_text(BIG_SEED)
    assert len(big_text) == BIG_LEN
    big_info = {"generated": {"seed": BIG_SEED}, "input_sha256": sha256_text(big_text), "input_len": BIG_LEN}

    cases = []
    for op_name, cls in op_classes().items():
        mine = run_op(op_name, cls) + run_big(op_name, cls, big_text, big_info)
        print("  %-34s %d cases" % (op_name, len(mine)))
        cases += mine
    ids = [(c["op"], c["id"]) for c in cases]
    assert len(ids) == len(set(ids))

    doc = {
        "data_juicer_version": data_juicer.__version__,
        "py_data_juicer_dist_version": md.version("py-data-juicer"),
        "selectolax_version": selectolax.__version__,
        "regex_version": regex.__version__,
        "python_version": sys.version.split()[0],
        "invocation": "per sample: Cls(**params).process({'text': [text]})['text'][0]; batched: "
        "Cls(**params, num_proc=1).run(NestedDataset.from_dict({'text': texts})), checked equal",
        "generated_inputs": "generate_text(seed) in make_dj_reference_mappers1.py, %d code points" % BIG_LEN,
        "cases": cases,
    }
    with open(OUT_PATH, "w", encoding="ascii", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=True, indent=1, sort_keys=True)
        fh.write("\n")
    with open(OUT_PATH, encoding="ascii") as fh:
        assert json.load(fh)["cases"] == cases
    print("wrote", OUT_PATH)


if __name__ == "__main__":
    main()
