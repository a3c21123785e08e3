"""The jieba user dictionary: domain terms mined from the corpus plus a seed list.

Mined: quoted terms (“一网通办”, “免申即享”), the short titles of numbered items, and
lead, responsible and cooperating units. The seed list holds terms users type that the plans rarely quote.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from corpus.models import Passage

SEED_TERMS = (
    "一网通办", "一网统管", "一件事一次办", "不动产登记", "用电报装", "高压用户", "低压用户", "高压客户",
    "低压客户", "交房即交证", "交地即交证", "免申即享", "免证可办", "有诉即办", "最多跑一次", "证照分离",
    "企业开办", "工作日", "营商环境", "放管服", "双随机一公开", "互联网+监管", "告知承诺制", "容缺受理",
    "好差评", "豫事办", "12345热线", "一窗受理", "首席服务官", "用水报装", "用气报装", "获得电力",
    "获得用水用气", "获得信贷", "执行合同", "办理破产", "招标投标", "政府采购", "跨境贸易", "纳税缴费",
    "电子营业执照", "电子印章", "电子证照", "施工许可", "联合验收", "工程建设项目", "小型低风险",
    "社会投资", "商业纠纷", "报装时限", "办理时限", "责任单位", "牵头单位", "时间节点", "完成时限",
    "知识产权", "劳动仲裁", "信用修复", "中小企业", "小微企业", "出口退税", "海外仓", "单一窗口",
)
QUOTED = re.compile(r"[“\"「]([\u4e00-\u9fff\w+]{2,10})[”\"」]")
UNIT = re.compile(r"^[\u4e00-\u9fff（）()]{3,16}(?:局|委|办|中心|公司|支行|中支|法院|检察院|分局|管委会)$")


def mine_domain_terms(passages: Iterable[Passage], min_count: int = 1) -> list[str]:
    counts: Counter[str] = Counter()
    for passage in passages:
        counts.update(QUOTED.findall(passage.text))
        counts.update(u for u in passage.units if UNIT.match(u))
        title = re.sub(r"^[（(]?[\d一二三四五六七八九十]+[）)]?[、.．]?", "", passage.section_path[-1])
        if 4 <= len(title) <= 10 and re.fullmatch(r"[\u4e00-\u9fff]+", title):
            counts[title] += 1
    mined = {term for term, n in counts.items() if n >= min_count}
    return sorted(mined | set(SEED_TERMS))


def write_user_dict(terms: Iterable[str], path: Path) -> None:
    # A high frequency makes jieba keep each term whole; search mode still emits its sub-words.
    lines = [f"{term} 20000 n" for term in terms if " " not in term]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
