"""Village metrics, plan tasks 17, 18 and 22.

* task 17 "2023年底前实现全区村庄规划全覆盖": share of villages with an approved plan;
* task 18 "各乡镇每年整治既有农房200栋以上 … 到2025年,全区60%以上的既有农房完成整治 …
  各镇各创建1个示范村庄": farmhouse renovation rate, renovations per town per year,
  demonstration villages per town;
* task 22 "到2025年,全区绿盈乡村达80%以上": share of 绿盈乡村.

The farmhouse layer is the inventory of existing farmhouses: the renovation rate is
renovated points ÷ all points (a village's ``farmhouse_count`` is not used, so that the
rate and the per-year counts rest on the same features). When the layer has a boolean
column :data:`DUE_COLUMN` (``due_for_renovation``: the farmhouse is on the renovation
list), the rate is over the farmhouses due only; the row's method says which.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .. import settings
from ._coverage import share_metric, sum_rows, town_names, undated_note
from ._registry import metric_frame, register_metric

#: Optional boolean farmhouse column: the farmhouse is due for renovation (on the list).
DUE_COLUMN = "due_for_renovation"


@register_metric(
    "village_plan_share",
    label="村庄规划编制覆盖率",
    unit="%",
    requires=("villages",),
    optional=("towns",),
    description="村庄规划已获批的村占全部村的比例（任务17）。",
)
def village_plan_share(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Villages whose plan was approved on or before ``as_of`` ÷ all villages (%)."""
    v = layers["villages"]
    return share_metric(
        "village_plan_share",
        v,
        v["plan_approved"],
        layers,
        as_of=as_of,
        method="villages with plan_approved_date ≤ as_of ÷ all villages",
    )


@register_metric(
    "green_village_share",
    label="绿盈乡村占比",
    unit="%",
    requires=("villages",),
    optional=("towns",),
    description="评为绿盈乡村的村占全部村的比例（任务22）。",
)
def green_village_share(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Villages that are 绿盈乡村 at ``as_of`` ÷ all villages (%)."""
    v = layers["villages"]
    return share_metric(
        "green_village_share",
        v,
        v["green_village"],
        layers,
        as_of=as_of,
        method="villages with green_village true and green_village_date ≤ as_of ÷ all villages",
        undated=("green_village", "绿盈乡村"),
    )


@register_metric(
    "farmhouse_renovation_rate",
    label="既有农房整治率",
    unit="%",
    requires=("farmhouses",),
    optional=("towns",),
    description="已整治农房占既有农房的比例（任务18）。",
)
def farmhouse_renovation_rate(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    due_column: str | None = DUE_COLUMN,
) -> pd.DataFrame:
    """Farmhouses renovated by ``as_of`` ÷ farmhouses due, zone-wide and per town (%).

    Parameters
    ----------
    due_column
        A boolean column marking the farmhouses due for renovation; when the layer has it,
        only those count (numerator and denominator). None, or a layer without it: every
        farmhouse is in the denominator (the plan's "既有农房").
    """
    f = layers["farmhouses"]
    due = bool(due_column) and due_column in f
    if due:
        f = f.loc[f[due_column].fillna(False).astype(bool).to_numpy()]
        base = f"分母为需整治农房（{due_column} 为真）"
        what = f"farmhouses with {due_column}"
    else:
        base = "分母为全部既有农房（图层没有“需整治”标记）"
        what = "all farmhouses"
    return share_metric(
        "farmhouse_renovation_rate",
        f,
        f["renovation_status"] == "completed",
        layers,
        as_of=as_of,
        method=f"{base}；farmhouses renovated by as_of ÷ {what}",
        undated=("renovation_status", "农房"),
    )


@register_metric(
    "farmhouse_renovations_per_year",
    label="年度农房整治数",
    unit="count",
    requires=("farmhouses",),
    optional=("towns",),
    description="各乡镇每年完成整治的农房数（任务18：每年200栋以上）。",
)
def farmhouse_renovations_per_year(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    plan_start: dt.date | None = None,
) -> pd.DataFrame:
    """Renovations completed per town and calendar year, from the plan year to ``as_of``.

    Every town gets a row for every year of the plan start…as_of.year (0 when nothing was
    done). The first year counts from the plan start (``plan_start``, default
    :data:`geoplan.settings.PLAN_START`; the scorecard passes the plan's own date, and can
    pro-rate that year's target); the current year counts to ``as_of``. Renovations
    without a date cannot be placed in a year and are left out.
    """
    start = plan_start or settings.PLAN_START
    f = layers["farmhouses"]
    names = town_names(layers)
    dates = pd.to_datetime(f["renovation_date"], errors="coerce")
    done = ((f["renovation_status"] == "completed") & (dates >= pd.Timestamp(start))).to_numpy(
        dtype=bool, na_value=False
    )
    towns = f["town_id"] if "town_id" in f else pd.Series("", index=f.index)
    codes, uniques = pd.factorize(towns)  # missing town ids: code -1
    labels = [str(u) for u in uniques] + [""]
    codes = np.where(codes < 0, len(uniques), codes)
    present = np.bincount(codes, minlength=len(labels)) > 0
    years = np.arange(start.year, as_of.year + 1)
    # Count on codes: one bincount over (town, year) cells of the completed renovations.
    offset = dates[done].dt.year.to_numpy() - years[0]
    inside = (offset >= 0) & (offset < len(years))
    cell = codes[done][inside] * len(years) + offset[inside]
    counts = np.bincount(cell, minlength=len(labels) * len(years)).reshape(len(labels), -1)
    row_of = {label: i for i, label in enumerate(labels) if present[i]}
    rows = []
    for town in sorted(set(names) | set(row_of)):  # a few towns × years, not features
        name = names.get(town, town or "(未指定)")
        for j, year in enumerate(years):
            n = int(counts[row_of[town], j]) if town in row_of else 0
            rows.append(
                {"scope_type": "town_year", "scope": f"{name} {year}", "year": year, "value": n}
            )
    rows += [
        {"scope_type": "year", "scope": str(y), "year": int(y), "value": int(n)}
        for y, n in zip(years, counts.sum(axis=0), strict=True)
    ]
    frame = metric_frame(
        "farmhouse_renovations_per_year",
        rows,
        unit="count",
        as_of=as_of,
        method=f"每年整治数：{start} 起按自然年统计；farmhouses with renovation completed in "
        f"the calendar year (from the plan start {start}, to as_of in the current year)",
    )
    frame["note"] = undated_note(f, "renovation_status", "农房")
    return frame


@register_metric(
    "demonstration_villages",
    label="示范村庄数",
    unit="count",
    requires=("villages",),
    optional=("towns",),
    description="各乡镇的示范村庄数（任务18：各镇各创建1个示范村庄）。",
)
def demonstration_villages(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Number of demonstration villages, zone-wide and per town.

    The layer has no date for the designation, so the count is the current state at every
    ``as_of`` (said in the note).
    """
    v = layers["villages"]
    names = town_names(layers)
    rows = sum_rows(v["demonstration"].fillna(False).astype(float), v.get("town_id"), names)
    seen = {r["scope"] for r in rows}
    rows += [
        {"scope_type": "town", "scope": n, "value": 0.0} for n in names.values() if n not in seen
    ]
    frame = metric_frame(
        "demonstration_villages",
        rows,
        unit="count",
        as_of=as_of,
        method="villages with demonstration true",
    )
    frame["note"] = "示范村认定没有日期：按现状计"
    return frame
