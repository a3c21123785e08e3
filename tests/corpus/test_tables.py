"""Table rows carry their header (merged over header rows, carried over page breaks) and caption."""

from __future__ import annotations

from corpus.lines import clean_lines
from corpus.models import PassageKind
from corpus.tables import Header, _merge_header, cells, parse_table, row_text
from tests.corpus.helpers import D004, containing, only


def table_lines(markdown: str):
    return clean_lines(markdown).lines


def rows_of(passages):
    return [p for p in passages if p.kind is PassageKind.TABLE_ROW]


# -- on the real tables of 004 -------------------------------------------------------------------


def test_row_carries_header_and_caption(passages_of):
    passage = only(rows_of(passages_of[D004]), "移动政务服务能力")
    assert passage.text.split("\n") == [
        "政务服务指标提升对比表",
        "| 序号 | 指标（项目） | 现状水平 | 2022年12月目标 |",
        "| 2 | 移动政务服务能力 | 注册用户数107万；上线事项数102项 | 注册用户数突破131万、上线事项数突破200项。 |",
    ]
    assert "指标（项目）" in passage.text and "现状水平" in passage.text
    assert passage.source.line_start == 2376


def test_all_rows_of_a_table_carry_the_same_header(passages_of):
    rows = [p for p in rows_of(passages_of[D004]) if "政务服务指标提升对比表" in p.text]
    assert len(rows) == 5
    assert len({p.text.split("\n")[1] for p in rows}) == 1


def test_table_continued_after_page_break_keeps_first_header(passages_of):
    # 004 lines 997-1009: the electricity table, cut by footnotes 11 and 12 and a page break
    first = only(rows_of(passages_of[D004]), "高压单电源普通客户（重要）")
    second = only(rows_of(passages_of[D004]), "高压双电源普通客户（重要）")
    assert second.source.line_start == 1008
    for passage in (first, second):
        assert "供电方案答复" in passage.text
        assert "合计办理时间" in passage.text
        assert "现行国家规定时限" in passage.text
    assert first.text.split("\n")[-2] == second.text.split("\n")[-2]  # the same header line
    assert "| | | |" not in second.text  # the empty repeated header is not used


def test_two_row_header_is_merged(passages_of):
    passage = only(rows_of(passages_of[D004]), "高压单电源普通客户（重要）")
    header = passage.text.split("\n")[-2]
    assert header == ("| 客户类型 | 各环节办理时间/申请受理 | 各环节办理时间/供电方案答复 | 各环节办理时间/设计审查 "
                      "| 各环节办理时间/中间检查 | 各环节办理时间/竣工验收 | 各环节办理时间/装表接电 | 合计办理时间 "
                      "| 现行国家规定时限 | 压减比例 |")
    assert passage.text.startswith("单位：工作日")  # the unit line above the table is its caption


def test_group_header_over_sub_headers(passages_of):
    passage = only(rows_of(passages_of[D004]), "工程地质勘察")
    assert "表2：社会投资小型低风险产业类项目办理建筑许可环节和时间" in passage.text
    assert "| 2022 年底/序号 | 2022 年底/环节（个） | 2022 年底/时间（工作日） |" in passage.text


def test_rows_after_empty_header_block_in_same_table(passages_of):
    # 004 lines 1115-1123: `| | | | | |` + separator repeated mid-table after a page break
    passage = only(rows_of(passages_of[D004]), "获得用气时间(工作日)")
    assert "获得用水用气指标提升对比表" in passage.text
    assert "| 指标（项目） | 现状水平 |" in passage.text


def test_every_row_has_a_header_and_no_separator(passages_of):
    rows = rows_of(passages_of[D004])
    assert len(rows) >= 26
    for passage in rows:
        lines = passage.text.split("\n")
        assert lines[-1].startswith("|") and lines[-2].startswith("|"), passage.passage_id
        assert "---" not in passage.text, passage.passage_id
        assert passage.section_path[-1].endswith(("指标对比", "提升目标", "工作目标")), passage.passage_id


def test_table_row_is_found_by_gold_evidence(passages_of):
    assert containing(rows_of(passages_of[D004]), "| 2 | 移动政务服务能力 | 注册用户数107万；上线事项数102项 |")


# -- tables.py units -------------------------------------------------------------------------------


def test_merge_header_fills_group_heading_to_the_right():
    rows = [["客户类型", "各环节办理时间", "", "", "合计"], ["", "申请受理", "装表接电", "", ""]]
    # only over columns that have a sub-heading: column 3 has none and stays empty
    assert _merge_header(rows) == ("客户类型", "各环节办理时间/申请受理", "各环节办理时间/装表接电", "", "合计")


def test_parse_table_with_two_row_header():
    lines = table_lines(
        "| 客户类型 | 各环节办理时间 | | 合计办理时间 |\n"
        "|---|---|---|---|\n"
        "| | 申请受理 | 装表接电 | |\n"
        "| 低压居民 | 1 | 2 | 3 |\n"
        "| 低压非居民 | 1 | 4 | 5 |\n"
    )
    header, rows = parse_table(lines, None)
    assert header.cells == ("客户类型", "各环节办理时间/申请受理", "各环节办理时间/装表接电", "合计办理时间")
    assert [cells(row.line) for row in rows] == [["低压居民", "1", "2", "3"], ["低压非居民", "1", "4", "5"]]
    assert len(header.lines) == 2
    assert rows[0].header == "| 客户类型 | 各环节办理时间/申请受理 | 各环节办理时间/装表接电 | 合计办理时间 |"


def test_parse_table_continuation_uses_previous_header():
    previous = Header(("指标", "现状水平"), ())
    lines = table_lines("| | |\n|---|---|\n| 办理时间 | 1天 |\n")
    header, rows = parse_table(lines, previous)
    assert header is previous
    assert [row.header for row in rows] == ["| 指标 | 现状水平 |"]


def test_parse_table_without_separator_is_all_data():
    header, rows = parse_table(table_lines("| 5. 方案甲..... | 77 |\n| 6. 方案乙..... | 84 |\n"), None)
    assert header.cells == ()
    assert [row.header for row in rows] == ["", ""]


def test_row_text_orders_caption_header_row():
    lines = table_lines("| 指标 | 值 |\n|---|---|\n| 环节 | 4 |\n")
    _, [row] = parse_table(lines, None)
    caption = clean_lines("对比表").lines[0].text
    assert row_text(row, caption) == "对比表\n| 指标 | 值 |\n| 环节 | 4 |"
    assert row_text(row, None) == "| 指标 | 值 |\n| 环节 | 4 |"


def test_two_row_header_with_sub_headings_only_under_spanning_cells():
    lines = table_lines(
        "| 序号 | 门诊特定病种 | 统筹基金最高支付限额 | 有效期 |\n"
        "|---|---|---|---|\n"
        "| 分类 | 病种名称 | 职工医保 | 城乡居民医保 |\n"
        "| 1 | 一类 | 高血压病 | 200元/月 | 50元/月 | 长期 |\n"
        "| 2 | 二类 | 重型β地中海贫血 | 3000元/月 | 两年 |\n"
    )
    header, rows = parse_table(lines, None)
    assert header.cells == ("序号", "门诊特定病种/分类", "门诊特定病种/病种名称", "统筹基金最高支付限额/职工医保",
                            "统筹基金最高支付限额/城乡居民医保", "有效期")
    assert rows[0].header == header.render()
    # a short row: one amount for both schemes, under the group's name
    assert rows[1].header == "| 序号 | 门诊特定病种/分类 | 门诊特定病种/病种名称 | 统筹基金最高支付限额 | 有效期 |"


def test_two_row_header_with_a_full_second_row():
    lines = table_lines(
        "| 指标 | 办理时间 | 备注 |\n"
        "|---|---|---|---|\n"
        "| | 申请受理 | 装表接电 | |\n"
        "| 低压居民 | 1 | 2 | 无 |\n"
    )
    header, _ = parse_table(lines, None)
    assert header.cells == ("指标", "办理时间/申请受理", "办理时间/装表接电", "备注")


def test_task_table_rows_carry_their_units_and_deadline():
    from corpus.models import Document
    from corpus.parser import parse_document

    source = ("# 测试市重点任务分工表\n\n| 序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限 |\n|---|---|---|---|---|\n"
              "| 1 | 压缩企业开办时间 | 市市场监管局 | 市公安局、市税务局 | 2024年6月底 |\n"
              "| 2 | 推行水电气联合报装 | 市住房城乡建设局 | —— | 长期坚持 |\n")
    document = Document("904_table", "904_table.txt", "测试市重点任务分工表", None, None, None, None, None, None, None)
    first, second = [p for p in parse_document(document, source).passages if p.kind is PassageKind.TABLE_ROW]
    assert (first.lead, first.responsible, first.cooperate, first.deadline) == \
        (("市市场监管局",), (), ("市公安局", "市税务局"), "2024年6月底")
    assert (second.lead, second.cooperate, second.deadline) == (("市住房城乡建设局",), (), "长期坚持")
