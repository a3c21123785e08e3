"""Answers over documents from outside the bundled corpus (`../shared`), served from a library of their own."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from index.question import understand
from index.retriever import Hit
from qa.config import Settings
from qa.schemas import AskRequest
from qa.service import QAService
from tests.corpus.shared_documents import SHARED, needs_shared

pytestmark = needs_shared
FILES = ("samples/shanghai_dajian_yunshu_yijianshi_2025.txt", "measure/u08_guangzhou_menzhen_tebing.txt",
         "measure/u05_shanghai_budongchan_dengji.txt")


@pytest.fixture(scope="module")
def shared_service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    root = tmp_path_factory.mktemp("shared_library")
    (root / "documents").mkdir()
    for name in FILES:
        shutil.copy(SHARED / name, root / "documents" / Path(name).name)
    service = QAService.load(Settings(documents_dir=root / "documents", index_dir=root / "index",
                                      library_dir=root / "records"))
    yield service
    service.retriever.encoder.stop_batching()


def answer_text(service: QAService, question: str) -> str:
    answer = service.ask(AskRequest(question=question, top_k=5)).answer
    assert not answer.abstained, answer.reason
    return answer.text


def test_who_is_the_sentence_naming_the_unit_not_another_clauses_duty_field(shared_service: QAService) -> None:
    """The plan's duty section says who does what in sentences; a deeper clause's `责任部门：市交通委…`
    shares little of the question and must not answer it."""
    text = answer_text(shared_service, "上海大件运输中谁负责公路超限运输许可？")
    assert "交通运输部门负责公路超限运输许可" in text and "时间节点" not in text


def test_criteria_of_one_disease_are_not_answered_by_the_catalogue(shared_service: QAService) -> None:
    text = answer_text(shared_service, "门诊特定病种哮喘的认定标准是什么？")
    assert "支气管哮喘诊断标准" in text and "分为一类门诊特定病种" not in text


def test_a_deeper_defining_sentence_answers_only_when_its_passage_holds_the_question(shared_service: QAService) -> None:
    """The ranking the 17 documents of ../shared/measure and the bundled five gave: the 哮喘 criteria first
    (no `是指` in them), the catalogue's `门诊特定病种分为一类…` 17th. The catalogue holds half of what the
    criteria hold of the question: it does not answer."""
    retriever = shared_service.retriever
    question = "门诊特定病种哮喘的认定标准是什么？"
    found = retriever.search(question, top_k=40)

    def hit_with(text: str) -> Hit:
        return next(h for h in found.hits if text in h.passage.text)

    criteria, catalogue = hit_with("支气管哮喘诊断标准"), hit_with("门诊特定病种分为一类门诊特定病种")
    others = [h for h in found.hits if h not in (criteria, catalogue)][:15]
    ordered = [criteria, *others, catalogue]
    hits = [replace(h, rank=rank, score=1.0 - rank / 100) for rank, h in enumerate(ordered, start=1)]
    answer = shared_service.composer.compose(replace(found, hits=hits))
    assert answer.parts and answer.parts[0].citation == 1 and "支气管哮喘诊断标准" in answer.parts[0].text


def test_a_question_naming_the_document_by_its_title_is_answered_from_it(shared_service: QAService) -> None:
    """The title's words chose the document; inside it, `第四十二条 本规定自2021年3月1日起施行` answers,
    though it repeats none of them."""
    answer = shared_service.ask(AskRequest(question="上海市不动产登记若干规定什么时候施行？", top_k=5)).answer
    assert not answer.abstained, answer.reason
    assert len(answer.parts) == 1 and "2021年3月1日起施行" in answer.text


def test_the_words_of_a_named_title_do_not_choose_the_sentence(shared_service: QAService) -> None:
    retriever, composer = shared_service.retriever, shared_service.composer
    passage = next(p for p in retriever.passages if "本规定自2021年3月1日起施行" in p.text)

    def sentence_terms(question: str) -> set[str]:
        return set(composer._context(understand(question, retriever.documents), passage).weights)

    assert "不动产" in sentence_terms("不动产登记什么时候施行")  # a topic, not the document's name
    named = sentence_terms("上海市不动产登记若干规定什么时候施行")
    assert named and not {"不动产", "登记", "规定"} & named
