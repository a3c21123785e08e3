import re

from corpus.documents import bundled_corpus
from index.domain_terms import mine_domain_terms
from index.tokenizer import FIGURE, USER_DICT, Tokenizer, normalize

tokenizer = Tokenizer()


def test_domain_terms_stay_whole() -> None:
    for term in ("高压用户", "一网通办", "不动产登记", "用电报装", "交房即交证", "免申即享"):
        assert term in tokenizer.tokenize(f"关于{term}的规定"), term


def test_search_mode_also_emits_sub_words() -> None:
    tokens = tokenizer.tokenize("不动产登记")
    assert "不动产登记" in tokens and "登记" in tokens


def test_figures_keep_their_units() -> None:
    tokens = tokenizer.tokenize("压缩至20个工作日以内，覆盖率达到95%，2019年12月底前")
    assert {"20个工作日", "95%", "2019年", "12月"} <= set(tokens)


def test_full_width_and_half_width_meet() -> None:
    assert tokenizer.tokenize("２０个工作日") == tokenizer.tokenize("20个工作日")


def test_question_words_and_punctuation_are_dropped() -> None:
    tokens = tokenizer.tokenize("高压用户报装时限是多少？")
    assert not {"是", "多少", "？", "?"} & set(tokens)
    assert "报装" in tokens


def test_user_dict_is_what_mining_the_corpus_gives() -> None:
    """The committed dictionary is reproducible: `policy-qa index userdict` regenerates it."""
    committed = {line.split(" ")[0] for line in USER_DICT.read_text(encoding="utf-8").splitlines() if line}
    assert committed == set(mine_domain_terms(bundled_corpus().passages))


def test_tokens_cut_block_by_block_are_jieba_on_the_whole_text() -> None:
    """Blocks are cached apart (index/tokenizer.py); the tokens must be those of cutting each text whole,
    for every passage of the bundled documents and every sentence of it (what answers tokenise)."""
    fresh = Tokenizer()
    whole = fresh._jieba  # the same dictionary, cut in one go as before the block cache

    def cut_whole(text: str) -> list[str]:
        text = normalize(text)
        tokens = [t.strip() for t in whole.lcut_for_search(text, HMM=False) if fresh._keep(t.strip())]
        return tokens + FIGURE.findall(text)

    texts = []
    for p in bundled_corpus().passages:
        texts.append(" ".join(p.section_path) + p.text)
        texts += [s for s in re.split(r"(?<=[。；;！？])", p.text) if s]
    for text in texts:
        assert fresh.tokenize(text) == cut_whole(text), text
    # A second pass reads the cache: still the same.
    assert all(fresh.tokenize(text) == cut_whole(text) for text in texts[:200])


def test_warming_cuts_blocks_ahead_and_leaves_half_the_cache(monkeypatch) -> None:  # noqa: ANN001
    passages = bundled_corpus().passages
    warmed = Tokenizer()
    warmed.warm(p.text for p in passages[:50])
    misses = warmed._block_tokens.cache_info().misses
    for p in passages[:50]:
        warmed.tokenize(p.text)
    assert warmed._block_tokens.cache_info().misses == misses, "warmed texts are cut from the cache"

    monkeypatch.setattr("index.tokenizer.BLOCK_CACHE_SIZE", 400)
    small = Tokenizer()
    small.warm(p.text for p in passages)
    assert 200 <= small._block_tokens.cache_info().currsize < 400  # stopped once half full
