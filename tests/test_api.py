"""The public API: every exported name resolves, and `import geoplan` stays light."""

from __future__ import annotations

import subprocess
import sys

import geoplan


def test_every_public_name_resolves():
    missing = [name for name in geoplan.__all__ if getattr(geoplan, name, None) is None]
    assert missing == []
    assert callable(geoplan.parse_plan) and callable(geoplan.scorecard)


def test_import_does_not_load_the_heavy_libraries():
    heavy = "('geopandas', 'folium', 'sqlalchemy', 'rasterio')"
    code = f"import sys, geoplan; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_errors_mix_in_the_builtins_callers_already_catch():
    assert issubclass(geoplan.CRSError, ValueError)
    assert issubclass(geoplan.PlanParseError, ValueError)
    assert issubclass(geoplan.StoreError, OSError)
    assert issubclass(geoplan.DataReadError, OSError)
    for name in ("CRSError", "SchemaError", "StoreError", "MapError", "RasterError"):
        assert issubclass(getattr(geoplan, name), geoplan.GeoplanError)
