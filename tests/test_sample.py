"""The bundled sample of 泉州台商投资区: extent, areas, consistency, records, reproducibility."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from click.testing import CliRunner

import geoplan
from geoplan.catalogue import KIND_NAMES, LAYER_KINDS
from geoplan.cli import main
from geoplan.datasets import SAMPLE_LAYERS, SAMPLE_RECORDS, data_path
from geoplan.settings import PLAN_START

REPO = Path(__file__).resolve().parents[1]
GEOD = pyproj.Geod(ellps="GRS80")  # the CGCS2000 ellipsoid


@pytest.fixture(scope="module")
def sample() -> dict[str, gpd.GeoDataFrame]:
    return geoplan.load_sample()


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return geoplan.load_sample_records()


def geodesic_km2(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.array([abs(GEOD.geometry_area_perimeter(g)[0]) / 1e6 for g in gdf.geometry])


def geodesic_km(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.array([GEOD.geometry_length(g) / 1000 for g in gdf.geometry])


@pytest.mark.slow  # reads and validates every sample layer
def test_all_kinds_present_clean_and_in_catalogue_order(sample) -> None:
    assert tuple(sample) == KIND_NAMES
    report = geoplan.check_layers(data_path(SAMPLE_LAYERS))
    assert report.ok and report.issues == [] and sum(report.repaired.values()) == 0
    n = {k: len(v) for k, v in sample.items()}
    assert 60 <= n["villages"] <= 100 and 20 <= n["water_sources"] <= 40
    assert 2000 <= n["farmhouses"] <= 9000 and n["greenways"] >= 20
    assert all(v > 0 for v in n.values())


def test_towns_tile_about_200_km2_inside_the_zone(sample) -> None:
    towns = sample["towns"].set_index("name")
    km2 = dict(zip(towns.index, geodesic_km2(towns), strict=True))
    assert km2["洛阳镇"] == pytest.approx(52, abs=1.5)
    assert km2["东园镇"] == pytest.approx(41, abs=1.5)
    assert sum(km2.values()) == pytest.approx(200, abs=5)
    assert min(km2.values()) > 20  # 张坂镇 and 百崎回族乡 are real towns too
    union = shapely.union_all(towns.geometry.to_numpy())
    assert abs(GEOD.geometry_area_perimeter(union)[0]) / 1e6 == pytest.approx(
        sum(km2.values()), abs=0.01
    )  # no overlaps
    west, south, east, north = towns.total_bounds
    assert west >= 118.64 and east <= 118.88 and south >= 24.85 and north <= 25.03


def test_districts_sit_in_their_towns(sample) -> None:
    d = sample["districts"].set_index("name")
    km2 = dict(zip(d.index, geodesic_km2(d), strict=True))
    assert km2["高铁片区"] == pytest.approx(6.5, abs=0.3)
    assert km2["湖东片区"] == pytest.approx(5.0, abs=0.3)
    towns = sample["towns"].set_index("id")
    for _, row in d.iterrows():
        assert towns.geometry[row["town_id"]].buffer(1e-6).contains(row.geometry)
    assert towns.loc[d.loc["高铁片区", "town_id"], "name"] == "东园镇"
    assert towns.loc[d.loc["湖东片区", "town_id"], "name"] == "百崎回族乡"


def test_villages_and_farmhouses_are_consistent(sample) -> None:
    villages, farms = sample["villages"], sample["farmhouses"]
    hit = gpd.sjoin(farms, villages[["id", "town_id", "geometry"]], predicate="within")
    assert len(hit) == len(farms)  # every farmhouse inside exactly one village
    assert (hit["village_id"] == hit["id_right"]).all()
    assert (hit["town_id_left"] == hit["town_id_right"]).all()
    counted = farms["village_id"].value_counts()
    assert villages.set_index("id")["farmhouse_count"].equals(
        counted.reindex(villages["id"]).fillna(0).astype("int64").rename("farmhouse_count")
    )
    assert "海尾小区" in set(sample["communities"]["name"])
    estates = sample["communities"]["built_year"].between(2000, 2010)
    assert estates.sum() >= 5


def test_targets_land_on_both_sides(sample) -> None:
    # task 9: at least 10 km of new greenway since 2021-05-24 by 2025
    g = sample["greenways"].assign(km=geodesic_km(sample["greenways"]))
    new = g["status"].eq("completed") & (g["completed_date"] >= pd.Timestamp(PLAN_START))
    by_2023 = g.loc[new & (g["completed_date"] <= "2023-12-31"), "km"].sum()
    by_2025 = g.loc[new & (g["completed_date"] <= "2025-12-31"), "km"].sum()
    assert by_2023 < 10 <= by_2025
    assert {"planned", "under_construction", "completed"} <= set(g["status"])
    # task 18: 200 renovations per town per year: some towns meet it, some do not
    f = sample["farmhouses"]
    done = f[f["renovation_status"].eq("completed")]
    per = done.groupby([done["town_id"], done["renovation_date"].dt.year]).size().unstack()
    assert (per[2023] >= 200).any() and (per[2023] < 200).any()
    assert per.columns.min() == 2021 and per.columns.max() == 2026
    # park size classes of the service-radius indicator
    area_m2 = geodesic_km2(sample["parks"]) * 1e6
    assert (area_m2 < 2000).any() and ((area_m2 >= 2000) & (area_m2 < 5000)).any()
    assert (area_m2 >= 5000).any()
    # water sources: both scales, some zones delineated, each delineated one has a zone
    w, z = sample["water_sources"], sample["protection_zones"]
    assert set(w["scale"]) == {"centralized", "dispersed"}
    assert 0 < w["zone_delineated"].sum() < len(w)
    level1 = set(z.loc[z["level"].eq("level1") & ~z["draft"], "source_id"])
    assert level1 == set(w.loc[w["zone_delineated"], "id"])
    assert z["source_id"].isin(w["id"]).all()


def test_every_mapped_task_has_features(sample) -> None:
    # the report warns about a mapped task no feature serves; the sample must not trigger it
    served = set()
    for layer in sample.values():
        for ids in layer["task_ids"].dropna():
            served.update(int(t) for t in ids.split(",") if t)
    targets = pd.read_csv(Path(geoplan.__file__).parent / "metrics" / "targets.csv", comment="#")
    on_layers = targets[~targets["metric"].str.startswith("ledger_")]  # the ledger needs none
    assert set(on_layers["task_id"]) <= served
    c = sample["communities"]
    # task 4 (物业管理覆盖率) counts every estate; task 5 the old and the 2000-2010 estates
    renewal = c["is_old_community"] | c["built_year"].between(2000, 2010)
    assert c["task_ids"].str.split(",").map(lambda ids: "4" in ids).all()
    assert (c["task_ids"].str.split(",").map(lambda ids: "5" in ids) == renewal).all()
    assert (renewal.sum(), len(c)) == (11, 17)


def test_records_mirror_the_dated_columns(sample, records) -> None:
    assert records.attrs["geoplan_encoding"] == "utf-8"
    farms = sample["farmhouses"]
    dated = farms[farms["renovation_date"].notna()]
    logged = records[records["layer"].eq("farmhouses")]
    assert len(logged) == len(dated)
    by_id = logged[logged["feature_id"].notna()]
    expected = dated.set_index("id")["renovation_date"]
    assert (by_id.set_index("feature_id")["date"] == expected.loc[by_id["feature_id"]]).all()
    joined = geoplan.join_records(logged, sample, max_distance=25)
    located = joined[joined["matched_by"].eq("nearest")]
    assert len(located) == 30 and located["distance_m"].max() < 15
    assert (located["date"].to_numpy() == expected.loc[located["feature_id"]].to_numpy()).all()
    g = sample["greenways"]
    km = records.loc[records["layer"].eq("greenways"), "quantity"].sum()
    assert km == pytest.approx(geodesic_km(g[g["completed_date"].notna()]).sum(), rel=1e-3)


@pytest.mark.slow  # regenerates the sample
def test_generator_is_deterministic(tmp_path, sample) -> None:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_sample_layers.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        env=env,
    )
    digest = [
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (tmp_path / SAMPLE_RECORDS, data_path(SAMPLE_RECORDS))
    ]
    assert digest[0] == digest[1]
    fresh = geoplan.read_layers(tmp_path / SAMPLE_LAYERS)
    for kind, gdf in sample.items():
        pd.testing.assert_frame_equal(pd.DataFrame(fresh[kind]), pd.DataFrame(gdf))
    assert (tmp_path / SAMPLE_LAYERS).stat().st_size < 20e6


@pytest.mark.slow  # copies the package and reads the whole sample in a fresh Python
def test_load_sample_from_the_wheel_layout(tmp_path) -> None:
    # a wheel carries layers/ as geoplan/_layers (pyproject force-include)
    shutil.copytree(
        REPO / "geoplan", tmp_path / "geoplan", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(REPO / "layers", tmp_path / "geoplan" / "_layers")
    code = (
        "import geoplan, geoplan.datasets as r; s = geoplan.load_sample(); "
        "print(r.data_dir(), len(s['farmhouses']), len(geoplan.load_sample_records()))"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    where, n_farms, n_records = out.stdout.split()
    assert where == str(tmp_path / "geoplan" / "_layers")
    assert int(n_farms) == len(geoplan.load_sample()["farmhouses"])
    assert int(n_records) == len(geoplan.load_sample_records())


def test_cli_checks_the_sample_by_default() -> None:
    result = CliRunner().invoke(main, ["layers", "check"])
    assert result.exit_code == 0, result.output
    assert "14 layers" in result.output and "0 errors" in result.output
    assert result.output.count("OK") == 2  # layers and records


def test_readme_documents_every_kind_and_column() -> None:
    readme = (REPO / "layers" / "README.md").read_text(encoding="utf-8")
    assert "NOT survey data" in readme
    for kind in LAYER_KINDS.values():
        assert f"### `{kind.name}` — {kind.label}" in readme
        for col in kind.columns[3:]:
            assert f"| `{col.name}` | {col.label} |" in readme, (kind.name, col.name)
            for value, label in col.values.items():
                assert f"`{value}` {label}" in readme
