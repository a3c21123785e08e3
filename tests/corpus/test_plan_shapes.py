"""Notices and plans of other shapes than the bundled five, on the real documents of ../shared:
`（责任部门：…。时间节点：…）` notes, numbering that restarts in each section, a title repeated as
heading and line, a 58-row table with a two-row header, short rows and `——` cells, signature and
end-matter lines kept out of clause bodies; and a notice with such a plan written for one rule."""

from __future__ import annotations

from corpus.models import Document, PassageKind
from corpus.parser import parse_document
from tests.corpus.helpers import containing, only
from tests.corpus.shared_documents import TITLES, needs_shared, parsed_shared

pytestmark = needs_shared

U06 = "measure/u06_shanghai_gongcheng_yingshang_fangan_2026.txt"
U08 = "measure/u08_guangzhou_menzhen_tebing.txt"
SHANGHAI = "samples/shanghai_dajian_yunshu_yijianshi_2025.txt"


def rows(name: str):
    return [p for p in parsed_shared(name).passages if p.kind is PassageKind.TABLE_ROW]


# -- a notice whose plan writes （责任部门：…。时间节点：…） ---------------------------------------------

def test_responsible_department_and_time_note():
    passage = only(parsed_shared(SHANGHAI).passages, "（二）联调联试阶段")
    assert passage.section_path == (TITLES[SHANGHAI], "三、实施步骤", "（二）联调联试阶段")
    assert passage.text.endswith("（责任部门：市交通委、市公安局、市大数据中心。时间节点：2025年4月）")
    assert passage.responsible == ("市交通委", "市公安局", "市大数据中心")
    assert passage.lead == passage.cooperate == ()
    assert passage.deadline == "2025年4月"


def test_notice_header_ends_where_the_plan_title_repeats():
    passages = parsed_shared(SHANGHAI).passages
    header = passages[0]
    assert header.kind is PassageKind.HEADER
    assert header.text.split("\n")[-2:] == ["市交通委市公安局", "2025年4月1日"]
    assert "同时废止" in header.text
    plan = passages[1]
    assert plan.kind is PassageKind.TEXT and plan.text.startswith("高效办成大件运输“一件事”实施方案\n为贯彻落实")


def test_closing_list_of_annexes_belongs_to_the_notice():
    annexes = only(parsed_shared(SHANGHAI).passages, "附件：1．大件运输“一件事”申请材料清单")
    assert annexes.kind is PassageKind.TEXT
    assert annexes.section_path == (TITLES[SHANGHAI],)  # not part of `（三）正式运行阶段`
    last = only(parsed_shared(SHANGHAI).passages, "（三）正式运行阶段")
    assert "附件" not in last.text


# -- numbering that restarts in each section; the title as `#` heading and as a line -----------------

def test_numbering_restarts_under_each_topic():
    passages = parsed_shared(U06).passages
    firsts = [p.section_path[1:] for p in passages if p.section_path[-1].startswith("1.")]
    assert firsts == [
        ("一、聚焦实际需求，提升市场主体获得感", "1.提升工程项目全流程审批效能"),
        ("二、激发竞争活力，促进建筑市场健康有序发展", "1.促进行业转型发展"),
        ("三、夯实服务底座，打造高效便捷的政务环境", "1.深化“一个中心”建设"),
    ]
    closing = only(passages, "强化改革举措跟踪问效")
    assert closing.section_path[1:] == ("四、加强工作保障，推动改革举措见行见效",)


def test_title_repeated_as_heading_and_line():
    passages = parsed_shared(U06).passages
    header = passages[0]
    title = "上海市住房和城乡建设管理委员会上海市规划和自然资源局关于印发《上海市加快打造工程建设领域国际一流营商环境行动方案（2026年）》的通知"
    assert header.text.split("\n")[:3] == [title, title, "沪建建管联〔2026〕188号"]
    assert passages[1].text == TITLES[U06] and passages[1].kind is PassageKind.TEXT


# -- a notice with a 58-row table ----------------------------------------------------------------------

FULL_HEADER = ("| 序号 | 门诊特定病种/分类 | 门诊特定病种/病种名称 | 统筹基金最高支付限额/职工医保 "
               "| 统筹基金最高支付限额/城乡居民 医保 | 审核确认 有效期 |")


def test_two_row_header_under_spanning_cells():
    table = rows(U08)
    assert len(table) == 58  # the second header row is not a row of data
    first = only(table, "| 1 | 一类 | 高血压病 |")
    assert first.text.split("\n") == [FULL_HEADER, "| 1 | 一类 | 高血压病 | 200元/月 | 50元/月 | 长期 |"]
    assert first.section_path == (TITLES[U08], "附件1 广州市社会医疗保险门诊特定病种范围、最高支付限额标准及审核确认有效期")
    assert all(p.source.line_start == p.source.line_end for p in table)


def test_short_row_merges_a_spanned_group():
    # one amount for both insurance schemes: the header names the group, not its two columns
    row = only(rows(U08), "| 41 | 二类 | 重型β地中海贫血 |")
    assert row.text.split("\n") == [
        "| 序号 | 门诊特定病种/分类 | 门诊特定病种/病种名称 | 统筹基金最高支付限额 | 审核确认 有效期 |",
        "| 41 | 二类 | 重型β地中海贫血 | 3000元/月 | 两年 |"]
    last = only(rows(U08), "| 58 | 二类 | 急诊留院观察 |")
    assert last.text.split("\n")[0].split(" | ")[-2:] == ["统筹基金最高支付限额", "审核确认 有效期 |"]


def test_dash_cell_keeps_the_full_header():
    row = only(rows(U08), "| 40 | 二类 | 小儿脑性瘫痪 |")
    assert row.text.split("\n") == [FULL_HEADER, "| 40 | 二类 | 小儿脑性瘫痪 | —— | 640元/月 | 两年 |"]


def test_signature_and_end_matter_are_text_of_the_notice():
    passages = parsed_shared(U08).passages
    signature = only(passages, "2019年6月14日")
    assert signature.kind is PassageKind.TEXT and signature.section_path == (TITLES[U08],)
    assert signature.text.split("\n") == ["广州市医疗保障局广州市财政局", "广州市卫生健康委员会", "2019年6月14日"]
    end = passages[-1]
    assert (end.kind, end.text, end.section_path) == (PassageKind.TEXT, "公开方式：主动公开", (TITLES[U08],))
    assert not [p for p in passages if p.kind is PassageKind.CLAUSE and "公开方式" in p.text]


def test_parts_of_an_annex_are_divisions_above_its_topics():
    passage = only(parsed_shared(U08).passages, "非同日3次测量血压高于140/90mmHg")
    assert passage.section_path[1:] == ("附件2 广州市社会医疗保险门诊特定病种准入标准", "第一部分 一类门诊特定病种",
                                        "一、高血压病")
    [hepatitis] = [p for p in containing(parsed_shared(U08).passages, "慢性乙型肝炎") if p.kind is PassageKind.CLAUSE]
    assert hepatitis.section_path[2:] == ("第二部分 二类门诊特定病种", "三十四、慢性乙型肝炎")


# -- end matter written for one rule ---------------------------------------------------------------------

NOTICE = """测试市人民政府办公室文件

测政办〔2024〕2号

关于印发《测试市营商环境行动方案》的通知

各县（市、区）人民政府：

现将《测试市营商环境行动方案》印发给你们，请认真贯彻落实。

测试市人民政府办公室

2024年3月1日

（此件公开发布）

测试市营商环境行动方案

一、重点任务

（一）压缩开办时间。企业开办时间压缩至1个工作日。（市市场监管局牵头，市公安局、市税务局配合）

（二）优化办电服务。低压办电时间压缩至5个工作日。

抄送：市委各部门，市人大常委会办公室。

测试市人民政府办公室 2024年3月1日印发
"""


def test_end_matter_never_joins_the_last_clause():
    document = Document("902_notice", "902_notice.txt", "测试市营商环境行动方案", None, None, None, None, None, None, None)
    parsed = parse_document(document, NOTICE)
    last = only(parsed.passages, "（二）优化办电服务")
    assert last.text == "（二）优化办电服务。低压办电时间压缩至5个工作日。"
    end = parsed.passages[-1]
    assert end.kind is PassageKind.TEXT and end.section_path == ("测试市营商环境行动方案",)
    assert end.text.split("\n") == ["抄送：市委各部门，市人大常委会办公室。", "测试市人民政府办公室2024年3月1日印发"]
    assert "（此件公开发布）" in parsed.passages[0].text  # in the notice, before the plan
    first = only(parsed.passages, "（一）压缩开办时间")
    assert (first.lead, first.cooperate) == (("市市场监管局",), ("市公安局", "市税务局"))
    assert parsed.coverage == 1.0


def test_a_date_in_a_clause_is_not_a_signature():
    source = "# 测试市营商环境行动方案\n\n一、时间安排\n\n（一）完成验收的日期\n\n2024年6月30日\n\n届时完成全部验收工作。\n"
    document = Document("903_plan", "903_plan.txt", "测试市营商环境行动方案", None, None, None, None, None, None, None)
    parsed = parse_document(document, source)
    clause = only(parsed.passages, "2024年6月30日")
    assert clause.kind is PassageKind.CLAUSE and clause.section_path[-1] == "（一）完成验收的日期"
    assert clause.text.endswith("届时完成全部验收工作。")
