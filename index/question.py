"""Question understanding: what is asked (the intent), in which normalised form, naming which places
and years. Retrieval searches the normalised form and scopes by the places and years; the answer
composer extracts what the intent asks for. Both read the same `Question`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from corpus.gazetteer import Place, aliases, find_places
from corpus.models import Document, Level
from index.scope import NamedScope, named_scope


class Intent(StrEnum):
    WHO = "who"  # which unit leads or is responsible
    WHEN = "when"  # a date or deadline
    HOW_MUCH = "how_much"  # a figure: how many, how long, what share
    DEFINITION = "definition"  # what a term means, what it covers
    LIST = "list"  # which items
    YES_NO = "yes_no"  # whether something holds
    HOW = "how"  # what is done, how: the measure itself
    DOCUMENT = "document"  # the document itself: its number, who issued it, when
    WHERE = "where"  # a place: where to apply, an address


DOCUMENT_WORDS = "文件|方案|通知|意见|办法|条例|规定|要点|措施|细则|规划|决定"
WHEN_WORDS = "什么时候|何时|哪天|哪一天|哪年|哪一年"
# Checked in this order: the first that matches is the intent. `时限` asks for a duration (how much),
# `什么时候` for a date; `由哪些部门负责` is who, although `哪些` alone asks for a list, and `哪几类`
# asks for the items, not their number.
INTENT_CUES: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.DOCUMENT, re.compile(r"发文字号|文号|发文机关|发文单位|制发机关|成文日期|(?:印发|发布|出台|发文)(?:单位|机关|部门|日期|时间)|"
                                 rf"(?:谁|哪个|哪些|哪家|什么)(?:部门|单位|机关|机构)?(?:印发|发文)|(?:{WHEN_WORDS})(?:印发|发文)|印发于|"
                                 rf"(?:{DOCUMENT_WORDS}).{{0,4}}(?:(?:谁|哪个|哪些|什么)(?:部门|单位|机关|机构|会议)?|{WHEN_WORDS})(?:通过|公布|批准)|"
                                 rf"(?:{DOCUMENT_WORDS})(?:是|由)?(?:(?:谁|哪个|哪些|哪家|什么)(?:部门|单位|机关|机构)?|{WHEN_WORDS})"
                                 r"(?:发布|出台|制定)|document number|issued by|who issued|when was .* issued", re.I)),
    (Intent.WHO, re.compile(r"谁|哪个单位|哪些单位|哪个部门|哪些部门|什么部门|什么单位|哪家|哪个机构|哪些机构|"
                            r"责任单位|牵头单位|责任部门|配合单位|主管部门|由哪(?!几(?:部分|类|种|项|方面))|归哪|设在哪|牵头|负责部门|负责单位|"
                            r"\bwho\b|which (?:department|agency|office|unit)s?", re.I)),
    (Intent.WHEN, re.compile(r"什么时候|何时|哪天|哪一天|几月|哪年|哪一年|什么时间|时间节点|完成时限|截止|起施行|施行日期|"
                             r"从何时|何日|日期|\bwhen\b|what date|by when", re.I)),
    (Intent.DEFINITION, re.compile(r"什么意思|是指什么|指什么|指的是|是指|什么是|什么叫|何为|怎么认定|如何认定|怎么界定|"
                                   r"如何界定|认定标准|定义|含义|算不算|属不属于|全称|具体指|分别是|是哪[两三四五六七八九十几]|什么样的|"
                                   r"按什么标准|什么标准|按什么.{0,4}划分|怎么划分|如何划分|怎么认定|"
                                   r"\bwhat (?:is|are|does)\b.*\b(?:mean|definition)|\bdefine\b", re.I)),
    (Intent.LIST, re.compile(r"哪些|哪几|包括什么|包含什么|有什么|有哪|哪[两三四五六七八九十]|分成|分为|"
                             r"\bwhich\b|\blist\b|what (?:are|kinds)", re.I)),
    (Intent.YES_NO, re.compile(r"是否|能不能|能否|可不可以|可否|会不会|有没有|是不是|吗\s*[？?]?\s*$|"
                               r"^(?:is|are|can|does|do|will)\b", re.I)),
    (Intent.WHERE, re.compile(r"[在去到]哪里?(?:办|申请|提交|领取|咨询)|(?:寄|送|交)到哪|哪儿|何处|什么地方|(?:办理|受理|咨询)?(?:地点|地址)"
                              r"(?:是|为|在)?(?:哪里|什么)?\s*[?？]?\s*$")),
    # `抽查比例如何调整` asks what is done to the figure, not for it; `咨询电话是多少` for a contact.
    (Intent.HOW, re.compile(r"(?:如何|怎么|怎样)(?:调整|改变|变化|确定|设定|执行|落实|处理)|"
                             r"(?:电话|电话号码|联系方式|网址|网站|邮箱)(?:是|为)?(?:多少|什么)?\s*[?？]?\s*$")),
    (Intent.HOW_MUCH, re.compile(r"多少|几[个天项类次家成班件名批条人户所座台篇]|多长|多久|时限|比例|多大|多高|百分之|额度|上限|"
                                 r"下限|标准是|费用|收费|补贴|奖励|[几多]少?[万亿]?元|率是|率为|率达|数量|次数|人数|时长|用时|办理时间|平均时间|"
                                 r"how (?:many|much|long|fast)|what (?:percentage|share|rate)", re.I)),
]
DEFINITION_CUE = dict(INTENT_CUES)[Intent.DEFINITION]
# A keyword query (`依申请业务网上办税率 焦作 平顶山 目标`) asks nothing in words; naming a rate, a head
# count or a time target, it asks for the figure.
KEYWORD_FIGURE = re.compile(r"率|满意度|人次|(?:时间|时限|用时)目标")


class Measure(StrEnum):
    """What kind of figure a how-much question asks for, when it says."""

    DURATION = "duration"  # 几个工作日, 多少天, 多久
    MONEY = "money"  # 多少钱, 多少万元, 收费
    SHARE = "share"  # 百分之多少, 比例, 占比
    COUNT = "count"  # 多少家, 几项, 几次


# A question that names no unit asks for no particular measure.
MEASURE_CUES: list[tuple[Measure, re.Pattern[str]]] = [
    (Measure.MONEY, re.compile(r"多少钱|[几多]少?[万亿]?元|[收交贷]多少|(?:补贴|奖励|费用|金额|投资)(?:是|为|有)?多少|"
                               r"how much money|\bcost\b", re.I)),
    (Measure.SHARE, re.compile(r"百分之|比例|占比|比率|几成|率(?:要求?)?(?:是|为|达到|提高到|提升到)?多少|percentage|\bshare\b|"
                               r"\brate\b", re.I)),
    (Measure.DURATION, re.compile(r"[几多]少?个?(?:工作日|天|小时|个月|周|分钟)|多久|多长时间|时限|时长|用时|时间目标|"
                                  r"how long|how many (?:working )?days", re.I)),
    (Measure.COUNT, re.compile(r"[几多]少?[个名]?[项家件次条名户座所台人类批篇班]|how many", re.I)),
]
# A question that sets documents side by side, even when it names no place.
COMPARISON_CUE = re.compile(r"对比|比较|相比|分别|各市|各地|各县|不同|哪个城市|哪个地方|哪里更|差异|区别|变化|compare", re.I)
# The words that ask rather than name: the subject of `全市重点项目观摩活动一年组织几次` is what is left.
QUESTION_WORDS = re.compile(r"(?:什么时候|何时)开始|多长时间|多少|多久|多长|几[个天项类次家成件条名种]?|什么|啥|怎么办|怎么|怎样|如何|哪[个些几里一家]?|"
                            r"谁|吗|呢|是否|算不算|属不属于|能不能|能否|可否|有没有|是不是|请问")
CJK = re.compile(r"[\u4e00-\u9fff]")
INTENT_EXPANSION = {Intent.WHERE: ("地点", "地址")}
QUOTED = re.compile(r"[“\"「『]([^”\"」』]{1,20})[”\"」』]")
LATIN = re.compile(r"[A-Za-z]")


@cache
def _to_simplified():  # noqa: ANN202 - opencc's converter type
    import opencc

    return opencc.OpenCC("t2s")


def normalize_question(text: str) -> str:
    """Traditional → simplified (OpenCC), full/half width folded (NFKC), spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    if CJK.search(text):
        text = _to_simplified().convert(text)
    return re.sub(r"\s+", " ", text).strip()


def question_intent(text: str) -> Intent:
    for intent, cue in INTENT_CUES:
        if cue.search(text):
            return intent
    if KEYWORD_FIGURE.search(text) and not QUESTION_WORDS.search(text):
        return Intent.HOW_MUCH
    return Intent.HOW


@dataclass(frozen=True)
class Question:
    text: str  # as asked
    normalized: str  # what both retrieval channels read
    intent: Intent
    named: NamedScope  # places and years named, and their documents
    comparison: bool  # asks to set documents side by side
    unknown_places: tuple[str, ...] = ()  # places named that no document of the library governs
    measures: frozenset[Measure] = frozenset()  # the kinds of figure a how-much question asks for

    @property
    def subject(self) -> str:
        """The normalised question without its question words, its comparison cue (`分别`, `各地`) and a
        definition's cue (`怎么认定`): what an answer must be about."""
        text = COMPARISON_CUE.sub(" ", QUESTION_WORDS.sub(" ", self.normalized))
        return DEFINITION_CUE.sub(" ", text) if self.intent is Intent.DEFINITION else text

    @property
    def expansion(self) -> tuple[str, ...]:
        """Words the lexical channel adds for what the intent asks: `在哪里办` looks for `地点`, `地址`."""
        return INTENT_EXPANSION.get(self.intent, ())

    @property
    def quoted(self) -> tuple[str, ...]:
        """The names the question quotes (`“四统一”具体指什么` → 四统一): what a passage must name to answer."""
        return tuple(term for term in QUOTED.findall(self.normalized) if term.strip())

    @property
    def latin(self) -> bool:
        """Mostly written in a Latin script: the Chinese lexical channel cannot judge it."""
        return len(LATIN.findall(self.normalized)) > 2 * len(CJK.findall(self.normalized))

    @property
    def single_document(self) -> bool:
        """Names one place (and year) that pins down one document."""
        return len(self.named.doc_ids) == 1 and not self.comparison


def understand(text: str, documents: dict[str, Document]) -> Question:
    normalized = normalize_question(text)
    named = named_scope(normalized, documents)
    comparison = bool(COMPARISON_CUE.search(normalized)) or len(named.regions) > 1 or len(named.years) > 1
    unknown = tuple(p.name for p in find_places(normalized)
                    if p.name not in named.regions and not any(_governs(d, p) for d in documents.values()))
    intent = question_intent(normalized)
    measures = question_measures(normalized) if intent is Intent.HOW_MUCH else frozenset()
    return Question(text, normalized, intent, named, comparison, unknown, measures)


def question_measures(text: str) -> frozenset[Measure]:
    """`每千人要抽几批次？合格率要求多少？` asks for a count and a share; `多少` alone asks for any figure."""
    return frozenset(measure for measure, cue in MEASURE_CUES if cue.search(text))


def _governs(document: Document, place: Place) -> bool:
    """Does the document apply in the place: national, or issued for the place or a place around it?"""
    if document.level is Level.NATIONAL:
        return True
    if document.county:
        return document.county == place.county
    if document.city:
        return document.city == place.city
    return bool(document.province) and document.province == place.province


# -- follow-up questions -------------------------------------------------------------------------------
# `那三门峡呢`, `2023年呢`, `牵头单位是谁`, `和平顶山比呢`: a turn that names only a place, a year or the facet
# asked for takes its subject from the turn before.
FOLLOWUP_WORDS = re.compile(r"^(?:那么?|还有|另外|再看看?|换成|如果是)|(?:呢|怎么样|怎样|如何|情况|的话|又是)$|"
                            r"[和与跟同]|比较?|对比|相比|一下")
FACET_WORDS = re.compile(r"牵头单位|责任单位|配合单位|牵头部门|责任部门|哪个部门|哪些部门|哪个单位|哪些单位|谁|牵头|负责|"
                         r"什么时候|何时|时间节点|完成时限|截止|时限|多长时间|多久|多少|几个|几天|是什么|有哪些|哪些|"
                         r"标准|目标|要求|是|的|了|吗|年")
COMPARE_WITH = re.compile(r"[和与跟同].{0,12}(?:比|对比|相比)|对比|比较")


def _strip_places_and_years(text: str, named: NamedScope) -> str:
    for region in named.regions:
        for name in sorted((region, *aliases(region)), key=len, reverse=True):
            text = text.replace(name, "")
    return re.sub(r"(?<!\d)20[0-4]\d\s*年?(?!\d)", "", text)


def _subject_of(text: str) -> str:
    """A question without its question words: `三门峡高压用户报装时限是多少` → `三门峡高压用户报装`."""
    intent = question_intent(text)
    cue = dict(INTENT_CUES).get(intent)
    match = cue.search(text) if cue else None
    subject = text[: match.start()] if match and match.start() > 1 else text
    return subject.rstrip("？?。，,的是由在从")


def is_followup(text: str, documents: dict[str, Document]) -> bool:
    """A turn with no subject of its own: nothing left once places, years and question words are taken out."""
    normalized = normalize_question(text)
    rest = _strip_places_and_years(normalized.strip(" ？?。"), named_scope(normalized, documents))
    rest = FACET_WORDS.sub("", FOLLOWUP_WORDS.sub("", rest))
    return len(CJK.findall(rest)) + len(LATIN.findall(rest)) < 2


def resolve_followup(text: str, previous: str, documents: dict[str, Document]) -> str:
    """The question a follow-up stands for, given the question the turn before was resolved to; a question
    that stands on its own comes back as it is."""
    if not previous or not is_followup(text, documents):
        return text
    current = normalize_question(text)
    before = normalize_question(previous)
    named_now, named_before = named_scope(current, documents), named_scope(before, documents)
    places = "".join(named_now.regions) + "".join(f"{y}年" for y in named_now.years)
    if COMPARE_WITH.search(current) and named_now.regions:
        # `和平顶山比呢`: the same question for the places before and the one named now, side by side.
        return f"{' '.join((*named_before.regions, *named_now.regions))} {_strip_places_and_years(before, named_before).strip()} 对比"
    facet = _strip_places_and_years(FOLLOWUP_WORDS.sub("", current.strip(" ？?。")), named_now).strip(" ？?的了是吗")
    if named_now.regions or named_now.years:
        # `那三门峡呢` / `2023年呢`: the place or year swapped, the rest of the question kept.
        kept = before if not named_now.regions else _strip_places_and_years(before, named_before)
        if named_now.years:
            kept = re.sub(r"(?<!\d)20[0-4]\d\s*年?(?!\d)", "", kept)
            if not named_now.regions:
                places = "".join(named_before.regions) + places
                kept = _strip_places_and_years(kept, named_before)
        return f"{places}{kept.strip()}" if not facet else f"{places}{_subject_of(kept).strip()} {facet}"
    # `牵头单位是谁`: the facet swapped, the subject (with its places and years) kept.
    return f"{_subject_of(before)} {facet}".strip()
