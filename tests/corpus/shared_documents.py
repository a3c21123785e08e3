"""Real documents from outside the bundled corpus (`../shared/samples`, `../shared/measure`), parsed
as a user's library would parse them: a Document with its doc_id, file and title, nothing else known."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from corpus.models import Document
from corpus.parser import ParsedDocument, parse_document

REPO = Path(__file__).resolve().parents[2]
# shared/ sits beside the repository (CI, /work/main) or beside the folder of work trees
SHARED = next((folder / "shared" for folder in REPO.parents if (folder / "shared" / "samples").is_dir()), None)

# file → the title its metadata names (the regulation's title line, or the plan inside the notice)
TITLES = {
    "samples/yantai_youhua_yingshang_tiaoli_2021.txt": "烟台市优化营商环境条例",
    "samples/shanghai_dajian_yunshu_yijianshi_2025.txt": "高效办成大件运输“一件事”实施方案",
    "measure/u01_guowuyuan_youhua_yingshang_tiaoli.txt": "优化营商环境条例",
    "measure/u02_guangdong_youhua_yingshang_tiaoli.txt": "广东省优化营商环境条例",
    "measure/u03_yantai_youhua_yingshang_tiaoli.txt": "烟台市优化营商环境条例",
    "measure/u04_binzhou_gongcheng_binglian_shenpi.txt": "滨州市工程建设项目并联审批管理规定",
    "measure/u05_shanghai_budongchan_dengji.txt": "上海市不动产登记若干规定",
    "measure/u06_shanghai_gongcheng_yingshang_fangan_2026.txt": "上海市加快打造工程建设领域国际一流营商环境行动方案（2026年）",
    "measure/u07_shanghai_dajian_yunshu_yijianshi.txt": "高效办成大件运输“一件事”实施方案",
    "measure/u08_guangzhou_menzhen_tebing.txt":
        "广州市社会医疗保险统筹基金支付门诊特定病种费用范围及标准",
}
LAWS = [name for name in TITLES if name.endswith(("tiaoli.txt", "tiaoli_2021.txt", "shenpi.txt", "dengji.txt"))]

needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared (samples, measure) is not beside the repository")


def source_of(name: str) -> str:
    assert SHARED is not None
    return (SHARED / name).read_text(encoding="utf-8")


@cache
def parsed_shared(name: str) -> ParsedDocument:
    stem = Path(name).stem
    document = Document(stem, Path(name).name, TITLES[name], None, None, None, None, None, None, None)
    return parse_document(document, source_of(name))


# Word and PDF files of ../shared/measure: read by corpus.readers, titled by corpus.metadata, as the library does
CONVERTED = ["measure/f01_zjzwfw_sso_shishi_zhiyin.docx", "measure/f04_huaian_2024_zhengfu_xinxi_gongkai_nianbao.pdf",
             "measure/f05_changle_yancao_lingshou_xuke_zhinan.pdf", "measure/f06_putuo_sifaju_2026_bumen_yusuan.pdf"]


@cache
def converted(name: str) -> tuple[str, ParsedDocument]:
    """The converted text and its parse."""
    from corpus.metadata import extract_metadata
    from corpus.readers import read_document

    assert SHARED is not None
    text = read_document(SHARED / name).text
    stem = Path(name).stem
    title = extract_metadata(text, Path(name).name).title
    document = Document(stem, f"{stem}.txt", title, None, None, None, None, None, None, None)
    return text, parse_document(document, text)
