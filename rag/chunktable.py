"""The chunk table on disk: one SQLite file per index version with every chunk (text, headings, offsets,
BM25 tokens) and every document, read row by row when asked for. At 1M chunks the table is ~2 GB;
held as Python objects it took ~6 GB, so nothing here is loaded whole: a retrieved row is one
primary-key lookup, a document filter one indexed query, and iteration streams in batches."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from rag.types import Chunk, Document

TABLE_FILE = "table.sqlite"
_CHUNK_COLUMNS = "chunk_id, doc_id, title, headings, text, start, stop, kind, page, page_marks"
_N_CHUNK = len(_CHUNK_COLUMNS.split(","))
_DOC_COLUMNS = "doc_id, title, path, text, sha256, encoding, page_starts, outline"
_BATCH = 2000  # rows per round trip when streaming


def write_table(path: Path, chunks: Sequence[Chunk], tokens: Sequence[list[str]], documents: Iterable[Document],
                records: Iterable[tuple[str, str, str]] = ()) -> None:
    """Write a new table file in one transaction; the doc_id index is built after the rows (faster).
    `records` are (doc_id, kind, data_json) rows derived from the documents at index time (rag.derived)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")  # save_index fsyncs every file before the version goes live
        conn.execute(f"CREATE TABLE chunks (row INTEGER PRIMARY KEY, {_CHUNK_COLUMNS}, tokens TEXT)")
        conn.execute(f"CREATE TABLE documents ({_DOC_COLUMNS})")
        conn.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((row, c.chunk_id, c.doc_id, c.title, json.dumps(c.headings, ensure_ascii=False), c.text, c.start, c.end,
              c.kind, c.page, json.dumps(c.page_marks), "\n".join(t))
             for row, (c, t) in enumerate(zip(chunks, tokens, strict=True))),
        )
        conn.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         ((d.doc_id, d.title, d.path, d.text, d.sha256, d.encoding, json.dumps(d.page_starts),
                           json.dumps(d.outline)) for d in documents))
        conn.execute("CREATE TABLE records (doc_id TEXT, kind TEXT, data TEXT)")
        conn.executemany("INSERT INTO records VALUES (?, ?, ?)", records)
        conn.execute("CREATE INDEX records_kind ON records (kind, doc_id)")
        conn.execute("CREATE INDEX chunks_doc ON chunks (doc_id)")
        conn.execute("CREATE UNIQUE INDEX documents_id ON documents (doc_id)")
        conn.commit()
    finally:
        conn.close()


def _chunk(row: tuple) -> Chunk:
    chunk_id, doc_id, title, headings, text, start, stop, kind, page, marks = row
    return Chunk(chunk_id, doc_id, title, json.loads(headings), text, start, stop, kind, page, json.loads(marks or "[]"))


def _tokens(joined: str) -> list[str]:
    return joined.split("\n") if joined else []


class ChunkTable(Sequence[Chunk]):
    """The chunks of a loaded index version as a read-only sequence (row = vector id). Opened immutable:
    the version folder never changes after it goes live, so SQLite needs no locks or journal."""

    def __init__(self, path: Path):
        self.path = path
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._len = self._db.execute("SELECT coalesce(max(row) + 1, 0) FROM chunks").fetchone()[0]  # rows are 0..n-1: no scan
        self.documents = DocumentTable(self._db)

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return self.get_many(range(*index.indices(self._len)))
        row = int(index) + self._len if index < 0 else int(index)  # numpy ints too
        if not 0 <= row < self._len:
            raise IndexError(index)
        return _chunk(self._db.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE row = ?", (row,)).fetchone())

    def get_many(self, rows: Iterable[int]) -> list[Chunk]:
        """Chunks of the given rows, in that order (one query for all of them)."""
        rows = [int(r) for r in rows]
        found: dict[int, Chunk] = {}
        for start in range(0, len(rows), 900):  # SQLite's bound-parameter limit
            part = rows[start : start + 900]
            marks = ",".join("?" * len(part))
            for row, *rest in self._db.execute(f"SELECT row, {_CHUNK_COLUMNS} FROM chunks WHERE row IN ({marks})", part):
                found[row] = _chunk(tuple(rest))
        missing = [r for r in rows if r not in found]
        if missing:
            raise IndexError(missing[0])
        return [found[r] for r in rows]

    def __iter__(self) -> Iterator[Chunk]:
        """Streams every chunk in row order, `_BATCH` rows in memory at a time."""
        for _, chunk, _ in self.iter_rows(with_tokens=False):
            yield chunk

    def iter_rows(self, with_tokens: bool = True) -> Iterator[tuple[int, Chunk, list[str] | None]]:
        last = -1
        columns = f"row, {_CHUNK_COLUMNS}" + (", tokens" if with_tokens else "")
        while True:
            batch = self._db.execute(f"SELECT {columns} FROM chunks WHERE row > ? ORDER BY row LIMIT ?", (last, _BATCH)).fetchall()
            if not batch:
                return
            for row, *rest in batch:
                yield row, _chunk(tuple(rest[:_N_CHUNK])), _tokens(rest[_N_CHUNK]) if with_tokens else None
            last = batch[-1][0]

    def rows_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Row numbers of every chunk of these documents, ascending (the document filter)."""
        wanted = sorted(set(doc_ids))
        rows: list[int] = []
        for start in range(0, len(wanted), 900):
            part = wanted[start : start + 900]
            query = f"SELECT row FROM chunks WHERE doc_id IN ({','.join('?' * len(part))})"
            rows += [r for (r,) in self._db.execute(query, part)]
        return np.array(sorted(rows), dtype="int64")

    def tokens_of(self, rows: Iterable[int]) -> list[list[str]]:
        rows = [int(r) for r in rows]
        found: dict[int, list[str]] = {}
        for start in range(0, len(rows), 900):
            part = rows[start : start + 900]
            query = f"SELECT row, tokens FROM chunks WHERE row IN ({','.join('?' * len(part))})"
            found.update((r, _tokens(t)) for r, t in self._db.execute(query, part))
        return [found[r] for r in rows]

    def _has_records(self) -> bool:
        """A table written before records existed has none (its documents are re-derived on the next build)."""
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'").fetchone() is not None

    def records(self, kind: str) -> list[dict]:
        """Every derived record of one kind ('figures'), in document order."""
        if not self._has_records():
            return []
        return [json.loads(d) for (d,) in self._db.execute("SELECT data FROM records WHERE kind = ? ORDER BY rowid", (kind,))]

    def record_rows(self, doc_id: str) -> list[tuple[str, str, str]]:
        """One document's (doc_id, kind, data_json) rows, to carry into the next version unchanged."""
        if not self._has_records():
            return []
        return self._db.execute("SELECT doc_id, kind, data FROM records WHERE doc_id = ? ORDER BY rowid", (doc_id,)).fetchall()

    def iter_tokens(self) -> Iterator[list[str]]:
        for _, _, tokens in self.iter_rows(with_tokens=True):
            yield tokens or []


class DocumentTable(Mapping[str, Document]):
    """doc_id -> Document, each read when asked for (a document's cleaned text can be megabytes)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._ids = [d for (d,) in db.execute("SELECT doc_id FROM documents ORDER BY rowid")]

    def __getitem__(self, doc_id: str) -> Document:
        row = self._db.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        *fields, page_starts, outline = row
        return Document(*fields, json.loads(page_starts or "[]"), json.loads(outline or "[]"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def titles(self) -> dict[str, str]:
        """doc_id -> title without reading any text (the app's document list)."""
        return dict(self._db.execute("SELECT doc_id, title FROM documents ORDER BY rowid").fetchall())
