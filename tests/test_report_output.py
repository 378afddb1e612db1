"""The report as a planner reads it: Chinese names, printed pages, charts, task maps."""

from __future__ import annotations

import pytest


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


@pytest.mark.slow  # renders the whole report with its yearly history
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
