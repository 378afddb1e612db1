"""Maps as a planner sees them: PNG export, printing, the scorecard panel."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("width", "height"), [(1600, 1000), (900, 560)])
def test_map_png_shows_the_whole_legend(tmp_path, width, height):
    """The sample's legend is 821 px tall; on screen it scrolls, in a PNG it must fit."""
    import geoplan
    from geoplan.maps._browser import Browser, _fit_legends, chromium_path
    from tests.conftest import require

    require(chromium_path() is not None, "Chromium is not installed (apt-get install chromium)")
    html = geoplan.save_map(geoplan.make_map(geoplan.load_sample()), tmp_path / "map.html")
    with Browser() as browser, browser.new_page(width=width, height=height) as page:
        page.open(html)
        _fit_legends(page.page)
        boxes = page.page.evaluate(
            """() => Array.from(document.querySelectorAll('.geoplan-legend')).map(el => {
                const rows = el.querySelectorAll('.geoplan-legend-row, .geoplan-legend-head');
                const last = rows[rows.length - 1].getBoundingClientRect();
                const box = el.getBoundingClientRect();
                return [box.top, last.bottom, box.bottom, window.innerHeight,
                        el.scrollHeight - el.clientHeight];
            })"""
        )
    assert boxes
    for top, last_row, bottom, viewport, hidden in boxes:
        assert hidden <= 1  # nothing scrolled out of sight
        assert top >= 0
        assert last_row <= bottom <= viewport


def test_printed_map_hides_the_buttons_and_keeps_the_legend(tmp_path):
    """Zoom, 全/距, search and the layer switcher mean nothing on paper (the report's PDF)."""
    import geoplan
    from geoplan.maps._browser import Browser, chromium_path
    from tests.conftest import require

    require(chromium_path() is not None, "Chromium is not installed (apt-get install chromium)")
    layers = geoplan.load_sample()
    small = {"towns": layers["towns"], "greenways": layers["greenways"]}
    html = geoplan.save_map(geoplan.make_map(small), tmp_path / "map.html")
    shown = """() => Object.fromEntries(['.leaflet-control-zoom', '.geoplan-tools',
        '.geoplan-search', '.leaflet-control-layers', '.geoplan-legend',
        '.leaflet-control-scale'].map(s => {
            const el = document.querySelector(s);
            return [s, el !== null && getComputedStyle(el).display !== 'none'];
        }))"""
    with Browser() as browser, browser.new_page(width=900, height=600) as page:
        page.open(html)
        on_screen = page.page.evaluate(shown)
        page.page.emulate_media(media="print")
        on_paper = page.page.evaluate(shown)
    assert all(on_screen.values()), on_screen
    assert on_paper == {
        ".leaflet-control-zoom": False,
        ".geoplan-tools": False,
        ".geoplan-search": False,
        ".leaflet-control-layers": False,
        ".geoplan-legend": True,
        ".leaflet-control-scale": True,
    }


def test_map_scorecard_panel_writes_values_and_targets_as_the_report_does():
    """The panel showed 76.47 %, >= 90.0 % and a bare 10000.0 (the 套 was lost)."""
    import pandas as pd

    from geoplan.maps._popup import scorecard_rows

    card = pd.DataFrame(
        {
            "task_id": [4, 7, 9],
            "metric": ["property_management_share", None, "greenway_completed_km"],
            "scope": ["全区", None, "全区"],
            "value": [76.470588, None, 12.371131],
            "unit": ["%", None, "km"],
            "target": [90.0, 10000.0, 10.0],
            "target_unit": ["%", "套", "公里"],
            "comparator": [">=", None, ">="],
            "status": ["behind", "unmapped", "met"],
        }
    )
    rows = scorecard_rows(card)
    assert [(r["value"], r["target"]) for r in rows] == [
        ("76.5%", "≥ 90.0%"),
        ("", "10,000 套"),
        ("12.4 公里", "≥ 10.0 公里"),
    ]


def test_open_scorecard_panel_is_drawn_above_the_legend(tmp_path):
    """At 1280 x 800 the open 计分卡 panel (50vh) and the legend (60vh) overlap."""
    import geoplan
    from geoplan.maps._browser import Browser, chromium_path
    from tests.conftest import require

    require(chromium_path() is not None, "Chromium is not installed (apt-get install chromium)")
    layers = geoplan.load_sample()
    card = geoplan.scorecard(
        geoplan.load_sample_plan(), layers, geoplan.load_sample_records(), as_of="2025-12-31"
    )
    html = geoplan.save_map(geoplan.make_map(layers, scorecard=card), tmp_path / "map.html")
    with Browser() as browser, browser.new_page(width=1280, height=800) as page:
        page.open(html)
        page.page.locator(".geoplan-score a.geoplan-btn").click()
        hit = page.page.evaluate(
            """() => {
                const panel = document.querySelector('.geoplan-score').getBoundingClientRect();
                const legend = document.querySelector('.geoplan-legend').getBoundingClientRect();
                const top = Math.max(panel.top, legend.top);
                const bottom = Math.min(panel.bottom, legend.bottom);
                const left = Math.max(panel.left, legend.left);
                const right = Math.min(panel.right, legend.right);
                if (top >= bottom || left >= right) return 'no overlap';
                const el = document.elementFromPoint((left + right) / 2, (top + bottom) / 2);
                return el.closest('.geoplan-score') ? 'panel' : 'legend';
            }"""
        )
    assert hit == "panel"  # at this size they do overlap: the panel the planner opened wins
