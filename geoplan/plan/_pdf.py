"""PDF plans with a text layer, as text: paragraphs re-joined, tables as TAB rows.

A PDF has no paragraphs, only lines placed on pages. A line that runs to the right edge
of the text column and is followed by one starting at the left edge (not indented, not a
new heading) continues the same paragraph, and is joined to it, across pages too. Page
numbers (``- 3 -``, ``第3页``) are dropped. Ruled tables are read by pdfplumber and placed
where they stand on the page, following the contract in :mod:`geoplan.plan._read`. A PDF
without any text (a scan) is refused with a message that says to OCR it.
"""

from __future__ import annotations

import io
import re
import statistics
import warnings
from dataclasses import dataclass
from typing import Any

from .._errors import PlanParseError, PlanWarning, missing_dependency
from ._read import _CJK_GAP, table_lines

_PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*(?:\d{1,4}|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?)[-—–－\s]*$"
)
# A line opening a heading or a numbered item starts a paragraph even at the left edge.
_OPENER = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、](?!\d)"
    r"|第[一二三四五六七八九十\d]+[章节条部分]|——|附件)"
)
_ENDS = "。；;：:！!？?）)”」"


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    size: float
    left: float = 0.0  # the text column's edges on the line's page
    right: float = 0.0


def pdf_text(data: bytes, name: str) -> str:
    """Return the text of a PDF: one paragraph per line, ruled tables as TAB rows."""
    try:
        import pdfplumber
        from pdfminer.pdfparser import PDFSyntaxError
        from pdfminer.psparser import PSException
        from pdfplumber.utils.exceptions import PdfminerException
    except ImportError:
        raise missing_dependency("pdfplumber", "documents", "read PDF plans") from None

    blank: list[int] = []
    broken: list[str] = []
    items: list[_Line | list[str]] = []
    n_pages = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            n_pages = len(pdf.pages)
            for number, page in enumerate(pdf.pages, start=1):
                try:
                    page_items = _page(page)
                except Exception as exc:  # pdfminer raises anything on a broken page; keep the rest
                    broken.append(f"{number} ({str(exc)[:60] or type(exc).__name__})")
                    continue
                finally:
                    page.close()
                if page_items is None:
                    blank.append(number)
                else:
                    items.extend(page_items)
    except (PdfminerException, PSException, PDFSyntaxError, ValueError, KeyError) as exc:
        detail = str(exc) or type(exc).__name__
        fix = (
            "it is password-protected: ask for an unprotected copy"
            if "password" in detail.lower() or "encrypt" in detail.lower()
            else "it may be damaged: download it again or ask for the Word original"
        )
        raise PlanParseError(f"{name} cannot be read as a PDF ({detail}); {fix}") from exc
    if broken and not items:
        raise PlanParseError(
            f"{name}: no page could be read (page {broken[0]}); the PDF may be damaged: "
            "download it again or ask for the Word original"
        )
    if broken:
        warnings.warn(
            f"{name}: page(s) {', '.join(broken)} of {n_pages} could not be read and were "
            "skipped; the rest of the plan is read",
            PlanWarning,
            stacklevel=2,
        )
    if n_pages and len(blank) == n_pages:
        raise PlanParseError(
            f"{name} has no text layer: its {n_pages} page(s) are images (a scanned document); "
            "run OCR on it (e.g. `ocrmypdf --language chi_sim in.pdf out.pdf`) or ask the "
            "issuing office for the Word original"
        )
    if blank:
        warnings.warn(
            f"{name}: page(s) {', '.join(map(str, blank))} of {n_pages} have no text (scanned "
            "images) and were skipped; OCR them or get the Word original to read them",
            PlanWarning,
            stacklevel=2,
        )
    text = "\n".join(_paragraphs(items)) + "\n"
    unmapped = len(_CID.findall(text))
    if unmapped > len(text) // 20:
        raise PlanParseError(
            f"{name} has a text layer whose fonts give no characters ({unmapped} glyphs "
            "without a Unicode mapping); its text cannot be copied out: run OCR on it or ask "
            "the issuing office for the Word original"
        )
    return text


_CID = re.compile(r"\(cid:\d+\)")


def _page(page: Any) -> list[_Line | list[str]] | None:
    """A page's lines and tables, top to bottom; None when the page has no text at all."""
    if not page.chars:
        return None
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    body = page.filter(outside) if boxes else page
    placed: list[tuple[float, _Line | list[str]]] = []
    for line in body.extract_text_lines(return_chars=True):
        text = _CJK_GAP.sub("", line["text"]).strip()
        if not text or _PAGE_NUMBER.match(text):
            continue
        size = statistics.median(c["x1"] - c["x0"] for c in line["chars"]) if line["chars"] else 0
        placed.append((line["top"], _Line(text, line["x0"], line["x1"], size)))
    for table in tables:
        placed.append((table.bbox[1], _table(table)))
    lines = [item for _, item in placed if isinstance(item, _Line)]
    if lines:
        left = min(line.x0 for line in lines)
        right = max(line.x1 for line in lines)
        for line in lines:
            line.left, line.right = left, right
    placed.sort(key=lambda item: item[0])
    return [item for _, item in placed]


def _table(table: Any) -> list[str]:
    """A pdfplumber table: a None cell covered by a cell from a row above repeats its text
    (a vertical merge); one covered from the left stays None (a horizontal merge)."""
    grid = table.extract()
    rows = table.rows
    for r, row in enumerate(grid):
        top, bottom = rows[r].bbox[1], rows[r].bbox[3]
        middle = (top + bottom) / 2
        for c, value in enumerate(row):
            if value is not None:
                continue
            for above in range(r - 1, -1, -1):
                box = rows[above].cells[c] if c < len(rows[above].cells) else None
                if box is not None:
                    if box[3] > middle:
                        row[c] = grid[above][c]
                    break
    return table_lines(grid)


def _paragraphs(items: list[_Line | list[str]]) -> list[str]:
    """Join wrapped lines into paragraphs; tables pass through as their rows."""
    out: list[str] = []
    current: _Line | None = None
    for item in items:
        if isinstance(item, list):
            if current is not None:
                out.append(current.text)
                current = None
            out.extend(item)
            continue
        if current is not None and _continues(current, item):
            # Latin words do not break across lines: two of them meet with a space.
            gap = " " if current.text[-1].isascii() and item.text[0].isascii() else ""
            if not (current.text[-1].isalnum() and item.text[0].isalnum()):
                gap = ""
            current = _Line(
                current.text + gap + item.text,
                current.x0,
                item.x1,
                item.size,
                item.left,
                item.right,
            )
            continue
        if current is not None:
            out.append(current.text)
        current = item
    if current is not None:
        out.append(current.text)
    return out


def _continues(line: _Line, following: _Line) -> bool:
    """Whether ``following`` carries on the paragraph that ``line`` wraps.

    Left-aligned Chinese text stops up to two characters short of the margin (a line
    may not start with ，or 。), so a line within two characters of the right edge of
    its page's text is full.
    """
    width = line.size or 10.0
    if line.x0 - line.left > 3.0 * width:  # centred or right-aligned (a title, a signature)
        return False
    if line.right - line.x1 > 2.0 * width:  # the line stops short: its paragraph ends
        return False
    if following.x0 - following.left > 1.0 * width:  # indented: a new paragraph
        return False
    return not (line.text[-1] in _ENDS and _OPENER.match(following.text))
