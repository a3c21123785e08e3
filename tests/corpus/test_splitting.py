"""split_passage_text: long clauses cut between sentences into near-equal parts under the limit."""

from __future__ import annotations

import re

import pytest

from corpus.mapped_text import MappedText
from corpus.splitting import split_passage_text

SENTENCE = "推进政务服务事项标准化建设，实现同一事项同标准办理。"  # 26 chars


def mapped(text: str, start: int = 100) -> MappedText:
    return MappedText.from_source(text, start)


def test_short_text_is_one_part():
    text = mapped(SENTENCE * 3)
    [part] = split_passage_text(text, 500)
    assert part.text == text.text and part.offsets == text.offsets


@pytest.mark.parametrize("max_chars", [60, 100, 130, 500])
def test_parts_are_bounded_ordered_and_lossless(max_chars):
    text = mapped(SENTENCE * 40)  # 1040 chars
    parts = split_passage_text(text, max_chars)
    assert all(0 < len(part) <= max_chars for part in parts)
    assert "".join(part.text for part in parts) == text.text
    offsets = [o for part in parts for o in part.offsets]
    assert offsets == list(text.offsets)  # every part still points at its own source characters
    assert all(part.text.endswith("。") for part in parts)  # cut only between sentences


def test_parts_are_near_equal():
    parts = split_passage_text(mapped(SENTENCE * 30), 500)  # 780 chars → 2 parts, not 500 + 280
    assert len(parts) == 2
    assert abs(len(parts[0]) - len(parts[1])) <= len(SENTENCE)


def test_tail_field_line_stays_with_text():
    tail = "\n责任单位：市局"
    parts = split_passage_text(mapped(SENTENCE * 20 + tail), 500)  # 528 chars
    assert parts[-1].text.endswith("责任单位：市局") and len(parts[-1]) > 100
    assert "".join(part.text for part in parts).replace("\n", "") == (SENTENCE * 20 + tail).replace("\n", "")


def test_short_tail_joins_previous_part():
    first, second, tail = "甲" * 79 + "。", "乙" * 89 + "。", "\n责任单位：市局"
    parts = split_passage_text(mapped(first + second + tail), 100)
    assert [part.text for part in parts] == [first, second + tail]  # not a third part `责任单位：市局`


def test_overlong_sentence_is_cut_at_commas_then_hard():
    sentence = "，".join(["加快推进工程建设项目审批制度改革"] * 40) + "。"
    parts = split_passage_text(mapped(sentence), 100)
    assert all(len(part) <= 100 for part in parts)
    assert "".join(part.text for part in parts) == sentence
    assert all(re.search(r"[，。]$", part.text) for part in parts)
    unbroken = mapped("字" * 1050)
    parts = split_passage_text(unbroken, 500)
    assert [len(part) for part in parts] == [500, 500, 50]


def test_newlines_are_sentence_boundaries_and_parts_are_stripped():
    lines = "\n".join(["第一行内容没有句号"] * 80)
    parts = split_passage_text(mapped(lines), 100)
    assert all(len(part) <= 100 for part in parts)
    assert all(part.text == part.text.strip() for part in parts)
    assert "".join(part.text for part in parts).replace("\n", "") == lines.replace("\n", "")
