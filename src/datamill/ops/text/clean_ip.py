"""clean_ip_mapper: remove (or replace) IPv4 and IPv6 addresses."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from datamill.ops.registry import register
from datamill.ops.text.clean_links import RegexReplaceMapper
from datamill.ops.text.some_rows import map_some_rows, set_text

_IPV4 = (
    r"(?:(?:1[0-9][0-9]\.)|(?:2[0-4][0-9]\.)|(?:25[0-5]\.)|(?:[1-9][0-9]\.)|(?:[0-9]\.))"
    r"{3}(?:(?:1[0-9][0-9])|(?:2[0-4][0-9])|(?:25[0-5])|(?:[1-9][0-9])|(?:[0-9]))"
)
_IPV6 = r"([\da-fA-F]{1,4}:){7}[\da-fA-F]{1,4}"

DEFAULT_IP_PATTERN = _IPV4 + "|" + _IPV6
"""Data-Juicer's default pattern: a dotted quad, or eight full groups of IPv6."""

_MAY_MATCH = _IPV4 + r"|(?:[^:]{1,4}:){7}[^:]"
"""RE2: every text the default pattern matches in, and a few more. The dotted
quad is ASCII and reads the same in RE2; for IPv6, any character but a colon
stands for a hexadecimal digit (``\\d`` is any Unicode digit, RE2's is ASCII)."""


@register("clean_ip_mapper")
class CleanIpMapper(RegexReplaceMapper):
    default_pattern = DEFAULT_IP_PATTERN
    # A dotted quad holds a dot, one to three digits and a dot; an IPv6 address
    # two colons around one to four hexadecimal digits. Both start with a
    # literal character, which the scan for candidates can look for quickly.
    candidates = re.compile(r"\.[0-9]{1,3}\.|:[^: \t\n]{1,4}:")

    def process_batch(self, table: pa.Table) -> pa.Table:
        if self._candidates is None:
            return super().process_batch(table)
        texts = table.column(self.text_key)
        picked = pc.match_substring_regex(texts, pattern=_MAY_MATCH)
        return set_text(table, self.text_key, map_some_rows(texts, picked, self.process_text))
