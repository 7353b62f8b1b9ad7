"""The regression gate: stratified subsets of the dev set answered by the real models over a fresh index
of seeds/ must keep answer accuracy and faithfulness at or above the floors in eval/floors.json (set a few
points under the measured baseline): the original questions, and one of each hard kind (comparison across
documents, multi-step, near-miss unanswerable, false premise, colloquial). Slow (about 17 answers, some
of them in two steps), runs in CI all the same."""

from __future__ import annotations

import json

import pytest

from rag.config import load_settings
from rag.eval_report import summary_text, write_reports
from rag.evaluation import DEFAULT_SET, evaluate, load_set, select_batch, stratified_subset
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow

GATES = json.loads((ROOT / "eval" / "floors.json").read_text(encoding="utf-8"))["gates"]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("gate") / "index"  # built by the first gate, reused by the next


@pytest.mark.parametrize("gate", GATES, ids=[g["batch"] for g in GATES])
def test_ci_subset_stays_above_the_floors(gate, index_dir, tmp_path):
    settings = load_settings(env={}).with_overrides(corpus_dir=SEEDS, index_dir=index_dir)
    # the floors were measured on a subset of one batch (see floors.json): keep measuring the same questions
    items = stratified_subset(select_batch(load_set(DEFAULT_SET), gate["batch"]), gate["subset"])
    assert len({i.type for i in items}) >= gate["min_types"] and any(not i.answerable for i in items)
    report = evaluate(settings, items, k=gate["k"], progress=False, set_path=str(DEFAULT_SET))
    write_reports(report, tmp_path / "report")
    print(summary_text(report))  # shown by pytest -rA, and kept in the CI log on failure
    overall = report["overall"]
    assert overall["errors"] == 0
    below = {m: (overall[m], floor) for m, floor in gate["floors"].items() if (overall[m] or 0.0) < floor}
    assert not below, f"below the floor (measured, floor): {below}; report in {tmp_path / 'report'}"
