"""Drinking-water source metrics and draft protection zones, plan task 21.

"2021年年底前,基本完成千人以上农村集中式饮用水水源地生态环境整治。2023年年底前,基本完成
农村分散式饮用水水源地生态环境整治,实现农村饮用水水源地生态环境保护全覆盖" — with
保护区划定 and 边界标志设立 named as the steps.

Metrics: share of sources with a delineated zone, with boundary markers (界标,
HJ/T 433-2008) and with remediation completed — zone-wide, per scale (千人以上集中式 /
分散式) and per town; protection-zone area by level (km²); conflicts (farmhouses, sewage
facilities, projects inside level-1 zones).

:func:`delineate_protection_zones` drafts zones by the empirical method of HJ 338-2018
饮用水水源保护区划分技术规范. The distances in :class:`ZoneParams` are our reading of its
tables and could not all be verified offline: confirm them against the standard before a
draft is used, and treat every output as a draft (``draft=True``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from .._errors import MetricError, SchemaError
from ..settings import logger
from ._coverage import ZONE, metric_crs_of, project, share_rows, town_names
from ._registry import layer_text, metric_frame, register_metric

SCALES = {"centralized": "千人以上集中式", "dispersed": "分散式"}


def _scale_rows(layers: dict[str, Any], ok: pd.Series) -> list[dict[str, Any]]:
    s = layers["water_sources"]
    rows = share_rows(ok, s.get("town_id"), town_names(layers))
    scale = s["scale"].fillna("").astype(str)
    rows += share_rows(ok, scale, SCALES, scope_type="scale", zone=False)
    return rows


def _share_metric(
    layers: dict[str, Any], name: str, column: str, what: str, as_of: dt.date
) -> pd.DataFrame:
    s = layers["water_sources"]
    flag = pd.api.types.is_bool_dtype(s[column])
    ok = s[column] if flag else s[column] == "completed"
    frame = metric_frame(
        name,
        _scale_rows(layers, ok),
        unit="%",
        as_of=as_of,
        method=f"sources with {what} by as_of ÷ all sources (zone, scale, town)",
    )
    n = int(s[f"undated_{column}"].sum()) if f"undated_{column}" in s else 0
    frame["note"] = f"水源地有 {n} 处标为已完成但缺少日期，未计入（请补填日期）" if n else ""
    return frame


@register_metric(
    "water_zone_share",
    label="水源保护区划定率",
    unit="%",
    requires=("water_sources",),
    optional=("towns",),
    description="已划定保护区的饮用水水源地占全部水源地的比例。",
)
def water_zone_share(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Sources with ``zone_delineated`` (dated ≤ ``as_of``) ÷ all sources (%)."""
    return _share_metric(layers, "water_zone_share", "zone_delineated", "a zone", as_of)


@register_metric(
    "water_marker_share",
    label="水源地界标设立率",
    unit="%",
    requires=("water_sources",),
    optional=("towns",),
    description="已设立边界标志的饮用水水源地占全部水源地的比例。",
)
def water_marker_share(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Sources with ``markers_installed`` (dated ≤ ``as_of``) ÷ all sources (%)."""
    return _share_metric(layers, "water_marker_share", "markers_installed", "markers", as_of)


#: The steps task 21's sentence lists (保护区(或保护范围)划定、边界标志设立、生态环境问题清理
#: 整治): component -> (column, Chinese name). A source counts as remediated when every
#: component in :data:`REMEDIATION_COMPONENTS` is done by the as-of date.
COMPONENTS: dict[str, tuple[str, str]] = {
    "zone": ("zone_delineated", "划定保护区"),
    "markers": ("markers_installed", "设立标志"),
    "works": ("remediation_status", "整治"),
}

#: Default definition of a remediated source: all three steps the plan lists.
REMEDIATION_COMPONENTS: tuple[str, ...] = ("zone", "markers", "works")


def _component_done(s: pd.DataFrame, component: str) -> pd.Series:
    column = COMPONENTS[component][0]
    if column not in s:
        return pd.Series(False, index=s.index)
    if column == "remediation_status":
        return (s[column] == "completed").fillna(False).astype(bool)
    return s[column].fillna(False).astype(bool)


@register_metric(
    "water_remediation_share",
    label="水源地环境整治完成率",
    unit="%",
    requires=("water_sources",),
    optional=("towns",),
    description="保护区划定、边界标志设立和环境整治均已完成的饮用水水源地占全部水源地的比例。",
)
def water_remediation_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    remediation_components: tuple[str, ...] = REMEDIATION_COMPONENTS,
) -> pd.DataFrame:
    """Sources with every step of ``remediation_components`` done by ``as_of`` ÷ all (%).

    Parameters
    ----------
    remediation_components
        Which of task 21's steps make a source remediated: ``"zone"`` (保护区划定,
        ``zone_delineated``), ``"markers"`` (边界标志设立, ``markers_installed``),
        ``"works"`` (生态环境问题整治, ``remediation_status`` completed). Default all three,
        as the plan's sentence lists them; ``("works",)`` is the works alone.

    Every row's note counts each component in its scope (e.g. 划定保护区 4/6).
    """
    unknown = sorted(set(remediation_components) - set(COMPONENTS))
    if unknown or not remediation_components:
        raise MetricError(
            f"remediation_components {tuple(remediation_components)!r}: use one or more of "
            f"{sorted(COMPONENTS)} (zone = 划定保护区, markers = 设立标志, works = 整治)"
        )
    s = layers["water_sources"]
    parts = {c: _component_done(s, c) for c in remediation_components}
    ok = pd.concat(parts.values(), axis=1).all(axis=1)
    rows = _scale_rows(layers, ok)
    shown = {c: _component_done(s, c) for c in COMPONENTS}
    scale = s["scale"].fillna("").astype(str).map(lambda v: SCALES.get(v, v))
    names = town_names(layers)
    town = s["town_id"].astype(str).map(lambda v: names.get(v, v)) if "town_id" in s else None
    for row in rows:
        if row["scope_type"] == "zone":
            sel = pd.Series(True, index=s.index)
        elif row["scope_type"] == "scale":
            sel = scale == row["scope"]
        else:
            sel = town == row["scope"] if town is not None else pd.Series(False, index=s.index)
        row["note"] = "，".join(
            f"{COMPONENTS[c][1]} {int(done[sel].sum())}/{int(sel.sum())}"
            for c, done in shown.items()
        )
    words = "、".join(COMPONENTS[c][1] for c in remediation_components)
    frame = metric_frame(
        "water_remediation_share",
        rows,
        unit="%",
        as_of=as_of,
        method=f"整治完成＝{words}均已完成（评估日前）的水源地 ÷ 全部水源地；sources with "
        f"{'+'.join(remediation_components)} done by as_of ÷ all sources (zone, scale, town)",
    )
    undated = [
        int(s[f"undated_{COMPONENTS[c][0]}"].sum())
        for c in remediation_components
        if f"undated_{COMPONENTS[c][0]}" in s
    ]
    if sum(undated):
        gap = f"水源地有 {sum(undated)} 项标为已完成但缺少日期，未计入（请补填日期）"
        frame["note"] = frame["note"] + "；" + gap
    return frame


@register_metric(
    "protection_zone_area_km2",
    label="水源保护区面积",
    unit="km2",
    requires=("protection_zones",),
    description="各级水源保护区面积（平方公里，同一级别的重叠部分只计一次）。",
)
def protection_zone_area_km2(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Area of the union of each level's zones in km² (Gauss-Kruger), drafts excluded."""
    z = project(layers, ("protection_zones",))["protection_zones"]
    z = z.loc[~z["draft"].fillna(False).astype(bool)] if "draft" in z else z
    geoms = np.asarray(z.geometry.values)
    rows = []
    for level in ("level1", "level2", "quasi"):
        mask = (z["level"] == level).to_numpy()
        area = shapely.area(shapely.union_all(geoms[mask])) / 1e6 if mask.any() else 0.0
        rows.append({"scope_type": "level", "scope": level, "value": area})
    rows.insert(
        0,
        {
            "scope_type": "zone",
            "scope": ZONE,
            "value": shapely.area(shapely.union_all(geoms)) / 1e6 if len(geoms) else 0.0,
        },
    )
    return metric_frame(
        "protection_zone_area_km2",
        rows,
        unit="km2",
        as_of=as_of,
        method="area of the union of delineated (non-draft) zones per level, Gauss-Kruger CRS",
    )


CONFLICT_KINDS = ("farmhouses", "sewage_facilities", "projects")


def _conflict_rows(proj: dict[str, Any], zones: np.ndarray) -> list[dict[str, Any]]:
    """Zone row and one row per conflict layer: features intersecting ``zones``."""
    tree = shapely.STRtree(zones)
    rows, total = [], 0
    for kind in CONFLICT_KINDS:
        layer = proj.get(kind)
        if layer is None:
            rows.append(
                {
                    "scope_type": "layer",
                    "scope": kind,
                    "value": np.nan,
                    "note": f"图层 {layer_text(kind)}缺失",
                }
            )
            continue
        hit, _ = tree.query(np.asarray(layer.geometry.values), predicate="intersects")
        ids = sorted(layer["id"].astype(str).to_numpy()[np.unique(hit)])
        total += len(ids)
        rows.append(
            {"scope_type": "layer", "scope": kind, "value": len(ids), "note": ", ".join(ids)}
        )
    rows.insert(0, {"scope_type": "zone", "scope": ZONE, "value": total})
    return rows


def _level1(layers: dict[str, Any], *, draft: bool) -> tuple[dict[str, Any], np.ndarray]:
    proj = project(layers, ("protection_zones", *CONFLICT_KINDS))
    z = proj["protection_zones"]
    is_draft = z["draft"].fillna(False).astype(bool) if "draft" in z else False
    keep = (z["level"] == "level1") & (is_draft if draft else ~is_draft)
    return proj, np.asarray(z.geometry.values[keep.to_numpy(dtype=bool)])


@register_metric(
    "protection_zone_conflicts",
    label="一级保护区内冲突要素",
    unit="count",
    requires=("protection_zones",),
    optional=CONFLICT_KINDS,
    description="位于已批准（非草案）一级保护区内的农房、污水处理设施和建设项目（个数及编号）。",
)
def protection_zone_conflicts(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Features of ``farmhouses``, ``sewage_facilities`` and ``projects`` that intersect an
    approved (``draft`` false) level-1 protection zone delineated by ``as_of``, as a count
    per layer with the ids in the note. Draft zones: ``draft_zone_conflicts``."""
    proj, level1 = _level1(layers, draft=False)
    return metric_frame(
        "protection_zone_conflicts",
        _conflict_rows(proj, level1),
        unit="count",
        as_of=as_of,
        method="已批准一级保护区（不含草案）内的要素；features intersecting an approved "
        "(non-draft) level-1 protection zone",
    )


@register_metric(
    "draft_zone_conflicts",
    label="草案一级保护区内要素",
    unit="count",
    requires=("protection_zones",),
    optional=CONFLICT_KINDS,
    description="位于尚未批准的一级保护区草案内的农房、污水处理设施和建设项目（个数及编号）。",
)
def draft_zone_conflicts(
    layers: dict[str, Any], records: pd.DataFrame | None, *, as_of: dt.date
) -> pd.DataFrame:
    """Features intersecting a draft level-1 zone: conflicts to expect once it is approved."""
    proj, level1 = _level1(layers, draft=True)
    frame = metric_frame(
        "draft_zone_conflicts",
        _conflict_rows(proj, level1),
        unit="count",
        as_of=as_of,
        method="一级保护区草案内的要素（草案未批准，不是现行冲突）；features intersecting a "
        "draft level-1 protection zone",
    )
    return frame


@dataclass(frozen=True)
class ZoneParams:
    """Distances (m) of the HJ 338-2018 empirical method; every one can be overridden.

    Confirm the values against HJ 338-2018 before relying on a draft: they are our reading
    of its tables and could not all be verified offline.

    Attributes
    ----------
    river_upstream_m, river_downstream_m
        Level-1 water area along a river: ≥ 1 000 m upstream, ≥ 100 m downstream of the
        intake.
    river_land_m
        Level-1 land strip on each bank: ≥ 50 m.
    river_width_m
        River width used when the river line has no ``width_m`` column.
    river_level2_upstream_m, river_level2_downstream_m, river_level2_land_m
        Level-2 extent beyond level 1 (2 000 m upstream, 200 m downstream, 1 000 m land).
    river_snap_m
        A river intake is matched to the nearest river line within this distance.
    lake_radius_m
        Level-1 radius around the intake by size: small lake / medium reservoir 300 m,
        large 500 m; a small reservoir's whole water surface is level 1 —
        ``small`` is the radius used when no water-body polygon holds the intake.
    lake_land_m
        Level-1 land strip around a small reservoir's water surface.
    lake_level2_m
        Level-2 radius around the intake (all sizes).
    well_radius_m, well_level2_m
        Groundwater level-1 and level-2 radii by aquifer (pore water from 30 m).
    """

    river_upstream_m: float = 1000.0
    river_downstream_m: float = 100.0
    river_land_m: float = 50.0
    river_width_m: float = 30.0
    river_level2_upstream_m: float = 2000.0
    river_level2_downstream_m: float = 200.0
    river_level2_land_m: float = 1000.0
    river_snap_m: float = 200.0
    lake_radius_m: dict[str, float] = field(
        default_factory=lambda: {"small": 200.0, "medium": 300.0, "large": 500.0}
    )
    lake_land_m: float = 200.0
    lake_level2_m: float = 2000.0
    well_radius_m: dict[str, float] = field(
        default_factory=lambda: {"pore": 30.0, "fissure": 50.0, "karst": 100.0}
    )
    well_level2_m: dict[str, float] = field(
        default_factory=lambda: {"pore": 300.0, "fissure": 500.0, "karst": 1000.0}
    )


def _river_zones(
    point: shapely.Point, line: shapely.LineString, width: float, p: ZoneParams
) -> tuple[shapely.Geometry, shapely.Geometry]:
    # River lines run downstream: measures grow with the flow. Clamp to the line (substring
    # reads negative distances from the far end).
    at, length = shapely.line_locate_point(line, point), line.length

    def piece(up: float, down: float) -> shapely.Geometry:
        return substring(line, max(at - up, 0.0), min(at + down, length))

    seg1 = piece(p.river_upstream_m, p.river_downstream_m)
    level1 = shapely.buffer(seg1, width / 2 + p.river_land_m, cap_style="flat")
    seg2 = piece(
        p.river_upstream_m + p.river_level2_upstream_m,
        p.river_downstream_m + p.river_level2_downstream_m,
    )
    level2 = shapely.buffer(seg2, width / 2 + p.river_level2_land_m, cap_style="flat")
    return level1, shapely.difference(level2, level1)


def _choice(row: Any, column: str, default: str, allowed: dict[str, float]) -> str:
    """A source's size or aquifer class: ``default`` when blank, an error when unknown."""
    value = getattr(row, column, None)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return default
    if value not in allowed:
        raise SchemaError(
            f"water source {row.id}: {column} {value!r} is not one of {sorted(allowed)}; "
            f"correct it in water_sources, or leave it empty for {default!r}"
        )
    return str(value)


def delineate_protection_zones(
    sources: Any,
    *,
    rivers: Any = None,
    water_bodies: Any = None,
    params: ZoneParams | None = None,
    only_missing: bool = True,
) -> Any:
    """Draft level-1 and level-2 protection zones by the HJ 338-2018 empirical method.

    Parameters
    ----------
    sources
        A ``water_sources`` layer (points with ``id``, ``name``, ``source_type``,
        ``reservoir_size``, ``aquifer``, ``zone_delineated``).
    rivers
        River centre lines digitised in the direction of flow (optional ``width_m``
        column). River intakes without a line within ``params.river_snap_m`` get no draft
        and a warning.
    water_bodies
        Reservoir/lake water-surface polygons; a small reservoir whose intake lies in one
        gets the whole surface (plus the land strip) as level 1.
    params
        Distances; see :class:`ZoneParams`. Confirm them against HJ 338-2018.
    only_missing
        Draft only sources whose ``zone_delineated`` is false.

    Returns
    -------
    GeoDataFrame
        ``protection_zones``-shaped (``id``, ``name``, ``task_ids``, ``source_id``,
        ``level``, ``delineated_date`` NaT, ``draft`` True) plus ``method``, in the CRS of
        ``sources``. Level-2 zones exclude their level-1 zone.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> src = gpd.GeoDataFrame({"id": ["W1"], "name": ["井"], "source_type": ["groundwater"],
    ...     "aquifer": ["pore"], "zone_delineated": [False]},
    ...     geometry=[shapely.Point(118.7, 24.9)], crs="EPSG:4326")
    >>> zones = delineate_protection_zones(src)
    >>> list(zones["level"]), bool(zones["draft"].all())
    (['level1', 'level2'], True)
    """
    p = params or ZoneParams()
    missing = {"id", "source_type"} - set(sources.columns)
    if missing:
        raise SchemaError(
            f"water sources lack column(s) {sorted(missing)}; delineate_protection_zones needs "
            "`id` and `source_type` (river/reservoir/lake/groundwater)"
        )
    crs = metric_crs_of(sources, "water_sources")
    src = sources.to_crs(crs)
    if only_missing and "zone_delineated" in src:
        src = src.loc[~src["zone_delineated"].fillna(False).astype(bool)]
    waters = _Waters.of(rivers, water_bodies, crs, p)
    out: list[dict[str, Any]] = []
    # One geometry per source and per rule: a loop over the few unzoned sources, not a hot path.
    for row in src.itertuples():
        kind = row.source_type
        if kind == "river":
            draft = _river_draft(row, waters, p)
        elif kind in ("reservoir", "lake"):
            draft = _lake_draft(row, waters, p)
        elif kind == "groundwater":
            draft = _well_draft(row, p)
        else:
            logger.warning("source %s has unknown source_type %r; no draft", row.id, kind)
            continue
        if draft is not None:
            out += _draft_rows(row, *draft)
    return _draft_frame(out, crs).to_crs(sources.crs)


#: A draft for one source: level-1 zone, level-2 zone (without level 1), how it was drawn.
_Draft = tuple[shapely.Geometry, shapely.Geometry, str]

#: Columns of :func:`delineate_protection_zones`' result, in order.
_DRAFT_COLUMNS = [
    "id",
    "name",
    "task_ids",
    "source_id",
    "level",
    "delineated_date",
    "draft",
    "method",
    "geometry",
]


@dataclass(frozen=True)
class _Waters:
    """River lines (with widths) and water-body polygons in the metric CRS, indexed."""

    rivers: np.ndarray | None
    widths: np.ndarray | None
    river_tree: shapely.STRtree | None
    bodies: np.ndarray
    body_tree: shapely.STRtree

    @classmethod
    def of(cls, rivers: Any, water_bodies: Any, crs: Any, p: ZoneParams) -> _Waters:
        river_geoms = np.asarray(rivers.to_crs(crs).geometry.values) if rivers is not None else None
        widths = (
            rivers["width_m"].fillna(p.river_width_m).to_numpy(float)
            if rivers is not None and "width_m" in rivers
            else None
        )
        bodies = (
            np.asarray(water_bodies.to_crs(crs).geometry.values)
            if water_bodies is not None
            else np.array([], dtype=object)
        )
        return cls(
            rivers=river_geoms,
            widths=widths,
            river_tree=shapely.STRtree(river_geoms) if river_geoms is not None else None,
            bodies=bodies,
            body_tree=shapely.STRtree(bodies),
        )


def _river_draft(row: Any, waters: _Waters, p: ZoneParams) -> _Draft | None:
    """A river intake's zones along the nearest river line; None (warned) without one."""
    pt = row.geometry
    if waters.river_tree is None or waters.rivers is None or len(waters.rivers) == 0:
        logger.warning("source %s is a river intake but no `rivers` were given", row.id)
        return None
    near = waters.river_tree.query_nearest(pt, max_distance=p.river_snap_m)
    if len(near) == 0:
        logger.warning("source %s: no river line within %g m", row.id, p.river_snap_m)
        return None
    i = int(near[0])
    width = waters.widths[i] if waters.widths is not None else p.river_width_m
    l1, l2 = _river_zones(pt, waters.rivers[i], width, p)
    how = (
        f"river: {p.river_upstream_m:g} m up, {p.river_downstream_m:g} m down, "
        f"{p.river_land_m:g} m land"
    )
    return l1, l2, how


def _lake_draft(row: Any, waters: _Waters, p: ZoneParams) -> _Draft:
    """A reservoir or lake intake's zones: a radius by size, or a small reservoir's surface."""
    pt, kind = row.geometry, row.source_type
    size = _choice(row, "reservoir_size", "medium", p.lake_radius_m)
    hit = waters.body_tree.query(pt, predicate="within")
    if kind == "reservoir" and size == "small" and len(hit):
        l1 = shapely.buffer(waters.bodies[int(hit[0])], p.lake_land_m)
        how = f"small reservoir: whole water surface + {p.lake_land_m:g} m land"
    else:
        radius = p.lake_radius_m[size]
        l1 = shapely.buffer(pt, radius)
        how = f"{kind} ({size}): {radius:g} m radius"
    return l1, shapely.difference(shapely.buffer(pt, p.lake_level2_m), l1), how


def _well_draft(row: Any, p: ZoneParams) -> _Draft:
    """A groundwater well's zones: radii by aquifer."""
    pt = row.geometry
    aquifer = _choice(row, "aquifer", "pore", p.well_radius_m)
    l1 = shapely.buffer(pt, p.well_radius_m[aquifer])
    l2 = shapely.difference(shapely.buffer(pt, p.well_level2_m[aquifer]), l1)
    return l1, l2, f"groundwater ({aquifer}): {p.well_radius_m[aquifer]:g} m radius"


def _draft_rows(
    row: Any, l1: shapely.Geometry, l2: shapely.Geometry, how: str
) -> list[dict[str, Any]]:
    """The level-1 and level-2 ``protection_zones`` rows of one source's draft."""
    name = getattr(row, "name", row.id)
    return [
        {
            "id": f"{row.id}-{level}-draft",
            "name": f"{name}{label}保护区(草案)",
            "task_ids": "21",
            "source_id": row.id,
            "level": level,
            "delineated_date": pd.NaT,
            "draft": True,
            "method": f"HJ 338-2018 empirical, {how}",
            "geometry": geom,
        }
        for level, geom, label in (("level1", l1, "一级"), ("level2", l2, "二级"))
    ]


def _draft_frame(rows: list[dict[str, Any]], crs: Any) -> Any:
    """The draft rows as a ``protection_zones``-shaped GeoDataFrame in ``crs``."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame(rows, columns=_DRAFT_COLUMNS, geometry="geometry", crs=crs)
    frame["delineated_date"] = pd.to_datetime(frame["delineated_date"]).astype("datetime64[ms]")
    frame["draft"] = frame["draft"].astype(bool)
    return frame
