"""The action plan as data: parse a Chinese action-plan document into a task register.

:func:`parse_plan` reads a plan such as 泉台管〔2021〕57号 and returns a :class:`Plan`: the
document's metadata, the plan-level goals (总体目标), the sections (the actions under
重点任务 and the measures under 保障措施), and the numbered tasks with their responsible
units (lead unit first) and their targets.

A *target* is a dated commitment: a clause that starts at a date phrase (到2025年,
2023年底前, 2021年年底前, 用3-5年时间) and runs to the end of its clause (。 or ；), or
to the next date phrase in the same clause; a clause after a ； that opens without a date
phrase of its own keeps the date of the clause before it, up to the 。. Its quantities are
parsed with Chinese multipliers folded into the value (1万套 -> 10000 套, 400亿元 -> 4e10
元). Quantities that stand outside any dated clause (全区住宅小区物业管理覆盖率达到90%以上)
become undated targets (``year`` None), unless the plan fixes one year for itself: the
year of its title (（2023-2025年）, 2025年度; ``year_source="title"``) or the only year of
its overall goal (``year_source="window"``).

The parser reads the common styles of Chinese government plans, not only the bundled one:
full-width or half-width punctuation, 责任单位 / 牵头单位；配合单位 / "XX局牵头" unit
clauses, tasks numbered ``1.``, ``1、``, ``（1）``, ``1）`` or ``——任务1：``, sections
``一、``, ``（一）`` or ``行动1：``, task headings followed by their own （责任单位：…）,
task tables in an annex (:mod:`._annex`), and traditional characters (責任單位, 萬, 億).
Text is cleaned first (:mod:`._text`): invisible characters, full-width digits, lines
hard-wrapped by a PDF copy. Units are read by :mod:`._units`, metadata by :mod:`._meta`.
Everything is one pass over the lines, so the time grows with the document's size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import os
import re
import warnings
from dataclasses import dataclass, field

from .._errors import PlanParseError, PlanWarning
from . import _annex, _meta, _text, _units
from . import _numbers as _num
from ._model import Plan, PlanMeta, Quantity, Section, Target, Task
from ._read import read_source

__all__ = ["parse_plan"]

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------- structure

_CN_NUMERAL = "[一二三四五六七八九十]+"
# Stray punctuation that web and PDF copies leave at the start of a line: ——任务1, ·1.
_STRAY = r"[\s\-—–·•●○■□◆◇▪▶>、,。;]*"
_L1 = re.compile(rf"^{_STRAY}(?:({_CN_NUMERAL})\s*[、.]|第({_CN_NUMERAL})(?:部分|章))\s*(.*)$")
_L2 = re.compile(
    rf"^{_STRAY}(?:\(\s*({_CN_NUMERAL})\s*\)|(?:专项)?行动\s*({_CN_NUMERAL}|\d+)\s*[:.、])\s*(.*)$"
)
_TASK = re.compile(
    rf"^{_STRAY}(?:\(\s*(\d+)\s*\)|(?:重点)?任务\s*(\d+|{_CN_NUMERAL})\s*[:.、]"
    r"|(\d+)\s*(?:[.、](?!\d)|\)(?!\d)|[.、)](?=(?:19|20)\d\d\s*(?:年|[-—–~至到]))))\s*(\S.*)$"
)
# A units line of its own, without brackets: "责任单位：区住建局、区财政局".
_UNITS_LINE = re.compile(
    rf"^{_STRAY}((?:责任|牵头|配合|主办|协办|支撑|推进|参与|实施|主责)(?:单位|部门)\s*:.*)$"
)
_ANNEX = re.compile(r"^\s*附\s*件\s*(?:\d+|[一二三四五六七八九十]+)?\s*(?::.*)?$")
# 一、厕所革命 / 行动一：… as a table's group label: the marker is not part of the title
_LABEL_MARKER = re.compile(
    rf"\s*(?:{_CN_NUMERAL}\s*[、.]|\(\s*{_CN_NUMERAL}\s*\)|第{_CN_NUMERAL}(?:部分|章)\s*)"
)
_BARE_DATE = re.compile(r"((?:19|20)\d\d)\s*(?:年\s*(?:(\d{1,2})\s*月)?|[.\-/]\s*(\d{1,2}))")
# A parenthesis naming who is responsible: (责任单位:…), (牵头单位:…;配合单位:…), (XX局牵头,…),
# (XX局负责). One level of nested parentheses is allowed inside it. A bare (牵头) marks the
# lead inside a list (区住建局（牵头）、区水务局): it is no clause of its own.
_UNITS_CLAUSE = re.compile(
    r"\((?!\s*(?:牵头|配合|负责|主办|协办)(?:单位|部门)?\s*\))((?:[^()]|\([^()]*\))*?(?:责任|牵头|配合|主办|协办|负责|支撑单位|推进单位|参与单位"
    r"|实施单位|主责)(?:[^()]|\([^()]*\))*)\)"
)
# A task's own deadline field: 完成时限：2024年11月底前 on a line of its own (a 工作台账 layout
# of field lines) or inside the units clause (责任单位：区水务局；完成时限：2024年12月底前).
_DUE_FIELD = re.compile(
    r"(?:完成时限|完成时间|时间节点|完成期限|时限要求|时间要求)\s*:\s*([^;()\n]+)"
)
# A closing parenthesis that only names units: （市住建局、市市场监管局，各区政府）。
# It follows the end of a sentence: 各镇（街道） at a line's end is one name, not a clause.
_BARE_UNITS_END = re.compile(
    r"(?:(?<=[。.;])|(?<=^))\s*\(((?:[^()]|\([^()]*\))*)\)\s*[。.;]?\s*$", re.M
)
_BOX = re.compile(r"^\s*专栏\s*(?:\d+|[一二三四五六七八九十]+)?\s*(?:[:.、]|\s|$)")
_SENTENCE = re.compile(r"[^。;!?]+[。;!?]?")
_SIGNATURE_END = re.compile(r"印发\s*$|^\s*\(此件|^\s*扫一扫")
# Sections whose numbered items are steps or duties, never tasks.
_PROCEDURE = re.compile(r"流程|程序|步骤|环节|进度安排|时间安排|阶段安排|实施阶段")
_DUTIES = re.compile(r"职责|分工")


@dataclass
class _Block:
    """A heading or task with the span of its text (offsets into the document)."""

    kind: str  # "l1", "l2" or "task"
    number: int
    start: int  # where its text (after the number) starts
    end: int
    parent: _Block | None = None
    closed: bool = False  # a units clause has been seen: later lines are not its text
    units: tuple[int, int] | None = None  # the last units clause (inside its brackets)
    units_outer: int | None = None  # where that clause starts, brackets included
    children: int = 0  # task blocks under this heading
    clauses: list[tuple[int, int]] = field(default_factory=list)  # every units clause
    style: str = (
        ""  # a task's marker: "paren" (（1）), "named" (任务1：), "dot" (1. 1、), "half" (1）)
    )
    line_start: int = 0


def _lines(norm: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", norm)]


def _cn_or_int(text: str) -> int:
    return int(text) if text.isdigit() else int(_num.cn_to_number(text))


def _blocks(norm: str, lines: list[tuple[int, int]]) -> list[_Block]:
    """Read headings and numbered tasks line by line (one pass: linear in the text)."""
    blocks: list[_Block] = []
    l1: _Block | None = None
    l2: _Block | None = None
    last_task = 0
    prev_line = 0
    box: int | None = None  # inside a 专栏: the number of its last item
    for start, end in lines:
        line = norm[start:end]
        match_l1, match_l2, match_task = _L1.match(line), _L2.match(line), _TASK.match(line)
        if match_task and not (match_l1 or match_l2):
            raw = next(g for g in match_task.groups()[:3] if g)
            number = _cn_or_int(raw)
            # 2025、2026年…: a year opening a line, unless the numbering really runs there
            if 1900 <= number <= 2099 and number != last_task + 1:
                match_task = None
        # 专栏1 重点项目 and its numbered list: a box of examples inside a section, not tasks.
        # The box ends at a heading, a units clause, or an item that does not continue it.
        if _BOX.match(line) and not (match_l1 or match_l2):
            box = 0
            prev_line = start
            continue
        if box is not None:
            if match_l1 or match_l2 or _UNITS_CLAUSE.search(line):
                box = None
            elif match_task:
                number = _cn_or_int(next(g for g in match_task.groups()[:3] if g))
                if number == box + 1:
                    box = number
                    prev_line = start
                    continue
                box = None
            else:
                prev_line = start
                continue
        if match_l1:
            number = _cn_or_int(match_l1.group(1) or match_l1.group(2))
            l1 = _Block("l1", number, start + match_l1.start(3), end, line_start=start)
            l2 = None
            blocks.append(l1)
        elif match_l2:
            number = _cn_or_int(match_l2.group(1) or match_l2.group(2))
            l2 = _Block("l2", number, start + match_l2.start(3), end, parent=l1, line_start=start)
            blocks.append(l2)
        elif match_task:
            number = _cn_or_int(next(g for g in match_task.groups()[:3] if g))
            last_task = number
            parent = l2 or l1
            if parent is not None:
                parent.children += 1
                if parent is l2 and l1 is not None:
                    l1.children += 1
            style = ("paren", "named", "dot")[
                next(i for i, g in enumerate(match_task.groups()[:3]) if g)
            ]
            if style == "dot" and line[match_task.end(3) :].lstrip().startswith(")"):
                style = "half"  # 1）: a level of its own, usually under 1.
            blocks.append(
                _Block(
                    "task",
                    number,
                    start + match_task.start(4),
                    end,
                    parent,
                    line_start=start,
                    style=style,
                )
            )
        elif (
            blocks
            and blocks[-1].closed
            and blocks[-1].units_outer == prev_line
            and _UNITS_LINE.match(line)
        ):
            blocks[-1].end = end  # 牵头单位：… then 责任单位：… on the next line
        elif blocks and not blocks[-1].closed and not _SIGNATURE_END.search(line):
            blocks[-1].end = end  # a continuation line of the heading or task above
        elif blocks and blocks[-1].kind != "task" and not _SIGNATURE_END.search(line):
            blocks[-1].end = end  # a heading's text runs on after a units line
        if blocks and blocks[-1].end == end:  # the line is part of the block above
            block = blocks[-1]
            # a units clause may run over a line break: look from the previous line on
            lo = max(block.start, prev_line if block.end == end else start)
            found = False
            for match in _UNITS_CLAUSE.finditer(norm, lo, end):
                if block.units_outer is None or match.start() > block.units_outer:
                    block.units, block.units_outer = match.span(1), match.start()
                    block.clauses.append((match.start(), match.end()))
                    found = True
            bare = None if found else _BARE_UNITS_END.search(norm, max(lo, start), end)
            if bare is not None and block.start <= bare.start() and _annex.is_unit_cell(bare[1]):
                # （市住建局、市市场监管局，各区政府） closing a task: units without a label
                block.units, block.units_outer = bare.span(1), bare.start()
                block.clauses.append((bare.start(), bare.end()))
                found = True
            units_line = _UNITS_LINE.match(line)
            if not found and units_line and block.start <= start:
                if block.units is not None and block.units_outer == prev_line:
                    # a second units line right under the first: one clause over both
                    block.units = (block.units[0], end)
                    block.clauses[-1] = (block.clauses[-1][0], end)
                else:
                    block.units, block.units_outer = (start + units_line.start(1), end), start
                    block.clauses.append((start, end))
                found = True
            if found:
                block.closed = block.kind == "task"
        prev_line = start
    return _inline_units(norm, _section_units(norm, _nest_sub_items(blocks)))


# Responsibility written inside a task's text rather than in a closing bracket:
# 由区住建局牵头，区水务局配合，… / 责任单位为区自然资源局、区住建局。 / 牵头单位：…；配合单位：…。
# / 区水务局负责，各街道办事处配合，… (a sentence opening with the units).
_INLINE_UNITS = (
    re.compile(
        r"由\s*([^,。;:()由]{2,40}?牵头(?:负责)?(?:\s*,\s*[^。;:()]{2,80}?(?:配合|协助|参与))?)"
    ),
    re.compile(r"((?:牵头|责任)(?:单位|部门)\s*(?::|为)[^。()]{2,160}?)(?=。|$)"),
    re.compile(
        r"(?:^|(?<=[。;\n]))\s*([^,。;:()\n]{2,40}?(?:牵头)?负责"
        r"(?:\s*,\s*[^。;:()\n]{2,80}?(?:配合|协助|参与))?)\s*[,。]"
    ),
)


def _inline_units(norm: str, blocks: list[_Block]) -> list[_Block]:
    """Read the units of tasks and task headings that name them inside their text."""
    for block in blocks:
        if block.units is not None or block.kind == "l1":
            continue
        if block.kind == "l2" and block.children:
            continue
        if _kind(norm, block) != "action":
            continue  # 保障措施: 由区发改委牵头建立…机制 describes a measure, not a task's units
        text = norm[block.start : block.end]
        for pattern in _INLINE_UNITS:
            m = pattern.search(text)
            if m is None:
                continue
            bare = re.sub(r"(?:牵头|责任|配合)(?:单位|部门)\s*(?::|为)", "", m.group(1))
            head = next((x for x in re.split(r"牵头|负责|配合|协助|参与|[,、;]", bare) if x), "")
            if not _annex.is_unit_cell(head):
                continue  # 专人负责, 要明确责任: not a unit's name
            block.units = (block.start + m.start(1), block.start + m.end(1))
            break
    return blocks


def _section_units(norm: str, blocks: list[_Block]) -> list[_Block]:
    """Give a units line written once after a section's last task to all of its tasks.

    ``1.…  2.…  3.…`` then ``责任单位：区住建局、区征收办`` on a line of its own, and none of
    the section's other tasks naming units: the line is meant for the whole section.
    """
    by_section: dict[int, list[_Block]] = {}
    for block in blocks:
        if block.kind == "task" and block.parent is not None:
            by_section.setdefault(id(block.parent), []).append(block)
    for tasks in by_section.values():
        last = tasks[-1]
        if len(tasks) < 2 or last.units is None or last.units_outer is None:
            continue
        outer = last.units_outer
        own_line = outer > last.line_start and (outer == 0 or norm[outer - 1] == "\n")
        if not own_line or not _UNITS_LINE.match(norm[outer : last.end]):
            continue
        if any(t.units is not None for t in tasks[:-1]):
            continue
        for task in tasks[:-1]:
            task.units = last.units  # units_outer stays None: the task's text is not cut
    return blocks


def _nest_sub_items(blocks: list[_Block]) -> list[_Block]:
    """Fold the sub-items of a task (（1）… under 1.…) into it.

    When a section holds tasks in two marker styles, the style of its first task is the
    task level (most sections deciding); an item of the other style that follows a task of
    that level in the same section is part of its text.
    """
    tasks = [b for b in blocks if b.kind == "task"]
    if len({b.style for b in tasks}) < 2:
        return blocks
    by_section: dict[int, list[_Block]] = {}
    for block in tasks:
        by_section.setdefault(id(block.parent), []).append(block)
    votes = [items[0].style for items in by_section.values() if len({b.style for b in items}) > 1]
    if not votes:
        return blocks
    level = max(dict.fromkeys(votes), key=votes.count)
    kept: list[_Block] = []
    owner: _Block | None = None
    for block in blocks:
        if block.kind != "task":
            owner = None
        elif block.style == level:
            owner = block
        elif owner is not None and owner.parent is block.parent:
            owner.end = block.end
            if owner.units is None and block.units is not None:
                owner.units, owner.units_outer = block.units, block.units_outer
            if block.parent is not None:
                block.parent.children -= 1
                if block.parent.parent is not None and block.parent.kind == "l2":
                    block.parent.parent.children -= 1
            continue
        kept.append(block)
    return kept


def _line_end(norm: str, block: _Block) -> int:
    """Where the first line of a block ends."""
    end = norm.find("\n", block.start, block.end)
    return block.end if end < 0 else end


def _heading_title(norm: str, orig: str, block: _Block) -> tuple[str, int]:
    """Return a heading's title and where its body starts (after 。 for "(一) 加强组织领导。…")."""
    line_end = _line_end(norm, block)
    stop = norm.find("。", block.start, line_end)
    end = line_end if stop < 0 else stop
    return orig[block.start : end].strip(), end + 1 if stop >= 0 else line_end


def _section_title(norm: str, orig: str, block: _Block) -> str:
    """A heading's title without a units clause written on its line."""
    title, body = _heading_title(norm, orig, block)
    if block.units_outer is not None and block.start <= block.units_outer < body:
        return orig[block.start : block.units_outer].strip() or title
    return title


def _title_of(norm: str, block: _Block) -> str:
    line = norm[block.start : _line_end(norm, block)]
    return line.split("。", 1)[0]


def _l1_kind(norm: str, block: _Block | None) -> str:
    if block is None:
        return "action"
    title = _title_of(norm, block)
    if "目标" in title and not re.search(r"任务|行动|措施", title):
        return "goals"
    if _DUTIES.search(title) and not re.search(r"任务|行动|项目|内容|措施|工程", title):
        return "duties"
    if _PROCEDURE.search(title) and not re.search(r"任务|行动", title):
        return "procedure"
    # 保障措施, 组织保障, 组织实施 -- but 住房保障(行动) is an action, and 主要措施 / 工作措施
    # are the tasks of many plans
    if re.search(
        r"保障措施|(?:组织|资金|要素|制度|政策|人才|经费|用地|工作|实施|法治|技术|财力|队伍|服务)保障$"
        r"|保障机制|组织实施|工作要求|组织领导|监督考核|考核评估|附则",
        title,
    ) and not re.search(r"行动|任务|工程", title):
        return "safeguard"
    if re.search(r"^(?:总体要求|指导思想|基本原则|工作原则|编制依据|背景|现状)", title.strip()):
        return "context"
    return "action"


def _kind(norm: str, block: _Block) -> str:
    """The kind of the section a heading or task belongs to (its own title first)."""
    own = _l1_kind(norm, block) if block.kind != "task" else "action"
    parent = block.parent
    if own == "safeguard" and parent is not None and _l1_kind(norm, parent) == "action":
        own = "action"  # 强化资金保障 under 主要任务 is a task heading, not a safeguard
    if own not in ("action", "context"):
        return own
    if parent is not None:
        inherited = _kind(norm, parent)
        if inherited != "action":
            return inherited
    return own


def parse_plan(text_or_path: str | os.PathLike[str]) -> Plan:
    """Parse an action-plan document into a :class:`Plan` (the task register).

    Parameters
    ----------
    text_or_path
        The plan's text, or the path of a text file holding it. A ``Path`` is always read.
        A ``str`` is read as a file when it is one line naming an existing file or ending in
        a text-file suffix (``.txt``, ``.md``…); any other ``str`` is the plan text itself.
        Files may be UTF-8 (with or without BOM), GB18030/GBK, Big5 or UTF-16 with a BOM.

    Returns
    -------
    Plan
        Metadata, goals (the dated clauses under 总体目标, or of the preamble when the plan
        has no goals section), sections, tasks, and the units' duties of a 职责分工 section.

    Raises
    ------
    DataReadError
        The file does not exist or cannot be read.
    PlanParseError
        The input is empty, binary, in an unknown encoding, or holds nothing plan-like (no
        numbered task, no section heading, no task table).

    Warns
    -----
    PlanWarning
        One warning lists the tasks without responsible units, one the tasks without any
        target; others report renumbered tasks, sections kept as tasks, lines of a task
        table that were skipped, hard-wrapped lines that were rejoined and a document that
        ends mid-sentence. A truncated plan is parsed as far as it goes.

    Notes
    -----
    Tasks are, in this order of preference: the numbered items under the action sections
    (``1.`` ``1、`` ``（1）`` ``——任务1：``); the ``（一）`` headings that carry their own
    ``（责任单位：…）``; the rows of a task table (附件：重点任务分解表, as TAB-separated rows
    or one cell per line, or one space-separated line per row when the split is
    unambiguous). Numbered steps of a procedure (审批流程), the paragraphs of a duty list
    (职责分工) and the numbered examples of a 专栏 box are not tasks.

    Units are read from a closing clause (（责任单位：…）, 【牵头单位：…】, （A牵头，B配合）,
    a parenthesis that only names units), a 责任单位： line (牵头单位： and 责任单位： on two
    lines make one clause; a line written once after a section's last task serves all of
    its tasks), or the task's own text (由A牵头，B配合，… / 责任单位为A。 / A负责，B配合，…).
    Merged table cells are resolved downwards. A 完成时限： field dates the task's undated
    targets. A TAB table of main indicators (指标名称 | 单位 | 2023年 | 2026年目标) adds a
    goal per indicator for its target year.

    Deadlines: 到2025年 and 2023年底前 / 2021年年底前 mean 31 December of that year (the
    last day of the month when a month is given); 用3-5年时间 means the upper bound counted
    from the plan's year (2021 + 5 -> 2026-12-31), with the lower bound in
    ``Target.year_from``. A quantified clause without a date of its own takes the year of
    the plan's title (（2023-2025年）, 2025年度) with ``year_source="title"``, or else the
    only year of the overall goal (到2025年，…) with ``year_source="window"``. 全覆盖,
    全面完成 and 全面建成 are 100 % ``">="``; 约 / 左右 give the comparator ``"~"``; a
    clause that only promises 基本完成 is a target without quantities.

    Examples
    --------
    >>> import warnings
    >>> from geoplan.datasets import SAMPLE_PLAN, data_path
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", PlanWarning)
    ...     plan = parse_plan(data_path(SAMPLE_PLAN))
    >>> plan.meta.doc_number, len(plan.tasks), len(caught)
    ('泉台管〔2021〕57号', 32, 1)
    >>> q = plan.task(9).targets[0].quantities[0]
    >>> (q.value, q.unit, q.comparator)
    (10.0, '公里', '>=')
    """
    raw, name = read_source(text_or_path)
    orig, rejoined = _text.rejoin_wrapped(_text.clean_text(raw))
    if rejoined:
        warnings.warn(
            f"{name}: {rejoined} lines broken mid-sentence (a hard-wrapped copy, e.g. from a "
            "PDF) were rejoined to the line above; check the task texts",
            PlanWarning,
            stacklevel=2,
        )
    norm = _num.normalise(orig)
    lines = _lines(norm)
    tables = _annex.find_tables(norm, lines)
    body_end = _body_end(norm, lines, tables)
    # the body: before the annex, and outside any table that stands inside the body
    inside = [(t.start, t.end) for t in tables if t.start < body_end]
    body_lines = [
        (a, b) for a, b in lines if b <= body_end and not any(x <= a < y for x, y in inside)
    ]
    blocks = _blocks(norm, body_lines)
    task_blocks = [b for b in blocks if b.kind == "task"]
    annex_rows = [row for table in tables for row in table.rows]
    if not blocks and not annex_rows:
        first = next((orig[a:b].strip() for a, b in lines), "")
        raise PlanParseError(
            f"{name} holds no numbered tasks: expected lines such as '1.推进国土空间规划。…' or "
            f"'（1）…' under section headings such as '（一）城市规划设计引领行动', or a task "
            f"table (序号 | 任务 | 责任单位); found {len(lines)} lines of text, the first "
            f"being {first[:40]!r}"
        )
    head_end = min(blocks[0].line_start if blocks else len(norm), body_end)
    if tables:  # a plan that is one task table: its rows are no preamble
        head_end = min(head_end, tables[0].start)
    meta = _meta.parse_meta(norm, orig, head_end, body_end)
    window, one_year = _meta.plan_window(norm, meta, head_end)
    # 年内 and 用3年时间 count from the plan's date, or from the year of a 2024年度 title
    plan_year = meta.date.year if meta.date else (window if one_year else None)
    reader = _Reader(norm, orig, name, plan_year)
    plan = reader.read(blocks, tables, head_end)
    indicators = _annex.find_indicators(norm, lines)
    if indicators:  # 主要指标 table: each target value is a goal of its year
        goals = [
            Target(
                x.year,
                dt.date(x.year, 12, 31),
                orig[x.name[0] : x.name[1]].strip(),
                [Quantity(x.value, x.unit, x.comparator, [])],  # type: ignore[arg-type]
                None,
                "text",
            )
            for x in indicators
        ]
        plan = dataclasses.replace(plan, goals=plan.goals + goals)
    if window is not None:
        plan = _date_by_window(plan, window, "title")
    elif len(goal_years := {g.year for g in plan.goals if g.year is not None}) == 1:
        # the overall goal fixes one year for the whole plan (到2025年，…): the plan's window
        plan = _date_by_window(plan, goal_years.pop(), "window")
    _warn_incomplete(plan.tasks, name, truncated=_truncated(norm, task_blocks, plan.tasks))
    logger.info(
        "parsed %s: %d tasks in %d sections, %d targets",
        name,
        len(plan.tasks),
        len(plan.sections),
        sum(len(t.targets) for t in plan.tasks),
    )
    return dataclasses.replace(plan, meta=meta)


def _is_implied(q: Quantity) -> bool:
    return any(w in _num.QUALITATIVE for w in q.qualifiers)


def _without_echoes(targets: list[Target]) -> list[Target]:
    """Drop a 全覆盖 read as 100 % when the task writes the 100 % out (覆盖率达到100%).

    The heading 推行物业管理全覆盖 and the sentence 物业管理覆盖率达到100% make one promise.
    """
    written = any(
        q.value == 100 and q.unit == "%" and not _is_implied(q)
        for t in targets
        for q in t.quantities
    )
    if not written:
        return targets
    kept = []
    for t in targets:
        qs = [q for q in t.quantities if not _is_implied(q)]
        if qs or not t.quantities or t.year is not None:
            kept.append(dataclasses.replace(t, quantities=qs))
    return kept


def _date_by_window(plan: Plan, year: int, source: str) -> Plan:
    """Date the undated targets that carry a written number by the plan's title year.

    A clause whose only quantity is a qualitative word (全面完成 read as 100 %) promises no
    number: it keeps no date.
    """

    def written(target: Target) -> bool:
        return any(not any(w in _num.QUALITATIVE for w in q.qualifiers) for q in target.quantities)

    def dated(targets: list[Target]) -> list[Target]:
        return [
            dataclasses.replace(t, year=year, deadline=dt.date(year, 12, 31), year_source=source)
            if t.year is None and t.deadline is None and written(t)
            else t
            for t in targets
        ]

    tasks = [dataclasses.replace(t, targets=dated(t.targets)) for t in plan.tasks]
    return dataclasses.replace(plan, goals=dated(plan.goals), tasks=tasks)


def _truncated(norm: str, task_blocks: list[_Block], tasks: list[Task]) -> bool:
    ending = norm.rstrip()
    return bool(
        tasks
        and task_blocks
        and task_blocks[-1].end >= len(ending)
        and ending[-1] not in "。;!?)"
        and task_blocks[-1].units is None
    )


def _body_end(norm: str, lines: list[tuple[int, int]], tables: list[_annex.Table]) -> int:
    """Where the body ends: the first annex line (附件 / 附件1：…) before a task table."""
    if not tables:
        return len(norm)
    first_table = tables[0].start
    for a, b in lines:
        if a >= first_table:
            break
        if _ANNEX.match(norm[a:b]):
            return a
    return len(norm)  # a table inside the body: the body goes on after it


class _Reader:
    """Turns the blocks and task tables of one document into goals, sections and tasks."""

    def __init__(self, norm: str, orig: str, name: str, plan_year: int | None) -> None:
        self.norm, self.orig, self.name, self.plan_year = norm, orig, name, plan_year

    def read(self, blocks: list[_Block], tables: list[_annex.Table], head_end: int) -> Plan:
        norm = self.norm
        has_l2 = {id(b.parent) for b in blocks if b.kind == "l2"}
        goals: list[Target] = []
        duties: dict[str, str] = {}
        found_goal_section = False
        body: list[tuple[_Block, str]] = []  # (block, "numbered" | "heading" | "leaf")
        leaves: list[_Block] = []
        not_tasks: dict[str, int] = {}  # numbered items of safeguard, step or context sections
        for block in blocks:
            kind = _kind(norm, block)
            if kind == "goals":
                found_goal_section = True
                if block.kind == "task":
                    goals += self.targets(block.start, block.end)
                else:
                    start = block.start if block.kind == "l1" else self.heading_body(block)
                    goals += self.targets(start, block.end)
                continue
            if kind == "duties":
                duties.update(self.duties(block))
                continue
            if kind == "safeguard" and block.units is not None and block.parent is not None:
                # a measure that names its own units carries responsibility: a task
                if block.kind == "task":
                    body.append((block, "numbered"))
                    continue
                if block.kind == "l2" and block.children == 0:
                    body.append((block, "heading"))
                    continue
            if kind != "action":
                if block.kind == "task" and block.parent is not None:
                    where = _heading_title(norm, self.orig, block.parent)[0]
                    not_tasks[where] = not_tasks.get(where, 0) + 1
                continue
            if block.kind == "task":
                body.append((block, "numbered"))
            elif block.children == 0 and not (block.kind == "l1" and id(block) in has_l2):
                if len(block.clauses) > 1:  # paragraphs that each name their units
                    body += [(p, "numbered") for p in self.paragraphs(block)]
                elif block.units is not None:
                    body.append((block, "heading"))
                else:
                    leaves.append(block)
        # an unnumbered （四） between numbered tasks or task headings is kept, with a warning
        with_headings = {id(b.parent) for b, how in body if how == "heading"}
        kept = [
            leaf
            for leaf in leaves
            if leaf.parent is not None
            and (leaf.parent.children > 0 or id(leaf.parent) in with_headings)
        ]
        annex_rows = [row for table in tables for row in table.rows]
        if not body and not annex_rows:
            kept = [leaf for leaf in leaves if leaf.end > _line_end(norm, leaf)]
        if kept:
            body += [(leaf, "leaf") for leaf in kept]
            body.sort(key=lambda item: item[0].start)
            titles = ", ".join(repr(_heading_title(norm, self.orig, b)[0][:20]) for b in kept)
            self.warn(
                f"{len(kept)} section heading(s) without numbered tasks or a units clause "
                f"were kept as tasks: {titles}"
            )
        if not_tasks:
            where = ", ".join(f"{n} under {title!r}" for title, n in not_tasks.items())
            self.warn(
                f"numbered items of sections that hold measures or steps, not tasks, were "
                f"not read as tasks: {where}"
            )
        if not goals and not found_goal_section:
            # a preamble's undated numbers are background (我区现有…), not commitments
            preamble = self.targets(self.preamble_start(head_end), head_end)
            goals = [g for g in preamble if g.year is not None or g.deadline is not None]
        units_in_body = sum(1 for b, _ in body if b.units is not None)
        use_annex = bool(annex_rows) and (not body or units_in_body * 2 < len(body))
        if use_annex:
            if body:
                titles = ", ".join(repr(_title_of(norm, b)[:16]) for b, _ in body[:3])
                self.warn(
                    f"{len(body)} numbered items or headings of the body ({titles}"
                    f"{', …' if len(body) > 3 else ''}) were not read as tasks: the task "
                    f"table of {len(annex_rows)} rows names the plan's tasks"
                )
            tasks, sections = self.annex_tasks(tables)
        else:
            if annex_rows:
                self.warn(
                    f"a task table of {len(annex_rows)} rows was not read as tasks: the body's "
                    f"numbered tasks name their own units"
                )
            tasks, sections = self.body_tasks(body)
        sections += self.safeguards(blocks, has_l2)
        sections = sorted(dict(sections).items())  # one entry per heading
        counts = {"action": itertools.count(1), "safeguard": itertools.count(1)}
        numbered = [
            dataclasses.replace(sec, id=f"{sec.kind}-{next(counts[sec.kind])}")
            for _, sec in sections
        ]
        for table in tables:
            if table.skipped:
                self.warn(
                    f"{len(table.skipped)} line(s) of the task table were skipped: "
                    + "; ".join(repr(x[:30]) for x in table.skipped[:5])
                )
        if not tasks:
            self.warn(
                "no numbered tasks, task headings with units or task table were found; "
                "the plan's goals and sections are returned with tasks=[]"
            )
        placeholder = PlanMeta(None, None, None, None, None)
        return Plan(placeholder, goals, numbered, tasks, unit_duties=duties)

    # ------------------------------------------------------------------ pieces

    def warn(self, message: str) -> None:
        warnings.warn(f"{self.name}: {message}", PlanWarning, stacklevel=4)

    def targets(self, start: int, end: int) -> list[Target]:
        return _targets(self.norm, self.orig, start, end, self.plan_year)

    def heading_body(self, block: _Block) -> int:
        return _heading_title(self.norm, self.orig, block)[1]

    def preamble_start(self, head_end: int) -> int:
        """Where the preamble starts: after the plan's title line (or the notice's date)."""
        start = 0
        for a, b in _lines(self.norm[:head_end]):
            line = self.norm[a:b].strip()
            if (
                _meta.TITLE_LINE.match(line)
                or _meta.WINDOW_LINE.fullmatch(line)
                or _meta.to_date(line, whole=True)
                or _meta.META_FIELD.match(line)
            ):
                start = b
        return start

    def body_tasks(
        self, body: list[tuple[_Block, str]]
    ) -> tuple[list[Task], list[tuple[int, Section]]]:
        norm, orig = self.norm, self.orig
        tasks: list[Task] = []
        sections: dict[int, tuple[int, Section]] = {}
        for block, how in body:
            holder = block.parent
            section = ""
            if holder is not None:
                title = _section_title(norm, orig, holder)
                section = title
                if id(holder) not in sections:
                    safeguard = _kind(norm, holder) == "safeguard"
                    sections[id(holder)] = (
                        holder.start,
                        Section("", holder.number, title, "safeguard" if safeguard else "action"),
                    )
            task = self.task(block, block.number, section, heading=how != "numbered")
            if not task.units and holder is not None and how == "numbered":
                # 行动1：…（牵头单位：市住建局） on the section's own line: its tasks' units
                # or 责任单位：… on a line of its own under the heading, before the tasks
                outer = holder.units_outer
                own = outer is not None and (
                    outer < _line_end(norm, holder)
                    or (
                        norm[outer - 1] == "\n"
                        and bool(_UNITS_LINE.match(norm[outer : holder.end]))
                    )
                )
                if own and holder.units is not None:
                    task = dataclasses.replace(task, units=self.units(*holder.units))
            tasks.append(task)
        mixed = len({how for _, how in body}) > 1
        return self.numbered(tasks, force=mixed), list(sections.values())

    def paragraphs(self, heading: _Block) -> list[_Block]:
        """Split a heading's text into one task per units clause (一是…（责任单位：…）二是…)."""
        found = []
        start = self.heading_body(heading)
        for number, (outer, outer_end) in enumerate(heading.clauses, start=1):
            while start < outer and self.norm[start] in " \n":
                start += 1
            inner = _UNITS_CLAUSE.match(self.norm, outer, outer_end)
            units = inner.span(1) if inner else (outer, outer_end)
            bare = _UNITS_LINE.match(self.norm[outer:outer_end])
            if bare is not None:  # 责任单位：… on a line of its own, no brackets
                units = (outer + bare.start(1), outer_end)
            paragraph = _Block("task", number, start, outer_end, heading, line_start=start)
            paragraph.units, paragraph.units_outer = units, outer
            found.append(paragraph)
            start = outer_end
        heading.children = len(found)
        return found

    def safeguards(self, blocks: list[_Block], has_l2: set[int]) -> list[tuple[int, Section]]:
        found = []
        for block in blocks:
            if block.kind == "task" or _kind(self.norm, block) != "safeguard":
                continue
            if block.kind == "l1" and id(block) in has_l2:
                continue
            title = _section_title(self.norm, self.orig, block)
            found.append((block.start, Section("", block.number, title, "safeguard")))
        return found

    def task(self, block: _Block, number: int, section: str, *, heading: bool) -> Task:
        norm, orig = self.norm, self.orig
        line_end = _line_end(norm, block)
        if heading:  # （一）推进老旧小区改造（区住建局牵头）: the clause is not the title
            title = _section_title(norm, orig, block)
        else:
            title = orig[block.start : _title_end(norm, block.start, line_end)].strip()
        units: list[str] = []
        body_end = block.end
        if block.units is not None:
            units = _units.parse_units(norm, orig, *block.units)
            body_end = block.units_outer if block.units_outer is not None else block.end
        if block.kind == "task" and len(block.clauses) > 1:
            # 一是…（责任单位：A）；二是…（责任单位：B）inside one numbered task: all of them
            every = []
            for a, b in block.clauses:
                inner = _UNITS_CLAUSE.match(norm, a, b)
                every += _units.parse_units(norm, orig, *(inner.span(1) if inner else (a, b)))
            units = list(dict.fromkeys(every))
        if heading:  # the heading line, then its paragraph: a sentence never spans both
            body = self.heading_body(block)
            targets = self.targets(block.start, min(body, body_end))
            targets += self.targets(body, body_end)
        else:
            targets = self.targets(block.start, body_end)
        targets = _without_echoes(targets)
        due = _DUE_FIELD.search(norm, block.start, block.end)
        if due is not None:  # 完成时限：2024年11月底前 on a line of the task's own
            value = orig[due.start(1) : due.end(1)].strip()
            targets = [t for t in targets if t.quantities or t.text.strip() not in value]
            targets = self.row_deadline(targets, due.span(1), block.start, body_end)
        return Task(
            id=number,
            title=title,
            section=section,
            text=orig[block.start : block.end].strip(),
            units=units,
            targets=targets,
        )

    def numbered(self, tasks: list[Task], *, force: bool = False) -> list[Task]:
        return _check_numbers(tasks, self.name, force=force)

    def annex_tasks(
        self, tables: list[_annex.Table]
    ) -> tuple[list[Task], list[tuple[int, Section]]]:
        norm, orig = self.norm, self.orig
        tasks: list[Task] = []
        sections: dict[str, tuple[int, Section]] = {}
        for table in tables:
            for row in table.rows:
                a, b = row.task
                label = row.section
                if label is not None:
                    marker = _LABEL_MARKER.match(norm, label[0], label[1])
                    section = orig[marker.end() if marker else label[0] : label[1]].strip()
                else:
                    section = ""
                if section and section not in sections:
                    digits = re.search(rf"{_CN_NUMERAL}|\d+", _num.normalise(section))
                    n = _cn_or_int(digits.group()) if digits else len(sections) + 1
                    sections[section] = (a, Section("", n, section, "action"))
                lead = [u for (x, y), is_lead in row.units if is_lead for u in self.units(x, y)]
                other = [
                    u for (x, y), is_lead in row.units if not is_lead for u in self.units(x, y)
                ]
                units = list(dict.fromkeys(lead + other))
                targets = self.targets(a, b)
                for extra in row.extra:
                    targets += self.targets(*extra)
                for cell, year in row.by_year:  # a column per year: 2025年 | 2026年
                    targets += [
                        dataclasses.replace(
                            t, year=year, deadline=dt.date(year, 12, 31), year_source="text"
                        )
                        if t.year is None
                        else t
                        for t in self.targets(*cell)
                    ]
                if row.deadline is not None:
                    targets = self.row_deadline(targets, row.deadline, a, b)
                stop = norm.find("。", a, b)
                title = orig[a : stop if stop >= 0 else b].strip().replace("\n", "")
                number = row.number if row.number is not None else len(tasks) + 1
                tasks.append(Task(number, title, section, orig[a:b].strip(), units, targets))
        return self.numbered(tasks), list(sections.values())

    def units(self, start: int, end: int) -> list[str]:
        return _units.parse_units(self.norm, self.orig, start, end)

    def row_deadline(
        self, targets: list[Target], cell: tuple[int, int], a: int, b: int
    ) -> list[Target]:
        """Date a row's undated targets by its deadline cell (2025年底前, 2024年12月 …)."""
        text = self.norm[cell[0] : cell[1]]
        found = _num.find_deadlines(text, plan_year=self.plan_year)
        if not found:
            bare = _BARE_DATE.search(text)
            if bare is None:
                return targets
            year = int(bare.group(1))
            month = int(bare.group(2) or bare.group(3) or 12)
            month = month if 1 <= month <= 12 else 12
            found = [_num.Deadline(0, year, _num._end_of(year, month), None)]
        date = found[-1]
        if date.year is None:
            return targets
        dated = [
            dataclasses.replace(t, year=date.year, deadline=date.deadline, year_source=date.source)
            if t.year is None
            else t
            for t in targets
        ]
        if not dated:
            stop = self.norm.find("。", a, b)
            text_end = stop if stop >= 0 else b
            dated = [
                Target(
                    date.year,
                    date.deadline,
                    self.orig[a:text_end].strip(),
                    [],
                    None,
                    date.source,
                )
            ]
        return dated

    def duties(self, block: _Block) -> dict[str, str]:
        """The units and their duties of a 职责分工 section: 'XX局：负责…' or 'XX局负责…'."""
        found: dict[str, str] = {}
        start = block.start
        for a, b in _lines(self.norm[start : block.end]):
            a, b = start + a, start + b
            line = self.norm[a:b]
            m = re.match(r"\s*([^:,;。()]{2,40}?)\s*(?::|。|(?=牵头|负责))\s*(.+)$", line)
            if m and _annex.UNIT_SUFFIX.search(m.group(1).strip()):
                unit = self.orig[a + m.start(1) : a + m.end(1)].strip()
                found[unit] = self.orig[a + m.start(2) : a + m.end(2)].strip()
        return found


def _title_end(norm: str, start: int, line_end: int) -> int:
    """End of a task's title: its first short sentence, or the text up to the first , 。 (."""
    text = norm[start:line_end]
    sentence = re.match(r"([^。:;()]{1,60}?)[。:;]", text)
    if sentence:  # the usual short first sentence: "推进国土空间规划。"
        return start + sentence.end(1)
    stop = re.search(r"[,。(]", text)
    return start + (stop.start() if stop else len(text))


def _targets(norm: str, orig: str, start: int, end: int, plan_year: int | None) -> list[Target]:
    """Return the dated clauses and the undated quantities of ``norm[start:end]``."""
    targets: list[Target] = []
    carried: _num.Deadline | None = None  # the date a ；-clause inherits from the one before
    for sentence in _SENTENCE.finditer(norm, start, end):
        s_start, s_end = sentence.start(), sentence.end()
        ends_clause = norm[s_end - 1] == ";" if s_end > s_start else False
        while s_end > s_start and norm[s_end - 1] in "。;!?\n ":
            s_end -= 1
        dates = _num.find_deadlines(norm[s_start:s_end], plan_year=plan_year)
        cuts = [s_start + d.start for d in dates] + [s_end]
        if cuts[0] > s_start and carried is not None:
            # 到2025年,…全覆盖;文物"四有"全面完成: the date runs on past the ； to the 。
            dates = [carried._replace(start=0), *dates]
            cuts = [s_start, *cuts]
        elif cuts[0] > s_start and _dates_back(norm, orig, s_start, cuts[0], s_end, dates):
            cuts[0] = s_start  # 整治易涝点8处,到2024年底前全部完成: one dated target
        elif cuts[0] > s_start:
            targets += _undated(norm, orig, s_start, cuts[0])
        carried = (dates[-1] if dates else None) if ends_clause else None
        for date, a, b in zip(dates, cuts, cuts[1:], strict=False):
            text = orig[a:b].strip().rstrip(",、")
            targets.append(
                Target(
                    date.year,
                    date.deadline,
                    text,
                    _quantities(norm, orig, a, b),
                    date.year_from,
                    date.source if date.year is not None else None,
                )
            )
    return targets


def _dates_back(
    norm: str, orig: str, start: int, cut: int, end: int, dates: list[_num.Deadline]
) -> bool:
    """Whether a sentence's one date phrase, in its last part, dates the quantities before it.

    ``整治城市易涝积水点8处,到2024年底前全部完成``: the closing date phrase promises no number
    of its own; it is the deadline of the sentence's work.
    """
    if len(dates) != 1 or not _CLOSING_DATE.match(norm[cut:end]):
        return False
    return not _quantities(norm, orig, cut, end) and bool(_quantities(norm, orig, start, cut))


# A date phrase that closes a sentence with a bare verb of completion: 到2024年底前全部完成.
_CLOSING_DATE = re.compile(
    r"^[^,;。]{0,16}?(?:前|底|末|内)\s*(?:全部|全面|基本|确保|力争)?\s*"
    r"(?:完成|建成|到位|落实|实现|竣工|投用|投入使用)(?:任务|目标)?\s*$"
)


def _undated(norm: str, orig: str, start: int, end: int) -> list[Target]:
    """One undated target per comma-separated part of ``norm[start:end]`` that holds quantities."""
    targets = []
    for part in re.finditer(r"[^,:;。]+", norm[start:end]):
        a, b = start + part.start(), start + part.end()
        quantities = _quantities(norm, orig, a, b)
        if quantities:
            targets.append(Target(None, None, orig[a:b].strip(), quantities))
    return targets


def _quantities(norm: str, orig: str, start: int, end: int) -> list[Quantity]:
    return [
        Quantity(q.value, q.unit, q.comparator, q.qualifiers)  # type: ignore[arg-type]
        for q in _num.find_quantities(norm, orig, start, end)
    ]


def _check_numbers(tasks: list[Task], name: str, *, force: bool = False) -> list[Task]:
    numbers = [t.id for t in tasks]
    if force and numbers != list(range(1, len(numbers) + 1)):
        warnings.warn(
            f"{name}: the tasks mix numbered items and task headings; they are numbered "
            f"1-{len(tasks)} in document order",
            PlanWarning,
            stacklevel=4,
        )
        return [dataclasses.replace(t, id=i) for i, t in enumerate(tasks, start=1)]
    if len(set(numbers)) != len(numbers):
        warnings.warn(
            f"{name}: task numbers repeat (numbering restarts in each section); the tasks are "
            f"numbered 1-{len(tasks)} in document order instead",
            PlanWarning,
            stacklevel=4,
        )
        return [dataclasses.replace(t, id=i) for i, t in enumerate(tasks, start=1)]
    gaps = [b for a, b in itertools.pairwise(numbers) if b != a + 1]
    if gaps:
        warnings.warn(
            f"{name}: task numbers are not consecutive (a jump before task(s) "
            f"{', '.join(map(str, gaps))}); check that no task was lost",
            PlanWarning,
            stacklevel=4,
        )
    return tasks


def _warn_incomplete(tasks: list[Task], name: str, *, truncated: bool) -> None:
    no_units = [t.id for t in tasks if not t.units]
    no_targets = [t.id for t in tasks if not t.targets]
    if no_units:
        warnings.warn(
            f"{name}: {len(no_units)} of {len(tasks)} tasks name no responsible units "
            f"(no '(责任单位:…)' clause): tasks {', '.join(map(str, no_units))}; "
            "they are kept with units=[]",
            PlanWarning,
            stacklevel=3,
        )
    if no_targets:
        warnings.warn(
            f"{name}: {len(no_targets)} of {len(tasks)} tasks have no dated or quantified "
            f"target: tasks {', '.join(map(str, no_targets))}; they are kept with targets=[]",
            PlanWarning,
            stacklevel=3,
        )
    if truncated:
        warnings.warn(
            f"{name}: the document ends mid-sentence in task {tasks[-1].id}; it may be "
            "truncated. The task is kept as far as it goes",
            PlanWarning,
            stacklevel=3,
        )
