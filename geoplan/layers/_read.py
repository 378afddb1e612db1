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
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._errors import CRSError, DataReadError, SchemaError
from ..catalogue import (
    KIND_NAMES,
    LAYER_KINDS,
    RECORDS_TABLE,
    STATUS_LABELS,
    Column,
    LayerKind,
    geometry_types,
    kind_for_name,
)
from ._mapping import ColumnMapping, attach_labels, propose_mapping, read_column_mapping
from ._validate import CheckReport, Issue, check_references, check_task_ids, validate_layer

logger = logging.getLogger(__name__)

#: File suffixes read from a folder of layers (``<kind>.<suffix>``; a ``.gdb`` is a folder).
LAYER_SUFFIXES = (
    ".gpkg",
    ".geojson",
    ".json",
    ".shp",
    ".parquet",
    ".kml",
    ".kmz",
    ".dxf",
    ".gdb",
    ".csv",
    ".xlsx",
    ".zip",
)

LayerSource = str | Path | Mapping[str, gpd.GeoDataFrame]
#: A column mapping: a ``.yaml``/``.csv`` path or a :class:`ColumnMapping`.
ColumnsArg = str | os.PathLike[str] | ColumnMapping | None


def read_layers(
    source: LayerSource,
    *,
    kinds: Iterable[str] | None = None,
    crs: Any = None,
    columns: ColumnsArg = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read, validate and repair the layers of a GeoPackage, folder or database.

    Parameters
    ----------
    source
        - a GeoPackage: one layer per kind, each named by its kind (``greenways``; the
          Chinese label ``福道`` is accepted too); other layers are reported as info and
          ignored, and the ``records`` table is skipped;
        - a folder of files named ``<kind>.geojson|.shp|.gpkg|.parquet|.kml|.kmz|.dxf|
          .csv|.xlsx`` or ``<kind>.gdb``; a multi-layer file in it that is not named by a
          kind contributes its own layers (KML folders, CAD layers, sheets…);
        - one such file; a KML/KMZ, DXF, File Geodatabase (folder or zip) or workbook gives
          one layer per folder, CAD layer, feature class or sheet named by a kind;
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
    columns
        A column mapping (``.yaml``/``.csv`` path or :class:`ColumnMapping`, see
        :mod:`geoplan.layers._mapping`): the user's column names and values mapped to the
        catalogue's, the layer holding each kind, and per-layer CRSs (which take
        precedence over ``crs``). Applied before validation.

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

    Examples
    --------
    >>> import geoplan
    >>> path = geoplan.datasets.data_path("taishang_sample.gpkg")
    >>> layers = geoplan.read_layers(path, kinds=["towns", "parks"])
    >>> layers["towns"].crs.to_epsg(), len(layers["towns"])
    (4326, 4)
    """
    layers, report = _run(source, kinds=kinds, crs=crs, strict=True, columns=columns)
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
    columns: ColumnsArg = None,
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
    return _run(source, kinds=kinds, crs=crs, plan=plan, strict=False, columns=columns)[1]


def propose_column_mapping(
    source: LayerSource, *, crs: Any = None, columns: ColumnsArg = None
) -> ColumnMapping:
    """Draft a column mapping for ``source`` for the user to check and edit.

    Each layer is read (with ``columns`` applied if given, so a mapping can be refined);
    columns and values that are not the catalogue's are matched to the closest catalogue
    column and value (see :func:`geoplan.layers._mapping.propose_mapping`), and layers not
    named by a kind get the most similar kind of their geometry, as ``source:``. Entries
    of ``columns`` are kept. Write the result with ``write_column_mapping``.
    """
    mapping = _as_mapping(columns)
    found = _read_source(source, crs, strict=False, columns=mapping)
    unresolved = {}
    for name, (file, layer) in found.unresolved.items():
        try:
            unresolved[name] = _read(file, layer=layer, crs=crs)
        except (CRSError, DataReadError) as exc:
            logger.info("not proposing a kind for %s: %s", name, exc)
    draft = propose_mapping(found.raw, unresolved=unresolved)
    if mapping is None:
        return draft
    for kind, spec in draft.layers.items():
        mine = mapping.layers.get(kind)
        if mine is None:
            mapping.layers[kind] = spec
            continue
        for theirs, ours in spec.columns.items():
            targets = [ours] if isinstance(ours, str) else ours
            if not set(targets) & set(mine.targets()):
                mine.columns.setdefault(theirs, ours)
        for column, table in spec.values.items():
            for theirs, ours in table.items():
                mine.values.setdefault(column, {}).setdefault(theirs, ours)
    return mapping


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


def _run(
    source: LayerSource,
    *,
    kinds: Iterable[str] | None,
    crs: Any = None,
    plan: Any = None,
    strict: bool,
    columns: ColumnsArg = None,
) -> tuple[dict[str, gpd.GeoDataFrame], CheckReport]:
    found = _read_source(source, crs, strict=strict, columns=columns)
    label, raw = found.label, found.raw
    report = CheckReport(label, found.issues)
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
    if not found.kinds and not wanted and not any(i.level == "error" for i in report.issues):
        report.issues.append(
            Issue(
                "error",
                label,
                None,
                f"{label} holds no layer named by a kind",
                f"name layers (or files) by kind: {', '.join(KIND_NAMES)}, or name the layer "
                "holding each kind in a column mapping (`source:`; --columns)",
            )
        )
    layers: dict[str, gpd.GeoDataFrame] = {}
    complete: dict[str, gpd.GeoDataFrame] = {}
    for kind in KIND_NAMES:
        if kind not in raw:
            continue
        where = str(raw[kind].attrs.get("geoplan_source", label))
        if raw[kind].attrs.get("geoplan_layer") not in (None, Path(where).stem):
            where = f"{where} (layer {raw[kind].attrs['geoplan_layer']})"
        try:
            gdf, issues, repaired = validate_layer(kind, raw[kind], source=where)
        except CRSError as exc:
            if strict:
                raise
            report.issues.append(
                Issue("error", kind, "geometry", str(exc), "set the layer's CRS (see the message)")
            )
            continue
        layers[kind] = gdf
        report.issues.extend(issues)
        report.features[kind] = len(gdf)
        report.repaired[kind] = repaired
        # a layer missing required columns is not cross-checked: its columns are not typed
        if all(c.name in gdf.columns for c in LAYER_KINDS[kind].columns):
            complete[kind] = gdf
    report.issues.extend(check_references(complete))
    if plan is not None:
        report.issues.extend(check_task_ids(complete, [t.id for t in plan.tasks]))
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


@dataclass
class _Found:
    """What a source holds: layers by kind, and the layers no kind claims (unread)."""

    label: str
    raw: dict[str, gpd.GeoDataFrame]
    issues: list[Issue]
    unresolved: dict[str, tuple[Path, str | None]] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # found, even if unreadable (CRS)

    def __post_init__(self) -> None:
        self.kinds = self.kinds or list(self.raw)


def _as_mapping(columns: ColumnsArg) -> ColumnMapping | None:
    if columns is None or isinstance(columns, ColumnMapping):
        return columns
    return read_column_mapping(columns)


def _entries(path: Path) -> list[tuple[str, Path, str | None]]:
    """(name, file, layer) for each layer of a file or folder, before kinds are assigned.

    A file named by a kind (or a mapping's ``source``) is one layer; a multi-layer file
    (GeoPackage, KML folders, DXF CAD layers, geodatabase feature classes, workbook sheets)
    contributes its layers by their own names.
    """
    from ..io import FORMATS, MULTI_LAYER_FORMATS, _formats

    def fmt_of(p: Path) -> str | None:
        if p.is_dir():
            return "File Geodatabase" if p.suffix.lower() == ".gdb" else None
        fmt = FORMATS.get(p.suffix.lower())
        if fmt == "zipped Shapefile" and p.stat().st_size and _formats.gdb_source(p):
            return "File Geodatabase"
        return fmt

    def inner(p: Path, fmt: str) -> list[tuple[str, Path, str | None]]:
        if fmt == "GeoPackage":
            return [(name, p, name) for name in _gpkg_layers(p)]
        from ..io import _check_path

        _check_path(p)
        return [(name, p, name) for name in _formats.list_layers(p, fmt)]

    if path.is_dir() and path.suffix.lower() != ".gdb":
        out: list[tuple[str, Path, str | None]] = []
        for p in sorted(path.iterdir()):
            if p.suffix.lower() not in LAYER_SUFFIXES or p.name.startswith("."):
                continue
            if p.stem.lower() == RECORDS_TABLE:  # the progress log beside the layers
                continue
            fmt = fmt_of(p)
            if fmt in MULTI_LAYER_FORMATS and kind_for_name(p.stem) is None:
                out += [(f"{p.name}:{name}", p, layer) for name, _, layer in inner(p, fmt)]
            else:
                out.append((p.name, p, None))
        return out
    fmt = fmt_of(path)
    if fmt in MULTI_LAYER_FORMATS:
        return inner(path, fmt)
    return [(path.name, path, None)]


def _read_source(
    source: LayerSource,
    crs: Any = None,
    *,
    strict: bool = True,
    columns: ColumnsArg = None,
) -> _Found:
    """Read the layers of a source named by a kind (or by a mapping's ``source``).

    With ``strict=False`` a layer whose CRS is missing or wrong becomes an error issue
    instead of raising. The column mapping renames and recodes each layer as read.
    """
    mapping = _as_mapping(columns)
    if isinstance(source, Mapping):
        label, raw, issues = _by_kind("<GeoDataFrames>", dict(source))
        return _Found(label, *_mapped(raw, issues, mapping))
    if isinstance(source, str) and "://" in source:
        from ..store import read_layers_from_db

        label, raw, issues = _by_kind(source.split("@")[-1], dict(read_layers_from_db(source)))
        return _Found(label, *_mapped(raw, issues, mapping))
    path = Path(source)
    if not path.exists():
        raise DataReadError(
            f"layers source {str(path)!r} does not exist; pass a GeoPackage, "
            "a folder of <kind>.geojson/.shp/.gpkg files or a database URL"
        )
    label = str(path)
    jobs: dict[str, tuple[str, Path, str | None]] = {}
    issues = []
    unresolved = {}
    for name, file, layer in _entries(path):
        own = layer or file.stem
        kind = None
        if mapping is not None:
            kind = mapping.kind_for_source(own) or mapping.kind_for_source(file.name)
        kind = kind or kind_for_name(own)
        if kind is None:
            issues.append(_not_a_kind(label, name))
            unresolved[own] = (file, layer)
        elif kind in jobs:
            raise SchemaError(
                f"{label}: both {jobs[kind][0]!r} and {name!r} hold the {kind} layer; keep one"
            )
        else:
            jobs[kind] = (name, file, layer)
    raw = {}
    for kind, (_, file, layer) in jobs.items():
        layer_crs = mapping.crs_for(kind, crs) if mapping is not None else crs
        try:
            raw[kind] = _read(file, layer=layer, crs=layer_crs)
            spec = mapping.layers.get(kind) if mapping is not None else None
            if spec is not None and spec.labels:
                labels = _read(file, layer=spec.labels, crs=layer_crs)
                closed, n = _close_rings(kind, raw[kind])  # CAD boundaries hold their labels
                if n:
                    issues.append(_closed_note(kind, n))
                raw[kind], notes = attach_labels(closed, labels)
                issues += [Issue("info", kind, "label", note) for note in notes]
        except CRSError as exc:
            if strict:
                raise
            issues.append(Issue("error", kind, "geometry", str(exc), "set the layer's CRS"))
    label, layers, more = _by_kind(label, raw)
    layers, issues = _mapped(layers, issues + more, mapping)
    return _Found(label, layers, issues, unresolved, list(jobs))


def _mapped(
    raw: dict[str, gpd.GeoDataFrame], issues: list[Issue], mapping: ColumnMapping | None
) -> tuple[dict[str, gpd.GeoDataFrame], list[Issue]]:
    """Apply the column mapping, and read closed lines as polygons for polygon kinds."""
    out = {}
    for kind, gdf in raw.items():
        if mapping is not None:
            gdf, notes = mapping.apply(kind, gdf)
            issues += [Issue("info", kind, None, note) for note in notes]
        gdf, closed = _close_rings(kind, gdf)
        if closed:
            issues.append(_closed_note(kind, closed))
        out[kind] = gdf
    return out, issues


def _closed_note(kind: str, n: int) -> Issue:
    text = f"{n} closed lines (CAD polylines, KML rings) read as polygons"
    return Issue("info", kind, "geometry", text, count=n)


def _close_rings(kind: str, gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Closed (Multi)LineStrings -> polygons in layers whose kind holds polygons.

    Only in a layer drawn without polygons (CAD polylines, KML paths): where polygons and
    closed lines share a layer, the lines are more likely a mistake, which validation
    reports as mixed geometry types.
    """
    import numpy as np
    import shapely

    if "Polygon" not in geometry_types(LAYER_KINDS[kind]) or not len(gdf):
        return gdf, 0
    geom = np.asarray(gdf.geometry.array, dtype=object)
    type_ids = shapely.get_type_id(geom)
    lines = np.isin(type_ids, (1, 5))
    if not lines.any() or np.isin(type_ids, (3, 6)).any():
        return gdf, 0
    parts, index = shapely.get_parts(geom[lines], return_index=True)
    open_parts = ~shapely.is_closed(parts) | (shapely.get_num_coordinates(parts) < 4)
    ring = np.ones(int(lines.sum()), dtype=bool)
    ring[np.unique(index[open_parts])] = False
    todo = np.flatnonzero(lines)[ring]
    if not todo.size:
        return gdf, 0
    geom = geom.copy()
    geom[todo] = shapely.build_area(geom[todo])
    gdf = gdf.set_geometry(gpd.GeoSeries(geom, index=gdf.index, crs=gdf.crs))
    return gdf, int(todo.size)


def _not_a_kind(label: str, name: str) -> Issue:
    return Issue(
        "info",
        label,
        None,
        f"layer {name!r} is not a layer kind; ignored",
        f"rename it to one of: {', '.join(KIND_NAMES)}, or name it as `source:` of a kind "
        "in a column mapping (--columns; `geoplan layers check --write-mapping` drafts one)",
    )


def _read(path: Path, layer: str | None = None, *, crs: Any = None) -> gpd.GeoDataFrame:
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
    "read_layers",
]
