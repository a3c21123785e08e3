"""Who leads, who is responsible, who cooperates, and by when: read from a clause's notes.

The forms the documents use, each mapped onto 牵头 (lead) / 责任 (responsible) / 配合 (cooperate):
`责任单位：A、B` · `（责任单位：A牵头，B、C配合）` · `牵头单位：A；责任单位：B` · `配合单位：C` ·
`（责任部门：A、B。时间节点：2025年3月）` · `（A牵头，B负责）` · `（A、B按职责分工负责）` ·
`由A负责`. A role word closes the run of units before it (`A、B牵头、C、D负责`); units with no
role word take the role of their label, or `responsible`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    LEAD = "lead"
    RESPONSIBLE = "responsible"
    COOPERATE = "cooperate"


UNIT_LABELS = {
    "牵头单位": Role.LEAD, "牵头部门": Role.LEAD, "主办单位": Role.LEAD, "主责单位": Role.LEAD, "主责部门": Role.LEAD,
    "责任单位": Role.RESPONSIBLE, "责任部门": Role.RESPONSIBLE, "责任主体": Role.RESPONSIBLE,
    "配合单位": Role.COOPERATE, "配合部门": Role.COOPERATE, "协办单位": Role.COOPERATE, "参与单位": Role.COOPERATE,
}
DEADLINE_LABELS = ("时间节点", "完成时限", "完成时间", "完成期限")
LABELS = "|".join([*UNIT_LABELS, *DEADLINE_LABELS])
# A value runs to `；`, a bracket or the line end, and stops where the next label begins
# (`（牵头单位：县委统战部，责任单位：县工商联）`, `责任部门：…。时间节点：…`); bracketed parts
# (`各县（市、区）`) stay inside.
VALUE_CHAR = rf"(?:(?!(?:{LABELS})\s*[：:])[^；;（()）\n])"
LABELLED = re.compile(rf"({LABELS})\s*[：:]\s*({VALUE_CHAR}*(?:[（(][^）)]*[）)]{VALUE_CHAR}*)*)")
# 平顶山 / 修武 style: `（市政务服务和大数据局、市委编办负责）`, `（A牵头，B配合）` after a clause.
DUTY_NOTE = re.compile(r"[（(]([^（()）。：:]*(?:[（(][^）)]*[）)][^（()）。：:]*)*(?:负责|牵头|配合|负责落实))[）)]")
# A role word at the end of a unit, and the role it gives; `等相关部门` and `等` are only dropped.
ROLE_SUFFIXES: list[tuple[re.Pattern[str], Role | None]] = [
    (re.compile(r"(?:分别)?牵头(?:负责|推进|落实)?$"), Role.LEAD),
    (re.compile(r"(?:(?:按照?|根据)[^，,、]{0,6}?职责分工|按职责|分工|分别)?(?:负责|落实)(?:落实|推进)?$"), Role.RESPONSIBLE),
    (re.compile(r"(?:协助|参与|配合)$"), Role.COOPERATE),
    (re.compile(r"(?:等相关部门|等有关部门|等相关单位|等部门|等单位|等)$"), None),
]
# `由市交通委负责`, `由发展改革、…和住房城乡建设部门牵头负责`: only names that end like a unit of government.
UNIT_END = r"(?:局|委|办|厅|部|部门|政府|中心|公司|法院|检察院|委员会|管委会|机构|支行|分局)"
RESPONSIBLE_BY = re.compile(rf"由([^，,。；;由（()）]{{2,60}}?{UNIT_END}(?:牵头负责|牵头|负责))")
SHARED_DUTY = re.compile(rf"(?:^|[。；;\n])([^，,。；;\n]{{2,60}}?{UNIT_END}(?:等相关部门|等有关部门|等部门)?)按照?职责分工负责")
# `市发展改革委（牵头）`: a role in brackets after one unit names that unit's role only.
BRACKETED_ROLE = re.compile(r"[（(](牵头|配合|负责)[）)]$")
BRACKETED_ROLES = {"牵头": Role.LEAD, "配合": Role.COOPERATE, "负责": Role.RESPONSIBLE}
# 002 writes `各县〔市、区〕人民政府`: a separator inside any of these brackets (or quotes: `县“双随机、一公开”
# 工作领导小组`) does not split units.
OPENING, CLOSING = "（(〔[［【“", "）)〕]］】”"


@dataclass(frozen=True)
class ClauseFields:
    lead: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    cooperate: tuple[str, ...] = ()
    deadline: str | None = None


def _top_level_pieces(value: str) -> list[str]:
    pieces, depth, current = [], 0, []
    for char in value:
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(0, depth - 1)
        if depth == 0 and char in "、，,；;":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    # `市、县两级…部门` names one unit at two levels: keep one-character pieces attached.
    for i in range(len(pieces) - 2, -1, -1):
        if len(pieces[i].strip()) == 1:
            pieces[i : i + 2] = [pieces[i] + "、" + pieces[i + 1]]
    return [piece.strip(" 。.") for piece in pieces]


def _strip_roles(unit: str) -> tuple[str, Role | None]:
    """`税务局等部门配合` → (`税务局`, cooperate): drop role words, keep the first role met."""
    role: Role | None = None
    changed = True
    while changed:
        changed = False
        for pattern, gives in ROLE_SUFFIXES:
            stripped = pattern.sub("", unit).strip(" 。.")
            if stripped != unit:
                unit, role, changed = stripped, role or gives, True
    return unit, role


def units_with_roles(value: str, default: Role) -> list[tuple[str, Role]]:
    """Units in order, each with the role of the role word that closes its run."""
    out: list[tuple[str, Role]] = []
    run: list[str] = []
    for piece in _top_level_pieces(value):
        if own := BRACKETED_ROLE.search(piece):
            out += [(u, default) for u in run] + [(piece[: own.start()].strip(), BRACKETED_ROLES[own.group(1)])]
            run = []
            continue
        unit, role = _strip_roles(piece)
        if unit:
            run.append(unit)
        if role is not None:
            out += [(u, role) for u in run]
            run = []
    return out + [(u, default) for u in run]


def split_units(value: str) -> list[str]:
    """Split `市政务和大数据局牵头，各县（市、区）政府配合` into unit names, without role words."""
    units: list[str] = []
    for unit, _ in units_with_roles(value, Role.RESPONSIBLE):
        if unit not in units:
            units.append(unit)
    return units


class _Collector:
    def __init__(self) -> None:
        self.roles: dict[Role, list[str]] = {role: [] for role in Role}

    def add(self, units: list[tuple[str, Role]]) -> None:
        named = {u for members in self.roles.values() for u in members}
        for unit, role in units:
            if unit not in named:
                self.roles[role].append(unit)
                named.add(unit)

    def any(self) -> bool:
        return any(self.roles.values())


def extract_fields(text: str) -> ClauseFields:
    found = _Collector()
    deadline: str | None = None
    for label, value in LABELLED.findall(text):
        value = value.strip(" 。.，,、")
        if label in DEADLINE_LABELS:
            deadline = deadline or value or None
        else:
            found.add(units_with_roles(value, UNIT_LABELS[label]))
    if not found.any():
        for note in DUTY_NOTE.findall(text):
            found.add(units_with_roles(note, Role.RESPONSIBLE))
    if not found.any():
        for match in RESPONSIBLE_BY.finditer(text):
            found.add(units_with_roles(match.group(1), Role.RESPONSIBLE))
        for match in SHARED_DUTY.finditer(text):
            found.add(units_with_roles(match.group(1), Role.RESPONSIBLE))
    roles = found.roles
    return ClauseFields(tuple(roles[Role.LEAD]), tuple(roles[Role.RESPONSIBLE]), tuple(roles[Role.COOPERATE]),
                        deadline)


def extract_column_fields(pairs: tuple[tuple[str, str], ...]) -> ClauseFields:
    """Fields of a task table's row: the cells under `牵头单位`, `责任单位`, `配合单位`, `完成时限` … columns
    (a two-row header's `责任单位/牵头单位` names its last part)."""
    notes = []
    for column, value in pairs:
        label = next((part for part in reversed(column.replace(" ", "").split("/"))
                      if re.fullmatch(LABELS, part)), None)
        if label and value.strip(" —-"):
            notes.append(f"{label}：{value}")
    return extract_fields("\n".join(notes))
