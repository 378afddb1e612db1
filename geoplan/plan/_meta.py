"""A plan's metadata: title, document number, issuer, date, index number, title year.

Read from the header before the first heading (the 印发 notice or a web page's fields such as
发文字号 / 成文日期), or from the signature at the end. The document number is the plan's
own (a line of its own, a field, or the bracket after the notice's title), never a number
the text cites.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

from . import _numbers as _num
from ._model import PlanMeta


def _lines(norm: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", norm)]


META_FIELD = re.compile(
    r"^\s*-?\s*(索\s*引\s*号|备注\s*/\s*文号|文\s*号|发文字号|发布机构|发文机关|"
    r"公文生成日期|成文日期|发布日期|印发日期|发文日期|发布时间)\s*:\s*(.+?)\s*$"
)
_DOC_NUMBER = re.compile(
    r"[A-Za-z\u4e00-\u9fff]{1,12}[〔\[【(]\s*(?:19|20)\d\d\s*[〕\]】)]"
    r"\s*\d{1,4}\s*号"
)
_NOTICE_NUMBER = re.compile(
    r"(?:通知|意见|方案|计划|决定)\s*\(\s*([A-Za-z\u4e00-\u9fff]{1,12}[〔\[【]\s*(?:19|20)\d\d"
    r"\s*[〕\]】]\s*\d{1,4}\s*号)\s*\)"
)
_CN_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"((?:19|20)\d\d)[-./](\d{1,2})[-./](\d{1,2})")
_TITLE_QUOTED = re.compile(r"《([^》]{4,120})》\s*(?:的通知|印发)")
TITLE_LINE = re.compile(
    r"^[^,:;。()《》]{6,60}(?:计划|方案|规划|意见|纲要|办法|要点)"
    r"(?:\s*\(\s*(?:19|20)\d\d[^()]{0,12}\))?$"
)
# The plan's own years: （2023-2025年）, 2025年度, 2024年…工作要点, “十四五”.
_TITLE_WINDOW = re.compile(r"((?:19|20)\d\d)\s*年?\s*[-~至到]\s*((?:19|20)\d\d)\s*年?")
_TITLE_YEAR = re.compile(r"((?:19|20)\d\d)\s*年(?:度)?(?!\s*(?:修订|修正|版|第))")
_TITLE_FYP = re.compile(r"十([一二三四五六七八九])五")
WINDOW_LINE = re.compile(r"\s*\(\s*(?:19|20)\d\d\s*年?\s*[-~至到]\s*(?:19|20)\d\d\s*年?\s*\)\s*")


def parse_meta(norm: str, orig: str, head_end: int, body_end: int) -> PlanMeta:
    """Read the metadata from ``norm[:head_end]`` (and a signature date before ``body_end``)."""
    fields: dict[str, str] = {}
    for start, end in _lines(norm[:head_end]):
        m = META_FIELD.match(norm[start:end])  # (^ anchors at the string, not at a pos)
        if m:
            key = re.sub(r"\s", "", m.group(1))
            fields.setdefault(key, orig[start + m.start(2) : start + m.end(2)])
    head = norm[:head_end]
    doc_number = fields.get("备注/文号") or fields.get("文号") or fields.get("发文字号")
    if doc_number is None:  # a line of its own in the header, not a number the text cites
        for a, b in _lines(head):
            found = _DOC_NUMBER.match(norm, a + len(norm[a:b]) - len(norm[a:b].lstrip()), b)
            if found and len(norm[found.end() : b].strip()) <= 12:
                doc_number = orig[found.start() : found.end()]
                break
    if doc_number is None:  # 关于印发…的通知（穗府办〔2012〕21号）: the notice's own number
        for a, b in _lines(head)[:4]:
            line = norm[a:b]
            own = _NOTICE_NUMBER.search(line)
            if own and re.search(r"^\s*关于|印发|转发", line):
                doc_number = orig[a + own.start(1) : a + own.end(1)]
                break
    issuer = fields.get("发布机构") or fields.get("发文机关") or _signature(norm, orig, head_end)
    date_keys = ("公文生成日期", "成文日期", "印发日期", "发文日期", "发布日期", "发布时间")
    date_text = next((fields[k] for k in date_keys if k in fields), None)
    date = to_date(_num.normalise(date_text)) if date_text else None
    if date is None:
        date = next((d for a, b in _lines(head) if (d := to_date(head[a:b], whole=True))), None)
    if date is None:  # a date under the signature at the end: 2023年1月5日印发
        tail = _lines(norm[:body_end])[-12:]
        for a, b in reversed(tail):
            line = re.sub(r"\s*(?:印发|发布|制定)?\s*$", "", norm[a:b])
            if (date := to_date(line, whole=True)) is not None:
                break
    return PlanMeta(
        title=_title(norm, orig, head_end),
        doc_number=doc_number,
        issuer=issuer,
        date=date,
        index_number=fields.get("索引号"),
    )


def to_date(text: str, *, whole: bool = False) -> dt.date | None:
    """A date written 2021年5月24日 or 2021-05-24 (the whole text when ``whole``), or None."""
    for pattern in (_CN_DATE, _ISO_DATE):
        m = pattern.fullmatch(text.strip()) if whole else pattern.search(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _signature(norm: str, orig: str, head_end: int) -> str | None:
    """The issuing body: the line above a date line, or the text before 关于 in the title."""
    lines = _lines(norm[:head_end])
    for (a, b), (c, d) in itertools.pairwise(lines):
        if to_date(norm[c:d], whole=True) and not re.search(r"[,:;。《]", norm[a:b]):
            return orig[a:b].strip()
    joined = norm[:head_end]
    m = re.search(r"([^\n,:;。]{2,40}?)\n?关于印发", joined)
    return orig[m.start(1) : m.end(1)].replace("\n", "").strip() if m else None


def _title(norm: str, orig: str, head_end: int) -> str | None:
    m = _TITLE_QUOTED.search(norm, 0, head_end)
    if m:
        return orig[m.start(1) : m.end(1)].replace("\n", "").strip()
    titles = [(a, b) for a, b in _lines(norm[:head_end]) if TITLE_LINE.match(norm[a:b].strip())]
    if titles:
        a, b = titles[-1]
        return orig[a:b].strip()
    first = _lines(norm[:head_end])
    return orig[first[0][0] : first[0][1]].strip() if first else None


def plan_window(norm: str, meta: PlanMeta, head_end: int) -> tuple[int | None, bool]:
    """The year a plan's title fixes, and whether the title names that one year only.

    （2023-2025年） -> (2025, False); 2025年度 -> (2025, True); “十四五” -> (2025, False).
    """
    texts = [_num.normalise(meta.title)] if meta.title else []
    # a window written on the line under the title: "（2026—2028年）"
    texts += [norm[a:b] for a, b in _lines(norm[:head_end]) if WINDOW_LINE.fullmatch(norm[a:b])]
    for text in texts:
        text = re.sub(r"《[^》]*》", "", text)
        if m := _TITLE_WINDOW.search(text):
            first, last = int(m.group(1)), int(m.group(2))
            if first <= last <= first + 15:
                return last, False
        if m := _TITLE_YEAR.search(text):
            return int(m.group(1)), True
        if m := _TITLE_FYP.search(text):
            return 1955 + 5 * (10 + int(_num.cn_to_number(m.group(1)))), False
    return None, False
