"""Layers of the zone: the catalogue of kinds, reading, validation, and the bundled sample.

A *layer kind* (``towns``, ``greenways``, ``water_sources``…) fixes a geometry type and the
columns a layer must carry; :data:`LAYER_KINDS` is the catalogue (see
``layers/README.md`` for every column). :func:`read_layers` reads a GeoPackage, a folder of
files or a database, checks each layer against its kind, repairs what is safe and returns
the layers in EPSG:4326; :func:`check_layers` returns the full report instead of raising.

Examples
--------
>>> import geoplan
>>> layers = geoplan.load_sample()
>>> list(layers)[:4]
['towns', 'districts', 'communities', 'villages']
>>> sorted(layers["towns"]["name"])
['东园镇', '张坂镇', '洛阳镇', '百崎回族乡']
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._errors import CRSError, DataReadError, SchemaError
from ..catalogue import KIND_NAMES, LAYER_KINDS, STATUS_LABELS, Column, LayerKind, kind_for_name
from ..datasets import SAMPLE_LAYERS, SAMPLE_RECORDS, data_path
from ._validate import CheckReport, Issue, check_references, check_task_ids, validate_layer

logger = logging.getLogger(__name__)

#: File suffixes read from a folder of layers (``<kind>.<suffix>``).
LAYER_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".parquet")

#: The name of the progress-log table in a GeoPackage; never read as a layer.
RECORDS_TABLE = "records"

LayerSource = str | Path | Mapping[str, gpd.GeoDataFrame]


def read_layers(
    source: LayerSource, *, kinds: Iterable[str] | None = None, crs: Any = None
) -> dict[str, gpd.GeoDataFrame]:
    """Read, validate and repair the layers of a GeoPackage, folder or database.

    Parameters
    ----------
    source
        - a GeoPackage: one layer per kind, each named by its kind (``greenways``; the
          Chinese label ``福道`` is accepted too); other layers are reported as info and
          ignored, and the ``records`` table is skipped;
        - a folder of files named ``<kind>.geojson|.shp|.gpkg|.parquet``;
        - one such file;
        - a database URL (any string containing ``://``), read by
          ``geoplan.store.read_layers_from_db``. This is the one place where ``layers``
          reaches the store: a database is a source like a file;
        - a mapping kind -> GeoDataFrame, to validate layers built in memory.
    kinds
        Kinds that must be present; a missing one is an error. By default every kind
        found is returned and none is required.
    crs
        The CRS of files that carry none (shapefiles without ``.prj``), passed to
        :func:`geoplan.read_file`: e.g. ``"EPSG:4549"``, or ``"GCJ-02"`` for lon/lat
        digitised on Gaode maps (converted to WGS84). A file whose own CRS differs is
        refused, as in ``read_file``. Not used for in-memory layers: set their CRS.

    Returns
    -------
    dict of str to GeoDataFrame
        Kind -> layer in catalogue order, in EPSG:4326, with the catalogue's columns
        first (typed as documented) and any extra columns after.

    Raises
    ------
    SchemaError
        Listing every error found (missing columns, duplicate ids, unknown values…).
    CRSError
        A layer has no CRS or one its coordinates contradict.
    DataReadError
        The source is missing, truncated or corrupt.

    Notes
    -----
    Warnings (repaired geometries, empty cells…) are logged on the ``geoplan`` logger;
    :func:`check_layers` returns them all.
    """
    layers, report = _run(source, kinds=kinds, crs=crs, strict=True)
    for issue in report.issues:
        if issue.level != "error":
            logger.log(logging.WARNING if issue.level == "warning" else logging.INFO, "%s", issue)
    report.raise_for_errors()
    return layers


def check_layers(
    source: LayerSource,
    *,
    kinds: Iterable[str] | None = None,
    crs: Any = None,
    plan: Any = None,
) -> CheckReport:
    """Check layers against the catalogue and return the report, without raising.

    Takes the same sources and options as :func:`read_layers`. With ``plan`` (a
    :class:`~geoplan.Plan`), task numbers in ``task_ids`` that the plan register does not
    have are warnings. A layer without a usable CRS is an
    error in the report; a source that cannot be opened at all still raises
    :class:`~geoplan.DataReadError`.

    Examples
    --------
    >>> import geoplan
    >>> from geoplan.datasets import SAMPLE_LAYERS, data_path
    >>> report = geoplan.check_layers(data_path(SAMPLE_LAYERS))
    >>> report.ok
    True
    """
    return _run(source, kinds=kinds, crs=crs, plan=plan, strict=False)[1]


def load_sample() -> dict[str, gpd.GeoDataFrame]:
    """Return the bundled sample layers of 泉州台商投资区 (illustrative, not survey data).

    The GeoPackage is read once per session; each call returns fresh copies.
    """
    if not _SAMPLE:
        _SAMPLE.update(read_layers(data_path(SAMPLE_LAYERS)))
    return {kind: gdf.copy() for kind, gdf in _SAMPLE.items()}


def load_sample_records() -> pd.DataFrame:
    """Return the bundled sample progress log (``layers/taishang_records.csv``)."""
    from ..records._log import read_records

    return read_records(data_path(SAMPLE_RECORDS))


def catalogue_frame() -> pd.DataFrame:
    """Return the catalogue as a table: one row per kind and column."""
    rows = [
        {
            "kind": kind.name,
            "kind_label": kind.label,
            "geometry": kind.geometry,
            "column": col.name,
            "label": col.label,
            "type": col.type,
            "required": col.required,
            "values": ", ".join(f"{k} {v}" for k, v in col.values.items()),
            "description": col.description,
            "tasks": ",".join(map(str, kind.tasks)),
        }
        for kind in LAYER_KINDS.values()
        for col in kind.columns
    ]
    return pd.DataFrame(rows)


_SAMPLE: dict[str, gpd.GeoDataFrame] = {}


def _run(
    source: LayerSource,
    *,
    kinds: Iterable[str] | None,
    crs: Any = None,
    plan: Any = None,
    strict: bool,
) -> tuple[dict[str, gpd.GeoDataFrame], CheckReport]:
    label, raw, issues = _read_source(source, crs, strict=strict)
    report = CheckReport(label, issues)
    wanted = _wanted(kinds)
    for kind in wanted:
        if kind not in raw:
            report.issues.append(
                Issue(
                    "error",
                    kind,
                    None,
                    f"layer {kind!r} ({LAYER_KINDS[kind].label}) is missing "
                    f"from {label}; found: {', '.join(raw) or 'no layer named by kind'}",
                    f"add a layer named {kind!r} (in a folder: a file {kind}.gpkg/.geojson/.shp)",
                )
            )
    # a layer refused for its CRS was found: do not also say that none was
    if not raw and not wanted and not any(i.level == "error" for i in report.issues):
        report.issues.append(
            Issue(
                "error",
                label,
                None,
                f"{label} holds no layer named by a kind",
                f"name layers (or files) by kind: {', '.join(KIND_NAMES)}",
            )
        )
    layers: dict[str, gpd.GeoDataFrame] = {}
    for kind in KIND_NAMES:
        if kind not in raw:
            continue
        try:
            gdf, found, repaired = validate_layer(kind, raw[kind], source=label)
        except CRSError as exc:
            if strict:
                raise
            report.issues.append(
                Issue("error", kind, "geometry", str(exc), "set the layer's CRS (see the message)")
            )
            continue
        layers[kind] = gdf
        report.issues.extend(found)
        report.features[kind] = len(gdf)
        report.repaired[kind] = repaired
    report.issues.extend(check_references(layers))
    if plan is not None:
        report.issues.extend(check_task_ids(layers, [t.id for t in plan.tasks]))
    return layers, report


def _wanted(kinds: Iterable[str] | None) -> list[str]:
    if kinds is None:
        return []
    wanted = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = [k for k in wanted if k not in LAYER_KINDS]
    if unknown:
        raise SchemaError(
            f"unknown layer kinds {unknown} in `kinds=`; the kinds are: {', '.join(KIND_NAMES)}"
        )
    return wanted


def _read_source(
    source: LayerSource, crs: Any = None, *, strict: bool = True
) -> tuple[str, dict[str, gpd.GeoDataFrame], list[Issue]]:
    """Return (label, kind -> raw layer, issues about the source itself).

    Only layers and files named by a kind are read; with ``strict=False`` a layer whose
    CRS is missing or wrong becomes an error issue instead of raising.
    """
    if isinstance(source, Mapping):
        return _by_kind("<GeoDataFrames>", dict(source))
    if isinstance(source, str) and "://" in source:
        from ..store import read_layers_from_db

        return _by_kind(source.split("@")[-1], dict(read_layers_from_db(source)))
    path = Path(source)
    if not path.exists():
        raise DataReadError(
            f"layers source {str(path)!r} does not exist; pass a GeoPackage, "
            "a folder of <kind>.geojson/.shp/.gpkg files or a database URL"
        )
    label = str(path)
    found: list[tuple[str, Path, str | None]]
    if path.is_dir():
        found = [(p.name, p, None) for p in sorted(path.iterdir())]
        found = [f for f in found if f[1].suffix.lower() in LAYER_SUFFIXES]
    elif path.suffix.lower() == ".gpkg":
        found = [(name, path, name) for name in _gpkg_layers(path)]
    else:
        found = [(path.name, path, None)]
    jobs: dict[str, tuple[str, Path, str | None]] = {}
    issues = []
    for name, file, layer in found:
        kind = kind_for_name(layer or file.stem)
        if kind is None:
            issues.append(_not_a_kind(label, name))
        elif kind in jobs:
            raise SchemaError(
                f"{label}: both {jobs[kind][0]!r} and {name!r} hold the {kind} layer; keep one"
            )
        else:
            jobs[kind] = (name, file, layer)
    raw = {}
    for kind, (_, file, layer) in jobs.items():
        try:
            raw[kind] = _read(file, layer=layer, crs=crs)
        except CRSError as exc:
            if strict:
                raise
            issues.append(Issue("error", kind, "geometry", str(exc), "set the layer's CRS"))
    label, layers, more = _by_kind(label, raw)
    return label, layers, issues + more


def _not_a_kind(label: str, name: str) -> Issue:
    return Issue(
        "info",
        label,
        None,
        f"layer {name!r} is not a layer kind; ignored",
        f"rename it to one of: {', '.join(KIND_NAMES)}",
    )


def _read(path: Path, layer: str | None = None, *, crs: Any = None) -> object:
    """:func:`geoplan.read_file` (imported here: ``io`` is only needed for files).

    Geometry that GEOS refuses (a polygon ring that is not closed) is already a
    :class:`~geoplan.DataReadError` naming the file and the features, raised by ``io``.
    """
    from ..io import read_file

    return read_file(path, layer=layer, crs=crs)


def _gpkg_layers(path: Path) -> list[str]:
    import pyogrio

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            names = pyogrio.list_layers(path)[:, 0]
        except Exception as exc:  # pyogrio raises several classes for a damaged file
            from ..io import _gdal_detail

            raise DataReadError(
                f"GeoPackage {str(path)!r} cannot be opened ({_gdal_detail(exc)}); the file is "
                "damaged or not a GeoPackage: export it again from the GIS"
            ) from exc
    for warning in caught:
        logger.warning("listing the layers of %s: %s", path, warning.message)
    return [str(n) for n in names if str(n) != RECORDS_TABLE]


def _by_kind(
    label: str, raw: dict[str, object]
) -> tuple[str, dict[str, gpd.GeoDataFrame], list[Issue]]:
    out: dict[str, gpd.GeoDataFrame] = {}
    issues = []
    for name, gdf in raw.items():
        kind = kind_for_name(str(name))
        if kind is None:
            issues.append(_not_a_kind(label, str(name)))
            continue
        if kind in out:
            raise SchemaError(f"{label}: two layers hold {kind} ({name!r} and {kind!r}); keep one")
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise SchemaError(
                f"{label}: layer {name!r} has no geometry column; a {kind} "
                f"layer holds {LAYER_KINDS[kind].geometry} features"
            )
        out[kind] = gdf
    return label, out, issues


__all__ = [
    "LAYER_KINDS",
    "STATUS_LABELS",
    "CheckReport",
    "Column",
    "Issue",
    "LayerKind",
    "catalogue_frame",
    "check_layers",
    "load_sample",
    "load_sample_records",
    "read_layers",
]
