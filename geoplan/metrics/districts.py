"""Planning-district metrics, plan task 31 (海江片区, 高铁片区, 湖东片区 更新改造)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ._coverage import share_rows, undated_note
from ._registry import metric_frame, register_metric


@register_metric(
    "district_project_completion",
    unit="%",
    requires=("projects",),
    optional=("districts",),
    description="片区改造: share of projects completed per planning district (task 31)",
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
    frame = metric_frame(
        "district_project_completion",
        share_rows(p["status"] == "completed", p.get("district_id"), names, scope_type="district"),
        unit="%",
        as_of=as_of,
        method="projects with status completed and completed_date ≤ as_of ÷ all projects",
    )
    frame["note"] = undated_note(p, "status", "projects")
    return frame
