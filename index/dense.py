"""Dense channel: a sentence-transformers encoder and a faiss inner-product index.

Vectors are L2-normalised, so inner product is cosine. Filters are applied inside faiss
with an ID selector, never by cutting a top-k list afterwards.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import faiss
import numpy as np

faiss.omp_set_num_threads(1)  # one query is tiny; threads only add contention on 2 cores


@dataclass(frozen=True)
class EncoderConfig:
    model: str  # a local folder or a hub id (hub ids need internet at first use)
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    batch_size: int = 16
    max_seq_length: int = 512
    quantize: bool = False  # int8 dynamic quantisation of the linear layers: about 2× faster on CPU


class Encoder:
    def __init__(self, config: EncoderConfig) -> None:
        self.config = config

    @cached_property
    def _model(self):  # noqa: ANN202 - sentence_transformers imports torch: load only when used
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a bar per load is noise in a server log

        path = Path(self.config.model)
        if not path.exists() and (path.is_absolute() or self.config.model.startswith(".")):
            raise FileNotFoundError(f"embedding model folder {path} does not exist; run `policy-qa model convert`")
        model = SentenceTransformer(self.config.model, device="cpu")
        model.max_seq_length = self.config.max_seq_length
        if self.config.quantize:
            import torch

            with warnings.catch_warnings():  # torch marks its eager-mode quantisation API as legacy
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return model

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
        return self._embed_query_cached(text).copy()

    def clear_query_cache(self) -> None:
        self._embed_query_cached.cache_clear()

    @lru_cache(maxsize=4096)  # noqa: B019 - one Encoder lives as long as the service; users repeat questions
    def _embed_query_cached(self, text: str) -> np.ndarray:
        return self._encode([text], self.config.query_prompt)[0]

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        # Length-sorted batches pad least; chunks keep the progress bar moving.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = self.config.batch_size * 4
        for start in range(0, len(order), step):
            chunk = order[start : start + step]
            vectors[chunk] = self._encode([texts[i] for i in chunk], self.config.passage_prompt)
            if progress:
                progress(len(chunk))
        return vectors

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        vectors = self._model.encode(list(texts), prompt=prompt, batch_size=self.config.batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


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
