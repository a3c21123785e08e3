"""Word's automatic numbering, rebuilt from numbering.xml so that `第一条`, `一、`, `（一）` reach the text.

A numbered paragraph names a list (numId) and a level (ilvl), directly or through its style. The list
points at an abstract definition whose levels give the number format (decimal, chineseCounting, …),
a template (`第%1条`, `（%1）`, `%1.%2`), a start value and the separator after the number. Counters
run per abstract list; advancing a level restarts the levels below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

CHINESE_DIGITS = "〇一二三四五六七八九"
LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
EARTHLY_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
PARENTHESISED = "⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇"
FULL_STOP = "⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑⒒⒓⒔⒕⒖⒗⒘⒙⒚⒛"
ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
         (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
SEPARATORS = {"tab": " ", "space": " ", "nothing": ""}


def chinese_number(n: int, digits: str = CHINESE_DIGITS, units: str = "十百千万") -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (the way 第X条 numbers are written)."""
    if n <= 0:
        return digits[0]
    if n >= 100000:
        return "".join(digits[int(d)] for d in str(n))
    parts: list[str] = []
    zero = False
    for power in range(4, -1, -1):
        value = (n // 10**power) % 10
        if value:
            if zero:
                parts.append(digits[0])
            parts.append(digits[value] + (units[power - 1] if power else ""))
            zero = False
        elif parts:
            zero = True
    text = "".join(parts)
    if 10 <= n < 20 and digits is CHINESE_DIGITS:
        text = text.removeprefix(digits[1])  # 十一, not 一十一
    return text


def _roman(n: int) -> str:
    out = []
    for value, letters in ROMAN:
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


def _letters(n: int) -> str:
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _cycle(symbols: str, n: int) -> str:
    return symbols[(n - 1) % len(symbols)]


def _enclosed(symbols: str, n: int) -> str:
    return symbols[n - 1] if 1 <= n <= len(symbols) else str(n)


FORMATS = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    "decimalHalfWidth": str,
    "decimalEnclosedCircle": lambda n: _enclosed(CIRCLED, n),
    "decimalEnclosedCircleChinese": lambda n: _enclosed(CIRCLED, n),
    "decimalEnclosedParen": lambda n: _enclosed(PARENTHESISED, n),
    "decimalEnclosedFullstop": lambda n: _enclosed(FULL_STOP, n),
    "chineseCounting": chinese_number,
    "chineseCountingThousand": chinese_number,
    "japaneseCounting": chinese_number,
    "taiwaneseCounting": chinese_number,
    "taiwaneseCountingThousand": chinese_number,
    "ideographDigital": lambda n: "".join(CHINESE_DIGITS[int(d)] for d in str(n)),
    "taiwaneseDigital": lambda n: "".join(CHINESE_DIGITS[int(d)] for d in str(n)),
    "chineseLegalSimplified": lambda n: chinese_number(n, LEGAL_DIGITS, "拾佰仟万"),
    "ideographLegalTraditional": lambda n: chinese_number(n, LEGAL_DIGITS, "拾佰仟萬"),
    "ideographTraditional": lambda n: _cycle(HEAVENLY_STEMS, n),
    "ideographZodiac": lambda n: _cycle(EARTHLY_BRANCHES, n),
    "upperLetter": _letters,
    "lowerLetter": lambda n: _letters(n).lower(),
    "upperRoman": _roman,
    "lowerRoman": lambda n: _roman(n).lower(),
    "none": lambda n: "",
}


@dataclass(frozen=True)
class Level:
    start: int
    num_format: str
    template: str
    separator: str
    legal: bool = False  # isLgl: every number in this level's text in Arabic digits (1.2, not 一.2)


def _val(element, tag: str) -> str | None:
    child = element.find(qn(tag)) if element is not None else None
    return child.get(qn("w:val")) if child is not None else None


def _read_level(lvl) -> Level:
    return Level(
        start=int(_val(lvl, "w:start") or 1),
        num_format=_val(lvl, "w:numFmt") or "decimal",
        template=_val(lvl, "w:lvlText") or "",
        separator=SEPARATORS.get(_val(lvl, "w:suff") or "tab", " "),
        legal=lvl.find(qn("w:isLgl")) is not None,
    )


@dataclass
class Numbering:
    """The numbering definitions of one document and the running counters while reading it."""

    levels: dict[str, dict[int, Level]] = field(default_factory=dict)  # abstractNumId → ilvl → level
    lists: dict[str, str] = field(default_factory=dict)  # numId → abstractNumId
    overrides: dict[str, dict[int, int]] = field(default_factory=dict)  # numId → ilvl → start
    style_numbering: dict[str, tuple[str, int]] = field(default_factory=dict)  # styleId → (numId, ilvl)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)  # abstractNumId → ilvl → value
    started: set[str] = field(default_factory=set)  # numIds whose overrides were applied
    level_styles: dict[str, int] = field(default_factory=dict)  # styleId → ilvl of the level naming it

    @classmethod
    def of(cls, document: WordDocument) -> Numbering:
        numbering = cls()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            root = None
        styles = {style.get(qn("w:styleId")): style for style in document.styles.element.findall(qn("w:style"))}
        if root is not None:
            numbering._read_lists(root, styles)
        numbering._read_styles(styles)
        return numbering

    def _read_lists(self, root, styles: dict) -> None:
        style_links: dict[str, str] = {}  # abstractNumId → list style whose numbering it uses
        level_styles: dict[str, int] = {}  # styleId → ilvl of the level that names it (Heading 1 → 0)
        for abstract in root.findall(qn("w:abstractNum")):
            abstract_id = abstract.get(qn("w:abstractNumId"))
            self.levels[abstract_id] = {int(lvl.get(qn("w:ilvl"))): _read_level(lvl)
                                        for lvl in abstract.findall(qn("w:lvl"))}
            for lvl in abstract.findall(qn("w:lvl")):
                if style_id := _val(lvl, "w:pStyle"):
                    level_styles[style_id] = int(lvl.get(qn("w:ilvl")))
            if link := _val(abstract, "w:numStyleLink"):
                style_links[abstract_id] = link
        for num in root.findall(qn("w:num")):
            num_id = num.get(qn("w:numId"))
            self.lists[num_id] = _val(num, "w:abstractNumId") or ""
            for override in num.findall(qn("w:lvlOverride")):
                start = _val(override, "w:startOverride")
                if start is not None:
                    self.overrides.setdefault(num_id, {})[int(override.get(qn("w:ilvl")))] = int(start)
        for abstract_id, link in style_links.items():
            # a list that only points at a list style: use the definition behind that style's list
            num_pr = styles[link].find(qn("w:pPr") + "/" + qn("w:numPr")) if link in styles else None
            target = self.lists.get(_val(num_pr, "w:numId") or "") if num_pr is not None else None
            if target and not self.levels.get(abstract_id):
                self.levels[abstract_id] = self.levels.get(target, {})
        self.level_styles = level_styles

    def _read_styles(self, styles: dict) -> None:
        """Numbering a paragraph style carries, itself or through the styles it is based on."""
        for style_id in styles:
            seen, current = set(), style_id
            while current in styles and current not in seen:
                seen.add(current)
                num_pr = styles[current].find(qn("w:pPr") + "/" + qn("w:numPr"))
                if num_pr is not None and _val(num_pr, "w:numId"):
                    ilvl = _val(num_pr, "w:ilvl")
                    level = int(ilvl) if ilvl is not None else self.level_styles.get(style_id, 0)
                    self.style_numbering[style_id] = (_val(num_pr, "w:numId"), level)
                    break
                current = _val(styles[current], "w:basedOn")

    def _paragraph_list(self, paragraph: Paragraph) -> tuple[str, int] | None:
        p_pr = paragraph._p.pPr
        num_pr = p_pr.find(qn("w:numPr")) if p_pr is not None else None
        style_id = _val(p_pr, "w:pStyle")
        style_list = self.style_numbering.get(style_id) if style_id else None
        if num_pr is None:
            return style_list
        num_id = _val(num_pr, "w:numId") or (style_list[0] if style_list else None)
        ilvl = _val(num_pr, "w:ilvl")
        level = int(ilvl) if ilvl is not None else (style_list[1] if style_list else 0)
        return (num_id, level) if num_id else None

    def label(self, paragraph: Paragraph) -> str:
        """The number Word shows before this paragraph (with its separator), advancing the counters."""
        found = self._paragraph_list(paragraph)
        if found is None or found[0] == "0":  # numId 0 switches numbering off
            return ""
        num_id, ilvl = found
        abstract_id = self.lists.get(num_id)
        levels = self.levels.get(abstract_id or "")
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for level_number, start in self.overrides.get(num_id, {}).items():
                counters[level_number] = start - 1
        level = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a higher level advanced: the levels below start again
        if level.num_format == "bullet":
            return ""  # a bullet symbol (often a private-use Symbol glyph) carries no number
        text = level.template
        for k in range(9, -1, -1):
            placeholder = f"%{k + 1}"
            if placeholder in text:
                shown = levels.get(k)
                value = counters.get(k, shown.start if shown else 1)
                num_format = shown.num_format if shown and not level.legal else "decimal"
                text = text.replace(placeholder, FORMATS.get(num_format, str)(value))
        if not text:
            return ""
        return text + (level.separator if text[-1] not in "、.．）)】]:：" else "")
