"""Greenway (福道) metrics, plan task 9: "到2025年全区新建福道10公里以上".

Lengths are geodesic (:class:`pyproj.Geod` on the layer's ellipsoid); the zone's
Gauss-Kruger CRS would read them 0.016–0.022 % long.

"新建" is counted from :data:`COUNT_FROM` (2021-01-01, the first day of the 十四五 period
whose 2025 targets the plan sets), a parameter: ``count_from="plan"`` counts from the plan's
issue date instead (2021-05-24 for 泉台管〔2021〕57号).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .. import settings
from ._coverage import (
    coverage_rows,
    length_metric,
    lengths_km,
    metric_crs_of,
    project,
    service_buffers,
    sum_rows,
    town_names,
    undated_note,
)
from ._registry import metric_frame, register_metric

#: 城市绿道服务半径覆盖率: residential land within 1 km of a greenway [城市体检 2021].
GREENWAY_SERVICE_RADIUS_M = 1000.0

#: Default first day from which greenways count as 新建 for task 9: the start of the
#: 十四五 period (2021–2025), since "到2025年新建福道10公里" is a 十四五 target and bureaus
#: report 十四五 totals from 1 January 2021. ``"plan"`` means the plan's issue date.
COUNT_FROM: dt.date | str = dt.date(2021, 1, 1)


def count_start(count_from: dt.date | str | None, plan_start: dt.date | None) -> dt.date:
    """The first day a completion counts as 新建: a date, or ``"plan"`` for the plan start."""
    if count_from is None:
        count_from = COUNT_FROM
    if isinstance(count_from, str):
        if count_from == "plan":
            return plan_start or settings.PLAN_START
        try:
            return dt.date.fromisoformat(count_from)
        except ValueError:
            from .._errors import MetricError

            raise MetricError(
                f"count_from {count_from!r} is neither 'plan' nor a YYYY-MM-DD date; "
                "e.g. count_from='2021-01-01' (十四五 start) or count_from='plan'"
            ) from None
    return count_from


def _dated(gdf: Any) -> pd.Series:
    return pd.to_datetime(gdf["completed_date"], errors="coerce")


@register_metric(
    "greenway_completed_km",
    label="新建福道里程",
    unit="km",
    requires=("greenways",),
    optional=("towns",),
    description="方案实施以来建成的福道长度（公里），按乡镇和建成年份统计。",
)
def greenway_completed_km(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    count_from: dt.date | str | None = None,
    plan_start: dt.date | None = None,
) -> pd.DataFrame:
    """Greenway km completed on or after ``count_from`` and by ``as_of`` (geodesic).

    Parameters
    ----------
    count_from
        First day a completion counts as 新建: default :data:`COUNT_FROM` (2021-01-01,
        十四五 start); ``"plan"`` for the plan's issue date (``plan_start``).
    plan_start
        The plan's issue date (default :data:`geoplan.settings.PLAN_START`); the
        scorecard passes the plan's own date.

    Rows: the zone, each town, each completion year. Greenways marked completed without a
    date are left out (the note counts them).
    """
    start = count_start(count_from, plan_start)
    gw = layers["greenways"]
    metric_crs_of(gw, "greenways")
    done = gw["status"] == "completed"
    dates = _dated(gw)
    since = done & (dates >= pd.Timestamp(start))
    km = lengths_km(gw).where(since, 0.0)
    rows = sum_rows(km, gw.get("town_id"), town_names(layers))
    years = dates.dt.year.where(since)
    for year, value in km[since].groupby(years[since]).sum().items():
        rows.append(
            {
                "scope_type": "year",
                "scope": str(int(year)),
                "year": int(year),
                "value": float(value),
            }
        )
    note = undated_note(gw, "status", "福道")
    frame = metric_frame(
        "greenway_completed_km",
        rows,
        unit="km",
        as_of=as_of,
        method=f"新建福道：{start} 起（含）至评估日建成的福道长度（公里，椭球面测地线长度）；"
        f"geodesic length of greenways with status completed and {start} ≤ completed_date "
        "≤ as_of",
    )
    frame["note"] = note
    return frame


@register_metric(
    "greenway_total_km",
    label="福道总里程",
    unit="km",
    requires=("greenways",),
    optional=("towns",),
    description="全部已建成福道的长度（公里，不论建成年份），按乡镇统计。",
)
def greenway_total_km(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Greenway km completed by ``as_of``, including those built before the plan."""
    return _status_km(layers, "completed", "greenway_total_km", as_of)


def _status_km(layers: dict[str, Any], status: str, name: str, as_of: dt.date) -> pd.DataFrame:
    frame = length_metric(
        name,
        layers,
        "greenways",
        lambda gw: gw["status"] == status,
        as_of=as_of,
        method=f"geodesic length of greenways with status {status} at as_of",
    )
    if status != "completed":
        gw = layers["greenways"]
        note = _no_start_note(gw, as_of)
        if note:
            frame["note"] = [n + "；" + note if n else note for n in frame["note"]]
    return frame


def _no_start_note(gw: Any, as_of: dt.date) -> str:
    """Say so when a past figure rests on completion dates alone (no start dates)."""
    if "start_date" in gw and pd.to_datetime(gw["start_date"], errors="coerce").notna().any():
        return ""
    later = _dated(gw) > pd.Timestamp(as_of)
    if not later.any():
        return ""
    return (
        f"图层没有开工日期：评估日之后建成的 {int(later.sum())} 段福道按当时在建计"
        "（其中可能有当时尚未开工的），在建与计划里程只是估计"
    )


@register_metric(
    "greenway_under_construction_km",
    label="在建福道里程",
    unit="km",
    requires=("greenways",),
    optional=("towns",),
    description="评估日在建的福道长度（公里）。",
)
def greenway_under_construction_km(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Greenway km under construction at ``as_of`` (completed later counts here)."""
    return _status_km(layers, "under_construction", "greenway_under_construction_km", as_of)


@register_metric(
    "greenway_planned_km",
    label="规划福道里程",
    unit="km",
    requires=("greenways",),
    optional=("towns",),
    description="评估日已计划但尚未开工的福道长度（公里）。",
)
def greenway_planned_km(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Greenway km planned (not yet started) at ``as_of``."""
    return _status_km(layers, "planned", "greenway_planned_km", as_of)


@register_metric(
    "greenway_service_coverage",
    label="城市绿道服务半径覆盖率",
    unit="%",
    requires=("greenways", "residential_land"),
    optional=("towns",),
    description="距已建成福道1公里以内的居住用地占全部居住用地的比例。",
)
def greenway_service_coverage(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    radius_m: float = GREENWAY_SERVICE_RADIUS_M,
) -> pd.DataFrame:
    """城市绿道服务半径覆盖率 = residential area within ``radius_m`` of a completed greenway
    ÷ all residential area, in %.

    ``radius_m`` defaults to 1 000 m [城市体检 2021 indicator 城市绿道服务半径覆盖率].
    Overlapping residential parcels are unioned per town first, so no area counts twice;
    numerator and denominator are in m².
    """
    proj = project(layers, ("greenways", "residential_land"))
    gw, res = proj["greenways"], proj["residential_land"]
    lines = np.asarray(gw.geometry.values[(gw["status"] == "completed").to_numpy()])
    service = service_buffers(lines, radius_m)
    return metric_frame(
        "greenway_service_coverage",
        coverage_rows(res, service, town_names(layers)),
        unit="%",
        as_of=as_of,
        method=f"area of residential land within {radius_m:g} m of completed greenways "
        "÷ all residential land (m², Gauss-Kruger CRS)",
    )
