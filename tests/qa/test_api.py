"""The HTTP API over the real app and the real index: no mocks.

Covers POST /api/ask and /api/search (answers, passages, offsets, filters, modes, abstention, bad
input), GET /api/documents, the health probes, the web page and OpenAPI, and the Dify External
Knowledge API at POST /retrieval.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from qa.config import Settings
from tests.qa.helpers import (
    QUESTION,
    REGIONS,
    core,
    error_text,
    is_subsequence,
    no_space,
    spans_valid,
)

LABEL = re.compile(r"^(?P<region>\S+) (?P<year>\d{4})$")
UNANSWERABLE = "企业职工基本养老保险单位缴费比例是多少？"
DEV_KEY = Settings().retrieval_key().decode()  # this install's key (POLICY_QA_API_KEY or .data/api_key)


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def documents(client: TestClient) -> list[dict]:
    response = client.get("/api/documents")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def doc_by_region(documents: list[dict]) -> dict[str, dict]:
    return {d["region"]: d for d in documents}


@pytest.fixture(scope="module")
def doc_texts(client: TestClient, documents: list[dict]) -> dict[str, str]:
    texts = {}
    for d in documents:
        response = client.get(f"/api/documents/{d['doc_id']}")
        assert response.status_code == 200, response.text
        texts[d["doc_id"]] = response.json()["text"]
    return texts


@pytest.fixture(scope="module")
def asked(client: TestClient) -> dict:
    response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def asked10(client: TestClient) -> dict:
    response = client.post("/api/ask", json={"question": QUESTION, "top_k": 10})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def lenient(client: TestClient) -> TestClient:
    """The same (already loaded) app, but a server error comes back as a 500 instead of raising."""
    return TestClient(client.app, raise_server_exceptions=False)


def ask(client: TestClient, path: str = "/api/ask", **body) -> dict:  # noqa: ANN003
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------------------------------
# POST /api/ask: the answer


def test_ask_answers_with_several_cities(asked: dict) -> None:
    answer = asked["answer"]
    assert asked["question"] == QUESTION
    assert answer["abstained"] is False
    assert not answer["text"].startswith("未找到")
    assert 0.0 <= answer["confidence"] <= 1.0
    labels = [part["label"] for part in answer["parts"]]
    assert all(LABEL.match(label) for label in labels), labels
    regions = {LABEL.match(label)["region"] for label in labels}
    assert len(regions) >= 2, f"one city only: {labels}"
    assert regions <= set(REGIONS), labels


def test_answer_parts_cite_their_passages(asked: dict) -> None:
    answer = asked["answer"]
    by_rank = {p["rank"]: p for p in asked["passages"]}
    assert answer["citations"] == [part["citation"] for part in answer["parts"]]
    years = [part["year"] for part in answer["parts"][1:]]
    assert years == sorted(years), "side by side: after the best answer, the others oldest first"
    for part in answer["parts"]:
        cited = by_rank.get(part["citation"])
        assert cited is not None, f"part cites rank {part['citation']}, not among the passages"
        assert part["label"] == f"{cited['region']} {cited['year']}"
        # the part is a sentence of the cited passage (a trailing … marks a shortened one)
        assert no_space(part["text"].rstrip("…")) in no_space(cited["text"]) or cited["kind"] == "table_row"
        assert f"{part['label']}：{part['text']}" in answer["text"]
    assert len({p["citation"] for p in answer["parts"]}) == len(answer["parts"]), "each part cites its own passage"
    assert len({by_rank[p["citation"]]["doc_id"] for p in answer["parts"]}) >= 4, "every place that answers"


def test_answer_highlights_are_valid_and_mark_figures(asked: dict) -> None:
    highlighted = []
    for part in asked["answer"]["parts"]:
        assert spans_valid(part["highlights"], part["text"]), part
        highlighted += [part["text"][s:e] for s, e in part["highlights"]]
    assert any(re.search(r"\d", span) for span in highlighted), highlighted
    # the figures the question asks for: a number of working days
    assert any("工作日" in span for span in highlighted), highlighted


def test_passages_are_ranked_with_scores_and_sources(asked: dict, documents: list[dict]) -> None:
    passages = asked["passages"]
    top = [p for p in passages if p["rank"] <= 5]  # the default top_k; deeper ones only when an answer cites them
    assert len(top) == 5 and [p["rank"] for p in top] == list(range(1, 6))
    assert all(p["rank"] in asked["answer"]["citations"] for p in passages[5:])
    fused = [p["scores"]["fused"] for p in passages]
    assert fused == sorted(fused, reverse=True)
    docs = {d["doc_id"]: d for d in documents}
    for p in passages:
        assert p["score"] == p["scores"]["fused"]
        assert p["scores"]["bm25"] is not None or p["scores"]["dense"] is not None
        src = p["source"]
        assert src["file"] == docs[p["doc_id"]]["file"]
        assert 1 <= src["line_start"] <= src["line_end"]
        assert 0 <= src["char_start"] < src["char_end"]
        assert p["region"] == docs[p["doc_id"]]["region"] and p["year"] == docs[p["doc_id"]]["year"]
        assert p["passage_id"].startswith(p["doc_id"])
        assert spans_valid(p["highlights"], p["text"]), p["highlights"]
        assert p["section_path"] and p["section_path"][0] == docs[p["doc_id"]]["title"]


def test_top10_spans_at_least_three_cities(asked10: dict) -> None:
    passages = asked10["passages"][:10]
    assert [p["rank"] for p in passages] == list(range(1, 11))
    regions = {p["region"] for p in passages}
    assert len(regions) >= 3, regions


def _source_slice(text: str, passage: dict) -> str:
    return text[passage["source"]["char_start"]:passage["source"]["char_end"]]


def _check_passage_matches_source(passage: dict, source: str) -> bool:
    """What holds for every passage (see the report): the passage text, whitespace and Markdown
    markup (`**`, `<u>`, list markers) aside, is the source slice, or a subsequence of it when a
    page footnote sits inside the span; it starts and ends where the slice does. A table row
    passage carries its caption and header row too; its last line (the data row) is the slice."""
    text = passage["text"]
    if passage["kind"] == "table_row":
        text = [line for line in text.splitlines() if line.startswith("|")][-1]
    want, got = core(text), core(source)
    assert want, passage["passage_id"]
    assert is_subsequence(want, got), (passage["passage_id"], want[:80], got[:80])
    assert want[0] == got[0] and want[-1] == got[-1], (passage["passage_id"], want[:20], got[:20])
    return want == got


def test_passage_offsets_point_into_served_document(asked10: dict, doc_texts: dict[str, str]) -> None:
    exact = 0
    for p in asked10["passages"]:
        text = doc_texts[p["doc_id"]]
        src = p["source"]
        assert src["char_end"] <= len(text)
        # line numbers are those of the characters (1-based, inclusive)
        assert text.count("\n", 0, src["char_start"]) + 1 == src["line_start"], p["passage_id"]
        assert text.count("\n", 0, src["char_end"] - 1) + 1 == src["line_end"], p["passage_id"]
        exact += _check_passage_matches_source(p, _source_slice(text, p))
    assert exact >= len(asked10["passages"]) - 2
    top = asked10["passages"][0]
    assert no_space(top["text"]) == no_space(_source_slice(doc_texts[top["doc_id"]], top))


def test_every_passage_of_the_index_points_at_its_source(client: TestClient, doc_texts: dict[str, str]) -> None:
    """The same relation for every passage the app serves, against the text GET /api/documents/{id}
    serves (the API returns at most 50 passages per query, so the loaded passages are read directly)."""
    service = client.app.state.loader.service
    exact = total = 0
    for passage in service.retriever.passages:
        p = {"passage_id": passage.passage_id, "kind": str(passage.kind), "text": passage.text,
             "source": vars(passage.source)}
        exact += _check_passage_matches_source(p, _source_slice(doc_texts[passage.doc_id], p))
        total += 1
    assert exact >= 0.99 * total, f"{total - exact} of {total} passages only approximately match their span"


# ---------------------------------------------------------------------------------------------
# POST /api/search


def test_search_returns_passages_only(client: TestClient, asked: dict) -> None:
    body = ask(client, "/api/search", question=QUESTION)
    assert "answer" not in body
    assert set(body) == {"question", "resolved_question", "mode", "passages", "applied_filters", "timings_ms"}
    assert body["mode"] == "hybrid"
    assert [p["passage_id"] for p in body["passages"]] == [p["passage_id"] for p in asked["passages"] if p["rank"] <= 5]
    assert body["timings_ms"]["total"] >= 0


# ---------------------------------------------------------------------------------------------
# filters


def test_filter_city(client: TestClient) -> None:
    body = ask(client, question=QUESTION, top_k=10, filters={"city": ["三门峡市"]})
    assert body["passages"]
    assert all(p["city"] == "三门峡市" and p["region"] == "三门峡市" for p in body["passages"])
    assert body["applied_filters"]["city"] == ["三门峡市"]
    assert all(part["label"].startswith("三门峡市") for part in body["answer"]["parts"])


def test_filter_year(client: TestClient) -> None:
    body = ask(client, question=QUESTION, top_k=10, filters={"year": [2019]})
    assert body["passages"]
    assert all(p["year"] == 2019 for p in body["passages"])
    assert body["applied_filters"]["year"] == [2019]


def test_filter_doc_id(client: TestClient, doc_by_region: dict[str, dict]) -> None:
    doc_id = doc_by_region["平顶山市"]["doc_id"]
    body = ask(client, question=QUESTION, top_k=10, filters={"doc_id": [doc_id]})
    assert body["passages"]
    assert {p["doc_id"] for p in body["passages"]} == {doc_id}
    assert body["applied_filters"]["doc_id"] == [doc_id]


def test_filter_county(client: TestClient) -> None:
    body = ask(client, question=QUESTION, top_k=10, filters={"city": ["修武县"]})
    assert body["passages"]
    assert all(p["county"] == "修武县" and p["city"] == "焦作市" for p in body["passages"])


def test_filter_city_includes_its_county(client: TestClient) -> None:
    body = ask(client, question=QUESTION, top_k=20, filters={"city": ["焦作市"]})
    assert all(p["city"] == "焦作市" for p in body["passages"])
    assert {p["region"] for p in body["passages"]} == {"焦作市", "修武县"}


def test_filters_combine(client: TestClient) -> None:
    body = ask(client, question=QUESTION, top_k=10, filters={"city": ["焦作市"], "year": [2023]})
    assert body["passages"]
    assert all(p["region"] == "焦作市" and p["year"] == 2023 for p in body["passages"])


def test_filters_that_exclude_each_other_return_nothing(client: TestClient) -> None:
    body = ask(client, question=QUESTION, filters={"city": ["修武县"], "year": [2019]})
    assert body["passages"] == []
    assert body["answer"]["abstained"] is True and body["answer"]["parts"] == []


# ---------------------------------------------------------------------------------------------
# modes


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_modes(client: TestClient, mode: str) -> None:
    body = ask(client, question=QUESTION, top_k=8, mode=mode)
    passages = body["passages"]
    assert body["mode"] == mode
    assert [p["rank"] for p in passages[:8]] == list(range(1, 9))
    assert all(p["rank"] in body["answer"]["citations"] for p in passages[8:]), "deeper passages only when cited"
    assert not body["answer"]["abstained"]
    for p in passages:
        s = p["scores"]
        if mode == "bm25":
            assert s["bm25"] is not None and s["bm25"] > 0 and s["dense"] is None and s["dense_rank"] is None
            assert s["fused"] == s["bm25"]
        elif mode == "dense":
            assert s["bm25"] is None and s["bm25_rank"] is None and s["dense"] is not None
            assert -1.0 <= s["dense"] <= 1.0 and s["fused"] == s["dense"]
        else:
            assert s["bm25"] is not None or s["dense"] is not None
            assert 0 < s["fused"] < 1  # reciprocal rank fusion
    scores = [p["scores"]["fused"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    if mode == "hybrid":  # the top passages are found by both channels
        assert passages[0]["scores"]["bm25"] is not None and passages[0]["scores"]["dense"] is not None
    if mode == "bm25":
        assert "embed" not in body["timings_ms"]
    if mode == "dense":
        assert "bm25" not in body["timings_ms"]


# ---------------------------------------------------------------------------------------------
# abstention


def test_abstains_when_documents_do_not_answer(client: TestClient) -> None:
    body = ask(client, question=UNANSWERABLE)
    answer = body["answer"]
    assert answer["abstained"] is True
    assert answer["text"].startswith("未找到")
    assert answer["parts"] == [] and answer["citations"] == []
    assert body["passages"], "the closest passages are still shown"


def test_answered_question_is_confident_enough_not_to_abstain(client: TestClient, settings: Settings) -> None:
    body = ask(client, question=QUESTION)
    assert body["answer"]["confidence"] >= settings.abstain_min_coverage
    assert body["answer"]["abstained"] is False


def test_abstains_when_nothing_is_found(client: TestClient) -> None:
    body = ask(client, question="？？？", mode="bm25")  # no searchable term: BM25 finds nothing
    assert body["passages"] == []
    assert body["answer"]["abstained"] is True
    assert body["answer"]["text"].startswith("未找到")


# ---------------------------------------------------------------------------------------------
# bad input: a 4xx that says what is wrong


def _post(client: TestClient, body) -> object:  # noqa: ANN001
    return client.post("/api/ask", json=body)


def _assert_422(response, *words: str) -> str:  # noqa: ANN001
    assert response.status_code == 422, response.text
    message = error_text(response)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\u3000\u3000"])
def test_empty_question(client: TestClient, question: str) -> None:
    response = _post(client, {"question": question})
    message = _assert_422(response, "question")
    assert "empty" in message or "whitespace" in message
    body = response.json()
    assert body["detail"][0]["loc"] == ["body", "question"]


def test_question_too_long(client: TestClient) -> None:
    question = "高" * 501
    response = _post(client, {"question": question})
    _assert_422(response, "question", "500")
    assert question not in response.text, "the input is not echoed back"


def test_question_of_500_characters_is_accepted(client: TestClient) -> None:
    assert _post(client, {"question": "高压用户报装" * 83 + "时限"}).status_code == 200  # 500 chars


@pytest.mark.parametrize(("top_k", "bound"), [(0, "1"), (51, "50"), (-1, "1")])
def test_top_k_out_of_range(client: TestClient, top_k: int, bound: str) -> None:
    _assert_422(_post(client, {"question": QUESTION, "top_k": top_k}), "top_k", bound)


def test_unknown_mode(client: TestClient) -> None:
    _assert_422(_post(client, {"question": QUESTION, "mode": "foo"}), "mode", "hybrid", "bm25", "dense")


def test_unknown_city(client: TestClient) -> None:
    message = _assert_422(_post(client, {"question": QUESTION, "filters": {"city": ["北京市"]}}), "北京市", "city")
    assert "三门峡市" in message, "the message lists the known places"


def test_unknown_year(client: TestClient) -> None:
    _assert_422(_post(client, {"question": QUESTION, "filters": {"year": [1999]}}), "1999", "year", "2019")


def test_unknown_doc_id(client: TestClient) -> None:
    _assert_422(_post(client, {"question": QUESTION, "filters": {"doc_id": ["999_nope"]}}), "999_nope", "doc_id")


@pytest.mark.parametrize("path", ["/api/ask", "/api/search"])
def test_unknown_filter_value_on_both_endpoints(client: TestClient, path: str) -> None:
    _assert_422(client.post(path, json={"question": QUESTION, "filters": {"city": ["北京市"]}}), "北京市")


def test_unknown_field(client: TestClient) -> None:
    _assert_422(_post(client, {"question": QUESTION, "colour": "blue"}), "colour", "Extra")


def test_unknown_filter_field(client: TestClient) -> None:
    _assert_422(_post(client, {"question": QUESTION, "filters": {"province": ["河南省"]}}), "filters.province")


def test_malformed_json(client: TestClient) -> None:
    response = client.post("/api/ask", content=b'{"question": "x"', headers={"Content-Type": "application/json"})
    _assert_422(response, "JSON")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/ask", content=json.dumps({"question": QUESTION}), headers=headers)
    assert response.status_code in (400, 415, 422), response.text
    assert "application/json" in error_text(response)


def test_json_content_type_with_charset_is_fine(client: TestClient) -> None:
    response = client.post("/api/ask", content=json.dumps({"question": QUESTION}).encode(),
                           headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200, response.text


def test_unknown_document(client: TestClient) -> None:
    response = client.get("/api/documents/nope")
    assert response.status_code == 404
    assert "nope" in error_text(response)


def test_wrong_method(client: TestClient) -> None:
    assert client.get("/api/ask").status_code == 405


FUZZ = [
    {"question": "😀🎉🚀"},
    {"question": "高压😀用户报装时限？"},
    {"question": "<script>alert(1)</script>"},
    {"question": "'; DROP TABLE passages; --"},
    {"question": "\x00\x01\x02"},
    {"question": "\u200b\u200b"},
    {"question": "\ufeff高压"},
    {"question": "ＡＢＣ１２３"},
    {"question": "的的的的"},
    {"question": "？！。，"},
    {"question": "a" * 500, "mode": "bm25"},
    {"question": " " * 300 + "高压" + " " * 198},
    {"question": " " * 300 + "高压" + " " * 300},
    {"question": "\n" * 100 + "高压用户" + "\t" * 100},
    {"question": "高压 " * 166},
    {"question": 123},
    {"question": 1.5},
    {"question": True},
    {"question": None},
    {"question": ["高压"]},
    {"question": {"text": "高压"}},
    {"question": "高压", "filters": "x"},
    {"question": "高压", "filters": ["焦作市"]},
    {"question": "高压", "filters": {"city": "焦作市"}},
    {"question": "高压", "filters": {"city": [None]}},
    {"question": "高压", "filters": {"city": [""]}},
    {"question": "高压", "filters": {"year": ["二〇一九"]}},
    {"question": "高压", "filters": {"year": [10 ** 30]}},
    {"question": "高压", "filters": {"doc_id": [{"$ne": 1}]}},
    {"question": "高压", "filters": None},
    {"question": "高压", "top_k": "五"},
    {"question": "高压", "top_k": 1e100},
    {"question": "高压", "top_k": None},
    {"question": "高压", "mode": ["bm25"]},
    {"question": "高压", "mode": "HYBRID"},
    {},
    [],
    "高压",
    42,
    None,
]


@pytest.mark.parametrize("path", ["/api/ask", "/api/search"])
def test_fuzz_never_a_server_error(lenient: TestClient, path: str) -> None:
    failures = []
    for body in FUZZ:
        response = lenient.post(path, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        if response.status_code >= 500:
            failures.append((body, response.status_code, response.text[:200]))
        elif response.status_code >= 400:
            assert error_text(response), body
    raw = [b"", b"{", b"\xff\xfe\x00", b"{\"question\": \"\xe9\"}", b"[" * 10000, b'{"question": "x"}' * 2]
    for content in raw:
        response = lenient.post(path, content=content, headers={"Content-Type": "application/json"})
        if response.status_code >= 500:
            failures.append((content[:30], response.status_code, response.text[:200]))
    assert not failures, failures


@pytest.mark.parametrize("question", ["\u200b", "\u200b\u200b\u200b", "\ufeff"])
def test_invisible_question_is_rejected(client: TestClient, question: str) -> None:
    _assert_422(_post(client, {"question": question}), "question")


# ---------------------------------------------------------------------------------------------
# documents, health, the page, OpenAPI


def test_documents_list(client: TestClient, documents: list[dict]) -> None:
    assert len(documents) == 5
    assert {d["region"] for d in documents} == set(REGIONS)
    assert len({d["doc_id"] for d in documents}) == 5
    for d in documents:
        assert d["doc_number"] and re.search(r"〔\d{4}〕|\[\d{4}\]", d["doc_number"]), d
        assert 2019 <= d["year"] <= 2023
        assert str(d["year"]) in d["doc_number"]
        assert d["region"] == (d["county"] or d["city"])
        assert d["province"] == "河南省"
        assert d["title"] and d["issuer"] and d["file"].endswith(".txt")
        assert d["passages"] > 0
    ready = client.get("/readyz").json()
    assert sum(d["passages"] for d in documents) == ready["passages"]


def test_document_detail(client: TestClient, documents: list[dict]) -> None:
    d = documents[0]
    body = client.get(f"/api/documents/{d['doc_id']}").json()
    assert {k: body[k] for k in d} == d
    assert len(body["text"]) > 1000
    assert no_space(d["doc_number"]) in no_space(body["text"])


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert isinstance(body["passages"], int) and body["passages"] > 100
    assert body["backend"] == "embedded"


def test_web_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "policy-qa" in response.text and "<title>" in response.text
    for hook in ('id="question"', 'id="ask"', 'id="source-viewer"', 'id="filters"', "/static/app.js"):
        assert hook in response.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/ask", "/api/search", "/api/documents", "/api/documents/{doc_id}", "/retrieval",
                 "/healthz", "/readyz"):
        assert path in paths, path
    assert "post" in paths["/api/ask"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


# ---------------------------------------------------------------------------------------------
# POST /retrieval: the Dify External Knowledge API


def _dify(client: TestClient, key: str | None = DEV_KEY, **overrides):  # noqa: ANN003, ANN202
    body = {"knowledge_id": "policy-qa", "query": "高压用户报装时限",
            "retrieval_setting": {"top_k": 3, "score_threshold": 0.0}} | overrides
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return client.post("/retrieval", json=body, headers=headers)


def test_dify_retrieval(client: TestClient, documents: list[dict]) -> None:
    response = _dify(client)
    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert 1 <= len(records) <= 3
    doc_ids = {d["doc_id"] for d in documents}
    for record in records:
        assert set(record) == {"content", "score", "title", "metadata"}
        assert record["content"].strip() and record["title"].strip()
        assert 0.0 <= record["score"] <= 1.0
        meta = record["metadata"]
        assert meta["doc_id"] in doc_ids and meta["city"] in {d["city"] for d in documents}
        assert meta["passage_id"].startswith(meta["doc_id"]) and 1 <= meta["line_start"] <= meta["line_end"]
    assert any("高压" in r["content"] for r in records)


def test_dify_missing_key(client: TestClient) -> None:
    response = _dify(client, key=None)
    assert response.status_code == 403
    assert response.json()["error_code"] == 1001 and "Bearer" in response.json()["error_msg"]


def test_dify_wrong_scheme(client: TestClient) -> None:
    response = client.post("/retrieval", json={"knowledge_id": "policy-qa", "query": "高压",
                                               "retrieval_setting": {"top_k": 3}},
                           headers={"Authorization": f"Basic {DEV_KEY}"})
    assert response.status_code == 403 and response.json()["error_code"] == 1001


def test_dify_wrong_key(client: TestClient) -> None:
    response = _dify(client, key="not-the-key")
    assert response.status_code == 403
    assert response.json()["error_code"] == 1002


def test_dify_unknown_knowledge(client: TestClient) -> None:
    response = _dify(client, knowledge_id="no-such-knowledge")
    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == 2001 and "no-such-knowledge" in body["error_msg"]


def test_dify_knowledge_id_is_a_document(client: TestClient, doc_by_region: dict[str, dict]) -> None:
    doc_id = doc_by_region["平顶山市"]["doc_id"]
    response = _dify(client, knowledge_id=doc_id, retrieval_setting={"top_k": 5, "score_threshold": 0.0})
    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert records
    assert {r["metadata"]["doc_id"] for r in records} == {doc_id}


def test_dify_metadata_condition(client: TestClient) -> None:
    condition = {"logical_operator": "and",
                 "conditions": [{"name": ["city"], "comparison_operator": "is", "value": "三门峡市"}]}
    response = _dify(client, metadata_condition=condition, retrieval_setting={"top_k": 5, "score_threshold": 0.0})
    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert records
    assert all(r["metadata"]["city"] == "三门峡市" for r in records)


def test_dify_metadata_condition_unknown_city(client: TestClient) -> None:
    condition = {"conditions": [{"name": ["city"], "comparison_operator": "is", "value": "北京市"}]}
    response = _dify(client, metadata_condition=condition)
    assert 400 <= response.status_code < 500
    assert "北京市" in response.json()["error_msg"]


def test_dify_high_threshold(client: TestClient) -> None:
    response = _dify(client, retrieval_setting={"top_k": 3, "score_threshold": 1.0})
    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert isinstance(records, list) and len(records) <= 3
    assert all(r["score"] >= 1.0 for r in records)


def test_dify_threshold_can_leave_no_records(client: TestClient) -> None:
    response = _dify(client, query="火星移民签证", retrieval_setting={"top_k": 3, "score_threshold": 0.5})
    assert response.status_code == 200
    assert response.json() == {"records": []}


def test_dify_score_counts_terms_missing_from_the_documents(client: TestClient) -> None:
    response = _dify(client, query="量子计算机", retrieval_setting={"top_k": 3, "score_threshold": 0.0})
    assert response.status_code == 200
    assert all(r["score"] < 0.9 for r in response.json()["records"]), response.json()["records"]


def test_dify_threshold_is_applied(client: TestClient) -> None:
    everything = _dify(client, retrieval_setting={"top_k": 10, "score_threshold": 0.0}).json()["records"]
    above = _dify(client, retrieval_setting={"top_k": 10, "score_threshold": 0.6}).json()["records"]
    assert [r for r in everything if r["score"] >= 0.6] == above


@pytest.mark.parametrize("setting", [{"top_k": 0}, {"top_k": 51}, {"top_k": 3, "score_threshold": 1.5}, {}])
def test_dify_bad_retrieval_setting(client: TestClient, setting: dict) -> None:
    response = _dify(client, retrieval_setting=setting)
    assert response.status_code == 422
    assert "retrieval_setting" in error_text(response)
