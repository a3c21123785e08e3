"""Extraction inside one passage: cleaning, table rows, the fragment with the figure, duty notes."""

from __future__ import annotations

import pytest

from corpus.models import Passage, PassageKind
from index.retriever import Retriever
from qa.extract import Context, clean, extract_how_much, extract_list, extract_table, extract_who, is_table_of_contents


def _context(retriever: Retriever, question: str) -> Context:
    weights = {t: max(retriever.lexical.idf(t), 0.0) for t in set(retriever.tokenizer.tokenize(question))}
    return Context(weights, lambda text: frozenset(retriever.tokenizer.tokenize(text)))


def _passage_with(retriever: Retriever, text: str) -> Passage:
    return next(p for p in retriever.passages if text in p.text)


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("低压居民、低压小微企业¹实行免审批，", "低压居民、低压小微企业实行免审批"),
    ("完成时限：2021年5月）", "完成时限：2021年5月"),
    ("（市政务服务和大数据局牵头，市直各相关部门负责", "市政务服务和大数据局牵头，市直各相关部门负责"),
    ("11 “三零”：零上门是指线上报装。", "“三零”：零上门是指线上报装"),
    ("**进一步提升办电效率。**全过程办电时间", "进一步提升办电效率。全过程办电时间"),
    ("各县（市、区）政府负责。", "各县（市、区）政府负责"),
])
def test_clean(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_the_figure_about_the_subject_wins_over_the_first_figure(retriever: Retriever) -> None:
    """004 states the 16/24-day limits, then a 5-day approval time: the question is about the first."""
    passage = _passage_with(retriever, "高压单电源普通客户、高压双电源普通客户分别不超过5个、16个、24个工作日")
    extract = extract_how_much(passage, _context(retriever, "三门峡市高压用户报装时限是多少"))
    assert extract is not None
    assert "16个、24个工作日" in extract.text and "审批" not in extract.text


def test_who_quotes_the_duty_note(retriever: Retriever) -> None:
    passage = _passage_with(retriever, "继续压缩企业开办环节和成本")
    extract = extract_who(passage, _context(retriever, "修武压缩企业开办环节由谁牵头"))
    assert extract is not None
    assert extract.text == "县市场监督管理局牵头，县公安局、县税务局按职责分工负责"
    assert "县市场监督管理局" in (extract.value or "")


def test_table_rows_become_header_value_pairs(retriever: Retriever) -> None:
    rows = [p for p in retriever.passages if p.kind is PassageKind.TABLE_ROW]
    assert rows, "the corpus has tables"
    ctx = _context(retriever, "现状水平")
    for passage in rows:
        extract = extract_table(passage, ctx)
        assert extract is not None and "|" not in extract.text, passage.passage_id


def test_a_list_of_annexes_answers_with_its_titles(retriever: Retriever) -> None:
    toc = [p for p in retriever.passages if is_table_of_contents(p) and p.kind is not PassageKind.HEADER]
    assert toc, "004 lists its annexes"
    passage = max(toc, key=lambda p: p.text.count("方案"))
    extract = extract_list(passage, _context(retriever, "有哪些专项行动方案"))
    assert extract is not None
    assert "..." not in extract.text and "…" not in extract.text[:-1]
    assert extract.text.count("方案") >= 5


def test_the_value_of_a_figure_list_is_the_whole_list(retriever: Retriever) -> None:
    passage = _passage_with(retriever, "高压单电源普通客户、高压双电源普通客户分别不超过5个、16个、24个工作日")
    extract = extract_how_much(passage, _context(retriever, "三门峡市高压用户报装时限是多少"))
    assert extract is not None and extract.value == "不超过5个、16个、24个工作日"
