"""Planning-district metrics, plan task 31 (海江片区, 高铁片区, 湖东片区 更新改造)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ._coverage import share_metric
from ._registry import register_metric


@register_metric(
    "district_project_completion",
    label="片区项目完成率",
    unit="%",
    requires=("projects",),
    optional=("districts",),
    description="各片区已竣工建设项目占该片区全部项目的比例（任务31）。",
)
def district_project_completion(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Projects completed by ``as_of`` ÷ all projects, zone-wide and per district (%)."""
    p = layers["projects"]
    districts = layers.get("districts")
    names = (
        dict(zip(districts["id"].astype(str), districts["name"].astype(str), strict=True))
        if districts is not None
        else {}
    )
    return share_metric(
        "district_project_completion",
        p,
        p["status"] == "completed",
        layers,
        as_of=as_of,
        method="projects with status completed and completed_date ≤ as_of ÷ all projects",
        undated=("status", "建设项目"),
        by="district_id",
        names=names,
        scope_type="district",
    )
