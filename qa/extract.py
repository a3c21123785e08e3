"""What answers a question inside one passage, by intent: one extractor function per intent.

An extractor reads a passage (and the passages that continue its clause) and returns the span that
states the asked-for fact — the units that lead, the deadline, the clause fragment with the figure,
the definition with its conditions, the items of a list, a table row's cells — or None when the
passage does not state it. Every extract is cleaned: no footnote markers, no unbalanced brackets,
cut at clause boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from corpus.models import Document, Passage, PassageKind
from index.question import Intent, Measure
from qa.highlight import DATE, FIGURE

SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
# A comma between digits groups thousands (`96,282,213.44`): it ends no fragment.
FRAGMENT = re.compile(r"(?:[^，,。；;：:！？!?\n]|(?<=\d),(?=\d{3}))+[，,。；;：:！？!?]?")
# `小微企业1，` is a footnote mark; `压缩至3、4、4个工作日` is a figure list, not one.
FOOTNOTE_MARK = re.compile(r"[¹²³⁴⁵⁶⁷⁸⁹⁰]+|(?<=[\u4e00-\u9fff”])(?<![至为到达于约共第和及或])\d{1,2}(?=[，。；、])(?!、\s*\d)")
LEADING_NOTE_NUMBER = re.compile(r"^\d{1,2}\s+(?=\D)")
MARKUP = re.compile(r"\*\*|</?u>|^#+\s*|^——")
# The duty note of a clause: `（市市场监管局牵头，市公安局配合）`, `（责任单位：…）`, `责任单位：…`.
DUTY_BRACKET = re.compile(r"[（(]([^（()）]*(?:[（(][^()（）]*[)）][^（()）]*)*(?:牵头|负责|配合|责任单位|责任部门|牵头单位)"
                          r"[^（()）]*(?:[（(][^()（）]*[)）][^（()）]*)*)[)）]")
DUTY_LINE = re.compile(r"(?:牵头单位|责任单位|责任部门|配合单位)\s*[：:][^\n]+")
DUTY_INLINE = re.compile(r"由([^，。；,;]{2,40}?)(?:牵头|负责|承担|统筹)|(?:办公室|专班|秘书处)设在[^，。；,;]{2,40}")
DEADLINE_NOTE = re.compile(r"(?:时间节点|完成时限|完成时间)\s*[：:]\s*([^；;）)\n。]+)")
DEFINES = re.compile(r"是指|指的是|即|包括|分为|认定为|纳入|界定为|为准")
ANNOUNCES = re.compile(r"[：:]$|(?:下列|以下|如下)[^，,。；;：:]{0,8}[。；;]?$")
LINE_BREAK = re.compile(r"([，。；：、,;:])?[ \t]*\n\s*")
LABEL = re.compile(r"^(.{1,30}?)[：:]")  # `临时用电：对基建工地…` defines what precedes its colon
SEVERAL = re.compile(r"[、；;+和及与，,]")  # what joins items or clauses
ITEM_MARK = re.compile(r"(?:^|[。；;\n])\s*(?:[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、]|[一二三四五六七八九十]是)")
YEAR_ONLY = re.compile(r"\d{4}\s*年")
TOC_ENTRY = re.compile(r"^\s*(?:附件\s*[：:]?)?\s*|[.…·]{2,}\s*\d*\s*$")
EMPTY_ROW = re.compile(r"[\s|:\-—]*")
FOOTNOTE_NUMBER = re.compile(r"^\s*\d{1,2}\s*")
TOC_LINE = re.compile(r"\.{4,}|…{2,}|·{4,}")
MAX_EXTRACT = 220
MIN_LIST_ITEMS = 3
MEASURE_UNITS = {
    Measure.MONEY: re.compile(r"元"),
    Measure.SHARE: re.compile(r"[%‰]|百分点"),
    Measure.DURATION: re.compile(r"工作日|自然日|小时|分钟|个月|周|天|日|\d\s*年"),
}
ASIDE = re.compile(r"[（(][^（()）]*[)）]")
MAX_SPAN_FRAGMENTS = 8
DEADLINE_FIELD_WEIGHT = 0.7  # a clause's deadline field is due for the clause as a whole, not stated of the subject
# What answers how much or how often: a figure, or a frequency (`各乡镇每周…报一篇` answers 多久报一篇).
AMOUNT = re.compile(rf"{FIGURE.pattern}|每(?:个)?(?:工作日|周|月|季度|半年|年度|年|天|日)")
ACTS = re.compile(r"负责|主管|牵头|会同|统筹|承担")  # a sentence that says who does what
ACTING_MATCH = 0.8  # … in a plan, such a sentence answers who when it holds this share of the question
ADDRESS = re.compile(r"(?:地点|地址)\s*[：:]\s*[^\s。；]|[路街道巷]\s*\d+\s*号|\d+\s*(?:号楼|楼|室)")  # where, precisely
PLACE = re.compile(rf"{ADDRESS.pattern}|窗口|大厅|服务中心")  # … or roughly
STATING_GAIN = 0.1  # what a fragment stating a figure or date is worth to a figure span
SPAN_LENGTH_COST = 0.004  # coverage a character must add to join a span (tuned on the gold set)
# The question-independent reading of a passage (its sentences, their fragments, the figures they hold,
# which are headings or duty notes, its cleaned spans) is the same for every question: read once per
# text (memoised, this many texts per function), not per answer.
TEXT_CACHE = 65536


@dataclass(frozen=True)
class Extract:
    text: str
    value: str | None  # the figure, date or units the extract states
    score: float  # how well it matches the question's subject (0-1)
    states: bool = True  # False: only the best sentence, not the kind of statement the intent asks for


Weights = dict[str, float]
TokenSet = Callable[[str], frozenset[str]]


# Words users and documents use for the same thing: a question about 用户报装时限 is answered by a
# clause about 客户…办理时间. Used only to find the sentence inside a passage, never to rank passages.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "用户": ("客户",), "客户": ("用户",), "时限": ("时间", "时长", "用时", "办结"), "时间": ("时限", "时长", "用时"),
    "时长": ("时间", "时限"), "多久": ("时间", "时限"), "企业": ("市场主体",), "办理": ("办结",), "办结": ("办理",),
    "费用": ("成本", "收费"), "成本": ("费用",), "目标": ("达到", "力争"), "报装": ("办电", "接电", "用电"),
    "自来水": ("供水", "用水"), "燃气": ("供气", "用气"), "暖气": ("供热", "供暖"), "用水": ("供水",),
    "供水": ("用水",), "用气": ("供气",), "供气": ("用气",), "用热": ("供热",), "供热": ("用热", "供暖"),
    "实施": ("施行",), "施行": ("实施",), "生效": ("施行",),
    "每天": ("日均", "每日"), "每年": ("年均", "每年度"), "每月": ("月均",), "班车": ("班次",),
}


@dataclass(frozen=True)
class Context:
    """What an extractor may read besides the passage: the question's term weights and the passages
    that continue the same clause."""

    weights: Weights
    tokens: TokenSet
    following: tuple[Passage, ...] = ()
    children: Callable[[tuple[str, ...]], list[str]] = lambda path: []  # sub-headings of a section
    measures: frozenset[Measure] = frozenset()  # the kinds of figure asked for (any, when empty)
    document: Document | None = None  # the passage's document: what its header states about it
    duty_sentences: bool = False  # the document says who does what in sentences, not in duty fields (a regulation)

    @cached_property
    def _terms(self) -> tuple[tuple[float, frozenset[str]], ...]:
        """Each term's weight with the words that count for it: itself and its synonyms."""
        return tuple((w, frozenset((t, *SYNONYMS.get(t, ())))) for t, w in self.weights.items())

    @cached_property
    def _total(self) -> float:
        return sum(self.weights.values())

    def match(self, text: str) -> float:
        """IDF-weighted share of the question's terms (or their synonyms) that the text contains."""
        return self.weight(self.covered(text))

    def covered(self, text: str) -> frozenset[int]:
        """Which of the question's terms (by position) the text contains, itself or a synonym."""
        present = self.tokens(text)
        return frozenset(i for i, (_, words) in enumerate(self._terms) if not words.isdisjoint(present))

    def weight(self, covered: frozenset[int]) -> float:
        if self._total <= 0:
            return 0.0
        return sum(self._terms[i][0] for i in covered) / self._total


@lru_cache(maxsize=TEXT_CACHE)
def clean(text: str) -> str:
    """Footnote markers, markup and unbalanced brackets out; trailing separators trimmed."""
    text = MARKUP.sub("", LEADING_NOTE_NUMBER.sub("", text.strip()))
    text = FOOTNOTE_MARK.sub("", text)
    text = _balance_brackets(text)
    text = LINE_BREAK.sub(lambda m: m.group(1) or " ", text)  # an answer is one line
    return text.strip(" ，,；;：:、\n").rstrip("。")


def _balance_brackets(text: str) -> str:
    pairs = {"）": "（", ")": "(", "】": "【", "」": "「", "》": "《", "”": "“"}
    opening = set(pairs.values())
    stack: list[int] = []
    drop: set[int] = set()
    for i, ch in enumerate(text):
        if ch in opening and not (ch == "“" and stack and text[stack[-1]] == "“"):
            stack.append(i)
        elif ch in pairs:
            if stack and text[stack[-1]] == pairs[ch]:
                stack.pop()
            else:
                drop.add(i)
    drop.update(stack)
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


def _cut(text: str, limit: int = MAX_EXTRACT) -> str:
    """At most `limit` characters, cut after a clause boundary rather than mid-word."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    boundary = max(head.rfind(p) for p in "，；。、,;")
    return (head[: boundary] if boundary > limit // 2 else head) + "…"


@lru_cache(maxsize=TEXT_CACHE)
def sentences(text: str) -> tuple[str, ...]:
    return tuple(s for s in (m.group(0).strip() for m in SENTENCE.finditer(text)) if len(s) > 2)


@lru_cache(maxsize=TEXT_CACHE)
def fragments_of(sentence: str) -> tuple[str, ...]:
    return tuple(FRAGMENT.findall(sentence))


def is_heading_only(sentence: str, passage: Passage) -> bool:
    """A sentence that only repeats a heading of its section (or a title)."""
    return _repeats_heading(sentence, tuple(passage.section_path))


@lru_cache(maxsize=TEXT_CACHE)
def _repeats_heading(sentence: str, section_path: tuple[str, ...]) -> bool:
    core = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[)）.．、]?\s*", "", MARKUP.sub("", sentence.strip()))
    core = core.strip(" ，,；;：:、。")
    return bool(core) and any(core and core in label and len(core) >= len(label) - 8 for label in section_path)


def best_sentence(passage: Passage, ctx: Context, require: Callable[[str], bool] | None = None) -> tuple[str, float] | None:
    """The sentence of the passage that matches the question best, optionally one that `require` accepts;
    a sentence that only repeats a heading loses to any body sentence."""
    scored = []
    for s in sentences(passage.text):
        if (require is not None and not require(s)) or is_duty_note(s):
            continue
        heading = is_heading_only(s, passage)
        scored.append((ctx.match(s) - (1.0 if heading else 0.0), -len(scored), s))
    if not scored:
        return None
    score, _, sentence = max(scored)
    if score < 0:
        return None  # only headings: the passage says nothing of its own
    return sentence, score


def best_span(fragments: Sequence[str], ctx: Context, keep: int | None = None,
              stating: re.Pattern[str] | None = None) -> str:
    """The run of fragments that states the most of the question for its length: each fragment must
    earn its characters with question terms it adds, or by stating a figure or date (`stating`) — the
    figures beside the one asked for (`一般登记2个工作日内，抵押登记1个工作日内`) and the time they hold
    by. `keep` is a fragment the run must hold (the figure)."""
    covers = [ctx.covered(f) for f in fragments]
    lengths = [len(ASIDE.sub("", f)) for f in fragments]  # a bracketed qualifier costs nothing: it goes with its figure
    gains = [STATING_GAIN if stating is not None and (stating.search(f) or DATE.search(f)) else 0.0 for f in fragments]
    best: tuple[float, int, int] | None = None
    for i in range(len(fragments) if keep is None else keep + 1):
        covered: frozenset[int] = frozenset()
        length, gain = 0, 0.0
        for j in range(i, min(len(fragments), i + MAX_SPAN_FRAGMENTS)):
            covered |= covers[j]
            length += lengths[j]
            gain += gains[j]
            if keep is not None and j < keep:
                continue
            score = ctx.weight(covered) + gain - SPAN_LENGTH_COST * length
            if best is None or score > best[0]:
                best = (score, i, j)
    if best is None:
        return "".join(fragments)
    return "".join(fragments[best[1] : best[2] + 1])


def figure_measure(figure: str) -> Measure:
    """The kind of a figure: `16个工作日` duration, `30%` share, `500万元` money, `150家` count."""
    return next((m for m, unit in MEASURE_UNITS.items() if unit.search(figure)), Measure.COUNT)


def _figure_fragment(fragments: Sequence[str], ctx: Context, pattern: re.Pattern[str]) -> tuple[int, str, float] | None:
    """The clause fragment that holds a figure (or date) nearest the question's subject: its index,
    the figure and how well it (with the fragment before, which often names the subject) matches."""
    best: tuple[float, int, str] | None = None
    for i, fragment in enumerate(fragments):
        found = _figures(fragment, pattern)
        # The fragment must hold a figure of the kind asked for; `5个、16个、24个工作日` is a run of days.
        if found is None or (pattern is not DATE and ctx.measures and ctx.measures.isdisjoint(found[1])):
            continue
        value = found[0]
        # A subject named inside the figure's own fragment counts most; the fragment before adds context.
        score = ctx.match(fragment) + (0.5 * ctx.match(fragments[i - 1]) if i else 0.0)
        if best is None or score > best[0]:
            best = (score, i, value)
    return None if best is None else (best[1], best[2], best[0])


@lru_cache(maxsize=TEXT_CACHE)
def _figures(fragment: str, pattern: re.Pattern[str]) -> tuple[str, frozenset[Measure]] | None:
    """The figures (or dates) a fragment states: their value and their kinds; None when it states none."""
    # A year is when, not how much.
    figures = [m for m in pattern.finditer(fragment) if pattern is DATE or not YEAR_ONLY.fullmatch(m.group(0))]
    if not figures:
        return None
    # `分别不超过5个、16个、24个工作日`: the value is the whole run of figures.
    value = fragment[figures[0].start() : figures[-1].end()] if len(figures) > 1 else figures[0].group(0)
    return value, frozenset(figure_measure(m.group(0)) for m in figures)


def extract_figure(passage: Passage, ctx: Context, pattern: re.Pattern[str] = AMOUNT) -> Extract | None:
    """The span stating a figure (or date) about the question's subject: the fragment with the figure
    and the fragments around it that name what it is about. A heading states it only when no body
    sentence does (`2.完成…知识库目标30000条。` heads a clause whose body gives no figure)."""
    best: tuple[bool, float, Sequence[str], int, str] | None = None
    for s in sentences(passage.text):
        if is_duty_note(s):
            continue  # `完成时限：2021年5月` is when the clause is due, not a figure it states
        fragments = fragments_of(s)
        found = _figure_fragment(fragments, ctx, pattern)
        if found is None:
            continue
        index, value, fragment_score = found
        candidate = (not is_heading_only(s, passage), 0.6 * fragment_score + 0.4 * ctx.match(s), fragments, index, value)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None:
        return None
    _, score, fragments, index, value = best
    return Extract(_cut(clean(best_span(fragments, ctx, keep=index, stating=pattern))), value, score)


def extract_how_much(passage: Passage, ctx: Context) -> Extract | None:
    if passage.kind is PassageKind.TABLE_ROW:
        return extract_table(passage, ctx)
    found = extract_figure(passage, ctx, AMOUNT)
    if found is not None:
        return found
    if ctx.measures:
        # A figure of another kind than asked (`24小时` for `多少钱`) is shown, but does not state the answer.
        other = extract_figure(passage, replace(ctx, measures=frozenset()), AMOUNT)
        return None if other is None else replace(other, states=False)
    dated = extract_figure(passage, ctx, DATE)  # `多长时间内` may be answered by a date; a bare year answers no how-much
    return dated if dated is None or not YEAR_ONLY.fullmatch(dated.value or "") else replace(dated, states=False)


def extract_when(passage: Passage, ctx: Context) -> Extract | None:
    dated = extract_figure(passage, ctx, DATE)
    if passage.deadline and (dated is None or dated.score < 0.3):
        return Extract(clean(f"完成时限：{passage.deadline}"), passage.deadline, DEADLINE_FIELD_WEIGHT * ctx.match(passage.text))
    return dated


@lru_cache(maxsize=TEXT_CACHE)
def is_duty_note(sentence: str) -> bool:
    """`（责任单位：…）`, `牵头单位：…`: who does it, not what is done."""
    core = sentence.strip(" 。；;")
    return bool(DUTY_LINE.fullmatch(core) or DUTY_BRACKET.fullmatch(core) or DEADLINE_NOTE.fullmatch(core.strip("（()）")))


def duty_text(passage: Passage) -> str | None:
    """The words of the clause that name who leads and who is responsible, as written."""
    text = passage.text
    brackets = DUTY_BRACKET.findall(text)
    if brackets:
        return brackets[-1]
    line = DUTY_LINE.search(text)
    if line:
        return line.group(0)
    inline = DUTY_INLINE.search(text)
    return inline.group(0) if inline else None


def units_text(passage: Passage) -> str | None:
    """`X、Y牵头；Z负责；W配合` from the clause's fields."""
    parts = []
    if passage.lead:
        parts.append("、".join(passage.lead) + "牵头")
    if passage.responsible:
        parts.append("、".join(passage.responsible) + "负责")
    if passage.cooperate:
        parts.append("、".join(passage.cooperate) + "配合")
    return "；".join(parts) or None


def extract_who(passage: Passage, ctx: Context) -> Extract | None:
    """The clause's duty note or fields; in a document without them (a regulation), the sentence that says
    who does what (`市场监管部门应当会同有关部门建立…`). In a plan, a clause without fields takes them from
    the clause it belongs to: its sentences name who helps, not who leads."""
    text = None if ctx.duty_sentences else duty_text(passage) or units_text(passage)
    if text is None:
        # A plan's clause without fields answers only with a sentence about the very thing asked
        # (`市公安交管部门负责特型机动车临时行驶车号牌核发`), not one about who helps with it.
        acting = best_sentence(passage, ctx, lambda s: ACTS.search(s) is not None)
        if acting is None or (not ctx.duty_sentences and acting[1] < ACTING_MATCH):
            return None
        return Extract(_cut(clean(acting[0])), None, ctx.match(passage.text))
    value = "、".join(passage.units) or None
    return Extract(_cut(clean(text)), value, ctx.match(passage.text))


def defines(sentence: str, ctx: Context) -> bool:
    """A defining sentence: `…是指…`, `…包括…`, or `X：…` where X is what the question asks about (not
    `主要目标：…` or a table's caption)."""
    if DEFINES.search(sentence):
        return True
    label = LABEL.match(sentence.strip())
    return label is not None and ctx.match(label.group(1)) > 0


def extract_definition(passage: Passage, ctx: Context) -> Extract | None:
    found = best_sentence(passage, ctx, lambda s: defines(s, ctx))
    if found is None:
        sentence = extract_sentence(passage, ctx)
        return None if sentence is None else replace(sentence, states=False)
    sentence, score = found
    text = sentence
    # A definition that announces its conditions or items (`…：`, `同时满足下列条件的项目`) runs on into
    # the rest of its passage, or into the next passages of the clause.
    if ANNOUNCES.search(text.strip()):
        rest = passage.text.split(sentence, 1)[-1].strip()
        text = text + (rest or "".join(p.text for p in ctx.following))
    if passage.kind is PassageKind.DEFINITION:
        text = FOOTNOTE_NUMBER.sub("", passage.text)  # `1小微企业：…` is footnote 1 defining 小微企业
    return Extract(_cut(clean(text)), None, score)


def _first_cell(line: str) -> str:
    """`| 5. 三门峡市…方案..... | 77 |` → `5. 三门峡市…方案.....`; a plain line stays as it is."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else [line]
    return next((c for c in cells if c), "")


def extract_list(passage: Passage, ctx: Context) -> Extract | None:
    """The items: the sub-headings of the section the question names, the titles of a list of annexes,
    an enumeration after a colon, `一是…二是…`, numbered items, or `、`-joined names."""
    if is_table_of_contents(passage) and passage.kind is not PassageKind.HEADER:
        # An annex list may go on in the next passage (a list continued as a table).
        lines = [line for p in (passage, *ctx.following) if is_table_of_contents(p) for line in p.text.splitlines()]
        titles = [clean(TOC_ENTRY.sub("", _first_cell(line))) for line in lines]
        titles = [t for t in titles if t and t not in ("附件", "目录") and not EMPTY_ROW.fullmatch(t)]
        if len(titles) >= 2:
            return Extract(_cut("；".join(titles), 2 * MAX_EXTRACT), None, ctx.match(passage.text))
    # A document's chapters answer from its opening passages (`…优化提升年有哪些重点任务`), not from a clause
    # deep inside it that only shares the title's words (`大件运输一件事可以通过哪些渠道申请`).
    lowest = 1 if len(passage.section_path) == 1 else 2
    # The words of the document's title (`浙江政务服务网…单点登录…实施指引`) name the document, not one of its
    # sections: they neither make a section's heading the one asked about nor single out a sub-heading. (The
    # document's own chapters are listed when the question names its title.)
    within = _without_title(ctx)
    listing: tuple[float, tuple[str, ...], list[str]] | None = None  # the heading that matches best, deepest first
    for depth in range(len(passage.section_path), lowest - 1, -1):
        path = passage.section_path[:depth]
        children = ctx.children(path)
        judge = ctx if depth == 1 else within
        # A question that names one of the sub-headings (`…存在哪些问题` › `五、存在的主要问题`) asks for
        # what that section says, not for the list of sections.
        heading, match = judge.covered(path[-1]), judge.match(path[-1])
        if len(children) >= 2 and match >= 0.5 and not any(judge.covered(c) - heading for c in children) \
                and (listing is None or match > listing[0]):
            listing = (match, path, children)
    if listing is not None:
        _, path, children = listing
        return Extract(_cut("；".join(children), 2 * MAX_EXTRACT), None, ctx.match(path[-1]))
    found = best_sentence(passage, ctx)
    if found is None:
        return None
    sentence, score = found
    text = sentence
    if text.rstrip().endswith(("：", ":")):
        text += "".join(s for s in sentences(passage.text) if s != sentence) or "".join(p.text for p in ctx.following)
    elif ITEM_MARK.search(passage.text) and len(passage.text) <= MAX_EXTRACT and ctx.match(sentence) < 0.5:
        text = passage.text
    else:
        # Items named in a row (`政策条件库、企业画像库、政策匹配库三大数据库`): the fragment that names them,
        # with the fragments around it that say what they are.
        fragments = fragments_of(sentence)
        items = max(range(len(fragments)), key=lambda i: fragments[i].count("、"), default=None)
        if items is not None and fragments[items].count("、") >= MIN_LIST_ITEMS - 1:
            text = best_span(fragments, ctx, keep=items)
    text = _cut(clean(text))
    return Extract(text, None, score, states=names_items(text))


def _without_title(ctx: Context) -> Context:
    """The question's terms less those its passage's document has in its title."""
    if ctx.document is None:
        return ctx
    named = ctx.covered(ctx.document.title)
    weights = {term: weight for i, (term, weight) in enumerate(ctx.weights.items()) if i not in named}
    return replace(ctx, weights=weights) if weights and named else ctx


def names_items(text: str) -> bool:
    """Could the text name several things (`…、…`, `A和B`, `（一）…（二）…`, clauses), not one field (`2.网上提交地址：…`)?"""
    return bool(SEVERAL.search(text)) or len(ITEM_MARK.findall(text)) >= 2


def extract_table(passage: Passage, ctx: Context) -> Extract | None:
    """`header: value` pairs of the row, the columns the question names first."""
    rows = [line for line in passage.text.splitlines() if line.startswith("|")]
    if len(rows) < 2:
        return extract_sentence(passage, ctx)

    def cells(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    header, row = cells(rows[0]), cells(rows[-1])
    pairs = [(h, v) for h, v in zip(header, row) if v and v not in ("\\", "-", "——")]
    pairs.sort(key=lambda pair: -ctx.match(pair[0]))
    text = "；".join(f"{h}：{v}" if h else v for h, v in pairs)
    value = next((v for h, v in pairs if FIGURE.search(v) or re.search(r"\d", v)), None)
    return Extract(_cut(clean(text)), value, ctx.match(passage.text))


def extract_sentence(passage: Passage, ctx: Context) -> Extract | None:
    """The body sentence that matches the question best (measures, yes/no, how)."""
    if passage.kind is PassageKind.TABLE_ROW:
        return extract_table(passage, ctx)
    found = best_sentence(passage, ctx)
    if found is None:
        return None
    sentence, score = found
    # What is done often goes on in the next sentence (`…组织核查。定期不定期采取专项检查…`): it joins
    # when it adds enough of the question for its length.
    body = [s for s in sentences(passage.text) if not is_duty_note(s) and not is_heading_only(s, passage)]
    if sentence in body and (at := body.index(sentence)) + 1 < len(body):
        sentence = best_span([sentence, *fragments_of(body[at + 1])], ctx, keep=0)
    return Extract(_cut(clean(sentence)), None, score)


def extract_where(passage: Passage, ctx: Context) -> Extract | None:
    """The sentence that gives an address (`2.地点：福州市长乐区会堂路235号`); else one naming a place
    (`…综合窗口`) or the best sentence, which do not state where precisely."""
    address = best_sentence(passage, ctx, lambda s: ADDRESS.search(s) is not None)
    if address is not None:
        return Extract(_cut(clean(address[0])), None, address[1])
    place = best_sentence(passage, ctx, lambda s: PLACE.search(s) is not None)
    found = Extract(_cut(clean(place[0])), None, place[1]) if place else extract_sentence(passage, ctx)
    return None if found is None else replace(found, states=False)


def extract_document(passage: Passage, ctx: Context) -> Extract | None:
    """The document's number, issuer and date, from its header (`三营商〔2022〕1号（三门峡市优化营商环境
    工作领导小组印发）`): the parsed fields the cards show, cited to the lines that state them."""
    document = ctx.document
    if passage.kind is not PassageKind.HEADER or document is None:
        return None
    issued = "".join(part for part in (document.issuer, _chinese_date(document.date)) if part)
    if not document.doc_number and not issued:
        return None
    note = f"{issued}{_issuing_verb(document)}" if issued else ""
    text = f"{document.doc_number}（{note}）" if document.doc_number and note else document.doc_number or note
    return Extract(text, document.doc_number or issued, ctx.match(passage.text))


def _issuing_verb(document: Document) -> str:
    """How the document came out: a congress adopts (通过), a decree is promulgated (公布), a plan is issued (印发)."""
    if document.issuer and "人民代表大会" in document.issuer:
        return "通过"
    return "公布" if document.doc_number and "令" in document.doc_number else "印发"


def _chinese_date(iso: str | None) -> str | None:
    """`2019-07-08` → `2019年7月8日`."""
    if not iso:
        return None
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{year}年{month}月{day}日"


EXTRACTORS: dict[Intent, Callable[[Passage, Context], Extract | None]] = {
    Intent.WHO: extract_who,
    Intent.WHEN: extract_when,
    Intent.HOW_MUCH: extract_how_much,
    Intent.DEFINITION: extract_definition,
    Intent.LIST: extract_list,
    Intent.YES_NO: extract_sentence,
    Intent.HOW: extract_sentence,
    Intent.DOCUMENT: extract_document,
    Intent.WHERE: extract_where,
}


def is_table_of_contents(passage: Passage) -> bool:
    """An annex list or a table of contents: titles, not statements."""
    return passage.kind is PassageKind.HEADER or _lists_titles(passage.text)


@lru_cache(maxsize=TEXT_CACHE)
def _lists_titles(text: str) -> bool:
    return bool(TOC_LINE.search(text)) or text.lstrip().startswith(("附件：", "附件:"))
