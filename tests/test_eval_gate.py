"""The regression gate: stratified subsets of the question sets answered by the real models over a fresh index
of each set's own corpus must keep answer accuracy and faithfulness at or above the floors in eval/floors.json
(set a few points under the measured baseline): the dev set's original questions and one of each hard kind
(comparison across documents, multi-step, near-miss unanswerable, false premise, colloquial) over seeds/, and
one question of each kind of the government work reports set over ../shared/corpora/reports-2026 (skipped
with the reason shown when that corpus is absent, a failure under RAG_REQUIRE_SHARED=1 as in CI). Slow
(about 29 answers, some of them in two steps, and two index builds), runs in CI all the same."""

from __future__ import annotations

import json

import pytest

from rag.config import load_settings
from rag.eval_report import summary_text, write_reports
from rag.evaluation import evaluate, load_set, question_sets, select_batch, stratified_subset
from tests.conftest import ROOT, require_shared

pytestmark = pytest.mark.slow

GATES = json.loads((ROOT / "eval" / "floors.json").read_text(encoding="utf-8"))["gates"]
SETS = {s.name: s for s in question_sets()}


@pytest.fixture(scope="module")
def index_root(tmp_path_factory):
    return tmp_path_factory.mktemp("gate")  # one index per corpus, built by its first gate, reused by the next


@pytest.mark.parametrize("gate", GATES, ids=[f"{g['set']}-{g.get('batch') or 'all'}" for g in GATES])
def test_ci_subset_stays_above_the_floors(gate, index_root, tmp_path):
    qset = SETS[gate["set"]]
    corpus = require_shared(qset.corpus_dir, f"the corpus of question set {qset.name}")
    settings = load_settings(env={}).with_overrides(corpus_dir=corpus, index_dir=index_root / qset.corpus)
    # the floors were measured on a subset of one batch (see floors.json): keep measuring the same questions
    items = stratified_subset(select_batch(load_set(qset.path), gate.get("batch")), gate["subset"])
    assert len({i.type for i in items}) >= gate["min_types"] and any(not i.answerable for i in items)
    report = evaluate(settings, items, k=gate["k"], progress=False, set_path=str(qset.path), corpus=qset.corpus)
    write_reports(report, tmp_path / "report")
    print(summary_text(report))  # shown by pytest -rA, and kept in the CI log on failure
    overall = report["overall"]
    assert overall["errors"] == 0
    below = {m: (overall[m], floor) for m, floor in gate["floors"].items() if (overall[m] or 0.0) < floor}
    assert not below, f"below the floor (measured, floor): {below}; report in {tmp_path / 'report'}"
