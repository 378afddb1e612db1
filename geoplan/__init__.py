"""geoplan: turn a government action plan into tracked, mapped, measured work.

The public API is the short list in ``__all__``. Names are imported on first use so that
``import geoplan`` and the ``geoplan`` command start quickly; heavy libraries (geopandas,
folium, SQLAlchemy) load only when a function that needs them is called. Type checkers
and IDEs see the real signatures through the ``TYPE_CHECKING`` imports below.

The data flows one way (``docs/architecture.md``): :mod:`geoplan.plan`,
:mod:`geoplan.layers` and :mod:`geoplan.records` read the inputs, :mod:`geoplan.metrics`
measures them against the plan's targets, and :mod:`geoplan.maps` and
:mod:`geoplan.report` show the result; :mod:`geoplan.store` keeps it in a database.

Examples
--------
>>> import geoplan
>>> plan = geoplan.load_sample_plan()
>>> plan.task(9).targets[0].quantities[0].value
10.0
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from ._errors import (
    CRSError,
    DataReadError,
    GeoplanError,
    MapError,
    MetricError,
    MissingDependencyError,
    OutputError,
    PlanParseError,
    PlanWarning,
    RasterError,
    RecordsError,
    ReportError,
    SchemaError,
    StoreError,
)

if TYPE_CHECKING:
    from . import datasets as datasets
    from . import settings as settings
    from .datasets import load_sample as load_sample
    from .datasets import load_sample_plan as load_sample_plan
    from .datasets import load_sample_records as load_sample_records
    from .demo import run_demo as run_demo
    from .io import read_file as read_file
    from .layers import CheckReport as CheckReport
    from .layers import Issue as Issue
    from .layers import check_layers as check_layers
    from .layers import read_layers as read_layers
    from .maps import Choropleth as Choropleth
    from .maps import make_map as make_map
    from .maps import map_to_png as map_to_png
    from .maps import raster_overlay as raster_overlay
    from .maps import save_map as save_map
    from .metrics import compute_metric as compute_metric
    from .metrics import delineate_protection_zones as delineate_protection_zones
    from .metrics import register_metric as register_metric
    from .metrics import scorecard as scorecard
    from .plan import Plan as Plan
    from .plan import parse_plan as parse_plan
    from .raster import class_shares as class_shares
    from .raster import read_raster as read_raster
    from .raster import zonal_stats as zonal_stats
    from .records import join_records as join_records
    from .records import read_records as read_records
    from .records import validate_records as validate_records
    from .report import write_report as write_report
    from .store import open_store as open_store
    from .store import read_layers_from_db as read_layers_from_db

try:
    __version__ = version("geoplan")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

# public name -> module that defines it (one line each; keep sorted by module).
# tests/test_api.py checks that this table and the TYPE_CHECKING imports above agree.
_LAZY: dict[str, str] = {
    "datasets": "",
    "load_sample": "datasets",
    "load_sample_plan": "datasets",
    "load_sample_records": "datasets",
    "run_demo": "demo",
    "read_file": "io",
    "CheckReport": "layers",
    "Issue": "layers",
    "check_layers": "layers",
    "read_layers": "layers",
    "Choropleth": "maps",
    "make_map": "maps",
    "map_to_png": "maps",
    "raster_overlay": "maps",
    "save_map": "maps",
    "compute_metric": "metrics",
    "delineate_protection_zones": "metrics",
    "register_metric": "metrics",
    "scorecard": "metrics",
    "Plan": "plan",
    "parse_plan": "plan",
    "class_shares": "raster",
    "read_raster": "raster",
    "zonal_stats": "raster",
    "join_records": "records",
    "read_records": "records",
    "validate_records": "records",
    "write_report": "report",
    "open_store": "store",
    "read_layers_from_db": "store",
    "settings": "",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geoplan' has no attribute {name!r}")
    if module == "":  # a public submodule
        value = importlib.import_module(f".{name}", __name__)
    else:
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
    "OutputError",
    "PlanParseError",
    "PlanWarning",
    "RasterError",
    "RecordsError",
    "ReportError",
    "SchemaError",
    "StoreError",
    "__version__",
    *_LAZY,
]
