"""Can the documents answer this question at all? Checked before the model is asked, with a reason a
person can read: a place the corpus never names, a year its documents give nothing for, a measured thing
or a named programme they never mention. Each check looks at the documents of the places asked about (the
whole corpus when none is named) and at the retrieved passages, so a paraphrase that the documents do
support is not refused."""

from __future__ import annotations

import re
from dataclasses import dataclass

import jieba

from rag.grounding.profile import ADMIN_NAME, CorpusProfile, squash, years_in
from rag.grounding.question import GLOSSARY, QuestionFrame
from rag.types import Passage

_GENERIC_NAME = re.compile(r"^(?:十[一二三四五六七八九]五|[\d+、，,]+)$")


@dataclass
class Verdict:
    answerable: bool
    reason: str = ""  # Chinese, for the user: why the documents cannot answer


def _scope(frame: QuestionFrame, profile: CorpusProfile) -> tuple[list[str], str]:
    """The documents a question is about, and how to name them in a message."""
    doc_ids = [d for place in frame.places for d in profile.docs_of(place)]
    if doc_ids:
        return doc_ids, "、".join(frame.places) + "的文档"
    return list(profile.docs), "文档"


def near(words: list[str], text: str, window: int = 14) -> bool:
    """All words occur within `window` characters of an occurrence of the rarest one."""
    words = [w for w in words if w]
    if not words or not all(w in text for w in words):
        return False
    anchor = min(words, key=text.count)
    for m in re.finditer(re.escape(anchor), text):
        span = text[max(0, m.start() - window): m.end() + window]
        if all(w in span for w in words):
            return True
    return False


def mentioned(term: str, text: str) -> bool:
    """Verbatim, as an abbreviation (its characters in order, a few apart), or its words side by side."""
    term = squash(term)
    standard = term
    for short, full in GLOSSARY.items():
        standard = standard.replace(short, full)
    return any(_found(t, text) for t in dict.fromkeys([term, standard]))


def _found(term: str, text: str) -> bool:
    if term in text:
        return True
    if 3 <= len(term) <= 8 and re.search(".{0,4}?".join(map(re.escape, term)), text):
        return True
    return near([w for w in jieba.lcut(term) if len(w) >= 2] or [term], text, window=max(14, len(term) + 6))


def _place_covered(frame: QuestionFrame, profile: CorpusProfile, passages: list[Passage]) -> Verdict:
    """A place the corpus never names is refused — when the corpus says which places it covers (documents
    whose titles name none, e.g. news passages, cannot tell a covered place from another)."""
    if not profile.places:
        return Verdict(True)
    covered = "、".join(profile.places)
    if frame.unknown:
        return Verdict(False, f"文档中没有关于{'、'.join(frame.unknown)}的内容；现有文档涉及：{covered}。")
    pool = squash("\n".join(p.chunk.text for p in passages))
    for place in frame.mentioned:  # 青岛市 above 胶州市 is partly covered
        if ADMIN_NAME.fullmatch(place) and place not in frame.above and not frame.places and place not in pool:
            return Verdict(False, f"文档没有专门介绍{place}的内容（现有文档涉及：{covered}），检索到的资料也未提及它。")
    return Verdict(True)


def _years_covered(frame: QuestionFrame, profile: CorpusProfile, passages: list[Passage]) -> Verdict:
    doc_ids, where = _scope(frame, profile)
    known = profile.years_of(doc_ids) | years_in("\n".join(p.chunk.text for p in passages))
    missing = [y for y in frame.years if y not in known]
    if missing:
        given = "、".join(str(y) for y in sorted(known) if y >= 2000)
        said = f"文档给出的年份有：{given}年。" if given else "文档没有写明任何年份。"
        return Verdict(False, f"{where}中没有{'、'.join(map(str, missing))}年的数据；{said}")
    return Verdict(True)


def _terms_covered(frame: QuestionFrame, profile: CorpusProfile) -> Verdict:
    doc_ids, where = _scope(frame, profile)
    text = profile.text_of(doc_ids)
    for term in frame.metric_terms:
        if not mentioned(term, text):
            return Verdict(False, f"{where}中没有提到“{term}”。")
    for name in frame.quoted:
        if not _GENERIC_NAME.match(name) and not mentioned(name, profile.text):
            return Verdict(False, f"文档中没有找到“{name}”。")
    return Verdict(True)


_NOUN = {"n", "nz", "j", "eng", "nt", "nw"}  # not vn: '重点优化', '政务服务改革' name actions
_GENERIC = {"规模", "数量", "情况", "水平", "目标", "问题", "方面", "工作", "内容", "规划", "方案", "文件", "文档", "资料",
            "政策", "措施", "现在", "时候", "地方", "东西", "全国", "全省", "全市", "全区", "地区", "哪个"}


_ASKS = {"多少", "几", "多大", "几个", "多少钱"}
_BEFORE_ASK = {"是", "有", "为", "规模", "数量", "总量", "总数", "达到", "要"}


def _run(tokens: list[tuple[str, str]], skip: set[str]) -> str:
    words = [w for w, _ in tokens]
    return "".join(words) if len(words) >= 2 and all(len(w) >= 2 and w not in skip for w in words) else ""


def asked_names(frame: QuestionFrame, tokens: list[tuple[str, str]]) -> list[str]:
    """The compound name a number question asks about: the nouns right after '多少' ('多少研发人员') or right
    before '（的）规模/是多少/有多大' ('智能家电产业基金规模有多大')."""
    skip = set(frame.places) | set(frame.mentioned) | set(frame.unknown) | _GENERIC
    names = []
    tokens = [("多大" if w == "多" and i + 1 < len(tokens) and tokens[i + 1][0] == "大" else w, t)
              for i, (w, t) in enumerate(tokens)]
    for i, (word, _) in enumerate(tokens):
        if word not in _ASKS:
            continue
        after = tokens[i + 1:]
        after = after[1:] if after and after[0][1] in ("q", "m") else after
        following = next((j for j, (_, t) in enumerate(after) if t not in _NOUN), len(after))
        j = i
        while j > 0 and tokens[j - 1][0] in _BEFORE_ASK | {"的"}:
            j -= 1
        preceding = j
        while preceding > 0 and tokens[preceding - 1][1] in _NOUN:
            preceding -= 1
        names += [n for n in (_run(after[:following], skip), _run(tokens[preceding:j], skip)) if n]
    return list(dict.fromkeys(names))


def _names_covered(frame: QuestionFrame, profile: CorpusProfile, tokens: list[tuple[str, str]]) -> Verdict:
    """The compound name a number question asks about, whose every word the place's documents use but
    never together: the thing itself is not in them (everyday words the documents do not use are not
    judged: '老楼院子' may well be their 老旧小区)."""
    doc_ids, where = _scope(frame, profile)
    text = profile.text_of(doc_ids)
    for run in asked_names(frame, tokens):
        words = [w for w, _ in tokens if w in run]
        if all(w in text for w in words) and not mentioned(run, text):
            return Verdict(False, f"{where}中没有提到“{run}”。")
    return Verdict(True)


def check_answerable(frame: QuestionFrame, profile: CorpusProfile, passages: list[Passage],
                     tokens: list[tuple[str, str]] = ()) -> Verdict:
    """The first failing check's verdict, or answerable; `tokens`: the question's words with their parts
    of speech (no compound-name check without them)."""
    for check in (lambda: _place_covered(frame, profile, passages), lambda: _years_covered(frame, profile, passages),
                  lambda: _terms_covered(frame, profile), lambda: _names_covered(frame, profile, tokens)):
        verdict = check()
        if not verdict.answerable:
            return verdict
    return Verdict(True)
