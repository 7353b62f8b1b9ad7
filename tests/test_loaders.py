import pytest

from rag.errors import InputError
from rag.loaders import decode_bytes, extract_title, iter_documents, load_document

TEXT = "关于印发高密市发展规划的通知\n第一章 总则\n全市地区生产总值达510.3 亿元。\n"


def test_utf8_gbk_gb18030_and_bom_all_decode(tmp_path):
    for encoding in ("utf-8", "gbk", "gb18030", "utf-8-sig"):
        path = tmp_path / f"doc_{encoding}.txt"
        path.write_bytes(TEXT.encode(encoding))
        doc = load_document(path, tmp_path)
        assert "510.3亿元" in doc.text, encoding
        assert doc.title == "高密市发展规划"
    assert load_document(tmp_path / "doc_gbk.txt", tmp_path).encoding == "gb18030"
    assert load_document(tmp_path / "doc_utf-8-sig.txt", tmp_path).encoding == "utf-8-sig"


def test_empty_whitespace_and_binary_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="空"):
        decode_bytes(b"", "a.txt")
    with pytest.raises(InputError, match="空"):
        decode_bytes(b"  \n\t ", "a.txt")
    with pytest.raises(InputError, match="二进制"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "a.txt")


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("规划" * 1000, encoding="utf-8")
    with pytest.raises(InputError, match="超过上限"):
        load_document(path, tmp_path, max_bytes=100)


def test_doc_id_is_stable_relative_path(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "plan.md"
    path.write_text(TEXT, encoding="utf-8")
    assert load_document(path, tmp_path).doc_id == "sub/plan"


def test_bad_file_does_not_stop_the_others(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.pdf").write_bytes(b"%PDF")  # a supported suffix, but cut off: refused, the rest goes on
    (tmp_path / "d.xlsx").write_bytes(b"PK")  # not a supported suffix: ignored
    results = list(iter_documents(tmp_path))
    assert [type(r).__name__ for r in results] == ["Document", "InputError", "InputError"]
    assert "损坏或不完整" in str(results[2])


def test_titles_of_seed_documents():
    from tests.conftest import SEEDS

    titles = {d.doc_id: d.title for d in iter_documents(SEEDS)}
    assert titles["001_a38547990da41cd7"] == "平度市国民经济和社会发展第十四个五年规划和2035年远景目标纲要"
    assert titles["004_78ad54bd58fc9a9e"] == "潍坊市县域经济高质量发展实施方案(2024-2025年)"
    assert "高密市" in titles["000_c07c619b55a4981f"]


def test_title_skips_issuer_and_number_lines():
    assert extract_title("平度市人民政府文件\n平政发〔2021〕12号\n关于印发《某规划》的通知\n", "x") == "某规划"


def test_genre_only_title_takes_its_occasion():
    """Every province's report may be titled '政府工作报告': the subtitle saying where it was given joins the
    title, so two reports' citations can be told apart; a title naming the place stays as it is."""
    report = "政府工作报告\n（2027年1月20日在青海省第十五届人民代表大会第一次会议上）\n各位代表：\n"
    assert extract_title(report, "x") == "政府工作报告（2027年1月20日在青海省第十五届人民代表大会第一次会议上）"
    dashed = "2027年政府工作报告\n——2027年2月1日在吉林省人民代表大会上\n"
    assert extract_title(dashed, "x").endswith("（2027年2月1日在吉林省人民代表大会上）")
    named = "2027年吉林省政府工作报告\n——2027年2月1日在吉林省人民代表大会上\n"
    assert extract_title(named, "x") == "2027年吉林省政府工作报告"
    assert extract_title("某县发展规划\n——面向未来的十年\n", "x") == "某县发展规划"  # no place in the subtitle
