"""Long clauses split at sentence boundaries into passages of bounded length."""

from __future__ import annotations

import math
import re

from corpus.mapped_text import MappedText

SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」）)]*|\n|$)")
PHRASE = re.compile(r"[^，,、]*(?:[，,、]|$)")
LINE = re.compile(r"[^\n]*(?:\n|$)")
WORD = re.compile(r"\S*\s*")


def _pieces(text: MappedText, pattern: re.Pattern[str]) -> list[MappedText]:
    return [text[m.start() : m.end()] for m in pattern.finditer(text.text) if m.end() > m.start()]


def _sentences(text: MappedText, max_chars: int) -> list[MappedText]:
    """Sentences, with any sentence over `max_chars` cut at commas, then at spaces, then hard."""
    out: list[MappedText] = []
    for sentence in _pieces(text, SENTENCE):
        if len(sentence) <= max_chars:
            out.append(sentence)
            continue
        for phrase in _pieces(sentence, PHRASE):
            if len(phrase) <= max_chars:
                out.append(phrase)
                continue
            for word in _pieces(phrase, WORD):  # a line of figures from a PDF table: cut between figures
                out += [word[i : i + max_chars] for i in range(0, len(word), max_chars)]
    return out


def _lines(text: MappedText, max_chars: int) -> list[MappedText]:
    """Whole lines (an article's paragraphs and items), a line over `max_chars` cut into sentences."""
    out: list[MappedText] = []
    for line in _pieces(text, LINE):
        out += [line] if len(line) <= max_chars else _sentences(line, max_chars)
    return out


def split_passage_text(text: MappedText, max_chars: int, by_line: bool = False) -> list[MappedText]:
    """Parts of near-equal length, each at most `max_chars`, cut only between sentences, or with
    `by_line` only between lines where the lines allow it (an article's items stay whole)."""
    if len(text) <= max_chars:
        return [text]
    target = len(text) / math.ceil(len(text) / max_chars)
    parts: list[list[MappedText]] = [[]]
    size = 0
    for sentence in (_lines if by_line else _sentences)(text, max_chars):
        if parts[-1] and (size + len(sentence) > max_chars or size >= target):
            parts.append([])
            size = 0
        parts[-1].append(sentence)
        size += len(sentence)
    # A short tail (often the 责任单位 line) belongs with the part before it when it fits.
    if len(parts) > 1 and size < max_chars // 4 and sum(map(len, parts[-2])) + size <= max_chars:
        tail = parts.pop()  # popped first: `parts[-2] += parts.pop()` would pick its target before the pop
        parts[-1] += tail
    joined = (MappedText.join(part).strip() for part in parts)
    return [part for part in joined if len(part)]
