"""Spans worth highlighting in an answer: figures with units, dates and deadlines, responsible units."""

from __future__ import annotations

import re
from functools import lru_cache

UNIT = (r"(?:个)?(?:工作日|自然日|小时|分钟|个月|周|天|日)|%|‰|(?:万|亿)?元|万人|万户|项|件|次|家|个|"
        r"公里|千米|千伏|伏|万千瓦时|千瓦时|千瓦|平方米|立方米|厘米|毫米|米|万吨|吨|千克|公斤|亩|年|倍|户|人|名|所|座|条|台|篇|批次|批|班")
CHINESE_NUMBER = r"[一二两三四五六七八九十百千]+"
FIGURE = re.compile(rf"(?:≤|≥|不超过|不少于|不低于|低于|少于|超过|达到|压缩至|缩短至|减少|提高到?|降低到?)?"
                    rf"(?:\d+(?:,\d{{3}})*(?:\.\d+)?\s*[万亿]?(?:{UNIT})|{CHINESE_NUMBER}(?:个工作日|个月|小时|天|日|周|次))(?:以内|以上|以下|内|左右)?")
DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?(?:底前|底|以前|前|起)?"
                  r"|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?(?:底前|底|前|起)|\d{1,2}\s*月份|\d{1,2}\s*日(?:前|起)")
RESPONSIBLE = re.compile(r"(?<=责任单位[：:])[^；;）)\n]+|(?<=牵头单位[：:])[^；;）)\n]+|(?<=完成时限[：:])[^；;）)\n]+"
                         r"|(?<=时间节点[：:])[^；;）)\n]+")
ASKS_WHO = re.compile(r"谁|哪个单位|哪些单位|哪些部门|哪个部门|责任单位|牵头|负责")


@lru_cache(maxsize=8192)  # a passage's figures and dates are the same whatever the question: found once
def figure_and_date_spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(m.span() for m in FIGURE.finditer(text)) + tuple(m.span() for m in DATE.finditer(text))


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight_spans(text: str, question: str) -> list[tuple[int, int]]:
    """[start, end) spans in `text`: figures and dates always; units of responsibility when asked who."""
    spans = list(figure_and_date_spans(text))
    if ASKS_WHO.search(question):
        spans += [m.span() for m in RESPONSIBLE.finditer(text)]
    return merge_spans([(s, e) for s, e in spans if e > s])
