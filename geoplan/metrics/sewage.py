"""Sewage metrics, plan tasks 8 and 20.

* task 20 "全面推行对农村生活污水处理设施 … 整体“打包” … 到2025年,全区完成“打包”统一实施工作":
  share of village sewage facilities packaged;
* task 8 "抓好老旧街区的污水管网建设": completed sewage network length (km), and "2030年,
  建成区域基本实现生活污水管网全覆盖": residential land within a service distance
  (:data:`SEWER_SERVICE_M`, 200 m by default) of a completed sewer, as a share of all
  residential land.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ._coverage import (
    coverage_rows,
    length_metric,
    project,
    service_buffers,
    share_metric,
    town_names,
)
from ._registry import metric_frame, register_metric

#: Distance (m) from a completed sewer within which residential land counts as served.
#: No standard fixes it: 200 m is our reading of a block's worth of house connections
#: and branch sewers; a bureau with its own figure passes ``service_m=``.
SEWER_SERVICE_M = 200.0

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
        method="geodesic length of sewage lines completed by as_of",
    )


@register_metric(
    "sewer_service_coverage",
    label="污水管网覆盖率（居住用地）",
    unit="%",
    requires=("sewage_lines", "residential_land"),
    optional=("towns",),
    description="距已建成污水管网一定距离（默认200米）以内的居住用地占全部居住用地的比例（任务8）。",
)
def sewer_service_coverage(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    service_m: float = SEWER_SERVICE_M,
) -> pd.DataFrame:
    """Residential area within ``service_m`` of a sewer completed by ``as_of`` ÷ all
    residential area (%), zone and per town; numerator and denominator in m².

    Parameters
    ----------
    service_m
        Service distance from a completed sewer line (default :data:`SEWER_SERVICE_M`).
    """
    proj = project(layers, ("sewage_lines", "residential_land"))
    lines, res = proj["sewage_lines"], proj["residential_land"]
    done = np.asarray(lines.geometry.values[(lines["status"] == "completed").to_numpy()])
    return metric_frame(
        "sewer_service_coverage",
        coverage_rows(res, service_buffers(done, service_m), town_names(layers)),
        unit="%",
        as_of=as_of,
        method=f"管网覆盖＝距已建成污水管网 {service_m:g} 米以内的居住用地 ÷ 全部居住用地；"
        f"residential land within {service_m:g} m of completed sewage lines ÷ all "
        "residential land (m², Gauss-Kruger CRS)",
    )
