"""Task tables that arrive as Excel workbooks (任务分解表.xlsx), as text for the parser.

An annex task table is often sent on its own as a workbook. Each sheet becomes its name
on a line, then its rows as TAB-separated lines (the contract in
:mod:`geoplan.plan._read`): a merged cell is repeated in each row it spans and left empty
in the columns it spans after its first; dates are written the Chinese way
(2025年12月31日), whole numbers without ``.0``.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from .._errors import PlanParseError
from ._read import table_lines


def xlsx_text(data: bytes, name: str) -> str:
    """Return every sheet of a workbook as lines: the sheet's name, then its rows."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise PlanParseError(
            f"{name} is not a readable Excel workbook ({exc}); open it in Excel or WPS and "
            "save it again as .xlsx"
        ) from exc
    lines: list[str] = []
    for sheet in book.worksheets:
        grid: list[list[Any]] = [list(row) for row in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:
            top = merged.min_row - 1
            left = merged.min_col - 1
            value = grid[top][left] if top < len(grid) and left < len(grid[top]) else None
            for r in range(top, min(merged.max_row, len(grid))):
                for c in range(left, min(merged.max_col, len(grid[r]))):
                    # down the rows: the value again; across the columns: left empty
                    grid[r][c] = value if c == left else _SPANNED
        rows = [[None if v is _SPANNED else _cell(v) for v in row] for row in grid]
        body = table_lines(rows)
        if body:
            lines.append(sheet.title)
            lines.extend(body)
    if not lines:
        raise PlanParseError(f"{name} is an Excel workbook with no text in any sheet")
    return "\n".join(lines) + "\n"


_SPANNED = object()


def _cell(value: Any) -> str:
    """A cell's value as the text a reader sees.

    Examples
    --------
    >>> _cell(dt.datetime(2025, 12, 31)), _cell(10.0), _cell(2.5), _cell(None)
    ('2025年12月31日', '10', '2.5', '')
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
