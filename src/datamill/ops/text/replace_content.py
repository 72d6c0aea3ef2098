"""replace_content_mapper: replace what one or more regular expressions match.

Patterns use the third-party ``regex`` module with DOTALL, as in Data-Juicer,
and may be written as Python raw literals (``r'...'``). With a list of
patterns, each is applied in turn to what the previous one left; ``repl`` is
then either one replacement for all or a list with one per pattern.
"""

from __future__ import annotations

import regex

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.clean_links import unwrap_raw


def _compile(pattern: str) -> regex.Pattern[str]:
    try:
        return regex.compile(unwrap_raw(pattern), flags=regex.DOTALL)
    except regex.error as exc:
        raise ConfigError(
            f"replace_content_mapper: pattern {pattern!r} is not a valid regular expression: {exc}."
        ) from None


def _check_template(compiled: regex.Pattern[str], pattern: str, replacement: str) -> None:
    """Fail now on a replacement that would fail on every match: a bad escape,
    or a group the pattern does not have. It is expanded against an empty
    pattern with the same groups, which matches anything."""
    names = {index: name for name, index in compiled.groupindex.items()}
    groups = "".join(f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, compiled.groups + 1))
    try:
        stand_in = regex.compile(groups).match("")
    except regex.error:
        return
    try:
        stand_in.expand(replacement)
    except (regex.error, IndexError) as exc:
        raise ConfigError(
            f"replace_content_mapper: replacement {replacement!r} cannot be used with pattern "
            f"{pattern!r}: {exc}."
        ) from None


def _replacements(patterns: list[str], repl: str | list[str]) -> list[str]:
    """One replacement per pattern; too few in a list is an error, extra ones are unused."""
    if isinstance(repl, str):
        return [repl] * len(patterns)
    if len(repl) < len(patterns):
        raise ConfigError(
            f"replace_content_mapper: {len(patterns)} patterns but only {len(repl)} replacements; "
            "give 'repl' one string for all patterns or a list as long as 'pattern'."
        )
    return list(repl[: len(patterns)])


@register("replace_content_mapper")
class ReplaceContentMapper(Mapper):
    def __init__(
        self, pattern: str | list[str] | None = None, repl: str | list[str] = "", **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        patterns = [] if pattern is None else [pattern] if isinstance(pattern, str) else list(pattern)
        self.pattern, self.repl = pattern, repl
        self._steps = list(zip([_compile(p) for p in patterns], _replacements(patterns, repl), strict=True))
        for (compiled, replacement), source in zip(self._steps, patterns, strict=True):
            _check_template(compiled, source, replacement)

    def process_text(self, text: str) -> str:
        for compiled, replacement in self._steps:
            text = compiled.sub(replacement, text)
        return text
