"""Every document of ../shared (samples and measure: .txt as they are, .docx and .pdf as corpus.readers
converts them) parses with nothing lost, no passage too long, and every passage citing its exact source
text — the same bars as for the bundled five."""

from __future__ import annotations

import pytest

from corpus.models import PassageKind
from corpus.parser import ParsedDocument
from tests.corpus.helpers import PROSE_KINDS, cited_text, debris_mask, squash
from tests.corpus.shared_documents import CONVERTED, TITLES, converted, needs_shared, parsed_shared, source_of
from tests.corpus.test_coverage import MIN_COVERAGE, recount_coverage

pytestmark = needs_shared

MAX_PASSAGE = 600


ALL = sorted(TITLES) + CONVERTED


def text_and_parse(name: str) -> tuple[str, ParsedDocument]:
    return converted(name) if name in CONVERTED else (source_of(name), parsed_shared(name))


def test_every_shared_document_is_listed():
    from tests.corpus.shared_documents import SHARED
    files = {f"{path.parent.name}/{path.name}" for folder in ("samples", "measure")
             for path in (SHARED / folder).iterdir() if path.suffix in (".txt", ".docx", ".pdf")}
    assert files == set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_coverage(name):
    source, parsed = text_and_parse(name)
    assert parsed.coverage >= MIN_COVERAGE
    share, missing = recount_coverage(source, parsed.passages)
    assert share >= MIN_COVERAGE, missing[:10]


@pytest.mark.parametrize("name", ALL)
def test_passage_lengths(name):
    for passage in text_and_parse(name)[1].passages:
        assert 0 < len(passage.text) <= MAX_PASSAGE, (passage.passage_id, len(passage.text))
        assert passage.text == passage.text.strip()


@pytest.mark.parametrize("name", ALL)
def test_exact_source_spans(name):
    source, parsed = text_and_parse(name)
    mask = debris_mask(source)
    for passage in parsed.passages:
        span = passage.source
        assert span.line_start == source.count("\n", 0, span.char_start) + 1, passage.passage_id
        assert span.line_end == source.count("\n", 0, span.char_end - 1) + 1, passage.passage_id
        cited = cited_text(source, mask, span.char_start, span.char_end)
        if passage.kind in PROSE_KINDS:
            assert cited == squash(passage.text), (passage.passage_id, passage.text[:40], cited[:40])
        else:
            assert passage.kind is PassageKind.TABLE_ROW and squash(passage.text).endswith(squash(
                source[span.char_start : span.char_end])), passage.passage_id


@pytest.mark.parametrize("name", ALL)
def test_outline_lists_every_passage_under_its_path(name):
    parsed = text_and_parse(name)[1]
    by_id = {p.passage_id: p for p in parsed.passages}
    listed = []

    def walk(section, path):
        path = (*path, section.title)
        for pid in section.passage_ids:
            assert by_id[pid].section_path == path, pid
            listed.append(pid)
        for child in section.children:
            assert child.level > section.level
            walk(child, path)

    walk(parsed.outline, ())
    assert sorted(listed) == sorted(by_id)


# -- what the converted Word and PDF documents look like -----------------------------------------------------

def passage_with(name: str, needle: str):
    found = [p for p in converted(name)[1].passages if squash(needle) in squash(p.text)]
    assert len(found) == 1, (needle, [p.passage_id for p in found])
    return found[0]


def test_word_numbering_gives_the_outline():
    name = CONVERTED[0]
    passage = passage_with(name, "用户首次跳转进入自建系统时，进行用户绑定")
    assert passage.section_path[1:] == ("二、用户体系对接模式", "（一）保留原有用户体系的实现模式（账号绑定）",
                                        "3.用户首次跳转进入自建系统时，进行用户绑定")


def test_table_rows_a_pdf_numbers_again_stay_in_their_section():
    """The annual report's application table comes out of the PDF as lines `一、本年新收…`, `二、…`: a
    list inside section 三, not new top-level sections; `四、政府信息公开行政复议…` is the next section."""
    name = CONVERTED[1]
    rows = passage_with(name, "一、本年新收政府信息公开申请数量")
    assert rows.section_path[1:] == ("三、收到和处理政府信息公开申请情况",)
    tops = [p.section_path[1] for p in converted(name)[1].passages if len(p.section_path) > 1]
    assert list(dict.fromkeys(tops)) == ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                                         "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
                                         "六、其他需要报告的事项"]


def test_appendix_marks_open_annexes():
    name = CONVERTED[2]
    labels = [s.title for s in converted(name)[1].outline.children if s.level == 1]
    assert labels[:2] == ["附录1", "附录2 烟草专卖零售许可证许可类事项申请表(新办)"]
    conditions = passage_with(name, "有与住所相独立的固定经营场所")
    assert conditions.section_path[1:] == ("六、申请条件",)


def test_table_of_contents_with_dot_leaders():
    name = CONVERTED[3]
    passages = converted(name)[1].passages
    contents = [p for p in passages if p.kind is PassageKind.TEXT and p.text.startswith("目录")]
    assert len(contents) == 1 and "一、部门主要职能" in contents[0].text
    assert contents[0].section_path[1:] == ()  # the contents open no section themselves


def test_the_contents_name_the_sections_a_pdf_body_leaves_unnumbered():
    """The budget's body gives its headings without the numbers of its 目录 (`名词解释` for `三、名词解释`),
    in other words (`2026年部门预算编制说明` for `四、部门预算编制说明`), or not at all (`五、部门预算表` over
    its tables' titles); a table row numbered like a heading (`四、其他收入0.00`) opens nothing."""
    name = CONVERTED[3]
    passages = converted(name)[1].passages
    tops = list(dict.fromkeys(p.section_path[1] for p in passages if len(p.section_path) > 1))
    assert tops[:6] == ["一、部门主要职能", "二、部门机构设置", "三、名词解释", "四、部门预算编制说明", "五、部门预算表",
                        "六、其他相关情况说明"]
    assert passage_with(name, "收入预算9628.22万元").section_path[1:] == ("四、部门预算编制说明",)
    assert passage_with(name, "指事业单位开展专业业务活动及其辅助活动取得的收入").section_path[1] == "三、名词解释"
    table = passage_with(name, "财政拨款收入财政拨款支出")
    assert table.section_path[1:] == ("五、部门预算表", "4.2026年部门财政拨款收支预算总表")
    assert not any("0.00" in label for p in passages for label in p.section_path)
