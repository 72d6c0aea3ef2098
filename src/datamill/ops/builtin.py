"""Importing this module registers every built-in op.

Ops that need an optional package import it when they are built, not here:
listing or validating a recipe never needs an extra it does not use."""

from datamill.ops import dedup  # noqa: F401
from datamill.ops.text import (  # noqa: F401
    alphanumeric,
    bibliography,
    chinese_characters,
    chinese_convert,
    clean_copyright,
    clean_email,
    clean_html,
    clean_ip,
    clean_links,
    fields,
    fix_unicode,
    incorrect_substrings,
    language_id,
    latex,
    latex_macros,
    line_length,
    perplexity,
    punctuation,
    remove_long_words,
    remove_specific_chars,
    repeat_sentences,
    repetition,
    replace_content,
    sentence_split,
    special_characters,
    suffix,
    table_text,
    text_length,
    token_num,
    whitespace_normalization,
    word_lists,
    words_num,
)
