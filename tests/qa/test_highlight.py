"""Highlighting of figures, dates and units, on examples and on the real corpus."""

from __future__ import annotations

import re

import pytest

from index.retriever import Retriever
from qa.highlight import highlight_spans, merge_spans
from tests.qa.helpers import QUESTION, spans_valid

NUMERAL = re.compile(r"\d|[一二两三四五六七八九十百千]")


def marked(text: str, question: str = "") -> list[str]:
    return [text[start:end] for start, end in highlight_spans(text, question)]


# ---------------------------------------------------------------------------------------------
# highlight_spans


@pytest.mark.parametrize(("text", "expected"), [
    ("高压用户报装电网业务办理时限压缩至20个工作日以内，年度电网故障抢修", ["压缩至20个工作日以内"]),
    ("其余低压接入用户受理后7个工作日内送电", ["7个工作日内"]),
    ("低压居民办电时间不超过3个工作日。", ["不超过3个工作日"]),
    ("企业开办时间压缩至0.5个工作日", ["压缩至0.5个工作日"]),
    ("年度电网故障抢修平均恢复时长同比降低5%以上。", ["降低5%以上"]),
    ("注册用户数突破131万", []),  # a bare 万 is not a unit
    ("上线事项数102项", ["102项"]),
    ("总长度超过28米，或者总质量超过100000千克的", ["超过28米", "超过100000千克"]),
    ("6月底前实现企业开办“一日办结”", ["6月底前", "一日"]),  # a Chinese numeral with its unit
    ("收入总计96,282,213.44元，共1,234家", ["96,282,213.44元", "1,234家"]),  # thousands grouped by commas
])
def test_highlights_figures(text: str, expected: list[str]) -> None:
    assert marked(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2019年12月底前，入驻政务服务大厅", ["2019年12月底前"]),
    ("9月底前，居民客户具备电子签章确认", ["9月底前"]),
    ("完成时限：2021年5月", ["2021年5月"]),
    ("2023年底前完成", ["2023年底前"]),
    ("自2022年3月1日起施行", ["2022年3月1日起"]),
    ("2019年6月底前实现一网通办，12月底前入驻大厅", ["2019年6月底前", "12月底前"]),
])
def test_highlights_dates(text: str, expected: list[str]) -> None:
    assert marked(text) == expected


def test_highlights_responsible_units_only_when_asked_who() -> None:
    text = "为客户免费提供典型设计服务。（责任单位：市供电公司）"
    assert marked(text) == []
    assert marked(text, "谁负责典型设计") == ["市供电公司"]
    assert marked(text, "哪个部门负责") == ["市供电公司"]


def test_no_figures_no_highlights() -> None:
    assert highlight_spans("持续优化线上办电功能，丰富服务渠道建设。", QUESTION) == []
    assert highlight_spans("", QUESTION) == []


def test_overlapping_figure_and_date_are_merged() -> None:
    text = "2022年底前压缩至5个工作日"
    spans = highlight_spans(text, "")
    assert spans_valid(spans, text)
    assert [text[s:e] for s, e in spans] == ["2022年底前压缩至5个工作日"]


def test_merge_spans() -> None:
    assert merge_spans([]) == []
    assert merge_spans([(5, 8), (0, 3), (2, 4), (8, 9)]) == [(0, 4), (5, 9)]
    assert merge_spans([(0, 10), (2, 3)]) == [(0, 10)]


def test_highlights_valid_on_every_passage(retriever: Retriever) -> None:
    """Over the whole corpus: sorted, disjoint, in range; every figure or date span has a digit."""
    with_spans = 0
    for passage in retriever.passages:
        spans = highlight_spans(passage.text, QUESTION)
        assert spans_valid([list(s) for s in spans], passage.text), passage.passage_id
        for start, end in spans:
            assert NUMERAL.search(passage.text[start:end]), (passage.passage_id, passage.text[start:end])
        with_spans += bool(spans)
    assert with_spans > len(retriever.passages) / 2


