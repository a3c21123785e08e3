"""clean_lines / classify / reflow: PDF debris dropped, lines classified, page breaks joined."""

from __future__ import annotations

from corpus.lines import LineKind, classify, clean_lines, reflow


def texts(source: str) -> list[str]:
    return [line.text.text for line in reflow(clean_lines(source).lines)]


def test_page_number_lines_and_marks_are_dropped_and_recorded():
    source = "（一）压缩时间。全面推行\n\n- 7 -\n\n线上办电服务。■\n\n12\n"
    cleaned = clean_lines(source)
    assert [line.text.text for line in cleaned.lines] == ["（一）压缩时间。全面推行", "线上办电服务。"]
    dropped = bytearray(len(source))
    for start, end in cleaned.dropped:
        dropped[start:end] = b"\x01" * (end - start)
    debris = "".join(char for offset, char in enumerate(source) if dropped[offset] and not char.isspace())
    assert debris == "-7-■12"


def test_spaces_next_to_chinese_are_removed_but_not_between_latin():
    [line] = clean_lines("2019 年 12 月底前完成 PPP 项目 Ukey 发放\n").lines
    assert line.text.text == "2019年12月底前完成PPP项目Ukey发放"
    [line] = clean_lines("use the API key now\n").lines
    assert line.text.text == "use the API key now"


def test_markdown_is_stripped_and_offsets_follow():
    source = "#### 一、总体要求\n\n- **4.全面优化事项**。上半年完成\n"
    lines = clean_lines(source).lines
    assert [line.text.text for line in lines] == ["一、总体要求", "4.全面优化事项。上半年完成"]
    for line in lines:
        assert "".join(source[o] for o in line.text.offsets) == line.text.text


def test_classify():
    assert classify("| a | b |") is LineKind.TABLE
    assert classify("责任单位\t市商务局") is LineKind.RAW
    assert classify("附件 3") is LineKind.ANNEX_MARK
    assert classify("附件：1.某方案") is LineKind.ANNEX_LIST
    assert classify("责任单位：市商务局") is LineKind.FIELD
    assert classify("（时间节点：2022年6月）") is LineKind.FIELD
    assert classify("11 “三零”：零上门是指实行线上用电报装服务。") is LineKind.FOOTNOTE
    assert classify("⁴ 供电企业：是指国网三门峡供电公司。") is LineKind.FOOTNOTE
    assert classify("注：1. 对于普通高压客户") is LineKind.NOTE
    assert classify("（二十八）方便企业获得电力。") is LineKind.HEADING
    assert classify("12. 优化水电气暖报装") is LineKind.HEADING
    assert classify("2019年12月底前完成。") is LineKind.BODY
    # A budget table's rows come out of a PDF numbered like headings, their amounts at the end.
    assert classify("四、其他收入") is LineKind.HEADING
    assert classify("四、其他收入0.00") is LineKind.BODY
    assert classify("一、财政拨款收入96,282,213.44一、公共安全支出87,267,272.44") is LineKind.BODY


def test_reflow_joins_sentence_cut_by_page_break():
    assert texts("开展高层次人才认定工作业务培训，全面启动全市高层\n\n次人才认定工作；建立数据库。\n") == [
        "开展高层次人才认定工作业务培训，全面启动全市高层次人才认定工作；建立数据库。"]
    # `2019` / `年7月底前` is joined too
    assert texts("深入开展“双创”示范基地提质创优行动。2019\n\n年7月底前，印发实施意见。\n") == [
        "深入开展“双创”示范基地提质创优行动。2019年7月底前，印发实施意见。"]


def test_reflow_keeps_complete_lines_apart():
    assert texts("一、总体要求\n\n以习近平新时代中国特色社会主义思想为指导，全面贯彻\n") == [
        "一、总体要求", "以习近平新时代中国特色社会主义思想为指导，全面贯彻"]
    assert texts("建立工作机制。\n\n（二）强化督查。\n") == ["建立工作机制。", "（二）强化督查。"]
    # a trailing (责任单位：…) note ends its clause even without a full stop
    assert texts("加强宣传，营造良好氛围，（责任单位：市委宣传部）\n\n各单位要按时报送进展情况，确保落实。\n") == [
        "加强宣传，营造良好氛围，（责任单位：市委宣传部）", "各单位要按时报送进展情况，确保落实。"]


def test_reflow_joins_field_line_cut_by_page_break():
    assert texts("责任单位：市金融局、市财政局、人行三门峡市中支、三门\n\n峡银保监分局、市政务和大数据局\n") == [
        "责任单位：市金融局、市财政局、人行三门峡市中支、三门峡银保监分局、市政务和大数据局"]


def test_reflowed_offsets_point_into_both_source_lines():
    source = "开展业务培训，全面启动全市高层\n\n次人才认定工作；\n"
    [line] = reflow(clean_lines(source).lines)
    assert line.number == 1
    assert "".join(source[o] for o in line.text.offsets) == line.text.text
    assert line.text.span == (0, len(source) - 1)


def test_short_unpunctuated_line_is_a_title_and_never_continued():
    assert texts("焦作市2019年优化营商环境工作要点\n\n为贯彻落实工作要求，制定本要点。\n") == [
        "焦作市2019年优化营商环境工作要点", "为贯彻落实工作要求，制定本要点。"]
