"""The vector stores behind rag.stores: same answers from FAISS (flat and HNSW) and Milvus Lite, exact
carry-over of vectors, persistence, and the index type chosen by corpus size."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import Settings
from rag.errors import RagError
from rag.stores import FaissStore, build_store, load_store, new_store
from rag.stores.faiss_store import EXACT_SUBSET
from rag.types import Chunk

DIM = 32


def _unit(rows: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((rows, DIM)).astype("float32")
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _brute(matrix: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(queries @ matrix.T), axis=1, kind="stable")[:, :k]


def _chunks(rows: int) -> list[Chunk]:
    return [Chunk(f"d{i % 4}#{i}", f"d{i % 4}", "标题", [], f"第{i}段文字", 0, 1) for i in range(rows)]


@pytest.fixture(params=["faiss", "milvus"])
def kind(request, tmp_path) -> str:
    return request.param


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


def test_search_matches_brute_force_and_respects_the_filter(kind, settings):
    data, queries = _unit(500), _unit(5, seed=1)
    store = build_store(data, DIM, settings.with_overrides(vector_store=kind), _chunks(500))
    assert store.kind == kind and store.ntotal == 500
    scores, ids = store.search(queries, 10)
    assert (ids == _brute(data, queries, 10)).all()
    assert scores[:, 0] == pytest.approx((queries * data[ids[:, 0]]).sum(axis=1), abs=1e-5)
    allowed = np.arange(100, 140)
    _, ids = store.search(queries, 50, allowed_ids=allowed)
    assert set(ids[0][ids[0] >= 0].tolist()) == set(allowed.tolist()) and (ids[0][40:] == -1).all()
    assert (ids[:, :5] == 100 + _brute(data[100:140], queries, 5)).all()


def test_add_continues_the_ids_and_reconstruct_is_exact(kind, settings):
    data, chunks = _unit(300), _chunks(300)
    store = new_store(kind, DIM, settings)
    store.add(np.arange(200), data[:200], chunks[:200])
    store.add(np.arange(200, 300), data[200:], chunks[200:])
    assert store.ntotal == 300
    assert (store.reconstruct() == data).all()  # bit for bit: unchanged documents are carried over exactly
    with pytest.raises(ValueError):
        store.add(np.arange(5), data[:5], chunks[:5])  # ids must continue the chunk rows


def test_save_and_load_round_trip(kind, settings, tmp_path):
    data = _unit(200)
    store = build_store(data, DIM, settings.with_overrides(vector_store=kind), _chunks(200))
    store.save(tmp_path)
    loaded = load_store(tmp_path, store.describe(), DIM)
    assert loaded.kind == kind and loaded.ntotal == 200 and (loaded.reconstruct() == data).all()
    assert (loaded.search(data[:3], 1)[1][:, 0] == [0, 1, 2]).all()


def test_milvus_hybrid_search_in_the_engine_with_a_document_filter(settings):
    """Dense + BM25 (Milvus's jieba analyzer) fused by its RRF ranker; the filter is a doc_id expression."""
    data = _unit(40)
    chunks = [Chunk(f"d{i % 2}#{i}", f"d{i % 2}", "规划", [], f"第{i}项 指标{i}号 高密市" if i % 2 else f"平度市 第{i}项", 0, 1)
              for i in range(40)]
    store = build_store(data, DIM, settings.with_overrides(vector_store="milvus"), chunks)
    assert store.ranks_text and store.describe()["type"] == "flat"
    top = store.hybrid("指标7号", data[7], 10, 5, None, 60)
    assert top[0][0] == 7 and top[0][1] == pytest.approx(2 / 61, abs=1e-4)  # first in both rankings
    assert store.lexical("指标7号", 3)[0] == 7
    top = store.hybrid("指标7号", data[7], 10, 5, ["d0"], 60)
    assert top and all(row % 2 == 0 for row, _ in top)


def test_milvus_drops_collections_no_version_uses(settings):
    conf = settings.with_overrides(vector_store="milvus")
    old, new = build_store(_unit(5), DIM, conf, _chunks(5)), build_store(_unit(5), DIM, conf, _chunks(5))
    stray = build_store(_unit(5), DIM, conf, _chunks(5))
    new.prune(keep=[old.describe()])
    names = new.client.list_collections()
    assert old.collection in names and new.collection in names and stray.collection not in names


def test_index_type_follows_the_size_threshold(kind, settings):
    settings = settings.with_overrides(hnsw_threshold=1000, vector_store=kind)
    assert build_store(_unit(999), DIM, settings, _chunks(999)).describe()["type"] == "flat"
    hnsw = build_store(_unit(1000), DIM, settings, _chunks(1000)).describe()
    assert hnsw["kind"] == kind and {k: hnsw[k] for k in ("type", "m", "ef_search")} == {
        "type": "hnsw", "m": settings.hnsw_m, "ef_search": settings.hnsw_ef_search}


def test_hnsw_recall_against_flat_and_filtered_search(tmp_path):
    data, queries = _unit(3000), _unit(50, seed=2)
    hnsw = build_store(data, DIM, Settings(hnsw_threshold=1000))
    truth = _brute(data, queries, 10)
    _, ids = hnsw.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)])
    assert recall >= 0.9, recall
    small = np.arange(0, 3000, 7)  # below EXACT_SUBSET: searched exactly
    assert len(small) <= EXACT_SUBSET
    _, ids = hnsw.search(queries, 10, allowed_ids=small)
    stored = hnsw.reconstruct()  # exact over the vectors as stored (float16 by default)
    assert (ids == small[_brute(stored[small], queries, 10)]).all()
    hnsw.save(tmp_path)
    assert load_store(tmp_path, {"kind": "faiss"}, DIM).describe()["type"] == "hnsw"


@pytest.mark.parametrize("stored", ["fp16", "sq8", "float32"])
def test_hnsw_vector_storage(stored, tmp_path):
    """fp16 (the default) halves the vectors a serving process maps; the graph finds the same neighbours."""
    data, queries = _unit(3000), _unit(50, seed=2)
    hnsw = build_store(data, DIM, Settings(hnsw_threshold=1000, hnsw_vectors=stored))
    _, ids = hnsw.search(queries, 10)
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, _brute(data, queries, 10))]) >= 0.9
    hnsw.save(tmp_path)
    loaded = load_store(tmp_path, {"kind": "faiss"}, DIM)
    assert loaded.describe()["vectors"] == stored and (loaded.search(queries, 10)[1] == ids).all()
    error = np.abs(loaded.reconstruct() - data).max()
    assert error == 0 if stored == "float32" else 0 < error < {"fp16": 1e-3, "sq8": 2e-2}[stored]
    bytes_per_vector = {"float32": 4 * DIM, "fp16": 2 * DIM, "sq8": DIM}[stored]
    graph = (tmp_path / "vectors.faiss").stat().st_size - 3000 * bytes_per_vector
    assert 0 < graph < 3000 * 4 * 2 * 32 * 1.2  # the rest of the file is the graph (2M links per node)


def test_unknown_hnsw_vector_storage_is_a_clear_error():
    with pytest.raises(RagError, match="hnsw_vectors"):
        build_store(_unit(10), DIM, Settings(hnsw_threshold=5, hnsw_vectors="int4"))


def test_hnsw_filter_over_a_large_allowed_set_uses_the_graph(monkeypatch):
    import rag.stores.faiss_store as faiss_store

    monkeypatch.setattr(faiss_store, "EXACT_SUBSET", 10)
    data, queries = _unit(3000), _unit(20, seed=3)
    hnsw = build_store(data, DIM, Settings(hnsw_threshold=1000))
    allowed = np.arange(1000, 3000)
    _, ids = hnsw.search(queries, 10, allowed_ids=allowed)
    assert ((ids >= 1000) & (ids < 3000)).all()
    truth = 1000 + _brute(data[1000:], queries, 10)
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)]) >= 0.9


def test_unknown_store_is_a_clear_error(tmp_path):
    with pytest.raises(RagError, match="未知的向量库"):
        new_store("annoy", DIM, Settings())
    with pytest.raises(RagError, match="未知的向量库"):
        load_store(tmp_path, {"kind": "annoy"}, DIM)
    assert isinstance(FaissStore.empty(DIM, Settings()), FaissStore)


def test_milvus_lite_file_held_by_another_process_is_a_clear_error(settings):
    """Milvus Lite lets one process open a file: the second gets advice to use a server, not a traceback."""
    import subprocess
    import sys

    conf = settings.with_overrides(vector_store="milvus")
    build_store(_unit(5), DIM, conf, _chunks(5))  # this process now holds index/milvus.db
    script = (
        "import sys; from pathlib import Path; from rag.config import Settings; from rag.errors import RagError\n"
        "from rag.stores import new_store\n"
        "try:\n    new_store('milvus', 8, Settings(index_dir=Path(sys.argv[1]), vector_store='milvus'))\n"
        "except RagError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(conf.index_dir)], capture_output=True, text=True, timeout=120)
    assert "只能被一个进程打开" in done.stdout and "http" in done.stdout, done.stdout + done.stderr[-500:]


def test_milvus_index_opened_by_a_new_process(settings, tmp_path):
    """Written by one process (`rag index`), opened by another (the app): the collection starts
    released there and must be loaded before it can be searched."""
    import json
    import subprocess
    import sys

    data = _unit(50)
    np.save(tmp_path / "data.npy", data)
    script = (
        "import json, sys, numpy as np; from pathlib import Path; from rag.config import Settings\n"
        "from rag.stores import build_store; from rag.types import Chunk\n"
        "data = np.load(sys.argv[2]); chunks = [Chunk(f'd#{i}', 'd', 't', [], f'第{i}段文字', 0, 1) for i in range(len(data))]\n"
        "store = build_store(data, data.shape[1], Settings(index_dir=Path(sys.argv[1]), vector_store='milvus'), chunks)\n"
        "store.save(Path(sys.argv[1])); print(json.dumps(store.describe()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(settings.index_dir), str(tmp_path / "data.npy")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-800:]
    store = load_store(tmp_path, json.loads(done.stdout.strip().splitlines()[-1]), DIM)
    assert store.ntotal == 50 and store.search(data[7:8], 1)[1].tolist() == [[7]]
    assert store.lexical("第7段文字", 1) == [7]


def test_milvus_token_reaches_the_client_and_stays_out_of_the_manifest(monkeypatch, tmp_path):
    """A server with authentication: `milvus_token` goes to pymilvus on build and on load, never to disk."""
    import pymilvus

    import rag.stores.milvus_store as milvus_store

    seen: list[dict] = []

    class FakeClient:  # the calls MilvusStore makes against a server, answered as an empty collection would
        def __init__(self, **kwargs):
            seen.append(kwargs)

        create_schema = staticmethod(pymilvus.MilvusClient.create_schema)
        prepare_index_params = staticmethod(pymilvus.MilvusClient.prepare_index_params)

        def create_collection(self, *args, **kwargs): ...
        def has_collection(self, name): return True
        def load_collection(self, name): ...
        def query(self, *args, **kwargs): return [{"count(*)": 0}]
        def close(self): ...

    monkeypatch.setattr(pymilvus, "MilvusClient", FakeClient)
    monkeypatch.setattr(milvus_store, "_clients", {})
    conf = Settings(index_dir=tmp_path / "index", vector_store="milvus", milvus_uri="http://milvus.example:19530",
                    milvus_token="reader:s3cret")
    store = new_store("milvus", DIM, conf)
    assert seen == [{"uri": "http://milvus.example:19530", "token": "reader:s3cret"}]
    info = store.describe()
    assert "s3cret" not in repr(info)
    monkeypatch.setattr(milvus_store, "_clients", {})  # a fresh process opening the version
    loaded = load_store(tmp_path, info, DIM, conf)
    assert loaded.collection == store.collection and seen[-1]["token"] == "reader:s3cret"
    load_store(tmp_path, info, DIM, conf.with_overrides(milvus_token="other:key"))
    assert seen[-1]["token"] == "other:key" and len(seen) == 3  # another credential is another connection
