"""parse_document on tiny hand-written documents: each shows one rule in isolation."""

from __future__ import annotations

import pytest

from corpus.models import Document, PassageKind
from corpus.parser import parse_document
from tests.corpus.helpers import containing, squash

TITLE = "测试市2024年优化营商环境工作方案"
HEADER = """测试市优化营商环境工作领导小组办公室文件

测营商办〔2024〕1号

关于印发《测试市 2024 年优化营商环境工作方案》的通知

各县（市、区）人民政府：

现将《测试市 2024 年优化营商环境工作方案》印发给你们，请认真贯彻落实。

测试市 2024 年优化营商环境工作方案

"""

PLAN = HEADER + """一、工作目标

（一）压缩办电时间。2024 年 6 月底前，低压居民用户接电时间压缩至 3 个工作日以内，全面推行

- 7 -

线上办电服务。■

责任单位：市发展改革委、测试供电公司

完成时限：2024 年 12 月

二、指标对比

表 1：办电时间对比表

单位：工作日

| 客户类型 | 各环节办理时间 | | 合计办理时间 |
|---|---|---|---|
| | 申请受理 | 装表接电 | |
| 低压居民 | 1 | 2 | 3 |
| 低压非居民 | 1 | 4 | 5 |

1 “零上门”：是指客户无需往返营业厅。
"""

LIST = HEADER + """一、实施范围

（一）明确适用范围。本方案所指的小型项目，是指同时满足下列条件的项目：

（一）总建筑面积不大于 10000 平方米；

（二）建筑高度不超过 24 米；

（三）功能单一。

二、工作目标

到 2024 年底，办理建筑许可时间压缩至 30 天以内。
"""

BARE_ITEM = HEADER + """一、保障措施

（一）加强组织领导。

（二）强化督查考核。市营商办定期通报各单位工作进展，对工作不力的单位进行约谈。
"""


def parse(source: str):
    doc = Document("900_synthetic", "900_synthetic.txt", TITLE, "测试市优化营商环境工作领导小组办公室",
                   "测营商办〔2024〕1号", "河南省", "测试市", None, 2024, None)
    return parse_document(doc, source)


@pytest.fixture(scope="module")
def plan():
    return parse(PLAN)


def test_synthetic_header(plan):
    header = plan.passages[0]
    assert header.kind is PassageKind.HEADER
    assert "测营商办〔2024〕1号" in header.text
    assert "关于印发《测试市2024年优化营商环境工作方案》的通知" in header.text
    assert header.section_path == (TITLE,)


def test_synthetic_clause_joined_over_page_number(plan):
    [clause] = [p for p in plan.passages if p.kind is PassageKind.CLAUSE]
    assert clause.text.split("\n") == [
        "（一）压缩办电时间。2024年6月底前，低压居民用户接电时间压缩至3个工作日以内，全面推行线上办电服务。",
        "责任单位：市发展改革委、测试供电公司",
        "完成时限：2024年12月",
    ]
    assert clause.section_path == (TITLE, "一、工作目标", "（一）压缩办电时间")
    assert clause.responsible == ("市发展改革委", "测试供电公司")
    assert clause.deadline == "2024年12月"
    assert (clause.source.line_start, clause.source.line_end) == (15, 23)
    cited = PLAN[clause.source.char_start : clause.source.char_end]
    assert cited.startswith("（一）压缩办电时间") and cited.endswith("完成时限：2024 年 12 月")
    assert "- 7 -" in cited and "■" in cited  # debris inside the span, not in the text


def test_synthetic_multi_row_header_table(plan):
    rows = [p for p in plan.passages if p.kind is PassageKind.TABLE_ROW]
    assert [p.text.split("\n")[-1] for p in rows] == ["| 低压居民 | 1 | 2 | 3 |", "| 低压非居民 | 1 | 4 | 5 |"]
    for row in rows:
        caption, header, _ = row.text.split("\n")
        assert caption == "表1：办电时间对比表 单位：工作日"
        assert header == "| 客户类型 | 各环节办理时间/申请受理 | 各环节办理时间/装表接电 | 合计办理时间 |"
        assert row.section_path == (TITLE, "二、指标对比")
        assert row.source.line_start == row.source.line_end
    assert rows[1].source.line_start == PLAN.split("\n").index("| 低压非居民 | 1 | 4 | 5 |") + 1


def test_synthetic_footnote_definition(plan):
    [definition] = [p for p in plan.passages if p.kind is PassageKind.DEFINITION]
    assert definition.term == "零上门"
    assert squash(definition.text) == "1“零上门”：是指客户无需往返营业厅。"


def test_synthetic_nothing_lost(plan):
    assert plan.coverage == 1.0
    kinds = [p.kind for p in plan.passages]
    assert kinds == [PassageKind.HEADER, PassageKind.TEXT, PassageKind.CLAUSE,
                     PassageKind.TABLE_ROW, PassageKind.TABLE_ROW, PassageKind.DEFINITION]


def test_synthetic_first_list_item_stays_with_its_lead_in():
    passages = parse(LIST).passages
    [lead] = containing(passages, "是指同时满足下列条件的项目：")
    assert "（一）总建筑面积不大于10000平方米；" in lead.text
    assert lead.section_path[-1] == "（一）明确适用范围"
    assert containing(passages, "到2024年底，办理建筑许可时间压缩至30天以内")


def test_synthetic_whole_list_stays_in_one_passage():
    parsed = parse(LIST)
    [lead] = containing(parsed.passages, "是指同时满足下列条件的项目：")
    assert "（二）建筑高度不超过24米；" in lead.text
    assert "（三）功能单一。" in lead.text
    assert parsed.coverage == 1.0


def test_synthetic_one_line_item_is_kept():
    parsed = parse(BARE_ITEM)
    assert containing(parsed.passages, "加强组织领导")
    assert parsed.coverage == 1.0
