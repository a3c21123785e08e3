"""The one tokeniser shared by indexing and querying: jieba search mode + domain dictionary.

Text is NFKC-normalised first, so full- and half-width forms meet. Figures with their unit
(`20个工作日`, `95%`) are kept as whole tokens next to jieba's pieces, so a question quoting a
figure matches it exactly.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import cached_property, lru_cache
from pathlib import Path

import jieba

PACKAGE_DIR = Path(__file__).parent
USER_DICT = PACKAGE_DIR / "userdict.txt"
STOPWORDS = PACKAGE_DIR / "stopwords.txt"
UNITS = ("个工作日", "工作日", "个小时", "小时", "个环节", "环节", "个月", "天", "日", "年", "月", "万元", "亿元",
         "元", "万人", "万", "%", "个", "项", "次", "件", "家", "公里", "千伏", "伏", "平方米", "亩", "分钟", "倍")
FIGURE = re.compile(r"\d+(?:\.\d+)?(?:%|" + "|".join(u for u in UNITS if u != "%") + ")")
WORD = re.compile(r"[\w%]")
# jieba cuts a text block by block (runs of Han, Latin and digits, and what lies between them), each
# on its own, so a block's tokens are the same wherever it occurs: they are cached per block. A
# passage's sentences and fragments, which answers tokenise again, then cost a few look-ups.
BLOCK_CACHE_SIZE = 1 << 16

jieba.setLogLevel(logging.WARNING)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class Tokenizer:
    def __init__(self, user_dict: Path = USER_DICT, stopwords: Path = STOPWORDS) -> None:
        self.user_dict = user_dict
        self.stopwords = frozenset(stopwords.read_text(encoding="utf-8").split())
        self._block_tokens = lru_cache(maxsize=BLOCK_CACHE_SIZE)(self._cut_block)

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        # A private instance: the global jieba state would leak user words between users of the library.
        tokenizer = jieba.Tokenizer()
        tokenizer.load_userdict(str(self.user_dict))
        return tokenizer

    def tokenize(self, text: str) -> list[str]:
        text = normalize(text)
        tokens = [t for block in jieba.re_han_default.split(text) if block for t in self._block_tokens(block)]
        tokens += FIGURE.findall(text)
        return tokens

    def warm(self, texts: Iterable[str]) -> None:
        """Cut these texts' blocks now (at load), so that requests find them cut. Stops when the cache is
        half full: a large library leaves room for the blocks that requests bring."""
        for text in texts:
            if self._block_tokens.cache_info().currsize >= BLOCK_CACHE_SIZE // 2:
                break
            self.tokenize(text)

    def _cut_block(self, block: str) -> tuple[str, ...]:
        return tuple(t.strip() for t in self._jieba.lcut_for_search(block, HMM=False) if self._keep(t.strip()))

    def _keep(self, token: str) -> bool:
        return bool(token) and token not in self.stopwords and bool(WORD.search(token))
