"""Issue 13: a scorecard a bureau can sign.

Each item of the issue is pinned on a small hand-built layer whose answer is worked out here
independently: areas of buffered squares and segments from the closed formulas, lengths
with pyproj.Geod, shares by counting. Geometry is drawn in metres in EPSG:4549 and stored in
EPSG:4326 (see test_metrics_families).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import math
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

from geoplan import MetricError, settings
from geoplan.cli import main
from geoplan.metrics import compute_metric, scorecard
from geoplan.metrics._card import plan_start_of, plan_targets
from geoplan.metrics._coverage import SERVICE_QUAD_SEGS
from tests.test_metrics_families import X0, Y0, box, layer, row, towns
from tests.test_metrics_scorecard import quantities

TODAY = dt.date.today()
START = dt.date(2021, 5, 24)


def card_rows(card: pd.DataFrame, task: int, ti: int = 0, metric: str | None = None):
    sel = card[(card["task_id"] == task) & (card["target_index"] == ti)]
    if metric:
        sel = sel[sel["metric"] == metric]
    return sel


def write_mapping(tmp_path: Path, lines: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text(
        "task_id,target_index,quantity_index,year,metric,scope_type,scope\n" + lines,
        encoding="utf-8",
    )
    return path


# --- 1. conflicts inside approved level-1 zones only -------------------------------------


def zones_and_houses():
    zones = layer(
        [
            {"id": "Z1", "source_id": "W1", "level": "level1", "draft": False},
            {"id": "Z2", "source_id": "W2", "level": "level1", "draft": True},
            {"id": "Z3", "source_id": "W1", "level": "level2", "draft": False},
        ],
        [box(0, 0, 100, 100), box(1000, 0, 1100, 100), box(2000, 0, 2100, 100)],
    )
    zones["name"], zones["task_ids"] = zones["id"], "21"
    zones["delineated_date"] = pd.to_datetime(["2020-01-01", None, "2020-01-01"])
    xs = [10, 50, 1050, 2050, 5000]  # two in Z1, one in the draft Z2, one in Z3, one outside
    houses = layer(
        [{"id": f"F{i}", "name": "", "task_ids": "18"} for i in range(len(xs))],
        [shapely.Point(X0 + x, Y0 + 50) for x in xs],
    )
    return {"protection_zones": zones, "farmhouses": houses}


def test_conflicts_count_approved_level1_zones_only():
    layers = zones_and_houses()
    out = compute_metric("protection_zone_conflicts", layers, as_of="2023-12-31")
    assert row(out, "全区")["value"] == 2
    assert row(out, "farmhouses")["note"] == "F0, F1"
    draft = compute_metric("draft_zone_conflicts", layers, as_of="2023-12-31")
    assert row(draft, "全区")["value"] == 1 and row(draft, "farmhouses")["note"] == "F2"


# --- 2. service buffers against analytic circles; geodesic lengths -----------------------


def residential(half: float) -> object:
    return layer(
        [{"id": "R1", "name": "", "task_ids": "", "town_id": "T1"}],
        [box(-half, -half, half, half)],
    )


def test_park_coverage_within_a_hundredth_of_a_point_of_the_exact_figure():
    side, r, half = 100.0, 500.0, 1000.0  # a 1 ha park serves 500 m
    park = layer(
        [{"id": "P1", "name": "", "task_ids": "9", "town_id": "T1", "opened_date": "2020-01-01"}],
        [box(-side / 2, -side / 2, side / 2, side / 2)],
    )
    layers = {"parks": park, "residential_land": residential(half)}
    out = compute_metric("park_service_coverage", layers, as_of="2023-12-31")
    # a square buffered by r: the square, four r-wide strips and four quarter circles
    exact = 100 * (side**2 + 4 * side * r + math.pi * r**2) / (2 * half) ** 2
    assert abs(row(out, "全区")["value"] - exact) < 0.01
    # shapely's default of 8 segments per quarter circle misses by more than that
    coarse = shapely.buffer(box(-side / 2, -side / 2, side / 2, side / 2), r).area
    assert 100 * (exact / 100 * (2 * half) ** 2 - coarse) / (2 * half) ** 2 > 0.05
    assert SERVICE_QUAD_SEGS >= 64


def test_greenway_and_sewer_coverage_against_analytic_stadiums():
    length, half = 600.0, 3000.0
    line = shapely.LineString([(X0 - length / 2, Y0), (X0 + length / 2, Y0)])
    greenway = layer(
        [
            {
                "id": "G1",
                "name": "",
                "task_ids": "9",
                "town_id": "T1",
                "status": "completed",
                "completed_date": "2022-01-01",
            }
        ],
        [line],
    )
    sewer = greenway.assign(id="S1", task_ids="8")
    res = residential(half)
    for metric, lines, kind, r in (
        ("greenway_service_coverage", greenway, "greenways", 1000.0),
        ("sewer_service_coverage", sewer, "sewage_lines", 200.0),
    ):
        out = compute_metric(metric, {kind: lines, "residential_land": res}, as_of="2023-12-31")
        exact = 100 * (2 * r * length + math.pi * r**2) / (2 * half) ** 2
        assert abs(row(out, "全区")["value"] - exact) < 0.01, metric
    wide = compute_metric(
        "sewer_service_coverage",
        {"sewage_lines": sewer, "residential_land": res},
        as_of="2023-12-31",
        service_m=500.0,
    )
    exact = 100 * (2 * 500 * length + math.pi * 500**2) / (2 * half) ** 2
    assert abs(row(wide, "全区")["value"] - exact) < 0.01
    assert "500 米" in wide["method"].iloc[0]


def test_lengths_are_geodesic_not_gauss_kruger():
    # 120 km west of the central meridian Gauss-Kruger reads ~0.018 % long
    lines = [
        shapely.LineString([(X0, Y0), (X0 + 5000, Y0 + 2000)]),
        shapely.MultiLineString([[(X0, Y0 + 9000), (X0 + 3000, Y0 + 9000), (X0 + 3000, Y0)]]),
    ]
    gw = layer(
        [
            {
                "id": f"G{i}",
                "name": "",
                "task_ids": "9",
                "town_id": "T1",
                "status": "completed",
                "completed_date": "2022-01-01",
            }
            for i in range(2)
        ],
        lines,
    )
    geod = Geod(ellps="GRS80")
    km = sum(geod.geometry_length(g) for g in gw.geometry) / 1000
    planar = sum(g.length for g in lines) / 1000
    assert abs(planar / km - 1) > 1e-4  # the two measures differ enough to tell apart
    out = compute_metric("greenway_total_km", {"greenways": gw}, as_of="2023-12-31")
    assert row(out, "全区")["value"] == pytest.approx(km, rel=1e-6)
    assert "geodesic" in out["method"].iloc[0]


# --- 3. past deadlines: the judged value, today's value beside it ------------------------


def farmhouse_layer(dates: list[str | None], due: list[bool] | None = None):
    rows = [
        {
            "id": f"F{i}",
            "name": "",
            "task_ids": "18",
            "village_id": "V1",
            "town_id": "T1",
            "renovation_status": "completed" if d else "planned",
            "renovation_date": d,
        }
        for i, d in enumerate(dates)
    ]
    if due is not None:
        for r, flag in zip(rows, due, strict=True):
            r["due_for_renovation"] = flag
    return layer(rows, [shapely.Point(X0 + 10 * i, Y0) for i in range(len(dates))])


RATE_REGISTER = quantities([(18, 2, 0, 2025, 30.0, "%", ">=", "到2025年30%以上的农房完成整治")])


def test_past_deadline_row_is_judged_on_its_value_then(tmp_path):
    layers = {"farmhouses": farmhouse_layer(["2024-03-01", "2026-03-01", None, None])}
    path = write_mapping(tmp_path, "18,2,0,2025,farmhouse_renovation_rate,zone,\n")
    card = scorecard(RATE_REGISTER, layers, as_of="2026-06-30", mapping=path)
    (r,) = card_rows(card, 18, 2).itertuples()
    assert (r.value, r.numerator, r.denominator) == (25.0, 1.0, 4.0)  # 1 of 4 at 2025-12-31
    assert r.value_today == 50.0 and r.judged_on == dt.date(2025, 12, 31)
    assert r.status == "missed" and "截止日后才达到" in r.note
    # before the deadline there is nothing to judge: value and value_today agree
    early = scorecard(RATE_REGISTER, layers, as_of="2024-06-30", mapping=path)
    (e,) = card_rows(early, 18, 2).itertuples()
    assert e.value == e.value_today == 25.0 and pd.isna(e.judged_on)


@pytest.fixture(scope="module")
def sample_card_csv(tmp_path_factory):
    out = tmp_path_factory.mktemp("card") / "card.csv"
    res = CliRunner().invoke(
        main, ["metrics", "--as-of", "2026-11-26", "--format", "csv", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    return pd.read_csv(out, encoding="utf-8-sig")


def test_sample_farmhouse_2025_row_shows_both_values(sample_card_csv):
    from geoplan.datasets import load_sample

    f = load_sample()["farmhouses"]
    done = f["renovation_status"].eq("completed")
    dates = pd.to_datetime(f["renovation_date"])
    judged = 100 * (done & (dates <= "2025-12-31")).sum() / len(f)
    now = 100 * (done & (dates <= "2026-11-26")).sum() / len(f)
    (r,) = card_rows(sample_card_csv, 18, 2).itertuples()
    assert r.value == pytest.approx(judged) and r.value_today == pytest.approx(now)
    assert round(judged, 2) == 66.73 and round(now, 2) == 75.64  # the figures
    assert r.judged_on == "2025-12-31" and r.status_code == "met" and r.status == "已达标"


@pytest.mark.slow  # the sample scorecard, twice, through the CLI
def test_terminal_table_and_json_show_judged_and_today(tmp_path):
    res = CliRunner().invoke(main, ["metrics", "--as-of", "2026-11-26"])
    assert res.exit_code == 0, res.output
    assert "value (judged)" in res.output and "today" in res.output
    line = next(ln for ln in res.output.splitlines() if "farmhouse_renovation_rate" in ln)
    assert "66.7%" in line and "75.6%" in line
    assert "[1] " in res.output  # the numbered definitions under the table
    out = tmp_path / "card.json"
    res = CliRunner().invoke(main, ["metrics", "--as-of", "2026-11-26", "-o", str(out)])
    rows = json.loads(out.read_text(encoding="utf-8"))
    rate = next(
        r for r in rows if r["metric"] == "farmhouse_renovation_rate" and r["target_index"] == 2
    )
    assert rate["judged_on"] == "2025-12-31"
    assert rate["value"] == pytest.approx(66.727, abs=1e-3)
    assert rate["value_today"] == pytest.approx(75.636, abs=1e-3)
    assert "全部既有农房" in rate["definition"]


def test_report_shows_judged_value_today_and_definition(tmp_path):
    from geoplan.report import render_report

    layers = {"farmhouses": farmhouse_layer(["2024-03-01", "2026-03-01", None, None])}
    path = write_mapping(tmp_path, "18,2,0,2025,farmhouse_renovation_rate,zone,\n")
    card = scorecard(RATE_REGISTER, layers, as_of="2026-06-30", mapping=path)
    html = render_report(
        None, scorecard=card, history=False, maps=False, as_of="2026-06-30", today=TODAY
    )
    assert "实测（判定值）" in html and "评估日现值" in html
    assert "25.0%" in html and "50.0%" in html and "截止日 2025-12-31" in html
    assert "口径：分母为全部既有农房" in html


# --- 4. as-of dates after today ----------------------------------------------------------


@pytest.mark.slow  # the sample scorecard through the CLI
def test_future_as_of_is_refused_not_judged():
    with pytest.raises(MetricError, match="after today"):
        scorecard(as_of="2999-12-31")
    with pytest.raises(MetricError, match="does not project"):
        compute_metric("greenway_total_km", {}, as_of=TODAY + dt.timedelta(days=1))
    res = CliRunner().invoke(main, ["metrics", "--as-of", "2999-12-31"])
    assert res.exit_code == 2
    assert "after today" in res.output and "missed" not in res.output
    assert scorecard(as_of=TODAY)["as_of"].eq(TODAY).all()  # today itself is fine


# --- 5. definitions that change the status -----------------------------------------------


def relics():
    levels = ["national", "provincial", "municipal", "municipal", "district"]
    done = ["2024-01-01", None, "2024-01-01", None, None]
    rows = [
        {
            "id": f"H{i}",
            "name": "",
            "task_ids": "16",
            "town_id": "T1",
            "heritage_type": "cultural_relic",
            "protection_level": lv,
            "wiring_status": "completed" if d else "planned",
            "wiring_date": d,
            "fire_safety_status": "completed" if d else "planned",
            "fire_safety_date": d,
        }
        for i, (lv, d) in enumerate(zip(levels, done, strict=True))
    ]
    return layer(rows, [shapely.Point(X0 + i, Y0) for i in range(len(rows))])


def test_task_16_protection_levels_are_parameters_stated_on_the_row(tmp_path):
    layers = {"heritage_sites": relics()}
    reg = quantities([(16, 1, 0, 2025, 100.0, "%", ">=", "全面完成重点文物保护单位“三防”")])
    path = write_mapping(tmp_path, "16,1,0,2025,relic_fire_safety_share,zone,\n")
    default = card_rows(scorecard(reg, layers, as_of="2026-01-31", mapping=path), 16, 1).iloc[0]
    assert (default["value"], default["status"]) == (50.0, "missed")  # national + provincial
    assert "国家级、省级文物保护单位" in default["definition"]
    national = scorecard(reg, layers, as_of="2026-01-31", mapping=path, key_levels=("national",))
    assert card_rows(national, 16, 1).iloc[0][["value", "status"]].tolist() == [100.0, "met"]
    three = scorecard(
        reg,
        layers,
        as_of="2026-01-31",
        mapping=path,
        key_levels=("national", "provincial", "municipal"),
    )
    assert card_rows(three, 16, 1).iloc[0]["value"] == 50.0  # 2 of 4
    wiring = compute_metric("relic_wiring_share", layers, as_of="2026-01-31")
    assert row(wiring, "全区")["value"] == 40.0  # 区级 and above: 2 of 5
    only = compute_metric(
        "relic_wiring_share", layers, as_of="2026-01-31", wiring_levels=("district",)
    )
    assert row(only, "全区")["value"] == 0.0


def sources():
    specs = [  # zone, markers, works done?
        (True, True, True),
        (False, False, True),
        (True, False, True),
    ]
    rows = [
        {
            "id": f"W{i}",
            "name": "",
            "task_ids": "21",
            "village_id": "V1",
            "town_id": "T1",
            "source_type": "groundwater",
            "scale": "dispersed",
            "zone_delineated": z,
            "zone_date": "2022-01-01" if z else None,
            "markers_installed": m,
            "markers_date": "2022-01-01" if m else None,
            "remediation_status": "completed" if w else "planned",
            "remediation_date": "2022-01-01" if w else None,
        }
        for i, (z, m, w) in enumerate(specs)
    ]
    return layer(rows, [shapely.Point(X0 + 100 * i, Y0) for i in range(len(rows))])


def test_task_21_remediation_is_the_three_steps_the_plan_lists():
    layers = {"water_sources": sources(), "towns": towns()}
    out = compute_metric("water_remediation_share", layers, as_of="2023-12-31")
    zone = row(out, "全区")
    assert zone["value"] == pytest.approx(100 / 3)
    assert zone["note"] == "划定保护区 2/3，设立标志 1/3，整治 3/3"
    assert "划定保护区、设立标志、整治均已完成" in zone["method"]
    assert row(out, "分散式")["note"] == zone["note"]
    works = compute_metric(
        "water_remediation_share", layers, as_of="2023-12-31", remediation_components=("works",)
    )
    assert row(works, "全区")["value"] == 100.0
    two = compute_metric(
        "water_remediation_share",
        layers,
        as_of="2023-12-31",
        remediation_components=("zone", "works"),
    )
    assert row(two, "全区")["value"] == pytest.approx(200 / 3)
    with pytest.raises(MetricError, match="remediation_components"):
        compute_metric("water_remediation_share", layers, remediation_components=("paint",))


def communities():
    specs = [  # built, old?, renovated on
        (1996, True, "2022-10-01"),
        (2005, False, "2023-05-01"),
        (2008, False, None),
        (2012, False, "2022-01-01"),  # after 2010: not a 补短板 estate
        (1999, False, None),  # before 2000: neither
    ]
    rows = [
        {
            "id": f"C{i}",
            "name": f"小区{i}",
            "task_ids": "5",
            "town_id": "T1",
            "built_year": y,
            "is_old_community": old,
            "property_managed": True,
            "renovation_status": "completed" if d else "planned",
            "renovation_date": d,
        }
        for i, (y, old, d) in enumerate(specs)
    ]
    return layer(rows, [box(100 * i, 0, 100 * i + 50, 50) for i in range(len(rows))])


def test_task_5_counts_the_old_community_and_the_2000_2010_estates(tmp_path):
    reg = quantities([(5, 0, 0, 2022, 100.0, "%", ">=", "到2022年,全面完成")])
    path = write_mapping(
        tmp_path,
        "5,0,0,2022,old_community_renovation,zone,\n5,0,0,2022,estate_upgrade_share,zone,\n",
    )
    card = scorecard(reg, {"communities": communities()}, as_of="2023-06-30", mapping=path)
    old = card_rows(card, 5, metric="old_community_renovation").iloc[0]
    est = card_rows(card, 5, metric="estate_upgrade_share").iloc[0]
    assert (old["value"], old["status"]) == (100.0, "met")
    assert (est["value"], est["denominator"], est["status"]) == (0.0, 2.0, "missed")
    assert est["value_today"] == 50.0
    assert "2000–2010" in est["definition"]


def greenways_2021():
    lines = [
        shapely.LineString([(X0, Y0), (X0 + 1000, Y0)]),
        shapely.LineString([(X0, Y0 + 500), (X0 + 2000, Y0 + 500)]),
    ]
    rows = [
        {
            "id": f"G{i}",
            "name": "",
            "task_ids": "9",
            "town_id": "T1",
            "status": "completed",
            "completed_date": d,
        }
        for i, d in enumerate(["2021-03-01", "2022-06-01"])
    ]
    return layer(rows, lines)


def test_task_9_counting_start_is_a_parameter():
    gw = greenways_2021()
    geod = Geod(ellps="GRS80")
    km = [geod.geometry_length(g) / 1000 for g in gw.geometry]
    out = compute_metric("greenway_completed_km", {"greenways": gw}, as_of="2023-12-31")
    assert row(out, "全区")["value"] == pytest.approx(km[0] + km[1], rel=1e-6)  # 十四五
    assert "2021-01-01 起" in out["method"].iloc[0]
    plan = compute_metric(
        "greenway_completed_km", {"greenways": gw}, as_of="2023-12-31", count_from="plan"
    )
    assert row(plan, "全区")["value"] == pytest.approx(km[1], rel=1e-6)
    with pytest.raises(MetricError, match="count_from"):
        compute_metric("greenway_completed_km", {"greenways": gw}, count_from="soon")


def test_task_18_first_year_is_pro_rated_and_due_flag_sets_the_denominator(tmp_path):
    reg = quantities([(18, 0, 0, None, 3.0, "栋", ">=", "各乡镇每年整治既有农房3栋以上")])
    path = write_mapping(tmp_path, "18,0,0,,farmhouse_renovations_per_year,town_year,\n")
    layers = {"farmhouses": farmhouse_layer(["2021-07-01", "2021-09-01"]), "towns": towns()}
    card = scorecard(reg, layers, as_of="2022-06-30", mapping=path)
    first = card[card["scope"] == "洛阳镇 2021"].iloc[0]
    days = (dt.date(2021, 12, 31) - START).days + 1  # 222 of 365 days
    assert first["target"] == pytest.approx(3 * days / 365)
    assert (first["value"], first["status"]) == (2.0, "met")
    assert f"{days}/365" in first["definition"]
    whole = scorecard(reg, layers, as_of="2022-06-30", mapping=path, prorate_first_year=False)
    first = whole[whole["scope"] == "洛阳镇 2021"].iloc[0]
    assert (first["target"], first["status"]) == (3.0, "missed")
    # a due-for-renovation flag: the rate is over the farmhouses due only
    flagged = farmhouse_layer(
        ["2022-01-01", None, "2022-01-01", None], due=[True, True, False, False]
    )
    due = compute_metric("farmhouse_renovation_rate", {"farmhouses": flagged}, as_of="2023-01-01")
    assert (row(due, "全区")["value"], row(due, "全区")["denominator"]) == (50.0, 2.0)
    assert "需整治" in due["method"].iloc[0]
    every = compute_metric(
        "farmhouse_renovation_rate", {"farmhouses": flagged}, as_of="2023-01-01", due_column=None
    )
    assert row(every, "全区")["denominator"] == 4.0


def test_greenway_under_construction_in_the_past_says_it_has_no_start_dates():
    gw = greenways_2021()
    past = compute_metric("greenway_under_construction_km", {"greenways": gw}, as_of="2021-12-31")
    assert "没有开工日期" in row(past, "全区")["note"]
    dated = gw.assign(start_date=pd.to_datetime(["2020-01-01", "2021-06-01"]))
    known = compute_metric(
        "greenway_under_construction_km", {"greenways": dated}, as_of="2021-12-31"
    )
    assert "没有开工日期" not in row(known, "全区")["note"]


def test_plan_start_comes_from_the_plan_and_settings_at_call_time(monkeypatch):
    ns = types.SimpleNamespace
    assert plan_start_of(ns(meta=ns(date=dt.date(2022, 3, 1)))) == dt.date(2022, 3, 1)
    monkeypatch.setattr(settings, "PLAN_START", dt.date(2021, 8, 1))
    assert plan_start_of(ns(meta=ns(date=None))) == dt.date(2021, 8, 1)
    # the per-year count starts at the setting as it is now, not as it was at import
    layers = {"farmhouses": farmhouse_layer(["2021-07-01", "2021-09-01"]), "towns": towns()}
    per = compute_metric("farmhouse_renovations_per_year", layers, as_of="2021-12-31")
    assert row(per, "2021", "year")["value"] == 1
    from geoplan.datasets import load_sample_plan

    plan = load_sample_plan()
    later = dataclasses.replace(plan, meta=dataclasses.replace(plan.meta, date=dt.date(2022, 1, 1)))
    with pytest.raises(MetricError, match=r"before the plan started \(2022-01-01\)"):
        scorecard(later, layers, as_of="2021-12-31")


# --- 6. undated attributes in the history charts -----------------------------------------


def test_undated_attribute_is_drawn_as_such_in_history_charts():
    from geoplan.report._tasks import _progress

    rows = pd.DataFrame(
        {
            "metric": ["property_management_share"],
            "target": [90.0],
            "deadline": [None],
            "unit": ["%"],
            "note": ["物业管理属性没有日期：按现状计"],
        }
    )
    history = pd.DataFrame(
        {
            "as_of": [dt.date(2022, 12, 31), dt.date(2023, 12, 31)],
            "task_id": [4, 4],
            "metric": ["property_management_share"] * 2,
            "scope_type": ["zone"] * 2,
            "scope": ["全区"] * 2,
            "value": [76.5, 76.5],
        }
    )

    def svg(uri: str) -> str:
        return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")

    grey = "#8c959f"
    assert grey in svg(_progress(4, rows, history, "任务 4"))
    assert grey not in svg(_progress(4, rows.assign(note=""), history, "任务 4"))
    # the metric itself keeps saying so at every as-of
    c = communities()
    for day in ("2022-01-01", "2025-01-01"):
        out = compute_metric("property_management_share", {"communities": c}, as_of=day)
        assert (out["note"] == "物业管理属性没有日期：按现状计").all()


# --- missing rows ------------------------------------------------------------------------


def test_sample_card_lists_every_target_of_the_register(sample_card_csv):
    from geoplan.datasets import load_sample_plan

    targets = plan_targets(load_sample_plan())
    listed = set(zip(sample_card_csv["task_id"], sample_card_csv["target_index"], strict=True))
    wanted = set(zip(targets["task_id"], targets["target_index"], strict=True))
    assert wanted <= listed
    words = targets[targets["quantities"] == 0]
    assert len(words[words["year"].notna()]) >= 15
    card = sample_card_csv
    measured = {
        (18, 3, "farmhouse_renovation_rate"),
        (9, 1, "greenway_service_coverage"),
        (9, 1, "park_service_coverage"),
        (8, 1, "sewer_service_coverage"),
        (5, 0, "estate_upgrade_share"),
        (21, 1, "water_marker_share"),
    }
    for task, ti, metric in measured:
        rows = card_rows(card, task, ti, metric)
        assert len(rows) == 1 and rows["status_code"].iloc[0] != "unmapped", (task, ti, metric)
        assert rows["value"].notna().all()
    # 百崎集镇 by 2025, stated in words: read from the ledger (issue 14), not left unmapped
    assert card_rows(card, 19, 0)["metric"].tolist() == ["ledger_percent"]
    assert card_rows(card, 18, 3).iloc[0]["target"] == 100.0
    assert "基本完成整治" in card_rows(card, 18, 3).iloc[0]["note"]
    # the sample's 2000–2010 estates: none of the 10 done by the 2022 deadline
    est = card_rows(card, 5, 0, "estate_upgrade_share").iloc[0]
    assert (est["value"], est["denominator"], est["status_code"]) == (0.0, 10.0, "missed")


@pytest.mark.slow  # the sample scorecard with raster metrics, through the CLI
def test_raster_metrics_reach_the_cli(tmp_path):
    from geoplan.datasets import SAMPLE_LAYERS, data_path, load_sample

    args = ["metrics", "--metric", "green_cover_share", "--as-of", "2026-11-26"]
    res = CliRunner().invoke(main, [*args, "--format", "csv"])
    assert res.exit_code == 0, res.output
    cli = pd.read_csv(io.StringIO(res.output))
    direct = compute_metric(
        "green_cover_share", load_sample(), as_of="2026-11-26", landcover=data_path("landcover.tif")
    )
    assert cli["value"].to_numpy() == pytest.approx(direct["value"].to_numpy())
    assert not np.isnan(cli["value"]).any()
    # a user's layers: no bundled raster; --raster KIND=PATH passes theirs
    dem = tmp_path / "mine.tif"
    dem.write_bytes(data_path("dem.tif").read_bytes())
    layers = str(data_path(SAMPLE_LAYERS))
    base = ["metrics", "--layers", layers, "--metric", "low_lying_share", "--format", "csv"]
    res = CliRunner().invoke(main, base)
    assert "未提供输入 dem" in res.output
    res = CliRunner().invoke(main, [*base, "--raster", f"dem={dem}"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(io.StringIO(res.output))["value"].notna().all()
    bad = CliRunner().invoke(main, [*base, "--raster", "elevation=x.tif"])
    assert bad.exit_code == 2 and "unknown raster kind 'elevation'" in bad.output


@pytest.mark.slow  # the sample scorecard through the CLI
def test_definitions_can_be_set_from_the_cli(tmp_path):
    out = tmp_path / "card.csv"
    args = ["metrics", "--as-of", "2026-11-26", "--format", "csv", "-o", str(out)]
    res = CliRunner().invoke(
        main, [*args, "--set", "key_levels=national", "--set", "prorate_first_year=false"]
    )
    assert res.exit_code == 0, res.output
    card = pd.read_csv(out, encoding="utf-8-sig")
    fire = card_rows(card, 16, 1).iloc[0]
    assert (fire["value"], fire["status_code"]) == (100.0, "met")  # the one national relic
    assert "计入级别：国家级文物保护单位" in fire["definition"]
    first = card[card["scope"] == "东园镇 2021"].iloc[0]
    assert (first["target"], first["status_code"]) == (200.0, "missed")  # 160 of a full 200
    bad = CliRunner().invoke(main, ["metrics", "--set", "levels=national"])
    assert bad.exit_code == 2 and "unknown parameter 'levels'" in bad.output
    bad = CliRunner().invoke(main, ["metrics", "--set", "service_m=far"])
    assert bad.exit_code == 2 and "service_m='far'" in bad.output
