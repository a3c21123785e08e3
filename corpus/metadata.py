"""Metadata of any Chinese government document, read from its text: title, issuer, 文号, dates, type, level, place.

What the text does not say stays None; a field inferred rather than read (a title taken from the file
name, a year taken from the title) is named in `guessed`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpus.gazetteer import Place, find_places
from corpus.models import Level

HEAD_LINES = 40  # the header block (发文机关, 文号, title, adoption lines) sits within the first lines
HEAD_CHARS = 3000
SIGNATURE_LINES = 4  # issuer lines stacked above a signature date
HEADER_TOP = 6  # the 发文机关标志 (…文件) comes first, after at most 份号, 密级 and 紧急程度

CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "O": 0, "Ｏ": 0, "0": 0}
YEAR = r"(\d{4}|[〇○零OＯ一二三四五六七八九]{4})"
MONTH_DAY = r"(\d{1,2}|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"  # 8, 十二, 二十八
DATE = re.compile(rf"{YEAR}\s*年\s*{MONTH_DAY}\s*月\s*{MONTH_DAY}\s*日")
BRACKETS = r"[〔\[［(（【]\s*(\d{4})\s*[〕\]］)）】]"
DOC_NUMBER = re.compile(rf"[\u4e00-\u9fff]{{1,12}}\s*{BRACKETS}\s*第?\s*\d+\s*号")
ORDER_NUMBER = re.compile(r"(?:中华人民共和国)?([\u4e00-\u9fff]{2,20}?令)\s*(?:[〔\[(（](\d{4})[〕\])）])?\s*第\s*(\d+)\s*号")
ANNOUNCEMENT_NUMBER = re.compile(r"([\u4e00-\u9fff]{2,20}公告)\s*[〔\[(（]?\s*(\d{4})\s*年?\s*[〕\])）]?\s*第\s*(\d+)\s*号")
NOTICE_TITLE = re.compile(r"关于(?:印发|转发|发布|公布)《(.+?)》的(?:通知|通告|决定|公告)")
BARE_NOTICE_TITLE = re.compile(r"关于(?:印发|转发|发布|公布)[^《》]{4,80}?的(?:通知|通告)$")
HEADER_ISSUER = re.compile(r"^(.+?)文件$")
ORDER_HEADER = re.compile(r"^(?:中华人民共和国)?(.{2,30}?)令$")  # 上海市人民政府令, its number on the next line
NUMBER_LINE = re.compile(r"^[（(]?(?:\d{4}\s*年\s*)?第\s*\d+\s*号[）)]?$")
OUTLINE = re.compile(r"^(?:第[一二三四五六七八九十百零〇\d]+[编章节条]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|"
                     r"\d+[.．、]|附件)")
ORGAN_END = ("人民代表大会常务委员会", "人民政府", "委员会", "办公室", "办公厅", "领导小组", "小组", "政府", "常委会",
             "党委", "县委", "市委", "省委", "区委", "局", "厅", "委", "部", "院", "署", "办", "会", "中心", "处", "室",
             "司", "所", "站", "队", "社", "行", "公司", "集团", "法院", "检察院", "党组", "总局")
# Organs of the central government: 国务院 and its 部委 (a 部 not of a local 党委: 市委宣传部 is local).
NATIONAL_ISSUER = re.compile(r"^(?:中华人民共和国|中共中央|国务院|全国人民代表大会|全国人大|全国政协|国家(?!级)|中国人民银行|"
                             r"海关总署|最高人民(?:法院|检察院)|(?!中共|[省市县区州乡镇])[\u4e00-\u9fff]{1,10}(?<![委党])部"
                             r"(?:办公厅)?$)")
ADOPTION = re.compile(r"([\u4e00-\u9fff]{0,20}?)(?:第[一二三四五六七八九十百零〇\d]+届)?"
                      r"(人民代表大会常务委员会|人民代表大会|国务院|人民政府)(?:第[一二三四五六七八九十百零〇\d]+次)?"
                      r"(?:常务)?(?:会议|全体会议)?(?:审议)?通过")
PUBLISHED = re.compile(r"\s*(?:公布|发布|印发)?$")  # what may follow an order number in a 公布 line
# Labelled fields of government web pages and forms (`发文机关：…`, or a label cell then a value cell), by field,
# labels of one field in order of preference.
LABELS = {
    "issuer": ("发文机关", "发布机关", "制定机关", "制发机关", "发文单位", "发布单位", "发布机构", "印发机关", "公开主体",
               "发布主体", "预算主管部门", "主管部门", "编制单位"),
    "doc_number": ("发文字号", "文号", "发文号", "文件编号"),
    "title": ("标题", "文件名称", "名称"),
    "date": ("成文日期", "印发日期", "发文日期", "签发日期", "发布日期", "公布日期", "发布时间"),
    "effective_date": ("施行日期", "实施日期", "生效日期"),
}
LABEL_LINE_MAX = 200  # a line of labelled fields is short; a paragraph is not one
LABEL_NAMES = frozenset(label for labels in LABELS.values() for label in labels)
NUMERIC_DATE = re.compile(r"((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")
EFFECTIVE = re.compile(rf"自\s*({DATE.pattern})\s*起\s*(?:施行|实施|执行|生效)")
OWN_SUBJECT = re.compile(r"本(?:条例|规定|办法|细则|规则|方案|通知|意见|决定|措施|公告|通告|制度|标准|准则|要点|指南|指引|"
                         r"实施意见|规划|计划|决议|章程|解释|法)")
EFFECTIVE_ON_ISSUE = re.compile(r"自(?:印发|发布|公布|签发)之日起(?:施行|实施|执行|生效)")
EFFECTIVE_LINE = re.compile(rf"^({DATE.pattern})\s*(?:起)?\s*(?:施行|实施|生效)$")
SENTENCE_END = re.compile(r"[。；;！!]")
REPEALS = re.compile(r"废止\s*$")  # a sentence ending `…同时废止` / `予以废止`
QUOTED_TITLE = re.compile(r"《([^《》]+)》")
# Document types a title ends with; the leftmost match wins, so 办法 is read as 办法, not 法.
DOC_TYPES = ("条例", "规定", "办法", "细则", "规则", "方案", "通知", "意见", "要点", "措施", "决定", "公告", "通告", "指南",
             "指引", "报告", "规划", "计划", "纲要", "预算", "决算", "批复", "章程", "标准", "清单", "目录", "通报", "公报",
             "守则", "准则", "制度", "命令", "决议", "答复", "解释", "函", "法")
TYPE_SUFFIX = re.compile(rf"({'|'.join(DOC_TYPES)})(?:\s*[（(][^（）()]{{1,12}}[)）])*$")
TITLE_MAX = 80
PAGE_NUMBER = re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$|^第\s*\d+\s*页")
SENTENCE_PUNCTUATION = re.compile(r"[，。；：:,;！？]")
CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef“”《》])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef“”《》])")


@dataclass(frozen=True)
class DocumentMetadata:
    """Every field of a library Document that the text itself tells (the rest comes from the file)."""

    title: str
    issuer: str | None
    doc_number: str | None
    province: str | None
    city: str | None
    county: str | None
    year: int | None
    date: str | None  # ISO date issued (signed, published, or adopted for a regulation)
    doc_type: str | None = None
    level: Level | None = None
    effective_date: str | None = None  # 施行 date, ISO
    repeals: tuple[str, ...] = ()
    guessed: tuple[str, ...] = ()

    def fields(self) -> dict:
        """Keyword arguments for `Document(doc_id=…, file=…, **metadata.fields())`."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class HeaderMetadata:
    """The reviewed manifest's fields for documents with a full red-letter header (文件, 文号, 关于印发)."""

    title: str
    issuer: str
    doc_number: str
    province: str
    city: str
    county: str | None
    year: int
    date: str | None  # not every notice prints its date


BODY_PLACE_LINES = 3  # lines naming a place that make it the document's place when nothing else does


def compact(text: str) -> str:
    """NFKC without whitespace: how titles and evidence are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def tidy(text: str) -> str:
    """Whitespace next to Chinese text dropped (PDF extraction spaces out `2019 年`), markdown marks removed."""
    text = re.sub(r"^\s*#+\s*|\*\*", "", text)
    return CJK_SPACE.sub("", text).strip()


def chinese_to_int(text: str) -> int:
    """`28`, `二十八`, `十`, `三十一` → int."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(CN_DIGIT[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (CN_DIGIT[tens] if tens else 1) * 10 + (CN_DIGIT[ones] if ones else 0)


def parse_date(match: re.Match) -> str | None:
    """ISO date of a DATE match, Arabic or Chinese numerals; None for an impossible date."""
    year_text, month_text, day_text = match.group(1), match.group(2), match.group(3)
    year = int("".join(str(CN_DIGIT.get(c, c)) for c in year_text))
    month, day = chinese_to_int(month_text), chinese_to_int(day_text)
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1949 <= year <= 2100):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_only(line: str) -> str | None:
    """The date of a line that is only a date (a signature date): 2021年5月12日, 二〇二一年五月十二日, 2021.05.12."""
    line = line.strip()
    return _iso_date(line) if DATE.fullmatch(line) or NUMERIC_DATE.fullmatch(line) else None


def is_organ(name: str) -> bool:
    return 2 <= len(name) <= 40 and name.endswith(ORGAN_END) and not SENTENCE_PUNCTUATION.search(name)


def split_organs(text: str) -> list[str] | None:
    """`上海市交通委员会 上海市公安局` → both; None unless every part is an organ's name."""
    parts = [p for p in re.split(r"[\s、，,]+", text.strip()) if p]
    organs: list[str] = []
    pending = ""
    for part in parts:
        pending += part
        if is_organ(pending):
            organs.append(pending)
            pending = ""
    return organs if organs and not pending else None


# -- reading the text -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    lines: list[str]  # non-blank lines, tidied (page numbers left out)
    spaced: list[str]  # the same lines with their inner spaces, which separate joint issuers
    head: list[str]  # the first lines, before the body proper
    heading_levels: list[int]  # markdown heading level of each head line (0: not a heading)
    labels: dict[str, str]  # field → value of labelled fields (发文字号：…)
    flat: str  # the whole text without line breaks, for sentences cut across lines
    spaced_flat: str  # the same with the inner spaces of lines (titles of joint documents keep them)

    @classmethod
    def of(cls, text: str) -> _Text:
        spaced, levels = [], []
        for raw in text.splitlines():
            line = re.sub(r"^\s*#+\s*|\*\*", "", raw).strip()
            if line and not PAGE_NUMBER.match(line):
                spaced.append(line)
                levels.append(len(m.group(1)) if (m := re.match(r"^\s*(#+)\s", raw)) else 0)
        lines = [tidy(line) for line in spaced]
        head, size = [], 0
        for line in lines[:HEAD_LINES]:
            size += len(line)
            if size > HEAD_CHARS and head:
                break
            head.append(line[:HEAD_CHARS])
        return cls(lines, spaced, head, levels[:len(head)], _labels(spaced[:HEAD_LINES * 2]), "".join(lines),
                   "".join(re.sub(r"\s+", " ", line) for line in spaced))

    def undated(self, line: str) -> str:
        """A header line without its date: `2019年10月22日 国务院令第722号公布` → `国务院令第722号公布`."""
        return DATE.sub("", line).strip()


def _label_cells(line: str) -> list[str]:
    """`文章来源： 作者： 发布时间：2023年06月25日` → one cell per `label：value` pair."""
    if len(line) > LABEL_LINE_MAX:
        return [line]
    cells: list[str] = []
    for token in line.split():
        if cells and not re.search(r"[：:]", token) and not re.search(r"[：:]\S", cells[-1]):
            cells[-1] += " " + token  # a value after `label：` (and the space after the colon)
        else:
            cells.append(token)
    return cells if len(cells) > 1 and all(re.search(r"[：:]", cell) for cell in cells) else [line]


def _labels(lines: list[str]) -> dict[str, str]:
    """`发文字号：沪府规〔2024〕5号` lines and `| 发文机关： | 上海市人民政府 |` rows → {field: value}."""
    found: dict[str, str] = {}
    for line in lines:
        cells = line.strip().strip("|").split("|") if line.startswith("|") else _label_cells(line)
        for i, cell in enumerate(cells):
            label, colon, value = cell.partition("：") if "：" in cell else cell.partition(":")
            label = re.sub(r"\s+", "", label)
            if label not in LABEL_NAMES or (not colon and len(cells) == 1):
                continue
            value = value.strip() or (cells[i + 1].strip() if i + 1 < len(cells) else "")
            if value:
                found.setdefault(label, value)
    return {name: next(found[label] for label in labels if label in found)
            for name, labels in LABELS.items() if any(label in found for label in labels)}


def _iso_date(text: str) -> str | None:
    """A date written 2024年5月11日, 二〇二四年五月十一日, 2024-05-11, 2024.5.11 or 2024/5/11."""
    if match := DATE.search(text):
        return parse_date(match)
    if match := NUMERIC_DATE.search(text):
        year, month, day = map(int, match.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _notice_title(head: list[str]) -> str | None:
    """关于印发《…》的通知 as a title line (possibly broken over up to three lines), never cited inside a sentence."""
    for i in range(len(head)):
        for window in range(1, 4):
            joined = "".join(head[i:i + window])
            match = NOTICE_TITLE.search(joined)
            if match and not SENTENCE_PUNCTUATION.search(joined[:match.start()]) and "《" not in joined[:match.start()]:
                return match.group(1)
    return None


def _is_title_line(line: str) -> bool:
    """Short, unpunctuated, and not one of the header's other lines (文件, 文号, date, 令, outline heading)."""
    return len(line) <= TITLE_MAX and not SENTENCE_PUNCTUATION.search(line) and not DOC_NUMBER.fullmatch(line) \
        and not HEADER_ISSUER.match(line) and not DATE.search(line) and not NUMBER_LINE.match(line) \
        and not _order_issuer(line) and not OUTLINE.match(line)


def _title(text: _Text, file_name: str) -> tuple[str, bool, bool]:
    """(title, is a notice transmitting it, guessed)."""
    if title := _notice_title(text.head):
        return title, True, False
    if labelled := text.labels.get("title"):
        return compact_title(labelled), False, False
    for line in text.head:
        if match := BARE_NOTICE_TITLE.search(line):
            return match.group(0), True, False  # the notice is the policy itself: its own title
    top = min((level for level in text.heading_levels if level), default=0)
    heading = next((line for line, level in zip(text.head, text.heading_levels) if top and level == top
                    and _is_title_line(line)), None)
    if heading:
        return heading, False, False  # a markdown document's (or web page's) top heading
    for i, line in enumerate(text.head):
        if not _is_title_line(line):
            continue
        if TYPE_SUFFIX.search(line):
            return line, False, False
        nxt = text.head[i + 1] if i + 1 < len(text.head) else ""
        joined = line + nxt
        if nxt and _is_title_line(joined) and TYPE_SUFFIX.search(joined) and not is_organ(line):
            return joined, False, False  # a title broken over two lines
    return Path(file_name).stem, False, True


def _order_issuer(line: str) -> str | None:
    """`上海市人民政府令` → 上海市人民政府."""
    match = ORDER_HEADER.match(line)
    return match.group(1) if match and is_organ(match.group(1)) else None


def _doc_number(text: _Text) -> tuple[str | None, int | None]:
    if (labelled := text.labels.get("doc_number")) and (match := DOC_NUMBER.search(labelled)):
        return re.sub(r"\s+", "", match.group(0)), int(match.group(1))
    for line, following in zip(text.head, text.head[1:]):
        if _order_issuer(line) and NUMBER_LINE.match(following):
            number = re.sub(r"^中华人民共和国|\s+|[（()）]", "", line + following)
            year = re.search(r"(\d{4})年", number)
            return number, int(year.group(1)) if year else None
    for line in text.head:
        bare = line.strip("（）() ")
        # the number alone on its line (or before 签发人): not a number cited at the start of a sentence
        if (match := DOC_NUMBER.match(bare)) and re.match(r"$|\s|签发", bare[match.end():]):
            return re.sub(r"\s+", "", match.group(0)), int(match.group(1))
    for line in map(text.undated, text.head):
        if match := ORDER_NUMBER.match(line):
            year = int(match.group(2)) if match.group(2) else None
            number = f"{match.group(1)}{'〔' + match.group(2) + '〕' if year else ''}第{match.group(3)}号"
            return number, year
        if match := ANNOUNCEMENT_NUMBER.search(line):
            return re.sub(r"\s+", "", match.group(0)), int(match.group(2))
    return None, None


def _adoption_issuer(line: str) -> str | None:
    match = ADOPTION.search(line)
    if match is None:
        return None
    return re.sub(r"第[一二三四五六七八九十百零〇\d]+届", "", match.group(1)) + match.group(2)  # 第十三届全国… → 全国…


def _signature(text: _Text) -> tuple[list[str], str | None]:
    """The signature: issuer lines stacked above a date line (organs, date). A date line alone counts
    in the header or among the last lines; one with issuers above it anywhere (before the plan)."""
    dated = [i for i, line in enumerate(text.lines) if _date_only(line)]
    for i in dated:
        organs: list[str] = []
        j = i - 1
        while j >= 0 and i - j <= SIGNATURE_LINES and (found := split_organs(text.spaced[j])):
            organs = found + organs
            j -= 1
        if organs:
            return organs, _date_only(text.lines[i])
    alone = [i for i in dated if i < len(text.head) or i >= len(text.lines) - SIGNATURE_LINES * 2]
    return [], _date_only(text.lines[alone[0]]) if alone else None


def _issuer(text: _Text, title_line: str | None) -> str | None:
    if labelled := text.labels.get("issuer"):
        return "、".join(split_organs(labelled) or [labelled.strip()])
    for line in text.head[:HEADER_TOP]:
        if match := HEADER_ISSUER.match(line):
            return re.sub(r"\s+", "", match.group(1))
    for line in text.head[:HEADER_TOP]:
        if issuer := _order_issuer(line):
            return issuer
    if title_line and (prefix := re.match(r"^(.+?)\s*关于", title_line)):
        if organs := split_organs(prefix.group(1)):
            return "、".join(organs)
    for line in text.head:
        if "通过" in line and (issuer := _adoption_issuer(text.undated(line))):
            return issuer
    for line in map(text.undated, text.head):
        if (match := ORDER_NUMBER.match(line)) and PUBLISHED.match(line, match.end()):
            return match.group(1).removesuffix("令")
    organs, _ = _signature(text)
    if organs:
        return "、".join(organs)
    if len(text.head) > 1 and (organs := split_organs(text.spaced[0])):
        return "、".join(organs)  # organs' names alone above the title
    return None


def _dates(text: _Text) -> tuple[str | None, str | None, bool]:
    """(issue or adoption date, 施行 date, 施行 date inferred from the issue date)."""
    published = adopted = None
    effective = None
    for line in text.head:
        match = DATE.search(line)
        if match is None:
            continue
        # `…会议通过 根据2024年…《关于修改…的决定》修正`: what this date did is said before any 根据
        rest = re.split(r"根据", line[match.end():])[0].strip(" ）)\u3000")
        if re.search(r"(?:公布|发布)$", rest) and published is None:
            published = parse_date(match)
        elif re.search(r"通过$", rest) and adopted is None:
            adopted = parse_date(match)
        elif EFFECTIVE_LINE.match(line):
            effective = parse_date(match)
    _, signed = _signature(text)
    date = _iso_date(text.labels.get("date", "")) or published or adopted or signed or _printed(text)
    # `本条例自…起施行`: the document's own 施行 clause, not a date cited from another text
    own = [m for m in EFFECTIVE.finditer(text.flat) if OWN_SUBJECT.search(text.flat[max(0, m.start() - 12):m.start()])]
    if own:
        effective = parse_date(DATE.search(own[-1].group(1)))
    effective = _iso_date(text.labels.get("effective_date", "")) or effective
    inferred = False
    if effective is None and date and EFFECTIVE_ON_ISSUE.search(text.flat):
        effective, inferred = date, True
    return date, effective, inferred


def _printed(text: _Text) -> str | None:
    """The 版记's `…办公室 2023年3月1日印发` line at the end: the date the document was printed and issued."""
    for line in reversed(text.lines[-SIGNATURE_LINES * 3:]):
        if (match := DATE.search(line)) and re.fullmatch(r"\s*印发", line[match.end():]):
            return parse_date(match)
    return None


def _repeals(text: _Text) -> tuple[str, ...]:
    titles: list[str] = []
    sentences = (s for s in SENTENCE_END.split(text.spaced_flat) if "废止" in s and REPEALS.search(s))
    for sentence in sentences:
        for match in QUOTED_TITLE.finditer(sentence):
            if match.group(1) not in titles:
                titles.append(match.group(1))
    return tuple(titles)


def doc_type_of(title: str) -> str | None:
    match = TYPE_SUFFIX.search(title)
    return match.group(1) if match else None


def _place(issuer: str | None, title: str, doc_number: str | None,
           lines: list[str]) -> tuple[Place | None, Level | None, bool]:
    """(place, level, level guessed): from the issuer first, then the title, then the 文号's abbreviation,
    then the place the body keeps naming."""
    if issuer:
        first = re.split(r"[、]", issuer)[0]
        if NATIONAL_ISSUER.match(first) and not find_places(first):
            return None, Level.NATIONAL, False
        if places := find_places(issuer):
            return places[0], _level(places[0]), False
    for source, abbreviations in ((title, False), (doc_number or "", True)):
        if places := find_places(source, abbreviations):
            return places[0], _level(places[0]), True
    if place := _body_place(lines):
        return place, _level(place), True
    return None, None, False


def _body_place(lines: list[str]) -> Place | None:
    """The place that most of the lines naming a place name first, in at least `BODY_PLACE_LINES` lines: where a
    document applies whose header names none (a service guide's 受理地点 and 邮寄地址: `福州市长乐区会堂路235号`)."""
    named = Counter(places[0] for line in lines if (places := find_places(line, abbreviations=False)))
    if not named:
        return None
    place, count = named.most_common(1)[0]
    return place if count >= BODY_PLACE_LINES and 2 * count > sum(named.values()) else None


def _level(place: Place) -> Level:
    return (Level.PROVINCE, Level.CITY, Level.COUNTY)[place.rank]


def extract_metadata(text: str, file_name: str) -> DocumentMetadata:
    """Every Document field the text states; unknown fields None, inferred ones named in `guessed`."""
    doc = _Text.of(text)
    title, is_notice, title_guessed = _title(doc, file_name)
    title = compact_title(title)
    title_line = next((line for line in doc.spaced[:len(doc.head)] if "关于" in line and len(line) <= 2 * TITLE_MAX),
                      None)
    doc_number, number_year = _doc_number(doc)
    issuer = _issuer(doc, title_line)
    date, effective, effective_guessed = _dates(doc)
    doc_type = doc_type_of(title) or ("通知" if is_notice else None)
    place, level, level_guessed = _place(issuer, title, doc_number, doc.lines)
    guessed = []
    if title_guessed:
        guessed.append("title")
    year = number_year or (int(date[:4]) if date else None)
    if year is None and (match := re.search(r"((?:19|20)\d{2})\s*年", title)):
        year = int(match.group(1))
        guessed.append("year")
    if level_guessed:  # the place is named in the title, 文号 or body, not by the issuer: where it applies is a guess
        guessed += [name for name in ("province", "city", "county") if getattr(place, name)] + ["level"]
    if effective_guessed:
        guessed.append("effective_date")
    return DocumentMetadata(
        title=title,
        issuer=issuer,
        doc_number=doc_number,
        province=place.province if place else None,
        city=place.city if place else None,
        county=place.county if place else None,
        year=year,
        date=date,
        doc_type=doc_type,
        level=level,
        effective_date=effective,
        repeals=_repeals(doc),
        guessed=tuple(guessed),
    )


def compact_title(title: str) -> str:
    return CJK_SPACE.sub("", title).strip()


def extract_header_metadata(text: str) -> HeaderMetadata:
    """The manifest's fields for a document with a red-letter header; a header lacking one of them is an error."""
    meta = extract_metadata(text, "")
    doc = _Text.of(text)
    header_issuer = any(HEADER_ISSUER.match(line) for line in doc.head[:HEADER_TOP])
    missing = [name for name, found in (("issuer", header_issuer and meta.issuer), ("文号", meta.doc_number),
                                        ("title", "title" not in meta.guessed and meta.title)) if not found]
    if missing:
        raise ValueError(f"header lacks {', '.join(missing)}")
    return HeaderMetadata(
        title=meta.title, issuer=meta.issuer, doc_number=meta.doc_number, province=meta.province or "",
        city=meta.city or "", county=meta.county, year=meta.year, date=meta.date)


__all__ = ["DocumentMetadata", "HeaderMetadata", "compact", "extract_metadata", "extract_header_metadata"]
