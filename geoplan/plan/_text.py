"""Cleaning a plan's text before it is parsed: invisible characters and hard-wrapped lines.

Text copied from a web page or a PDF carries characters no reader sees: zero-width spaces
inside figures ("1\u200b0公里"), a byte-order mark in the middle where two files were
concatenated, full-width digits, Kangxi radicals that PDF extractors emit for common
characters (⼀ for 一), and lines hard-wrapped at the page width in mid-sentence. These
functions return text in which a figure, a unit name and a task number read as written.

Only characters that no plan means differently are changed: full-width *punctuation* is
kept as written (the parser folds it on its own copy, see :func:`._numbers.normalise`), so
titles and clauses are reported as the document writes them.
"""

from __future__ import annotations

import re
import statistics
import unicodedata

# Zero-width and formatting characters, soft hyphen, BOM: removed wherever they stand.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Other spaces (no-break, en/em, narrow) -> a plain space.
_ODD_SPACE = re.compile("[\u00a0\u2000-\u200a\u202f\u205f]")


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # full-width digits and Latin letters (not the punctuation), e.g. ２０２５ -> 2025
    for code in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)):
        table[code] = chr(code - 0xFEE0)
    for code in range(0xFF41, 0xFF5B):
        table[code] = chr(code - 0xFEE0)
    table[0xFF05] = "%"  # ％ is a unit, not punctuation
    table[0xFF0E] = "."  # ． in 1．5 and in 1．task numbers
    # Kangxi radicals and CJK compatibility ideographs (PDF extraction): NFKC maps each to
    # the one unified ideograph it stands for.
    for code in [*range(0x2F00, 0x2FD6), *range(0xF900, 0xFAFF)]:
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded != chr(code):
            table[code] = folded
    # ⑴…⒇ and ⒈…⒛ (one character each in some Word files) -> (1) and 1.
    for n in range(1, 21):
        table[0x2473 + n] = f"({n})"
        table[0x2487 + n] = f"{n}."
    return table


_FOLD = _fold_table()


def clean_text(text: str) -> str:
    """Return ``text`` without invisible characters, with full-width digits folded.

    Line ends become ``\\n``; zero-width characters and any byte-order mark are removed;
    no-break and other typographic spaces become spaces; full-width digits and letters,
    Kangxi radicals and compatibility ideographs become their ordinary forms.

    Examples
    --------
    >>> clean_text("新建绿道1\\u200b0公里，２０２５年")
    '新建绿道10公里，2025年'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _ODD_SPACE.sub(" ", text)
    return text.translate(_FOLD)


# A line that ends a paragraph or a heading: terminal punctuation (also closing brackets).
_TERMINAL = '。；;！!？?：:）)」』”"》】'
# A line that opens a heading, a task or a table cell: never glued to the line above.
_OPENS_ITEM = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]"
    r"|\d+\s*[.、．)）](?!\d)|\d+\s*$|附件|第[一二三四五六七八九十]+[章部节条]|——|[-·•●■◆]\s*)"
)


# A PDF's page number on a line of its own: "- 3 -", "— 12 —", "第3页", "第 3 页 共 12 页".
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?)\s*$"
)


def _width(line: str) -> int:
    """Display width: CJK and full-width characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def rejoin_wrapped(text: str) -> tuple[str, int]:
    """Join lines that a PDF copy broke at the page width; return the text and the count.

    A document counts as hard-wrapped when most of its long lines have the same width (a
    page's line width, in display columns or in characters, within a few) and do not end a
    sentence. Then a line of that width whose last character is not terminal punctuation
    is joined to the next line, unless the next line opens a heading, a numbered item or an
    annex. Page-number lines of a PDF ("- 3 -", "第3页") are dropped first, so a paragraph
    runs on across a page break. Text that is not hard-wrapped is returned unchanged with
    a count of 0.

    Examples
    --------
    >>> line = "到2025年，全区新建绿道10公里以上，完成老旧小区改造"
    >>> text, joined = rejoin_wrapped("\\n".join([line[:20], line[20:]] * 4))
    >>> joined, text.split("\\n") == [line] * 4
    (4, True)
    """
    lines = text.split("\n")
    if any(_PAGE_NUMBER.match(line) for line in lines):
        lines = [line for line in lines if not _PAGE_NUMBER.match(line)]
        text = "\n".join(lines)
    # table rows (cells separated by TABs) are never wrapped prose
    stripped = ["" if "\t" in line else line.rstrip() for line in lines]
    # a page wraps by display width (CJK = 2) or, in plain-text tools, by characters
    full: list[int] = []
    for measure in (_width, len):
        sizes = [measure(line) for line in stripped]
        floor = 40 if measure is _width else 20
        long_sizes = [w for w in sizes if w >= floor]
        if len(long_sizes) < 4:
            continue
        page = statistics.median_high(long_sizes)
        slack = 6 if measure is _width else 2
        at_page = sum(1 for w in long_sizes if abs(w - page) <= slack)
        candidates = [
            i
            for i, (line, w) in enumerate(zip(stripped, sizes, strict=True))
            if w >= page - slack and line and line[-1] not in _TERMINAL
        ]
        if at_page >= 0.5 * len(long_sizes) and len(candidates) >= 3:
            full = candidates
            break
    if not full:
        return text, 0
    full_set = set(full)
    out: list[str] = []
    joined = 0
    for i, line in enumerate(lines):
        if (
            out
            and (i - 1) in full_set
            and line.strip()
            and "\t" not in line
            and not _OPENS_ITEM.match(line)
        ):
            out[-1] = out[-1].rstrip() + line.strip()
            joined += 1
        else:
            out.append(line)
    return "\n".join(out), joined
