"""Benchmark geoplan maps against plain folium ``GeoJson`` on synthetic building footprints.

For each size (10 000 and 100 000 by default) the script builds the same buildings —
rotated rectangles of 10–20 m scattered over the zone, with a name and a status — as a
geoplan map and as a folium map with one ``GeoJson`` layer and a tooltip, writes both, and
opens each in headless Chromium (network blocked; folium's Leaflet is served from the
local xstatic copy so both pages can load). It prints HTML size, build time (map object +
HTML written), the page's load event, and load + first draw (two animation frames after
the load event, and after geoplan's own ready flag). It also prints the largest
Hausdorff distance between the original footprints and what the geoplan page draws
(simplified and quantised), in metres, against 1 px at zoom 17.

With ``--points 1000000`` it does the same for farmhouse points with a renovation status
(a province's farmhouses): geoplan aggregates them by zoom (counts by status per grid
cell below zoom 15, the points themselves above), so the page stays one file that draws
at once; plain folium is tried too (``GeoJson`` of points with a tooltip) unless
``--no-folium``.

``--cli FILE`` times ``geoplan map --layers FILE`` end to end in a fresh process (wall and
CPU time), as a planner runs it.

Run: ``python scripts/bench_map.py [--sizes 10000 100000] [--points 1000000] [--no-folium]``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geoplan.maps import make_map, save_map
from geoplan.maps._browser import Browser
from geoplan.maps._encode import (
    DEFAULT_PRECISION_M,
    DEFAULT_SIMPLIFY_M,
    decode_geometries,
    encode_geometries,
    simplify,
)
from geoplan.maps._offline import LEAFLET_CSS_URL, LEAFLET_JS_URL, _leaflet_dir

#: The zone's extent (lon/lat) and its metric CRS (CGCS2000 3° GK zone 40, CM 120°E).
ZONE = (118.64, 24.85, 118.88, 25.03)
METRIC = "EPSG:4549"

_DRAWN = """() => new Promise(resolve => requestAnimationFrame(() =>
    requestAnimationFrame(() => resolve(performance.now()))))"""
_LOAD = "performance.getEntriesByType('navigation')[0].loadEventEnd"


def buildings(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` rotated rectangles of 10–20 m × 10–20 m inside the zone, in EPSG:4326."""
    rng = np.random.default_rng(seed)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)
    x0, y0 = to_m.transform(ZONE[0], ZONE[1])
    x1, y1 = to_m.transform(ZONE[2], ZONE[3])
    cx, cy = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    w, h = rng.uniform(10, 20, n), rng.uniform(10, 20, n)
    a = rng.uniform(0, math.pi, n)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    px = cx[:, None] + dx * np.cos(a)[:, None] - dy * np.sin(a)[:, None]
    py = cy[:, None] + dx * np.sin(a)[:, None] + dy * np.cos(a)[:, None]
    polys = shapely.polygons(np.stack([px, py], axis=-1))
    status = rng.choice(["planned", "under_construction", "completed"], n)
    gdf = gpd.GeoDataFrame(
        {
            "id": [f"b{i}" for i in range(n)],
            "name": [f"建筑{i}号" for i in range(n)],
            "task_ids": "",
            "status": status,
        },
        geometry=polys,
        crs=METRIC,
    )
    return gdf.to_crs("EPSG:4326")


def max_hausdorff_m(gdf: gpd.GeoDataFrame) -> float:
    """Largest Hausdorff distance (m) between footprints and what the geoplan page draws."""
    geoms = np.asarray(gdf.geometry.array)
    drawn = decode_geometries(
        encode_geometries(simplify(geoms, DEFAULT_SIMPLIFY_M), precision_m=DEFAULT_PRECISION_M)
    )
    tr = pyproj.Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)

    def proj(g: np.ndarray) -> np.ndarray:
        return shapely.transform(g, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))

    return float(shapely.hausdorff_distance(proj(shapely.boundary(geoms)), proj(drawn)).max())


def build_geoplan(gdf: gpd.GeoDataFrame, path: Path) -> float:
    t = time.perf_counter()
    save_map(make_map({"projects": gdf}, minimap=False), path)
    return time.perf_counter() - t


def build_folium(gdf: gpd.GeoDataFrame, path: Path) -> float:
    t = time.perf_counter()
    m = folium.Map(tiles=None, prefer_canvas=False)
    folium.GeoJson(
        gdf[["name", "status", "geometry"]],
        tooltip=folium.GeoJsonTooltip(["name", "status"]),
    ).add_to(m)
    b = gdf.total_bounds
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    m.save(str(path))
    elapsed = time.perf_counter() - t
    _localise(path)
    return elapsed


def _localise(path: Path) -> None:
    """Serve Leaflet from the local xstatic copy so the page loads with the network blocked."""
    html = path.read_text(encoding="utf-8")
    leaflet = _leaflet_dir()
    html = html.replace(LEAFLET_JS_URL, (leaflet / "leaflet.js").as_uri())
    html = html.replace(LEAFLET_CSS_URL, (leaflet / "leaflet.css").as_uri())
    path.write_text(html, encoding="utf-8")


def farmhouses(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` farmhouse points in the zone with a renovation status and date (EPSG:4326)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(ZONE[0], ZONE[2], n)
    lat = rng.uniform(ZONE[1], ZONE[3], n)
    status = rng.choice(["completed", "under_construction", "planned"], n, p=[0.5, 0.1, 0.4])
    dates = np.datetime64("2021-06-01") + rng.integers(0, 1200, n).astype("timedelta64[D]")
    return gpd.GeoDataFrame(
        {
            "id": np.char.add("F", np.arange(n).astype(str)).astype(object),
            "name": "",
            "task_ids": "18",
            "village_id": "",
            "town_id": "",
            "renovation_status": status,
            "renovation_date": np.where(status == "completed", dates, np.datetime64("NaT")),
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )


def build_geoplan_points(gdf: gpd.GeoDataFrame, path: Path) -> float:
    t = time.perf_counter()
    save_map(make_map({"farmhouses": gdf}, minimap=False), path)
    return time.perf_counter() - t


def build_folium_points(gdf: gpd.GeoDataFrame, path: Path) -> float:
    t = time.perf_counter()
    m = folium.Map(location=[24.94, 118.76], zoom_start=12, tiles=None, prefer_canvas=True)
    folium.GeoJson(
        gdf[["id", "renovation_status", "geometry"]],
        marker=folium.CircleMarker(radius=3),
        tooltip=folium.GeoJsonTooltip(["id", "renovation_status"]),
    ).add_to(m)
    m.save(str(path))
    elapsed = time.perf_counter() - t
    _localise(path)
    return elapsed


def cli_time(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``geoplan map --layers path`` in a fresh process."""
    import resource
    import subprocess
    import sys

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "geoplan", "map", "--layers", str(path), "-o", f"{tmp}/m.html"],
            check=True,
            capture_output=True,
        )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def open_page(browser: Browser, path: Path, *, geoplan: bool) -> tuple[float, float]:
    """Load event and load + first draw, in seconds since navigation started."""
    with browser.new_page(width=1280, height=800) as page:
        page.page.goto(path.as_uri(), wait_until="load", timeout=600_000)
        if geoplan:
            page.page.wait_for_function("window.geoplanMap && window.geoplanMap.ready")
        drawn = page.page.evaluate(_DRAWN)
        load = page.page.evaluate(_LOAD)
        if page.console_errors:
            print(f"  console errors in {path.name}: {page.console_errors[:3]}")
        return load / 1000, drawn / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--no-folium", action="store_true", help="skip plain folium")
    parser.add_argument("--points", type=int, nargs="*", default=[], help="farmhouse points")
    parser.add_argument("--cli", type=Path, help="time `geoplan map --layers CLI` end to end")
    parser.add_argument(
        "--folium-max",
        type=int,
        default=200_000,
        help="largest point count tried with folium (its page grows ~300 bytes a point)",
    )
    args = parser.parse_args()
    if args.cli:
        for _ in range(3):
            wall, cpu = cli_time(args.cli)
            print(f"geoplan map --layers {args.cli}: wall {wall:.2f} s, CPU {cpu:.2f} s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Browser() as browser:
        for n in args.sizes:
            gdf = buildings(n)
            px_z17 = 2 * math.pi * 6378137 * math.cos(math.radians(24.94)) / (256 * 2**17)
            print(
                f"{n} buildings: max Hausdorff of the drawn shapes {max_hausdorff_m(gdf):.2f} m "
                f"(1 px at z17 = {px_z17:.2f} m)"
            )
            tools = [("geoplan", build_geoplan)]
            if not args.no_folium:
                tools.append(("folium GeoJson", build_folium))
            for tool, build in tools:
                path = Path(tmp) / f"{tool.split()[0]}_{n}.html"
                seconds = build(gdf, path)
                load, drawn = open_page(browser, path, geoplan=tool == "geoplan")
                size = path.stat().st_size / 1e6
                rows.append((tool, n, size, seconds, load, drawn))
                print(
                    f"  {tool:15s} {size:8.2f} MB  build {seconds:6.2f} s  "
                    f"load {load:6.2f} s  load+draw {drawn:6.2f} s"
                )
        for n in args.points:
            gdf = farmhouses(n)
            print(f"{n} farmhouse points")
            tools = [("geoplan", build_geoplan_points)]
            if not args.no_folium and n <= args.folium_max:
                tools.append(("folium GeoJson", build_folium_points))
            elif not args.no_folium:
                print(f"  folium GeoJson  not run above {args.folium_max:,} points (--folium-max)")
            for tool, build in tools:
                path = Path(tmp) / f"{tool.split()[0]}_points_{n}.html"
                try:
                    seconds = build(gdf, path)
                    load, drawn = open_page(browser, path, geoplan=tool == "geoplan")
                except Exception as exc:  # folium at a million points: report, go on
                    print(f"  {tool:15s} failed: {type(exc).__name__}: {str(exc)[:120]}")
                    continue
                size = path.stat().st_size / 1e6
                rows.append((f"{tool} (points)", n, size, seconds, load, drawn))
                print(
                    f"  {tool:15s} {size:8.2f} MB  build {seconds:6.2f} s  "
                    f"load {load:6.2f} s  load+draw {drawn:6.2f} s"
                )
    print()
    print("| tool | features | HTML MB | build s | load s | load+first draw s |")
    print("|---|---:|---:|---:|---:|---:|")
    for tool, n, size, seconds, load, drawn in rows:
        print(f"| {tool} | {n} | {size:.2f} | {seconds:.2f} | {load:.2f} | {drawn:.2f} |")
    by = {(t, n): r for t, n, *r in rows}
    for n in args.sizes:
        if ("folium GeoJson", n) in by:
            g, f = by[("geoplan", n)], by[("folium GeoJson", n)]
            ratios = ", ".join(
                f"{name} {f[i] / g[i]:.1f}×"
                for i, name in enumerate(["size", "build", "load", "load+draw"])
            )
            print(f"{n}: folium / geoplan = {ratios}")


if __name__ == "__main__":
    main()
