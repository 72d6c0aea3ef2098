"""The ops bench_ops.py times, with their parameters: one list for datamill and Data-Juicer.

Ops that need a model or a word list (language_id_score_filter, perplexity_filter,
flagged_words_filter, stopwords_filter, token_num_filter, sentence_split_mapper)
and ops that read another field (specified_field_filter,
specified_numeric_field_filter, suffix_filter) are not timed here: the first
would time a test model, the second no text at all.
"""

from __future__ import annotations

from typing import Any

MAPPERS: list[tuple[str, dict[str, Any]]] = [
    ("clean_email_mapper", {}),
    ("clean_links_mapper", {}),
    ("whitespace_normalization_mapper", {}),
    ("fix_unicode_mapper", {}),
    ("punctuation_normalization_mapper", {}),
    ("clean_copyright_mapper", {}),
    ("clean_ip_mapper", {}),
    ("clean_html_mapper", {}),
    ("remove_long_words_mapper", {"max_len": 15}),
    ("remove_specific_chars_mapper", {}),
    ("remove_header_mapper", {}),
    ("remove_comments_mapper", {}),
    ("remove_bibliography_mapper", {}),
    ("expand_macro_mapper", {}),
    ("remove_table_text_mapper", {}),
    ("remove_non_chinese_character_mapper", {}),
    ("replace_content_mapper", {"pattern": r"\d+", "repl": "<num>"}),
    ("remove_repeat_sentences_mapper", {}),
    ("remove_words_with_incorrect_substrings_mapper", {}),
    ("chinese_convert_mapper", {}),
]
FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("text_length_filter", {"min_len": 100}),
    ("words_num_filter", {}),
    ("alphanumeric_filter", {}),
    ("special_characters_filter", {}),
    ("average_line_length_filter", {}),
    ("maximum_line_length_filter", {}),
    ("character_repetition_filter", {}),
    ("word_repetition_filter", {}),
]
CASES = MAPPERS + FILTERS

COUNTING_FILTERS = frozenset(
    {
        "text_length_filter",
        "alphanumeric_filter",
        "special_characters_filter",
        "average_line_length_filter",
        "maximum_line_length_filter",
    }
)
"""Filters that only count characters: their goal is 3x Data-Juicer's throughput."""
