"""Turn a plan, layers and a scorecard into the data the report template shows.

Everything here is plain pandas on the data contracts of ``docs/architecture.md``; the
HTML itself is in ``templates/``. Problems with the inputs (tasks without layers, an empty
progress log, an as-of date in the future) become :class:`Notice` items shown at the top
of the report instead of exceptions, so a section chief always gets a report that says what
is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._common.labels import (
    SCORE_STATUSES,
    display_unit,
    format_date,
    format_number,
    format_target,
    is_missing,
    status_label,
)
from ..metrics import METRICS, metric_label

#: Columns the report reads from a scorecard; ``task_id`` and ``status`` are required.
SCORECARD_COLUMNS: tuple[str, ...] = (
    "task_id",
    "metric",
    "scope",
    "value",
    "unit",
    "target",
    "comparator",
    "deadline",
    "status",
)


@dataclass(frozen=True)
class Notice:
    """One line of the report's "what is missing" section.

    Attributes
    ----------
    text
        What is wrong and what to do about it, in Chinese for the planner.
    level
        ``"warning"`` (a figure is missing or may mislead) or ``"info"``.
    """

    text: str
    level: str = "warning"


@dataclass
class Row:
    """One scorecard row, formatted for display, with raw values kept for sorting."""

    task_id: int
    task_title: str
    lead_unit: str
    metric: str
    scope: str
    target: str
    deadline: str
    value: str
    value_sort: float | None
    status: str
    status_label: str
    note: str = ""
    metric_note: str = ""
    #: The value at the as-of date, beside a past deadline's judged ``value`` ("" otherwise).
    value_today: str = ""
    #: The deadline the judged ``value`` was read at ("" when the deadline is ahead).
    judged_on: str = ""
    #: What the row counts, with the parameters that change its status.
    definition: str = ""


@dataclass
class Group:
    """The scorecard rows of one action section."""

    title: str
    rows: list[Row] = field(default_factory=list)


def _task_index(plan: Any) -> dict[int, Any]:
    return {int(task.id): task for task in getattr(plan, "tasks", [])} if plan else {}


def complete_scorecard(card: pd.DataFrame, plan: Any = None) -> pd.DataFrame:
    """Return the scorecard with every plan task present and task titles filled in.

    Tasks of the plan with no scorecard row get one ``unmapped`` row, so that the report
    accounts for all tasks. ``title``, ``section`` and ``lead_unit`` come from the plan
    when the scorecard does not carry them.
    """
    missing = [c for c in ("task_id", "status") if c not in card.columns]
    if missing:
        from .._errors import ReportError

        raise ReportError(
            f"the scorecard has no column(s) {missing}; pass the frame returned by "
            "geoplan.scorecard(plan, layers, records), which has task_id, metric, scope, "
            "value, unit, target, comparator, deadline and status"
        )
    frame = card.copy()
    for col in (*SCORECARD_COLUMNS, "title", "section", "lead_unit", "note"):
        if col not in frame.columns:
            frame[col] = pd.NA
    frame["task_id"] = pd.to_numeric(frame["task_id"], errors="coerce").astype("Int64")
    # geoplan.scorecard writes "" as the metric of an unmapped target
    frame["metric"] = frame["metric"].where(frame["metric"].astype(str).str.strip() != "")
    tasks = _task_index(plan)
    absent = [tid for tid in tasks if tid not in set(frame["task_id"].dropna().astype(int))]
    if absent:
        extra = pd.DataFrame({"task_id": pd.array(absent, dtype="Int64"), "status": "unmapped"})
        frame = pd.concat([frame, extra], ignore_index=True)
    if tasks:
        ids = frame["task_id"]
        lookup = {
            "title": {tid: t.title for tid, t in tasks.items()},
            "section": {tid: t.section for tid, t in tasks.items()},
            "lead_unit": {tid: (t.units[0] if t.units else "") for tid, t in tasks.items()},
        }
        for col, values in lookup.items():
            frame[col] = frame[col].where(frame[col].notna(), ids.map(values))
    frame["status"] = frame["status"].fillna("no_data").astype(str)
    return frame.sort_values(["task_id", "metric"], kind="stable", na_position="last").reset_index(
        drop=True
    )


def _text(value: Any) -> str:
    return "" if is_missing(value) else str(value)


def _row(record: Mapping[str, Any]) -> Row:
    value = record.get("value")
    return Row(
        task_id=int(record["task_id"]) if not is_missing(record["task_id"]) else 0,
        task_title=_text(record.get("title")),
        lead_unit=_text(record.get("lead_unit")),
        metric=metric_label(_text(record.get("metric"))),
        scope=_text(record.get("scope")),
        target=format_target(record.get("target"), display_unit(record), record.get("comparator")),
        deadline=format_date(record.get("deadline")),
        value=format_number(value, display_unit(record)),
        value_sort=None if value is None or is_missing(value) else float(value),
        status=str(record["status"]),
        status_label=status_label(record["status"]),
        note=_text(record.get("note")),
        metric_note=metric_description(_text(record.get("metric"))),
        **_judged(record),
    )


def _judged(record: Mapping[str, Any]) -> dict[str, str]:
    """``value_today``, ``judged_on`` and ``definition`` of a row, formatted for display."""
    judged = record.get("judged_on")
    past = not is_missing(judged)
    return {
        "value_today": (
            format_number(record.get("value_today"), display_unit(record)) if past else ""
        ),
        "judged_on": format_date(judged) if past else "",
        "definition": _text(record.get("definition")),
    }


def metric_description(name: str) -> str:
    """The registered one-line description of a metric ("" when unknown or unregistered)."""
    if not name:
        return ""
    from ..metrics import METRICS, list_metrics

    if name not in METRICS:
        list_metrics()  # imports the metric families, which register themselves
    metric = METRICS.get(name)
    return metric.description if metric is not None else ""


def section_order(plan: Any, card: pd.DataFrame) -> list[str]:
    """Section titles in plan order, then any the plan does not know, then ``"其他"``."""
    order = [s.title for s in getattr(plan, "sections", [])] if plan else []
    for title in card["section"].dropna().astype(str):
        if title not in order:
            order.append(title)
    return order


def groups(card: pd.DataFrame, plan: Any = None) -> list[Group]:
    """Group the (completed) scorecard rows by action section, in plan order."""
    out: list[Group] = []
    sections = card["section"].fillna("其他").astype(str)
    for title in [*section_order(plan, card), "其他"]:
        rows = card[sections == title]
        if len(rows):
            out.append(Group(title=title, rows=[_row(r) for r in rows.to_dict("records")]))
    return out


def summary(card: pd.DataFrame, plan: Any = None) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Count targets by status, overall and per section.

    Returns
    -------
    overall
        status -> count, in the order of :data:`~geoplan._common.labels.SCORE_STATUSES`.
    per_section
        One dict per section: ``title``, ``counts`` (status -> count) and ``total``.
    """
    status = card["status"].astype(str)
    overall = {s: int((status == s).sum()) for s in SCORE_STATUSES}
    per_section = []
    sections = card["section"].fillna("其他").astype(str)
    for title in [*section_order(plan, card), "其他"]:
        mask = sections == title
        if mask.any():
            counts = {s: int((status[mask] == s).sum()) for s in SCORE_STATUSES}
            per_section.append({"title": title, "counts": counts, "total": int(mask.sum())})
    return overall, per_section


def layer_task_ids(layers: Mapping[str, Any]) -> dict[int, list[str]]:
    """Task id -> layer kinds with at least one feature serving it (from ``task_ids``)."""
    served: dict[int, list[str]] = {}
    for kind, layer in layers.items():
        if layer is None or "task_ids" not in getattr(layer, "columns", ()):
            continue
        ids = layer["task_ids"].dropna().astype(str).str.split(",").explode().str.strip()
        for tid in sorted({int(i) for i in ids if i.isdigit()}):
            served.setdefault(tid, []).append(kind)
    return served


def input_notices(
    card: pd.DataFrame,
    *,
    plan: Any = None,
    layers: Mapping[str, Any] | None = None,
    records: pd.DataFrame | None = None,
    records_given: bool = False,
) -> list[Notice]:
    """List what is missing or inconsistent in the inputs, for the notice section."""
    notices: list[Notice] = []
    tasks = _task_index(plan)
    if layers is not None:
        served = layer_task_ids(layers)
        if not any(layer is not None and len(layer) for layer in layers.values()):
            notices.append(Notice("未提供任何图层要素：所有需要图层的指标都无法计算。"))
        if tasks:
            unknown = sorted(set(served) - set(tasks))
            if unknown:
                notices.append(
                    Notice(
                        f"图层中的 task_ids 引用了规划中不存在的任务 {_ids(unknown)}"
                        f"（规划共 {len(tasks)} 项任务）：图层与规划可能不匹配，"
                        "请核对图层的 task_ids 字段或所用的规划文件。"
                    )
                )
            # tasks measured from layers; the ledger's metrics need no feature
            on_layers = card["metric"].notna() & card["metric"].map(
                lambda m: m not in METRICS or bool(METRICS[m].requires)
            )
            mapped = sorted({int(t) for t in card.loc[on_layers, "task_id"].dropna()})
            unserved = [t for t in mapped if t not in served]
            if unserved:
                notices.append(
                    Notice(
                        f"已映射指标的任务 {_ids(unserved)} 在图层中没有对应要素"
                        "（没有要素的 task_ids 包含这些任务号）：请补充相应图层，"
                        "或在图层的 task_ids 字段中登记任务号。"
                    )
                )
    no_data = card[card["status"] == "no_data"]
    for record in no_data.to_dict("records"):
        what = _text(record.get("metric")) or "（无指标）"
        note = _text(record.get("note")) or "缺少计算所需的图层或记录"
        notices.append(Notice(f"任务 {_text(record['task_id'])} 的指标 {what} 无数据：{note}。"))
    if records_given and (records is None or len(records) == 0):
        notices.append(
            Notice(
                "进度记录表为空：本报告只按图层中的日期字段（完成日期、批复日期等）统计，"
                "依赖记录的指标显示为无数据。请在记录表中逐行登记已完成的工作后重新生成。"
            )
        )
    return notices


def future_as_of_notice(requested: dt.date, today: dt.date) -> Notice:
    """The notice shown when the requested as-of date lies in the future."""
    return Notice(
        f"统计日期 {requested.isoformat()} 晚于今天（{today.isoformat()}）："
        "未来的进度尚无数据，本报告按今天的数据统计。如需预测，请在记录表中登记计划日期。"
    )


def _ids(ids: Iterable[int]) -> str:
    return "、".join(str(i) for i in ids)
