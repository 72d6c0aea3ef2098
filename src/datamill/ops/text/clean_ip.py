"""clean_ip_mapper: remove (or replace) IPv4 and IPv6 addresses."""

from __future__ import annotations

import re

from datamill.ops.registry import register
from datamill.ops.text.clean_links import RegexReplaceMapper

DEFAULT_IP_PATTERN = (
    r"(?:(?:1[0-9][0-9]\.)|(?:2[0-4][0-9]\.)|(?:25[0-5]\.)|(?:[1-9][0-9]\.)|(?:[0-9]\.))"
    r"{3}(?:(?:1[0-9][0-9])|(?:2[0-4][0-9])|(?:25[0-5])|(?:[1-9][0-9])|(?:[0-9]))|"
    r"([\da-fA-F]{1,4}:){7}[\da-fA-F]{1,4}"
)
"""Data-Juicer's default pattern: a dotted quad, or eight full groups of IPv6."""


@register("clean_ip_mapper")
class CleanIpMapper(RegexReplaceMapper):
    default_pattern = DEFAULT_IP_PATTERN
    # A dotted quad holds a digit, a dot and a digit in a row; an IPv6 address a colon.
    candidates = re.compile(r"[0-9]\.[0-9]|:")
