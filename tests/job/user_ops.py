"""A user op, named in recipes as ``tests.job.user_ops:ShoutMapper``."""

from datamill.ops import Mapper


class ShoutMapper(Mapper):
    def __init__(self, suffix: str = "!", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.suffix = suffix

    def process_text(self, text: str) -> str:
        return text.upper() + self.suffix


class FailOnMapper(Mapper):
    """Raises on any text containing ``needle``: a broken user op."""

    def __init__(self, needle: str = "boom", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.needle = needle

    def process_text(self, text: str) -> str:
        if self.needle in text:
            raise ValueError(f"cannot handle {text!r}")
        return text
