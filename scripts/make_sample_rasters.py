"""Write the bundled sample rasters: ``layers/landcover.tif`` and ``layers/dem.tif``.

Both are ILLUSTRATIVE, generated deterministically from the sample layers (or, before
they exist, from the zone's bounding box 118.64–118.88°E, 24.85–25.03°N). They are not
survey data: they exist so that green-cover and low-lying-land figures, and the raster
overlay, can be demonstrated and tested offline. See ``layers/RASTERS.md``.

- ``dem.tif``: float32 heights in metres above mean sea level, 30 m cells, CGCS2000
  Gauss-Kruger CM 120°E (EPSG:4549). Land rises from about 1.5 m at the shore by 2.5 m per
  km inland, plus hills of up to ~90 m; the sea floor falls from -1 m.
- ``landcover.tif``: uint8 classes (:data:`geoplan.raster.LANDCOVER_CLASSES`), 10 m
  cells on the same grid: 1 water (the sea and bay), 2 built-up (residential land,
  communities and projects when the layers are given), 3 green (parks, 30 m either side of
  greenways, wooded hills above 30 m), 4 farmland (the rest of the zone's land); 0 is
  nodata (land outside the towns, when towns are given).

Run ``python scripts/make_sample_rasters.py [OUT_DIR]`` (default: the repository's
``layers/``). The layers engineer's ``scripts/make_sample_layers.py`` can call
:func:`make_sample_rasters` directly with the towns it has just drawn.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio import features
from rasterio.transform import from_origin

logger = logging.getLogger("geoplan.scripts.make_sample_rasters")

GRID_CRS = "EPSG:4549"
DEFAULT_BOUNDS = (118.64, 24.85, 118.88, 25.03)
#: An illustrative shoreline (lon, lat), land to its north, used when no towns are given.
DEFAULT_SHORE = [
    (118.60, 24.94),
    (118.66, 24.93),
    (118.72, 24.90),
    (118.78, 24.885),
    (118.84, 24.90),
    (118.87, 24.93),
    (118.92, 24.96),
]
#: Hill centres (lon, lat, height m, radius m): illustrative, two in the north, a knoll in 百崎.
HILLS = [
    (118.735, 25.02, 90.0, 1500.0),
    (118.83, 25.015, 80.0, 1500.0),
    (118.80, 24.925, 40.0, 900.0),
]
#: Town centres (lon, lat, radius m) for built-up land when no layers are given.
SETTLEMENTS = [
    (118.67, 24.95, 1800.0),
    (118.75, 24.93, 2200.0),
    (118.81, 24.925, 1500.0),
    (118.85, 24.95, 1200.0),
]
#: With towns, land outside them south of this latitude is water (estuary and bay).
WATER_NORTH_LAT = 25.0
DEM_RES = 30.0
LANDCOVER_RES = 10.0
DEM_NODATA = -9999.0
SHORE_LEVEL_M = 1.5
SLOPE_M_PER_KM = 2.5
GREENWAY_HALF_WIDTH_M = 30.0
HILL_FOREST_M = 30.0


def _grid(bounds_4549: tuple[float, float, float, float]) -> tuple[float, float, int, int]:
    """Snap bounds outward to whole DEM cells: (west, north, cols, rows) at DEM_RES."""
    xmin, ymin, xmax, ymax = bounds_4549
    west = np.floor(xmin / DEM_RES) * DEM_RES
    north = np.ceil(ymax / DEM_RES) * DEM_RES
    cols = int(np.ceil((xmax - west) / DEM_RES))
    rows = int(np.ceil((north - ymin) / DEM_RES))
    return float(west), float(north), cols, rows


def _sea_and_zone(
    towns: gpd.GeoDataFrame | None, grid: shapely.Geometry
) -> tuple[shapely.Geometry, shapely.Geometry]:
    """(sea, zone land) in EPSG:4549, clipped to the grid.

    With towns: the zone is their union, and the water is everything around it south of
    :data:`WATER_NORTH_LAT` (the 洛阳江 estuary to the west, Quanzhou Bay to the south and
    east); north of that the zone borders land (nodata). Without towns: the sea is south
    of the illustrative :data:`DEFAULT_SHORE` and the zone is the rest of the grid.
    """
    if towns is not None and len(towns):
        zone = shapely.union_all(towns.to_crs(GRID_CRS).geometry.make_valid().to_numpy())
        zone = shapely.intersection(zone, grid)
        # Densified so that the parallel stays a parallel once projected.
        south = shapely.segmentize(shapely.box(118.0, 24.0, 119.5, WATER_NORTH_LAT), 0.01)
        water = gpd.GeoSeries([south], crs="EPSG:4326").to_crs(GRID_CRS).iloc[0]
        return shapely.intersection(shapely.difference(grid, zone), water), zone
    south = DEFAULT_BOUNDS[1] - 0.1
    ring = [*DEFAULT_SHORE, (DEFAULT_SHORE[-1][0], south), (DEFAULT_SHORE[0][0], south)]
    sea = gpd.GeoSeries([shapely.Polygon(ring)], crs="EPSG:4326").to_crs(GRID_CRS).iloc[0]
    sea = shapely.intersection(sea, grid)
    return sea, shapely.difference(grid, sea)


def _centres(transform: Any, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    x = transform.c + (np.arange(cols) + 0.5) * transform.a
    y = transform.f + (np.arange(rows) + 0.5) * transform.e
    return np.meshgrid(x, y)


def _project(points: list[tuple[float, ...]]) -> np.ndarray:
    xy = gpd.GeoSeries(gpd.points_from_xy([p[0] for p in points], [p[1] for p in points]))
    out = xy.set_crs("EPSG:4326").to_crs(GRID_CRS)
    return np.column_stack([out.x.to_numpy(), out.y.to_numpy()])


def _dem(
    sea: shapely.Geometry, land: shapely.Geometry, transform: Any, rows: int, cols: int
) -> np.ndarray:
    """Heights: rising inland from the sea (distance to it) plus hills; depth offshore."""
    xx, yy = _centres(transform, rows, cols)
    in_sea = features.geometry_mask([sea], (rows, cols), transform, invert=True)
    pts = shapely.points(xx.ravel(), yy.ravel())
    inland = shapely.distance(pts, sea).reshape(rows, cols)
    height = SHORE_LEVEL_M + SLOPE_M_PER_KM * inland / 1000.0
    for (hx, hy), (_, _, top, radius) in zip(_project(HILLS), HILLS, strict=True):
        height += top * np.exp(-((xx - hx) ** 2 + (yy - hy) ** 2) / (2 * radius**2))
    # A gentle deterministic undulation so that low-lying pockets exist inland.
    height += 1.5 * np.sin(xx / 900.0) * np.cos(yy / 1100.0)
    offshore = shapely.distance(pts, land).reshape(rows, cols)
    depth = np.maximum(-1.0 - offshore / 400.0, -15.0)
    dem = np.where(in_sea, depth, np.maximum(height, 0.2))
    return np.round(dem, 1).astype(np.float32)


def _shapes(layers: Mapping[str, gpd.GeoDataFrame], kinds: tuple[str, ...]) -> list[Any]:
    geoms: list[Any] = []
    for kind in kinds:
        layer = layers.get(kind)
        if layer is not None and len(layer):
            geoms.extend(layer.to_crs(GRID_CRS).geometry.dropna().to_numpy())
    return geoms


def _landcover(
    sea: shapely.Geometry,
    zone: shapely.Geometry,
    dem: np.ndarray,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    transform: Any,
    rows: int,
    cols: int,
) -> np.ndarray:
    """Classes on the 10 m grid; cells neither sea nor zone land are nodata (0)."""
    shape = (rows, cols)
    on_land = features.geometry_mask([zone], shape, transform, invert=True)
    cover = np.zeros(shape, dtype=np.uint8)
    cover[features.geometry_mask([sea], shape, transform, invert=True)] = 1
    cover[on_land] = 4
    if layers:
        built = _shapes(layers, ("residential_land", "communities", "projects"))
        parks = _shapes(layers, ("parks",))
        lines = _shapes(layers, ("greenways",))
        green = parks + list(shapely.buffer(np.asarray(lines), GREENWAY_HALF_WIDTH_M))
    else:
        xx, yy = _centres(transform, rows, cols)
        built_mask = np.zeros(shape, dtype=bool)
        for (sx, sy), (_, _, radius) in zip(_project(SETTLEMENTS), SETTLEMENTS, strict=True):
            wobble = 1 + 0.25 * np.sin(np.arctan2(yy - sy, xx - sx) * 5)
            built_mask |= np.hypot(xx - sx, yy - sy) < radius * wobble
        built, green = [], []
        cover[built_mask & on_land] = 2
    if built:
        cover[features.geometry_mask(built, shape, transform, invert=True) & on_land] = 2
    factor = int(DEM_RES / LANDCOVER_RES)
    hills = np.repeat(np.repeat(dem > HILL_FOREST_M, factor, axis=0), factor, axis=1)
    cover[hills[:rows, :cols] & on_land] = 3
    if green:
        cover[features.geometry_mask(green, shape, transform, invert=True) & on_land] = 3
    return cover


def _write(path: Path, array: np.ndarray, transform: Any, nodata: float, **extra: Any) -> None:
    """Write a tiled, compressed GeoTIFF atomically (temp file in the folder, then rename)."""
    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "crs": GRID_CRS,
        "transform": transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "zlevel": 9,
        **extra,
    }
    fd, tmp = tempfile.mkstemp(suffix=".tif", dir=path.parent)
    os.close(fd)
    try:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(array, 1)
            dst.update_tags(SOURCE="geoplan scripts/make_sample_rasters.py; ILLUSTRATIVE")
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the sample is for everyone to read
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def make_sample_rasters(
    out_dir: str | Path,
    towns_gdf: gpd.GeoDataFrame | None = None,
    *,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
) -> dict[str, Path]:
    """Write ``dem.tif`` and ``landcover.tif`` into ``out_dir``; return their paths.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed).
    towns_gdf
        The sample towns (any CRS): their union is the land, their extent the grid.
        None: the zone's bounding box and an illustrative shoreline.
    layers
        Sample layers by kind (``residential_land``, ``communities``, ``projects``,
        ``parks``, ``greenways``) to draw built-up and green land from; None: built-up
        land around illustrative settlement centres.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if towns_gdf is not None and len(towns_gdf):
        bounds = tuple(towns_gdf.to_crs(GRID_CRS).total_bounds)
    else:
        box = gpd.GeoSeries([shapely.box(*DEFAULT_BOUNDS)], crs="EPSG:4326")
        bounds = tuple(box.to_crs(GRID_CRS).total_bounds)
    west, north, cols, rows = _grid(bounds)  # type: ignore[arg-type]
    grid = shapely.box(west, north - rows * DEM_RES, west + cols * DEM_RES, north)
    sea, zone = _sea_and_zone(towns_gdf, grid)
    dem_t = from_origin(west, north, DEM_RES, DEM_RES)
    dem = _dem(sea, shapely.difference(grid, sea), dem_t, rows, cols)
    factor = int(DEM_RES / LANDCOVER_RES)
    lc_t = from_origin(west, north, LANDCOVER_RES, LANDCOVER_RES)
    cover = _landcover(sea, zone, dem, layers, lc_t, rows * factor, cols * factor)
    paths = {"dem": out / "dem.tif", "landcover": out / "landcover.tif"}
    _write(paths["dem"], dem, dem_t, DEM_NODATA, predictor=3)
    _write(paths["landcover"], cover, lc_t, 0, predictor=2)
    for path in paths.values():
        logger.info("wrote %s (%d bytes)", path, path.stat().st_size)
    return paths


def _sample_layers(folder: Path) -> dict[str, gpd.GeoDataFrame]:
    gpkg = folder / "taishang_sample.gpkg"
    if not gpkg.exists():
        return {}
    import pyogrio

    names = {row[0] for row in pyogrio.list_layers(gpkg)}
    kinds = ("towns", "residential_land", "communities", "projects", "parks", "greenways")
    return {k: gpd.read_file(gpkg, layer=k) for k in kinds if k in names}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    bundled = Path(__file__).resolve().parents[1] / "layers"
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else bundled
    sample = _sample_layers(bundled)
    make_sample_rasters(target, sample.get("towns"), layers=sample or None)
