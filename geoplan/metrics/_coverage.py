"""Shared helpers of the metric families: projection, scopes, service-area coverage.

Lengths and areas are computed in the zone's CGCS2000 Gauss-Kruger CRS
(:func:`geoplan.crs.metric_crs`, EPSG:4549 for this zone), never in degrees. Coverage is
vectorised with shapely 2: buffers on arrays, one ``union_all``, an STRtree to pair parcels
with the parts of the union, and vectorised intersections.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._errors import CRSError

ZONE = "全区"


def metric_crs_of(gdf: Any, kind: str) -> Any:
    """Return the metric CRS for ``gdf`` (layer ``kind``), refusing layers without a CRS."""
    if gdf.crs is None:
        raise CRSError(
            f"layer `{kind}` has no CRS; set it with gdf.set_crs(...) or add a .prj, "
            "then compute the metric again"
        )
    from ..crs import metric_crs

    return metric_crs(gdf, name=kind)


def project(layers: Mapping[str, Any], kinds: tuple[str, ...]) -> dict[str, Any]:
    """Project the layers ``kinds`` (those present) into one metric CRS.

    The CRS is chosen from the first layer present, so that every layer of one metric is
    measured in the same projection.
    """
    present = [k for k in kinds if k in layers and layers[k] is not None]
    if not present:
        return {}
    crs = metric_crs_of(layers[present[0]], present[0])
    out = {}
    for kind in present:
        layer = layers[kind]
        if layer.crs is None:
            metric_crs_of(layer, kind)
        out[kind] = layer if layer.crs == crs else layer.to_crs(crs)
    return out


def town_names(layers: Mapping[str, Any]) -> dict[str, str]:
    """Town id -> name from the ``towns`` layer (empty when absent)."""
    towns = layers.get("towns")
    if towns is None or len(towns) == 0:
        return {}
    return dict(zip(towns["id"].astype(str), towns["name"].astype(str), strict=True))


def _scope_name(ids: pd.Series, names: Mapping[str, str]) -> pd.Series:
    ids = ids.fillna("").astype(str)
    return ids.map(lambda i: names.get(i, i or "(未指定乡镇)"))


def share_rows(
    ok: pd.Series,
    groups: pd.Series | None,
    names: Mapping[str, str],
    *,
    weights: pd.Series | np.ndarray | None = None,
    scope_type: str = "town",
    zone: bool = True,
) -> list[dict[str, Any]]:
    """Zone row plus one row per group: value = 100 × Σ weight[ok] ÷ Σ weight.

    With ``weights`` None each feature counts 1, so numerator and denominator are counts.
    A scope with an empty denominator gets ``value`` NaN.
    """
    ok = ok.fillna(False).astype(bool)
    w = pd.Series(1.0 if weights is None else np.asarray(weights, dtype=float), index=ok.index)
    frame = pd.DataFrame({"num": w.where(ok, 0.0), "den": w})
    rows = []
    if zone:
        rows.append(_ratio_row("zone", ZONE, frame["num"].sum(), frame["den"].sum()))
    if groups is not None:
        sums = frame.groupby(_scope_name(groups, names), sort=True).sum()
        rows += [_ratio_row(scope_type, s, r.num, r.den) for s, r in sums.iterrows()]
    return rows


def _ratio_row(scope_type: str, scope: str, num: float, den: float) -> dict[str, Any]:
    value = 100.0 * num / den if den > 0 else np.nan
    return {
        "scope_type": scope_type,
        "scope": scope,
        "value": value,
        "numerator": num,
        "denominator": den,
    }


def sum_rows(
    values: pd.Series,
    groups: pd.Series | None,
    names: Mapping[str, str],
    *,
    scope_type: str = "town",
    zone: bool = True,
) -> list[dict[str, Any]]:
    """Zone row plus one row per group: value = Σ values."""
    values = pd.Series(values, dtype=float)
    rows = []
    if zone:
        rows.append({"scope_type": "zone", "scope": ZONE, "value": float(values.sum())})
    if groups is not None:
        sums = values.groupby(_scope_name(groups, names), sort=True).sum()
        rows += [{"scope_type": scope_type, "scope": s, "value": float(v)} for s, v in sums.items()]
    return rows


def lengths_km(gdf: Any) -> pd.Series:
    """Lengths in km of a projected line layer."""
    return pd.Series(shapely.length(gdf.geometry.values) / 1000.0, index=gdf.index)


def dissolve_overlaps(geoms: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union overlapping polygons so that no area is counted twice.

    Parcels that touch along an edge are kept as they are; only when interiors overlap (or
    one parcel contains another) are the parcels of each group unioned into one geometry
    and split into parts again. Returns (geometries, groups).
    """
    tree = shapely.STRtree(geoms)
    pairs = [tree.query(geoms, predicate=p) for p in ("overlaps", "contains")]
    if not any((p[0] != p[1]).any() for p in pairs):
        return geoms, groups
    out_geoms, out_groups = [], []
    for group in pd.unique(groups):  # a handful of towns, not features
        union = shapely.union_all(geoms[groups == group])
        parts = shapely.get_parts(union)
        out_geoms.append(parts)
        out_groups.append(np.full(len(parts), group, dtype=object))
    return np.concatenate(out_geoms), np.concatenate(out_groups)


def covered_area(parcels: np.ndarray, service: shapely.Geometry) -> np.ndarray:
    """Area of each parcel inside ``service`` (one, possibly multi-part, polygon).

    The union is split into its parts (disjoint by construction); an STRtree pairs parcels
    with the parts they touch; parcels lying inside a part count whole, the others are
    intersected, all vectorised.
    """
    areas = shapely.area(parcels)
    covered = np.zeros(len(parcels))
    if service is None or shapely.is_empty(service) or len(parcels) == 0:
        return covered
    parts = shapely.get_parts(service)
    shapely.prepare(parts)
    tree = shapely.STRtree(parts)
    pi, si = tree.query(parcels, predicate="intersects")
    inside = shapely.contains_properly(parts[si], parcels[pi])
    np.add.at(covered, pi[inside], areas[pi[inside]])
    pe, se = pi[~inside], si[~inside]
    if len(pe):
        cut = shapely.area(shapely.intersection(parcels[pe], parts[se]))
        np.add.at(covered, pe, cut)
    return np.minimum(covered, areas)


def coverage_rows(
    residential: Any, service: shapely.Geometry, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Zone and town rows of residential area covered by ``service`` (m², %)."""
    geoms = np.asarray(residential.geometry.values)
    towns = (
        residential["town_id"].fillna("").astype(str).to_numpy(dtype=object)
        if "town_id" in residential
        else np.full(len(residential), "", dtype=object)
    )
    geoms, towns = dissolve_overlaps(geoms, towns)
    return _coverage_from(covered_area(geoms, service), shapely.area(geoms), towns, names)


def _coverage_from(
    covered: np.ndarray, areas: np.ndarray, towns: np.ndarray, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    frame = pd.DataFrame({"num": covered, "den": areas, "town": towns})
    rows = [_ratio_row("zone", ZONE, frame["num"].sum(), frame["den"].sum())]
    sums = frame.groupby(_scope_name(frame["town"], names), sort=True)[["num", "den"]].sum()
    rows += [_ratio_row("town", s, r.num, r.den) for s, r in sums.iterrows()]
    return rows


def undated_note(frame: pd.DataFrame, column: str, what: str) -> str:
    """A note saying how many features marked done were left out for want of a date."""
    col = f"undated_{column}"
    n = int(frame[col].sum()) if col in frame else 0
    if not n:
        return ""
    return f"{n} {what} marked completed without a date not counted (fill the date)"
