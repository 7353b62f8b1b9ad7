"""Records derived from a document when it is (re)chunked at index time and kept beside its chunks in the
chunk table (`records(doc_id, kind, data_json)`): figures and sections. Each kind has one builder
here; indexing calls `derive` for a changed document and `carried` for an unchanged one, so every kind is
computed once per document version and read back with `StoredIndex.records(kind)`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from rag.facts import figure_records
from rag.sections import section_records
from rag.types import Chunk, Document

# kind -> builder(document, chunks) -> list of JSON-able dicts. Add a kind by adding a row.
BUILDERS: dict[str, Callable[[Document, Sequence[Chunk]], list[dict]]] = {
    "figures": figure_records,
    "sections": section_records,
}
# Bump when a builder's output changes: an index built with another version re-derives every document's
# records (chunks and vectors are carried over as they are).
VERSION = 1


def versions() -> dict[str, int]:
    return {kind: VERSION for kind in BUILDERS}


def derive(document: Document, chunks: Sequence[Chunk]) -> dict[str, list[dict]]:
    """Every kind of record of one document."""
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
