"""Layers as partitioned GeoParquet, for the dask engine (``geoplan layers export --parquet``).

A city's or a province's layers outgrow one process: the dask engine
(:mod:`geoplan.metrics._dask`) reads them as partitioned GeoParquet, one folder per layer
kind, one file per partition::

    DIR/farmhouses/part.00000.parquet
    DIR/farmhouses/part.00001.parquet
    DIR/residential_land/part.00000.parquet
    ...

Features are sorted along a Hilbert curve over the layer's extent before they are cut
into partitions (as ``dask_geopandas``' ``spatial_shuffle(by="hilbert")`` does), so that
each partition covers a compact area: the service-area coverage then reads only the parks
or greenways near one partition. Every file carries GeoParquet 1.1 ``bbox`` covering
columns, which let a reader skip row groups outside a box
(``geopandas.read_parquet(path, bbox=...)``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._common.atomic import atomic_path
from .._errors import OutputError, SchemaError

#: Rows per partition file by default: tens of MB in memory, and enough partitions for
#: every worker at city scale (200 000 parcels: 2 partitions).
ROWS_PER_PARTITION = 100_000

#: How features may be ordered before they are cut into partitions.
PARTITIONINGS = ("hilbert", "none")


def _order(layer: Any, partition: str) -> np.ndarray:
    if partition == "none" or len(layer) < 2:
        return np.arange(len(layer))
    geoms = layer.geometry
    empty = (geoms.is_empty | geoms.isna()).to_numpy()
    distance = np.zeros(len(layer), dtype=np.int64)
    if (~empty).any():
        # empty geometries (no place on the curve) go last
        distance[~empty] = geoms[~empty].hilbert_distance(total_bounds=geoms[~empty].total_bounds)
        distance[empty] = np.iinfo(np.int64).max
    return np.argsort(distance, kind="stable")


def export_parquet(
    layers: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    partition: str = "hilbert",
    rows_per_partition: int = ROWS_PER_PARTITION,
) -> dict[str, int]:
    """Write each layer as a folder of GeoParquet partitions under ``out_dir``.

    Parameters
    ----------
    layers
        Layer kind -> GeoDataFrame (as from :func:`geoplan.read_layers`).
    out_dir
        Folder to write; a kind's folder already there is replaced.
    partition
        ``"hilbert"`` (sort along a Hilbert curve first: spatially compact partitions)
        or ``"none"`` (keep the layer's order).
    rows_per_partition
        Features per partition file.

    Returns
    -------
    dict
        Kind -> number of partition files written.

    Examples
    --------
    >>> import tempfile
    >>> from geoplan.datasets import load_sample
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     parts = export_parquet(load_sample(), tmp, rows_per_partition=100)
    >>> parts["farmhouses"] > 1
    True
    """
    if partition not in PARTITIONINGS:
        raise SchemaError(
            f"partition {partition!r} is not known; use one of {', '.join(PARTITIONINGS)}"
        )
    if rows_per_partition < 1:
        raise SchemaError(f"rows_per_partition must be at least 1, not {rows_per_partition}")
    root = Path(out_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the GeoParquet folder {root}: {exc.strerror}") from exc
    written: dict[str, int] = {}
    for kind, layer in layers.items():
        if layer is None or not hasattr(layer, "geometry"):
            continue
        folder = root / kind
        # a fresh folder next to the old one, swapped in at the end: a reader never
        # sees a mix of old and new partitions
        staging = root / f".{kind}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        ordered = layer.iloc[_order(layer, partition)]
        starts = range(0, max(len(ordered), 1), rows_per_partition)
        for i, start in enumerate(starts):
            part = ordered.iloc[start : start + rows_per_partition]
            with atomic_path(staging / f"part.{i:05d}.parquet", what="GeoParquet") as tmp:
                part.to_parquet(tmp, index=False, write_covering_bbox=True)
        old = root / f".{kind}.old"
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
        written[kind] = len(starts)
    return written
