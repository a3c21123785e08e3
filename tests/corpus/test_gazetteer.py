"""The nationwide gazetteer: full names and short forms, parents filled in, ordinary words left alone."""

from __future__ import annotations

import pytest

from corpus.gazetteer import Place, aliases, find_places, resolve

XIUWU = Place("河南省", "焦作市", "修武县")
YANTAI = Place("山东省", "烟台市")
SHANGHAI = Place("上海市", "上海市")


@pytest.mark.parametrize(("name", "place"), [
    ("广东", Place("广东省")), ("广东省", Place("广东省")), ("烟台", YANTAI), ("烟台市", YANTAI),
    ("修武", XIUWU), ("修武县", XIUWU), ("上海", SHANGHAI), ("上海市", SHANGHAI), ("沪", SHANGHAI),
    ("粤", Place("广东省")), ("鲁", Place("山东省")), ("浦东新区", Place("上海市", "上海市", "浦东新区")),
    ("广西", Place("广西壮族自治区")), ("内蒙古", Place("内蒙古自治区")), ("济源市", Place("河南省", "济源市")),
    ("吉林", Place("吉林省")),  # the province, not the city of the same name
])
def test_resolve_full_names_short_forms_and_abbreviations(name, place):
    assert resolve(name) == place


def test_resolve_unknown_or_ambiguous():
    assert resolve("普陀区") is None  # 上海 and 舟山 both have one
    assert resolve("某市") is None and resolve("国务院") is None


def test_find_places_most_specific_first_with_parents():
    assert find_places("中共修武县委办公室、修武县人民政府办公室") == [XIUWU]
    assert find_places("上海市普陀区司法局") == [Place("上海市", "上海市", "普陀区"), SHANGHAI]
    assert find_places("山东省烟台市") == [YANTAI, Place("山东省")]
    assert find_places("焦作市2019年优化营商环境工作要点") == [Place("河南省", "焦作市")]


def test_ambiguous_names_need_their_province_or_city():
    assert find_places("普陀区司法局") == []
    assert find_places("舟山市普陀区")[0] == Place("浙江省", "舟山市", "普陀区")


def test_province_abbreviations():
    assert find_places("沪交法〔2025〕175号") == [SHANGHAI]  # an abbreviation opening a 文号
    assert find_places("苏政发〔2020〕1号") == [Place("江苏省")]
    assert find_places("沪的大件运输怎么办理") == [SHANGHAI]  # 沪 means nothing but Shanghai
    # 沪, 浙, 皖 stand for their provinces anywhere; 苏 is also in 复苏, so only alone or in a 文号
    assert find_places("推进长三角一体化，沪苏浙皖协同") == [SHANGHAI, Place("浙江省"), Place("安徽省")]
    assert find_places("推进长三角一体化，沪苏浙皖协同", abbreviations=False) == []
    assert find_places("辽宁省") == [Place("辽宁省")]  # a name's own characters are not abbreviations


def test_single_characters_and_ordinary_words_do_not_fire():
    assert find_places("各部门要维护和平稳定，新华社报道") == []
    assert find_places("鲁迅的文章") == [] and find_places("不要犹豫") == [] and find_places("收藏本页") == []
    assert find_places("经济复苏，宁可多做") == [] and find_places("发放津贴") == []
    # county short forms that are words: 上街 (郑州), 小店 (太原), 同心 (宁夏), 博爱 (焦作); their full names count
    assert find_places("上街开小店，同心同德，博爱") == []
    assert find_places("博爱县") == [Place("河南省", "焦作市", "博爱县")]
    assert find_places("同心同德") == [] and find_places("中山路与中山大学") == []  # short forms inside words
    assert find_places("中山市") == [Place("广东省", "中山市")]
    # a short form across a word's end: 资中 (四川) in 招商引资中; beside its province it counts
    assert find_places("政府在招商引资中作出的政策承诺") == []
    assert Place("四川省", "内江市", "资中县") in find_places("四川资中")
    assert find_places("广东东莞")[0] == Place("广东省", "东莞市")


def test_county_short_forms_that_are_words_need_their_city():
    pudong = Place("上海市", "上海市", "浦东新区")
    assert find_places("浦东的营商环境") == []  # 浦东 is a common word too …
    assert find_places("上海浦东的营商环境") == [pudong, SHANGHAI]  # … but not beside 上海
    assert resolve("浦东") == pudong and aliases("浦东新区") == ("浦东",)
    assert find_places("修武的营商环境") == [XIUWU]  # a rare word: enough alone


def test_aliases():
    assert aliases("广东省") == ("广东", "粤")
    assert aliases("修武县") == ("修武",)
    assert aliases("广西壮族自治区") == ("广西",)
    assert aliases("海西蒙古族藏族自治州") == ("海西",)
    assert aliases("浦东新区") == ("浦东",)
    assert aliases("和平区") == ()  # 和平 is an ordinary word
    assert aliases("上海市") == ("上海", "沪") and aliases("沪") == ("上海", "沪")
    assert aliases("江苏省") == ("江苏",)  # 苏 is also part of ordinary words (复苏)
    assert aliases("烟台市") == ("烟台",)
    assert aliases("湖北省") == ("湖北",)  # 鄂 is also in 鄂尔多斯, a city of 内蒙古
    assert find_places("鄂尔多斯市") == [Place("内蒙古自治区", "鄂尔多斯市")]
    assert aliases("某市") == ()
