"""A sentence-transformers folder (EmbeddingGemma's: transformer, mean pooling, two bias-free Dense
layers, Normalize) exported to one ONNX graph and quantised to int8 weights, for rag.embedding's
OnnxEmbedder. Runs once, when the model is installed: torch's exporter (needs onnx and onnxscript),
then onnxruntime's dynamic quantisation of every MatMul and of the token-embedding Gather (the
262k-token table is two thirds of the weights), so the file shrinks from 1.2 GB to ~0.3 GB."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
ONNX_DIR = "onnx"  # inside the model folder


def _pipeline(folder: Path):
    """The folder's modules up to (not including) Normalize, as one torch module of (ids, mask)."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                                model_kwargs={"attn_implementation": "eager"})  # sdpa's mask code does not export
    transformer, dense = model[0].auto_model.eval(), [m.linear for m in list(model)[2:] if hasattr(m, "linear")]

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer, self.dense = transformer, torch.nn.ModuleList(dense)

        def forward(self, input_ids, attention_mask):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            out = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            for layer in self.dense:
                out = layer(out)
            return out

    return Pooled().eval(), model


def export(folder: Path, out_dir: Path) -> Path:
    """Write out_dir/model-int8.onnx (and nothing else) from the sentence-transformers folder."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    module, model = _pipeline(folder)
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    if [m["type"].rsplit(".", 1)[-1] for m in modules][:2] != ["Transformer", "Pooling"]:
        raise ValueError(f"{folder}: expected a Transformer and a Pooling module first")
    work = out_dir / "export.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ids = torch.tensor([[2, 1000, 1001, 1002, 1], [2, 1003, 1, 0, 0]])
    mask = (ids != 0).long()
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
    # the output is not called "embedding": the quantiser makes a node of that name and onnxruntime refuses the graph
    with torch.no_grad():
        torch.onnx.export(module, (ids, mask), str(work / FP32_FILE), input_names=["input_ids", "attention_mask"],
                          output_names=["sentence_embedding"], dynamo=True, opset_version=18, external_data=True,
                          dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}})
    del module, model
    quantize_dynamic(str(work / FP32_FILE), str(out_dir / INT8_FILE), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gather"], use_external_data_format=False)
    shutil.rmtree(work, ignore_errors=True)
    return out_dir / INT8_FILE
