"""A worker gives back the memory a partition freed."""

from __future__ import annotations

from datamill.engine.memory import _malloc_trim, release_memory


def _private_kb() -> int:
    with open("/proc/self/smaps_rollup") as fh:
        return sum(int(line.split()[1]) for line in fh if line.startswith(("Private_Dirty", "Private_Clean")))


def test_freed_strings_are_given_back() -> None:
    if _malloc_trim() is None:
        return  # (not glibc: nothing to check)
    release_memory()
    before = _private_kb()
    keep = [("x" * 2000 + str(i)) for i in range(40_000)]  # ~80 MB in malloc's heap, not mmap'd
    mark = keep[-1:]  # a live block at the heap's top: only a trim gives the rest back
    del keep
    grown = _private_kb() - before
    release_memory()
    after = _private_kb() - before
    assert grown > 40_000
    assert after < grown / 2, (grown, after)
    assert mark
