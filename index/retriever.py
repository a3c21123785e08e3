"""The retrieval API that qa and eval use: BM25, dense or hybrid search over the stored index."""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from itertools import zip_longest
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus.documents import Corpus, load_corpus
from corpus.models import Document, Passage
from corpus.parser import DEFAULT_MAX_CHARS
from index.backend import Backend, BackendKind
from index.dense import Encoder, EncoderConfig, QueryEmbedding
from index.embedded_backend import EmbeddedBackend
from index.fusion import FusionMethod, ranks_of, rrf, weighted
from index.lexical import BM25Params, LexicalIndex
from index.modes import Mode
from index.question import Question, understand
from index.scope import NamedScope, ScopeMode, SearchFilters, Selection, validate_filters
from index.store import IndexMismatch, StoredIndex, build_index, check_compatible, corpus_fingerprint, load_index
from index.tokenizer import Tokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrieverConfig:
    index_dir: Path
    encoder: EncoderConfig
    bm25: BM25Params = BM25Params()
    # Chosen by `python -m eval.sweep` on the gold set: BM25 is the stronger channel on this corpus.
    fusion: FusionMethod = FusionMethod.WEIGHTED
    rrf_k: int = 60
    weights: tuple[float, float] = (0.7, 0.3)  # (bm25, dense)
    candidates: int = 100  # per channel, before fusion
    scope: ScopeMode = ScopeMode.BOOST
    scope_boost: float = 1.5
    max_chars: int = DEFAULT_MAX_CHARS
    backend: BackendKind = BackendKind.EMBEDDED
    milvus_uri: str = ""  # a file: Milvus Lite; http://host:19530: a Milvus server
    milvus_alias: str = "policy_qa"  # names the served collection; builds are `<alias>_<version>_<id>`

    def build_settings(self) -> dict:
        """Settings that shape the stored index (recorded in its manifest)."""
        return {"max_chars": self.max_chars, "model": self.encoder.model, "quantize": self.encoder.quantize,
                "query_prompt": self.encoder.query_prompt, "passage_prompt": self.encoder.passage_prompt}


@dataclass(frozen=True)
class Hit:
    rank: int
    passage: Passage
    document: Document
    score: float  # what the ranking used: fused in hybrid mode, the channel's own score otherwise
    bm25: float | None
    dense: float | None
    bm25_rank: int | None
    dense_rank: int | None


@dataclass(frozen=True)
class SearchResult:
    query: str
    mode: Mode
    hits: list[Hit]
    filters: SearchFilters
    question: Question
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def named(self) -> NamedScope:
        return self.question.named


class Retriever:
    def __init__(self, stored: StoredIndex, encoder: Encoder, tokenizer: Tokenizer, config: RetrieverConfig,
                 backend: Backend | None = None) -> None:
        self.stored = stored
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.config = config
        # The project's BM25 statistics, whichever backend runs: answers weigh question terms by their IDF.
        self.lexical = LexicalIndex(stored.tokens, config.bm25)
        self.backend = backend or _open_backend(config, stored, self.lexical)

    @property
    def documents(self) -> dict[str, Document]:
        return self.stored.documents

    @property
    def passages(self) -> list[Passage]:
        return self.stored.passages

    @classmethod
    def open(cls, config: RetrieverConfig, corpus: Corpus | None = None, rebuild: bool = False,
             progress: bool = False) -> Retriever:
        """Load the index, building it first when missing, stale, or `rebuild` is asked."""
        corpus = corpus or load_corpus(max_chars=config.max_chars)
        encoder, tokenizer = Encoder(config.encoder), Tokenizer()
        reason = "a rebuild was asked for"
        if not rebuild:
            try:
                stored = load_index(config.index_dir)
                check_compatible(stored.manifest, corpus_fingerprint(corpus), encoder.model_id)
                return cls(stored, encoder, tokenizer, config)
            except (FileNotFoundError, IndexMismatch) as error:
                reason = str(error)
        log.warning("building the index at %s: %s", config.index_dir, reason)
        build_index(corpus, config.index_dir, encoder, tokenizer, config.build_settings(), progress=progress)
        return cls(load_index(config.index_dir), encoder, tokenizer, config)

    def search(self, query: str, *, mode: Mode = Mode.HYBRID, top_k: int = 10,
               filters: SearchFilters = SearchFilters()) -> SearchResult:
        started = self._start(query, mode, filters)
        return self._finish(started, started.embedding.result() if started.embedding else None, top_k)

    async def search_async(self, query: str, *, mode: Mode = Mode.HYBRID, top_k: int = 10,
                           filters: SearchFilters = SearchFilters()) -> SearchResult:
        """`search` for an event loop: the query embedding is awaited, not waited for in a thread."""
        if BackendKind(self.config.backend) is not BackendKind.EMBEDDED:
            # Milvus answers over the network (Milvus Lite too: a local server): its round trips must
            # not hold the event loop, so the whole search runs in a thread.
            return await asyncio.to_thread(self.search, query, mode=mode, top_k=top_k, filters=filters)
        started = self._start(query, mode, filters)
        return self._finish(started, await started.embedding.wait() if started.embedding else None, top_k)

    def _start(self, query: str, mode: Mode, filters: SearchFilters) -> _Started:
        """Everything up to the query vector: the embedding is queued first, and BM25 runs while the
        encoder worker computes it (on another core: onnxruntime releases the GIL)."""
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        validate_filters(filters, self.documents)
        selection = Selection.of(filters, self.documents)
        question = understand(query, self.documents)
        embedding, embed_started = None, time.perf_counter()
        if mode in (Mode.DENSE, Mode.HYBRID):
            embedding = self.encoder.start_query(question.normalized)
        named = question.named if self.config.scope is not ScopeMode.OFF else NamedScope()
        if self.config.scope is ScopeMode.FILTER and named.doc_ids:
            narrowed = selection.narrowed(named.doc_ids)
            if any(narrowed.allows(p, self.documents[p.doc_id]) for p in self.passages):
                selection = narrowed  # never let a guess empty the search
        # A comparison across named places: rank within each place, then take turns,
        # so the large plan of one city cannot crowd the others out of the top k.
        comparison = self.config.scope is not ScopeMode.OFF and len(named.regions) > 1
        selections = [selection.narrowed(named.docs_of(r)) for r in named.regions] if comparison else [selection]

        tokens: list[str] = []
        bm25: list[dict[int, float]] = [{} for _ in selections]
        if mode in (Mode.BM25, Mode.HYBRID):
            start = time.perf_counter()
            tokens = self.tokenizer.tokenize(question.normalized) + list(question.expansion)
            timings["tokenize"] = _ms(start)
            start = time.perf_counter()
            bm25 = [self.backend.bm25(query, tokens, s, self.config.candidates) for s in selections]
            timings["bm25"] = _ms(start)
        return _Started(query, mode, filters, question, named, comparison, selections, bm25, embedding,
                        embed_started, timings, clock)

    def _finish(self, started: _Started, vector: np.ndarray | None, top_k: int) -> SearchResult:
        """Dense candidates, fusion, scope and the top k, once the query vector is in."""
        timings = started.timings
        if vector is not None:
            timings["embed"] = _ms(started.embed_started)  # queued to ready: BM25 ran meanwhile
        # A single ranking is boosted towards the documents the question names; a comparison's rankings
        # are each within one named place already.
        boosted = started.named.doc_ids if self.config.scope is ScopeMode.BOOST and not started.comparison else frozenset()
        # Taking turns skips a passage already taken from another place's list: those go on deeper.
        depth = None if started.comparison else top_k
        ranked_lists = []
        for selection, bm25_scores in zip(started.selections, started.bm25):
            dense_scores: dict[int, float] = {}
            if vector is not None:
                start = time.perf_counter()
                dense_scores = self.backend.dense(vector, selection, self.config.candidates)
                timings["faiss"] = timings.get("faiss", 0.0) + _ms(start)
            ranked_lists.append(self._fuse(started.mode, bm25_scores, dense_scores, boosted, depth, timings))
        ranked = _interleave(ranked_lists) if started.comparison else ranked_lists[0]

        start = time.perf_counter()
        hits = [
            Hit(rank, self.passages[item.pid], self.documents[self.passages[item.pid].doc_id], item.score,
                item.bm25, item.dense, item.bm25_rank, item.dense_rank)
            for rank, item in enumerate(ranked[:top_k], start=1)
        ]
        timings["fuse"] = timings.get("fuse", 0.0) + _ms(start)
        timings["total"] = _ms(started.clock)
        return SearchResult(started.query, started.mode, hits, started.filters, started.question, timings)

    def _fuse(self, mode: Mode, bm25_scores: dict[int, float], dense_scores: dict[int, float],
              boosted: frozenset[str], depth: int | None, timings: dict[str, float]) -> list[_Ranked]:
        """One selection's candidates of each channel, fused, boosted when in a document the question
        names: the best `depth` (all when None), best first."""
        start = time.perf_counter()
        if mode is Mode.BM25:
            fused = dict(bm25_scores)
        elif mode is Mode.DENSE:
            fused = dict(dense_scores)
        elif self.config.fusion is FusionMethod.RRF:
            fused = rrf([ranks_of(bm25_scores), ranks_of(dense_scores)], list(self.config.weights), self.config.rrf_k)
        else:
            fused = weighted([bm25_scores, dense_scores], list(self.config.weights))
        if boosted:
            for pid in fused:
                if self.passages[pid].doc_id in boosted:
                    fused[pid] *= self.config.scope_boost
        # Only the passages shown get objects: a selection has up to twice `candidates` of them.
        best = heapq.nsmallest(len(fused) if depth is None else depth, fused, key=lambda pid: (-fused[pid], pid))
        bm25_ranks, dense_ranks = ranks_of(bm25_scores), ranks_of(dense_scores)
        ranked = [_Ranked(pid, fused[pid], bm25_scores.get(pid), dense_scores.get(pid), bm25_ranks.get(pid),
                          dense_ranks.get(pid)) for pid in best]
        timings["fuse"] = timings.get("fuse", 0.0) + _ms(start)
        return ranked


@dataclass
class _Started:
    """A search up to its query vector: what the lexical channel found while the vector is computed."""

    query: str
    mode: Mode
    filters: SearchFilters
    question: Question
    named: NamedScope
    comparison: bool  # ranked per named place (one selection each), then interleaved
    selections: list[Selection]
    bm25: list[dict[int, float]]  # per selection
    embedding: QueryEmbedding | None
    embed_started: float
    timings: dict[str, float]
    clock: float


@dataclass
class _Ranked:
    pid: int
    score: float
    bm25: float | None
    dense: float | None
    bm25_rank: int | None
    dense_rank: int | None


def _open_backend(config: RetrieverConfig, stored: StoredIndex, lexical: LexicalIndex) -> Backend:
    if BackendKind(config.backend) is BackendKind.MILVUS:
        from index.milvus_backend import MilvusBackend  # pymilvus loads only when asked for

        return MilvusBackend.open(stored, config.milvus_uri, config.milvus_alias, config.bm25)
    return EmbeddedBackend(lexical, stored.dense, stored.passages, stored.documents)


def _interleave(lists: list[list[_Ranked]]) -> list[_Ranked]:
    """Round-robin over ranked lists, the list with the best top score first."""
    lists = sorted((lst for lst in lists if lst), key=lambda lst: -lst[0].score)
    merged: dict[int, _Ranked] = {}  # a document that governs several named places is in each list: once
    for round_items in zip_longest(*lists):
        for item in round_items:
            if item is not None and item.pid not in merged:
                merged[item.pid] = item
    return list(merged.values())


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
