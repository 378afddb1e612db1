"""Coordinate reference systems of the zone: CGCS2000, Gauss-Kruger, GCJ-02 and BD-09.

Survey data of 泉州台商投资区 arrives in WGS84, CGCS2000 geographic (EPSG:4490), CGCS2000
3-degree Gauss-Kruger (EPSG:4549 without zone prefix, EPSG:4528 with it) or 6-degree
Gauss-Kruger (EPSG:4509 / 4498), often with Esri-style ``.prj`` names, and sometimes with
no CRS at all. Points digitised on Gaode/Tencent maps are in GCJ-02 ("Mars coordinates"),
points from Baidu in BD-09. This module

- converts WGS84 ⇄ GCJ-02 ⇄ BD-09 (arrays with :func:`wgs84_to_gcj02` and friends,
  whole GeoDataFrames with :func:`to_gcj02` / :func:`from_gcj02`);
- picks the metric CRS for lengths and areas (:func:`metric_crs`);
- recognises Esri ``.prj`` names (:func:`normalize_crs`), guesses a missing CRS from the
  coordinates (:func:`guess_crs`) and catches a declared CRS that cannot be right
  (:func:`check_crs`).

The GCJ-02 forward formula is the published one (as in the eviltransform and
coordTransform_py projects): the offset is added only inside the ``out_of_china``
rectangle, and points outside it are returned unchanged. The inverse is not published;
:func:`gcj02_to_wgs84` solves the forward formula by fixed-point iteration to well under
a centimetre.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely

from ._errors import CRSError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike, NDArray

logger = logging.getLogger(__name__)

#: Longitude/latitude box of 泉州台商投资区 (west, south, east, north). :func:`guess_crs`
#: prefers candidate CRSs that put the data here; pass ``near=`` to use another area.
ZONE_BOUNDS: tuple[float, float, float, float] = (118.64, 24.85, 118.88, 25.03)

#: The rectangle outside which the published GCJ-02 algorithm leaves points unchanged
#: (west, south, east, north in degrees).
CHINA_RECTANGLE: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)

#: Names accepted by ``read_file(crs=...)`` for lon/lat on the GCJ-02 and BD-09 datums.
GCJ02_NAMES = frozenset({"gcj-02", "gcj02", "gcj_02", "gcj"})
BD09_NAMES = frozenset({"bd-09", "bd09", "bd_09", "baidu"})

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formula.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = np.pi * 3000.0 / 180.0

#: Convergence tolerance of the iterative inverses, in degrees (1e-10° ≈ 0.01 mm).
INVERSE_TOLERANCE_DEG = 1e-10
#: Iteration cap of the inverses; the fixed point converges in 3–5 steps inside China.
INVERSE_MAX_ITER = 30

# CGCS2000 Gauss-Kruger EPSG code ranges (EPSG registry).
_GK3_CM_FIRST = 4534  # 3-degree, CM 75°E .. 135°E, no zone prefix (4534..4554)
_GK3_ZONE_FIRST = 4513  # 3-degree, zones 25..45, zone-prefixed easting (4513..4533)
_GK6_CM_FIRST = 4502  # 6-degree, CM 75°E .. 135°E, no zone prefix (4502..4512)
_GK6_ZONE_FIRST = 4491  # 6-degree, zones 13..23, zone-prefixed easting (4491..4501)


# --------------------------------------------------------------------------- arrays


def _as_lnglat(lng: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    try:
        x, y = np.broadcast_arrays(
            np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        )
    except (TypeError, ValueError) as exc:
        raise CRSError(
            f"longitudes and latitudes must be numbers of the same shape: {exc}; "
            "pass two numeric arrays (or two numbers)"
        ) from exc
    return x, y


def _out(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[Any, Any]:
    if x.ndim == 0:
        return np.float64(x), np.float64(y)
    return x, y


def _in_china(lng: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    west, south, east, north = CHINA_RECTANGLE
    return (lng >= west) & (lng <= east) & (lat >= south) & (lat <= north)


def _gcj_offset(
    lng: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the GCJ-02 offset (dlng, dlat) in degrees at WGS84 points (no China test)."""
    x = lng - 105.0
    y = lat - 35.0
    x_pi = x * np.pi
    y_pi = y * np.pi
    common = (20.0 * np.sin(6.0 * x_pi) + 20.0 * np.sin(2.0 * x_pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat += common
    dlat += (20.0 * np.sin(y_pi) + 40.0 * np.sin(y_pi / 3.0)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y_pi / 12.0) + 320.0 * np.sin(y_pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlng += common
    dlng += (20.0 * np.sin(x_pi) + 40.0 * np.sin(x_pi / 3.0)) * 2.0 / 3.0
    dlng += (150.0 * np.sin(x_pi / 12.0) + 300.0 * np.sin(x_pi / 30.0)) * 2.0 / 3.0

    rad_lat = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlng = (dlng * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlng, dlat


def _wgs_to_gcj(
    lng: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    inside = _in_china(lng, lat)
    dlng, dlat = _gcj_offset(lng, lat)
    return np.where(inside, lng + dlng, lng), np.where(inside, lat + dlat, lat)


def _invert(
    forward: Callable[[Any, Any], tuple[NDArray[np.float64], NDArray[np.float64]]],
    lng: NDArray[np.float64],
    lat: NDArray[np.float64],
    first: tuple[NDArray[np.float64], NDArray[np.float64]],
    what: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve ``forward(w) == (lng, lat)`` for w by fixed-point iteration from ``first``.

    The offsets change by less than 1e-4 of their size per metre moved, so
    ``w <- w - (forward(w) - target)`` contracts by that factor each step.
    """
    x, y = first
    x = x.copy()
    y = y.copy()
    active = np.isfinite(x) & np.isfinite(y)
    for _ in range(INVERSE_MAX_ITER):
        if not active.any():
            break
        fx, fy = forward(x[active], y[active])
        ex = fx - lng[active]
        ey = fy - lat[active]
        x[active] -= ex
        y[active] -= ey
        done = (np.abs(ex) < INVERSE_TOLERANCE_DEG) & (np.abs(ey) < INVERSE_TOLERANCE_DEG)
        idx = np.flatnonzero(active)
        active[idx[done]] = False
    if active.any():
        logger.warning(
            "%s: %d point(s) did not converge in %d iterations",
            what,
            active.sum(),
            INVERSE_MAX_ITER,
        )
    return x, y


def wgs84_to_gcj02(lng: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Shift WGS84 longitudes/latitudes to GCJ-02 (Gaode/Tencent "Mars" coordinates).

    Parameters
    ----------
    lng, lat
        Longitudes and latitudes in degrees: numbers or arrays of one shape (broadcast).

    Returns
    -------
    tuple
        ``(lng, lat)`` float arrays (numpy floats for scalar input). Points outside the
        ``out_of_china`` rectangle (:data:`CHINA_RECTANGLE`) and NaNs are unchanged.

    Examples
    --------
    >>> lng, lat = wgs84_to_gcj02(118.76, 24.94)
    >>> round(float(lng - 118.76), 5), round(float(lat - 24.94), 5)
    (0.00465, -0.00281)
    """
    x, y = _as_lnglat(lng, lat)
    return _out(*_wgs_to_gcj(x, y))


def gcj02_to_wgs84(lng: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert GCJ-02 longitudes/latitudes back to WGS84 (iterative, error < 0.01 m).

    The naive inverse (subtracting the offset computed at the GCJ-02 point) errs by
    1–2 m; this function iterates the forward formula until the residual is below
    :data:`INVERSE_TOLERANCE_DEG`. Points outside the ``out_of_china`` rectangle are
    unchanged. Parameters and return value as in :func:`wgs84_to_gcj02`.
    """
    x, y = _as_lnglat(lng, lat)
    x1, y1 = x.ravel(), y.ravel()
    inside = _in_china(x1, y1)
    dlng, dlat = _gcj_offset(x1, y1)
    first = (np.where(inside, x1 - dlng, x1), np.where(inside, y1 - dlat, y1))
    wx, wy = _invert(_wgs_to_gcj, x1, y1, first, "gcj02_to_wgs84")
    return _out(wx.reshape(x.shape), wy.reshape(y.shape))


def _gcj_to_bd(
    lng: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    inside = _in_china(lng, lat)
    z = np.hypot(lng, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lng) + 0.000003 * np.cos(lng * _BD_X_PI)
    bx = z * np.cos(theta) + 0.0065
    by = z * np.sin(theta) + 0.006
    return np.where(inside, bx, lng), np.where(inside, by, lat)


def gcj02_to_bd09(lng: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Shift GCJ-02 longitudes/latitudes to BD-09 (Baidu), by Baidu's published formula.

    Parameters and return value as in :func:`wgs84_to_gcj02`.
    """
    x, y = _as_lnglat(lng, lat)
    return _out(*_gcj_to_bd(x, y))


def bd09_to_gcj02(lng: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert BD-09 longitudes/latitudes to GCJ-02.

    Starts from the published closed-form inverse and refines it by iterating
    :func:`gcj02_to_bd09`, so that a round trip returns the input to within 1e-10°.
    Parameters and return value as in :func:`wgs84_to_gcj02`.
    """
    x, y = _as_lnglat(lng, lat)
    x1, y1 = x.ravel(), y.ravel()
    inside = _in_china(x1, y1)
    px = x1 - 0.0065
    py = y1 - 0.006
    z = np.hypot(px, py) - 0.00002 * np.sin(py * _BD_X_PI)
    theta = np.arctan2(py, px) - 0.000003 * np.cos(px * _BD_X_PI)
    first = (np.where(inside, z * np.cos(theta), x1), np.where(inside, z * np.sin(theta), y1))
    gx, gy = _invert(_gcj_to_bd, x1, y1, first, "bd09_to_gcj02")
    return _out(gx.reshape(x.shape), gy.reshape(y.shape))


def wgs84_to_bd09(lng: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Shift WGS84 longitudes/latitudes to BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


def bd09_to_wgs84(lng: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert BD-09 longitudes/latitudes to WGS84 (through GCJ-02, iterative inverses)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


# ------------------------------------------------------------------- GeoDataFrames

_DATUM_FUNCS: dict[tuple[str, str], Callable[[ArrayLike, ArrayLike], tuple[Any, Any]]] = {
    ("WGS84", "GCJ-02"): wgs84_to_gcj02,
    ("GCJ-02", "WGS84"): gcj02_to_wgs84,
    ("WGS84", "BD-09"): wgs84_to_bd09,
    ("BD-09", "WGS84"): bd09_to_wgs84,
}


def _shift_frame(gdf: gpd.GeoDataFrame, source: str, target: str, name: str | None) -> Any:
    ensure_crs(gdf, name=name)
    func = _DATUM_FUNCS[(source, target)]
    crs = pyproj.CRS.from_user_input(gdf.crs)
    if not crs.is_geographic:
        gdf = gdf.to_crs("EPSG:4326")

    def shift(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        out = coords.copy()
        out[:, 0], out[:, 1] = func(coords[:, 0], coords[:, 1])
        return out

    geoms = shapely.transform(np.asarray(gdf.geometry.array, dtype=object), shift, include_z=None)
    result = gdf.copy()
    result[gdf.geometry.name] = type(gdf.geometry)(geoms, index=gdf.index, crs="EPSG:4326")
    result.attrs = dict(gdf.attrs)
    result.attrs["geoplan_datum"] = target
    return result


def to_gcj02(gdf: gpd.GeoDataFrame, *, name: str | None = None) -> gpd.GeoDataFrame:
    """Shift a whole layer from WGS84/CGCS2000 to GCJ-02 lon/lat (e.g. for Gaode basemaps).

    Parameters
    ----------
    gdf
        Any geometry types (points, lines, polygons with holes, multi-parts, collections).
        A projected layer is first reprojected to EPSG:4326.
    name
        The layer's name, used in error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy whose coordinates are GCJ-02 longitude/latitude. GCJ-02 has no EPSG code,
        so the frame is labelled EPSG:4326 and ``attrs["geoplan_datum"] == "GCJ-02"``.

    Raises
    ------
    CRSError
        If the layer has no CRS.
    """
    return _shift_frame(gdf, "WGS84", "GCJ-02", name)


def from_gcj02(gdf: gpd.GeoDataFrame, *, name: str | None = None) -> gpd.GeoDataFrame:
    """Convert a layer whose lon/lat coordinates are GCJ-02 back to WGS84 (EPSG:4326).

    The frame must carry a CRS (its coordinates are read as longitude/latitude after
    reprojecting to EPSG:4326 if needed); see :func:`to_gcj02`.
    """
    return _shift_frame(gdf, "GCJ-02", "WGS84", name)


def to_bd09(gdf: gpd.GeoDataFrame, *, name: str | None = None) -> gpd.GeoDataFrame:
    """Shift a layer from WGS84/CGCS2000 to BD-09 lon/lat (Baidu); see :func:`to_gcj02`."""
    return _shift_frame(gdf, "WGS84", "BD-09", name)


def from_bd09(gdf: gpd.GeoDataFrame, *, name: str | None = None) -> gpd.GeoDataFrame:
    """Convert a layer whose lon/lat coordinates are BD-09 back to WGS84 (EPSG:4326)."""
    return _shift_frame(gdf, "BD-09", "WGS84", name)


# -------------------------------------------------------------------- metric CRS


def gk3_epsg(central_meridian: int) -> int:
    """Return the EPSG code of CGCS2000 3-degree Gauss-Kruger without zone prefix.

    ``central_meridian`` is 75, 78, …, 135 (°E); e.g. 120 → 4549.
    """
    if central_meridian % 3 or not 75 <= central_meridian <= 135:
        raise CRSError(
            f"central meridian {central_meridian}°E is not a CGCS2000 3-degree zone; "
            "use a multiple of 3 between 75 and 135"
        )
    return _GK3_CM_FIRST + (central_meridian - 75) // 3


def _geographic_bounds(gdf: Any, name: str | None) -> tuple[float, float, float, float]:
    if isinstance(gdf, (tuple, list, np.ndarray)):
        bounds = tuple(float(v) for v in gdf)
        if len(bounds) != 4:
            raise CRSError(
                f"bounds {gdf!r} must be (west, south, east, north) in degrees; "
                "pass four numbers or a GeoDataFrame"
            )
        return bounds
    ensure_crs(gdf, name=name)
    crs = pyproj.CRS.from_user_input(gdf.crs)
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        label = f"layer `{name}`" if name else "the layer"
        raise CRSError(
            f"{label} has no non-empty geometries, so no metric CRS can be chosen for it; "
            "pass bounds (west, south, east, north) instead"
        )
    if crs.is_geographic:
        return minx, miny, maxx, maxy
    west, south, east, north = _to_lonlat(crs.to_wkt()).transform_bounds(minx, miny, maxx, maxy)
    return west, south, east, north


def nonfinite_features(geoms: Any) -> NDArray[np.bool_]:
    """Return a mask of the geometries holding a coordinate that is NaN or infinite.

    Such a vertex makes a length or an area NaN (or a polygon invalid, which a repair
    would silently reshape), so geoplan refuses it instead of measuring around it.

    Examples
    --------
    >>> import shapely
    >>> nonfinite_features([shapely.LineString([(0, 0), (1, 1)]), shapely.Point(0, float("nan"))])
    array([False,  True])
    """
    arr = np.asarray(getattr(geoms, "array", geoms), dtype=object)
    coords, index = shapely.get_coordinates(arr, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    return np.bincount(index[bad], minlength=len(arr)) > 0


def feature_ids(gdf: Any, mask: NDArray[np.bool_]) -> list[str]:
    """The ``id`` values of the features in ``mask`` (row numbers without an ``id``)."""
    if hasattr(gdf, "columns") and "id" in gdf.columns:
        return [str(v) for v in np.asarray(gdf["id"])[mask]]
    return [f"row {i}" for i in np.flatnonzero(mask)]


def check_finite(gdf: Any, *, name: str | None = None) -> None:
    """Raise :class:`~geoplan.SchemaError` naming the features with NaN/infinite coordinates."""
    from ._errors import SchemaError

    bad = nonfinite_features(gdf.geometry if hasattr(gdf, "geometry") else gdf)
    if bad.any():
        ids = feature_ids(gdf, bad)
        shown = ", ".join(ids[:5]) + (f", … {len(ids) - 5} more" if len(ids) > 5 else "")
        label = f"layer `{name}`" if name else "the layer"
        raise SchemaError(
            f"{label}: {int(bad.sum())} features have coordinates that are not numbers "
            f"(NaN or infinity): {shown}; no length or area can be measured for them. Fix: "
            "redraw those features or delete the bad vertices (`geoplan layers check` lists "
            "them)"
        )


def _bulk_longitude(gdf: Any, name: str | None) -> float:
    """Longitude of the median feature centre of a layer (robust to stray features)."""
    ensure_crs(gdf, name=name)
    check_finite(gdf, name=name)
    crs = pyproj.CRS.from_user_input(gdf.crs)
    arr = np.asarray(gdf.geometry.array if hasattr(gdf, "geometry") else gdf, dtype=object)
    bounds = shapely.bounds(arr)
    ok = np.isfinite(bounds).all(axis=1)
    if not ok.any():
        label = f"layer `{name}`" if name else "the layer"
        raise CRSError(
            f"{label} has no non-empty geometries, so no metric CRS can be chosen for it; "
            "pass bounds (west, south, east, north) instead"
        )
    cx = float(np.median((bounds[ok, 0] + bounds[ok, 2]) / 2.0))
    cy = float(np.median((bounds[ok, 1] + bounds[ok, 3]) / 2.0))
    if crs.is_geographic:
        return cx
    lon, _ = _to_lonlat(crs.to_wkt()).transform(cx, cy)
    return float(lon)


def metric_crs(gdf_or_bounds: Any, *, name: str | None = None) -> pyproj.CRS:
    """Return the CGCS2000 3-degree Gauss-Kruger CRS for measuring a layer in metres.

    The zone (no zone prefix, EPSG:4534–4554, central meridians 75°E … 135°E every 3°)
    is the one whose central meridian is nearest the longitude of the bulk of the data:
    the median of the features' bounding-box centres (for a layer), so that one stray
    feature far away cannot move every figure into another zone; for bounds, their
    centre. For 泉州台商投资区 (about 118.64–118.88°E) this is EPSG:4549,
    central meridian 120°E.

    Parameters
    ----------
    gdf_or_bounds
        A GeoDataFrame/GeoSeries with a CRS, or ``(west, south, east, north)`` in degrees.
    name
        The layer's name, used in error messages.

    Raises
    ------
    CRSError
        If the layer has no CRS or no geometry, or lies outside the longitudes CGCS2000
        Gauss-Kruger zones cover (73.5–136.5°E).
    SchemaError
        If a feature has a coordinate that is not a finite number (NaN or infinity): its
        length or area would silently change the figure.

    Examples
    --------
    >>> metric_crs((118.64, 24.85, 118.88, 25.03)).to_epsg()
    4549
    """
    if isinstance(gdf_or_bounds, (tuple, list, np.ndarray)):
        west, _, east, _ = _geographic_bounds(gdf_or_bounds, name)
        lon = (west + east) / 2.0
    else:
        lon = _bulk_longitude(gdf_or_bounds, name)
    if not 73.5 <= lon <= 136.5:
        label = f"layer `{name}`" if name else "the data"
        raise CRSError(
            f"{label} is centred at {lon:.2f}°E, outside the CGCS2000 Gauss-Kruger zones "
            "(73.5–136.5°E); check its CRS, or measure it in a UTM zone "
            "(`gdf.estimate_utm_crs()`)"
        )
    central = int(75 + 3 * round((lon - 75.0) / 3.0))
    return _crs(f"EPSG:{gk3_epsg(central)}")


# ------------------------------------------------------------ recognising CRSs


@lru_cache(maxsize=128)
def _crs(text: str) -> pyproj.CRS:
    return pyproj.CRS.from_user_input(text)


@lru_cache(maxsize=128)
def _to_lonlat(source: str) -> pyproj.Transformer:
    """Inverse projection to the CRS's own datum (CGCS2000 ≈ WGS84 to < 1 m here).

    Skipping the datum step makes the transformer ~100 times cheaper to build, which
    matters when :func:`guess_crs` tries 30 candidate zones.
    """
    crs = _crs(source)
    geodetic = crs.geodetic_crs or _crs("EPSG:4326")
    return pyproj.Transformer.from_crs(crs, geodetic, always_xy=True)


def _gk3_cm(n: int) -> int | None:
    return _GK3_CM_FIRST + (n - 75) // 3 if 75 <= n <= 135 and n % 3 == 0 else None


def _gk3_zone(n: int) -> int | None:
    return _GK3_ZONE_FIRST + n - 25 if 25 <= n <= 45 else None


def _gk6_cm(n: int) -> int | None:
    return _GK6_CM_FIRST + (n - 75) // 6 if 75 <= n <= 135 and n % 6 == 3 else None


def _gk6_zone(n: int) -> int | None:
    return _GK6_ZONE_FIRST + n - 13 if 13 <= n <= 23 else None


# Names of CGCS2000 CRSs as Esri, Chinese GIS packages and PROJ spell them; tried only when
# the EPSG matcher finds nothing (e.g. a .prj whose datum is called "D_CGCS2000").
_CGCS2000_NAMES: list[tuple[re.Pattern[str], Callable[[int], int | None]]] = [
    (re.compile(r"CGCS_?2000.*3.Degree.*(?:GK|Gauss.Kruger).*CM.(\d+)E", re.I), _gk3_cm),
    (re.compile(r"CGCS_?2000.*3.Degree.*(?:GK|Gauss.Kruger).*Zone.(\d+)", re.I), _gk3_zone),
    (re.compile(r"CGCS_?2000.*(?:GK|Gauss.Kruger).*CM.(\d+)E", re.I), _gk6_cm),
    (re.compile(r"CGCS_?2000.*(?:GK|Gauss.Kruger).*Zone.(\d+)", re.I), _gk6_zone),
    (
        re.compile(r"^(?:GCS_)?(?:CGCS_?2000|China.Geodetic.Coordinate.System.2000)$", re.I),
        lambda _: 4490,
    ),
]


def _code_from_name(parsed: pyproj.CRS) -> int | None:
    ellipsoid = parsed.ellipsoid
    if ellipsoid is None or abs(ellipsoid.semi_major_metre - 6378137.0) > 0.01:
        return None  # the name says CGCS2000 but the ellipsoid does not: do not guess
    if abs(ellipsoid.inverse_flattening - 298.257222101) > 1e-6:
        return None
    for pattern, to_code in _CGCS2000_NAMES:
        match = pattern.search(parsed.name or "")
        if match:
            return to_code(int(match.group(1)) if match.groups() else 0)
    return None


def normalize_crs(crs: Any) -> pyproj.CRS | None:
    """Return the EPSG CRS that a file's CRS (often an Esri ``.prj`` WKT) stands for.

    ``"CGCS2000_3_Degree_GK_CM_120E"`` becomes EPSG:4549, ``"CGCS2000_3_Degree_GK_Zone_40"``
    EPSG:4528, ``"GCS_China_Geodetic_Coordinate_System_2000"`` EPSG:4490. When the EPSG
    matcher finds no code (datum spelled ``"D_CGCS2000"`` and the like), a CGCS2000 name on
    the CGCS2000 ellipsoid decides. A CRS that matches no EPSG code is returned unchanged;
    ``None`` stays ``None``.
    """
    if crs is None:
        return None
    parsed = pyproj.CRS.from_user_input(crs)
    code = parsed.to_epsg(min_confidence=70) or _code_from_name(parsed)
    if code is None:
        return parsed
    return _crs(f"EPSG:{code}")


def crs_label(crs: Any) -> str:
    """Return ``"EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)"`` for messages."""
    parsed = pyproj.CRS.from_user_input(crs)
    code = parsed.to_epsg()
    return f"EPSG:{code} ({parsed.name})" if code else parsed.name


@dataclass(frozen=True)
class CRSCandidate:
    """One CRS the coordinates of a layer could be in, and why.

    Attributes
    ----------
    crs
        ``"EPSG:4528"`` and so on: ready to pass as ``crs=``.
    name
        The CRS's name in the EPSG registry.
    lon, lat
        Where the centre of the data lands when read in this CRS (degrees).
    distance_km
        Distance from there to the expected area (0 when inside it).
    reason
        One sentence for a planner.
    """

    crs: str
    name: str
    lon: float
    lat: float
    distance_km: float
    reason: str

    def describe(self) -> str:
        """Return e.g. ``"EPSG:4549 (CGCS2000 / …), which puts the data at …"``."""
        return f"{self.crs} ({self.name}), which {self.reason}"


def _candidate_codes(x: float, y: float) -> list[int]:
    if abs(x) <= 180 and abs(y) <= 90:
        return [4326, 4490]
    codes: list[int] = []
    prefix = int(x // 1_000_000)
    if 25 <= prefix <= 45:
        codes.append(_GK3_ZONE_FIRST + prefix - 25)
    if 13 <= prefix <= 23:
        codes.append(_GK6_ZONE_FIRST + prefix - 13)
    if 0 < x < 1_000_000:
        codes.extend(range(_GK3_CM_FIRST, _GK3_CM_FIRST + 21))
        codes.extend(range(_GK6_CM_FIRST, _GK6_CM_FIRST + 11))
    if abs(x) <= 20_037_509 and abs(y) <= 20_048_967:
        codes.append(3857)
    return codes


def _distance_km(lon: float, lat: float, bounds: tuple[float, float, float, float]) -> float:
    west, south, east, north = bounds
    near_lon = min(max(lon, west), east)
    near_lat = min(max(lat, south), north)
    if (near_lon, near_lat) == (lon, lat):
        return 0.0
    _, _, dist = pyproj.Geod(ellps="WGS84").inv(lon, lat, near_lon, near_lat)
    return float(dist) / 1000.0


def guess_crs(
    x: ArrayLike,
    y: ArrayLike,
    *,
    near: tuple[float, float, float, float] = ZONE_BOUNDS,
    limit: int = 3,
) -> list[CRSCandidate]:
    """Guess which CRS coordinates are in from their magnitudes.

    Each candidate (lon/lat, zone-prefixed Gauss-Kruger from the millions digit of x,
    Gauss-Kruger without prefix for x below 1 000 000, Web Mercator) is tried by
    projecting the centre of the data back to lon/lat. Candidates that put it outside
    the CRS's own area of use are dropped; the rest are ranked by their distance from
    ``near``: for x ≈ 370 000, y ≈ 2 760 000 EPSG:4549 (CM 120°E) lands at 118.7°E in
    the zone, EPSG:4509 (6-degree CM 117°E) 300 km to the west.

    Parameters
    ----------
    x, y
        Coordinates (any shape); non-finite values are ignored.
    near
        Where the data is expected to lie (west, south, east, north), by default
        :data:`ZONE_BOUNDS`.
    limit
        How many candidates to return at most.

    Returns
    -------
    list of CRSCandidate
        Best first; empty when nothing fits.

    Examples
    --------
    >>> [c.crs for c in guess_crs([40_524_000], [2_760_000])][:1]
    ['EPSG:4528']
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return []
    cx = float((xs[ok].min() + xs[ok].max()) / 2.0)
    cy = float((ys[ok].min() + ys[ok].max()) / 2.0)
    found: list[CRSCandidate] = []
    for code in _candidate_codes(cx, cy):
        crs = _crs(f"EPSG:{code}")
        if crs.is_geographic:
            lon, lat = cx, cy
        else:
            lon, lat = _to_lonlat(f"EPSG:{code}").transform(cx, cy)
        if not (np.isfinite(lon) and np.isfinite(lat)) or not _in_area_of_use(crs, lon, lat):
            continue
        dist = _distance_km(lon, lat, near)
        where = (
            "inside the expected area" if dist == 0 else f"{dist:,.0f} km from the expected area"
        )
        reason = f"puts the data at {lon:.3f}°E {lat:.3f}°N, {where}"
        found.append(CRSCandidate(f"EPSG:{code}", crs.name, lon, lat, dist, reason))
    found.sort(key=lambda c: (c.distance_km, c.crs != "EPSG:4326"))
    return found[:limit]


def _in_area_of_use(crs: pyproj.CRS, lon: float, lat: float, margin: float = 0.0) -> bool:
    area = crs.area_of_use
    if area is None:
        return bool(-180 <= lon <= 180 and -90 <= lat <= 90)
    return bool(
        area.west - margin <= lon <= area.east + margin
        and area.south - margin <= lat <= area.north + margin
    )


def _swapped_axes_hint(x: ArrayLike, y: ArrayLike) -> str | None:
    """Say so when x and y hold latitude and longitude the wrong way round.

    Data written latitude first (EPSG:4326 and EPSG:4490 list latitude first, and some
    tools export in that order) reads as x ≈ 25, y ≈ 118: outside every CRS, inside China
    once swapped. Returns the sentence for the message, or None.
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return None
    lat, lon = xs[ok], ys[ok]
    if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):
        return None
    if _in_china(xs[ok], ys[ok]).all() or not _in_china(lon, lat).all():
        return None
    cx, cy = float((lon.min() + lon.max()) / 2.0), float((lat.min() + lat.max()) / 2.0)
    return (
        f"x and y look swapped: x ({lat.min():.2f}…{lat.max():.2f}) reads as latitude and y "
        f"({lon.min():.2f}…{lon.max():.2f}) as longitude, which puts the data at "
        f"{cx:.3f}°E {cy:.3f}°N; write longitude as x and latitude as y (QGIS: Processing › "
        "Swap X and Y coordinates) and read the layer again"
    )


def missing_crs_message(name: str, x: ArrayLike | None = None, y: ArrayLike | None = None) -> str:
    """Return the standard message for a layer without CRS, with a guess when possible.

    ``name`` is how the planner knows the layer: a kind (``greenways``) or a file path.
    """
    message = f"layer `{name}` has no CRS; pass `crs=` or add a .prj"
    if x is None or y is None:
        return message
    if swapped := _swapped_axes_hint(x, y):
        return f"{message}. The {swapped}"
    candidates = guess_crs(x, y)
    if not candidates:
        return message
    best = candidates[0]
    others = "; ".join(c.describe() for c in candidates[1:])
    message += f'. The coordinates look like {best.describe()}: pass crs="{best.crs}"'
    if others:
        message += f" (other possibilities: {others})"
    return message


def ensure_crs(gdf: Any, *, name: str | None = None) -> pyproj.CRS:
    """Return the CRS of a layer, or raise the standard "has no CRS" message.

    Parameters
    ----------
    gdf
        A GeoDataFrame or GeoSeries.
    name
        The layer's name for the message, e.g. ``"greenways"``.

    Raises
    ------
    CRSError
        "layer `greenways` has no CRS; pass `crs=` or add a .prj", followed by the CRS
        the coordinates most likely are in.
    """
    if gdf.crs is not None:
        return pyproj.CRS.from_user_input(gdf.crs)
    coords = shapely.get_coordinates(
        np.asarray(gdf.geometry.array if hasattr(gdf, "geometry") else gdf)
    )
    raise CRSError(missing_crs_message(name or "(unnamed)", coords[:, 0], coords[:, 1]))


def check_crs(gdf: Any, *, name: str | None = None, margin_deg: float = 3.0) -> pyproj.CRS:
    """Check that a layer's declared CRS can be right for its coordinates.

    The data's bounds are projected back to lon/lat; if they fall more than
    ``margin_deg`` degrees outside the CRS's area of use (e.g. zone-prefixed EPSG:4528
    coordinates declared as EPSG:4549 land tens of thousands of km away) a
    :class:`~geoplan.CRSError` names the layer, where the data lands, and the CRSs that
    would fit. Empty layers pass.

    Returns
    -------
    pyproj.CRS
        The layer's CRS.
    """
    crs = ensure_crs(gdf, name=name)
    bounds = np.asarray(gdf.total_bounds, dtype=np.float64)
    if not np.isfinite(bounds).all():
        return crs
    xs = bounds[[0, 2, 0, 2]]
    ys = bounds[[1, 1, 3, 3]]
    if crs.is_geographic:
        lon, lat = xs, ys
    else:
        try:
            lon, lat = _to_lonlat(crs.to_wkt()).transform(xs, ys)
        except pyproj.exceptions.ProjError:
            lon = lat = np.full(4, np.inf)
    lon = np.asarray(lon)
    lat = np.asarray(lat)
    finite = np.isfinite(lon).all() and np.isfinite(lat).all()
    plausible = finite and all(
        _in_area_of_use(crs, float(a), float(b), margin_deg) for a, b in zip(lon, lat, strict=True)
    )
    if not crs.is_geographic and finite:
        plausible = plausible and bool(np.all(np.abs(lat) <= 90))
    if plausible:
        return crs
    label = f"layer `{name}`" if name else "the layer"
    strays = _strays_of_plausible_bulk(gdf, crs, margin_deg)
    if strays is not None:
        # the bulk of the layer fits its CRS: the few features that do not are named by
        # the layer check (geoplan.check_layers), not blamed on the whole layer's CRS
        logger.warning(
            "%s: %d of %d features lie far outside the area of use of %s; "
            "`geoplan layers check` names them",
            label,
            strays,
            len(gdf),
            crs_label(crs),
        )
        return crs
    where = (
        f"land at {np.nanmin(lon):.2f}…{np.nanmax(lon):.2f}°E, "
        f"{np.nanmin(lat):.2f}…{np.nanmax(lat):.2f}°N"
        if finite
        else "cannot be projected back to lon/lat"
    )
    area = crs.area_of_use
    area_text = f" ({area.name})" if area is not None else ""
    message = (
        f"{label} declares {crs_label(crs)} but its coordinates "
        f"(x {bounds[0]:,.0f}…{bounds[2]:,.0f}, y {bounds[1]:,.0f}…{bounds[3]:,.0f}) "
        f"{where}, far outside that CRS's area of use{area_text}"
    )
    candidates = guess_crs(xs, ys)
    if swapped := _swapped_axes_hint(xs, ys):
        message += f". The {swapped}"
    elif candidates:
        message += (
            f". They look like {candidates[0].describe()}: fix the .prj, or pass "
            f'crs="{candidates[0].crs}", allow_override=True'
        )
    else:
        message += "; fix the .prj or the coordinates"
    raise CRSError(message)


def _strays_of_plausible_bulk(gdf: Any, crs: pyproj.CRS, margin_deg: float) -> int | None:
    """How many features fall outside the CRS when the median feature fits it, else None."""
    arr = np.asarray(gdf.geometry.array if hasattr(gdf, "geometry") else gdf, dtype=object)
    if len(arr) < 3:
        return None
    b = shapely.bounds(arr)
    ok = np.isfinite(b).all(axis=1)
    if ok.sum() < 3:
        return None
    cx, cy = (b[ok, 0] + b[ok, 2]) / 2, (b[ok, 1] + b[ok, 3]) / 2
    if not crs.is_geographic:
        try:
            lon, lat = _to_lonlat(crs.to_wkt()).transform(cx, cy)
        except pyproj.exceptions.ProjError:
            return None
        cx, cy = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    area = crs.area_of_use
    west, south, east, north = (
        (area.west, area.south, area.east, area.north) if area else (-180, -90, 180, 90)
    )
    m = margin_deg
    with np.errstate(invalid="ignore"):
        fits = (
            np.isfinite(cx)
            & np.isfinite(cy)
            & (np.abs(cy) <= 90)
            & (cx >= west - m)
            & (cx <= east + m)
            & (cy >= south - m)
            & (cy <= north + m)
        )
    if fits.sum() <= len(fits) / 2:
        return None
    return int((~fits).sum() + (~ok).sum())


def parse_datum_name(crs: Any) -> str | None:
    """Return ``"GCJ-02"`` / ``"BD-09"`` when ``crs`` names one of those datums, else None."""
    if not isinstance(crs, str):
        return None
    key = crs.strip().lower()
    if key in GCJ02_NAMES:
        return "GCJ-02"
    if key in BD09_NAMES:
        return "BD-09"
    return None


def zone_prefixed_epsg(x: ArrayLike) -> int | None:
    """Return the CGCS2000 Gauss-Kruger EPSG code that zone-prefixed eastings name.

    Survey tables often write the easting with the zone number in front: 40 524 000 is
    524 000 m in 3-degree zone 40 (EPSG:4528). Zones 25–45 are 3-degree zones, 13–23
    6-degree zones (China lies in 6-degree zones 13–23 and 3-degree zones 25–45, so the
    two ranges do not overlap). All finite values must carry the same prefix and a
    plausible easting (100–900 km) after it; otherwise ``None``.

    Examples
    --------
    >>> zone_prefixed_epsg([40_524_000.0, 40_530_000.0])
    4528
    >>> zone_prefixed_epsg([524_000.0]) is None
    True
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    xs = xs[np.isfinite(xs)]
    if xs.size == 0:
        return None
    prefix = np.floor(xs / 1_000_000).astype(np.int64)
    rest = xs - prefix * 1_000_000
    if np.unique(prefix).size != 1 or not ((rest > 100_000) & (rest < 900_000)).all():
        return None
    return _gk3_zone(int(prefix[0])) or _gk6_zone(int(prefix[0]))
