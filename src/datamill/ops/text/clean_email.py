"""clean_email_mapper: remove (or replace) email addresses."""

from __future__ import annotations

import re

from datamill.ops.registry import register
from datamill.ops.text.clean_links import RegexReplaceMapper

DEFAULT_EMAIL_PATTERN = r"[A-Za-z0-9.\-+_]+@[a-z0-9.\-+_]+\.[a-z]+"
"""Data-Juicer's default email pattern."""


@register("clean_email_mapper")
class CleanEmailMapper(RegexReplaceMapper):
    default_pattern = DEFAULT_EMAIL_PATTERN
    # The default pattern cannot match without an '@' (nor across a space).
    candidates = re.compile("@")
