"""Which documents a search may use: explicit filters, and places or years named in the question."""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from corpus.gazetteer import ABBREVIATIONS, Place, aliases, find_places, resolve
from corpus.models import Document, Level, Passage, PassageKind

YEAR = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")
MIN_TITLE = 6  # characters of a title, its place left out, that name a document (`优化营商环境条例`)
NOTICE_OF = re.compile(r"^关于(?:印发|发布|公布|转发|调整)?《?(.+?)》?的通知$")


class ScopeMode(StrEnum):
    """What to do with a place or year named in the question."""

    OFF = "off"
    BOOST = "boost"  # rank passages of the named documents higher
    FILTER = "filter"  # search only the named documents


class FilterError(ValueError):
    """A filter value that matches no document: said out loud instead of returning nothing."""


@dataclass(frozen=True)
class SearchFilters:
    city: tuple[str, ...] = ()  # a province, city or county (`焦作市` includes 修武县, `河南` every plan of Henan)
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
    region_docs: tuple[frozenset[str], ...] = ()  # per region: its documents and those that govern it

    def docs_of(self, region: str) -> frozenset[str]:
        return self.region_docs[self.regions.index(region)]


def _short_form(name: str) -> str:
    return re.sub(r"(省|市|县|区)$", "", name)


@lru_cache(maxsize=4096)
def place_aliases(name: str) -> frozenset[str]:
    """What a place may be called: 广东省 → {广东省, 广东}, 上海市 → {上海市, 上海, 沪}."""
    names = {name, *aliases(name)}
    short = _short_form(name)
    if len(short) >= 2:
        names.add(short)
    place = resolve(name)
    if place is not None and place.rank == 0:
        names |= {abbr for abbr in ABBREVIATIONS.values() if resolve(abbr) == place}
    return frozenset(names)


def _places_of(document: Document) -> tuple[str, ...]:
    return tuple(p for p in (document.county, document.city, document.province) if p)


def _place_matches(document: Document, value: str) -> bool:
    """Does a filter value (a province, city or county, or a short form) name the document's place?"""
    return any(value in place_aliases(place) for place in _places_of(document))


def mention_position(question: str, document: Document) -> int | None:
    """Where the question first names the document's own place (any of its names; a county's plan is not
    named by its city's name), or None."""
    found = [question.find(alias) for alias in place_aliases(document.region)] if document.region else []
    return min((i for i in found if i >= 0), default=None)


def _known_places(documents: dict[str, Document]) -> list[str]:
    return sorted({place for d in documents.values() for place in _places_of(d)})


def validate_filters(filters: SearchFilters, documents: dict[str, Document]) -> None:
    docs = documents.values()
    problems = []
    for city in filters.city:
        if not any(_place_matches(d, city) for d in docs):
            known = ", ".join(_known_places(documents)) or "none"
            problems.append(f"unknown city {city!r}: no document of that place (known: {known})")
    years = sorted({d.year for d in docs if d.year is not None})
    for year in filters.year:
        if year not in years:
            problems.append(f"no document from year {year} (known: {', '.join(map(str, years)) or 'none'})")
    for doc_id in filters.doc_id:
        if doc_id not in documents:
            problems.append(f"unknown doc_id {doc_id!r} (known: {', '.join(sorted(documents))})")
    for kind in filters.kind:
        if kind not in {k.value for k in PassageKind}:
            problems.append(f"unknown passage kind {kind!r} (known: {', '.join(k.value for k in PassageKind)})")
    if problems:
        raise FilterError("; ".join(problems))


@dataclass(frozen=True)
class Selection:
    """The passages a search may use: a conjunction of optional sets (None: no condition).

    Backends turn it into what they filter with (a mask, a Milvus expression), inside the search.
    A place filter becomes the documents of that place (province, city or county), so every backend
    filters places the same way, by doc_id.
    """

    years: frozenset[int] | None = None
    doc_ids: frozenset[str] | None = None
    kinds: frozenset[str] | None = None

    @classmethod
    def of(cls, filters: SearchFilters, documents: dict[str, Document]) -> Selection:
        """The filters with place names (`修武`, `广东`, `沪`) resolved to their documents. Values must be validated first."""
        doc_ids = set(filters.doc_id) if filters.doc_id else None
        if filters.city:
            of_places = {doc_id for doc_id, d in documents.items() if any(_place_matches(d, c) for c in filters.city)}
            doc_ids = of_places if doc_ids is None else doc_ids & of_places
        return cls(frozenset(filters.year) or None, None if doc_ids is None else frozenset(doc_ids),
                   frozenset(filters.kind) or None)

    def narrowed(self, doc_ids: set[str] | frozenset[str]) -> Selection:
        """Only passages of these documents too."""
        within = frozenset(doc_ids) if self.doc_ids is None else self.doc_ids & frozenset(doc_ids)
        return Selection(self.years, within, self.kinds)

    def __bool__(self) -> bool:
        return any(value is not None for value in (self.years, self.doc_ids, self.kinds))

    def allows(self, passage: Passage, document: Document) -> bool:
        return ((self.years is None or document.year in self.years)
                and (self.doc_ids is None or document.doc_id in self.doc_ids)
                and (self.kinds is None or passage.kind in self.kinds))

    def mask(self, passages: list[Passage], documents: dict[str, Document]) -> np.ndarray | None:
        """Boolean mask over `passages` (None: all allowed)."""
        if not self:
            return None
        return np.array([self.allows(p, documents[p.doc_id]) for p in passages], dtype=bool)


def names_title(question: str, document: Document) -> bool:
    """Does the question name the document by its title, the place in it said or not (`烟台优化营商环境条例`
    for 烟台市优化营商环境条例), or a notice by what it issues (`关于印发X的通知`: X)?"""
    said = re.sub(r"\s+", "", question)
    title = re.sub(r"\s+", "", document.title)
    titles = {title, *NOTICE_OF.findall(title)}
    for name in sorted({document.region, *aliases(document.region)} - {""}, key=len, reverse=True):
        said, titles = said.replace(name, ""), {t.replace(name, "") for t in titles}
    return any(len(t) >= MIN_TITLE and t in said for t in titles)


def _within(document: Document, place: Place) -> bool:
    """Is the named place the document's own? A county's or a city's documents are its own (a city's plans
    not its counties'); a province's are every document of the province."""
    if place.county:
        return document.county == place.county and (not document.city or document.city == place.city)
    if place.rank == 1:
        return document.city == place.city and not document.county
    return document.province == place.province


def _governs(document: Document, place: Place) -> bool:
    """A national document governs every place; a provincial one the places of its province."""
    if document.level is Level.NATIONAL:
        return True
    return document.level is Level.PROVINCE and document.province == place.province and not _within(document, place)


def _named_places(question: str, documents: dict[str, Document]) -> list[Place]:
    """Places the gazetteer finds in the question, and the library's own places named by any of their names."""
    places = list(find_places(question))
    for d in documents.values():
        for name in _places_of(d):
            if any(alias in question for alias in place_aliases(name)):
                place = resolve(name) or Place(d.province or "", d.city if name != d.province else None,
                                               d.county if name == d.county else None)
                if place not in places and not any(_same_place(place, p) for p in places):
                    places.append(place)
    return places


def _same_place(a: Place, b: Place) -> bool:
    return a.name == b.name and a.province == b.province


def named_scope(question: str, documents: dict[str, Document]) -> NamedScope:
    """`修武 2021 …` → the 修武县 2021 plan. A place alone or a year alone is enough.

    Each named place keeps its own documents, narrowed by a named year only where one matches,
    so `焦作2023 修武 三门峡` means 焦作's 2023 plan and every plan of 修武 and 三门峡. Documents
    that govern a named place (national ones, its province's) stay in scope: naming a city never
    demotes them.
    """
    order = {doc_id: i for i, doc_id in enumerate(documents)}
    years = sorted({int(y) for y in YEAR.findall(question)} & {d.year for d in documents.values() if d.year})
    groups: list[tuple[int, str, frozenset[str]]] = []
    for place in _named_places(question, documents):
        own = {doc_id for doc_id, d in documents.items() if _within(d, place)}
        if not own:
            continue
        own = {doc_id for doc_id in own if documents[doc_id].year in years} or own
        # `烟台优化营商环境条例什么时候施行` names 烟台's own 条例: the national one that governs 烟台 is not asked about.
        titled = {doc_id for doc_id in own if names_title(question, documents[doc_id])}
        governing = set() if titled else {doc_id for doc_id, d in documents.items() if _governs(d, place)}
        own = titled or own
        if place.name not in [name for _, name, _ in groups]:
            groups.append((min(order[d] for d in own), place.name, frozenset(own | governing)))
    groups.sort()
    if not groups:
        doc_ids = {doc_id for doc_id, d in documents.items() if d.year in years}
        return NamedScope((), tuple(years), frozenset(doc_ids))
    return NamedScope(tuple(name for _, name, _ in groups), tuple(years),
                      frozenset().union(*(docs for _, _, docs in groups)),
                      tuple(docs for _, _, docs in groups))
