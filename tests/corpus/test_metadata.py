"""Header metadata (发文机关, 文号, title, date, place) read from each document's first lines."""

from __future__ import annotations

import pytest

from corpus.metadata import compact, extract_header_metadata
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
