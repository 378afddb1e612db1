"""The public API: every exported name resolves, and `import geoplan` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


def test_scorecard_runs_without_the_raster_extra():
    # `pip install . && geoplan demo` has no rasterio: the raster metrics must load (their
    # rows say what is missing) and the rest of the card must be computed
    code = (
        "import sys\n"
        "for name in ('rasterio', 'affine'):\n"
        "    sys.modules[name] = None  # as if not installed\n"
        "import geoplan\n"
        "card = geoplan.scorecard(as_of='2025-12-31')\n"
        "print(len(card), int((card['status'] == 'met').sum()))\n"
        "try:\n"
        "    layers = geoplan.load_sample()\n"
        "    geoplan.compute_metric('green_cover_share', layers, landcover='x.tif')\n"
        "except geoplan.MissingDependencyError as exc:\n"
        "    print('raster extra' if 'geoplan[raster]' in str(exc) else exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    first, extra = out.stdout.splitlines()[:2]
    count, met = map(int, first.split())
    assert count > 50 and met > 0
    assert extra == "raster extra"


@pytest.mark.slow  # the whole demo, about 15 s
def test_demo_runs_on_the_core_install(tmp_path):
    # the README's first command installs no extra: block every optional import and run
    # the demo; everything but the PDF must be written
    optional = ("rasterio", "affine", "pyarrow", "docx", "pdfplumber", "lxml", "dask")
    optional += ("distributed", "dask_geopandas", "psycopg", "playwright")
    code = (
        "import sys\n"
        f"for name in {optional!r}:\n"
        "    sys.modules[name] = None  # as if not installed\n"
        "from geoplan.cli import main\n"
        f"main(['demo', '-o', {str(tmp_path / 'out')!r}])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    from geoplan.demo import FILES

    assert set(FILES.values()) - {"report.pdf"} <= set(written), written
