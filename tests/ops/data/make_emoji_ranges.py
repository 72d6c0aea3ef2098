"""Regenerate src/datamill/ops/text/emoji_ranges.py from the `emoji` package.

Data-Juicer strips every single-code-point key of ``emoji.EMOJI_DATA`` from
word edges; run this in the throwaway Data-Juicer environment (which pins the
`emoji` version Data-Juicer uses) to record those code points as ranges.
"""

import sys
from pathlib import Path

import emoji

singles = sorted(ord(k) for k in emoji.EMOJI_DATA if len(k) == 1)
ranges = []
start = prev = singles[0]
for cp in singles[1:]:
    if cp != prev + 1:
        ranges.append((start, prev))
        start = cp
    prev = cp
ranges.append((start, prev))

out = Path(sys.argv[1] if len(sys.argv) > 1 else "src/datamill/ops/text/emoji_ranges.py")
body = ",\n".join(f"    (0x{a:04X}, 0x{b:04X})" for a, b in ranges)
out.write_text(
    '"""Single-code-point emoji, as inclusive ranges (generated; do not edit).\n\n'
    f"Source: emoji {emoji.__version__}, the version Data-Juicer pins; see\n"
    'tests/ops/data/make_emoji_ranges.py."""\n\n'
    f"EMOJI_RANGES: tuple[tuple[int, int], ...] = (\n{body},\n)\n"
)
print(f"{len(singles)} code points in {len(ranges)} ranges -> {out}")
