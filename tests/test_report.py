"""Tests of the static report: formatting, escaping, CJK charts, notices, PDF, sorting.

The scorecard and plan here are built by hand per the contracts in docs/architecture.md,
so every expected count and formatted figure below is worked out from them directly.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import types
from pathlib import Path

import pandas as pd
import pytest
from _services import require

from geoplan import ReportError
from geoplan._common.labels import format_number, format_target
from geoplan.maps._browser import CHROMIUM_ARGS
from geoplan.maps._browser import chromium_path as find_chromium
from geoplan.report import render_report, write_report
from geoplan.report._build import complete_scorecard, summary
from geoplan.report._charts import cjk_font_family, progress_chart, town_chart
from geoplan.report._pdf import html_to_pdf

XSS = '<script>alert("x")</script>'
XSS_IMG = "<img src=x onerror=alert(1)>"
TODAY = dt.date(2026, 11, 26)
NOTO_SC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

NS = types.SimpleNamespace


def _plan(title: str = "全方位推动台商区住房城乡建设高质量发展超越行动计划") -> NS:
    return NS(
        meta=NS(
            title=title,
            doc_number="泉台管〔2021〕57号",
            issuer="泉州台商投资区管理委员会",
            date=dt.date(2021, 5, 24),
        ),
        sections=[
            NS(id="1", number=1, title="城市规划设计引领行动", kind="action"),
            NS(id="4", number=4, title="乡村建设行动", kind="action"),
        ],
        tasks=[
            NS(
                id=9, title="建设福道", section="城市规划设计引领行动", units=["区建设局", "各乡镇"]
            ),
            NS(id=17, title="编制村庄规划", section="乡村建设行动", units=["资源规划分局"]),
            NS(id=18, title="农房整治", section="乡村建设行动", units=["各乡镇"]),
            NS(id=30, title="发展建筑业", section="乡村建设行动", units=["区建设局"]),
        ],
    )


def _card() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task_id": [9, 17, 18, 18],
            "metric": [
                "demo_greenway_km",
                "demo_village_plan_share",
                "demo_farmhouses",
                "demo_farmhouses",
            ],
            "scope": ["全区", "全区", "洛阳镇", "东园镇"],
            "value": [12345.678, 55.55, 240.0, None],
            "unit": ["km", "%", "栋", "栋"],
            "target": [10.0, 100.0, 200.0, 200.0],
            "comparator": [">=", ">=", ">=", ">="],
            "deadline": [
                dt.date(2025, 12, 31),
                dt.date(2023, 12, 31),
                dt.date(2026, 12, 31),
                dt.date(2026, 12, 31),
            ],
            "status": ["met", "missed", "on_track", "no_data"],
        }
    )


def test_numbers_follow_chinese_report_conventions() -> None:
    assert format_number(12345.678, "km") == "12,345.7 公里"
    assert format_number(0.04, "km") == "0.0 公里"
    assert format_number(99.95, "%") == "100.0%"
    assert format_number(33.333, "%") == "33.3%"
    assert format_number(1234567, "栋") == "1,234,567 栋"
    assert format_number(400, "亿元") == "400 亿元"
    assert format_number(2.125, "m2") == "2.13 平方米"
    assert format_number(55.55, "%") == "55.6%"
    assert format_number(float("nan"), "km") == "—"
    assert format_target(10, "km", ">=") == "≥ 10.0 公里"
    assert format_target(None, "km", ">=") == "—"


def test_plan_tasks_without_rows_become_unmapped_and_summary_counts() -> None:
    card = complete_scorecard(_card(), _plan())
    assert list(card["task_id"]) == [9, 17, 18, 18, 30]
    assert card.loc[card["task_id"] == 30, "status"].item() == "unmapped"
    assert card.loc[card["task_id"] == 9, "lead_unit"].item() == "区建设局"
    overall, per_section = summary(card, _plan())
    assert overall == {
        "met": 1,
        "on_track": 1,
        "behind": 0,
        "missed": 1,
        "no_data": 1,
        "unmapped": 1,
    }
    by_title = {s["title"]: (s["counts"], s["total"]) for s in per_section}
    assert by_title["城市规划设计引领行动"][1] == 1
    village = by_title["乡村建设行动"]
    assert village[1] == 4
    assert (village[0]["missed"], village[0]["on_track"], village[0]["no_data"]) == (1, 1, 1)


def test_scorecard_without_required_columns_is_a_clear_error() -> None:
    with pytest.raises(ReportError, match=r"no column.*status"):
        complete_scorecard(pd.DataFrame({"task_id": [1]}))


def test_report_content_summary_badges_and_offline() -> None:
    html = render_report(_plan(), scorecard=_card(), history=False, as_of="2026-06-30", today=TODAY)
    assert "泉台管〔2021〕57号" in html
    assert "<b>2026-06-30</b>" in html
    assert "12,345.7 公里" in html and "55.6%" in html and "≥ 200 栋" in html
    for label in ("已达标", "按计划推进", "未完成", "无数据", "未映射"):
        assert f">{label}</span>" in html
    # the summary tiles: met 1, behind 0, unmapped 1
    assert re.search(r"<b>1</b>已达标", html) and re.search(r"<b>0</b>滞后", html)
    assert re.search(r"<b>1</b>未映射", html)
    # no reference to anything online: no http(s) URL at all in the page
    assert not re.search(r"https?://", html)
    assert 'table class="sortable"' in html
    assert "@page { size: A4" in html and "break-before: page" in html


def test_every_value_is_escaped() -> None:
    plan = _plan(title=f"计划{XSS}")
    plan.tasks[0].title = f"福道{XSS_IMG}"
    plan.tasks[0].units = [f"单位{XSS}"]
    card = _card()
    card.loc[0, "scope"] = f"镇{XSS_IMG}"
    card.loc[3, "note"] = f"缺少图层{XSS}"
    card.loc[1, "metric"] = f"m{XSS_IMG}"
    html = render_report(
        plan, scorecard=card, history=False, provenance=[f"来源{XSS}"], today=TODAY
    )
    assert XSS not in html and XSS_IMG not in html
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # the only <script> element is the page's own sorting code
    assert html.count("<script>") == 1


def test_bad_inputs_give_notices_not_crashes(tmp_path: Path) -> None:
    empty = tmp_path / "records.csv"
    empty.write_text(
        "record_id,task_id,layer,feature_id,date,status,quantity,unit,note\n", encoding="utf-8"
    )
    html = render_report(
        _plan(),
        layers={},
        records=empty,
        scorecard=_card(),
        history=False,
        as_of="2031-01-01",
        today=TODAY,
    )
    notices = html[html.index('id="notices"') : html.index('id="summary"')]
    assert "统计日期 2031-01-01 晚于今天（2026-11-26）" in notices
    assert "<b>2026-11-26</b>" in html
    assert "进度记录表为空" in notices
    assert "未提供任何图层要素" in notices
    assert "任务 18 的指标 demo_farmhouses 无数据" in notices
    (tmp_path / "zero.csv").write_bytes(b"")
    html = render_report(
        _plan(), records=tmp_path / "zero.csv", scorecard=_card(), history=False, today=TODAY
    )
    assert "进度记录表为空" in html


def test_layers_that_do_not_match_the_plan_are_named() -> None:
    layers = {
        "greenways": pd.DataFrame({"id": ["g1"], "name": ["福道"], "task_ids": ["9,77"]}),
        "villages": pd.DataFrame({"id": ["v1"], "name": ["村"], "task_ids": [""]}),
    }
    html = render_report(
        _plan(), layers=layers, scorecard=_card(), history=False, maps=False, today=TODAY
    )
    assert "引用了规划中不存在的任务 77" in html
    assert "已映射指标的任务 17、18 在图层中没有对应要素" in html


@pytest.mark.parametrize(
    ("as_of", "message"),
    [("2026/01/01", "not a date"), ("2020-01-01", "before the plan started")],
)
def test_bad_as_of_is_a_report_error(as_of: str, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        render_report(_plan(), scorecard=_card(), history=False, as_of=as_of, today=TODAY)


def test_write_is_atomic_and_refuses_missing_folder(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("keep", encoding="utf-8")
    write_report(_plan(), scorecard=_card(), history=False, path=out)
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    (tmp_path / "plain.txt").write_text("x", encoding="utf-8")
    assert out.stat().st_mode & 0o777 == (tmp_path / "plain.txt").stat().st_mode & 0o777
    (tmp_path / "plain.txt").unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "report.html"]
    with pytest.raises(ReportError, match="does not exist"):
        write_report(_plan(), scorecard=_card(), history=False, path=tmp_path / "no" / "r.html")


def _glyph_ids(chars: str) -> dict[str, str]:
    """The SVG ids matplotlib gives the glyphs of ``chars`` in Noto Sans CJK SC (face 2)."""
    from fontTools.ttLib import TTCollection

    with TTCollection(str(NOTO_SC), lazy=True) as fonts:
        face = fonts.fonts[2]
        cmap = face.getBestCmap()
        return {c: f"NotoSansCJKsc-Regular-{face.getGlyphID(cmap[ord(c)]):x}" for c in chars}


def test_charts_draw_chinese_glyphs_as_paths() -> None:
    require(NOTO_SC.is_file(), "Noto Sans CJK is not installed (apt-get install fonts-noto-cjk)")
    assert cjk_font_family() == "Noto Sans CJK SC"
    frame = pd.DataFrame(
        {"scope": ["洛阳镇", "东园镇", f"张坂镇{XSS}"], "value": [12.5, 3.0, 7.25]}
    )
    svg = town_chart(frame, title="福道完成里程", unit="km", target=10)
    assert "<text" not in svg  # text is outlines, so the page needs no CJK font
    glyphs = _glyph_ids("洛阳东园福道进目")
    for char in "洛阳东园福道":
        assert glyphs[char] in svg, char
    assert "<script" not in svg
    history = pd.DataFrame(
        {
            "as_of": [dt.date(2022, 12, 31), dt.date(2023, 12, 31)],
            "metric": ["村庄规划覆盖率", "村庄规划覆盖率"],
            "value": [40.0, 80.0],
        }
    )
    svg = progress_chart(history, title="进度", unit="%", targets=[(100.0, dt.date(2023, 12, 31))])
    assert glyphs["进"] in svg and glyphs["目"] in svg  # title and target label


def test_missing_cjk_font_is_a_notice_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import geoplan.report._charts as charts

    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such CJK Font",))
    assert charts.cjk_font_family() is None
    html = render_report(_plan(), scorecard=_card(), history=False, maps=False, today=TODAY)
    assert "本机未找到中文字体" in html and "apt-get install fonts-noto-cjk" in html


def _browser():  # type: ignore[no-untyped-def]
    exe = find_chromium()
    require(exe is not None, "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    return pw, pw.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS))


def test_chromium_renders_chinese_not_boxes_and_sorts(tmp_path: Path) -> None:
    out = write_report(_plan(), scorecard=_card(), history=False, path=tmp_path / "r.html")
    pw, browser = _browser()
    try:
        page = browser.new_page()
        page.goto(out.as_uri())
        # Missing glyphs all draw as the same box; real glyphs of different characters differ.
        page.evaluate("""() => { for (const c of ['洛', '阳', '园']) {
            const h = document.createElement('h3'); h.id = 'g' + c.charCodeAt(0);
            h.style.display = 'inline-block'; h.textContent = c; document.body.prepend(h); } }""")
        shots = {c: page.locator(f"#g{ord(c)}").screenshot() for c in "洛阳园"}
        assert len(set(shots.values())) == 3
        table = page.locator("table.sortable").nth(2)  # the 乡村建设行动 scorecard table
        table.locator("th", has_text="实测").click()
        values = table.locator("tbody tr td:nth-child(8)").all_inner_texts()
        assert values == ["55.6%", "240 栋", "—", "—"]
        table.locator("th", has_text="实测").click()
        values = table.locator("tbody tr td:nth-child(8)").all_inner_texts()
        assert values == ["240 栋", "55.6%", "—", "—"]  # blanks stay last
    finally:
        browser.close()
        pw.stop()


def test_pdf_is_a4_with_page_breaks(tmp_path: Path) -> None:
    require(find_chromium() is not None, "Chromium is not installed (apt-get install chromium)")
    require(shutil.which("pdftoppm") is not None, "poppler-utils is not installed")
    html = write_report(_plan(), scorecard=_card(), history=False, path=tmp_path / "r.html")
    pdf = html_to_pdf(html, tmp_path / "r.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    # cover+summary, scorecard, and one page per mapped task (9, 17, 18)
    assert pages >= 5
    assert re.search(r"Page size:\s+59[45]\.\d* x 841\.\d* pts \(A4\)", info)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    import numpy as np
    from PIL import Image

    page = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("L"))
    dark = int((page < 128).sum())
    assert dark > 500  # the cover page has text on it, not a blank sheet


@pytest.mark.slow
def test_feature_names_with_html_stay_text_in_the_browser(tmp_path: Path) -> None:
    require(find_chromium() is not None, "Chromium is not installed (apt-get install chromium)")
    from geoplan import load_sample, load_sample_records

    layers = load_sample()
    payload = "<img src=x onerror=alert('xss')>"
    towns = layers["towns"].copy()
    towns.loc[towns.index[0], "name"] = f"洛阳镇{payload}"
    greenways = layers["greenways"].copy()
    served = greenways["task_ids"].str.split(",").map(lambda ids: "9" in ids)
    greenways.loc[greenways.index[served][0], "name"] = f"福道{payload}"
    layers = {**layers, "towns": towns, "greenways": greenways}
    out = write_report(
        None,
        layers,
        load_sample_records(),
        path=tmp_path / "r.html",
        as_of="2025-12-31",
        history=False,
    )
    html = out.read_text(encoding="utf-8")
    assert payload not in html
    pw, browser = _browser()
    dialogs: list[str] = []
    try:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        for frame in page.locator("iframe").all():
            frame.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        assert page.locator("img[src='x']").count() == 0
        assert payload in page.locator("#task-9").inner_text()  # shown as text, not markup
        for frame in page.frames[1:]:
            assert frame.locator("img[src='x']").count() == 0
    finally:
        browser.close()
        pw.stop()
    assert dialogs == []
