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



class _Generator:
    """Logs when generation starts, so the test sees the excerpt was out before the model was even called."""

    name = "scripted"

    def __init__(self, log):
        self.log = log

    def stream(self, messages, max_tokens, temperature):
        self.log.append("generate")
        yield from ("全市地区生产总值达510.3亿元", "[1]。")


def _pipeline(settings, embedder, log) -> QAPipeline:
    text = "高密市国民经济和社会发展规划\n第一章 发展基础\n综合实力稳步提升。2020年全市地区生产总值跨上新台阶，达510.3亿元。\n"
    (settings.corpus_dir / "gaomi.txt").write_text(text, encoding="utf-8")
    build_index(settings, embedder)
    return QAPipeline(settings, embedder=embedder, generator=_Generator(log))


def test_the_excerpt_is_emitted_before_the_model_is_called(tmp_settings, hash_embedder, monkeypatch):
    log: list[str] = []
    events = []
    pipe = _pipeline(tmp_settings, hash_embedder, log)
    monkeypatch.setattr(pipe.evidence.figures, "search", lambda *a, **k: [])  # the model's path, not the index's
    for event in pipe.stream("高密市2020年地区生产总值是多少？"):
        log.append(event.kind)
        events.append(event)
    assert log[:3] == ["passages", "excerpt", "generate"] and log[3] == "token" and log[-1] == "answer"
    excerpt = events[1].excerpt
    assert excerpt is not None and excerpt.number == 1 and "510.3" in excerpt.text and "高密市" in excerpt.title
    answer = events[-1].answer
    assert answer.excerpt == excerpt and "excerpt" in answer.timings


def test_no_passages_still_emits_an_empty_excerpt_then_the_refusal(tmp_settings, hash_embedder):
    log: list[str] = []
    events = list(_pipeline(tmp_settings, hash_embedder, log).stream("高密市2020年地区生产总值是多少？", doc_ids=["none"]))
    assert [e.kind for e in events] == ["passages", "excerpt", "answer"] and events[1].excerpt is None
    assert events[-1].answer.refused and "generate" not in log


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
