"""Tests of geoplan.raster against numbers computed by hand, exactextract and rasterstats.

The hand case: a 4 x 4 grid of 10 m cells (EPSG:4549, top-left corner X0, Y0) and a
25 m x 31.5 m rectangle from 2.5 m to 27.5 m east of X0 and from 6 m to 37.5 m south of
Y0. In cell units it spans columns 0.25-2.75 and rows 0.6-3.75, so the fraction of each
cell inside it is (row weight) x (column weight), rows (0.4, 1, 1, 0.75), columns
(0.75, 1, 0.75, 0):

    weights                     classes (0 = nodata)     values of the float grid
    0.3    0.4  0.3    0        3 3 4 4                  0  1  2  3
    0.75   1    0.75   0        3 3 4 4                 10 11 12 13
    0.75   1    0.75   0        2 2 1 1                 20 21 22 23
    0.5625 0.75 0.5625 0        2 2 0 1                 30 31 NaN 33

Class weights: green (3) 0.3+0.4+0.75+1 = 2.45; farmland (4) 0.3+0.75 = 1.05; built-up
(2) 0.75+1+0.5625+0.75 = 3.0625; water (1) 0.75; nodata 0.5625; valid 7.3125.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from _services import require
from pyproj import Transformer
from rasterio.transform import from_origin

import geoplan
from geoplan import CRSError, DataReadError, RasterError
from geoplan.maps import raster_overlay
from geoplan.raster import (
    LANDCOVER_CLASSES,
    class_shares,
    read_raster,
    share_below,
    zonal_stats,
)

REPO = Path(__file__).resolve().parents[1]
X0, Y0 = 400_000.0, 2_760_000.0
CLASSES = np.array([[3, 3, 4, 4], [3, 3, 4, 4], [2, 2, 1, 1], [2, 2, 0, 1]], dtype=np.uint8)
VALUES = np.array(
    [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23], [30, 31, np.nan, 33]], dtype=np.float32
)
NAMES = {k: v[0] for k, v in LANDCOVER_CLASSES.items()}
WATER, BUILT, GREEN, FARM = (NAMES[k] for k in (1, 2, 3, 4))
VALID = 7.3125
# Hand shares for each partial-cell rule (see the module docstring).
HAND = {
    "exact": {GREEN: 2.45 / VALID, FARM: 1.05 / VALID, BUILT: 3.0625 / VALID, WATER: 0.75 / VALID},
    "centre": {GREEN: 2 / 8, FARM: 1 / 8, BUILT: 4 / 8, WATER: 1 / 8},
    "all_touched": {GREEN: 4 / 11, FARM: 2 / 11, BUILT: 4 / 11, WATER: 1 / 11},
}


def _write(path: Path, array: np.ndarray, *, crs: str | None = "EPSG:4549", **kw: object) -> Path:
    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "transform": kw.pop("transform", from_origin(X0, Y0, 10.0, 10.0)),
        **kw,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return path


def _exactextract_fractions(raster: Path, zones: gpd.GeoDataFrame, tmp_path: Path) -> list[dict]:
    """Class fractions per zone from exactextract, run in a child process.

    exactextract's wheel bundles its own GDAL and GEOS; in a process that has also loaded
    Debian's SpatiaLite (the store tests do) the two copies collide and crash the
    interpreter, so the reference values are computed in a separate Python.
    """
    if importlib.util.find_spec("exactextract") is None:
        pytest.skip("exactextract is not installed (pip install exactextract)")
    zones_path = tmp_path / "ee_zones.gpkg"
    zones.to_file(zones_path)
    code = (
        "import json, sys, geopandas as gpd\n"
        "from exactextract import exact_extract\n"
        "ee = exact_extract(sys.argv[1], gpd.read_file(sys.argv[2]), ['unique', 'frac'],"
        " output='pandas')\n"
        "print(json.dumps([{int(k): float(f) for k, f in zip(u, fr)}"
        " for u, fr in zip(ee['unique'], ee['frac'])]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(raster), str(zones_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return [{int(k): v for k, v in row.items()} for row in json.loads(done.stdout)]


@pytest.fixture
def classes_tif(tmp_path: Path) -> Path:
    return _write(tmp_path / "classes.tif", CLASSES, nodata=0)


@pytest.fixture
def values_tif(tmp_path: Path) -> Path:
    return _write(tmp_path / "values.tif", VALUES, nodata=float("nan"))


@pytest.fixture
def zone() -> gpd.GeoDataFrame:
    box = shapely.box(X0 + 2.5, Y0 - 37.5, X0 + 27.5, Y0 - 6.0)
    return gpd.GeoDataFrame({"id": ["z1"], "name": ["甲"]}, geometry=[box], crs="EPSG:4549")


@pytest.mark.parametrize("method", ["exact", "centre", "all_touched"])
def test_class_shares_match_hand_values(classes_tif, zone, method):
    got = class_shares(classes_tif, zone, classes=LANDCOVER_CLASSES, method=method)
    assert list(got.columns[:4]) == [WATER, BUILT, GREEN, FARM]
    for label, share in HAND[method].items():
        assert got.loc[0, label] == pytest.approx(share, abs=1e-12)
    cells = {"exact": (VALID, 0.5625), "centre": (8, 1), "all_touched": (11, 1)}[method]
    assert (got.loc[0, "cells"], got.loc[0, "nodata_cells"]) == pytest.approx(cells)


def test_exact_coverage_fraction_of_zone_area(classes_tif, zone):
    got = class_shares(classes_tif, zone)
    # 7.3125 valid cells x 100 m² over a 25 m x 31.5 m zone.
    assert got.loc[0, "coverage"] == pytest.approx(731.25 / 787.5)


# rasterstats 0.21 composes Affine matrices with `*`, which affine 3.0 flags (its code).
@pytest.mark.filterwarnings(
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning:rasterstats"
)
@pytest.mark.slow  # zonal statistics by three engines
def test_exactextract_and_rasterstats_agree_with_hand_values(classes_tif, zone, tmp_path):
    rasterstats = pytest.importorskip("rasterstats")
    (ee_shares,) = _exactextract_fractions(classes_tif, zone, tmp_path)
    for value, label in NAMES.items():
        assert ee_shares[value] == pytest.approx(HAND["exact"][label], abs=1e-6)
    for rule, touched in (("centre", False), ("all_touched", True)):
        (counts,) = rasterstats.zonal_stats(
            zone, str(classes_tif), categorical=True, all_touched=touched
        )
        total = sum(counts.values())
        for value, label in NAMES.items():
            assert counts[value] / total == pytest.approx(HAND[rule][label])


def test_zonal_stats_weighted_by_hand(values_tif, zone):
    got = zonal_stats(
        values_tif, zone, stats=("count", "sum", "mean", "min", "max"), percentiles=(10, 50, 90)
    )
    # Σ w·v row by row: 1.0 + 27.5 + 52.5 + 40.125; NaN cell (row 3, col 2) excluded.
    assert got.loc[0, "count"] == pytest.approx(VALID)
    assert got.loc[0, "sum"] == pytest.approx(121.125)
    assert got.loc[0, "mean"] == pytest.approx(121.125 / VALID)
    assert (got.loc[0, "min"], got.loc[0, "max"]) == (0.0, 31.0)
    # Cumulative weights of the sorted values 0,1,2,10,11,12,20,21,22,30,31:
    # .3,.7,1,1.75,2.75,3.5,4.25,5.25,6,6.5625,7.3125 -> 10 %: 2, 50 %: 20, 90 %: 31.
    assert (got.loc[0, "p10"], got.loc[0, "p50"], got.loc[0, "p90"]) == (2.0, 20.0, 31.0)
    assert got.loc[0, "nodata_cells"] == pytest.approx(0.5625)


def test_zonal_stats_std_and_share_below(values_tif, zone):
    w = np.array([0.3, 0.4, 0.3, 0.75, 1, 0.75, 0.75, 1, 0.75, 0.5625, 0.75])
    v = np.array([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31], dtype=float)
    mean = (w * v).sum() / w.sum()
    got = zonal_stats(values_tif, zone, stats=("std",))
    assert got.loc[0, "std"] == pytest.approx(np.sqrt((w * (v - mean) ** 2).sum() / w.sum()))
    below = share_below(values_tif, zone, level=20.0)
    assert below.loc[0, "share_below"] == pytest.approx((0.3 + 0.4 + 0.3 + 0.75 + 1 + 0.75) / VALID)


def test_percentiles_of_too_many_float_cells_are_refused(values_tif, zone, monkeypatch):
    monkeypatch.setattr("geoplan.raster._zonal.MAX_PERCENTILE_CELLS", 5)
    with pytest.raises(RasterError, match="zone 0 of layer `districts` covers more than 5"):
        zonal_stats(values_tif, zone, percentiles=(50,), name="districts")
    assert zonal_stats(values_tif, zone, stats=("mean",)).loc[0, "mean"] == pytest.approx(
        121.125 / VALID
    )


def test_triangle_exact_fractions(values_tif):
    # Right triangle over cells (row 0, col 0) fully and half of (0, 1) and (1, 0):
    # legs of 20 m from the top-left corner; its hypotenuse is the cells' diagonal.
    tri = shapely.Polygon([(X0, Y0), (X0 + 20, Y0), (X0, Y0 - 20)])
    zones = gpd.GeoSeries([tri], crs="EPSG:4549")
    got = zonal_stats(values_tif, zones, stats=("count", "mean"))
    assert got.loc[0, "count"] == pytest.approx(2.0)
    assert got.loc[0, "mean"] == pytest.approx((0 * 1 + 1 * 0.5 + 10 * 0.5) / 2.0)


def test_zones_in_another_crs_are_reprojected_not_the_raster(classes_tif, zone):
    lonlat = zone.to_crs("EPSG:4326")
    assert lonlat.crs.to_epsg() == 4326
    got = class_shares(classes_tif, lonlat, classes=LANDCOVER_CLASSES)
    assert got.loc[0, GREEN] == pytest.approx(HAND["exact"][GREEN], abs=1e-9)
    # Gauss-Kruger zone 40 with its zone prefix: same ground, x shifted by 40 000 000.
    prefixed = zone.to_crs("EPSG:4528")
    assert prefixed.total_bounds[0] > 40_000_000
    got = class_shares(classes_tif, prefixed, classes=LANDCOVER_CLASSES)
    assert got.loc[0, GREEN] == pytest.approx(HAND["exact"][GREEN], abs=1e-9)


def test_zone_with_a_wrong_crs_is_refused(classes_tif, zone):
    # Gauss-Kruger metres declared as lon/lat: the zone would land nowhere on Earth.
    wrong = zone.set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(CRSError, match="zones"):
        class_shares(classes_tif, wrong)
    with pytest.raises(CRSError, match="`towns` has no CRS"):
        class_shares(classes_tif, zone.set_crs(None, allow_override=True), name="towns")


@pytest.mark.slow  # zonal statistics of a large raster, blocked and whole
def test_blocked_reading_equals_whole_array(tmp_path):
    rng = np.random.default_rng(8)
    data = rng.integers(1, 5, size=(300, 300), dtype=np.uint8)
    path = _write(tmp_path / "big.tif", data, nodata=0, tiled=True, blockxsize=16, blockysize=16)
    centres = [(X0 + 700, Y0 - 900), (X0 + 1500, Y0 - 1500), (X0 + 2600, Y0 - 2500)]
    zones = gpd.GeoSeries(
        [shapely.Point(c).buffer(r) for c, r in zip(centres, (450, 1000, 900), strict=True)],
        crs="EPSG:4549",
    )
    blocked = class_shares(path, zones, chunk=32)
    whole = class_shares(path, zones, chunk=100_000)
    pd.testing.assert_frame_equal(blocked, whole, rtol=1e-12)
    # A striped file (blocks one row high): chunks of whole rows.
    striped = _write(tmp_path / "striped.tif", data, nodata=0, tiled=False, blockysize=1)
    assert read_raster(striped).block_shape == (1, 300)
    pd.testing.assert_frame_equal(class_shares(striped, zones, chunk=32), whole, rtol=1e-12)
    # Independent check of the centre rule on the whole array with GDAL's rasteriser.
    from rasterio.features import geometry_mask

    with rasterio.open(path) as src:
        transform = src.transform
    centre = class_shares(path, zones, method="centre", chunk=32)
    for i, geom in enumerate(zones):
        inside = geometry_mask([geom], data.shape, transform, invert=True)
        counts = np.bincount(data[inside], minlength=5)[1:]
        assert centre.loc[i, [1, 2, 3, 4]].to_numpy() == pytest.approx(counts / counts.sum())
    fractions = _exactextract_fractions(path, gpd.GeoDataFrame(geometry=zones), tmp_path)
    for i, ref in enumerate(fractions):
        assert blocked.loc[i, [1, 2, 3, 4]].to_numpy() == pytest.approx(
            [ref[k] for k in (1, 2, 3, 4)], abs=1e-6
        )


def test_raster_without_crs_gets_a_guess(tmp_path):
    path = _write(tmp_path / "nocrs.tif", CLASSES, crs=None)
    with pytest.raises(CRSError) as err:
        read_raster(path)
    message = str(err.value)
    assert "nocrs.tif" in message and "has no CRS" in message
    assert 'crs="EPSG:4549"' in message and "gdal_edit.py -a_srs" in message
    assert read_raster(path, crs="EPSG:4549").crs.to_epsg() == 4549


def test_raster_with_an_implausible_crs(tmp_path):
    # Gauss-Kruger metres declared as lon/lat: the vector rule and message, plus the fix.
    path = _write(tmp_path / "wrong.tif", CLASSES, crs="EPSG:4326")
    with pytest.raises(CRSError) as err:
        read_raster(path)
    assert "declares EPSG:4326" in str(err.value)
    assert 'crs="EPSG:4549"' in str(err.value) and "gdal_edit.py" in str(err.value)


def test_conflicting_or_bad_crs_is_refused(classes_tif):
    with pytest.raises(CRSError, match="declares CRS EPSG:4549"):
        read_raster(classes_tif, crs="EPSG:4528")
    assert read_raster(classes_tif, crs="epsg:4549").crs.to_epsg() == 4549
    with pytest.raises(CRSError, match="crs='CGCS2000 please' given for raster"):
        read_raster(classes_tif, crs="CGCS2000 please")


def test_raster_without_georeferencing(tmp_path):
    path = tmp_path / "plain.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint8"}
    with warnings.catch_warnings():  # writing the bad input on purpose
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(CLASSES, 1)
    with pytest.raises(RasterError, match=r"plain\.tif.*no georeferencing"):
        read_raster(path)


def test_zone_layer_outside_raster(classes_tif):
    beijing = gpd.GeoDataFrame(geometry=[shapely.box(116.3, 39.9, 116.5, 40.0)], crs=4326)
    with pytest.raises(RasterError) as err:
        class_shares(classes_tif, beijing, name="towns")
    message = str(err.value)
    assert "`towns`" in message and "classes.tif" in message
    assert "(116.3, 39.9, 116.5, 40)" in message  # the zones' own bounds
    assert "(400000, 2.75996e+06, 400040, 2.76e+06)" in message  # the raster's


def test_zones_partly_or_wholly_off_the_raster(classes_tif, caplog):
    # Zone 0 hangs 10 m off the west edge over row 0 (cells 0 and 1 are green); zone 1 is
    # 10 km away: it gets NaN and a warning, not an error, since zone 0 overlaps.
    zones = gpd.GeoSeries(
        [shapely.box(X0 - 10, Y0 - 10, X0 + 20, Y0), shapely.box(X0 + 1e4, Y0, X0 + 2e4, Y0 + 1e4)],
        crs="EPSG:4549",
    )
    got = class_shares(classes_tif, zones, classes=LANDCOVER_CLASSES)
    assert got.loc[0, GREEN] == 1.0
    assert got.loc[0, "coverage"] == pytest.approx(200 / 300)
    assert got.loc[1, [WATER, BUILT, GREEN, FARM]].isna().all()
    assert (got.loc[1, "cells"], got.loc[1, "coverage"]) == (0.0, 0.0)
    assert "lie outside raster" in caplog.text


def test_missing_and_corrupt_files(tmp_path, classes_tif):
    with pytest.raises(DataReadError, match=r"nothere\.tif"):
        read_raster(tmp_path / "nothere.tif")
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"II*\x00" + bytes(range(256)) * 4)
    with pytest.raises(RasterError, match=r"junk\.tif"):
        read_raster(junk)
    # A real GeoTIFF cut short: the header survives, the compressed tiles do not.
    rng = np.random.default_rng(1)
    whole = _write(
        tmp_path / "cut.tif",
        rng.integers(1, 5, (512, 512), dtype=np.uint8),
        tiled=True,
        compress="deflate",
    )
    raw = whole.read_bytes()
    whole.write_bytes(raw[: len(raw) // 2])
    zones = gpd.GeoSeries([shapely.box(X0, Y0 - 5120, X0 + 5120, Y0)], crs="EPSG:4549")
    with pytest.raises(RasterError, match=r"cut\.tif"):
        class_shares(read_raster(whole), zones)


def test_band_and_method_errors(classes_tif, zone):
    with pytest.raises(RasterError, match="band=2"):
        class_shares(classes_tif, zone, band=2)
    with pytest.raises(RasterError, match="method='nearest'"):
        class_shares(classes_tif, zone, method="nearest")
    with pytest.raises(RasterError, match="polygons"):
        class_shares(classes_tif, zone.boundary)


def _decode_png(url: str) -> np.ndarray:
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.io import MemoryFile

    assert url.startswith("data:image/png;base64,")
    png = io.BytesIO(base64.b64decode(url.split(",", 1)[1]))
    # A plain PNG carries no georeferencing; Leaflet places it by its bounds.
    with warnings.catch_warnings(), MemoryFile(png) as mem:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with mem.open() as src:
            return src.read()


@pytest.mark.slow  # renders raster overlays
def test_overlay_placement_and_clipping(tmp_path):
    # 2 km x 2 km of 10 m cells in four class quadrants.
    data = np.ones((200, 200), dtype=np.uint8)
    data[:100, 100:] = 2
    data[100:, :100] = 3
    data[100:, 100:] = 4
    path = _write(tmp_path / "lc.tif", data, nodata=0)
    to_ll = Transformer.from_crs("EPSG:4549", "EPSG:4326", always_xy=True)
    tri_gk = shapely.Polygon([(X0 + 150, Y0 - 1850), (X0 + 1900, Y0 - 1700), (X0 + 900, Y0 - 120)])
    tri = shapely.transform(tri_gk, lambda xy: np.column_stack(to_ll.transform(*xy.T)))
    zones = gpd.GeoDataFrame({"name": ["三角"]}, geometry=[tri], crs="EPSG:4326")
    group = raster_overlay(path, zones=zones, name="<script>x</script>", max_pixels=40_000)
    overlay = next(c for c in group._children.values() if hasattr(c, "url"))
    (south, west), (north, east) = overlay.bounds
    w, s, e, n = zones.total_bounds
    # The image spans the zone (its extent in the raster's CRS, a few metres larger).
    assert west <= w and south <= s and east >= e and north >= n
    assert max(w - west, s - south, east - e, north - n) < 2e-4  # < ~20 m
    rgba = _decode_png(overlay.url)
    _, rows, cols = rgba.shape
    assert rows * cols <= 40_000
    # Each pixel's centre: linear in Web Mercator between the corners (Leaflet's rule).
    merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (mx0, mx1), (my0, my1) = merc.transform([west, east], [south, north])
    mx = mx0 + (np.arange(cols) + 0.5) * (mx1 - mx0) / cols
    my = my1 - (np.arange(rows) + 0.5) * (my1 - my0) / rows
    gx, gy = np.meshgrid(mx, my)
    to_gk = Transformer.from_crs("EPSG:3857", "EPSG:4549", always_xy=True)
    px, py = to_gk.transform(gx, gy)
    inside = shapely.contains_xy(tri_gk, px, py)
    near_edge = shapely.distance(tri_gk.boundary, shapely.points(px, py)) < 15.0
    alpha = rgba[3]
    assert not (alpha[~inside & ~near_edge] > 0).any()  # transparent outside the zone
    assert (alpha[inside & ~near_edge] == 255).all()
    # Colours: the class of the source cell under each pixel centre.
    col = ((px - X0) // 10).astype(int).clip(0, 199)
    row = ((Y0 - py) // 10).astype(int).clip(0, 199)
    expected = data[row, col]
    colours = {
        k: tuple(int(v[1][i : i + 2], 16) for i in (1, 3, 5)) for k, v in LANDCOVER_CLASSES.items()
    }
    far = inside & ~near_edge & (np.abs(px - X0 - 1000) > 15) & (np.abs(Y0 - py - 1000) > 15)
    got = np.stack([rgba[0], rgba[1], rgba[2]], axis=-1)[far]
    want = np.array([colours[k] for k in expected[far]])
    assert far.sum() > 1000 and (got == want).all()
    html = _folium_html(group)
    assert "<script>x</script>" not in html
    legend = json.loads(re.search(r"div\.innerHTML = (\".*\");", html).group(1))
    assert legend.startswith("<b>&lt;script&gt;x&lt;/script&gt;</b>")
    assert [m.group(1) for m in re.finditer(r"</span>([^<]+)</div>", legend)] == list(
        NAMES.values()
    )


def _folium_html(group: object) -> str:
    import folium

    m = folium.Map(location=[24.95, 118.75], zoom_start=12, tiles=None)
    group.add_to(m)  # type: ignore[attr-defined]
    return m.get_root().render()


@pytest.mark.services
def test_overlay_in_a_browser_on_the_sample(tmp_path):
    chromium = Path("/usr/bin/chromium")
    require(chromium.exists(), "Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    layers = geoplan.load_sample()
    group = raster_overlay(REPO / "layers" / "landcover.tif", zones=layers["towns"], name="土地<i>")
    page_path = tmp_path / "map.html"
    page_path.write_text(
        geoplan.make_map({"towns": layers["towns"]}, overlays=[group]).get_root().render(),
        encoding="utf-8",
    )
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    args += ["--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=args)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 700})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri())
            page.wait_for_selector(".geoplan-raster-legend", timeout=10_000)
            text = page.locator(".geoplan-raster-legend").inner_text()
            width = page.evaluate(
                "() => Array.from(document.querySelectorAll('img.leaflet-image-layer'))"
                ".map(i => i.naturalWidth)"
            )
        finally:
            browser.close()
    assert errors == []
    assert text.splitlines() == ["土地<i>", *NAMES.values()]
    assert width == [2188]  # the 10 m raster over the towns, warped to Web Mercator


def test_metrics_registered_and_computed(classes_tif, values_tif, zone):
    from geoplan.metrics import METRICS, compute_metric

    assert {"green_cover_share", "low_lying_share"} <= set(METRICS)
    green = compute_metric("green_cover_share", {"towns": zone}, landcover=classes_tif)
    town = green[green["scope_type"] == "town"].iloc[0]
    # green 2.45 cells ÷ land (valid 7.3125 − water 0.75) cells; 1 cell = 100 m².
    assert town["value"] == pytest.approx(100 * 2.45 / 6.5625)
    assert town["numerator"] == pytest.approx(245e-6)
    assert town["denominator"] == pytest.approx(656.25e-6)
    assert green.loc[green["scope_type"] == "zone", "value"].item() == pytest.approx(town["value"])
    low = compute_metric(
        "low_lying_share",
        {"districts": zone},
        dem=values_tif,
        reference_level_m=5.0,
        threshold_m=15.0,
    )
    row = low[low["scope_type"] == "district"].iloc[0]
    assert row["value"] == pytest.approx(100 * 3.5 / VALID)  # below 20: 0, 1, 2, 10, 11, 12
    assert "20 m" in row["method"]
    missing = compute_metric("low_lying_share", {"districts": zone})
    assert missing["value"].isna().all() and "dem" in missing["note"].iloc[0]


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_sample_rasters", REPO / "scripts" / "make_sample_rasters.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.slow  # builds every bundled raster again
def test_sample_rasters_are_small_deterministic_and_current(tmp_path):
    script = _script()
    towns, layers = _bundled_inputs(script)
    paths = script.make_sample_rasters(tmp_path, towns, layers=layers)
    for key, limit in (("dem", 3_000_000), ("landcover", 3_000_000)):
        assert paths[key].stat().st_size < limit
        bundled = REPO / "layers" / f"{key}.tif"
        assert bundled.exists(), "run `python scripts/make_sample_rasters.py`"
        # The bundled file is what the script writes today (bytes: deterministic).
        digest = hashlib.sha256(paths[key].read_bytes()).hexdigest()
        assert digest == hashlib.sha256(bundled.read_bytes()).hexdigest(), (
            f"layers/{key}.tif is stale; run `python scripts/make_sample_rasters.py`"
        )
    dem, lc = read_raster(paths["dem"]), read_raster(paths["landcover"])
    assert (dem.crs.to_epsg(), dem.res, lc.res) == (4549, (30.0, 30.0), (10.0, 10.0))
    assert dem.bounds == lc.bounds
    values = set(np.unique(lc.read().compressed()).tolist())
    assert {1, 2, 3, 4} <= values
    heights = dem.read()
    assert heights.min() < 0 < heights.max() < 400


def _bundled_inputs(script: object) -> tuple[object, ...]:
    layers = script._sample_layers(REPO / "layers")  # type: ignore[attr-defined]
    return (layers.get("towns"), layers or None)


def test_lazy_public_names():
    assert geoplan.read_raster is read_raster
    assert geoplan.class_shares is class_shares
    assert geoplan.zonal_stats is zonal_stats
    assert geoplan.raster_overlay is raster_overlay
    assert re.match(r"^\d", geoplan.__version__) or geoplan.__version__.startswith("0+")
