"""Excel ledgers (台账) as the lead office gets them back: sheets of rows for the log.

A returned ledger is rarely a clean table: a merged title row above the headers, a task
number merged down over the rows of its task, a 合计 row at the bottom, a second sheet for
another month, dates typed as text beside dates entered as dates, 1,200 typed as text.
:func:`read_workbook` turns every ledger sheet of a workbook into a frame of text cells
with the Excel row number of each row, ready for :func:`geoplan.records.read_records`:

- the header row is found among the first rows (the first with a task column and a date
  or status column); sheets without one (instructions, the targets sheet) are skipped;
- merged cells take the value of their top-left cell in every cell they cover;
- rows whose first filled cell reads 合计 / 总计 / 小计 are totals, not work: they are
  left out with a note (logged, and kept in ``attrs["geoplan_skipped"]``);
- blank rows are left out; date cells become ``YYYY-MM-DD``, numbers plain text.

openpyxl reads the file (merged cells need its full mode). Formulas are read as the value
Excel cached when it saved the file.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import DataReadError, MissingDependencyError

logger = logging.getLogger(__name__)

#: First-cell words that mark a total row.
TOTAL_WORDS: tuple[str, ...] = ("合计", "总计", "小计", "共计", "累计", "total")
#: Sheets of a geoplan template that are not ledgers (hidden sheets are skipped too).
GUIDE_SHEETS: frozenset[str] = frozenset({"说明", "填写说明", "目标"})
#: How many rows from the top may precede the header row (titles, notes, dates).
HEADER_SEARCH_ROWS = 12


@dataclass
class SheetTable:
    """One ledger sheet: text cells under their headers, with the Excel row numbers."""

    sheet: str
    frame: pd.DataFrame  # text cells, columns = headers as written
    rows: list[int]  # Excel row number of each frame row
    letters: dict[str, str]  # header -> column letter
    skipped: list[str] = field(default_factory=list)  # notes on rows left out
    reporter: str = ""  # the unit a --split template was written for


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_header(cells: list[str], known: dict[str, str]) -> bool:
    names = {known.get(c.strip().lower()) or known.get(c.strip()) for c in cells if c}
    return "task_id" in names and bool(names & {"date", "status"})


def read_workbook(path: str | Path, known_headers: dict[str, str]) -> list[SheetTable]:
    """Every ledger sheet of the workbook at ``path``.

    Parameters
    ----------
    path
        An ``.xlsx`` / ``.xlsm`` file.
    known_headers
        Header text (lower-case) -> record column, to recognise the header row.

    Raises
    ------
    DataReadError
        The file is not a readable workbook, or no sheet has a ledger header.
    """
    try:
        import openpyxl
    except ImportError as exc:  # a core dependency; only a broken install lacks it
        raise MissingDependencyError(
            "reading Excel ledgers needs openpyxl; pip install openpyxl"
        ) from exc
    from openpyxl.utils import get_column_letter

    path = Path(path)
    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors alike
        raise DataReadError(
            f"ledger `{path}` is not a readable Excel workbook ({type(exc).__name__}: {exc}); "
            "save it from Excel or WPS as .xlsx (Excel 工作簿) and read it again"
        ) from None
    known = {k.lower(): v for k, v in known_headers.items()}
    reporter = ""
    for prop in getattr(book, "custom_doc_props", ()):  # written by geoplan records template
        if prop.name == "geoplan_reporter":
            reporter = str(prop.value or "")
    tables: list[SheetTable] = []
    for ws in book.worksheets:
        if ws.sheet_state != "visible" or ws.title in GUIDE_SHEETS:
            logger.info("ledger %s: sheet %s is not a ledger sheet; skipped", path, ws.title)
            continue
        grid = [[_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
        if not grid:
            continue
        for rng in ws.merged_cells.ranges:
            top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(grid) else ""
            for r in range(rng.min_row, min(rng.max_row, len(grid)) + 1):
                row = grid[r - 1]
                for c in range(rng.min_col, min(rng.max_col, len(row)) + 1):
                    row[c - 1] = top
        header_at = next(
            (i for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]) if _is_header(row, known)),
            None,
        )
        if header_at is None:
            logger.info("ledger %s: sheet %s has no ledger header; skipped", path, ws.title)
            continue
        header = grid[header_at]
        keep = [j for j, h in enumerate(header) if h]
        names = [header[j] for j in keep]
        letters = {header[j]: get_column_letter(j + 1) for j in keep}
        body, numbers, skipped = [], [], []
        for i, row in enumerate(grid[header_at + 1 :], start=header_at + 2):
            cells = [row[j] if j < len(row) else "" for j in keep]
            if not any(cells):
                continue
            first = next(c for c in cells if c)
            if first.replace(" ", "").lower().startswith(TOTAL_WORDS):
                note = f"{path.name} › {ws.title} › 第{i}行：合计行（{first}），不作为记录读取"
                skipped.append(note)
                logger.info("%s", note)
                continue
            body.append(cells)
            numbers.append(i)
        frame = pd.DataFrame(body, columns=names, dtype=object)
        tables.append(SheetTable(ws.title, frame, numbers, letters, skipped, reporter))
    if not tables:
        raise DataReadError(
            f"ledger `{path}` has no sheet with a ledger header (a row naming 任务编号 and "
            f"日期 or 状态 among its first {HEADER_SEARCH_ROWS} rows); sheets: "
            f"{', '.join(ws.title for ws in book.worksheets)}. Start from "
            "`geoplan records template`"
        )
    return tables


__all__ = ["TOTAL_WORDS", "SheetTable", "read_workbook"]
