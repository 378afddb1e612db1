"""Untrusted attribute text in a real browser: no payload executes, all text shows as typed."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from test_maps_browser import open_browser

from geoplan.maps import make_map, save_map
from geoplan.maps._browser import Browser

pytestmark = pytest.mark.services

browser = pytest.fixture(open_browser, scope="module", name="browser")

#: Each payload sets window.__pwned or opens a dialog if it ever runs.
PAYLOADS = [
    '<img src=x onerror="window.__pwned=1">',
    '"><script>window.__pwned=1</script>',
    "</script><script>window.__pwned=1</script>",
    "<!--<script>window.__pwned=1</script>-->",
    "`${window.__pwned=1}`",
    "${alert(1)}",
    "javascript:window.__pwned=1",
    '<a href="javascript:window.__pwned=1">点我</a>',
    "<svg onload=alert(1)>",
    "'-alert(1)-'",
    '<iframe srcdoc="<script>parent.__pwned=1</script>">',
    "a\u2028window.__pwned=1\u2029b",
    "{{constructor.constructor('window.__pwned=1')()}}",
    "{% raw %}{{ 7*7 }}",
    "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
]


def payload_layers() -> dict[str, gpd.GeoDataFrame]:
    n = len(PAYLOADS)
    lon = 118.70 + 0.01 * pd.RangeIndex(n).to_numpy()
    points = gpd.GeoDataFrame(
        {
            "id": PAYLOADS,
            "name": PAYLOADS,
            "note": PAYLOADS[::-1],
            # task ids that are not plain numbers must never become links
            "task_ids": ["9", "javascript:alert(1)", '9" onmouseover="alert(1)'] + ["11"] * (n - 3),
            "renovation_status": ["<b>completed</b>"] + ["completed"] * (n - 1),
            "renovation_date": pd.NaT,
            "village_id": "v",
            "town_id": "t",
        },
        geometry=shapely.points(lon, [24.92] * n),
        crs="EPSG:4326",
    )
    town = gpd.GeoDataFrame(
        {"id": ["t"], "name": [PAYLOADS[0]], "task_ids": [""]},
        geometry=[shapely.box(118.69, 24.90, 118.70 + 0.01 * n, 24.94)],
        crs="EPSG:4326",
    )
    return {"towns": town, "farmhouses": points}


def test_no_payload_executes_and_text_shows_as_typed(browser: Browser, tmp_path: Path) -> None:
    scorecard = pd.DataFrame(
        {
            "task_id": [9],
            "metric": [PAYLOADS[1]],
            "scope": [PAYLOADS[2]],
            "value": [1.0],
            "status": [PAYLOADS[0]],
        }
    )
    m = make_map(payload_layers(), scorecard=scorecard, title=PAYLOADS[0], minimap=False)
    path = save_map(m, tmp_path / "xss.html")
    with browser.new_page(width=1400, height=700) as page:
        page.open(path)
        page.page.evaluate("window.geoplanMap.map.setZoom(15, {animate: false})")
        page.page.evaluate("window.geoplanMap.map.panTo([24.92, 118.77], {animate: false})")
        seen = []
        for i, payload in enumerate(PAYLOADS):
            lon = 118.70 + 0.01 * i
            page.page.evaluate(f"window.geoplanMap.map.panTo([24.92, {lon}], {{animate: false}})")
            pt = page.page.evaluate(f"window.geoplanMap.map.latLngToContainerPoint([24.92, {lon}])")
            page.page.mouse.move(pt["x"] + 1, pt["y"] + 1)
            tip = page.page.locator(".geoplan-tooltip")
            tip.wait_for(state="visible", timeout=5000)
            page.page.wait_for_function(
                "t => document.querySelector('.geoplan-tooltip b').textContent === t", arg=payload
            )
            page.page.mouse.click(pt["x"] + 1, pt["y"] + 1)
            popup = page.page.locator(".leaflet-popup-content").last  # the old one fades out
            popup.wait_for(state="visible", timeout=5000)
            seen.append(popup.locator("b").text_content())
            assert PAYLOADS[::-1][i] in (popup.text_content() or "")  # the note, verbatim
            hrefs = popup.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
            assert all(h == "#task-9" for h in hrefs), hrefs
        page.page.locator(".geoplan-score a.geoplan-btn").click()
        page.page.locator("#task-9").wait_for(state="visible")
        cells = page.page.locator("#task-9 td").all_text_contents()
        assert cells == ["9", PAYLOADS[1], PAYLOADS[2], "1", "", PAYLOADS[0]]
        assert page.page.evaluate("window.__pwned") is None
        assert page.dialogs == []
        assert page.blocked == []
        assert page.console_errors == []
        # every payload arrived as plain text: no element was created from it
        assert seen == PAYLOADS
        assert (
            page.page.locator(
                ".leaflet-popup-content img, .leaflet-popup-content svg, "
                ".leaflet-popup-content iframe, .geoplan-tooltip img"
            ).count()
            == 0
        )


#: Layer names a caller might pass as keys of ``layers`` (or as a choropleth title).
NAME_PAYLOADS = [
    '<img src=x onerror="window.__pwned=1">',
    "<svg onload=window.__pwned=2>",
    "A & B <b>粗</b>",
]


def test_layer_names_show_as_typed_in_control_and_legend(browser: Browser, tmp_path: Path) -> None:
    layers = {
        name: gpd.GeoDataFrame(
            {
                "id": [f"a{i}"],
                "name": [f"要素{i}"],
                # a note that reads like CSS must neither be fetched nor fail the check
                "note": ["背景 url(http://example.com/x.png) 见附件"],
            },
            geometry=[shapely.Point(118.70 + 0.01 * i, 24.92)],
            crs="EPSG:4326",
        )
        for i, name in enumerate(NAME_PAYLOADS)
    }
    m = make_map(layers, minimap=False)
    path = save_map(m, tmp_path / "names.html")  # offline check passes: the note is data
    with browser.new_page(width=1200, height=700) as page:
        page.open(path)
        page.page.locator(".leaflet-control-layers").hover()
        labels = page.page.locator(".leaflet-control-layers-overlays label").all_text_contents()
        assert [t.strip() for t in labels] == NAME_PAYLOADS
        legend = page.page.locator(".geoplan-legend").text_content() or ""
        assert all(name in legend for name in NAME_PAYLOADS)
        assert (
            page.page.locator(
                ".leaflet-control-layers img, .leaflet-control-layers svg, .geoplan-legend img"
            ).count()
            == 0
        )
        pt = page.page.evaluate("window.geoplanMap.map.latLngToContainerPoint([24.92, 118.70])")
        page.page.mouse.click(pt["x"] + 1, pt["y"] + 1)
        popup = page.page.locator(".leaflet-popup-content").last
        popup.wait_for(state="visible", timeout=5000)
        assert "url(http://example.com/x.png)" in (popup.text_content() or "")
        assert page.page.evaluate("window.__pwned") is None
        assert page.dialogs == []
        assert page.blocked == []
