"""Answer composition and highlighting, unit-level, on the real retriever and corpus."""

from __future__ import annotations

import re

import pytest

from corpus.models import PassageKind
from index.retriever import Mode, Retriever, SearchResult
from index.scope import NamedScope, SearchFilters
from qa.config import Settings
from qa.answer import ABSTAIN_TEXT, MAX_PARTS, MAX_SENTENCE, AnswerComposer, _table_row_sentence
from qa.highlight import highlight_spans, merge_spans
from tests.qa.helpers import QUESTION, REGIONS, spans_valid


def marked(text: str, question: str = "") -> list[str]:
    return [text[start:end] for start, end in highlight_spans(text, question)]


# ---------------------------------------------------------------------------------------------
# highlight_spans


@pytest.mark.parametrize(("text", "expected"), [
    ("高压用户报装电网业务办理时限压缩至20个工作日以内，年度电网故障抢修", ["压缩至20个工作日以内"]),
    ("其余低压接入用户受理后7个工作日内送电", ["7个工作日内"]),
    ("低压居民办电时间不超过3个工作日。", ["不超过3个工作日"]),
    ("企业开办时间压缩至0.5个工作日", ["压缩至0.5个工作日"]),
    ("年度电网故障抢修平均恢复时长同比降低5%以上。", ["降低5%以上"]),
    ("注册用户数突破131万", []),  # a bare 万 is not a unit
    ("上线事项数102项", ["102项"]),
])
def test_highlights_figures(text: str, expected: list[str]) -> None:
    assert marked(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2019年12月底前，入驻政务服务大厅", ["2019年12月底前"]),
    ("9月底前，居民客户具备电子签章确认", ["9月底前"]),
    ("完成时限：2021年5月", ["2021年5月"]),
    ("2023年底前完成", ["2023年底前"]),
    ("自2022年3月1日起施行", ["2022年3月1日起"]),
    ("2019年6月底前实现一网通办，12月底前入驻大厅", ["2019年6月底前", "12月底前"]),
])
def test_highlights_dates(text: str, expected: list[str]) -> None:
    assert marked(text) == expected


def test_highlights_responsible_units_only_when_asked_who() -> None:
    text = "为客户免费提供典型设计服务。（责任单位：市供电公司）"
    assert marked(text) == []
    assert marked(text, "谁负责典型设计") == ["市供电公司"]
    assert marked(text, "哪个部门负责") == ["市供电公司"]


def test_no_figures_no_highlights() -> None:
    assert highlight_spans("持续优化线上办电功能，丰富服务渠道建设。", QUESTION) == []
    assert highlight_spans("", QUESTION) == []


def test_overlapping_figure_and_date_are_merged() -> None:
    text = "2022年底前压缩至5个工作日"
    spans = highlight_spans(text, "")
    assert spans_valid(spans, text)
    assert [text[s:e] for s, e in spans] == ["2022年底前压缩至5个工作日"]


def test_merge_spans() -> None:
    assert merge_spans([]) == []
    assert merge_spans([(5, 8), (0, 3), (2, 4), (8, 9)]) == [(0, 4), (5, 9)]
    assert merge_spans([(0, 10), (2, 3)]) == [(0, 10)]


def test_highlights_valid_on_every_passage(retriever: Retriever) -> None:
    """Over the whole corpus: sorted, disjoint, in range; every figure or date span has a digit."""
    with_spans = 0
    for passage in retriever.passages:
        spans = highlight_spans(passage.text, QUESTION)
        assert spans_valid([list(s) for s in spans], passage.text), passage.passage_id
        for start, end in spans:
            assert re.search(r"\d", passage.text[start:end]), (passage.passage_id, passage.text[start:end])
        with_spans += bool(spans)
    assert with_spans > len(retriever.passages) / 2


# ---------------------------------------------------------------------------------------------
# _table_row_sentence


def test_table_row_sentence_pairs_header_and_row() -> None:
    assert _table_row_sentence("| 指标 | 现状 |\n| 豫事办 | 107万 |") == "指标：豫事办；现状：107万"


def test_table_row_sentence_ignores_caption_and_unit_lines() -> None:
    text = "政务服务指标提升对比表\n| 序号 | 指标（项目） | 现状水平 |\n| 2 | 移动政务服务能力 | 注册用户数107万 |"
    assert _table_row_sentence(text) == "序号：2；指标（项目）：移动政务服务能力；现状水平：注册用户数107万"


def test_table_row_sentence_skips_empty_cells() -> None:
    assert _table_row_sentence("|  | 2020年 | 2021年 |\n| 环节 |  | 3 |") == "环节；2021年：3"


def test_table_row_sentence_without_a_table() -> None:
    assert _table_row_sentence("不是表格的段落。") == "不是表格的段落。"
    assert _table_row_sentence("| 只有表头 | 一行 |") == "| 只有表头 | 一行 |"


def test_table_row_sentence_on_real_rows(retriever: Retriever) -> None:
    rows = [p for p in retriever.passages if p.kind is PassageKind.TABLE_ROW]
    assert rows, "the corpus has tables"
    for passage in rows:
        lines = [line for line in passage.text.splitlines() if line.startswith("|")]
        header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
        values = [c.strip() for c in lines[-1].strip().strip("|").split("|")]
        sentence = _table_row_sentence(passage.text)
        assert "|" not in sentence, passage.passage_id
        for name, value in zip(header, values):
            if value:
                assert (f"{name}：{value}" if name else value) in sentence, (passage.passage_id, name, value)


# ---------------------------------------------------------------------------------------------
# AnswerComposer.compose


@pytest.fixture(scope="module")
def result(retriever: Retriever) -> SearchResult:
    return retriever.search(QUESTION, mode=Mode.HYBRID, top_k=10)


@pytest.fixture(scope="module")
def composer(retriever: Retriever) -> AnswerComposer:
    return AnswerComposer(retriever, min_coverage=0.0, min_dense=0.0)


def test_compose_labels_parts_by_region_and_year(composer: AnswerComposer, result: SearchResult) -> None:
    answer = composer.compose(QUESTION, result)
    assert not answer.abstained
    assert 2 <= len(answer.parts) <= MAX_PARTS
    by_rank = {hit.rank: hit for hit in result.hits}
    for part in answer.parts:
        hit = by_rank[part.citation]  # cites a rank that exists
        assert part.citation <= MAX_PARTS, "only the top passages answer"
        assert part.label == f"{hit.document.region} {hit.document.year}"
        assert spans_valid([list(s) for s in part.highlights], part.text)
        assert len(part.text) <= MAX_SENTENCE + 1
    regions = {part.label.split()[0] for part in answer.parts}
    assert len(regions) >= 2 and regions <= set(REGIONS)
    assert answer.citations == sorted(answer.citations)
    assert len({by_rank[c].document.doc_id for c in answer.citations}) == len(answer.citations)
    assert answer.text == "；".join(f"{p.label}：{p.text}" for p in answer.parts) + "。"


def test_compose_answers_with_figures(composer: AnswerComposer, result: SearchResult) -> None:
    answer = composer.compose(QUESTION, result)
    assert any("工作日" in part.text and part.highlights for part in answer.parts)


def test_every_part_has_a_figure_when_the_question_asks_for_one(composer: AnswerComposer,
                                                                result: SearchResult) -> None:
    answer = composer.compose(QUESTION, result)
    for part in answer.parts:
        assert part.highlights, f"{part.label}: {part.text}"


def test_compose_cites_the_named_city(composer: AnswerComposer, retriever: Retriever) -> None:
    question = "平顶山市高压用户报装时限是多少"
    answer = composer.compose(question, retriever.search(question, top_k=5))
    assert answer.parts[0].label == "平顶山市 2020"
    assert "25个工作日" in answer.parts[0].text


def test_compose_abstains_below_threshold(retriever: Retriever, result: SearchResult) -> None:
    strict = AnswerComposer(retriever, min_coverage=1.01, min_dense=0.0)  # no passage can score above 1
    answer = strict.compose(QUESTION, result)
    assert answer.abstained and answer.text == ABSTAIN_TEXT and answer.parts == [] and answer.citations == []
    assert 0.0 < answer.confidence <= 1.0


def test_compose_abstains_without_hits(composer: AnswerComposer) -> None:
    empty = SearchResult(QUESTION, Mode.HYBRID, [], SearchFilters(), NamedScope())
    answer = composer.compose(QUESTION, empty)
    assert answer.abstained and answer.text.startswith("未找到") and answer.confidence == 0.0


def test_passage_scores_are_shares(composer: AnswerComposer, result: SearchResult) -> None:
    scores = [composer.passage_score(QUESTION, hit) for hit in result.hits]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert composer.confidence(QUESTION, result) == scores[0]


def test_unrelated_question_abstains_with_the_service_settings(retriever: Retriever, result: SearchResult) -> None:
    settings = Settings()
    composer = AnswerComposer(retriever, settings.abstain_min_coverage, settings.abstain_min_dense)
    question = "企业职工基本养老保险单位缴费比例是多少？"
    assert composer.should_abstain(question, retriever.search(question, top_k=5))
    assert not composer.should_abstain(QUESTION, result)


def test_terms_missing_from_the_corpus_lower_the_confidence(composer: AnswerComposer, retriever: Retriever) -> None:
    question = "量子计算机"
    assert composer.confidence(question, retriever.search(question, top_k=5)) < 0.9
