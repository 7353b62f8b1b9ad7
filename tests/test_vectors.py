"""The vector stores behind rag.vectors: same answers from FAISS (flat and HNSW) and Qdrant, exact
carry-over of vectors, persistence, and FAISS choosing its index type by corpus size."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import Settings
from rag.errors import RagError
from rag.vectors import EXACT_SUBSET, FaissStore, QdrantStore, build_store, load_store, new_store

DIM = 32


def _unit(rows: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((rows, DIM)).astype("float32")
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _brute(matrix: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(queries @ matrix.T), axis=1, kind="stable")[:, :k]


@pytest.fixture(params=["faiss", "qdrant"])
def kind(request) -> str:
    return request.param


def test_search_matches_brute_force_and_respects_the_filter(kind):
    data, queries = _unit(500), _unit(5, seed=1)
    store = build_store(data, DIM, Settings(vector_store=kind))
    assert store.kind == kind and store.ntotal == 500
    scores, ids = store.search(queries, 10)
    assert (ids == _brute(data, queries, 10)).all()
    assert scores[:, 0] == pytest.approx((queries * data[ids[:, 0]]).sum(axis=1), abs=1e-5)
    allowed = np.arange(100, 140)
    _, ids = store.search(queries, 50, allowed_ids=allowed)
    assert set(ids[0][ids[0] >= 0].tolist()) == set(allowed.tolist()) and (ids[0][40:] == -1).all()
    assert (ids[:, :5] == 100 + _brute(data[100:140], queries, 5)).all()


def test_add_continues_the_ids_and_reconstruct_is_exact(kind):
    data = _unit(300)
    store = new_store(kind, DIM, Settings())
    store.add(np.arange(200), data[:200])
    store.add(np.arange(200, 300), data[200:])
    assert store.ntotal == 300
    assert (store.reconstruct() == data).all()  # bit for bit: unchanged documents are carried over exactly
    with pytest.raises(ValueError):
        store.add(np.arange(5), data[:5])  # ids must continue the chunk rows


def test_save_and_load_round_trip(kind, tmp_path):
    data = _unit(200)
    store = build_store(data, DIM, Settings(vector_store=kind))
    store.save(tmp_path)
    loaded = load_store(tmp_path, store.describe(), DIM)
    assert loaded.kind == kind and loaded.ntotal == 200 and (loaded.reconstruct() == data).all()
    assert (loaded.search(data[:3], 1)[1][:, 0] == [0, 1, 2]).all()


def test_qdrant_folder_opened_twice_in_one_process(tmp_path):
    """Local Qdrant locks its folder: a second reader (the app while `rag index` reads the same version)
    gets a private copy instead of an error."""
    data = _unit(50)
    build_store(data, DIM, Settings(vector_store="qdrant")).save(tmp_path)
    first = QdrantStore.load(tmp_path, DIM)
    second = QdrantStore.load(tmp_path, DIM)
    assert (first.reconstruct() == second.reconstruct()).all()
    assert second.ntotal == 50 and (second.search(data[:1], 1)[1] == [[0]]).all()


def test_faiss_type_follows_the_size_threshold():
    settings = Settings(hnsw_threshold=1000)
    assert build_store(_unit(999), DIM, settings).describe()["type"] == "flat"
    hnsw = build_store(_unit(1000), DIM, settings)
    assert hnsw.describe() == {"kind": "faiss", "type": "hnsw", "m": settings.hnsw_m, "ef_search": settings.hnsw_ef_search}


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
    assert (ids == small[_brute(data[small], queries, 10)]).all()
    hnsw.save(tmp_path)
    assert load_store(tmp_path, {"kind": "faiss"}, DIM).describe()["type"] == "hnsw"


def test_hnsw_filter_over_a_large_allowed_set_uses_the_graph(monkeypatch):
    import rag.vectors as vectors

    monkeypatch.setattr(vectors, "EXACT_SUBSET", 10)
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
