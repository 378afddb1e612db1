"""Layers of the zone: reading, validation and repair against the catalogue of kinds.

:func:`read_layers` reads a GeoPackage, a folder of files or a database and returns one
validated GeoDataFrame per kind in EPSG:4326; :func:`check_layers` returns the full
:class:`CheckReport` instead of raising. The kinds themselves are data in
:mod:`geoplan.catalogue`. ``_read`` finds and reads the sources, ``_mapping`` applies a
planner's column mapping (their names and values -> the catalogue's) and drafts one,
``_validate`` checks and repairs a layer, ``_values`` normalises written values (dates,
vocabularies, task ids).
"""

from __future__ import annotations

from ..catalogue import LAYER_KINDS, STATUS_LABELS, Column, LayerKind
from ._mapping import ColumnMapping, LayerMapping, read_column_mapping, write_column_mapping
from ._read import (
    catalogue_frame,
    check_layers,
    propose_column_mapping,
    read_layers,
)
from ._validate import CheckReport, Issue

__all__ = [
    "LAYER_KINDS",
    "STATUS_LABELS",
    "CheckReport",
    "Column",
    "ColumnMapping",
    "Issue",
    "LayerKind",
    "LayerMapping",
    "catalogue_frame",
    "check_layers",
    "propose_column_mapping",
    "read_column_mapping",
    "read_layers",
    "write_column_mapping",
]
