"""Generate the bundled sample layers of 泉州台商投资区 (illustrative, NOT survey data).

Writes ``layers/taishang_sample.gpkg`` (one layer per kind plus the ``records`` table) and
``layers/taishang_records.csv``. Deterministic: a fixed seed, coordinates snapped to 1e-7°
and the GeoPackage timestamps pinned (``OGR_CURRENT_DATE``), so two runs give the same
bytes. Run from the repository root::

    python scripts/make_sample_layers.py [--out layers]

What is real and what is drawn: the zone's extent (about 118.64–118.88°E, 24.85–25.03°N,
north shore of 泉州湾, west border the 洛阳江), the four towns and their approximate areas
(洛阳镇 ~52 km², 东园镇 ~41 km², about 200 km² of land), 泉州东站 in 东园镇 with a hub
district of about 6.5 km², and the plan's task numbers come from public sources (see
``layers/README.md``). Every boundary, village, greenway, status and date is invented so
that the plan's targets land on both sides (some met, some behind).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import substring

from geoplan.catalogue import KIND_NAMES

SEED = 20210524
METRIC = "EPSG:4549"  # CGCS2000 3-degree Gauss-Kruger zone 40 (CM 120°E), metres
PLAN_START = dt.date(2021, 5, 24)
GRID = 0.01  # metres: overlay precision, keeps shared town borders free of slivers
PINNED_TIME = "2026-01-01T00:00:00.000Z"
REPO = Path(__file__).resolve().parents[1]

# Hand-drawn outline of the land (lon, lat), clockwise from the north-west, following the
# 洛阳江 on the west and the 泉州湾 shore on the south; the north edge is set by
# `land_polygon` so that the land is about 200 km².
COAST = [
    (118.838, 25.026),
    (118.866, 25.012),
    (118.880, 24.994),
    (118.872, 24.976),
    (118.858, 24.960),
    (118.838, 24.943),
    (118.823, 24.915),
    (118.808, 24.890),
    (118.792, 24.871),
    (118.776, 24.877),
    (118.768, 24.897),
    (118.758, 24.922),
    (118.740, 24.939),
    (118.720, 24.950),
    (118.702, 24.958),
    (118.690, 24.964),
    (118.681, 24.976),
    (118.673, 24.992),
    (118.667, 25.010),
]
TOWNS = {  # name -> (id, target km², population); 张坂镇 takes the remainder
    "洛阳镇": ("T01", 52.0, 98000),
    "百崎回族乡": ("T04", 36.0, 41000),
    "东园镇": ("T02", 41.0, 89000),
    "张坂镇": ("T03", None, 110000),
}
VILLAGES_PER_TOWN = {"洛阳镇": 20, "东园镇": 17, "张坂镇": 26, "百崎回族乡": 12}
FARMHOUSES = {  # total farmhouses, renovations completed per year 2021..2026
    "洛阳镇": (1500, [120, 215, 230, 205, 210, 150]),
    "东园镇": (1400, [160, 260, 280, 240, 230, 120]),
    "张坂镇": (1700, [90, 170, 185, 210, 190, 140]),
    "百崎回族乡": (900, [60, 140, 205, 120, 150, 80]),
}
FIRST = list("东西南北上下前后新大小中内外山塘溪洋埔坑港林田亭美")
SECOND = list("头尾厝山林坑埔洋美塘港田亭溪寮坂园厝兜边湖")

rng = np.random.default_rng(SEED)


# ------------------------------------------------------------------------- helpers
def to_metric(geoms: list) -> np.ndarray:
    return gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(METRIC).to_numpy()


def day(start: dt.date, end: dt.date) -> pd.Timestamp:
    """A random day in [start, end]."""
    span = (end - start).days
    return pd.Timestamp(start + dt.timedelta(days=int(rng.integers(0, span + 1))))


def year_day(year: int) -> pd.Timestamp:
    start = PLAN_START if year == PLAN_START.year else dt.date(year, 1, 1)
    end = dt.date(2026, 11, 20) if year == 2026 else dt.date(year, 12, 31)
    return day(start, end)


def bisect(f, lo: float, hi: float, target: float) -> float:
    """x in [lo, hi] with f(x) == target, f increasing."""
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return (lo + hi) / 2


def wiggly_halfplane(pos: float, *, vertical: bool, amp: float = 400.0) -> Polygon:
    """The side x < pos (or y < pos) of a gently waving line, in metres."""
    t = np.linspace(2_600_000, 2_800_000, 400) if vertical else np.linspace(300_000, 600_000, 400)
    w = pos + amp * np.sin(t / 1700.0) + 0.5 * amp * np.sin(t / 530.0)
    if vertical:
        line = list(zip(w, t, strict=True))
        return Polygon([(0, t[0]), *line, (0, t[-1])][::-1])
    line = list(zip(t, w, strict=True))
    return Polygon([(t[0], 0), *line, (t[-1], 0)])


def points_in(polygon, n: int) -> np.ndarray:
    """n random points inside a polygon (rejection sampling, vectorised)."""
    minx, miny, maxx, maxy = polygon.bounds
    out = np.empty((0, 2))
    shapely.prepare(polygon)
    while len(out) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        out = np.vstack([out, xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]])
    return out[:n]


def unique_names(n: int, taken: set[str], suffix: str) -> list[str]:
    names = []
    while len(names) < n:
        name = rng.choice(FIRST) + rng.choice(SECOND) + suffix
        if name not in taken and name[0] != name[1]:
            taken.add(name)
            names.append(name)
    return names


def frame(rows: list[dict], geoms) -> gpd.GeoDataFrame:
    """Rows + metric geometries -> GeoDataFrame in EPSG:4326, snapped to 1e-7°."""
    gdf = gpd.GeoDataFrame(rows, geometry=list(geoms), crs=METRIC).to_crs("EPSG:4326")
    gdf.geometry = shapely.transform(gdf.geometry.to_numpy(), lambda xy: np.round(xy, 7))
    assert shapely.is_valid(gdf.geometry.to_numpy()).all(), "rounding broke a geometry"
    for col in gdf.columns:
        if col.endswith("_date"):
            gdf[col] = pd.to_datetime(gdf[col]).astype("datetime64[ms]")
    return gdf


# ------------------------------------------------------------------------- geography
def land_polygon() -> Polygon:
    """The land of the zone, its north edge placed so the land is about 200 km²."""

    def area(north: float) -> float:
        ring = [(118.663, north), (118.805, north), *COAST]
        return to_metric([Polygon(ring)])[0].area / 1e6

    north = bisect(area, 25.015, 25.08, 200.0)
    return to_metric([Polygon([(118.663, north), (118.805, north), *COAST])])[0]


def make_towns(land: Polygon) -> dict[str, Polygon]:
    towns = {}
    rest = land
    # 洛阳镇: the west, along the 洛阳江
    x = bisect(
        lambda p: rest.intersection(wiggly_halfplane(p, vertical=True), grid_size=GRID).area / 1e6,
        *rest.bounds[0::2],
        TOWNS["洛阳镇"][1],
    )
    towns["洛阳镇"] = rest.intersection(wiggly_halfplane(x, vertical=True), grid_size=GRID)
    rest = rest.difference(towns["洛阳镇"], grid_size=GRID)
    # 百崎回族乡: the peninsula in the south-east
    y = bisect(
        lambda p: rest.intersection(wiggly_halfplane(p, vertical=False), grid_size=GRID).area / 1e6,
        *rest.bounds[1::2],
        TOWNS["百崎回族乡"][1],
    )
    towns["百崎回族乡"] = rest.intersection(wiggly_halfplane(y, vertical=False), grid_size=GRID)
    rest = rest.difference(towns["百崎回族乡"], grid_size=GRID)
    # 东园镇 in the middle, 张坂镇 the north-east remainder
    x = bisect(
        lambda p: rest.intersection(wiggly_halfplane(p, vertical=True), grid_size=GRID).area / 1e6,
        *rest.bounds[0::2],
        TOWNS["东园镇"][1],
    )
    towns["东园镇"] = rest.intersection(wiggly_halfplane(x, vertical=True), grid_size=GRID)
    towns["张坂镇"] = rest.difference(towns["东园镇"], grid_size=GRID)
    return {k: _largest(v) for k, v in towns.items()}


def _largest(geom) -> Polygon:
    parts = shapely.get_parts(geom)
    return parts[np.argmax(shapely.area(parts))]


def make_villages(towns: dict[str, Polygon]) -> gpd.GeoDataFrame:
    rows, geoms, taken = [], [], set(TOWNS)
    n = 0
    for town, poly in towns.items():
        seeds = shapely.points(points_in(poly, VILLAGES_PER_TOWN[town]))
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=poly)
        )
        cells = [_largest(c.intersection(poly)) for c in cells]
        cells.sort(key=lambda c: (-c.centroid.y, c.centroid.x))
        for cell, name in zip(cells, unique_names(len(cells), taken, "村"), strict=True):
            n += 1
            rows.append({"id": f"V{n:03d}", "name": name, "town_id": TOWNS[town][0]})
            geoms.append(cell)
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=METRIC)
    m = len(gdf)
    approved = rng.random(m)
    gdf["plan_approved_date"] = [
        year_day(int(rng.choice([2021, 2022, 2023])))
        if a < 0.84
        else year_day(int(rng.choice([2024, 2025])))
        if a < 0.93
        else pd.NaT
        for a in approved
    ]
    green = rng.random(m) < 0.74
    gdf["green_village"] = green
    gdf["green_village_date"] = [
        year_day(int(rng.choice([2020, 2021, 2022, 2023, 2024, 2025, 2025, 2026]))) if g else pd.NaT
        for g in green
    ]
    gdf.loc[gdf["green_village_date"] > pd.Timestamp("2026-11-26"), "green_village_date"] = (
        pd.Timestamp("2026-06-30")
    )
    demo = np.zeros(m, dtype=bool)
    for town in ("洛阳镇", "东园镇", "张坂镇"):  # 百崎 has not named its 示范村 yet
        demo[np.flatnonzero(gdf["town_id"].eq(TOWNS[town][0]).to_numpy())[2]] = True
    gdf["demonstration"] = demo
    gdf["task_ids"] = np.where(demo, "17,18,22", "17,22")
    return gdf


def town_centres(towns: dict[str, Polygon]) -> dict[str, Point]:
    return {t: p.representative_point() for t, p in towns.items()}


def grid_parcels(towns, centres, cell: float = 300.0):
    """Non-overlapping cells around each town centre: (town, cell polygon) pairs."""
    out = []
    for town, c in centres.items():
        poly = towns[town]
        for i in range(-9, 10):
            for j in range(-9, 10):
                d = np.hypot(i, j)
                if rng.random() > np.exp(-d / 3.2):
                    continue
                x0, y0 = c.x + i * cell, c.y + j * cell
                cellbox = box(x0, y0, x0 + cell, y0 + cell)
                if poly.contains(cellbox):
                    out.append((town, cellbox))
    order = rng.permutation(len(out))
    return [out[k] for k in order]


def shrink(cellbox: Polygon, lo: float, hi: float) -> Polygon:
    minx, miny, maxx, maxy = cellbox.bounds
    w, h = rng.uniform(lo, hi, size=2)
    ox, oy = rng.uniform(0, (maxx - minx) - w), rng.uniform(0, (maxy - miny) - h)
    return affinity.rotate(
        box(minx + ox, miny + oy, minx + ox + w, miny + oy + h), float(rng.uniform(-8, 8))
    )


# ------------------------------------------------------------------------- layers
def build() -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    land = land_polygon()
    towns = make_towns(land)
    centres = town_centres(towns)
    tid = {t: v[0] for t, v in TOWNS.items()}
    layers: dict[str, gpd.GeoDataFrame] = {}

    order = ["洛阳镇", "东园镇", "张坂镇", "百崎回族乡"]
    layers["towns"] = frame(
        [{"id": tid[t], "name": t, "task_ids": "", "population": TOWNS[t][2]} for t in order],
        [towns[t] for t in order],
    )

    # districts
    station = Point(centres["东园镇"].x + 600, centres["东园镇"].y + 1800)
    if not towns["东园镇"].contains(station):
        station = centres["东园镇"]
    hub = towns["东园镇"].intersection(
        affinity.rotate(
            box(station.x - 1350, station.y - 1200, station.x + 1350, station.y + 1200), 20
        )
    )
    hudong = towns["百崎回族乡"].intersection(
        Point(centres["百崎回族乡"].x, centres["百崎回族乡"].y).buffer(1262)
    )
    luoyang = towns["洛阳镇"]
    haijiang_c = luoyang.exterior.interpolate(0.62, normalized=True)
    haijiang = luoyang.intersection(Point(haijiang_c.x, haijiang_c.y).buffer(1400))
    dist_geoms = [_largest(g) for g in (haijiang, hub, hudong)]
    layers["districts"] = frame(
        [
            {"id": "D01", "name": "海江片区", "task_ids": "31", "town_id": "T01"},
            {"id": "D02", "name": "高铁片区", "task_ids": "31", "town_id": "T02"},
            {"id": "D03", "name": "湖东片区", "task_ids": "31", "town_id": "T04"},
        ],
        dist_geoms,
    )

    layers["villages"] = frame(*_split(make_villages(towns)))

    # residential land and communities share grid cells around the town centres
    districts_union = shapely.union_all(dist_geoms)
    cells = [(t, c) for t, c in grid_parcels(towns, centres) if not c.intersects(districts_union)]
    res_cells, park_cells = cells[: int(len(cells) * 0.7)], cells[int(len(cells) * 0.7) :]
    res_rows, res_geoms = [], []
    for k, (town, cellbox) in enumerate(res_cells, start=1):
        res_rows.append(
            {
                "id": f"R{k:03d}",
                "name": f"{town[:2]}居住用地{k}号",
                "task_ids": "",
                "town_id": tid[town],
            }
        )
        res_geoms.append(shrink(cellbox, 200, 280))
    layers["residential_land"] = frame(res_rows, res_geoms)
    layers["communities"] = frame(*_communities(res_rows, res_geoms))
    layers["parks"] = frame(*_parks(park_cells, tid))
    layers["greenways"] = frame(*_greenways(land, towns, tid))
    ws, zones = _water(towns, layers["villages"])
    layers["water_sources"], layers["protection_zones"] = frame(*ws), frame(*zones)
    layers["farmhouses"] = frame(*_farmhouses(layers["villages"], tid))
    counts = layers["farmhouses"]["village_id"].value_counts()
    layers["villages"]["farmhouse_count"] = (
        layers["villages"]["id"].map(counts).fillna(0).astype("int64")
    )
    layers["heritage_sites"] = frame(*_heritage(towns, layers["villages"]))
    layers["sewage_lines"] = frame(*_sewage_lines(towns, centres, tid))
    layers["sewage_facilities"] = frame(*_sewage_facilities(towns, layers["villages"]))
    layers["projects"] = frame(*_projects(dist_geoms))
    layers = {k: layers[k] for k in KIND_NAMES}
    return layers, make_records(layers)


def _split(gdf: gpd.GeoDataFrame):
    geoms = gdf.geometry.to_list()
    return gdf.drop(columns="geometry").to_dict("records"), geoms


def _communities(res_rows, res_geoms):
    # every estate counts toward 物业管理覆盖率 (task 4); the old community and the
    # 2000-2010 estates are also renovation / 补短板 projects (task 5)
    rows, geoms = [], []
    picks = rng.choice(len(res_rows), size=17, replace=False)
    for n, k in enumerate(picks):
        town_id = res_rows[k]["town_id"]
        if n == 0:
            row = {
                "name": "海尾小区",
                "built_year": 1996,
                "is_old_community": True,
                "renovation_status": "completed",
                "renovation_date": pd.Timestamp("2022-10-28"),
                "task_ids": "4,5",
            }
            town_id = "T01"
            geom = next(
                g for r, g in zip(res_rows, res_geoms, strict=True) if r["town_id"] == "T01"
            )
        elif n <= 10:  # 2000-2010 estates: 补短板 projects
            status = ["completed"] * 4 + ["under_construction"] * 3 + ["planned"] * 3
            s = status[n - 1]
            row = {
                "name": f"{rng.choice(FIRST)}{rng.choice(['苑', '花园', '新村', '小区'])}",
                "built_year": int(rng.integers(2000, 2011)),
                "is_old_community": False,
                "renovation_status": s,
                "task_ids": "4,5",
                "renovation_date": year_day(int(rng.choice([2022, 2023, 2024])))
                if s == "completed"
                else pd.NaT,
            }
            geom = res_geoms[k]
        else:
            row = {
                "name": f"{rng.choice(SECOND)}{rng.choice(['苑', '公馆', '华府', '雅居'])}",
                "built_year": int(rng.integers(2012, 2021)),
                "is_old_community": False,
                "renovation_status": None,
                "renovation_date": pd.NaT,
                "task_ids": "4",
            }
            geom = res_geoms[k]
        row["name"] = row["name"] if n == 0 else f"{row['name']}{n}期"
        row.update(id=f"C{n + 1:02d}", town_id=town_id, property_managed=bool(rng.random() < 0.85))
        rows.append(row)
        geoms.append(geom)
    return rows, geoms


def _parks(park_cells, tid):
    rows, geoms = [], []
    sizes = (
        [rng.uniform(800, 1900) for _ in range(10)]
        + [rng.uniform(2100, 4900) for _ in range(10)]
        + [rng.uniform(6000, 80000) for _ in range(10)]
    )
    for k, ((town, cellbox), area) in enumerate(zip(park_cells, sizes, strict=False), start=1):
        c = cellbox.centroid
        side = np.sqrt(area)
        geom = box(c.x - side / 2, c.y - side / 2, c.x + side / 2, c.y + side / 2)
        if area > 60000:  # a large park spills over its cell as an ellipse
            geom = affinity.scale(c.buffer(np.sqrt(area / np.pi)), 1.4, 1 / 1.4)
        year = int(rng.choice([2015, 2018, 2020, 2021, 2022, 2023, 2024, 2025, 2026]))
        rows.append(
            {
                "id": f"P{k:02d}",
                "name": f"{rng.choice(FIRST)}{rng.choice(SECOND)}公园",
                "task_ids": "9",
                "town_id": tid[town],
                "opened_date": year_day(year)
                if year >= 2021
                else pd.Timestamp(dt.date(year, 9, 30)),
            }
        )
        geoms.append(geom)
    return rows, geoms


def _greenways(land, towns, tid):
    """Coastal and riverside segments, statuses set so the task-9 target is in play."""
    minx, miny, maxx, north = land.bounds
    shore = land.buffer(-180).exterior.difference(box(minx - 1, north - 1500, maxx + 1, north + 1))
    inland = [  # 生态连绵带 across the towns, clipped to the land
        land.buffer(-300).intersection(
            LineString(
                np.column_stack(
                    [
                        np.linspace(minx, maxx, 60),
                        miny + frac * (north - miny) + 600 * np.sin(np.linspace(0, 9, 60)),
                    ]
                )
            )
        )
        for frac in (0.55, 0.8)
    ]
    lines = [g for g in shapely.get_parts([shapely.line_merge(shore), *inland]) if g.length > 500]
    segs = []
    for line in lines:
        pos = 0.0
        while pos < line.length - 400:
            step = float(rng.uniform(500, 1500))
            segs.append(substring(line, pos, min(pos + step, line.length)))
            pos += step + float(rng.uniform(200, 1200))
    segs = [segs[k] for k in rng.permutation(len(segs))][:44]
    buckets = [  # (status, date range, km target)
        ("completed", (dt.date(2019, 1, 1), dt.date(2021, 5, 23)), 9.0),
        ("completed", (PLAN_START, dt.date(2023, 12, 31)), 5.2),
        ("completed", (dt.date(2024, 1, 1), dt.date(2025, 12, 31)), 5.8),
        ("under_construction", None, 4.0),
        ("planned", None, np.inf),
    ]
    rows, b, filled = [], 0, 0.0
    for k, seg in enumerate(segs, start=1):
        while filled >= buckets[b][2]:
            b, filled = b + 1, 0.0
        status, span, _ = buckets[b]
        filled += seg.length / 1000
        town = max(towns, key=lambda t: towns[t].buffer(300).intersection(seg).length)
        rows.append(
            {
                "id": f"G{k:02d}",
                "name": f"{town[:2]}滨海福道{k}段",
                "task_ids": "9",
                "town_id": tid[town],
                "status": status,
                "completed_date": day(*span) if span else pd.NaT,
            }
        )
    return rows, segs


def _containing(villages: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=METRIC).to_crs(villages.crs)
    hit = gpd.sjoin(
        pts, villages[["id", "town_id", "name", "geometry"]], predicate="within", how="left"
    )
    return hit[~hit.index.duplicated()][["id", "town_id", "name"]].to_numpy()


LEVEL_LABEL = {"level1": "一级", "level2": "二级", "quasi": "准"}


def _water(towns, villages):
    kinds = ["river"] * 5 + ["reservoir"] * 8 + ["lake"] * 3 + ["groundwater"] * 10
    n = len(kinds)
    land = shapely.union_all(list(towns.values()))
    xy = points_in(land.buffer(-400), n)
    owner = _containing(villages, xy)
    centralized = np.zeros(n, dtype=bool)
    centralized[[0, 1, 2, 5, 6, 7, 8, 13, 14, 16, 17, 18]] = True
    delineated = np.where(centralized, rng.random(n) < 0.85, rng.random(n) < 0.45)
    sizes = dict(enumerate(["small"] * 5 + ["medium"] * 2 + ["large"]))
    rows, geoms, zrows, zgeoms = [], [], [], []
    word = {"river": "取水口", "reservoir": "水库", "lake": "湖", "groundwater": "井"}
    remediation = {
        True: [("2021", 10), ("2022", 1), ("uc", 1)],
        False: [("2023", 9), ("2024", 3), ("uc", 2)],
    }
    plan = {c: [s for s, m in remediation[c] for _ in range(m)] for c in (True, False)}
    for k in range(n):
        vid, town_id, vname = owner[k]
        typ, cen = kinds[k], bool(centralized[k])
        res = plan[cen].pop(0)
        zone_date = year_day(int(rng.choice([2019, 2020, 2021, 2022, 2023, 2024])))
        markers = bool(delineated[k] and rng.random() < 0.7)
        row = {
            "id": f"W{k + 1:02d}",
            "name": f"{vname[:-1]}{word[typ]}",
            "task_ids": "21",
            "village_id": vid,
            "town_id": town_id,
            "source_type": typ,
            "scale": "centralized" if cen else "dispersed",
            "people_served": int(rng.integers(1200, 30000) if cen else rng.integers(60, 900)),
            "reservoir_size": sizes.get(k - 5, "small") if typ in ("reservoir", "lake") else None,
            "aquifer": rng.choice(["pore", "fissure"]) if typ == "groundwater" else None,
            "zone_delineated": bool(delineated[k]),
            "zone_date": zone_date if delineated[k] else pd.NaT,
            "markers_installed": markers,
            "markers_date": zone_date + pd.Timedelta(days=int(rng.integers(30, 300)))
            if markers
            else pd.NaT,
            "remediation_status": "under_construction" if res == "uc" else "completed",
            "remediation_date": pd.NaT if res == "uc" else year_day(int(res)),
        }
        rows.append(row)
        p = Point(xy[k])
        geoms.append(p)
        if not delineated[k] and k % 4 != 0:
            continue
        radius = {"river": 0, "reservoir": 300, "lake": 300, "groundwater": 30}[typ]
        if typ in ("reservoir", "lake"):
            radius = {"small": 250, "medium": 300, "large": 500}[row["reservoir_size"]]
        if typ == "groundwater" and row["aquifer"] == "fissure":
            radius = 50
        l1 = (
            LineString([(p.x - 100, p.y), (p.x + 1000, p.y)]).buffer(100, cap_style="flat")
            if typ == "river"
            else p.buffer(radius)
        )
        levels = [("level1", l1)]
        if cen:
            levels.append(("level2", l1.buffer(max(radius, 200) * 2.5).difference(l1)))
        if row["reservoir_size"] == "large":
            levels.append(("quasi", l1.buffer(radius * 5).difference(l1.buffer(radius * 2.5))))
        for level, g in levels:
            zrows.append(
                {
                    "id": f"Z{len(zrows) + 1:02d}",
                    "task_ids": "21",
                    "name": f"{row['name']}{LEVEL_LABEL[level]}保护区",
                    "source_id": row["id"],
                    "level": level,
                    "delineated_date": row["zone_date"],
                    "draft": not bool(delineated[k]),
                }
            )
            zgeoms.append(g.intersection(land, grid_size=GRID))
    return (rows, geoms), (zrows, zgeoms)


def _farmhouses(villages: gpd.GeoDataFrame, tid):
    """Farmhouse points per village; renovations per town and year as in FARMHOUSES."""
    vm = villages.to_crs(METRIC)
    rows, xy = [], []
    for town, (total, per_year) in FARMHOUSES.items():
        vs = vm[vm["town_id"] == tid[town]]
        counts = rng.multinomial(total, (vs.area / vs.area.sum()).to_numpy())
        statuses: list[tuple[str, object]] = []
        for year, count in zip(range(2021, 2027), per_year, strict=True):
            statuses += [("completed", year_day(year)) for _ in range(count)]
        statuses += [("under_construction", pd.NaT)] * 70
        statuses += [("planned", pd.NaT)] * (total - len(statuses))
        statuses = [statuses[k] for k in rng.permutation(total)]
        j = 0
        for (vid, vname, geom), m in zip(
            vs[["id", "name", "geometry"]].to_numpy(), counts, strict=True
        ):
            for i, point in enumerate(points_in(geom, m) if m else [], start=1):
                status, date = statuses[j]
                j += 1
                rows.append(
                    {
                        "id": f"F{len(rows) + 1:05d}",
                        "name": f"{vname}{i}号",
                        "task_ids": "18",
                        "village_id": vid,
                        "town_id": tid[town],
                        "renovation_status": status,
                        "renovation_date": date,
                    }
                )
                xy.append(point)
    return rows, shapely.points(np.asarray(xy))


def _heritage(towns, villages):
    rows, geoms = [], []
    land = shapely.union_all(list(towns.values()))
    xy = points_in(land.buffer(-300), 24)
    owner = _containing(villages, xy)
    suffix = ["宫", "祠堂", "古厝", "家庙", "古塔", "书院", "石桥", "古井"]
    levels = (
        ["national"] * 1
        + ["provincial"] * 3
        + ["municipal"] * 6
        + ["district"] * 8
        + ["unranked"] * 6
    )
    for k in range(len(xy)):
        relic = levels[k] != "unranked"
        name = "洛阳桥北堤" if k == 0 else f"{owner[k][2][:-1]}{rng.choice(suffix)}"
        wiring = (
            ("completed", year_day(int(rng.choice([2021, 2022, 2022, 2023]))))
            if (rng.random() < 0.8)
            else (str(rng.choice(["planned", "under_construction"])), pd.NaT)
        )
        fire = (
            ("completed", year_day(int(rng.choice([2022, 2023, 2024, 2025, 2026]))))
            if (rng.random() < 0.55)
            else (str(rng.choice(["planned", "under_construction"])), pd.NaT)
        )
        rows.append(
            {
                "id": f"H{k + 1:02d}",
                "name": name,
                "task_ids": "16",
                "town_id": owner[k][1],
                "heritage_type": "cultural_relic" if relic else "historic_building",
                "protection_level": levels[k],
                "wiring_status": wiring[0],
                "wiring_date": wiring[1],
                "fire_safety_status": fire[0],
                "fire_safety_date": fire[1],
            }
        )
        geoms.append(Point(xy[k]))
    return rows, geoms


def _sewage_lines(towns, centres, tid):
    rows, geoms = [], []
    for town, c in centres.items():
        for _ in range(10):
            start = points_in(towns[town].intersection(c.buffer(3000)), 1)[0]
            steps = rng.normal(0, 350, size=(int(rng.integers(2, 5)), 2))
            line = LineString(np.vstack([start, start + np.cumsum(steps, axis=0)]))
            line = towns[town].intersection(line)
            if line.is_empty or line.geom_type not in ("LineString",):
                continue
            year = int(rng.choice([2018, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 0]))
            status = "planned" if year == 0 else "completed"
            if year == 2026 and rng.random() < 0.5:
                status = "under_construction"
            rows.append(
                {
                    "id": f"S{len(rows) + 1:02d}",
                    "name": f"{town[:2]}污水管{len(rows) + 1}",
                    "task_ids": "8",
                    "town_id": tid[town],
                    "status": status,
                    "completed_date": year_day(year) if status == "completed" else pd.NaT,
                }
            )
            geoms.append(line)
    return rows, geoms


def _sewage_facilities(towns, villages):
    rows, geoms = [], []
    land = shapely.union_all(list(towns.values()))
    types = ["plant"] * 2 + ["station"] * 5 + ["village_facility"] * 16
    xy = points_in(land.buffer(-300), len(types))
    owner = _containing(villages, xy)
    packaged_plan = [2022, 2023, 2023, 2024, 2024, 2024, 2025, 2025, 2025, 2026, 2026]
    for k, typ in enumerate(types):
        vid, town_id, vname = owner[k]
        packaged = typ == "village_facility" and bool(packaged_plan)
        date = year_day(packaged_plan.pop(0)) if packaged else pd.NaT
        name = {
            "plant": f"{vname[:-1]}污水处理厂",
            "station": f"{vname[:-1]}污水泵站",
            "village_facility": f"{vname}污水处理站",
        }[typ]
        rows.append(
            {
                "id": f"SF{k + 1:02d}",
                "name": name,
                "task_ids": "20" if typ == "village_facility" else "8",
                "village_id": vid if typ == "village_facility" else None,
                "town_id": town_id,
                "facility_type": typ,
                "capacity_m3d": {"plant": 20000.0, "station": 3000.0}.get(
                    typ, float(rng.choice([30, 50, 80, 100]))
                ),
                "status": "completed",
                "packaged": bool(packaged),
                "packaged_date": date,
            }
        )
        geoms.append(Point(xy[k]))
    return rows, geoms


def _projects(dist_geoms):
    rows, geoms = [], []
    types = ["road", "housing", "park", "utilities", "public_facility", "renewal"]
    for d, poly in enumerate(dist_geoms, start=1):
        for _ in range(8):
            c = points_in(poly.buffer(-200), 1)[0]
            w, h = rng.uniform(120, 480, size=2)
            geom = poly.intersection(
                affinity.rotate(
                    box(c[0] - w / 2, c[1] - h / 2, c[0] + w / 2, c[1] + h / 2),
                    float(rng.uniform(0, 40)),
                )
            )
            status = str(rng.choice(["completed", "completed", "under_construction", "planned"]))
            start = (
                year_day(int(rng.choice([2021, 2022, 2023, 2024])))
                if status != "planned"
                else pd.NaT
            )
            done = (
                min(
                    start + pd.Timedelta(days=int(rng.integers(300, 900))),
                    pd.Timestamp("2026-11-20"),
                )
                if status == "completed"
                else pd.NaT
            )
            typ = str(rng.choice(types))
            rows.append(
                {
                    "id": f"PR{len(rows) + 1:02d}",
                    "task_ids": "31",
                    "name": f"{['海江', '高铁', '湖东'][d - 1]}片区{len(rows) + 1}号项目",
                    "district_id": f"D0{d}",
                    "project_type": typ,
                    "status": status,
                    "start_date": start,
                    "completed_date": done,
                }
            )
            geoms.append(_largest(geom))
    return rows, geoms


# ------------------------------------------------------------------------- records
EVENTS = [  # (kind, dated column, task id, record status, note)
    ("communities", "renovation_date", 5, "completed", "改造完成"),
    ("villages", "plan_approved_date", 17, "completed", "村庄规划批复"),
    ("villages", "green_village_date", 22, "completed", "绿盈乡村验收"),
    ("greenways", "completed_date", 9, "completed", "福道建成"),
    ("water_sources", "zone_date", 21, "completed", "保护区划定批复"),
    ("water_sources", "markers_date", 21, "completed", "界标设立"),
    ("water_sources", "remediation_date", 21, "completed", "水源地生态环境整治完成"),
    ("parks", "opened_date", 9, "completed", "公园开放"),
    ("farmhouses", "renovation_date", 18, "completed", "既有农房整治完成"),
    ("heritage_sites", "wiring_date", 16, "completed", "电气线路套管及智慧用电完成"),
    ("heritage_sites", "fire_safety_date", 16, "completed", "三防工程完成"),
    ("sewage_lines", "completed_date", 8, "completed", "污水管网建成"),
    ("sewage_facilities", "packaged_date", 20, "completed", "纳入打包统一运营"),
    ("projects", "start_date", 31, "under_construction", "开工"),
    ("projects", "completed_date", 31, "completed", "竣工"),
]
LOCATED = 30  # farmhouse records that carry lon/lat instead of a feature id


#: Ledger rows for targets no layer holds (new housing, construction output, shares the
#: departments report, qualitative targets): task, target (目标编号), date, status, quantity,
#: unit, note. Illustrative figures, like the layers.
LEDGER_ROWS: tuple[tuple[int, str, str, str, float | None, str, str], ...] = (
    (4, "4-1", "2022-12-31", "completed", 82.0, "%", "新建商品住房全装修比例（年度统计）"),
    (4, "4-1", "2023-12-31", "completed", 91.0, "%", "新建商品住房全装修比例（年度统计）"),
    (4, "4-1", "2024-12-31", "completed", 96.0, "%", "新建商品住房全装修比例（年度统计）"),
    (4, "4-1", "2025-12-31", "completed", 100.0, "%", "新建商品住房全装修比例（年度统计）"),
    (4, "4-2", "2022-11-30", "completed", None, "个", "海江片区某小区创建示范达标小区"),
    (4, "4-2", "2023-10-31", "completed", None, "个", "洛阳镇某小区创建示范达标小区"),
    (4, "4-2", "2024-12-20", "completed", None, "个", "东园镇某小区创建示范达标小区"),
    (7, "7-1", "2021-10-15", "under_construction", 1260.0, "套", "海江片区安置房一期开工"),
    (7, "7-1", "2021-10-15", "under_construction", 15.2, "万平方米", "海江片区安置房一期开工"),
    (7, "7-1", "2022-06-30", "under_construction", 1850.0, "套", "高铁片区商品住房开工"),
    (7, "7-1", "2022-06-30", "under_construction", 212000.0, "平方米", "高铁片区商品住房开工"),
    (7, "7-1", "2023-08-31", "under_construction", 2100.0, "套", "洛阳镇保障性租赁住房开工"),
    (7, "7-1", "2023-08-31", "under_construction", 196000.0, "平方米", "洛阳镇保障性租赁住房开工"),
    (7, "7-1", "2024-05-20", "under_construction", 2400.0, "套", "湖东片区安置房开工"),
    (7, "7-1", "2024-05-20", "under_construction", 238000.0, "平方米", "湖东片区安置房开工"),
    (7, "7-1", "2025-07-10", "under_construction", 1600.0, "套", "东园镇商品住房开工"),
    (7, "7-1", "2025-07-10", "under_construction", 165000.0, "平方米", "东园镇商品住房开工"),
    (7, "7-1", "2025-11-18", "under_construction", 900.0, "套", "张坂镇人才公寓开工"),
    (7, "7-1", "2025-11-18", "under_construction", 8.8, "万平方米", "张坂镇人才公寓开工"),
    (9, "9-1", "2023-03-01", "under_construction", None, "", "国家园林城市创建申报材料编制"),
    (10, "10-1", "2023-06-30", "under_construction", 60.0, "%", "CIM基础平台建设进度"),
    (10, "10-1", "2025-11-30", "completed", None, "", "地下管线信息管理系统、CIM基础平台建成"),
    (12, "12-1", "2024-09-30", "under_construction", 75.0, "%", "乡镇农贸市场升级改造进度"),
    (13, "13-1", "2021-12-20", "completed", None, "", "区级网格化平台改造提升完成"),
    (14, "14-2", "2023-11-30", "completed", None, "", "文物保护单位“四有”工作完成"),
    (19, "19-1", "2024-06-30", "under_construction", 70.0, "%", "百崎乡集镇环境综合整治进度"),
    (23, "23-1", "2021-12-31", "completed", 268.0, "亿元", "建筑业总产值（2021年统计）"),
    (23, "23-1", "2022-12-31", "completed", 3050000.0, "万元", "建筑业总产值（2022年统计）"),
    (23, "23-1", "2023-12-31", "completed", 336.0, "亿元", "建筑业总产值（2023年统计）"),
    (23, "23-1", "2024-12-31", "completed", 371.0, "亿元", "建筑业总产值（2024年统计）"),
    (23, "23-1", "2025-12-31", "completed", 412.0, "亿元", "建筑业总产值（2025年统计）"),
    (25, "25-1", "2022-12-31", "completed", 96.5, "%", "新建建筑中绿色建筑面积占比"),
    (25, "25-1", "2023-12-31", "completed", 97.1, "%", "新建建筑中绿色建筑面积占比"),
    (25, "25-1", "2024-12-31", "completed", 98.3, "%", "新建建筑中绿色建筑面积占比"),
)


def ledger_records() -> pd.DataFrame:
    """:data:`LEDGER_ROWS` as records (ids L0001…), in the columns of :func:`make_records`."""
    rows = pd.DataFrame(
        LEDGER_ROWS, columns=["task_id", "target", "date", "status", "quantity", "unit", "note"]
    )
    rows.insert(0, "record_id", [f"L{k:04d}" for k in range(1, len(rows) + 1)])
    rows.insert(2, "layer", "")
    rows.insert(3, "feature_id", "")
    rows["lon"], rows["lat"] = np.nan, np.nan
    return rows[
        [
            "record_id",
            "task_id",
            "layer",
            "feature_id",
            "date",
            "status",
            "quantity",
            "unit",
            "note",
            "lon",
            "lat",
            "target",
        ]
    ]


def make_records(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """One record per dated event in the layers."""
    parts = []
    for kind, column, task, status, note in EVENTS:
        gdf = layers[kind]
        hit = gdf[gdf[column].notna()]
        metric = hit.geometry.to_crs(METRIC)
        if kind in ("greenways", "sewage_lines"):
            quantity, unit = (metric.length / 1000).round(3), "km"
        elif kind == "parks":
            quantity, unit = metric.area.round(0), "m²"
        else:
            quantity, unit = pd.Series(1.0, index=hit.index), {"farmhouses": "栋"}.get(kind, "处")
        parts.append(
            pd.DataFrame(
                {
                    "task_id": task,
                    "layer": kind,
                    "feature_id": hit["id"],
                    "date": hit[column].dt.strftime("%Y-%m-%d"),
                    "status": status,
                    "quantity": quantity,
                    "unit": unit,
                    "note": note,
                    "lon": np.nan,
                    "lat": np.nan,
                }
            )
        )
    rec = pd.concat(parts, ignore_index=True)
    rec = rec.sort_values(["date", "layer", "feature_id"], kind="stable").reset_index(drop=True)
    # a field team logged some renovations by GPS position only (within 15 m of the house)
    farm = layers["farmhouses"].set_index("id").geometry
    cand = np.flatnonzero(rec["layer"].eq("farmhouses").to_numpy())
    located = rng.choice(cand, size=LOCATED, replace=False)
    pts = farm.loc[rec.loc[located, "feature_id"]].to_crs(METRIC)
    angle, dist = rng.uniform(0, 2 * np.pi, LOCATED), rng.uniform(2, 15, LOCATED)
    moved = gpd.GeoSeries(
        shapely.points(
            pts.x.to_numpy() + dist * np.cos(angle), pts.y.to_numpy() + dist * np.sin(angle)
        ),
        crs=METRIC,
    ).to_crs("EPSG:4326")
    rec.loc[located, "lon"] = moved.x.round(7).to_numpy()
    rec.loc[located, "lat"] = moved.y.round(7).to_numpy()
    rec.loc[located, "feature_id"] = ""
    rec.loc[located, "note"] = "既有农房整治完成(现场定位)"
    rec.insert(0, "record_id", [f"R{k:05d}" for k in range(1, len(rec) + 1)])
    rec["target"] = ""
    return pd.concat([rec, ledger_records()], ignore_index=True)


# ------------------------------------------------------------------------- output
def write(layers: dict[str, gpd.GeoDataFrame], records: pd.DataFrame, out: Path) -> None:
    """Write the GeoPackage and the CSV, each through a temporary file in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": PINNED_TIME})
    gpkg, tmp = out / "taishang_sample.gpkg", out / ".taishang_sample.tmp.gpkg"
    tmp.unlink(missing_ok=True)
    for kind, gdf in layers.items():
        pyogrio.write_dataframe(gdf, tmp, layer=kind, driver="GPKG")
    pyogrio.write_dataframe(records, tmp, layer="records", driver="GPKG")
    os.replace(tmp, gpkg)
    csv, tmp_csv = out / "taishang_records.csv", out / ".taishang_records.csv.tmp"
    records.to_csv(tmp_csv, index=False, encoding="utf-8", lineterminator="\n")
    os.replace(tmp_csv, csv)


def summary(layers: dict[str, gpd.GeoDataFrame], records: pd.DataFrame, out: Path) -> str:
    towns = layers["towns"].to_crs(METRIC)
    lines = ["town areas (EPSG:4549):"]
    lines += [f"  {n}: {a / 1e6:.1f} km²" for n, a in zip(towns["name"], towns.area, strict=True)]
    lines.append(f"  land total: {towns.area.sum() / 1e6:.1f} km²")
    d = layers["districts"].to_crs(METRIC)
    lines += [f"  {n}: {a / 1e6:.2f} km²" for n, a in zip(d["name"], d.area, strict=True)]
    g = layers["greenways"].assign(km=layers["greenways"].to_crs(METRIC).length / 1000)
    new = g[g["completed_date"] >= pd.Timestamp(PLAN_START)]
    lines.append(
        f"greenways: {g['km'].sum():.1f} km, completed since plan start "
        f"{new['km'].sum():.2f} km (by 2023-12-31: "
        f"{new.loc[new['completed_date'] <= '2023-12-31', 'km'].sum():.2f} km)"
    )
    lines.append("features per layer:")
    lines += [f"  {k}: {len(v)}" for k, v in layers.items()]
    lines.append(f"records: {len(records)}")
    for name in ("taishang_sample.gpkg", "taishang_records.csv"):
        lines.append(f"{name}: {(out / name).stat().st_size / 1e6:.2f} MB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "layers", help="output folder")
    args = parser.parse_args()
    layers, records = build()
    write(layers, records, args.out)
    print(summary(layers, records, args.out))


if __name__ == "__main__":
    main()
