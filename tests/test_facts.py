"""rag.facts: figures extracted once at index time, their records, and the FigureIndex that finds them."""

import shutil
import sqlite3

import numpy as np
import pytest

from bench.figure_extraction import load_labelled, score
from rag import derived
from rag.chunking import chunk_document
from rag.facts import Figure, FigureIndex, document_year, extract_figures, lexical_similarity
from rag.indexing import build_index
from rag.store import load_index
from rag.types import Document
from tests.conftest import SEEDS, HashEmbedder

GAOMI = "000_c07c619b55a4981f.txt"
PINGDU = "001_a38547990da41cd7.txt"


def _doc(text: str, title: str, doc_id: str = "d") -> Document:
    return Document(doc_id, title, f"{doc_id}.txt", text, "0" * 64, "utf-8")


def _figures(text: str, title: str) -> list[Figure]:
    doc = _doc(text, title)
    return extract_figures(doc, chunk_document(doc))


# -- the labelled sample: a fast slice of the benchmark (bench/figure_extraction.py runs all of it) --------

def test_extraction_meets_its_targets_on_the_labelled_seed_figures():
    """The seeds half of eval/figures-labelled.jsonl (~160 figures, about a second); the benchmark adds the
    reports half, which reads /work/shared."""
    items = load_labelled("seeds")
    assert sum(len(i["figures"]) for i in items) >= 150
    r = score(items).ratios()
    assert r["value_unit_precision"] >= 0.97 and r["value_unit_recall"] >= 0.97, r
    assert r["record_precision"] >= 0.85 and r["record_recall"] >= 0.85, r


# -- the document's own time ------------------------------------------------------------------------------

@pytest.mark.parametrize("title, text, year", [
    ("2026年四川省人民政府工作报告", "2026年四川省人民政府工作报告\n2026年2月3日在四川省第十四届人民代表大会第五次会议上\n", 2026),
    ("政府工作报告", "政府工作报告\n——2026年1月28日在云南省第十四届人民代表大会第四次会议上\n", 2026),
    ("高密市第十四个五年规划纲要", "高密市第十四个五年规划和二〇三五年远景目标纲要\n二O二一年十月\n序言\n", 2021),
    ("平度市第十四个五年规划和2035年远景目标纲要", "平政发〔2021〕12号\n平度市人民政府\n", 2021),
    ("某市第十四个五年规划和2035年远景目标纲要", "正文没有日期。\n", 2021),  # the plan's first year, not its vision year
    ("工作总结", "一、2025年工作回顾\n", 2026),
])
def test_document_year(title, text, year):
    assert document_year(_doc(text, title)) == year


def test_relative_years_resolve_against_the_report_year():
    text = ("2026年某省人民政府工作报告\n2026年2月3日在某省人民代表大会上\n一、2025年工作回顾\n"
            "去年全省地区生产总值67665亿元，增长5.5%。\n二、2026年工作安排\n今年全省地区生产总值增长5%左右。\n")
    figures = _figures(text, "2026年某省人民政府工作报告")
    gdp, rate, target = figures
    assert (gdp.value, gdp.unit, gdp.year, gdp.role, gdp.canonical) == (67665, "亿元", 2025, "actual", "地区生产总值")
    assert (rate.value, rate.year, rate.role, rate.measure) == (5.5, 2025, "rate", gdp.measure)
    assert (target.value, target.year, target.status, target.bound) == (5, 2026, "target", "~")


def test_plan_table_cells_take_year_and_role_from_the_header():
    doc = _doc((SEEDS / PINGDU).read_text(encoding="utf-8"), "平度市国民经济和社会发展第十四个五年规划和2035年远景目标纲要")
    cells = [f for f in extract_figures(doc, chunk_document(doc)) if f.measure.startswith("森林覆盖率")]
    assert [(f.value, f.unit, f.year, f.status) for f in cells] == [(10.97, "%", 2020, "base"), (11, "%", 2025, "target")]
    assert all(f.subject == "平度市" and f.role == "share" for f in cells)


def test_a_row_named_as_a_rate_holds_rates_and_a_yearly_average_column_averages():
    """'…增长速度' names a rate in every column (2020's 8.2 is that year's growth, not a level); the column
    '年均增速' holds the plan period's yearly average, '累计' a change over it that is no average."""
    text = ("某县国民经济和社会发展第十四个五年规划纲要\n第二章 主要指标\n"
            "| 指标 | 2020年 | 2025年 | 年均增速 | 属性 |\n| 工业增加值增长速度(%) | 7.1 | — | 6.5 | 预期性 |\n"
            "| 城镇化率(%) | 58 | 63 | 〔5〕 | 预期性 |\n")
    cells = {(f.measure, f.year, f.text): f for f in _figures(text, "某县国民经济和社会发展第十四个五年规划纲要")}
    base = cells[("工业增加值增长速度", 2020, "7.1")]
    assert base.role == "rate" and not base.average
    average = cells[("工业增加值增长速度", 2025, "6.5")]
    assert average.role == "rate" and average.average and average.period == "十四五"
    assert cells[("城镇化率", 2020, "58")].role != "rate"


def test_a_record_points_at_its_span_in_its_chunk():
    doc = _doc((SEEDS / GAOMI).read_text(encoding="utf-8"), "(山东省)潍坊市高密市国民经济和社会发展十四五规划(2022年更新)")
    chunks = {c.chunk_id: c for c in chunk_document(doc)}
    figures = extract_figures(doc, list(chunks.values()))
    assert len(figures) > 100
    for f in figures:
        if chunks[f.chunk_id].kind == "text":
            assert chunks[f.chunk_id].text[f.start:f.end] == f.text
            assert doc.text[f.offset:f.offset + len(f.text)] == f.text
        assert f.subject == "高密市" or f.subject in f.sentence


# -- the query side ----------------------------------------------------------------------------------------

def _fig(measure: str, subject: str, year: int, role: str = "actual", value: float = 1.0) -> Figure:
    from rag.vocabulary import canonical_measure

    return Figure(value, "%", "percent", f"{value}%", measure, canonical_measure(measure), subject, year, "", role,
                  "target" if role == "target" else "actual", "d", "d#0", 0, 3, None, measure)


INDEX = [
    _fig("常住人口城镇化率", "高密市", 2020, value=62.0), _fig("城镇化率", "高密市", 2025, "target", 65.0),
    _fig("城镇化率", "平度市", 2025, "target", 60.0), _fig("GDP", "高密市", 2020, value=9.0),
    _fig("人均地区生产总值", "高密市", 2020, value=8.0), _fig("研发经费投入强度", "平度市", 2020, value=2.4),
    _fig("森林覆盖率", "平度市", 2020, value=10.97),
]


def test_search_by_synonym_place_year_and_role():
    index = FigureIndex(INDEX)
    found = index.search("城镇化率", places=["高密"], k=10)
    assert [f.value for f, _ in found] == [62.0, 65.0] and all(s == 1.0 for _, s in found)
    assert [f.value for f, _ in index.search("城镇化率", years=[2025], roles=["target"])] == [60.0, 65.0]  # by place, then year
    gdp = index.search("地区生产总值")
    assert gdp[0][0].value == 9.0 and gdp[0][1] == 1.0  # GDP = 地区生产总值
    assert all(f.value != 8.0 for f, s in gdp)  # 人均地区生产总值 is another measure: below the threshold
    assert index.search("研发经费投入占地区生产总值比重")[0][0].value == 2.4  # 强度 = 占GDP比重
    assert index.search("财政赤字率") == []  # nothing above the threshold: the documents do not state it


def test_abbreviation_scores_below_exact_and_above_unrelated():
    assert lexical_similarity("研发投入", "研发经费投入") > 0.6 > lexical_similarity("研发投入", "森林覆盖率")
    assert lexical_similarity("城镇化率", "城镇化率") == 1.0


def test_a_measure_shortened_by_a_word_or_two_is_the_same_measure():
    # the question leaves words out of the record's measure: matched as well as a standard synonym
    assert lexical_similarity("河流清澈段数", "河流水质清澈段数") >= 0.92
    assert lexical_similarity("农民人均纯收入", "农民家庭人均纯收入") >= 0.92
    # the record's measure shorter than the asked one is a wider measure, not the asked one
    assert lexical_similarity("交通基建投资", "交通投资") < 0.9
    # a word a measure keeps only in part, or most of its characters left out, is another measure
    assert lexical_similarity("林业增加值", "林业生态旅游产业增加值") < 0.9
    assert lexical_similarity("粮田面积", "高标准粮田面积") < 0.9


def test_embedding_matches_by_meaning_and_embeds_each_phrase_once():
    calls = []
    hasher = HashEmbedder()

    def embed(texts):
        calls.append(list(texts))
        return hasher.encode_passages(texts)

    index = FigureIndex(INDEX, embed)
    first = index.measures("森林覆盖")
    index.search("城镇化")
    assert first[0][0] == "森林覆盖率"
    assert len([c for c in calls if len(c) > 1]) == 1  # the phrases' vectors were computed once


# -- persistence: records beside the chunks, incremental ----------------------------------------------------

@pytest.fixture
def corpus(tmp_settings):
    for name in (GAOMI, PINGDU):
        shutil.copy(SEEDS / name, tmp_settings.corpus_dir / name)
    return tmp_settings


def test_records_are_built_at_index_time_and_carried_for_unchanged_documents(corpus, hash_embedder, monkeypatch):
    build_index(corpus, hash_embedder)
    stored = load_index(corpus.index_dir)
    figures = FigureIndex.from_stored(stored).figures
    assert {f.doc_id for f in figures} == {"000_c07c619b55a4981f", "001_a38547990da41cd7"}
    assert stored.manifest["derived"] == derived.versions()
    pingdu = [f.to_dict() for f in figures if f.doc_id.startswith("001")]
    calls = []
    monkeypatch.setitem(derived.BUILDERS, "figures", lambda doc, chunks: calls.append(doc.doc_id) or
                        [f.to_dict() for f in extract_figures(doc, chunks)])
    with (corpus.corpus_dir / GAOMI).open("a", encoding="utf-8") as fh:
        fh.write("\n到2025年，全市森林覆盖率达到40%。\n")
    build_index(corpus, hash_embedder)
    assert calls == ["000_c07c619b55a4981f"]  # only the changed document was read again
    after = FigureIndex.from_stored(load_index(corpus.index_dir))
    assert [f.to_dict() for f in after.figures if f.doc_id.startswith("001")] == pingdu
    added = after.search("森林覆盖率", places=["高密市"], years=[2025])
    assert [(f.value, f.status) for f, _ in added] == [(40, "target")]


def test_an_index_built_by_other_builders_is_re_derived(corpus, hash_embedder, monkeypatch):
    build_index(corpus, hash_embedder)
    monkeypatch.setattr(derived, "VERSION", derived.VERSION + 1)
    report = build_index(corpus, hash_embedder)  # no file changed, but the records are stale
    assert report.written and load_index(corpus.index_dir).manifest["derived"] == derived.versions()


def test_a_table_without_records_reads_as_none(corpus, hash_embedder):
    build_index(corpus, hash_embedder)
    stored = load_index(corpus.index_dir)
    path = stored.chunks.path
    stored.chunks.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE records")
    from rag.chunktable import ChunkTable

    assert ChunkTable(path).records("figures") == [] and ChunkTable(path).record_rows("x") == []
    assert np.isfinite(len(stored.manifest))


# -- `rag facts` and the 指标 tab ---------------------------------------------------------------------------

SMALL = ("甲县国民经济和社会发展第十四个五年规划纲要\n二〇二一年三月\n第一章 发展基础\n"
         "“十三五”期间，甲县常住人口城镇化率达到58.2%。\n第二章 发展目标\n到2025年，甲县常住人口城镇化率达到65%。\n")


@pytest.fixture
def small_index(tmp_settings, hash_embedder, monkeypatch):
    (tmp_settings.corpus_dir / "jia.txt").write_text(SMALL, encoding="utf-8")
    build_index(tmp_settings, hash_embedder)
    for key, value in (("INDEX_DIR", tmp_settings.index_dir), ("CORPUS_DIR", tmp_settings.corpus_dir),
                       ("CACHE_DIR", tmp_settings.cache_dir)):
        monkeypatch.setenv(f"RAG_{key}", str(value))
    return tmp_settings


def test_cli_facts_prints_place_year_role_and_citation_and_writes_csv(small_index, capsys, tmp_path):
    from rag.cli import main

    out_csv = tmp_path / "f.csv"
    assert main(["facts", "城镇化率", "--lexical", "--csv", str(out_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("常住人口城镇化率")]
    assert rows == ["常住人口城镇化率 | 甲县 | 2020 | 实际 | 58.2% | 《甲县国民经济和社会发展第十四个五年规划纲要》 第一章 发展基础",
                    "常住人口城镇化率 | 甲县 | 2025 | 目标 | 65% | 《甲县国民经济和社会发展第十四个五年规划纲要》 第二章 发展目标"]
    assert "“到2025年，甲县常住人口城镇化率达到65%。”" in "\n".join(lines)
    text = out_csv.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("指标,地区,年份,类型,数值,原文") and text.count("\n") == 3


def test_cli_facts_says_when_the_documents_state_no_such_figure(small_index, capsys):
    from rag.cli import main

    assert main(["facts", "财政赤字率", "--lexical"]) == 1
    assert "文档中没有“财政赤字率”的数据" in capsys.readouterr().out


def test_figures_tab_lists_rows_and_offers_a_csv(small_index, hash_embedder):
    from rag.app_ui import FiguresView, build_app
    from rag.pipeline import QAPipeline
    from rag.uploads import IndexJob

    pipeline = QAPipeline(small_index, embedder=hash_embedder)
    job = IndexJob(pipeline)
    view = FiguresView(pipeline, job)
    assert "尚未就绪" in view.lookup("城镇化率")[2]
    job.ready = True
    rows, csv_path, note = view.lookup("城镇化率")
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [("甲县", 2020, "实际", "58.2%"), ("甲县", 2025, "目标", "65%")]
    assert csv_path.endswith(".csv") and "共 2 条" in note
    assert "58.2%" in open(csv_path, encoding="utf-8-sig").read()
    assert view.lookup("")[2].startswith("请输入指标名")
    app = build_app(pipeline, job)
    labels = [getattr(b, "label", None) for b in app.blocks.values()]
    assert "指标" in labels and "下载 CSV" in labels


def test_fenbie_gives_each_listed_figure_its_own_measure():
    text = ("2026年某省人民政府工作报告\n2026年2月3日在某省人民代表大会上\n一、2025年工作回顾\n"
            "城镇居民、农村居民人均可支配收入分别增长4.5%、5.7%，规模以上工业增加值增长6%。\n")
    income_town, income_village, industry = _figures(text, "2026年某省人民政府工作报告")
    assert (income_town.measure, income_town.value) == ("城镇居民人均可支配收入", 4.5)
    assert (income_village.measure, income_village.value) == ("农村居民人均可支配收入", 5.7)
    assert industry.measure == "规模以上工业增加值" and industry.role == "rate"


@pytest.mark.parametrize("listed, heads", [
    ("关键工序数控化率、数字化研发设计工具普及率分别达到60.1%和70.2%", ["关键工序数控化率", "数字化研发设计工具普及率"]),
    ("工业、制造业、工业技改投资分别增长8.1%、9.2%、4.3%", ["工业投资", "制造业投资", "工业技改投资"]),
    ("一二三产增加值分别增长3%、5%、6%", ["一产增加值", "二产增加值", "三产增加值"]),
])
def test_fenbie_lists_of_whole_measures_shared_tails_and_numerals(listed, heads):
    text = f"2026年某省人民政府工作报告\n一、2025年工作回顾\n{listed}。\n"
    assert [f.measure for f in _figures(text, "2026年某省人民政府工作报告")] == heads


def test_list_items_take_the_year_and_status_of_the_sentence_introducing_them():
    text = ("2026年某省人民政府工作报告\n2026年2月3日在某省人民代表大会上\n三、重点工作\n"
            "今年经济社会发展的主要预期目标是：地区生产总值增长5%左右；城镇新增就业50万人；粮食产量513万吨以上。\n")
    growth, jobs, grain = _figures(text, "2026年某省人民政府工作报告")
    assert [(f.year, f.status) for f in (jobs, grain)] == [(2026, "target"), (2026, "target")]


def test_a_yearly_average_is_marked_and_a_counted_noun_ends_before_an_adverb():
    text = ("2026年某省人民政府工作报告\n2026年2月3日在某省人民代表大会上\n一、2025年和“十四五”时期工作回顾\n"
            "地区生产总值年均增长4.5%。全年30项民生实事项目如期完成。\n")
    average, items = _figures(text, "2026年某省人民政府工作报告")
    assert average.average and average.role == "rate" and not items.average
    assert items.measure == "民生实事项目" and items.value == 30


def test_a_clause_between_figures_names_the_next_ones_measure_unless_it_lists_places():
    text = ("2026年某省人民政府工作报告\n一、2025年工作回顾\n装备制造业增加值增长18.1%，三次产业结构进一步优化，"
            "调整为8.3∶41.4∶50.3。力争到2025年，青岭市地区生产总值达到900亿元左右，云溪县达到500亿元左右。\n")
    _, structure, first, second = _figures(text, "2026年某省人民政府工作报告")
    assert structure.measure == "三次产业结构" and structure.parts == [8.3, 41.4, 50.3]
    assert second.measure == first.measure == "地区生产总值" and second.value == 500


def test_fenbie_runs_in_two_units_are_each_split_and_a_listed_average_stays_an_average():
    text = ("某县国民经济和社会发展第十四个五年规划\n第一章 发展基础\n“十三五”时期，城镇和农村居民人均可支配收入分别达到"
            "4.1万元和2.2万元，年均增长6.1%和7.2%。\n")
    found = _figures(text, "某县国民经济和社会发展第十四个五年规划")
    assert [(f.measure, f.value, f.average) for f in found] == [
        ("城镇居民人均可支配收入", 4.1, False), ("农村居民人均可支配收入", 2.2, False),
        ("城镇居民人均可支配收入", 6.1, True), ("农村居民人均可支配收入", 7.2, True)]


def test_a_threshold_crossed_is_a_lower_bound_not_the_level():
    text = ("2026年某省人民政府工作报告\n2026年2月3日在某省人民代表大会上\n一、2025年工作回顾\n"
            "经济总量连跨3万亿元、4万亿元两个台阶。全省地区生产总值迈上5万亿元台阶，达到51234亿元。\n")
    found = _figures(text, "2026年某省人民政府工作报告")
    assert [(f.text, f.bound) for f in found] == [("3万亿元", ">="), ("4万亿元", ">="), ("5万亿元", ">="), ("51234亿元", "")]


def test_a_zone_kind_after_a_verb_is_the_documents_own_zone_and_within_it_is_no_measure_word():
    text = ("青岭高新技术产业开发区“十四五”发展规划\n第三章 主要目标\n到2025年，争取高新区内高新技术企业数量达到300家。\n")
    found = _figures(text, "青岭高新技术产业开发区“十四五”发展规划")
    assert [(f.subject, f.measure, f.value) for f in found] == [("青岭高新技术产业开发区", "高新技术企业数量", 300)]


def test_a_plan_reviews_from_the_start_of_the_period_its_to_value_ends():
    text = ("某县国民经济和社会发展第十四个五年规划\n第一章 发展基础\n产业结构持续优化，三次产业比例由12.1:40.2:47.7"
            "调整为2020年的9.8:35.4:54.8。\n")
    before, after = _figures(text, "某县国民经济和社会发展第十四个五年规划")
    assert (before.year, after.year) == (2015, 2020) and before.parts == [12.1, 40.2, 47.7]


def test_a_change_records_the_year_it_is_counted_from():
    text = ("某县国民经济和社会发展第十四个五年规划\n第一章 发展基础\n煤炭消费总量下降到254万吨，较“十二五”末减少75万吨，"
            "空气质量优良天数比2018年增加30天。\n")
    level, change, days = _figures(text, "某县国民经济和社会发展第十四个五年规划")
    assert (level.since, level.value) == (None, 254) and (change.since, change.value, change.role) == (2015, -75, "change")
    assert days.since == 2018
