"""Extraction inside one passage: cleaning, table rows, the fragment with the figure, duty notes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import pytest

from corpus.models import Passage, PassageKind
from index.question import Measure
from index.retriever import Retriever
from qa.extract import (Context, clean, defines, extract_definition, extract_how_much, extract_list, extract_table,
                        extract_where, extract_who, figure_measure, is_table_of_contents)
from tests.corpus.shared_documents import converted, needs_shared, parsed_shared


def _context(retriever: Retriever, question: str) -> Context:
    weights = {t: max(retriever.lexical.idf(t), 0.0) for t in set(retriever.tokenizer.tokenize(question))}
    return Context(weights, lambda text: frozenset(retriever.tokenizer.tokenize(text)))


def _passage_with(retriever: Retriever, text: str) -> Passage:
    return next(p for p in retriever.passages if text in p.text)


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("低压居民、低压小微企业¹实行免审批，", "低压居民、低压小微企业实行免审批"),
    ("完成时限：2021年5月）", "完成时限：2021年5月"),
    ("（市政务服务和大数据局牵头，市直各相关部门负责", "市政务服务和大数据局牵头，市直各相关部门负责"),
    ("11 “三零”：零上门是指线上报装。", "“三零”：零上门是指线上报装"),
    ("**进一步提升办电效率。**全过程办电时间", "进一步提升办电效率。全过程办电时间"),
    ("各县（市、区）政府负责。", "各县（市、区）政府负责"),
    ("供水、供气、供热用户报装时间分别压缩至3、4、4个工作日。", "供水、供气、供热用户报装时间分别压缩至3、4、4个工作日"),
    ("下列条件的项目：（一）不大于10000平方米；\n（二）不超过24米\n（三）单一", "下列条件的项目：（一）不大于10000平方米；（二）不超过24米 （三）单一"),
])
def test_clean(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_the_figure_about_the_subject_wins_over_the_first_figure(retriever: Retriever) -> None:
    """004 states the 16/24-day limits, then a 5-day approval time: the question is about the first."""
    passage = _passage_with(retriever, "高压单电源普通客户、高压双电源普通客户分别不超过5个、16个、24个工作日")
    extract = extract_how_much(passage, _context(retriever, "三门峡市高压用户报装时限是多少"))
    assert extract is not None
    assert "16个、24个工作日" in extract.text and "审批" not in extract.text


@needs_shared
def test_a_figure_grouped_in_thousands_is_one_figure(retriever: Retriever) -> None:
    """The budget's totals (`收入总计96,282,213.44`): a comma between digits ends no clause fragment."""
    passage = next(p for p in converted("measure/f06_putuo_sifaju_2026_bumen_yusuan.pdf")[1].passages
                   if "收入总计96,282,213.44" in p.text)
    extract = extract_how_much(passage, _context(retriever, "收入总计是多少"))
    assert extract is not None and extract.value is not None and extract.value.startswith("96,282,213.44")


def test_who_quotes_the_duty_note(retriever: Retriever) -> None:
    passage = _passage_with(retriever, "继续压缩企业开办环节和成本")
    extract = extract_who(passage, _context(retriever, "修武压缩企业开办环节由谁牵头"))
    assert extract is not None
    assert extract.text == "县市场监督管理局牵头，县公安局、县税务局按职责分工负责"
    assert "县市场监督管理局" in (extract.value or "")


def test_table_rows_become_header_value_pairs(retriever: Retriever) -> None:
    rows = [p for p in retriever.passages if p.kind is PassageKind.TABLE_ROW]
    assert rows, "the corpus has tables"
    ctx = _context(retriever, "现状水平")
    for passage in rows:
        extract = extract_table(passage, ctx)
        assert extract is not None and "|" not in extract.text, passage.passage_id


def test_a_list_of_annexes_answers_with_its_titles(retriever: Retriever) -> None:
    toc = [p for p in retriever.passages if is_table_of_contents(p) and p.kind is not PassageKind.HEADER]
    assert toc, "004 lists its annexes"
    passage = max(toc, key=lambda p: p.text.count("方案"))
    extract = extract_list(passage, _context(retriever, "有哪些专项行动方案"))
    assert extract is not None
    assert "..." not in extract.text and "…" not in extract.text[:-1]
    assert extract.text.count("方案") >= 5


def test_the_value_of_a_figure_list_is_the_whole_list(retriever: Retriever) -> None:
    passage = _passage_with(retriever, "高压单电源普通客户、高压双电源普通客户分别不超过5个、16个、24个工作日")
    extract = extract_how_much(passage, _context(retriever, "三门峡市高压用户报装时限是多少"))
    assert extract is not None and extract.value == "不超过5个、16个、24个工作日"


@pytest.mark.parametrize(("figure", "measure"), [
    ("16个工作日", Measure.DURATION), ("压缩至1.2年", Measure.DURATION), ("30%", Measure.SHARE),
    ("0.5个百分点", Measure.SHARE), ("500万元", Measure.MONEY), ("150家", Measure.COUNT), ("4批次", Measure.COUNT),
])
def test_figure_measure(figure: str, measure: Measure) -> None:
    assert figure_measure(figure) is measure


def test_a_figure_of_another_kind_than_asked_does_not_state_the_answer(retriever: Retriever) -> None:
    """A question for money is not answered by the `24小时` of an office that never closes."""
    passage = _passage_with(retriever, "实现24小时不打烊")
    ctx = _context(retriever, "修武不动产登记费每件收多少钱")
    shown = extract_how_much(passage, replace(ctx, measures=frozenset({Measure.MONEY})))
    assert shown is not None and not shown.states
    stated = extract_how_much(passage, replace(ctx, measures=frozenset({Measure.DURATION})))
    assert stated is not None and stated.states and "24小时" in stated.text


def test_the_run_of_figures_is_kept_and_the_preamble_dropped(retriever: Retriever) -> None:
    """Parallel figures beside the asked one stay; a leading clause that adds nothing of the question goes."""
    passage = _passage_with(retriever, "3年内培训10名以上行业龙头型领军企业家")
    extract = extract_how_much(passage, _context(retriever, "修武3年内计划培训多少名各类民营企业家"))
    assert extract is not None
    assert "30名以上" in extract.text and "50名以上" in extract.text
    assert "企业家礼遇" not in extract.text


@pytest.mark.parametrize(("sentence", "defining"), [
    ("临时用电：对基建工地、农田水利、市政建设等非永久性用电", True),
    ("小微企业是指客户用电设备容量160千瓦及以下工商业企业", True),
    ("主要目标：2021年底前，低压居民、低压小微企业办电时间不超过3个工作日", False),  # a label, not 小微企业
    ("表2：临时用电办理环节和时间", False),  # a table's caption
])
def test_a_colon_defines_only_what_precedes_it(retriever: Retriever, sentence: str, defining: bool) -> None:
    assert defines(sentence, _context(retriever, "临时用电 小微企业")) is defining


def test_a_definition_that_announces_its_conditions_runs_on_into_them(retriever: Retriever) -> None:
    passage = _passage_with(retriever, "同时满足下列条件的项目")
    at = retriever.passages.index(passage)
    following = tuple(p for p in retriever.passages[at + 1: at + 3] if p.section_path == passage.section_path)
    ctx = replace(_context(retriever, "社会投资小型低风险项目是指"), following=following)
    extract = extract_definition(passage, ctx)
    assert extract is not None and "10000平方米" in extract.text and "24米" in extract.text
    assert "\n" not in extract.text


def test_how_often_is_answered_by_a_frequency(retriever: Retriever) -> None:
    passage = _passage_with(retriever, "每月至少提供一篇")
    ctx = replace(_context(retriever, "乡镇和领导小组成员单位多久要报一篇营商环境宣传素材"),
                  measures=frozenset({Measure.DURATION}))
    extract = extract_how_much(passage, ctx)
    assert extract is not None and extract.states and "每周" in extract.text and "每月" in extract.text


YANTAI = "samples/yantai_youhua_yingshang_tiaoli_2021.txt"
SHANGHAI = "samples/shanghai_dajian_yunshu_yijianshi_2025.txt"


def _shared_passage(name: str, text: str) -> Passage:
    return next(p for p in parsed_shared(name).passages if text in p.text)


@needs_shared
def test_who_in_a_regulation_is_the_sentence_that_says_who_does_it(retriever: Retriever) -> None:
    passage = _shared_passage(YANTAI, "知识产权公共服务体系")
    ctx = replace(_context(retriever, "知识产权公共服务体系由哪个部门牵头建立"), duty_sentences=True)
    extract = extract_who(passage, ctx)
    assert extract is not None and "市场监管部门应当会同有关部门" in extract.text


def test_a_plans_clause_without_fields_names_no_one_unless_it_says_who_does_the_very_thing(retriever: Retriever) -> None:
    """三门峡's clause on liaison officers says a 科室 负责 the 获得电力 work: who helps, not who leads."""
    passage = _passage_with(retriever, "专班成员单位指定相对固定的相关业务科室负责")
    ctx = _context(retriever, "三门峡获得电力专项行动由哪个部门牵头")
    assert not passage.units and extract_who(passage, ctx) is None
    assert extract_who(passage, replace(ctx, duty_sentences=True)) is not None, "a regulation's sentence would answer"


def _children_in(passages: list[Passage]) -> Callable[[tuple[str, ...]], list[str]]:
    def children(path: tuple[str, ...]) -> list[str]:
        return list(dict.fromkeys(p.section_path[len(path)] for p in passages
                                  if p.section_path[: len(path)] == path and len(p.section_path) > len(path)))
    return children


@needs_shared
def test_a_list_question_is_not_answered_with_the_documents_chapters(retriever: Retriever) -> None:
    passages = parsed_shared(SHANGHAI).passages
    passage = next(p for p in passages if "两种办理渠道" in p.text)
    children = _children_in(passages)
    ctx = replace(_context(retriever, "大件运输一件事可以通过哪些渠道申请办理"), children=children)
    assert len(children(passage.section_path[:1])) >= 3, "the title has chapters a wrong answer could list"
    extract = extract_list(passage, ctx)
    assert extract is not None and "渠道" in extract.text and "重点任务" not in extract.text


@needs_shared
def test_a_question_naming_a_chapter_is_not_answered_with_the_list_of_chapters(retriever: Retriever) -> None:
    """淮安's annual report: `…存在哪些问题` names its chapter 五、存在的主要问题及改进情况."""
    passages = converted("measure/f04_huaian_2024_zhengfu_xinxi_gongkai_nianbao.pdf")[1].passages
    opening = next(p for p in passages if len(p.section_path) == 1 and "本报告" in p.text)
    children = _children_in(passages)
    assert any("存在的主要问题" in c for c in children(opening.section_path))
    survey = replace(_context(retriever, "2024年政府信息公开工作年度报告有哪些部分"), children=children)
    assert "总体情况；" in extract_list(opening, survey).text, "the report's parts, asked for"
    asked = replace(_context(retriever, "2024年政府信息公开工作年度报告存在哪些问题"), children=children)
    extract = extract_list(opening, asked)
    assert extract is None or "总体情况；" not in extract.text


@needs_shared
def test_the_kinds_asked_for_are_the_sub_headings_of_the_section_named(retriever: Retriever) -> None:
    """浙江's Word guide: `二、用户体系对接模式` holds `（一）保留原有用户体系…` and `（二）不再保留…`. The title's
    words (浙江政务服务网, 单点登录) name the document, not a section; the section that matches the question
    best lists its sub-headings, not the deeper `（一）` its steps."""
    parsed = converted("measure/f01_zjzwfw_sso_shishi_zhiyin.docx")[1]
    passage = next(p for p in parsed.passages if p.text.startswith("2、自建系统注册、登录功能改用"))
    # The subject of `浙江政务服务网单点登录有哪几种用户体系对接模式？`, as the composer weighs it.
    ctx = replace(_context(retriever, "浙江政务服务网单点登录的用户体系对接模式"),
                  children=_children_in(parsed.passages), document=parsed.document)
    extract = extract_list(passage, ctx)
    assert extract is not None and extract.text.startswith("（一）保留原有用户体系的实现模式")
    assert "（二）不再保留原有用户体系的实现模式" in extract.text


@needs_shared
def test_where_is_the_sentence_with_an_address(retriever: Retriever) -> None:
    """长乐's licensing guide: `2.地点：福州市长乐区会堂路 235号`, not `下载地址：` with the link on the next line."""
    passages = converted("measure/f05_changle_yancao_lingshou_xuke_zhinan.pdf")[1].passages
    ctx = _context(retriever, "烟草专卖零售许可证在哪里办理")
    found = [e for p in passages if (e := extract_where(p, ctx)) is not None and e.states]
    assert found and all(re.search(r"路\s*\d+\s*号|地点|地址：\S", e.text) for e in found), [e.text for e in found]
    assert any("会堂路" in e.text for e in found)
