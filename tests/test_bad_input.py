"""A corpus of malformed layers and progress logs, each written here in tmp_path.

Every case asserts the exception class, that the message names the input (file, layer,
column or feature id) and the fix, and that nothing changed silently (repairs counted,
nothing dropped).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

import geoplan
from geoplan import CRSError, DataReadError, RecordsError, SchemaError

X0, Y0 = 372_000.0, 2_763_000.0  # metres in EPSG:4549, inside 东园镇


def square(dx: float = 0.0, size: float = 100.0) -> Polygon:
    x = X0 + dx
    return Polygon([(x, Y0), (x + size, Y0), (x + size, Y0 + size), (x, Y0 + size)])


def parks(geoms: list, ids: list[str] | None = None, **cols: list) -> gpd.GeoDataFrame:
    ids = ids or [f"P{i + 1}" for i in range(len(geoms))]
    data = {"id": ids, "name": [f"公园{i}" for i in ids], **cols}
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4549")


def gpkg(tmp_path: Path, **layers: gpd.GeoDataFrame) -> Path:
    path = tmp_path / "bad.gpkg"
    for kind, gdf in layers.items():
        gdf.to_file(path, layer=kind, driver="GPKG")
    return path


def sources() -> dict[str, gpd.GeoDataFrame]:
    """Water sources with every column right, for cases that break one thing."""
    return gpd.GeoDataFrame(
        {
            "id": ["W1", "W2"],
            "name": ["后厝水库", "前埔井"],
            "source_type": ["reservoir", "groundwater"],
            "scale": ["千人以上集中式", "分散式"],
            "zone_date": ["2022-03-01", ""],
        },
        geometry=[Point(X0, Y0), Point(X0 + 500, Y0)],
        crs="EPSG:4549",
    )


def raises(exc: type[Exception], source: object, *needles: str, **kw: object) -> str:
    with pytest.raises(exc) as info:
        geoplan.read_layers(source, **kw)  # type: ignore[arg-type]
    text = str(info.value)
    for needle in needles:
        assert needle in text, f"{needle!r} not in: {text}"
    return text


def csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "records.csv"
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------ geometry


def test_01_self_intersecting_polygon_is_repaired_and_counted(tmp_path, caplog) -> None:
    bowtie = Polygon([(X0, Y0), (X0 + 200, Y0 + 200), (X0 + 200, Y0), (X0, Y0 + 200)])
    path = gpkg(tmp_path, parks=parks([bowtie, square(500)]))
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        layer = geoplan.read_layers(path)["parks"]
    assert "1 invalid polygons" in caplog.text and "P1" in caplog.text
    assert geoplan.check_layers(path).repaired == {"parks": 1}
    assert len(layer) == 2 and layer.is_valid.all()
    assert layer.to_crs(4549).area.round(1).tolist() == [20_000.0, 10_000.0]


def test_02_unclosed_ring(tmp_path) -> None:
    ring = [[118.70, 24.90], [118.71, 24.90], [118.71, 24.91], [118.70, 24.91]]  # not closed
    feature = {
        "type": "Feature",
        "properties": {"id": "P1", "name": "开口公园"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = tmp_path / "parks.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    raises(DataReadError, path, "parks.geojson", "ring", "close the ring")


def test_03_empty_geometry(tmp_path) -> None:
    path = gpkg(tmp_path, parks=parks([square(), Polygon()]))
    raises(SchemaError, path, "parks.geometry", "empty geometry", "P2", "draw the features")


def test_04_null_geometry() -> None:
    raises(SchemaError, {"parks": parks([square(), None])}, "null geometry", "P2", "fix:")


def test_05_mixed_geometry_types(tmp_path) -> None:
    path = gpkg(tmp_path, parks=parks([square(), Point(X0, Y0).buffer(30).exterior]))
    text = raises(SchemaError, path, "mixed geometry types", "LineString", "P2")
    assert "in their own layer" in text


def test_06_degenerate_polygon_has_no_area_left() -> None:
    flat = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 200, Y0)])  # zero area
    raises(SchemaError, {"parks": parks([square(), flat])}, "no area left", "P2", "redraw")


# ------------------------------------------------------------------ ids and columns


def test_07_duplicate_ids(tmp_path) -> None:
    path = gpkg(tmp_path, parks=parks([square(), square(300), square(600)], ["P1", "P1", "P3"]))
    raises(SchemaError, path, "bad.gpkg", "parks.id", "duplicated", "P1", "unique")


def test_08_missing_ids() -> None:
    raises(
        SchemaError,
        {"parks": parks([square(), square(300)], ["P1", " "])},
        "no id",
        "row 1",
        "give every feature",
    )


def test_09_missing_required_column(tmp_path) -> None:
    lines = gpd.GeoDataFrame(
        {"id": ["G1"], "name": ["福道"]},
        geometry=[LineString([(X0, Y0), (X0 + 900, Y0)])],
        crs=4549,
    )
    path = gpkg(tmp_path, greenways=lines)
    text = raises(SchemaError, path, "greenways.status", "'status' (状态)", "bad.gpkg")
    assert "expects: id, name, task_ids, town_id, status, completed_date" in text


def test_10_missing_layer(tmp_path) -> None:
    path = gpkg(tmp_path, parks=parks([square()]))
    raises(
        SchemaError,
        path,
        "'greenways' (福道（绿道）) is missing",
        "found: parks",
        "add a layer named 'greenways'",
        kinds=["greenways", "parks"],
    )


def test_11_no_layer_named_by_kind(tmp_path) -> None:
    path = gpkg(tmp_path, 图层1=parks([square()]))
    raises(SchemaError, path, "holds no layer named by a kind", "name layers")


def test_12_unknown_enum_value() -> None:
    bad = sources().assign(scale=["千人以上集中式", "大型集中"])
    raises(
        SchemaError,
        {"water_sources": bad},
        "water_sources.scale",
        "'大型集中'",
        "W2",
        "centralized (千人以上集中式), dispersed (分散式)",
    )


def test_13_unknown_status() -> None:
    lines = gpd.GeoDataFrame(
        {"id": ["G1"], "name": ["福道"], "status": ["快完了"]},
        geometry=[LineString([(X0, Y0), (X0 + 900, Y0)])],
        crs=4549,
    )
    raises(SchemaError, {"greenways": lines}, "greenways.status", "快完了", "已完成")


def test_14_unparseable_date() -> None:
    bad = sources().assign(zone_date=["2022-13-45", "去年"])
    text = raises(
        SchemaError,
        {"water_sources": bad},
        "water_sources.zone_date",
        "2022-13-45",
        "W1",
        "2023-05-01",
    )
    assert "去年" in text and "W2" in text


def test_15_integer_column_with_words() -> None:
    villages = gpd.GeoDataFrame(
        {"id": ["V1"], "name": ["后厝村"], "farmhouse_count": ["很多"]},
        geometry=[square(size=500)],
        crs=4549,
    )
    raises(
        SchemaError, {"villages": villages}, "villages.farmhouse_count", "很多", "V1", "as a number"
    )


def test_16_yes_no_column_with_other_words() -> None:
    bad = sources().assign(zone_delineated=["是", "大概"])
    raises(SchemaError, {"water_sources": bad}, "zone_delineated", "大概", "W2", "是/否")


def test_17_task_ids_that_are_not_numbers() -> None:
    bad = parks([square()], task_ids=["第九项"])
    raises(SchemaError, {"parks": bad}, "parks.task_ids", "第九项", 'e.g. "17,18"')


def test_18_two_files_for_one_kind(tmp_path) -> None:
    parks([square()]).to_file(tmp_path / "parks.geojson")
    parks([square()]).to_file(tmp_path / "公园.gpkg")
    raises(
        SchemaError, tmp_path, "'parks.geojson' and '公园.gpkg' hold the parks layer", "keep one"
    )


def test_19_attribute_table_named_as_a_kind(tmp_path) -> None:
    path = tmp_path / "bad.gpkg"
    pd.DataFrame({"id": ["V1"], "name": ["后厝村"]}).pipe(
        lambda df: __import__("pyogrio").write_dataframe(df, path, layer="villages")
    )
    raises(SchemaError, path, "'villages' has no geometry column", "Polygon")


def test_20_all_errors_are_listed_at_once() -> None:
    bad = sources().assign(scale=["大型", "分散式"], zone_date=["2022-03-01", "昨天"])
    text = raises(SchemaError, {"water_sources": bad}, "2 error(s)")
    assert "water_sources.scale" in text and "water_sources.zone_date" in text


# ------------------------------------------------------------------ files and CRS


def test_21_no_crs(tmp_path) -> None:
    with pytest.warns(UserWarning, match="crs"):  # geopandas warns when writing no CRS
        path = gpkg(tmp_path, parks=parks([square()]).set_crs(None, allow_override=True))
    raises(CRSError, path, "parks", "has no CRS", "crs=", "EPSG:4549")


def test_22_metres_declared_as_degrees() -> None:
    wrong = parks([square()]).set_crs(4326, allow_override=True)
    raises(CRSError, {"parks": wrong}, "parks", "EPSG:4326", "4549")


def test_23_truncated_geojson(tmp_path) -> None:
    path = tmp_path / "greenways.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat')
    raises(DataReadError, path, "greenways.geojson", "truncated")


def test_24_corrupt_geopackage(tmp_path) -> None:
    path = tmp_path / "layers.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 2048)
    raises(DataReadError, path, "layers.gpkg", "export it again")


def test_25_missing_source(tmp_path) -> None:
    raises(DataReadError, tmp_path / "nowhere.gpkg", "nowhere.gpkg", "does not exist")


# ------------------------------------------------------------------ records

HEADER = "record_id,task_id,layer,feature_id,date,status,quantity\n"


def test_26_records_unknown_task_and_feature(tmp_path) -> None:
    path = csv(
        tmp_path,
        HEADER + "R1,9,parks,P1,2023-05-01,completed,1\n"
        "R2,99,parks,P1,2023-05-01,completed,1\nR3,9,parks,P7,2023-06-01,completed,1\n",
    )
    records = geoplan.read_records(path)
    plan = type("P", (), {"tasks": [type("T", (), {"id": i})() for i in range(1, 33)]})()
    layers = geoplan.read_layers({"parks": parks([square(), square(300)])})
    report = geoplan.validate_records(records, plan=plan, layers=layers)
    with pytest.raises(RecordsError) as info:
        report.raise_for_errors(RecordsError)
    text = str(info.value)
    for needle in (
        "records.csv",
        "[99]",
        "tasks 1–32",
        "R2",
        "['P7']",
        "P1–P2",
        "R3",
        "correct 要素编号",
    ):
        assert needle in text
    assert len(records) == 3


def test_27_records_unknown_layer_kind(tmp_path) -> None:
    path = csv(tmp_path, HEADER + "R1,9,roads,X1,2023-05-01,completed,1\n")
    with pytest.raises(RecordsError, match=r"(?s)records\.csv.*layer.*roads.*R1.*greenways"):
        geoplan.read_records(path)


def test_28_records_gbk_is_read_not_garbled(tmp_path) -> None:
    text = (
        "记录编号,任务编号,图层,要素编号,日期,状态,数量,单位,备注\n"
        "R1,18,农房,F1,2023年5月,已完成,1,栋,东园镇示范\n"
    )
    records = geoplan.read_records(csv(tmp_path, text, "gbk"))
    assert records.attrs["geoplan_encoding"] == "gb18030"
    assert records[["layer", "note", "unit"]].iloc[0].tolist() == ["farmhouses", "东园镇示范", "栋"]
    assert records["date"].iloc[0] == pd.Timestamp("2023-05-01")


def test_29_records_empty_file(tmp_path) -> None:
    with pytest.raises(DataReadError, match=r"records\.csv` is empty.*header row"):
        geoplan.read_records(csv(tmp_path, "\n \n"))


def test_30_records_utf16_from_excel(tmp_path) -> None:
    with pytest.raises(DataReadError, match=r"records\.csv.*UTF-16.*CSV UTF-8"):
        geoplan.read_records(
            csv(tmp_path, HEADER + "R1,9,parks,P1,2023-05-01,completed,1\n", "utf-16")
        )


def test_31_records_missing_column(tmp_path) -> None:
    path = csv(tmp_path, "record_id,layer,date,status\nR1,parks,2023-05-01,completed\n")
    with pytest.raises(RecordsError, match=r"records\.csv.*\['task_id'\].*任务编号"):
        geoplan.read_records(path)


def test_32_records_bad_cells_all_listed(tmp_path) -> None:
    path = csv(
        tmp_path,
        HEADER + "R1,9,parks,P1,2023-02-30,完工?,一个\nR1,九,parks,P2,2023-05-01,completed,1\n",
    )
    with pytest.raises(RecordsError) as info:
        geoplan.read_records(path)
    text = str(info.value)
    assert "5 problem(s)" in text
    for needle in ("duplicated record ids", "task_id", "'九'", "2023-02-30", "完工?", "'一个'"):
        assert needle in text


def test_33_records_coordinates_in_metres(tmp_path) -> None:
    path = csv(
        tmp_path,
        "record_id,task_id,layer,date,status,lon,lat\n"
        f"R1,18,farmhouses,2023-05-01,completed,{X0},{Y0}\n",
    )
    with pytest.raises(RecordsError, match=r"(?s)lon.*outside China.*R1.*not metres"):
        geoplan.read_records(path)


def test_34_zero_length_line_is_reported_not_dropped() -> None:
    dot = LineString([(X0, Y0), (X0, Y0)])
    lines = gpd.GeoDataFrame(
        {"id": ["G1", "G2"], "name": ["福道", "点"], "status": ["completed", "planned"]},
        geometry=[LineString([(X0, Y0), (X0 + 900, Y0)]), dot],
        crs=4549,
    )
    report = geoplan.check_layers({"greenways": lines})
    flat = [i for i in report.warnings if "zero length" in i.message]
    assert report.ok and flat[0].feature_ids == ["G2"] and "redraw" in flat[0].fix
    assert len(geoplan.read_layers({"greenways": lines})["greenways"]) == 2


def test_35_check_reports_a_layer_without_crs_and_goes_on(tmp_path) -> None:
    no_crs = parks([square()]).set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="crs"):  # geopandas warns when writing no CRS
        path = gpkg(tmp_path, parks=no_crs, 草稿=no_crs)
    sources().to_file(path, layer="water_sources")
    report = geoplan.check_layers(path)
    assert report.features == {"water_sources": 2}  # the good layer is checked
    err = report.errors[0]
    assert err.layer == "parks" and "has no CRS" in err.message and "EPSG:4549" in err.message
    info = [i for i in report.issues if i.level == "info" and "草稿" in i.message]
    assert len(info) == 1  # an unknown layer is not read, so its missing CRS does not matter
