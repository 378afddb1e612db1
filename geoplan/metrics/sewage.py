"""Sewage metrics, plan tasks 8 and 20.

* task 20 "全面推行对农村生活污水处理设施 … 整体“打包” … 到2025年,全区完成“打包”统一实施工作":
  share of village sewage facilities packaged;
* task 8 "抓好老旧街区的污水管网建设": completed sewage network length (km).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ._coverage import lengths_km, project, share_rows, sum_rows, town_names, undated_note
from ._registry import metric_frame, register_metric

PACKAGED_TYPES = ("village_facility",)


@register_metric(
    "sewage_packaged_share",
    unit="%",
    requires=("sewage_facilities",),
    optional=("towns",),
    description="农村生活污水设施“打包”: share of village facilities packaged (task 20)",
)
def sewage_packaged_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    facility_types: tuple[str, ...] = PACKAGED_TYPES,
) -> pd.DataFrame:
    """Facilities of ``facility_types`` packaged by ``as_of`` ÷ all of them (%)."""
    f = layers["sewage_facilities"]
    f = f.loc[f["facility_type"].isin(facility_types)]
    frame = metric_frame(
        "sewage_packaged_share",
        share_rows(f["packaged"], f.get("town_id"), town_names(layers)),
        unit="%",
        as_of=as_of,
        method=f"{'/'.join(facility_types)} facilities with packaged true and packaged_date "
        "≤ as_of ÷ all such facilities",
    )
    frame["note"] = undated_note(f, "packaged", "facilities")
    return frame


@register_metric(
    "sewage_network_km",
    unit="km",
    requires=("sewage_lines",),
    optional=("towns",),
    description="completed sewage network (km) (task 8)",
)
def sewage_network_km(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Length of sewage lines completed by ``as_of`` (km, Gauss-Kruger CRS)."""
    lines = project(layers, ("sewage_lines",))["sewage_lines"]
    km = lengths_km(lines).where(lines["status"] == "completed", 0.0)
    frame = metric_frame(
        "sewage_network_km",
        sum_rows(km, lines.get("town_id"), town_names(layers)),
        unit="km",
        as_of=as_of,
        method="length in the Gauss-Kruger CRS of sewage lines completed by as_of",
    )
    frame["note"] = undated_note(lines, "status", "lines")
    return frame
