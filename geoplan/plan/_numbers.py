"""Chinese numbers, units, comparators and deadline phrases, for :mod:`geoplan.plan`.

Everything here works on *normalised* text (see :func:`normalise`): full-width ASCII is
folded to half-width and the handful of traditional characters that the parser's keywords
need are folded to simplified ones. The folding maps one character to one character, so
an offset into the normalised text is the same offset into the text as written, and the
parser reports clauses, titles and unit names exactly as the document writes them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import NamedTuple

# Full-width ASCII (！ to ～) -> ASCII, ideographic space -> space.
_CHARMAP: dict[int, int] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_CHARMAP[0x3000] = 0x20
_CHARMAP[ord("〜")] = ord("~")
_CHARMAP[ord("—")] = ord("-")
_CHARMAP[ord("–")] = ord("-")

# Traditional -> simplified, only for the characters of the keywords the parser looks for
# (責任單位, 牽頭, 到…年底前, 達到…以上, 全覆蓋, 各鄉鎮, 個/萬/億, 時間, 發布機構, 文號 …).
# A full converter (OpenCC) is not needed: titles and clauses are reported as written.
_TRADITIONAL = (
    "責單牽頭門負職關於發機構號備註計劃達體標點務動蓋鄉鎮個萬億"
    "兩棟處項條戶輛臺噸畝頃時間總產實現區設規農過價幾為"
)
_SIMPLIFIED = (
    "责单牵头门负职关于发机构号备注计划达体标点务动盖乡镇个万亿"
    "两栋处项条户辆台吨亩顷时间总产实现区设规农过价几为"
)
_CHARMAP.update({ord(t): ord(s) for t, s in zip(_TRADITIONAL, _SIMPLIFIED, strict=True)})


def normalise(text: str) -> str:
    """Fold full-width punctuation and keyword traditional characters, keeping offsets."""
    return text.translate(_CHARMAP)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_POWERS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "[零〇一二两三四五六七八九十百千]+"
_ARABIC = r"\d+(?:\.\d+)?"


def cn_to_number(text: str) -> float:
    """Return the value of an Arabic or Chinese numeral: ``"十五"`` -> 15, ``"两"`` -> 2."""
    if re.fullmatch(_ARABIC, text):
        return float(text)
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
平方公里 平方千米 平方米 立方米 公里 千米 公顷 千瓦 km km2 m2 m3 ㎡ 米 亩 %
个 栋 幢 套 户 座 处 所 家 条 项 元 人 名 吨 辆 台 间 张 宗 村 镇
"""
UNITS = sorted(_UNIT_WORDS.split(), key=len, reverse=True)

# A Chinese numeral counts only before one of these units, and never a lone 一: "一户一宅",
# "一处宅基地", "千人以上" describe things, they do not promise a number of them.
_CN_UNITS = frozenset(
    ["个", "栋", "幢", "套", "座", "所", "家", "条", "项", "公里", "处", "村", "镇"]
)

_MULT = "|".join(MULTIPLIERS)
_UNIT = "|".join(re.escape(u) for u in UNITS)
_QUANTITY = re.compile(
    rf"百分之(?P<pnum>{_ARABIC}|{_CN_NUM})"
    rf"|(?<![\d.零〇一二两三四五六七八九十百千第])(?P<num>{_ARABIC}|{_CN_NUM})"
    rf"(?:\s*(?:-|~|至|到)\s*(?P<num2>{_ARABIC}|{_CN_NUM}))?"
    rf"\s*(?P<mult>{_MULT})?\s*(?P<unit>{_UNIT})"
)
_GE_AFTER = re.compile(r"\s*(?:及以上|或以上|以上)")
_LE_AFTER = re.compile(r"\s*(?:及以下|或以下|以下|以内)")
_BEFORE = re.compile(
    r"不少于|不低于|至少|超过|达到|达(?!标)|提高到|提高至|提升到|提升至|增加到|增至|大于"
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
_QUALIFIER = re.compile("|".join(f"(?P<{code}>{words})" for words, code in QUALIFIERS))

#: Qualitative commitments that mean 100 %. 基本完成 / 基本实现 alone are not in the list:
#: "basically complete" promises no measurable share, so such a clause is a target with
#: no quantity. When 基本 hedges one of these words (基本实现…全覆盖) the 100 % is kept
#: with the extra qualifier "基本", so a scorecard can decide how strict to be.
QUALITATIVE = ("全覆盖", "全面完成", "全面建成")
_QUALITATIVE = re.compile("|".join(QUALITATIVE))

# Spans whose numbers are names, not promises: “两个体系”, “四有”, 《…》 titles.
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|「[^」]*」|\"[^\"\n]*\"")
_SUBCLAUSE_BREAK = re.compile(r"[,:;。]")


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
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(clause)]

    def is_quoted(pos: int) -> bool:
        return any(a <= pos < b for a, b in quoted)

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
        factor = MULTIPLIERS[mult] if mult else 1.0
        value = cn_to_number(num) * factor
        sub_start = _subclause_start(clause, m.start())
        window = clause[max(sub_start, prev_end) : m.start()]
        comparator = _comparator(clause, m.end(), window)
        codes, words = _qualifiers(clause, orig, start, sub_start, m.start())
        if num2 is not None:
            upper = cn_to_number(num2) * factor
            words.append(f"range:{_fmt(value)}-{_fmt(upper)}")
            comparator = comparator or ">="
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
    return codes, words


class Deadline(NamedTuple):
    """A date phrase found in a sentence."""

    start: int
    year: int | None
    deadline: dt.date | None
    year_from: int | None


def _year(tag: str) -> str:
    return rf"(?P<y{tag}>(?:19|20)\d\d)\s*年(?:\s*(?P<m{tag}>1[0-2]|[1-9])\s*月)?"


_DATE = re.compile(
    # 到2025年, 到2025年底, 截至2022年6月底
    rf"(?:到|截至|截止到|截止|(?<!年)至)\s*{_year('')}"
    r"(?P<suf>年底前|年末前|年底|年末|底前|末前|底|末|以前|前|上半年)?"
    # 2023年底前, 2021年年底前, 2025年前
    rf"|{_year('2')}(?P<suf2>年底前|年末前|底前|末前|以前|前|上半年)(?![\d年])"
    # 用3-5年时间, 用三年时间
    rf"|用\s*(?P<lo>\d+|{_CN_NUM})\s*(?:(?:-|~|至|到)\s*(?P<hi>\d+|{_CN_NUM})\s*)?"
    r"年(?:左右)?(?:的)?时间"
)
# A bare year that opens a sentence: "2030年,建成区域基本实现…".
_OPENING_YEAR = re.compile(r"\s*(?P<y>(?:19|20)\d\d)\s*年\s*[,:]")


def find_deadlines(sentence: str, *, plan_year: int | None) -> list[Deadline]:
    """Return the date phrases that open dated clauses in one sentence.

    ``到2025年`` and ``2023年底前`` mean the last day of that year (or of the month when
    one is given; ``上半年`` means 30 June). ``用3-5年时间`` counts from the plan's year:
    the deadline is the upper bound (``plan_year + 5``) and ``year_from`` keeps the lower
    one (``plan_year + 3``); without a plan year such a phrase has no date.
    """
    found: list[Deadline] = []
    opening = _OPENING_YEAR.match(sentence)
    if opening:
        year = int(opening.group("y"))
        found.append(Deadline(opening.start("y"), year, dt.date(year, 12, 31), None))
    for m in _DATE.finditer(sentence):
        if opening and m.start() < opening.end():
            continue
        if m.group("y") or m.group("y2"):
            year = int(m.group("y") or m.group("y2"))
            month = int(m.group("m") or m.group("m2") or 12)
            suffix = m.group("suf") or m.group("suf2") or ""
            if suffix == "上半年":
                month = 6
            day = calendar.monthrange(year, month)[1]
            found.append(Deadline(m.start(), year, dt.date(year, month, day), None))
        else:
            lo = int(cn_to_number(m.group("lo")))
            hi = int(cn_to_number(m.group("hi"))) if m.group("hi") else lo
            if plan_year is None:
                found.append(Deadline(m.start(), None, None, None))
            else:
                year = plan_year + hi
                year_from = plan_year + lo if hi != lo else None
                found.append(Deadline(m.start(), year, dt.date(year, 12, 31), year_from))
    return found
