"""Can the documents answer this question at all? Checked before the model is asked, with a reason a
person can read: a place the corpus never names, a year its documents give nothing for, a measured thing
or a named programme they never mention. Each check looks at the documents of the places asked about (the
whole corpus when none is named) and at the retrieved passages, so a paraphrase that the documents do
support is not refused."""

from __future__ import annotations

import re
from dataclasses import dataclass

import jieba

from rag.grounding.evidence import Evidence
from rag.grounding.profile import CorpusProfile, named_years, squash, years_in
from rag.grounding.question import GLOSSARY, QuestionFrame, asks_figure
from rag.grounding.sectors import shares_stated
from rag.types import Passage
from rag.vocabulary import ADMIN_NAME, PLAN_WORD, RATE_SUFFIXES

_GENERIC_NAME = re.compile(r"^(?:" + PLAN_WORD + r"|[\d+、，,]+)$")


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
    at = text.find(anchor)
    while at >= 0:
        if all(w in text[max(0, at - window): at + len(anchor) + window] for w in words):
            return True
        at = text.find(anchor, at + len(anchor))
    return False


def mentioned(term: str, text: str) -> bool:
    """Verbatim, as an abbreviation (its characters in order, a few apart), or its words side by side."""
    term = squash(term)
    standard = term
    for short, full in GLOSSARY.items():
        standard = standard.replace(short, full)
    if any(_found(t, text) for t in dict.fromkeys([term, standard])):
        return True
    if shares_stated(standard, text):  # '服务业占比' read from '三次产业比例为9.5:32.6:57.9'
        return True
    rate = next((w for w in _RATE_NAMES if standard.endswith(w)), "")  # '地区生产总值增长率' said as '地区生产总值…同比增长4.5%'
    stem = standard[: len(standard) - len(rate)]
    if not rate or not 2 <= len(stem) <= 12:
        return False
    stems = {stem} | ({"生产总值", "经济"} if stem.endswith("生产总值") else set())  # the economy's
    return any(near([stem, verb], text) for stem in stems for verb in ("增长", "上升", "增速"))


_RATE_NAMES = ("增长速度", "增长率", "增速", "增幅")  # what names a measure's rate of change, longest first


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


def _years_covered(frame: QuestionFrame, profile: CorpusProfile, passages: list[Passage],
                   evidence: Evidence | None) -> Verdict:
    """The years asked are written in the documents, in the passages, or are the years of their figures
    ('从40%提高到60%' under a 十四五 review heading is the figure of 2020)."""
    doc_ids, where = _scope(frame, profile)
    pool = "\n".join(p.chunk.text for p in passages)
    known = profile.years_of(doc_ids) | years_in(pool) | named_years(pool)
    known |= evidence.years(doc_ids) if evidence is not None else set()
    missing = [y for y in frame.years if y not in known]
    if missing:
        given = "、".join(str(y) for y in sorted(known) if y >= 2000)
        said = f"文档给出的年份有：{given}年。" if given else "文档没有写明任何年份。"
        return Verdict(False, f"{where}中没有{'、'.join(map(str, missing))}年的数据；{said}")
    return Verdict(True)


def _absent(term: str, doc_ids: list[str], where: str, evidence: Evidence) -> Verdict:
    """A term the documents do not name in its words is refused only when nothing they state or head a
    section with means it either; the refusal says what comes closest."""
    if evidence.has(term, doc_ids):
        return Verdict(True)
    near_by = evidence.nearest(term, doc_ids)
    have = f"文档中相近的指标有：{'、'.join(near_by)}。" if near_by else ""
    return Verdict(False, f"{where}中没有提到“{term}”。{have}")


def _terms_covered(frame: QuestionFrame, profile: CorpusProfile, evidence: Evidence) -> Verdict:
    doc_ids, where = _scope(frame, profile)
    text = profile.text_of(doc_ids)
    for term in frame.metric_terms:
        if term in RATE_SUFFIXES:
            continue  # '增速' alone is how a measure changed, asked of the measure the question names
        if not mentioned(term, text) and not (verdict := _absent(term, doc_ids, where, evidence)).answerable:
            return verdict
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
    before '（的）规模/是多少/有多大' ('文旅产业基金规模有多大')."""
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


_WHO_WHAT = {"谁", "什么", "哪些", "哪个", "哪位", "哪部", "哪家", "哪支", "哪国", "哪里"}
_LINKS = {"是", "有", "为", "包括", "的", "都", "还"}
_MEASURED = "量数额率值号"
_THING = {"n", "nz", "j", "nt", "nw"}  # a role or a thing; not a person's or a place's name
# what kind of answer is wanted, not a relation the passages must name: '开幕时间', '研发国家', '哪个城市'
_ANSWER_KINDS = {"时间", "日期", "地点", "地方", "地址", "类型", "名字", "名称", "结果", "成绩", "内容", "原因", "用途",
                 "意义", "特点", "作用", "路线", "路径", "国家", "城市", "地区", "公司", "企业", "单位", "机构", "部门", "电影", "电视剧",
                 "球队", "队伍", "人", "人物", "人员", "项目", "措施", "举措", "产业", "领域", "方向", "重点", "任务"}


def _head_before(tokens: list[tuple[str, str]], end: int) -> int:
    """Index of the noun that ends right before `end`, past linking words ('主演有哪些', '导演是谁'); -1 if none."""
    i = end - 1
    while i >= 0 and tokens[i][0] in _LINKS:
        i -= 1
    return i if i >= 0 and _thing(tokens, i) else -1


def _thing(tokens: list[tuple[str, str]], i: int) -> bool:
    """A noun, or a word after 的 used as one ('季节的导演是谁': 导演 tagged as a verb)."""
    return tokens[i][1] in _THING or tokens[i][1] == "v" and i > 0 and tokens[i - 1][0] == "的"


def _described(tokens: list[tuple[str, str]], at: int) -> bool:
    """The noun is described by a clause with a verb before its 的 ('获得过世界杯跳水金牌的莱西籍选手'): it
    names a kind, the clause the thing. Verbs inside a title (《好好说话》) do not count."""
    ends = [i for i in range(at) if tokens[i][0] == "的"]
    if not ends:
        return False
    starts = [i for i in range(ends[-1]) if tokens[i][0] in ("的", "，", ",")]
    titled = 0
    for word, flag in tokens[starts[-1] + 1 if starts else 0: ends[-1]]:
        titled += word in ("《", "“")
        titled -= word in ("》", "”")
        if not titled and flag.startswith("v") and flag != "vn":
            return True
    return False


def asked_head(tokens: list[tuple[str, str]]) -> str:
    """The role or thing a who/what question asks for: '《心居》的主演有哪些' -> 主演, '谁是…代表团旗手' -> 旗手,
    and a question that is only a noun phrase: '2021赛季中超冠军' -> 冠军. '' for number questions (their
    measure has its own checks) and for words that only say what kind of answer is wanted ('时间')."""
    tokens = [(w, f) for w, f in tokens if any(not c.isspace() and c not in "？?！!。，," for c in w)]
    words = [w for w, _ in tokens]
    if not tokens or asks_figure("".join(words)):
        return ""
    asks = [i for i, w in enumerate(words) if w in _WHO_WHAT]
    if asks and asks[0] <= 1 and words[0] in _WHO_WHAT | {"是"}:  # '谁是…的旗手'
        at = _head_before(tokens, len(tokens)) if len(tokens) - 1 > asks[0] else -1
    elif asks:
        at = _head_before(tokens, asks[0])
    else:
        at = len(tokens) - 1 if _thing(tokens, len(tokens) - 1) else -1
    if at < 0:
        return ""
    head = tokens[at][0]
    if _described(tokens, at):  # '获得过世界杯跳水金牌的莱西籍选手': who is said by what they did
        return ""
    if head[-1] in _MEASURED or head[-1] == "地" or not jieba.dt.FREQ.get(head):
        return ""  # a measure ('保有量', '航班号'), a kind of place ('举办地'), a tokenizer's guess ('张颂|文演')
    if at and tokens[at - 1][0] in "》”」" and head[0] in "中里内上":  # '在《相逢时节》中演的谁': 中 is 'in'
        head = head[1:]
    return head if len(head) >= 2 and head not in _ANSWER_KINDS | _GENERIC else ""


def _head_covered(frame: QuestionFrame, profile: CorpusProfile, passages: list[Passage],
                  tokens: list[tuple[str, str]]) -> Verdict:
    """The role or thing a who/what question asks for, which neither the documents nor the passages
    mention: any answer would be about something else ('导演' answered with an actor of the film)."""
    head = asked_head(list(tokens))
    if not head or head in frame.places or head in frame.mentioned:
        return Verdict(True)
    doc_ids, where = _scope(frame, profile)
    text = profile.text_of(doc_ids) + "\n" + squash("\n".join(p.chunk.text for p in passages))
    parts = [w for w in jieba.cut_for_search(head) if len(w) >= 2 and w != head] if len(head) >= 4 else []
    if any(mentioned(w, text) for w in [head, *parts]):  # '金牌得主': the passages' 金牌 is enough
        return Verdict(True)
    return Verdict(False, f"{where}中没有提到“{head}”。")


def _names_covered(frame: QuestionFrame, profile: CorpusProfile, tokens: list[tuple[str, str]],
                   evidence: Evidence) -> Verdict:
    """The compound name a number question asks about, whose every word the place's documents use but
    never together: the thing itself is not in them (everyday words the documents do not use are not
    judged: '老楼院子' may well be their 老旧小区)."""
    doc_ids, where = _scope(frame, profile)
    text = profile.text_of(doc_ids)
    for run in asked_names(frame, tokens):
        if any(run in term for term in frame.metric_terms):  # the tail of a measure judged whole ('…占GDP比重')
            continue
        words = [w for w, _ in tokens if w in run]
        if all(w in text for w in words) and not mentioned(run, text) \
                and not (verdict := _absent(run, doc_ids, where, evidence)).answerable:
            return verdict
    return Verdict(True)


def check_answerable(frame: QuestionFrame, profile: CorpusProfile, passages: list[Passage],
                     tokens: list[tuple[str, str]] = (), evidence: Evidence | None = None) -> Verdict:
    """The first failing check's verdict, or answerable; `tokens`: the question's words with their parts
    of speech (no compound-name check without them); `evidence`: the figure and section indexes, whose
    measures and headings keep a term worded otherwise from being refused."""
    evidence = evidence or Evidence()
    for check in (lambda: _place_covered(frame, profile, passages), lambda: _years_covered(frame, profile, passages, evidence),
                  lambda: _terms_covered(frame, profile, evidence),
                  lambda: _names_covered(frame, profile, tokens, evidence),
                  lambda: _head_covered(frame, profile, passages, tokens)):
        verdict = check()
        if not verdict.answerable:
            return verdict
    return Verdict(True)
