"""Document metadata read from the header block: 发文机关, 文号, title, date, place."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}\s*[〔\[［(（]\s*(\d{4})\s*[〕\]］)）]\s*\d+\s*号")
NOTICE_TITLE = re.compile(r"关于印发《(.+?)》的通知")
DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
ISSUER = re.compile(r"^#*\s*(.+?)文件\s*$")
# Places of Henan that these plans come from; a new document from elsewhere extends the map.
COUNTY_CITY = {"修武县": "焦作市", "武陟县": "焦作市", "博爱县": "焦作市", "温县": "焦作市"}
HENAN_CITIES = ("郑州市", "开封市", "洛阳市", "平顶山市", "安阳市", "鹤壁市", "新乡市", "焦作市",
                "濮阳市", "许昌市", "漯河市", "三门峡市", "南阳市", "商丘市", "信阳市", "周口市",
                "驻马店市", "济源市")


@dataclass(frozen=True)
class HeaderMetadata:
    title: str
    issuer: str
    doc_number: str
    province: str
    city: str
    county: str | None
    year: int
    date: str | None  # not every notice prints its date


def compact(text: str) -> str:
    """NFKC without whitespace: how titles and evidence are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def extract_header_metadata(text: str) -> HeaderMetadata:
    head = text[:3000]
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    issuer_match = next((m for line in lines[:3] if (m := ISSUER.match(line))), None)
    number = DOC_NUMBER.search(head)
    title = NOTICE_TITLE.search(re.sub(r"\s+", "", head))
    date = DATE.search(head)
    if not (issuer_match and number and title):
        missing = [name for name, found in
                   (("issuer", issuer_match), ("文号", number), ("title", title)) if not found]
        raise ValueError(f"header lacks {', '.join(missing)}")
    issuer = issuer_match.group(1).replace(" ", "")
    place_text = compact(title.group(1)) + issuer
    county = next((c for c in COUNTY_CITY if c in place_text), None)
    city = COUNTY_CITY[county] if county else next((c for c in HENAN_CITIES if c in place_text), "")
    return HeaderMetadata(
        title=title.group(1),
        issuer=issuer,
        doc_number=re.sub(r"\s+", "", number.group(0)),
        province="河南省" if city in HENAN_CITIES else "",
        city=city,
        county=county,
        year=int(number.group(1)),
        date="{:04d}-{:02d}-{:02d}".format(*map(int, date.groups())) if date else None,
    )
