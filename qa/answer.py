"""Extractive answers: what each document that answers says, labelled by place and year.

No language model runs offline here. Retrieval ranks passages; the question's intent picks the
extractor (qa/extract.py) that takes the asked-for fact out of each document's best passage. When
the question pins down no single document, every document that answers gets a part: a comparison in
the order its places are named, then oldest first; any other question with its best answer first.
When nothing answers, the service abstains and says why.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from corpus.models import Document, Passage
from index.question import QUOTED, Intent, Question
from index.retriever import Hit, Retriever, SearchResult
from index.scope import mention_position, names_title
from qa.extract import EXTRACTORS, Context, Extract, extract_sentence, is_table_of_contents
from qa.highlight import highlight_spans

ABSTAIN_TEXT = "未找到能直接回答该问题的条款。以下是最接近的段落（低置信度），仅供参考。"
NO_STATEMENT = "没有条款直接陈述所问的内容。"
NO_FIGURE = "相关条款没有给出所问的数字。"
NO_DATE = "相关条款没有给出所问的时间。"
MAX_PARTS = 8
SLOT_INTENTS = (Intent.HOW_MUCH, Intent.WHEN)  # the intents that ask for a figure or a date
NUMBER = re.compile(r"\d+(?:\.\d+)?")
SECOND_FIGURE_RATIO = 0.9  # … of the document's first part's extract score (0.8 / 0.9 / 1.0: answer recall 0.802 / 0.798 / 0.795)
MAX_TERMS = 12
DUTY_FIELD_SHARE = 0.1  # of a document's passages carry duty fields: it assigns duties by fields
UNDATED = 9999  # sorts after every year
SINGLE_CHARACTER_WEIGHT = 0.5
FIRST_PART_DEPTH = 3  # the first part comes from one of the top passages
DEEPER_MATCH = 0.6  # … or from a passage further down holding this share of the top passage's match
ANSWER_DEPTH = 20  # candidates the answer reads: a city whose passage ranks 12th still answers


@dataclass(frozen=True)
class AnswerPart:
    label: str
    text: str
    highlights: list[tuple[int, int]]
    citation: int  # rank of the cited passage
    doc_id: str
    place: str
    year: int | None
    value: str | None  # the figure, date or units the part states


@dataclass(frozen=True)
class Answer:
    text: str
    abstained: bool
    confidence: float  # 0-1: how much of the question the cited passages state
    parts: list[AnswerPart]
    intent: Intent
    reason: str | None = None  # why it abstained, for the reader

    @property
    def citations(self) -> list[int]:
        return [part.citation for part in self.parts]


@dataclass(frozen=True)
class _Candidate:
    hit: Hit
    extract: Extract


class _Extracts:
    """Each hit's extract for one question, taken once: the first part, the joining documents and the
    second figures all read the same candidates."""

    def __init__(self, composer: AnswerComposer, question: Question) -> None:
        self.composer = composer
        self.question = question
        self.extractor = EXTRACTORS[question.intent]
        self._taken: dict[int, _Candidate | None] = {}

    def __call__(self, hit: Hit) -> _Candidate | None:
        if hit.rank not in self._taken:
            extract = self.extractor(hit.passage, self.composer._context(self.question, hit.passage))
            self._taken[hit.rank] = None if extract is None else _Candidate(hit, extract)
        return self._taken[hit.rank]


class AnswerComposer:
    def __init__(self, retriever: Retriever, min_coverage: float, min_dense: float, min_slot: float = 0.25,
                 part_ratio: float = 0.45, part_extract_ratio: float = 0.7, min_part_coverage: float = 0.3) -> None:
        self.retriever = retriever
        self.min_coverage = min_coverage  # abstain below this share of the question's terms in a top passage
        self.min_dense = min_dense  # … or when no passage's cosine reaches this
        self.min_slot = min_slot  # … or when no figure/date asked for is stated about the subject this well
        self.part_ratio = part_ratio  # another document joins when its passage scores this share of the top
        self.part_extract_ratio = part_extract_ratio  # … whose extract scores this share of the first part's
        self.min_part_coverage = min_part_coverage  # … and holds this share of the question's terms
        self._position = {p.passage_id: i for i, p in enumerate(retriever.passages)}
        self._assigning_duties = documents_assigning_duties(retriever.passages)

    # -- term overlap ------------------------------------------------------------------
    @lru_cache(maxsize=1024)  # noqa: B019 - read for every candidate passage of a question
    def _terms(self, normalized: str) -> frozenset[str]:
        return frozenset(self.retriever.tokenizer.tokenize(normalized))

    @lru_cache(maxsize=1024)  # noqa: B019 - the same question's weights, for every candidate passage
    def _weights(self, question: Question) -> dict[str, float]:
        lexical = self.retriever.lexical
        named = set(question.named.regions) | {str(y) for y in question.named.years}
        terms = self._terms(question.subject)
        # Places and years decide which document answers, not which sentence.
        # A single character is mostly a word jieba could not join (`拿地` → `拿`, `地`): it counts for less.
        weights = {t: max(lexical.idf(t), 0.0) * (SINGLE_CHARACTER_WEIGHT if len(t) == 1 else 1.0)
                   for t in terms if not any(t in place for place in named)}
        if len(weights) > MAX_TERMS:
            # A long, many-part question is judged on its most telling terms that the library knows
            # (an unseen term gets the highest IDF, so it would crowd out every known one).
            unseen = lexical.idf("\uffff")
            known = {t: w for t, w in weights.items() if w < unseen} or weights
            weights = dict(sorted(known.items(), key=lambda item: -item[1])[:MAX_TERMS])
        return weights

    @lru_cache(maxsize=65536)  # noqa: B019 - texts of passages and their sentences; they never change while served
    def _token_set(self, text: str) -> frozenset[str]:
        return frozenset(self.retriever.tokenizer.tokenize(text))

    @lru_cache(maxsize=1024)  # noqa: B019 - per question and document, for every candidate passage
    def _sentence_weights(self, question: Question, doc_id: str) -> dict[str, float]:
        """The question's weights for choosing a sentence inside one document. A question that names the
        document by its title (`上海市不动产登记若干规定什么时候施行`) chose the document with those words:
        they do not choose its sentence, as places and years do not."""
        weights = self._weights(question)
        document = self.retriever.documents.get(doc_id)
        if document is None or not names_title(question.normalized, document):
            return weights
        title = document.title.replace(" ", "")
        return {t: w for t, w in weights.items() if t not in title} or weights

    def _context(self, question: Question, passage: Passage) -> Context:
        return Context(self._sentence_weights(question, passage.doc_id), self._token_set, self._following(passage),
                       lambda path: self._children(passage.doc_id, path), question.measures,
                       self.retriever.documents.get(passage.doc_id), passage.doc_id not in self._assigning_duties)

    @lru_cache(maxsize=4096)  # noqa: B019 - the outline never changes while the service runs
    def _children(self, doc_id: str, path: tuple[str, ...]) -> list[str]:
        """The sub-headings of a section, in document order (`二、重点任务` → `（一）…`, `（二）…`)."""
        children: list[str] = []
        for p in self.retriever.passages:
            if p.doc_id == doc_id and len(p.section_path) > len(path) and p.section_path[: len(path)] == path:
                label = p.section_path[len(path)]
                if label not in children:
                    children.append(label)
        return children

    def _following(self, passage: Passage, limit: int = 2) -> tuple[Passage, ...]:
        """Passages that continue the same clause (a long clause split at sentence boundaries)."""
        position = self._position.get(passage.passage_id)
        if position is None:
            return ()
        out = []
        for nxt in self.retriever.passages[position + 1 : position + 1 + limit]:
            if nxt.doc_id != passage.doc_id or nxt.section_path != passage.section_path:
                break
            out.append(nxt)
        return tuple(out)

    def passage_score(self, question: Question, hit: Hit) -> float:
        """How much of the question (IDF-weighted terms or their synonyms) the passage and its headings
        contain: 0-1."""
        ctx = Context(self._weights(question), self._token_set)
        return ctx.match(" ".join(hit.passage.section_path) + hit.passage.text)

    # -- abstention --------------------------------------------------------------------
    def confidence(self, question: Question, result: SearchResult) -> float:
        statements = [h for h in result.hits[:3] if not is_table_of_contents(h.passage)]
        return max((self.passage_score(question, hit) for hit in statements), default=0.0)

    def abstain_reason(self, question: Question, result: SearchResult, confidence: float) -> str | None:
        if question.unknown_places and not question.named.doc_ids:
            known = "、".join(sorted({d.region for d in self.retriever.documents.values() if d.region}))
            return f"资料库中没有{'、'.join(question.unknown_places)}的文件（现有：{known}）。"
        if not result.hits:
            if result.filters:
                return f"所选筛选条件（{_describe_filters(result)}）下没有文件，请放宽筛选条件。"
            return "资料库中没有与该问题相关的条款。"
        cosines = [hit.dense for hit in result.hits if hit.dense is not None]
        if cosines and max(cosines) < self.min_dense:
            return "资料库中没有与该问题足够接近的条款。"
        # A question in another script cannot be judged by Chinese term overlap: the dense channel decides.
        if not question.latin and confidence < self._required_coverage(question):
            return NO_STATEMENT
        return None

    def _required_coverage(self, question: Question) -> float:
        """A many-part question spreads over several clauses: no one passage holds half of its terms."""
        terms = len(self._terms(question.normalized))
        return self.min_coverage * min(1.0, MAX_TERMS / terms) if terms else self.min_coverage

    def _states_slot(self, question: Question, chosen: list[_Candidate]) -> bool:
        """A question for a figure or a date is answered only by a clause that states one about its subject."""
        if question.intent not in SLOT_INTENTS or question.latin:
            return True
        return bool(chosen) and self._states(question, chosen[0])  # the best answer, not a weaker document joining it

    def should_abstain(self, question: Question, result: SearchResult) -> bool:
        return self.abstain_reason(question, result, self.confidence(question, result)) is not None

    # -- composing ---------------------------------------------------------------------
    def compose(self, result: SearchResult) -> Answer:
        question = result.question
        confidence = self.confidence(question, result)
        reason = self.abstain_reason(question, result, confidence)
        chosen = self._choose(question, result) if reason is None else []
        if reason is None and not self._states_slot(question, chosen):
            reason = NO_FIGURE if question.intent is Intent.HOW_MUCH else NO_DATE
        if reason is None and not chosen:
            reason = NO_STATEMENT
        if reason is not None:
            return Answer(ABSTAIN_TEXT, True, round(confidence, 4), [], question.intent, reason)
        if len(chosen) > 1:
            # A comparison reads in order; any other question keeps its best answer first.
            first = 0 if question.comparison else 1
            chosen[first:] = sorted(chosen[first:], key=_reading_order(question.normalized,
                                                                      [c.hit.document for c in chosen]))
        parts = [self._part(c, question) for c in chosen]
        if question.single_document and len(parts) == 1:
            text = parts[0].text + "。"  # the question named the document: the label would repeat it
        else:
            text = "；".join(f"{p.label}：{p.text}" for p in parts) + "。"
        return Answer(text, False, round(confidence, 4), parts, question.intent)

    def _choose(self, question: Question, result: SearchResult) -> list[_Candidate]:
        """The best extract of each document that answers: the first part (`_first_part`), the other
        documents that join it (`_joins`), and a second figure of a document where it states two. A
        question that pins down one document gets one part."""
        named = question.named.doc_ids & {h.document.doc_id for h in result.hits}
        hits = [h for h in result.hits[:ANSWER_DEPTH] if (not named or h.document.doc_id in named)
                and (question.intent in (Intent.LIST, Intent.DOCUMENT) or not is_table_of_contents(h.passage))]
        if question.quoted:
            # A quoted name (`“三个一”改革`) is what the question is about: passages that name it answer,
            # and those of the documents the question names (a place may call it otherwise).
            naming = [h for h in hits if all(_names(h.passage.text, term) for term in question.quoted)]
            hits = [h for h in hits if h in naming or h.document.doc_id in named] if naming else hits
        if not hits:
            return []
        extracts = _Extracts(self, question)
        first = self._first_part(question, hits, extracts)
        if first is None:  # no top passage has an extract: its best sentence, alone
            sentences = ((h, extract_sentence(h.passage, self._context(question, h.passage))) for h in hits[:FIRST_PART_DEPTH])
            return [_Candidate(h, s) for h, s in sentences if s is not None][:1]
        chosen = {first.hit.document.doc_id: first}
        # Unless the question names its documents, a part comes from a passage that ranks nearly as well
        # as the top one (checked before extracting: most candidates stop here).
        near = [h for h in hits if h.score >= self.part_ratio * hits[0].score]
        pool = [] if question.single_document else hits if question.named.doc_ids else near
        # A document's part is its best-ranked passage that states the figure or date asked for, else its
        # best-ranked that joins.
        for stating_only in (True, False) if question.intent in SLOT_INTENTS else (False,):
            for hit in pool:
                other = extracts(hit) if hit.document.doc_id not in chosen and len(chosen) < MAX_PARTS else None
                if other is not None and (not stating_only or self._states(question, other)) \
                        and self._joins(question, other, list(chosen.values())):
                    chosen[hit.document.doc_id] = other
        if question.intent not in SLOT_INTENTS or question.named.doc_ids:
            return list(chosen.values())
        parts = []
        for part in chosen.values():
            same_document = (h for h in near if h.document.doc_id == part.hit.document.doc_id and h is not part.hit)
            second = (c for h in same_document if (c := extracts(h)) is not None and self._second_figure(question, c, part))
            parts += [part, *itertools.islice(second, 1)]
        return parts

    def _first_part(self, question: Question, hits: list[Hit], extracts: _Extracts) -> _Candidate | None:
        """The best-ranked of the top passages whose extract states what the intent asks for; failing
        that, the top document's first passage further down that does (the clause naming who leads the
        获得电力 专班 ranks below those about its meetings); failing that, the first top extract. Further
        down, a figure or date stated about the subject answers, but a duty field or a defining sentence
        only in a passage holding most of what the top passage holds of the question: a 哮喘 question
        is not answered by the catalogue's `门诊特定病种分为一类…`."""
        top = [c for hit in hits[:FIRST_PART_DEPTH] if (c := extracts(hit)) is not None]
        stating = (c for c in top if self._states(question, c))
        floor = 0.0 if question.intent in SLOT_INTENTS else DEEPER_MATCH * self.passage_score(question, hits[0])
        deeper = (c for h in hits[FIRST_PART_DEPTH:] if h.document.doc_id == hits[0].document.doc_id
                  and (c := extracts(h)) is not None and self._states(question, c)
                  and self.passage_score(question, h) >= floor)
        return next(itertools.chain(stating, deeper, top), None)

    def _second_figure(self, question: Question, candidate: _Candidate, part: _Candidate) -> bool:
        """A document may state the asked-for figure twice (a plan's goal and its annex's): when the
        question surveys the library (names no place), another of its passages (ranked nearly as well
        as the top) joins when it states a different figure about the subject nearly as well — not the
        same figure again (a table repeating the text's 16 days)."""
        stated = set(NUMBER.findall(part.extract.value or ""))
        return self._states(question, part) and self._states(question, candidate) \
            and stated.isdisjoint(NUMBER.findall(candidate.extract.text)) \
            and candidate.extract.score >= SECOND_FIGURE_RATIO * part.extract.score

    def _states(self, question: Question, candidate: _Candidate) -> bool:
        """Does the extract state what the intent asks for: a figure or date about the subject, a
        defining sentence?"""
        if question.intent not in SLOT_INTENTS:
            return candidate.extract.states
        return candidate.extract.states and candidate.extract.value is not None and \
            candidate.extract.score >= self.min_slot

    def _joins(self, question: Question, candidate: _Candidate, chosen: list[_Candidate]) -> bool:
        """Another document's part joins when it states the asked-for fact: a document the question
        names, or, when it names none, one (ranked nearly as well as the top, see `_choose`) whose
        extract states the fact nearly as well as the first part's."""
        first = chosen[0]
        document = candidate.hit.document
        if question.named.doc_ids:
            if document.doc_id not in question.named.doc_ids:
                return False
            # Every place named gets its part; a second document of a place already answered (焦作 2019
            # and 2023, no year named) must state the fact nearly as well as the first part.
            if any(c.hit.document.region == document.region for c in chosen) and \
                    candidate.extract.score < self.part_extract_ratio * first.extract.score:
                return False
        elif candidate.extract.score < self.part_extract_ratio * first.extract.score:
            return False
        elif question.intent in SLOT_INTENTS and self._states(question, first) and not self._states(question, candidate):
            return False  # the first part states the figure asked for: a document stating another kind joins no survey
        return self._answers(question, candidate)

    def _answers(self, question: Question, candidate: _Candidate) -> bool:
        if question.intent in SLOT_INTENTS and candidate.extract.value is None:
            return False
        # The passage's share of the question's terms is read only here, for the few candidates left.
        return candidate.extract.score >= self.min_part_coverage and \
            self.passage_score(question, candidate.hit) >= self.min_part_coverage

    def _part(self, candidate: _Candidate, question: Question) -> AnswerPart:
        d: Document = candidate.hit.document
        text = candidate.extract.text
        return AnswerPart(d.label, text, highlight_spans(text, question.normalized), candidate.hit.rank, d.doc_id,
                          d.region, d.year, candidate.extract.value)


def _describe_filters(result: SearchResult) -> str:
    f = result.filters
    parts = [*f.city, *(f"{y}年" for y in f.year), *f.doc_id]
    return "、".join(parts)


def documents_assigning_duties(passages: list[Passage]) -> frozenset[str]:
    """Documents that say who does what in duty fields (plans: `（责任单位：…）` on many clauses), not in
    sentences (a regulation that names a lead unit once)."""
    clauses = Counter(p.doc_id for p in passages)
    with_units = Counter(p.doc_id for p in passages if p.units)
    return frozenset(doc_id for doc_id, n in with_units.items() if n >= DUTY_FIELD_SHARE * clauses[doc_id])


def _names(text: str, term: str) -> bool:
    """Does the text name the term, other than inside a longer quoted name (`“三个一批”` does not name 三个一)?"""
    for name in {name for name in QUOTED.findall(text) if term in name and name != term}:
        text = text.replace(name, "")
    return term in text


def _reading_order(question: str, documents: list[Document]) -> Callable[[_Candidate], tuple]:
    """Sort key for an answer's parts: places in the order the question names them, then the others
    by their first year (a place's documents together, oldest first), so a comparison reads as the
    user asked it, or as the policy developed."""
    first_year: dict[str, int] = {}
    for d in documents:
        first_year[d.region] = min(first_year.get(d.region, UNDATED), d.year or UNDATED)
    named = {d.doc_id: mention_position(question, d) for d in documents}

    def key(candidate: _Candidate) -> tuple:
        d = candidate.hit.document
        position = named[d.doc_id]
        return (position is None, position or 0, first_year[d.region], d.region, d.year or UNDATED)
    return key
