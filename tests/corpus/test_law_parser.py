"""Laws and regulations: 第X编 › 第X章 › 第X节 › 第X条, an article's paragraphs and items kept in it,
on the real regulations of ../shared (a State Council 条例, a provincial and a city 条例, two city
规定) and on small hand-written ones that each show one rule."""

from __future__ import annotations

import pytest

from corpus.headings import HeadingLevel, heading_label, heading_level
from corpus.models import Document, PassageKind
from corpus.parser import parse_document
from tests.corpus.helpers import containing, norm, only, squash
from tests.corpus.shared_documents import LAWS, TITLES, needs_shared, parsed_shared

pytestmark = needs_shared

U01 = "measure/u01_guowuyuan_youhua_yingshang_tiaoli.txt"
U02 = "measure/u02_guangdong_youhua_yingshang_tiaoli.txt"
U04 = "measure/u04_binzhou_gongcheng_binglian_shenpi.txt"
U05 = "measure/u05_shanghai_budongchan_dengji.txt"
YANTAI = "samples/yantai_youhua_yingshang_tiaoli_2021.txt"

# (document, article, its section path below the title, how its text starts)
KNOWN_ARTICLES = [
    (U01, "第十条", ("第二章 市场主体保护", "第十条"), "第十条 国家坚持权利平等、机会平等、规则平等"),
    (U01, "第七十二条", ("第七章 附则", "第七十二条"), "第七十二条 本条例自2020年1月1日起施行。"),
    (U02, "第三十条", ("第三章 政务服务", "第三十条"), "第三十条 省人民政府政务服务主管部门应当制定、公布"),
    (YANTAI, "第二条", ("第二条",), "第二条 本市行政区域内与优化营商环境相关的活动，适用本条例。"),
    (U04, "第四条", ("第四条",), "第四条 行政审批服务部门是本级人民政府并联审批工作的主管部门"),
    (U05, "第三条", ("第三条",), "第三条 下列不动产权利，依法办理登记："),
]


def article(name: str, label: str):
    parts = [p for p in parsed_shared(name).passages if p.section_path[-1] == label]
    assert parts, f"no passage of {name} under {label}"
    return parts


@pytest.mark.parametrize(("name", "label", "path", "start"), KNOWN_ARTICLES)
def test_known_article_path_and_text(name, label, path, start):
    [passage] = article(name, label)
    assert passage.kind is PassageKind.CLAUSE
    assert passage.section_path == (TITLES[name], *path)
    assert passage.text.startswith(start)


@pytest.mark.parametrize("name", LAWS)
def test_every_article_is_under_its_own_label(name):
    """After the header, every passage is an article (or a part of one) whose label is its number."""
    passages = parsed_shared(name).passages
    assert passages[0].kind is PassageKind.HEADER
    labels = []
    for passage in passages[1:]:
        label = passage.section_path[-1]
        assert heading_level(label) is HeadingLevel.ARTICLE, (passage.passage_id, passage.section_path)
        if not labels or labels[-1] != label:
            labels.append(label)
        if passage is article(name, label)[0]:
            assert passage.text.startswith(label), passage.passage_id  # the first part starts with 第X条
    assert len(labels) == len(set(labels))  # one article's parts are consecutive


def test_chapter_counts_of_the_state_council_regulation():
    passages = parsed_shared(U01).passages
    chapters = list(dict.fromkeys(p.section_path[1] for p in passages[1:]))
    assert chapters == ["第一章 总则", "第二章 市场主体保护", "第三章 市场环境", "第四章 政务服务",
                        "第五章 监管执法", "第六章 法治保障", "第七章 附则"]
    articles = {p.section_path[-1] for p in passages[1:]}
    assert len(articles) == 72


def test_unnumbered_paragraphs_stay_in_their_article():
    [second] = article(YANTAI, "第二条")
    assert second.text.split("\n") == ["第二条 本市行政区域内与优化营商环境相关的活动，适用本条例。",
                                       "国家、省对优化营商环境已有规定的，适用其规定。"]
    [fourth] = article(U04, "第四条")  # its duties are paragraphs without numbers
    assert "具体负责工程建设项目审批管理系统的建设、运行和管理" in fourth.text
    assert fourth.text.endswith("其他需要主管部门办理的事项。")


def test_items_are_part_of_the_article_not_sections():
    [third] = article(U05, "第三条")
    assert "\n（一）集体土地所有权；\n" in third.text
    assert third.text.endswith("（十一）法律规定需要登记的其他不动产权利。")
    for name in LAWS:
        for passage in parsed_shared(name).passages:
            assert not passage.section_path[-1].startswith(("（", "(")), (name, passage.section_path)


def test_long_article_is_split_between_its_items_under_its_label():
    parts = article(U01, "第六十九条")  # 11 items, over 500 characters
    assert len(parts) == 2
    assert parts[0].text.startswith("第六十九条 政府和有关部门及其工作人员有下列情形之一的")
    assert parts[1].text.startswith("(七)不履行向市场主体依法作出的政策承诺")  # cut between items, not inside one
    assert all(p.section_path == (TITLES[U01], "第六章 法治保障", "第六十九条") for p in parts)
    assert parts[1].text.endswith("(十一)其他不履行优化营商环境职责或者损害营商环境的情形。")


def test_article_split_at_a_smaller_limit_loses_nothing():
    name = U02
    document = parsed_shared(name).document
    from tests.corpus.shared_documents import source_of
    small = parse_document(document, source_of(name), max_chars=120)
    whole = "".join(squash(p.text) for p in parsed_shared(name).passages if p.section_path[-1] == "第四十三条")
    parts = [p for p in small.passages if p.section_path[-1] == "第四十三条"]
    assert len(parts) >= 4 and all(len(p.text) <= 120 for p in parts)
    assert "".join(squash(p.text) for p in parts) == whole
    assert small.coverage == 1.0


@pytest.mark.parametrize("name", LAWS)
def test_header_passage_holds_title_and_adoption_lines(name):
    header = parsed_shared(name).passages[0]
    assert header.kind is PassageKind.HEADER and header.section_path == (TITLES[name],)
    assert header.text.split("\n")[0] == TITLES[name]  # the `#` title, markdown dropped
    assert "通过" in header.text and "第一条" not in header.text


def test_provincial_regulation_header_and_approval():
    header = parsed_shared(YANTAI).passages[0]
    assert "2021年12月3日山东省第十三届人民代表大会常务委员会第三十二次会议批准" in header.text


def test_evidence_sentences_lie_in_one_passage():
    assert only(parsed_shared(U01).passages, "国家持续深化商事制度改革，统一企业登记业务规范")
    assert only(parsed_shared(U05).passages, "市自然资源确权登记局是本市不动产登记机构")


# -- small regulations written for one rule each -----------------------------------------------------

def parse(source: str, title: str = "测试市优化营商环境条例"):
    return parse_document(Document("901_law", "901_law.txt", title, None, None, None, None, None, None, None), source)


def paths(parsed) -> list[tuple[str, ...]]:
    return [p.section_path[1:] for p in parsed.passages]


def test_full_width_space_and_sections_and_parts():
    parsed = parse("# 测试市优化营商环境条例\n\n第一编　总则\n\n第一章　一般规定\n\n第一节　适用范围\n\n"
                   "第一条　为了优化营商环境，制定本条例。\n\n第二节 原则\n\n第二条 坚持市场化原则。\n")
    assert paths(parsed)[1:] == [("第一编 总则", "第一章 一般规定", "第一节 适用范围", "第一条"),
                                 ("第一编 总则", "第一章 一般规定", "第二节 原则", "第二条")]
    assert parsed.passages[1].text == "第一条　为了优化营商环境，制定本条例。"  # the space after the number stays
    assert parsed.coverage == 1.0


def test_arabic_article_numbers():
    parsed = parse("# 测试市优化营商环境条例\n\n第1条 为了优化营商环境，制定本条例。\n\n第 2 条 本条例自公布之日起施行。\n")
    assert paths(parsed)[1:] == [("第1条",), ("第2条",)]
    assert heading_label("第 2 条 本条例自公布之日起施行。") == "第2条"


def test_chapter_title_on_the_next_line():
    parsed = parse("# 测试市优化营商环境条例\n\n第二章\n\n市场主体保护\n\n第十条 国家坚持权利平等。\n")
    [article_passage] = [p for p in parsed.passages if p.kind is PassageKind.CLAUSE]
    assert article_passage.section_path[1:] == ("第二章 市场主体保护", "第十条")
    assert parsed.coverage == 1.0


def test_a_paragraph_citing_an_article_is_not_an_article():
    parsed = parse("# 测试市优化营商环境条例\n\n第二十条 有下列情形之一的，予以处理：\n\n（一）未按期办理；\n\n"
                   "（二）拒不改正。\n\n第二十条第一款规定的情形，由市人民政府负责处理。\n\n第二十一条 本条例自公布之日起施行。\n")
    [twenty] = [p for p in parsed.passages if p.section_path[-1] == "第二十条"]
    assert twenty.text.endswith("第二十条第一款规定的情形，由市人民政府负责处理。")
    assert "\n（二）拒不改正。\n" in twenty.text
    assert twenty.responsible == ("市人民政府",)  # `由…负责`
    assert paths(parsed)[1:] == [("第二十条",), ("第二十一条",)]


def test_table_of_contents_is_one_text_passage():
    parsed = parse("# 测试市优化营商环境条例\n\n目　录\n\n第一章 总则\n\n第二章 市场主体保护\n\n第三章 附则\n\n"
                   "第一章 总则\n\n第一条 为了优化营商环境，制定本条例。\n\n第二章 市场主体保护\n\n第二条 保护市场主体。\n\n"
                   "第三章 附则\n\n第三条 本条例自公布之日起施行。\n")
    contents = [p for p in parsed.passages if p.kind is PassageKind.TEXT]
    assert [p.text.split("\n") for p in contents] == [["目录", "第一章 总则", "第二章 市场主体保护", "第三章 附则"]]
    assert paths(parsed)[2:] == [("第一章 总则", "第一条"), ("第二章 市场主体保护", "第二条"), ("第三章 附则", "第三条")]
    assert parsed.coverage == 1.0


def test_regulation_as_the_annex_of_a_notice():
    source = ("测试市人民政府文件\n\n测政〔2024〕1号\n\n关于印发《测试市促进办法》的通知\n\n各县（市、区）人民政府：\n\n"
              "现将《测试市促进办法》印发给你们，请认真贯彻执行。\n\n附件\n\n测试市促进办法\n\n第一章 总则\n\n"
              "第一条 为了促进发展，制定本办法。\n\n（一）坚持公平；\n\n（二）坚持效率。\n")
    parsed = parse(source, "测试市促进办法")
    first = only(parsed.passages, "第一条 为了促进发展")
    assert first.section_path[1:] == ("附件1 测试市促进办法", "第一章 总则", "第一条")
    assert "（二）坚持效率。" in first.text
    assert norm("测政〔2024〕1号") in norm(parsed.passages[0].text)


def test_article_text_wrapped_by_a_pdf_is_joined():
    parsed = parse("# 测试市优化营商环境条例\n\n第三条 本条例所称营商环境是指企业等市场主体在\n\n- 2 -\n\n"
                   "市场经济活动中所涉及的体制机制性因素和条件。\n\n第四条【基本原则】\n\n优化营商环境应当坚持市场化原则。\n")
    articles = [p for p in parsed.passages if p.kind is PassageKind.CLAUSE]
    assert [p.text for p in articles] == [
        "第三条 本条例所称营商环境是指企业等市场主体在市场经济活动中所涉及的体制机制性因素和条件。",
        "第四条【基本原则】\n优化营商环境应当坚持市场化原则。"]
    assert [p.section_path[-1] for p in articles] == ["第三条", "第四条 基本原则"]


def test_bracketed_adoption_lines_form_the_header():
    parsed = parse("# 测试市优化营商环境条例\n\n（2021年10月28日测试市第十七届人民代表大会常务委员会第三十六次会议通过　"
                   "2021年12月3日某某省第十三届人民代表大会常务委员会第三十二次会议批准）\n\n"
                   "第一章　总则\n\n第一条　为了优化营商环境，制定本条例。\n")
    header, article_passage = parsed.passages
    assert header.kind is PassageKind.HEADER and header.text.startswith("测试市优化营商环境条例\n（2021年10月28日")
    assert header.text.endswith("会议批准）")
    assert article_passage.section_path[1:] == ("第一章 总则", "第一条")


def test_a_tab_after_the_article_number():
    parsed = parse("# 测试市优化营商环境条例\n\n第一章\t总则\n\n第一条\t为了优化营商环境，制定本条例。\n")
    article_passage = parsed.passages[-1]
    assert article_passage.section_path[1:] == ("第一章 总则", "第一条")
    assert article_passage.text == "第一条\t为了优化营商环境，制定本条例。"
