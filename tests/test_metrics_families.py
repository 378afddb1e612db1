"""Metric families on hand-built layouts whose answers are worked out on paper.

Geometry is drawn in metres in EPSG:4549 (CGCS2000 GK zone 40, the zone's metric CRS) and
stored in EPSG:4326 as the layer contract says; rectangle areas and buffer edges are then
computable by hand. Lengths are checked against pyproj.Geod.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geoplan.metrics import compute_metric

X0, Y0 = 380_000.0, 2_755_000.0  # about 118.79°E, 24.90°N in EPSG:4549
AS_OF_2023 = dt.date(2023, 12, 31)
LATER = dt.date(2026, 11, 26)


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def layer(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4549").to_crs("EPSG:4326")
    for col in frame.columns:
        if col.endswith("_date"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ms]")
    return frame


def towns() -> gpd.GeoDataFrame:
    return layer(
        [
            {"id": "T1", "name": "洛阳镇", "task_ids": "", "population": 1},
            {"id": "T2", "name": "东园镇", "task_ids": "", "population": 1},
        ],
        [box(-5000, -5000, 5000, 20000), box(5000, -5000, 20000, 20000)],
    )


def row(frame: pd.DataFrame, scope: str, scope_type: str | None = None) -> pd.Series:
    sel = frame.loc[frame["scope"] == scope]
    if scope_type:
        sel = sel.loc[sel["scope_type"] == scope_type]
    assert len(sel) == 1, frame
    return sel.iloc[0]


# --- greenways -------------------------------------------------------------------------

GREENWAY_LINES = [
    shapely.LineString([(X0, Y0), (X0 + 1200, Y0 + 300), (X0 + 2500, Y0 - 400)]),
    shapely.LineString([(X0 + 6000, Y0), (X0 + 6000, Y0 + 3100)]),
    shapely.LineString([(X0, Y0 + 9000), (X0 + 1700, Y0 + 9000)]),
    shapely.LineString([(X0 + 7000, Y0 + 9000), (X0 + 7000, Y0 + 9800)]),
    shapely.LineString([(X0 - 2000, Y0), (X0 - 2000, Y0 + 1500)]),
]


def greenways() -> gpd.GeoDataFrame:
    rows = [
        {"id": "G1", "town_id": "T1", "status": "completed", "completed_date": "2022-03-01"},
        {"id": "G2", "town_id": "T2", "status": "completed", "completed_date": "2020-01-01"},
        {"id": "G3", "town_id": "T1", "status": "completed", "completed_date": "2024-05-01"},
        {"id": "G4", "town_id": "T2", "status": "under_construction", "completed_date": None},
        {"id": "G5", "town_id": "T1", "status": "completed", "completed_date": None},
    ]
    for r in rows:
        r.update(name=r["id"], task_ids="9")
    return layer(rows, GREENWAY_LINES)


def geod_km(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geod = Geod(ellps="GRS80")  # CGCS2000's ellipsoid
    return np.array([geod.geometry_length(g) for g in gdf.geometry]) / 1000.0


def test_greenway_km_match_geodesic_lengths_and_time_travel():
    gw = greenways()
    km = geod_km(gw)
    layers = {"greenways": gw, "towns": towns()}
    early = compute_metric("greenway_completed_km", layers, as_of=AS_OF_2023)
    late = compute_metric("greenway_completed_km", layers, as_of=LATER)
    # 2023-12-31: only G1 completed since the plan start; G3 is completed later.
    assert row(early, "全区")["value"] == pytest.approx(km[0], rel=1e-3)
    assert row(late, "全区")["value"] == pytest.approx(km[0] + km[2], rel=1e-3)
    assert row(late, "洛阳镇")["value"] == pytest.approx(km[0] + km[2], rel=1e-3)
    assert row(late, "东园镇")["value"] == 0.0
    assert row(late, "2024", "year")["value"] == pytest.approx(km[2], rel=1e-3)
    assert "福道有 1 处标为已完成但缺少日期，未计入" in row(late, "全区")["note"]
    total = compute_metric("greenway_total_km", layers, as_of=AS_OF_2023)
    assert row(total, "全区")["value"] == pytest.approx(km[0] + km[1], rel=1e-3)
    building = compute_metric("greenway_under_construction_km", layers, as_of=AS_OF_2023)
    assert row(building, "全区")["value"] == pytest.approx(km[2] + km[3], rel=1e-3)
    assert compute_metric("greenway_planned_km", layers, as_of=LATER)["value"].sum() == 0.0


def test_greenway_service_coverage_with_overlapping_parcels():
    line = shapely.LineString([(X0, Y0), (X0 + 2000, Y0)])
    gw = layer(
        [
            {
                "id": "G",
                "name": "G",
                "task_ids": "9",
                "town_id": "T1",
                "status": "completed",
                "completed_date": "2022-01-01",
            }
        ],
        [line],
    )
    parcels = [
        box(500, 200, 1500, 700),  # inside 1 km: 500 000 m² covered
        box(500, 800, 1500, 1300),  # 200 m of its 500 m depth covered: 200 000 m²
        box(500, 3000, 1500, 3500),  # far away
        box(1000, 200, 2000, 700),  # overlaps the first by 500 × 500 m
    ]
    res = layer(
        [{"id": f"R{i}", "name": "", "task_ids": "", "town_id": "T1"} for i in range(4)], parcels
    )
    out = compute_metric(
        "greenway_service_coverage",
        {"greenways": gw, "residential_land": res, "towns": towns()},
        as_of=LATER,
    )
    zone = row(out, "全区")
    # union of the overlapping pair: 1 500 × 500 = 750 000 m², all within 1 km
    assert zone["denominator"] == pytest.approx(1_750_000, rel=1e-6)
    assert zone["numerator"] == pytest.approx(950_000, rel=1e-6)
    assert zone["value"] == pytest.approx(100 * 950_000 / 1_750_000, rel=1e-6)


def parks_and_parcels(opened_p2: str | None = None):
    parks = layer(
        [
            {"id": "P1", "name": "", "task_ids": "9", "town_id": "T1", "opened_date": "2020-01-01"},
            {"id": "P2", "name": "", "task_ids": "9", "town_id": "T2", "opened_date": opened_p2},
            {"id": "P3", "name": "", "task_ids": "9", "town_id": "T2", "opened_date": None},
        ],
        [
            box(0, 0, 100, 100),  # 10 000 m²: 500 m
            box(6000, 5000, 6060, 5050),  # 3 000 m²: 300 m
            box(10000, 10000, 10040, 10040),
        ],  # 1 600 m²: no service radius
    )
    res = layer(
        [
            {"id": "A", "name": "", "task_ids": "", "town_id": "T1"},
            {"id": "B", "name": "", "task_ids": "", "town_id": "T2"},
            {"id": "C", "name": "", "task_ids": "", "town_id": "T2"},
        ],
        [
            box(0, 200, 100, 800),  # 40 000 of 60 000 m² below y = 600
            box(6000, 5100, 6060, 5500),  # 15 000 of 24 000 m² below y = 5 350
            box(10000, 10050, 10040, 10100),
        ],  # 0 of 2 000 m²
    )
    return {"parks": parks, "residential_land": res, "towns": towns()}


def test_park_service_coverage_by_size_class_and_opening_date():
    layers = parks_and_parcels(opened_p2="2024-06-01")
    now = compute_metric("park_service_coverage", layers, as_of=LATER)
    assert row(now, "全区")["value"] == pytest.approx(100 * 55_000 / 86_000, rel=1e-6)
    assert row(now, "东园镇")["value"] == pytest.approx(100 * 15_000 / 26_000, rel=1e-6)
    before = compute_metric("park_service_coverage", layers, as_of=AS_OF_2023)
    assert row(before, "全区")["value"] == pytest.approx(100 * 40_000 / 86_000, rel=1e-6)
    # radii are parameters: 300 m for the big park gives 20 000 m² of parcel A
    small = compute_metric(
        "park_service_coverage", layers, as_of=LATER, classes=((5000.0, 300.0), (2000.0, 300.0))
    )
    assert row(small, "全区")["numerator"] == pytest.approx(35_000, rel=1e-6)


# --- villages, farmhouses ---------------------------------------------------------------


def villages() -> gpd.GeoDataFrame:
    rows = [
        ("V1", "T1", "2022-01-01", True, "2022-05-01", True),
        ("V2", "T1", "2023-06-01", False, None, False),
        ("V3", "T2", "2024-03-01", True, "2025-01-01", True),
        ("V4", "T2", None, True, None, False),
    ]
    return layer(
        [
            {
                "id": i,
                "name": i,
                "task_ids": "17",
                "town_id": t,
                "plan_approved_date": p,
                "green_village": g,
                "green_village_date": gd,
                "demonstration": d,
                "farmhouse_count": 0,
            }
            for i, t, p, g, gd, d in rows
        ],
        [box(k * 1000, 0, k * 1000 + 900, 900) for k in range(4)],
    )


def test_village_shares_as_of():
    layers = {"villages": villages(), "towns": towns()}
    plan = compute_metric("village_plan_share", layers, as_of=AS_OF_2023)
    assert row(plan, "全区")["value"] == 50.0
    assert row(plan, "洛阳镇")["value"] == 100.0
    assert row(plan, "东园镇")["value"] == 0.0
    assert row(compute_metric("village_plan_share", layers, as_of=LATER), "全区")["value"] == 75
    green = compute_metric("green_village_share", layers, as_of=AS_OF_2023)
    # V1 dated before; V4 undated is not counted (flagged); V3 dated 2025 not yet
    assert row(green, "全区")["value"] == 25.0
    assert "绿盈乡村有 1 处标为已完成但缺少日期，未计入" in row(green, "全区")["note"]
    demo = compute_metric("demonstration_villages", layers, as_of=LATER)
    assert row(demo, "洛阳镇")["value"] == 1 and row(demo, "东园镇")["value"] == 1


def farmhouses() -> gpd.GeoDataFrame:
    spec = [  # town, status, date
        ("T1", "completed", "2021-03-01"),
        ("T1", "completed", "2021-08-01"),
        ("T1", "completed", "2022-02-01"),
        ("T1", "completed", "2022-11-01"),
        ("T1", "under_construction", None),
        ("T1", "planned", None),
        ("T2", "completed", "2024-01-10"),
        ("T2", "completed", None),
        ("T2", "planned", None),
        ("T2", "planned", None),
    ]
    return layer(
        [
            {
                "id": f"F{i}",
                "name": "",
                "task_ids": "18",
                "village_id": "V1",
                "town_id": t,
                "renovation_status": s,
                "renovation_date": d,
            }
            for i, (t, s, d) in enumerate(spec)
        ],
        [shapely.Point(X0 + 10 * i, Y0) for i in range(len(spec))],
    )


def test_farmhouse_rate_and_per_year_counts():
    layers = {"farmhouses": farmhouses(), "towns": towns()}
    rate = compute_metric("farmhouse_renovation_rate", layers, as_of=AS_OF_2023)
    # completed by 2023-12-31: T1 four; T2's only dated renovation is in 2024, and the
    # undated one is not counted
    assert row(rate, "全区")["value"] == pytest.approx(40.0)
    assert row(rate, "洛阳镇")["value"] == pytest.approx(100 * 4 / 6)
    assert row(rate, "东园镇")["value"] == pytest.approx(0.0)
    assert "农房有 1 处标为已完成但缺少日期" in row(rate, "全区")["note"]
    later = compute_metric("farmhouse_renovation_rate", layers, as_of=LATER)
    assert row(later, "东园镇")["value"] == pytest.approx(25.0)
    assert row(later, "全区")["value"] == pytest.approx(50.0)
    per = compute_metric("farmhouse_renovations_per_year", layers, as_of=LATER)
    counts = dict(zip(per["scope"], per["value"], strict=True))
    # 2021-03-01 is before the plan start and not counted
    assert counts["洛阳镇 2021"] == 1 and counts["洛阳镇 2022"] == 2
    assert counts["东园镇 2024"] == 1 and counts["东园镇 2026"] == 0
    assert set(per.loc[per["scope_type"] == "town_year", "year"]) == set(range(2021, 2027))


# --- communities, heritage, sewage, districts -------------------------------------------


def test_community_heritage_sewage_district_shares():
    comm = layer(
        [
            {
                "id": "C1",
                "name": "海尾小区",
                "task_ids": "5",
                "town_id": "T1",
                "built_year": 1995,
                "is_old_community": True,
                "property_managed": True,
                "renovation_status": "completed",
                "renovation_date": "2023-05-01",
            },
            {
                "id": "C2",
                "name": "E1",
                "task_ids": "5",
                "town_id": "T1",
                "built_year": 2005,
                "is_old_community": False,
                "property_managed": True,
                "renovation_status": "completed",
                "renovation_date": "2022-05-01",
            },
            {
                "id": "C3",
                "name": "E2",
                "task_ids": "5",
                "town_id": "T2",
                "built_year": 2009,
                "is_old_community": False,
                "property_managed": False,
                "renovation_status": "planned",
                "renovation_date": None,
            },
            {
                "id": "C4",
                "name": "N",
                "task_ids": "4",
                "town_id": "T2",
                "built_year": 2018,
                "is_old_community": False,
                "property_managed": True,
                "renovation_status": "planned",
                "renovation_date": None,
            },
        ],
        [box(k * 500, 0, k * 500 + 400, 400) for k in range(4)],
    )
    layers = {"communities": comm, "towns": towns()}
    pm = compute_metric("property_management_share", layers, as_of=AS_OF_2023)
    assert row(pm, "全区")["value"] == 75.0
    old = compute_metric("old_community_renovation", layers, as_of=dt.date(2022, 12, 31))
    assert row(old, "全区")["value"] == 0.0
    assert (
        row(compute_metric("old_community_renovation", layers, as_of=AS_OF_2023), "海尾小区")[
            "value"
        ]
        == 100.0
    )
    est = compute_metric("estate_upgrade_share", layers, as_of=AS_OF_2023)
    assert row(est, "全区")["value"] == 50.0

    levels = ["national", "district", "district", "unranked", "municipal"]
    wiring = ["completed", "completed", "under_construction", "completed", "completed"]
    wdate = ["2021-10-01", "2023-03-01", None, "2021-10-01", "2022-06-01"]
    her = layer(
        [
            {
                "id": f"H{i}",
                "name": "",
                "task_ids": "16",
                "town_id": "T1",
                "heritage_type": "cultural_relic",
                "protection_level": lv,
                "wiring_status": w,
                "wiring_date": d,
                "fire_safety_status": "planned",
                "fire_safety_date": None,
            }
            for i, (lv, w, d) in enumerate(zip(levels, wiring, wdate, strict=True))
        ],
        [shapely.Point(X0 + i, Y0) for i in range(5)],
    )
    w22 = compute_metric("relic_wiring_share", {"heritage_sites": her}, as_of=dt.date(2022, 12, 31))
    assert row(w22, "全区")["value"] == 50.0  # H0 and H4 of the four ranked relics
    assert row(w22, "全区")["denominator"] == 4

    fac = layer(
        [
            {
                "id": f"S{i}",
                "name": "",
                "task_ids": "20",
                "village_id": "",
                "town_id": "T2",
                "facility_type": t,
                "capacity_m3d": 10.0,
                "status": "completed",
                "completed_date": "2020-01-01",
                "packaged": p,
                "packaged_date": d,
            }
            for i, (t, p, d) in enumerate(
                [
                    ("village_facility", True, "2022-01-01"),
                    ("village_facility", True, "2024-01-01"),
                    ("village_facility", False, None),
                    ("plant", True, "2020-01-01"),
                ]
            )
        ],
        [shapely.Point(X0 + i, Y0) for i in range(4)],
    )
    pk = compute_metric("sewage_packaged_share", {"sewage_facilities": fac}, as_of=AS_OF_2023)
    assert row(pk, "全区")["value"] == pytest.approx(100 / 3)

    proj = layer(
        [
            {
                "id": f"P{i}",
                "name": "",
                "task_ids": "31",
                "district_id": d,
                "project_type": "",
                "status": s,
                "start_date": "2021-01-01",
                "completed_date": c,
            }
            for i, (d, s, c) in enumerate(
                [
                    ("D1", "completed", "2022-01-01"),
                    ("D1", "completed", "2025-01-01"),
                    ("D2", "planned", None),
                ]
            )
        ],
        [box(i * 100, 0, i * 100 + 50, 50) for i in range(3)],
    )
    dist = layer(
        [
            {"id": "D1", "name": "海江片区", "task_ids": "31", "town_id": "T1"},
            {"id": "D2", "name": "高铁片区", "task_ids": "31", "town_id": "T2"},
        ],
        [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
    )
    pc = compute_metric(
        "district_project_completion", {"projects": proj, "districts": dist}, as_of=AS_OF_2023
    )
    assert row(pc, "海江片区")["value"] == 50.0 and row(pc, "高铁片区")["value"] == 0.0


def test_sewage_network_km_against_geodesic():
    lines = layer(
        [
            {
                "id": "L1",
                "name": "",
                "task_ids": "8",
                "town_id": "T1",
                "status": "completed",
                "completed_date": "2022-01-01",
            },
            {
                "id": "L2",
                "name": "",
                "task_ids": "8",
                "town_id": "T1",
                "status": "planned",
                "completed_date": None,
            },
        ],
        [GREENWAY_LINES[0], GREENWAY_LINES[1]],
    )
    out = compute_metric("sewage_network_km", {"sewage_lines": lines}, as_of=AS_OF_2023)
    assert row(out, "全区")["value"] == pytest.approx(geod_km(lines)[0], rel=1e-3)


def test_tiled_union_gives_the_same_covered_area():
    from geoplan.metrics._coverage import BIG_PART_VERTICES, covered_area

    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(0, 60, (400, 2)), axis=0)  # a wiggly route
    service = shapely.buffer(shapely.points(walk), 80.0)  # 400 overlapping circles
    assert shapely.get_num_coordinates(shapely.union_all(service)) > BIG_PART_VERTICES
    x, y = rng.uniform(walk.min(0), walk.max(0), (300, 2)).T
    parcels = shapely.box(x, y, x + 90, y + 60)
    direct = shapely.area(shapely.intersection(parcels, shapely.union_all(service)))
    tiled = covered_area(parcels, service, tile_m=300.0)
    assert direct.sum() > 0
    np.testing.assert_allclose(tiled, direct, rtol=1e-9, atol=1e-6)
