"""Lead, responsible and cooperating units and deadlines: fields.split_units / extract_fields, and on
the real clauses."""

from __future__ import annotations

import re

import pytest

from corpus.fields import extract_fields, split_units
from corpus.models import PassageKind
from tests.corpus.helpers import D000, D001, D002, D003, D004, containing, norm, only

FIELD_LINE = re.compile(r"^[（(]?(责任单位|牵头单位|配合单位|时间节点|完成时限|完成时间)\s*[：:]")

# -- split_units / extract_fields --------------------------------------------------------------


def test_split_units_keeps_bracketed_county_list_whole():
    assert split_units("市政务和大数据局牵头，各县（市、区）政府配合") == ["市政务和大数据局", "各县（市、区）政府"]
    assert split_units("各县（市、区）政府") == ["各县（市、区）政府"]
    assert split_units("各县(市、区)人民政府、市直有关部门") == ["各县(市、区)人民政府", "市直有关部门"]


def test_split_units_strips_role_words():
    assert split_units("市商务局、市财政局、三门峡海关等相关部门按职责分工负责") == ["市商务局", "市财政局", "三门峡海关"]
    assert split_units("市市场监管局牵头，市公安局、税务局等部门配合，各县（市、区）负责") == \
        ["市市场监管局", "市公安局", "税务局", "各县（市、区）"]
    assert split_units("人行三门峡市中支。") == ["人行三门峡市中支"]


def test_split_units_keeps_two_level_unit_and_drops_duplicates():
    assert split_units("市、县两级政务服务和大数据管理部门") == ["市、县两级政务服务和大数据管理部门"]
    assert split_units("市税务局、市税务局") == ["市税务局"]


def test_split_units_keeps_hexagonal_brackets_whole():
    assert split_units("市政务服务和大数据管理局、各县〔市、区〕人民政府") == ["市政务服务和大数据管理局", "各县〔市、区〕人民政府"]


def test_extract_fields_reads_labelled_lines():
    fields = extract_fields("1.做某事。\n时间节点：2022年12月\n责任单位：市商务局、市财政局、三门峡海关等相关部门按职责分工负责")
    assert fields.responsible == ("市商务局", "市财政局", "三门峡海关")
    assert fields.deadline == "2022年12月"


def test_extract_fields_reads_inline_parenthesis():
    fields = extract_fields("（一）做某事。(责任单位:市政务服务和大数据管理局、各县（市、区）人民政府;完成时限:2023年12月底)")
    assert fields.responsible == ("市政务服务和大数据管理局", "各县（市、区）人民政府")
    assert fields.deadline == "2023年12月底"


def test_extract_fields_trailing_duty_without_label():
    fields = extract_fields("（一）全面提升行政审批质效。清理规范行政许可事项。（市政务服务和大数据局、市委编办负责）")
    assert fields.responsible == ("市政务服务和大数据局", "市委编办")
    assert fields.deadline is None


def test_extract_fields_nothing_to_find():
    fields = extract_fields("为深入贯彻落实党中央决策部署，制定本方案。")
    assert fields.responsible == () and fields.deadline is None


def test_extract_fields_lead_and_responsible_in_one_parenthesis():
    fields = extract_fields("（十一）加强思想政治引领。开展活动。（牵头单位：县委统战部，责任单位：县工商联、县委宣传部）")
    assert fields.lead == ("县委统战部",)
    assert fields.responsible == ("县工商联", "县委宣传部")
    assert fields.cooperate == ()


# -- on the real clauses ----------------------------------------------------------------------


def test_000_electricity_clause_responsible(passages_of):
    passage = only(passages_of[D000], "（二十八）方便企业获得电力")
    assert "市发展改革委" in passage.responsible
    assert passage.responsible == ("市发展改革委", "市政务服务和大数据管理局", "市供电公司")


def test_004_cross_border_warehouse_clause(passages_of):
    passage = only(passages_of[D004], "推动跨境电商海外仓建设")
    assert passage.kind is PassageKind.CLAUSE
    assert passage.responsible == ("市商务局", "市财政局", "三门峡海关")
    assert "责任单位：市商务局、市财政局、三门峡海关等相关部门按职责分工负责" in passage.text
    assert passage.deadline == "2022年12月"  # `时间节点：2022年12月`
    assert passage.section_path[-1] == "7.推动跨境电商海外仓建设"


def test_004_responsible_line_cut_by_page_break(passages_of):
    passage = only(passages_of[D004], "36.加快完善市普惠金融服务平台")
    assert passage.responsible == ("市金融局", "市财政局", "人行三门峡市中支", "三门峡银保监分局", "市政务和大数据局")


def test_004_units_named_with_county_list(passages_of):
    passage = only(passages_of[D004], "1.提高政务服务事项便利度")
    # `责任单位：市政务和大数据局牵头，各县（市、区）政府、市直相关部门配合`
    assert passage.lead == ("市政务和大数据局",)
    assert passage.cooperate == ("各县（市、区）政府", "市直相关部门")
    assert passage.units == ("市政务和大数据局", "各县（市、区）政府", "市直相关部门")


def test_003_deadline_and_units_from_field_lines(passages_of):
    passage = only(passages_of[D003], "全面实行建设用地规划许可证、建设工程规划证、施工许可证电子证照")
    assert passage.deadline == "2021年5月"  # `完成时限：2021 年 5 月`
    assert passage.responsible == ("县自然资源局", "县住房城乡建设局")


def test_002_inline_deadline(passages_of):
    passage = only(passages_of[D002], "全面优化已实施100项")
    assert passage.deadline == "2023年12月底"
    assert passage.responsible[0] == '各"一件事"牵头单位'


def test_001_trailing_duty(passages_of):
    passage = only(passages_of[D001], "（一）全面提升行政审批质效")
    assert passage.responsible == ("市政务服务和大数据局", "市委编办")
    assert passage.deadline is None


def test_every_clause_with_a_responsible_label_has_units(passages_of):
    missing = [p.passage_id for passages in passages_of.values() for p in passages
               if p.kind is PassageKind.CLAUSE and re.search(r"责任单位\s*[：:]\s*\S", p.text) and not p.units]
    assert not missing


def test_parts_of_a_split_clause_share_its_fields(passages_of):
    for passages in passages_of.values():
        for before, after in zip(passages, passages[1:]):
            if before.kind is after.kind is PassageKind.CLAUSE and before.section_path == after.section_path \
                    and not FIELD_LINE.match(before.text.split("\n")[-1]):
                # `before` is not closed by its own 责任单位 / 时间节点 lines: `after` is the rest of its clause
                assert (before.lead, before.responsible, before.cooperate, before.deadline) == \
                    (after.lead, after.responsible, after.cooperate, after.deadline), after.passage_id
    parts = [p for p in passages_of[D003] if p.section_path[-1] == "2.一站式联合验收备案"]
    assert len(parts) == 3 and parts[0].units == parts[1].units != ()
    assert parts[0].lead == parts[1].lead == ("县住房城乡建设局",)
    # 003 line 264, after the item's 责任单位 line: a further task of item 2, with units of its own (line 266)
    assert norm(parts[2].text).startswith("办理不动产登记时") and parts[2].source.line_start == 264
    assert (parts[2].lead, parts[2].cooperate) == (("县自然资源局",), ("县住房城乡建设局",))


def test_deadlines_look_like_deadlines(passages_of):
    deadlines = {p.deadline for passages in passages_of.values() for p in passages if p.deadline}
    assert {"2022年12月", "2021年5月", "2023年12月底", "持续推进"} <= deadlines
    for deadline in deadlines:
        assert "责任单位" not in deadline and "\n" not in deadline


def passage_at(passages, line: int, needle: str):
    [passage] = [p for p in containing(passages, needle) if p.source.line_start <= line <= p.source.line_end]
    return passage


def test_field_line_does_not_swallow_next_paragraph(passages_of):
    p = passage_at(passages_of[D003], 262, "整合联合验收和验收备案等环节")
    assert p.lead == ("县住房城乡建设局",)
    assert p.cooperate == ("县自然资源局", "县发展改革委", "县人防办", "县水务公司", "国网修武县供电公司")
    assert "配合办理不动产登记时" not in norm(p.text)
    p = passage_at(passages_of[D003], 334, "完善费用减免政策措施")
    assert p.responsible == ("县住房城乡建设局", "县财政局", "县人防办", "县水利局", "修武县水务公司", "国网修武县供电公司")
    p = passage_at(passages_of[D004], 537, "建立数字化产业链分析机制")
    # `责任单位:市工信局、市政务和大数据局牵头,市直相关单位配合`: the role word closes the run before it
    assert (p.lead, p.responsible, p.cooperate) == (("市工信局", "市政务和大数据局"), (), ("市直相关单位",))
    p = passage_at(passages_of[D004], 755, "进一步降低办理建筑许可成本")
    assert not any("物流仓储" in unit or "配套费" in unit for unit in p.units)


def test_units_look_like_unit_names(passages_of):
    """Every unit is a short name: no clause punctuation, balanced brackets, at most 26 chars."""
    checked = 0
    for passages in passages_of.values():
        for p in passages:
            for unit in p.units:
                checked += 1
                assert len(unit) <= 26 and not re.search(r"[：:，,。；;]", unit), (p.passage_id, unit)
                assert unit.count("（") == unit.count("）") and unit.count("(") == unit.count(")"), (p.passage_id, unit)
    assert checked > 1000


def test_units_are_short_names(passages_of):
    for passages in passages_of.values():
        for p in passages:
            for unit in p.units:
                assert unit and unit == unit.strip(" 。.，、"), (p.passage_id, unit)
    assert containing(passages_of[D004], "三门峡海关等相关部门按职责分工负责")


# -- who leads: 牵头 / 责任 / 配合 in every form the documents use (lines copied from them) ----------------

ROLE_CASES = [
    # (where the line comes from, the line, lead, responsible, cooperate, deadline)
    ("001 L47", "（市市场监管局牵头，市公安局、税务局等部门配合，各县（市、区）负责）",
     ("市市场监管局",), ("各县（市、区）",), ("市公安局", "税务局"), None),
    ("001 L37", "继续压减工业产品生产许可证目录，开展企业条件审查和检查环节改革。（市市场监管局牵头）",
     ("市市场监管局",), (), (), None),
    ("001", "（市城管局、平顶山供电公司牵头、市自来水公司、燃气公司、热力集团公司负责）",
     ("市城管局", "平顶山供电公司"), ("市自来水公司", "燃气公司", "热力集团公司"), (), None),
    ("002", "(牵头单位:市自然资源和规划局;责任单位:市住房和城乡建设局、市住房保障中心;完成时限:2023年5月底)",
     ("市自然资源和规划局",), ("市住房和城乡建设局", "市住房保障中心"), (), "2023年5月底"),
    ("003", "（县政务服务和大数据管理局牵头，县直相关部门按职责分工负责）",
     ("县政务服务和大数据管理局",), ("县直相关部门",), (), None),
    ("003", "（县金融投资服务中心、县科技和工业信息化局、县财政局按职责分工负责）",
     (), ("县金融投资服务中心", "县科技和工业信息化局", "县财政局"), (), None),
    ("003", "（责任单位：县委宣传部牵头，县优化营商环境工作领导小组各成员单位配合）",
     ("县委宣传部",), (), ("县优化营商环境工作领导小组各成员单位",), None),
    ("004", "时间节点：2022年12月\n责任单位：市商务局、市财政局、三门峡海关等相关部门按职责分工负责",
     (), ("市商务局", "市财政局", "三门峡海关"), (), "2022年12月"),
    ("sample 上海", "（责任部门：市交通委、市公安局、市大数据中心。时间节点：2025年4月）",
     (), ("市交通委", "市公安局", "市大数据中心"), (), "2025年4月"),
    ("u04 第三条", "分别由发展改革、自然资源规划、行政审批服务和住房城乡建设部门牵头负责",
     ("发展改革", "自然资源规划", "行政审批服务和住房城乡建设部门"), (), (), None),
    ("001", "（市委组织部、科技局、商务局、教体局、文广旅局、卫健委、民政局、生态环境局、交通运输局分别牵头）",
     ("市委组织部", "科技局", "商务局", "教体局", "文广旅局", "卫健委", "民政局", "生态环境局", "交通运输局"), (), (), None),
    ("004", "责任单位：市财政局、市发展改革委、市公共资源交易中心等按职责分工落实",
     (), ("市财政局", "市发展改革委", "市公共资源交易中心"), (), None),
    ("003", "责任单位：县市场监督管理局、县政务服务和大数据管理局、县“双随机、一公开”工作领导小组各成员单位",
     (), ("县市场监督管理局", "县政务服务和大数据管理局", "县“双随机、一公开”工作领导小组各成员单位"), (), None),
    ("written", "牵头单位：市发展改革委\n配合单位：市财政局、市税务局",
     ("市发展改革委",), (), ("市财政局", "市税务局"), None),
    ("written", "具体工作由市政务服务和大数据管理局负责。", (), ("市政务服务和大数据管理局",), (), None),
    ("written", "责任单位：市发展改革委（牵头）、市财政局、市税务局；完成期限：2024年底前",
     ("市发展改革委",), ("市财政局", "市税务局"), (), "2024年底前"),
    ("written", "主责单位：市商务局；参与单位：市财政局", ("市商务局",), (), ("市财政局",), None),
]


@pytest.mark.parametrize(("where", "line", "lead", "responsible", "cooperate", "deadline"), ROLE_CASES,
                         ids=[case[0] for case in ROLE_CASES])
def test_roles_in_the_order_the_text_names_them(where, line, lead, responsible, cooperate, deadline):
    fields = extract_fields(line)
    assert (fields.lead, fields.responsible, fields.cooperate, fields.deadline) == \
        (lead, responsible, cooperate, deadline)


def test_by_whom_only_for_units_of_government():
    # 004: `…由设计单位负责`, `由客户承担接网工程费用并负责` name no unit of government
    assert extract_fields("设计费用由设计单位负责。由客户承担接网工程费用并负责。") == extract_fields("")


def test_lead_units_of_the_real_clauses(passages_of):
    passage = only(passages_of[D001], "全市推开“证照分离”改革")
    assert (passage.lead, passage.responsible, passage.cooperate) == (("市市场监管局",), (), ())
    passage = only(passages_of[D002], "实施新建商品房水、电、气、暖联动开户")
    # `(牵头单位:市城管局;责任单位:市政务服务和大数据管理局、市自然资源和规划局、国网焦作供电公司;完成时限: …)`
    assert passage.lead == ("市城管局",)
    assert passage.responsible == ("市政务服务和大数据管理局", "市自然资源和规划局", "国网焦作供电公司")
    assert passage.deadline == "2023年10月底"
    leads = sum(1 for passages in passages_of.values() for p in passages if p.lead)
    cooperating = sum(1 for passages in passages_of.values() for p in passages if p.cooperate)
    assert leads > 150 and cooperating > 50
