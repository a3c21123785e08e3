"""Search on the real index of the five documents."""

from __future__ import annotations

import pytest

from index.backend import BackendKind
from index.retriever import Mode, Retriever
from index.scope import FilterError, SearchFilters


@pytest.fixture(scope="module", params=list(BackendKind))
def retriever(request: pytest.FixtureRequest, retriever: Retriever) -> Retriever:
    """Every test here runs on each backend: qa and eval must not notice which one serves."""
    return request.getfixturevalue("milvus_retriever") if request.param is BackendKind.MILVUS else retriever


def test_hybrid_answers_high_voltage_question_from_three_cities(retriever: Retriever) -> None:
    result = retriever.search("高压用户报装时限是多少", mode=Mode.HYBRID, top_k=10)
    assert len({hit.document.region for hit in result.hits}) >= 3


@pytest.mark.parametrize("mode", list(Mode))
def test_every_hit_reports_its_channel_scores(retriever: Retriever, mode: Mode) -> None:
    result = retriever.search("企业开办需要几个工作日", mode=mode, top_k=10)
    assert [h.rank for h in result.hits] == list(range(1, 11))
    for hit in result.hits:
        assert (hit.bm25 is not None) == (hit.bm25_rank is not None)
        if mode is Mode.BM25:
            assert hit.bm25 is not None and hit.dense is None
        if mode is Mode.DENSE:
            assert hit.dense is not None and hit.bm25 is None
    if mode is Mode.HYBRID:
        assert any(h.bm25 is not None and h.dense is not None for h in result.hits)
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


@pytest.mark.parametrize("mode", list(Mode))
def test_city_filter_returns_only_that_city(retriever: Retriever, mode: Mode) -> None:
    result = retriever.search("高压用户报装时限是多少", mode=mode, top_k=20, filters=SearchFilters(city=("平顶山市",)))
    assert result.hits
    assert {h.document.city for h in result.hits} == {"平顶山市"}


def test_filters_apply_inside_retrieval_not_after(retriever: Retriever) -> None:
    """A document that never ranks in the unfiltered top 10 still fills a filtered top 10."""
    question = "三门峡至洛宁高速公路有多长"
    unfiltered = retriever.search(question, top_k=10)
    assert "001_33bcc779efdaa487" not in {h.document.doc_id for h in unfiltered.hits}
    filtered = retriever.search(question, top_k=10, filters=SearchFilters(doc_id=("001_33bcc779efdaa487",)))
    assert len(filtered.hits) == 10
    assert {h.document.doc_id for h in filtered.hits} == {"001_33bcc779efdaa487"}


def test_county_year_and_kind_filters(retriever: Retriever) -> None:
    county = retriever.search("不动产登记", top_k=10, filters=SearchFilters(city=("修武县",)))
    assert {h.document.county for h in county.hits} == {"修武县"}
    year = retriever.search("不动产登记", top_k=10, filters=SearchFilters(year=(2019, 2020)))
    assert {h.document.year for h in year.hits} <= {2019, 2020}
    tables = retriever.search("指标 现状水平", top_k=5, filters=SearchFilters(kind=("table_row",)))
    assert tables.hits and {h.passage.kind for h in tables.hits} == {"table_row"}


def test_unknown_filter_values_are_errors_not_empty_results(retriever: Retriever) -> None:
    with pytest.raises(FilterError, match="北京市"):
        retriever.search("营商环境", filters=SearchFilters(city=("北京市",)))
    with pytest.raises(FilterError, match="1999"):
        retriever.search("营商环境", filters=SearchFilters(year=(1999,)))


def test_place_named_in_the_question_is_recognised(retriever: Retriever) -> None:
    result = retriever.search("修武 高压用户报装时限", top_k=5)
    assert result.named.regions == ("修武县",)
    assert result.hits[0].document.county == "修武县"


def test_a_sentence_shared_by_two_documents_keeps_both_citations(retriever: Retriever) -> None:
    shared = "人民法院、律师、当事人等依据人民法院对外委托专业机构专业人员信息平台"
    holders = {p.doc_id for p in retriever.passages if shared in p.text}
    assert len(holders) == 2
    result = retriever.search(shared, mode=Mode.BM25, top_k=5)
    assert holders <= {h.document.doc_id for h in result.hits}


@pytest.mark.parametrize("question", ["修武水气接入工程要挖城市道路、砍树的，审批材料齐全几天能批完？",
                                      "焦作重大外资项目协调推进工作机制要在什么时间前建立？", "焦作和平顶山的用水报装时限分别是多少"])
def test_top_k_is_the_head_of_a_deeper_search(retriever: Retriever, question: str) -> None:
    """Fusion keeps only the best k of each ranking: boosting a named place and taking turns between
    places must happen before the cut, or the top 5 would not be the first 5 of the top 40."""
    def ranking(top_k: int) -> list[tuple]:
        hits = retriever.search(question, mode=Mode.HYBRID, top_k=top_k).hits
        return [(h.rank, h.passage.passage_id, h.score, h.bm25_rank, h.dense_rank) for h in hits]

    assert ranking(5) == ranking(40)[:5]
