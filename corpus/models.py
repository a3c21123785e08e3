"""Plain data records of the corpus stage: documents, source spans and passages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class PassageKind(StrEnum):
    HEADER = "header"  # 发文机关, 文号, title, addressees, date
    CLAUSE = "clause"  # a numbered item (or part of a long one) with its fields
    TEXT = "text"  # unnumbered prose: preambles, annex lists
    TABLE_ROW = "table_row"  # one data row with its header, caption and unit
    DEFINITION = "definition"  # a footnote or remark that defines a term


class Level(StrEnum):
    """Which tier of government issued a document."""

    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


@dataclass(frozen=True)
class Document:
    """A document of the library. Fields the text does not state are None (shown as unknown);
    a field inferred rather than read is named in `guessed`."""

    doc_id: str
    file: str  # the UTF-8 text the passages cite (for docx/pdf/html: the converted text)
    title: str
    issuer: str | None
    doc_number: str | None
    province: str | None
    city: str | None
    county: str | None
    year: int | None
    date: str | None  # ISO date the document was issued (signed, or adopted for a regulation)
    doc_type: str | None = None  # 条例, 规定, 办法, 方案, 通知, 意见, 要点, 措施 …
    level: Level | None = None
    effective_date: str | None = None  # 施行 date, ISO
    repeals: tuple[str, ...] = ()  # titles of documents this one repeals (`…同时废止`)
    source_file: str | None = None  # the file as added to the library, when it was converted
    source_format: str = "txt"  # txt, md, docx, pdf, html
    pages: tuple[int, ...] = ()  # PDF: char offset in `file` where each page starts
    guessed: tuple[str, ...] = ()  # names of fields inferred rather than read from the text

    @property
    def region(self) -> str:
        """The most specific place the document governs, for labels (全国 for national documents)."""
        return self.county or self.city or self.province or ("全国" if self.level is Level.NATIONAL else "")

    @property
    def label(self) -> str:
        """`焦作市 2019`: how answers and cards name a document."""
        return " ".join(part for part in (self.region, str(self.year) if self.year else "") if part) or self.title

    def page_of(self, char_offset: int) -> int | None:
        """1-based page of a character of `file`, for PDFs."""
        if not self.pages:
            return None
        return sum(1 for start in self.pages if start <= char_offset) or 1

    def to_dict(self) -> dict:
        data = asdict(self)
        data["level"] = str(self.level) if self.level else None
        data["repeals"] = list(self.repeals)
        data["pages"] = list(self.pages)
        data["guessed"] = list(self.guessed)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["level"] = Level(values["level"]) if values.get("level") else None
        for name in ("repeals", "pages", "guessed"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


@dataclass(frozen=True)
class SourceSpan:
    """Where a passage comes from: 1-based inclusive lines, 0-based [char_start, char_end)."""

    file: str
    line_start: int
    line_end: int
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Passage:
    passage_id: str
    doc_id: str
    kind: PassageKind
    text: str
    section_path: tuple[str, ...]
    source: SourceSpan
    responsible: tuple[str, ...] = ()  # 责任单位 (and units that carry it out); 牵头 units are in `lead`
    deadline: str | None = None
    term: str | None = None  # the defined term, for definitions
    lead: tuple[str, ...] = ()  # 牵头单位, in the order the text names them
    cooperate: tuple[str, ...] = ()  # 配合单位

    @property
    def units(self) -> tuple[str, ...]:
        """Every unit named for the clause: lead, then responsible, then cooperating."""
        return self.lead + tuple(u for u in self.responsible + self.cooperate if u not in self.lead)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["kind"] = str(self.kind)
        data["section_path"] = list(self.section_path)
        data["responsible"] = list(self.responsible)
        data["lead"] = list(self.lead)
        data["cooperate"] = list(self.cooperate)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Passage:
        return cls(
            passage_id=data["passage_id"],
            doc_id=data["doc_id"],
            kind=PassageKind(data["kind"]),
            text=data["text"],
            section_path=tuple(data["section_path"]),
            source=SourceSpan(**data["source"]),
            responsible=tuple(data.get("responsible", ())),
            deadline=data.get("deadline"),
            term=data.get("term"),
            lead=tuple(data.get("lead", ())),
            cooperate=tuple(data.get("cooperate", ())),
        )


@dataclass
class Section:
    """A node of a document's heading tree, for `corpus show`."""

    title: str
    level: int
    line: int
    children: list[Section] = field(default_factory=list)
    passage_ids: list[str] = field(default_factory=list)
