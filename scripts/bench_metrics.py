"""Benchmark geoplan's metrics and scorecard on synthetic city-scale layers.

Builds, in EPSG:4326 like real layers: 1 000 000 farmhouse points, 5 000 village
polygons, 20 000 parks, 200 000 residential parcels, 20 000 greenway segments (plus a few
towns, communities, heritage sites, water sources and zones so that every mapped target is
evaluated). Then, for each metric, the best of ``--repeat`` times of ``compute_metric``
and of a minimal hand-written shapely 2 / STRtree / NumPy computation of the same rows —
zone, towns and years where the metric reports them (projection included in both) — the
ratio, and the peak memory; and the time of the whole scorecard.

Memory: ``peak MiB`` is tracemalloc's peak of Python and NumPy allocations during the
metric (GEOS's own C++ allocations are not traced); the run's overall peak resident size
(``resource.getrusage(...).ru_maxrss``) is printed at the end. Timings are taken with
tracemalloc off.

Usage::

    python scripts/bench_metrics.py            # full size
    python scripts/bench_metrics.py --scale 0.1
    python scripts/bench_metrics.py --engine dask --scale 10   # 10 M farmhouses

``--engine dask`` compares the two engines end to end on the same partitioned GeoParquet
(written once by a child process into ``--data``, default ``/tmp/geoplan-bench-<scale>``):
the dask engine (a LocalCluster, ``geoplan.scorecard(..., engine="dask")``) and the
in-memory engine (the layers read whole, then ``geoplan.scorecard``), each in its own
child process. Printed: wall time, and the peak resident memory of the whole process tree
(the child and its dask workers, sampled with psutil every 0.1 s); the in-memory run is
stopped when the tree passes ``--memory-cap`` GiB, and says so. When both finish, their
rows are compared to 1e-9 relative.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import resource
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.metrics import compute_metric, scorecard

X0, Y0 = 370_000.0, 2_745_000.0  # south-west corner in EPSG:4549 (about 118.7°E, 24.8°N)
SIZE = 20_000.0  # a 20 × 20 km city
AS_OF = dt.date(2024, 6, 30)
TOWNS = ["T1", "T2", "T3", "T4"]


def _frame(data: dict[str, Any], geoms: np.ndarray) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4549").to_crs("EPSG:4326")
    for col in gdf.columns:
        if col.endswith("_date"):
            gdf[col] = pd.to_datetime(gdf[col]).astype("datetime64[ms]")
    return gdf


def _dates(rng: np.random.Generator, n: int, start: str, end: str, empty: float) -> np.ndarray:
    lo, hi = np.datetime64(start), np.datetime64(end)
    days = rng.integers(0, int((hi - lo).astype(int)), n)
    out = (lo + days.astype("timedelta64[D]")).astype("datetime64[ms]")
    out[rng.random(n) < empty] = np.datetime64("NaT")
    return out


def _town(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    idx = (x > X0 + SIZE / 2).astype(int) + 2 * (y > Y0 + SIZE / 2).astype(int)
    return np.array(TOWNS, dtype=object)[idx]


def _boxes(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray) -> np.ndarray:
    return shapely.box(x, y, x + w, y + h)


def build(scale: float, seed: int = 1) -> dict[str, gpd.GeoDataFrame]:
    """Synthetic layers following the layer contract, ``scale`` × the city-scale counts.

    The region grows with the counts (100 × 100 km at full size, about a prefecture such
    as 泉州) so that densities, and so the shape of the service-area unions, stay the
    same at every scale. Parcels and parks fall at random; greenways are chains of
    100–300 m segments along random-walk routes, as real greenway networks are.
    """
    global SIZE
    SIZE = 100_000.0 * np.sqrt(scale)
    rng = np.random.default_rng(seed)
    n = {
        k: max(int(v * scale), 10)
        for k, v in {
            "farmhouses": 1_000_000,
            "villages": 5_000,
            "parks": 20_000,
            "residential_land": 200_000,
            "greenways": 20_000,
        }.items()
    }
    layers: dict[str, gpd.GeoDataFrame] = {}
    half = SIZE / 2
    layers["towns"] = _frame(
        {
            "id": TOWNS,
            "name": ["洛阳镇", "东园镇", "张坂镇", "百崎回族乡"],
            "task_ids": "",
            "population": 1,
        },
        _boxes(
            np.array([X0, X0 + half, X0, X0 + half]),
            np.array([Y0, Y0, Y0 + half, Y0 + half]),
            np.full(4, half),
            np.full(4, half),
        ),
    )
    # parcels: one per cell of a grid, at a random place in it, so that none overlap
    nr = n["residential_land"]
    cells = int(np.ceil(np.sqrt(nr)))
    pitch = SIZE / cells
    cx, cy = np.divmod(np.arange(nr), cells)
    rw, rh = rng.uniform(20, 80, nr), rng.uniform(20, 80, nr)
    rx = X0 + cx * pitch + rng.random(nr) * (pitch - rw)
    ry = Y0 + cy * pitch + rng.random(nr) * (pitch - rh)
    layers["residential_land"] = _frame(
        {"id": [f"R{i}" for i in range(nr)], "name": "", "task_ids": "", "town_id": _town(rx, ry)},
        _boxes(rx, ry, rw, rh),
    )
    px, py = X0 + rng.random(n["parks"]) * SIZE, Y0 + rng.random(n["parks"]) * SIZE
    pw = rng.uniform(30, 120, n["parks"])
    layers["parks"] = _frame(
        {
            "id": [f"P{i}" for i in range(n["parks"])],
            "name": "",
            "task_ids": "9",
            "town_id": _town(px, py),
            "opened_date": _dates(rng, n["parks"], "2015-01-01", "2026-06-30", 0.3),
        },
        _boxes(px, py, pw, pw),
    )
    per_route = 100
    routes = max(n["greenways"] // per_route, 1)
    step = rng.uniform(100, 300, (routes, per_route))
    heading = rng.random((routes, 1)) * 2 * np.pi + np.cumsum(
        rng.normal(0, 0.3, (routes, per_route)), axis=1
    )
    sx = (X0 + rng.random((routes, 1)) * SIZE) + np.cumsum(step * np.cos(heading), axis=1)
    sy = (Y0 + rng.random((routes, 1)) * SIZE) + np.cumsum(step * np.sin(heading), axis=1)
    ex, ey = sx.ravel(), sy.ravel()
    bx = np.concatenate(
        [(X0 + rng.random((routes, 1)) * SIZE) * 0 + sx[:, :1], sx[:, :-1]], axis=1
    ).ravel()
    by = np.concatenate([sy[:, :1], sy[:, :-1]], axis=1).ravel()
    keep = np.arange(len(ex)) % per_route != 0  # the first point only starts the route
    gx0, gy0, ex, ey = bx[keep], by[keep], ex[keep], ey[keep]
    lines = shapely.linestrings(np.stack([np.stack([gx0, gy0], 1), np.stack([ex, ey], 1)], 1))
    ng = len(lines)
    status = rng.choice(["completed", "under_construction", "planned"], ng, p=[0.6, 0.2, 0.2])
    gdate = _dates(rng, ng, "2019-01-01", "2026-06-30", 0.0)
    gdate[status != "completed"] = np.datetime64("NaT")
    layers["greenways"] = _frame(
        {
            "id": [f"G{i}" for i in range(ng)],
            "name": "",
            "task_ids": "9",
            "town_id": _town(gx0, gy0),
            "status": status,
            "completed_date": gdate,
        },
        lines,
    )
    vs = int(np.ceil(np.sqrt(n["villages"])))
    vx, vy = np.meshgrid(np.arange(vs) * (SIZE / vs), np.arange(vs) * (SIZE / vs))
    vx, vy = X0 + vx.ravel()[: n["villages"]], Y0 + vy.ravel()[: n["villages"]]
    vw = np.full(len(vx), 0.8 * SIZE / vs)
    layers["villages"] = _frame(
        {
            "id": [f"V{i}" for i in range(len(vx))],
            "name": "",
            "task_ids": "17",
            "town_id": _town(vx, vy),
            "plan_approved_date": _dates(rng, len(vx), "2020-01-01", "2025-12-31", 0.1),
            "green_village": rng.random(len(vx)) < 0.6,
            "green_village_date": _dates(rng, len(vx), "2020-01-01", "2025-12-31", 0.0),
            "demonstration": rng.random(len(vx)) < 0.01,
            "farmhouse_count": 200,
        },
        _boxes(vx, vy, vw, vw),
    )
    fx, fy = X0 + rng.random(n["farmhouses"]) * SIZE, Y0 + rng.random(n["farmhouses"]) * SIZE
    fstat = rng.choice(
        ["completed", "under_construction", "planned"], n["farmhouses"], p=[0.5, 0.1, 0.4]
    )
    fdate = _dates(rng, n["farmhouses"], "2020-01-01", "2026-06-30", 0.0)
    fdate[fstat != "completed"] = np.datetime64("NaT")
    layers["farmhouses"] = _frame(
        {
            "id": np.char.add("F", np.arange(n["farmhouses"]).astype(str)).astype(object),
            "name": "",
            "task_ids": "18",
            "village_id": "",
            "town_id": _town(fx, fy),
            "renovation_status": fstat,
            "renovation_date": fdate,
        },
        shapely.points(fx, fy),
    )
    # small layers so that every mapped target has its data
    k = 200
    cx, cy = X0 + rng.random(k) * SIZE, Y0 + rng.random(k) * SIZE
    layers["communities"] = _frame(
        {
            "id": [f"C{i}" for i in range(k)],
            "name": [f"小区{i}" for i in range(k)],
            "task_ids": "4",
            "town_id": _town(cx, cy),
            "built_year": rng.integers(1990, 2020, k),
            "is_old_community": rng.random(k) < 0.05,
            "property_managed": rng.random(k) < 0.8,
            "renovation_status": rng.choice(["completed", "planned"], k),
            "renovation_date": _dates(rng, k, "2021-06-01", "2025-12-31", 0.0),
        },
        _boxes(cx, cy, np.full(k, 200.0), np.full(k, 200.0)),
    )
    layers["heritage_sites"] = _frame(
        {
            "id": [f"H{i}" for i in range(k)],
            "name": "",
            "task_ids": "16",
            "town_id": _town(cx, cy),
            "heritage_type": "cultural_relic",
            "protection_level": rng.choice(["national", "provincial", "municipal", "district"], k),
            "wiring_status": "completed",
            "wiring_date": _dates(rng, k, "2021-06-01", "2024-12-31", 0),
            "fire_safety_status": "completed",
            "fire_safety_date": _dates(rng, k, "2021-06-01", "2026-12-31", 0),
        },
        shapely.points(cx, cy),
    )
    done = rng.random(k) < 0.7
    layers["water_sources"] = _frame(
        {
            "id": [f"W{i}" for i in range(k)],
            "name": "",
            "task_ids": "21",
            "village_id": "",
            "town_id": _town(cx, cy),
            "source_type": "groundwater",
            "scale": rng.choice(["centralized", "dispersed"], k),
            "people_served": 500,
            "reservoir_size": None,
            "aquifer": "pore",
            "zone_delineated": done,
            "zone_date": _dates(rng, k, "2021-06-01", "2024-12-31", 0),
            "markers_installed": done,
            "markers_date": _dates(rng, k, "2021-06-01", "2024-12-31", 0),
            "remediation_status": np.where(done, "completed", "planned"),
            "remediation_date": _dates(rng, k, "2021-06-01", "2024-12-31", 0),
        },
        shapely.points(cx + 1000, cy),
    )
    layers["sewage_facilities"] = _frame(
        {
            "id": [f"S{i}" for i in range(k)],
            "name": "",
            "task_ids": "20",
            "village_id": "",
            "town_id": _town(cx, cy),
            "facility_type": "village_facility",
            "capacity_m3d": 50.0,
            "status": "completed",
            "packaged": done,
            "packaged_date": _dates(rng, k, "2021-06-01", "2025-12-31", 0),
        },
        shapely.points(cx, cy + 1000),
    )
    layers["districts"] = _frame(
        {"id": ["D1", "D2"], "name": ["海江片区", "湖东片区"], "task_ids": "31"},
        _boxes(np.array([X0, X0 + half]), np.full(2, Y0), np.full(2, half), np.full(2, half)),
    )
    layers["projects"] = _frame(
        {
            "id": [f"PR{i}" for i in range(k)],
            "name": "",
            "task_ids": "31",
            "district_id": np.where(cx < X0 + half, "D1", "D2"),
            "project_type": "infrastructure",
            "status": rng.choice(["completed", "under_construction", "planned"], k),
            "start_date": _dates(rng, k, "2021-06-01", "2022-12-31", 0),
            "completed_date": _dates(rng, k, "2022-06-01", "2026-12-31", 0),
        },
        _boxes(cx, cy, np.full(k, 100.0), np.full(k, 100.0)),
    )
    return layers


def _project(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(gdf.to_crs("EPSG:4549").geometry.values)


def _coverage(parcels: np.ndarray, service: np.ndarray) -> float:
    """One union of the service areas, an STRtree over its parts, prepared predicates,
    whole parcels inside a part, intersections for the rest (parcels do not overlap)."""
    parts = shapely.get_parts(shapely.union_all(service))
    shapely.prepare(parts)
    pi, si = shapely.STRtree(parts).query(parcels)
    hit = shapely.intersects(parts[si], parcels[pi])
    pi, si = pi[hit], si[hit]
    inside = shapely.contains_properly(parts[si], parcels[pi])
    covered = shapely.area(parcels[pi[inside]]).sum()
    cut = shapely.intersection(parcels[pi[~inside]], parts[si[~inside]])
    return 100.0 * (covered + shapely.area(cut).sum()) / shapely.area(parcels).sum()


def _done_by(frame: pd.DataFrame, status: str, date: str, day: dt.date) -> np.ndarray:
    return ((frame[status] == "completed") & (frame[date] <= pd.Timestamp(day))).to_numpy()


def _by_town(values: np.ndarray, towns: pd.Series, den: np.ndarray | None = None) -> pd.DataFrame:
    """The zone row and one row per town: Σ values (and Σ den with the ratio in %)."""
    codes, uniques = pd.factorize(towns)
    num = np.bincount(codes, weights=values, minlength=len(uniques))
    data: dict[str, Any] = {"scope": ["全区", *uniques], "value": [values.sum(), *num]}
    if den is not None:
        d = np.bincount(codes, weights=den, minlength=len(uniques))
        data |= {"numerator": data["value"], "denominator": [den.sum(), *d]}
        data["value"] = 100.0 * np.asarray(data["numerator"]) / np.asarray(data["denominator"])
    return pd.DataFrame(data)


def baselines(layers: dict[str, gpd.GeoDataFrame], day: dt.date) -> dict[str, Callable]:
    """Minimal shapely 2 / STRtree / NumPy computations of the same rows as geoplan's.

    Each returns a small frame whose first row is the zone figure. Like the metric, a
    baseline computes every row the metric reports — the zone, each town, each year where
    the metric has them — so the ratio compares the same work (coverage baselines give the
    zone figure only: their cost is the union and the intersections, not the grouping).
    """
    start = pd.Timestamp("2021-05-24")

    def greenway_km() -> pd.DataFrame:
        gw = layers["greenways"]
        ok = _done_by(gw, "status", "completed_date", day) & (gw["completed_date"] >= start)
        km = np.where(ok, shapely.length(_project(gw)) / 1000, 0.0)
        towns = _by_town(km, gw["town_id"])
        years = pd.Series(km[ok]).groupby(gw["completed_date"].dt.year.to_numpy()[ok]).sum()
        return pd.concat([towns, pd.DataFrame({"scope": years.index, "value": years})])

    def greenway_cov() -> pd.DataFrame:
        gw = layers["greenways"]
        lines = _project(gw)[_done_by(gw, "status", "completed_date", day)]
        cov = _coverage(_project(layers["residential_land"]), shapely.buffer(lines, 1000.0))
        return pd.DataFrame({"scope": ["全区"], "value": [cov]})

    def park_cov() -> pd.DataFrame:
        parks = layers["parks"]
        geoms = _project(parks)[~(parks["opened_date"] > pd.Timestamp(day)).to_numpy()]
        area = shapely.area(geoms)
        r = np.where(area >= 5000, 500.0, np.where(area >= 2000, 300.0, 0.0))
        cov = _coverage(
            _project(layers["residential_land"]), shapely.buffer(geoms[r > 0], r[r > 0])
        )
        return pd.DataFrame({"scope": ["全区"], "value": [cov]})

    def farm_rate() -> pd.DataFrame:
        f = layers["farmhouses"]
        ok = _done_by(f, "renovation_status", "renovation_date", day)
        return _by_town(ok.astype(float), f["town_id"], np.ones(len(f)))

    def farm_per_year() -> pd.DataFrame:
        f = layers["farmhouses"]
        ok = _done_by(f, "renovation_status", "renovation_date", day)
        ok = ok & (f["renovation_date"] >= start).to_numpy()
        year = f["renovation_date"].dt.year.to_numpy()[ok]
        cells = pd.Series(year).groupby([f["town_id"].to_numpy()[ok], year]).size()
        years = cells.groupby(level=1).sum()
        return pd.DataFrame(
            {"scope": ["全区", *cells.index, *years.index], "value": [ok.sum(), *cells, *years]}
        )

    def village_plan() -> pd.DataFrame:
        v = layers["villages"]
        ok = (v["plan_approved_date"] <= pd.Timestamp(day)).to_numpy(dtype=float)
        return _by_town(ok, v["town_id"], np.ones(len(v)))

    def green_village() -> pd.DataFrame:
        v = layers["villages"]
        ok = (v["green_village"] & (v["green_village_date"] <= pd.Timestamp(day))).to_numpy(
            dtype=float
        )
        return _by_town(ok, v["town_id"], np.ones(len(v)))

    return {
        "greenway_completed_km": greenway_km,
        "greenway_service_coverage": greenway_cov,
        "park_service_coverage": park_cov,
        "farmhouse_renovation_rate": farm_rate,
        "farmhouse_renovations_per_year": farm_per_year,
        "village_plan_share": village_plan,
        "green_village_share": green_village,
    }


def _zone(frame: pd.DataFrame) -> float:
    zone = frame.loc[frame["scope_type"].isin(["zone"]), "value"]
    if len(zone):
        return float(zone.iloc[0])
    return float(frame.loc[frame["scope_type"] == "year", "value"].sum())


def _timed(func: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (the machine is shared: the minimum is the
    least disturbed run) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t)
    return best, out


def _peak_mib(func: Callable[[], Any]) -> float:
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


#: The coverage metrics, timed after the scorecard (the bundled mapping does not use them).
COVERAGE = ("park_service_coverage", "greenway_service_coverage")


def _child(role: str, data: str, out: str, scale: float, workers: int, memory: str) -> None:
    """Run one side of the engine comparison (in a child process of :func:`engines`)."""
    logging.getLogger("geoplan").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    if role == "build":
        from geoplan.layers._parquet import export_parquet

        layers = build(scale)
        built = time.perf_counter() - t
        parts = export_parquet(layers, data)
        print(
            f"built {', '.join(f'{k} {len(v):,}' for k, v in layers.items() if len(v) > 1000)}"
            f" in {built:.0f} s; wrote {sum(parts.values())} partitions in "
            f"{time.perf_counter() - t - built:.0f} s",
            flush=True,
        )
        return
    if role == "dask":
        from geoplan.metrics._dask import connect

        client = connect(n_workers=workers, memory_limit=memory)  # the scorecard uses it
        started = time.perf_counter() - t
        card = scorecard(None, data, None, as_of=AS_OF, engine="dask")
        c = time.perf_counter()
        from geoplan.metrics._dask import compute_metric_dask

        cover = [compute_metric_dask(n, data, as_of=AS_OF) for n in COVERAGE]
        extra = (
            f"cluster start {started:.1f} s, scorecard {c - t - started:.1f} s, "
            f"coverage {time.perf_counter() - c:.1f} s"
        )
        cluster = client.cluster
        client.close()
        cluster.close()
    else:
        from pathlib import Path

        import geopandas as gpd

        layers = {p.name: gpd.read_parquet(p) for p in sorted(Path(data).iterdir()) if p.is_dir()}
        read = time.perf_counter() - t
        card = scorecard(None, layers, None, as_of=AS_OF)
        c = time.perf_counter()
        cover = [compute_metric(n, layers, as_of=AS_OF) for n in COVERAGE]
        extra = (
            f"read {read:.1f} s, scorecard {c - t - read:.1f} s, "
            f"coverage {time.perf_counter() - c:.1f} s"
        )
    total = time.perf_counter() - t
    card = pd.concat([card, *cover], ignore_index=True)
    card.to_pickle(out)
    print(f"{total:.2f} {extra}", flush=True)


def _run_child(args: list[str], cap_gib: float | None) -> tuple[str, float, float, bool]:
    """Run this script as a child; return (its last line, seconds, peak tree MiB, capped)."""
    import subprocess
    import sys

    import psutil

    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    root, peak, capped = psutil.Process(proc.pid), 0, False
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree if p.is_running())
        except psutil.Error:
            rss = 0
        peak = max(peak, rss)
        if cap_gib is not None and rss > cap_gib * 2**30:
            capped = True
            for p in [*root.children(recursive=True), root]:
                with contextlib.suppress(psutil.Error):
                    p.kill()
            break
        time.sleep(0.1)
    out = proc.communicate()[0].strip().splitlines()
    return (out[-1] if out else ""), time.perf_counter() - t, peak / 2**20, capped


def engines(args: argparse.Namespace) -> None:
    """Both engines, end to end, on the same partitioned GeoParquet."""
    import os
    import tempfile
    from pathlib import Path

    data = Path(args.data or f"/tmp/geoplan-bench-{args.scale:g}")
    if not (data / "farmhouses").is_dir():
        line, secs, mib, _ = _run_child(
            ["--child", "build", "--data", str(data), *_common(args)], None
        )
        print(f"{line} (peak {mib:,.0f} MiB)")
    tmp = Path(tempfile.mkdtemp(prefix="geoplan-bench-"))
    cards: dict[str, pd.DataFrame] = {}
    print(f"\n{'engine':10} {'wall s':>8} {'peak tree MiB':>14}  detail")
    for role in ("dask", *([] if args.no_pandas else ["pandas"])):
        out = tmp / f"{role}.pkl"
        cap = args.memory_cap if role == "pandas" else None
        child = ["--child", role, "--data", str(data), "--out", str(out), *_common(args)]
        line, secs, mib, capped = _run_child(child, cap)
        if capped:
            print(f"{role:10} {'-':>8} {mib:14,.0f}  stopped: the tree passed {cap:g} GiB")
            continue
        if not out.exists():
            print(f"{role:10} {'-':>8} {mib:14,.0f}  failed: {line}")
            continue
        inner, _, detail = line.partition(" ")
        print(f"{role:10} {float(inner):8.2f} {mib:14,.0f}  {detail} (process {secs:.1f} s)")
        cards[role] = pd.read_pickle(out)
        os.unlink(out)
    if len(cards) == 2:
        pd.testing.assert_frame_equal(cards["dask"], cards["pandas"], rtol=1e-9)
        print(
            f"same {len(cards['dask'])} rows (scorecard and coverage) from both engines (rtol 1e-9)"
        )


def _common(args: argparse.Namespace) -> list[str]:
    return [
        "--scale",
        str(args.scale),
        "--workers",
        str(args.workers),
        "--worker-memory",
        args.worker_memory,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the city size")
    parser.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default="pandas",
        help="dask: compare the dask and in-memory engines end to end",
    )
    parser.add_argument("--data", help="partitioned GeoParquet folder (--engine dask)")
    parser.add_argument("--workers", type=int, default=2, help="dask workers (processes)")
    parser.add_argument("--worker-memory", default="4GiB", help="memory limit per worker")
    parser.add_argument(
        "--memory-cap",
        type=float,
        default=16.0,
        help="GiB at which the in-memory run is stopped (--engine dask)",
    )
    parser.add_argument("--no-pandas", action="store_true", help="skip the in-memory run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per metric and baseline; the best is shown"
    )
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.data, args.out, args.scale, args.workers, args.worker_memory)
        return
    if args.engine == "dask":
        engines(args)
        return
    logging.getLogger("geoplan").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    t, layers = _timed(lambda: build(args.scale))
    print(f"built layers in {t:.1f} s: " + ", ".join(f"{k} {len(v):,}" for k, v in layers.items()))
    compute_metric("greenway_total_km", layers, as_of=AS_OF)  # warm-up: imports, transformer
    print(
        f"\n{'metric':32} {'geoplan ms':>10} {'in card ms':>10} {'baseline ms':>11} "
        f"{'ratio':>6} {'card':>6} {'peak MiB':>9}  {'zone value (geoplan / baseline)'}"
    )
    from geoplan.metrics._asof import as_of_cache

    for name, base in baselines(layers, AS_OF).items():

        def run(n: str = name) -> pd.DataFrame:
            return compute_metric(n, layers, as_of=AS_OF)

        # "in card": as inside one scorecard run, where another metric has already
        # relabelled the layer as of the date (the as-of cache)
        store: dict[Any, Any] = {}
        with as_of_cache(store):
            run()

        def in_card(n: str = name, store: dict[Any, Any] = store) -> pd.DataFrame:
            with as_of_cache(store):
                return compute_metric(n, layers, as_of=AS_OF)

        t_geo, frame = _timed(run, args.repeat)
        t_card, _ = _timed(in_card, args.repeat)
        t_base, rows = _timed(base, args.repeat)
        value = float(rows["value"].iloc[0])
        peak = float("nan") if args.no_memory else _peak_mib(run)
        print(
            f"{name:32} {1000 * t_geo:10.1f} {1000 * t_card:10.1f} {1000 * t_base:11.1f} "
            f"{t_geo / t_base:6.2f} {t_card / t_base:6.2f} {peak:9.0f}  "
            f"{_zone(frame):.4f} / {value:.4f}"
        )
    t, card = _timed(lambda: scorecard(None, layers, None, as_of=AS_OF))
    counts = card["status"].value_counts().to_dict()
    print(f"\nfull scorecard as of {AS_OF}: {t:.1f} s, {len(card)} rows, {counts}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the run (ru_maxrss): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
