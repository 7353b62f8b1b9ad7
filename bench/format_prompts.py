"""Which questions see the same model input over every format of a corpus (docs/formats.md): each question is
run through the full pipeline over each format's index with the real embedder and the real model's tokenizer
(for the prompt budget), but the model's reply is replayed from a reference eval report instead of generated,
and every prompt sent to the model is recorded. With greedy decoding, a question whose prompts are identical
in every format gets the same reply in every format, so this extends an LLM run made on a subset to the
whole batch at the cost of retrieval alone.

    python -m bench.format_prompts txt=/tmp/fmt2/index-txt pdf=/tmp/fmt2/index-pdf docx=/tmp/fmt2/index-docx \
        --replay /tmp/fmt2/report-txt/report.json [--batch original] [--subset N] [--out /tmp/fmt2/prompts.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.config import load_settings
from rag.evaluation import DEFAULT_SET, load_set, select_batch, stratified_subset
from rag.llm import load_generator
from rag.pipeline import QAPipeline


class ReplayModel:
    """Records every prompt and answers with a fixed reply; counts tokens with the real model."""

    def __init__(self, real):
        self.real, self.reply, self.prompts = real, "", []

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def stream(self, messages, max_tokens, temperature):
        self.prompts.append([m["content"] for m in messages])
        yield self.reply


def record(index: Path, items, replies: dict[str, str], model: ReplayModel, embedder=None) -> tuple[dict, object]:
    """question id -> {"prompts": [...], "passages": [chunk texts of the final answer's passages]}."""
    pipeline = QAPipeline(load_settings().with_overrides(index_dir=index), embedder=embedder, generator=model)
    out = {}
    for item in items:
        model.prompts, model.reply = [], replies.get(item.id, "")
        answer = pipeline.ask(item.question)
        out[item.id] = {"prompts": model.prompts, "passages": [p.chunk.text for p in answer.passages]}
    return out, pipeline.embedder


def compare(runs: dict[str, dict]) -> dict[str, list[str]]:
    """Per question id, the formats whose prompts (or passages) differ from the first format's."""
    names = list(runs)
    ref = runs[names[0]]
    return {q: [n for n in names[1:] if runs[n][q]["prompts"] != ref[q]["prompts"]] for q in ref}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("indexes", nargs="+", help="name=INDEX_DIR; the first is the reference")
    parser.add_argument("--replay", type=Path, required=True, help="report.json whose answers are replayed")
    parser.add_argument("--batch", default="original")
    parser.add_argument("--subset", type=int, help="a stratified subset of N questions, as `rag eval --subset`")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    items = stratified_subset(select_batch(load_set(DEFAULT_SET), args.batch), args.subset)
    replies = {r["id"]: r.get("answer", "") for r in json.loads(args.replay.read_text(encoding="utf-8"))["questions"]}
    model, embedder, runs = ReplayModel(load_generator(load_settings())), None, {}
    for name, path in (v.split("=", 1) for v in args.indexes):
        runs[name], embedder = record(Path(path), items, replies, model, embedder)
    diff = compare(runs)
    names = list(runs)
    for name in names[1:]:
        same = [q for q, d in diff.items() if name not in d]
        print(f"{name} vs {names[0]}: identical prompts for {len(same)} of {len(diff)} questions; "
              f"differ: {' '.join(q for q, d in diff.items() if name in d) or '-'}")
    if args.out:
        args.out.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
