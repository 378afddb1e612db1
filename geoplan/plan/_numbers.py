"""Chinese numbers, units, comparators and deadline phrases, for :mod:`geoplan.plan`.

Everything here works on *normalised* text (see :func:`normalise`): full-width ASCII is
folded to half-width and the handful of traditional characters that the parser's keywords
need are folded to simplified ones. The folding maps one character to one character, so
an offset into the normalised text is the same offset into the text as written, and the
parser reports clauses, titles and unit names exactly as the document writes them.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
import unicodedata
from typing import NamedTuple

# Full-width ASCII (！ to ～) -> ASCII, ideographic space -> space.
_CHARMAP: dict[int, int] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_CHARMAP[0x3000] = 0x20
_CHARMAP[ord("〜")] = ord("~")
_CHARMAP[ord("【")] = ord("(")  # 【责任单位：…】 is a units clause like （责任单位：…）
_CHARMAP[ord("】")] = ord(")")
_CHARMAP[ord("—")] = ord("-")
_CHARMAP[ord("–")] = ord("-")

# Traditional -> simplified, only for the characters of the keywords the parser looks for
# (責任單位, 牽頭, 到…年底前, 達到…以上, 全覆蓋, 各鄉鎮, 個/萬/億, 時間, 發布機構, 文號 …).
# A full converter (OpenCC) is not needed: titles and clauses are reported as written.
_TRADITIONAL = (
    "責單牽頭門負職關於發機構號備註計劃達體標點務動蓋鄉鎮個萬億"
    "兩棟處項條戶輛臺噸畝頃時間總產實現區設規農過價幾為"
    "約內協辦參與撐張場盞冊組塊輪員隊廳會團黨學醫銀級縣"
)
_SIMPLIFIED = (
    "责单牵头门负职关于发机构号备注计划达体标点务动盖乡镇个万亿"
    "两栋处项条户辆台吨亩顷时间总产实现区设规农过价几为"
    "约内协办参与撑张场盏册组块轮员队厅会团党学医银级县"
)
_CHARMAP.update({ord(t): ord(s) for t, s in zip(_TRADITIONAL, _SIMPLIFIED, strict=True)})


def normalise(text: str) -> str:
    """Fold full-width punctuation and keyword traditional characters, keeping offsets."""
    return text.translate(_CHARMAP)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_POWERS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "[零〇一二两三四五六七八九十百千]+"
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"


def cn_to_number(text: str) -> float:
    """Return the value of an Arabic or Chinese numeral: ``"十五"`` -> 15, ``"两"`` -> 2."""
    if re.fullmatch(_ARABIC, text):
        return float(text.replace(",", ""))
    if all(ch in _CN_DIGITS for ch in text):  # positional, e.g. 二〇二五
        return float("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (digit or 1) * _CN_POWERS[ch]
            digit = 0
    return float(total + digit)


#: Multipliers folded into the value; the unit keeps the rest as written (1万套 -> 10000 套).
MULTIPLIERS = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "万": 1e4, "亿": 1e8}

#: Units a quantity may carry, longest first so that 平方公里 wins over 公里.
_UNIT_WORDS = """
平方公里 平方千米 平方米 平米 立方米 公里 千米 公顷 千瓦时 千瓦 兆瓦 吉瓦 kWh kW MW GW
微克/立方米 毫克/立方米 毫克/升 km km2 m2 m3 ㎡ 米 延米 亩 % ‰ 个百分点 百分点
个 栋 幢 套 户 座 处 所 家 条 项 元 人次 人 名 吨 辆 台 间 张 宗 村 镇 场次 场 次 棵 株
批 件 册 部 艘 盏 床 组 块 轮 倍 斤 公斤 千克 个工作日 工作日
"""
UNITS = sorted(_UNIT_WORDS.split(), key=len, reverse=True)

# A Chinese numeral counts only before one of these units, and never a lone 一: "一户一宅",
# "一处宅基地", "千人以上" describe things, they do not promise a number of them.
_CN_UNITS = frozenset(
    ["个", "栋", "幢", "套", "座", "所", "家", "条", "项", "公里", "处", "村", "镇", "场", "场次"]
)
# A unit followed by one of these characters is the start of another word: 899项目 (an
# address and a noun), 3人员, 5处理, 10条件.
_NOT_AFTER = {
    "个": "月",  # 3个月: a duration
    "项": "目",
    "人": "员民口才",
    "名": "单称额",
    "处": "理置罚",
    "家": "庭长",
    "所": "有属以在",
    "户": "籍型",
    "条": "件例款",
    "台": "账阶",
    "次": "序要",
    "场": "所地景馆",
    "件": "事",
    "部": "门署分",
    "座": "谈",
    "间": "隔距",
    "张": "贴",
    "元": "素",
    "村": "庄民",
    "米": "粮",
    "批": "准复示次",
    "组": "织建成合团长",  # 组织, 组建 …: verbs, not 4组 of benches
    "块": "状",
    "轮": "流换岗",
    "倍": "数",
}
# "四个到位", "三个一批", "两个体系" written without quotation marks: slogans, not counts.
_SLOGAN_AFTER = re.compile(
    r"(?:到位|一批|优先|结合|坚持|统一|同步|转变|不变|清零|确保|聚焦|一律|严禁|不准|禁止"
    r"|必须|体系|意识|自信|维护|全面|率先|服务|融合|联动)(?=[,，、;。:\s\"”)]|$)"
)

_MULT = "|".join(MULTIPLIERS)
_UNIT = "|".join(re.escape(u) for u in UNITS)
_QUANTITY = re.compile(
    rf"百分之(?P<pnum>{_ARABIC}|{_CN_NUM})"
    rf"|(?<![\d.零〇一二两三四五六七八九十百千第])(?P<num>{_ARABIC}|{_CN_NUM})"
    rf"(?:\s*(?:-|~|至|到)\s*(?P<num2>{_ARABIC}|{_CN_NUM}))?"
    rf"\s*(?P<mult>{_MULT})?\s*(?P<over>余|多)?\s*(?P<unit>{_UNIT})"
)
_GE_AFTER = re.compile(r"\s*(?:及以上|或以上|以上)")
_LIMIT_AFTER = re.compile(r"\s*(?:及以上|或以上|以上|及以下|或以下|以下|以内)的")
_ABOUT_AFTER = re.compile(r"\s*(?:左右|上下)")
_ABOUT_BEFORE = re.compile(r"(?:约|大约|近|接近|约为)\s*$")
_LE_AFTER = re.compile(r"\s*(?:及以下|或以下|以下|以内)")
_BEFORE = re.compile(
    r"不少于|不低于|至少|超过|突破|达到|达(?!标)|提高到|提高至|提升到|提升至|增加到|增至|大于"
    r"|不超过|不高于|控制在|低于|小于|降低到|降低至|下降到|降至|减少到"
)
_BEFORE_LE = frozenset(
    ["不超过", "不高于", "控制在", "低于", "小于", "降低到", "降低至", "下降到", "降至", "减少到"]
)

#: Qualifier words -> codes; the quantity lists the codes first, then the words as written.
QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("每年|年均|每一年", "per_year"),
    ("各乡镇|各镇|各乡|每个乡镇|每个镇", "per_town"),
    ("各村|每个村|每村", "per_village"),
    ("累计", "cumulative"),
)
# 每个居住区4处: a count per entity of any kind (每年 and the town/village codes aside).
_PER_ENTITY = re.compile(
    r"每(?![年月季周天日])(?:一)?(?:个|座|所|处|家|条)?[^\d,，:;。、\s]{1,8}?"
    r"(?=均|都|至少|不少于|应|要|建设|配建|设置|配置|建成|新建|$)"
)
_QUALIFIER = re.compile("|".join(f"(?P<{code}>{words})" for words, code in QUALIFIERS))

#: Qualitative commitments that mean 100 %. 基本完成 / 基本实现 alone are not in the list:
#: "basically complete" promises no measurable share, so such a clause is a target with
#: no quantity. When 基本 hedges one of these words (基本实现…全覆盖) the 100 % is kept
#: with the extra qualifier "基本", so a scorecard can decide how strict to be.
QUALITATIVE = ("全覆盖", "全面完成", "全面建成")
_QUALITATIVE = re.compile("|".join(QUALITATIVE))

# Spans whose numbers are names, not promises: “两个体系”, “四有”, 《…》 titles.
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|「[^」]*」|\"[^\"\n]*\"")
_SUBCLAUSE_BREAK = re.compile(r"[,，:;。]")


class RawQuantity(NamedTuple):
    """A quantity found in a clause, before it becomes a :class:`geoplan.plan.Quantity`."""

    start: int
    value: float
    unit: str
    comparator: str | None
    qualifiers: list[str]


def _fmt(value: float) -> str:
    return f"{value:g}"


def find_quantities(norm: str, orig: str, start: int, end: int) -> list[RawQuantity]:
    """Return the quantities in ``norm[start:end]``, in document order.

    Parameters
    ----------
    norm
        The normalised document (:func:`normalise`).
    orig
        The document as written; qualifier words are copied from it.
    start, end
        The clause's offsets.
    """
    clause = norm[start:end]
    if "，" in orig[start:end]:  # a full-width comma separates clauses, never thousands
        written = orig[start:end]
        clause = "".join("，" if o == "，" else c for c, o in zip(clause, written, strict=True))
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(clause)]
    quoted_starts = [a for a, _ in quoted]

    def is_quoted(pos: int) -> bool:
        i = bisect.bisect_right(quoted_starts, pos) - 1
        return i >= 0 and pos < quoted[i][1]

    found: list[RawQuantity] = []
    prev_end = 0
    for m in _QUANTITY.finditer(clause):
        if is_quoted(m.start()):
            continue
        if m.group("pnum") is not None:
            num, num2, mult, unit = m.group("pnum"), None, None, "%"
        else:
            num, num2, mult, unit = m.group("num", "num2", "mult", "unit")
            chinese = not num[0].isdigit()
            if chinese and (unit not in _CN_UNITS or num == "一"):
                continue
            if chinese and unit == "个" and _SLOGAN_AFTER.match(clause, m.end()):
                continue  # 四个到位: a slogan
            if clause[m.end() : m.end() + 1] in _NOT_AFTER.get(unit, "") and m.end() < len(clause):
                continue
            if unit != "%" and _LIMIT_AFTER.match(clause, m.end()):
                continue  # 5000平方米以上的公共建筑: which buildings, not a promise
        factor = MULTIPLIERS[mult] if mult else 1.0
        value = cn_to_number(num) * factor
        sub_start = _subclause_start(clause, m.start())
        window = clause[max(sub_start, prev_end) : m.start()]
        comparator = _comparator(clause, m.end(), window)
        if m.group("over") and comparator is None:
            comparator = ">="  # 1.2万余户, 300多个: more than
        codes, words = _qualifiers(clause, orig, start, sub_start, m.start())
        if num2 is not None:
            upper = cn_to_number(num2) * factor
            words.append(f"range:{_fmt(value)}-{_fmt(upper)}")
            comparator = comparator or ">="
        if m.group("unit") is not None:  # the unit as written (個, 條 in a traditional text)
            unit = orig[start + m.start("unit") : start + m.end("unit")]
            folded = unicodedata.normalize("NFKC", unit)  # ％ and ｍ２ stay % and m2
            unit = (
                m.group("unit")
                if folded == m.group("unit") or normalise(unit) != m.group("unit")
                else unit
            )
        found.append(RawQuantity(start + m.start(), value, unit, comparator, codes + words))
        prev_end = m.end()
    for m in _QUALITATIVE.finditer(clause):
        if is_quoted(m.start()):
            continue
        sub_start = _subclause_start(clause, m.start())
        codes, words = _qualifiers(clause, orig, start, sub_start, m.start())
        words.insert(0, orig[start + m.start() : start + m.end()])
        if "基本" in clause[sub_start : m.start()]:
            words.append("基本")
        found.append(RawQuantity(start + m.start(), 100.0, "%", ">=", codes + words))
    found.sort(key=lambda q: q.start)
    return found


def _subclause_start(clause: str, pos: int) -> int:
    breaks = [m.end() for m in _SUBCLAUSE_BREAK.finditer(clause, 0, pos)]
    return breaks[-1] if breaks else 0


def _comparator(clause: str, after: int, window: str) -> str | None:
    if _ABOUT_AFTER.match(clause, after) or _ABOUT_BEFORE.search(window):
        return "~"
    if _GE_AFTER.match(clause, after):
        return ">="
    if _LE_AFTER.match(clause, after):
        return "<="
    hits = _BEFORE.findall(window)
    if not hits:
        return None
    return "<=" if hits[-1] in _BEFORE_LE else ">="


def _qualifiers(
    clause: str, orig: str, offset: int, sub_start: int, pos: int
) -> tuple[list[str], list[str]]:
    codes: list[str] = []
    words: list[str] = []
    for m in _QUALIFIER.finditer(clause, sub_start, pos):
        code = m.lastgroup or ""
        if code not in codes:
            codes.append(code)
            words.append(orig[offset + m.start() : offset + m.end()])
    if not {"per_town", "per_village"} & set(codes):
        per = _PER_ENTITY.search(clause[sub_start:pos])
        if per:
            codes.append("per_entity")
            a = offset + sub_start + per.start()
            words.append(orig[a : a + len(per.group())])
    return codes, words


class Deadline(NamedTuple):
    """A date phrase found in a sentence.

    ``source`` says where the year comes from: ``"text"`` (a year written in the phrase),
    ``"relative"`` (counted from the plan's year or a start year: 用3年时间, 3年内, 年内).
    """

    start: int
    year: int | None
    deadline: dt.date | None
    year_from: int | None
    source: str = "text"


def _year(tag: str) -> str:
    return (
        rf"(?P<y{tag}>(?:19|20)\d\d)\s*年(?:\s*(?P<m{tag}>1[0-2]|0?[1-9])\s*月"
        rf"(?:\s*(?P<d{tag}>[12]\d|3[01]|0?[1-9])\s*日)?"
        rf"|\s*第?(?P<q{tag}>[一二三四1-4])\s*季度)?"
    )


_N = rf"\d+|{_CN_NUM}"
_DATE = re.compile(
    # 2012年起5年内: the start year counts as the first year of the window
    rf"(?P<ys>(?:19|20)\d\d)\s*年(?:起|开始)\s*[,，]?\s*(?:用\s*)?(?P<n>{_N})\s*年(?:内|时间)"
    # 到2025年, 到2025年底, 截至2022年6月底
    rf"|(?:到|截至|截止到|截止|(?<!年)至)\s*{_year('')}"
    r"(?P<suf>年底前|年末前|年底|年末|底前|末前|底|末|以前|前|上半年|下半年)?"
    # 2023-2025年, 2023年至2025年 (not 2000年至2010年间, a build period)
    rf"|(?P<ya>(?:19|20)\d\d)\s*年?\s*[-~至到]\s*(?P<yb>(?:19|20)\d\d)\s*年(?!间|以前|以来)"
    r"(?:底前|底|末)?"
    # 2023年底前, 2021年年底前, 2025年前
    rf"|{_year('2')}(?P<suf2>年底前|年末前|底前|末前|以前|前|上半年|下半年|年底|年末|底)"
    r"(?![\d年间])"
    # 用3-5年时间, 用三年时间, 3年内
    rf"|用\s*(?P<lo>{_N})\s*(?:(?:-|~|至|到)\s*(?P<hi>{_N})\s*)?"
    r"年(?:左右)?(?:的)?时间"
    rf"|(?<![\d年起])(?P<within>{_N})\s*年(?:之)?内"
    # 十四五期间 / “十四五”末 -> the last year of that five-year plan
    r"|[\"“]?十(?P<fyp>[一二三四五六七八九])五[\"”]?\s*(?:期间|末|时期|期末|规划期)"
    # 10月底前, 6月30日前, 9月中旬前: a month of the plan's own year
    r"|(?<![\d年月第])(?P<mo>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月份?\s*"
    r"(?:(?P<mday>[12]\d|3[01]|0?[1-9])\s*日)?\s*(?P<msuf>底前|末前|上旬前|中旬前|前|以前|底|末)"
    # 年内, 今年, 本年度: the plan's own year
    r"|(?<![\d年])(?P<this>年内|今年|本年度|年底前)(?:底前|底|内)?"
    r"|(?<![\d年])(?P<next>明年)(?:底前|底)?"
)
# A bare year that opens a sentence or a clause: "2030年,建成区域基本实现…", "2024年完成…".
_OPENING_YEAR = re.compile(
    r"(?:^|(?<=[,;:。]))\s*(?:在\s*)?(?P<y>(?:19|20)\d\d)\s*年\s*"
    r"(?=[,:]|(?:完成|建成|实现|开工|启动|新建|基本|全面|力争|确保|全区|全市|全县|累计)"
    r"|(?:内|底前|前)|$)"
)
# Spans whose dates are names: 《…（2023-2025年）》 cites another plan.
_TITLED = re.compile(r"《[^》]*》")


def _end_of(year: int, month: int = 12, day: int | None = None) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day, last) if day else last)


def find_deadlines(sentence: str, *, plan_year: int | None) -> list[Deadline]:
    """Return the date phrases that open dated clauses in one sentence.

    ``到2025年`` and ``2023年底前`` mean the last day of that year (or of the month when
    one is given; ``上半年`` means 30 June, ``第三季度`` 30 September). ``用3-5年时间``
    counts from the plan's year: the deadline is the upper bound (``plan_year + 5``) and
    ``year_from`` keeps the lower one (``plan_year + 3``). ``2012年起5年内`` ends in 2016
    (the start year is the first year), ``3年内`` two years after the plan's year,
    ``十四五期间`` and ``“十四五”末`` in 2025, ``年内`` / ``今年`` and a month without a
    year (``10月底前``, ``6月30日前``) in the plan's year.
    Relative phrases have no date when the plan's year is not known.

    Examples
    --------
    >>> [(d.year, d.source) for d in find_deadlines("2012年起5年内完成", plan_year=None)]
    [(2016, 'relative')]
    >>> [d.deadline.isoformat() for d in find_deadlines("到“十四五”末，建成", plan_year=None)]
    ['2025-12-31']
    >>> [d.deadline.isoformat() for d in find_deadlines("10月底前完成改造", plan_year=2024)]
    ['2024-10-31']
    """
    masked = _TITLED.sub(lambda m: "\u3000" * len(m.group()), sentence)
    found: list[Deadline] = []
    for m in _OPENING_YEAR.finditer(masked):
        year = int(m.group("y"))
        found.append(Deadline(m.start("y"), year, dt.date(year, 12, 31), None))
    taken = [(m.start("y"), m.end()) for m in _OPENING_YEAR.finditer(masked)]
    for m in _DATE.finditer(masked):
        if any(a <= m.start() < b or m.start() <= a < m.end() for a, b in taken):
            continue
        deadline = _deadline(m, plan_year)
        if deadline is not None and not _past(deadline, plan_year):
            found.append(deadline)
    found.sort(key=lambda d: d.start)
    return found


def _past(deadline: Deadline, plan_year: int | None) -> bool:
    """A date well before the plan's year describes things (2000年前建成的小区)."""
    return plan_year is not None and deadline.year is not None and deadline.year < plan_year - 1


def _deadline(m: re.Match[str], plan_year: int | None) -> Deadline | None:
    start = m.start()
    if m.group("ys"):
        year = int(m.group("ys")) + int(cn_to_number(m.group("n"))) - 1
        return Deadline(start, year, dt.date(year, 12, 31), None, "relative")
    if m.group("ya"):
        first, year = int(m.group("ya")), int(m.group("yb"))
        if not first <= year <= first + 30:
            return None
        return Deadline(start, year, dt.date(year, 12, 31), None)
    if m.group("y") or m.group("y2"):
        tag = "" if m.group("y") else "2"
        year = int(m.group(f"y{tag}"))
        month = int(m.group(f"m{tag}") or 12)
        day = int(m.group(f"d{tag}")) if m.group(f"d{tag}") else None
        if m.group(f"q{tag}"):
            month = 3 * int(cn_to_number(m.group(f"q{tag}")))
        suffix = m.group("suf") or m.group("suf2") or ""
        if suffix == "上半年":
            month, day = 6, None
        return Deadline(start, year, _end_of(year, month, day), None)
    if m.group("fyp"):
        year = 1955 + 5 * int(10 + cn_to_number(m.group("fyp")))
        return Deadline(start, year, dt.date(year, 12, 31), None)
    if m.group("mo"):
        if plan_year is None:
            return Deadline(start, None, None, None, "relative")
        month = int(cn_to_number(m.group("mo")))
        suffix = m.group("msuf")
        day = int(m.group("mday")) if m.group("mday") else None
        day = {"上旬前": 10, "中旬前": 20}.get(suffix, day)
        return Deadline(start, plan_year, _end_of(plan_year, month, day), None, "relative")
    if m.group("this") or m.group("next"):
        if plan_year is None:
            return Deadline(start, None, None, None, "relative")
        year = plan_year + (1 if m.group("next") else 0)
        return Deadline(start, year, dt.date(year, 12, 31), None, "relative")
    if m.group("within"):
        n = int(cn_to_number(m.group("within")))
        if plan_year is None or not 0 < n <= 30:
            return Deadline(start, None, None, None, "relative")
        year = plan_year + n - 1
        return Deadline(start, year, dt.date(year, 12, 31), None, "relative")
    lo = int(cn_to_number(m.group("lo")))
    hi = int(cn_to_number(m.group("hi"))) if m.group("hi") else lo
    if plan_year is None:
        return Deadline(start, None, None, None, "relative")
    year = plan_year + hi
    year_from = plan_year + lo if hi != lo else None
    return Deadline(start, year, dt.date(year, 12, 31), year_from, "relative")
