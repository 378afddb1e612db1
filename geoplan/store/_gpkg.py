"""The GeoPackage 1.4 container, written in plain SQL with the standard ``sqlite3`` module.

No SpatiaLite: the ``gpkg_*`` system tables, the feature and attribute tables, the R-tree
spatial index and its triggers are created here as the OGC GeoPackage 1.4 standard
(OGC 12-128r19) writes them, so that GDAL's ``validate_gpkg.py``, QGIS and ArcGIS read the
file as written. The R-tree triggers call ``ST_MinX`` … ``ST_IsEmpty``, which every
GeoPackage client provides; geoplan registers its own versions on each connection
(:func:`register_functions`), reading the envelope from the GeoPackage binary header.
"""

from __future__ import annotations

import struct
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from ._backends import SRID

#: ``PRAGMA application_id``: the ASCII bytes "GPKG" (GeoPackage 1.2 and later).
APPLICATION_ID = 0x47504B47

#: ``PRAGMA user_version``: GeoPackage 1.4.0.
USER_VERSION = 10400

#: The WGS 84 definition GDAL writes for EPSG:4326 (OGC WKT 1).
_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,'
    'AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],'
    'AUTHORITY["EPSG","4326"]]'
)

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

_BASE_TABLES = (
    """CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
)""",
    f"""CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT ({_NOW}),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
)""",
    """CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
)""",
    """CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
)""",
)

_SRS_ROWS = (
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian SRS"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic SRS"),
    ("WGS 84 geodetic", SRID, "EPSG", SRID, _WGS84_WKT, "longitude/latitude on WGS 84"),
)

#: System tables a GeoPackage may hold besides the user's tables.
SYSTEM_TABLES = frozenset(
    {
        "gpkg_spatial_ref_sys",
        "gpkg_contents",
        "gpkg_geometry_columns",
        "gpkg_extensions",
        "gpkg_tile_matrix_set",
        "gpkg_tile_matrix",
        "gpkg_data_columns",
        "gpkg_data_column_constraints",
        "gpkg_metadata",
        "gpkg_metadata_reference",
        "gpkg_ogr_contents",
        "sqlite_sequence",
        "sqlite_stat1",
        "sqlite_stat4",
        "layer_styles",
    }
)

_RTREE_DEFINITION = "http://www.geopackage.org/spec/#extension_rtree"


def has_base_tables(conn: Connection) -> bool:
    """True when the database already holds the GeoPackage system tables."""
    return bool(
        conn.exec_driver_sql(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
            "('gpkg_spatial_ref_sys', 'gpkg_contents', 'gpkg_geometry_columns')"
        ).scalar_one()
        == 3
    )


def create_base(conn: Connection) -> None:
    """Mark the file as a GeoPackage 1.4 and create the system tables it lacks."""
    conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.exec_driver_sql(f"PRAGMA user_version = {USER_VERSION}")
    if not has_base_tables(conn):
        for sql in _BASE_TABLES:
            conn.exec_driver_sql(sql)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    # an empty GeoPackage made by another program may lack a system row or table
    conn.exec_driver_sql(_BASE_TABLES[3].replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
    raw.executemany(
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, "
        "organization_coordsys_id, definition, description) VALUES (?, ?, ?, ?, ?, ?)",
        _SRS_ROWS,
    )


#: GeoPackage column type per SQLAlchemy type name (8-byte DOUBLE, never 4-byte FLOAT).
_COLUMN_TYPES = {
    "INTEGER": "INTEGER",
    "BIGINT": "INTEGER",
    "TEXT": "TEXT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "DATETIME": "DATETIME",
}


def column_type(column: Any) -> str:
    """The GeoPackage SQL type of a SQLAlchemy column (geometry: its geometry type)."""
    geometry_type = getattr(column.type, "geometry_type", None)
    if geometry_type is not None:
        return str(geometry_type).upper()
    name = type(column.type).__name__.upper()
    if name == "GPKGDATETIME":
        return "DATETIME"
    if name not in _COLUMN_TYPES:
        raise TypeError(f"no GeoPackage type for column {column.name} ({name})")
    return _COLUMN_TYPES[name]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table(conn: Connection, table: Table) -> None:
    """Create one user table (integer primary key, unique and foreign keys, indexes)."""
    parts = []
    for col in table.columns:
        sql = f"{_quote(col.name)} {column_type(col)}"
        if col.primary_key:
            sql += " PRIMARY KEY AUTOINCREMENT NOT NULL"
        elif not col.nullable:
            sql += " NOT NULL"
        if col.unique:
            sql += " UNIQUE"
        for fk in col.foreign_keys:
            target = fk.target_fullname.split(".")
            sql += f" REFERENCES {_quote(target[0])} ({_quote(target[1])})"
        parts.append(sql)
    for constraint in table.constraints:
        columns = getattr(constraint, "columns", None)
        if type(constraint).__name__ == "UniqueConstraint" and columns is not None:
            parts.append(f"UNIQUE ({', '.join(_quote(c.name) for c in columns)})")
    conn.exec_driver_sql(f"CREATE TABLE {_quote(table.name)} (\n  " + ",\n  ".join(parts) + "\n)")
    for col in table.columns:
        if col.index:
            conn.exec_driver_sql(
                f"CREATE INDEX {_quote(f'ix_{table.name}_{col.name}')} "
                f"ON {_quote(table.name)} ({_quote(col.name)})"
            )


def register_attributes(conn: Connection, table: str, description: str) -> None:
    """List a plain table in ``gpkg_contents`` so that GDAL and QGIS show it."""
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?)",
        (table, table, description),
    )


def register_features(
    conn: Connection,
    table: str,
    geometry_type: str,
    *,
    identifier: str,
    description: str,
    spatial_index: bool,
    column: str = "geom",
) -> None:
    """Register a feature table and, with ``spatial_index``, create its R-tree and triggers."""
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
        "description, srs_id) VALUES (?, 'features', ?, ?, ?)",
        (table, identifier, description, SRID),
    )
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO gpkg_geometry_columns (table_name, column_name, "
        "geometry_type_name, srs_id, z, m) VALUES (?, ?, ?, ?, 0, 0)",
        (table, column, geometry_type, SRID),
    )
    if spatial_index:
        create_rtree(conn, table, column)


def create_rtree(conn: Connection, table: str, column: str = "geom", pk: str = "fid") -> None:
    """Create the R-tree of ``table.column`` with the seven triggers of GeoPackage 1.4."""
    rtree = f"rtree_{table}_{column}"
    t, c, i, r = _quote(table), _quote(column), _quote(pk), _quote(rtree)
    conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {r} USING rtree(id, minx, maxx, miny, maxy)")
    for sql in rtree_triggers(table, column, pk):
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql(
        f"INSERT INTO {r} SELECT {i}, ST_MinX({c}), ST_MaxX({c}), ST_MinY({c}), ST_MaxY({c}) "
        f"FROM {t} WHERE {c} NOT NULL AND NOT ST_IsEmpty({c})"
    )
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO gpkg_extensions (table_name, column_name, extension_name, "
        "definition, scope) VALUES (?, ?, 'gpkg_rtree_index', ?, 'write-only')",
        (table, column, _RTREE_DEFINITION),
    )


def rtree_triggers(table: str, column: str = "geom", pk: str = "fid") -> list[str]:
    """The R-tree triggers of GeoPackage 1.4 (Annex F.3): insert, update2/4/5/6/7, delete."""
    rtree = f"rtree_{table}_{column}"
    t, c, i, r = _quote(table), _quote(column), _quote(pk), _quote(rtree)
    name = rtree.replace('"', '""')
    box = f"ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})"
    new_full = f"(NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))"
    new_empty = f"(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))"
    old_full = f"(OLD.{c} NOTNULL AND NOT ST_IsEmpty(OLD.{c}))"
    old_empty = f"(OLD.{c} ISNULL OR ST_IsEmpty(OLD.{c}))"
    return [
        f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON {t} WHEN {new_full} '
        f"BEGIN INSERT OR REPLACE INTO {r} VALUES (NEW.{i}, {box}); END",
        f'CREATE TRIGGER "{name}_update6" AFTER UPDATE OF {c} ON {t} '
        f"WHEN OLD.{i} = NEW.{i} AND {new_full} AND {old_full} "
        f"BEGIN UPDATE {r} SET minx = ST_MinX(NEW.{c}), maxx = ST_MaxX(NEW.{c}), "
        f"miny = ST_MinY(NEW.{c}), maxy = ST_MaxY(NEW.{c}) WHERE id = NEW.{i}; END",
        f'CREATE TRIGGER "{name}_update7" AFTER UPDATE OF {c} ON {t} '
        f"WHEN OLD.{i} = NEW.{i} AND {new_full} AND {old_empty} "
        f"BEGIN INSERT INTO {r} VALUES (NEW.{i}, {box}); END",
        f'CREATE TRIGGER "{name}_update2" AFTER UPDATE ON {t} '
        f"WHEN OLD.{i} != NEW.{i} AND {new_full} "
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{i}; "
        f"INSERT OR REPLACE INTO {r} VALUES (NEW.{i}, {box}); END",
        f'CREATE TRIGGER "{name}_update4" AFTER UPDATE ON {t} '
        f"WHEN OLD.{i} != NEW.{i} AND {new_empty} "
        f"BEGIN DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i}); END",
        f'CREATE TRIGGER "{name}_update5" AFTER UPDATE OF {c} ON {t} '
        f"WHEN OLD.{i} = NEW.{i} AND {new_empty} AND {old_full} "
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END",
        f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON {t} WHEN OLD.{c} NOT NULL '
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END",
    ]


# ---------------------------------------------------------------- SQL functions

_ENVELOPE_BYTES = (0, 32, 48, 48, 64, 0, 0, 0)


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """``(minx, maxx, miny, maxy)`` of a GeoPackage blob: its header envelope, else its WKB."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0b1000:  # the empty-geometry flag
        return None
    order = "<" if flags & 1 else ">"
    if (flags >> 1) & 7:
        return struct.unpack(order + "4d", blob[8:40])
    import shapely

    size = _ENVELOPE_BYTES[(flags >> 1) & 7]
    geom = shapely.from_wkb(blob[8 + size :])
    if geom is None or geom.is_empty:
        return None
    x0, y0, x1, y1 = geom.bounds
    return x0, x1, y0, y1


def _part(index: int) -> Any:
    def value(blob: bytes | None) -> float | None:
        env = _envelope(blob)
        return None if env is None else env[index]

    return value


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(_envelope(blob) is None)


def register_functions(dbapi_conn: Any) -> None:
    """Define the functions the GeoPackage R-tree triggers call on one sqlite3 connection."""
    for name, func in (
        ("ST_MinX", _part(0)),
        ("ST_MaxX", _part(1)),
        ("ST_MinY", _part(2)),
        ("ST_MaxY", _part(3)),
        ("ST_IsEmpty", _is_empty),
    ):
        dbapi_conn.create_function(name, 1, func, deterministic=True)
