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


@dataclass(frozen=True)
class Document:
    doc_id: str
    file: str
    title: str
    issuer: str
    doc_number: str
    province: str
    city: str
    county: str | None
    year: int
    date: str | None

    @property
    def region(self) -> str:
        """The most specific place the document governs, for labels."""
        return self.county or self.city

    def to_dict(self) -> dict:
        return asdict(self)


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
    responsible: tuple[str, ...] = ()
    deadline: str | None = None
    term: str | None = None  # the defined term, for definitions

    def to_dict(self) -> dict:
        data = asdict(self)
        data["kind"] = str(self.kind)
        data["section_path"] = list(self.section_path)
        data["responsible"] = list(self.responsible)
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
        )


@dataclass
class Section:
    """A node of a document's heading tree, for `corpus show`."""

    title: str
    level: int
    line: int
    children: list[Section] = field(default_factory=list)
    passage_ids: list[str] = field(default_factory=list)
