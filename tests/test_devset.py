"""Sanity checks for every question set eval/sets.toml lists (eval/dev.jsonl over seeds/, eval/reports2026.jsonl
over ../shared/corpora/reports-2026): format, and evidence quoted verbatim from that set's own corpus.

The sets and their corpora are read as `rag eval` reads them (rag.evaluation.question_sets); a set whose
corpus lies outside the repository and is absent is skipped with the reason shown (a failure under
RAG_REQUIRE_SHARED=1, as in CI).
"""
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from rag.evaluation import question_sets
from tests.conftest import require_shared

SETS = question_sets()
# per set: its batches, how many documents its corpus holds, the least count of each kind, and (dev only)
# the kinds the hard batch must hold ten of each
RULES = {
    "dev": {"batches": {"original", "hard", "overview"}, "documents": 5,
            "least": {"unanswerable": 10, "cross_document": 8, "overview": 10}},
    "reports2026": {"batches": {"reports"}, "documents": 8,
                    "least": {"unanswerable": 10, "false_premise": 8, "cross_document": 8, "multi_step": 8,
                              "overview": 8, "temporal": 8, "yes_no": 5, "list": 5, "table_lookup": 5}},
}
KEY_PHRASES_LEAST = 3  # an overview is scored on a share of its key phrases: it needs several

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
    "yes_no",
}
HARD_KINDS = ("cross_document", "multi_step", "unanswerable", "false_premise", "colloquial")
TITLE_CHARS = 300  # a derived place name must be named in the opening (title) of one of its documents
ARITH = re.compile(r"[0-9.+\-*/() ]+")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
CONSTANTS = {"100"}  # a growth rate or share in per cent: (b - a) / a * 100
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


def _load_items(path: Path) -> list[dict]:
    items = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:  # pragma: no cover - reported as failure
                pytest.fail(f"{path.name} line {lineno}: invalid JSON: {e}")
    return items


_LOADED: dict[str, tuple] = {}


@pytest.fixture(params=SETS, ids=[s.name for s in SETS])
def qset(request):
    """(name, items, documents by id) of one listed set; its corpus is read once per session."""
    spec = request.param
    corpus = require_shared(spec.corpus_dir, f"the corpus of question set {spec.name} (RAG_SHARED_DIR moves ../shared)")
    if spec.name not in _LOADED:
        docs = {p.stem: p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))}
        _LOADED[spec.name] = (spec.name, _load_items(spec.path), docs)
    return _LOADED[spec.name]


def test_files_exist(qset):
    name, items, docs = qset
    assert name in RULES, f"no rules for set {name}: add them to RULES"
    assert items, name
    assert len(docs) == RULES[name]["documents"], sorted(docs)


def test_ids_unique(qset):
    _, items, _ = qset
    ids = [it.get("id") for it in items]
    dup = [k for k, v in Counter(ids).items() if v > 1]
    assert not dup, f"duplicate ids: {dup}"


def test_required_fields_and_types(qset):
    _, items, _ = qset
    for it in items:
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


def test_types_allowed(qset):
    _, items, _ = qset
    bad = [(it["id"], it["type"]) for it in items if it["type"] not in ALLOWED_TYPES]
    assert not bad, f"unknown types: {bad}"


def test_counts(qset):
    name, items, _ = qset
    types = Counter(it["type"] for it in items)
    assert len(items) >= 80, len(items)
    for kind, least in RULES[name]["least"].items():
        assert types[kind] >= least, (kind, types)


def test_overviews_have_several_key_phrases(qset):
    _, items, _ = qset
    for it in items:
        if it["type"] == "overview":
            assert len(it["keywords"]) >= KEY_PHRASES_LEAST, it["id"]


def test_answerable_flag_consistent_with_type(qset):
    _, items, _ = qset
    for it in items:
        assert it["answerable"] == (it["type"] != "unanswerable"), it["id"]


def test_doc_ids_exist(qset):
    _, items, docs = qset
    for it in items:
        for d in it["doc_ids"]:
            assert d in docs, f"{it['id']}: unknown doc id {d}"
        assert len(set(it["doc_ids"])) == len(it["doc_ids"]), f"{it['id']}: duplicate doc_ids"


def test_answerable_items_have_evidence_and_docs(qset):
    _, items, _ = qset
    for it in items:
        if it["answerable"]:
            assert it["doc_ids"], f"{it['id']}: answerable item without doc_ids"
            assert it["evidence"], f"{it['id']}: answerable item without evidence"
        if it["type"] == "cross_document":
            assert len(it["doc_ids"]) >= 2, f"{it['id']}: cross_document needs >=2 docs"


def test_evidence_is_exact_substring_of_listed_docs(qset):
    _, items, docs = qset
    for it in items:
        texts = [docs[d] for d in it["doc_ids"] if d in docs]
        for ev in it["evidence"]:
            assert any(ev in t for t in texts), f"{it['id']}: evidence not found verbatim in {it['doc_ids']}: {ev!r}"


def test_every_listed_doc_has_evidence(qset):
    _, items, docs = qset
    for it in items:
        for d in it["doc_ids"]:
            assert any(ev in docs[d] for ev in it["evidence"]), f"{it['id']}: no evidence drawn from {d}"


def test_keywords_occur_in_evidence(qset):
    _, items, _ = qset
    """Each keyword is quoted evidence, the computed result, or a derived place name."""
    for it in items:
        joined = _strip_ws("".join(it["evidence"]))
        allowed = set(it.get("derived", []))
        if "computation" in it:
            allowed.add(it["computation"]["result"])
        for kw in it["keywords"]:
            assert _strip_ws(kw) in joined or kw in allowed, f"{it['id']}: keyword {kw!r} not in evidence"


def test_derived_keywords_are_places_named_in_a_title(qset):
    _, items, docs = qset
    for it in items:
        for kw in it.get("derived", []):
            assert kw in it["keywords"], f"{it['id']}: derived {kw!r} is not a keyword"
            titles = [docs[d][:TITLE_CHARS] for d in it["doc_ids"]]
            assert any(kw in t for t in titles), f"{it['id']}: derived {kw!r} not named in a document title"


def _evaluate(expr: str) -> float:
    assert ARITH.fullmatch(expr), f"not plain arithmetic: {expr!r}"
    return eval(expr, {"__builtins__": {}}, {})  # digits and + - * / ( ) only, checked above


def test_multi_step_computations_are_right(qset):
    _, items, _ = qset
    for it in items:
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
            assert num in joined or num in CONSTANTS, f"{it['id']}: input {num} not in the evidence"
        assert result in it["answer"], f"{it['id']}: the answer must show the computation and its result"


def test_batches(qset):
    name, items, _ = qset
    for it in items:
        assert it.get("batch", "original") in RULES[name]["batches"], f"{it['id']}: unknown batch {it.get('batch')!r}"
    if name != "dev":
        return
    hard = Counter(it["type"] for it in items if it.get("batch") == "hard")
    for kind in HARD_KINDS:
        assert hard[kind] >= 10, (kind, hard)
    for it in items:
        if it.get("batch") in ("hard", "overview"):
            assert it["id"].startswith(it["batch"][0]), it["id"]


def test_absent_terms_absent_from_every_corpus_file(qset):
    _, items, docs = qset
    haystacks = []
    for text in docs.values():
        haystacks.append(text)
        haystacks.append(_strip_ws(text).lower())
    for it in items:
        for term in it.get("absent_terms", []):
            for h in haystacks:
                assert term not in h and _strip_ws(term).lower() not in h, (
                    f"{it['id']}: absent term {term!r} occurs in a file of the corpus"
                )


def test_unanswerable_items_are_empty(qset):
    _, items, _ = qset
    for it in items:
        if it["type"] == "unanswerable":
            assert it["answerable"] is False, it["id"]
            assert it["evidence"] == [], it["id"]
            assert it["keywords"] == [], it["id"]
            assert it["doc_ids"] == [], it["id"]
            assert it.get("absent_terms"), f"{it['id']}: unanswerable item needs absent_terms"
