"""The document library: a folder of real documents, its record, reviewed fields, staged changes and bad files.

Library-level only (no index): tests/qa/test_library_api.py covers changes through the service and HTTP.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from corpus.documents import DOCUMENTS_DIR, MANIFEST_PATH, open_library
from corpus.library import Library, LibraryError, LibraryProblem, LibraryState, safe_file_name
from corpus.models import Level
from corpus.readers import MAX_BYTES, Unreadable
from index.scope import FilterError, SearchFilters, Selection, named_scope, validate_filters
from tests.corpus.helpers import ALL_DOCS, D000, D001

SHARED = next((p / "shared" for p in Path(__file__).parents if (p / "shared" / "samples").is_dir()), Path("shared"))
SAMPLES = SHARED / "samples"
MEASURE = SHARED / "measure"
YANTAI = "yantai_youhua_yingshang_tiaoli_2021"
SHANGHAI = "shanghai_dajian_yunshu_yijianshi_2025"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repository")


def library_of(folder: Path, files: list[Path]) -> Library:
    documents = folder / "documents"
    documents.mkdir(parents=True)
    for path in files:
        shutil.copy(path, documents / path.name)
    return open_library(documents, library_root=folder / "library")


def folder_listing(library: Library) -> list[str]:
    """The files a user sees (staging folders are hidden)."""
    return sorted(p.name for p in library.documents_dir.iterdir() if not p.name.startswith("."))


@pytest.fixture(scope="module")
def seven(tmp_path_factory: pytest.TempPathFactory) -> LibraryState:
    """The bundled five and the two samples in one folder."""
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not beside the repository")
    files = sorted(DOCUMENTS_DIR.glob("*.txt")) + sorted(SAMPLES.glob("*.txt"))
    return library_of(tmp_path_factory.mktemp("seven"), files).load()


def test_every_supported_file_is_a_document_with_an_id_from_its_name(seven: LibraryState) -> None:
    assert sorted(seven.documents) == sorted([*ALL_DOCS, SHANGHAI, YANTAI])
    for doc_id, document in seven.documents.items():
        assert document.file == document.source_file == f"{doc_id}.txt"
        assert seven.corpus.parsed[doc_id].passages, doc_id
        assert seven.corpus.text_of(doc_id) == (seven.corpus.texts[doc_id]).read_text(encoding="utf-8")


def test_the_bundled_five_keep_their_reviewed_metadata_exactly(seven: LibraryState) -> None:
    reviewed = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["documents"]
    for doc_id, entry in reviewed.items():
        document = seven.documents[doc_id].to_dict()
        for name, value in entry.items():
            if name != "reviewed":
                assert document[name] == value, (doc_id, name)
        assert document["level"] == ("county" if doc_id.startswith("003") else "city")


@needs_samples
def test_metadata_of_the_city_regulation(seven: LibraryState) -> None:
    d = seven.documents[YANTAI]
    assert (d.title, d.issuer, d.doc_number) == ("烟台市优化营商环境条例", "烟台市人民代表大会常务委员会", None)
    assert (d.province, d.city, d.county, d.level) == ("山东省", "烟台市", None, Level.CITY)
    assert (d.year, d.date, d.effective_date, d.doc_type) == (2021, "2021-10-28", "2022-01-01", "条例")
    assert d.label == "烟台市 2021" and d.repeals == ()


@needs_samples
def test_metadata_of_the_municipal_notice(seven: LibraryState) -> None:
    d = seven.documents[SHANGHAI]
    assert d.title == "高效办成大件运输“一件事”实施方案"
    assert d.issuer == "上海市交通委员会、上海市公安局"
    assert d.doc_number is None  # the number is not in the text
    assert (d.province, d.city, d.county, d.level) == ("上海市", "上海市", None, Level.PROVINCE)
    assert (d.year, d.date, d.doc_type) == (2025, "2025-04-01", "方案")
    assert d.repeals == ("大件运输许可“一件事”改革工作方案",)


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    library = library_of(tmp_path, [DOCUMENTS_DIR / f"{D001}.txt"])
    first = library.load()
    stored = first.corpus.texts[D001]
    # a marker in the stored text survives a reload: the source was not converted again
    stored.write_text(stored.read_text(encoding="utf-8") + "\n（标记）\n", encoding="utf-8")
    assert library.load().corpus.text_of(D001).endswith("（标记）\n")
    # a changed source is read again
    source = library.documents_dir / f"{D001}.txt"
    source.write_text(source.read_text(encoding="utf-8") + "\n附：补充说明。\n", encoding="utf-8")
    again = library.load()
    assert again.corpus.text_of(D001).endswith("附：补充说明。\n") and not stored.exists()


def test_doc_ids_are_stable_and_distinct_for_shared_stems(tmp_path: Path) -> None:
    library = library_of(tmp_path, [DOCUMENTS_DIR / f"{D000}.txt"])
    library.load()
    markdown = library.documents_dir / f"{D000}.md"
    markdown.write_text("# 某市关于进一步做好营商环境工作的通知\n\n一、总体要求\n\n（一）压缩办理时限至3个工作日。\n", encoding="utf-8")
    state = library.load()
    assert set(state.documents) == {D000, f"{D000}_md"}
    assert open_library(library.documents_dir, library_root=tmp_path / "library").load().documents.keys() == \
        state.documents.keys()


def test_a_files_own_reviewed_record_overrides_extraction(tmp_path: Path) -> None:
    library = library_of(tmp_path, [SAMPLES / f"{SHANGHAI}.txt"]) if SAMPLES.is_dir() else pytest.skip("no samples")
    (library.documents_dir / "reviewed.json").write_text(json.dumps(
        {"documents": {SHANGHAI: {"doc_number": "沪交法〔2025〕175号"}}}, ensure_ascii=False), encoding="utf-8")
    state = library.load()
    assert state.documents[SHANGHAI].doc_number == "沪交法〔2025〕175号"
    assert state.reviewed[SHANGHAI] == ("doc_number",)
    assert sorted(state.documents) == [SHANGHAI]  # reviewed.json is not a document


@pytest.fixture
def small(tmp_path: Path) -> tuple[Library, LibraryState]:
    library = library_of(tmp_path, [DOCUMENTS_DIR / f"{D001}.txt"])
    return library, library.load()


def bad_file(tmp_path: Path, case: str) -> tuple[str, Path]:
    path = tmp_path / "upload"
    if case == "empty":
        path.write_bytes(b"")
        return "空文件.txt", path
    if case == "binary":
        path.write_bytes(bytes(range(256)) * 20)
        return "data.txt", path
    if case == "unsupported_type":
        path.write_bytes("关于印发方案的通知".encode())
        return "方案.doc", path
    if case == "too_large":
        with path.open("wb") as f:
            f.truncate(MAX_BYTES + 1)  # sparse: over the limit without writing 20 MB
        return "big.txt", path
    if case == "needs_ocr":
        pdf = pdfium.PdfDocument.new()
        pdf.new_page(595, 842)  # a page with no text layer, as a scan has
        pdf.save(str(path))
        return "scan.pdf", path
    if case == "undecodable":
        path.write_bytes(b"\x81 " * 400)
        return "garbled.txt", path
    if case == "duplicate":
        shutil.copy(DOCUMENTS_DIR / f"{D001}.txt", path)
        return "another_name.txt", path
    if case == "name_taken":
        shutil.copy(DOCUMENTS_DIR / f"{D000}.txt", path)
        return f"{D001}.txt", path
    raise ValueError(case)


@pytest.mark.parametrize("case", ["empty", "binary", "unsupported_type", "too_large", "needs_ocr", "undecodable",
                                  "duplicate", "name_taken"])
def test_a_bad_file_is_refused_and_changes_nothing(small, tmp_path: Path, case: str) -> None:
    library, state = small
    before_listing, before_record = folder_listing(library), library.record_path.read_bytes()
    with pytest.raises(LibraryError) as error:
        library.stage_add(state, [bad_file(tmp_path, case)])
    assert error.value.reason == case and error.value.message
    assert folder_listing(library) == before_listing
    assert library.record_path.read_bytes() == before_record
    assert library.load().documents.keys() == state.documents.keys()


def test_a_bad_file_among_good_ones_refuses_the_whole_change(small, tmp_path: Path) -> None:
    library, state = small
    before = folder_listing(library)
    with pytest.raises(LibraryError):
        library.stage_add(state, [(f"{D000}.txt", DOCUMENTS_DIR / f"{D000}.txt"), bad_file(tmp_path, "empty")])
    assert folder_listing(library) == before


def test_added_and_removed_documents_appear_only_on_commit(small) -> None:
    library, state = small
    change = library.stage_add(state, [("../../escape/" + f"{D000}.txt", DOCUMENTS_DIR / f"{D000}.txt")])
    assert sorted(change.state.documents) == [D000, D001]
    assert folder_listing(library) == [f"{D001}.txt"]  # staged copies are hidden until commit
    change.commit()
    assert folder_listing(library) == [f"{D000}.txt", f"{D001}.txt"]  # the path in the name was dropped
    assert sorted(p.name for p in library.documents_dir.iterdir()) == folder_listing(library)  # no staging left
    assert change.state.corpus.parsed[D001] is state.corpus.parsed[D001]  # unchanged documents are not re-parsed
    assert library.load().documents.keys() == {D000, D001}

    removal = library.stage_remove(change.state, D000)
    removal.discard()
    assert folder_listing(library) == [f"{D000}.txt", f"{D001}.txt"]
    removal = library.stage_remove(change.state, D000)
    removal.commit()
    assert folder_listing(library) == [f"{D001}.txt"]
    assert list(library.load().documents) == [D001]
    with pytest.raises(LibraryError) as error:
        library.stage_remove(removal.state, D000)
    assert error.value.reason is LibraryProblem.UNKNOWN_DOCUMENT


@pytest.mark.parametrize("name", ["", "..", "/", "a/..", " . "])
def test_unusable_file_names_are_refused(name: str) -> None:
    with pytest.raises(LibraryError) as error:
        safe_file_name(name)
    assert error.value.reason is LibraryProblem.BAD_NAME


def test_file_names_lose_their_path_and_control_characters() -> None:
    assert safe_file_name("C:\\Users\\x\\烟台条例.txt") == "烟台条例.txt"
    assert safe_file_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_file_name("a\nb?.md") == "a_b_.md"
    assert safe_file_name(".hidden.txt") == "hidden.txt"  # never a hidden file the library would not see


def test_a_folder_file_that_cannot_be_read_is_skipped_with_its_reason(tmp_path: Path) -> None:
    library = library_of(tmp_path, [DOCUMENTS_DIR / f"{D001}.txt"])
    (library.documents_dir / "empty.txt").write_bytes(b"")
    (library.documents_dir / "notes.xlsx").write_bytes(b"PK")  # not a supported type: not a document at all
    state = library.load()
    assert list(state.documents) == [D001]
    assert [(s.source, s.reason) for s in state.skipped] == [("empty.txt", str(Unreadable.EMPTY))]


# ---- downstream: filters and places named in a question follow the library -------------------------------


@pytest.fixture(scope="module")
def provinces(tmp_path_factory: pytest.TempPathFactory) -> LibraryState:
    """A Guangdong provincial regulation, a Guangzhou notice, a Shanghai notice and a Henan plan."""
    if not MEASURE.is_dir() or not SAMPLES.is_dir():
        pytest.skip("../shared/measure or ../shared/samples is not beside the repository")
    files = [MEASURE / "u02_guangdong_youhua_yingshang_tiaoli.txt", MEASURE / "u08_guangzhou_menzhen_tebing.txt",
             SAMPLES / f"{SHANGHAI}.txt", DOCUMENTS_DIR / f"{D001}.txt"]
    return library_of(tmp_path_factory.mktemp("provinces"), files).load()


GUANGDONG, GUANGZHOU = "u02_guangdong_youhua_yingshang_tiaoli", "u08_guangzhou_menzhen_tebing"


def test_places_in_a_question_come_from_the_library_and_the_gazetteer(provinces: LibraryState) -> None:
    docs = provinces.documents
    assert docs[GUANGDONG].level is Level.PROVINCE and docs[GUANGZHOU].city == "广州市"
    for question in ("上海大件运输怎么申请", "上海市大件运输", "沪 大件运输"):
        assert named_scope(question, docs).doc_ids == {SHANGHAI}, question
    assert named_scope("广东 数据共享", docs).doc_ids == {GUANGDONG, GUANGZHOU}
    assert named_scope("广东省优化营商环境条例 数据共享", docs).doc_ids == {GUANGDONG}  # named by its title
    assert named_scope("广东 数据共享", docs).regions == ("广东省",)
    assert named_scope("平顶山 2020 报装", docs).doc_ids == {D001}
    assert named_scope("北京 报装", docs).doc_ids == frozenset()  # a place without documents names nothing


def test_a_provincial_document_stays_in_scope_when_a_city_is_named(provinces: LibraryState) -> None:
    scope = named_scope("广州 门诊特定病种 支付标准", provinces.documents)
    assert scope.regions == ("广州市",)
    assert scope.doc_ids == {GUANGZHOU, GUANGDONG}  # Guangdong's regulation governs Guangzhou
    assert SHANGHAI not in named_scope("上海 广州 对比", provinces.documents).docs_of("广州市")


def test_a_document_named_by_its_title_is_asked_about_alone(provinces: LibraryState) -> None:
    """`广州…门诊特定病种费用范围及标准` is the city's own notice: the provincial regulation that governs
    广州 is not what the question asks about. The title's place may be left out or shortened."""
    for question in ("广州市社会医疗保险统筹基金支付门诊特定病种费用范围及标准什么时候施行",
                     "广州社会医疗保险统筹基金支付门诊特定病种费用范围及标准 支付比例"):
        assert named_scope(question, provinces.documents).doc_ids == {GUANGZHOU}, question


def test_filters_take_any_place_of_the_library_and_list_them_when_unknown(provinces: LibraryState) -> None:
    docs, passages = provinces.documents, provinces.corpus.passages

    def allowed(**filters) -> set[str]:  # noqa: ANN003
        search = SearchFilters(**{k: tuple(v) for k, v in filters.items()})
        validate_filters(search, docs)
        mask = Selection.of(search, docs).mask(passages, docs)
        return {p.doc_id for p, keep in zip(passages, mask) if keep}

    assert allowed(city=["广东省"]) == allowed(city=["广东"]) == {GUANGDONG, GUANGZHOU}
    assert allowed(city=["广州"]) == {GUANGZHOU}
    assert allowed(city=["沪"]) == {SHANGHAI}
    assert allowed(year=[2020]) == {D001}
    with pytest.raises(FilterError) as error:
        validate_filters(SearchFilters(city=("北京市",), year=(1999,)), docs)
    for known in ("广东省", "广州市", "上海市", "平顶山市", "2025", "2020"):
        assert known in str(error.value)
