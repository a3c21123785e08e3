"""parse_document on the five real documents: section paths, annexes, page breaks, debris,
definitions, passage ids and sizes, the outline."""

from __future__ import annotations

import re

import pytest

from corpus.documents import load_corpus
from corpus.models import PassageKind, Section
from corpus.parser import DEFAULT_MAX_CHARS, parse_document
from tests.corpus.helpers import (
    ALL_DOCS,
    D000,
    D001,
    D003,
    D004,
    PAGE_NUMBER_LINE,
    containing,
    norm,
    only,
)

TABLE_ROW_LIMIT = 600


def annex_sections(outline: Section) -> list[Section]:
    return [child for child in outline.children if child.level == 1]


def walk(section: Section):
    yield section
    for child in section.children:
        yield from walk(child)


# -- section paths ---------------------------------------------------------------------


def test_known_heading_path_of_electricity_clause(corpus, passages_of):
    passage = only(passages_of[D000], "方便企业获得电力")
    assert passage.kind is PassageKind.CLAUSE
    assert passage.section_path[0] == corpus.documents[D000].title == "焦作市2019年优化营商环境工作要点"
    assert passage.section_path[-2:] == ("四、营造宽松有序的企业经营环境", "（二十八）方便企业获得电力")
    assert len(passage.section_path) == 3


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_every_section_path_starts_with_document_title(corpus, passages_of, doc_id):
    title = corpus.documents[doc_id].title
    assert passages_of[doc_id]
    for passage in passages_of[doc_id]:
        assert passage.section_path, passage.passage_id
        assert passage.section_path[0] == title, passage.passage_id
        assert all(label.strip() for label in passage.section_path), passage.passage_id


def test_003_outline_lists_all_15_annexes_in_order(parsed):
    annexes = annex_sections(parsed[D003].outline)
    assert [section.title.split(" ")[0] for section in annexes] == [f"附件{n}" for n in range(1, 16)]
    assert annexes[0].title == "附件1 修武县开办企业提升专项行动方案"
    assert annexes[13].title == "附件14 修武县推进“两个行动”专项行动工作方案"
    assert annexes[14].title == "附件15 修武县营商环境宣传专项行动方案"
    lines = [section.line for section in annexes]
    assert lines == sorted(lines) and len(set(lines)) == 15


def test_003_annex_passages_carry_their_annex_label(parsed):
    passages = parsed[D003].passages
    labels = [section.title for section in annex_sections(parsed[D003].outline)]
    first_annex_line = annex_sections(parsed[D003].outline)[0].line
    seen = []
    for passage in sorted(passages, key=lambda p: p.source.char_start):
        if passage.source.line_start < first_annex_line:
            assert len(passage.section_path) < 2 or not passage.section_path[1].startswith("附件")
            continue
        assert len(passage.section_path) >= 2, passage.passage_id
        assert passage.section_path[1] in labels, (passage.passage_id, passage.section_path)
        if not seen or seen[-1] != passage.section_path[1]:
            seen.append(passage.section_path[1])
    assert seen == labels  # every annex has passages, visited once each, in order
    # a passage deep inside annex 3 (获得电力)
    deep = only(passages, "35千伏及以上报装接电纳入月停")
    assert deep.section_path[1] == "附件3 修武县获得电力提升专项行动方案"


def test_004_first_annexes_carry_their_annex_label(parsed):
    passages = parsed[D004].passages
    assert only(passages, "全面实施全市营商环境“121”").section_path[1] == "附件1 三门峡市营商环境优化提升总体方案"
    # `一对一的“代办专` / `员”，形成线上线下…` is also cut by a page break (lines 799/801)
    assert only(passages, "一对一的“代办专员”，形成线上线下联动融合").section_path[1] == \
        "附件3 三门峡市办理建筑许可提升专项行动方案"
    electricity = only(passages, "高压双电源普通客户（重要）")
    assert electricity.section_path[1] == "附件4 三门峡市获得电力提升专项行动方案"
    titles = [section.title for section in annex_sections(parsed[D004].outline)]
    assert titles[:5] == [
        "附件1 三门峡市营商环境优化提升总体方案",
        "附件2 三门峡市企业开办提升专项行动方案",
        "附件3 三门峡市办理建筑许可提升专项行动方案",
        "附件4 三门峡市获得电力提升专项行动方案",
        "附件5 三门峡市获得用水用气提升专项行动方案",
    ]


def test_004_outline_lists_all_21_annexes_in_order(parsed):
    annexes = annex_sections(parsed[D004].outline)
    assert [section.title.split(" ")[0] for section in annexes] == [f"附件{n}" for n in range(1, 22)]
    assert annexes[5].title == "附件6 三门峡市不动产登记提升专项行动方案"
    assert annexes[20].title == "附件21 三门峡市项目保障提升专项行动方案"
    land = only(parsed[D004].passages, "为深化“放管服”改革，进一步优化营商环境")  # line 1135, annex 6
    assert land.section_path[1] == "附件6 三门峡市不动产登记提升专项行动方案"
    tail = max(parsed[D004].passages, key=lambda p: p.source.char_start)
    assert tail.section_path[1] == "附件21 三门峡市项目保障提升专项行动方案"


# -- page breaks and PDF debris -----------------------------------------------------------

PAGE_BREAK_JOINS = [
    # (document, the sentence whose two halves the source puts on either side of a page break)
    (D000, "全面启动全市高层次人才认定工作"),  # L37 / L39
    (D000, "深入开展“双创”示范基地提质创优行动。2019年7月底前，印发实施"),  # `2019` / `年7月底前`
    (D000, "跟踪对接，认真落实“单一窗口”政务服务免费申报制度"),  # L71 / L73
    (D001, "优化完善权责清单制度"),  # L27 / L29
    (D001, "2020年底前在全市推开“证照分离”改革"),  # L35 / L37
    (D003, "对于新出让土地项目，鼓励地质勘察在土地出让前完成"),  # L306 / L308
    (D004, "人行三门峡市中支、三门峡银保监分局、市政务和大数据局"),  # 责任单位 line cut in `三门|峡`
    (D004, "力争审批网约车平台至少一家以上"),  # L3080 / L3082
    (D004, "三门峡市中心区、市区、城镇、农村地区客户年均停电时间"),  # footnotes 1-3 in between
]


@pytest.mark.parametrize(("doc_id", "sentence"), PAGE_BREAK_JOINS)
def test_sentence_cut_by_page_break_comes_out_whole(passages_of, doc_id, sentence):
    assert containing(passages_of[doc_id], sentence), f"no passage of {doc_id} holds {sentence!r}"


def test_page_break_join_is_seamless_in_passage_text(passages_of):
    # not only under the whitespace-blind relevance rule: the reflowed text has no line break there
    assert "全面启动全市高层次人才认定工作" in only(passages_of[D000], "全面启动全市高层").text
    assert "2019年7月底前，印发实施" in only(passages_of[D000], "印发实施《关于推动创新创业").text


def test_003_page_break_inside_voltage_10_6_kv(passages_of):
    assert containing(passages_of[D003], "供电公司负责落实10(6)千伏及以上用电项目停（送）电要求")
    assert not any(p.section_path[-1].startswith("（6）千伏") for p in passages_of[D003])


def test_004_page_break_with_interleaved_footnote_8(passages_of):
    passages = passages_of[D004]
    assert containing(passages, "两类高压客户和低压小微企业之外，执行工商业及其他用电价格的各电压等级客户的接网工程建设费用由当地政府承担")
    assert containing(passages, "否则政府或供电企业可强制调整供电方案，以避免投资浪费。")
    definitions = [p for p in passages if p.kind is PassageKind.DEFINITION]
    assert containing(definitions, "主要由电锅炉、电窑炉、热泵、冰蓄冷、燃煤自备电厂清洁替代、电烤烟、电制茶等，且电能替代设备容量")


def test_spaced_years_are_joined(passages_of):
    assert containing(passages_of[D000], "2019年12月底前")
    assert "2019年12月底前" in only(passages_of[D000], "县级服务平台规范化建设完成率").text
    assert "2019年7月底前，成立焦作市实施工程建设项目区域评估领导机构" in \
        only(passages_of[D000], "区域评估领导机构").text  # source: `2019 年 7 月底前`
    for passages in passages_of.values():
        for p in passages:
            if p.kind is not PassageKind.TABLE_ROW:
                assert not re.search(r"\d[ \u3000]+[年月日个]|[年月][ \u3000]+\d", p.text), p.passage_id


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_no_debris_in_passage_text(passages_of, doc_id):
    for p in passages_of[doc_id]:
        assert "■" not in p.text, p.passage_id
        assert "**" not in p.text, p.passage_id
        assert "<u>" not in p.text and "</u>" not in p.text, p.passage_id
        for line in p.text.split("\n"):
            assert not PAGE_NUMBER_LINE.match(line), (p.passage_id, line)
            assert not line.startswith("#"), (p.passage_id, line)
            if p.kind is not PassageKind.TABLE_ROW:
                assert not line.startswith("- "), (p.passage_id, line)


def test_end_mark_dropped_from_clause(sources, passages_of):
    assert sources[D000].count("■") == 2
    passage = only(passages_of[D000], "推动信用助力民营企业融资")
    assert passage.text.endswith("人行焦作市中心支行)")
    assert passage.responsible[-1] == "人行焦作市中心支行"


# -- definitions -------------------------------------------------------------------------


def test_footnote_three_zero_is_a_definition(passages_of):
    passage = only(passages_of[D004], "零上门是指实行线上用电报装服务")
    assert passage.kind is PassageKind.DEFINITION
    assert passage.term == "三零"
    assert passage.source.line_start == passage.source.line_end == 1002
    assert norm(passage.text).startswith(norm("11 “三零”：零上门是指"))
    assert passage.section_path[1] == "附件4 三门峡市获得电力提升专项行动方案"


def test_footnote_temporary_power_is_a_definition(passages_of):
    passage = only(passages_of[D004], "对基建工地、农田水利、市政建设等非永久性用电")
    assert passage.kind is PassageKind.DEFINITION
    assert passage.term == "临时用电"


def test_004_footnote_terms(passages_of):
    definitions = [p for p in passages_of[D004] if p.kind is PassageKind.DEFINITION]
    terms = {p.term for p in definitions}
    assert terms >= {"小微企业", "高压客户", "低压客户", "供电企业", "城镇规划建设用地", "建筑区划红线",
                     "省级及以上开发区", "临时用电", "取得土地使用权的时间", "三零", "三省"}
    for p in definitions:
        if p.term:
            assert p.term in p.text, p.passage_id
        assert not p.responsible and p.deadline is None


def test_footnote_does_not_cut_the_clause_it_interrupts(passages_of):
    # footnote 4 (供电企业) sits between heading （二） and item 1; footnotes 5-7 inside item (1)
    clause = only(passages_of[D004], "（1）地方政府分担范围。在城镇规划建设用地范围内")
    assert clause.kind is PassageKind.CLAUSE
    assert "5城镇规划建设用地：以县及以上政府发布的最新规划" not in clause.text
    assert clause.section_path[-1] == "（1）地方政府分担范围"


def test_remark_with_definition_is_a_definition(passages_of):
    passage = only(passages_of[D004], "本方案所称“双随机、一公开”监管覆盖率是指")
    assert passage.kind is PassageKind.DEFINITION


# -- headings and list items ---------------------------------------------------------------


def test_list_item_after_colon_line_is_not_a_section(passages_of):
    passage = only(passages_of[D003], "（一）总建筑面积不大于10000平方米；")
    assert "同时满足下列条件的项目：" in passage.text
    assert passage.section_path[-1] == "一、实施范围"


def test_whole_enumeration_stays_in_one_passage(passages_of):
    passage = only(passages_of[D003], "（一）总建筑面积不大于10000平方米；")
    assert "（二）建筑高度不超过24米，地下不超过一层；" in passage.text
    assert "（三）功能单一" in passage.text
    assert not any(p.section_path[-1].startswith("（二）建筑高度") for p in passages_of[D003])


def test_item_100_of_004_is_its_own_clause(passages_of):
    # annex 19 has its own `26.建立数字化政策匹配查询机制`; item 100 of annex 1 is on line 541
    # (line 539 is the unpunctuated 责任单位 line of item 99 that used to swallow it)
    [passage] = [p for p in containing(passages_of[D004], "建立数字化政策匹配查询机制。整合发改")
                 if p.source.line_start <= 541 <= p.source.line_end]
    assert passage.section_path[-1] == "100.建立数字化政策匹配查询机制"
    assert "99.建立数字化产业链分析机制" not in passage.text
    assert "市直相关单位配合" not in passage.units[-1]


# -- ids, sizes, stability ----------------------------------------------------------------------


def test_passage_ids_unique_and_derived_from_doc_and_position(corpus):
    ids = [p.passage_id for p in corpus.passages]
    assert len(ids) == len(set(ids))
    for p in corpus.passages:
        assert p.passage_id == f"{p.doc_id}#{p.source.char_start}"
        assert p.source.file == corpus.documents[p.doc_id].file


def test_parsing_twice_gives_identical_passages(corpus):
    again = load_corpus()
    assert [p.to_dict() for p in again.passages] == [p.to_dict() for p in corpus.passages]
    doc = corpus.documents[D003]
    reparsed = parse_document(doc, corpus.text_of(D003))
    assert [p.passage_id for p in reparsed.passages] == [p.passage_id for p in corpus.parsed[D003].passages]


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_passage_length_limits(passages_of, doc_id):
    for p in passages_of[doc_id]:
        assert p.text.strip(), p.passage_id
        assert p.text == p.text.strip(), p.passage_id
        limit = TABLE_ROW_LIMIT if p.kind is PassageKind.TABLE_ROW else DEFAULT_MAX_CHARS
        assert len(p.text) <= limit, (p.passage_id, len(p.text))


def test_smaller_limit_is_respected(corpus):
    doc = corpus.documents[D001]
    passages = parse_document(doc, corpus.text_of(D001), max_chars=120).passages
    assert max(len(p.text) for p in passages) <= 120
    assert len(passages) > len(corpus.parsed[D001].passages)
    # every clause part keeps its clause's fields
    parts = containing(passages, "（市政务服务和大数据局牵头，市直各相关部门负责）")
    assert parts
    for part in [p for p in passages if p.section_path[-1] == "（三）深化政务流程再造"]:
        assert (part.lead, part.responsible) == (("市政务服务和大数据局",), ("市直各相关部门",))


def test_passage_kinds_per_document(passages_of):
    kinds = {doc_id: {p.kind for p in passages} for doc_id, passages in passages_of.items()}
    for doc_id in ALL_DOCS:
        assert PassageKind.HEADER in kinds[doc_id] and PassageKind.CLAUSE in kinds[doc_id]
    assert PassageKind.TABLE_ROW in kinds[D004] and PassageKind.DEFINITION in kinds[D004]
    assert all(p.kind is not PassageKind.TABLE_ROW for p in passages_of[D000])


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_header_passage(corpus, passages_of, doc_id):
    doc = corpus.documents[doc_id]
    header = [p for p in passages_of[doc_id] if p.kind is PassageKind.HEADER]
    assert len(header) == 1
    assert header[0] is passages_of[doc_id][0]
    assert header[0].source.char_start < 200
    assert norm(doc.doc_number) in norm(header[0].text)
    assert header[0].section_path == (doc.title,)


# -- outline -------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_outline_indexes_every_passage_once(corpus, parsed, doc_id):
    outline = parsed[doc_id].outline
    assert outline.title == corpus.documents[doc_id].title and outline.level == 0
    listed = [pid for section in walk(outline) for pid in section.passage_ids]
    assert sorted(listed) == sorted(p.passage_id for p in parsed[doc_id].passages)
    by_id = {p.passage_id: p for p in parsed[doc_id].passages}

    def check(section: Section, path: tuple[str, ...]) -> None:
        path = (*path, section.title)
        for pid in section.passage_ids:
            assert by_id[pid].section_path == path, pid
        for child in section.children:
            assert child.level > section.level
            check(child, path)

    check(outline, ())


def test_split_clause_with_short_tail_loses_nothing(corpus):
    doc = corpus.documents[D004]
    passages = parse_document(doc, corpus.text_of(D004), max_chars=400).passages
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    assert containing(passages, "协调推进国省干线、农村公路建设投资")
