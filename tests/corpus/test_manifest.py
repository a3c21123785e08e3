"""The reviewed record of the bundled documents agrees with what the library extracts, field by field,
except where a field was corrected by hand; and it is what the library serves."""

from __future__ import annotations

import json

import pytest

from corpus.documents import DOCUMENTS_DIR, MANIFEST_PATH, open_library
from corpus.library import REVIEWABLE_FIELDS, LibraryState, load_reviewed
from tests.corpus.helpers import ALL_DOCS, D003


def reviewed_entries() -> dict[str, dict]:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["documents"]


@pytest.fixture(scope="module")
def state() -> LibraryState:
    return open_library().load()


def test_extraction_agrees_with_the_record_except_fields_corrected_by_hand(state):
    for doc_id, entry in reviewed_entries().items():
        extracted = state.entries[doc_id].extracted
        corrected = set(entry["reviewed"])
        assert corrected <= set(REVIEWABLE_FIELDS), doc_id
        for name, value in entry.items():
            if name in REVIEWABLE_FIELDS and name not in corrected:
                assert extracted[name] == value, (doc_id, name)


def test_fields_corrected_by_hand_really_differ_from_extraction(state):
    # a field marked corrected but equal to the extraction would hide nothing: keep the list honest
    for doc_id, entry in reviewed_entries().items():
        for name in entry["reviewed"]:
            assert state.entries[doc_id].extracted[name] != entry[name], (doc_id, name)


def test_every_bundled_file_is_reviewed_and_every_entry_has_its_file():
    files = sorted(path.stem for path in DOCUMENTS_DIR.glob("*.txt"))
    assert sorted(reviewed_entries()) == files == list(ALL_DOCS)


def test_the_library_serves_the_reviewed_values(state):
    reviewed = load_reviewed((MANIFEST_PATH,))
    for doc_id, values in reviewed.items():
        document = state.documents[doc_id].to_dict()
        assert {name: document[name] for name in values} == values
        assert not set(values) & set(document["guessed"])
    assert [d.year for d in state.documents.values()] == [2019, 2020, 2023, 2021, 2022]
    xiuwu = state.documents[D003]
    assert xiuwu.county == "修武县" and xiuwu.city == "焦作市" and xiuwu.region == "修武县"
    assert xiuwu.issuer == "中共修武县委办公室、修武县人民政府办公室"  # the hand correction
    assert all(d.province == "河南省" for d in state.documents.values())
    assert {d.region for d in state.documents.values()} == {"焦作市", "平顶山市", "修武县", "三门峡市"}
