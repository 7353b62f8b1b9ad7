"""The Gradio page: ask in Chinese, watch the answer stream, read the cited passages beside it.
Rendering helpers are pure functions (unit-tested); the handlers only wire the pipeline to the page."""

from __future__ import annotations

import html
import logging
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from rag.config import Settings
from rag.conversation import FollowUpRewriter, places_from_titles
from rag.errors import RagError
from rag.excerpt import renumber
from rag.facts import BROWSE_MIN_SCORE, FIGURE_COLUMNS, FigureIndex, figure_rows, rows_csv
from rag.pipeline import QAPipeline
from rag.formats import DESCRIPTION, SUFFIXES
from rag.types import Answer, Excerpt, Passage
from rag.uploads import IndexJob, save_upload

log = logging.getLogger(__name__)
EXAMPLES = [
    "高密市2020年地区生产总值是多少？",
    "平度市十四五期间重点发展哪些产业？",
    "淄博高新区到2025年研发经费投入强度目标是多少？",
    "环翠区2020年城镇居民人均可支配收入是多少？",
]
ALL_DOCS = "全部文档"
NO_SOURCES = "<p class='hint'>提问后在此显示引用的原文段落：引用的段落展开并高亮支持答案的句子，检索到但未引用的段落折叠显示。</p>"
_CITE = re.compile(r"\[(\d+)\]")
CSS = """
.source summary {cursor: pointer; font-weight: 600}
.source.cited {border-left: 3px solid #2f6fdf; padding-left: 6px; margin-bottom: 8px}
.source.uncited {opacity: .75}
.source mark {background: #ffe58a}
.source .text {white-space: pre-wrap; font-size: 0.92em}
.source .path {color: #666; font-weight: 400}
.unsupported {text-decoration: underline wavy #d33; background: #fff0f0}
.flag {color: #d33; font-size: 0.85em}
.source.flash {background: #eef4ff}
.turn-head {color: #666; font-size: 0.85em; margin: 4px 0}
.excerpt {border-left: 3px solid #8a8a8a; background: #f5f5f5; padding: 4px 8px; margin-bottom: 8px}
.excerpt .excerpt-head {color: #555; font-size: 0.85em}
.excerpt .excerpt-text {white-space: pre-wrap}
.excerpt.related {opacity: .8; margin-top: 8px}
.pending {color: #888}
"""
# [n] links open and scroll to the source of THEIR answer (ids are per turn; an earlier turn's sources are
# shown in place of the latest); Gradio would otherwise open anchors in a new tab. In the question box Enter
# asks and Shift+Enter adds a line; an Enter that confirms an IME candidate (isComposing, keyCode 229) is
# left to the IME. Gradio's own Enter handling (Shift+Enter sends in a multi-line box) is kept out.
HEAD = """<script>
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a.cite');
  if (!a) return;
  e.preventDefault(); e.stopPropagation();
  const el = document.getElementById((a.getAttribute('href') || '').slice(1));
  if (!el) return;
  const turn = el.closest('.turn');
  if (turn) document.querySelectorAll('#sources .turn, #sources .hint').forEach((t) => { t.hidden = t !== turn; });
  el.open = true; el.scrollIntoView({behavior: 'smooth', block: 'center'});
  el.classList.add('flash'); setTimeout(() => el.classList.remove('flash'), 1500);
}, true);
const inQuestion = (e) => e.key === 'Enter' && e.target.closest && e.target.closest('#question textarea');
document.addEventListener('keydown', (e) => {
  if (!inQuestion(e)) return;
  e.stopImmediatePropagation();
  if (e.isComposing || e.keyCode === 229 || e.shiftKey) return;
  e.preventDefault();
  document.getElementById('ask').click();
}, true);
document.addEventListener('keypress', (e) => { if (inQuestion(e)) e.stopImmediatePropagation(); }, true);
</script>"""


def link_citations(text: str, turn: int) -> str:
    """Every [n] becomes an anchor to source n of this turn's answer (an earlier answer keeps its own)."""
    return _CITE.sub(lambda m: f'<a class="cite" href="#source-{turn}-{m.group(1)}">[{m.group(1)}]</a>', text)


def render_excerpt(excerpt: Excerpt | None, turn: int, refused: bool = False) -> str:
    """The retrieved sentence shown before the model's answer, marked as a quotation with its source. Beside
    a refused or withheld answer it is relabelled: it was retrieved, but it does not answer the question."""
    if excerpt is None:
        return ""
    label, kind = ("检索到的相关原文（不一定回答了问题）", "excerpt related") if refused else ("原文摘录", "excerpt")
    link = link_citations(f"[{excerpt.number}]", turn) if excerpt.number else ""
    where = html.escape(f"《{excerpt.title}》 {excerpt.heading_path}".strip())
    head = " ".join(part for part in (label, link, where) if part)
    return (f'<div class="{kind}"><div class="excerpt-head">{head}</div>'
            f'<div class="excerpt-text">{html.escape(excerpt.text, quote=False)}</div></div>')


def render_stream(text: str, turn: int, excerpt: str = "") -> str:
    """The partial answer while it streams: the excerpt first, then the escaped text with live citation
    links (or a note that the model is still reading its passages)."""
    body = link_citations(html.escape(text, quote=False), turn) if text else '<span class="pending">正在生成回答……</span>'
    return f"{excerpt}\n\n{body}" if excerpt else body


def _claim_span(text: str, claim: str, start: int) -> tuple[int, int] | None:
    """Where a claim sits in the answer, even if the checker moved its [n] markers or spaces."""
    body = re.sub(r"\[\d+\]|\s", "", claim)
    if not body:
        return None
    found = re.compile(r"(?:\[\d+\]|\s)*".join(re.escape(ch) for ch in body)).search(text, start)
    return (found.start(), found.end()) if found else None


def mark_unsupported(answer: Answer) -> tuple[str, list[str]]:
    """Escaped answer text with each unsupported claim wrapped and flagged; claims that cannot be located
    are returned separately so they are still listed, never silently shown as fact."""
    parts, pos, unplaced = [], 0, []
    for claim in (c for c in answer.claims if not c.supported):
        reason = html.escape(claim.reason)
        span = _claim_span(answer.text, claim.text, pos)
        if span is None:
            unplaced.append(f"⚠ 待核实：{html.escape(claim.text, quote=False)}（{reason}）")
            continue
        quoted = html.escape(answer.text[span[0] : span[1]], quote=False)
        parts += [html.escape(answer.text[pos : span[0]], quote=False),
                  f'<span class="unsupported" title="{reason}">{quoted}</span><span class="flag">（⚠ 待核实：{reason}）</span>']
        pos = span[1]
    parts.append(html.escape(answer.text[pos:], quote=False))
    return "".join(parts), unplaced


def render_answer(answer: Answer, asked: str = "", turn: int = 1) -> str:
    """The final answer: citation links, unsupported claims marked, withheld or removed parts explained;
    `asked` is what the user typed, shown rewritten when the question was a follow-up. The excerpt stays on
    top of an answer; a refusal comes first and the excerpt follows it, relabelled."""
    text, notes = mark_unsupported(answer)
    text = link_citations(text, turn)
    if asked and asked.strip() != answer.question:
        notes.append(f"（按上下文理解为：{html.escape(answer.question)}）")
    if answer.withheld and not answer.reason:
        notes.append("（模型给出的回答中有数字在检索到的资料里找不到，无法核实，已不予显示。）")
    if answer.reason and answer.reason not in answer.text:
        notes.append(f"（说明：{html.escape(answer.reason)}）")
    if answer.sub_questions:
        notes.append("（分步回答：" + "；".join(html.escape(q) for q in answer.sub_questions) + "）")
    if answer.understanding:
        notes.append(f"（问题理解：{html.escape(answer.understanding)}）")
    if answer.invalid_citations:
        notes.append(f"（已移除无效引用：{'、'.join(f'[{n}]' for n in answer.invalid_citations)}）")
    body = text + "".join(f"\n\n<small>{n}</small>" for n in notes)
    excerpt = render_excerpt(answer.excerpt and renumber(answer.excerpt, answer.passages), turn, answer.refused)
    if not excerpt:
        return body
    return f"{body}\n\n{excerpt}" if answer.refused else f"{excerpt}\n\n{body}"


def _highlight(body: str, quote: str) -> str:
    if quote and quote in body:
        return body.replace(quote, f"<mark>{quote}</mark>", 1)
    return body


def render_sources(passages: list[Passage], answer: Answer | None, turn: int = 1) -> str:
    """Cited passages open with the supporting sentence highlighted; the rest are shown collapsed."""
    cited = {c.number: c for c in answer.citations} if answer else {}
    blocks = []
    for n, passage in enumerate(passages, start=1):
        chunk = passage.chunk
        quote = html.escape(cited[n].quote, quote=False) if n in cited else ""
        body = _highlight(html.escape(chunk.text, quote=False), quote)
        path = html.escape(chunk.heading_path) or "（无章节）"
        page = cited[n].page if n in cited else chunk.page
        path += f" · 第 {page} 页" if page else ""
        state, kind, tag = (" open", "cited", "") if n in cited else ("", "uncited", " · 检索到，未引用")
        blocks.append(
            f'<details id="source-{turn}-{n}" class="source {kind}"{state}><summary>[{n}] 《{html.escape(chunk.title)}》'
            f'<br><span class="path">{path}{tag}</span></summary><div class="text">{body}</div></details>'
        )
    return "\n".join(blocks) or NO_SOURCES


def render_panel(turns: list[dict], current: int | None) -> str:
    """Every answer's sources, each under its question; only the current turn's are visible, and a click on
    an earlier answer's [n] shows that turn's instead (see HEAD), so each [n] opens what its answer cited."""
    sections = [
        f'<div class="turn" id="turn-{t["turn"]}"{"" if t["turn"] == current else " hidden"}>'
        f'<p class="turn-head">第 {t["turn"]} 问的来源：{html.escape(t["question"])}</p>\n{t["html"]}</div>'
        for t in turns
    ]
    hint = "" if any(t["turn"] == current for t in turns) else NO_SOURCES
    return hint + "\n".join(sections) if sections else NO_SOURCES


def answer_data(answer: Answer) -> dict:
    """The JSON the `ask` API returns."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "refused": answer.refused,
        "citations": [c.__dict__ for c in answer.citations],
        "unsupported_claims": [{"text": c.text, "reason": c.reason} for c in answer.claims if not c.supported],
        "invalid_citations": answer.invalid_citations,
        "understanding": answer.understanding,
        "reason": answer.reason,
        "calculation": answer.calculation,
        "sub_questions": answer.sub_questions,
        "timings": answer.timings,
        "excerpt": answer.excerpt.__dict__ if answer.excerpt else None,
    }


def passage_data(passages: list[Passage]) -> list[dict]:
    return [
        {"rank": n, "chunk_id": p.chunk.chunk_id, "doc_id": p.chunk.doc_id, "title": p.chunk.title,
         "heading_path": p.chunk.heading_path, "page": p.chunk.page, "text": p.chunk.text, "score": p.score}
        for n, p in enumerate(passages, start=1)
    ]


class Page:
    """Handlers of the page and the API; holds the pipeline, the index job and the follow-up rewriter."""

    def __init__(self, pipeline: QAPipeline, job: IndexJob):
        self.pipeline = pipeline
        self.job = job
        self._rewriter: FollowUpRewriter | None = None
        self._rewriter_docs: int = -1

    def documents(self) -> list[tuple[str, str]]:
        if not self.job.ready:
            return []
        docs = self.pipeline.retriever.stored.documents.values()
        return sorted(((d.title, d.doc_id) for d in docs), key=lambda t: t[1])

    def rewriter(self) -> FollowUpRewriter:
        """Built from the loaded documents' titles; rebuilt when a document is added."""
        docs = self.documents()
        if self._rewriter is None or len(docs) != self._rewriter_docs:
            self._rewriter = FollowUpRewriter(places_from_titles(title for title, _ in docs))
            self._rewriter_docs = len(docs)
        return self._rewriter

    def not_ready(self) -> str | None:
        return None if self.job.ready else f"索引尚未就绪，请稍候再提问。{self.job.status()}"

    def chat(self, question: str, history: list, asked: list[str], doc_id: str, turns: list[dict] | None = None) -> Iterator[tuple]:
        """Stream one turn: (chat, sources panel, box, asked, plain answer, every answered turn's sources)."""
        history = list(history or []) + [{"role": "user", "content": question or ""}, {"role": "assistant", "content": ""}]
        asked, turns = list(asked or []), list(turns or [])
        turn = sum(m["role"] == "assistant" for m in history)
        try:
            if (message := self.not_ready()) is not None:
                raise RagError(message)
            standalone = self.rewriter().rewrite(question or "", asked)
            passages: list[Passage] = []
            excerpt, raw = "", ""
            for event in self.pipeline.stream(standalone, doc_ids=[doc_id] if doc_id else None):
                if event.kind == "passages":
                    passages = event.passages or []
                elif event.kind == "excerpt":
                    excerpt = render_excerpt(event.excerpt, turn)
                elif event.kind == "token":
                    raw += event.text
                if event.answer is None:
                    history[-1]["content"] = render_stream(raw, turn, excerpt)
                    shown = turns + [{"turn": turn, "question": standalone, "html": render_sources(passages, None, turn)}]
                    yield history, render_panel(shown, turn), "", asked, "", turns
                    continue
                answer = event.answer
                history[-1]["content"] = render_answer(answer, question, turn)
                turns.append({"turn": turn, "question": standalone, "html": render_sources(answer.passages, answer, turn)})
                yield history, render_panel(turns, turn), "", asked + [standalone], answer.text, turns
        except RagError as exc:
            history[-1]["content"] = f"⚠ {html.escape(str(exc))}"
            yield history, render_panel(turns, None), question, asked, "", turns
        except Exception:  # the page must never show a stack trace
            log.exception("answering failed")
            history[-1]["content"] = "⚠ 系统内部错误，请稍后重试。"
            yield history, render_panel(turns, None), question, asked, "", turns

    def api_ask(self, question: str, doc_id: str = "") -> dict:
        """Single-turn question -> answer text, citations, unsupported claims (or {"error": ...})."""
        try:
            if (message := self.not_ready()) is not None:
                raise RagError(message)
            return answer_data(self.pipeline.ask(question, doc_ids=[doc_id] if doc_id else None))
        except RagError as exc:
            return {"error": str(exc)}

    def api_retrieve(self, question: str, doc_id: str = "") -> dict:
        """Question -> the ranked passages the answer would be built from (or {"error": ...})."""
        try:
            if (message := self.not_ready()) is not None:
                raise RagError(message)
            return {"passages": passage_data(self.pipeline.retrieve(question, doc_ids=[doc_id] if doc_id else None))}
        except RagError as exc:
            return {"error": str(exc)}

    def upload(self, file: str | None) -> str:
        if not file:
            return f"请先选择一个文件（{DESCRIPTION}）。"
        try:
            settings = self.pipeline.settings
            saved = save_upload(Path(file), Path(file).name, settings.corpus_dir, settings.max_file_mb, settings)
        except RagError as exc:
            return f"⚠ 上传失败：{exc}"
        if not self.job.start(f"添加文档 {saved.name} "):
            return f"已保存 {saved.name}；另一次索引正在进行，完成后请再上传一次以加入索引。"
        return f"已保存 {saved.name}，正在加入索引（问答照常可用）。"

    def poll(self) -> tuple:
        """Status line, document choices and whether to keep polling."""
        choices = [(ALL_DOCS, "")] + self.documents()
        return self.job.status(), gr.update(choices=choices), gr.Timer(active=self.job.running)


class FiguresView:
    """The 指标 tab: every figure the documents state for a measure (place × year × role) with its citation,
    read from the figure index built at index time; one FigureIndex per index version."""

    def __init__(self, pipeline: QAPipeline, job: IndexJob):
        self.pipeline, self.job = pipeline, job
        self._index: tuple[object, FigureIndex] | None = None

    def index(self) -> FigureIndex:
        stored = self.pipeline.retriever.stored
        if self._index is None or self._index[0] is not stored:
            embed = lambda texts: self.pipeline.embedder.encode_passages(list(texts))  # noqa: E731
            self._index = (stored, FigureIndex.from_stored(stored, embed))
        return self._index[1]

    def lookup(self, measure: str) -> tuple[list[list], str | None, str]:
        """(table rows, CSV file to download, message)."""
        measure = (measure or "").strip()
        if not measure:
            return [], None, "请输入指标名，例如：城镇化率、研发经费投入。"
        if not self.job.ready:
            return [], None, f"索引尚未就绪，请稍候。{self.job.status()}"
        try:
            index = self.index()
            rows = figure_rows(index.search(measure, k=0, min_score=BROWSE_MIN_SCORE))
        except RagError as exc:
            return [], None, f"⚠ {exc}"
        if not rows:
            near = "、".join(m for m, _, _ in index.measures(measure, k=5))
            return [], None, f"文档中没有“{html.escape(measure)}”的数据。" + (f"相近的指标：{html.escape(near)}" if near else "")
        name = re.sub(r"[^\w]+", "_", measure)
        path = Path(tempfile.mkdtemp(prefix="rag-facts-")) / f"指标-{name}.csv"
        path.write_text(rows_csv(rows), encoding="utf-8-sig")
        return [list(r.values()) for r in rows], str(path), f"共 {len(rows)} 条（点击表头排序）。"


def figures_tab(view: FiguresView) -> None:
    """A tab with a measure box, a sortable table of its figures and a CSV download."""
    with gr.Tab("指标", elem_id="figures-tab"):
        gr.Markdown("### 指标查询\n输入指标名，列出各地区、各年份的数值（实际、目标、基期、增速等）及出处。")
        with gr.Row():
            measure = gr.Textbox(label="指标", placeholder="例如：城镇化率、研发经费投入、地区生产总值", scale=4, elem_id="figures-measure")
            find = gr.Button("查询", variant="primary", scale=1, elem_id="figures-find")
        note = gr.Markdown(elem_id="figures-note")
        table = gr.Dataframe(headers=list(FIGURE_COLUMNS), interactive=False, wrap=True, elem_id="figures-table")
        download = gr.File(label="下载 CSV", elem_id="figures-csv")
        for trigger in (find.click, measure.submit):
            trigger(view.lookup, measure, [table, download, note], api_visibility="private")


def build_app(pipeline: QAPipeline, job: IndexJob) -> gr.Blocks:
    page = Page(pipeline, job)
    with gr.Blocks(title="政策问答") as app:
        gr.Markdown("## 政策问答 · 规划文件离线问答\n答案只来自已索引的规划文件；每个 [n] 可点击，右侧显示对应原文。")
        status = gr.Markdown(job.status(), elem_id="index-status")
        timer = gr.Timer(1.0, active=True)
        asked = gr.State([])
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="问答", height=460, buttons=["copy", "copy_all"], elem_id="chat")
                box = gr.Textbox(label="问题", placeholder="例如：高密市2025年GDP目标是多少？追问可直接说“那平度呢？”（Enter 提问，Shift+Enter 换行）", lines=2, elem_id="question")
                with gr.Row():
                    send = gr.Button("提问", variant="primary", elem_id="ask")
                    clear = gr.Button("新对话", elem_id="clear")
                    copy = gr.Button("复制答案", elem_id="copy")
                doc = gr.Dropdown([(ALL_DOCS, "")] + page.documents(), value="", label="检索范围", elem_id="doc-filter")
                gr.Examples(EXAMPLES, inputs=box, label="示例问题")
                with gr.Accordion(f"添加文档（{DESCRIPTION.replace('、', ' / ')}）", open=False):
                    file = gr.File(label=f"不超过 {pipeline.settings.max_file_mb:g} MB", file_types=list(SUFFIXES))
                    upload_msg = gr.Markdown()
            with gr.Column(scale=2):
                gr.Markdown("### 来源")
                sources = gr.HTML(NO_SOURCES, elem_id="sources")
        figures_tab(FiguresView(pipeline, job))
        plain = gr.Textbox(visible=False)
        outputs = [chat, sources, box, asked, plain, turns]
        for trigger in (send.click, box.submit):
            trigger(page.chat, [box, chat, asked, doc, turns], outputs, concurrency_id="llm", concurrency_limit=1, api_visibility="private")
        clear.click(lambda: ([], NO_SOURCES, "", [], "", []), None, outputs, queue=False, api_visibility="private")
        copy.click(None, [plain], None, js="(t) => { if (t) navigator.clipboard.writeText(t); }")
        file.upload(page.upload, file, upload_msg, api_visibility="private").then(
            lambda: gr.Timer(active=True), None, timer, queue=False)
        timer.tick(page.poll, None, [status, doc, timer], queue=False, api_visibility="private")
        gr.api(page.api_ask, api_name="ask", concurrency_id="llm", concurrency_limit=1)
        gr.api(page.api_retrieve, api_name="retrieve", concurrency_limit=2)
    return app


def warm_up(pipeline: QAPipeline, job: IndexJob) -> None:
    """Once the index is loaded (or built), load the LLM and evaluate the fixed system prompt, so the first
    question does not pay for either; one after the other, as both compete for the same two cores."""
    while job.running:
        time.sleep(0.2)
    started = time.monotonic()
    try:
        pipeline.load_models()
    except RagError as exc:  # the first question reports it again, in the page
        print(f"模型加载失败：{exc}", flush=True)
        return
    except Exception:
        log.exception("loading the models failed")
        return
    print(f"模型已加载，系统提示已预先计算（{time.monotonic() - started:.1f} 秒）", flush=True)


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """The page starts at once; the index is loaded (or built on first run) and then the models are loaded,
    in the background."""
    pipeline = QAPipeline(settings)
    job = IndexJob(pipeline)
    job.start("加载索引", first=True)
    threading.Thread(target=warm_up, args=(pipeline, job), daemon=True, name="warm-up").start()
    app = build_app(pipeline, job)
    print(f"政策问答页面：http://{host}:{port}", flush=True)
    app.queue(default_concurrency_limit=1).launch(server_name=host, server_port=port, css=CSS, head=HEAD, footer_links=["api"])
