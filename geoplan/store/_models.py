"""The tables of the planning database, as SQLAlchemy 2 / GeoAlchemy2 models.

The layer tables are generated from the catalogue of layer kinds
(:data:`geoplan.catalogue.LAYER_KINDS`), so a column added there is a column here. Each kind
``k`` has two tables:

``k``
    The current state: ``fid`` (integer key GDAL and QGIS need), ``id`` (the feature id,
    unique), the catalogue columns, ``valid_from`` (the date this version was loaded as)
    and ``geom`` (EPSG:4326, spatially indexed).
``k_history``
    Superseded versions: the same columns plus ``valid_to``. A feature's state at a date
    ``D`` is the version with ``valid_from <= D < valid_to``.

The plan register, the progress log (``records``) and ``metric_snapshots`` are plain
tables; ``geoplan_meta`` records the schema version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from ..catalogue import (
    GEOMETRY_TYPES,
    LAYER_KINDS,
    LEDGER_FIELDS,
    RECORD_FIELDS,
    RECORDS_TABLE,
    LayerKind,
    geometry_types,
)
from ._backends import SRID

#: Bumped whenever a table or column changes; stored in ``geoplan_meta``. Version 2: a
#: GeoPackage 1.4 written without SpatiaLite, typed multi-part geometry columns, DOUBLE
#: columns, integer keys on every table, ``layer_styles``. Version 3: footprint kinds
#: (farmhouses, heritage sites) in a ``GEOMETRY`` column, ``targets.year_source``,
#: ``plan_unit_duties``, the ledger columns of ``records`` and the scorecard's
#: ``judged_on``, ``value_today`` and ``definition`` in ``metric_snapshots``.
SCHEMA_VERSION = 3

_SQL_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "str": Text,
    "enum": Text,
    "status": Text,
    "int": Integer,
    "float": Double,  # 8 bytes: a GeoPackage FLOAT is 4 bytes and rounds coordinates
    "bool": Boolean,
    "date": Date,
}

#: GeoPackage/PostGIS geometry type per catalogue family. Real boundaries and networks are
#: often multi-part, so polygon and line kinds are declared multi-part and single parts are
#: promoted on load (see ``_load.prepare_layer``).
GEOMETRY_COLUMN_TYPES = {
    "Point": "POINT",
    "LineString": "MULTILINESTRING",
    "Polygon": "MULTIPOLYGON",
}


def geometry_column_type(kind: LayerKind | str) -> str:
    """The declared geometry type of a layer kind's ``geom`` column.

    It follows :func:`geoplan.catalogue.geometry_types`: ``POINT`` only for a kind that
    accepts nothing but points, ``MULTILINESTRING``/``MULTIPOLYGON`` for line and area
    kinds, and ``GEOMETRY`` for footprint kinds, whose features are points or (multi)
    polygons as the survey drew them. One generic column keeps a feature's id, history
    and spatial index in one table (a split into a point and a footprint table would
    give a feature two homes when a survey replaces its point with a footprint);
    GeoPackage 1.4 and PostGIS both allow ``GEOMETRY``. QGIS opens such a column one
    geometry type at a time (its browser offers the points and the footprints as two
    layers, and ``db qgis-project`` writes both); the default style classes points
    (markers) and footprints (fills) apart.

    >>> geometry_column_type("farmhouses"), geometry_column_type("villages")
    ('GEOMETRY', 'MULTIPOLYGON')
    """
    types = geometry_types(kind)
    for family, declared in GEOMETRY_COLUMN_TYPES.items():
        if set(types) <= set(GEOMETRY_TYPES[family]):
            return declared
    return "GEOMETRY"


class GpkgDateTime(TypeDecorator[dt.datetime]):
    """A UTC date-time: ``timestamp`` in PostGIS, GeoPackage text ``YYYY-MM-DDTHH:MM:SS.SSSZ``."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Text() if dialect.name == "sqlite" else DateTime())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return dt.datetime.fromisoformat(str(value).rstrip("Z"))


metadata = MetaData()

geoplan_meta = Table(
    "geoplan_meta",
    metadata,
    Column("fid", Integer, primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("value", Text, nullable=False),
)

plan_meta = Table(
    "plan_meta",
    metadata,
    Column("plan_key", Integer, primary_key=True),  # always 1: one plan per database
    Column("title", Text),
    Column("doc_number", Text),
    Column("issuer", Text),
    Column("date", Date),
    Column("index_number", Text),
)

plan_sections = Table(
    "plan_sections",
    metadata,
    Column("fid", Integer, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("position", Integer, nullable=False),  # order in the plan text
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("title", Text, nullable=False),
    Column("section", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("units", Text, nullable=False),  # JSON list, lead unit first
)

targets = Table(
    "targets",
    metadata,
    Column("target_key", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("tasks.id")),  # NULL: one of the plan's goals
    Column("target_index", Integer, nullable=False),
    Column("year", Integer),
    Column("deadline", Date),
    Column("text", Text, nullable=False),
    Column("year_from", Integer),
    Column("year_source", Text),  # text, relative, title, window; NULL when undated
    UniqueConstraint("task_id", "target_index"),
)

#: ``Plan.unit_duties``: a unit's duties as a 职责分工 section writes them, in plan order.
plan_unit_duties = Table(
    "plan_unit_duties",
    metadata,
    Column("fid", Integer, primary_key=True),
    Column("unit", Text, nullable=False, unique=True),
    Column("duties", Text, nullable=False),
    Column("position", Integer, nullable=False),
)

quantities = Table(
    "quantities",
    metadata,
    Column("quantity_key", Integer, primary_key=True),
    Column("target_key", Integer, ForeignKey("targets.target_key"), nullable=False),
    Column("quantity_index", Integer, nullable=False),
    Column("value", Double, nullable=False),
    Column("unit", Text, nullable=False),
    Column("comparator", Text),
    Column("qualifiers", Text, nullable=False),  # JSON list
)

records = Table(
    RECORDS_TABLE,
    metadata,
    Column("fid", Integer, primary_key=True),
    *(
        Column(
            c.name,
            _SQL_TYPES[c.type](),
            nullable=c.name not in ("record_id", "task_id"),
            unique=c.name == "record_id",
        )
        for c in (*RECORD_FIELDS, *LEDGER_FIELDS)
    ),
)

#: Columns of the progress log in contract order, then a ledger's own columns, with their
#: catalogue types (:data:`geoplan.catalogue.RECORD_FIELDS` and ``LEDGER_FIELDS``).
RECORD_COLUMNS: dict[str, str] = {
    c.name: "str" if c.type == "status" else c.type for c in (*RECORD_FIELDS, *LEDGER_FIELDS)
}

#: The ledger columns of ``records``: read back only when some record has a value, as
#: :func:`geoplan.records.read_records` gives them only for a ledger that has them.
LEDGER_COLUMNS: tuple[str, ...] = tuple(c.name for c in LEDGER_FIELDS)

#: Columns of ``metric_snapshots`` filled from a scorecard frame (the scorecard's columns
#: plus ``method`` of the metric frame), with their catalogue-style types. A column the
#: frame lacks is stored as NULL.
SNAPSHOT_COLUMNS: dict[str, str] = {
    "metric": "str",
    "scope_type": "str",
    "scope": "str",
    "value": "float",
    "judged_on": "date",
    "value_today": "float",
    "unit": "str",
    "numerator": "float",
    "denominator": "float",
    "as_of": "date",
    "method": "str",
    "task_id": "int",
    "target": "float",
    "status": "str",
    "target_index": "int",
    "quantity_index": "int",
    "year": "int",
    "target_unit": "str",
    "comparator": "str",
    "deadline": "date",
    "baseline": "float",
    "expected": "float",
    "target_text": "str",
    "definition": "str",
    "note": "str",
}

metric_snapshots = Table(
    "metric_snapshots",
    metadata,
    Column("fid", Integer, primary_key=True),
    *(
        Column(
            name,
            _SQL_TYPES[kind](),
            nullable=name != "as_of",  # an unmapped scorecard row may have no metric
            index=name == "as_of",
        )
        for name, kind in SNAPSHOT_COLUMNS.items()
    ),
    Column("created_at", GpkgDateTime, nullable=False),
)


def _geometry(kind: LayerKind, *, spatial_index: bool) -> Column[object]:
    from geoalchemy2 import Geometry

    geometry_type = geometry_column_type(kind)
    return Column(
        "geom",
        Geometry(geometry_type, srid=SRID, spatial_index=spatial_index, nullable=False),
        nullable=False,
    )


def _attribute_columns(kind: LayerKind) -> list[Column[object]]:
    return [Column(c.name, _SQL_TYPES[c.type]()) for c in kind.columns if c.name != "id"]


def _layer_tables() -> dict[str, tuple[Table, Table]]:
    tables = {}
    for kind in LAYER_KINDS.values():
        current = Table(
            kind.name,
            metadata,
            Column("fid", Integer, primary_key=True),
            Column("id", Text, nullable=False, unique=True),
            *_attribute_columns(kind),
            Column("valid_from", Date, nullable=False),
            _geometry(kind, spatial_index=True),
        )
        history = Table(
            f"{kind.name}_history",
            metadata,
            Column("fid", Integer, primary_key=True),
            Column("id", Text, nullable=False, index=True),
            *_attribute_columns(kind),
            Column("valid_from", Date, nullable=False),
            Column("valid_to", Date, nullable=False),
            _geometry(kind, spatial_index=False),
        )
        tables[kind.name] = (current, history)
    return tables


#: kind -> (current table, history table)
LAYER_TABLES: dict[str, tuple[Table, Table]] = _layer_tables()

#: Plain (non-spatial) tables, registered as "attributes" in a GeoPackage so that QGIS and
#: GDAL list them next to the layers.
ATTRIBUTE_TABLES: tuple[Table, ...] = (
    geoplan_meta,
    plan_meta,
    plan_sections,
    tasks,
    targets,
    quantities,
    plan_unit_duties,
    records,
    metric_snapshots,
)


def layer_columns(kind: str) -> dict[str, str]:
    """Return ``column -> catalogue type`` of one kind, ``id`` first, geometry excluded."""
    return {c.name: c.type for c in LAYER_KINDS[kind].columns}
