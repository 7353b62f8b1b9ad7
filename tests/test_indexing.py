import json
import shutil

import pytest

import rag.store as store
from rag.errors import IndexStateError, InputError
from rag.indexing import build_index
from rag.retrieval import Retriever
from rag.store import current_version, load_index
from tests.conftest import SEEDS

GAOMI = "000_c07c619b55a4981f.txt"
PINGDU = "001_a38547990da41cd7.txt"


@pytest.fixture(params=["faiss", "milvus"])
def corpus(tmp_settings, request):
    """Every indexing test runs on both vector stores: the store is behind one interface (rag.stores)."""
    for name in (GAOMI, PINGDU):
        shutil.copy(SEEDS / name, tmp_settings.corpus_dir / name)
    return tmp_settings.with_overrides(vector_store=request.param)


def _store_file(version):
    """The largest data file of a version (vectors.faiss, or the chunk table when the vectors live in Milvus)."""
    files = [f for f in version.rglob("*") if f.is_file() and f.suffix in {".faiss", ".sqlite"}]
    assert files, f"no vector store file in {version}"
    return max(files, key=lambda f: f.stat().st_size)


def test_first_build_then_unchanged_does_nothing(corpus, hash_embedder):
    first = build_index(corpus, hash_embedder)
    assert first.written and sorted(first.added) == [GAOMI, PINGDU]
    version = current_version(corpus.index_dir)
    calls = hash_embedder.calls
    again = build_index(corpus, hash_embedder)
    assert not again.written and sorted(again.unchanged) == [GAOMI, PINGDU]
    assert hash_embedder.calls == calls  # nothing re-embedded
    assert current_version(corpus.index_dir) == version


def test_changed_file_is_reembedded_alone_and_deleted_file_removed(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    before = load_index(corpus.index_dir)
    pingdu_chunks = [c for c in before.chunks if c.doc_id.startswith("001")]
    with (corpus.corpus_dir / GAOMI).open("a", encoding="utf-8") as fh:
        fh.write("\n第十二章 新增章节\n新增内容:到2025年建成示范区。\n")
    calls = hash_embedder.calls
    report = build_index(corpus, hash_embedder)
    assert report.updated == [GAOMI] and report.unchanged == [PINGDU]
    after = load_index(corpus.index_dir)
    gaomi_count = sum(c.doc_id.startswith("000") for c in after.chunks)
    assert hash_embedder.calls - calls == gaomi_count  # only the changed file was embedded
    assert [c.chunk_id for c in after.chunks if c.doc_id.startswith("001")] == [c.chunk_id for c in pingdu_chunks]
    assert any("新增内容" in c.text for c in after.chunks)
    # vectors of the unchanged document are carried over exactly, row for row
    old_rows = [i for i, c in enumerate(before.chunks) if c.doc_id.startswith("001")]
    new_rows = [i for i, c in enumerate(after.chunks) if c.doc_id.startswith("001")]
    assert (before.vector_matrix()[old_rows] == after.vector_matrix()[new_rows]).all()
    new_chunk = next(c for c in after.chunks if "新增内容" in c.text)
    retr = Retriever(after, hash_embedder, corpus)
    assert after.chunks[retr.dense(new_chunk.embedding_text(), 1)[0]] == new_chunk
    (corpus.corpus_dir / GAOMI).unlink()
    report = build_index(corpus, hash_embedder)
    assert report.removed == [GAOMI]
    assert {c.doc_id for c in load_index(corpus.index_dir).chunks} == {"001_a38547990da41cd7"}


def test_duplicate_and_bad_files_are_skipped_not_fatal(corpus, hash_embedder):
    shutil.copy(SEEDS / PINGDU, corpus.corpus_dir / "copy_of_pingdu.txt")
    (corpus.corpus_dir / "empty.txt").write_bytes(b"")
    report = build_index(corpus, hash_embedder)
    skipped = dict(report.skipped)
    assert "相同" in skipped["copy_of_pingdu.txt"] and "空" in skipped["empty.txt"]
    assert len(report.added) == 2


def test_interrupted_write_leaves_previous_index_usable(corpus, hash_embedder, monkeypatch):
    build_index(corpus, hash_embedder)
    good = current_version(corpus.index_dir)
    n_chunks = len(load_index(corpus.index_dir).chunks)
    (corpus.corpus_dir / GAOMI).write_text("第一章 改动\n内容已改变。\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "write_table", crash)
    with pytest.raises(OSError):
        build_index(corpus, hash_embedder)
    assert current_version(corpus.index_dir) == good
    assert len(load_index(corpus.index_dir).chunks) == n_chunks
    monkeypatch.undo()
    assert build_index(corpus, hash_embedder).written
    assert not list(corpus.index_dir.glob("*.partial")), "leftovers of the crashed run are cleaned up"


def test_missing_corrupt_and_mismatched_index_are_clear_errors(corpus, hash_embedder):
    with pytest.raises(IndexStateError, match="rag index"):
        load_index(corpus.index_dir)
    build_index(corpus, hash_embedder)
    version = current_version(corpus.index_dir)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["embedder"]["name"] = "another-model"
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStateError, match="rebuild"):
        Retriever(load_index(corpus.index_dir), hash_embedder, corpus)
    (version / "table.sqlite").write_bytes(b"SQLite format 3\x00 broken")
    with pytest.raises(IndexStateError, match="损坏"):
        load_index(corpus.index_dir)
    _store_file(version).write_bytes(b"not a vector store")
    with pytest.raises(IndexStateError):
        load_index(corpus.index_dir)


def test_embedder_change_triggers_full_reembed(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    hash_embedder.name = "hash-bigram-64-v2"
    report = build_index(corpus, hash_embedder)
    assert report.written and sorted(report.added) == [GAOMI, PINGDU]
    assert load_index(corpus.index_dir).manifest["embedder"]["name"] == "hash-bigram-64-v2"


def test_doc_filter_restricts_results(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    retr = Retriever(load_index(corpus.index_dir), hash_embedder, corpus)
    hits = retr.search("地区生产总值", k=5, doc_ids=["001_a38547990da41cd7"])
    assert hits and all(p.chunk.doc_id == "001_a38547990da41cd7" for p in hits)


def test_embedder_is_loaded_only_when_a_file_must_be_embedded(corpus, hash_embedder):
    from rag.embedding import LazyEmbedder

    loads = []

    def load():
        loads.append(1)
        return hash_embedder

    build_index(corpus, LazyEmbedder(hash_embedder.name, load))
    assert loads == [1]
    version = current_version(corpus.index_dir)
    again = build_index(corpus, LazyEmbedder(hash_embedder.name, load))  # unchanged corpus: no model
    assert loads == [1] and not again.written and sorted(again.unchanged) == [GAOMI, PINGDU]
    assert again.chunks == len(load_index(corpus.index_dir).chunks) and current_version(corpus.index_dir) == version
    (corpus.corpus_dir / PINGDU).unlink()  # a deletion rewrites the index, still without the model
    report = build_index(corpus, LazyEmbedder(hash_embedder.name, load))
    assert loads == [1] and report.written and report.removed == [PINGDU]
    with (corpus.corpus_dir / GAOMI).open("a", encoding="utf-8") as fh:
        fh.write("\n新增一句。\n")
    build_index(corpus, LazyEmbedder(hash_embedder.name, load))
    assert loads == [1, 1]


def test_all_files_skipped_is_an_error_not_an_empty_index(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    good = current_version(corpus.index_dir)
    for name in (GAOMI, PINGDU):
        (corpus.corpus_dir / name).write_bytes(b"")
    with pytest.raises(InputError, match="所有文件都被跳过"):
        build_index(corpus, hash_embedder)
    assert current_version(corpus.index_dir) == good  # the last good index stays
    for name in (GAOMI, PINGDU):
        (corpus.corpus_dir / name).unlink()
    with pytest.raises(InputError, match="没有可索引"):
        build_index(corpus, hash_embedder)


def test_manifest_records_the_store_and_a_store_change_rewrites_without_reembedding(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    first = load_index(corpus.index_dir)
    assert first.manifest["vector_store"]["kind"] == corpus.vector_store == first.vectors.kind
    assert "table.sqlite" in first.manifest["checksums"]
    other = corpus.with_overrides(vector_store="milvus" if corpus.vector_store == "faiss" else "faiss")
    calls = hash_embedder.calls
    report = build_index(other, hash_embedder)
    assert report.written and hash_embedder.calls == calls  # vectors carried over, nothing re-embedded
    second = load_index(corpus.index_dir)
    assert second.vectors.kind == other.vector_store
    assert (second.vector_matrix() == first.vector_matrix()).all()


def test_store_file_edited_by_hand_is_detected(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    target = _store_file(current_version(corpus.index_dir))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IndexStateError, match="损坏"):
        load_index(corpus.index_dir)


def test_chunks_naming_words_are_read_from_the_asked_documents_only(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    stored = load_index(corpus.index_dir)
    gaomi = [d for d, doc in stored.documents.items() if "高密" in doc.title]
    found = stored.naming(gaomi, ["地区生产总值", "GDP"])
    assert found and all(p.chunk.doc_id in gaomi for p in found)
    assert all("地区生产总值" in p.chunk.text.replace(" ", "") or "GDP" in p.chunk.text for p in found)
    assert len(found) >= 2 and len(stored.naming(gaomi, ["地区生产总值", "GDP"], limit=1)) == 1
    assert stored.naming(gaomi, ["这串文字不在任何文档里"]) == [] and stored.naming([], ["地区生产总值"]) == []


def test_an_index_cut_by_another_chunker_is_rebuilt_on_first_use(corpus, hash_embedder):
    """An index a former version read or cut otherwise is not used as it is: its chunks (titles, splits)
    are not what the answers of this version would cite."""
    from rag.pipeline import QAPipeline

    build_index(corpus, hash_embedder)
    version = current_version(corpus.index_dir)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["chunker"].pop("version")  # as a version before chunker versions wrote it
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    pipe = QAPipeline(corpus, embedder=hash_embedder)
    report = pipe.ensure_index()
    assert report is not None and sorted(report.added) == [GAOMI, PINGDU]
    assert current_version(corpus.index_dir) != version and pipe.ensure_index() is None


def test_an_index_whose_records_other_builders_derived_is_re_derived_on_first_use(corpus, hash_embedder):
    """Records derived by a former figure or section reader are re-derived on first use, the vectors kept."""
    from rag.pipeline import QAPipeline

    build_index(corpus, hash_embedder)
    version = current_version(corpus.index_dir)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["derived"] = {kind: number - 1 for kind, number in manifest["derived"].items()}
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    calls = hash_embedder.calls
    report = QAPipeline(corpus, embedder=hash_embedder).ensure_index()
    assert report is not None and report.written and hash_embedder.calls == calls  # nothing re-embedded
    assert load_index(corpus.index_dir).manifest["derived"] != manifest["derived"]
