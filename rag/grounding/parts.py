"""A question that asks two or more things at once, split into one question per thing: 「A和B分别是多少」,
「X的发布时间和处理器」, 「芯片是什么，起售价多少」. A 1.5B model asked both at once answers one side, or
gives the first side's value for both; asked one part at a time it reads the passages for that part only.

Read from the wording alone (jieba tokens), never from lists of names: the two conjuncts must be parallel
— they end alike (男单/女单, 2022年/2023年, 冬奥会/冬残奥会), start alike (哪些园区/哪些平台), or one of them
carries the shared measure that follows (考研和高考报名人数) — and what follows them is said of both.
Not split: a name with 和 inside (中华人民共和国, 科技和信息化局, 住房和城乡建设局), a counted pair
(多少个国家和地区), comparisons and calculations (相比, 相差, 之和)."""

from __future__ import annotations

import os
import re

import jieba
import jieba.posseg as pseg

from rag.grounding.binding import NUMBER, unnamed
from rag.prompting import REFUSAL
from rag.types import Answer
from rag.vocabulary import AMOUNT_ASKED, PLAN_WORD, alternation, concepts_of

MAX_PARTS = 4
_CONJ_ORDER = ("、", "和", "以及", "及", "与")  # 与 last: it often sits inside a title (速度与激情)
_LIST_GLUE = {"、", "和", "及", "以及", "与"}
_PUNCT = set("，,。；;？?！!：:（）()《》“”\"「」 ")
# what ends a conjunct on its left: structure words, verbs of asking, modal verbs
_LEFT_STOP = {"的", "之", "是", "了", "在", "对", "给", "有", "为", "要", "将", "会", "从", "由", "把", "让", "被",
              "谁", "什么", "多少", "当选", "参加", "举办", "获得", "中", "末", "底", "初", "期间", "以来", "其中", "关于"}
# what ends a conjunct on its right: what is said of both begins
_STRONG_STOP = {"的", "之", "分别", "各", "各自", "是", "谁", "什么", "哪", "哪些", "哪个", "哪里", "哪部", "多少", "几",
                "何时", "怎么", "如何", "吗", "呢", "对", "向", "于", "关于", "比", "从", "在"}
_RIGHT_STOP = _STRONG_STOP | {"有", "为", "了", "中", "将", "要", "会", "获得", "推出", "等"}
_QUOTES = set("“”《》「」\"")
# ... and one indicator's base and target ('基期值和“十四五”目标'): one table row, answered together
_NOT_PARTS = re.compile(r"相比|比较|对比|相差|差距|差多少|之和|总和|合计|一共|共计|加起来|之间|关系|区别|异同|不同|联系|基期|现状值|"
                        r"哪个更|谁更|更[高大多快低少小好]|几倍|多少倍|倍数|最[高大多少低长快强好]|比一比|"
                        r"哪(?:个|边|家|里|方|一个)[^？?，,]{0,3}[高大多少低长快强好]|对方|彼此|相互|互相|共同|一起")
# a measured or asked-about thing the conjuncts can share: 人数, 时间, 价格, 冠军 …
ATTRIBUTES = ("率", "值", "额", "量", "数", "价", "价格", "收入", "支出", "投入", "投资", "人次", "时间", "日期", "时候", "地点", "地址",
              "名单", "成绩", "规模", "面积", "比重", "占比", "比例", "指数", "票房", "营收", "利润", "销量", "产量", "冠军", "得主",
              "主演", "导演", "编剧", "作者", "市长", "书记", "主任", "目标", "任务", "措施", "政策", "标准", "要求")
# the head of an organisation's name: 「科技和信息化局」 is one bureau, not 科技 and 信息化局
_INSTITUTIONS = ("局", "委", "厅", "办", "署", "部", "院", "所", "中心", "公司", "集团", "协会", "学会", "大学", "学院", "银行",
                 "医院", "委员会")
_COUNTERS = tuple("个名项家种位所类批座条")
ASKING_WORDS = ("谁", "什么", "哪", "多少", "几", "何时", "怎么", "怎样", "如何", "吗", "是否")
_NOT_JOINT = {"以上", "以下", "其他", "其它", "时"}  # 省级及以上, 及时: not a joint
_DATED = re.compile(r"^(?:\d{4}年|“?" + PLAN_WORD + r"”?[末初])")  # '2025年目标是多少', '“十四五”末要达到多少'
_BACK_REFERENCES = ("该", "这", "那", "此", "上述")
_TOTALS = ("总数", "总量", "总计", "合计")


def split_parts(question: str) -> list[str]:
    """The question's parts in order, each a whole question; [] when it asks one thing."""
    question = question.strip()
    if not question or _NOT_PARTS.search(question):
        return []
    parts = []
    for clause in _clauses(question) or [question]:
        parts += _split_conjunction(clause, depth=2) or [clause]
    return parts[:MAX_PARTS] if len(parts) >= 2 else []


def _clauses(question: str) -> list[str]:
    """Two questions in one (「芯片是什么，起售价多少」): each piece that asks something, a later one that
    leaves out what it is about given the first one's topic. Not split when a later piece points back
    (该项目…: it builds on the first answer) or the topic is not clear."""
    pieces = [p.strip() for p in re.split(r"(?<=[？?，,；;])", question) if p.strip()]
    if len(pieces) < 2 or not all(asks(p) for p in pieces):
        return []
    out = [pieces[0].rstrip("，,；; ")]
    for piece in pieces[1:]:
        piece = piece.removeprefix("其中").rstrip("，,；; ")
        dated = bool(_DATED.match(piece))
        topic = _topic(pieces[0], dated)
        if piece.startswith(_BACK_REFERENCES) or (_opens_with_pronoun(piece) and not topic.startswith("《")):
            return []
        if (len(piece.rstrip("？?")) <= 8 or dated or piece.startswith(ASKING_WORDS)) and (not topic or topic not in piece):
            if not topic:
                return []
            owner = topic.startswith("《") or pieces[0].startswith(topic + "的")  # '《心居》的导演', not '邓伦的被罚'
            piece = topic + piece[1:] if _opens_with_pronoun(piece) else \
                topic + ("的" if owner and not (dated or piece.startswith(ASKING_WORDS)) else "") + piece
        out.append(piece)
    return out


def _opens_with_pronoun(piece: str) -> bool:
    """The piece opens with a pronoun standing for the first one's topic (它, 其; not 其中, 其他, 其余, 其次)."""
    return piece.startswith("它") or (piece.startswith("其") and not piece.startswith(("其中", "其他", "其余", "其次")))


def asks(text: str) -> bool:
    """The text holds a question word: it asks something."""
    return any(w in text for w in ASKING_WORDS)


def _topic(piece: str, dated: bool) -> str:
    """What the first question is about: a quoted title; what comes before its first 的; for a later
    piece that gives only a year ('2025年目标是多少'), all before the first's year or question word;
    else its first word when that is a name (邓伦, 环翠区)."""
    title = re.match(r"^[^《]{0,6}(《[^》]+》)", piece)
    if title:
        return title.group(1)
    if dated:
        return re.split(r"\d{4}年?|“?" + PLAN_WORD + r"|" + alternation(ASKING_WORDS) + "|是", piece)[0]
    head = piece[: piece.index("的", 1)] if "的" in piece[1:] else ""
    if head:
        return head if len(head) <= 12 and not asks(head) else ""
    words = pseg.lcut(piece)
    if not words or words[0].flag not in ("nr", "ns", "nt", "nz"):
        return ""
    name = words[0].word
    for w in words[1:]:
        if not w.flag.startswith("n"):
            break
        name += w.word  # '淄博' + '高新区'
    return name


def _split_conjunction(text: str, depth: int) -> list[str]:
    """text split at its best-supported coordination (A和B, A、B和C), each part split again up to `depth`."""
    tokens = jieba.lcut(text)
    for conj in _CONJ_ORDER:
        if conj == "与" and (depth < 2 or any(t in tokens for t in _CONJ_ORDER[:-1]) or ("分别" not in text and "各" not in text)):
            continue  # 与 sits inside names and titles (速度与激情, 生态与环境局) unless it is the only joint
        for at in [i for i, t in enumerate(tokens) if t == conj and "".join(tokens[i + 1:i + 2]) not in _NOT_JOINT]:
            parts = _split_at(tokens, at)
            if parts:
                if depth <= 1:
                    return parts
                return [q for p in parts for q in (_split_conjunction(p, depth - 1) or [p])]
    return []


def _split_at(tokens: list[str], at: int) -> list[str]:
    """The parts when tokens[at] joins parallel conjuncts and what follows them is said of all; else []."""
    if _inside_title(tokens, at):
        return []
    left = _left_window(tokens, at)
    items, end, strong = _right_items(tokens, at)
    if left >= at or not items[-1]:
        return []
    a, b = "".join(tokens[left:at]), "".join(items[-1])
    first, last = _conjuncts(tokens[left:at], items[-1], strong)
    prefix = "".join(tokens[:left]) + a[: len(a) - len(first)]
    if (len(b) > 2 and b.endswith(_INSTITUTIONS) and not a.endswith(_INSTITUTIONS)) or \
            (prefix + first)[-len(first) - 1:][:2].endswith(_COUNTERS):
        return []  # one name (科技和信息化局), or a counted pair (多少个国家和地区)
    if concepts_of(first) and concepts_of(first) == concepts_of(last):
        return []  # two words for one kind of section (困难和问题): one list is asked
    shared = b[len(last):] + "".join(tokens[end:])
    shared = re.sub(r"分别|各自|各(?=" + alternation(AMOUNT_ASKED) + "|是|为|有)", "", shared)
    new_sentence = shared.startswith(tuple("，,；;？?")) and shared[1:].strip()
    if shared.startswith(("了", "着", "过")) or new_sentence or any(w in shared + b for w in _TOTALS):
        return []  # verbs joined (新建、改扩建了多少座), a new sentence follows, or the total of both is asked
    if not shared.strip("？?。 ") and not prefix.strip():
        return []  # nothing said of them: 「A和B」 alone is one thing
    middle = ["".join(item) for item in items[:-1]]
    return [f"{prefix}{c}{shared}".removeprefix("分别").replace("各自", "") for c in [first, *middle, last]]


def _conjuncts(a: list[str], b: list[str], strong: bool) -> tuple[str, str]:
    """(first conjunct, last conjunct): the end of the left window and the start of the right one that
    are parallel. Cues, strongest first: they end alike, they start alike, one carries the measure."""
    for j in range(len(b), 0, -1):  # '女子'/'男子单人滑…', '2022年'/'2023年春运…', '冬奥会'/'冬残奥会'
        head = "".join(b[:j])
        if _same_end(a[-1], head):
            return _closest(_suffixes(a, numeric=head.isdigit(), whole_if_short=False), [head], shortest=True)
    if b[0] in a[:-1] or (len(a) == 1 and b[0] == a[0]):  # '哪些园区'/'哪些平台'
        start = max(i for i, t in enumerate(a) if t == b[0])
        return "".join(a[start:]), "".join(b)
    a_measured, b_measured = "".join(a).endswith(ATTRIBUTES), "".join(b).endswith(ATTRIBUTES)
    if b_measured and not a_measured and len(b) > 1:  # '考研'/'高考报名人数': the measure is shared
        return _closest(_suffixes(a), _prefixes(b[:-1]), shortest=True)
    if a_measured and b_measured:
        if len(b) == 1 and len(a) > 1 and a[-1].endswith(ATTRIBUTES):  # '国葬时间'/'地点'
            return a[-1], b[0]
        return "".join(a), "".join(b)  # '研发投入'/'高新技术企业数'
    return _closest(_suffixes(a), ["".join(b)] if strong else _prefixes(b))  # '莱西市、…和青岛高新区的'


def _same_end(x: str, y: str) -> bool:
    return x[-1] == y[-1] or (x[-1].isdigit() and y.isdigit())


def _suffixes(a: list[str], numeric: bool = False, whole_if_short: bool = True) -> list[str]:
    """The left conjunct's candidates: a short window whole, else each run of its last words; a number
    when the other conjunct is one ('EMNLP2022' -> '2022')."""
    whole = "".join(a)
    if numeric:
        digits = re.search(r"\d+$", whole)
        return [digits.group()] if digits else [whole]
    return [whole] if whole_if_short and len(whole) <= 4 else ["".join(a[i:]) for i in range(len(a))]


def _prefixes(b: list[str]) -> list[str]:
    return ["".join(b[:j]) for j in range(1, len(b) + 1)]


def _closest(lefts: list[str], rights: list[str], shortest: bool = False) -> tuple[str, str]:
    """The pair closest in length (parallel conjuncts are); on a tie the longest, or the shortest when
    what follows is a shared measure ('澳大利亚'/'新西兰' before 运动员数量)."""
    sign = 1 if shortest else -1
    return min(((x, y) for x in lefts for y in rights), key=lambda p: (abs(len(p[0]) - len(p[1])), sign * (len(p[0]) + len(p[1]))))


def _inside_title(tokens: list[str], at: int) -> bool:
    before = "".join(tokens[:at])
    return before.count("《") > before.count("》") or before.count("“") > before.count("”")


def _left_window(tokens: list[str], at: int) -> int:
    """Where the first conjunct can start: after the nearest stop word, punctuation or year ('2022年考研');
    a year right before the conjunction is the conjunct itself ('2021年和2022年')."""
    if at >= 2 and tokens[at - 1] == "年" and tokens[at - 2].isdigit():
        return at - 2
    i = at
    while i > 0:
        t = tokens[i - 1]
        if t in _LEFT_STOP or t in _LIST_GLUE or t == "年" or all(c in _PUNCT for c in t):
            break
        i -= 1
    return i


def _right_items(tokens: list[str], at: int) -> tuple[list[list[str]], int, bool]:
    """The conjuncts after tokens[at] (several when joined by 、/和), the index after the last one, and
    whether a strong stop (的, 分别, a question word, the end) closes it."""
    items, current, i = [], [], at + 1
    while i < len(tokens):
        t = tokens[i]
        year = t.isdigit() and "".join(tokens[i + 1:i + 2]) == "年"  # '北京2021年的GDP': the year is shared
        if t in _LIST_GLUE and current:
            items.append(current)
            current = []
        elif (current and (t in _RIGHT_STOP or year or t.startswith(("各", "分别")))) or \
                (t not in _QUOTES and all(c in _PUNCT for c in t)):
            return items + [current], i, t in _STRONG_STOP or t.startswith(("各", "分别")) or all(c in _PUNCT for c in t)
        else:
            current.append(t)
        i += 1
    return items + [current], i, True


def _shared(parts: list[str]) -> set[str]:
    return set.intersection(*(set(NUMBER.findall(p)) for p in parts))


def check_shared(answer: Answer, parts: list[str]) -> Answer:
    """The joined answer withheld when none of the passages it cites names a number every part names
    (the year of 「2025年A和B」): then it rests on passages about another year or event."""
    missing = unnamed("、".join(sorted(_shared(parts))), answer)
    if missing and not answer.refused:
        answer.withheld, answer.refused, answer.claims = answer.text, True, []
        answer.reason = f"所引资料没有提到问题中的“{'、'.join(missing)}”，回答说的可能是别的年份或事件。"
        answer.text = f"{REFUSAL}。{answer.reason}"
    return answer


def distinct(part: str, parts: list[str]) -> str:
    """The part without the numbers every part names ('2022年' in 2022年考研/2022年高考): what a part's own
    citations must name is what sets it apart; the shared ones are the whole answer's to name."""
    shared = _shared(parts)
    return NUMBER.sub(lambda m: "" if m.group() in shared else m.group(), part)


def join_parts(answer: Answer, results: list[Answer]) -> Answer:
    """The parts' answers as one: each answered part's text, each unanswered part quoted with the
    refusal (why goes to answer.reason); the same passages throughout, so every part's [n] already
    points at the right one. Refused only when every part is."""
    lines, reasons = [], []
    for sub, label in zip(results, _labels([sub.question for sub in results])):
        asked = sub.question.rstrip("？?。 ")
        if sub.refused:
            lines.append(f"“{asked}”：{REFUSAL}。")
            reasons.append(f"“{asked}”：{sub.reason or '资料中没有找到'}")
        else:  # '法兰克福[2]。' alone does not say which part it answers
            lines.append(sub.text if not label or label in sub.text else f"{label}：{sub.text}")
    answer.passages = max((sub.passages for sub in results), key=len, default=answer.passages)
    answer.sub_questions = [sub.question for sub in results]
    answer.reason = "；".join(reasons)
    answer.refused = all(sub.refused for sub in results)
    answer.text = f"{REFUSAL}。{answer.reason}" if answer.refused else "\n".join(lines)
    return answer


def _labels(questions: list[str]) -> list[str]:
    """What tells the parts apart: each part without the words all parts share at its start and end."""
    if len(questions) < 2:
        return [""] * len(questions)
    words = [jieba.lcut(q) for q in questions]
    head = len(os.path.commonprefix(words))
    tail = len(os.path.commonprefix([w[::-1] for w in words]))
    asked = re.compile(r"^(?:的|是)|(?:是|为|有)?(?:什么|多少|谁|哪些|几)[^，,]*$")
    return [asked.sub("", "".join(w[head:len(w) - tail])) for w in words]
