"""The `policy-qa` command: ask/search through a running server or in-process, corpus show by
place or id prefix, --version. Runs the real CLI (typer's runner) against a real uvicorn server."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from qa.cli import app
from tests.qa.conftest import free_port
from tests.qa.helpers import QUESTION

runner = CliRunner()
CITATION = re.compile(r"^\[(\d+)\] 《.+》 · .+ · \S+\.txt 第 (\d+)(?:–(\d+))? 行$", re.MULTILINE)


def _run(*args: str):  # noqa: ANN202
    return runner.invoke(app, list(args))


def test_version() -> None:
    result = _run("--version")
    assert result.exit_code == 0
    assert re.fullmatch(r"policy-qa \d+\.\d+\.\d+\S*\n", result.output), result.output


def test_ask_through_a_running_server(base_url: str) -> None:
    result = _run("ask", QUESTION, "--url", base_url)
    assert result.exit_code == 0, result.output
    out = result.stdout  # notes (a busy server asked again) go to stderr
    assert out.startswith(f"问：{QUESTION}\n答：")
    assert re.search(r"\d+\s*个工作日", out)
    citations = CITATION.findall(out)
    assert len(citations) >= 2, out
    assert all(not end or int(start) < int(end) for _, start, end in citations)  # 第 N 行 or 第 N–M 行
    # every part of the answer names the citation it came from
    parts = re.findall(r"^  .+ \[(\d+)\]$", out, re.MULTILINE)
    assert parts and set(parts) <= {rank for rank, _, _ in citations}
    assert re.search(rf"^time: search [\d.]+ ms \(.*embed [\d.]+.*\); \d+ ms in all, via {re.escape(base_url)}$",
                     out, re.MULTILINE), out


def test_search_through_a_running_server(base_url: str) -> None:
    result = _run("search", "不动产登记多长时间办结", "--top-k", "3", "--url", base_url)
    assert result.exit_code == 0, result.output
    assert len(CITATION.findall(result.output)) == 3
    assert len(re.findall(r"^    score [\d.]+ \(bm25 ", result.output, re.MULTILINE)) == 3


def test_ask_json_through_the_server(base_url: str) -> None:
    import json

    result = _run("ask", QUESTION, "--json", "--url", base_url)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["question"] == QUESTION and data["passages"] and data["answer"]["text"]
    result = _run("search", QUESTION, "--json", "--top-k", "2", "--url", base_url)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["passages"]) == 2


def test_server_refusing_the_filters_is_exit_2(base_url: str) -> None:
    result = _run("ask", QUESTION, "--city", "北京市", "--url", base_url)
    assert result.exit_code == 2
    assert "北京市" in result.output and "三门峡市" in result.output  # says what is known


def test_bad_url_is_exit_2() -> None:
    result = _run("ask", QUESTION, "--url", "ftp://example.org")
    assert result.exit_code == 2 and "--url" in result.output


def test_without_a_server_the_answer_is_computed_in_process() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = _run("ask", QUESTION, "--top-k", "3", "--url", url)
    assert result.exit_code == 0, result.output
    assert f"no server answers at {url}" in result.output
    assert "in this process" in result.output and CITATION.search(result.output)


def test_corpus_show_by_place_and_by_prefix() -> None:
    county = _run("corpus", "show", "修武", "--no-passages")
    assert county.exit_code == 0, county.output
    assert "修武县" in county.output.splitlines()[0]
    prefix = _run("corpus", "show", "004", "--no-passages")
    assert prefix.exit_code == 0 and "三门峡" in prefix.output.splitlines()[0]
    year = _run("corpus", "show", "焦作 2023", "--no-passages")
    assert year.exit_code == 0 and "2023" in year.output.splitlines()[0]


def test_corpus_show_unknown_lists_the_titles() -> None:
    from corpus.documents import bundled_corpus

    result = _run("corpus", "show", "北京")
    assert result.exit_code == 2
    flat = "".join(result.output.split())
    for document in bundled_corpus().documents.values():
        assert "".join(document.title.split()) in flat, document.title


def test_corpus_show_ambiguous_place_says_so() -> None:
    result = _run("corpus", "show", "焦作")  # 焦作市 has a 2019 and a 2023 plan
    assert result.exit_code == 2 and "matches 2 documents" in " ".join(result.output.split())
