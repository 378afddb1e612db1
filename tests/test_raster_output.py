"""Raster summaries and overlays as a planner sees them."""

from __future__ import annotations

import pytest


def test_class_shares_of_a_raster_in_wgs84(tmp_path):
    """A land-cover raster in EPSG:4326: shares and coverage without a degrees warning."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import box

    import geoplan

    cells = np.ones((100, 100), dtype="uint8")
    cells[:, 50:] = 2  # west half class 1, east half class 2
    path = tmp_path / "landcover_wgs84.tif"
    profile = dict(driver="GTiff", width=100, height=100, count=1, dtype="uint8")
    profile.update(crs="EPSG:4326", transform=from_origin(118.70, 24.95, 0.001, 0.001))
    with rasterio.open(path, "w", nodata=0, **profile) as dst:
        dst.write(cells, 1)
    # a zone over columns 25..75 and rows 10..30: half class 1, half class 2, all inside
    zone = box(118.725, 24.92, 118.775, 24.94)
    towns = gpd.GeoDataFrame({"id": ["t1"], "name": ["洛阳镇"]}, geometry=[zone], crs=4326)
    shares = geoplan.class_shares(geoplan.read_raster(path), towns)
    row = shares.iloc[0]
    assert row[1] == pytest.approx(0.5, abs=1e-9)
    assert row[2] == pytest.approx(0.5, abs=1e-9)
    assert row["cells"] == pytest.approx(50 * 20, rel=1e-9)
    assert row["coverage"] == pytest.approx(1.0, rel=1e-9)


def test_raster_overlay_default_title_is_chinese():
    import json
    from pathlib import Path

    import geoplan

    towns = geoplan.load_sample()["towns"]
    landcover = Path(__file__).resolve().parents[1] / "layers" / "landcover.tif"
    group = geoplan.raster_overlay(landcover, zones=towns, max_pixels=40_000)
    page = geoplan.make_map({"towns": towns}, overlays=[group]).get_root().render()
    # the legend title a planner reads, as Jinja's tojson inlines it
    legend = json.dumps("<b>土地覆盖</b>").replace("<", "\\u003c").replace(">", "\\u003e")
    assert legend[:-1] in page  # the body goes on after the title
    assert "land cover" not in page
