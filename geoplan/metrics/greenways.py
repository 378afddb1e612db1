"""Greenway (福道) metrics, plan task 9: "到2025年全区新建福道10公里以上".

Lengths are measured in the zone's Gauss-Kruger CRS (scale error below 0.03 % in the zone,
well inside the 0.1 % the tests allow against geodesic lengths).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..settings import PLAN_START
from ._coverage import (
    coverage_rows,
    length_metric,
    lengths_km,
    project,
    sum_rows,
    town_names,
    undated_note,
)
from ._registry import metric_frame, register_metric

#: 城市绿道服务半径覆盖率: residential land within 1 km of a greenway [城市体检 2021].
GREENWAY_SERVICE_RADIUS_M = 1000.0


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
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Greenway km completed on or after the plan start (2021-05-24) and by ``as_of``.

    Rows: the zone, each town, each completion year. Greenways marked completed without a
    date are left out (the note counts them).
    """
    gw = project(layers, ("greenways",))["greenways"]
    done = gw["status"] == "completed"
    dates = _dated(gw)
    since = done & (dates >= pd.Timestamp(PLAN_START))
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
        method="length in the Gauss-Kruger CRS of greenways with status completed and "
        f"{PLAN_START} ≤ completed_date ≤ as_of",
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
    return length_metric(
        name,
        layers,
        "greenways",
        lambda gw: gw["status"] == status,
        as_of=as_of,
        method=f"length in the Gauss-Kruger CRS of greenways with status {status} at as_of",
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
    service = shapely.buffer(lines, radius_m)
    return metric_frame(
        "greenway_service_coverage",
        coverage_rows(res, service, town_names(layers)),
        unit="%",
        as_of=as_of,
        method=f"area of residential land within {radius_m:g} m of completed greenways "
        "÷ all residential land (m², Gauss-Kruger CRS)",
    )
