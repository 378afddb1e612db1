"""Residential community metrics, plan tasks 4 and 5.

* task 4 "全区住宅小区物业管理覆盖率达到90%以上": share of communities under property
  management (the layer has no date for it: the current state at every as-of date);
* task 5 "完成我区海尾小区老旧小区改造任务 … 到2022年,全面完成": renovation of the old
  communities; and the 补短板 projects of estates built 2000–2010.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..catalogue import STATUS_LABELS
from ._coverage import ZONE, share_metric, share_rows, undated_note
from ._registry import metric_frame, register_metric

#: Estates built in these years (inclusive) get 补短板 projects under task 5.
ESTATE_YEARS = (2000, 2010)


@register_metric(
    "property_management_share",
    label="物业管理覆盖率",
    unit="%",
    requires=("communities",),
    optional=("towns",),
    description="有物业管理的小区占全部小区的比例（任务4）。",
)
def property_management_share(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Communities with ``property_managed`` ÷ all communities (%), zone and per town."""
    c = layers["communities"]
    frame = share_metric(
        "property_management_share",
        c,
        c["property_managed"],
        layers,
        as_of=as_of,
        method="communities with property_managed ÷ all communities",
    )
    frame["note"] = "物业管理属性没有日期：按现状计"
    return frame


@register_metric(
    "old_community_renovation",
    label="老旧小区改造完成率",
    unit="%",
    requires=("communities",),
    description="已完成改造的老旧小区（如海尾小区）占全部老旧小区的比例。",
)
def old_community_renovation(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Old communities renovated by ``as_of`` ÷ old communities (%), plus one row each.

    A community row has value 100 when its renovation is completed, else 0, and its
    status at ``as_of`` in the note.
    """
    c = layers["communities"]
    old = c.loc[c["is_old_community"].fillna(False).astype(bool)]
    done = old["renovation_status"] == "completed"
    rows = share_rows(done, None, {})
    rows += [
        {
            "scope_type": "community",
            "scope": name,
            "value": 100.0 * ok,
            "numerator": float(ok),
            "denominator": 1.0,
            "note": f"改造状态：{STATUS_LABELS.get(status, status)}",
        }
        for name, ok, status in zip(old["name"], done, old["renovation_status"], strict=True)
    ]
    frame = metric_frame(
        "old_community_renovation",
        rows,
        unit="%",
        as_of=as_of,
        method="old communities (is_old_community) with renovation completed by as_of "
        "÷ all old communities",
    )
    frame.loc[frame["scope"] == ZONE, "note"] = undated_note(old, "renovation_status", "老旧小区")
    return frame


@register_metric(
    "estate_upgrade_share",
    label="2000–2010年小区补短板完成率",
    unit="%",
    requires=("communities",),
    optional=("towns",),
    description="2000–2010年建成小区中已完成补短板项目的比例（任务5）。",
)
def estate_upgrade_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    built_years: tuple[int, int] = ESTATE_YEARS,
) -> pd.DataFrame:
    """Estates built in ``built_years`` (not old communities) with 补短板 completed ÷ all (%)."""
    c = layers["communities"]
    year = pd.to_numeric(c["built_year"], errors="coerce")
    estates = c.loc[year.between(*built_years) & ~c["is_old_community"].fillna(False).astype(bool)]
    return share_metric(
        "estate_upgrade_share",
        estates,
        estates["renovation_status"] == "completed",
        layers,
        as_of=as_of,
        method=f"communities built {built_years[0]}–{built_years[1]} with renovation "
        "(补短板) completed by as_of ÷ all such communities",
        undated=("renovation_status", "小区"),
    )
