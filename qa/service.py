"""What the routes call: the loaded retriever and answer composer, and their results as API models."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from index.batching import Overloaded
from index.retriever import Hit, Retriever, SearchResult
from index.scope import SearchFilters
from qa.answer import AnswerComposer
from qa.config import Settings
from qa.highlight import highlight_spans
from qa.schemas import (
    AnswerOut,
    AnswerPartOut,
    AppliedFilters,
    AskRequest,
    AskResponse,
    ChannelScores,
    DocumentOut,
    PassageOut,
    SearchResponse,
    SourceOut,
)

log = logging.getLogger(__name__)


@dataclass
class QAService:
    settings: Settings
    retriever: Retriever
    composer: AnswerComposer

    @classmethod
    def load(cls, settings: Settings) -> QAService:
        retriever = Retriever.open(settings.retriever_config())
        retriever.encoder.start_batching(settings.batching_config())  # one worker owns the query model
        return cls(settings, retriever,
                   AnswerComposer(retriever, settings.abstain_min_coverage, settings.abstain_min_dense))

    def search(self, request: AskRequest) -> SearchResult:
        f = request.filters
        filters = SearchFilters(tuple(f.city), tuple(f.year), tuple(f.doc_id))
        return self.retriever.search(request.question, mode=request.mode, top_k=request.top_k, filters=filters)

    def search_response(self, request: AskRequest, result: SearchResult) -> SearchResponse:
        return SearchResponse(
            question=request.question,
            mode=request.mode,
            passages=[passage_out(hit, request.question) for hit in result.hits],
            applied_filters=AppliedFilters(
                city=list(result.filters.city), year=list(result.filters.year), doc_id=list(result.filters.doc_id),
                named_in_question={"regions": list(result.named.regions), "years": list(result.named.years)}),
            timings_ms=result.timings_ms,
        )

    def ask(self, request: AskRequest) -> AskResponse:
        result = self.search(request)
        answer = self.composer.compose(request.question, result)
        base = self.search_response(request, result)
        return AskResponse(**base.model_dump(), answer=AnswerOut(
            text=answer.text, abstained=answer.abstained, confidence=round(answer.confidence, 4),
            citations=answer.citations,
            parts=[AnswerPartOut(label=p.label, text=p.text, highlights=p.highlights, citation=p.citation)
                   for p in answer.parts]))

    def documents(self) -> list[DocumentOut]:
        counts: dict[str, int] = {}
        for passage in self.retriever.passages:
            counts[passage.doc_id] = counts.get(passage.doc_id, 0) + 1
        return [DocumentOut(**d.to_dict(), region=d.region, passages=counts.get(d.doc_id, 0))
                for d in self.retriever.documents.values()]


def passage_out(hit: Hit, question: str) -> PassageOut:
    p, d = hit.passage, hit.document
    return PassageOut(
        rank=hit.rank, passage_id=p.passage_id, text=p.text, score=round(hit.score, 6),
        scores=ChannelScores(bm25=_round(hit.bm25), dense=_round(hit.dense), fused=round(hit.score, 6),
                             bm25_rank=hit.bm25_rank, dense_rank=hit.dense_rank),
        doc_id=d.doc_id, doc_title=d.title, doc_number=d.doc_number, city=d.city, county=d.county,
        region=d.region, year=d.year, section_path=list(p.section_path), kind=str(p.kind),
        responsible=list(p.responsible), deadline=p.deadline, source=SourceOut(**vars(p.source)),
        highlights=highlight_spans(p.text, question),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


class ServiceLoader:
    """Loads the service in a background thread so /healthz answers while the index builds."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service: QAService | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._load, name="index-loader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _load(self) -> None:
        try:
            service = QAService.load(self.settings)
            # One search loads the model's lazy parts, so the first user does not pay for them.
            try:
                service.retriever.search("高压用户报装时限是多少")
            except Overloaded:  # a busy machine: the worker still finishes loading; serve anyway
                log.warning("the warm-up search outlasted the embedding deadline; serving without waiting")
            self.service = service
            log.info("index loaded: %d passages", len(self.service.retriever.passages))
        except Exception as error:  # reported by /healthz, /readyz and the API instead of killing the server
            log.exception("loading the index failed")
            # Short and path-free: any caller reads it; the log has the details.
            self.error = f"the index could not be loaded ({type(error).__name__}); the server log has the details"

