"""Header metadata (发文机关, 文号, title, date, place) read from each document's first lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.metadata import DocumentMetadata, compact, extract_header_metadata, extract_metadata
from corpus.models import Level
from corpus.readers import read_document
from tests.corpus.helpers import ALL_DOCS, D000, D001, D002, D003, D004

EXPECTED = {
    D000: ("焦作市优化营商环境工作领导小组办公室", "焦营商办〔2019〕3号", "焦作市", None, 2019, "2019-07-08"),
    D001: ("平顶山市优化营商环境工作领导小组办公室", "平营商办〔2020〕4号", "平顶山市", None, 2020, None),
    D002: ("焦作市优化营商环境工作领导小组办公室", "焦营商办[2023]1号", "焦作市", None, 2023, None),
    D003: ("中共修武县委办公室", "修办〔2021〕5号", "焦作市", "修武县", 2021, "2021-05-12"),
    D004: ("三门峡市优化营商环境工作领导小组", "三营商〔2022〕1号", "三门峡市", None, 2022, None),
}


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_header_metadata_of_each_document(sources, doc_id):
    meta = extract_header_metadata(sources[doc_id])
    issuer, number, city, county, year, date = EXPECTED[doc_id]
    assert (meta.issuer, meta.doc_number, meta.city, meta.county, meta.year, meta.date) == \
        (issuer, number, city, county, year, date)
    assert meta.province == "河南省"


def test_titles_read_across_spaces_and_markdown(sources):
    assert compact(extract_header_metadata(sources[D000]).title) == "焦作市2019年优化营商环境工作要点"
    assert extract_header_metadata(sources[D002]).title == '焦作市2023年优化营商环境"五件事"工作要点'
    assert extract_header_metadata(sources[D004]).title == "三门峡市营商环境优化提升行动方案（2022版）"


def test_county_document_maps_to_its_city():
    text = "修武县人民政府办公室文件\n\n修政办〔2022〕7号\n\n关于印发《修武县2022年优化营商环境工作方案》的通知\n"
    meta = extract_header_metadata(text)
    assert (meta.county, meta.city, meta.province, meta.year) == ("修武县", "焦作市", "河南省", 2022)


def test_header_without_document_number_is_rejected():
    with pytest.raises(ValueError, match="文号"):
        extract_header_metadata("某市人民政府文件\n\n关于印发《某市工作方案》的通知\n")


def test_compact_is_nfkc_without_whitespace():
    assert compact("焦作市 2019 年优化营商环境 工作要点") == "焦作市2019年优化营商环境工作要点"
    assert compact("ＡＢ１２（三）\u3000x\ny") == "AB12(三)xy"
    assert compact("10⁹") == "109"


# -- any Chinese government document: the samples and the measured documents -------------------------------------------

SAMPLES = Path("/work/shared/samples")
MEASURE = Path("/work/shared/measure")


def metadata_of(path: Path) -> DocumentMetadata:
    return extract_metadata(read_document(path).text, path.name)


def test_city_regulation_sample():
    meta = metadata_of(SAMPLES / "yantai_youhua_yingshang_tiaoli_2021.txt")
    assert meta.title == "烟台市优化营商环境条例" and meta.doc_type == "条例"
    assert meta.issuer == "烟台市人民代表大会常务委员会"
    assert meta.doc_number is None  # a regulation of a city 人大 has none
    assert (meta.date, meta.effective_date, meta.year) == ("2021-10-28", "2022-01-01", 2021)
    assert (meta.province, meta.city, meta.county, meta.level) == ("山东省", "烟台市", None, Level.CITY)
    assert meta.repeals == () and meta.guessed == ()


def test_joint_notice_sample():
    meta = metadata_of(SAMPLES / "shanghai_dajian_yunshu_yijianshi_2025.txt")
    assert meta.title == "高效办成大件运输“一件事”实施方案" and meta.doc_type == "方案"
    assert meta.issuer == "上海市交通委员会、上海市公安局"
    assert meta.doc_number is None  # 沪交法〔2025〕175号 is not in the text
    assert (meta.date, meta.year, meta.effective_date) == ("2025-04-01", 2025, None)
    assert (meta.province, meta.city, meta.county, meta.level) == ("上海市", "上海市", None, Level.PROVINCE)
    assert meta.repeals == ("大件运输许可“一件事”改革工作方案",)


@pytest.mark.parametrize(("name", "expected"), [
    ("u01_guowuyuan_youhua_yingshang_tiaoli.txt",
     dict(title="优化营商环境条例", issuer="国务院", doc_number="国务院令第722号", date="2019-10-22",
          effective_date="2020-01-01", year=2019, level=Level.NATIONAL, province=None, doc_type="条例")),
    ("u02_guangdong_youhua_yingshang_tiaoli.txt",
     dict(title="广东省优化营商环境条例", issuer="广东省人民代表大会常务委员会", date="2022-06-01",
          effective_date="2022-07-01", level=Level.PROVINCE, province="广东省", city=None)),
    ("u04_binzhou_gongcheng_binglian_shenpi.txt",
     dict(doc_type="规定", issuer="滨州市人民代表大会常务委员会", date="2020-04-24", effective_date="2020-07-01",
          city="滨州市", province="山东省", level=Level.CITY)),
    ("u05_shanghai_budongchan_dengji.txt",
     dict(title="上海市不动产登记若干规定", doc_type="规定", effective_date="2021-03-01", repeals=("上海市房地产登记条例",),
          province="上海市", level=Level.PROVINCE)),
    ("u06_shanghai_gongcheng_yingshang_fangan_2026.txt",
     dict(title="上海市加快打造工程建设领域国际一流营商环境行动方案（2026年）", doc_number="沪建建管联〔2026〕188号",
          issuer="上海市住房和城乡建设管理委员会、上海市规划和自然资源局", year=2026, date="2026-05-11")),
    ("u08_guangzhou_menzhen_tebing.txt",
     dict(doc_number="穗医保规字〔2019〕4号", doc_type="通知", date="2019-06-14", effective_date="2019-07-01",
          issuer="广州市医疗保障局、广州市财政局、广州市卫生健康委员会", city="广州市", province="广东省", level=Level.CITY)),
    ("f01_zjzwfw_sso_shishi_zhiyin.docx",
     dict(title="浙江政务服务网统一身份认证（单点登录）实施指引", doc_type="指引", province="浙江省", year=None,
          issuer=None, guessed=("province", "level"))),  # 浙江 from the title alone
    ("f04_huaian_2024_zhengfu_xinxi_gongkai_nianbao.pdf",
     dict(title="2024年政府信息公开工作年度报告", doc_type="报告", issuer="淮安市人民政府", city="淮安市", year=2024)),
    ("f06_putuo_sifaju_2026_bumen_yusuan.pdf",
     dict(title="上海市普陀区2026年区级部门预算", issuer="上海市普陀区司法局", county="普陀区", level=Level.COUNTY)),
    # No issuer, no place in the title: the guide's addresses name 福州市长乐区 line after line.
    ("f05_changle_yancao_lingshou_xuke_zhinan.pdf",
     dict(title="烟草专卖零售许可证核发服务指南", issuer=None, county="长乐区", city="福州市", level=Level.COUNTY,
          guessed=("province", "city", "county", "level"))),
])
def test_measured_documents(name, expected):
    meta = metadata_of(MEASURE / name)
    assert {field: getattr(meta, field) for field in expected} == expected


def test_guzhou_notice_repeals_three_documents():
    meta = metadata_of(MEASURE / "u08_guangzhou_menzhen_tebing.txt")
    assert len(meta.repeals) == 3
    assert all(title.endswith("的通知") and title.startswith("广州市人力资源和社会保障局") for title in meta.repeals)


def test_a_place_the_body_names_now_and_then_is_no_documents_place():
    text = "某某服务指南\n\n一、适用范围\n本指南适用于全省。\n\n二、地点：广州市越秀区某路1号\n\n三、咨询电话：12345\n"
    meta = extract_metadata(text, "guide.txt")
    assert (meta.province, meta.city, meta.county, meta.level) == (None, None, None, None)


def test_guessed_fields_are_named():
    meta = metadata_of(MEASURE / "f04_huaian_2024_zhengfu_xinxi_gongkai_nianbao.pdf")
    assert "year" in meta.guessed  # read from the title, not from a 文号 or a date
    untitled = extract_metadata("各有关单位：\n\n现就有关事项通知如下。\n", "2024_工作安排.txt")
    assert untitled.title == "2024_工作安排" and "title" in untitled.guessed
    assert (untitled.issuer, untitled.doc_number, untitled.date, untitled.level) == (None, None, None, None)


def test_chinese_numeral_dates_and_other_numbers():
    text = ("某省人民政府令\n\n第 12 号\n\n# 某省行政规范性文件管理办法\n\n"
            "二〇一九年七月八日省人民政府第三十次常务会议通过\n\n第一条 为了规范管理，制定本办法。\n\n"
            "第二条 本办法自二〇二一年十月二十八日起施行。\n")
    meta = extract_metadata(text, "x.txt")
    assert meta.title == "某省行政规范性文件管理办法" and meta.doc_type == "办法"
    assert (meta.date, meta.effective_date) == ("2019-07-08", "2021-10-28")
    assert (meta.issuer, meta.doc_number) == ("某省人民政府", "某省人民政府令第12号")
    for line, number in (("粤府规〔2020〕1号", "粤府规〔2020〕1号"), ("（京政发[2019]3号）", "京政发[2019]3号"),
                         ("鲁政办字(2021)15号", "鲁政办字(2021)15号"), ("国家税务总局公告2019年第1号", "国家税务总局公告2019年第1号")):
        assert extract_metadata(f"{line}\n\n关于印发《某某办法》的通知\n", "x").doc_number == number, line


def test_labelled_fields_of_a_government_web_page(tmp_path):
    from tests.corpus.test_readers import GOV_PAGE

    path = tmp_path / "page.html"
    path.write_bytes(GOV_PAGE.replace("测试市", "淄博市").replace("测政办", "淄政办").encode("gb18030"))
    meta = metadata_of(path)
    assert meta.title == "淄博市优化营商环境行动方案" and meta.doc_type == "方案"
    assert (meta.issuer, meta.doc_number) == ("淄博市人民政府办公室", "淄政办〔2024〕5号")
    assert (meta.date, meta.year) == ("2024-05-11", 2024)  # 成文日期, not the later 发布日期
    assert (meta.province, meta.city, meta.level) == ("山东省", "淄博市", Level.CITY)


def test_labelled_lines_with_spaced_labels():
    text = ("标　　题：关于进一步优化营商环境的若干措施\n发 文 机 关：浙江省人民政府办公厅\n发文字号：浙政办发〔2023〕12号\n"
            "成文日期：2023-03-01\n\n各市、县（市、区）人民政府：\n\n一、优化政务服务\n")
    meta = extract_metadata(text, "x.html")
    assert (meta.issuer, meta.doc_number, meta.date) == ("浙江省人民政府办公厅", "浙政办发〔2023〕12号", "2023-03-01")
    assert meta.doc_type == "措施" and meta.level is Level.PROVINCE and meta.province == "浙江省"


STATE_COUNCIL_NOTICE = """国务院关于印发《2030年前碳达峰行动方案》的通知

国发〔2021〕23号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：

现将《2030年前碳达峰行动方案》印发给你们，请认真贯彻执行。

国务院

2021年10月24日

（此件公开发布）

2030年前碳达峰行动方案

一、总体要求
"""

MINISTRY_ORDER = """中华人民共和国商务部令

2020年第1号

《外商投资信息报告办法》已经商务部部务会议审议通过，现予公布，自2020年1月1日起施行。

部长 钟山

2019年12月30日

外商投资信息报告办法

第一章 总则

第一条 为进一步扩大对外开放，制定本办法。

第五十条 本办法自2020年1月1日起施行。
"""

JOINT_CITY_NOTICE = """中共淄博市委办公室 淄博市人民政府办公室

关于印发《淄博市优化营商环境
三年行动计划》的通知

淄办发〔2022〕10号  签发人：张三

各区县党委和人民政府，市委各部委：

现将《淄博市优化营商环境三年行动计划》印发给你们。本计划自印发之日起施行，《淄博市优化营商环境实施方案》同时废止。

（一）强化督查通报

淄博市委办公室                    2022年3月9日印发
"""


def test_state_council_notice():
    meta = extract_metadata(STATE_COUNCIL_NOTICE, "x.txt")
    assert (meta.title, meta.issuer, meta.doc_number, meta.date) == (
        "2030年前碳达峰行动方案", "国务院", "国发〔2021〕23号", "2021-10-24")
    assert (meta.level, meta.province, meta.year, meta.doc_type) == (Level.NATIONAL, None, 2021, "方案")


def test_ministry_order():
    meta = extract_metadata(MINISTRY_ORDER, "x.txt")
    assert (meta.title, meta.issuer, meta.doc_number) == ("外商投资信息报告办法", "商务部", "商务部令2020年第1号")
    assert (meta.date, meta.effective_date, meta.year, meta.level) == ("2019-12-30", "2020-01-01", 2020, Level.NATIONAL)


def test_joint_city_notice_without_signature():
    meta = extract_metadata(JOINT_CITY_NOTICE, "x.txt")
    assert meta.title == "淄博市优化营商环境三年行动计划" and meta.doc_type == "计划"
    assert (meta.issuer, meta.doc_number) == ("中共淄博市委办公室、淄博市人民政府办公室", "淄办发〔2022〕10号")
    assert (meta.date, meta.effective_date) == ("2022-03-09", "2022-03-09")  # 印发 line; 自印发之日起施行
    assert "effective_date" in meta.guessed
    assert meta.repeals == ("淄博市优化营商环境实施方案",)
    assert (meta.city, meta.level) == ("淄博市", Level.CITY)


def test_national_law_adopted_by_the_npc_standing_committee():
    text = ("# 中华人民共和国反有组织犯罪法\n\n2021年12月24日 第十三届全国人民代表大会常务委员会第三十二次会议通过\n\n"
            "## 第一章 总  则\n\n第一条 为了预防和惩治有组织犯罪，制定本法。\n\n"
            "第七十七条 本法自2022年5月1日起施行。\n")
    meta = extract_metadata(text, "x.md")
    assert (meta.title, meta.doc_type, meta.issuer) == ("中华人民共和国反有组织犯罪法", "法", "全国人民代表大会常务委员会")
    assert (meta.date, meta.effective_date, meta.level, meta.province) == ("2021-12-24", "2022-05-01", Level.NATIONAL, None)


def test_web_page_title_heading_signature_and_labelled_time(tmp_path):
    from tests.corpus.test_readers import SCHOOL_PAGE

    path = tmp_path / "page.html"
    path.write_text(SCHOOL_PAGE, encoding="utf-8")
    meta = metadata_of(path)
    assert (meta.title, meta.issuer, meta.date, meta.year) == ("考风考纪要求", "德育处", "2023-06-25", 2023)
    assert meta.guessed == ()


def test_amended_regulation_keeps_its_adoption_date_and_body():
    text = ("# 江苏省某某条例\n\n（2020年11月27日江苏省第十三届人民代表大会常务委员会第十九次会议通过　"
            "根据2024年3月27日江苏省第十四届人民代表大会常务委员会第八次会议《关于修改〈江苏省某某条例〉的决定》修正）\n\n"
            "第一条 为了规范管理，制定本条例。\n\n第五十条 本条例自2021年1月1日起施行。\n")
    meta = extract_metadata(text, "x.md")
    assert (meta.issuer, meta.date, meta.effective_date, meta.year) == (
        "江苏省人民代表大会常务委员会", "2020-11-27", "2021-01-01", 2020)
    assert (meta.province, meta.level, meta.doc_type) == ("江苏省", Level.PROVINCE, "条例")


def test_markdown_front_matter_fields():
    text = ("---\n标题: 上海市奉贤区柘林镇人民政府关于印发《柘林镇文物保护管理办法》的通知\n文号: 奉柘府〔2023〕22号\n"
            "发布单位: 奉贤区柘林镇人民政府\n发布日期: 2023-10-13\n---\n\n"
            "# 上海市奉贤区柘林镇人民政府关于印发《柘林镇文物保护管理办法》的通知\n\n各相关单位、部门：\n\n"
            "现将《柘林镇文物保护管理办法》印发给你们，请认真抓好落实。\n\n奉贤区柘林镇人民政府\n\n2023年10月13日\n\n"
            "柘林镇文物保护管理办法\n\n第一章 总则\n\n第一条 为了加强对文物的保护，制定本管理办法。\n")
    meta = extract_metadata(text, "x.md")
    assert (meta.title, meta.doc_type, meta.doc_number) == ("柘林镇文物保护管理办法", "办法", "奉柘府〔2023〕22号")
    assert (meta.issuer, meta.date, meta.year) == ("奉贤区柘林镇人民政府", "2023-10-13", 2023)
    assert (meta.province, meta.county, meta.level) == ("上海市", "奉贤区", Level.COUNTY)  # a town: county level


def test_red_letter_header_with_copy_number_secrecy_and_urgency_lines():
    text = ("000123\n\n机密★1年\n\n特急\n\n淄博市人民政府文件\n\n淄政发〔2024〕3号\n\n"
            "淄博市人民政府关于进一步优化营商环境的意见\n\n各区县人民政府：\n\n现提出如下意见。\n\n淄博市人民政府\n\n2024年2月1日\n")
    meta = extract_metadata(text, "x.txt")
    assert (meta.issuer, meta.doc_number, meta.date) == ("淄博市人民政府", "淄政发〔2024〕3号", "2024-02-01")
    assert (meta.title, meta.doc_type, meta.city) == ("淄博市人民政府关于进一步优化营商环境的意见", "意见", "淄博市")


def test_open_government_header_fields():
    text = ("索引号：SY310107202603028\n主题分类：土地\n公开属性：主动公开\n成文日期：2026年07月03日\n"
            "发文字号：普府〔2026〕54号\n发布日期：2026年07月05日\n公开主体：上海市普陀区人民政府\n\n"
            "上海市普陀区人民政府关于某地块征收的决定\n\n根据有关规定，决定如下。\n")
    meta = extract_metadata(text, "x.txt")
    assert (meta.issuer, meta.doc_number, meta.date) == ("上海市普陀区人民政府", "普府〔2026〕54号", "2026-07-03")
    assert (meta.county, meta.level, meta.doc_type) == ("普陀区", Level.COUNTY, "决定")
