"""Sanity checks for the development question set (eval/dev.jsonl).

Standard library + pytest only; no project imports.
"""
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV_PATH = ROOT / "eval" / "dev.jsonl"
SEED_DIR = ROOT / "seeds"

ALLOWED_TYPES = {
    "number_fact",
    "entity",
    "list",
    "cross_document",
    "multi_hop",
    "table_lookup",
    "temporal",
    "unanswerable",
    "ambiguous",
    "multi_step",
    "false_premise",
    "colloquial",
    "overview",
}
BATCHES = {"original", "hard", "overview"}
HARD_KINDS = ("cross_document", "multi_step", "unanswerable", "false_premise", "colloquial")
TITLE_CHARS = 300  # a derived place name must be named in the opening (title) of one of its documents
ARITH = re.compile(r"[0-9.+\-*/() ]+")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
REQUIRED_FIELDS = {
    "id": str,
    "question": str,
    "answer": str,
    "doc_ids": list,
    "evidence": list,
    "type": str,
    "keywords": list,
    "answerable": bool,
}
WS = re.compile(r"\s+")


def _strip_ws(s: str) -> str:
    return WS.sub("", s)


def _load_items():
    items = []
    with DEV_PATH.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:  # pragma: no cover - reported as failure
                pytest.fail(f"line {lineno}: invalid JSON: {e}")
    return items


def _load_seeds():
    return {
        p.stem: p.read_text(encoding="utf-8")
        for p in sorted(SEED_DIR.glob("*.txt"))
    }


ITEMS = _load_items()
SEEDS = _load_seeds()


def test_files_exist():
    assert DEV_PATH.is_file(), DEV_PATH
    assert len(SEEDS) == 5, sorted(SEEDS)


def test_ids_unique():
    ids = [it.get("id") for it in ITEMS]
    dup = [k for k, v in Counter(ids).items() if v > 1]
    assert not dup, f"duplicate ids: {dup}"


def test_required_fields_and_types():
    for it in ITEMS:
        for field, typ in REQUIRED_FIELDS.items():
            assert field in it, f"{it.get('id')}: missing field {field}"
            assert isinstance(it[field], typ), f"{it['id']}: {field} should be {typ.__name__}"
        assert it["question"].strip(), f"{it['id']}: empty question"
        assert it["answer"].strip(), f"{it['id']}: empty answer"
        for key in ("doc_ids", "evidence", "keywords"):
            assert all(isinstance(x, str) and x for x in it[key]), f"{it['id']}: {key} must hold non-empty strings"
        if "absent_terms" in it:
            assert isinstance(it["absent_terms"], list)
            assert all(isinstance(x, str) and x for x in it["absent_terms"])


def test_types_allowed():
    bad = [(it["id"], it["type"]) for it in ITEMS if it["type"] not in ALLOWED_TYPES]
    assert not bad, f"unknown types: {bad}"


def test_counts():
    types = Counter(it["type"] for it in ITEMS)
    assert len(ITEMS) >= 80, len(ITEMS)
    assert types["unanswerable"] >= 10, types
    assert types["cross_document"] >= 8, types


def test_answerable_flag_consistent_with_type():
    for it in ITEMS:
        assert it["answerable"] == (it["type"] != "unanswerable"), it["id"]


def test_doc_ids_exist():
    for it in ITEMS:
        for d in it["doc_ids"]:
            assert d in SEEDS, f"{it['id']}: unknown doc id {d}"
        assert len(set(it["doc_ids"])) == len(it["doc_ids"]), f"{it['id']}: duplicate doc_ids"


def test_answerable_items_have_evidence_and_docs():
    for it in ITEMS:
        if it["answerable"]:
            assert it["doc_ids"], f"{it['id']}: answerable item without doc_ids"
            assert it["evidence"], f"{it['id']}: answerable item without evidence"
        if it["type"] == "cross_document":
            assert len(it["doc_ids"]) >= 2, f"{it['id']}: cross_document needs >=2 docs"


def test_evidence_is_exact_substring_of_listed_docs():
    for it in ITEMS:
        texts = [SEEDS[d] for d in it["doc_ids"] if d in SEEDS]
        for ev in it["evidence"]:
            assert any(ev in t for t in texts), f"{it['id']}: evidence not found verbatim in {it['doc_ids']}: {ev!r}"


def test_every_listed_doc_has_evidence():
    for it in ITEMS:
        for d in it["doc_ids"]:
            assert any(ev in SEEDS[d] for ev in it["evidence"]), f"{it['id']}: no evidence drawn from {d}"


def test_keywords_occur_in_evidence():
    """Each keyword is quoted evidence, the computed result, or a derived place name."""
    for it in ITEMS:
        joined = _strip_ws("".join(it["evidence"]))
        allowed = set(it.get("derived", []))
        if "computation" in it:
            allowed.add(it["computation"]["result"])
        for kw in it["keywords"]:
            assert _strip_ws(kw) in joined or kw in allowed, f"{it['id']}: keyword {kw!r} not in evidence"


def test_derived_keywords_are_places_named_in_a_title():
    for it in ITEMS:
        for kw in it.get("derived", []):
            assert kw in it["keywords"], f"{it['id']}: derived {kw!r} is not a keyword"
            titles = [SEEDS[d][:TITLE_CHARS] for d in it["doc_ids"]]
            assert any(kw in t for t in titles), f"{it['id']}: derived {kw!r} not named in a document title"


def _evaluate(expr: str) -> float:
    assert ARITH.fullmatch(expr), f"not plain arithmetic: {expr!r}"
    return eval(expr, {"__builtins__": {}}, {})  # digits and + - * / ( ) only, checked above


def test_multi_step_computations_are_right():
    for it in ITEMS:
        comp = it.get("computation")
        if it["type"] == "multi_step":
            assert comp and comp.get("expr") and comp.get("result"), f"{it['id']}: multi_step needs a computation"
        if not comp:
            continue
        result = comp["result"]
        decimals = len(result.split(".")[1]) if "." in result else 0
        assert round(_evaluate(comp["expr"]), decimals) == float(result), f"{it['id']}: {comp}"
        assert it["keywords"] == [result], f"{it['id']}: a multi_step keyword is its result only"
        joined = _strip_ws("".join(it["evidence"]))
        for num in NUMBER.findall(comp["expr"]):
            assert num in joined, f"{it['id']}: input {num} not in the evidence"
        assert result in it["answer"], f"{it['id']}: the answer must show the computation and its result"


def test_batches():
    for it in ITEMS:
        assert it.get("batch", "original") in BATCHES, f"{it['id']}: unknown batch {it.get('batch')!r}"
    hard = Counter(it["type"] for it in ITEMS if it.get("batch") == "hard")
    for kind in HARD_KINDS:
        assert hard[kind] >= 10, (kind, hard)
    for it in ITEMS:
        if it.get("batch") == "hard":
            assert it["id"].startswith("h"), it["id"]


def test_absent_terms_absent_from_all_seeds():
    haystacks = []
    for text in SEEDS.values():
        haystacks.append(text)
        haystacks.append(_strip_ws(text).lower())
    for it in ITEMS:
        for term in it.get("absent_terms", []):
            for h in haystacks:
                assert term not in h and _strip_ws(term).lower() not in h, (
                    f"{it['id']}: absent term {term!r} occurs in a seed file"
                )


def test_unanswerable_items_are_empty():
    for it in ITEMS:
        if it["type"] == "unanswerable":
            assert it["answerable"] is False, it["id"]
            assert it["evidence"] == [], it["id"]
            assert it["keywords"] == [], it["id"]
            assert it["doc_ids"] == [], it["id"]
            assert it.get("absent_terms"), f"{it['id']}: unanswerable item needs absent_terms"
