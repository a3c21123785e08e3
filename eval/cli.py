"""`policy-qa eval`: gold set in, table and files out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from eval.answers import ComposedAnswer
from corpus.models import Document
from eval.gold import GOLD_PATH, GoldFormatError, GoldQuestion, load_gold, validate_gold
from eval.report import answer_kind_table, answer_table, kind_table, metrics_table, misses, write_outputs
from eval.runner import build_qrels, run_mode
from index.question import resolve_followup
from index.retriever import Mode, SearchResult
from qa.config import Settings
from qa.answer import ANSWER_DEPTH
from qa.service import QAService


def library_sources(service: QAService) -> dict[str, str]:
    """File name (as added to the library) → text, for every document of the library."""
    corpus = service.served.library.corpus
    return {(d.source_file or d.file): corpus.text_of(doc_id) for doc_id, d in corpus.documents.items()}


def run_evaluation(gold_path: Path | None, modes: list[str], top_k: int, out: Path) -> None:
    gold_path = gold_path or GOLD_PATH
    try:
        questions = load_gold(gold_path)
        chosen = [Mode(m) for m in modes]
    except (GoldFormatError, OSError) as error:
        raise typer.BadParameter(str(error)) from None
    except ValueError:
        raise typer.BadParameter(f"modes must be among {', '.join(m.value for m in Mode)}; got {modes}") from None
    service = QAService.load(Settings())
    # One question at a time, offline: the serving queue's deadline would only turn a busy machine into errors.
    service.retriever.encoder.stop_batching()
    # The gold set names documents by file: they must be documents of the library served (POLICY_QA_DOCUMENTS_DIR).
    problems = validate_gold(questions, library_sources(service))
    if problems:
        raise typer.BadParameter(f"{gold_path} does not fit the library at {service.settings.documents_dir}: "
                                 + "; ".join(problems[:10]) + (f" … ({len(problems)} problems)" if len(problems) > 10 else ""))
    retriever = service.retriever
    qrels = build_qrels(questions, retriever.passages)
    # Follow-ups are resolved against their conversation, as the service does; the same questions asked
    # in full are run beside them.
    variants = [("", [replace(q, question=_resolved(q, retriever.documents)) for q in questions])]
    if any(q.full_question for q in questions):
        variants.append((" (asked in full)", [replace(q, question=q.full_question or q.question) for q in questions]))
    reports = []
    for mode in chosen:
        for suffix, asked in variants:
            retriever.encoder.clear_query_cache()  # each mode pays for its own query embeddings
            search = lambda q, m=mode: retriever.search(q, mode=m, top_k=max(top_k, ANSWER_DEPTH))  # noqa: E731
            reports.append(run_mode(mode.value + suffix, search, asked, qrels, None, top_k=top_k,
                                    answer=lambda r: _composed(service, r), documents=retriever.documents))
    typer.echo(f"gold: {gold_path} ({len(questions)} questions)\n")
    typer.echo(metrics_table(reports))
    typer.echo(f"\nanswers (LCS against the gold answer; top_*: the whole top passage as the answer):\n"
               f"{answer_table(reports)}")
    for report in reports:
        typer.echo(f"\nby kind, {report.name}:\n{kind_table(report)}")
    typer.echo(f"\nanswers by kind, {reports[-1].name}:\n{answer_kind_table(reports[-1])}")
    typer.echo(f"\nmissed at 5 ({reports[-1].name}):\n{misses(reports[-1])}")
    written = write_outputs(reports, qrels, out, gold_path)
    typer.echo("\nwrote " + ", ".join(str(p) for p in written))


def _composed(service: QAService, result: SearchResult) -> ComposedAnswer:
    answer = service.composer.compose(result)
    return ComposedAnswer(answer.text, answer.abstained, tuple(p.label for p in answer.parts))


def _resolved(question: GoldQuestion, documents: dict[str, Document]) -> str:
    """The question a conversation's last turn stands for, each turn resolved against the one before."""
    resolved = ""
    for turn in (*question.history, question.question):
        resolved = resolve_followup(turn, resolved, documents)
    return resolved
