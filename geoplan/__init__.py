"""geoplan: turn a government action plan into tracked, mapped, measured work.

The public API is the short list in ``__all__``. Names are imported on first use so that
``import geoplan`` and the ``geoplan`` command start quickly; heavy libraries (geopandas,
folium, SQLAlchemy) load only when a function that needs them is called.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ._errors import (
    CRSError,
    DataReadError,
    GeoplanError,
    MapError,
    MetricError,
    MissingDependencyError,
    PlanParseError,
    RasterError,
    RecordsError,
    ReportError,
    SchemaError,
    StoreError,
)

try:
    __version__ = version("geoplan")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

# public name -> module that defines it (one line each; keep sorted by module)
_LAZY: dict[str, str] = {
    "run_demo": "demo",
    "read_file": "io",
    "check_layers": "layers",
    "load_sample": "layers",
    "load_sample_records": "layers",
    "read_layers": "layers",
    "Choropleth": "maps",
    "make_map": "maps",
    "map_to_png": "maps",
    "save_map": "maps",
    "compute_metric": "metrics",
    "delineate_protection_zones": "metrics",
    "register_metric": "metrics",
    "scorecard": "metrics",
    "Plan": "plan",
    "load_sample_plan": "plan",
    "parse_plan": "plan",
    "class_shares": "raster",
    "raster_overlay": "maps",
    "read_raster": "raster",
    "zonal_stats": "raster",
    "join_records": "records",
    "read_records": "records",
    "validate_records": "records",
    "write_report": "report",
    "open_store": "store",
    "read_layers_from_db": "store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geoplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CRSError",
    "DataReadError",
    "GeoplanError",
    "MapError",
    "MetricError",
    "MissingDependencyError",
    "PlanParseError",
    "RasterError",
    "RecordsError",
    "ReportError",
    "SchemaError",
    "StoreError",
    "__version__",
    *_LAZY,
]
