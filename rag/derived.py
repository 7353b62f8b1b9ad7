"""Records derived from a document when it is (re)chunked at index time and kept beside its chunks in the
chunk table (`records(doc_id, kind, data_json)`): figures and sections. Each kind has one builder
here; indexing calls `derive` for a changed document and `carried` for an unchanged one, so every kind is
computed once per document version and read back with `StoredIndex.records(kind)`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from rag.config import Settings
from rag.errors import ModelError
from rag.facts import FigureIndex, figure_records
from rag.sections import section_records
from rag.store import load_index
from rag.types import Chunk, Document

log = logging.getLogger(__name__)

# kind -> builder(document, chunks) -> list of JSON-able dicts. Add a kind by adding a row.
BUILDERS: dict[str, Callable[[Document, Sequence[Chunk]], list[dict]]] = {
    "figures": figure_records,
    "sections": section_records,
}
# Bump when a builder's output changes: an index built with another version re-derives every document's
# records (chunks and vectors are carried over as they are).
VERSION = 9  # 2: figures with offsets, counted nouns, 分别 lists; 3: yearly averages; 4: sections read counted,
# quoted and introduced lists; 6: '下跌/跌' read as a decline, rows named as rates, yearly-average columns;
# 7: milestones as bounds, zone names not verbs, a plan review's from-year, a change's since-year, 寿命 synonyms;
# 8: 拥有 dropped from canonical measures, 数/系数/依存度 measure heads
# 9: '比…多/少N' read as a change


def versions() -> dict[str, int]:
    return {kind: VERSION for kind in BUILDERS}


# A document longer than this is indexed for retrieval but not read into records: the builders hold a
# document's records in memory at once (a 50 MB text file took the indexer from 0.7 to 1.2 GB). Government
# documents are far shorter (the longest seed or report: ~0.1 M characters).
MAX_CHARS = 2_000_000


def derive(document: Document, chunks: Sequence[Chunk]) -> dict[str, list[dict]]:
    """Every kind of record of one document (none for a document over MAX_CHARS, said in the log)."""
    if len(document.text) > MAX_CHARS:
        log.warning("%s：文本超过 %d 字，未建立数字和章节索引（检索不受影响）", document.path, MAX_CHARS)
        return {kind: [] for kind in BUILDERS}
    return {kind: build(document, chunks) for kind, build in BUILDERS.items()}


def rows(doc_id: str, derived: dict[str, list[dict]]) -> list[tuple[str, str, str]]:
    """(doc_id, kind, data_json) rows for the chunk table."""
    return [(doc_id, kind, json.dumps(r, ensure_ascii=False)) for kind, records in derived.items() for r in records]


def carried(document: Document, chunks: Sequence[Chunk], previous) -> list[tuple[str, str, str]]:
    """The rows of a document whose chunks are carried over: copied from the previous version when it
    was derived by these builders, else derived again (an index built before a builder changed)."""
    if previous is not None and previous.manifest.get("derived") == versions():
        return previous.chunks.record_rows(document.doc_id)
    return rows(document.doc_id, derive(document, chunks))


def fresh(document: Document, chunks: Sequence[Chunk]) -> list[tuple[str, str, str]]:
    return rows(document.doc_id, derive(document, chunks))


def figure_index(settings: Settings, embed: bool = True) -> FigureIndex:
    """The figure index of the live index version. Measure phrases are embedded with the product's embedder
    when it is installed (else matching is lexical and by synonym only)."""
    encode = None
    if embed:
        from rag.assets import resolve_embedder
        from rag.embedding import Embedder

        try:
            path, name = resolve_embedder(settings.embedder, settings.cache_dir)
            encode = Embedder(path, name, settings.embed_batch_size).encode_passages
        except (ModelError, OSError) as exc:
            log.info("figure index without embeddings: %s", exc)
    return FigureIndex.from_stored(load_index(settings.index_dir, settings), encode)
