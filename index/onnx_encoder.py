"""The query encoder on onnxruntime: the local model exported to ONNX (fp32), optionally int8.

The export runs once, on first use, from the converted model folder (nothing is downloaded) into
`<onnx_dir>/<model name>-<weights hash>/`: the transformer with mean pooling and L2 normalisation in
one graph, so a question is tokenised (the model's own tokenizer.json) and run, nothing else. The
int8 file is onnxruntime's dynamic quantisation of the fp32 one (weights int8, activations
quantised per batch).

Why not sentence-transformers' `backend="onnx"`: it needs optimum, whose current releases pin
transformers < 5 and would downgrade the transformers this project runs on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
OPSET = 17


class OnnxQueryEncoder:
    def __init__(self, onnx_file: Path, tokenizer_file: Path, prompt: str, max_seq_length: int, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_seq_length)
        self._tokenizer.enable_padding()
        self.prompt = prompt

    @classmethod
    def for_model(cls, config, load_torch_model: Callable[[], object], quantized: bool) -> OnnxQueryEncoder:  # noqa: ANN001
        """The encoder for `config.model`, exporting it first if this install has not yet."""
        model_dir = Path(config.model)
        if not (model_dir / "tokenizer.json").is_file():
            raise FileNotFoundError(f"the ONNX backend needs a local model folder with tokenizer.json, not {model_dir}")
        folder = export_folder(model_dir, config.onnx_dir)
        fp32, int8 = folder / "model.onnx", folder / "model_int8.onnx"
        if not fp32.is_file():
            export_onnx(load_torch_model(), fp32)
        if quantized and not int8.is_file():
            quantize_onnx(fp32, int8)
        return cls(int8 if quantized else fp32, model_dir / "tokenizer.json", config.query_prompt,
                   config.max_seq_length, config.threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([self.prompt + t for t in texts])
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        attention_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (vectors,) = self._session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})
        return np.asarray(vectors, dtype=np.float32)


def export_folder(model_dir: Path, onnx_dir: Path | None) -> Path:
    """One folder per model weights: a changed model never meets an old export."""
    weights = sorted(model_dir.glob("*.safetensors"))
    digest = hashlib.sha256(json.dumps([(w.name, w.stat().st_size, w.stat().st_mtime_ns) for w in weights])
                            .encode()).hexdigest()[:12]
    return (onnx_dir or model_dir.parent / "onnx") / f"{model_dir.name}-{digest}"


def export_onnx(sentence_transformer, target: Path) -> None:  # noqa: ANN001
    """The transformer + mean pooling + normalisation as one ONNX graph, written atomically."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    log.warning("exporting the query encoder to ONNX at %s (once)", target)
    module = Pooled(sentence_transformer[0].auto_model).eval()
    example = (torch.ones(2, 8, dtype=torch.int64), torch.ones(2, 8, dtype=torch.int64))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        draft = Path(tmp) / target.name
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shapes that are fixed for an encoder
            torch.onnx.export(module, example, str(draft), input_names=["input_ids", "attention_mask"],
                              output_names=["embedding"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}})
        os.replace(draft, target)


def quantize_onnx(fp32: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.warning("quantising the ONNX query encoder to int8 at %s (once)", target)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        draft = Path(tmp) / target.name
        quantize_dynamic(str(fp32), str(draft), weight_type=QuantType.QInt8)
        os.replace(draft, target)
