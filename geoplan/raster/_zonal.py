"""The zonal-statistics engine behind :func:`geoplan.raster.zonal_stats` and
:func:`geoplan.raster.class_shares`.

The raster is read in chunks (windows aligned to its internal blocks), never whole, so
memory stays bounded by the chunk size however large the raster is. For each chunk and
each zone that overlaps it, :func:`cell_weights` gives the cells the zone covers and the
weight of each cell:

``exact``
    the fraction of the cell's area inside the polygon (0 < w <= 1). Cells whose centre is
    inside and that the boundary does not cross weigh 1; only cells the boundary crosses
    are intersected with the polygon (vectorised shapely), so the cost grows with the
    perimeter, not the area.
``centre``
    weight 1 for cells whose centre is inside (GDAL's default rasterisation, rasterstats'
    default).
``all_touched``
    weight 1 for every cell the polygon touches (rasterstats' ``all_touched=True``).

:class:`ZoneAccumulator` then sums weights per class (class shares) or the weighted
moments, extremes and values (continuous statistics) across chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._errors import RasterError

if TYPE_CHECKING:  # rasterio (the `raster` extra) is imported where it is used
    from affine import Affine
    from rasterio.windows import Window

METHODS: tuple[str, ...] = ("exact", "centre", "all_touched")

#: Side of a reading chunk, in cells (rounded up to whole internal blocks). A 2048 x 2048
#: chunk of float32 is 16 MB, plus about 8 bytes a cell of masks and weights.
CHUNK_CELLS = 2048

#: Side, in cells, of the tiles a zone is cut into before boundary cells are intersected.
TILE = 32

#: Above this many covered cells in one zone, percentiles of a floating-point raster would
#: keep too many values in memory; :class:`ZoneAccumulator` refuses instead of guessing.
MAX_PERCENTILE_CELLS = 20_000_000


def chunk_windows(
    window: Window, block_shape: tuple[int, int], *, chunk: int = CHUNK_CELLS
) -> Iterator[Window]:
    """Split ``window`` into chunks whose edges fall on the raster's internal blocks."""
    from rasterio.windows import Window

    bh, bw = block_shape
    # About chunk² cells a read, in whole blocks: 2048 x 2048 for 512-cell tiles, a few
    # hundred full-width rows for a striped file (blocks one row high, the raster wide).
    step_c = max(bw, chunk // bw * bw)
    step_r = max(bh, chunk * chunk // step_c // bh * bh)
    row0, col0 = int(window.row_off), int(window.col_off)
    row1, col1 = row0 + int(window.height), col0 + int(window.width)
    # Start on a block edge so that each read touches whole blocks only once.
    for r in range(row0 - row0 % bh, row1, step_r):
        for c in range(col0 - col0 % bw, col1, step_c):
            r0, c0 = max(r, row0), max(c, col0)
            r1, c1 = min(r + step_r, row1), min(c + step_c, col1)
            if r1 > r0 and c1 > c0:
                yield Window(c0, r0, c1 - c0, r1 - r0)


def cell_weights(
    geom: shapely.Geometry,
    transform: Affine,
    shape: tuple[int, int],
    method: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the flat indices of the cells ``geom`` covers in a grid, and their weights.

    Parameters
    ----------
    geom
        A polygon in the grid's CRS.
    transform
        The grid's affine transform (north-up: no rotation).
    shape
        ``(rows, cols)`` of the grid.
    method
        One of :data:`METHODS`.

    Returns
    -------
    tuple of ndarray
        ``(index, weight)``: int64 flat indices into the grid (unordered) and float64
        weights in (0, 1].
    """
    from rasterio import features

    if method == "centre":
        mask = features.geometry_mask([geom], shape, transform, invert=True)
        index = np.flatnonzero(mask)
        return index, np.ones(index.size)
    touched = features.geometry_mask([geom], shape, transform, invert=True, all_touched=True)
    if method == "all_touched":
        index = np.flatnonzero(touched)
        return index, np.ones(index.size)
    centre = features.geometry_mask([geom], shape, transform, invert=True)
    crossed = features.geometry_mask(
        [geom.boundary], shape, transform, invert=True, all_touched=True
    )
    full = centre & ~crossed
    # Partial candidates: cells the boundary crosses, and touched cells whose centre is
    # outside (the line rasteriser may skip a boundary lying exactly on a cell edge).
    partial = np.flatnonzero((crossed | touched) & ~full)
    fractions = _cover_fractions(geom, transform, shape, partial)
    keep = fractions > 0
    inner = np.flatnonzero(full)
    index = np.concatenate([inner, partial[keep]])
    weight = np.concatenate([np.ones(inner.size), fractions[keep]])
    return index, weight


def _cover_fractions(
    geom: shapely.Geometry, transform: Affine, shape: tuple[int, int], index: np.ndarray
) -> np.ndarray:
    """Fraction of each listed cell's area that lies inside ``geom``."""
    if index.size == 0:
        return np.zeros(0)
    rows, cols = np.divmod(index, shape[1])
    # Intersecting each cell with the whole zone costs O(zone vertices) per cell. Cut the
    # zone into TILE x TILE-cell pieces first (one vectorised call), then intersect each
    # cell with the small piece of its tile.
    per_row = shape[1] // TILE + 1
    tiles, which = np.unique((rows // TILE) * per_row + cols // TILE, return_inverse=True)
    tile_rows, tile_cols = np.divmod(tiles, per_row)
    pieces = shapely.intersection(
        geom,
        _boxes(transform, tile_rows * TILE, tile_cols * TILE, TILE),
    )
    cells = _boxes(transform, rows, cols, 1)
    cell_area = abs(transform.a * transform.e)
    area = shapely.area(shapely.intersection(cells, pieces[which]))
    return np.clip(area / cell_area, 0.0, 1.0)


def _boxes(transform: Affine, rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """Boxes of ``size`` x ``size`` cells whose top-left cells are (rows, cols)."""
    x0 = transform.c + cols * transform.a
    x1 = x0 + size * transform.a
    y0 = transform.f + rows * transform.e
    y1 = y0 + size * transform.e
    return shapely.box(
        np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1)
    )


@dataclass
class ZoneAccumulator:
    """Running totals for one zone across chunks.

    ``covered`` is the summed weight of every covered cell, ``nodata`` the part of it on
    nodata cells; the remaining weight is valid data.
    """

    categorical: bool
    label: str = "zone"
    keep_values: bool = False
    count_values: bool = False
    below: float | None = None
    below_weight: float = 0.0
    covered: float = 0.0
    nodata: float = 0.0
    classes: dict[float, float] = field(default_factory=dict)
    weight: float = 0.0
    sum: float = 0.0
    sum_sq: float = 0.0
    min: float = np.inf
    max: float = -np.inf
    values: list[np.ndarray] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    kept: int = 0

    def add(self, values: np.ndarray, valid: np.ndarray, weight: np.ndarray) -> None:
        """Add the covered cells of one chunk (values, validity, weights: same length)."""
        self.covered += float(weight.sum())
        self.nodata += float(weight[~valid].sum())
        v = values[valid]
        w = weight[valid]
        if v.size == 0:
            return
        if self.categorical or self.count_values:
            if v.dtype.kind == "u" and v.dtype.itemsize <= 2:
                # Small unsigned classes: one linear pass instead of a sort.
                sums = np.bincount(v, weights=w)
                uniq = np.flatnonzero(sums)
                sums = sums[uniq]
            else:
                uniq, inverse = np.unique(v, return_inverse=True)
                sums = np.bincount(inverse, weights=w, minlength=uniq.size)
            for key, total in zip(uniq.tolist(), sums.tolist(), strict=True):
                self.classes[key] = self.classes.get(key, 0.0) + total
            if self.categorical:
                return
        v64 = v.astype(np.float64)
        if self.below is not None:
            self.below_weight += float(w[v64 < self.below].sum())
        self.weight += float(w.sum())
        self.sum += float(np.dot(w, v64))
        self.sum_sq += float(np.dot(w, v64 * v64))
        self.min = min(self.min, float(v64.min()))
        self.max = max(self.max, float(v64.max()))
        if self.keep_values:
            self.kept += v.size
            if self.kept > MAX_PERCENTILE_CELLS:
                raise RasterError(
                    f"{self.label} covers more than {MAX_PERCENTILE_CELLS:,} cells of a "
                    "floating-point raster, too many to hold for exact percentiles; drop "
                    "`percentiles=` (mean, min and max stream in blocks) or resample the "
                    "raster coarser (gdalwarp -tr)"
                )
            self.values.append(v)
            self.weights.append(w)

    def percentiles(self, qs: tuple[float, ...]) -> list[float]:
        """Weighted percentiles (inverted CDF: the smallest value reaching the share)."""
        if self.count_values and self.classes:
            # Integer rasters: the weighted value counts are exact and small.
            v = np.fromiter(self.classes.keys(), dtype=np.float64)
            w = np.fromiter(self.classes.values(), dtype=np.float64)
        elif self.values:
            v = np.concatenate(self.values).astype(np.float64)
            w = np.concatenate(self.weights)
        else:
            return [np.nan] * len(qs)
        result = np.percentile(v, list(qs), weights=w, method="inverted_cdf")
        return [float(x) for x in np.atleast_1d(result)]
