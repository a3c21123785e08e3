"""Text that remembers, for every character, its offset in the source file.

Cleaning (dropping page marks, joining `2019 年`) and reflowing page breaks change the text;
carrying offsets through every step is what lets each passage cite its exact source span.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class MappedText:
    text: str
    offsets: tuple[int, ...]  # file offset of each character of `text`

    @classmethod
    def from_source(cls, text: str, start: int) -> MappedText:
        return cls(text, tuple(range(start, start + len(text))))

    @classmethod
    def join(cls, parts: list[MappedText], sep: str = "") -> MappedText:
        """Concatenate; separator characters map to the offset just after the previous part."""
        text: list[str] = []
        offsets: list[int] = []
        for i, part in enumerate(parts):
            if i and sep:
                text.append(sep)
                anchor = offsets[-1] if offsets else part.offsets[0] if part.offsets else 0
                offsets.extend([anchor] * len(sep))
            text.append(part.text)
            offsets.extend(part.offsets)
        return cls("".join(text), tuple(offsets))

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, item: slice) -> MappedText:
        return MappedText(self.text[item], self.offsets[item])

    def without(self, pattern: re.Pattern[str]) -> MappedText:
        """Drop every match of `pattern`."""
        keep = [True] * len(self.text)
        for match in pattern.finditer(self.text):
            for i in range(match.start(), match.end()):
                keep[i] = False
        return MappedText(
            "".join(c for c, k in zip(self.text, keep) if k),
            tuple(o for o, k in zip(self.offsets, keep) if k),
        )

    def strip(self) -> MappedText:
        stripped = self.text.strip()
        if not stripped:
            return MappedText("", ())
        start = self.text.index(stripped)
        return self[start : start + len(stripped)]

    @property
    def span(self) -> tuple[int, int]:
        return self.offsets[0], self.offsets[-1] + 1


class LineIndex:
    """Maps file offsets to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset)
