"""Word (.docx) plans as text: paragraphs and tables in body order, list numbers included.

Word stores the numbers of automatically numbered headings and table rows (（一）, 1.,
the 序号 column of a task table) in its numbering definitions, not in the text; they
are rendered here as Word shows them, so that the parser sees ``（一）城市规划设计引领行动``
and not ``城市规划设计引领行动``. Tables follow the contract in :mod:`geoplan.plan._read`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._errors import PlanParseError, missing_dependency
from ._read import table_lines

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(data: bytes, name: str) -> str:
    """Return the text of a .docx document: one paragraph per line, tables as TAB rows."""
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from docx.table import Table
        from lxml import etree
    except ImportError:
        raise missing_dependency("python-docx", "documents", "read Word (.docx) plans") from None

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.Error) as exc:
        raise PlanParseError(
            f"{name} is not a readable Word document ({exc}); open it in Word or WPS and "
            "save it again as .docx"
        ) from exc
    numbers = _Numbering(document)
    lines: list[str] = []
    for block in _blocks(document.element.body, document):
        if isinstance(block, Table):
            lines.extend(_table(block, numbers))
        else:
            lines.append(numbers.label(block) + paragraph_text(block._p))
    return "\n".join(lines) + "\n"


def _blocks(parent: Any, document: Any) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in body order, including those inside content controls."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in parent.iterchildren():
        if child.tag == f"{_W}p":
            yield Paragraph(child, document._body)
        elif child.tag == f"{_W}tbl":
            yield Table(child, document._body)
        elif child.tag in (f"{_W}sdt", f"{_W}customXml"):
            content = child.find(f"{_W}sdtContent") if child.tag == f"{_W}sdt" else child
            if content is not None:
                yield from _blocks(content, document)


_SKIP = {f"{_W}{tag}" for tag in ("del", "moveFrom", "drawing", "pict", "txbxContent")}


def paragraph_text(p: Any) -> str:
    """A paragraph's text as Word shows it, tracked changes accepted.

    python-docx's ``Paragraph.text`` leaves out runs inside ``<w:ins>`` (text inserted
    with 修订 on) and content controls; this reads every run. A tab becomes a space,
    since a TAB in the text means a table cell to the parser.
    """
    out: list[str] = []

    def walk(element: Any) -> None:
        for child in element.iterchildren():
            tag = child.tag
            if tag in _SKIP:
                continue
            if tag == f"{_W}t":
                out.append(child.text or "")
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                out.append(" ")
            elif tag in (f"{_W}br", f"{_W}cr"):
                out.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                out.append("-")
            else:
                walk(child)

    walk(p)
    return "".join(out)


def _table(table: Table, numbers: _Numbering) -> list[str]:
    """A table's rows: merged cells repeated down the rows they span (python-docx gives the
    top cell for a vertically merged one), horizontal spans empty after their first column."""
    texts: dict[Any, str] = {}  # one text per <w:tc>, so list numbers in it count once

    def text(cell: Any) -> str:
        tc = cell._tc
        if tc not in texts:
            texts[tc] = "\n".join(numbers.label(p) + paragraph_text(p._p) for p in cell.paragraphs)
        return texts[tc]

    rows = []
    for row in table.rows:
        cells = row.cells
        rows.append(
            [
                None if i and cells[i]._tc is cells[i - 1]._tc else text(cell)
                for i, cell in enumerate(cells)
            ]
        )
    return table_lines(rows)


class _Numbering:
    """Word's list numbering (numbering.xml), rendered paragraph by paragraph in order."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is None:
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for node in root.iter(f"{_W}abstractNum"):
            abstract[node.get(f"{_W}abstractNumId")] = {
                int(lvl.get(f"{_W}ilvl", "0")): _level(lvl) for lvl in node.iter(f"{_W}lvl")
            }
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            levels = dict(abstract.get(ref.get(f"{_W}val"), {}))
            for override in num.iter(f"{_W}lvlOverride"):
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                lvl = override.find(f"{_W}lvl")
                start = override.find(f"{_W}startOverride")
                if lvl is not None:
                    levels[ilvl] = _level(lvl)
                elif start is not None and ilvl in levels:
                    _, fmt, pattern = levels[ilvl]
                    levels[ilvl] = (int(start.get(f"{_W}val", "1")), fmt, pattern)
            self.levels[num.get(f"{_W}numId")] = levels

    def label(self, paragraph: Paragraph) -> str:
        """The number Word shows before ``paragraph`` (``"（三）"``), or ``""``."""
        if not self.levels:
            return ""
        found = _num_pr(paragraph)
        if found is None:
            return ""
        num_id, ilvl = found
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, [0] * 9)
        start = levels[ilvl][0]
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        _, fmt, pattern = levels[ilvl]
        if fmt in ("bullet", "none"):
            return ""
        out = pattern
        for k in range(9):
            if f"%{k + 1}" in out:
                lvl = levels.get(k, (1, "decimal", ""))
                value = counters[k] or lvl[0]
                out = out.replace(f"%{k + 1}", _format(value, lvl[1]))
        return out


def _level(lvl: Any) -> tuple[int, str, str]:
    def val(tag: str, default: str) -> str:
        node = lvl.find(f"{_W}{tag}")
        return node.get(f"{_W}val", default) if node is not None else default

    return int(val("start", "1")), val("numFmt", "decimal"), val("lvlText", "")


def _num_pr(paragraph: Paragraph) -> tuple[str, int] | None:
    """The paragraph's (numId, level), from its own properties or its style's chain."""
    p_pr = paragraph._p.pPr
    candidates = [p_pr.find(f"{_W}numPr") if p_pr is not None else None]
    style = paragraph.style
    while style is not None:
        s_pr = style.element.pPr
        candidates.append(s_pr.find(f"{_W}numPr") if s_pr is not None else None)
        style = style.base_style
    num_id: str | None = None
    ilvl: int | None = None
    for num_pr in candidates:
        if num_pr is None:
            continue
        if num_id is None and (node := num_pr.find(f"{_W}numId")) is not None:
            num_id = node.get(f"{_W}val")
        if ilvl is None and (node := num_pr.find(f"{_W}ilvl")) is not None:
            ilvl = int(node.get(f"{_W}val", "0"))
    if num_id is None or num_id == "0":  # numId 0 switches numbering off
        return None
    return num_id, ilvl or 0


_DIGITS = "〇一二三四五六七八九"


def _chinese(n: int) -> str:
    """一, 十, 十一, 二十三, 一百零五 (Word's chineseCounting up to 9999)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if not rest else ("零" if rest < 10 else "") + _chinese(rest)
        if 10 <= rest < 20:
            tail = "一" + tail
        return _DIGITS[n // 100] + "百" + tail
    if n < 10000:
        rest = n % 1000
        tail = "" if not rest else ("零" if rest < 100 else "") + _chinese(rest)
        return _DIGITS[n // 1000] + "千" + tail
    return str(n)


def _format(n: int, fmt: str) -> str:
    """One counter in one of Word's number formats.

    Examples
    --------
    >>> [_format(n, "chineseCounting") for n in (1, 10, 12, 20, 35)]
    ['一', '十', '十二', '二十', '三十五']
    >>> _format(3, "decimalEnclosedCircle"), _format(28, "lowerLetter"), _format(4, "upperRoman")
    ('③', 'ab', 'IV')
    """
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified"):
        return _chinese(n)
    if fmt in ("ideographTraditional",) and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt in ("ideographZodiac",) and 1 <= n <= 12:
        return "子丑寅卯辰巳午未申酉戌亥"[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt in ("lowerLetter", "upperLetter"):
        letters = ""
        k = n
        while k > 0:
            k, r = divmod(k - 1, 26)
            letters = chr(ord("a") + r) + letters
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out += letters
            n -= value
    return out
