"""Milvus through pymilvus. One collection per index version holds each chunk's dense vector, its text
and its doc_id; a BM25 function turns the text (Milvus's jieba analyzer, search mode, our stop words)
into a sparse vector inside the engine, so dense search, BM25 and their RRF fusion all run in Milvus
(`hybrid_search` with `RRFRanker`), and the document filter is a filter expression on doc_id.

`milvus_uri` a local path (`*.db`) -> Milvus Lite, started by pymilvus inside this process (one process
per file); an http(s) address -> a Milvus standalone or cluster, with the same calls."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.errors import IndexStateError, RagError
from rag.lexical import STOP_WORDS
from rag.stores.base import as_matrix, check_ids, empty_result
from rag.types import Chunk

MAX_LIMIT = 16_384  # Milvus's largest topk
MAX_TEXT_BYTES = 65_000  # VARCHAR limit is 65,535 bytes
INSERT_BATCH = 2_000
_clients: dict[tuple[str, str], object] = {}


def resolve_uri(settings: Settings) -> str:
    """An http(s) address as it is; a local path made absolute (default: milvus.db in the index folder)."""
    uri = settings.milvus_uri or str(settings.index_dir / "milvus.db")
    if uri.startswith(("http://", "https://", "tcp://")):
        return uri
    if not uri.endswith(".db"):
        raise RagError(f"配置项 milvus_uri 应是以 .db 结尾的本地文件（Milvus Lite）或 http(s):// 地址，当前为 {uri!r}。")
    return str(Path(uri).expanduser().resolve())


def _client(uri: str, token: str = ""):
    """One client per address (and credentials) and process: Milvus Lite lets only one process open a file.
    `token` ("user:password" or an API key) is for a server with authentication; Milvus Lite has none."""
    if (uri, token) not in _clients:
        from pymilvus import MilvusClient

        if not uri.startswith(("http://", "https://", "tcp://")):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            _clients[uri, token] = MilvusClient(uri=uri, token=token)
        except Exception as exc:  # pymilvus raises its own hierarchy and grpc errors
            raise IndexStateError(
                f"无法打开 Milvus（{uri}）：{exc}。Milvus Lite 的数据文件同一时间只能被一个进程打开；"
                "多个进程共用索引请改用 Milvus 服务（milvus_uri = \"http://主机:19530\"）。"
            ) from exc
    return _clients[uri, token]


def close_all() -> None:
    """Stop the Milvus Lite servers this process started (tests open one per temporary index)."""
    while _clients:
        _, client = _clients.popitem()
        client.close()


def _namespace(index_dir: Path) -> str:
    """Collections of one index folder share a prefix, so pruning never touches another index's."""
    return "rag_" + hashlib.sha256(str(index_dir.resolve()).encode()).hexdigest()[:10]


def _text(chunk: Chunk) -> str:
    return chunk.embedding_text().encode("utf-8")[:MAX_TEXT_BYTES].decode("utf-8", "ignore")


def _analyzer() -> dict:
    return {"tokenizer": {"type": "jieba", "mode": "search"},
            "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOP_WORDS)}]}


class MilvusStore:
    kind = "milvus"
    ranks_text = True

    def __init__(self, uri: str, collection: str, dim: int, index: dict, token: str = ""):
        self.uri, self.collection, self.dim, self.index = uri, collection, dim, index
        self.client = _client(uri, token)
        rows = self.client.query(collection, filter="", output_fields=["count(*)"])
        self._count = int(rows[0]["count(*)"])

    @classmethod
    def empty(cls, dim: int, settings: Settings, expected: int = 0) -> "MilvusStore":
        uri = resolve_uri(settings)
        name = f"{_namespace(settings.index_dir)}_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}_{os.urandom(3).hex()}"
        hnsw = expected >= settings.hnsw_threshold
        index = {"type": "hnsw", "m": settings.hnsw_m, "ef_search": settings.hnsw_ef_search} if hnsw else {"type": "flat"}
        client = _client(uri, settings.milvus_token)
        client.create_collection(name, schema=_schema(dim), index_params=_index_params(client, index, settings),
                                 consistency_level="Strong")
        return cls(uri, name, dim, index, settings.milvus_token)

    @property
    def ntotal(self) -> int:
        return self._count

    def describe(self) -> dict:
        return {"kind": self.kind, "uri": self.uri, "collection": self.collection} | self.index

    def add(self, ids: np.ndarray, vectors: np.ndarray, chunks: Sequence[Chunk] | None = None) -> None:
        matrix = as_matrix(vectors, self.dim)
        check_ids(ids, self.ntotal, len(matrix))
        if chunks is None or len(chunks) != len(matrix):
            raise ValueError("Milvus indexes the chunk texts with the vectors: pass one chunk per vector")
        for start in range(0, len(matrix), INSERT_BATCH):
            rows = [
                {"id": int(ids[i]), "doc_id": chunks[i].doc_id, "text": _text(chunks[i]), "dense": matrix[i].tolist()}
                for i in range(start, min(start + INSERT_BATCH, len(matrix)))
            ]
            self.client.insert(self.collection, rows)
        self._count += len(matrix)

    def _dense_params(self, k: int) -> dict:
        if self.index.get("type") == "hnsw":
            return {"metric_type": "IP", "params": {"ef": max(int(self.index["ef_search"]), k)}}
        return {"metric_type": "IP"}

    def search(self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = as_matrix(queries, self.dim)
        out_s, out_i = empty_result(len(queries), k)
        if not len(queries) or self._count == 0:
            return out_s, out_i
        where = "" if allowed_ids is None else f"id in {json.dumps([int(i) for i in allowed_ids])}"
        limit = min(k, MAX_LIMIT)
        hits = self.client.search(self.collection, data=queries.tolist(), anns_field="dense", limit=limit, filter=where,
                                  search_params=self._dense_params(limit), output_fields=["id"])
        for row, result in enumerate(hits):
            for col, hit in enumerate(result[:k]):
                out_s[row, col], out_i[row, col] = hit["distance"], int(hit["id"])
        return out_s, out_i

    def hybrid(self, query: str, vector: np.ndarray, n: int, k: int, doc_ids: list[str] | None, rrf_k: int) -> list[tuple[int, float]]:
        """Dense and BM25 top n, fused by Milvus's RRF ranker into the top k (row, score)."""
        from pymilvus import AnnSearchRequest, RRFRanker

        n, where = min(n, MAX_LIMIT), _doc_filter(doc_ids)
        requests = [
            AnnSearchRequest([as_matrix(vector, self.dim)[0].tolist()], "dense", self._dense_params(n), n, expr=where),
            AnnSearchRequest([query], "sparse", {"metric_type": "BM25"}, n, expr=where),
        ]
        hits = self.client.hybrid_search(self.collection, requests, RRFRanker(rrf_k), limit=min(k, MAX_LIMIT), output_fields=["id"])
        return [(int(h["id"]), float(h["distance"])) for h in hits[0]]

    def lexical(self, query: str, n: int, allowed_ids: np.ndarray | None = None) -> list[int]:
        """Milvus's own BM25 ranking alone (for a weighted fusion done outside the engine)."""
        where = "" if allowed_ids is None else f"id in {json.dumps([int(i) for i in allowed_ids])}"
        hits = self.client.search(self.collection, data=[query], anns_field="sparse", limit=min(n, MAX_LIMIT),
                                  filter=where, search_params={"metric_type": "BM25"}, output_fields=["id"])
        return [int(h["id"]) for h in hits[0]]

    def reconstruct(self) -> np.ndarray:
        matrix = np.zeros((self.ntotal, self.dim), dtype="float32")
        step = MAX_LIMIT // 2
        for start in range(0, self.ntotal, step):
            rows = self.client.query(self.collection, filter=f"id >= {start} and id < {start + step}",
                                     output_fields=["id", "dense"], limit=step)
            for row in rows:
                matrix[int(row["id"])] = row["dense"]
        return matrix

    def save(self, folder: Path) -> None:
        """The data already lives in Milvus; flushing seals it before the version goes live."""
        self.client.flush(self.collection)

    def prune(self, keep: list[dict]) -> None:
        """Drop this index's collections that no kept version uses (older versions, crashed writes)."""
        kept = {info.get("collection") for info in keep} | {self.collection}
        prefix = self.collection.rsplit("_", 3)[0] + "_"
        for name in self.client.list_collections():
            if name.startswith(prefix) and name not in kept:
                self.client.drop_collection(name)

    @classmethod
    def load(cls, info: dict, dim: int, token: str = "") -> "MilvusStore":
        uri, name = info.get("uri", ""), info.get("collection", "")
        client = _client(uri, token)
        if not client.has_collection(name):
            raise IndexStateError(f"Milvus（{uri}）中没有索引用到的集合 {name}；请运行 `rag index --rebuild` 重建。")
        client.load_collection(name)  # a collection opened by a new process (or server restart) starts released
        return cls(uri, name, dim, {k: v for k, v in info.items() if k in {"type", "m", "ef_search"}}, token)


def _doc_filter(doc_ids: list[str] | None) -> str:
    return "" if doc_ids is None else f"doc_id in {json.dumps(list(doc_ids), ensure_ascii=False)}"


def _schema(dim: int):
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True, analyzer_params=_analyzer())
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    return schema


def _index_params(client, index: dict, settings: Settings):
    """FLAT (exact) below hnsw_threshold, HNSW above it: the same rule and parameters as FAISS."""
    params = client.prepare_index_params()
    if index["type"] == "hnsw":
        params.add_index("dense", index_type="HNSW", metric_type="IP",
                         params={"M": settings.hnsw_m, "efConstruction": settings.hnsw_ef_construction})
    else:
        params.add_index("dense", index_type="FLAT", metric_type="IP")
    # k1/b as bm25s's defaults, so both BM25s score alike
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={"bm25_k1": 1.5, "bm25_b": 0.75})
    return params
