"""Extractive answers: the sentence of each top passage that answers, labelled by city and year.

No language model runs offline here, so an answer is the best sentence of the best passage of
each document that answers, with its figures highlighted. When the documents (cities, years)
disagree, every one is shown, labelled; when nothing answers, the service abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.models import PassageKind
from index.retriever import Hit, Retriever, SearchResult
from qa.highlight import highlight_spans

SENTENCE = re.compile(r"[^。；;\n]+[。；;]?")
ASKS_FIGURE = re.compile(r"多少|几|多长|多久|时限|时间|期限|比例|目标|哪天|何时|什么时候|日期|费用|标准|率")
ABSTAIN_TEXT = "未找到能直接回答该问题的条款。以下是最接近的段落（低置信度），仅供参考。"
MAX_PARTS = 5
MAX_SENTENCE = 200


@dataclass(frozen=True)
class AnswerPart:
    label: str
    text: str
    highlights: list[tuple[int, int]]
    citation: int  # rank of the cited passage


@dataclass(frozen=True)
class Answer:
    text: str
    abstained: bool
    confidence: float  # IDF-weighted share of the question's terms found in one of the top passages
    parts: list[AnswerPart]

    @property
    def citations(self) -> list[int]:
        return [part.citation for part in self.parts]


class AnswerComposer:
    def __init__(self, retriever: Retriever, min_coverage: float, min_dense: float, part_ratio: float = 0.6) -> None:
        self.retriever = retriever
        self.min_coverage = min_coverage
        self.min_dense = min_dense
        self.part_ratio = part_ratio  # a document joins the answer when its passage scores this share of the top

    def _weights(self, question: str) -> dict[str, float]:
        lexical = self.retriever.lexical
        return {t: max(lexical.idf(t), 0.0) for t in set(self.retriever.tokenizer.tokenize(question))}

    def _overlap(self, weights: dict[str, float], text: str) -> float:
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        present = self._token_set(text)
        return sum(w for t, w in weights.items() if t in present) / total

    @lru_cache(maxsize=16384)  # noqa: B019 - passages never change while the service runs
    def _token_set(self, text: str) -> frozenset[str]:
        return frozenset(self.retriever.tokenizer.tokenize(text))

    def passage_score(self, question: str, hit: Hit) -> float:
        """How much of the question (IDF-weighted terms) the passage and its headings contain: 0-1."""
        return self._overlap(self._weights(question), " ".join(hit.passage.section_path) + hit.passage.text)

    def confidence(self, question: str, result: SearchResult) -> float:
        """The best passage score among the top three: the answer may come from any of them."""
        return max((self.passage_score(question, hit) for hit in result.hits[:3]), default=0.0)

    def should_abstain(self, question: str, result: SearchResult, confidence: float | None = None) -> bool:
        confidence = self.confidence(question, result) if confidence is None else confidence
        if not result.hits or confidence < self.min_coverage:
            return True
        cosines = [hit.dense for hit in result.hits if hit.dense is not None]
        return bool(cosines) and max(cosines) < self.min_dense

    def compose(self, question: str, result: SearchResult) -> Answer:
        confidence = self.confidence(question, result)
        if self.should_abstain(question, result, confidence):
            return Answer(ABSTAIN_TEXT, True, confidence, [])
        weights = self._weights(question)
        wants_figure = bool(ASKS_FIGURE.search(question))
        # One part per document among the top passages that score close to the best one:
        # retrieval decides which cities answer, the sentence only extracts what they say.
        floor = self.part_ratio * result.hits[0].score
        parts: list[AnswerPart] = []
        seen: set[str] = set()
        for hit in result.hits[:MAX_PARTS]:
            if hit.document.doc_id in seen or hit.score < floor:
                continue
            seen.add(hit.document.doc_id)
            sentence = self._best_sentence(hit, weights, wants_figure).rstrip("。；;")
            parts.append(AnswerPart(_label(hit), sentence, highlight_spans(sentence, question), hit.rank))
        text = "；".join(f"{p.label}：{p.text}" for p in parts) + "。"
        return Answer(text, False, confidence, parts)

    def _best_sentence(self, hit: Hit, weights: dict[str, float], wants_figure: bool) -> str:
        if hit.passage.kind is PassageKind.TABLE_ROW:
            sentences = [_table_row_sentence(hit.passage.text)]
        else:
            sentences = [s.strip() for s in SENTENCE.findall(hit.passage.text) if len(s.strip()) > 4]
        scored = [(self._overlap(weights, sentence), sentence) for sentence in sentences or [hit.passage.text]]
        if wants_figure:
            # A question about a figure is answered by a sentence that states one, when any does.
            with_figure = [(score, s) for score, s in scored if score > 0 and highlight_spans(s, "")]
            scored = with_figure or scored
        _, sentence = max(scored, key=lambda x: x[0])
        return sentence if len(sentence) <= MAX_SENTENCE else sentence[:MAX_SENTENCE] + "…"


def _label(hit: Hit) -> str:
    return f"{hit.document.region} {hit.document.year}"


def _table_row_sentence(text: str) -> str:
    """`| 指标 | 现状 |` + `| 豫事办 | 107万 |` → `指标：豫事办；现状：107万`."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    if len(rows) < 2:
        return text
    cells = lambda line: [c.strip() for c in line.strip().strip("|").split("|")]  # noqa: E731
    header, row = cells(rows[0]), cells(rows[-1])
    pairs = [f"{h}：{v}" if h else v for h, v in zip(header, row) if v]
    return "；".join(pairs)
