"""Question understanding: intent, normalised form, places and years named, on the real documents."""

from __future__ import annotations

import pytest

from corpus.documents import bundled_corpus
from index.question import (Intent, Measure, is_followup, normalize_question, question_intent, question_measures,
                            resolve_followup, understand)


@pytest.mark.parametrize(("question", "intent"), [
    ("高压用户报装时限是多少", Intent.HOW_MUCH),
    ("企业开办需要几个工作日", Intent.HOW_MUCH),
    ("三门峡获得电力专项行动由哪个部门牵头？", Intent.WHO),
    ("推动三门峡保税物流中心获批是哪些单位的责任？", Intent.WHO),
    ("三门峡推动跨境电商海外仓建设由哪些部门负责？", Intent.WHO),
    ("营商环境作风建设专项行动领导小组办公室设在哪里？", Intent.WHO),
    ("企业开银行账户的开户许可是从哪天起取消的？", Intent.WHEN),
    ("企业纾困360平台什么时候开始试运行", Intent.WHEN),
    ("供电企业说的“三零”服务是哪三个零？", Intent.DEFINITION),
    ("办电政策里小微企业怎么认定？", Intent.DEFINITION),
    ("什么样的项目算社会投资小型低风险项目？", Intent.DEFINITION),
    ("新培养高技能人才数量 平顶山 三门峡", Intent.HOW_MUCH),
    ("哪几类涉企合同纠纷原则上可以当场立案？", Intent.LIST),
    ("不动产登记大厅窗口统一分成哪几类？", Intent.LIST),
    ("焦作打造的全链条孵化体系由哪几部分组成？", Intent.LIST),  # 由哪 asks who only when it asks for units
    ("水电气能不能去一个营业厅一次办完？", Intent.YES_NO),
    ("重点项目核查采用什么方式", Intent.HOW),
    ("违法失信、风险较高的市场主体抽查比例如何调整", Intent.HOW),  # what is done to the figure
    ("烟草专卖零售许可证咨询电话是多少？", Intent.HOW),  # a contact, not a figure
    ("烟草专卖零售许可证在哪里办理？", Intent.WHERE),
    ("申请材料寄到哪里？", Intent.WHERE),
    ("焦作12345热线电话接通率目标是百分之多少？", Intent.HOW_MUCH),
    ("三门峡2022版营商环境优化提升行动方案的发文字号是多少？", Intent.DOCUMENT),
    ("焦作市2019年优化营商环境工作要点是哪个部门印发的", Intent.DOCUMENT),
    ("这个方案是什么时候发布的", Intent.DOCUMENT),
    ("广东省优化营商环境条例由哪个机关通过？", Intent.DOCUMENT),
    ("审批通过后多久发证", Intent.HOW_MUCH),
    ("企业信用信息由哪个部门发布？", Intent.WHO),  # what the body says, not who issued the document
    ("条例什么时候施行", Intent.WHEN),
    ("依申请业务网上办税率 焦作 平顶山 目标", Intent.HOW_MUCH),  # a keyword query naming a rate
    ("社会投资小型低风险项目办建筑许可 修武 三门峡 时间目标", Intent.HOW_MUCH),
    ("长期未结破产案件清理要求 焦作2019 修武2021", Intent.HOW),
    ("审批效率怎么提高", Intent.HOW),  # asked in words: no keyword query
    ("How many working days does it take to start a business?", Intent.HOW_MUCH),
    ("Who is responsible for the 12345 hotline?", Intent.WHO),
])
def test_intent(question: str, intent: Intent) -> None:
    assert question_intent(normalize_question(question)) is intent


@pytest.mark.parametrize(("question", "measures"), [
    ("高压用户报装时限是多少", {Measure.DURATION}),
    ("修武不动产登记费每件收多少钱", {Measure.MONEY}),
    ("享受研发费用加计扣除的企业要达到多少家？", {Measure.COUNT}),
    ("食品安全抽检每千人要抽几批次？合格率要求多少？", {Measure.COUNT, Measure.SHARE}),
    ("三门峡至洛宁高速公路有多长？总投资多少？", {Measure.MONEY}),
    ("12345热线知识库要建到多少", set()),
])
def test_the_kind_of_figure_asked_for(question: str, measures: set[Measure]) -> None:
    assert question_measures(normalize_question(question)) == measures


def test_the_subject_leaves_out_the_question_words() -> None:
    question = understand("全市重点项目观摩活动一年组织几次？", bundled_corpus().documents)
    assert "几次" not in question.subject and "观摩" in question.subject
    # `什么时候开始` asks when: 开始 is no term of what the answer is about (a rare word, it would outweigh 施行)
    question = understand("什么时候开始实施优化营商环境条例", bundled_corpus().documents)
    assert "开始" not in question.subject and "实施" in question.subject


def test_traditional_characters_and_full_width_forms_are_normalised() -> None:
    assert normalize_question("企業開辦需要幾個工作日") == "企业开办需要几个工作日"
    assert normalize_question("ＡＰＰ　辦理１２３４５") == "APP 办理12345"
    assert normalize_question("  高压用户\n报装时限  ") == "高压用户 报装时限"


def test_places_and_years_named() -> None:
    documents = bundled_corpus().documents
    question = understand("修武 2021 高压用户报装时限", documents)
    assert question.named.regions == ("修武县",) and question.named.years == (2021,)
    assert question.single_document
    flagship = understand("高压用户报装时限是多少", documents)
    assert not flagship.named.doc_ids and not flagship.single_document
    both = understand("修武和三门峡的高压用户报装时限", documents)
    assert both.comparison and not both.single_document
    assert understand("焦作市2019年和2023年有何不同", documents).comparison


def test_traditional_question_names_its_place() -> None:
    question = understand("三門峽高壓用戶報裝時限是多少", bundled_corpus().documents)
    assert question.named.regions == ("三门峡市",)
    assert question.intent is Intent.HOW_MUCH


def test_latin_questions_are_recognised() -> None:
    documents = bundled_corpus().documents
    assert understand("How many working days does it take to start a business?", documents).latin
    assert not understand("企业开办 app 办理几个工作日", documents).latin


@pytest.mark.parametrize(("turn", "previous", "resolved"), [
    ("那三门峡呢？", "平顶山高压用户报装时限是多少", "三门峡市高压用户报装时限是多少"),
    ("那2023年呢？", "焦作2019年企业开办时间压缩到多少", "焦作市2023年企业开办时间压缩到多少"),
    ("牵头单位是谁", "修武县拿地即开工的完成时限是什么时候", "修武县拿地即开工 牵头单位是谁"),
    ("和平顶山比呢？", "三门峡高压用户报装时限是多少", "三门峡市 平顶山市 高压用户报装时限是多少 对比"),
    ("那修武县呢", "三门峡不动产登记多长时间办结？", "修武县不动产登记多长时间办结?"),
])
def test_followups_are_resolved_against_the_turn_before(turn: str, previous: str, resolved: str) -> None:
    documents = bundled_corpus().documents
    assert is_followup(turn, documents)
    assert resolve_followup(turn, previous, documents) == resolved


@pytest.mark.parametrize("question", ["三门峡不动产登记多长时间办结", "企业开办需要几个工作日", "高压用户报装时限是多少"])
def test_a_question_that_stands_on_its_own_is_not_rewritten(question: str) -> None:
    documents = bundled_corpus().documents
    assert not is_followup(question, documents)
    assert resolve_followup(question, "平顶山高压用户报装时限是多少", documents) == question


def test_a_place_outside_the_library_is_reported() -> None:
    question = understand("开封市不动产一般登记几个工作日办结？", bundled_corpus().documents)
    assert question.unknown_places == ("开封市",)
    assert understand("三门峡不动产登记几个工作日办结", bundled_corpus().documents).unknown_places == ()


def test_quoted_names() -> None:
    documents = bundled_corpus().documents
    assert understand("工程建设项目审批“四统一”具体指什么", documents).quoted == ("四统一",)
    assert understand('"一件事一次办"和“三个一”', documents).quoted == ("一件事一次办", "三个一")
    assert understand("高压用户报装时限是多少", documents).quoted == ()


def test_a_where_question_looks_for_places_in_the_lexical_channel() -> None:
    documents = bundled_corpus().documents
    assert understand("烟草专卖零售许可证在哪里办理？", documents).expansion == ("地点", "地址")
    assert understand("高压用户报装时限是多少", documents).expansion == ()
