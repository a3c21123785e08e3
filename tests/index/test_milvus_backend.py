"""The Milvus backend on Milvus Lite: the embedded backend's channels, filters inside the search,
and builds that move the alias only when complete. (tests/index/test_retriever.py runs every
retrieval test on both backends.)"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np
import pydantic
import pytest

from eval.gold import load_gold
from index.dense import DenseIndex
from index.milvus_backend import MilvusBackend, collection_version, connect, close_client
from index.retriever import Mode, Retriever
from index.scope import SearchFilters, Selection
from index.store import StoredIndex
from qa.config import Settings
from tests.index.interrupt import kill_build_midway


def part_of(stored: StoredIndex, doc_ids: tuple[str, ...]) -> StoredIndex:
    """The stored index of some documents only, vectors taken from the full one (nothing embedded)."""
    picks = [pid for pid, p in enumerate(stored.passages) if p.doc_id in doc_ids]
    vectors = stored.dense.index.reconstruct_n(0, len(stored.dense))[picks]
    return StoredIndex(stored.path, stored.manifest, {d: stored.documents[d] for d in doc_ids},
                       [stored.passages[i] for i in picks], [stored.tokens[i] for i in picks],
                       DenseIndex.from_vectors(vectors))


def test_the_backend_holds_every_passage_and_names_itself(milvus_retriever: Retriever, retriever: Retriever) -> None:
    assert milvus_retriever.backend.count() == len(retriever.passages)
    assert milvus_retriever.backend.name.startswith("milvus (Milvus Lite ")
    assert retriever.backend.name == "embedded"


@pytest.mark.parametrize("filters", [SearchFilters(), SearchFilters(city=("焦作",), year=(2019, 2021)),
                                     SearchFilters(kind=("table_row",)), SearchFilters(doc_id=("001_33bcc779efdaa487",))])
def test_dense_channel_is_faiss_exactly(milvus_retriever: Retriever, retriever: Retriever, filters: SearchFilters) -> None:
    selection = Selection.of(filters, retriever.documents)
    for question in ("高压用户报装时限是多少", "企业开办需要几个工作日", "不动产登记"):
        vector = retriever.encoder.embed_query(question)
        embedded = retriever.backend.dense(vector, selection, 50)
        milvus = milvus_retriever.backend.dense(vector, selection, 50)
        assert embedded and list(milvus) == list(embedded)
        assert np.allclose(list(milvus.values()), list(embedded.values()), atol=1e-5)


def test_the_async_search_runs_milvus_in_a_thread_and_finds_the_same(milvus_retriever: Retriever) -> None:
    # The event loop must not wait on Milvus's round trips: search_async hands the search to a thread.
    loop_thread = []

    async def both() -> tuple:
        loop_thread.append(threading.get_ident())
        return await milvus_retriever.search_async("高压用户报装时限是多少", top_k=5)

    searched_in = []
    original = milvus_retriever.backend.bm25
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(milvus_retriever.backend, "bm25",
                      lambda *args: searched_in.append(threading.get_ident()) or original(*args))
        result = asyncio.run(both())
    expected = milvus_retriever.search("高压用户报装时限是多少", top_k=5)
    assert [h.passage.passage_id for h in result.hits] == [h.passage.passage_id for h in expected.hits]
    assert searched_in and searched_in[0] != loop_thread[0]


def test_bm25_channel_finds_what_the_embedded_one_finds(milvus_retriever: Retriever, retriever: Retriever) -> None:
    """Milvus analyses text with its own jieba and IDF, so scores differ; the best passages should not."""
    questions = [q.question for q in load_gold() if q.answerable][:60]
    agree = 0
    for question in questions:
        embedded = retriever.search(question, mode=Mode.BM25, top_k=3).hits
        milvus = milvus_retriever.search(question, mode=Mode.BM25, top_k=3).hits
        agree += embedded[0].passage.passage_id in {h.passage.passage_id for h in milvus}
    assert agree >= 0.9 * len(questions)


def test_a_new_index_version_moves_the_alias_and_drops_the_old_collection(tmp_path: Path, retriever: Retriever) -> None:
    uri = str(tmp_path / "milvus.db")
    first_docs, second_docs = part_of(retriever.stored, ("001_33bcc779efdaa487",)), part_of(retriever.stored, ("000_b1277f30adcb0d72",))
    backend = MilvusBackend.open(first_docs, uri, "test")
    first = backend.collection
    again = MilvusBackend.open(first_docs, uri, "test")  # the same version: served as it is
    assert again.collection == first
    backend.close()  # the file's in-process server stays up for the backend still open
    assert again.count() == len(first_docs.passages)
    again.close()

    backend = MilvusBackend.open(second_docs, uri, "test")
    try:
        assert backend.collection != first
        assert backend.client.list_collections() == [backend.collection]
        assert backend.client.describe_alias("test")["collection_name"] == backend.collection
        assert backend.count() == len(second_docs.passages)
        hits = backend.dense(retriever.encoder.embed_query("营商环境"), Selection(), 10)
        assert hits and max(hits) < len(second_docs.passages)
    finally:
        backend.close()


BUILD_SCRIPT = """
import sys
from index.lexical import BM25Params
from index.milvus_backend import MilvusBackend
from index.store import load_index
MilvusBackend.open(load_index(__import__("pathlib").Path(sys.argv[1])), sys.argv[2], "test", BM25Params())
"""


def test_a_killed_build_leaves_the_old_collection_served(tmp_path: Path, retriever: Retriever) -> None:
    uri = str(tmp_path / "milvus.db")
    small = part_of(retriever.stored, ("001_33bcc779efdaa487",))
    backend = MilvusBackend.open(small, uri, "test")
    served = backend.collection
    backend.close()  # Milvus Lite: one process per data file

    # A build of the whole index, killed once its collection exists and rows go in.
    version = collection_version(retriever.stored, retriever.config.bm25)
    kill_build_midway(BUILD_SCRIPT, [str(retriever.stored.path), uri],
                      lambda: bool(list((Path(uri) / "collections").glob(f"test_{version}_*"))))

    client = connect(uri)
    try:
        assert client.describe_alias("test")["collection_name"] == served
    finally:
        close_client(client, uri)
    backend = MilvusBackend.open(small, uri, "test")
    try:
        assert backend.collection == served and backend.count() == len(small.passages)
        assert backend.bm25("营商环境", ["营商", "环境"], Selection(), 5)
    finally:
        backend.close()


def test_milvus_uri_must_be_a_lite_file_or_a_server() -> None:
    with pytest.raises(pydantic.ValidationError, match="neither a Milvus Lite file"):
        Settings(milvus_uri="milvus-data")
    assert Settings(milvus_uri="http://milvus:19530").milvus_uri == "http://milvus:19530"


def test_readyz_names_the_milvus_backend_and_its_passages(tmp_path: Path, retriever: Retriever) -> None:
    from fastapi.testclient import TestClient

    from qa.app import create_app

    app = create_app(Settings(backend="milvus", milvus_uri=str(tmp_path / "milvus.db")))
    with TestClient(app) as client:
        app.state.loader.wait()
        body = client.get("/readyz").json()
        assert body["status"] == "ok", body
        assert body["backend"].startswith("milvus (Milvus Lite ") and body["passages"] == len(retriever.passages)
        answer = client.post("/api/ask", json={"question": "高压用户报装时限是多少", "filters": {"city": ["平顶山市"]}})
        assert answer.status_code == 200
        assert {p["city"] for p in answer.json()["passages"]} == {"平顶山市"}
