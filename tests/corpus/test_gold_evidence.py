"""Every gold evidence string lies inside a single passage of the document it names.

Relevance rule (shared/eval/README.md): NFKC, remove all whitespace, then substring. Questions over the
samples of ../shared (eval/gold_samples.jsonl) are checked against those documents' passages. A failure
here means the parser cut (or mangled) the sentence that a gold question depends on, unless the
message says the evidence is not in the source at all (then the gold line is wrong).
Gold files still being written and not yet valid JSON Lines are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus.helpers import norm
from tests.corpus.shared_documents import SHARED, TITLES, parsed_shared, source_of

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO.parent / "shared" / "eval" / "sample.jsonl"
# the project's own gold set: eval/gold.jsonl and/or eval/gold/*.jsonl, whichever exist
GOLD_FILES = sorted({*(REPO / "eval").glob("gold*.jsonl"), *(REPO / "eval" / "gold").glob("*.jsonl")})


def load_cases():
    cases = []
    for path in [SAMPLE, *GOLD_FILES]:
        if not path.is_file():
            continue
        try:
            questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            cases.append(pytest.param(None, None, None, id=f"{path.parent.name}/{path.name}-unparsable",
                                      marks=pytest.mark.skip(reason=f"{path.name} does not parse yet: {error}")))
            continue
        for question in questions:
            docs, evidence = question.get("docs") or [], question.get("evidence") or []
            if not docs:
                continue
            if question.get("kind") == "cross_doc" and len(docs) == len(evidence):
                pairs = list(zip(docs, evidence))  # one evidence per document, in order
            else:
                pairs = [(docs, item) for item in evidence]  # any of the named documents
            for i, (named, item) in enumerate(pairs):
                named = [named] if isinstance(named, str) else list(named)
                cases.append(pytest.param(named, item, question.get("id"),
                                          id=f"{path.parent.name}/{path.name}:{question.get('id')}:{i}"))
    return cases


CASES = load_cases()


def test_gold_sets_were_found():
    assert SAMPLE.is_file() or GOLD_FILES
    assert any(case.values[0] for case in CASES)


def sample_names() -> list[str]:
    """Gold questions over ../shared/samples (eval/gold_samples.jsonl) name those files."""
    return [name for name in TITLES if name.startswith("samples/")] if SHARED is not None else []


@pytest.fixture(scope="module")
def passage_keys(corpus):
    keys = {doc.file: [norm(p.text) for p in corpus.parsed[doc_id].passages]
            for doc_id, doc in corpus.documents.items()}
    keys.update({Path(name).name: [norm(p.text) for p in parsed_shared(name).passages] for name in sample_names()})
    return keys


@pytest.fixture(scope="module")
def source_keys(corpus):
    keys = {doc.file: norm(corpus.text_of(doc_id)) for doc_id, doc in corpus.documents.items()}
    keys.update({Path(name).name: norm(source_of(name)) for name in sample_names()})
    return keys


@pytest.mark.parametrize(("files", "evidence", "qid"), CASES)
def test_evidence_lies_inside_one_passage(passage_keys, source_keys, files, evidence, qid):
    unknown = [name for name in files if name not in passage_keys]
    assert not unknown, f"{qid}: names documents not in the corpus: {unknown}"
    key = norm(evidence)
    assert key, f"{qid}: empty evidence"
    if any(key in passage for name in files for passage in passage_keys[name]):
        return
    in_source = any(key in source_keys[name] for name in files)
    pytest.fail(f"{qid}: evidence {evidence!r} is in no single passage of {files}"
                + ("" if in_source else " — and not in the source text either (gold error)"))
