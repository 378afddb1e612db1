"""Park metrics, plan task 9: 公园绿地服务半径覆盖率 (park service-radius coverage).

Definition [城市体检 2021 indicator text; GB/T 50563-2010 城市园林绿化评价标准]: residential
land within 500 m of a park of at least 5 000 m², or within 300 m of a park of 2 000 to
5 000 m², divided by all residential land. GB 55014-2021 §2.1.3 requires more than 80 %.
Radii are measured from the park boundary; parks under 2 000 m² serve no radius.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._coverage import coverage_rows, project, service_buffers, town_names
from ._registry import metric_frame, register_metric

#: (minimum park area m², service radius m), largest class first [GB/T 50563-2010].
PARK_CLASSES: tuple[tuple[float, float], ...] = ((5000.0, 500.0), (2000.0, 300.0))

#: GB 55014-2021 §2.1.3: park service-radius coverage must exceed 80 %.
PARK_COVERAGE_REQUIRED = 80.0


@register_metric(
    "park_service_coverage",
    label="公园绿地服务半径覆盖率",
    unit="%",
    requires=("parks", "residential_land"),
    optional=("towns",),
    description="位于公园服务半径内的居住用地占全部居住用地的比例。",
)
def park_service_coverage(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    classes: tuple[tuple[float, float], ...] = PARK_CLASSES,
) -> pd.DataFrame:
    """Residential area within the service radius of an open park ÷ all residential area (%).

    Parameters
    ----------
    classes
        ``(minimum area m², radius m)`` pairs; a park takes the radius of the first class
        whose minimum it reaches. Default 500 m for ≥ 5 000 m², 300 m for 2 000–5 000 m².

    Parks opened after ``as_of`` are left out; numerator and denominator are in m².
    """
    proj = project(layers, ("parks", "residential_land"))
    parks, res = proj["parks"], proj["residential_land"]
    geoms = np.asarray(parks.geometry.values)
    areas = shapely.area(geoms)
    radius = np.zeros(len(geoms))
    for min_area, r in sorted(classes, reverse=True):
        radius = np.where((radius == 0) & (areas >= min_area), r, radius)
    serving = radius > 0
    service = service_buffers(geoms[serving], radius[serving])
    text = ", ".join(f"{r:g} m for parks ≥ {a:g} m²" for a, r in sorted(classes, reverse=True))
    frame = metric_frame(
        "park_service_coverage",
        coverage_rows(res, service, town_names(layers)),
        unit="%",
        as_of=as_of,
        method=f"area of residential land within the park service radius ({text}) "
        "÷ all residential land (m², Gauss-Kruger CRS)",
    )
    frame["note"] = f"{len(geoms)} 个公园中 {int(serving.sum())} 个达到服务规模"
    return frame
