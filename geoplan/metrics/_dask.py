"""The dask engine: the same metrics, computed on partitions of layers too big for one process.

``scorecard(..., engine="dask")`` and ``geoplan metrics --engine dask`` read the layers as
partitioned GeoParquet (``geoplan layers export --parquet DIR``, see
:mod:`geoplan.layers._parquet`) and run on a Dask cluster: a :class:`distributed.LocalCluster`
of processes by default, or the scheduler a bureau already runs (``scheduler=
"tcp://HOST:8786"``). The layers that grow with a city or a province are never held
whole: ``farmhouses``, ``greenways`` and ``residential_land`` stay partitioned, and
``parks`` and ``greenways`` are read near one partition at a time as service areas. The
small layers (towns, villages, water sources...) are read whole and sent to every task.

How each metric is split (:data:`PARTITIONED`):

* **sums and shares** (``farmhouse_renovation_rate``, ``farmhouse_renovations_per_year``,
  the greenway km metrics): the registered metric function runs on each partition and the
  partial frames are added up row by row — values, numerators and denominators summed,
  percentages recomputed from the sums, the "left out for want of a date" counts of the
  notes summed;
* **service-area coverage** (``park_service_coverage``, ``greenway_service_coverage``):
  each partition of residential parcels is measured against the parks or greenways whose
  service areas can reach it — those within the largest service radius of the
  partition's box (the halo). A parcel's covered area depends only on the buffers that
  touch it, and every such buffer comes from a feature inside the halo, so the per-parcel
  areas, and their sums, are those of the whole-layer union. Parcels whose interiors
  overlap (unioned before measuring, so that no area counts twice) are kept together:
  a group of overlapping parcels that spans two partitions is measured once, on its own;
* **point-in-polygon counts** (``protection_zone_conflicts``): farmhouses inside a level-1
  zone are counted per partition and their ids merged.

Every other metric runs as in memory on the small layers. ``tests/test_dask_engine.py``
checks that both engines give the same rows to 1e-9 relative.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._errors import MetricError, SchemaError, missing_dependency
from ..settings import logger

#: Layer kinds that stay partitioned (never read whole by the engine).
BIG_KINDS: tuple[str, ...] = ("farmhouses", "greenways", "residential_land", "parks")

#: metric -> (partitioned kind, how partial frames combine: "sum", "coverage", "conflicts").
PARTITIONED: dict[str, tuple[str, str]] = {
    "farmhouse_renovation_rate": ("farmhouses", "sum"),
    "farmhouse_renovations_per_year": ("farmhouses", "sum"),
    "greenway_completed_km": ("greenways", "sum"),
    "greenway_total_km": ("greenways", "sum"),
    "greenway_under_construction_km": ("greenways", "sum"),
    "greenway_planned_km": ("greenways", "sum"),
    "park_service_coverage": ("residential_land", "coverage"),
    "greenway_service_coverage": ("residential_land", "coverage"),
    "protection_zone_conflicts": ("farmhouses", "conflicts"),
}

#: coverage metric -> the layer whose buffers are the service areas.
SERVICE_KIND: dict[str, str] = {
    "park_service_coverage": "parks",
    "greenway_service_coverage": "greenways",
}

#: Memory limit of each worker of the default LocalCluster.
WORKER_MEMORY = "4GiB"


def _dask() -> tuple[Any, Any]:
    try:
        import dask_geopandas
        import distributed
    except ImportError as exc:
        name = "dask-geopandas" if "dask_geopandas" in str(exc) else "distributed"
        raise missing_dependency(name, "scale", "compute metrics with engine='dask'") from None
    return dask_geopandas, distributed


# ------------------------------------------------------------------ the cluster


def connect(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    memory_limit: str = WORKER_MEMORY,
    timeout: float = 10.0,
) -> Any:
    """Return a :class:`distributed.Client`: on ``scheduler``, or on a new LocalCluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://HOST:8786``); None starts a LocalCluster of
        ``n_workers`` processes (default: the CPUs, at most 4), one thread each, each
        limited to ``memory_limit`` (it spills to disk, then pauses, before that).
    timeout
        Seconds to wait for the scheduler.

    Raises
    ------
    MetricError
        When the scheduler cannot be reached (one line naming the address and the fix).
    """
    _, distributed = _dask()
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError, ValueError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise MetricError(
                f"cannot reach the Dask scheduler at {scheduler} ({why}); check the address "
                "(tcp://HOST:8786) and that `dask scheduler` runs there, or leave --scheduler "
                "out to compute on a local cluster"
            ) from None
    # the scheduler of a local cluster runs in this process: its INFO lines are noise here
    for name in ("distributed", "distributed.scheduler", "distributed.http.proxy"):
        quiet = logging.getLogger(name)
        if quiet.getEffectiveLevel() < logging.WARNING:
            quiet.setLevel(logging.WARNING)
    workers = n_workers or max(1, min(os.cpu_count() or 1, 4))
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=":0",  # a free port: several clusters may share the machine
        silence_logs=logging.ERROR,
    )
    return distributed.Client(cluster)


@contextlib.contextmanager
def _client(client: Any, scheduler: str | None) -> Iterator[Any]:
    if client is None and scheduler is None:
        _, distributed = _dask()
        with contextlib.suppress(ValueError):  # no client yet
            client = distributed.default_client()
    if client is not None:
        yield client
        return
    own = connect(scheduler)
    try:
        yield own
    finally:
        cluster = own.cluster if scheduler is None else None
        own.close()
        if cluster is not None:
            cluster.close()


# ------------------------------------------------------------------ the layers


@dataclass
class PartitionedLayers:
    """Layers as folders of GeoParquet partitions (``DIR/<kind>/part.*.parquet``).

    Attributes
    ----------
    root
        The folder ``geoplan layers export --parquet`` wrote. On a cluster every worker
        must be able to read it at the same path (a shared disk, or an object store URL).
    files
        Kind -> its partition files, in order.
    """

    root: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    _small: dict[str, Any] = field(default_factory=dict, repr=False)
    _boxes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, root: str | os.PathLike[str]) -> PartitionedLayers:
        """Find the kinds and partitions under ``root``."""
        from ..catalogue import LAYER_KINDS

        path = Path(root)
        if not path.is_dir():
            raise SchemaError(
                f"{path} is not a folder of partitioned GeoParquet layers; write one with "
                f"`geoplan layers export --parquet {path}`"
            )
        files = {
            kind: sorted((path / kind).glob("*.parquet"))
            for kind in LAYER_KINDS
            if (path / kind).is_dir()
        }
        files = {k: v for k, v in files.items() if v}
        if not files:
            raise SchemaError(
                f"{path} holds no layer folders (<kind>/part.*.parquet); write them with "
                f"`geoplan layers export --parquet {path}`"
            )
        return cls(path, files)

    def __contains__(self, kind: object) -> bool:
        return kind in self.files

    def read(self, kind: str) -> Any:
        """The whole layer ``kind`` in memory (for the small layers)."""
        import geopandas as gpd

        if kind not in self._small:
            self._small[kind] = gpd.read_parquet(self.root / kind)
        return self._small[kind]

    def boxes(self, kind: str) -> np.ndarray:
        """Lon/lat bounds of each partition file (from the GeoParquet metadata)."""
        if kind not in self._boxes:
            self._boxes[kind] = np.array([_file_bbox(f) for f in self.files[kind]])
        return self._boxes[kind]

    def columns(self, kind: str) -> list[str]:
        import pyarrow.parquet as pq

        return list(pq.read_schema(self.files[kind][0]).names)


def is_partitioned(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder of partitioned layers (``<kind>/*.parquet``)."""
    from ..catalogue import LAYER_KINDS

    root = Path(path)
    return root.is_dir() and any(any((root / k).glob("*.parquet")) for k in LAYER_KINDS)


def _file_bbox(path: Path) -> list[float]:
    import json

    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(path).metadata[b"geo"])
    col = meta["columns"][meta["primary_column"]]
    box = col.get("bbox")
    return list(box) if box else [-np.inf, -np.inf, np.inf, np.inf]


# ------------------------------------------------------------------ per partition


def _run_metric(
    name: str,
    layers: Mapping[str, Any],
    records: pd.DataFrame | None,
    day: dt.date,
    params: Mapping[str, Any],
    crs: str,
) -> pd.DataFrame:
    """The registered metric on (a part of) the layers, without the empty-layer check."""
    from ._asof import layers_as_of, records_as_of
    from ._coverage import FORCED_CRS
    from ._registry import get_metric

    metric = get_metric(name)
    kinds = set(metric.requires) | set(metric.optional)
    current = layers_as_of({k: v for k, v in layers.items() if k in kinds}, records, day)
    kwargs = {k: v for k, v in params.items() if k in metric.params}
    token = FORCED_CRS.set(crs)
    try:
        return metric.func(current, records_as_of(records, day), as_of=day, **kwargs)
    finally:
        FORCED_CRS.reset(token)


def _part_frames(
    part: Any,
    kind: str,
    names: list[str],
    small: Mapping[str, Any],
    records: pd.DataFrame | None,
    days: list[dt.date],
    params: Mapping[str, Any],
    crs: str,
) -> dict[tuple[str, dt.date], pd.DataFrame | None]:
    """Each metric of ``names`` at each of ``days`` on one partition of ``kind`` (read
    once); None when the partition is empty."""
    keys = [(n, d) for n in names for d in days]
    if len(part) == 0:
        return dict.fromkeys(keys)
    layers = {**small, kind: part}
    return {(n, d): _run_metric(n, layers, records, d, params, crs) for n, d in keys}


def _halo_bbox(part: Any, crs: str, halo_m: float) -> tuple[float, float, float, float]:
    """Lon/lat box holding everything within ``halo_m`` of the partition (metric CRS)."""
    from pyproj import Transformer

    x0, y0, x1, y1 = part.to_crs(crs).total_bounds
    back = Transformer.from_crs(crs, part.crs, always_xy=True)
    west, south, east, north = back.transform_bounds(
        x0 - halo_m, y0 - halo_m, x1 + halo_m, y1 + halo_m, densify_pts=21
    )
    return (west, south, east, north)


def _read_near(
    files: list[Path], boxes: np.ndarray, bbox: tuple[float, float, float, float]
) -> Any:
    """The features of the partitions ``files`` whose boxes meet ``bbox``."""
    import geopandas as gpd

    west, south, east, north = bbox
    near = (
        (boxes[:, 0] <= east)
        & (boxes[:, 2] >= west)
        & (boxes[:, 1] <= north)
        & (boxes[:, 3] >= south)
    )
    chosen = [f for f, hit in zip(files, near, strict=True) if hit] or files[:1]
    parts = [gpd.read_parquet(f, bbox=bbox) for f in chosen]
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry=parts[0].geometry.name, crs=parts[0].crs)


def _coverage_part(
    part: Any,
    name: str,
    service_kind: str,
    service_files: list[Path],
    service_boxes: np.ndarray,
    halo_m: float,
    exclude: frozenset[str],
    small: Mapping[str, Any],
    records: pd.DataFrame | None,
    day: dt.date,
    params: Mapping[str, Any],
    crs: str,
) -> pd.DataFrame | None:
    """A coverage metric on one partition of parcels and the service features near it."""
    if exclude:
        part = part.loc[~part["id"].astype(str).isin(exclude)]
    if len(part) == 0:
        return None
    service = _read_near(service_files, service_boxes, _halo_bbox(part, crs, halo_m))
    layers = {**small, "residential_land": part, service_kind: service}
    return _run_metric(name, layers, records, day, params, crs)


def _box_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Ids and lon/lat bounds of one partition file's parcels.

    From the GeoParquet ``bbox`` covering column when the file has one (no geometry is
    decoded), else from the geometries. Lon/lat boxes serve as well as metric ones: two
    parcels whose interiors overlap do so in any CRS, so their boxes overlap there too.
    """
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    if "bbox" in names:
        table = pq.read_table(path, columns=["id", "bbox"])
        box = table.column("bbox").combine_chunks()
        bounds = np.column_stack(
            [box.field(k).to_numpy(zero_copy_only=False) for k in ("xmin", "ymin", "xmax", "ymax")]
        )
        ids = table.column("id").to_numpy(zero_copy_only=False)
    else:
        import geopandas as gpd

        frame = gpd.read_parquet(path, columns=["id", "geometry"])
        bounds = shapely.bounds(np.asarray(frame.geometry.values))
        ids = frame["id"].to_numpy()
    return np.asarray([str(i) for i in ids], dtype=object), bounds


def _parks_note_part(part: Any, day: dt.date, classes: Any, crs: str) -> np.ndarray:
    """(open parks, parks large enough to serve) in one partition of parks at ``day``."""
    from ._asof import layer_as_of

    current = layer_as_of("parks", part, day)
    areas = shapely.area(np.asarray(current.geometry.to_crs(crs).values))
    smallest = min(a for a, _ in classes) if len(classes) else np.inf
    return np.array([len(areas), int((areas >= smallest).sum())])


# ------------------------------------------------------------------ combining


def _sum_note(notes: list[str]) -> str:
    """One note from the notes of the partitions: counts of one template summed."""
    notes = [n for n in notes if n]
    if not notes:
        return ""
    templates = {re.sub(r"\d+", "{}", n) for n in notes}
    if len(templates) == 1:
        numbers = np.array([[int(x) for x in re.findall(r"\d+", n)] for n in notes])
        return templates.pop().format(*numbers.sum(axis=0))
    return "；".join(dict.fromkeys(notes))


#: Scope types whose rows the metrics sort by name (the rest keep their first order).
_SORTED_BY_NAME = ("town", "district", "village", "community")


def combine_frames(frames: list[pd.DataFrame | None], unit: str) -> pd.DataFrame | None:
    """Add up the partial frames of one additive metric, row by row.

    ``value``, ``numerator`` and ``denominator`` are summed over the partitions; a ``%``
    value is then ``100 × numerator ÷ denominator`` (NaN when the denominator is 0). The
    notes, one per frame, are summed as counts (see :func:`_sum_note`). Rows come in the
    order the whole-layer metric gives them: the zone first, towns by name, years in order.
    """
    parts = [f for f in frames if f is not None and len(f)]
    if not parts:
        return None
    note = _sum_note([str(f["note"].iloc[0]) for f in parts])
    both = pd.concat(parts, ignore_index=True)
    year = both["year"].astype("Float64").fillna(-1.0).to_numpy(dtype=float)
    keys = pd.MultiIndex.from_arrays([both["scope_type"], both["scope"], year])
    codes, _ = pd.factorize(keys)
    first = both.groupby(codes, sort=True).head(1).sort_index()
    out = first.reset_index(drop=True)
    for col in ("value", "numerator", "denominator"):
        sums = pd.Series(both[col].to_numpy(dtype=float)).groupby(codes).sum(min_count=1)
        out[col] = sums.sort_index().to_numpy()
    if unit == "%":
        num, den = out["numerator"].to_numpy(), out["denominator"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["value"] = np.where(den > 0, 100.0 * num / den, np.nan)
    out["note"] = note
    order = pd.Series(pd.factorize(out["scope_type"])[0], index=out.index)
    by_name = out["scope_type"].isin(_SORTED_BY_NAME)
    name_key = out["scope"].where(by_name, "").astype(str)
    year_key = out["year"].astype("Float64").fillna(-1.0).where(out["scope_type"] == "year", -1.0)
    rank = pd.DataFrame({"t": order, "n": name_key, "y": year_key, "i": np.arange(len(out))})
    # town_year and the other scope types keep their first order ("i")
    rank.loc[~by_name & (out["scope_type"] != "year"), ["n", "y"]] = ["", -1.0]
    out = out.iloc[rank.sort_values(["t", "n", "y", "i"]).index].reset_index(drop=True)
    return out


def _combine_conflicts(parts: list[pd.DataFrame | None], others: pd.DataFrame) -> pd.DataFrame:
    """Farmhouse rows of the partitions merged into the frame of the other layers."""
    out = others.copy()
    ids: list[str] = []
    count = 0.0
    for f in parts:
        if f is None:
            continue
        row = f.loc[(f["scope_type"] == "layer") & (f["scope"] == "farmhouses")].iloc[0]
        count += float(row["value"])
        ids += [i for i in str(row["note"]).split(", ") if i]
    at = (out["scope_type"] == "layer") & (out["scope"] == "farmhouses")
    out.loc[at, "value"] = count
    out.loc[at, "note"] = ", ".join(sorted(ids))
    zone = out["scope_type"] == "zone"
    layer_rows = out.loc[out["scope_type"] == "layer", "value"]
    out.loc[zone, "value"] = float(np.nansum(layer_rows.to_numpy(dtype=float)))
    return out


# ------------------------------------------------------------------ the engine


class DaskFrames:
    """Metric frames computed once per (metric, date), partitioned where it pays.

    The scorecard asks for frames through :meth:`get` and :meth:`value` exactly as it does
    of the in-memory cache; a partitioned metric costs one pass over its partitions (the
    metrics that share a partitioned kind are computed in the same pass), any other metric
    runs in memory on the small layers.
    """

    def __init__(
        self,
        layers: PartitionedLayers,
        records: pd.DataFrame | None,
        inputs: dict[str, Any],
        client: Any,
        *,
        progress: bool = False,
    ) -> None:
        self.layers, self.records, self.inputs = layers, records, inputs
        self.client, self.progress = client, progress
        self.cache: dict[tuple[str, dt.date], pd.DataFrame] = {}
        self._crs: dict[str, str] = {}
        self._shared: frozenset[str] | None = None
        self._small_layers: dict[str, Any] | None = None
        self._scattered: tuple[Any, Any] | None = None
        self.days: set[dt.date] = set()
        self.relabelled: dict[Any, Any] = {}
        self.passes = 0

    # the small layers every task receives
    def small(self) -> dict[str, Any]:
        if self._small_layers is None:
            kinds = [k for k in self.layers.files if k not in BIG_KINDS]
            self._small_layers = {k: self.layers.read(k) for k in kinds}
        return self._small_layers

    def shared_inputs(self) -> tuple[Any, Any]:
        """The small layers and the records, sent to every worker once."""
        if self._scattered is None:
            small, records = self.small(), self.records
            self._scattered = (
                self.client.scatter(small, broadcast=True, hash=False) if small else {},
                None if records is None else self.client.scatter(records, broadcast=True),
            )
        return self._scattered

    def crs(self, kind: str) -> str:
        """The metric CRS the in-memory engine would choose from the whole layer."""
        if kind not in self._crs:
            from ..crs import metric_crs

            boxes = self.layers.boxes(kind)
            finite = boxes[np.isfinite(boxes).all(axis=1)]
            if len(finite) == 0:
                self._crs[kind] = f"EPSG:{metric_crs(self.layers.read(kind), name=kind).to_epsg()}"
            else:
                bounds = (
                    finite[:, 0].min(),
                    finite[:, 1].min(),
                    finite[:, 2].max(),
                    finite[:, 3].max(),
                )
                self._crs[kind] = f"EPSG:{metric_crs(bounds, name=kind).to_epsg()}"
        return self._crs[kind]

    def _partitions(self, kind: str, columns: list[str] | None = None) -> list[Any]:
        """The partitions of ``kind`` as delayed frames (dask-geopandas reads them)."""
        dask_geopandas, _ = _dask()
        import dask.dataframe as dd

        path = str(self.layers.root / kind)
        if columns is not None and "geometry" not in columns:
            return list(dd.read_parquet(path, columns=columns).to_delayed())
        return list(dask_geopandas.read_parquet(path, columns=columns).to_delayed())

    def _compute(self, tasks: list[Any]) -> list[Any]:
        self.passes += 1
        futures = self.client.compute(tasks)
        if self.progress:
            from distributed import progress

            progress(futures)
        return self.client.gather(futures)

    def _whole_empty(self, kind: str) -> bool:
        if kind not in self.layers:
            return True
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.layers.files[kind]) == 0

    def get(self, metric: str, day: dt.date) -> pd.DataFrame:
        key = (metric, day)
        if key not in self.cache:
            self.cache.update(self._frames(metric, day))
        return self.cache[key]

    def value(self, metric: str, day: dt.date, scope_type: str, scope: str) -> float:
        return self.row(metric, day, scope_type, scope)["value"]

    def row(self, metric: str, day: dt.date, scope_type: str, scope: str) -> dict[str, float]:
        """value, numerator and denominator of one scope (NaN when the scope is absent)."""
        from ._card import scope_row

        return scope_row(self.get(metric, day), scope_type, scope)

    def for_target(self, metric: str, q: pd.Series) -> DaskFrames:
        """The frames one target reads: a ledger metric sums that target's records only
        (computed in memory: the ledger is small), with a cache of its own."""
        from .records import ledger_target

        target = ledger_target(metric, q)
        if target is None:
            return self
        mine = copy.copy(self)
        mine.inputs = {**self.inputs, "ledger_target": target}
        mine.cache = {}
        return mine

    def _in_memory(self, metric: str, day: dt.date) -> pd.DataFrame:
        from ._asof import as_of_cache
        from ._registry import compute, get_metric

        spec = get_metric(metric)
        kinds = [k for k in (*spec.requires, *spec.optional) if k in self.layers]
        big = [k for k in kinds if k in BIG_KINDS]
        if big:
            logger.info("dask engine: metric %s reads %s whole", metric, ", ".join(big))
        layers = {k: self.layers.read(k) for k in kinds}
        with as_of_cache(self.relabelled):
            return compute(metric, layers, self.records, as_of=day, **self.inputs)

    def _frames(self, metric: str, day: dt.date) -> dict[tuple[str, dt.date], pd.DataFrame]:
        from ._registry import get_metric

        if metric not in PARTITIONED:
            return {(metric, day): self._in_memory(metric, day)}
        kind, how = PARTITIONED[metric]
        spec = get_metric(metric)
        # a missing or empty layer: the in-memory path gives the no_data row and its note
        if any(self._whole_empty(k) for k in (*spec.requires, kind)):
            return {(metric, day): self._in_memory(metric, day)}
        if how == "coverage":
            return {(metric, day): self._coverage(metric, day)}
        if how == "conflicts":
            return {(metric, day): self._conflicts(metric, day)}
        return self._sums(day)

    def _sums(self, day: dt.date) -> dict[tuple[str, dt.date], pd.DataFrame]:
        """Every additive metric, at ``day``, the plan start and each day asked for so
        far (a scorecard asks for the as-of date, the plan start and the deadlines), in
        one pass that reads each partition once."""
        from .. import settings
        from ._registry import get_metric

        self.days |= {day, self.inputs.get("plan_start") or settings.PLAN_START}
        by_kind: dict[str, list[str]] = {}
        for n, (k, how) in PARTITIONED.items():
            if how == "sum" and not self._whole_empty(k):
                by_kind.setdefault(k, []).append(n)
        sums = [n for names in by_kind.values() for n in names]
        days = sorted(d for d in self.days if any((n, d) not in self.cache for n in sums))
        small, tasks = self.shared_inputs(), []
        for kind, names in by_kind.items():
            columns = self._plain_columns(kind) if kind == "farmhouses" else None
            crs = self.crs(kind)
            tasks += [
                _delayed(_part_frames)(p, kind, names, *small, days, self.inputs, crs)
                for p in self._partitions(kind, columns)
            ]
        results = self._compute(tasks)
        out = {}
        for names in by_kind.values():
            for key in ((n, d) for n in names for d in days):
                frame = combine_frames(
                    [r[key] for r in results if key in r], get_metric(key[0]).unit
                )
                out[key] = frame if frame is not None else self._in_memory(*key)
        return out

    def _plain_columns(self, kind: str) -> list[str]:
        """Every column but the geometry: the farmhouse shares and counts need no places."""
        return [c for c in self.layers.columns(kind) if c not in ("geometry", "bbox")]

    def _halo(self, metric: str) -> float:
        from .greenways import GREENWAY_SERVICE_RADIUS_M
        from .parks import PARK_CLASSES

        if metric == "park_service_coverage":
            classes = self.inputs.get("classes", PARK_CLASSES)
            radius = max((r for _, r in classes), default=0.0)
        else:
            radius = float(self.inputs.get("radius_m", GREENWAY_SERVICE_RADIUS_M))
        # a metre beyond the radius: the box test must not decide a buffer's last edge
        return float(radius) + 1.0

    def shared_parcels(self) -> frozenset[str]:
        """Ids of parcels in overlapping groups that span partitions (measured apart)."""
        if self._shared is not None:
            return self._shared
        files = self.layers.files["residential_land"]
        results = self._compute([_delayed(_box_file)(f) for f in files])
        ids = np.concatenate([r[0] for r in results]) if results else np.array([], dtype=object)
        boxes = np.concatenate([r[1] for r in results]) if results else np.zeros((0, 4))
        which = np.concatenate([np.full(len(r[0]), i) for i, r in enumerate(results)])
        self._shared = frozenset(ids[_spanning_groups(boxes, which)])
        if self._shared:
            logger.info("dask engine: %d overlapping parcels span partitions", len(self._shared))
        return self._shared

    def _coverage(self, metric: str, day: dt.date) -> pd.DataFrame:
        from ._registry import get_metric

        service_kind = SERVICE_KIND[metric]
        crs = self.crs(service_kind)  # the metric projects from its first layer: the service
        shared = self.shared_parcels()
        files, boxes = self.layers.files[service_kind], self.layers.boxes(service_kind)
        common = (service_kind, files, boxes, self._halo(metric))
        after = (*self.shared_inputs(), day, self.inputs, crs)
        tasks = [
            _delayed(_coverage_part)(p, metric, *common, shared, *after)
            for p in self._partitions("residential_land")
        ]
        if shared:  # the overlapping groups that span partitions, measured whole
            import geopandas as gpd

            apart = gpd.read_parquet(
                self.layers.root / "residential_land", filters=[("id", "in", sorted(shared))]
            )
            tasks.append(_delayed(_coverage_part)(apart, metric, *common, frozenset(), *after))
        n_parcel_tasks = len(tasks)
        if metric == "park_service_coverage":
            from .parks import PARK_CLASSES

            classes = self.inputs.get("classes", PARK_CLASSES)
            tasks += [
                _delayed(_parks_note_part)(p, day, classes, crs)
                for p in self._partitions("parks", ["opened_date", "geometry"])
            ]
        results = self._compute(tasks)
        frame = combine_frames(results[:n_parcel_tasks], get_metric(metric).unit)
        if frame is None:  # no parcels at all
            return self._in_memory(metric, day)
        if metric == "park_service_coverage":
            total = np.sum(results[n_parcel_tasks:], axis=0)
            frame["note"] = f"{int(total[0])} 个公园中 {int(total[1])} 个达到服务规模"
        return frame

    def _conflicts(self, metric: str, day: dt.date) -> pd.DataFrame:
        from ._registry import compute

        small = self.small()
        crs = self.crs("protection_zones")
        others = compute(metric, dict(small), self.records, as_of=day, **self.inputs)
        # the conflicts metric notes a missing layer: the farmhouse row is filled below
        tasks = [
            _delayed(_part_frames)(
                p, "farmhouses", [metric], *self.shared_inputs(), [day], self.inputs, crs
            )
            for p in self._partitions("farmhouses", ["id", "geometry"])
        ]
        parts = [r[(metric, day)] for r in self._compute(tasks)]
        return _combine_conflicts(parts, others)


def _spanning_groups(boxes: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Mask of parcels whose overlap group (boxes overlapping with area) spans partitions.

    Boxes that overlap with a positive area are a superset of parcels whose interiors
    overlap, so each group found here is a union of whole overlap groups: measuring it
    apart from its partitions unions exactly the parcels the in-memory engine unions.
    """
    n = len(boxes)
    mask = np.zeros(n, dtype=bool)
    if n == 0 or len(np.unique(which)) < 2:
        return mask
    # parcels reaching into another partition's box: the only ones that can pair across
    near = np.zeros(n, dtype=bool)
    for p in np.unique(which):
        mine = which == p
        x0, y0 = boxes[mine, 0].min(), boxes[mine, 1].min()
        x1, y1 = boxes[mine, 2].max(), boxes[mine, 3].max()
        reach = (boxes[:, 0] < x1) & (boxes[:, 2] > x0) & (boxes[:, 1] < y1) & (boxes[:, 3] > y0)
        near |= reach & ~mine
    cand = np.flatnonzero(near)
    seeds = _box_pairs(boxes, cand, cand)
    seeds = seeds[:, which[seeds[0]] != which[seeds[1]]]
    if seeds.size == 0:
        return mask
    frontier = np.unique(seeds)
    mask[frontier] = True
    everyone = np.arange(n)
    while len(frontier):  # grow each group through boxes overlapping its members
        pairs = _box_pairs(boxes, frontier, everyone)
        new = np.unique(pairs[1])
        new = new[~mask[new]]
        mask[new] = True
        frontier = new
    return mask


def _box_pairs(boxes: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(2, k) indices of boxes of ``left`` and ``right`` overlapping with a positive area."""
    if len(left) == 0 or len(right) == 0:
        return np.zeros((2, 0), dtype=int)
    geoms = shapely.box(*boxes[right].T)
    tree = shapely.STRtree(geoms)
    li, ri = tree.query(shapely.box(*boxes[left].T))
    a, b = left[li], right[ri]
    w = np.minimum(boxes[a, 2], boxes[b, 2]) - np.maximum(boxes[a, 0], boxes[b, 0])
    h = np.minimum(boxes[a, 3], boxes[b, 3]) - np.maximum(boxes[a, 1], boxes[b, 1])
    keep = (w > 0) & (h > 0) & (a != b)
    return np.stack([a[keep], b[keep]])


def _delayed(func: Any) -> Any:
    from dask.delayed import delayed

    return delayed(func, pure=False)


@contextlib.contextmanager
def partitioned(layers: Any) -> Iterator[PartitionedLayers]:
    """``layers`` as :class:`PartitionedLayers`: a folder is opened, a mapping of
    in-memory layers is written to a temporary partitioned GeoParquet first."""
    if isinstance(layers, PartitionedLayers):
        yield layers
        return
    if isinstance(layers, str | os.PathLike):
        yield PartitionedLayers.open(layers)
        return
    from ..layers._parquet import export_parquet

    with tempfile.TemporaryDirectory(prefix="geoplan-dask-") as tmp:
        export_parquet(layers, tmp)
        yield PartitionedLayers.open(tmp)


@contextlib.contextmanager
def dask_frames(
    layers: Any,
    records: pd.DataFrame | None,
    inputs: dict[str, Any],
    *,
    scheduler: str | None = None,
    client: Any = None,
    progress: bool | None = None,
) -> Iterator[DaskFrames]:
    """The dask engine's frame cache for one scorecard run (cluster opened and closed).

    ``progress`` None shows dask's progress bar when stderr is a terminal.
    """
    _dask()
    if progress is None:
        progress = sys.stderr.isatty()
    with partitioned(layers) as parts, _client(client, scheduler) as cl:
        yield DaskFrames(parts, records, inputs, cl, progress=progress)


def compute_metric_dask(
    name: str,
    layers: Any,
    records: pd.DataFrame | None = None,
    *,
    as_of: dt.date | str | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: bool | None = None,
    **params: Any,
) -> pd.DataFrame:
    """One metric with the dask engine (see :func:`geoplan.metrics.compute_metric`)."""
    from ._registry import get_metric, resolve_as_of

    get_metric(name)
    day = resolve_as_of(as_of)
    with dask_frames(
        layers, records, params, scheduler=scheduler, client=client, progress=progress
    ) as frames:
        return frames.get(name, day)
