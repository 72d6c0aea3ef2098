"""LaTeX cleaners: remove_header_mapper and remove_comments_mapper.

Both apply Data-Juicer's regular expressions with the same engine (``regex``),
so that the odd cases come out the same: the character before an inline
comment goes with it, a newline included (a comment line then joins the line
before it), and a ``%`` that starts the text is not an inline comment.
"""

from __future__ import annotations

import pyarrow as pa
import regex

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.some_rows import map_texts, set_text

_HEADER_COMMANDS = ("chapter", "part", "section", "subsection", "subsubsection", "paragraph", "subparagraph")
_HEADER = regex.compile(
    r"^(.*?)(" + "|".join(rf"\\\b{name}\b\*?(?:\[(.*?)\])?\{{(.*?)\}}" for name in _HEADER_COMMANDS) + ")",
    flags=regex.DOTALL,
)
"""Everything up to the first sectioning command (group 1), and the command
with its optional short title and its title (group 2)."""

_INLINE_COMMENT = regex.compile(r"[^\\]%.+$", flags=regex.MULTILINE)
_COMMENT_LINE = regex.compile(r"^%.*\n?", flags=regex.MULTILINE)


@register("remove_header_mapper")
class RemoveHeaderMapper(Mapper):
    """Cut what precedes the first sectioning command (``\\section{...}`` and
    the like); a text without one becomes empty unless ``drop_no_head`` is off."""

    def __init__(self, drop_no_head: bool = True, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.drop_no_head = drop_no_head

    def process_text(self, text: str) -> str:
        # Every command starts with a backslash. The pattern is anchored at the
        # start of the text, so it matches once at most: the substitution
        # Data-Juicer makes is this match's group 2 followed by the rest.
        found = _HEADER.search(text) if "\\" in text else None
        if found is None:
            return "" if self.drop_no_head else text
        return str(found.group(2)) + text[found.end() :]

    def process_batch(self, table: pa.Table) -> pa.Table:
        return set_text(table, self.text_key, map_texts(table.column(self.text_key), self.process_text))


@register("remove_comments_mapper")
class RemoveCommentsMapper(Mapper):
    """Remove TeX comments: the rest of a line after an unescaped ``%``
    (``inline``) and lines that start with ``%`` (``multiline``)."""

    def __init__(
        self, doc_type: str | list[str] = "tex", inline: bool = True, multiline: bool = True, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        types = [doc_type] if isinstance(doc_type, str) else list(doc_type)
        if any(kind != "tex" for kind in types):
            raise ConfigError(
                f"remove_comments_mapper knows TeX comments only (doc_type {doc_type!r}; Data-Juicer "
                "1.6.1 applies the TeX rules whatever doc_type says): use doc_type: tex."
            )
        self.doc_type = doc_type
        self.inline = inline
        self.multiline = multiline

    def process_text(self, text: str) -> str:
        if "%" not in text:
            return text
        if self.inline:
            text = _INLINE_COMMENT.sub("", text)
        if self.multiline:
            text = _COMMENT_LINE.sub("", text)
        return str(text)

    def process_batch(self, table: pa.Table) -> pa.Table:
        return set_text(table, self.text_key, map_texts(table.column(self.text_key), self.process_text))
