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
