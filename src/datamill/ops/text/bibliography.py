"""remove_bibliography_mapper: cut a LaTeX document at its bibliography.

Everything from the first ``\\appendix``, ``\\begin{references}`` (or
``REFERENCES``), ``\\begin{thebibliography}`` or ``\\bibliography{`` (the last
one only when a ``}`` follows somewhere later) to the end of the text is
removed, as Data-Juicer does.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from datamill.ops.base import Mapper
from datamill.ops.registry import register

_START = re.compile(
    r"\\(?:appendix|begin\{(?:references|REFERENCES|thebibliography)\}|bibliography\{(?=[^}]*\}))"
)
"""Where the cut happens: the leftmost start of any of Data-Juicer's markers."""

_TAIL_RE2 = (
    r"(?s)(\\appendix|\\begin\{references\}|\\begin\{REFERENCES\}|\\begin\{thebibliography\}"
    r"|\\bibliography\{.*\}).*$"
)
"""Data-Juicer's own pattern, in RE2 (leftmost-first, like Python's): a marker and all after it."""


@register("remove_bibliography_mapper")
class RemoveBibliographyMapper(Mapper):
    def process_text(self, text: str) -> str:
        found = _START.search(text)
        return text if found is None else text[: found.start()]

    def process_batch(self, table: pa.Table) -> pa.Table:
        column = table.column(self.text_key)
        out = pc.replace_substring_regex(column, pattern=_TAIL_RE2, replacement="")
        return table.set_column(table.schema.get_field_index(self.text_key), self.text_key, out)
