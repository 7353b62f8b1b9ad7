"""The on-disk chunk table (rag/chunktable.py): a lookup in a large table reads only the rows asked for."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from rag.chunktable import ChunkTable, write_table
from rag.types import Chunk, Document

ROWS = 100_000
TEXT = "高密市坚持创新驱动发展，" * 60  # ~720 characters, ~2 KB of UTF-8: the table is ~200 MB


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def big_table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("table") / "table.sqlite"
    chunks = (Chunk(f"doc{i % 1000}#{i}", f"doc{i % 1000}", f"标题{i % 1000}", ["第一章", f"第{i}节"], f"{i}号 {TEXT}", i, i + 700)
              for i in range(ROWS))
    tokens = ([f"词{i}", "高密市"] for i in range(ROWS))
    docs = [Document(f"doc{d}", f"标题{d}", f"doc{d}.txt", "正文", "0" * 64, "utf-8") for d in range(1000)]
    write_table(path, _Sized(chunks, ROWS), _Sized(tokens, ROWS), docs)
    return path


class _Sized:
    """A generator with a length, so the test itself never holds the table in memory either."""

    def __init__(self, items, n):
        self.items, self.n = items, n

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return self.n


def test_lookup_in_a_large_table_reads_only_the_rows_asked_for(big_table):
    size_mb = big_table.stat().st_size / 2**20
    assert size_mb > 150
    before = _rss_mb()
    table = ChunkTable(big_table)
    statements: list[str] = []
    table._db.set_trace_callback(statements.append)
    assert len(table) == ROWS
    chunk = table[77_777]
    assert chunk.chunk_id == "doc777#77777" and chunk.headings == ["第一章", "第77777节"] and chunk.text.startswith("77777号")
    assert [c.chunk_id for c in table.get_many([99_999, 5, 42_000])] == ["doc999#99999", "doc5#5", "doc0#42000"]
    rows = table.rows_of(["doc3"])
    assert len(rows) == ROWS // 1000 and (rows % 1000 == 3).all()
    assert table.tokens_of([12]) == [["词12", "高密市"]]
    assert table.documents["doc5"].title == "标题5"
    grown = _rss_mb() - before
    assert grown < 0.1 * size_mb, f"RSS grew {grown:.0f} MB for a {size_mb:.0f} MB table"
    plans = [table._db.execute("EXPLAIN QUERY PLAN " + s).fetchall() for s in statements if s.startswith("SELECT") and "FROM chunks" in s
             and "count(*)" not in s]
    details = [row[-1] for plan in plans for row in plan]
    assert details and not any(d.startswith("SCAN chunks") for d in details), details  # keyed lookups only


def test_iteration_streams_in_row_order(big_table):
    table = ChunkTable(big_table)
    seen = 0
    for row, chunk in enumerate(table):
        assert chunk.start == row
        seen += 1
        if row == 5000:
            break
    assert seen == 5001 and table[-1].chunk_id == f"doc999#{ROWS - 1}"
    with pytest.raises(IndexError):
        table[ROWS]


def test_table_is_read_only_once_written(big_table):
    table = ChunkTable(big_table)
    with pytest.raises(sqlite3.OperationalError):
        table._db.execute("DELETE FROM chunks WHERE row = 1")
    assert isinstance(table.rows_of([]), np.ndarray) and len(table.rows_of([])) == 0
