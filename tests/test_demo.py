"""End-to-end tests of ``geoplan demo`` and ``geoplan report`` on the bundled sample.

The demo runs once per module (it takes ~10-25 s on a 2-core machine); the tests then check
its files against figures computed independently: geodesic greenway lengths with
pyproj.Geod, feature counts read back with pyogrio, snapshot dates with sqlite3, and a
headless Chromium that must not try to fetch anything from the network.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from _services import require, require_spatialite
from click.testing import CliRunner
from pyproj import Geod

from geoplan.cli import main
from geoplan.demo import FILES
from geoplan.maps._browser import CHROMIUM_ARGS
from geoplan.maps._browser import chromium_path as find_chromium

AS_OF = "2025-06-30"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("demo")
    (out / "notes.txt").write_text("a planner's own file", encoding="utf-8")
    (out / "report.html").write_text("an old report", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "-o", str(out), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output + str(result.exception)
    return out, result


def test_demo_writes_every_output_and_keeps_other_files(demo: tuple[Path, object]) -> None:
    out, _ = demo
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([*FILES.values(), "notes.txt"])  # no temp files left behind
    assert (out / "notes.txt").read_text(encoding="utf-8") == "a planner's own file"
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_register_and_scorecard_files(demo: tuple[Path, object]) -> None:
    out, _ = demo
    register = json.loads((out / "register.json").read_text(encoding="utf-8"))
    assert register["meta"]["doc_number"] == "泉台管〔2021〕57号"
    assert [t["id"] for t in register["tasks"]] == list(range(1, 33))  # the plan's 32 tasks
    assert (out / "register.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs a BOM
    with (out / "scorecard.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    assert len(rows) == len(card) > 30
    assert {r["as_of"] for r in card} == {AS_OF}
    assert {r["status"] for r in card} <= {
        "met",
        "on_track",
        "behind",
        "missed",
        "no_data",
        "unmapped",
    }


def test_greenway_km_matches_geodesic_length(demo: tuple[Path, object]) -> None:
    out, _ = demo
    card = pd.read_csv(out / "scorecard.csv", encoding="utf-8-sig")
    row = card[(card["task_id"] == 9) & (card["metric"] == "greenway_completed_km")]
    greenways = pyogrio.read_dataframe(out / "geoplan.gpkg", layer="greenways")
    dates = pd.to_datetime(greenways["completed_date"])
    # 新建 counts from the 十四五 start, 2021-01-01 (issue 13; the plan date is count_from="plan")
    done = greenways[
        (greenways["status"] == "completed") & (dates >= "2021-01-01") & (dates <= AS_OF)
    ]
    geod = Geod(ellps="GRS80")  # CGCS2000's ellipsoid
    km = sum(geod.geometry_length(g) for g in done.geometry.to_crs(4326)) / 1000
    assert row["value"].item() == pytest.approx(km, rel=2e-3)


def test_database_holds_layers_records_and_yearly_snapshots(demo: tuple[Path, object]) -> None:
    require_spatialite()  # without it the demo skips the database (see the last test)
    out, _ = demo
    from geoplan import load_sample, load_sample_records

    sample = load_sample()
    layers = set(pyogrio.list_layers(out / "geoplan.gpkg")[:, 0])
    assert set(sample) <= layers
    for kind in ("greenways", "farmhouses", "villages"):
        info = pyogrio.read_info(out / "geoplan.gpkg", layer=kind)
        assert info["features"] == len(sample[kind]), kind
    with sqlite3.connect(out / "geoplan.gpkg") as db:
        n_records = db.execute("SELECT count(*) FROM records").fetchone()[0]
        dates = [
            r[0][:10]
            for r in db.execute("SELECT DISTINCT as_of FROM metric_snapshots ORDER BY as_of")
        ]
    assert n_records == len(load_sample_records())
    assert dates == ["2021-12-31", "2022-12-31", "2023-12-31", "2024-12-31", AS_OF]


def test_terminal_summary_and_progress(demo: tuple[Path, object]) -> None:
    _, result = demo
    stdout, stderr = result.stdout, result.stderr  # type: ignore[attr-defined]
    assert "[1/6]" in stderr and "[6/6]" in stderr and "用时" in stderr
    assert "泉台管〔2021〕57号" in stdout and f"截至 {AS_OF}" in stdout
    assert "新建福道里程" in stdout and "已达标" in stdout  # metrics by their Chinese labels
    assert len(stdout.splitlines()) < 60  # one screen


def test_report_is_offline_and_says_sample(demo: tuple[Path, object]) -> None:
    out, _ = demo
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "示例数据为示意" in html
    assert f"<b>{AS_OF}</b>" in html
    assert 'id="task-9"' in html and "<iframe" in html
    exe = find_chromium()
    require(exe is not None, "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.on("request", lambda r: requested.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((out / "report.html").as_uri(), wait_until="load")
            page.locator("#task-9 iframe").scroll_into_view_if_needed()
            frames = [f for f in page.frames if f is not page.main_frame]
            has_map = [
                f.evaluate("() => document.querySelector('.leaflet-container') !== null")
                for f in frames
            ]
        finally:
            browser.close()
    assert not [u for u in requested if u.startswith(("http:", "https:"))]
    assert errors == []
    assert has_map and all(has_map)


def test_report_command_reads_progress_from_the_database(
    demo: tuple[Path, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_spatialite()
    out, _ = demo
    import geoplan.report
    from geoplan.datasets import SAMPLE_LAYERS, data_path

    def no_recompute(*args: object, **kwargs: object) -> None:
        raise AssertionError("history must come from the database's metric snapshots")

    monkeypatch.setattr(geoplan.metrics, "scorecard_history", no_recompute)
    report = tmp_path / "from_db.html"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--db",
            str(out / "geoplan.gpkg"),
            "--layers",
            str(data_path(SAMPLE_LAYERS)),
            "--as-of",
            AS_OF,
            "--no-maps",
            "-o",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output + str(result.exception)
    html = report.read_text(encoding="utf-8")
    with sqlite3.connect(out / "geoplan.gpkg") as db:
        n = db.execute("SELECT count(*) FROM metric_snapshots").fetchone()[0]
        tracked = db.execute(
            "SELECT task_id FROM metric_snapshots WHERE value IS NOT NULL AND scope_type "
            "NOT IN ('year', 'town_year') GROUP BY task_id HAVING count(DISTINCT as_of) >= 2"
        ).fetchall()
    assert f"指标快照 {n:,} 行" in html
    # one progress section for each task whose snapshots have values at two dates or more
    assert html.count("<h3>进度变化</h3>") == len(tracked) > 0
    assert "泉台管〔2021〕57号" in html  # the plan register read back from the database


def _sample_towns_only(path: Path) -> Path:
    from geoplan import load_sample

    pyogrio.write_dataframe(load_sample()["towns"], path, layer="towns")
    return path


def test_report_command_with_mismatched_inputs_says_what_is_missing(tmp_path: Path) -> None:
    layers = _sample_towns_only(tmp_path / "towns.gpkg")
    records = tmp_path / "records.csv"
    records.write_text("", encoding="utf-8")
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--layers",
            str(layers),
            "--records",
            str(records),
            "--as-of",
            future,
            "-o",
            str(out),
            "--no-maps",
            "--no-history",
        ],
    )
    assert result.exit_code == 0, result.output + str(result.exception)
    html = out.read_text(encoding="utf-8")
    notices = html[html.index('id="notices"') : html.index('id="summary"')]
    assert f"统计日期 {future} 晚于今天" in notices
    assert "进度记录表为空" in notices
    assert "在图层中没有对应要素" in notices
    assert "图层 greenways（福道（绿道））缺失" in notices
    assert "示例数据为示意" not in html


def test_report_command_bad_date_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["report", "--as-of", "31/12/2025", "-o", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2
    assert "not a date" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.output


def test_demo_without_spatialite_still_writes_the_map_and_report(tmp_path, monkeypatch):
    """On a machine without SpatiaLite only the database is left out, with the fix named."""
    from geoplan import StoreError
    from geoplan.demo import run_demo
    from geoplan.store import _backends, _store

    def no_spatialite(dbapi_conn: object) -> None:
        raise StoreError(_backends._SPATIALITE_HELP)

    monkeypatch.setattr(_store, "load_spatialite", no_spatialite)
    result = run_demo(tmp_path / "out", as_of=AS_OF)
    assert "database" not in result.files
    assert "libsqlite3-mod-spatialite" in result.skipped["database"]
    assert not (tmp_path / "out" / "geoplan.gpkg").exists()
    assert {"register_json", "scorecard_csv", "map", "report"} <= set(result.files)
    assert all(path.stat().st_size > 0 for path in result.files.values())
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")) == []
