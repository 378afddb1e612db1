"""The progress log: reading, validation against plan and layers, joins (geoplan.records)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import LineString, Point

import geoplan
from geoplan import RecordsError
from geoplan._errors import PlanWarning
from geoplan.datasets import SAMPLE_LAYERS, SAMPLE_PLAN, data_path
from geoplan.records import RECORD_COLUMNS

HEADER_ZH = "记录编号,任务编号,图层,要素编号,日期,状态,数量,单位,备注,经度,纬度\n"
ROWS_ZH = (
    "R1,9,福道,G1,2023年5月,已完成,1.25,km,滨海段建成,,\n"
    "R2,18,farmhouses,,2024/3/2,completed,1,栋,现场定位,118.75,24.95\n"
    "R3,17,villages,V1,20220315,计划,,,,,\n"
)
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def plan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        return geoplan.parse_plan(data_path(SAMPLE_PLAN))


def small_layers() -> dict[str, gpd.GeoDataFrame]:
    farm = gpd.GeoDataFrame(
        {"id": ["F1", "F2"], "name": ["甲", "乙"]},
        geometry=[Point(118.75, 24.95), Point(118.76, 24.95)],
        crs=4326,
    )
    greenways = gpd.GeoDataFrame(
        {"id": ["G1"], "name": ["福道"], "status": ["planned"]},
        geometry=[LineString(Point(118.70, 24.97).buffer(0.001).exterior.coords)],
        crs=4326,
    )
    villages = gpd.GeoDataFrame(
        {"id": ["V1"], "name": ["后厝村"]}, geometry=[Point(118.8, 25.0).buffer(0.01)], crs=4326
    )
    return geoplan.read_layers({"farmhouses": farm, "greenways": greenways, "villages": villages})


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")]
)
def test_chinese_headers_in_every_encoding_excel_writes(tmp_path, encoding, prefix) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(prefix + (HEADER_ZH + ROWS_ZH).encode(encoding))
    records = geoplan.read_records(path)
    assert tuple(records.columns) == RECORD_COLUMNS
    assert records["layer"].tolist() == ["greenways", "farmhouses", "villages"]
    assert records["task_id"].tolist() == [9, 18, 17]
    assert records["date"].tolist() == [
        pd.Timestamp(d) for d in ("2023-05-01", "2024-03-02", "2022-03-15")
    ]
    assert records["status"].tolist() == ["completed", "completed", "planned"]
    assert records["feature_id"].tolist() == ["G1", None, "V1"]
    assert records["note"].iloc[0] == "滨海段建成"
    assert records["quantity"].iloc[0] == 1.25 and np.isnan(records["quantity"].iloc[2])
    expected = {b"": encoding, b"\xef\xbb\xbf": "utf-8-sig"}[prefix]
    assert records.attrs["geoplan_encoding"] == expected


def test_orphans_are_reported_with_record_ids_and_valid_ranges(tmp_path, plan) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "record_id,task_id,layer,feature_id,date,status\n"
        "R1,9,greenways,G1,2023-05-01,completed\n"
        "R2,45,greenways,G1,2023-05-01,completed\n"
        "R3,18,farmhouses,F9,2023-05-01,completed\n"
        "R4,18,farmhouses,F8,2023-05-01,completed\n"
        "R5,31,projects,PR1,2023-05-01,completed\n",
        encoding="utf-8",
    )
    records = geoplan.read_records(path)
    report = geoplan.validate_records(records, plan=plan, layers=small_layers())
    assert not report.ok
    by_col = {i.column: i for i in report.errors}
    assert by_col["task_id"].feature_ids == ["R2"]
    assert "[45]" in by_col["task_id"].message and "tasks 1–32" in by_col["task_id"].message
    assert by_col["feature_id"].feature_ids == ["R3", "R4"]
    assert "['F8', 'F9']" in by_col["feature_id"].message
    assert "F1–F2" in by_col["feature_id"].message
    assert by_col["layer"].feature_ids == ["R5"] and "projects" in by_col["layer"].message
    with pytest.raises(RecordsError, match="R2"):
        report.raise_for_errors(RecordsError)
    assert len(records) == 5  # nothing dropped


def test_join_by_id_and_by_nearest_location(tmp_path) -> None:
    layers = small_layers()
    # 20 m north-east of F1 and 80 m east of F2, measured on the ellipsoid
    lon20, lat20, _ = GEOD.fwd(118.75, 24.95, 45, 20)
    lon80, lat80, _ = GEOD.fwd(118.76, 24.95, 90, 80)
    path = tmp_path / "log.csv"
    path.write_text(
        "record_id,task_id,layer,feature_id,date,status,lon,lat\n"
        "R1,18,farmhouses,F2,2023-05-01,completed,,\n"
        f"R2,18,farmhouses,,2023-06-01,completed,{lon20:.9f},{lat20:.9f}\n"
        f"R3,18,farmhouses,,2023-07-01,completed,{lon80:.9f},{lat80:.9f}\n"
        "R4,9,greenways,,2023-07-01,completed,,\n",
        encoding="utf-8",
    )
    records = geoplan.read_records(path)
    joined = geoplan.join_records(records, layers, max_distance=50)
    assert joined["matched_by"].tolist() == ["id", "nearest", None, None]
    assert joined["feature_id"].tolist() == ["F2", "F1", None, None]
    assert joined["distance_m"].iloc[1] == pytest.approx(20.0, abs=0.02)
    assert joined.geometry.iloc[1].equals(layers["farmhouses"].geometry.iloc[0])
    assert joined.geometry.iloc[2].distance(Point(lon80, lat80)) < 1e-9  # the logged point
    assert joined.geometry.iloc[3].is_empty
    wider = geoplan.join_records(records, layers, max_distance=100)
    assert wider["feature_id"].iloc[2] == "F2"
    assert wider["distance_m"].iloc[2] == pytest.approx(80.0, abs=0.05)
    assert len(joined) == len(records)


def test_records_without_feature_or_location_are_a_warning(tmp_path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("record_id,task_id,layer,date,status\nR1,9,greenways,2023-05,completed\n")
    report = geoplan.validate_records(geoplan.read_records(path))
    assert report.ok and report.warnings[0].feature_ids == ["R1"]


def test_sample_records_validate_against_plan_and_sample(plan) -> None:
    records = geoplan.load_sample_records()
    report = geoplan.validate_records(records, plan=plan, layers=geoplan.load_sample())
    assert report.ok, str(report)
    assert report.issues == []
    layered = records.loc[records["layer"].notna(), "task_id"]
    assert set(layered) == {5, 8, 9, 16, 17, 18, 20, 21, 22, 31}
    # the ledger rows measure what no layer holds: housing, output, reported shares
    assert set(records.loc[records["layer"].isna(), "task_id"]) == {
        4,
        7,
        9,
        10,
        12,
        13,
        14,
        19,
        23,
        25,
    }
    gpkg = geoplan.read_records(data_path(SAMPLE_LAYERS))
    assert gpkg.equals(records)


def test_task_ids_typed_with_full_width_digits_or_saved_as_floats(tmp_path) -> None:
    # a Chinese input method types ９ and １８; a spreadsheet column with a blank saves 9.0
    rows = (
        "R1,９,福道,G1,2023-05-01,已完成,,,,,\n"
        "R2,任务１８,farmhouses,F1,2023-05-02,completed,,,,,\n"
        "R3,17.0,villages,V1,2023-05-03,completed,,,,,\n"
        "R4,17.5,villages,V1,2023-05-04,completed,,,,,\n"
    )
    path = tmp_path / "log.csv"
    path.write_text(HEADER_ZH + rows, encoding="utf-8")
    with pytest.raises(RecordsError) as info:
        geoplan.read_records(path)
    # 17.5 is not a task number: named with its record; the others are read
    assert "task ids that are not numbers ['17.5'] in records R4" in str(info.value)
    path.write_text(HEADER_ZH + rows.rsplit("R4", 1)[0], encoding="utf-8")
    assert geoplan.read_records(path)["task_id"].tolist() == [9, 18, 17]
