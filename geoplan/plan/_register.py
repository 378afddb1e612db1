"""The task register as a section chief opens it: one row per target quantity, every task.

:func:`register_frame` lays a :class:`~geoplan.plan.Plan` out flat: one row per quantity
of each target (a target promising 1万套 and 100万平方米 gives two rows), one row for a
target without quantities, and one row for a task without any target, so every task of
the plan is on the sheet with its lead unit, the other units and its deadlines.
:func:`register_csv` renders it as CSV (``Plan.to_csv`` writes it UTF-8 with a
byte-order mark by default, which Excel in China needs) and :func:`write_xlsx` as an Excel
workbook: bold frozen header, autofilter, column widths, deadlines as date cells. Every
text cell is escaped with :func:`geoplan._common.cells.escape_cell` so that a title such
as ``=HYPERLINK(...)`` stays text, and every file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._common.atomic import atomic_path
from .._common.cells import escape_cell, escape_frame

if TYPE_CHECKING:
    import pandas as pd

    from ._model import Plan

#: The register's columns, in order, with the header each has in the Excel workbook.
REGISTER_COLUMNS: dict[str, str] = {
    "task_id": "序号",
    "section": "所属行动",
    "title": "任务",
    "lead_unit": "牵头单位",
    "other_units": "配合单位",
    "target_index": "目标序号",
    "target_text": "目标",
    "deadline": "完成时限",
    "year": "目标年份",
    "year_from": "起始年份",
    "year_source": "年份来源",
    "quantity_index": "指标序号",
    "value": "数值",
    "unit": "单位",
    "comparator": "比较",
    "qualifiers": "限定",
    "task_text": "任务内容",
}

#: How several units in the ``other_units`` cell are separated (unit names hold 、).
UNIT_SEPARATOR = "；"

_INTEGER_COLUMNS = ("task_id", "target_index", "year", "year_from", "quantity_index")


def register_frame(plan: Plan) -> pd.DataFrame:
    """Return the register: one row per quantity, per target without one, per bare task.

    Columns are :data:`REGISTER_COLUMNS`' keys. ``target_index`` and ``quantity_index``
    number a task's targets and a target's quantities from 0 and are empty (``<NA>``)
    where the row has none; ``deadline`` is a ``datetime64`` (NaT when undated);
    ``qualifiers`` are joined with ``;``, ``other_units`` with ``；``.
    ``year_source`` says where a target's year came from (empty when the parser does
    not say).

    Examples
    --------
    >>> import warnings
    >>> from geoplan.datasets import SAMPLE_PLAN, data_path
    >>> from geoplan.plan import parse_plan
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     plan = parse_plan(data_path(SAMPLE_PLAN))
    >>> frame = register_frame(plan)
    >>> frame["task_id"].nunique(), len(frame)
    (32, 50)
    >>> frame.loc[frame["task_id"] == 7, ["lead_unit", "value", "unit"]].values.tolist()
    [['区规划建设与交通运输局', 10000.0, '套'], ['区规划建设与交通运输局', 1000000.0, '平方米']]
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for task in plan.tasks:
        base = {
            "task_id": task.id,
            "section": task.section,
            "title": task.title,
            "lead_unit": task.units[0] if task.units else "",
            "other_units": UNIT_SEPARATOR.join(task.units[1:]),
            "task_text": task.text,
        }
        if not task.targets:
            rows.append(base)
        for ti, target in enumerate(task.targets):
            dated = {
                **base,
                "target_index": ti,
                "target_text": target.text,
                "deadline": target.deadline,
                "year": target.year,
                "year_from": target.year_from,
                "year_source": getattr(target, "year_source", None) or "",
            }
            if not target.quantities:
                rows.append(dated)
            for qi, q in enumerate(target.quantities):
                rows.append(
                    {
                        **dated,
                        "quantity_index": qi,
                        "value": q.value,
                        "unit": q.unit,
                        "comparator": q.comparator or "",
                        "qualifiers": ";".join(q.qualifiers),
                    }
                )
    frame = pd.DataFrame(rows, columns=list(REGISTER_COLUMNS))
    for column in _INTEGER_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    frame["value"] = frame["value"].astype("float64")
    frame["deadline"] = pd.to_datetime(frame["deadline"]).astype("datetime64[ms]")
    text = [c for c in REGISTER_COLUMNS if c not in (*_INTEGER_COLUMNS, "value", "deadline")]
    frame[text] = frame[text].fillna("").astype(object)
    return frame


def register_csv(plan: Plan) -> str:
    """The register as CSV text (no byte-order mark), every text cell escaped."""
    frame = register_frame(plan)
    frame["deadline"] = frame["deadline"].dt.strftime("%Y-%m-%d").astype(object)
    buffer = io.StringIO()
    escape_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def write_xlsx(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the register as an Excel workbook to ``path`` atomically and return the path.

    Sheet 任务清单 holds the register with Chinese headers (row 1, bold, frozen, with an
    autofilter) and deadlines as date cells; sheet 说明 holds the plan's title, number,
    issuer, date and counts, and the column names the CSV uses for each header.
    """
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    frame = register_frame(plan)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "任务清单"
    sheet.append([REGISTER_COLUMNS[c] for c in frame.columns])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
    deadline_col = list(frame.columns).index("deadline") + 1
    for record in frame.itertuples(index=False):
        values: list[Any] = []
        for value in record:
            if value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
                values.append(None)
            elif isinstance(value, pd.Timestamp):
                values.append(value.date())
            elif isinstance(value, str):
                values.append(_xlsx_text(value) or None)
            else:
                values.append(value.item() if hasattr(value, "item") else value)
        sheet.append(values)
    for row in sheet.iter_rows(min_row=2, min_col=deadline_col, max_col=deadline_col):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, column in enumerate(frame.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(
            REGISTER_COLUMNS[column], frame[column]
        )
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions

    about = workbook.create_sheet("说明")
    meta = plan.meta
    for label, value in (
        ("标题", meta.title),
        ("文号", meta.doc_number),
        ("发文机关", meta.issuer),
        ("成文日期", meta.date),
        ("索引号", meta.index_number),
        ("任务数", len(plan.tasks)),
        ("目标数", sum(len(t.targets) for t in plan.tasks)),
        ("行数", len(frame)),
    ):
        about.append([label, _xlsx_text(value) if isinstance(value, str) else value])
    about.append([])
    about.append(["表头", "CSV 列名"])
    for column, header in REGISTER_COLUMNS.items():
        about.append([header, column])
    for row in about.iter_rows():
        if isinstance(row[1].value, dt.date):
            row[1].number_format = "yyyy-mm-dd"
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 60

    with atomic_path(path, what="register", suffix=".xlsx") as tmp:
        workbook.save(tmp)
    return Path(path)


def _xlsx_text(value: str) -> str:
    """A text cell for openpyxl: formula-escaped, without the control characters Excel refuses."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return str(escape_cell(ILLEGAL_CHARACTERS_RE.sub("", value)))


def _width(header: str, values: pd.Series) -> float:
    """A column width that fits the header and most cells (Chinese characters count two)."""
    texts = [header] + [
        v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else str(v)
        for v in values.dropna().head(500)
    ]
    widest = max(sum(1 + (unicodedata.east_asian_width(ch) in "WF") for ch in t) for t in texts)
    return float(min(max(widest + 2, 6), 60))
