"""The ledger (台账) template a lead office sends to each responsible unit.

:func:`write_template` writes an Excel workbook from the plan register:

- ``说明`` — how to fill it in, in Chinese, with an example row;
- ``目标`` — one row per target quantity (words-only targets too): 目标编号 ``9-1``
  (task 9's first target), task, target text, deadline (a date cell), quantity, unit,
  lead unit and the other responsible units;
- ``台账`` — the sheet to fill in, one row per piece of work: 任务编号, 目标编号, 项目名称,
  填报单位, 乡镇, 日期, 状态, 数量, 单位, 图层, 要素编号, 经度, 纬度, X坐标, Y坐标, 备注. Drop-down
  lists for task numbers, targets, statuses, units, reporting units and layers; dates
  validated as dates; the header row frozen and protected (the rows below stay editable).

:func:`geoplan.records.read_records` reads a filled-in copy back; ``geoplan records
merge`` merges the copies the units return.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import settings
from .._common.atomic import atomic_path
from .._common.cells import escape_cell
from .._errors import RecordsError
from ..catalogue import LAYER_KINDS, STATUS_LABELS
from ..settings import logger
from ._units import same_kind_units

#: The ledger sheet's columns: (header, width, record column).
LEDGER_HEADERS: tuple[tuple[str, int, str], ...] = (
    ("任务编号", 9, "task_id"),
    ("目标编号", 10, "target"),
    ("项目名称", 28, "name"),
    ("填报单位", 18, "reporter"),
    ("乡镇", 10, "town"),
    ("日期", 12, "date"),
    ("状态", 9, "status"),
    ("数量", 11, "quantity"),
    ("单位", 9, "unit"),
    ("图层", 12, "layer"),
    ("要素编号", 10, "feature_id"),
    ("经度", 11, "lon"),
    ("纬度", 11, "lat"),
    ("X坐标", 12, "x"),
    ("Y坐标", 12, "y"),
    ("备注", 30, "note"),
)
TARGET_HEADERS: tuple[tuple[str, int], ...] = (
    ("目标编号", 10),
    ("任务编号", 9),
    ("任务名称", 22),
    ("目标内容", 60),
    ("期限", 12),
    ("比较", 6),
    ("目标数量", 12),
    ("单位", 9),
    ("每年/各乡镇", 12),
    ("牵头单位", 20),
    ("配合单位", 40),
)
#: Units offered in the drop-down beyond the plan's own.
COMMON_UNITS: tuple[str, ...] = (
    "%",
    "个",
    "处",
    "套",
    "栋",
    "户",
    "项",
    "公里",
    "米",
    "平方米",
    "万平方米",
    "亩",
    "元",
    "万元",
    "亿元",
)
STATUS_CHOICES: tuple[str, ...] = ("已完成", "在建", "计划")
#: Rows of the ledger sheet prepared for input (validation, formats, unlocked cells).
DEFAULT_ROWS = 500
_TOWN = re.compile(r"(镇|乡|街道)$")
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


def target_key(task_id: int, target_index: int) -> str:
    """The 目标编号 a ledger uses: task 9's first target (index 0) is ``9-1``.

    >>> target_key(9, 0)
    '9-1'
    """
    return f"{task_id}-{target_index + 1}"


def _short(unit: str) -> str:
    return re.sub(r"^区", "", unit.strip())


def units_tasks(plan: Any, unit: str) -> list[int]:
    """The tasks a responsible unit reports on: those naming it, or 各乡镇 for a town.

    A unit matches a task unit when one contains the other, ignoring a leading 区
    (``规划建设与交通运输局`` matches ``区规划建设与交通运输局``); a town (…镇, …乡,
    …街道) also reports on every task whose units include 各乡镇.
    """
    me = _short(unit)
    is_town = bool(_TOWN.search(me))
    found = []
    for task in plan.tasks:  # ~30 tasks
        names = [_short(u) for u in task.units]
        if any(me in u or (u and u in me) for u in names) or (
            is_town and any("各乡镇" in u or "各镇" in u for u in names)
        ):
            found.append(task.id)
    return found


def _plan_units(plan: Any) -> list[str]:
    seen: dict[str, None] = {}
    for task in plan.tasks:
        for u in task.units:
            seen.setdefault(u.strip(), None)
    return list(seen)


def write_template(
    plan: Any,
    path: str | Path,
    *,
    units: Sequence[str] | None = None,
    unit: str | None = None,
    rows: int = DEFAULT_ROWS,
    tasks: Iterable[int] | None = None,
) -> Path:
    """Write the ledger workbook for ``plan`` to ``path`` (atomically).

    Parameters
    ----------
    plan
        A :class:`~geoplan.Plan`.
    path
        The ``.xlsx`` to write.
    units
        The reporting units offered in the 填报单位 drop-down (default: the plan's units,
        plus the towns given).
    unit
        The one unit this copy is for (``--split``): shown on the 说明 sheet, stored in
        the workbook, and taken as 填报单位 of rows that leave it empty.
    rows
        Ledger rows prepared with drop-downs and date formats.
    tasks
        Only these tasks' targets (default: every task).

    Returns
    -------
    Path
        ``path``.
    """
    try:
        import openpyxl
    except ImportError as exc:  # a core dependency; only a broken install lacks it
        from .._errors import MissingDependencyError

        raise MissingDependencyError(
            "writing ledgers needs openpyxl; pip install openpyxl"
        ) from exc
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise RecordsError(f"ledger template `{path}` must be an .xlsx file; name it 台账.xlsx")
    wanted = None if tasks is None else set(tasks)
    chosen = [t for t in plan.tasks if wanted is None or t.id in wanted]
    if not chosen:
        raise RecordsError(
            f"ledger template `{path}`: no task of the plan is selected (asked for "
            f"{sorted(wanted or [])}; the plan has tasks {plan.tasks[0].id}–{plan.tasks[-1].id})"
        )
    offered = list(dict.fromkeys([*(units or _plan_units(plan)), *([unit] if unit else [])]))
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E78")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    book = openpyxl.Workbook()
    guide = book.active
    guide.title = "说明"
    targets_ws = book.create_sheet("目标")
    ledger = book.create_sheet("台账")
    lists = book.create_sheet("_选项")
    lists.sheet_state = "hidden"

    # --- targets sheet: one row per quantity; words-only targets with empty quantity
    target_rows: list[list[Any]] = []
    target_keys: list[str] = []
    plan_units: set[str] = set()
    for task in chosen:
        for ti, target in enumerate(task.targets):
            key = target_key(task.id, ti)
            target_keys.append(key)
            quantities = target.quantities or [None]
            for q in quantities:
                per = [w for w in ("每年", "各乡镇") if q is not None and w in q.qualifiers]
                if q is not None:
                    plan_units.add(q.unit)
                target_rows.append(
                    [
                        key,
                        task.id,
                        task.title,
                        target.text,
                        target.deadline,
                        None if q is None else q.comparator,
                        None if q is None else q.value,
                        None if q is None else q.unit,
                        "、".join(per) or None,
                        task.units[0] if task.units else None,
                        "、".join(task.units[1:]) or None,
                    ]
                )
    _header(targets_ws, TARGET_HEADERS, header_font, header_fill, border)
    for r, values in enumerate(target_rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = targets_ws.cell(r, c, escape_cell(value))
            cell.border = border
            cell.alignment = wrap
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
        targets_ws.cell(r, 1).number_format = "@"
    targets_ws.freeze_panes = "B2"
    last_col = get_column_letter(len(TARGET_HEADERS))
    targets_ws.auto_filter.ref = f"A1:{last_col}{len(target_rows) + 1}"

    # --- hidden lists for the drop-downs (a range, so lists longer than 255 characters work)
    unit_choices = list(dict.fromkeys([*sorted(plan_units), *COMMON_UNITS]))
    for u in list(plan_units):
        unit_choices += [x for x in same_kind_units(u) if x not in unit_choices]
    columns = {
        "任务编号": [t.id for t in chosen],
        "目标编号": target_keys,
        "状态": list(STATUS_CHOICES),
        "单位": unit_choices,
        "填报单位": offered,
        "图层": [spec.label for spec in LAYER_KINDS.values()],
    }
    for c, (name, values) in enumerate(columns.items(), start=1):
        lists.cell(1, c, name)
        for r, value in enumerate(values, start=2):
            lists.cell(r, c, escape_cell(value)).number_format = "@"
        letter = get_column_letter(c)
        ref = f"'_选项'!${letter}$2:${letter}${len(values) + 1}"
        book.defined_names[f"选项_{name}"] = DefinedName(f"选项_{name}", attr_text=ref)

    # --- the ledger sheet
    _header(ledger, tuple((h, w) for h, w, _ in LEDGER_HEADERS), header_font, header_fill, border)
    col = {h: get_column_letter(i) for i, (h, _, _) in enumerate(LEDGER_HEADERS, start=1)}
    last = rows + 1
    unlocked = Protection(locked=False)
    formats = {"日期": "yyyy-mm-dd", "目标编号": "@", "要素编号": "@", "任务编号": "0"}
    for r in range(2, last + 1):
        for h, _, _ in LEDGER_HEADERS:
            cell = ledger[f"{col[h]}{r}"]
            cell.protection = unlocked
            if h in formats:
                cell.number_format = formats[h]
    for h, name in (
        ("任务编号", "选项_任务编号"),
        ("目标编号", "选项_目标编号"),
        ("状态", "选项_状态"),
        ("单位", "选项_单位"),
        ("填报单位", "选项_填报单位"),
        ("图层", "选项_图层"),
    ):
        strict = h in ("任务编号", "目标编号", "状态")
        dv = DataValidation(
            type="list",
            formula1=f"={name}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            errorTitle=f"{h}不在列表中",
            error=f"请从下拉列表中选择{h}" + ("" if strict else "；确需其他值可点“是”保留"),
            promptTitle=h,
            prompt=f"从下拉列表选择{h}",
        )
        dv.add(f"{col[h]}2:{col[h]}{last}")
        ledger.add_data_validation(dv)
    today_limit = dt.date(settings.PLAN_START.year + 30, 12, 31)
    dv = DataValidation(
        type="date",
        operator="between",
        formula1=f"DATE({settings.PLAN_START.year - 10},1,1)",
        formula2=f"DATE({today_limit.year},12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="日期无效",
        error="请输入日期，例如 2023-05-01",
    )
    dv.add(f"{col['日期']}2:{col['日期']}{last}")
    ledger.add_data_validation(dv)
    for h, low, high in (("数量", 0, None), ("经度", 73, 136), ("纬度", 3, 54)):
        dv = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual" if high is None else "between",
            formula1=str(low),
            formula2=None if high is None else str(high),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{h}应为数字",
            error=f"{h}只填数字；单位写在“单位”列，说明写在“备注”列",
        )
        dv.add(f"{col[h]}2:{col[h]}{last}")
        ledger.add_data_validation(dv)
    ledger.freeze_panes = "A2"
    ledger.protection.sheet = True
    ledger.protection.formatColumns = False  # False = allowed in openpyxl's flags
    ledger.protection.formatRows = False
    ledger.protection.sort = False
    ledger.protection.autoFilter = False
    ledger.protection.insertRows = False
    ledger.protection.deleteRows = False

    # --- instructions with an example row
    example = _example(chosen, plan_units)
    title = getattr(plan.meta, "title", "") or "规划"
    doc = getattr(plan.meta, "doc_number", "") or ""
    lines = [
        (f"{title}{'（' + doc + '）' if doc else ''} 进度台账", True),
        (f"填报单位：{unit}" if unit else "填报单位：各责任单位（在“填报单位”列选择）", True),
        (f"生成日期：{dt.date.today().isoformat()}（geoplan records template）", False),
        ("", False),
        ("填写方法", True),
        ("1. 在“台账”表中每完成或推进一项工作填一行；“目标”表列出本台账涉及的全部目标。", False),
        ("2. 任务编号、目标编号从下拉列表选择；目标编号如 9-1 表示任务9的第1个目标。", False),
        (
            "3. 状态填 已完成、在建 或 计划；日期填完成（或开工、计划）日期，例如 2023-05-01。",
            False,
        ),
        ("4. 数量只填数字，单位在“单位”列选择，应与目标的单位一致或可换算", False),
        ("   （万平方米↔平方米，亿元↔万元↔元，公里↔米；套、栋、处等个数不能互相换算）。", False),
        ("5. 没有数量的目标（如“全面完成”）：完成时填一行“已完成”，数量可不填。", False),
        (
            "6. 与图层要素对应的工作填“图层”和“要素编号”；没有编号的填经度、纬度（或X、Y坐标，",
            False,
        ),
        ("   CGCS2000 3度带 EPSG:4549）。", False),
        ("7. 不要改动表头、不要插入合计行；按月报送，同一工作的新进展另起一行。", False),
        ("", False),
        ("示例（请勿在本表填写）", True),
    ]
    for r, (text, bold) in enumerate(lines, start=1):
        cell = guide.cell(r, 1, text)
        cell.font = Font(bold=bold, size=14 if r == 1 else 11)
    start = len(lines) + 1
    for c, (h, width, _) in enumerate(LEDGER_HEADERS, start=1):
        cell = guide.cell(start, c, h)
        cell.font, cell.fill, cell.border = header_font, header_fill, border
        value = example.get(h)
        cell = guide.cell(start + 1, c, escape_cell(value))
        cell.border = border
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        guide.column_dimensions[get_column_letter(c)].width = max(width, 12)
    guide.column_dimensions["A"].width = 14
    guide.sheet_view.showGridLines = False

    book.properties.title = f"{title} 进度台账"
    book.properties.creator = "geoplan"
    from openpyxl.packaging.custom import StringProperty

    book.custom_doc_props.append(StringProperty(name="geoplan_plan", value=title[:250]))
    if unit:
        book.custom_doc_props.append(StringProperty(name="geoplan_reporter", value=unit))
    book.active = 2  # open on the ledger sheet
    with atomic_path(path) as tmp:
        book.save(tmp)
    logger.info("ledger template: %d targets, %d tasks -> %s", len(target_keys), len(chosen), path)
    return path


def _header(ws: Any, headers: Sequence[tuple[str, int]], font: Any, fill: Any, border: Any) -> None:
    from openpyxl.styles import Alignment, Protection
    from openpyxl.utils import get_column_letter

    for c, (h, width) in enumerate(headers, start=1):
        cell = ws.cell(1, c, h)
        cell.font, cell.fill, cell.border = font, fill, border
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.protection = Protection(locked=True)
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[1].height = 22


def _example(tasks: Sequence[Any], units: set[str]) -> dict[str, Any]:
    """An example ledger row for the first target with a count, area or length quantity."""
    for task in tasks:
        for ti, target in enumerate(task.targets):
            for q in target.quantities:
                if q.unit != "%":
                    return {
                        "任务编号": task.id,
                        "目标编号": target_key(task.id, ti),
                        "项目名称": f"{task.title}（示例项目）",
                        "填报单位": task.units[0] if task.units else "",
                        "日期": dt.date(settings.PLAN_START.year + 1, 6, 30),
                        "状态": STATUS_LABELS["completed"],
                        "数量": round(q.value / 10, 2) if q.value >= 10 else q.value,
                        "单位": q.unit,
                        "备注": "示例：本行说明填写方法",
                    }
    task = tasks[0]
    return {
        "任务编号": task.id,
        "目标编号": target_key(task.id, 0) if task.targets else "",
        "项目名称": f"{task.title}（示例）",
        "日期": dt.date(settings.PLAN_START.year + 1, 6, 30),
        "状态": STATUS_LABELS["completed"],
        "备注": "示例：没有数量的目标完成时填一行“已完成”",
    }


def split_paths(path: str | Path, units: Sequence[str]) -> dict[str, Path]:
    """One file per unit beside ``path``: ``台账.xlsx`` -> ``台账_洛阳镇.xlsx``…"""
    path = Path(path)
    safe = {u: _UNSAFE.sub("_", u) for u in units}
    return {u: path.with_name(f"{path.stem}_{safe[u]}{path.suffix}") for u in units}


__all__ = ["LEDGER_HEADERS", "split_paths", "target_key", "units_tasks", "write_template"]
