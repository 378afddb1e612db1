"""Bulk loading of layers into the planning database.

A load never inserts row by row through the ORM. Columns are checked and converted as
whole arrays, then written in one batch (PostGIS: text ``COPY`` with hex EWKB, built a
column at a time; GeoPackage: ``executemany`` with GeoPackage-binary blobs built with
numpy).

The first load into an empty layer writes straight into the layer table and builds the
spatial index once at the end (:func:`_first_load`). Later loads go to a temporary staging
table, and a few set-based statements merge them:

1. mark the staged features that are new or differ from the stored ones (``dirty``);
2. move the stored features that the new data lacks to ``<kind>_history`` (deleted, with
   ``valid_to`` = the load's ``valid_from``);
3. copy the stored version of each changed feature to ``<kind>_history`` with
   ``valid_to`` = the load's ``valid_from``;
4. ``INSERT … ON CONFLICT (id) DO UPDATE`` the dirty features.

Polygon and line layers are stored as MultiPolygon and MultiLineString: single parts are
promoted, all at once, when a layer is prepared. Footprint kinds (farmhouses, heritage
sites) keep points as points and promote their polygons the same way.

The caller runs all of it in one transaction, so a failed or killed load changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .._errors import CRSError, SchemaError, StoreError
from ..catalogue import GEOMETRY_TYPES, LAYER_KINDS, geometry_types
from ._backends import SRID, Backend
from ._models import LAYER_TABLES, layer_columns
from ._rtree import bulk_load

logger = logging.getLogger("geoplan.store")

_STAGE = "geoplan_stage"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")


@dataclass(frozen=True)
class LoadStats:
    """What one layer's load did: features staged, inserted, updated, unchanged, deleted.

    ``deleted`` counts stored features the new data lacked; their last version is kept
    in ``<kind>_history``.
    """

    kind: str
    staged: int
    inserted: int
    updated: int
    deleted: int = 0

    @property
    def unchanged(self) -> int:
        return self.staged - self.inserted - self.updated


def check_kind(name: object) -> str:
    """Return ``name`` if it is a layer kind of the catalogue, else raise SchemaError."""
    if not isinstance(name, str) or name not in LAYER_KINDS:
        raise SchemaError(
            f"layer {name!r} is not a layer kind geoplan stores; rename it to one of "
            f"{', '.join(LAYER_KINDS)}"
        )
    return name


def q(conn: Connection, name: str) -> str:
    """Quote an identifier that comes from the schema (never from user input)."""
    if not _IDENTIFIER.match(name):  # the catalogue is code, but keep SQL safe regardless
        raise SchemaError(f"column or table name {name!r} is not a plain identifier")
    return conn.dialect.identifier_preparer.quote(name)


# ---------------------------------------------------------------- values for the database


def column_values(values: pd.Series, kind: str, *, where: str) -> list[Any]:
    """Convert one column to Python values for the database (``None`` for missing).

    Parameters
    ----------
    values
        The column.
    kind
        Catalogue type: ``str``, ``enum``, ``status``, ``int``, ``float``, ``bool``, ``date``.
    where
        How to name the column in an error, e.g. ``"greenways.completed_date"``.
    """
    return column_array(values, kind, where=where).tolist()


def column_array(values: pd.Series, kind: str, *, where: str) -> np.ndarray:
    """Like :func:`column_values`, as an object array; dates become ``YYYY-MM-DD`` strings.

    The checks and conversions run over whole columns (a million-row column takes tens of
    milliseconds); only a text column holding non-strings is converted value by value.
    """
    missing = values.isna().to_numpy()
    if kind in ("str", "enum", "status"):
        out = values.to_numpy(dtype=object, copy=True)
        if pd.api.types.infer_dtype(out[~missing], skipna=False) not in ("string", "empty"):
            out[~missing] = np.array([str(v) for v in out[~missing]], dtype=object)
        out[missing] = None
        return out
    if kind in ("int", "float"):
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna().to_numpy() & ~missing
        if kind == "int":
            bad |= ~missing & (numbers.fillna(0) % 1 != 0).to_numpy()
        _raise_bad(values, bad, where, "a number" if kind == "float" else "a whole number")
        numbers = numbers.astype("float64")
        if kind == "int":
            out = pd.Series(numbers.to_numpy(), dtype="Int64").to_numpy(dtype=object, copy=True)
        else:
            out = numbers.to_numpy(dtype=object, copy=True)
        out[missing] = None
        return out
    if kind == "bool":
        if pd.api.types.is_bool_dtype(values):  # bool or nullable boolean: no per-row check
            out = values.to_numpy(dtype=object, copy=True)
            out[missing] = None
            return out
        as_object = values.astype(object)
        ok = missing | as_object.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy()
        _raise_bad(values, ~ok, where, "true or false")
        out = as_object.to_numpy(dtype=object, copy=True)
        out[~missing] = np.array([bool(v) for v in out[~missing]], dtype=object)
        out[missing] = None
        return out
    if kind == "date":
        dates = pd.to_datetime(values, errors="coerce")
        _raise_bad(values, dates.isna().to_numpy() & ~missing, where, "a date (YYYY-MM-DD)")
        if getattr(dates.dt, "tz", None) is not None:  # keep the local calendar day
            dates = dates.dt.tz_localize(None)
        days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        out = np.datetime_as_string(days, unit="D").astype(object)
        out[missing | np.isnat(days)] = None
        return out
    raise SchemaError(f"{where}: unknown column type {kind!r}")


def _raise_bad(values: pd.Series, bad: np.ndarray, where: str, expected: str) -> None:
    if not bad.any():
        return
    pos = int(np.flatnonzero(bad)[0])
    raise SchemaError(
        f"{where}: row {pos} holds {values.iloc[pos]!r}, which is not {expected} "
        f"({int(bad.sum())} such rows); fix the value or leave the cell empty"
    )


def prepare_layer(kind: str, gdf: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """Check one layer against its kind; return its attribute columns and geometries.

    Raises SchemaError naming the first bad row for a missing or duplicate id, a null,
    empty, non-finite, invalid or wrongly typed geometry, or a value of the wrong type;
    CRSError for a layer without a CRS. Columns the catalogue does not know are dropped
    with a warning.
    """
    import geopandas as gpd

    check_kind(kind)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(
            f"layer {kind!r} is a {type(gdf).__name__}, not a GeoDataFrame; read it with "
            "geoplan.read_layers or geopandas.read_file"
        )
    if gdf.crs is None:
        raise CRSError(f"layer {kind!r} has no CRS; set one with gdf.set_crs(...) or add a .prj")
    if not gdf.crs.equals(f"EPSG:{SRID}"):
        gdf = gdf.to_crs(SRID)
    columns = layer_columns(kind)
    if "id" not in gdf.columns:
        raise SchemaError(f"layer {kind!r} has no 'id' column; every feature needs a unique id")
    required = [c for c in LAYER_KINDS[kind].required if c not in gdf.columns]
    if required:
        raise SchemaError(
            f"layer {kind!r} lacks the required column(s) {required}; add them "
            "(geoplan.read_layers fills what it can)"
        )
    extra = sorted(set(gdf.columns) - set(columns) - {gdf.geometry.name})
    if extra:
        logger.warning("layer %s: columns %s are not in the schema and are not stored", kind, extra)
    ids = gdf["id"]
    bad = ids.isna().to_numpy() | ids.astype(str).str.strip().eq("").to_numpy()
    _raise_bad(ids, bad, f"{kind}.id", "a feature id")
    dup = ids.astype(str).duplicated(keep=False).to_numpy()
    _raise_bad(ids, dup, f"{kind}.id", "unique within the layer (duplicate id)")
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    allowed = geometry_types(kind)  # a footprint kind takes points and (multi)polygons
    type_names = shapely.get_type_id(geoms)
    type_ok = np.isin(type_names, [shapely.GeometryType[t.upper()] for t in allowed])
    finite = np.isfinite(shapely.bounds(geoms)).all(axis=1)
    problems = [
        (shapely.is_missing(geoms), "no geometry"),
        (~shapely.is_missing(geoms) & shapely.is_empty(geoms), "an empty geometry"),
        (
            ~type_ok & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms),
            f"a geometry that is not a {' or '.join(allowed)}",
        ),
        (type_ok & ~finite, "a geometry with NaN or infinite coordinates"),
        (type_ok & finite & ~shapely.is_valid(geoms), "an invalid (self-intersecting) geometry"),
    ]
    for bad_rows, what in problems:
        if bad_rows.any():
            pos = int(np.flatnonzero(bad_rows)[0])
            raise SchemaError(
                f"layer {kind!r}: row {pos} (id {ids.iloc[pos]!r}) has {what} "
                f"({int(bad_rows.sum())} such rows); repair it (geoplan.read_layers repairs "
                "invalid polygons) or drop the feature, then load again"
            )
    for family in ("Polygon", "LineString"):
        if set(GEOMETRY_TYPES[family]) <= set(allowed):  # stored as multi-part
            geoms = promote(geoms, family)
    frame = pd.DataFrame(index=gdf.index)
    for name in columns:
        frame[name] = gdf[name] if name in gdf.columns else pd.Series(None, index=gdf.index)
    return frame, geoms


def promote(geoms: np.ndarray, family: str) -> np.ndarray:
    """Promote single polygons and lines to one-part multis (the declared column type).

    >>> import shapely
    >>> promote(np.array([shapely.box(0, 0, 1, 1)]), "Polygon")[0].geom_type
    'MultiPolygon'
    """
    single_type = {
        "Polygon": shapely.GeometryType.POLYGON,
        "LineString": shapely.GeometryType.LINESTRING,
    }
    if family not in single_type:
        return geoms
    single = shapely.get_type_id(geoms) == single_type[family]
    if not single.any():
        return geoms
    make = shapely.multipolygons if family == "Polygon" else shapely.multilinestrings
    out = geoms.copy()
    out[single] = make(geoms[single], indices=np.arange(int(single.sum())))
    return out


# ---------------------------------------------------------------- the load


def load_layer(
    conn: Connection,
    backend: Backend,
    kind: str,
    gdf: Any,
    *,
    valid_from: dt.date,
    keep_missing: bool = False,
) -> LoadStats:
    """Stage, compare and upsert one layer inside the caller's transaction.

    The first load into an empty layer has nothing to compare or keep in history, so it
    goes straight into the layer table (see :func:`_first_load`).
    """
    frame, geoms = prepare_layer(kind, gdf)
    columns = layer_columns(kind)
    values = [column_array(frame[c], t, where=f"{kind}.{c}") for c, t in columns.items()]
    current, _ = LAYER_TABLES[kind]
    if not conn.exec_driver_sql(f"SELECT EXISTS (SELECT 1 FROM {q(conn, current.name)})").scalar():
        stats = _first_load(conn, backend, kind, values, geoms, valid_from=valid_from)
    else:
        stats = _staged_load(
            conn, backend, kind, values, geoms, valid_from=valid_from, keep_missing=keep_missing
        )
    logger.info(
        "%s: %d features staged, %d new, %d changed, %d unchanged, %d deleted",
        kind,
        stats.staged,
        stats.inserted,
        stats.updated,
        stats.unchanged,
        stats.deleted,
    )
    return stats


def _staged_load(
    conn: Connection,
    backend: Backend,
    kind: str,
    values: list[np.ndarray],
    geoms: np.ndarray,
    *,
    valid_from: dt.date,
    keep_missing: bool = False,
) -> LoadStats:
    """Load into a layer that holds features: stage, compare, keep history, upsert."""
    columns: list[Any] = [*values, backend.geometry_values(geoms)]
    names = [*layer_columns(kind), "geom"]
    if backend.is_gpkg:
        bounds = shapely.bounds(geoms).reshape(-1, 4)
        columns.extend(bounds[:, i] for i in (0, 2, 1, 3))
        columns.append(morton_keys(bounds))
        names += ["minx", "maxx", "miny", "maxy", "sortkey"]
    _create_stage(conn, backend, kind)
    _copy_rows(conn, backend, _STAGE, names, columns)
    stats = _merge(
        conn, backend, kind, valid_from=valid_from, staged=len(geoms), keep_missing=keep_missing
    )
    conn.exec_driver_sql(f"DROP TABLE {_STAGE}")
    return stats


def _first_load(
    conn: Connection,
    backend: Backend,
    kind: str,
    values: list[np.ndarray],
    geoms: np.ndarray,
    *,
    valid_from: dt.date,
) -> LoadStats:
    """Write every feature of a layer's first load directly into its empty table.

    No staging table, no comparison, no history. The spatial index is built once at the
    end instead of row by row: on a GeoPackage the R-tree is packed from the bounds
    (:func:`geoplan.store._rtree.bulk_load`); on PostGIS the GiST index is dropped and
    created again after the ``COPY``, and the table is analysed so that the next load's
    merge is planned on real statistics. Both happen inside the caller's transaction, so
    a failure restores the empty table and its index (on PostGIS, dropping the index locks
    the still empty table against readers until the load commits).
    """
    current, _ = LAYER_TABLES[kind]
    table = current.name
    n = len(geoms)
    if n == 0:
        return LoadStats(kind, 0, 0, 0)
    names = [*layer_columns(kind), "valid_from", "geom"]
    day = np.full(n, valid_from.isoformat(), dtype=object)
    columns: list[Any] = [*values, day, backend.geometry_values(geoms)]
    if backend.is_gpkg:
        triggers = _drop_triggers(conn, table)
        fids = np.arange(1, n + 1, dtype=np.int64)  # the table is empty: fids start at 1
        _copy_rows(conn, backend, table, ["fid", *names], [fids, *columns])
        bounds = shapely.bounds(geoms)
        rtree = q(conn, f"rtree_{table}_geom")
        bulk_load(conn, rtree, fids, bounds)
        for sql in triggers:
            conn.exec_driver_sql(sql)
        _set_extent(conn, table, bounds)
    else:
        indexes = _drop_spatial_indexes(conn, table)
        _copy_rows(conn, backend, table, names, columns)
        for sql in indexes:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql(f"ANALYZE {q(conn, table)}")
    return LoadStats(kind, n, n, 0)


def _drop_spatial_indexes(conn: Connection, table: str) -> list[str]:
    """Drop the GiST indexes of a PostGIS ``table``; return the SQL that recreates them.

    Building a GiST index over a million points at once takes a few seconds; keeping it
    up to date row by row during the ``COPY`` takes several times longer.
    """
    found = conn.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index AS x "
            "JOIN pg_class AS i ON i.oid = x.indexrelid JOIN pg_am AS a ON a.oid = i.relam "
            "WHERE x.indrelid = CAST(:t AS regclass) AND a.amname = 'gist'"
        ),
        {"t": q(conn, table)},
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f"DROP INDEX {conn.dialect.identifier_preparer.quote(name)}")
    return [sql for _, sql in found]


def load_layers(
    conn: Connection,
    backend: Backend,
    layers: Mapping[str, Any],
    *,
    valid_from: dt.date,
    keep_missing: bool = False,
) -> dict[str, LoadStats]:
    """Load several layers inside the caller's transaction (all kinds checked first).

    A loaded layer replaces the stored one: stored features it lacks are deleted (their
    last version kept in history) unless ``keep_missing``, which only adds and updates.
    """
    for kind in layers:
        check_kind(kind)
    return {
        kind: load_layer(conn, backend, kind, gdf, valid_from=valid_from, keep_missing=keep_missing)
        for kind, gdf in layers.items()
    }


def morton_keys(bounds: np.ndarray) -> np.ndarray:
    """Z-order keys of the bounding-box centres (16 bits per axis).

    Filling the R-tree in this order keeps neighbouring features together and cuts the
    R-tree insert time by about a quarter compared with file order.
    """
    if len(bounds) == 0:
        return np.zeros(0, dtype=np.int64)
    centre = np.column_stack([(bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2])
    low, span = centre.min(axis=0), np.ptp(centre, axis=0)
    cells = ((centre - low) / np.where(span > 0, span, 1) * 65535).astype(np.uint64)

    def spread(v: np.ndarray) -> np.ndarray:
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    return (spread(cells[:, 0]) | (spread(cells[:, 1]) << np.uint64(1))).astype(np.int64)


def _create_stage(conn: Connection, backend: Backend, kind: str) -> None:
    current, _ = LAYER_TABLES[kind]
    cols = []
    for c in current.columns:
        if c.name in ("fid", "valid_from"):
            continue
        if c.name == "geom":
            cols.append(f"geom {'BLOB' if backend.is_gpkg else f'geometry(Geometry, {SRID})'}")
        else:
            cols.append(f"{q(conn, c.name)} {c.type.compile(conn.dialect)}")
    if backend.is_gpkg:
        cols.extend(f"{b} REAL" for b in ("minx", "maxx", "miny", "maxy"))
        cols.append("sortkey INTEGER")
    cols.append("dirty BOOLEAN NOT NULL DEFAULT TRUE")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_STAGE}")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_STAGE} ({', '.join(cols)})")


def _copy_rows(
    conn: Connection, backend: Backend, table: str, names: list[str], columns: list[Any]
) -> None:
    """Bulk-insert ``columns`` (one sequence per name in ``names``) into ``table``.

    GeoPackage: one ``executemany``. PostGIS: ``COPY`` in text format, the payload built a
    column at a time and written in chunks of :data:`_COPY_ROWS` rows.
    """
    cols = ", ".join(q(conn, n) for n in names)
    raw: Any = conn.connection.dbapi_connection
    target = table if table == _STAGE else q(conn, table)
    if backend.is_gpkg:
        marks = ", ".join("?" * len(names))
        # sqlite3 binds Python numbers, not numpy's
        plain = [c.tolist() if _numeric(c) else c for c in columns]
        cur = raw.cursor()
        cur.executemany(f"INSERT INTO {target} ({cols}) VALUES ({marks})", zip(*plain, strict=True))
        cur.close()
        return
    with raw.cursor() as cur, cur.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
        for start in range(0, len(columns[0]), _COPY_ROWS):
            copy.write(copy_text([c[start : start + _COPY_ROWS] for c in columns]))


def _numeric(column: Any) -> bool:
    return isinstance(column, np.ndarray) and column.dtype.kind in "biuf"


#: Rows per chunk written to a PostGIS ``COPY`` (about 10-20 MB of text).
_COPY_ROWS = 100_000

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _needs_escape(joined: str) -> bool:
    return any(char in joined for char in "\\\t\n\r")


def copy_text(columns: list[Any]) -> bytes:
    """Encode rows for PostgreSQL ``COPY … FROM STDIN`` (text format), whole columns at a time.

    Parameters
    ----------
    columns
        Equal-length sequences of ``str``, ``int``, ``float``, ``bool`` or ``None``
        (written as ``\\N``). Backslashes, tabs and line breaks in text are escaped as
        the text format requires.

    Returns
    -------
    bytes
        UTF-8 lines, one per row, each ending in a newline.
    """
    fields = []
    for column in columns:
        strings = np.array(column, dtype=object)
        missing = pd.isna(strings)
        if pd.api.types.infer_dtype(strings[~missing], skipna=False) not in ("string", "empty"):
            strings[~missing] = np.array(list(map(str, strings[~missing])), dtype=object)
        elif _needs_escape("".join(strings[~missing])):
            # rare in planning data, so only such columns are escaped value by value
            strings[~missing] = np.array(
                [v.translate(_COPY_ESCAPES) for v in strings[~missing]], dtype=object
            )
        strings[missing] = "\\N"
        fields.append(strings)
    return ("\n".join(map("\t".join, zip(*fields, strict=True))) + "\n").encode("utf-8")


def _merge(
    conn: Connection,
    backend: Backend,
    kind: str,
    *,
    valid_from: dt.date,
    staged: int,
    keep_missing: bool = False,
) -> LoadStats:
    current, history = LAYER_TABLES[kind]
    t, h = q(conn, current.name), q(conn, history.name)
    attrs = [q(conn, c) for c in layer_columns(kind) if c != "id"]
    changed = " OR ".join(
        [backend.distinct(f"t.{a}", f"{_STAGE}.{a}") for a in attrs]
        + [backend.distinct("t.geom", f"{_STAGE}.geom", geometry=True)]
    )
    conn.exec_driver_sql(
        f"UPDATE {_STAGE} SET dirty = FALSE WHERE EXISTS (SELECT 1 FROM {t} AS t "
        f"WHERE t.id = {_STAGE}.id AND NOT ({changed}))"
    )
    vf = {"vf": valid_from.isoformat()} if backend.is_gpkg else {"vf": valid_from}
    dirty, updated, later = conn.execute(
        text(
            f"SELECT COUNT(*), COUNT(t.id), COALESCE(SUM(CASE WHEN t.valid_from > :vf "
            f"THEN 1 ELSE 0 END), 0) FROM {_STAGE} AS s LEFT JOIN {t} AS t ON t.id = s.id "
            "WHERE s.dirty"
        ),
        vf,
    ).one()
    missing = 0
    if not keep_missing:
        stored = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one()
        # every unchanged staged feature is stored, and `updated` dirty ones are
        missing = stored - (staged - dirty) - updated
    if missing:
        absent = (
            f"t.id NOT IN (SELECT id FROM {_STAGE})"  # SQLite indexes the list once
            if backend.is_gpkg
            else f"NOT EXISTS (SELECT 1 FROM {_STAGE} AS s WHERE s.id = t.id)"
        )
        later += conn.execute(
            text(f"SELECT COUNT(*) FROM {t} AS t WHERE {absent} AND t.valid_from > :vf"), vf
        ).scalar_one()
    if later:
        raise StoreError(
            f"layer {kind!r}: {later} changed or deleted features were stored with a "
            f"valid_from later than {valid_from}; load versions in date order (pass a later "
            "valid_from)"
        )
    keep = ["id", *attrs, "valid_from", "geom"]
    if missing:
        # deleted features: their last version goes to history, the R-tree trigger
        # removes them from the spatial index
        conn.execute(
            text(
                f"INSERT INTO {h} ({', '.join(keep)}, valid_to) SELECT "
                f"{', '.join('t.' + c for c in keep)}, :vf FROM {t} AS t WHERE {absent}"
            ),
            vf,
        )
        conn.exec_driver_sql(
            f"DELETE FROM {t} WHERE fid IN (SELECT t.fid FROM {t} AS t WHERE {absent})"
        )
        if backend.is_gpkg:
            _set_extent(conn, current.name, None)
    if dirty == 0:
        return LoadStats(kind, staged, 0, 0, missing)
    triggers = []
    if backend.is_gpkg:
        triggers = _drop_triggers(conn, current.name) + _drop_triggers(conn, history.name)
    conn.execute(
        text(
            f"INSERT INTO {h} ({', '.join(keep)}, valid_to) SELECT "
            f"{', '.join('t.' + c for c in keep)}, :vf FROM {t} AS t "
            f"JOIN {_STAGE} AS s ON s.id = t.id WHERE s.dirty"
        ),
        vf,
    )
    cols = ", ".join(["id", *attrs])
    updates = ", ".join(f"{c} = excluded.{c}" for c in [*attrs, "valid_from", "geom"])
    conn.execute(
        text(
            f"INSERT INTO {t} ({cols}, valid_from, geom) SELECT {cols}, :vf, geom "
            f"FROM {_STAGE} WHERE dirty ON CONFLICT (id) DO UPDATE SET {updates}"
        ),
        vf,
    )
    if backend.is_gpkg:
        _update_rtree(conn, current.name, triggers)
    return LoadStats(kind, staged, dirty - updated, updated, missing)


def _drop_triggers(conn: Connection, table: str) -> list[str]:
    """Drop the GeoPackage triggers of ``table``; return their SQL to recreate them.

    The triggers check each row's geometry type and SRID and update the R-tree one row at a
    time through the ``ST_*`` SQL functions, which makes a bulk load many times slower.
    :func:`prepare_layer` has already checked types and SRID, and :func:`_update_rtree`
    fills the R-tree from the staged bounds in one statement.
    """
    found = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f"DROP TRIGGER {conn.dialect.identifier_preparer.quote(name)}")
    return [sql for _, sql in found]


def _update_rtree(conn: Connection, table: str, triggers: list[str]) -> None:
    """Add the dirty staged features to the R-tree, in Z-order, and restore the triggers."""
    rtree = q(conn, f"rtree_{table}_geom")
    conn.exec_driver_sql(
        f"INSERT OR REPLACE INTO {rtree} (id, minx, maxx, miny, maxy) "
        f"SELECT t.fid, s.minx, s.maxx, s.miny, s.maxy FROM {_STAGE} AS s "
        f"JOIN {q(conn, table)} AS t ON t.id = s.id WHERE s.dirty ORDER BY s.sortkey"
    )
    for sql in triggers:
        conn.exec_driver_sql(sql)
    _set_extent(conn, table, None)


def _set_extent(conn: Connection, table: str, bounds: np.ndarray | None) -> None:
    """Record a GeoPackage layer's extent in ``gpkg_contents``.

    ``bounds`` (shapely order) are those of all its features, or ``None`` to read the
    extent from the layer's R-tree.
    """
    extent: tuple[Any, ...]
    if bounds is None:
        rtree = q(conn, f"rtree_{table}_geom")
        extent = tuple(
            conn.exec_driver_sql(
                f"SELECT MIN(minx), MIN(miny), MAX(maxx), MAX(maxy) FROM {rtree}"
            ).one()
        )
    else:
        extent = (*bounds[:, :2].min(axis=0).tolist(), *bounds[:, 2:].max(axis=0).tolist())
    conn.execute(
        text(
            "UPDATE gpkg_contents SET min_x = :x0, min_y = :y0, max_x = :x1, max_y = :y1, "
            "last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE table_name = :t"
        ),
        dict(zip(("x0", "y0", "x1", "y1"), extent, strict=True), t=table),
    )
