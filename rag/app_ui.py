"""The Gradio page: ask in Chinese, watch the answer stream, read the cited passages beside it."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator

import gradio as gr

from rag.config import Settings
from rag.errors import RagError
from rag.pipeline import QAPipeline
from rag.types import Answer, Passage

log = logging.getLogger(__name__)
EXAMPLES = ["高密市2020年地区生产总值是多少？", "平度市十四五期间重点发展哪些产业？", "淄博高新区到2025年研发经费投入强度目标是多少？"]


def render_sources(passages: list[Passage], answer: Answer | None) -> str:
    """Cited passages open with the supporting sentence highlighted; the rest are shown collapsed."""
    cited = {c.number: c for c in answer.citations} if answer else {}
    blocks = []
    for n, passage in enumerate(passages, start=1):
        chunk = passage.chunk
        body = html.escape(chunk.text)
        if n in cited and cited[n].quote:
            quote = html.escape(cited[n].quote)
            body = body.replace(quote, f"<mark>{quote}</mark>", 1)
        head = f"[{n}] 《{html.escape(chunk.title)}》 {html.escape(chunk.heading_path)}"
        state = " open" if n in cited else ""
        tag = "" if n in cited else "（检索到，未引用）"
        blocks.append(
            f'<details id="source-{n}" class="source"{state}><summary>{head}{tag}</summary>'
            f'<div style="white-space:pre-wrap">{body}</div></details>'
        )
    return "\n".join(blocks) or "<p>暂无来源。</p>"


def render_answer(answer: Answer) -> str:
    text = answer.text
    for claim in answer.claims:
        if not claim.supported:
            text = text.replace(claim.text, f"{claim.text}（⚠ 待核实：{claim.reason}）", 1)
    if answer.invalid_citations:
        text += f"\n\n（已移除无效引用：{'、'.join(str(n) for n in answer.invalid_citations)}）"
    return text


def build_app(pipeline: QAPipeline) -> gr.Blocks:
    def respond(question: str, history: list[dict]) -> Iterator[tuple[list[dict], str, str]]:
        history = list(history or [])
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": ""})
        try:
            passages: list[Passage] = []
            for event in pipeline.stream(question):
                if event.kind == "passages":
                    passages = event.passages or []
                    yield history, render_sources(passages, None), ""
                elif event.kind == "token":
                    history[-1]["content"] += event.text
                    yield history, render_sources(passages, None), ""
                elif event.answer is not None:
                    history[-1]["content"] = render_answer(event.answer)
                    yield history, render_sources(event.answer.passages, event.answer), ""
        except RagError as exc:
            history[-1]["content"] = f"⚠ {exc}"
            yield history, "", question
        except Exception:  # the page must never show a stack trace
            log.exception("answering failed")
            history[-1]["content"] = "⚠ 系统内部错误，请稍后重试。"
            yield history, "", question

    with gr.Blocks(title="政策问答") as app:
        gr.Markdown("## 政策问答 · 规划文件离线问答\n答案只来自已索引的规划文件，每句话标注来源编号。")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="问答", height=480)
                box = gr.Textbox(label="问题", placeholder="例如：高密市2025年GDP目标是多少？", lines=2)
                with gr.Row():
                    send = gr.Button("提问", variant="primary")
                    clear = gr.Button("新对话")
                gr.Examples(EXAMPLES, inputs=box, label="示例问题")
            with gr.Column(scale=2):
                gr.Markdown("### 来源")
                sources = gr.HTML("<p>提问后在此显示引用的原文段落。</p>")
        for trigger in (send.click, box.submit):
            trigger(respond, [box, chat], [chat, sources, box])
        clear.click(lambda: ([], "<p>提问后在此显示引用的原文段落。</p>", ""), None, [chat, sources, box])
    return app


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    pipeline = QAPipeline(settings)
    report = pipeline.ensure_index()
    if report is not None:
        print(f"首次使用：已建立索引（{report.chunks} 个片段，{report.seconds:.1f} 秒）")
    app = build_app(pipeline)
    app.queue(default_concurrency_limit=1).launch(server_name=host, server_port=port)
