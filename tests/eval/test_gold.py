"""The project's gold set: well formed, and every evidence string exists and is distinctive."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corpus.documents import bundled_corpus
from eval.gold import GoldFormatError, Kind, load_gold, parse_gold_line, validate_gold

SHARED_SAMPLE = Path(__file__).parents[2].parent / "shared" / "eval" / "sample.jsonl"


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    corpus = bundled_corpus()
    return {doc.file: corpus.text_of(doc_id) for doc_id, doc in corpus.documents.items()}


def test_gold_set_is_valid(sources: dict[str, str]) -> None:
    assert validate_gold(load_gold(), sources) == []


def test_gold_set_covers_what_the_issue_asks() -> None:
    gold = load_gold()
    kinds = Counter(q.kind for q in gold)
    assert len(gold) >= 200
    assert set(kinds) == set(Kind)
    assert kinds[Kind.CROSS_DOC] >= 15 and kinds[Kind.UNANSWERABLE] >= 15
    assert {d for q in gold for d in q.docs} == set(Path(doc.file).name for doc in bundled_corpus().documents.values())


@pytest.mark.skipif(not SHARED_SAMPLE.is_file(), reason="../shared/eval/sample.jsonl is not beside the repository")
def test_shared_sample_is_valid_too(sources: dict[str, str]) -> None:
    assert validate_gold(load_gold(SHARED_SAMPLE), sources) == []


def test_validator_catches_bad_questions(sources: dict[str, str]) -> None:
    line = lambda **changes: parse_gold_line(json.dumps({  # noqa: E731
        "id": "x1", "question": "高压用户报装时限？", "docs": ["000_b1277f30adcb0d72.txt"],
        "evidence": ["压缩至20个工作日以内"], "answer": "20个工作日", "kind": "number", **changes}), "test")
    assert validate_gold([line()], sources) == []
    assert any("not within one line" in p for p in validate_gold([line(evidence=["不存在的证据文字"])], sources))
    assert any("occurs" in p for p in validate_gold([line(evidence=["责任单位"])], sources))
    assert any("unknown document" in p for p in validate_gold([line(docs=["nope.txt"])], sources))
    assert any("duplicate id" in p for p in validate_gold([line(), line()], sources))
    assert any("cross_doc" in p for p in validate_gold([line(kind="cross_doc")], sources))
    assert any("unanswerable" in p for p in validate_gold([line(kind="unanswerable")], sources))


def test_malformed_lines_are_reported_with_their_place() -> None:
    with pytest.raises(GoldFormatError, match="gold.jsonl:3: not JSON"):
        parse_gold_line("{oops", "gold.jsonl:3")
    with pytest.raises(GoldFormatError, match="missing field"):
        parse_gold_line('{"id": "a"}', "x")
    with pytest.raises(GoldFormatError, match="unknown kind"):
        parse_gold_line(json.dumps({"id": "a", "question": "q", "docs": [], "evidence": [], "answer": "",
                                    "kind": "trivia"}), "x")


def test_followup_conversations_are_valid(sources: dict[str, str]) -> None:
    followups = load_gold(Path(__file__).parents[2] / "eval" / "gold_followups.jsonl")
    assert len(followups) >= 40
    assert validate_gold(followups, sources) == []
    assert all(q.history and q.full_question for q in followups)
    assert {len(q.history) for q in followups} == {1, 2}, "two- and three-turn conversations"
