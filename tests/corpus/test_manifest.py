"""The reviewed manifest agrees with what the headers say, field by field."""

from __future__ import annotations

import json

from corpus.documents import DOCUMENT_FIELDS, DOCUMENTS_DIR, MANIFEST_PATH, load_manifest
from corpus.manifest import extract_manifest_entries
from tests.corpus.helpers import ALL_DOCS, D003


def manifest_entries() -> list[dict]:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["documents"]


def test_extraction_agrees_with_manifest_except_reviewed_fields():
    extracted = {entry["doc_id"]: entry for entry in extract_manifest_entries(DOCUMENTS_DIR)}
    entries = manifest_entries()
    assert sorted(extracted) == sorted(entry["doc_id"] for entry in entries)
    for entry in entries:
        reviewed = set(entry["reviewed"])
        assert reviewed <= set(DOCUMENT_FIELDS) - {"doc_id", "file"}, entry["doc_id"]
        for name in DOCUMENT_FIELDS:
            if name not in reviewed:
                assert extracted[entry["doc_id"]][name] == entry[name], (entry["doc_id"], name)


def test_reviewed_fields_really_differ_from_extraction():
    # a field marked reviewed but equal to the extraction would hide nothing: keep the list honest
    extracted = {entry["doc_id"]: entry for entry in extract_manifest_entries(DOCUMENTS_DIR)}
    for entry in manifest_entries():
        for name in entry["reviewed"]:
            assert extracted[entry["doc_id"]][name] != entry[name], (entry["doc_id"], name)


def test_every_manifest_file_exists_and_every_file_is_listed():
    files = sorted(path.name for path in DOCUMENTS_DIR.glob("*.txt"))
    listed = [entry["file"] for entry in manifest_entries()]
    assert sorted(listed) == files
    for entry in manifest_entries():
        assert (DOCUMENTS_DIR / entry["file"]).is_file()
        assert entry["file"] == entry["doc_id"] + ".txt"


def test_document_years_and_places():
    docs = load_manifest()
    assert [doc.doc_id for doc in docs] == list(ALL_DOCS)
    assert [doc.year for doc in docs] == [2019, 2020, 2023, 2021, 2022]
    xiuwu = {doc.doc_id: doc for doc in docs}[D003]
    assert xiuwu.county == "修武县" and xiuwu.city == "焦作市" and xiuwu.region == "修武县"
    assert xiuwu.issuer == "中共修武县委办公室、修武县人民政府办公室"  # the reviewed correction
    assert all(doc.province == "河南省" for doc in docs)
    assert {doc.region for doc in docs} == {"焦作市", "平顶山市", "修武县", "三门峡市"}
