"""Benchmark the planning database: bulk-load farmhouse points and parcels, read them back.

Loads ``--n`` farmhouse points and ``--n / 5`` residential parcels (small squares) into a
fresh GeoPackage and a fresh PostGIS database, reloads them unchanged (the idempotent
path), and reads them back, printing rows per second for each step.

    python scripts/bench_store.py                 # 1 000 000 points + 200 000 parcels
    python scripts/bench_store.py --n 100000 --backend gpkg

PostGIS: ``--pg-url`` (default ``$GEOPLAN_TEST_PG_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) must allow CREATE DATABASE;
the script creates ``geoplan_bench_<random>`` and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import create_engine, text

from geoplan.store import Store

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def make_layers(n: int, seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """Random farmhouses and parcels inside the zone (118.64–118.88°E, 24.85–25.03°N)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(118.64, 118.88, n)
    y = rng.uniform(24.85, 25.03, n)
    status = np.array(["planned", "under_construction", "completed"])[rng.integers(0, 3, n)]
    dates = pd.to_datetime("2021-06-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    farmhouses = gpd.GeoDataFrame(
        {
            "id": [f"fh{i:07d}" for i in range(n)],
            "name": [f"农房{i}" for i in range(n)],
            "task_ids": "18",
            "village_id": [f"v{i % 300:03d}" for i in range(n)],
            "town_id": [f"t{i % 4}" for i in range(n)],
            "renovation_status": status,
            "renovation_date": pd.Series(dates)
            .where(status == "completed")
            .astype("datetime64[ms]"),
        },
        geometry=shapely.points(x, y),
        crs=4326,
    )
    m = max(n // 5, 1)
    px, py = x[:m], y[:m]
    side = 0.0004  # about 40 m
    parcels = gpd.GeoDataFrame(
        {
            "id": [f"rl{i:07d}" for i in range(m)],
            "name": [f"地块{i}" for i in range(m)],
            "task_ids": "4",
            "town_id": [f"t{i % 4}" for i in range(m)],
        },
        geometry=shapely.box(px, py, px + side, py + side),
        crs=4326,
    )
    return {"farmhouses": farmhouses, "residential_land": parcels}


def timed(label: str, rows: int, func: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {rows:>9,} rows {seconds:7.2f} s {rows / seconds:>11,.0f} rows/s")
    return result


def bench(url: str, layers: dict[str, gpd.GeoDataFrame]) -> None:
    with Store(url) as store:
        store.init()
        for kind, gdf in layers.items():
            timed(f"load {kind}", len(gdf), lambda k=kind, g=gdf: store.load(layers={k: g}))
        for kind, gdf in layers.items():
            timed(
                f"reload {kind} (unchanged)",
                len(gdf),
                lambda k=kind, g=gdf: store.load(layers={k: g}),
            )
        for kind, gdf in layers.items():
            got = timed(f"read {kind}", len(gdf), lambda k=kind: store.read_layers(kinds=[k]))
            assert len(got[kind]) == len(gdf), (kind, len(got[kind]), len(gdf))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="farmhouse points (parcels: n/5)")
    parser.add_argument("--backend", choices=["gpkg", "postgis", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("GEOPLAN_TEST_PG_URL", DEFAULT_PG))
    args = parser.parse_args()

    start = time.perf_counter()
    layers = make_layers(args.n)
    print(
        f"generated {args.n:,} points and {len(layers['residential_land']):,} parcels "
        f"in {time.perf_counter() - start:.1f} s"
    )
    if args.backend in ("gpkg", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.gpkg"
            print(f"GeoPackage ({path})")
            bench(str(path), layers)
            print(f"  file size {path.stat().st_size / 2**20:,.0f} MiB")
    if args.backend in ("postgis", "both"):
        name = f"geoplan_bench_{secrets.token_hex(4)}"
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
            print(f"PostGIS ({name})")
            bench(url, layers)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
