"""Scorecard statuses, the target mapping, bad input and the `geoplan metrics` command.

Statuses are checked against straight-line expectations worked out here from the dates;
the fixtures are the hand-built greenways and villages of test_metrics_families.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoplan import MetricError, SchemaError
from geoplan.cli import main
from geoplan.metrics import compute_metric, register_metric, scorecard
from geoplan.metrics._card import read_mapping
from geoplan.metrics._registry import METRICS, metric_frame
from tests.test_metrics_families import farmhouses, geod_km, greenways, towns, villages

START = dt.date(2021, 5, 24)


def quantities(rows: list[tuple]) -> pd.DataFrame:
    """A register shaped like Plan.quantities_frame()."""
    out = []
    for task, ti, qi, year, value, unit, comp, text in rows:
        out.append(
            {
                "task_id": task,
                "title": "",
                "section": "",
                "target_index": ti,
                "quantity_index": qi,
                "year": year,
                "deadline": dt.date(year, 12, 31) if year else None,
                "value": value,
                "unit": unit,
                "comparator": comp,
                "qualifiers": [],
                "text": text,
            }
        )
    return pd.DataFrame(out)


REGISTER = quantities(
    [
        (9, 0, 0, 2025, 4.0, "公里", ">=", "到2025年全区新建福道4公里以上"),
        (9, 0, 1, 2025, 100.0, "%", ">=", "全面完成国家园林城市创建工作"),
        (17, 0, 0, 2023, 100.0, "%", ">=", "2023年底前实现全区村庄规划全覆盖"),
        (18, 0, 0, None, 2.0, "栋", ">=", "各乡镇每年整治既有农房2栋以上"),
        (18, 1, 0, 2025, 60.0, "%", None, "到2025年,全区60%以上的既有农房完成整治"),
        (22, 0, 0, 2025, 80.0, "%", ">=", "到2025年,全区绿盈乡村达80%以上"),
    ]
)

MAPPING = """task_id,target_index,quantity_index,year,metric,scope_type,scope
9,0,0,2025,greenway_completed_km,zone,
17,0,0,2023,village_plan_share,zone,
18,0,0,,farmhouse_renovations_per_year,town_year,
18,1,0,2025,farmhouse_renovation_rate,zone,
22,0,0,2025,greenway_completed_km,zone,
"""


@pytest.fixture()
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture()
def layers():
    return {
        "greenways": greenways(),
        "villages": villages(),
        "farmhouses": farmhouses(),
        "towns": towns(),
    }


def write_gpkg(path: Path, layers: dict) -> Path:
    """A real GeoPackage with one layer per kind, as `geoplan metrics --layers` reads it."""
    for kind, gdf in layers.items():
        gdf.to_file(path, layer=kind, driver="GPKG")
    return path


def card_row(card: pd.DataFrame, task: int, scope: str = "全区", ti: int = 0) -> pd.Series:
    sel = card.loc[
        (card["task_id"] == task) & (card["scope"] == scope) & (card["target_index"] == ti)
    ]
    assert len(sel) == 1, card
    return sel.iloc[0]


def test_statuses_against_straight_line(layers, mapping, caplog):
    as_of = dt.date(2023, 12, 31)
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        card = scorecard(REGISTER, layers, as_of=as_of, mapping=mapping)
    km = geod_km(greenways())
    gw = card_row(card, 9)
    frac = (as_of - START).days / (dt.date(2025, 12, 31) - START).days
    assert gw["value"] == pytest.approx(km[0], rel=1e-3)
    assert gw["expected"] == pytest.approx(4.0 * frac, rel=1e-9)
    assert gw["baseline"] == 0.0
    assert gw["value"] == pytest.approx(2.71, abs=0.01) and gw["expected"] < 2.27
    assert gw["status"] == "on_track"
    # on its deadline day the value is final: 50 % of 100 % is missed, not "behind"
    v17_due = card_row(card, 17)
    assert v17_due["status"] == "missed"
    assert "截止日 2023-12-31 时为 50" in v17_due["note"]
    # 2 per town per year: 洛阳镇 renovated 1 after the start in 2021, 2 in 2022
    assert card_row(card, 18, "洛阳镇 2021")["status"] == "missed"
    assert card_row(card, 18, "洛阳镇 2022")["status"] == "met"
    assert card_row(card, 18, "东园镇 2022")["status"] == "missed"
    assert card_row(card, 18, "东园镇 2023")["status"] == "missed"  # its last day: final
    # renovation rate 40 % at 2023-12-31; baseline from dated features at the plan start:
    # F0 (2021-03-01) of the 10 farmhouses was renovated; the undated one is not counted
    rate = card_row(card, 18, ti=1)
    assert rate["value"] == pytest.approx(40.0)
    assert rate["baseline"] == pytest.approx(10.0)
    assert rate["expected"] == pytest.approx(10.0 + (60.0 - 10.0) * frac)
    assert rate["expected"] == pytest.approx(38.27, abs=0.01)  # 951 of 1 682 days
    assert rate["status"] == "on_track"
    unmapped = card.loc[card["status"] == "unmapped"]
    assert list(unmapped["task_id"]) == [9]
    # a km metric mapped to a % target: reported as no data with both units named
    bad = card_row(card, 22)
    assert bad["status"] == "no_data" and "km" in bad["note"] and "%" in bad["note"]
    assert any("unit mismatch" in r.getMessage() for r in caplog.records)


def test_time_travel_changes_the_card(layers, mapping):
    early = scorecard(REGISTER, layers, as_of="2023-12-31", mapping=mapping)
    late = scorecard(REGISTER, layers, as_of="2026-11-26", mapping=mapping)
    km = geod_km(greenways())
    assert card_row(late, 9)["value"] == pytest.approx(km[0] + km[2], rel=1e-3)
    # the deadline (2025-12-31) passed: judged on the value then, G3 was done in 2024
    assert card_row(late, 9)["status"] == "met"  # 2.71 + 1.70 km ≥ 4 km by 2025-12-31
    assert card_row(early, 9)["value"] != card_row(late, 9)["value"]
    # ... and missed the day after: judged on the value at the deadline (50 %), with a note
    # that V3 (approved 2024-03-01) came later
    v17 = card_row(late, 17)
    # issue 13: a past-deadline row shows the judged value (at the deadline), today's beside
    assert v17["status"] == "missed" and v17["value"] == 50.0 and v17["value_today"] == 75.0
    assert v17["judged_on"] == dt.date(2023, 12, 31)
    assert "截止日 2023-12-31 时为 50" in v17["note"]


def test_missing_layer_is_no_data_not_a_crash(layers, mapping):
    del layers["greenways"]
    card = scorecard(REGISTER, layers, as_of="2023-12-31", mapping=mapping)
    gw = card_row(card, 9)
    assert gw["status"] == "no_data"
    assert "图层 greenways（福道（绿道））缺失" in gw["note"]
    layers["villages"] = layers["villages"].iloc[:0]
    out = compute_metric("village_plan_share", layers, as_of="2023-12-31")
    assert out["value"].isna().all() and "图层 villages（村庄）为空" in out["note"].iloc[0]


def test_as_of_before_plan_start():
    with pytest.raises(MetricError, match="before the plan started"):
        compute_metric("greenway_total_km", {}, as_of="2021-05-23")
    with pytest.raises(MetricError, match="not an ISO date"):
        compute_metric("greenway_total_km", {}, as_of="31/12/2023")


@pytest.mark.parametrize("as_of", [20231231, pd.NaT, np.datetime64("NaT"), 2023.12])
def test_as_of_that_is_not_a_date_is_named(as_of):
    with pytest.raises(MetricError, match=r"is not a date; pass a datetime.date or a YYYY-MM-DD"):
        compute_metric("greenway_total_km", {}, as_of=as_of)


def test_as_of_timestamps_count_by_their_own_day():
    gw = {"greenways": greenways()}
    day = compute_metric("greenway_total_km", gw, as_of=dt.date(2023, 12, 31))
    for stamp in (
        np.datetime64("2023-12-31T18:00"),
        pd.Timestamp("2023-12-31 23:30", tz="Asia/Shanghai"),
        dt.datetime(2023, 12, 31, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    ):
        out = compute_metric("greenway_total_km", gw, as_of=stamp)
        assert out["value"].tolist() == day["value"].tolist()
        assert set(out["as_of"]) == set(day["as_of"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("99,0,0,,greenway_completed_km,zone,", "unknown task id 99"),
        ("9,0,5,,greenway_completed_km,zone,", "quantity_index 5 is out of range"),
        ("9,3,0,,greenway_completed_km,zone,", "no quantified target_index 3"),
        ("9,0,0,,greenway_miles,zone,", "unknown metric 'greenway_miles'"),
        ("9,0,0,2030,greenway_completed_km,zone,", "says year 2030"),
        ("9,0,0,,greenway_completed_km,planet,", "unknown scope_type 'planet'"),
    ],
)
def test_mapping_errors_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "m.csv"
    path.write_text(f"# comment\n{MAPPING.splitlines()[0]}\n{line}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=message) as err:
        read_mapping(path, REGISTER)
    assert f"{path} line 3" in str(err.value)


def test_bundled_mapping_matches_the_real_register(plan_path):
    from geoplan.plan import parse_plan

    with pytest.warns(Warning):  # the parser warns about tasks without targets
        plan = parse_plan(plan_path)
    rules = read_mapping(None, plan)
    assert {r.task_id for r in rules} >= {4, 5, 9, 16, 17, 18, 20, 21, 22, 31}
    implied = {(r.task_id, r.target_index): r.implied for r in rules if r.implied}
    # layer metrics read four word targets (18: issue 13); the ledger reads every other one
    by_layers = sorted(
        {(r.task_id, r.target_index) for r in rules if r.implied}
        - {(r.task_id, r.target_index) for r in rules if r.metric.startswith("ledger_")}
    )
    assert by_layers == [(18, 3), (20, 0), (21, 0), (31, 0)]
    assert all((i.value, i.unit, i.comparator) == (100.0, "%", ">=") for i in implied.values())
    # the quantities frame alone lists no target without a quantity: the implied lines
    # need the Plan
    with pytest.raises(SchemaError, match="pass the Plan itself"):
        read_mapping(None, plan.quantities_frame())


def test_registered_metric_with_extra_input():
    @register_metric(
        "test_input_metric", unit="count", requires=("towns",), inputs=("raster",), replace=True
    )
    def _m(layers, records, *, as_of, raster, factor=1.0):
        return metric_frame(
            "test_input_metric",
            [{"scope_type": "zone", "scope": "全区", "value": len(layers["towns"]) * factor}],
            unit="count",
            as_of=as_of,
            method="towns × factor",
        )

    try:
        lay = {"towns": towns()}
        missing = compute_metric("test_input_metric", lay, as_of="2024-01-01")
        assert "未提供输入 raster" in missing["note"].iloc[0]
        out = compute_metric(
            "test_input_metric", lay, as_of="2024-01-01", raster="x.tif", factor=3.0, unrelated=1
        )
        assert out["value"].iloc[0] == 6.0
        with pytest.raises(MetricError, match="already registered"):
            register_metric("test_input_metric", unit="count")(lambda *a, **k: None)
    finally:
        METRICS.pop("test_input_metric")


# the real plan has tasks without targets; the parser says so with a PlanWarning
@pytest.mark.filterwarnings("ignore::geoplan._errors.PlanWarning")
@pytest.mark.slow  # the sample scorecard through the CLI, twice
def test_cli_json_and_bom_csv(tmp_path, layers, plan_path):
    """The real bundled plan and mapping, on the hand-built layers."""
    gpkg = write_gpkg(tmp_path / "l.gpkg", layers)

    def run(output):
        args = ["metrics", "--layers", str(gpkg), "--plan", str(plan_path), "--as-of", "2023-12-31"]
        res = CliRunner().invoke(main, [*args, "-o", str(output)])
        assert res.exit_code == 0, res.output

    out = tmp_path / "card.json"
    run(out)
    rows = json.loads(out.read_text(encoding="utf-8"))
    gw = next(r for r in rows if r["metric"] == "greenway_completed_km")
    assert gw["task_id"] == 9 and gw["target"] == 10.0 and gw["target_unit"] == "公里"
    assert gw["value"] == pytest.approx(geod_km(greenways())[0], rel=1e-3)
    assert {
        "task_id",
        "metric",
        "scope",
        "value",
        "unit",
        "target",
        "comparator",
        "deadline",
        "status",
    } <= set(gw)
    assert gw["deadline"] == "2025-12-31"
    csv_path = tmp_path / "card.csv"
    run(csv_path)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(pd.read_csv(csv_path, encoding="utf-8-sig")) == len(rows)
    bad = CliRunner().invoke(main, ["metrics", "--layers", str(gpkg), "--as-of", "2020-01-01"])
    assert bad.exit_code == 2 and "before the plan started" in bad.output


def test_records_fill_dates_only_up_to_as_of(layers):
    """G5 is completed without a date; the log dates it 2023-03-01."""
    log = pd.DataFrame(
        {
            "record_id": ["R1", "R2"],
            "task_id": [9, 17],
            "layer": ["greenways", "villages"],
            "feature_id": ["G5", "V4"],
            "date": pd.to_datetime(["2023-03-01", "2023-02-01"]),
            "status": ["completed", "completed"],
            "quantity": [np.nan, np.nan],
            "unit": ["km", "处"],
            "note": ["", ""],
        }
    )
    km = geod_km(greenways())
    before = compute_metric("greenway_completed_km", layers, log, as_of="2022-12-31")
    after = compute_metric("greenway_completed_km", layers, log, as_of="2023-12-31")
    assert before["value"].iloc[0] == pytest.approx(km[0], rel=1e-3)
    assert after["value"].iloc[0] == pytest.approx(km[0] + km[4], rel=1e-3)
    # the task-17 record dates V4's plan approval; task 22 (green village) is untouched
    plans = compute_metric("village_plan_share", layers, log, as_of="2023-12-31")
    assert plans["value"].iloc[0] == 75.0
    green = compute_metric("green_village_share", layers, log, as_of="2026-01-01")
    assert green["value"].iloc[0] == 50.0  # V1, V3; V4's flag has no date and no record


def test_layer_without_crs_is_a_crs_error(layers):
    from geoplan import CRSError

    gw = layers["greenways"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="greenways"):
        compute_metric("greenway_total_km", {"greenways": gw}, as_of="2024-01-01")


def test_cli_one_metric_as_json(tmp_path, layers):
    gpkg = write_gpkg(tmp_path / "l.gpkg", layers)
    res = CliRunner().invoke(
        main,
        [
            "metrics",
            "--layers",
            str(gpkg),
            "--metric",
            "village_plan_share",
            "--as-of",
            "2023-12-31",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = {r["scope"]: r["value"] for r in json.loads(res.output)}
    assert rows == {"全区": 50.0, "东园镇": 0.0, "洛阳镇": 100.0}


def test_every_metric_has_a_chinese_label_for_maps_and_reports():
    from geoplan.metrics import list_metrics, metric_label

    listing = list_metrics()
    no_cjk = listing[~listing["label"].str.contains(r"[\u4e00-\u9fff]", regex=True)]
    assert no_cjk.empty, f"metrics without a Chinese label: {list(no_cjk['metric'])}"
    assert metric_label("farmhouse_renovation_rate") == "既有农房整治率"
    assert metric_label("not_a_metric") == "not_a_metric"
