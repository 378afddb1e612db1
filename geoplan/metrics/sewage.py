"""Sewage metrics, plan tasks 8 and 20.

* task 20 "全面推行对农村生活污水处理设施 … 整体“打包” … 到2025年,全区完成“打包”统一实施工作":
  share of village sewage facilities packaged;
* task 8 "抓好老旧街区的污水管网建设": completed sewage network length (km).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ._coverage import length_metric, share_metric
from ._registry import register_metric

PACKAGED_TYPES = ("village_facility",)


@register_metric(
    "sewage_packaged_share",
    label="农村污水设施“打包”率",
    unit="%",
    requires=("sewage_facilities",),
    optional=("towns",),
    description="农村生活污水处理设施中已纳入“打包”运维的比例（任务20）。",
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
    return share_metric(
        "sewage_packaged_share",
        f,
        f["packaged"],
        layers,
        as_of=as_of,
        method=f"{'/'.join(facility_types)} facilities with packaged true and packaged_date "
        "≤ as_of ÷ all such facilities",
        undated=("packaged", "污水处理设施"),
    )


@register_metric(
    "sewage_network_km",
    label="污水管网建成里程",
    unit="km",
    requires=("sewage_lines",),
    optional=("towns",),
    description="已建成污水管网的长度（公里，任务8）。",
)
def sewage_network_km(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Length of sewage lines completed by ``as_of`` (km, Gauss-Kruger CRS)."""
    return length_metric(
        "sewage_network_km",
        layers,
        "sewage_lines",
        lambda s: s["status"] == "completed",
        as_of=as_of,
        method="length in the Gauss-Kruger CRS of sewage lines completed by as_of",
    )
