"""The Milvus backend: both channels in one Milvus collection, Milvus Lite (a `.db` file) or a server.

One collection per index version holds each passage's fields (pid, doc_id, city, county, year,
kind), its vector (inner product on normalised vectors: cosine, as in faiss) and a BM25 sparse
field that Milvus's BM25 function computes from the passage's contextual text. Filters are Milvus
boolean expressions evaluated inside each search.

The text Milvus analyses is the project's own jieba tokens of that text (index/tokenizer.py: the
domain dictionary, figures with their units, NFKC, stopwords), space-separated, so BM25 counts the
same terms as the embedded backend and the answer's coverage; only the IDF formula differs
(Milvus: ln(1 + (N - df + .5)/(df + .5)), rank-bm25: without the 1 + and an IDF floor). Milvus's
own jieba analyzer (`{"tokenizer": "jieba"}`, the `milvus-lite[chinese]` extra) was measured
too and ranked worse: README, "Serving from Milvus".

A build writes a new collection `<alias>_<version>_<id>`; only once every row is in and counted
does the alias move to it (Milvus Lite 3.x keeps aliases too), and only then are the alias's
older collections dropped. A build that fails or is killed leaves the alias on the old one.
Vectors come from the stored index (its embedding cache): nothing is re-embedded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import uuid
from collections import Counter
from functools import cached_property
from urllib.parse import urlsplit

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient

from index.lexical import BM25Params
from index.scope import Selection
from index.store import IndexMismatch, StoredIndex

log = logging.getLogger(__name__)

FORMAT = 2  # of the collection's schema and analysed text: a change makes a new version
INSERT_BATCH = 512
MAX_TEXT_BYTES = 65_535  # Milvus's VARCHAR limit
NOT_WORD = re.compile(r"\W")


def is_lite(uri: str) -> bool:
    return uri.endswith(".db")


def analyzer_params(uri: str) -> dict:
    """Split on spaces only. Milvus Lite has no whitespace tokenizer; its `standard` one keeps
    runs of word characters, which is the same on text made by `token_text`."""
    return {"tokenizer": "standard" if is_lite(uri) else "whitespace"}


def token_text(tokens: list[str]) -> str:
    """The tokens, space-separated, each one word for either analyzer (`95%` → `95_25_`)."""
    return " ".join(NOT_WORD.sub(lambda m: f"_{ord(m.group()):x}_", token) for token in tokens)


def collection_version(stored: StoredIndex, bm25: BM25Params) -> str:
    """Changes with the passages, the model, the tokeniser, BM25's parameters or the schema."""
    digest = hashlib.sha256()
    manifest = stored.manifest
    head = [FORMAT, manifest.get("corpus_hash"), manifest.get("model_id"), manifest.get("tokenizer"),
            bm25.k1, bm25.b, len(stored.passages)]
    digest.update(json.dumps(head, ensure_ascii=False).encode())
    for passage in stored.passages:
        digest.update(passage.passage_id.encode() + b"\n")
    return digest.hexdigest()[:16]


def expression(selection: Selection) -> str:
    """The selection as a Milvus boolean expression ("" selects everything)."""
    terms = []  # places arrive resolved to their documents (index/scope.py), as for every backend
    if selection.years is not None:
        terms.append(f"year in {_list(sorted(selection.years))}")
    if selection.doc_ids is not None:
        terms.append(f"doc_id in {_list(sorted(selection.doc_ids))}")
    if selection.kinds is not None:
        terms.append(f"kind in {_list(sorted(selection.kinds))}")
    return " and ".join(terms)


def _list(values: list) -> str:
    return json.dumps(values, ensure_ascii=False)


class MilvusBackend:
    def __init__(self, client: MilvusClient, uri: str, collection: str) -> None:
        self.client = client
        self.uri = uri
        self.collection = collection

    @classmethod
    def open(cls, stored: StoredIndex, uri: str, alias: str, bm25: BM25Params = BM25Params()) -> MilvusBackend:
        """Serve the alias's collection when it holds this index version, else build one and switch to it."""
        if not uri:
            raise ValueError("POLICY_QA_MILVUS_URI is empty: give a Milvus Lite file (…/milvus.db) "
                             "or a server address (http://host:19530)")
        client = connect(uri)
        try:
            version = collection_version(stored, bm25)
            served = served_collection(client, alias)
            current = served is not None and served.startswith(f"{alias}_{version}_")
            if current:
                client.load_collection(served)  # a reopened Lite file or a restarted server starts released
            if not current or row_count(client, served) != len(stored.passages):
                log.warning("building a Milvus collection for index version %s (alias %s served %s)",
                            version, alias, served)
                served = build_collection(client, stored, alias, uri, bm25)
            return cls(client, uri, served)
        except BaseException:
            close_client(client, uri)
            raise

    @cached_property
    def name(self) -> str:
        if is_lite(self.uri):
            return f"milvus (Milvus Lite {self.uri}, collection {self.collection})"
        address = urlsplit(self.uri)  # without any user:password in the address: /readyz is public
        return f"milvus (Milvus {address.scheme}://{address.hostname}:{address.port}, collection {self.collection})"

    def count(self) -> int:
        return row_count(self.client, self.collection)

    def bm25(self, query: str, tokens: list[str], selection: Selection, k: int) -> dict[int, float]:
        if not tokens:
            return {}  # nothing to match: as in the embedded backend, no passage scores above zero
        text = token_text(tokens)
        hits = self._search([text], "sparse", "BM25", selection, k)
        # Milvus Lite reports BM25 as a negated distance, a server as the score; BM25 is never negative.
        scores = {pid: abs(distance) for pid, distance in hits.items()}
        return {pid: score for pid, score in scores.items() if score > 0}

    def dense(self, vector: np.ndarray, selection: Selection, k: int) -> dict[int, float]:
        return self._search([np.asarray(vector, dtype=np.float32).tolist()], "dense", "IP", selection, k)

    def close(self) -> None:
        close_client(self.client, self.uri)

    def _search(self, data: list, field: str, metric: str, selection: Selection, k: int) -> dict[int, float]:
        if any(values is not None and not values for values in (selection.years, selection.doc_ids, selection.kinds)):
            return {}  # a condition nothing meets
        results = self.client.search(self.collection, data=data, anns_field=field, limit=k,
                                     filter=expression(selection), output_fields=["pid"],
                                     search_params={"metric_type": metric})
        return {int(hit["pid"]): float(hit["distance"]) for hit in results[0]}


# Clients open on each Milvus Lite file: pymilvus shares one in-process server per file, which
# may stop only when the last of them closes (a library change opens the new index beside the old).
_lite_clients: Counter[str] = Counter()
_lite_lock = threading.Lock()


def _not_unimplemented(record: logging.LogRecord) -> bool:
    """pymilvus asks Milvus Lite for AllocTimestamp after each index it creates; Lite does not
    implement it and pymilvus carries on, but gRPC would log a traceback each time."""
    return not (record.exc_info and isinstance(record.exc_info[1], NotImplementedError))


def connect(uri: str) -> MilvusClient:
    if is_lite(uri):  # the only gRPC server in this process is Lite's
        logging.getLogger("grpc._server").addFilter(_not_unimplemented)
    try:
        client = MilvusClient(uri=uri)
    except Exception as error:  # pymilvus raises its own types; say which Milvus could not be reached
        hint = " (Milvus Lite allows one process per data file)" if is_lite(uri) else ""
        raise ConnectionError(f"cannot open Milvus at {uri}{hint}: {error}") from error
    if is_lite(uri):
        with _lite_lock:
            _lite_clients[os.path.abspath(uri)] += 1
    return client


def close_client(client: MilvusClient, uri: str) -> None:
    client.close()
    if not is_lite(uri):
        return
    path = os.path.abspath(uri)
    with _lite_lock:
        _lite_clients[path] -= 1
        if _lite_clients[path] > 0:
            return
        del _lite_clients[path]
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(path)  # stops its threads and unlocks the file


def served_collection(client: MilvusClient, alias: str) -> str | None:
    if alias not in client.list_aliases().get("aliases", []):
        return None
    return client.describe_alias(alias)["collection_name"]


def row_count(client: MilvusClient, collection: str) -> int:
    return int(client.query(collection, filter="", output_fields=["count(*)"])[0]["count(*)"])


def build_collection(client: MilvusClient, stored: StoredIndex, alias: str, uri: str,
                     bm25: BM25Params = BM25Params()) -> str:
    """Write every passage into a new collection, then point the alias at it and drop the older ones."""
    vectors = stored.dense.index.reconstruct_n(0, len(stored.dense))
    if len(vectors) != len(stored.passages):
        raise IndexMismatch(f"{len(stored.passages)} passages but {len(vectors)} vectors in {stored.path}")
    name = f"{alias}_{collection_version(stored, bm25)}_{uuid.uuid4().hex[:8]}"
    try:
        client.create_collection(name, schema=_schema(vectors.shape[1], analyzer_params(uri)),
                                 index_params=_index_params(client, bm25))
        for start in range(0, len(stored.passages), INSERT_BATCH):
            client.insert(name, _rows(stored, vectors, start, start + INSERT_BATCH))
        client.flush(name)  # once: one sealed segment where it fits, so IDF is over the whole corpus
        if (count := row_count(client, name)) != len(stored.passages):
            raise RuntimeError(f"Milvus collection {name} holds {count} of {len(stored.passages)} passages")
    except BaseException:
        client.drop_collection(name)
        raise
    previous = served_collection(client, alias)
    if previous is None:
        client.create_alias(name, alias)
    else:
        client.alter_alias(name, alias)
    for old in client.list_collections():
        if old.startswith(f"{alias}_") and old != name:
            client.drop_collection(old)
    log.info("Milvus alias %s now serves %s (%d passages)", alias, name, len(stored.passages))
    return name


def _schema(dimension: int, analyzer: dict):  # noqa: ANN202 - pymilvus's CollectionSchema
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pid", DataType.INT64, is_primary=True, description="position in the stored index")
    schema.add_field("doc_id", DataType.VARCHAR, max_length=256)
    schema.add_field("city", DataType.VARCHAR, max_length=256)
    schema.add_field("county", DataType.VARCHAR, max_length=256)
    schema.add_field("year", DataType.INT64, description="0 when the document has none")
    schema.add_field("kind", DataType.VARCHAR, max_length=64)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                     analyzer_params=analyzer, description="the passage's contextual text as project tokens")
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="text_bm25", function_type=FunctionType.BM25,
                                 input_field_names=["text"], output_field_names=["sparse"]))
    return schema


def _index_params(client: MilvusClient, bm25: BM25Params):  # noqa: ANN202 - pymilvus's IndexParams
    params = client.prepare_index_params()
    params.add_index(field_name="dense", index_type="FLAT", metric_type="IP")  # exact, as faiss flat
    params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": bm25.k1, "bm25_b": bm25.b})
    for field in ("doc_id", "city", "county", "year", "kind"):
        params.add_index(field_name=field, index_type="INVERTED")
    return params


def _rows(stored: StoredIndex, vectors: np.ndarray, start: int, end: int) -> list[dict]:
    rows = []
    for pid in range(start, min(end, len(stored.passages))):
        passage = stored.passages[pid]
        document = stored.documents[passage.doc_id]
        text = token_text(stored.tokens[pid])  # tokens of index/documents_text.contextual_text
        if len(text.encode()) > MAX_TEXT_BYTES:
            raise ValueError(f"passage {passage.passage_id} is longer than Milvus's {MAX_TEXT_BYTES}-byte text field")
        rows.append({"pid": pid, "doc_id": passage.doc_id, "city": document.city or "",
                     "county": document.county or "", "year": document.year or 0, "kind": str(passage.kind),
                     "text": text, "dense": vectors[pid].tolist()})
    return rows
