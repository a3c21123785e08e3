"""What the routes call: the loaded retriever and answer composer, and their results as API models."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from corpus.library import Library, LibraryState, StagedChange
from corpus.models import Document
from index.batching import Overloaded
from index.question import resolve_followup
from index.retriever import Hit, Retriever, SearchResult
from index.store import build_index, load_index
from index.scope import SearchFilters
from qa.answer import ANSWER_DEPTH, AnswerComposer
from qa.config import Settings
from qa.highlight import highlight_spans
from qa.schemas import (
    AnswerOut,
    AnswerPartOut,
    AnswerRowOut,
    AppliedFilters,
    AskRequest,
    AskResponse,
    ChannelScores,
    DocumentDetail,
    DocumentOut,
    PassageOut,
    SearchResponse,
    SourceOut,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """What a request reads: the library and its index, replaced together in one assignment, so a
    request sees the old library or the new one, never half of a change."""

    library: LibraryState
    retriever: Retriever
    composer: AnswerComposer


@dataclass(frozen=True)
class ChangeReport:
    added: list[Document]
    removed: list[str]
    passages: int  # in the library after the change
    embedded: int  # passages whose vectors were computed for this change
    seconds: float


class QAService:
    def __init__(self, settings: Settings, library: Library, served: Served) -> None:
        self.settings = settings
        self.library = library
        self.served = served
        self._change_lock = threading.Lock()

    @property
    def retriever(self) -> Retriever:
        return self.served.retriever

    @property
    def composer(self) -> AnswerComposer:
        return self.served.composer

    @classmethod
    def load(cls, settings: Settings) -> QAService:
        library = settings.library()
        with library.locked():
            state = library.load()
            retriever = Retriever.open(settings.retriever_config(), corpus=state.corpus)
        retriever.encoder.start_batching(settings.batching_config())  # encoder workers own the query model
        # Answers tokenise the passages they read (alone and after their headings), sentence by sentence:
        # cut their blocks now, not per request.
        retriever.tokenizer.warm(text for p in retriever.passages for text in (" ".join(p.section_path) + p.text, p.text))
        return cls(settings, library, cls._serve(settings, state, retriever))

    @staticmethod
    def _serve(settings: Settings, state: LibraryState, retriever: Retriever) -> Served:
        return Served(state, retriever,
                      AnswerComposer(retriever, settings.abstain_min_coverage, settings.abstain_min_dense))

    # ---- changing the library -------------------------------------------------------------------

    def add_documents(self, files: list[tuple[str, Path]]) -> ChangeReport:
        """Add files (name, path of its bytes); a bad file refuses the whole change and changes nothing."""
        report = self._change(lambda state: self.library.stage_add(state, files))
        log.info("library: added %s (%d passages embedded, %.1f s)", [d.doc_id for d in report.added],
                 report.embedded, report.seconds)
        return report

    def remove_document(self, doc_id: str) -> ChangeReport:
        report = self._change(lambda state: self.library.stage_remove(state, doc_id))
        log.info("library: removed %s (%.1f s)", doc_id, report.seconds)
        return report

    def _change(self, stage: Callable[[LibraryState], StagedChange]) -> ChangeReport:
        """Stage the change, build the new index beside the old one and swap it in, then commit the folder
        and swap what requests read. Serialised: one change at a time, in this process and across processes."""
        started = time.perf_counter()
        with self._change_lock, self.library.locked():
            old = self.served
            change = stage(old.library)
            try:
                config = self.settings.retriever_config()
                build = build_index(change.state.corpus, config.index_dir, old.retriever.encoder, old.retriever.tokenizer,
                                    config.build_settings(), progress=False)
                retriever = Retriever(load_index(config.index_dir), old.retriever.encoder, old.retriever.tokenizer,
                                      config)
            except BaseException:
                change.discard()
                raise
            change.commit()
            self.served = self._serve(self.settings, change.state, retriever)
        added = [change.state.documents[d] for d in change.state.entries if d not in old.library.entries]
        removed = [d for d in old.library.entries if d not in change.state.entries]
        return ChangeReport(added, removed, build.passages, build.embedded, time.perf_counter() - started)

    # ---- answering ------------------------------------------------------------------------------

    def search(self, request: AskRequest, served: Served | None = None, depth: int = 0) -> SearchResult:
        """The top k passages, or the top `depth` when the caller reads deeper than it shows."""
        served = served or self.served
        return served.retriever.search(resolved_question(request, served.retriever.documents), mode=request.mode,
                                       top_k=max(request.top_k, depth), filters=search_filters(request))

    async def search_async(self, request: AskRequest, served: Served | None = None, depth: int = 0) -> SearchResult:
        """`search` for the event loop: the routes await the query embedding instead of holding a thread."""
        served = served or self.served
        return await served.retriever.search_async(resolved_question(request, served.retriever.documents),
                                                   mode=request.mode, top_k=max(request.top_k, depth),
                                                   filters=search_filters(request))

    def search_response(self, request: AskRequest, result: SearchResult) -> SearchResponse:
        return SearchResponse(
            question=request.question,
            resolved_question=result.query,
            mode=request.mode,
            passages=[passage_out(hit, result.query) for hit in result.hits],
            applied_filters=AppliedFilters(
                city=list(result.filters.city), year=list(result.filters.year), doc_id=list(result.filters.doc_id),
                named_in_question={"regions": list(result.named.regions), "years": list(result.named.years)}),
            timings_ms=result.timings_ms,
        )

    def ask(self, request: AskRequest) -> AskResponse:
        served = self.served  # one library for the whole request
        # The answer reads deeper than the passages shown: every city that answers must be found.
        return self.answer(request, served, self.search(request, served, ANSWER_DEPTH))

    async def ask_async(self, request: AskRequest) -> AskResponse:
        """`ask` for the event loop (the /api/ask route): only the query embedding is awaited; the rest is
        short Python that would hold the GIL in a worker thread all the same."""
        served = self.served
        return self.answer(request, served, await self.search_async(request, served, ANSWER_DEPTH))

    def answer(self, request: AskRequest, served: Served, result: SearchResult) -> AskResponse:
        """The answer composed from a search `ANSWER_DEPTH` deep, with the passages it shows."""
        answer = served.composer.compose(result)
        # The passages shown: the top k, and any deeper one the answer cites (a city ranked 12th).
        cited = set(answer.citations)
        shown = replace(result, hits=[h for h in result.hits if h.rank <= request.top_k or h.rank in cited])
        base = self.search_response(request, shown)
        parts = [AnswerPartOut(**vars(p)) for p in answer.parts]  # shallow: asdict deep-copies every span
        rows = [AnswerRowOut(place=p.place, year=p.year, value=p.value, text=p.text, citation=p.citation,
                             doc_id=p.doc_id) for p in answer.parts] if len(answer.parts) > 1 else []
        # The search response's fields are validated models already: passed on as they are, not dumped
        # and validated again.
        return AskResponse(**dict(base), answer=AnswerOut(
            text=answer.text, abstained=answer.abstained, confidence=answer.confidence, citations=answer.citations,
            parts=parts, intent=str(answer.intent), reason=answer.reason, rows=rows))

    def documents(self, served: Served | None = None) -> list[DocumentOut]:
        served = served or self.served
        counts = Counter(p.doc_id for p in served.retriever.passages)
        return [document_out(d, counts[d.doc_id], served.library.reviewed.get(d.doc_id, ()))
                for d in served.retriever.documents.values()]

    def document(self, doc_id: str) -> DocumentDetail | None:
        """A document with its full text (passage offsets point into it); None when there is no such document."""
        served = self.served
        document = next((d for d in self.documents(served) if d.doc_id == doc_id), None)
        if document is None:
            return None
        try:
            text = served.library.corpus.text_of(doc_id)
        except FileNotFoundError:  # removed by a change since this request began
            return None
        return DocumentDetail(**document.model_dump(), text=text)


def search_filters(request: AskRequest) -> SearchFilters:
    f = request.filters
    return SearchFilters(tuple(f.city), tuple(f.year), tuple(f.doc_id))


def resolved_question(request: AskRequest, documents: dict[str, Document]) -> str:
    """The question itself, or a follow-up (`那三门峡呢？`) resolved against the last turn of the conversation."""
    if not request.history:
        return request.question
    last = request.history[-1]
    return resolve_followup(request.question, last.resolved_question or last.question, documents)


def document_out(d: Document, passages: int, reviewed: tuple[str, ...] = ()) -> DocumentOut:
    return DocumentOut(**d.to_dict(), region=d.region, label=d.label, reviewed=list(reviewed), passages=passages)


def passage_out(hit: Hit, question: str) -> PassageOut:
    p, d = hit.passage, hit.document
    return PassageOut(
        rank=hit.rank, passage_id=p.passage_id, text=p.text, score=round(hit.score, 6),
        scores=ChannelScores(bm25=_round(hit.bm25), dense=_round(hit.dense), fused=round(hit.score, 6),
                             bm25_rank=hit.bm25_rank, dense_rank=hit.dense_rank),
        doc_id=d.doc_id, doc_title=d.title, doc_number=d.doc_number, city=d.city, county=d.county,
        region=d.region, year=d.year, section_path=list(p.section_path), kind=str(p.kind),
        label=d.label, lead=list(p.lead), responsible=list(p.responsible), cooperate=list(p.cooperate),
        deadline=p.deadline, source=SourceOut(**vars(p.source), page=d.page_of(p.source.char_start)),
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
        if self.service is None:  # a service handed in already loaded (tests) is not loaded twice
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread.ident is not None:
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

