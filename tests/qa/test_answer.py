"""Answers on the real documents: the reproductions of the answers issue, each as a test."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from corpus.documents import bundled_corpus
from index.scope import mention_position
from qa.answer import ABSTAIN_TEXT, documents_assigning_duties
from qa.extract import is_table_of_contents
from qa.schemas import AskRequest, AskResponse, Filters, Turn
from qa.service import QAService
from tests.corpus.shared_documents import needs_shared, parsed_shared
from tests.qa.helpers import QUESTION, REGIONS, spans_valid


def ask(service: QAService, question: str, **filters: list) -> AskResponse:
    return service.ask(AskRequest(question=question, top_k=5, filters=Filters(**filters)))


@pytest.fixture(scope="module")
def flagship(service: QAService) -> AskResponse:
    return ask(service, QUESTION)


def test_flagship_names_every_place_with_its_figure(flagship: AskResponse) -> None:
    answer = flagship.answer
    assert not answer.abstained and answer.intent == "how_much"
    by_place: dict[str, str] = {}
    for part in answer.parts:  # a document that states two figures (修武's plan and its annex) has two parts
        by_place[part.place] = by_place.get(part.place, "") + part.text
    assert set(by_place) == set(REGIONS)
    assert "20个工作日" in by_place["焦作市"]
    assert "25个工作日" in by_place["平顶山市"]
    assert "16个工作日" in by_place["修武县"] and "21个工作日" in by_place["修武县"]
    assert "16个" in by_place["三门峡市"] and "24个工作日" in by_place["三门峡市"]


def test_a_document_that_states_two_figures_gives_both_each_cited(flagship: AskResponse) -> None:
    xiuwu = [part for part in flagship.answer.parts if part.place == "修武县"]
    assert len(xiuwu) == 2 and len({part.citation for part in xiuwu}) == 2
    assert any("16个工作日" in part.text for part in xiuwu) and any("不超过21个工作日" in part.text for part in xiuwu)


def test_flagship_rows_keep_the_best_answer_first_then_read_oldest_first_and_are_cited(flagship: AskResponse) -> None:
    rows = flagship.answer.rows
    first_year = {place: min(r.year for r in rows if r.place == place) for place in {r.place for r in rows}}
    rest = [(first_year[r.place], r.place, r.year) for r in rows[1:]]
    assert rest == sorted(rest), "after the best answer, places by their first year, a place's documents together"
    assert rows[0].citation == min(r.citation for r in rows), "the best-ranked answer leads"
    shown = {p.rank: p for p in flagship.passages}
    for row in rows:
        assert row.citation in shown, "every cited passage is in the response, even below top_k"
        assert shown[row.citation].doc_id == row.doc_id
        assert row.value and re.search(r"\d", row.value)
    for part in flagship.answer.parts:
        assert spans_valid([list(s) for s in part.highlights], part.text)
        assert part.label == f"{part.place} {part.year}"
    assert flagship.answer.text == "；".join(f"{p.label}：{p.text}" for p in flagship.answer.parts) + "。"


@pytest.mark.parametrize("places", [("修武", "三门峡"), ("三门峡", "修武")])
def test_a_comparison_answers_in_the_order_the_places_are_named(service: QAService, places: tuple[str, str]) -> None:
    answer = ask(service, f"用户年均停电时间压减目标，{places[0]}和{places[1]}各是多少小时？").answer
    assert len(answer.parts) == 2
    assert all(part.place.startswith(place) for part, place in zip(answer.parts, places))


def test_a_county_is_not_named_by_its_citys_name() -> None:
    documents = bundled_corpus().documents
    xiuwu = next(d for d in documents.values() if d.county == "修武县")
    assert mention_position("“一件事一次办”事项数量 焦作 修武 三门峡", xiuwu) == 16


def test_a_quoted_name_is_answered_by_the_passages_that_name_it(service: QAService) -> None:
    answer = ask(service, "工程建设项目审批“四统一”具体指什么").answer
    assert answer.parts and all("四统一" in part.text for part in answer.parts), answer.text
    assert "统一审批流程" in answer.text


def test_the_document_itself_is_answered_from_its_header(service: QAService) -> None:
    response = ask(service, "三门峡2022版营商环境优化提升行动方案的发文字号是多少？")
    assert response.answer.intent == "document"
    assert response.answer.text == "三营商〔2022〕1号（三门峡市优化营商环境工作领导小组印发）。"
    cited = next(p for p in response.passages if p.rank == response.answer.citations[0])
    assert cited.kind == "header" and "三营商〔2022〕1号" in cited.text
    dated = ask(service, "焦作市2019年优化营商环境工作要点是什么时候印发的").answer
    assert "2019年7月8日" in dated.text and "焦营商办〔2019〕3号" in dated.text


def test_each_place_answers_with_its_passage_that_states_the_figure(service: QAService) -> None:
    """修武's best-ranked passage on 用水用气报装 is about its steps; the one further down gives the days.
    用水 / 供水 are the same thing asked and written."""
    answer = ask(service, "用水用气报装时间 平顶山 修武 三门峡 各压到几天").answer
    by_place = {part.place: part.text for part in answer.parts}
    assert "3、4、4个工作日" in by_place["平顶山市"]
    assert "2个工作日" in by_place["修武县"] and "2个工作日" in by_place["三门峡市"]


def test_a_dated_statement_is_not_joined_by_another_clauses_deadline_field(service: QAService) -> None:
    answer = ask(service, "企业开银行账户的开户许可是从哪天起取消的？").answer
    assert [part.place for part in answer.parts] == ["焦作市"], answer.text
    assert "2019年6月10日" in answer.text


@needs_shared
def test_plans_assign_duties_in_fields_regulations_in_sentences(service: QAService) -> None:
    """滨州's 规定 names a lead unit in one article: it still says who does what in sentences."""
    binzhou = parsed_shared("measure/u04_binzhou_gongcheng_binglian_shenpi.txt").passages
    assert any(p.units for p in binzhou)
    assigning = documents_assigning_duties([*service.retriever.passages, *binzhou])
    assert assigning == set(service.retriever.documents)


def test_a_comparison_naming_no_place_reads_oldest_first(service: QAService) -> None:
    years = [part.year for part in ask(service, "各地高压用户报装时限分别是多少").answer.parts]
    assert len(set(years)) >= 3 and years == sorted(years)


def test_named_city_gets_the_figure_asked_for_not_the_first_one(service: QAService) -> None:
    answer = ask(service, "三门峡市高压用户报装时限是多少").answer
    assert [p.place for p in answer.parts] == ["三门峡市"]
    assert "16个" in answer.text and "24个工作日" in answer.text
    assert "时限不超过5个工作日" not in answer.text


def test_who_leads_a_whole_action_plan_is_found_below_the_clauses_about_its_meetings(service: QAService) -> None:
    """No top passage of 三门峡's 获得电力 plan names a unit; the clause that sets up its 专班 does."""
    answer = ask(service, "三门峡获得电力专项行动由哪个部门牵头？").answer
    assert not answer.abstained and answer.intent == "who"
    assert "市发展改革委" in answer.text and "联络员" not in answer.text


def test_where_an_office_sits_is_who_runs_it(service: QAService) -> None:
    answer = ask(service, "营商环境作风建设专项行动领导小组办公室设在哪里？").answer
    assert "县纪委监委党风政风监督室" in answer.text


def test_who_answers_with_the_lead_unit(service: QAService) -> None:
    answer = ask(service, "修武县的“拿地即开工”由谁牵头推进？").answer
    assert not answer.abstained and answer.intent == "who"
    assert "县政务服务和大数据管理局" in answer.text and "牵头" in answer.text


def test_who_quotes_the_duty_note_of_the_clause(service: QAService) -> None:
    answer = ask(service, "平顶山提高政府采购透明度这项工作是哪个部门牵头？").answer
    assert answer.parts and answer.parts[0].place == "平顶山市"
    assert "市财政局" in answer.parts[0].text and len(answer.parts[0].text) < 60


def test_list_of_annexes_answers_with_titles_not_a_table_of_contents_line(service: QAService) -> None:
    answer = ask(service, "三门峡营商环境优化提升行动有哪些专项行动方案？").answer
    assert not answer.abstained and answer.intent == "list"
    assert answer.text.count("专项行动方案") >= 5
    assert "....." not in answer.text and "|" not in answer.text


def test_list_question_is_not_answered_with_the_document_title(service: QAService) -> None:
    answer = ask(service, "平顶山营商环境优化提升年有哪些重点任务？").answer
    title = "2020年平顶山市营商环境“优化提升年”专项工作方案"
    assert not answer.abstained
    assert answer.parts[0].text not in title
    assert "；" in answer.parts[0].text, "several items"


def test_definition_is_not_a_duty_note(service: QAService) -> None:
    answer = ask(service, "小微企业是怎么认定的").answer
    assert not answer.abstained and answer.intent == "definition"
    assert "小微企业名单为准" in answer.text
    assert not answer.parts[0].text.startswith(("责任单位", "（责任单位"))


def test_answers_carry_no_footnote_markers_or_stray_brackets(service: QAService) -> None:
    for question in ("低压小微企业办电环节有几个", QUESTION, "高压客户是指什么"):
        for part in ask(service, question).answer.parts:
            assert not re.search(r"[¹²³⁴⁵⁶⁷⁸⁹⁰]", part.text), part.text
            assert part.text.count("（") == part.text.count("）"), part.text
            assert part.text.count("(") == part.text.count(")"), part.text


def test_traditional_characters_are_answered(service: QAService) -> None:
    answer = ask(service, "企業開辦需要幾個工作日").answer
    assert not answer.abstained
    assert "工作日" in answer.text and "企业开办" in answer.text


def test_a_long_many_part_question_is_answered(service: QAService) -> None:
    question = ("三门峡市企业用电报装和用水报装分别需要多长时间？低压小微企业用电报装有哪些环节？用水用气报装要几个"
                "工作日完成？高压用户呢？我们是一家在三门峡新建厂房的制造企业，想了解从申请到通电通水整个流程大概需要"
                "多少个工作日，以及需要跑几次、准备哪些材料，各环节由哪个部门负责")
    response = ask(service, question)
    assert not response.answer.abstained
    assert response.passages[0].region == "三门峡市"


def test_filters_that_match_no_document_say_so(service: QAService) -> None:
    response = ask(service, QUESTION, city=["平顶山市"], year=[2022])
    answer = response.answer
    assert answer.abstained and answer.text == ABSTAIN_TEXT and response.passages == []
    assert "平顶山市" in answer.reason and "2022" in answer.reason


@pytest.mark.parametrize("question", ["企业职工基本养老保险单位缴费比例是多少？",
                                      "住房公积金贷款最高能贷多少？"])  # a weaker document's table row must not answer for the best one
def test_unanswerable_figure_abstains_with_a_reason(service: QAService, question: str) -> None:
    answer = ask(service, question).answer
    assert answer.abstained and answer.parts == [] and answer.citations == []
    assert answer.reason


def test_confidence_ignores_a_table_of_contents(service: QAService) -> None:
    result = service.retriever.search("三门峡营商环境优化提升有哪些专项行动方案", top_k=20)
    toc = [hit for hit in result.hits if is_table_of_contents(hit.passage)]
    assert toc, "004's annex list is retrieved for this question"
    only_toc = replace(result, hits=toc)
    assert service.composer.confidence(only_toc.question, only_toc) == 0.0


def test_a_place_the_library_lacks_is_named_in_the_reason(service: QAService) -> None:
    answer = ask(service, "开封市不动产一般登记几个工作日办结？").answer
    assert answer.abstained
    assert "开封市" in answer.reason and "三门峡市" in answer.reason


def test_a_followup_is_resolved_against_the_conversation(service: QAService) -> None:
    request = AskRequest(question="那三门峡呢？", history=[Turn(question="平顶山高压用户报装时限是多少")])
    response = service.ask(request)
    assert response.resolved_question == "三门峡市高压用户报装时限是多少"
    assert [p.place for p in response.answer.parts] == ["三门峡市"]
    assert "24个工作日" in response.answer.text
    alone = service.ask(AskRequest(question="企业开办需要几个工作日", history=[Turn(question=QUESTION)]))
    assert alone.resolved_question == "企业开办需要几个工作日"
