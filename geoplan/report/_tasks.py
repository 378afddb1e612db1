"""The per-task sections of the report: metric by town, charts, progress and a map."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._common.labels import format_number, is_missing
from .._errors import GeoplanError
from ..metrics import metric_label
from ..settings import logger
from ._build import Notice, Row, _row, _text
from ._charts import progress_chart, svg_data_uri, town_chart

#: scope_type -> (column heading, chart title suffix); these get a breakdown table + chart.
BREAKDOWN_SCOPES: dict[str, tuple[str, str]] = {
    "town": ("乡镇", "按乡镇"),
    "district": ("片区", "按片区"),
    "year": ("年份", "按年份"),
}


@dataclass
class Breakdown:
    """One metric broken down by town (or district, or year)."""

    title: str
    scope_label: str
    rows: list[dict[str, str]]
    chart: str | None


@dataclass
class TaskSection:
    """Everything the report shows for one mapped task."""

    id: int
    title: str
    section: str
    lead_unit: str
    units: str
    rows: list[Row]
    breakdowns: list[Breakdown] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)
    map_html: str | None = None


def _metric_frame(
    metric: str,
    layers: Mapping[str, Any],
    records: pd.DataFrame | None,
    as_of: dt.date,
    cache: dict[str, pd.DataFrame | None],
) -> pd.DataFrame | None:
    if metric not in cache:
        from ..metrics import compute_metric

        try:
            cache[metric] = compute_metric(metric, layers, records, as_of=as_of)
        except GeoplanError as exc:
            logger.warning("report: metric %s by scope not available: %s", metric, exc)
            cache[metric] = None
    return cache[metric]


def _breakdowns(metric: str, frame: pd.DataFrame | None, target: Any) -> list[Breakdown]:
    out: list[Breakdown] = []
    if frame is None or frame.empty:
        return out
    for scope_type, (label, suffix) in BREAKDOWN_SCOPES.items():
        rows = frame[(frame["scope_type"] == scope_type) & frame["value"].notna()]
        if rows.empty:
            continue
        if scope_type == "year" and "year" in rows and rows["year"].notna().all():
            rows = rows.assign(scope=rows["year"].astype(int).astype(str)).sort_values("year")
        unit = _text(rows["unit"].iloc[0])
        title = f"{metric_label(metric)}（{suffix}）"
        table = [
            {
                "scope": _text(r["scope"]),
                "value": format_number(r["value"], unit),
                "sort": repr(float(r["value"])),
                "numerator": format_number(r.get("numerator")),
                "denominator": format_number(r.get("denominator")),
            }
            for r in rows.to_dict("records")
        ]
        # a zone-wide share (%) applies to every town too; a zone-wide total (km) does not
        line = float(target) if unit == "%" and not is_missing(target) else None
        chart = svg_data_uri(
            town_chart(
                rows.loc[:, ["scope", "value"]],
                title=title,
                unit=unit,
                target=line,
                sort=scope_type != "year",
            )
        )
        out.append(Breakdown(title=title, scope_label=label, rows=table, chart=chart))
    return out


#: The metric notes' words for an attribute without dates (物业管理, 示范村): its value is
#: today's state at every as-of date, so a history chart of it shows no history.
UNDATED_MARK = "没有日期：按现状计"

#: Most lines drawn in one progress chart; per-town-and-year series are left to the tables.
MAX_PROGRESS_LINES = 6


def _progress(
    task_id: int, rows: pd.DataFrame, history: pd.DataFrame | None, title: str
) -> str | None:
    if history is None or history.empty:
        return None
    metrics = set(rows["metric"].dropna())
    if "value_today" in history:
        # progress is the state at each date; a past deadline's judged value stays put
        today = pd.to_numeric(history["value_today"], errors="coerce")
        history = history.assign(value=today.where(today.notna(), history["value"]))
    data = history[history["metric"].isin(metrics) & history["value"].notna()]
    if "task_id" in data:
        data = data[pd.to_numeric(data["task_id"], errors="coerce") == task_id]
    if "scope_type" in data:
        # yearly figures are already a time series; progress is about cumulative states
        data = data[~data["scope_type"].isin(["year", "town_year"])]
    data = data.assign(metric=data["metric"].astype(str).map(metric_label))
    if "scope" in data and data["scope"].nunique() > 1:
        label = data["metric"] + " · " + data["scope"].astype(str)
        data = data.assign(metric=label)
    data = data.drop_duplicates(subset=["metric", "as_of"])
    if data.empty or data["as_of"].nunique() < 2 or data["metric"].nunique() > MAX_PROGRESS_LINES:
        return None
    targets = []
    for r in (
        rows.dropna(subset=["target"]).drop_duplicates(["target", "deadline"]).to_dict("records")
    ):
        deadline = None if is_missing(r.get("deadline")) else pd.Timestamp(r["deadline"]).date()
        targets.append((float(r["target"]), deadline))
    units = rows["unit"].dropna().unique()
    unit = str(units[0]) if len(units) == 1 else None
    if len(units) > 1:
        targets = []  # targets in different units cannot share one axis
    notes = rows["note"].dropna().astype(str) if "note" in rows else pd.Series([], dtype=str)
    undated = UNDATED_MARK in " ".join(notes)
    return svg_data_uri(
        progress_chart(data, title=title, unit=unit, targets=targets, undated=undated)
    )


def task_map_html(task_id: int, layers: Mapping[str, Any], plan: Any = None) -> str | None:
    """Return the offline map HTML of the features serving ``task_id``, or None if none do."""
    subset = {}
    for kind, layer in layers.items():
        if layer is None or "task_ids" not in getattr(layer, "columns", ()) or layer.empty:
            continue
        padded = "," + layer["task_ids"].fillna("").astype(str).str.replace(" ", "") + ","
        mask = padded.str.contains(f",{task_id},", regex=False).to_numpy()
        if mask.any():
            subset[kind] = layer[mask]
    if not subset:
        return None
    towns = layers.get("towns")
    if "towns" not in subset and towns is not None and not towns.empty:
        # the town boundaries place the task's features and match the 按乡镇 tables
        subset = {"towns": towns, **subset}
    from ..maps import make_map, save_map

    fmap = make_map(subset, plan=plan, offline=True)
    with tempfile.TemporaryDirectory(prefix="geoplan-report-") as tmp:
        out = Path(tmp) / f"task_{task_id}.html"
        save_map(fmap, out)
        return out.read_text(encoding="utf-8")


def task_sections(
    card: pd.DataFrame,
    *,
    plan: Any = None,
    layers: Mapping[str, Any],
    records: pd.DataFrame | None,
    as_of: dt.date,
    history: pd.DataFrame | None,
    maps: bool,
    notices: list[Notice],
) -> list[TaskSection]:
    """Build one :class:`TaskSection` per task with at least one mapped metric."""
    tasks = {int(t.id): t for t in getattr(plan, "tasks", [])} if plan else {}
    cache: dict[str, pd.DataFrame | None] = {}
    sections = []
    mapped = card[card["metric"].notna()]
    for task_id, rows in mapped.groupby("task_id", sort=True):
        tid = int(task_id)
        task = tasks.get(tid)
        first = rows.iloc[0]
        section = TaskSection(
            id=tid,
            title=_text(first.get("title")),
            section=_text(first.get("section")),
            lead_unit=_text(first.get("lead_unit")),
            units="、".join(task.units[1:]) if task is not None else "",
            rows=[_row(r) for r in rows.to_dict("records")],
        )
        if layers:
            for metric, mrows in rows.groupby("metric", sort=False):
                frame = _metric_frame(str(metric), layers, records, as_of, cache)
                section.breakdowns += _breakdowns(str(metric), frame, mrows["target"].iloc[0])
        for metric, mrows in rows.groupby("metric", sort=False):
            chart = _progress(tid, mrows, history, f"任务 {tid}：{metric_label(str(metric))}")
            if chart is not None:
                section.progress.append(chart)
        if maps and layers:
            try:
                section.map_html = task_map_html(tid, layers, plan)
            except GeoplanError as exc:
                notices.append(Notice(f"任务 {tid} 的地图无法生成：{exc}"))
        sections.append(section)
    return sections
