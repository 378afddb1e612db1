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
become undated targets (``year`` None); they are never given a guessed year.

The parser reads the common styles of Chinese government plans, not only the bundled one:
full-width or half-width punctuation, 责任单位 / 牵头单位；配合单位 / "XX局牵头" unit
clauses, tasks numbered ``1.``, ``1、``, ``（1）`` or ``(1)``, sections ``一、`` or
``（一）``, and traditional characters (責任單位, 萬, 億, 個).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import os
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._errors import PlanParseError, PlanWarning
from . import _numbers as _num
from ._model import Plan, PlanMeta, Quantity, Section, Target, Task
from ._read import read_source

if TYPE_CHECKING:
    pass

__all__ = [
    "Plan",
    "PlanMeta",
    "Quantity",
    "Section",
    "Target",
    "Task",
    "parse_plan",
]

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------- structure

_CN_NUMERAL = "[一二三四五六七八九十]+"
_L1 = re.compile(rf"^\s*({_CN_NUMERAL})\s*[、.]\s*(.*)$")
_L2 = re.compile(rf"^\s*\(\s*({_CN_NUMERAL})\s*\)\s*(.*)$")
_TASK = re.compile(r"^\s*(?:\(\s*(\d{1,3})\s*\)|(\d{1,3})\s*[.、](?!\d))\s*(\S.*)$")
_META = re.compile(
    r"^\s*-?\s*(索\s*引\s*号|备注\s*/\s*文号|文\s*号|发文字号|发布机构|发文机关|"
    r"公文生成日期|成文日期|发布日期)\s*:\s*(.+?)\s*$"
)
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}[〔\[【(]\s*(?:19|20)\d\d\s*[〕\]】)]"
    r"\s*\d{1,4}\s*号"
)
_CN_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"((?:19|20)\d\d)[-./](\d{1,2})[-./](\d{1,2})")
_TITLE_QUOTED = re.compile(r"《([^》]{4,120})》\s*(?:的通知|印发)")
_TITLE_LINE = re.compile(r"^[^,:;。()《》]{6,60}(?:计划|方案|规划|意见|纲要|办法|要点)$")
# A parenthesis naming who is responsible: (责任单位:…), (牵头单位:…;配合单位:…), (XX局牵头,…),
# (XX局负责). One level of nested parentheses is allowed inside it.
_UNITS_CLAUSE = re.compile(
    r"\(((?:[^()]|\([^()]*\))*?(?:责任|牵头|配合|主办|协办|负责)(?:[^()]|\([^()]*\))*)\)"
)
_ROLE = re.compile(
    r"\s*(责任单位|责任部门|牵头单位|牵头部门|主办单位"
    r"|配合单位|配合部门|协办单位)\s*:"
)
_LEAD = re.compile(r"^(.+?)牵头(?:负责)?\s*[,、;]?\s*(.*)$")
_DUTY_SUFFIX = re.compile(
    r"(?:按(?:照)?职责(?:分工)?(?:负责|配合|落实)?|分工负责|配合实施|配合|参与|负责|等)\s*$"
)
_SENTENCE = re.compile(r"[^。;!?]+[。;!?]?")
_SIGNATURE_END = re.compile(r"印发\s*$|^\s*\(此件|^\s*扫一扫")


@dataclass
class _Block:
    """A heading or task with the span of its text (offsets into the document)."""

    kind: str  # "l1", "l2" or "task"
    number: int
    start: int  # where its text (after the number) starts
    end: int
    parent: _Block | None = None
    closed: bool = False  # a task's units clause has been seen: later lines are not its text


def _lines(norm: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", norm)]


def _blocks(norm: str) -> list[_Block]:
    blocks: list[_Block] = []
    l1: _Block | None = None
    for start, end in _lines(norm):
        line = norm[start:end]
        match_l1, match_l2, match_task = _L1.match(line), _L2.match(line), _TASK.match(line)
        if match_l1:
            l1 = _Block(
                "l1", int(_num.cn_to_number(match_l1.group(1))), start + match_l1.start(2), end
            )
            blocks.append(l1)
        elif match_l2:
            number = int(_num.cn_to_number(match_l2.group(1)))
            blocks.append(_Block("l2", number, start + match_l2.start(2), end, parent=l1))
        elif match_task:
            number = int(match_task.group(1) or match_task.group(2))
            blocks.append(_Block("task", number, start + match_task.start(3), end, parent=l1))
        elif blocks and not blocks[-1].closed and not _SIGNATURE_END.search(line):
            blocks[-1].end = end  # a continuation line of the heading or task above
        if (
            blocks
            and blocks[-1].kind == "task"
            and _UNITS_CLAUSE.search(norm, blocks[-1].start, blocks[-1].end)
        ):
            blocks[-1].closed = True
    return blocks


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


def _l1_kind(norm: str, block: _Block | None) -> str:
    if block is None:
        return "action"
    title = norm[block.start : _line_end(norm, block)]
    if "目标" in title:
        return "goals"
    # 保障措施, 组织保障, 组织实施 -- but 住房保障行动 is an action
    if re.search(r"措施|保障$|组织实施|工作要求", title) and not re.search(
        r"行动|任务|工程", title
    ):
        return "safeguard"
    return "action"


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
        Metadata, goals (the dated clauses under 总体目标), sections, tasks.

    Raises
    ------
    DataReadError
        The file does not exist or cannot be read.
    PlanParseError
        The input is empty, binary, in an unknown encoding, or holds no numbered tasks.

    Warns
    -----
    PlanWarning
        One warning lists the tasks without responsible units, one the tasks without any
        target; others report renumbered tasks and a document that ends mid-sentence.
        A truncated plan is parsed as far as it goes: its last task is kept as written.

    Notes
    -----
    Deadlines: 到2025年 and 2023年底前 / 2021年年底前 mean 31 December of that year (the
    last day of the month when a month is given); 用3-5年时间 means the upper bound counted
    from the plan's year (2021 + 5 -> 2026-12-31), with the lower bound in
    ``Target.year_from``. 全覆盖, 全面完成 and 全面建成 are 100 % ``">="``; a clause that only
    promises 基本完成 is a target without quantities.

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
    orig = raw.replace("\r\n", "\n").replace("\r", "\n")
    norm = _num.normalise(orig)
    blocks = _blocks(norm)
    task_blocks = [b for b in blocks if b.kind == "task"]
    if not task_blocks:
        first = next((orig[a:b].strip() for a, b in _lines(norm)), "")
        raise PlanParseError(
            f"{name} holds no numbered tasks: expected lines such as '1.推进国土空间规划。…' or "
            f"'（1）…' under section headings such as '（一）城市规划设计引领行动'; found "
            f"{len(_lines(norm))} lines of text, the first being {first[:40]!r}"
        )
    meta = _parse_meta(norm, orig, blocks[0].start if blocks else len(norm))
    plan_year = meta.date.year if meta.date else None
    sections, task_section, goals = _parse_sections(norm, orig, blocks, plan_year)
    tasks = [
        _parse_task(norm, orig, block, task_section.get(id(block), ""), plan_year)
        for block in task_blocks
    ]
    tasks = _check_numbers(tasks, name)
    ending = norm.rstrip()
    truncated = task_blocks[-1].end >= len(ending) and ending[-1] not in "。;!?)"
    _warn_incomplete(tasks, name, truncated=truncated)
    logger.info(
        "parsed %s: %d tasks in %d sections, %d targets",
        name,
        len(tasks),
        len(sections),
        sum(len(t.targets) for t in tasks),
    )
    return Plan(meta=meta, goals=goals, sections=sections, tasks=tasks)


def _parse_sections(
    norm: str, orig: str, blocks: list[_Block], plan_year: int | None
) -> tuple[list[Section], dict[int, str], list[Target]]:
    """Return the sections, the section title of each task block, and the goals."""
    has_l2 = {id(b.parent) for b in blocks if b.kind == "l2"}
    sections: list[Section] = []
    goals: list[Target] = []
    task_section: dict[int, str] = {}
    current = ""
    for block in blocks:
        if block.kind == "task":
            task_section[id(block)] = current
            continue
        enclosing = block if block.kind == "l1" else block.parent
        kind = _l1_kind(norm, enclosing)
        if kind == "goals":
            body = block.start if block.kind == "l1" else _heading_title(norm, orig, block)[1]
            goals += _targets(norm, orig, body, block.end, plan_year)
            current = ""
            continue
        if block.kind == "l1" and id(block) in has_l2:
            current = ""
            continue
        title, _ = _heading_title(norm, orig, block)
        sections.append(Section("", block.number, title, kind))  # type: ignore[arg-type]
        current = title
    # A document with only 一、 headings: a 一、 heading is a section only if tasks follow it.
    used = set(task_section.values())
    kept = [s for s in sections if s.kind == "safeguard" or s.title in used]
    counts = {"action": itertools.count(1), "safeguard": itertools.count(1)}
    numbered = [dataclasses.replace(s, id=f"{s.kind}-{next(counts[s.kind])}") for s in kept]
    return numbered, task_section, goals


def _parse_task(norm: str, orig: str, block: _Block, section: str, plan_year: int | None) -> Task:
    text = norm[block.start : block.end]
    sentence = re.match(r"([^。:;()]{1,60}?)[。:;]", text)
    if sentence:  # the usual short first sentence: "推进国土空间规划。"
        title_end = block.start + sentence.end(1)
    else:  # otherwise the text up to the first , 。 or (
        stop = re.search(r"[,。(]", text)
        title_end = block.start + (stop.start() if stop else len(text))
    clauses = list(_UNITS_CLAUSE.finditer(norm, block.start, block.end))
    units: list[str] = []
    body_end = block.end
    if clauses:
        last = clauses[-1]
        units = _parse_units(norm, orig, last.start(1), last.end(1))
        body_end = last.start()
    # the title sentence is searched too: "1.到2025年新建绿道10公里。" is a target
    targets = _targets(norm, orig, block.start, body_end, plan_year)
    return Task(
        id=block.number,
        title=orig[block.start : title_end].strip(),
        section=section,
        text=orig[block.start : block.end].strip(),
        units=units,
        targets=targets,
    )


def _parse_units(norm: str, orig: str, start: int, end: int) -> list[str]:
    """Return the unit names of a units clause, lead first, as written."""
    lead: list[str] = []
    others: list[str] = []
    for part in re.finditer(r"[^;]+", norm[start:end]):
        a, b = start + part.start(), start + part.end()
        role = _ROLE.match(norm, a, b)
        if role:
            names = _split_names(norm, orig, role.end(), b)
            (others if role.group(1).startswith(("配合", "协办")) else lead).extend(names)
            continue
        led = _LEAD.match(norm[a:b])
        if led:
            lead += _split_names(norm, orig, a + led.start(1), a + led.end(1))
            others += _split_names(norm, orig, a + led.start(2), a + led.end(2))
        else:
            others += _split_names(norm, orig, a, b)
    return lead + others


def _split_names(norm: str, orig: str, start: int, end: int) -> list[str]:
    names = []
    for m in re.finditer(r"[^、,;/]+", norm[start:end]):
        a, b = start + m.start(), start + m.end()
        suffix = _DUTY_SUFFIX.search(norm, a, b)
        if suffix and suffix.start() > a:
            b = suffix.start()
        name = orig[a:b].strip()
        if name:
            names.append(name)
    return names


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
        elif cuts[0] > s_start:
            targets += _undated(norm, orig, s_start, cuts[0])
        carried = (dates[-1] if dates else None) if ends_clause else None
        for date, a, b in zip(dates, cuts, cuts[1:], strict=False):
            text = orig[a:b].strip().rstrip(",、")
            targets.append(
                Target(
                    date.year, date.deadline, text, _quantities(norm, orig, a, b), date.year_from
                )
            )
    return targets


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


def _parse_meta(norm: str, orig: str, head_end: int) -> PlanMeta:
    fields: dict[str, str] = {}
    for start, end in _lines(norm[:head_end]):
        m = _META.match(norm, start, end)
        if m:
            key = re.sub(r"\s", "", m.group(1))
            fields.setdefault(key, orig[m.start(2) : m.end(2)])
    head = norm[:head_end]
    doc_number = fields.get("备注/文号") or fields.get("文号") or fields.get("发文字号")
    if doc_number is None and (found := _DOC_NUMBER.search(head)):
        doc_number = orig[found.start() : found.end()]
    issuer = fields.get("发布机构") or fields.get("发文机关") or _signature(norm, orig, head_end)
    date_text = fields.get("公文生成日期") or fields.get("成文日期") or fields.get("发布日期")
    date = _to_date(_num.normalise(date_text)) if date_text else None
    if date is None:
        date = next((d for a, b in _lines(head) if (d := _to_date(head[a:b], whole=True))), None)
    return PlanMeta(
        title=_title(norm, orig, head_end),
        doc_number=doc_number,
        issuer=issuer,
        date=date,
        index_number=fields.get("索引号"),
    )


def _to_date(text: str, *, whole: bool = False) -> dt.date | None:
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
        if _to_date(norm[c:d], whole=True) and not re.search(r"[,:;。《]", norm[a:b]):
            return orig[a:b].strip()
    joined = norm[:head_end]
    m = re.search(r"([^\n,:;。]{2,40}?)\n?关于印发", joined)
    return orig[m.start(1) : m.end(1)].replace("\n", "").strip() if m else None


def _title(norm: str, orig: str, head_end: int) -> str | None:
    m = _TITLE_QUOTED.search(norm, 0, head_end)
    if m:
        return orig[m.start(1) : m.end(1)].replace("\n", "").strip()
    titles = [(a, b) for a, b in _lines(norm[:head_end]) if _TITLE_LINE.match(norm[a:b].strip())]
    if titles:
        a, b = titles[-1]
        return orig[a:b].strip()
    first = _lines(norm[:head_end])
    return orig[first[0][0] : first[0][1]].strip() if first else None


def _check_numbers(tasks: list[Task], name: str) -> list[Task]:
    numbers = [t.id for t in tasks]
    if len(set(numbers)) != len(numbers):
        warnings.warn(
            f"{name}: task numbers repeat (numbering restarts in each section); the tasks are "
            f"numbered 1-{len(tasks)} in document order instead",
            PlanWarning,
            stacklevel=3,
        )
        return [dataclasses.replace(t, id=i) for i, t in enumerate(tasks, start=1)]
    gaps = [b for a, b in itertools.pairwise(numbers) if b != a + 1]
    if gaps:
        warnings.warn(
            f"{name}: task numbers are not consecutive (a jump before task(s) "
            f"{', '.join(map(str, gaps))}); check that no task was lost",
            PlanWarning,
            stacklevel=3,
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
