"""Gold questions (format of shared/eval/README.md) and their validator."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from eval.relevance import normalize

GOLD_PATH = Path(__file__).parent / "gold.jsonl"
FIELDS = ("id", "question", "docs", "evidence", "answer", "kind")
MAX_OCCURRENCES = 2  # an evidence string seen more often would make any passage "relevant"


class Kind(StrEnum):
    NUMBER = "number"
    DEADLINE = "deadline"
    RESPONSIBLE = "responsible"
    MEASURE = "measure"
    DEFINITION = "definition"
    TABLE = "table"
    LIST = "list"
    CROSS_DOC = "cross_doc"
    UNANSWERABLE = "unanswerable"


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    docs: tuple[str, ...]
    evidence: tuple[str, ...]
    answer: str
    kind: Kind
    history: tuple[str, ...] = ()  # earlier turns of a conversation, oldest first: `question` is a follow-up
    full_question: str | None = None  # the follow-up asked in full, for comparison

    @property
    def answerable(self) -> bool:
        return self.kind is not Kind.UNANSWERABLE


class GoldFormatError(ValueError):
    pass


def parse_gold_line(line: str, where: str) -> GoldQuestion:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise GoldFormatError(f"{where}: not JSON ({error.msg})") from None
    missing = [f for f in FIELDS if f not in data]
    if missing:
        raise GoldFormatError(f"{where}: missing field(s) {', '.join(missing)}")
    try:
        kind = Kind(data["kind"])
    except ValueError:
        raise GoldFormatError(f"{where}: unknown kind {data['kind']!r}") from None
    if not isinstance(data["docs"], list) or not isinstance(data["evidence"], list):
        raise GoldFormatError(f"{where}: docs and evidence must be lists")
    history = data.get("history", [])
    if not isinstance(history, list) or not all(isinstance(turn, str) for turn in history):
        raise GoldFormatError(f"{where}: history must be a list of earlier questions")
    return GoldQuestion(str(data["id"]), data["question"], tuple(data["docs"]), tuple(data["evidence"]),
                        data["answer"], kind, tuple(history), data.get("full_question"))


def load_gold(path: Path = GOLD_PATH) -> list[GoldQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            questions.append(parse_gold_line(line, f"{path.name}:{number}"))
    if not questions:
        raise GoldFormatError(f"{path} holds no questions")
    return questions


def validate_gold(questions: list[GoldQuestion], sources: dict[str, str]) -> list[str]:
    """Problems in a gold set; `sources` maps file name → file text. Empty list: valid."""
    problems = []
    ids = Counter(q.id for q in questions)
    problems += [f"duplicate id {qid}" for qid, n in ids.items() if n > 1]
    corpus = normalize("".join(sources.values()))
    for q in questions:
        where = f"{q.id}:"
        if not q.question.strip():
            problems.append(f"{where} empty question")
        if not q.answerable:
            if q.docs or q.evidence or q.answer:
                problems.append(f"{where} unanswerable questions have empty docs, evidence and answer")
            continue
        if not q.docs or not q.evidence or not q.answer.strip():
            problems.append(f"{where} answerable questions need docs, evidence and answer")
        if q.kind is Kind.CROSS_DOC and (len(q.docs) < 2 or len(q.evidence) != len(q.docs)):
            problems.append(f"{where} cross_doc needs ≥2 docs and one evidence string per doc")
        if q.kind is not Kind.CROSS_DOC and not 1 <= len(q.evidence) <= 3:
            problems.append(f"{where} needs 1-3 evidence strings")
        for doc in q.docs:
            if doc not in sources:
                problems.append(f"{where} unknown document {doc}")
        pairs = zip(q.docs, q.evidence) if q.kind is Kind.CROSS_DOC else ((d, e) for e in q.evidence for d in q.docs[:1])
        for doc, evidence in pairs:
            if doc in sources and not any(evidence in line for line in sources[doc].splitlines()):
                if q.kind is Kind.CROSS_DOC or not any(evidence in line for d in q.docs for line in sources[d].splitlines()):
                    problems.append(f"{where} evidence {evidence!r} is not within one line of {doc}")
            count = corpus.count(normalize(evidence))
            if count > MAX_OCCURRENCES:
                problems.append(f"{where} evidence {evidence!r} occurs {count}× in the corpus (max {MAX_OCCURRENCES})")
    return problems
