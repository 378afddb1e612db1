"""Interactive web maps of the layers: folium in Jupyter, one self-contained HTML file offline.

:func:`make_map` draws each layer kind as one toggleable canvas layer, styled by kind and
status, with a legend that uses the very same styles, Chinese tooltips and popups (name,
status, year, the plan tasks served) and a choropleth of a metric. Geometry travels in a
compact encoding (``_encode``): 100 000 building footprints make a page of a few MB that
draws in well under a second, where folium's ``GeoJson`` needs tens of MB.
:func:`save_map` writes the page atomically; :func:`map_to_png` renders it with headless
Chromium.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Mapping, Sequence
from html import escape as html_escape
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._common.atomic import write_text
from .._common.labels import KIND_LABELS, SCORE_STATUS_LABELS
from .._errors import MapError
from ._basemaps import BASEMAPS, Basemap, get_basemap
from ._browser import map_to_png
from ._choropleth import Choropleth, choropleth_layer
from ._elements import Assets, CompactLayer, Finish, GeoplanMap
from ._encode import (
    DEFAULT_PRECISION_M,
    DEFAULT_SIMPLIFY_M,
    b64_varints,
    encode_geometries,
    geometry_family,
    simplify,
)
from ._offline import check_offline
from ._popup import feature_props, scorecard_rows, task_titles
from ._raster import raster_overlay
from ._style import DRAW_ORDER, layer_styles, style_values

__all__ = ["BASEMAPS", "Choropleth", "make_map", "map_to_png", "raster_overlay", "save_map"]

logger = logging.getLogger(__name__)

#: Point layers with more features than this are aggregated per 48 px cell below
#: :data:`CLUSTER_BELOW_ZOOM`, so thousands of farmhouses stay readable at town scale.
CLUSTER_MIN_POINTS = 500
CLUSTER_BELOW_ZOOM = 15

#: Polygon kinds that tile the zone and share borders: simplified as a coverage so
#: neighbours keep identical borders (when they really form a valid coverage).
COVERAGE_KINDS = frozenset({"towns", "districts", "villages"})

_FAMILY_ORDER = {"polygon": 0, "line": 1, "point": 2}


def _prepare(kind: str, gdf: Any, *, gcj02: bool) -> tuple[gpd.GeoDataFrame, int]:
    """Validate one layer, bring it to EPSG:4326 (GCJ-02 when asked), drop empty shapes."""
    from ..crs import ensure_crs, to_gcj02

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise MapError(
            f"layer `{kind}` is a {type(gdf).__name__}, not a GeoDataFrame; read it with "
            "geoplan.read_layers(...) or geopandas.read_file(...)"
        )
    crs = ensure_crs(gdf, name=kind)
    if not crs.equals(settings.STORAGE_CRS):
        gdf = gdf.to_crs(settings.STORAGE_CRS)
    geoms = gdf.geometry.array
    bad = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if bad.any():
        gdf = gdf[~bad]
    if gcj02 and len(gdf):
        gdf = to_gcj02(gdf, name=kind)
    return gdf, int(bad.sum())


def _points_if_mixed(kind: str, gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str | None]:
    """A layer of footprints and points (farmhouses) is drawn as points on one map layer.

    Footprints alone are drawn as polygons; only a layer that mixes both (some houses
    surveyed as footprints, some as points) shows its footprints as a point on their
    surface, and the map says so.
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    type_ids = shapely.get_type_id(geoms)
    polygonal = np.isin(type_ids, (3, 6))
    if not polygonal.any() or polygonal.all() or not np.isin(type_ids, (0, 4)).any():
        return gdf, None
    geoms = geoms.copy()
    geoms[polygonal] = shapely.point_on_surface(geoms[polygonal])
    label = KIND_LABELS.get(kind, kind)
    note = (
        f"图层“{label}”（{kind}）混有点和面：{int(polygonal.sum())} 个面按其内点显示；"
        "分开存放可显示轮廓"
    )
    logger.warning("layer %s mixes points and footprints; footprints drawn as points", kind)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)), note


def _order(kinds: Sequence[str], families: Mapping[str, str]) -> list[str]:
    rank = {k: i for i, k in enumerate(DRAW_ORDER)}
    return sorted(kinds, key=lambda k: (_FAMILY_ORDER[families[k]], rank.get(k, -1)))


def _layer_data(
    name: str,
    kind: str,
    gdf: gpd.GeoDataFrame,
    *,
    styles: list[dict[str, Any]],
    style_idx: np.ndarray,
    simplify_m: float,
    precision_m: float,
    label: str,
) -> tuple[dict[str, Any], str]:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    family = _family(kind, geoms)
    if family != "point" and simplify_m > 0:
        coverage = (
            family == "polygon"
            and kind in COVERAGE_KINDS
            and bool(shapely.coverage_is_valid(geoms))
        )
        geoms = simplify(geoms, simplify_m, coverage=coverage)
    enc = encode_geometries(geoms, precision_m=precision_m)
    data: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "kindLabel": label,
        **enc.to_json(),
        "styles": styles,
        "props": _compact_props(feature_props(kind, gdf)),
    }
    if family == "point" and enc.n_vertices == enc.n_features:
        # one vertex per feature: every ring and feature count is 1, the page knows
        data["rings"] = data["features"] = ""
        data["single"] = enc.n_features
    if len(styles) > 1:
        data["style"] = b64_varints(style_idx)
    if family == "point" and len(gdf) > CLUSTER_MIN_POINTS:
        data["clusterBelowZoom"] = CLUSTER_BELOW_ZOOM
    return data, family


def _compact_props(props: dict[str, list[str]]) -> dict[str, Any]:
    """Dictionary-encode fields with few distinct values (status, year, tasks).

    ``{"values": [...], "index": <varints>}`` replaces the list; at 100 000 features the
    status labels alone would otherwise cost 1.2 MB. Fields that are one prefix and a
    number (ids such as ``F123456``) become ``{"prefix": "F", "num": <varints>}``: the
    zigzagged differences of the numbers, a byte or two each instead of ten characters.
    """
    out: dict[str, Any] = {}
    for key, values in props.items():
        arr = np.asarray(values, dtype=object)
        codes, uniques = pd.factorize(arr)
        if len(values) >= 64 and 4 * len(uniques) < len(values):
            out[key] = {"values": list(uniques), "index": b64_varints(codes)}
        elif len(values) >= 64 and (numbered := _numbered(arr)) is not None:
            out[key] = numbered
        else:
            out[key] = values
    return out


@functools.cache
def _string_dtype() -> str:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "string[python]"
    return "string[pyarrow]"


def _numbered(values: np.ndarray) -> dict[str, Any] | None:
    """``{"prefix", "num"}`` when every value is one prefix and a number without leading
    zeros (so that the page rebuilds exactly the same text), else None."""
    first = values[0]
    if not isinstance(first, str):
        return None
    prefix = re.match(r"\D*", first).group(0)  # type: ignore[union-attr]
    # Arrow-backed strings run the match and the slice in C (100 000 ids in ~10 ms);
    # pyarrow is an extra (`parquet`), so without it Python's strings do the same work
    text = pd.Series(values, dtype=_string_dtype())
    ok = text.str.fullmatch(re.escape(prefix) + r"(?:0|[1-9][0-9]{0,14})")
    if not ok.fillna(False).all():
        return None
    numbers = text.str.slice(len(prefix)).astype("int64").to_numpy()
    delta = np.diff(numbers, prepend=0)
    zigzag = np.where(delta < 0, -2 * delta - 1, 2 * delta)
    return {"prefix": prefix, "num": b64_varints(zigzag)}


def _family(kind: str, geoms: np.ndarray) -> str:
    try:
        return geometry_family(geoms)
    except ValueError as exc:
        raise MapError(f"layer `{kind}`: {exc}") from exc


def make_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    plan: Any = None,
    scorecard: pd.DataFrame | None = None,
    choropleth: Choropleth | pd.DataFrame | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    offline: bool = True,
    overlays: Sequence[folium.map.Layer] = (),
    title: str | None = None,
    minimap: bool = True,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    precision_m: float = DEFAULT_PRECISION_M,
    width: str | int = "100%",
    height: str | int = "100%",
) -> GeoplanMap:
    """Build an interactive map of planning layers.

    Parameters
    ----------
    layers
        Layer kind -> GeoDataFrame, as returned by ``geoplan.read_layers`` or
        ``geoplan.load_sample`` (any CRS; reprojected to EPSG:4326). Kinds outside the
        catalogue are drawn in a neutral style under their own name.
    plan
        A ``geoplan.plan.Plan``: tooltips and popups show the titles of the tasks each
        feature serves.
    scorecard
        The DataFrame from ``geoplan.scorecard``: the map gets a scorecard panel with one
        anchor per task (``#task-9``) and popups link to their tasks' lines.
    choropleth
        A :class:`Choropleth` (or a metric frame with ``scope_type``, ``scope``, ``value``):
        polygons of that scope coloured by mapclassify classes, with a graduated legend.
    basemap
        ``none`` (default; no tiles, works offline), ``openstreetmap``, ``tianditu_vec``,
        ``tianditu_img``, ``gaode`` or ``gaode_satellite``. A Gaode basemap is drawn in
        GCJ-02, so every vector layer is shifted WGS84 -> GCJ-02 to sit on its streets.
    tianditu_key
        Key for Tianditu basemaps; defaults to the ``TIANDITU_KEY`` environment variable.
    offline
        Inline Leaflet and every asset so the HTML opens with no network (tiles of a
        chosen basemap still need one). ``False`` loads Leaflet from a CDN.
    overlays
        Extra folium layers (e.g. ``geoplan.raster_overlay(...)``), added to the map and
        the layer control. They are not shifted for GCJ-02 basemaps.
    title
        Title shown at the top of the legend.
    minimap
        Show an overview map in the lower left corner.
    simplify_m
        Simplification tolerance in metres (topology-preserving; 0 turns it off). The
        default 0.5 m is under half a pixel at zoom 17.
    precision_m
        Coordinate precision in the page, in metres.
    width, height
        Size of the map (CSS units or pixels).

    Returns
    -------
    GeoplanMap
        A folium map: displays inline in Jupyter, ``save_map`` writes it to HTML.
        ``m.geoplan_summary`` holds per-layer feature counts and the layers left out.

    Raises
    ------
    MapError
        Unknown basemap (the message lists the valid ones), missing Tianditu key, layers
        that are not GeoDataFrames, or a choropleth that cannot be joined.
    CRSError
        A layer without a CRS.

    Examples
    --------
    >>> import geoplan
    >>> layers = geoplan.load_sample()
    >>> m = geoplan.make_map({"towns": layers["towns"], "greenways": layers["greenways"]})
    >>> type(m).__name__
    'GeoplanMap'
    """
    if not isinstance(layers, Mapping):
        raise MapError(
            f"layers must be a mapping of kind -> GeoDataFrame, not {type(layers).__name__}; "
            "e.g. geoplan.load_sample()"
        )
    base: Basemap = get_basemap(basemap, tianditu_key=tianditu_key)
    warnings: list[str] = []
    prepared: dict[str, gpd.GeoDataFrame] = {}
    for kind, gdf in layers.items():
        frame, dropped = _prepare(str(kind), gdf, gcj02=base.gcj02)
        frame, mixed = _points_if_mixed(str(kind), frame)
        if mixed:
            warnings.append(mixed)
        label = KIND_LABELS.get(str(kind), str(kind))
        if dropped:
            logger.warning("layer %s: %d feature(s) without geometry left out", kind, dropped)
        if frame.empty:
            msg = f"图层“{label}”（{kind}）没有要素，未显示"
            logger.warning("layer %s is empty and is left out of the map", kind)
            warnings.append(msg)
            continue
        prepared[str(kind)] = frame
    families = {k: _family(k, np.asarray(g.geometry.array)) for k, g in prepared.items()}
    if not prepared and not overlays:
        raise MapError("no layer has any feature to map; check the layers passed to make_map")

    bounds_src = [g.total_bounds for g in prepared.values()]
    if bounds_src:
        b = np.vstack(bounds_src)
        bounds = [
            [float(b[:, 1].min()), float(b[:, 0].min())],
            [float(b[:, 3].max()), float(b[:, 2].max())],
        ]
    else:
        bounds = [[24.85, 118.64], [25.03, 118.88]]  # the zone, when only overlays are given
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]

    m = GeoplanMap(
        location=center,
        zoom_start=12,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,
        width=width,
        height=height,
        offline=offline,
    )
    Assets(offline=offline).add_to(m)
    for i, tile in enumerate(base.tiles):
        folium.TileLayer(
            tiles=tile.url,
            attr=tile.attribution,
            name=tile.name,
            overlay=i > 0,
            control=True,
            **tile.options,
        ).add_to(m)
    if offline and base.tiles:
        logger.info("basemap %s needs the network for its tiles; the rest is inlined", basemap)

    legend: list[dict[str, Any]] = []
    all_task_ids: list[str] = []
    summary: dict[str, Any] = {"features": {}, "left_out": warnings}
    if choropleth is not None:
        spec = choropleth if isinstance(choropleth, Choropleth) else Choropleth(choropleth)
        kind, joined, styles, idx, items, ctitle = choropleth_layer(spec, prepared)
        data, family = _layer_data(
            f"choropleth:{kind}",
            kind,
            joined,
            styles=styles,
            style_idx=idx,
            simplify_m=simplify_m,
            precision_m=precision_m,
            label=ctitle,
        )
        data["props"]["status"] = [
            "" if pd.isna(v) else f"{v:.4g}" for v in joined["value"].to_numpy()
        ]  # the metric's value, shown where other layers show a status
        layer = CompactLayer(data, name=f"专题：{ctitle}")
        layer.add_to(m)
        m.geoplan_layers[data["name"]] = layer
        summary["features"][data["name"]] = len(joined)
        legend.append({"title": f"专题：{ctitle}", "geom": family, "items": items})

    for kind in _order(list(prepared), families):
        gdf = prepared[kind]
        if families[kind] == "point" and len(gdf) > CLUSTER_MIN_POINTS:
            # Neighbours along a Hilbert curve: the coordinate deltas and the id numbers
            # of the encoding stay small (a million farmhouses: 25 MB -> about 10 MB).
            gdf = gdf.iloc[np.argsort(gdf.geometry.hilbert_distance(), kind="stable")]
        label = KIND_LABELS.get(kind, kind)
        styles, idx, items = layer_styles(kind, families[kind], style_values(kind, gdf))
        data, family = _layer_data(
            kind,
            kind,
            gdf,
            styles=styles,
            style_idx=idx,
            simplify_m=simplify_m,
            precision_m=precision_m,
            label=label,
        )
        if "clusterBelowZoom" in data:  # the page reports its pie counts per legend label
            data["styleLabels"] = [item["label"] for item in items]
        layer = CompactLayer(data, name=label)
        layer.add_to(m)
        m.geoplan_layers[kind] = layer
        summary["features"][kind] = len(gdf)
        section: dict[str, Any] = {"title": label, "geom": family, "items": items}
        if "clusterBelowZoom" in data:
            section["note"] = f"第{CLUSTER_BELOW_ZOOM}级以下按区域汇总为饼图（数字为个数）"
        legend.append(section)
        if "task_ids" in gdf.columns:
            all_task_ids.extend(gdf["task_ids"].astype("string").dropna().tolist())

    if overlays and base.gcj02:
        logger.warning("overlays are not shifted to GCJ-02; they sit ~560 m off %s tiles", basemap)
    for overlay in overlays:
        if not isinstance(overlay, folium.map.Layer):
            raise MapError(
                f"overlay {overlay!r} is not a folium layer; pass folium FeatureGroup/"
                "ImageOverlay objects such as geoplan.raster_overlay(...)"
            )
        overlay.add_to(m)
    _escape_layer_names(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)

    config: dict[str, Any] = {
        "bounds": bounds,
        "title": title or "",
        "legend": legend,
        "warnings": warnings,
        "taskTitles": task_titles(plan, all_task_ids),
        "minimap": bool(minimap),
        "tiles": {"url": base.tiles[0].url, "options": base.tiles[0].options}
        if base.tiles
        else None,
    }
    if scorecard is not None:
        rows = scorecard_rows(scorecard)
        for r in rows:
            r["status"] = SCORE_STATUS_LABELS.get(r["status"], r["status"])
        config["scorecard"] = rows
    Finish(config).add_to(m)
    m.geoplan_summary = summary
    return m


def _escape_layer_names(m: folium.Map) -> None:
    """HTML-escape the names the layer control shows.

    Leaflet's layer control writes each name with ``innerHTML``: a layer named
    ``<img src=x onerror=…>`` (a kind key, a choropleth title, an overlay's name) would
    run script in the page. Escaped, it shows as typed.
    """
    for child in m._children.values():
        if isinstance(child, folium.map.Layer) and not getattr(child, "_geoplan_escaped", False):
            child.layer_name = html_escape(str(child.layer_name), quote=False)
            child._geoplan_escaped = True  # type: ignore[attr-defined]


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write a map to one HTML file, atomically.

    For a map built with ``offline=True`` the page is checked first: if an overlay or
    plugin added a reference to a CDN, :class:`~geoplan.MapError` names it and nothing is
    written.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import pathlib, tempfile, geoplan
    >>> m = geoplan.make_map({"towns": geoplan.load_sample()["towns"]})
    >>> path = geoplan.save_map(m, pathlib.Path(tempfile.mkdtemp()) / "map.html")
    >>> path.name, "leaflet" in path.read_text(encoding="utf-8")
    ('map.html', True)
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise MapError(f"cannot write map to {str(path)!r}: folder {str(path.parent)!r} is missing")
    html = m.get_root().render()
    if getattr(m, "offline", False):
        check_offline(html)
    write_text(path, html, what="map", error=MapError)
    logger.info("wrote map %s (%.1f MB)", path, len(html.encode("utf-8")) / 1e6)
    return path
