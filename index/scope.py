"""Which documents a search may use: explicit filters, and places or years named in the question."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from corpus.models import Document, Passage, PassageKind

YEAR = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")


class ScopeMode(StrEnum):
    """What to do with a place or year named in the question."""

    OFF = "off"
    BOOST = "boost"  # rank passages of the named documents higher
    FILTER = "filter"  # search only the named documents


class FilterError(ValueError):
    """A filter value that matches no document: said out loud instead of returning nothing."""


@dataclass(frozen=True)
class SearchFilters:
    city: tuple[str, ...] = ()  # matches a document's city or county (`焦作市` includes 修武县)
    year: tuple[int, ...] = ()
    doc_id: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.city or self.year or self.doc_id or self.kind)


@dataclass(frozen=True)
class NamedScope:
    """Places and years the question names, and the documents they point to."""

    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    doc_ids: frozenset[str] = field(default_factory=frozenset)


def _aliases(name: str) -> list[str]:
    short = re.sub(r"(市|县|区)$", "", name)
    return [name, short] if len(short) >= 2 else [name]


def _city_matches(document: Document, value: str) -> bool:
    return any(value in _aliases(place) for place in (document.city, document.county) if place)


def validate_filters(filters: SearchFilters, documents: dict[str, Document]) -> None:
    docs = documents.values()
    problems = []
    for city in filters.city:
        if not any(_city_matches(d, city) for d in docs):
            problems.append(f"unknown city {city!r} (known: {', '.join(sorted({d.region for d in docs}))})")
    for year in filters.year:
        if not any(d.year == year for d in docs):
            problems.append(f"no document from year {year} (known: {', '.join(str(y) for y in sorted({d.year for d in docs}))})")
    for doc_id in filters.doc_id:
        if doc_id not in documents:
            problems.append(f"unknown doc_id {doc_id!r}")
    for kind in filters.kind:
        if kind not in {k.value for k in PassageKind}:
            problems.append(f"unknown passage kind {kind!r} (known: {', '.join(k.value for k in PassageKind)})")
    if problems:
        raise FilterError("; ".join(problems))


@dataclass(frozen=True)
class Selection:
    """The passages a search may use: a conjunction of optional sets (None: no condition).

    Backends turn it into what they filter with (a mask, a Milvus expression), inside the search.
    """

    places: frozenset[str] | None = None  # full city or county names; the document's city or county is one
    years: frozenset[int] | None = None
    doc_ids: frozenset[str] | None = None
    kinds: frozenset[str] | None = None

    @classmethod
    def of(cls, filters: SearchFilters, documents: dict[str, Document]) -> Selection:
        """The filters with short place names (`修武`) resolved to full ones. Values must be validated first."""
        places = {place for d in documents.values() for place in (d.city, d.county)
                  if place and any(value in _aliases(place) for value in filters.city)}
        return cls(frozenset(places) if filters.city else None, frozenset(filters.year) or None,
                   frozenset(filters.doc_id) or None, frozenset(filters.kind) or None)

    def narrowed(self, doc_ids: set[str] | frozenset[str]) -> Selection:
        """Only passages of these documents too."""
        within = frozenset(doc_ids) if self.doc_ids is None else self.doc_ids & frozenset(doc_ids)
        return Selection(self.places, self.years, within, self.kinds)

    def __bool__(self) -> bool:
        return any(value is not None for value in (self.places, self.years, self.doc_ids, self.kinds))

    def allows(self, passage: Passage, document: Document) -> bool:
        return ((self.places is None or document.city in self.places or document.county in self.places)
                and (self.years is None or document.year in self.years)
                and (self.doc_ids is None or document.doc_id in self.doc_ids)
                and (self.kinds is None or passage.kind in self.kinds))

    def mask(self, passages: list[Passage], documents: dict[str, Document]) -> np.ndarray | None:
        """Boolean mask over `passages` (None: all allowed)."""
        if not self:
            return None
        return np.array([self.allows(p, documents[p.doc_id]) for p in passages], dtype=bool)


def named_scope(question: str, documents: dict[str, Document]) -> NamedScope:
    """`修武 2021 …` → the 修武县 2021 plan. A place alone or a year alone is enough.

    Each named place keeps its own documents, narrowed by a named year only where one matches,
    so `焦作2023 修武 三门峡` means 焦作's 2023 plan and every plan of 修武 and 三门峡.
    """
    regions = []
    for d in documents.values():
        if any(alias in question for alias in _aliases(d.region)) and d.region not in regions:
            regions.append(d.region)
    years = sorted({int(y) for y in YEAR.findall(question)} & {d.year for d in documents.values()})
    if not regions:
        doc_ids = {doc_id for doc_id, d in documents.items() if d.year in years}
    else:
        doc_ids = set()
        for region in regions:
            of_region = {doc_id for doc_id, d in documents.items() if d.region == region}
            doc_ids |= {doc_id for doc_id in of_region if documents[doc_id].year in years} or of_region
    return NamedScope(tuple(regions), tuple(years), frozenset(doc_ids))
