"""Importing this module registers every built-in op."""

from datamill.ops.text import (  # noqa: F401
    clean_email,
    clean_links,
    fix_unicode,
    text_length,
    whitespace_normalization,
    words_num,
)
