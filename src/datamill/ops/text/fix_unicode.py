"""fix_unicode_mapper: repair mojibake and normalise with ftfy.

The output is ``ftfy.fix_text(text, normalization=...)``, computed by
:func:`datamill.ops.text.ftfy_exact.fix_text`, which gives the same string
and calls ftfy's expensive detection only where it can find something.
"""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from datamill.io.arrays import strings
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.ftfy_exact import fix_text

MAY_CHANGE = r"[^\t\n\x20-\x25\x27-\x7e]"
"""A text with none of these characters cannot be changed by ftfy: it is
printable ASCII (plus tab and newline) without '&', so there is no mojibake,
no HTML entity, no control or terminal escape, no line break to fix, and
Unicode normalisation leaves ASCII as it is. Such texts skip ftfy entirely."""


@register("fix_unicode_mapper")
class FixUnicodeMapper(Mapper):
    def __init__(
        self,
        normalization: Literal["NFC", "NFKC", "NFD", "NFKD", "nfc", "nfkc", "nfd", "nfkd", ""] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.normalization = normalization.upper() if normalization else "NFC"

    def process_text(self, text: str) -> str:
        return fix_text(text, self.normalization)

    def process_batch(self, table: pa.Table) -> pa.Table:
        column = table.column(self.text_key)
        suspects = pc.match_substring_regex(column, MAY_CHANGE)
        rows = pc.indices_nonzero(suspects).to_pylist()
        if not rows:
            return table
        texts = column.to_pylist()
        for i in rows:
            texts[i] = self.process_text(texts[i])
        index = table.schema.get_field_index(self.text_key)
        return table.set_column(index, self.text_key, strings(texts))
