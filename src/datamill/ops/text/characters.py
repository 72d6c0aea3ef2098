"""Character sets Data-Juicer's text ops are defined by.

These are facts of Data-Juicer's behaviour (its ``special_characters``
module), written out as code points so that invisible characters stay visible.
"""

from __future__ import annotations

import string

from datamill.ops.text.emoji_ranges import EMOJI_RANGES

VARIOUS_WHITESPACES = frozenset(
    " \t\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u00a0\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufffc\u0084"
)
"""What whitespace_normalization_mapper turns into a plain space."""

_OTHER_SPECIAL = (
    "\x92\u2009\x93\x97\u200a\x9d\x99\u202f\x96\u2005\x95\x91\x9c\u3000\u2002 \u2008\x98"
    "\x81\u2003\x82\ufffc\x83\x84\u2019\u201c\u201d\u2013\u30fc\u4e00\u25ac\u2026\u2726"
    "\ufffd\xad\xa3\u200b\u2022\u20ac\xab\xbb\xb0\xb7\u2550"
    "\xd7\u58eb\uff3e\u02d8\u21d3\u2193\u2191\u2190\u2192\uff08\uff09\xa7\u2033\u2032"
    "\xb4\xbf\u2212\xb1\u2208\ufeff\xa2\xf8\u201a\u201e\xbd\xbc\xbe\xb9\xb2\xb3\u2015"
    "\u2043\uff0c\u02cc\xb8\u2039\u203a\u02ba\u02c8\u02bb\xa6\u2010\u2800\u2030\x85"
    "\u2011\u2264\u2265\u2016"
    "\u25c6\u25cf\u25a0\u25ba\u25bc\u25b2\u25b4\u2206\u25bb\xa1\u2605\u2606\u2731\u02d0"
    "\xba\u3002\xaf\u02dc\xa5\u026a\u2248\u2020\u4e0a\u30f3\uff1a\u223c\u2044\u30fb\u2661"
    "\u2713\u2295\u2024\uff0e\u22c5\xf7\uff11\u201f\uff1b\u060c\u3001\xa8\u093e\u09be"
    "\u0940\u094d\u0947\u25e6\u02da"
    "\u309c\u02bc\u2256\u02bc\xa4\u30c3\u30c4\u30b7\u2103\u221a\uff01\u3010\u3011\u203f"
    "\u221e\u27a4\uff5e\u03c0\u0647\u06e9\u261b\u20a8\u27a9\u263b\u0e51\u066a\u2665\u0131"
    "\u097d\u300a\u2018\xa9\ufd3f\u066c\uff1f\u25b7\u0413\u266b\u221f\u2122\xaa\u20aa\xae"
    "\u300c\u2014\u2756"
    "\u300d\ufd3e\u300b"
)


def _emoji() -> str:
    return "".join(chr(cp) for lo, hi in EMOJI_RANGES for cp in range(lo, hi + 1))


SPECIAL_CHARACTERS = frozenset(
    string.punctuation + string.digits + string.whitespace + _OTHER_SPECIAL + _emoji()
)
"""What words_num_filter strips from both ends of every word."""

SPECIAL_CHARACTERS_STR = "".join(sorted(SPECIAL_CHARACTERS))
"""The same set as one string, for ``str.strip``."""
