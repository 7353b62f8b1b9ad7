"""The statistical vocabulary of Chinese government documents, as data, defined once for every step that
reads figures: units and their dimensions, magnitudes, bound words, increase and decline words, five-year
plan periods, relative-time words, the cue words of a figure's role, administrative suffixes and the
standard synonyms of Chinese statistics (强度 = 占GDP比重, GDP = 地区生产总值). Nothing here belongs to one
document or one question: a new corpus is read with the same words. Code imports these tables; it does not
spell them again."""

from __future__ import annotations

import re

# Magnitude words: '1.2万' is 12,000; '万亿元' is 10^12 元. Longest first when matching.
MAGNITUDES: dict[str, float] = {
    "万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "十万": 1e5, "万": 1e4, "千": 1e3, "百": 1e2,
}

# Base units -> dimension. A written unit is [magnitude] + base unit ('万千瓦' = 万 + 千瓦).
BASE_UNITS: dict[str, str] = {
    "元": "money", "美元": "money", "元/人": "money per person", "元/吨": "price", "元/平方米": "price",
    "%": "percent", "‰": "permille", "个百分点": "percentage point", "倍": "multiple", "成": "tenth",
    "人": "people", "人次": "visits", "户": "households", "名": "people", "位": "rank",
    "吨": "mass", "吨标准煤": "energy", "千瓦": "power", "兆瓦": "power", "MW": "power", "GW": "power",
    "千瓦时": "energy", "兆瓦时": "energy", "吉瓦时": "energy", "吉瓦": "power",
    "标准箱": "containers", "标箱": "containers", "TEU": "containers",
    "平方公里": "area", "平方千米": "area", "平方米": "area", "亩": "area", "公顷": "area", "斤": "mass", "公斤": "mass",
    "元/月": "money per month", "元/年": "money per year", "个月": "duration", "伏": "voltage", "千伏": "voltage",
    "升": "volume", "千升": "volume",
    "场次": "count", "列": "count", "轮": "count", "起": "count", "户次": "count", "家次": "count",
    "公里": "length", "千米": "length", "米": "length", "立方米": "volume", "吨/日": "capacity", "立方米/日": "capacity",
    "年": "duration", "天": "duration", "小时": "duration", "分钟": "duration", "岁": "age", "微克/立方米": "concentration",
    "件": "count", "个": "count", "家": "count", "项": "count", "所": "count", "座": "count", "条": "count",
    "台": "count", "辆": "count", "套": "count", "处": "count", "张": "count", "次": "count", "批": "count",
    "类": "count", "种": "count", "只": "count", "头": "count", "艘": "count", "架": "count", "部": "count",
    "支": "count", "株": "count", "棵": "count", "间": "count", "栋": "count", "幢": "count", "层": "count",
    "村": "count", "镇": "count", "校": "count", "园": "count", "床": "count", "宗": "count", "例": "count",
    "份": "count", "本": "count", "册": "count", "场": "count", "届": "count", "块": "count", "片": "count",
}
# Written forms that mean the same unit.
UNIT_SYNONYMS: dict[str, str] = {"％": "%", "百分点": "个百分点", "平方千米": "平方公里", "千米": "公里", "标箱": "标准箱", "TEU": "标准箱"}

# Bounds: words around a figure that make it a bound, not a point. Value: the relation of the truth to the figure.
BOUND_BEFORE: dict[str, str] = {
    "超过": ">", "超": ">", "逾": ">", "高于": ">", "多于": ">", "大于": ">",
    "突破": ">=", "不低于": ">=", "不少于": ">=", "至少": ">=", "不小于": ">=",
    "不到": "<", "不足": "<", "低于": "<", "少于": "<", "小于": "<", "未达": "<",
    "不超过": "<=", "不高于": "<=", "不多于": "<=", "最多": "<=",
    "约": "~", "近": "~", "大约": "~", "接近": "~", "将近": "~", "近乎": "~",
}
# a threshold crossed: '迈上5万亿元台阶', '连跨3万亿元、4万亿元两个台阶' state a lower bound, not the level
MILESTONE_WORDS = ("台阶", "大关")
BOUND_AFTER: dict[str, str] = {
    "以上": ">=", "及以上": ">=", "多": ">", "余": ">", "以下": "<=", "以内": "<=", "之内": "<=",
    "左右": "~", "上下": "~", "前后": "~",
}
# the bound words that compare with something ('高于', '超过', '不到'), not those that round ('约', '近')
COMPARISON_WORDS = tuple(w for w, r in BOUND_BEFORE.items() if r[0] in "<>")
RANGE_JOINERS = ("-", "—", "–", "~", "～", "至", "到", "—", "－")

# Direction words: a figure right after one of these is a change (growth rate or difference), signed.
# the two-character verbs of a rise or a fall as prose and questions write them ('增长了', '比上年下降'); the
# one-character forms below ('减', '降') also open other words, so steps that search free text use these
RISE_VERBS = ("增长", "增加", "提高", "提升", "上升", "扩大")
FALL_VERBS = ("下降", "减少", "降低", "下滑", "回落", "缩减", "萎缩", "倒退", "负增长", "下跌")
INCREASE_WORDS = RISE_VERBS + ("上涨", "增", "涨")
DECLINE_WORDS = FALL_VERBS + ("减", "降", "压减", "收窄", "缩小", "跌")
# counting what is new is a count, not a change: '新增高新技术企业258家'
NEW_THINGS = ("新增", "新建", "建成", "培育", "打造", "创建", "引进", "认定", "获批", "新培育", "新认定", "新引进", "入选", "获评")
# ... unless it says the level reached: '下降到254万吨', '提高至65%'
TO_LEVEL = ("到", "至", "为")
# words allowed between a direction word and its figure ('增长了5%', '分别下降3.2%')
DIRECTION_FILLERS = ("了", "分别", "约", "达", "达到", "近", "超过", "超", "逾", "平均", "年均", "均", "各")
# a difference against another time: '比上年提高1.2个百分点', '较2020年增加100亿元'
COMPARED_WITH = ("比", "较", "同比", "环比", "比上年", "较上年")

# Five-year plans: 十三五 = the 13th (2016-2020). The N-th plan began in 1966 + 5 * (N - 3).
PLAN_NUMERALS = "一二三四五六七八九"
PLAN_NAME = r"十([一二三四五六七八九])五"  # the group is the plan's digit
PLAN_WORD = r"十[一二三四五六七八九]五"  # the same, inside a larger pattern
PLAN_PERIOD = re.compile(PLAN_NAME + r"|第十([一二三四五六七八九])个五年")


def plan_number(digit: str) -> int:
    """'四' of 十四五 -> 14."""
    return 10 + PLAN_NUMERALS.index(digit) + 1


def plan_years(number: int) -> tuple[int, int]:
    """The N-th five-year plan's first and last years (the 14th: 2021-2025)."""
    start = 1966 + 5 * (number - 3)
    return start, start + 4


def plan_name(number: int) -> str:
    return f"十{PLAN_NUMERALS[number - 11]}五" if 11 <= number <= 19 else ""


def plan_ending(year: int) -> str:
    """The plan that ends in `year` ('十三五' for 2020), or ''."""
    first, last = plan_years(plan_of_year(year))
    return plan_name(plan_of_year(year)) if last == year else ""


def plan_base_target(number: int) -> tuple[int, int]:
    """A plan's base year (the year before it starts) and target year (its last)."""
    first, last = plan_years(number)
    return first - 1, last


def plan_of_year(year: int) -> int:
    """The plan a year falls in (2025 -> 14)."""
    return (year - 1966) // 5 + 3


# Relative-time words -> offset from the document's own year ('去年' in a 2026 report is 2025).
RELATIVE_YEARS: dict[str, int] = {
    "前年": -2, "去年": -1, "上年": -1, "上一年": -1, "过去一年": -1, "上年度": -1, "一年来": -1,
    "今年": 0, "本年": 0, "当年": 0, "本年度": 0, "明年": 1, "下一年": 1,
}
# the present, not a year: '现在还有哪些困难' asks what the document says of its own time
NOW_WORDS = ("现在", "目前", "当前", "如今", "眼下", "现阶段")
# spans of years ending before the document's year ('过去五年' in a 2026 report: 2021-2025)
RELATIVE_SPANS: dict[str, int] = {"过去五年": 5, "五年来": 5, "近五年": 5, "过去三年": 3, "三年来": 3, "近三年": 3}
# section headings that look back (figures there are actual) or ahead (targets)
LOOKING_BACK = ("回顾", "发展基础", "发展成就", "主要成绩", "成效", "现状", "取得", "过去", "发展环境", "成绩")
LOOKING_AHEAD = ("目标", "任务", "安排", "展望", "远景", "预期", "重点工作", "主要指标")

# Where the name of a counted thing ends: '14个村庄入选省级…' counts 村庄.
MEASURE_END_VERBS = ("开展", "开行", "实现", "完成", "达到", "入选", "获批", "获评", "通过", "被", "全部", "累计", "分别", "共",
                     "均", "已", "正在", "加快", "参与", "开工", "建成", "投运", "启动", "成功", "荣获", "获得", "纳入", "覆盖", "为", "到")
# Role cue words. A figure's role: rank, share, rate, change, count, or by status target / base / actual.
ROLES = ("actual", "target", "base", "rate", "change", "share", "rank", "count")
ROLE_NAMES = {"actual": "实际", "target": "目标", "base": "基期", "rate": "增速", "change": "增减", "share": "占比",
              "rank": "排名", "count": "数量"}  # what a reader sees
STATUSES = ("actual", "target", "base")
# cue words of a plan ('力争', '到2025年') and of what is done ('已', '完成了'); '达到', '实现' say neither
TARGET_CUES = ("目标", "预期", "力争", "争取", "确保", "计划", "预计", "规划", "努力", "届时", "控制在", "稳定在")
WEAK_TARGET_CUES = ("将", "要")  # also '将现有部门整合为…' (the 把 construction): weaker than a section heading
ACHIEVED_CUES = ("已", "已经", "实现了", "完成了", "达到了", "累计完成", "取得", "成功")
SHARE_CUES = ("比重", "占比", "所占比例", "比例", "占", "强度", "覆盖率", "份额")
# words that name the counting of a thing, not another thing: '民生实事项目' is '民生实事', '…就业人数' '…就业',
# '粮食总产量' '粮食产量'
GENERIC_TAILS = ("项目", "数量", "总数", "人数", "个数", "总量", "数", "总")
AVERAGE_WORDS = ("年均", "平均每年")  # a yearly average over a span, not one year's figure
RATE_CUES = ("增长", "增速", "增幅", "增长率", "下降", "降低", "提高", "减少", "年均", "同比")
RANK_CUES = ("第", "位", "名", "居", "排名", "列")
COUNT_DIMENSIONS = ("count", "people", "households", "visits")

# Administrative places: suffixes, from the largest unit; scope words that mean 'the document's own place'.
ADMIN_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "街道", "省", "市", "区", "县", "州", "盟", "旗", "镇", "乡")
# after a place, what lies within it: '高新区内高新技术企业' counts the zone's own firms
PLACE_LOCATIVES = ("境内", "域内", "内")
OWN_PLACE_WORDS = ("全省", "全市", "全区", "全县", "全州", "全镇", "我省", "我市", "我区", "我县", "本省", "本市", "本区", "本县",
                   "省内", "市内", "区内", "县内", "全域")
GENERIC_PLACE_WORDS = {"地区", "城区", "社区", "园区", "市区", "辖区", "片区", "山区", "街区", "景区", "库区", "港区", "老城区",
                       "主城区", "中心城区", "城市", "都市", "城镇", "乡镇", "县域", "县区", "县市区", "市县", "开发区", "新区",
                       "示范区", "试验区", "保税区", "自贸区", "功能区", "农村", "全国", "国内", "国家"}
ADMIN_NAME = re.compile(r"[\u4e00-\u9fff]{2,}(?:" + "|".join(ADMIN_SUFFIXES) + ")")  # an administrative place's name
ZONE_SUFFIXES = {"高新技术产业开发区": "高新区", "经济技术开发区": "经开区", "经济开发区": "经开区"}
ZONE_WORDS = (*ZONE_SUFFIXES, *dict.fromkeys(ZONE_SUFFIXES.values()))  # a zone's kind, full or short, longest first
# an item number a table row or list puts before a measure: "(5)", "（5）", "5.", "⑤"
ITEM_NUMBER = re.compile(r"^\s*(?:[（(]\d{1,2}[)）]|\d{1,2}[.、．](?!\d)|[①-⑳])\s*")
ZONE_KINDS = ("高新区", "经开区", "开发区", "新区")  # a zone's short kind: alone, it names no one zone
# the people an autonomous region is named for, dropped in its short name (宁夏回族自治区 -> 宁夏)
ZONE_NAME = re.compile(r"([\u4e00-\u9fff]{2,4}?)(" + "|".join((*ZONE_SUFFIXES, *ZONE_KINDS)) + ")")  # 淄博高新技术产业开发区
ETHNIC_NAME = re.compile(r"^([\u4e00-\u9fff]{2,3}?)(?:[\u4e00-\u9fff]{1,2}族|维吾尔)+$")  # 湘西土家族苗族 -> 湘西

# The everyday short names of measures people type, with the statistics' term each stands for; a question
# is read and retrieved with the term beside its short name ('GDP（地区生产总值）').
ABBREVIATIONS: dict[str, str] = {"GDP": "地区生产总值", "gdp": "地区生产总值", "经济总量": "地区生产总值",
                                 "经济增长": "地区生产总值增长", "经济增速": "地区生产总值增速", "R&D": "研发", "营收": "营业收入"}
# Standard synonyms of Chinese statistics: every form -> the canonical one. Applied to measure phrases.
MEASURE_SYNONYMS: dict[str, str] = {
    **ABBREVIATIONS,
    "国内生产总值": "地区生产总值", "生产总值": "地区生产总值", "地区生产总值总量": "地区生产总值", "Ｒ＆Ｄ": "研发", "研究与试验发展": "研发", "研究与开发": "研发",
    "一般公共预算收入": "一般公共预算收入", "地方一般公共预算收入": "一般公共预算收入",
    "社会消费品零售总额": "社会消费品零售总额", "社消零": "社会消费品零售总额", "外贸进出口": "进出口总额",
    "外贸进出口总额": "进出口总额", "货物进出口总额": "进出口总额",
    "进出口": "进出口总额", "货物进出口": "进出口总额", "固投": "固定资产投资", "规上工业": "规模以上工业",
    "增长速度": "增速", "地区生产总值增长速度": "地区生产总值增速", "城镇化水平": "城镇化率", "常住人口城镇化率": "城镇化率", "人口城镇化率": "城镇化率",
    "平均预期寿命": "人均预期寿命", "人口平均预期寿命": "人均预期寿命", "人均期望寿命": "人均预期寿命", "人均寿命": "人均预期寿命",
    "财政支出": "一般公共预算支出", "财政收入": "一般公共预算收入", "居民人均可支配收入": "居民人均可支配收入", "城镇调查失业率": "城镇调查失业率", "地区生产总值": "地区生产总值",
}
# an aside in brackets ('（累计）', '(2020年)'): no part of the name it follows
BRACKETED = re.compile(r"[（(][^）)]*[）)]")
_CANONICAL = {**{v: v for v in MEASURE_SYNONYMS.values()}, **MEASURE_SYNONYMS}  # a canonical name is kept whole
_SYNONYM = re.compile("|".join(re.escape(w) for w in sorted(_CANONICAL, key=len, reverse=True)))
# '强度' of an input is its share of GDP: 研发经费投入强度 = 研发经费投入占地区生产总值比重.
INTENSITY = ("强度", "占地区生产总值比重")
SHARE_FORMS = ("占地区生产总值的比重", "占地区生产总值比重", "占地区生产总值比例", "占地区生产总值的比例", "占比", "所占比重", "比重")
# verbs inside a measure phrase that its standard wording drops ('茶产业实现营业收入' -> '茶产业营业收入')
MEASURE_VERBS = ("实现", "完成", "拥有")  # '每千人口拥有医师数' = '每千人口医师数'
# words around a measure that say where, when or how, not what (stripped from the canonical measure)
MEASURE_NOISE = (
    "全省", "全市", "全区", "全县", "我省", "我市", "我区", "我县", "本市", "实现", "完成", "达到", "突破", "超过", "累计", "其中",
    "分别", "共", "总计", "合计", "年均", "平均", "同比", "比上年", "较上年", "预计", "力争", "确保", "今年", "去年", "全年",
    "每年",
)
# table header and category cells that are not measures
TABLE_NON_MEASURES = ("类别", "序号", "属性", "单位", "备注", "预期性", "约束性", "指标属性", "领域", "类型")
TABLE_MEASURE_HEADERS = ("指标", "指标名称", "主要指标", "项目", "名称")
TABLE_RATE_HEADERS = ("年均", "年均增长", "年均增速", "累计")
TABLE_EMPTY_CELLS = ("_", "-", "—", "——", "/", "－", "")

# Question words (for the steps that read questions). How an overview is asked, in any corpus ('概括一下…',
# '…有哪些方面'): words that name no section and no measure, and that no rewrite into the documents' words needs.
OVERVIEW_WORDS = frozenset(
    "概括 概述 总结 简述 简要 介绍 一下 说说 列举 列出 归纳 梳理 哪些 哪几 哪几个 哪几项 几个 几项 什么 怎样 如何 "
    "分别 具体 包括 包含 主要 内容 方面 提出 提出了 有 是 的 了 和 与 及 在 对 中 请 请问 吗 呢 都 这 那 其 "
    "里 上 关于 就 要 为 将 又 所 给 下 其中 几句 几句话 哪几句".split()
)
# section concepts: a question word and a heading word in one group mean the same kind of section
SECTION_CONCEPTS: dict[str, tuple[str, ...]] = {
    "挑战": ("挑战", "困难", "问题", "短板", "不足", "制约", "瓶颈", "弱项"),
    "举措": ("举措", "措施", "行动", "任务", "工程", "重点工作", "工作安排", "重点任务", "抓手", "路径"),
    "定位": ("定位", "战略定位", "功能定位", "发展定位", "角色"),
    "目标": ("目标", "主要目标", "预期目标", "发展目标", "指标", "远景目标"),
    "机遇": ("机遇", "机会", "有利条件", "优势"),
    "原则": ("原则", "基本原则", "遵循"),
    "成就": ("成就", "成绩", "成效", "进展", "回顾", "总结", "发展基础"),
    "保障": ("保障", "保障措施", "组织保障", "实施保障", "支撑"),
    "思路": ("思路", "考虑", "总体要求", "指导思想", "总体思路"),
    "布局": ("布局", "格局", "空间布局", "发展格局"),
}


# a question about the past ('去年做了哪些工作', '过去五年') asks for the part of a report that looks back
PAST_WORDS = tuple(w for w, offset in RELATIVE_YEARS.items() if offset < 0) + tuple(RELATIVE_SPANS)
REVIEW_CONCEPT = "成就"


def concepts_of(text: str) -> set[str]:
    """The section concepts a text names (挑战 for 困难, 问题, 短板…)."""
    return {name for name, words in SECTION_CONCEPTS.items() if any(w in text for w in words)}


def asked_concepts(question: str) -> set[str]:
    """The section concepts a question asks for: those it names, and the review when it asks about the past."""
    return concepts_of(question) | ({REVIEW_CONCEPT} if any(w in question for w in PAST_WORDS) else set())


# verbs that ask for an overview of a section, and words that ask for one thing (a year, a name), not a list
OVERVIEW_VERBS = ("概括", "概述", "总结", "简述", "介绍", "归纳", "梳理", "说说", "列举", "列出")
ONE_THING = ("哪个", "哪一", "哪年", "谁", "何时", "什么时候", "哪里", "哪家", "哪位")
# what a question word makes of the name after it: '哪些县', '几个区', '各市' ask which ones, they name none
ASKING_PREFIXES = ("哪", "几", "各", "每", "某", "什么", "多少")
# the words that make a measure its rate of change ('…增加值增速'): the rate is the record's role
RATE_SUFFIXES = ("增长速度", "增长率", "增速", "增幅", "增长")
# words that ask for a rank, not a value
RANK_QUESTION_WORDS = ("排名", "第几", "排第", "位次", "名次", "居第")
# words that join several things asked into one question ('A和B', '分别', '各')
COORDINATION = ("和", "与", "及", "以及", "分别", "各")
# the verbs and particles around a figure a question claims ('要做到150亿元', '已经突破300亿元了')
CLAIM_VERBS = ("要", "将", "计划", "预计", "已经", "已", "做到", "达到", "实现", "完成", "突破", "超过", "过", "是", "为", "有",
               "到", "至", "年底", "末", "了", "约", "近")
# what asks a value per unit ('平均每个项目', '平均每户'): the character after it is the unit counted
PER_UNIT_WORDS = ("平均每", "每")
# a value per head is the measure over the resident population of its year
PER_HEAD = "人均"
POPULATION = "常住人口"
# what asks a change in per cent rather than in the figures' unit
PERCENT_ASKED = ("百分之", "百分比", "%", "％", "几成")
# what a comparison asks of its first side ('A比B高吗')
MORE_WORDS = ("高", "多", "快", "大", "强", "领先")
LESS_WORDS = ("低", "少", "慢", "小", "弱", "落后")
# words that leave a list open ('A、B等'): the things named are not all that is asked
OPEN_LIST = ("等", "之类", "诸如")
# what makes a clause a question (a question's premise is followed by what it asks)
QUESTION_WORDS = ("哪", "什么", "怎么", "怎样", "如何", "多少", "多大", "多高", "几", "为什么", "为何")
# what a question says it already knows of a figure it gives ('森林覆盖率已经超过30%', '…GDP是300.5亿元')
ASSERTING_WORDS = ("已经", "已", "突破", "超过", "达到", "高达", "是", "为", "有")
# how a document's issue is worded ('…印发', '发文日期'), what asks when ('哪天'), and what names its number
ISSUE_VERBS = ("印发", "发布", "下发", "出台", "发文", "公布")
DATE_ASKED = ("哪天", "哪一天", "何时", "什么时候", "哪年哪月", "几月几日", "几月几号", "日期", "时间")
DOCUMENT_NUMBER_WORDS = ("文号", "发文字号")
ISSUERS = ("人民政府", "政府", "办公室", "办公厅", "委员会", "管委会")  # how the organ signing a notice is named
# the public offices people ask about ('…的市长是谁'): asked as a measure is, checked for presence
PUBLIC_OFFICES = ("市长", "区长", "县长", "省长", "书记", "主任", "局长", "镇长", "主席")
# what asks an amount ('多少亿元', '几个'); QUANTITY_QUESTION_WORDS below also asks a share or a rate
AMOUNT_ASKED = ("多少", "几")
# what asks for a figure
QUANTITY_QUESTION_WORDS = ("多少", "几", "多大", "多高", "多长", "多快", "多少钱", "几成", "比重", "比例", "占比", "增速")
# The heads of measure names: a phrase ending in one of these names something measured ('城镇化率', '税收收入').
MEASURE_HEADS = ("率", "值", "额", "总量", "产量", "数量", "数", "容量", "吞吐量", "比重", "占比", "比例", "强度", "收入", "面积",
                 "密度", "寿命", "指数", "人口", "人数", "天数", "户数", "次数", "规模", "余额", "工资", "价格", "房价", "浓度",
                 "预算", "支出", "利润", "税收", "产值", "床位", "排放量", "投资", "消费", "增速", "均价", "增加值", "结构",
                 "系数", "依存度", "满意度", "集中度")
# The three sectors and the short names people use for them ('三次产业结构 9.5:32.6:57.9' lists them in order).
SECTORS = (("第一产业", "一产", "农业"), ("第二产业", "二产", "工业"), ("第三产业", "三产", "服务业"))
VALUE_ADDED = "增加值"  # what an industry's share of GDP is the share of
INDUSTRY_STRUCTURE_WORDS = ("三次产业", "产业结构")  # a sentence giving the three sectors' ratio names it so
# how documents say a number of things was added, not how many there are ('新培植高新技术企业77家')
ADDED_WORDS = ("新增", "新培植", "新培育", "新引进", "新建", "新认定", "增加")
# Modifiers that make another measure of the same noun: '人均地区生产总值' is not '地区生产总值'.
MEASURE_MODIFIERS = ("人均", "年均", "单位", "每", "亩均", "地均")


def alternation(words) -> str:
    """A regex alternation of words, longest first (so '负增长' is tried before '增长')."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def canonical_unit(unit: str) -> str:
    unit = unit.strip()
    return UNIT_SYNONYMS.get(unit, unit)


def split_unit(unit: str) -> tuple[float, str]:
    """'万千瓦' -> (1e4, '千瓦'); '亿元' -> (1e8, '元'); '%' -> (1, '%'); unknown -> (1, unit)."""
    unit = canonical_unit(unit)
    if unit in BASE_UNITS:
        return 1.0, unit
    for word in sorted(MAGNITUDES, key=len, reverse=True):
        if unit.startswith(word):
            rest = canonical_unit(unit[len(word):])
            if rest in BASE_UNITS or rest == "":
                return MAGNITUDES[word], rest
    return 1.0, unit


def dimension_of(unit: str) -> str:
    """The kind of quantity a unit measures ('万吨' -> 'mass'); '' when the unit is unknown or absent."""
    scale, base = split_unit(unit)
    if base == "":
        return "number" if unit else ""
    return BASE_UNITS.get(base, "")


def unit_pattern() -> str:
    """A regex alternation of every written unit, longest first (万人次 before 万人 before 万)."""
    bases = list(BASE_UNITS) + list(UNIT_SYNONYMS)
    mags = sorted(MAGNITUDES, key=len, reverse=True)
    written = set(bases) | set(MAGNITUDES) | {m + b for m in mags for b in bases if BASE_UNITS.get(UNIT_SYNONYMS.get(b, b)) not in
                            ("percent", "permille", "percentage point", "multiple", "rank", "tenth", "age", "duration")}
    return "|".join(re.escape(u) for u in sorted(written, key=len, reverse=True))


def canonical_measure(measure: str) -> str:
    """The measure in one standard wording: synonyms replaced, scope and verb words dropped, no spaces or
    brackets ('全省GDP' -> '地区生产总值'; '研发经费投入强度' -> '研发经费投入占地区生产总值比重')."""
    text = re.sub(r"[\s“”\"'‘’《》「」]", "", measure)
    text = BRACKETED.sub("", text)
    text = _SYNONYM.sub(lambda m: _CANONICAL[m.group(0)], text)  # one pass, longest form first
    for verb in MEASURE_VERBS:
        text = text.replace(verb, "") if len(text) > len(verb) + 1 else text
    if text.endswith(INTENSITY[0]):
        text = text[: -len(INTENSITY[0])] + INTENSITY[1]
    for form in SHARE_FORMS:
        if text.endswith(form) and form != "比重":
            text = text[: -len(form)] + ("占地区生产总值比重" if "地区生产总值" in form else "比重")
    changed = True
    while changed:  # scope and verb words at either end only: '公共' keeps its '共'
        changed = False
        for word in sorted(MEASURE_NOISE, key=len, reverse=True):
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word):], True
            if text.endswith(word) and len(text) > len(word):
                text, changed = text[: -len(word)], True
    return text.strip("的，,、：:")


def is_admin_place(word: str) -> bool:
    """A name ending in an administrative suffix that is not a generic word ('高密市', not '全市' or '城区')."""
    return ((len(word) >= 3 or word.endswith(("县", "旗"))) and len(word) >= 2 and word.endswith(ADMIN_SUFFIXES) and word not in GENERIC_PLACE_WORDS
            and word not in OWN_PLACE_WORDS and not word.startswith(("全", "本", "我", "各", "该", "每")))


def short_place_forms(name: str) -> set[str]:
    """The names people use for a place: with and without its suffix (and the people an autonomous
    region is named for); development zones abbreviated, and by their kind alone ('高新区')."""
    forms = {name}
    zone = ZONE_NAME.fullmatch(name)
    if zone:
        short = ZONE_SUFFIXES.get(zone.group(2), zone.group(2))
        return {f for f in (name, zone.group(1) + short, short) if len(f) >= 2}
    for suffix in ADMIN_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            forms |= {stem, ETHNIC_NAME.sub(r"\1", stem)}
            break
    return {f for f in forms if len(f) >= 2}
