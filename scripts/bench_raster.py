"""Benchmark: class shares of a 20 000 x 20 000 raster per zone, blocked vs whole-array.

Writes a tiled, deflate-compressed uint8 GeoTIFF (400 million cells of 1 m, four
classes, EPSG:4549) to a temporary folder, then runs each approach in its own Python
process and prints its wall time and peak resident memory (``ru_maxrss``):

``blocked-exact``
    :func:`geoplan.raster.class_shares` (default ``method="exact"``): reads 2048-cell
    chunks aligned to the file's 512-cell tiles.
``blocked-centre``
    the same with ``method="centre"``.
``exactextract``
    exactextract's ``frac`` operation (coverage fractions; it bounds memory with
    ``max_cells_in_memory``), when installed.
``naive-centre``
    the whole band read into memory, one full-size mask per zone, ``np.bincount``.

The raster is deleted afterwards. Usage: ``python scripts/bench_raster.py [--size N]``
(``--size 5000`` for a quick run). Peak memory is the goal: under 1 GB for the blocked
path at 20 000 x 20 000.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

X0, Y0 = 360_000.0, 2_770_000.0

_RUN = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")  # a benchmark, not a test: keep the output to the figures
import numpy as np, geopandas as gpd
path, zones_path, approach = sys.argv[1:4]
zones = gpd.read_file(zones_path)
start = time.perf_counter()
if approach.startswith("blocked"):
    from geoplan.raster import class_shares
    shares = class_shares(path, zones, method=approach.split("-")[1])
    table = shares[[1, 2, 3, 4]].to_numpy()
elif approach == "exactextract":
    from exactextract import exact_extract
    # exactextract does not reproject: zones in another CRS would silently miss.
    out = exact_extract(path, zones.to_crs("EPSG:4549"), ["unique", "frac"], output="pandas")
    table = np.array([[dict(zip(u, f)).get(k, 0.0) for k in (1, 2, 3, 4)]
                      for u, f in zip(out["unique"], out["frac"])])
else:
    import rasterio
    from rasterio.features import geometry_mask
    with rasterio.open(path) as src:
        data = src.read(1)
        transform = src.transform
    rows = []
    for geom in zones.to_crs(src.crs).geometry:
        inside = geometry_mask([geom], data.shape, transform, invert=True)
        counts = np.bincount(data[inside], minlength=5)[1:].astype(float)
        rows.append(counts / counts.sum())
    table = np.array(rows)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "table": table.tolist()}))
"""


def write_raster(path: Path, size: int) -> None:
    """Write the test raster strip by strip (the writer never holds it whole)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:4549",
        "transform": from_origin(X0, Y0, 20_000 / size, 20_000 / size),
        "nodata": 0,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "zlevel": 1,
        "BIGTIFF": "IF_SAFER",
    }
    cols = np.arange(size)
    with rasterio.open(path, "w", **profile) as dst:
        for row0 in range(0, size, 512):
            rows = np.arange(row0, min(row0 + 512, size))[:, None]
            # Irregular patches of four classes, deterministic.
            pattern = (rows // 97 + cols // 131 + (rows * 7 + cols * 3) // 1009) % 4 + 1
            # Scatter one cell in eight to another class, so the file compresses like real
            # land cover rather than like a test card.
            noise = (rows * 2_654_435_761 + cols * 40_503) % 9_973
            pattern = np.where(noise % 8 == 0, noise % 4 + 1, pattern)
            dst.write(pattern.astype(np.uint8), 1, window=Window(0, row0, size, rows.size))


def write_zones(path: Path) -> None:
    """Four town-like polygons (many-sided, partly off the raster edge) in EPSG:4326."""
    import geopandas as gpd
    import shapely

    centres = [(5_000, 5_000), (15_000, 5_500), (6_000, 15_000), (14_500, 14_000)]
    geoms = []
    for i, (cx, cy) in enumerate(centres):
        angle = np.linspace(0, 2 * np.pi, 400, endpoint=False)
        radius = 5_200 + 600 * np.sin(5 * angle + i)
        xs = X0 + cx + radius * np.cos(angle)
        ys = Y0 - 20_000 + cy + radius * np.sin(angle)
        geoms.append(shapely.Polygon(np.column_stack([xs, ys])))
    zones = gpd.GeoDataFrame({"name": ["A", "B", "C", "D"]}, geometry=geoms, crs="EPSG:4549")
    zones.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")


def run(path: Path, zones: Path, approach: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), str(zones), approach],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="raster side in cells")
    parser.add_argument(
        "--skip", nargs="*", default=[], help="approaches to skip, e.g. naive-centre"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="geoplan-bench-"))
    try:
        raster, zones = folder / "big.tif", folder / "zones.geojson"
        start = time.perf_counter()
        write_raster(raster, args.size)
        write_zones(zones)
        size_mb = raster.stat().st_size / 1e6
        print(
            f"raster {args.size} x {args.size} uint8 ({args.size**2 / 1e6:.0f} M cells), "
            f"{size_mb:.1f} MB on disk, written in {time.perf_counter() - start:.1f} s"
        )
        results = {}
        for approach in ("blocked-exact", "blocked-centre", "exactextract", "naive-centre"):
            if approach in args.skip:
                continue
            res = run(raster, zones, approach)
            results[approach] = res
            if "error" in res:
                print(f"{approach:15s} failed: {res['error']}")
            else:
                print(f"{approach:15s} {res['seconds']:7.1f} s   peak {res['peak_mb']:7.0f} MB")
        tables = {k: np.array(v["table"]) for k, v in results.items() if "table" in v}
        if "blocked-exact" in tables:
            for name, table in tables.items():
                diff = np.abs(table - tables["blocked-exact"]).max()
                print(f"max |share - blocked-exact| for {name:15s}: {diff:.2e}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
