from rag.indexing import build_index
from rag.pipeline import QAPipeline
from tests.conftest import SEEDS


def test_unchanged_corpus_is_reported_without_loading_the_embedder(tmp_settings, hash_embedder, tmp_path):
    """`rag index` on an unchanged corpus must not pay the embedder load; a change still needs it."""
    folder = tmp_path / "models" / hash_embedder.name  # an embedder folder by path: its name is the folder name
    folder.mkdir(parents=True)  # empty, so loading it would fail loudly
    settings = tmp_settings.with_overrides(embedder=str(folder))
    (settings.corpus_dir / "a.txt").write_bytes((SEEDS / "001_a38547990da41cd7.txt").read_bytes())
    build_index(settings, hash_embedder)
    pipe = QAPipeline(settings)
    report = pipe.index()
    assert report.unchanged == ["a.txt"] and not report.written
    assert pipe._embedder is None
    (settings.corpus_dir / "b.txt").write_text("第一章 总则\n到2025年建成示范区。\n", encoding="utf-8")
    loaded = QAPipeline(settings, embedder=hash_embedder)
    assert loaded.index().added == ["b.txt"]


def test_a_version_written_elsewhere_is_picked_up_without_restart(tmp_settings, hash_embedder):
    """The app's pipeline notices a new CURRENT (another process's `rag index`) on its next question."""
    (tmp_settings.corpus_dir / "a.txt").write_bytes((SEEDS / "001_a38547990da41cd7.txt").read_bytes())
    build_index(tmp_settings, hash_embedder)
    pipe = QAPipeline(tmp_settings, embedder=hash_embedder)
    first = pipe.retriever
    assert pipe.retriever is first  # same version: nothing reloaded
    (tmp_settings.corpus_dir / "b.txt").write_text("第一章 总则\n到2025年建成滨海示范区。\n", encoding="utf-8")
    build_index(tmp_settings, hash_embedder)  # not through this pipeline
    assert pipe.retriever is not first and "b" in pipe.retriever.stored.documents
    hits = pipe.retrieve("滨海示范区", doc_ids=["b"])
    assert hits and hits[0].chunk.doc_id == "b"
