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
import numpy as np
import pandas as pd
import pytest
import shapely
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


# ------------------------------------------------------------------ issue 18


def greenways(stray_dx: float = 0.0) -> gpd.GeoDataFrame:
    """Three completed 1 km greenways near 东园镇, and one planned one ``stray_dx`` east."""
    lines = [LineString([(X0, Y0 + 300 * i), (X0 + 1000, Y0 + 300 * i)]) for i in range(3)]
    lines.append(LineString([(X0 + stray_dx, Y0), (X0 + stray_dx + 500, Y0)]))
    return gpd.GeoDataFrame(
        {
            "id": ["G1", "G2", "G3", "G9"],
            "name": ["福道"] * 4,
            "status": ["completed"] * 3 + ["planned"],
            "completed_date": ["2023-05-01"] * 3 + [None],
        },
        geometry=lines,
        crs=4549,
    )


def test_36_one_stray_feature_does_not_move_the_metric_crs() -> None:
    from pyproj import Geod

    from geoplan.crs import metric_crs

    far = geoplan.read_layers({"greenways": greenways(800_000.0)})["greenways"]
    near = geoplan.read_layers({"greenways": greenways()})["greenways"]
    # the centre of the total bounds is ~122.9°E (zone 123°E, EPSG:4550); the bulk is at 118.8°E
    assert (far.total_bounds[0] + far.total_bounds[2]) / 2 > 121.5
    assert metric_crs(far).to_epsg() == metric_crs(near).to_epsg() == 4549
    km = [
        geoplan.compute_metric("greenway_completed_km", {"greenways": g}, as_of="2024-01-01")
        for g in (far, near)
    ]
    zone = [float(k.loc[k["scope_type"].eq("zone"), "value"].iloc[0]) for k in km]
    assert zone[0] == zone[1]
    geod = Geod(ellps="GRS80")
    truth = sum(geod.geometry_length(g) for g in near.geometry[:3]) / 1000
    assert zone[1] == pytest.approx(truth, rel=1e-3)


def test_37_stray_feature_is_a_warning_naming_it() -> None:
    report = geoplan.check_layers({"greenways": greenways(800_000.0)})
    far = [i for i in report.warnings if "far from the rest" in i.message]
    assert report.ok and far[0].feature_ids == ["G9"]


def test_38_nan_vertex_is_an_error_and_refused_before_a_metric() -> None:
    from geoplan.crs import metric_crs

    gw = greenways()
    line = LineString([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 900, Y0)])
    gw.loc[1, "geometry"] = shapely.set_coordinates(line, [[X0, Y0], [np.nan, Y0], [X0 + 9, Y0]])
    report = geoplan.check_layers({"greenways": gw})
    assert [i.feature_ids for i in report.errors] == [["G2"]]
    assert "not numbers" in report.errors[0].message
    with pytest.raises(SchemaError, match=r"greenways.*G2.*layers check"):
        metric_crs(gw, name="greenways")
    with pytest.raises(SchemaError, match="G2"):
        geoplan.compute_metric("greenway_completed_km", {"greenways": gw}, as_of="2024-01-01")
    # the second layer of a metric is checked too, not only the one the CRS comes from
    land = gpd.GeoDataFrame(
        {"id": ["R1", "R2"], "name": ["甲", "乙"]},
        geometry=[square(), shapely.set_coordinates(square(300), np.full((5, 2), np.inf))],
        crs=4549,
    )
    layers = {"greenways": greenways(), "residential_land": land}
    with pytest.raises(SchemaError, match=r"residential_land.*R2"):
        geoplan.compute_metric("greenway_service_coverage", layers, as_of="2024-01-01")


def test_39_nan_polygon_is_not_silently_repaired() -> None:
    bad = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, float("inf")), (X0, Y0 + 100)])
    report = geoplan.check_layers({"parks": parks([square(), bad])})
    assert report.repaired == {"parks": 0}
    assert [i.feature_ids for i in report.errors] == [["P2"]]


def test_40_features_outside_china_and_huge_ones() -> None:
    towns = gpd.GeoDataFrame(
        {"id": ["T1", "T2", "T3"], "name": ["洛阳镇", "世界", "大镇"]},
        geometry=[
            Polygon([(118.7, 24.9), (118.8, 24.9), (118.8, 25.0)]),
            Polygon([(-179, -80), (179, -80), (179, 80), (-179, 80)]),
            Polygon([(110, 24), (118, 24), (118, 26), (110, 26)]),  # ~800 km wide
        ],
        crs=4326,
    )
    report = geoplan.check_layers({"towns": towns})
    assert [i.feature_ids for i in report.errors] == [["T2"]]
    assert "outside China" in report.errors[0].message
    huge = [i for i in report.warnings if "implausibly large" in i.message]
    assert huge[0].feature_ids == ["T3"]


def test_41_negative_numbers_are_errors() -> None:
    towns = gpd.GeoDataFrame(
        {"id": ["T1", "T2"], "name": ["洛阳镇", "东园镇"], "population": [0, -5]},
        geometry=[square(), square(500)],
        crs=4549,
    )
    report = geoplan.check_layers({"towns": towns})
    assert [(i.column, i.feature_ids) for i in report.errors] == [("population", ["T2"])]


def test_42_cpg_latin1_on_gbk_is_read_as_gbk(tmp_path, caplog) -> None:
    names = ["洛阳镇", "东园镇", "百崎回族乡"]
    gdf = gpd.GeoDataFrame(
        {"id": ["T1", "T2", "T3"], "name": names},
        geometry=[square(i * 300) for i in range(3)],
        crs=4549,
    )
    gdf.to_file(tmp_path / "towns.shp", encoding="gbk")
    (tmp_path / "towns.cpg").write_text("ISO-8859-1")
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        read = geoplan.read_file(tmp_path / "towns.shp")
    assert read["name"].tolist() == names and read.attrs["geoplan_encoding"] == "gbk"
    assert "the .cpg says latin-1" in caplog.text
    # a real Latin-1 file with its .cpg stays Latin-1, without a warning
    latin = gdf.assign(name=["Café", "Straße", "Niño"])
    latin.to_file(tmp_path / "latin.shp", encoding="ISO-8859-1")
    (tmp_path / "latin.cpg").write_text("ISO-8859-1")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        read = geoplan.read_file(tmp_path / "latin.shp")
    assert read["name"].tolist() == ["Café", "Straße", "Niño"] and caplog.text == ""


def test_43_read_only_output_is_kept_unless_forced(tmp_path) -> None:
    from geoplan._common.atomic import allow_overwrite, write_text
    from geoplan._errors import OutputError

    target = tmp_path / "card.csv"
    target.write_text("keep")
    target.chmod(0o444)
    with pytest.raises(OutputError, match=r"read-only \(mode 0444\).*--force"):
        write_text(target, "new")
    assert target.read_text() == "keep"
    with allow_overwrite():
        write_text(target, "new")
    assert target.read_text() == "new"
    with pytest.raises(OutputError, match="over the 255-byte limit"):
        write_text(tmp_path / ("进" * 90 + ".csv"), "x")


def test_44_png_sizes(tmp_path) -> None:
    from geoplan._errors import MapError
    from geoplan.maps._browser import check_png_size

    assert check_png_size(1600, 1000) == (1600, 1000)
    for size in ((0, 0), (-5, 10), (100_000, 100_000), (15_000, 15_000), (1.5, 10), (True, 10)):
        with pytest.raises(MapError, match="PNG size"):
            check_png_size(*size)


def test_45_records_with_status_twice(tmp_path, caplog) -> None:
    head = "record_id,task_id,layer,feature_id,date,status,状态\n"
    same = csv(tmp_path, head + "R1,9,greenways,G1,2023-05-01,completed,已完成\n")
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        assert geoplan.read_records(same)["status"].tolist() == ["completed"]
    assert "the same status twice" in caplog.text
    differ = csv(tmp_path, head + "R1,9,greenways,G1,2023-05-01,completed,计划\n")
    with pytest.raises(RecordsError, match=r"'status' and '状态'.*lines 2"):
        geoplan.read_records(differ)
