"""The dask engine gives the rows of the in-memory engine (to 1e-9 relative).

The layers are written as partitioned GeoParquet with small partitions, so that every
partitioned metric is really split: farmhouses, greenways, parks and parcels each span
several partitions, and service areas cross partition borders.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import socket
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import REPO, require

from geoplan._errors import MetricError, MissingDependencyError
from geoplan.datasets import load_sample
from geoplan.layers._parquet import export_parquet
from geoplan.metrics import compute_metric, scorecard

HAVE_DASK = all(importlib.util.find_spec(m) for m in ("dask_geopandas", "distributed"))
DAYS = [dt.date(2022, 12, 31), dt.date(2024, 6, 30)]  # the sums add the plan start


@pytest.fixture(scope="module")
def client():
    require(HAVE_DASK, "dask-geopandas and distributed are not installed (geoplan[scale])")
    from geoplan.metrics._dask import connect

    c = connect(n_workers=2, memory_limit="1GiB")
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


def _export(layers: dict, root: Path, small: dict[str, int]) -> Path:
    """Export with ``small[kind]`` rows per partition (default 1000)."""
    for rows in sorted(set(small.values()) | {1000}):
        kinds = {k: v for k, v in layers.items() if small.get(k, 1000) == rows}
        export_parquet(kinds, root, rows_per_partition=rows)
    return root


def _frames(root: Path, records, client):
    from geoplan.metrics._dask import DaskFrames, PartitionedLayers

    return DaskFrames(PartitionedLayers.open(root), records, {}, client)


def assert_same(memory: pd.DataFrame, dask: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        memory.reset_index(drop=True), dask.reset_index(drop=True), rtol=1e-9, check_dtype=False
    )


def test_export_hilbert_partitions_are_compact_and_complete(tmp_path):
    farms = load_sample()["farmhouses"]
    farms = farms.sample(frac=1.0, random_state=1)  # a layer in no spatial order
    boxes = {}
    for how in ("hilbert", "none"):
        parts = export_parquet(
            {"farmhouses": farms}, tmp_path / how, partition=how, rows_per_partition=1000
        )
        assert parts == {"farmhouses": 6}
        files = sorted((tmp_path / how / "farmhouses").glob("part.*.parquet"))
        frames = [gpd.read_parquet(f) for f in files]
        assert [len(f) for f in frames] == [1000] * 5 + [500]
        back = pd.concat(frames).sort_values("id").reset_index(drop=True)
        want = farms.sort_values("id").reset_index(drop=True)
        assert list(back["id"]) == list(want["id"])
        assert shapely.equals(back.geometry.values, want.geometry.values).all()
        assert back["renovation_date"].equals(want["renovation_date"])
        boxes[how] = sum(shapely.area(shapely.box(*f.total_bounds)) for f in frames)
    # shuffled, each partition spans the zone; along the curve each covers about a sixth
    whole = shapely.area(shapely.box(*farms.total_bounds))
    assert boxes["none"] > 5 * whole
    assert boxes["hilbert"] < 1.5 * whole


def test_every_partitioned_metric_equals_the_in_memory_one_on_the_sample(tmp_path, client):
    from geoplan.datasets import load_sample_records
    from geoplan.metrics._dask import PARTITIONED

    layers, records = load_sample(), load_sample_records()
    root = _export(
        layers,
        tmp_path,
        {"farmhouses": 700, "residential_land": 15, "parks": 6, "greenways": 8},
    )
    assert len(list((root / "residential_land").glob("*.parquet"))) == 8
    frames = _frames(root, records, client)
    for name in PARTITIONED:
        for day in DAYS:
            assert_same(compute_metric(name, layers, records, as_of=day), frames.get(name, day))
    cov = frames.get("park_service_coverage", DAYS[-1])
    assert 0 < cov["value"].iloc[0] < 100 and cov["note"].iloc[0].endswith("达到服务规模")


def test_overlapping_parcels_across_partitions_are_counted_once(tmp_path, client):
    """Squares overlapping their neighbours by half, cut into partitions of 3 in order:
    the overlap groups span partitions and must be unioned whole, as in memory."""
    x0, y0 = 380_000.0, 2_760_000.0  # in the zone (EPSG:4549 is then the metric CRS)
    x = x0 + np.arange(12) * 60.0
    parcels = shapely.box(x, y0, x + 100, y0 + 100)  # each overlaps the next by 40 m
    parcels = np.concatenate([parcels, shapely.box(x, y0 + 5000, x + 50, y0 + 5050)])
    res = gpd.GeoDataFrame(
        {"id": [f"R{i}" for i in range(24)], "name": "", "task_ids": "", "town_id": "T1"},
        geometry=parcels,
        crs="EPSG:4549",
    ).to_crs("EPSG:4326")
    parks = gpd.GeoDataFrame(
        {"id": ["P1"], "name": "", "task_ids": "9", "town_id": "T1", "opened_date": pd.NaT},
        geometry=[shapely.box(x0 + 300, y0 + 300, x0 + 400, y0 + 400)],  # 10 000 m²: 500 m
        crs="EPSG:4549",
    ).to_crs("EPSG:4326")
    parks["opened_date"] = parks["opened_date"].astype("datetime64[ms]")
    layers = {"residential_land": res, "parks": parks}
    export_parquet(layers, tmp_path, partition="none", rows_per_partition=3)
    frames = _frames(tmp_path, None, client)
    assert frames.shared_parcels() == {f"R{i}" for i in range(12)}
    got = frames.get("park_service_coverage", DAYS[-1])
    assert_same(compute_metric("park_service_coverage", layers, as_of=DAYS[-1]), got)
    # by hand: the row of squares unions to 760 × 100 m, all within 500 m of the park;
    # the 12 small squares 4.6 km away are not covered
    zone = got.iloc[0]
    assert zone["numerator"] == pytest.approx(76_000, rel=1e-6)
    assert zone["denominator"] == pytest.approx(76_000 + 12 * 2_500, rel=1e-6)


def test_engines_equal_on_bench_data(tmp_path, client):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import bench_metrics
    finally:
        sys.path.pop(0)
    from geoplan.metrics._dask import PARTITIONED

    layers = bench_metrics.build(0.004)
    root = _export(layers, tmp_path, {"farmhouses": 1000, "residential_land": 200, "parks": 20})
    frames = _frames(root, None, client)
    for name in PARTITIONED:
        day = bench_metrics.AS_OF
        assert_same(compute_metric(name, layers, as_of=day), frames.get(name, day))


def test_scorecard_with_the_dask_engine_is_the_same_card(tmp_path, client):
    export_parquet(load_sample(), tmp_path, rows_per_partition=500)
    from geoplan.datasets import load_sample_records

    records = load_sample_records()
    memory = scorecard(None, load_sample(), records, as_of="2023-12-31")
    dask = scorecard(None, tmp_path, records, as_of="2023-12-31", engine="dask")
    pd.testing.assert_frame_equal(memory, dask, rtol=1e-9)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_one_clear_error():
    require(HAVE_DASK, "dask-geopandas and distributed are not installed (geoplan[scale])")
    from geoplan.metrics._dask import connect

    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(MetricError) as err:
        connect(address, timeout=2)
    message = str(err.value)
    assert "\n" not in message and address in message and "--scheduler" in message


def test_cli_engine_dask_with_unreachable_scheduler_exits_2(tmp_path):
    require(HAVE_DASK, "dask-geopandas and distributed are not installed (geoplan[scale])")
    from geoplan.cli import main

    export_parquet(load_sample(), tmp_path / "parts")
    address = f"tcp://127.0.0.1:{_free_port()}"
    args = [
        "metrics",
        "--engine",
        "dask",
        "--scheduler",
        address,
        "--layers",
        str(tmp_path / "parts"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.output
    assert "Traceback" not in result.output


def test_cli_layers_export_writes_partitions(tmp_path):
    from geoplan.cli import main

    out = tmp_path / "parts"
    result = CliRunner().invoke(main, ["layers", "export", "--parquet", str(out), "--rows", "2000"])
    assert result.exit_code == 0, result.output
    assert len(list((out / "farmhouses").glob("part.*.parquet"))) == 3  # 5 500 farmhouses
    back = gpd.read_parquet(out / "farmhouses")
    assert len(back) == 5500 and back["id"].is_unique


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)
    with pytest.raises(MissingDependencyError, match=r"geoplan\[scale\]"):
        scorecard(as_of="2023-12-31", engine="dask")
