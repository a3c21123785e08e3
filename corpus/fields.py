"""Responsible units and deadlines read from a clause's trailing notes."""

from __future__ import annotations

import re
from dataclasses import dataclass

LABELS = "责任单位|牵头单位|配合单位|时间节点|完成时限|完成时间"
# A value runs to `；`, a bracket or the line end, and stops where the next label begins
# (`（牵头单位：县委统战部，责任单位：县工商联）`); bracketed parts (`各县（市、区）`) stay inside.
VALUE_CHAR = rf"(?:(?!(?:{LABELS})\s*[：:])[^；;（()）\n])"
# `责任单位：…`, `(责任单位：…；完成时限：…)`, `牵头单位：…`
LABELLED = re.compile(rf"({LABELS})\s*[：:]\s*({VALUE_CHAR}*(?:[（(][^）)]*[）)]{VALUE_CHAR}*)*)")
# 平顶山 style: `（市政务服务和大数据局、市委编办负责）` at the end of a clause.
TRAILING_DUTY = re.compile(r"[（(]([^（()）。]*(?:[（(][^）)]*[）)][^（()）。]*)*(?:负责|牵头|配合))[）)]\s*$")
ROLE_WORDS = re.compile(r"(按照?职责分工负责|按职责负责|等相关部门|等部门|牵头|负责落实|负责|配合|等)$")
DEADLINE_LABELS = {"时间节点", "完成时限", "完成时间"}
# 002 writes `各县〔市、区〕人民政府`: a separator inside any of these brackets does not split units.
OPENING, CLOSING = "（(〔[［【", "）)〕]］】"


@dataclass(frozen=True)
class ClauseFields:
    responsible: tuple[str, ...]
    deadline: str | None


def split_units(value: str) -> list[str]:
    """Split `市政务和大数据局牵头，各县（市、区）政府配合` at top-level separators."""
    units, depth, current = [], 0, []
    for char in value:
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(0, depth - 1)
        if depth == 0 and char in "、，,；;":
            units.append("".join(current))
            current = []
        else:
            current.append(char)
    units.append("".join(current))
    # `市、县两级…部门` names one unit at two levels: keep one-character pieces attached.
    for i in range(len(units) - 2, -1, -1):
        if len(units[i].strip()) == 1:
            units[i : i + 2] = [units[i] + "、" + units[i + 1]]
    cleaned = []
    for unit in units:
        unit = unit.strip(" 。.")
        while (stripped := ROLE_WORDS.sub("", unit)) != unit:
            unit = stripped
        if unit and unit not in cleaned:
            cleaned.append(unit)
    return cleaned


def extract_fields(text: str) -> ClauseFields:
    responsible: list[str] = []
    deadline: str | None = None
    for label, value in LABELLED.findall(text):
        value = value.strip(" 。.，,、")
        if label in DEADLINE_LABELS:
            deadline = deadline or value
        else:
            responsible += [u for u in split_units(value) if u not in responsible]
    if not responsible and (match := TRAILING_DUTY.search(text)):
        responsible = split_units(match.group(1))
    return ClauseFields(tuple(responsible), deadline or None)
