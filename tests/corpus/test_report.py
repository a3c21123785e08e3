"""corpus_stats and document_outline: the human-readable views."""

from __future__ import annotations

import pytest

from corpus.models import PassageKind
from corpus.report import corpus_stats, document_outline
from tests.corpus.helpers import ALL_DOCS, D000, D003, D004


def test_corpus_stats_lists_every_document(corpus):
    stats = corpus_stats(corpus)
    lines = stats.split("\n")
    assert lines[0].split()[:3] == ["document", "region", "year"]
    for kind in PassageKind:
        assert str(kind) in lines[0]
    for doc_id in ALL_DOCS:
        row = next(line for line in lines if line.startswith(doc_id[:3]))
        doc = corpus.documents[doc_id]
        assert doc.region in row and str(doc.year) in row
        assert row.split()[-1] == f"{corpus.parsed[doc_id].coverage:.2%}"
        assert row.split()[-4] == str(len(corpus.parsed[doc_id].passages))  # total, mean, max, coverage
    assert any(line.startswith("all") and str(len(corpus.passages)) in line for line in lines)
    longest = max(len(p.text) for p in corpus.passages)
    assert f"max {longest}" in stats and "passage length (chars)" in stats


def test_outline_of_003_lists_annex_labels(parsed):
    outline = document_outline(parsed[D003])
    lines = outline.split("\n")
    assert lines[0].startswith("2021年修武县深入实施高标准营商环境优化行动方案")
    annex_lines = [line.strip() for line in lines if line.startswith("  附件")]
    assert [line.split(" ")[0] for line in annex_lines] == [f"附件{n}" for n in range(1, 16)]
    assert "  附件3 修武县获得电力提升专项行动方案  [L400," in outline


def test_outline_of_004_lists_first_annexes(parsed):
    outline = document_outline(parsed[D004])
    for n in range(1, 6):
        assert f"\n  附件{n} 三门峡市" in outline


def test_outline_with_passages(parsed):
    outline = document_outline(parsed[D000], with_passages=True)
    assert "（二十八）方便企业获得电力  [L93, 1 passages]" in outline
    line = next(line for line in outline.split("\n") if "- clause L93-93" in line)
    assert "责任:市发展改革委、市政务服务和大数据管理局、市供电公司" in line
    assert outline.count("- header ") == 1
    detailed = document_outline(parsed[D004], with_passages=True)
    assert "时限:2022年12月" in detailed and "- table_row " in detailed and "- definition " in detailed
    assert "⏎" in detailed  # multi-line passages are shown on one line


def test_outline_shows_lead_responsible_and_cooperating_units(parsed):
    outline = document_outline(parsed[D003], with_passages=True)
    # 003 line 262: `责任单位：县住房城乡建设局牵头，县自然资源局、县发展改革委、…配合`
    line = next(line for line in outline.split("\n") if "- clause L258-" in line)
    assert " 牵头:县住房城乡建设局 配合:县自然资源局、县发展改革委、县人防办、县水务公司、国网修武县供电公司" in line


def test_outline_of_a_regulation_lists_chapters_and_articles():
    from tests.corpus.shared_documents import SHARED, parsed_shared
    if SHARED is None:
        pytest.skip("../shared is not beside the repository")
    outline = document_outline(parsed_shared("measure/u01_guowuyuan_youhua_yingshang_tiaoli.txt"), with_passages=True)
    lines = outline.split("\n")
    assert lines[0].startswith("优化营商环境条例  [L1,")
    assert "  第二章 市场主体保护  [L42, 0 passages]" in lines
    assert "    第十条  [L44, 1 passages]" in lines
    assert any(line.startswith("      - clause L44-44 (41): 第十条 国家坚持权利平等") for line in lines)
