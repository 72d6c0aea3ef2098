"""The export's line filter (a deduplicator's drops left out) keeps exactly the lines a mask keeps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datamill.io.writers import kept_lines

LINES = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=8),
    min_size=1,
    max_size=40,
)


@given(LINES, st.data())
def test_the_kept_lines_are_those_the_mask_keeps_in_order(texts: list[str], data: st.DataObject) -> None:
    lines = [(t + "\n").encode() for t in texts]
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines))))
    kept = b"".join(kept_lines(b"".join(lines), mask))
    assert kept == b"".join(line for line, keep in zip(lines, mask, strict=True) if keep)


def test_a_mask_of_another_length_is_an_error_not_a_silent_shift() -> None:
    with pytest.raises(ValueError, match="3 lines but 2 rows"):
        kept_lines(b"a\nb\nc\n", np.array([True, False]))
