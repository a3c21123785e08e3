"""Every format reads back to text that parses like its plain-text twin; bad files are refused with a reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document as WordDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from corpus.models import Document
from corpus.parser import parse_document
from corpus.readers import MAX_BYTES, SUPPORTED_SUFFIXES, Unreadable, UnreadableDocument, read_document
from corpus.readers.numbering import chinese_number
from tests.corpus.helpers import squash

MEASURE = Path("/work/shared/measure")

CHAPTERS = {
    "总则": {
        "为了优化营商环境，激发市场主体活力，制定本条例。": [],
        "本条例适用于本市行政区域内优化营商环境的相关活动。": [],
        "市场主体在市场经济活动中享有下列权利：": ["依法平等使用各类生产要素；", "公开公平公正参与市场竞争。"],
    },
    "政务服务": {
        "政务服务事项实行清单管理，清单向社会公布。": ["企业开办时间压缩至一个工作日以内；", "不动产登记时间压缩至五个工作日以内；",
                                           "获得电力时间压缩至十五个工作日以内。"],
        "本条例自2022年1月1日起施行。": [],
    },
}
TITLE = "测试市优化营商环境条例"


def plain_text() -> str:
    """The twin every other format is built from: chapters, articles numbered across them, items per article."""
    lines = [TITLE]
    article = 0
    for c, (chapter, articles) in enumerate(CHAPTERS.items(), start=1):
        lines.append(f"第{chinese_number(c)}章 {chapter}")
        for body, items in articles.items():
            article += 1
            lines.append(f"第{chinese_number(article)}条 {body}")
            lines += [f"（{chinese_number(i)}）{item}" for i, item in enumerate(items, start=1)]
    return "\n\n".join(lines) + "\n"


def passages_of(text: str) -> list[tuple[str, tuple[str, ...]]]:
    document = Document("900_twin", "900_twin.txt", TITLE, None, None, None, None, None, None, None)
    return [(squash(p.text), p.section_path) for p in parse_document(document, text).passages]


# -- building the twins -----------------------------------------------------------------------------------------------

NUMBERING_XML = f"""<w:numbering {nsdecls('w')}>
  <w:abstractNum w:abstractNumId="10">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="space"/>
      <w:lvlText w:val="第%1章"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="11">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCountingThousand"/><w:suff w:val="space"/>
      <w:lvlText w:val="第%1条"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/>
      <w:lvlText w:val="（%2）"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="1"><w:abstractNumId w:val="10"/></w:num>
  <w:num w:numId="2"><w:abstractNumId w:val="11"/></w:num>
</w:numbering>"""


def _numbered(document, text: str, num_id: int, level: int) -> None:
    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def write_docx(path: Path) -> None:
    """The twin as Word writes it: every 第X章, 第X条 and （X） is automatic numbering, none typed."""
    document = WordDocument()
    numbering = document.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    for child in parse_xml(NUMBERING_XML):
        numbering.append(child)
    document.add_paragraph(TITLE)
    for chapter, articles in CHAPTERS.items():
        _numbered(document, chapter, 1, 0)
        for body, items in articles.items():
            _numbered(document, body, 2, 0)
            for item in items:
                _numbered(document, item, 2, 1)
    document.save(path)


def _cjk_canvas(path: Path) -> canvas.Canvas:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return canvas.Canvas(str(path), pagesize=A4)


def write_pdf(path: Path, text: str, lines_per_page: int = 9) -> None:
    """The twin printed with a text layer (reportlab's built-in CID font), over several pages."""
    lines = [line for line in text.splitlines() if line]
    pdf = _cjk_canvas(path)
    for start in range(0, len(lines), lines_per_page):
        pdf.setFont("STSong-Light", 11)
        y = A4[1] - 72
        for line in lines[start:start + lines_per_page]:
            pdf.drawString(60, y, line)
            y -= 24
        pdf.showPage()
    pdf.save()


# -- twins ------------------------------------------------------------------------------------------------------------


def test_plain_twin_parses_to_articles():
    passages = passages_of(plain_text())
    assert any("第五条" in text for text, _ in passages), passages


def test_docx_numbering_reads_back_as_the_plain_text(tmp_path):
    path = tmp_path / "条例.docx"
    write_docx(path)
    result = read_document(path)
    assert result.source_format == "docx" and result.pages == ()
    assert "第一章 总则" in result.text and "第二章 政务服务" in result.text
    assert "第四条 政务服务事项" in result.text  # article numbers run on across chapters
    assert "（三）获得电力" in result.text  # items restart under each article …
    assert result.text.count("（一）") == 2  # … because the article level advanced
    assert passages_of(result.text) == passages_of(plain_text())


def test_pdf_reads_back_as_the_plain_text(tmp_path):
    path = tmp_path / "条例.pdf"
    write_pdf(path, plain_text())
    result = read_document(path)
    assert result.source_format == "pdf"
    assert len(result.pages) == 2 and result.pages[0] == 0
    second_page = result.text[result.pages[1]:]
    assert second_page.startswith(plain_text().split("\n\n")[9] + "\n")
    assert passages_of(result.text) == passages_of(plain_text())


def test_gbk_text_reads_back_as_the_plain_text(tmp_path):
    path = tmp_path / "条例.txt"
    path.write_bytes(plain_text().replace("\n", "\r\n").encode("gbk"))
    result = read_document(path)
    assert result.text == plain_text()  # decoded and with `\n` line ends
    assert passages_of(result.text) == passages_of(plain_text())


def test_utf8_with_bom_and_markdown(tmp_path):
    path = tmp_path / "条例.md"
    path.write_bytes(b"\xef\xbb\xbf" + plain_text().encode("utf-8"))
    result = read_document(path)
    assert result.text == plain_text() and result.source_format == "md"


def test_docx_numbering_carried_by_heading_styles(tmp_path):
    """Outline numbering set on the heading styles (the level named by the style), not on each paragraph."""
    document = WordDocument()
    numbering = document.part.numbering_part.element
    numbering.append(parse_xml(f"""<w:abstractNum {nsdecls('w')} w:abstractNumId="20">
      <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:pStyle w:val="Heading1"/>
        <w:suff w:val="nothing"/><w:lvlText w:val="%1、"/></w:lvl>
      <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:pStyle w:val="Heading2"/>
        <w:suff w:val="nothing"/><w:lvlText w:val="（%2）"/></w:lvl></w:abstractNum>"""))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="7"><w:abstractNumId w:val="20"/></w:num>'))
    for name in ("Heading 1", "Heading 2"):
        document.styles[name].element.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="7"/></w:numPr>'))
    for style, text in (("Heading 1", "总体要求"), ("Heading 2", "工作目标"), ("Heading 2", "基本原则"),
                        ("Normal", "坚持问题导向。"), ("Heading 1", "重点任务"), ("Heading 2", "优化政务服务")):
        document.add_paragraph(text, style=style)
    path = tmp_path / "方案.docx"
    document.save(path)
    lines = [line for line in read_document(path).text.splitlines() if line]
    assert lines == ["一、总体要求", "（一）工作目标", "（二）基本原则", "坚持问题导向。", "二、重点任务", "（一）优化政务服务"]


def test_docx_number_formats_start_values_and_legal_numbering(tmp_path):
    document = WordDocument()
    numbering = document.part.numbering_part.element
    numbering.append(parse_xml(f"""<w:abstractNum {nsdecls('w')} w:abstractNumId="30">
      <w:lvl w:ilvl="0"><w:start w:val="3"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/>
        <w:lvlText w:val="%1、"/></w:lvl>
      <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:isLgl/><w:suff w:val="space"/>
        <w:lvlText w:val="%1.%2"/></w:lvl>
      <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimalEnclosedCircle"/><w:suff w:val="nothing"/>
        <w:lvlText w:val="%3"/></w:lvl>
      <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="ideographTraditional"/><w:suff w:val="nothing"/>
        <w:lvlText w:val="%4、"/></w:lvl></w:abstractNum>"""))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="9"><w:abstractNumId w:val="30"/></w:num>'))
    for text, level in (("保障措施", 0), ("组织保障", 1), ("成立专班", 2), ("明确分工", 2), ("甲项", 3), ("乙项", 3),
                        ("资金保障", 1), ("督查考核", 0), ("定期通报", 1)):
        _numbered(document, text, 9, level)
    path = tmp_path / "格式.docx"
    document.save(path)
    lines = [line for line in read_document(path).text.splitlines() if line]
    assert lines == ["三、保障措施", "3.1 组织保障", "①成立专班", "②明确分工", "甲、甲项", "乙、乙项", "3.2 资金保障",
                     "四、督查考核", "4.1 定期通报"]


def test_docx_tables_become_markdown_rows_in_body_order(tmp_path):
    document = WordDocument()
    document.add_paragraph("一、办理时限")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, (("事项", "时限"), ("企业开办", "1个工作日"), ("获得电力", "15个工作日"))):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_paragraph("二、保障措施")
    path = tmp_path / "表.docx"
    document.save(path)
    lines = [line for line in read_document(path).text.splitlines() if line]
    assert lines == ["一、办理时限", "| 事项 | 时限 |", "|---|---|", "| 企业开办 | 1个工作日 |", "| 获得电力 | 15个工作日 |",
                     "二、保障措施"]


def test_docx_merged_cells_and_numbered_cells(tmp_path):
    document = WordDocument()
    table = document.add_table(rows=4, cols=3)
    for row, cells in zip(table.rows, (("类别", "事项", "时限"), ("", "企业开办", "1个工作日"), ("", "不动产登记", "5个工作日"),
                                       ("", "获得电力", "15个工作日"))):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    table.cell(1, 0).merge(table.cell(3, 0)).text = "政务服务"  # one cell down three rows
    table.cell(0, 0).merge(table.cell(0, 1)).text = "类别与事项"  # one cell across two columns
    path = tmp_path / "合并.docx"
    document.save(path)
    lines = [line for line in read_document(path).text.splitlines() if line]
    assert lines == ["| 类别与事项 |  | 时限 |", "|---|---|---|", "| 政务服务 | 企业开办 | 1个工作日 |",
                     "| 政务服务 | 不动产登记 | 5个工作日 |", "| 政务服务 | 获得电力 | 15个工作日 |"]


def test_html_main_text_and_tables(tmp_path):
    html = """<html><head><title>站点</title><style>p{color:red}</style><script>var x = 1;</script></head><body>
      <nav><a href="/">首页</a> <a href="/zc">政策文件</a></nav>
      <h1>测试市优化营商环境条例</h1>
      <div class="article"><p>第一条 为了优化营商环境，制定本条例。</p><p>第二条 本条例适用于本市。<br>市人民政府应当加强领导。</p>
        <table><tr><th>事项</th><th>时限</th></tr><tr><td>企业开办</td><td>1个工作日</td></tr></table></div>
      <footer>版权所有 测试市人民政府</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    lines = [line for line in read_document(path).text.splitlines() if line]
    assert lines == ["# 测试市优化营商环境条例", "第一条 为了优化营商环境，制定本条例。", "第二条 本条例适用于本市。",
                     "市人民政府应当加强领导。", "| 事项 | 时限 |", "|---|---|", "| 企业开办 | 1个工作日 |"]


GOV_PAGE = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>关于印发《测试市优化营商环境行动方案》的通知_测试市人民政府</title></head><body>
<div class="top"><a href="/">首页</a> | <a href="/gk">政务公开</a> | <a href="/hd">互动交流</a></div>
<div class="main">
  <div class="crumb"><a href="/">首页</a> &gt; <a href="/zc">政策文件</a></div>
  <table class="info">
    <tr><td>发文机关：</td><td>测试市人民政府办公室</td><td>成文日期：</td><td>2024年05月11日</td></tr>
    <tr><td>发文字号：</td><td>测政办〔2024〕5号</td><td>发布日期：</td><td>2024-05-13</td></tr></table>
  <h1>测试市人民政府办公室关于印发《测试市优化营商环境行动方案》的通知</h1>
  <div id="content">
    <p>各区人民政府，市政府各委、办、局：</p>
    <p>《测试市优化营商环境行动方案》已经市政府同意，现印发给你们，请认真贯彻执行。</p>
    <p style="text-align:right">测试市人民政府办公室</p><p style="text-align:right">2024年5月11日</p>
    <p align="center"><strong>测试市优化营商环境行动方案</strong></p>
    <p>一、总体要求</p><p>（一）工作目标。到2025年，企业开办时间压缩至1个工作日。</p>
  </div>
  <div class="tools">【<a href="#">打印</a>】【<a href="#">关闭</a>】</div>
</div>
<div class="foot">主办：测试市人民政府办公室 <a href="/map">网站地图</a></div></body></html>"""


def test_html_with_xml_declaration_and_empty_pages(tmp_path):
    page = tmp_path / "x.html"
    page.write_text('<?xml version="1.0" encoding="utf-8"?><html><body><p>第一条 内容。</p></body></html>', encoding="utf-8")
    assert read_document(page).text == "第一条 内容。\n"
    for html in ("<!-- 注释 -->", "<html><head><title>标题</title></head><body><script>x()</script></body></html>"):
        page.write_text(html, encoding="utf-8")
        assert _refused(page).reason is Unreadable.EMPTY


def test_html_nested_too_deeply_is_refused(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 5000 + "第一条" + "</div>" * 5000 + "</body></html>", encoding="utf-8")
    assert _refused(page).reason is Unreadable.UNDECODABLE


def test_html_government_page_in_gb2312(tmp_path):
    path = tmp_path / "通知.htm"
    path.write_bytes(GOV_PAGE.encode("gb2312"))
    lines = [line for line in read_document(path).text.splitlines() if line]
    assert lines[:3] == ["| 发文机关： | 测试市人民政府办公室 | 成文日期： | 2024年05月11日 |", "|---|---|---|---|",
                         "| 发文字号： | 测政办〔2024〕5号 | 发布日期： | 2024-05-13 |"]
    assert lines[3] == "# 测试市人民政府办公室关于印发《测试市优化营商环境行动方案》的通知"  # h1 kept as the title
    assert lines[-2:] == ["一、总体要求", "（一）工作目标。到2025年，企业开办时间压缩至1个工作日。"]
    assert not any(word in "".join(lines) for word in ("首页", "打印", "网站地图", "政务公开"))


SCHOOL_PAGE = """<html><head><title>考风考纪要求--德育处-某市第一中学</title><script>var a = "<p>x</p>";</script></head><body>
<div id="top"><div class="date">今天是<script>document.write(1)</script></div>
  <div class="toplink"><a href="/a">公共文件夹</a> | <a href="/b">智慧校园</a> | <a href="/c">图书馆</a></div></div>
<div id="header"><h1 class="logo"><a href="/"><img src="logo.png"/></a></h1>
  <input value="请输入关键词"/><input type="button" value="搜索"/></div>
<div class="nav"><ul><li><h4><a href="/">首页</a></h4></li><li><h4><a href="/n">新闻中心</a></h4>
  <ul><li><h4><a href="/g">学校公告</a></h4></li></ul></li></ul></div>
<div id="content"><div class="siteWidth">
  <div class="side"><div class="hd"><h3><a href="/g">学校公告</a></h3></div>
    <ul><li><a href="/1">4.10班级一日考核</a><span>[04-13]</span></li><li><a href="/2">大扫除通知</a><span>[11-24]</span></li></ul></div>
  <div class="mainContent"><div class="mHd"><div class="path"><span>当前位置：</span><a href="/">首页</a> &gt;
    <a href="/g">学校公告</a></div></div>
    <div class="mBd"><div class="printArea">
      <h2 class="title">考风考纪要求</h2>
      <div class="property"><span>文章来源：</span> <span>作者：</span> <span>发布时间：2023年06月25日</span></div>
      <div class="conTxt"><p>为严肃考试纪律，学校再次强调考风考纪要求：</p>
        <p><span>1.</span><span>禁止考试中旁窥、抄袭、夹带纸条等作弊行为。</span></p>
        <p><span>2.学生不允许带手机进入考试试场，</span><span>一律按作弊处理。</span></p>
        <p>德育处</p><p>2023.06.25</p></div></div></div></div>
</div></div>
<div id="footer">版权所有 某市第一中学 <a href="/icp">备案号</a></div></body></html>"""


def test_html_page_of_a_site_with_menus_and_side_lists(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(SCHOOL_PAGE, encoding="utf-8")
    lines = [line for line in read_document(path).text.splitlines() if line]
    assert lines[0] == "## 考风考纪要求"
    assert "1.禁止考试中旁窥、抄袭、夹带纸条等作弊行为。" in lines  # spans of one paragraph make one line
    assert "2.学生不允许带手机进入考试试场，一律按作弊处理。" in lines
    assert lines[-2:] == ["德育处", "2023.06.25"]
    text = "".join(lines)
    assert not any(word in text for word in ("智慧校园", "新闻中心", "班级一日考核", "请输入关键词", "当前位置", "document"))


# -- refused files ----------------------------------------------------------------------------------------------------


def _refused(path: Path) -> UnreadableDocument:
    with pytest.raises(UnreadableDocument) as caught:
        read_document(path)
    assert isinstance(caught.value, ValueError) and str(caught.value)
    return caught.value


def test_empty_file(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_bytes(b" \r\n\t\n")
    assert _refused(tmp_path / "a.txt").reason is Unreadable.EMPTY
    assert _refused(tmp_path / "b.txt").reason is Unreadable.EMPTY


def test_binary_file(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    error = _refused(path)
    assert error.reason is Unreadable.BINARY and "PNG image" in str(error)
    path.write_bytes("第一条".encode() + b"\x00\x01\x02" * 100)
    error = _refused(path)
    assert error.reason is Unreadable.BINARY and "binary" in str(error)


def test_unsupported_type(tmp_path):
    path = tmp_path / "old.doc"
    path.write_bytes("第一条".encode())
    error = _refused(path)
    assert error.reason is Unreadable.UNSUPPORTED_TYPE and ".docx" in str(error)
    assert ".doc" not in SUPPORTED_SUFFIXES


def test_oversized_file_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    with path.open("wb") as stream:
        stream.truncate(MAX_BYTES + 1)  # sparse: nothing is written
    error = _refused(path)
    assert error.reason is Unreadable.TOO_LARGE and "20 MB" in str(error)


def test_pdf_without_text_layer_needs_ocr(tmp_path):
    image = Image.new("RGB", (400, 200), "white")
    for x in range(50, 350):
        image.putpixel((x, 100), (0, 0, 0))
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawImage(ImageReader(image), 60, 400, width=400, height=200)
    pdf.showPage()
    pdf.save()
    error = _refused(path)
    assert error.reason is Unreadable.NEEDS_OCR and "OCR" in str(error)


def test_file_of_another_kind_under_a_wrong_name(tmp_path):
    pdf = tmp_path / "条例.pdf"
    write_pdf(pdf, plain_text())
    renamed = tmp_path / "条例.txt"
    renamed.write_bytes(pdf.read_bytes())
    error = _refused(renamed)
    assert error.reason is Unreadable.BINARY and "rename it to .pdf" in str(error)
    fake = tmp_path / "条例2.docx"
    fake.write_bytes(plain_text().encode("utf-8"))
    assert _refused(fake).reason is Unreadable.UNDECODABLE


def test_undecodable_text(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("第一条".encode("utf-8") + b"\xff\xfe\x80\xff" * 40)
    assert _refused(path).reason is Unreadable.UNDECODABLE


def test_broken_docx_and_pdf(tmp_path):
    (tmp_path / "x.docx").write_bytes(b"PK\x03\x04 not really a zip file")
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.7\n garbage")
    assert _refused(tmp_path / "x.docx").reason is Unreadable.UNDECODABLE
    assert _refused(tmp_path / "x.pdf").reason is Unreadable.UNDECODABLE
    for name in ("f01_zjzwfw_sso_shishi_zhiyin.docx", "f04_huaian_2024_zhengfu_xinxi_gongkai_nianbao.pdf"):
        data = (MEASURE / name).read_bytes()
        truncated = tmp_path / ("cut" + Path(name).suffix)
        truncated.write_bytes(data[: len(data) // 2])  # a download that stopped half-way
        assert _refused(truncated).reason is Unreadable.UNDECODABLE


# -- real files -------------------------------------------------------------------------------------------------------


def test_real_docx_numbering_is_rebuilt():
    text = read_document(MEASURE / "f01_zjzwfw_sso_shishi_zhiyin.docx").text
    assert "1、原有账号信息保留" in text and "2、自建系统注册、登录功能改用浙江政务服务网相关界面" in text
    assert "（一）保留原有用户体系的实现模式" in text and "四、关键环节" in text
    assert text.count("3、用户首次跳转进入自建系统时") == 1  # typed, not numbered: not doubled


@pytest.mark.parametrize(("name", "pages", "line"), [
    ("f04_huaian_2024_zhengfu_xinxi_gongkai_nianbao.pdf", 6, "2024年政府信息公开工作年度报告"),
    ("f05_changle_yancao_lingshou_xuke_zhinan.pdf", 20, "烟草专卖零售许可证核发服务指南"),
    ("f06_putuo_sifaju_2026_bumen_yusuan.pdf", 23, "上海市普陀区2026年区级部门预算"),
])
def test_real_pdfs(name, pages, line):
    result = read_document(MEASURE / name)
    assert len(result.pages) == pages
    assert list(result.pages) == sorted(set(result.pages)) and result.pages[0] == 0
    assert all(result.text[start - 1] == "\n" for start in result.pages[1:])
    assert line in [squash(text_line) for text_line in result.text.splitlines()]
    assert "\r" not in result.text
