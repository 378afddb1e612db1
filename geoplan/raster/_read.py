"""Raster layers: land cover, DEMs and imagery, summarised by zone and drawn on maps.

:func:`read_raster` opens a GeoTIFF (any GDAL raster) and checks its CRS with the same
rules as vector layers: a raster without a CRS is refused with a guess from its coordinate
magnitudes. :func:`class_shares` (e.g. green cover per town) and :func:`zonal_stats`
(mean/min/max/percentiles of a DEM per district) summarise it for any polygon layer; the
polygons are reprojected to the raster's CRS, never the raster to theirs, so no cell is
resampled. :func:`geoplan.maps.raster_overlay` renders a classified raster as a colour image for
:func:`geoplan.make_map`.

Partial cells
-------------
A zone boundary cuts through cells. ``method=`` chooses how such cells count:

``"exact"`` (default)
    each cell weighs the fraction of its area inside the zone (exact coverage fractions,
    as in exactextract). Shares and means are correct to floating-point precision
    whatever the cell size.
``"centre"``
    a cell counts fully when its centre is inside, otherwise not at all (GDAL's
    rasterisation; rasterstats' default).
``"all_touched"``
    every cell the zone touches counts fully (rasterstats' ``all_touched=True``); it
    over-weights the classes along the boundary.

On the 4 x 4 grid of 10 m cells in ``tests/test_raster.py`` a 25 m x 31.5 m zone's green
share, computed by hand from the cell fractions, is 2.45 / 7.3125 = 0.3350. ``exact``
gives 0.3350 (so does exactextract); ``centre`` gives 0.25 and ``all_touched`` 0.3636 (so
does rasterstats with the same rule). The counting rules' errors shrink with finer cells
but stay large for thin zones: a 60 m greenway corridor on 10 m cells has about a third of
its cells on its boundary.

Large rasters are read in windows aligned to their internal blocks (see
:mod:`geoplan.raster._zonal`), so a 20 000 x 20 000 raster is summarised without loading it:
``scripts/bench_raster.py`` measures it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from .._errors import CRSError, DataReadError, RasterError, missing_dependency
from ._zonal import METHODS, ZoneAccumulator, cell_weights, chunk_windows

if TYPE_CHECKING:
    import geopandas as gpd
    from affine import Affine
    from rasterio.crs import CRS
    from rasterio.io import DatasetReader

logger = logging.getLogger(__name__)

#: The land-cover classes of the bundled sample raster (``layers/landcover.tif``):
#: value -> (label, colour). Pass your own mapping to :func:`class_shares` and
#: :func:`raster_overlay` for other classifications.
LANDCOVER_CLASSES: dict[int, tuple[str, str]] = {
    1: ("水体 water", "#3a7bd5"),
    2: ("建设用地 built-up", "#c8553d"),
    3: ("绿地 green", "#2e8b57"),
    4: ("耕地 farmland", "#e9c46a"),
}

#: Land-cover values counted as green (绿化覆盖) in the sample classification.
GREEN_CLASSES: tuple[int, ...] = (3,)

#: Land-cover values that are water, left out of the land area of a zone.
WATER_CLASSES: tuple[int, ...] = (1,)

STAT_NAMES: tuple[str, ...] = ("count", "sum", "mean", "min", "max", "std")

#: GDAL block cache while zonal statistics stream a raster (bytes).
GDAL_CACHE_BYTES = 64 * 2**20


def _rasterio() -> Any:
    try:
        import rasterio
    except ImportError:
        raise missing_dependency("rasterio", "raster", "read rasters") from None
    return rasterio


@dataclass(frozen=True)
class Raster:
    """A raster file checked by :func:`read_raster`; its cells stay on disk.

    Attributes
    ----------
    path
        The file.
    crs
        Its CRS (from the file, or the ``crs=`` given for a file without one).
    transform
        Affine transform from (col, row) to CRS coordinates; north-up.
    width, height, count
        Columns, rows and bands.
    dtype
        Cell type of band 1, e.g. ``"uint8"``, ``"float32"``.
    nodata
        The value marking missing cells, or None.
    block_shape
        ``(rows, cols)`` of the file's internal blocks; reads are aligned to them.
    """

    path: Path
    crs: CRS
    transform: Affine
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None
    block_shape: tuple[int, int]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` in the raster's CRS."""
        t = self.transform
        x0, x1 = t.c, t.c + t.a * self.width
        y0, y1 = t.f, t.f + t.e * self.height
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @property
    def res(self) -> tuple[float, float]:
        """Cell size ``(x, y)`` in CRS units."""
        return (abs(self.transform.a), abs(self.transform.e))

    def open(self) -> DatasetReader:
        """Open the file with rasterio (use as a context manager)."""
        return _open(self.path)

    def read(self, band: int = 1) -> np.ma.MaskedArray:
        """Read one whole band as a masked array (nodata and NaN masked).

        Only for rasters that fit in memory; zonal functions read in blocks instead.
        """
        with self.open() as src:
            data = _read_checked(src, self.path, band, None)
            valid = _valid(src, data, band, None, self.nodata)
        return np.ma.MaskedArray(data, mask=~valid)


def _open(path: Path) -> DatasetReader:
    rasterio = _rasterio()
    try:
        with warnings.catch_warnings():
            # read_raster checks the georeferencing itself and says how to fix it.
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise RasterError(
            f"raster {str(path)!r} cannot be read as a raster ({exc}); the file is corrupt, "
            "truncated or not a raster: re-export it as GeoTIFF (gdal_translate -of GTiff)"
        ) from None


def read_raster(
    path: str | Path,
    *,
    crs: Any = None,
    nodata: float | None = None,
) -> Raster:
    """Open a raster file and check its CRS, georeferencing and nodata.

    Parameters
    ----------
    path
        A GeoTIFF or any raster GDAL reads.
    crs
        CRS to assume when the file has none (anything pyproj understands, e.g.
        ``"EPSG:4549"``). A file that declares a CRS keeps it; a conflicting ``crs=`` is an
        error, because assigning a CRS does not move cells (reproject with gdalwarp).
    nodata
        Value marking missing cells when the file declares none.

    Returns
    -------
    Raster
        The checked description; cells are read later, in blocks, by the functions that
        need them.

    Raises
    ------
    DataReadError
        The file does not exist.
    RasterError
        The file is not a readable raster, is rotated or has no georeferencing.
    CRSError
        The raster has no CRS and none was given (the message suggests one from its
        coordinates), or ``crs=`` contradicts the file's.

    Examples
    --------
    >>> from geoplan.datasets import data_path
    >>> dem = read_raster(data_path("dem.tif"))
    >>> dem.crs.to_epsg(), dem.res
    (4549, (30.0, 30.0))
    """
    rasterio = _rasterio()
    path = Path(path)
    if not path.exists():
        raise DataReadError(f"raster {str(path)!r} does not exist; check the path")
    with _open(path) as src:
        transform = src.transform
        if src.transform.is_identity and not src.gcps[0]:
            raise RasterError(
                f"raster {str(path)!r} has no georeferencing (no geotransform); "
                "georeference it (gdal_translate -a_ullr ... -a_srs ...)"
            )
        if transform.b != 0 or transform.d != 0:
            raise RasterError(
                f"raster {str(path)!r} is rotated or sheared; warp it north-up first "
                "(gdalwarp -t_srs <its CRS>)"
            )
        file_crs = src.crs
        block_shape = src.block_shapes[0]
        info = dict(
            width=src.width,
            height=src.height,
            count=src.count,
            dtype=src.dtypes[0],
            nodata=src.nodata,
        )
    try:
        given = rasterio.crs.CRS.from_user_input(crs) if crs is not None else None
    except rasterio.errors.CRSError:
        raise CRSError(
            f"crs={crs!r} given for raster {str(path)!r} is not a CRS; write it as "
            '"EPSG:4549" (CGCS2000 Gauss-Kruger CM 120°E) or another EPSG code'
        ) from None
    if file_crs is None:
        if given is None:
            raise CRSError(_no_crs_message(path, transform, info["width"], info["height"]))
        file_crs = given
    elif given is not None and not _same_crs(given, file_crs):
        raise CRSError(
            f"raster {str(path)!r} declares CRS {file_crs.to_string()} but crs={crs!r} was "
            "given; drop crs= (it only fills a missing CRS) or reproject the file with "
            f"gdalwarp -t_srs {crs}"
        )
    _check_plausible(path, file_crs, transform, info["width"], info["height"])
    if info["nodata"] is None and nodata is not None:
        info["nodata"] = float(nodata)
    return Raster(path=path, crs=file_crs, transform=transform, block_shape=block_shape, **info)


def _same_crs(a: CRS, b: CRS) -> bool:
    code = a.to_epsg()
    return bool(a == b or (code is not None and code == b.to_epsg()))


def _check_plausible(path: Path, crs: CRS, transform: Affine, width: int, height: int) -> None:
    """The vector rule: a declared CRS must put the cells where that CRS is used."""
    import geopandas as gpd
    import shapely

    from ..crs import check_crs

    x0, y0 = transform.c, transform.f
    x1, y1 = x0 + transform.a * width, y0 + transform.e * height
    extent = gpd.GeoSeries([shapely.box(x0, y0, x1, y1)], crs=crs.to_wkt())
    try:
        check_crs(extent, name=f"raster {str(path)!r}")
    except CRSError as exc:
        raise CRSError(
            f"{exc} (for a raster, fix the file with `gdal_edit.py -a_srs EPSG:<code> "
            f"{path.name}`, or reproject the source data)"
        ) from None


def _no_crs_message(path: Path, transform: Affine, width: int, height: int) -> str:
    from ..crs import missing_crs_message

    xs = [transform.c, transform.c + transform.a * width]
    ys = [transform.f, transform.f + transform.e * height]
    # The vector rule and message (with the CRS guessed from the coordinates), plus the
    # raster way to fix the file once.
    return (
        missing_crs_message(f"raster {str(path)!r}", xs, ys)
        + f"; to fix the file itself run `gdal_edit.py -a_srs EPSG:<code> {path.name}`"
    )


def _as_raster(raster: Raster | str | Path) -> Raster:
    return raster if isinstance(raster, Raster) else read_raster(raster)


def _read_checked(src: DatasetReader, path: Path, band: int, window: Any) -> np.ndarray:
    rasterio = _rasterio()
    if not 1 <= band <= src.count:
        raise RasterError(
            f"raster {str(path)!r} has {src.count} band(s); band={band} does not exist"
        )
    try:
        return src.read(band, window=window)
    except rasterio.errors.RasterioIOError as exc:
        raise RasterError(
            f"raster {str(path)!r} is corrupt: reading its cells failed ({exc}); "
            "re-export or re-download the file"
        ) from None


def _valid(
    src: DatasetReader, data: np.ndarray, band: int, window: Any, nodata: float | None
) -> np.ndarray:
    from rasterio.enums import MaskFlags

    valid = np.ones(data.shape, dtype=bool)
    if nodata is not None:
        valid &= ~np.isnan(data) if np.isnan(nodata) else data != nodata
    if np.issubdtype(data.dtype, np.floating):
        valid &= ~np.isnan(data)
    flags = src.mask_flag_enums[band - 1]
    if MaskFlags.per_dataset in flags and MaskFlags.nodata not in flags:
        valid &= src.read_masks(band, window=window) != 0
    return valid


def _zones_in(raster: Raster, zones: Any, name: str) -> gpd.GeoSeries:
    """The zone polygons reprojected to the raster's CRS (never the raster to theirs)."""
    import geopandas as gpd

    geoms = zones.geometry if isinstance(zones, gpd.GeoDataFrame) else zones
    if not isinstance(geoms, gpd.GeoSeries):
        raise RasterError(
            f"zone layer `{name}` must be a GeoDataFrame or GeoSeries of polygons, "
            f"not {type(zones).__name__}"
        )
    from ..crs import check_crs

    check_crs(geoms, name=name)
    kinds = set(geoms.dropna().geom_type) - {"Polygon", "MultiPolygon"}
    if kinds:
        raise RasterError(
            f"zone layer `{name}` holds {sorted(kinds)} geometries; zonal statistics need "
            "polygons (buffer lines or points first)"
        )
    out = geoms.to_crs(raster.crs)
    bad = ~out.is_valid & out.notna()
    if bad.any():
        logger.info("zone layer %s: repairing %d invalid polygon(s)", name, int(bad.sum()))
        out = out.make_valid()
    return out


def _outside_message(raster: Raster, zones: Any, geoms: gpd.GeoSeries, name: str) -> str:
    from rasterio.warp import transform_bounds

    def fmt(b: Iterable[float]) -> str:
        return "(" + ", ".join(f"{v:.6g}" for v in b) + ")"

    own = zones.total_bounds if hasattr(zones, "total_bounds") else geoms.total_bounds
    zone_ll = transform_bounds(raster.crs, "EPSG:4326", *geoms.total_bounds)
    raster_ll = transform_bounds(raster.crs, "EPSG:4326", *raster.bounds)
    return (
        f"zone layer `{name}` does not overlap raster {str(raster.path)!r}: the zones span "
        f"{fmt(own)} in {zones.crs.to_string()} = lon/lat {fmt(zone_ll)}, the raster "
        f"{fmt(raster.bounds)} in {raster.crs.to_string()} = lon/lat {fmt(raster_ll)}; "
        "check that both CRSs are declared correctly (a wrong .prj moves the zones) and "
        "that the raster covers the zone"
    )


def _accumulate(
    raster: Raster,
    zones: Any,
    *,
    band: int,
    method: str,
    name: str,
    categorical: bool,
    percentiles: Sequence[float] = (),
    below: float | None = None,
    chunk: int | None = None,
) -> tuple[list[ZoneAccumulator], gpd.GeoSeries]:
    """Stream the raster chunk by chunk and accumulate every zone's covered cells."""
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    if method not in METHODS:
        raise RasterError(f"method={method!r} is unknown; choose one of {', '.join(METHODS)}")
    geoms = _zones_in(raster, zones, name)
    integer = np.issubdtype(np.dtype(raster.dtype), np.integer)
    labels = [f"zone {i!r} of layer `{name}`" for i in geoms.index]
    accs = [
        ZoneAccumulator(
            categorical=categorical,
            label=label,
            keep_values=bool(percentiles) and not integer,
            count_values=bool(percentiles) and integer,
            below=below,
        )
        for label in labels
    ]
    xmin, ymin, xmax, ymax = raster.bounds
    boxes = geoms.bounds.to_numpy()
    overlaps = (
        geoms.notna().to_numpy()
        & ~geoms.is_empty.to_numpy()
        & (boxes[:, 0] < xmax)
        & (boxes[:, 2] > xmin)
        & (boxes[:, 1] < ymax)
        & (boxes[:, 3] > ymin)
    )
    if not overlaps.any():
        raise RasterError(_outside_message(raster, zones, geoms, name))
    if not overlaps.all():
        logger.warning(
            "zone layer %s: %d zone(s) lie outside raster %s and get no statistics",
            name,
            int((~overlaps).sum()),
            raster.path,
        )
    # Zone windows as (row0, col0, row1, col1) cell spans, clipped to the raster.
    t = raster.transform
    with np.errstate(invalid="ignore"):
        cols = np.sort((boxes[:, [0, 2]] - t.c) / t.a, axis=1)
        rows = np.sort((boxes[:, [1, 3]] - t.f) / t.e, axis=1)
        spans = np.column_stack(
            [np.floor(rows[:, 0]), np.floor(cols[:, 0]), np.ceil(rows[:, 1]), np.ceil(cols[:, 1])]
        )
    spans = np.nan_to_num(spans)
    spans[:, [0, 2]] = spans[:, [0, 2]].clip(0, raster.height)
    spans[:, [1, 3]] = spans[:, [1, 3]].clip(0, raster.width)
    spans = spans.astype(np.int64)
    live = np.flatnonzero(overlaps & (spans[:, 2] > spans[:, 0]) & (spans[:, 3] > spans[:, 1]))
    if live.size == 0:
        raise RasterError(_outside_message(raster, zones, geoms, name))
    r0, c0 = spans[live, 0].min(), spans[live, 1].min()
    r1, c1 = spans[live, 2].max(), spans[live, 3].max()
    union = Window(c0, r0, c1 - c0, r1 - r0)
    chunk_kw = {} if chunk is None else {"chunk": chunk}
    rasterio = _rasterio()
    # Each chunk is read once, so GDAL's block cache (5 % of RAM by default) only grows
    # the process; a small one keeps peak memory to the chunk's arrays.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), raster.open() as src:
        for win in chunk_windows(union, raster.block_shape, **chunk_kw):
            wr0, wc0 = int(win.row_off), int(win.col_off)
            wr1, wc1 = wr0 + int(win.height), wc0 + int(win.width)
            hit = live[
                (spans[live, 0] < wr1)
                & (spans[live, 2] > wr0)
                & (spans[live, 1] < wc1)
                & (spans[live, 3] > wc0)
            ]
            if hit.size == 0:
                continue
            data = _read_checked(src, raster.path, band, win)
            valid = _valid(src, data, band, win, raster.nodata)
            for i in hit:
                sr0, sc0 = max(spans[i, 0], wr0) - wr0, max(spans[i, 1], wc0) - wc0
                sr1, sc1 = min(spans[i, 2], wr1) - wr0, min(spans[i, 3], wc1) - wc0
                sub = Window(wc0 + sc0, wr0 + sr0, sc1 - sc0, sr1 - sr0)
                index, weight = cell_weights(
                    geoms.iloc[i],
                    window_transform(sub, raster.transform),
                    (int(sr1 - sr0), int(sc1 - sc0)),
                    method,
                )
                if index.size:
                    accs[i].add(
                        data[sr0:sr1, sc0:sc1].ravel()[index],
                        valid[sr0:sr1, sc0:sc1].ravel()[index],
                        weight,
                    )
    return accs, geoms


def _coverage(raster: Raster, accs: list[ZoneAccumulator], geoms: gpd.GeoSeries) -> np.ndarray:
    """Share of each zone's area (in the raster CRS) that has valid cells."""
    cell = abs(raster.transform.a * raster.transform.e)
    valid = np.array([a.covered - a.nodata for a in accs])
    # a ratio of two areas in the same raster coordinates, so it holds in degrees too
    # (EPSG:4326 rasters); shapely's planar area, without geopandas' geographic warning
    area = shapely.area(np.asarray(geoms.array))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(area > 0, valid * cell / area, np.nan)


def class_shares(
    raster: Raster | str | Path,
    zones: Any,
    *,
    classes: Mapping[Any, Any] | None = None,
    method: str = "exact",
    band: int = 1,
    name: str = "zones",
    chunk: int | None = None,
) -> pd.DataFrame:
    """Share of each class of a classified raster in each zone (e.g. green cover %).

    Parameters
    ----------
    raster
        A :class:`Raster` or a path.
    zones
        Polygon GeoDataFrame/GeoSeries with a CRS (any; it is reprojected to the raster's).
    classes
        value -> label (or value -> (label, colour), as :data:`LANDCOVER_CLASSES`). Listed
        classes become columns in this order (0.0 when absent); values not listed are
        still counted, under their value. Default: one column per value found.
    method
        ``"exact"`` (coverage fractions, default), ``"centre"`` or ``"all_touched"``; see
        the module notes.
    band
        Band number (1-based).
    name
        Name of the zone layer, used in messages.
    chunk
        Reading chunk side in cells (default 2048), for memory tuning.

    Returns
    -------
    DataFrame
        Indexed like ``zones``: one column per class with its share (0-1) of the zone's
        valid cells, then ``cells`` (valid cells, fractional with ``exact``),
        ``nodata_cells`` and ``coverage`` (valid cell area / zone area: below 1 where the
        zone has nodata or runs past the raster edge; with the counting methods it can
        exceed 1, since whole boundary cells count).

    Examples
    --------
    >>> import geoplan
    >>> from geoplan.datasets import data_path
    >>> towns = geoplan.load_sample()["towns"]
    >>> shares = class_shares(data_path("landcover.tif"), towns, classes=LANDCOVER_CLASSES)
    >>> list(shares.columns[:4])
    ['水体 water', '建设用地 built-up', '绿地 green', '耕地 farmland']
    >>> bool(abs(shares.iloc[:, :4].sum(axis=1) - 1).max() < 1e-9)
    True
    """
    raster = _as_raster(raster)
    accs, geoms = _accumulate(
        raster, zones, band=band, method=method, name=name, categorical=True, chunk=chunk
    )
    found = sorted({k for a in accs for k in a.classes})
    labels: dict[Any, Any] = {}
    for value, label in (classes or {}).items():
        labels[value] = label[0] if isinstance(label, tuple) else label
    for value in found:
        key = int(value) if float(value).is_integer() else value
        labels.setdefault(key, key)
    table = np.zeros((len(accs), len(labels)))
    keys = list(labels)
    for i, acc in enumerate(accs):
        total = sum(acc.classes.values())
        for j, key in enumerate(keys):
            table[i, j] = acc.classes.get(float(key), acc.classes.get(key, 0.0))
        table[i] = table[i] / total if total > 0 else np.nan
    frame = pd.DataFrame(table, index=geoms.index, columns=[labels[k] for k in keys])
    frame["cells"] = [a.covered - a.nodata for a in accs]
    frame["nodata_cells"] = [a.nodata for a in accs]
    frame["coverage"] = _coverage(raster, accs, geoms)
    return frame


def zonal_stats(
    raster: Raster | str | Path,
    zones: Any,
    *,
    stats: Sequence[str] = ("mean", "min", "max"),
    percentiles: Sequence[float] = (),
    method: str = "exact",
    band: int = 1,
    name: str = "zones",
    chunk: int | None = None,
) -> pd.DataFrame:
    """Statistics of a continuous raster (a DEM, a temperature grid) in each zone.

    Parameters
    ----------
    raster
        A :class:`Raster` or a path.
    zones
        Polygon GeoDataFrame/GeoSeries with a CRS (reprojected to the raster's).
    stats
        Any of ``count`` (valid cells, weighted), ``sum``, ``mean``, ``min``, ``max``,
        ``std``; with ``exact`` each cell is weighted by its coverage fraction (``min``
        and ``max`` take every cell the zone covers at all).
    percentiles
        Percentiles in 0-100, e.g. ``(10, 50, 90)``: columns ``p10``... Weighted, inverted
        CDF (the smallest value whose cumulative weight reaches the share). Exact; for
        floating-point rasters a zone may cover at most 20 million cells (about 240 MB
        of values and weights); integer rasters have no limit.
    method, band, name, chunk
        As in :func:`class_shares`.

    Returns
    -------
    DataFrame
        Indexed like ``zones``: the requested statistics, then ``nodata_cells`` and
        ``coverage``. Zones with no valid cells get NaN.

    Examples
    --------
    >>> import geoplan
    >>> towns = geoplan.load_sample()["towns"]
    >>> stats = geoplan.zonal_stats(geoplan.datasets.data_path("dem.tif"), towns)
    >>> list(stats.columns)[:3]
    ['mean', 'min', 'max']
    """
    unknown = [s for s in stats if s not in STAT_NAMES]
    if unknown:
        raise RasterError(f"unknown statistics {unknown}; choose from {', '.join(STAT_NAMES)}")
    qs = tuple(float(q) for q in percentiles)
    if any(not 0 <= q <= 100 for q in qs):
        raise RasterError(f"percentiles={list(percentiles)} must lie between 0 and 100")
    raster = _as_raster(raster)
    accs, geoms = _accumulate(
        raster,
        zones,
        band=band,
        method=method,
        name=name,
        categorical=False,
        percentiles=qs,
        chunk=chunk,
    )
    rows = []
    for acc in accs:
        w = acc.weight
        mean = acc.sum / w if w > 0 else np.nan
        var = max(acc.sum_sq / w - mean * mean, 0.0) if w > 0 else np.nan
        row = {
            "count": w,
            "sum": acc.sum if w > 0 else np.nan,
            "mean": mean,
            "min": acc.min if w > 0 else np.nan,
            "max": acc.max if w > 0 else np.nan,
            "std": float(np.sqrt(var)),
        }
        out = {s: row[s] for s in stats}
        for q, value in zip(qs, acc.percentiles(qs), strict=True):
            out[f"p{q:g}"] = value
        rows.append(out)
    frame = pd.DataFrame(rows, index=geoms.index)
    frame["nodata_cells"] = [a.nodata for a in accs]
    frame["coverage"] = _coverage(raster, accs, geoms)
    return frame


def share_below(
    dem: Raster | str | Path,
    zones: Any,
    *,
    level: float,
    method: str = "exact",
    band: int = 1,
    name: str = "zones",
) -> pd.DataFrame:
    """Share of each zone's valid DEM cells lower than ``level`` (e.g. low-lying land).

    Parameters
    ----------
    dem
        A continuous raster (heights in metres for a DEM), :class:`Raster` or path.
    zones
        Polygon GeoDataFrame/GeoSeries with a CRS (reprojected to the raster's).
    level
        Height in the raster's units; a cell exactly at ``level`` is not below it.
    method, band, name
        As in :func:`class_shares`; cells are weighted as in :func:`zonal_stats`.

    Returns
    -------
    DataFrame
        Indexed like ``zones``: ``share_below`` (0-1 of the valid cells), ``cells``,
        ``nodata_cells`` and ``coverage``.
    """
    raster = _as_raster(dem)
    accs, geoms = _accumulate(
        raster, zones, band=band, method=method, name=name, categorical=False, below=level
    )
    frame = pd.DataFrame(
        {
            "share_below": [a.below_weight / a.weight if a.weight > 0 else np.nan for a in accs],
            "cells": [a.weight for a in accs],
            "nodata_cells": [a.nodata for a in accs],
        },
        index=geoms.index,
    )
    frame["coverage"] = _coverage(raster, accs, geoms)
    return frame


__all__ = [
    "GREEN_CLASSES",
    "LANDCOVER_CLASSES",
    "WATER_CLASSES",
    "Raster",
    "class_shares",
    "read_raster",
    "share_below",
    "zonal_stats",
]
