"""Raster layers: land cover, DEMs and imagery, read with their CRS checked and summarised by zone.

:func:`read_raster` opens a GeoTIFF (any GDAL raster); :func:`class_shares` and
:func:`zonal_stats` summarise it for a polygon layer with exact partial-cell weights
(``_zonal``). The metrics built on them live in :mod:`geoplan.metrics.raster`, the map
overlay in :func:`geoplan.maps.raster_overlay`.
"""

from __future__ import annotations

from ._read import (
    GREEN_CLASSES,
    LANDCOVER_CLASSES,
    WATER_CLASSES,
    Raster,
    class_shares,
    read_raster,
    share_below,
    zonal_stats,
)

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
