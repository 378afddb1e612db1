"""Shared helpers of the metric families: projection, scopes, service-area coverage.

Areas are computed in the zone's CGCS2000 Gauss-Kruger CRS (:func:`geoplan.crs.metric_crs`,
EPSG:4549 for this zone), never in degrees; lengths are geodesic, on the ellipsoid of the
layer's geographic CRS (:func:`lengths_km`: Gauss-Kruger lengths in this zone read about
0.02 % long). Service areas are buffers of :data:`SERVICE_QUAD_SEGS` segments per quarter
circle, within 0.01 percentage points of exact circles. Coverage is
vectorised with shapely 2: buffers on arrays, one ``union_all``, an STRtree to pair
parcels with the parts of the union, and vectorised intersections.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._errors import CRSError
from ..catalogue import LAYER_KINDS

ZONE = "全区"

#: The metric CRS ("EPSG:n") to use instead of choosing one from the layers. The dask
#: engine sets it while a metric runs on one partition, so that every partition is
#: measured in the CRS the whole layer would be (a partition's own centre could fall in
#: another Gauss-Kruger zone).
FORCED_CRS: ContextVar[str | None] = ContextVar("geoplan_forced_metric_crs", default=None)


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
    crs = FORCED_CRS.get() or metric_crs_of(layers[present[0]], present[0])
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    # An "EPSG:n" string lets geopandas reuse its cached transformer (building one from a
    # fresh CRS object costs ~0.1 s per call).
    crs = f"EPSG:{epsg}" if epsg else crs
    out = {}
    for kind in present:
        layer = layers[kind]
        if layer.crs is None:
            metric_crs_of(layer, kind)
        out[kind] = layer if layer.crs is not None and layer.crs == crs else layer.to_crs(crs)
    return out


def town_names(layers: Mapping[str, Any]) -> dict[str, str]:
    """Town id -> name from the ``towns`` layer (empty when absent)."""
    towns = layers.get("towns")
    if towns is None or len(towns) == 0:
        return {}
    return dict(zip(towns["id"].astype(str), towns["name"].astype(str), strict=True))


def _group_sums(frame: pd.DataFrame, groups: Any, names: Mapping[str, str]) -> pd.DataFrame:
    """Sum ``frame`` by group id, then name the (few) groups — not the features."""
    # One factorisation of the ids and a bincount per column: at a million farmhouses
    # about twice as fast as DataFrame.groupby(...).sum(), and at a few thousand features
    # free of groupby's fixed cost.
    keys = groups if isinstance(groups, pd.Series) else pd.Series(groups, index=frame.index)
    codes, uniques = pd.factorize(keys, sort=False)  # missing ids: code -1
    codes = np.where(codes < 0, len(uniques), codes)
    n = len(uniques) + 1
    counts = np.bincount(codes, minlength=n)
    sums = {
        col: np.bincount(codes, weights=frame[col].to_numpy(dtype=float), minlength=n)
        for col in frame.columns
    }
    named: dict[str, dict[str, float]] = {}
    for i, raw in enumerate([*uniques, ""]):  # a few towns, not features
        if not counts[i]:
            continue
        ident = "" if pd.isna(raw) else str(raw)
        scope = names.get(ident, ident or "(未指定)")
        acc = named.setdefault(scope, dict.fromkeys(sums, 0.0))
        for col, values in sums.items():
            acc[col] += float(values[i])
    order = sorted(named)
    return pd.DataFrame({col: [named[s][col] for s in order] for col in frame.columns}, index=order)


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
    hit = pd.Series(ok).to_numpy(dtype=bool, na_value=False)
    w = np.ones(len(hit)) if weights is None else np.asarray(weights, dtype=float)
    frame = pd.DataFrame({"num": np.where(hit, w, 0.0), "den": w}, index=ok.index)
    rows = []
    if zone:
        rows.append(_ratio_row("zone", ZONE, frame["num"].sum(), frame["den"].sum()))
    if groups is not None:
        sums = _group_sums(frame, groups, names)
        rows += [
            _ratio_row(scope_type, s, num, den)
            for s, num, den in zip(sums.index, sums["num"], sums["den"], strict=True)
        ]
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
        sums = _group_sums(values.to_frame("v"), groups, names)["v"]
        rows += [{"scope_type": scope_type, "scope": s, "value": float(v)} for s, v in sums.items()]
    return rows


#: Segments per quarter circle of service-radius buffers. shapely's default of 8 reads
#: coverage 0.03–0.15 percentage points low; with 64 a circle's area is within 0.01 % of
#: πr², so coverage is within 0.01 percentage points of the exact figure.
SERVICE_QUAD_SEGS = 64


def service_buffers(geoms: np.ndarray, radius: Any) -> np.ndarray:
    """Service areas: ``geoms`` buffered by ``radius`` (m, scalar or per geometry)."""
    return shapely.buffer(geoms, radius, quad_segs=SERVICE_QUAD_SEGS)


def lengths_km(gdf: Any) -> pd.Series:
    """Geodesic lengths in km of a line layer in any CRS (projected or geographic).

    Measured on the ellipsoid of the layer's geographic CRS with :class:`pyproj.Geod`,
    vertex pair by vertex pair, all at once (no loop over features).
    """
    geo = gdf.geometry
    if geo.crs is None:
        metric_crs_of(gdf, "lines")
    if not geo.crs.is_geographic:
        geo = geo.to_crs(geo.crs.geodetic_crs)
    geod = geo.crs.get_geod()
    geoms = np.asarray(geo.values)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    xy, part = shapely.get_coordinates(parts, return_index=True)
    out = np.zeros(len(geoms))
    if len(xy) > 1:
        same = part[1:] == part[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        # always_xy: pyproj's Geod takes lon, lat whatever the CRS's axis order.
        _, _, dist = geod.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        per_part = np.bincount(part[:-1][same], weights=dist, minlength=len(parts))
        out = np.asarray(np.bincount(owner, weights=per_part, minlength=len(geoms)), float)
    return pd.Series(out / 1000.0, index=gdf.index)


def dissolve_overlaps(geoms: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union overlapping polygons so that no area is counted twice.

    Parcels that touch along an edge are kept as they are; parcels whose interiors overlap
    another's (or contain it) are unioned within their group (town) and split into parts
    again. Returns (geometries, groups).
    """
    # Candidate pairs: boxes whose interiors overlap (parcels sharing an edge usually have
    # boxes that only touch), then one DE-9IM test: do the interiors share an area?
    a, b = shapely.STRtree(geoms).query(geoms)
    a, b = a[a < b], b[a < b]
    box = shapely.bounds(geoms)
    w = np.minimum(box[a, 2], box[b, 2]) - np.maximum(box[a, 0], box[b, 0])
    h = np.minimum(box[a, 3], box[b, 3]) - np.maximum(box[a, 1], box[b, 1])
    a, b = a[(w > 0) & (h > 0)], b[(w > 0) & (h > 0)]
    hit = shapely.relate_pattern(geoms[a], geoms[b], "2********")
    if not hit.any():
        return geoms, groups
    # Union only the parcels that overlap another, per town; the rest stay as they are.
    involved = np.zeros(len(geoms), dtype=bool)
    involved[a[hit]] = involved[b[hit]] = True
    out_geoms, out_groups = [geoms[~involved]], [groups[~involved]]
    for group in pd.unique(groups[involved]):  # a handful of towns, not features
        parts = shapely.get_parts(shapely.union_all(geoms[involved & (groups == group)]))
        out_geoms.append(parts)
        out_groups.append(np.full(len(parts), group, dtype=object))
    return np.concatenate(out_geoms), np.concatenate(out_groups)


#: Parts of a service-area union with more vertices than this are cut into tiles.
BIG_PART_VERTICES = 500
#: Side (m) of the tiles big parts are cut into.
TILE_M = 4000.0


def _pieces(service: np.ndarray, tile_m: float) -> np.ndarray:
    """Disjoint polygons covering the union of ``service``, none of them huge.

    A city's service areas union into one part with tens of thousands of vertices, and
    intersecting a parcel with it costs its size every time; cut into ``tile_m`` tiles
    (one vectorised intersection) the same area comes in pieces of bounded size, which
    makes the per-parcel intersections about 3× faster at city scale.
    """
    if len(service) == 0:
        return np.array([], dtype=object)
    parts = shapely.get_parts(shapely.union_all(service))
    big = shapely.get_num_coordinates(parts) > BIG_PART_VERTICES
    if not big.any():
        return parts
    x0, y0, x1, y1 = shapely.total_bounds(parts[big])
    gx, gy = np.meshgrid(np.arange(x0, x1, tile_m), np.arange(y0, y1, tile_m))
    tiles = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + tile_m, gy.ravel() + tile_m)
    ti, pj = shapely.STRtree(parts[big]).query(tiles, predicate="intersects")
    cut = shapely.get_parts(shapely.intersection(parts[big][pj], tiles[ti]))
    pieces = np.concatenate([parts[~big], cut])
    return pieces[shapely.area(pieces) > 0]


def covered_area(parcels: np.ndarray, service: np.ndarray, *, tile_m: float = TILE_M) -> np.ndarray:
    """Area of each parcel inside the union of the ``service`` polygons.

    The service areas are unioned once (``shapely.union_all``) into disjoint pieces
    (:func:`_pieces`); an STRtree pairs parcels with the pieces whose boxes they touch, a
    prepared test keeps the pairs that really intersect, parcels lying inside a piece count
    whole and the others are intersected — all vectorised.
    """
    pieces = _pieces(service, tile_m)
    areas = shapely.area(parcels)
    covered = np.zeros(len(parcels))
    if len(pieces) == 0 or len(parcels) == 0:
        return covered
    shapely.prepare(pieces)
    pi, si = shapely.STRtree(pieces).query(parcels)
    touch = shapely.intersects(pieces[si], parcels[pi])
    pi, si = pi[touch], si[touch]
    inside = shapely.contains_properly(pieces[si], parcels[pi])
    np.add.at(covered, pi[inside], areas[pi[inside]])
    pe, se = pi[~inside], si[~inside]
    if len(pe):
        np.add.at(covered, pe, shapely.area(shapely.intersection(parcels[pe], pieces[se])))
    return np.minimum(covered, areas)


def coverage_rows(
    residential: Any, service: np.ndarray, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Zone and town rows of residential area covered by the service areas (m², %).

    ``service`` holds the buffers (overlapping freely); see :func:`covered_area`.
    """
    geoms = np.asarray(residential.geometry.values)
    towns = (
        residential["town_id"].fillna("").astype(str).to_numpy(dtype=object)
        if "town_id" in residential
        else np.full(len(residential), "", dtype=object)
    )
    geoms, towns = dissolve_overlaps(geoms, towns)
    covered = covered_area(geoms, np.asarray(service))
    return _coverage_from(covered, shapely.area(geoms), towns, names)


def _coverage_from(
    covered: np.ndarray, areas: np.ndarray, towns: np.ndarray, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    frame = pd.DataFrame({"num": covered, "den": areas, "town": towns})
    rows = [_ratio_row("zone", ZONE, frame["num"].sum(), frame["den"].sum())]
    sums = _group_sums(frame[["num", "den"]], frame["town"], names)
    rows += [_ratio_row("town", s, r.num, r.den) for s, r in sums.iterrows()]
    return rows


def undated_note(frame: pd.DataFrame, column: str, what: str) -> str:
    """A note saying how many features marked done were left out for want of a date.

    ``what`` names the features in Chinese (``福道``, ``农房``); it may be empty.
    """
    col = f"undated_{column}"
    n = int(frame[col].sum()) if col in frame else 0
    if not n:
        return ""
    return f"{what}有 {n} 处标为已完成但缺少日期，未计入（请补填日期）"


def share_metric(
    name: str,
    frame: pd.DataFrame,
    ok: pd.Series,
    layers: Mapping[str, Any],
    *,
    as_of: Any,
    method: str,
    undated: tuple[str, str] | None = None,
    by: str = "town_id",
    names: Mapping[str, str] | None = None,
    scope_type: str = "town",
) -> pd.DataFrame:
    """A share metric (%): features of ``frame`` where ``ok`` ÷ all, zone and per ``by``.

    ``undated`` is ``(column, what)`` for the note on features left out for want of a date
    (``what`` in Chinese, see :func:`undated_note`).
    """
    from ._registry import metric_frame

    rows = share_rows(
        ok, frame.get(by), town_names(layers) if names is None else names, scope_type=scope_type
    )
    out = metric_frame(name, rows, unit="%", as_of=as_of, method=method)
    if undated:
        out["note"] = undated_note(frame, *undated)
    return out


def length_metric(
    name: str, layers: Mapping[str, Any], kind: str, keep: Any, *, as_of: Any, method: str
) -> pd.DataFrame:
    """A length metric (km, geodesic) of the lines of ``kind`` where ``keep(layer)``,
    zone and per town, noting completed lines left out for want of a date."""
    from ._registry import metric_frame

    lines = layers[kind]
    if lines.crs is None:
        metric_crs_of(lines, kind)
    km = lengths_km(lines).where(keep(lines), 0.0)
    out = metric_frame(
        name,
        sum_rows(km, lines.get("town_id"), town_names(layers)),
        unit="km",
        as_of=as_of,
        method=method,
    )
    out["note"] = undated_note(lines, "status", LAYER_KINDS[kind].label)
    return out
