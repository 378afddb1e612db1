"""geoplan maps in a real headless Chromium with every non-file request blocked."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from _services import require
from test_maps import small_layers

import geoplan
from geoplan._errors import PlanWarning
from geoplan.maps import make_map, map_to_png, save_map
from geoplan.maps._browser import Browser, Page, browser_available

pytestmark = pytest.mark.services

GEOD = pyproj.Geod(ellps="WGS84")


def open_browser() -> Iterator[Browser]:
    """One headless Chromium per test module (the `browser` fixture of the map tests)."""
    require(
        browser_available(), "Playwright or Chromium is not installed (apt-get install chromium)"
    )
    with Browser() as b:
        yield b


browser = pytest.fixture(open_browser, scope="module", name="browser")


@pytest.fixture(scope="module")
def plan(plan_path: Path) -> geoplan.Plan:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)  # tasks without targets are expected
        return geoplan.parse_plan(plan_path)


@pytest.fixture(scope="module")
def small_map(tmp_path_factory: pytest.TempPathFactory, plan: geoplan.Plan) -> Path:
    scorecard = pd.DataFrame(
        {
            "task_id": [9, 11],
            "metric": ["greenway_km", "farmhouse_rate"],
            "scope": ["zone", "zone"],
            "value": [12.5, 40.0],
            "unit": ["km", "%"],
            "target": [10, 100],
            "status": ["met", "behind"],
        }
    )
    m = make_map(small_layers(), plan=plan, scorecard=scorecard, minimap=False)
    return save_map(m, tmp_path_factory.mktemp("maps") / "small.html")


def to_pixel(page: Page, lon: float, lat: float) -> tuple[float, float]:
    p = page.page.evaluate(
        "([lat, lon]) => window.geoplanMap.map.latLngToContainerPoint([lat, lon])", [lat, lon]
    )
    return p["x"], p["y"]


def counts(page: Page) -> dict[str, int]:
    return page.page.evaluate("Object.assign({}, window.geoplanMap.counts)")


def test_sample_map_draws_every_feature_offline(browser: Browser, tmp_path: Path) -> None:
    sample = geoplan.load_sample()
    path = save_map(make_map(sample, title="泉州台商投资区"), tmp_path / "sample.html")
    with browser.new_page(width=1400, height=900) as page:
        page.open(path)
        assert page.blocked == []
        assert page.console_errors == []
        assert counts(page) == {k: len(v) for k, v in sample.items() if len(v)}
        png = page.page.screenshot(type="png")
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    assert pixels.std() > 20  # a blank or single-colour page has ~0
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200


def test_tooltip_popup_and_scorecard_link(browser: Browser, small_map: Path, plan) -> None:
    with browser.new_page() as page:
        page.open(small_map)
        # the middle of the completed greenway 洛阳江福道, away from every farmhouse
        x, y = to_pixel(page, 118.725, 24.925)
        page.page.mouse.move(x, y)
        tip = page.page.locator(".geoplan-tooltip")
        tip.wait_for(state="visible", timeout=5000)
        text = tip.inner_text()
        assert "洛阳江福道" in text
        assert "福道（绿道） · 已完成 · 2022年" in text
        assert f"任务9：{plan.task(9).title}" in text
        page.page.mouse.click(x, y)
        link = page.page.locator(".leaflet-popup-content a")
        link.wait_for(state="visible", timeout=5000)
        assert link.get_attribute("href") == "#task-9"
        link.click()
        row = page.page.locator("#task-9")
        assert "geoplan-hl" in (row.get_attribute("class") or "")
        assert row.is_visible()
        assert page.console_errors == [] and page.blocked == []


def test_layer_control_toggles_a_layer(browser: Browser, small_map: Path) -> None:
    with browser.new_page() as page:
        page.open(small_map)
        assert counts(page)["greenways"] == 2
        page.page.hover(".leaflet-control-layers")
        box = page.page.locator(".leaflet-control-layers-overlays label", has_text="福道（绿道）")
        box.locator("input").click()
        assert counts(page)["greenways"] == 0
        box.locator("input").click()
        assert counts(page)["greenways"] == 2


def test_search_and_measure(browser: Browser, small_map: Path) -> None:
    with browser.new_page() as page:
        page.open(small_map)
        page.page.fill(".geoplan-search input", "东园")
        items = page.page.locator(".geoplan-search li").all_inner_texts()
        assert items == ["东园镇（乡镇）", "东园福道（福道（绿道））"]
        page.page.locator(".geoplan-search li").first.click()
        assert "东园镇" in page.page.locator(".leaflet-popup-content").inner_text()
        page.page.evaluate("""() => { const m = window.geoplanMap.map; m.closePopup();
            m.fitBounds(window.geoplanMap.config.bounds, {animate: false}); }""")
        page.page.locator(".leaflet-popup").wait_for(state="detached")  # fades out first
        page.page.click("a.geoplan-btn[title^='测距']")
        a, b = (118.72, 24.91), (118.78, 24.94)
        for lon, lat in (a, b):
            x, y = to_pixel(page, lon, lat)
            page.page.mouse.click(x, y)
        assert page.page.locator(".leaflet-popup").count() == 0  # measuring opens no popup
        readout = page.page.locator(".geoplan-readout").inner_text()
        km = float(readout.split("：")[1].split()[0])
        _, _, metres = GEOD.inv(*a, *b)
        # Leaflet measures on a sphere; within 0.5 % (and the click rounding) of the geodesic
        assert km == pytest.approx(metres / 1000, rel=0.006)


def test_map_to_png(browser: Browser, small_map: Path, tmp_path: Path) -> None:
    from PIL import Image

    out = map_to_png(small_map, tmp_path / "map.png", width=800, height=500)
    image = Image.open(out)
    assert image.size == (800, 500)
    assert np.asarray(image.convert("L"), dtype=float).std() > 10


def test_zoomed_in_farmhouses_are_points_not_clusters(browser: Browser, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 1200
    lon, lat = rng.uniform(118.70, 118.80, n), rng.uniform(24.90, 24.95, n)
    layers = small_layers()
    fh = layers["farmhouses"]
    layers["farmhouses"] = (
        fh.iloc[[0] * n]
        .reset_index(drop=True)
        .set_geometry(shapely.points(lon, lat), crs="EPSG:4326")
    )
    layers["farmhouses"]["id"] = [f"f{i}" for i in range(n)]
    path = save_map(make_map(layers, minimap=False), tmp_path / "dense.html")
    with browser.new_page() as page:
        page.open(path)
        assert counts(page)["farmhouses"] == n  # aggregated, but every house is counted
        assert page.page.evaluate("window.geoplanMap.layers[2].clustered()") is True
        page.page.evaluate("window.geoplanMap.map.setView([24.925, 118.75], 16, {animate: false})")
        assert page.page.evaluate("window.geoplanMap.layers[2].clustered()") is False
        bounds = page.page.evaluate("window.geoplanMap.map.getBounds().toBBoxString()")
        w, s, e, nn = map(float, bounds.split(","))
        inside = int(((lon >= w) & (lon <= e) & (lat >= s) & (lat <= nn)).sum())
        # drawn = in view, plus those within the 24 px margin kept for strokes and radii
        assert inside <= counts(page)["farmhouses"] <= inside + 40


def test_raster_overlay_joins_the_map_and_layer_control(browser: Browser, tmp_path: Path) -> None:
    from geoplan.datasets import data_path
    from geoplan.maps import raster_overlay

    layers = small_layers()
    overlay = raster_overlay(
        data_path("landcover.tif"),
        zones=layers["towns"],
        name="土地覆盖",
        max_pixels=200_000,
        legend=None,
    )
    path = save_map(make_map(layers, overlays=[overlay], minimap=False), tmp_path / "r.html")
    with browser.new_page() as page:
        page.open(path)
        page.page.hover(".leaflet-control-layers")
        labels = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert [t.strip() for t in labels] == ["乡镇", "福道（绿道）", "农房", "土地覆盖"]
        image = page.page.locator("img.leaflet-image-layer")
        assert image.count() == 1
        assert (image.get_attribute("src") or "").startswith("data:image/png;base64,")
        assert page.blocked == [] and page.console_errors == []
