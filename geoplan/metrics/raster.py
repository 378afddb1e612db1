"""The two raster metrics of the scorecard, registered with :func:`register_metric`.

``green_cover_share`` (绿化覆盖率, plan task 9: green ecological corridors)
    green land-cover area ÷ land area (all valid cells except water), per town, per
    planning district and for the whole zone, from a land-cover raster.
``low_lying_share`` (积水内涝 screening, plan tasks 8 and 29: sponge city, waterlogging)
    share of each planning district's area (and the zone's) whose DEM height is below
    ``reference_level_m + threshold_m``: land that a high river or sea level, or ponding
    rain, would reach first. A screening figure, not a flood model.

Both take their raster as a keyword input (``landcover=`` / ``dem=``: a path or a
:class:`~geoplan.raster.Raster`), so ``compute_metric("green_cover_share", layers,
landcover="layers/landcover.tif")`` and ``scorecard(..., landcover=..., dem=...)`` find
them once this module is imported (``import geoplan.raster`` imports it). Cells are
weighted by their exact coverage fraction (see :mod:`geoplan.raster`); areas are the
zone polygons' areas in the zone's Gauss-Kruger CRS times the share of them with valid
cells. The rasters are snapshots: ``as_of`` does not filter them, and the method text
says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..raster._read import GREEN_CLASSES, WATER_CLASSES, _as_raster, class_shares, share_below
from ._registry import metric_frame, register_metric

ZONE = "全区"

#: Default reference water level (m, in the DEM's vertical datum): mean sea level of the
#: 1985 National Height Datum. Set it to the design high tide or river flood level.
REFERENCE_LEVEL_M = 0.0

#: Default height above the reference level under which land counts as low-lying (m).
THRESHOLD_M = 3.0


def _metric_area_km2(zones: Any) -> np.ndarray:
    from ..crs import metric_crs

    return zones.geometry.to_crs(metric_crs(zones)).area.to_numpy() / 1e6


def _scopes(layers: Mapping[str, Any], kinds: Iterable[str]) -> list[tuple[str, Any]]:
    return [(k, layers[k]) for k in kinds if layers.get(k) is not None and len(layers[k])]


def _zone_row(rows: list[dict[str, Any]], scope_type: str) -> dict[str, Any]:
    part = [r for r in rows if r["scope_type"] == scope_type]
    num = float(np.nansum([r["numerator"] for r in part]))
    den = float(np.nansum([r["denominator"] for r in part]))
    value = 100.0 * num / den if den > 0 else np.nan
    return {
        "scope_type": "zone",
        "scope": ZONE,
        "value": value,
        "numerator": num,
        "denominator": den,
    }


def _scope_rows(
    kind: str, layer: Any, numerator: np.ndarray, denominator: np.ndarray
) -> list[dict[str, Any]]:
    """One row per feature of ``layer`` (a town or district): 100 × numerator ÷ denominator."""
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)
    return [
        {"scope_type": kind[:-1], "scope": str(n), "value": v, "numerator": a, "denominator": b}
        for n, v, a, b in zip(layer["name"], value, numerator, denominator, strict=True)
    ]


@register_metric(
    "green_cover_share",
    label="绿化覆盖率",
    unit="%",
    family="raster",
    requires=("towns",),
    optional=("districts",),
    inputs=("landcover",),
    description="各乡镇和片区绿化覆盖面积占陆地面积的比例（任务9）。",
)
def green_cover_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    landcover: Any,
    green_classes: Iterable[int] = GREEN_CLASSES,
    water_classes: Iterable[int] = WATER_CLASSES,
) -> pd.DataFrame:
    """Green cover (%) per town, per district and for the zone (the towns together)."""
    raster = _as_raster(landcover)
    green, water = list(green_classes), list(water_classes)
    rows: list[dict[str, Any]] = []
    for kind, layer in _scopes(layers, ("towns", "districts")):
        shares = class_shares(raster, layer, name=kind)
        valid_km2 = _metric_area_km2(layer) * shares["coverage"].clip(upper=1.0).to_numpy()
        green_share = shares.reindex(columns=green, fill_value=0.0).sum(axis=1).to_numpy()
        water_share = shares.reindex(columns=water, fill_value=0.0).sum(axis=1).to_numpy()
        numerator = green_share * valid_km2
        denominator = (1.0 - water_share) * valid_km2
        rows.extend(_scope_rows(kind, layer, numerator, denominator))
    rows.insert(0, _zone_row(rows, "town"))
    return metric_frame(
        "green_cover_share",
        rows,
        unit="%",
        as_of=as_of,
        method=(
            f"land-cover cells of class {green} ÷ cells not of water class {water}, each "
            "weighted by the fraction of its area inside the town/district (exact coverage); "
            f"numerator and denominator in km²; land cover of {raster.path.name} as "
            "classified, not filtered by as_of"
        ),
    )


@register_metric(
    "low_lying_share",
    label="低洼地占比（内涝筛查）",
    unit="%",
    family="raster",
    requires=("districts",),
    optional=("towns",),
    inputs=("dem",),
    description="各片区高出水面不足给定高度的土地所占比例，用于积水内涝排查。",
)
def low_lying_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    dem: Any,
    reference_level_m: float = REFERENCE_LEVEL_M,
    threshold_m: float = THRESHOLD_M,
) -> pd.DataFrame:
    """Low-lying land (%) per planning district, and for the zone (the towns together)."""
    raster = _as_raster(dem)
    level = reference_level_m + threshold_m
    rows: list[dict[str, Any]] = []
    for kind, layer in _scopes(layers, ("districts", "towns")):
        below = share_below(raster, layer, level=level, name=kind)
        valid_km2 = _metric_area_km2(layer) * below["coverage"].clip(upper=1.0).to_numpy()
        numerator = below["share_below"].to_numpy() * valid_km2
        rows.extend(_scope_rows(kind, layer, numerator, valid_km2))
    zone_kind = "town" if any(r["scope_type"] == "town" for r in rows) else "district"
    rows.insert(0, _zone_row(rows, zone_kind))
    rows = [r for r in rows if r["scope_type"] != "town"]
    return metric_frame(
        "low_lying_share",
        rows,
        unit="%",
        as_of=as_of,
        method=(
            f"DEM cells lower than {level:g} m (reference water level {reference_level_m:g} m "
            f"+ {threshold_m:g} m) ÷ all valid DEM cells of the district, each weighted by "
            "the fraction of its area inside it (exact coverage); numerator and denominator "
            f"in km²; zone row over the {zone_kind}s together; {raster.path.name} is a "
            "snapshot, not filtered by as_of; a screening figure for 积水内涝, not a flood model"
        ),
    )
