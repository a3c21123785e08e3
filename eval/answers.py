"""Scores answers against the gold `answer`: character-level LCS recall, precision and F1 (the CMRC 2018
measure), whether an evidence string is in the answer, and whether a comparison labels every document.

Texts are compared after NFKC with whitespace and punctuation removed; an abstention scores 0. The
anchor beside each figure is the whole top passage taken as the answer.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from corpus.models import Document
from eval.gold import GoldQuestion, Kind
from index.retriever import SearchResult

WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ComposedAnswer:
    """What eval needs of an answer, whatever composed it."""

    text: str
    abstained: bool
    labels: tuple[str, ...]  # the label of each part (`焦作市 2019`)


AnswerFn = Callable[[SearchResult], ComposedAnswer]


@dataclass(frozen=True)
class AnswerScore:
    recall: float
    precision: float
    f1: float
    evidence: bool  # an evidence string stands in the answer
    complete: bool | None  # cross_doc: every gold document's place and year labelled
    anchor_recall: float  # the whole top passage as the answer
    anchor_f1: float


def normalize_answer(text: str) -> str:
    text = WHITESPACE.sub("", unicodedata.normalize("NFKC", text))
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def lcs_length(a: str, b: str) -> int:
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if ch == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def overlap(prediction: str, gold: str) -> tuple[float, float, float]:
    """(recall, precision, F1) of the longest common subsequence of characters."""
    pred, ref = normalize_answer(prediction), normalize_answer(gold)
    common = lcs_length(pred, ref)
    if not common:
        return 0.0, 0.0, 0.0
    recall, precision = common / len(ref), common / len(pred)
    return recall, precision, 2 * recall * precision / (recall + precision)


def labels_document(labels: tuple[str, ...], document: Document) -> bool:
    """Does some part's label name the document's place (short form accepted) and year?"""
    place = document.region
    short = re.sub(r"(省|市|县|区)$", "", place)
    year = str(document.year) if document.year else ""
    return any((place in label or (len(short) >= 2 and short in label)) and year in label for label in labels)


def score_answer(question: GoldQuestion, answer: ComposedAnswer, result: SearchResult,
                 documents_by_file: dict[str, Document]) -> AnswerScore:
    top = result.hits[0].passage.text if result.hits else ""
    anchor_recall, _, anchor_f1 = overlap(top, question.answer)
    complete = None
    if question.kind is Kind.CROSS_DOC:
        gold_docs = [documents_by_file[f] for f in question.docs if f in documents_by_file]
        complete = not answer.abstained and all(labels_document(answer.labels, d) for d in gold_docs)
    if answer.abstained:
        return AnswerScore(0.0, 0.0, 0.0, False, complete, anchor_recall, anchor_f1)
    recall, precision, f1 = overlap(answer.text, question.answer)
    text = normalize_answer(answer.text)
    evidence = any(normalize_answer(e) in text for e in question.evidence)
    return AnswerScore(recall, precision, f1, evidence, complete, anchor_recall, anchor_f1)


def answer_metrics(scores: list[AnswerScore]) -> dict[str, float]:
    """Means over the answerable questions scored."""
    if not scores:
        return {}
    metrics = {
        "n": float(len(scores)),
        "ans_recall": statistics.mean(s.recall for s in scores),
        "ans_precision": statistics.mean(s.precision for s in scores),
        "ans_f1": statistics.mean(s.f1 for s in scores),
        "evidence_in": statistics.mean(float(s.evidence) for s in scores),
        "top_recall": statistics.mean(s.anchor_recall for s in scores),
        "top_f1": statistics.mean(s.anchor_f1 for s in scores),
    }
    complete = [s.complete for s in scores if s.complete is not None]
    if complete:
        metrics["complete"] = statistics.mean(float(c) for c in complete)
    return metrics
