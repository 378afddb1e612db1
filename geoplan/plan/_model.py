"""The task register's data model: a plan, its sections, tasks, targets and quantities.

These frozen dataclasses are what :func:`geoplan.parse_plan` returns and what the metrics,
maps, report and store read. ``Plan.to_dict()`` is the JSON shape in
``docs/architecture.md``; ``Plan.quantities_frame()`` is the tidy table the scorecard uses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._errors import SchemaError
from ._read import write_atomic

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Quantity:
    """One number a target promises.

    ``value`` has Chinese multipliers folded in (1万套 -> 10000.0) and ``unit`` is the unit
    as written without the multiplier (套, 平方米, 元, 公里, %, 栋, 个). ``comparator`` is
    ``">="`` for 以上 / 不少于 / 达到, ``"<="`` for 以下 / 不超过 / 控制在, ``"~"`` for
    约 / 左右 (an approximate figure), None when the text gives none. ``qualifiers``
    lists codes (``per_year`` for 每年, ``per_town`` for 各乡镇, ``per_village``,
    ``per_entity`` for 每个居住区, ``cumulative``) followed by the words as written, the
    qualitative word (全覆盖), ``基本`` when the promise is hedged, and ``range:3-5`` for
    a range (whose lower bound is the value).
    """

    value: float
    unit: str
    comparator: Literal[">=", "<=", "==", "~"] | None
    qualifiers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """A dated commitment (or undated quantities) of a task or of the plan.

    ``year`` and ``deadline`` are None for undated quantities. ``year_from`` is an
    addition to the contract: the lower bound of a range deadline (用3-5年时间 in a 2021
    plan -> ``year`` 2026, ``year_from`` 2024), None otherwise. ``year_source`` says where
    the year comes from: ``"text"`` (a date in the clause or in the task's deadline
    column), ``"relative"`` (用3年时间, 3年内, 年内: counted from the plan's date),
    ``"title"`` (the year or window of the plan's title, for a quantified clause with no
    date of its own), ``"window"`` (the one year of the plan's goals, likewise); None for
    undated targets.
    """

    year: int | None
    deadline: dt.date | None
    text: str
    quantities: list[Quantity] = field(default_factory=list)
    year_from: int | None = None
    year_source: str | None = None


@dataclass(frozen=True)
class Section:
    """A section: an action under 重点任务 or a measure under 保障措施.

    ``id`` is ``"action-3"`` or ``"safeguard-1"``; ``number`` is the section's number in
    the document (（三） -> 3).
    """

    id: str
    number: int
    title: str
    kind: Literal["action", "safeguard"]


@dataclass(frozen=True)
class Task:
    """A numbered task: ``units[0]`` is the lead unit; ``text`` is the paragraph as written."""

    id: int
    title: str
    section: str
    text: str
    units: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)


@dataclass(frozen=True)
class PlanMeta:
    """The document's title, number (文号), issuing body, date and index number (索引号)."""

    title: str | None
    doc_number: str | None
    issuer: str | None
    date: dt.date | None
    index_number: str | None


@dataclass(frozen=True)
class Plan:
    """A parsed action plan: metadata, goals, sections and tasks.

    ``unit_duties`` maps a unit to its duties as written, for plans that assign work per
    unit in a 职责分工 section rather than per task (empty otherwise).

    Examples
    --------
    >>> import geoplan
    >>> plan = geoplan.load_sample_plan()
    >>> len(plan.sections), len(plan.tasks), plan.task(9).units[0]
    (13, 32, '区环境与国土资源局')
    """

    meta: PlanMeta
    goals: list[Target]
    sections: list[Section]
    tasks: list[Task]
    unit_duties: dict[str, str] = field(default_factory=dict)

    def task(self, id: int) -> Task:
        """Return the task numbered ``id``; raise :class:`~geoplan.SchemaError` if none."""
        for task in self.tasks:
            if task.id == id:
                return task
        ids = [t.id for t in self.tasks]
        valid = f"{min(ids)}-{max(ids)}" if ids else "none"
        raise SchemaError(f"the plan has no task {id!r}; task ids run {valid}")

    def to_dict(self) -> dict[str, Any]:
        """Return the register as plain JSON-ready data (dates as ISO strings)."""
        return {
            "meta": _jsonable(dataclasses.asdict(self.meta)),
            "goals": [_jsonable(dataclasses.asdict(g)) for g in self.goals],
            "sections": [dataclasses.asdict(s) for s in self.sections],
            "tasks": [_jsonable(dataclasses.asdict(t)) for t in self.tasks],
            **({"unit_duties": dict(self.unit_duties)} if self.unit_duties else {}),
        }

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int = 2) -> str:
        """Return the register as JSON; also write it (atomically, UTF-8) when ``path`` is given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=indent) + "\n"
        if path is not None:
            write_atomic(Path(path), text, encoding="utf-8")
        return text

    def quantities_frame(self) -> pd.DataFrame:
        """Return one row per quantity of a task (goal quantities are not included).

        Columns: ``task_id``, ``title``, ``section``, ``target_index``, ``quantity_index``,
        ``year`` (Int64), ``deadline`` (datetime64[ms], NaT when undated), ``value``,
        ``unit``, ``comparator``, ``qualifiers`` (list of str), ``text`` (the clause).
        """
        import pandas as pd

        rows = [
            {
                "task_id": task.id,
                "title": task.title,
                "section": task.section,
                "target_index": ti,
                "quantity_index": qi,
                "year": target.year,
                "deadline": target.deadline,
                "value": q.value,
                "unit": q.unit,
                "comparator": q.comparator,
                "qualifiers": list(q.qualifiers),
                "text": target.text,
            }
            for task in self.tasks
            for ti, target in enumerate(task.targets)
            for qi, q in enumerate(target.quantities)
        ]
        frame = pd.DataFrame(rows, columns=_FRAME_COLUMNS)
        for column in ("task_id", "target_index", "quantity_index"):
            frame[column] = frame[column].astype("int64")
        frame["year"] = frame["year"].astype("Int64")
        frame["deadline"] = pd.to_datetime(frame["deadline"]).astype("datetime64[ms]")
        frame["value"] = frame["value"].astype("float64")
        return frame

    def register_frame(self) -> pd.DataFrame:
        """Return the register table: one row per quantity, per target without one, per bare task.

        Every task is present, with its lead unit and other units; see
        :func:`geoplan.plan._register.register_frame` for the columns.
        """
        from ._register import register_frame

        return register_frame(self)

    def to_csv(
        self, path: str | os.PathLike[str] | None = None, *, encoding: str = "utf-8-sig"
    ) -> str:
        """Return the register as CSV; also write it (atomically) when ``path`` is given.

        One row per quantity of a target (several quantities give several rows of that
        target), one per target without quantities, one per task without targets: task id,
        section, title, lead unit, other units, target, deadline, year, year source, value,
        unit, comparator, qualifiers (joined with ``;``), task text. Text cells that a
        spreadsheet would run as a formula are escaped with a leading ``'``. Files are
        UTF-8 with a byte order mark by default, which Excel in China needs to show
        Chinese; pass ``encoding="utf-8"`` for none. The returned string never carries
        the mark.
        """
        from ._register import register_csv

        text = register_csv(self)
        if path is not None:
            write_atomic(Path(path), text, encoding=encoding)
        return text

    def to_xlsx(self, path: str | os.PathLike[str]) -> Path:
        """Write the register as an Excel workbook (atomically) and return its path.

        The rows and cells of :meth:`to_csv`, with Chinese headers (bold, frozen, with an
        autofilter), fitted column widths and deadlines as date cells; a second sheet
        说明 holds the plan's title, number, issuer and date.
        """
        from ._register import write_xlsx

        return write_xlsx(self, path)


_FRAME_COLUMNS = [
    "task_id",
    "title",
    "section",
    "target_index",
    "quantity_index",
    "year",
    "deadline",
    "value",
    "unit",
    "comparator",
    "qualifiers",
    "text",
]


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data
