"""Edge cases a planner hits on the output side: store, CLI, maps, rasters, report.

Each test here failed before the fix it guards (see the commit that added it).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geoplan import StoreError
from geoplan.cli import main
from geoplan.store import Store


def test_a_file_that_is_not_a_database_is_named_as_such(tmp_path):
    bogus = tmp_path / "台账.gpkg"
    bogus.write_text("record_id,task_id\n1,9\n", encoding="utf-8")
    with pytest.raises(StoreError) as info:
        Store(bogus).counts()
    message = str(info.value)
    assert "is not a GeoPackage" in message
    assert str(bogus) in message
    assert "refused the change" not in message  # nothing was being changed
    assert bogus.read_text(encoding="utf-8") == "record_id,task_id\n1,9\n"


def test_db_info_on_a_text_file_is_one_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.gpkg").write_text("hello\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["db", "info", "--url", "notes.gpkg"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "is not a GeoPackage" in lines[0]


def test_unreachable_server_is_one_error_line():
    # nothing listens on port 1 of the loopback: psycopg's message spans two lines
    url = "postgresql+psycopg://postgres@127.0.0.1:1/postgres?connect_timeout=5"
    result = CliRunner().invoke(main, ["db", "info", "--url", url])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: cannot use the database")
    assert "127.0.0.1:1" in lines[0]


def test_report_names_layer_kinds_in_chinese_for_the_planner():
    import datetime as dt

    import geoplan
    from geoplan.report import render_report

    sample = geoplan.load_sample()
    layers = {
        "towns": sample["towns"],
        "greenways": sample["greenways"],
        "my_wells": sample["towns"],
    }
    card = geoplan.scorecard(geoplan.load_sample_plan(), {}, None, as_of="2023-12-31")
    html = render_report(
        geoplan.load_sample_plan(),
        layers=layers,
        scorecard=card,
        history=False,
        maps=False,
        today=dt.date(2026, 11, 26),
    )
    towns, greenways = len(sample["towns"]), len(sample["greenways"])
    assert f"图层：3 个（乡镇 {towns}，福道（绿道） {greenways}，my_wells {towns}）" in html
    assert f"towns {towns}" not in html


def test_report_history_logs_each_missing_layer_once(caplog):
    import datetime as dt
    import logging

    import geoplan
    from geoplan.report import render_report

    sample = geoplan.load_sample()
    layers = {"towns": sample["towns"], "greenways": sample["greenways"]}
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        render_report(
            geoplan.load_sample_plan(),
            layers=layers,
            as_of="2026-06-30",
            maps=False,
            today=dt.date(2026, 11, 26),
        )
    about_villages = [r for r in caplog.records if "village_plan_share" in r.getMessage()]
    # six scorecards (year ends 2021-2025 and 2026-06-30), one warning for the planner
    assert len(about_villages) == 1


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


def test_printed_report_keeps_dates_scopes_and_status_tiles_on_one_line(tmp_path):
    """At A4 print width (186 mm = 703 px), 2026-12-31 and 海江片区 do not wrap mid-word."""
    import datetime as dt

    import pandas as pd

    import geoplan
    from geoplan.maps._browser import CHROMIUM_ARGS, chromium_path
    from geoplan.report import write_report
    from tests.conftest import require

    exe = chromium_path()
    require(exe is not None, "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    card = pd.DataFrame(
        {
            "task_id": [31, 31, 9],
            "metric": ["district_project_completion"] * 2 + ["greenway_km"],
            "scope": ["海江片区", "湖东片区", "全区"],
            "value": [50.0, 100.0, 12.4],
            "unit": ["%", "%", "km"],
            "target": [100.0, 100.0, 10.0],
            "comparator": [">=", ">=", ">="],
            "deadline": [dt.date(2026, 12, 31)] * 2 + [dt.date(2025, 12, 31)],
            "status": ["behind", "met", "met"],
        }
    )
    out = write_report(
        geoplan.load_sample_plan(),
        scorecard=card,
        history=False,
        maps=False,
        path=tmp_path / "r.html",
        as_of="2026-06-30",
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 703, "height": 1000})
            page.emulate_media(media="print")
            page.goto(out.as_uri())
            lines = page.evaluate(
                """() => Array.from(document.querySelectorAll('td')).filter(td =>
                    /^(\\d{4}-\\d{2}-\\d{2}|海江片区|湖东片区)$/.test(td.textContent.trim())
                ).map(td => {
                    const range = document.createRange(); range.selectNodeContents(td);
                    const tops = new Set(Array.from(range.getClientRects()).map(r => r.top));
                    return [td.textContent.trim(), tops.size];
                })"""
            )
            tile_rows = page.evaluate(
                "() => new Set(Array.from(document.querySelectorAll('.tile'))"
                ".map(t => t.offsetTop)).size"
            )
        finally:
            browser.close()
    assert len(lines) >= 9  # 3 dates and 2 scopes in the scorecard, again in the task sections
    assert [text for text, n in lines if n != 1] == []
    assert tile_rows == 1  # 已达标 … 未映射 side by side


def test_progress_chart_target_label_clears_the_title(monkeypatch):
    """Task 4 on the sample: 76.5 % every year towards 90 %; 目标 90.0% sat on the title."""
    import datetime as dt

    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from geoplan.report import _charts

    figures = []
    monkeypatch.setattr(_charts, "_to_svg", lambda fig: figures.append(fig) or "<svg/>")
    history = pd.DataFrame(
        {
            "as_of": [dt.date(y, 12, 31) for y in range(2021, 2026)],
            "metric": ["物业管理覆盖率"] * 5,
            "value": [76.5] * 5,
        }
    )
    _charts.progress_chart(
        history, title="任务 4：物业管理覆盖率", unit="%", targets=[(90.0, dt.date(2025, 12, 31))]
    )
    (fig,) = figures
    (ax,) = fig.axes
    renderer = FigureCanvasAgg(fig).get_renderer()
    label = next(t for t in ax.texts if t.get_text().startswith("目标"))
    title = ax.title if ax.title.get_text() else ax._left_title
    assert title.get_text() == "任务 4：物业管理覆盖率"
    assert not label.get_window_extent(renderer).overlaps(title.get_window_extent(renderer))
    assert ax.get_ylim()[1] >= 90.0 * 1.1  # the target line sits inside the axes, with room


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


def test_metrics_table_formats_numbers_and_statuses_for_the_planner(tmp_path):
    """km and % with one decimal and 千分位, statuses as 已达标/滞后…, as in the report."""
    import json

    runner = CliRunner()
    as_json = runner.invoke(main, ["metrics", "--as-of", "2023-12-31", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    greenway = next(r for r in rows if r["metric"] == "greenway_completed_km")
    share = next(r for r in rows if r["metric"] == "property_management_share")
    table = runner.invoke(main, ["metrics", "--as-of", "2023-12-31"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    km_line = next(line for line in lines if "greenway_completed_km" in line)
    pct_line = next(line for line in lines if "property_management_share" in line)
    assert f"{greenway['value']:.1f} 公里" in km_line  # 6.046 km -> 6.0 公里
    assert f"{greenway['expected']:.1f} 公里" in km_line
    assert {"on_track": "按计划推进", "behind": "滞后"}[greenway["status"]] in km_line
    assert f"{share['value']:.1f}%" in pct_line  # 76.47 % -> 76.5%
    assert "滞后" in pct_line and "behind" not in pct_line


def test_task_map_in_the_report_shows_the_towns_for_context():
    """Task 4's map held 17 community squares on a blank ground; the towns place them."""
    import geoplan
    from geoplan.report._tasks import task_map_html

    layers = geoplan.load_sample()
    page = task_map_html(4, layers)
    assert page is not None
    assert "小区" in page  # the task's own layer
    assert "乡镇" in page  # the towns beneath it, with their legend entry
    assert all(name in page for name in layers["towns"]["name"])
    assert task_map_html(4, {"towns": layers["towns"]}) is None  # towns alone serve no task


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
