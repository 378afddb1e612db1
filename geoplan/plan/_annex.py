"""Task tables (附件：重点任务分解表 / 任务清单) in a plan's text, for :mod:`geoplan.plan`.

A task table reaches the parser in one of two forms:

- one line per row, cells separated by a TAB (what the .docx, .html and .pdf readers give;
  a merged cell is repeated in every row it spans);
- one cell per line (text copied from a web page): a merged cell appears once, in the first
  row it spans, so a row without a unit cell takes the units of the row above.

Both are found by their header (序号 | 任务 | 责任单位 | 完成时限 …) and read in one pass
over the lines, so a table of 16 000 rows takes time in proportion to its size. Cells are
returned as offsets into the text; :mod:`._parse` turns the rows into tasks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Span = tuple[int, int]

_NUM_HEAD = re.compile(r"^(?:序号|编号|序|No\.?|NO\.?)$")
_GROUP_HEAD = re.compile(r"类型|类别|分类|领域|板块|方向|^行动|专项行动|重点工作$")
_TASK_HEAD = re.compile(
    r"任务|工作内容|项目名称|具体内容|主要内容|工作措施|具体措施|^内容$|事项|项目"
)
_UNIT_HEAD = re.compile(r"单位|部门|主体|责任人")
_OTHER_ROLE = re.compile(r"配合|协办|参与|支撑|协同|协助")
_DATE_HEAD = re.compile(r"时限|时间|期限|节点|进度|年份|年度")
_GOAL_HEAD = re.compile(r"目标|指标|成效|预期")
# a column per year of the plan: 2024年 | 2025年目标 | 2026年度任务
_YEAR_HEAD = re.compile(r"^((?:19|20)\d\d)\s*年?\s*度?(?:目标|任务|计划)?值?$")
_HEADER_WORD = re.compile(r"^(?:序号|编号|序|No\.?|[\u4e00-\u9fff/（）()]{2,12})$")

UNIT_SUFFIX = re.compile(
    r"(?:局|委|委员会|办|办公室|街道|镇|乡|街镇|乡镇|集团|公司|政府|中心|专班|部|厅|院|署|会|队"
    r"|站|所|科|组|单位|部门|机构|指挥部|总办|管委会|社|银行|学校|医院|党委|团委|分行)"
    r"(?:[（(][^）)]*[）)])?$"
)
UNIT_PREFIX = re.compile(r"^(?:各|相关|有关|区属|市属|县属)")
_ROLE_LABEL = re.compile(
    r"^\s*(?:[\u4e00-\u9fff]{0,4}(?:单位|部门))\s*[:：]\s*|(?:牵头|配合|责任|协办)\s*[:：]"
)
_NUMBER_LINE = re.compile(r"^\s*(\d{1,6})\s*[.、．]?\s*$")
_DATE_CELL = re.compile(
    r"(?:19|20)\d\d\s*(?:年|[.\-/]\s*\d{1,2})|^(?:长期|持续|常态化|每年|逐年|年内|年底前|年底|全年"
    r"|按年度|分年度|按计划)"
)
_MAJOR_LABEL = re.compile(
    r"^\s*(?:(?:专项)?行动\s*[一二三四五六七八九十\d]+|[一二三四五六七八九十]+\s*[、.]"
    r"|[（(]\s*[一二三四五六七八九十]+\s*[)）]|第[一二三四五六七八九十]+[部分章])"
)


@dataclass
class Row:
    """One task row: the cells' offsets into the text."""

    number: int | None
    task: Span
    units: list[tuple[Span, bool]] = field(default_factory=list)  # (cell, is_lead)
    deadline: Span | None = None
    extra: list[Span] = field(default_factory=list)  # goal or detail cells: more targets
    section: Span | None = None  # the group label the row stands under (任务类型, 行动一：…)
    by_year: list[tuple[Span, int]] = field(default_factory=list)  # cells of year columns
    inherited_units: bool = False


@dataclass
class Table:
    """A task table: where it stands and its rows."""

    start: int
    end: int
    form: str  # "tab" or "lines"
    rows: list[Row]
    skipped: list[str] = field(default_factory=list)  # lines read as neither row nor label


def is_unit_cell(text: str) -> bool:
    """Whether a cell names responsible units (区规划资源局、各相关街镇 …), not a task."""
    text = _ROLE_LABEL.sub("", text.strip())
    if not text or "。" in text or len(text) > 300:
        return False
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    pieces = [p.strip() for p in re.split(r"[、，,；;/\s]+|[:：]", text) if p.strip()]
    if not pieces or any(len(p) > 30 for p in pieces):
        return False
    unit_like = sum(1 for p in pieces if UNIT_SUFFIX.search(p) or UNIT_PREFIX.match(p))
    return unit_like * 2 >= len(pieces) and unit_like > 0


def is_date_cell(text: str) -> bool:
    """Whether a cell is a deadline (2025年底前, 2024年12月, 长期坚持 …)."""
    text = text.strip()
    return 0 < len(text) <= 30 and "。" not in text and bool(_DATE_CELL.search(text))


def _columns(cells: list[str]) -> dict[str, list[int]] | None:
    """Map a header row's cells to column roles; None when it is not a task-table header."""
    cols: dict[str, list[int]] = {"num": [], "task": [], "lead": [], "other": [], "date": []}
    cols |= {"group": [], "goal": [], "year": [], "year_value": []}
    for i, raw in enumerate(cells):
        cell = re.sub(r"\s", "", raw)
        if not cell:
            continue
        if year := _YEAR_HEAD.match(cell):
            cols["year"].append(i)
            cols["year_value"].append(int(year.group(1)))
        elif _NUM_HEAD.match(cell):
            cols["num"].append(i)
        elif _UNIT_HEAD.search(cell):
            cols["other" if _OTHER_ROLE.search(cell) else "lead"].append(i)
        elif _DATE_HEAD.search(cell) and not _TASK_HEAD.search(cell):
            cols["date"].append(i)
        elif _GROUP_HEAD.search(cell) and not re.search(r"内容|名称|措施", cell):
            cols["group"].append(i)
        elif _GOAL_HEAD.search(cell) and not _TASK_HEAD.search(cell):
            cols["goal"].append(i)
        elif _TASK_HEAD.search(cell):
            cols["task"].append(i)
    if not cols["task"] or not (cols["num"] or cols["lead"] or cols["other"]):
        return None
    return cols


def find_tables(norm: str, lines: list[Span]) -> list[Table]:
    """Return the task tables of a document, in either form, in document order."""
    tables: list[Table] = []
    i = 0
    n = len(lines)
    while i < n:
        a, b = lines[i]
        line = norm[a:b]
        if "\t" in line:
            cols = _columns(line.split("\t"))
            if cols is not None:
                table, i = _read_tab_table(norm, lines, i + 1, cols)
                tables.append(table)
                continue
        elif len(words := line.split()) >= 3 and all(_HEADER_WORD.match(w) for w in words):
            cols = _columns(words)  # 序号 工作任务 牵头单位 配合单位 完成时限 on one line
            if cols is not None and cols["num"]:
                table, i = _read_space_table(norm, lines, i + 1, cols, len(words))
                if table.rows or table.skipped:
                    tables.append(table)
                    continue
        elif (_HEADER_WORD.match(line.strip()) and _NUM_HEAD.match(line.strip())) or (
            _HEADER_WORD.match(line.strip()) and _GROUP_HEAD.search(line)
        ):
            header_end = i
            cells: list[str] = []
            while header_end < n:
                c = norm[lines[header_end][0] : lines[header_end][1]].strip()
                if not c:
                    header_end += 1
                    continue
                if not _HEADER_WORD.match(c) or _NUMBER_LINE.match(c) or len(cells) >= 8:
                    break
                cells.append(c)
                header_end += 1
            cols = _columns(cells)
            if cols is not None and cols["num"] and len(cells) >= 3:
                known = {c for idx in cols.values() for c in idx if c < len(cells)}
                table, i = _read_line_table(
                    norm, lines, header_end, cols, unknown=len(cells) - len(known)
                )
                table.start = a
                if table.rows:
                    tables.append(table)
                    continue
        i += 1
    return tables


def _cells(norm: str, a: int, b: int) -> list[Span]:
    spans = []
    start = a
    for m in re.finditer("\t", norm[a:b]):
        spans.append(_strip(norm, start, a + m.start()))
        start = a + m.end()
    spans.append(_strip(norm, start, b))
    return spans


def _strip(norm: str, a: int, b: int) -> Span:
    while a < b and norm[a].isspace():
        a += 1
    while b > a and norm[b - 1].isspace():
        b -= 1
    return a, b


def _number(text: str) -> int | None:
    m = _NUMBER_LINE.match(text)
    return int(m.group(1)) if m else None


def _read_tab_table(
    norm: str, lines: list[Span], first: int, cols: dict[str, list[int]]
) -> tuple[Table, int]:
    rows: list[Row] = []
    skipped: list[str] = []
    section: Span | None = None
    i = first
    quiet = 0  # non-table lines in a row: two end the table
    task_col = cols["task"][0]
    start = lines[first - 1][0]
    end = lines[first - 1][1]
    while i < len(lines):
        a, b = lines[i]
        line = norm[a:b]
        if "\t" not in line:
            quiet += 1
            if quiet >= 2 or not line.strip():
                break
            if _MAJOR_LABEL.match(line) or len(line.strip()) <= 40:
                section = _strip(norm, a, b)
            else:
                skipped.append(line.strip())
            i += 1
            continue
        quiet = 0
        cells = _cells(norm, a, b)
        texts = [norm[x:y] for x, y in cells]
        filled = {t for t in texts if t}
        if _columns(texts) is not None and not any(_number(t) for t in texts):
            i += 1  # a repeated header (a table that runs over pages)
            continue
        if filled and all(_UNIT_HEAD.search(t) or _DATE_HEAD.search(t) for t in filled):
            # a second header row under a merged one: 责任单位 -> 牵头单位 | 配合单位
            for c, t in enumerate(texts):
                if t and _UNIT_HEAD.search(t):
                    for role in ("lead", "other"):
                        if c in cols[role]:
                            cols[role].remove(c)
                    cols["other" if _OTHER_ROLE.search(t) else "lead"].append(c)
            i += 1
            continue
        task = cells[task_col] if task_col < len(cells) else (b, b)
        if len(filled) == 1 or task[0] == task[1]:
            label = next((c for c in cells if c[1] > c[0]), None)
            if label is not None:
                section = label
            i += 1
            end = b
            continue
        for g in cols["group"]:
            if g < len(cells) and cells[g][1] > cells[g][0]:
                section = cells[g]
        rows.append(_row(norm, cells, cols, section))
        end = b
        i += 1
    _inherit_units(rows, by_column=True)
    return Table(start, end, "tab", rows, skipped), i


def _row(norm: str, cells: list[Span], cols: dict[str, list[int]], section: Span | None) -> Row:
    """A task row from its cells, one per column of the header."""
    task_col = cols["task"][0]
    task = cells[task_col] if task_col < len(cells) else (cells[-1][1], cells[-1][1])
    number = None
    if cols["num"] and cols["num"][0] < len(cells):
        number = _number(norm[slice(*cells[cols["num"][0]])])
    row = Row(number, task, section=section)
    for role, is_lead in (("lead", True), ("other", False)):
        for c in cols[role]:
            if c < len(cells) and cells[c][1] > cells[c][0]:
                row.units.append((cells[c], is_lead))
    for c in cols["date"]:
        if c < len(cells) and cells[c][1] > cells[c][0]:
            row.deadline = cells[c]
    for c in cols["goal"] + cols["task"][1:]:
        if c < len(cells) and cells[c][1] > cells[c][0]:
            row.extra.append(cells[c])
    for c, year in zip(cols["year"], cols["year_value"], strict=True):
        if c < len(cells) and cells[c][1] > cells[c][0]:
            row.by_year.append((cells[c], year))
    return row


def _short_row(norm: str, cells: list[Span], cols: dict[str, list[int]], width: int) -> Row | None:
    """A space-separated row with fewer cells than the header: merged unit cells.

    It is read only when the number, task, unit and deadline cells fall in the header's
    order with nothing but unit cells missing (``5 改造管道12公里 区城管执法局 2024年12月底前``
    under 序号 任务 牵头单位 配合单位 完成时限): the lead cell is merged with the row above.
    """
    order = sorted(
        [(c, "num") for c in cols["num"][:1]]
        + [(c, "task") for c in cols["task"][:1]]
        + [(c, "lead") for c in cols["lead"]]
        + [(c, "other") for c in cols["other"]]
        + [(c, "date") for c in cols["date"]]
    )
    if len(order) != width or len(cells) < 3:
        return None
    texts = [norm[slice(*c)] for c in cells]
    kinds = [k for _, k in order]
    n_units = len(cells) - (len(kinds) - kinds.count("lead") - kinds.count("other"))
    if kinds[:2] != ["num", "task"] or n_units < 1:
        return None
    if any(k not in ("num", "task", "lead", "other", "date") for k in kinds):
        return None
    unit_texts = texts[2 : 2 + n_units]
    rest = texts[2 + n_units :]
    if not all(is_unit_cell(t) for t in unit_texts) or not all(is_date_cell(t) for t in rest):
        return None
    if len(rest) != kinds.count("date"):
        return None
    row = Row(_number(texts[0]), cells[1])
    unit_kinds = [k for k in kinds if k in ("lead", "other")][-n_units:]  # the lead is lost
    unit_cells = cells[2 : 2 + n_units]
    row.units = [(cell, k == "lead") for cell, k in zip(unit_cells, unit_kinds, strict=True)]
    if rest:
        row.deadline = cells[-1]
    return row


def _read_space_table(
    norm: str, lines: list[Span], first: int, cols: dict[str, list[int]], width: int
) -> tuple[Table, int]:
    """Read rows flattened to one line of space-separated cells (``1 编制规划 区住建局 …``).

    A row is read only when it splits into exactly as many cells as the header has (on
    runs of two spaces or more when that fits, else on every space): then the split is
    unambiguous. Any other line that opens with a row number is skipped (and
    reported), since a space inside a cell or a merged cell makes the split a guess.
    """
    rows: list[Row] = []
    skipped: list[str] = []
    start, end = lines[first - 1]
    i = first
    while i < len(lines):
        a, b = lines[i]
        cells = [(a + m.start(), a + m.end()) for m in re.finditer(r"\S+", norm[a:b])]
        if not cells or _number(norm[slice(*cells[0])]) is None:
            break
        # cells set apart by two spaces or more may hold single spaces (改造 人行道)
        wide = [(a + m.start(), a + m.end()) for m in re.finditer(r"\S+(?: \S+)*", norm[a:b])]
        if len(wide) == width:
            cells = wide
        if len(cells) == width:
            rows.append(_row(norm, cells, cols, None))
        elif (row := _short_row(norm, cells, cols, width)) is not None:
            rows.append(row)
        else:
            skipped.append(norm[a:b].strip())
        end = b
        i += 1
    _inherit_units(rows, by_column=True)
    return Table(start, end, "tab", rows, skipped), i


def _read_line_table(
    norm: str, lines: list[Span], first: int, cols: dict[str, list[int]], *, unknown: int = 0
) -> tuple[Table, int]:
    """Read a table flattened to one cell per line (see the module docstring).

    ``unknown`` header cells have no role (牵头市领导, 备注): a row's short cells that are
    neither units nor dates are theirs, up to that many, and are passed over.
    """
    rows: list[Row] = []
    skipped: list[str] = []
    section: Span | None = None
    label: Span | None = None
    phase = "labels"  # "task": the next line is the task cell; "cells": after it
    seen_cell = False
    start = lines[first - 1][0] if first else 0
    end = start
    i = first
    has_date = bool(cols["date"])
    unknown_left = unknown
    # 任务类别 before the task, or 主要任务 before 具体内容: a short first cell groups rows
    group_first = (bool(cols["group"]) and cols["group"][0] < cols["task"][0]) or len(
        cols["task"]
    ) > 1
    while i < len(lines):
        a, b = _strip(norm, *lines[i])
        i += 1
        if a == b:
            continue
        text = norm[a:b]
        number = _number(text)
        expected = rows[-1].number + 1 if rows and rows[-1].number is not None else 1
        if number is not None and phase != "task" and number in (expected, 1):
            rows.append(Row(number, (b, b), section=section or label))
            phase, seen_cell = "task", False
            unknown_left = unknown
            end = b
            continue
        if phase == "task":
            if group_first and _is_group_cell(norm, lines, i, text):
                rows[-1].section = section = (a, b)  # 任务类别 before 具体任务: a group cell
                end = b
                continue
            rows[-1].task = (a, b)
            phase = "cells"
            end = b
            continue
        if phase == "cells":
            row = rows[-1]
            if is_unit_cell(text):
                row.units.append(((a, b), not row.units))
                seen_cell = True
                end = b
                continue
            if has_date and is_date_cell(text):
                row.deadline = (a, b)
                seen_cell = True
                end = b
                continue
            if not seen_cell and (len(text) > 25 or text[-1] in "。；;，,"):
                row.task = (row.task[0], b)  # the task cell runs over several lines
                end = b
                continue
            if unknown_left > 0 and len(text) <= 12 and not re.search(r"[。;]", text):
                unknown_left -= 1  # 张某某 under 牵头市领导: a column without a role
                end = b
                continue
            phase = "labels"
        if re.match(r"^\s*附\s*件", text) or (re.search(r"[。；;]$", text) and len(text) > 40):
            break  # the next annex, or prose after the table
        label = (a, b)
        if _MAJOR_LABEL.match(text):
            section = (a, b)
    two_roles = bool(cols["lead"]) and bool(cols["other"])
    if two_roles:
        _lead_merged_away(norm, rows)
    _inherit_units(rows, by_column=two_roles)
    return Table(start, end, "lines", rows, skipped), i


def _lead_merged_away(norm: str, rows: list[Row]) -> None:
    """Mark the one unit cell of a row as its 配合单位 when the 牵头单位 cell was merged away.

    A table with a 牵头单位 and a 配合单位 column, written one cell per line, loses the
    lead cell of the rows under a merged one: such a row shows one unit cell. Unless that
    cell repeats the lead above (then the 配合单位 cell is the empty one), it is the
    配合单位 cell, and the row's lead is the merged cell above.
    """
    lead_above: str | None = None
    for row in rows:
        if len(row.units) == 1 and lead_above is not None:
            ((cell, _),) = row.units
            if re.sub(r"\s", "", norm[slice(*cell)]) != lead_above:
                row.units = [(cell, False)]
                continue
        leads = [cell for cell, is_lead in row.units if is_lead]
        if leads:
            lead_above = re.sub(r"\s", "", norm[slice(*leads[0])])


def _is_group_cell(norm: str, lines: list[Span], after: int, text: str) -> bool:
    """Whether a short line after a row's number is its 任务类别 cell, not its task.

    The group cell is short and bare (街区环境); the task cell follows it. A merged group
    cell appears only in its first row: then the line after the number is the task.
    """
    if len(text) > 12 or re.search(r"[\d。;,，、:]", text) or is_unit_cell(text):
        return False
    for a, b in lines[after:]:
        a, b = _strip(norm, a, b)
        if a < b:
            nxt = norm[a:b]
            return not (is_unit_cell(nxt) or is_date_cell(nxt) or _number(nxt) is not None)
    return False


def _inherit_units(rows: list[Row], *, by_column: bool = False) -> None:
    """A row with no unit (or deadline) cell of its own takes the cell above (a merged cell).

    With ``by_column`` (the cells' columns are known) a row that has 配合单位 but no
    牵头单位 takes the lead cell above: the lead column is merged over several rows.
    """
    previous: list[tuple[Span, bool]] = []
    deadline: Span | None = None
    for row in rows:
        leads = [cell for cell in previous if cell[1]]
        if by_column and row.units and leads and not any(lead for _, lead in row.units):
            row.units = leads + row.units
            row.inherited_units = True
        if row.units:
            previous = row.units
        elif previous:
            row.units = list(previous)
            row.inherited_units = True
        if row.deadline is not None:
            deadline = row.deadline
        else:
            row.deadline = deadline


_INDICATOR_HEAD = re.compile(r"指标")
_INDICATOR_VALUE = re.compile(
    r"^\s*(?P<sign>[≥≤><]=?)?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<rest>[^\d]{0,12})$"
)


@dataclass
class Indicator:
    """One row of a table of main indicators (指标名称 | 单位 | 2023年 | 2026年目标)."""

    name: Span
    value: float
    unit: str
    comparator: str | None
    year: int


def find_indicators(norm: str, lines: list[Span]) -> list[Indicator]:
    """Return the target values of TAB-separated tables of main indicators.

    The header names an indicator column (指标, 指标名称), a unit column (单位) and year
    columns; the values of the last year column (or of each column headed …目标) are
    the plan's targets for that year. Earlier year columns (基期, 现状) are baselines.
    """
    found: list[Indicator] = []
    i = 0
    while i < len(lines):
        a, b = lines[i]
        i += 1
        line = norm[a:b]
        if "\t" not in line:
            continue
        head = [re.sub(r"\s", "", c) for c in line.split("\t")]
        name_col = next((k for k, c in enumerate(head) if _INDICATOR_HEAD.search(c)), None)
        unit_col = next((k for k, c in enumerate(head) if c in ("单位", "计量单位")), None)
        years = [(k, int(m.group(1))) for k, c in enumerate(head) if (m := _YEAR_HEAD.match(c))]
        if name_col is None or not years:
            continue
        targets = [(k, y) for k, y in years if "目标" in head[k]] or [
            max(years, key=lambda x: x[1])
        ]
        while i < len(lines):
            a, b = lines[i]
            if "\t" not in norm[a:b]:
                break
            i += 1
            cells = _cells(norm, a, b)
            if name_col >= len(cells) or cells[name_col][0] == cells[name_col][1]:
                continue
            unit = (
                norm[slice(*cells[unit_col])]
                if unit_col is not None and unit_col < len(cells)
                else ""
            )
            for k, year in targets:
                if k >= len(cells):
                    continue
                m = _INDICATOR_VALUE.match(norm[slice(*cells[k])])
                if m is None:
                    continue
                rest = m.group("rest").strip()
                sign = m.group("sign") or ""
                comparator = (
                    ">="
                    if sign.startswith(("≥", ">")) or "以上" in rest
                    else "<="
                    if sign.startswith(("≤", "<")) or "以下" in rest or "以内" in rest
                    else None
                )
                written_unit = re.sub(r"以上|以下|以内|左右", "", rest) or unit.strip()
                if not written_unit:
                    continue
                value = float(m.group("num"))
                found.append(Indicator(cells[name_col], value, written_unit, comparator, year))
    return found
