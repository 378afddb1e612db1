"""Water-source metrics and HJ 338-2018 draft zones on layouts computed by hand (EPSG:4549)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
import shapely

from geoplan import SchemaError
from geoplan.metrics import compute_metric, delineate_protection_zones
from geoplan.metrics.water import ZoneParams
from tests.test_metrics_families import X0, Y0, box, layer, row, towns


def ngon_area(r: float, n: int = 32) -> float:
    """Area of the regular n-gon shapely's buffer draws for a circle (8 segments/quarter)."""
    return 0.5 * n * r * r * math.sin(2 * math.pi / n)


def metric_areas(zones) -> dict[tuple[str, str], float]:
    z = zones.to_crs("EPSG:4549")
    return {
        (s, lv): g.area for s, lv, g in zip(z["source_id"], z["level"], z.geometry, strict=True)
    }


def sources():
    spec = [  # id, type, size, aquifer
        ("W", "groundwater", None, "pore"),
        ("L", "lake", "medium", None),
        ("S", "reservoir", "small", None),
        ("R", "river", None, None),
        ("E", "river", None, None),  # near the start of the river: upstream clipped
    ]
    pts = [
        shapely.Point(X0, Y0),
        shapely.Point(X0 + 5000, Y0),
        shapely.Point(X0 + 10_100, Y0 + 100),
        shapely.Point(X0 + 17_000, Y0 + 10),
        shapely.Point(X0 + 15_500, Y0),
    ]
    return layer(
        [
            {
                "id": i,
                "name": i,
                "task_ids": "21",
                "source_type": t,
                "reservoir_size": s,
                "aquifer": a,
                "zone_delineated": False,
            }
            for i, t, s, a in spec
        ],
        pts,
    )


def test_draft_zones_follow_the_parameters():
    river = layer(
        [{"id": "river", "width_m": 30.0}],
        [shapely.LineString([(X0 + 15_000, Y0), (X0 + 25_000, Y0)])],
    )
    water = layer([{"id": "res"}], [box(10_000, 0, 10_400, 300)])
    zones = delineate_protection_zones(sources(), rivers=river, water_bodies=water)
    assert zones["draft"].all() and set(zones["level"]) == {"level1", "level2"}
    assert zones.crs.to_epsg() == 4326
    a = metric_areas(zones)
    # pore-water well: 30 m level 1, 300 m level 2 (annulus)
    assert a["W", "level1"] == pytest.approx(ngon_area(30), rel=1e-6)
    assert a["W", "level2"] == pytest.approx(ngon_area(300) - ngon_area(30), rel=1e-6)
    assert a["L", "level1"] == pytest.approx(ngon_area(300), rel=1e-6)
    # small reservoir: the whole 400 × 300 m surface plus a 200 m land strip
    strip = 400 * 300 + 2 * (400 + 300) * 200 + ngon_area(200)
    assert a["S", "level1"] == pytest.approx(strip, rel=1e-6)
    # river intake 2 000 m down the line: 1 000 m up + 100 m down, 15 + 50 m each side
    assert a["R", "level1"] == pytest.approx(1100 * 130, rel=1e-6)
    # level 2: 3 000 m up (clipped at the line's start, 2 000 m) + 300 m down, 15 + 1 000 m
    assert a["R", "level2"] == pytest.approx(2300 * 2030 - 1100 * 130, rel=1e-6)
    # intake 500 m from the start: level 1 runs 0–600 m only
    assert a["E", "level1"] == pytest.approx(600 * 130, rel=1e-6)
    # every distance is a parameter
    wide = delineate_protection_zones(
        sources(), rivers=river, params=ZoneParams(river_upstream_m=500, river_land_m=100)
    )
    assert metric_areas(wide)["R", "level1"] == pytest.approx(600 * 230, rel=1e-6)
    # without a water surface a small reservoir gets its documented radius
    assert metric_areas(wide)["S", "level1"] == pytest.approx(ngon_area(200), rel=1e-6)


def test_draft_zones_skip_delineated_and_river_without_line(caplog):
    src = sources()
    src.loc[src["id"] == "W", "zone_delineated"] = True
    zones = delineate_protection_zones(src)
    assert "W" not in set(zones["source_id"])
    assert {"R", "E"}.isdisjoint(zones["source_id"])
    assert "no `rivers` were given" in caplog.text
    with pytest.raises(SchemaError, match="source_type"):
        delineate_protection_zones(src.drop(columns="source_type"))


def test_water_shares_area_and_conflicts():
    spec = [  # id, scale, town, zone date, markers, remediation
        ("A", "centralized", "T1", "2021-09-01", True, "completed"),
        ("B", "centralized", "T2", "2024-02-01", False, "completed"),
        ("C", "dispersed", "T1", None, False, "planned"),
        ("D", "dispersed", "T2", "2022-01-01", True, "completed"),
    ]
    src = layer(
        [
            {
                "id": i,
                "name": i,
                "task_ids": "21",
                "village_id": "",
                "town_id": t,
                "source_type": "groundwater",
                "scale": sc,
                "people_served": 100,
                "reservoir_size": None,
                "aquifer": "pore",
                "zone_delineated": zd is not None,
                "zone_date": zd,
                "markers_installed": m,
                "markers_date": zd if m else None,
                "remediation_status": r,
                "remediation_date": "2022-06-01" if r == "completed" else None,
            }
            for i, sc, t, zd, m, r in spec
        ],
        [shapely.Point(X0 + k * 100, Y0) for k in range(4)],
    )
    lay = {"water_sources": src, "towns": towns()}
    share = compute_metric("water_zone_share", lay, as_of=dt.date(2023, 12, 31))
    assert row(share, "全区")["value"] == 50.0
    assert row(share, "千人以上集中式", "scale")["value"] == 50.0  # B comes in 2024
    assert row(share, "分散式", "scale")["value"] == 50.0
    later = compute_metric("water_zone_share", lay, as_of=dt.date(2024, 6, 1))
    assert row(later, "千人以上集中式", "scale")["value"] == 100.0
    rem = compute_metric("water_remediation_share", lay, as_of=dt.date(2023, 12, 31))
    assert row(rem, "分散式", "scale")["value"] == 50.0

    zones = layer(
        [
            {
                "id": f"Z{i}",
                "name": "",
                "task_ids": "21",
                "source_id": s,
                "level": lv,
                "delineated_date": d,
                "draft": False,
            }
            for i, (s, lv, d) in enumerate(
                [
                    ("A", "level1", "2021-09-01"),
                    ("D", "level1", "2022-01-01"),
                    ("A", "level2", "2021-09-01"),
                ]
            )
        ],
        [box(0, 0, 1000, 1000), box(500, 0, 1500, 1000), box(-1000, -1000, 2000, 2000)],
    )
    farms = layer(
        [
            {
                "id": f"F{i}",
                "name": "",
                "task_ids": "18",
                "village_id": "",
                "town_id": "T1",
                "renovation_status": "planned",
                "renovation_date": None,
            }
            for i in range(3)
        ],
        [
            shapely.Point(X0 + 100, Y0 + 100),
            shapely.Point(X0 + 1400, Y0 + 500),
            shapely.Point(X0 + 1800, Y0 + 500),
        ],
    )
    lay = {"protection_zones": zones, "farmhouses": farms}
    area = compute_metric("protection_zone_area_km2", lay, as_of=dt.date(2021, 12, 31))
    assert row(area, "level1", "level")["value"] == pytest.approx(1.0)  # D not yet
    area = compute_metric("protection_zone_area_km2", lay, as_of=dt.date(2023, 1, 1))
    assert row(area, "level1", "level")["value"] == pytest.approx(1.5)  # union, not 2.0
    assert row(area, "level2", "level")["value"] == pytest.approx(9.0)
    conflicts = compute_metric("protection_zone_conflicts", lay, as_of=dt.date(2023, 1, 1))
    farm = row(conflicts, "farmhouses", "layer")
    assert farm["value"] == 2 and farm["note"] == "F0, F1"
    assert row(conflicts, "projects", "layer")["note"] == "图层 projects（建设项目）缺失"


def test_blank_size_and_aquifer_take_the_defaults_unknown_ones_are_named():
    src = sources()
    # an all-empty column read from a file is float NaN, not None
    src["reservoir_size"] = float("nan")
    src["aquifer"] = float("nan")
    a = metric_areas(delineate_protection_zones(src))
    assert a["L", "level1"] == pytest.approx(ngon_area(300), rel=1e-6)  # medium: 300 m
    assert a["W", "level1"] == pytest.approx(ngon_area(30), rel=1e-6)  # pore water: 30 m
    src["reservoir_size"] = "huge"
    with pytest.raises(SchemaError, match=r"water source L: reservoir_size 'huge' is not one of"):
        delineate_protection_zones(src)
