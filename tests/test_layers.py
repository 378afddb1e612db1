"""The layer catalogue, validation and repair (geoplan.layers, geoplan._validate)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Point, Polygon

import geoplan
from geoplan.catalogue import LAYER_KINDS, REFERENCES, STATUS_LABELS, kind_for_name
from geoplan.cli import main
from geoplan.layers._values import parse_dates

# A spot in 东园镇 in CGCS2000 Gauss-Kruger zone 40 (EPSG:4549), metres.
X0, Y0 = 372_000.0, 2_763_000.0


def greenways(**overrides: object) -> gpd.GeoDataFrame:
    data = {
        "id": ["G1", "G2", "G3"],
        "name": ["福道1段", "福道2段", "福道3段"],
        "status": ["completed", "已完成", "在建"],
        "completed_date": ["2023-05-01", "2024年6月", None],
    }
    data.update(overrides)  # type: ignore[arg-type]
    lines = [LineString([(X0 + 1000 * i, Y0), (X0 + 1000 * i + 800, Y0 + 600)]) for i in range(3)]
    return gpd.GeoDataFrame(data, geometry=lines, crs="EPSG:4549")


def test_catalogue_matches_the_contract() -> None:
    assert list(LAYER_KINDS) == [
        "towns",
        "districts",
        "communities",
        "villages",
        "greenways",
        "water_sources",
        "protection_zones",
        "parks",
        "residential_land",
        "farmhouses",
        "heritage_sites",
        "sewage_lines",
        "sewage_facilities",
        "projects",
    ]
    for kind in LAYER_KINDS.values():
        names = [c.name for c in kind.columns]
        assert names[:3] == ["id", "name", "task_ids"], kind.name
        assert len(set(names)) == len(names)
    assert STATUS_LABELS == {"planned": "计划", "under_construction": "在建", "completed": "已完成"}
    assert LAYER_KINDS["water_sources"].column("scale").values == {
        "centralized": "千人以上集中式",
        "dispersed": "分散式",
    }
    assert LAYER_KINDS["protection_zones"].column("level").values["level1"] == "一级"
    assert REFERENCES[("farmhouses", "village_id")] == "villages"
    assert kind_for_name("福道") == "greenways"
    assert kind_for_name("Greenways") == "greenways"
    assert kind_for_name("roads") is None


def test_dates_in_the_written_forms_planners_use() -> None:
    raw = pd.Series(
        [
            "2023-05-01",
            "2023/5/1",
            "2023.5.1",
            "2023年5月1日",
            "20230501",
            "2023-05-01 08:30",
            "2023-05",
            "2023年5月",
            "45047",
            "2023年",
            None,
            " ",
            "2023-02-30",
            "soon",
        ]
    )
    dates, flags = parse_dates(raw)
    may1 = pd.Timestamp("2023-05-01")
    assert (dates[:9] == may1).all()  # 45047 is 2023-05-01 in Excel's 1900 system
    assert dates[9] == pd.Timestamp("2023-01-01")
    assert dates[10:].isna().all()
    assert flags["bad"].tolist() == [False] * 12 + [True, True]
    assert flags["month_only"].tolist()[6:8] == [True, True]
    assert flags["year_only"].sum() == 1 and flags["serial"].sum() == 1
    assert str(dates.dtype) == "datetime64[ms]"


def test_numeric_dates_and_datetime_columns() -> None:
    dates, flags = parse_dates(pd.Series([20230501.0, 45047, np.nan]))
    assert dates[:2].tolist() == [pd.Timestamp("2023-05-01")] * 2 and pd.isna(dates[2])
    already = pd.Series(pd.to_datetime(["2023-05-01 10:00", None]))
    dates, flags = parse_dates(already)
    assert dates[0] == pd.Timestamp("2023-05-01") and not flags["bad"].any()


def test_labels_and_synonyms_map_to_the_vocabulary_and_are_counted() -> None:
    report = geoplan.check_layers({"greenways": greenways()})
    assert report.ok
    layer = geoplan.read_layers({"greenways": greenways()})["greenways"]
    assert layer["status"].tolist() == ["completed", "completed", "under_construction"]
    assert layer["completed_date"].tolist()[:2] == [
        pd.Timestamp("2023-05-01"),
        pd.Timestamp("2024-06-01"),
    ]
    relabelled = [i for i in report.issues if i.column == "status" and i.level == "info"]
    assert relabelled[0].count == 2
    month = [i for i in report.issues if i.column == "completed_date"]
    assert month[0].feature_ids == ["G2"]


def test_layers_come_back_in_epsg4326_with_the_catalogue_columns_first() -> None:
    gdf = greenways().assign(surveyor="林工")
    layer = geoplan.read_layers({"福道": gdf})["greenways"]
    assert layer.crs.to_epsg() == 4326
    assert list(layer.columns) == [
        "id",
        "name",
        "task_ids",
        "town_id",
        "status",
        "completed_date",
        "surveyor",
        "geometry",
    ]
    to_wgs = pyproj.Transformer.from_crs(4549, 4326, always_xy=True)
    lon, lat = to_wgs.transform(X0, Y0)
    first = shapely.get_coordinates(layer.geometry.iloc[0])[0]
    assert first == pytest.approx([lon, lat], abs=1e-9)
    assert layer["task_ids"].tolist() == ["", "", ""]
    assert layer["town_id"].isna().all()


def test_chinese_headers_task_ids_and_booleans() -> None:
    villages = gpd.GeoDataFrame(
        {
            "编号": [1, 2],
            "名称": ["后厝村", "前埔村"],
            "任务编号": ["17，22", "17、18"],
            "绿盈乡村": ["是", "否"],
            "村庄规划批复日期": ["2022/3/15", ""],
            "农房数": ["120", "85"],
        },
        geometry=[Point(X0, Y0).buffer(300), Point(X0 + 900, Y0).buffer(300)],
        crs="EPSG:4549",
    )
    layer = geoplan.read_layers({"villages": villages})["villages"]
    assert layer["id"].tolist() == ["1", "2"]
    assert layer["task_ids"].tolist() == ["17,22", "17,18"]
    assert layer["green_village"].tolist() == [True, False]
    assert layer["demonstration"].tolist() == [False, False]  # optional column added
    assert layer["farmhouse_count"].tolist() == [120, 85]
    assert str(layer["farmhouse_count"].dtype) == "int64"
    assert layer["plan_approved_date"].iloc[0] == pd.Timestamp("2022-03-15")


def test_self_intersecting_polygon_is_repaired_and_counted() -> None:
    s = 200.0
    bowtie = Polygon([(X0, Y0), (X0 + s, Y0 + s), (X0 + s, Y0), (X0, Y0 + s)])
    square = Polygon([(X0 + 500, Y0), (X0 + 600, Y0), (X0 + 600, Y0 + 100), (X0 + 500, Y0 + 100)])
    parks = gpd.GeoDataFrame(
        {"id": ["P1", "P2"], "name": ["蝴蝶公园", "方公园"]},
        geometry=[bowtie, square],
        crs="EPSG:4549",
    )
    report = geoplan.check_layers({"parks": parks})
    assert report.ok and report.repaired == {"parks": 1}
    fixed = geoplan.read_layers({"parks": parks})["parks"]
    assert fixed.geom_type.tolist() == ["MultiPolygon", "Polygon"]
    # two triangles of base 200 m and height 100 m each: 2 × 10 000 m²
    area = fixed.to_crs(4549).area
    assert area.iloc[0] == pytest.approx(20_000.0, abs=0.5)
    assert area.iloc[1] == pytest.approx(10_000.0, abs=0.5)
    warning = next(i for i in report.issues if i.level == "warning")
    assert warning.feature_ids == ["P1"] and "make_valid" in warning.message


def test_collections_and_footprints_are_reduced_with_a_count() -> None:
    poly = Point(X0, Y0).buffer(50)
    coll = shapely.GeometryCollection([poly, LineString([(X0, Y0), (X0 + 500, Y0)])])
    parks = gpd.GeoDataFrame({"id": ["P1"], "name": ["园"]}, geometry=[coll], crs="EPSG:4549")
    report = geoplan.check_layers({"parks": parks})
    assert report.repaired == {"parks": 1}
    footprint = Point(X0, Y0).buffer(8)
    plant = gpd.GeoDataFrame(
        {"id": ["S1"], "name": ["污水厂"], "facility_type": ["plant"]},
        geometry=[footprint],
        crs=4549,
    )
    layer = geoplan.read_layers({"sewage_facilities": plant})["sewage_facilities"]
    assert layer.geom_type.tolist() == ["Point"]
    assert layer.to_crs(4549).geometry.iloc[0].within(footprint.buffer(0.01))
    # farmhouses (a kind with footprints) keep the footprint as drawn
    farm = gpd.GeoDataFrame({"id": ["F1"], "name": ["农房"]}, geometry=[footprint], crs=4549)
    kept = geoplan.read_layers({"farmhouses": farm})["farmhouses"]
    assert kept.geom_type.tolist() == ["Polygon"]
    assert kept.to_crs(4549).area.iloc[0] == pytest.approx(footprint.area, rel=1e-6)


def test_reference_ids_are_checked_across_layers() -> None:
    towns = gpd.GeoDataFrame(
        {"id": ["T01"], "name": ["洛阳镇"]}, geometry=[Point(X0, Y0).buffer(5000)], crs=4549
    )
    report = geoplan.check_layers(
        {"towns": towns, "greenways": greenways(town_id=["T01", "T09", None])}
    )
    ref = [i for i in report.issues if i.column == "town_id"]
    assert report.ok and ref[0].level == "warning" and ref[0].feature_ids == ["G2"]
    assert "T09" in ref[0].message


def test_folder_of_files_and_unknown_names(tmp_path) -> None:
    greenways().to_file(tmp_path / "greenways.geojson", driver="GeoJSON")
    greenways().to_file(tmp_path / "roads.gpkg", driver="GPKG")
    report = geoplan.check_layers(tmp_path)
    assert report.features == {"greenways": 3}
    info = [i for i in report.issues if i.level == "info" and "roads" in i.message]
    assert len(info) == 1


def test_report_text_and_frame() -> None:
    bad = greenways(status=["completed", "done?", "planned"])
    report = geoplan.check_layers({"greenways": bad})
    assert not report.ok
    frame = report.to_frame()
    assert list(frame.columns) == [
        "level",
        "layer",
        "column",
        "count",
        "message",
        "fix",
        "feature_ids",
    ]
    err = frame[frame["level"] == "error"].iloc[0]
    assert err["column"] == "status" and err["feature_ids"] == ["G2"]
    text = str(report)
    assert "ERROR   greenways.status" in text and "FAILED" in text
    assert "under_construction (在建)" in text


def test_cli_check_exit_status(tmp_path) -> None:
    good, bad = tmp_path / "good.gpkg", tmp_path / "bad.gpkg"
    greenways().to_file(good, layer="greenways")
    greenways(id=["G1", "G1", "G3"]).to_file(bad, layer="greenways")
    runner = CliRunner()
    ok = runner.invoke(main, ["layers", "check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "1 layer, 3 features, 0 errors" in ok.output
    failed = runner.invoke(main, ["layers", "check", str(bad)])
    assert failed.exit_code == 1
    assert "duplicated ids" in failed.output and "G1" in failed.output
    listing = runner.invoke(main, ["layers", "list", "--kind", "water_sources"])
    assert "千人以上集中式" in listing.output


def test_contradicting_status_flags_and_dates_are_warnings() -> None:
    lines = greenways(
        status=["completed", "planned", "completed"],
        completed_date=["2023-05-01", "2024-01-01", None],
    )
    facilities = gpd.GeoDataFrame(
        {
            "id": ["SF1", "SF2"],
            "name": ["甲", "乙"],
            "facility_type": ["村级处理设施"] * 2,
            "packaged": [True, False],
            "packaged_date": ["2024-03-01", "2024-05-01"],
        },
        geometry=[Point(X0, Y0), Point(X0 + 50, Y0)],
        crs="EPSG:4549",
    )
    report = geoplan.check_layers({"greenways": lines, "sewage_facilities": facilities})
    assert report.ok
    found = {(i.column, tuple(i.feature_ids)) for i in report.warnings}
    assert found == {("status", ("G3",)), ("status", ("G2",)), ("packaged", ("SF2",))}
    layer = geoplan.read_layers({"sewage_facilities": facilities})["sewage_facilities"]
    assert layer["packaged"].tolist() == [True, False]  # reported, not changed


def test_files_without_crs_take_the_crs_given(tmp_path) -> None:
    # a shapefile in zone-prefixed Gauss-Kruger (EPSG:4528) that lost its .prj
    prefixed = greenways().to_crs(4528)
    with warnings.catch_warnings():  # GDAL warns that it cuts completed_date to completed_
        warnings.simplefilter("ignore")
        prefixed.to_file(tmp_path / "greenways.shp", encoding="utf-8")
    (tmp_path / "greenways.prj").unlink()
    with pytest.raises(geoplan.CRSError, match="EPSG:4528"):
        geoplan.read_layers(tmp_path)
    layer = geoplan.read_layers(tmp_path, crs="EPSG:4528")["greenways"]
    lon, lat = pyproj.Transformer.from_crs(4549, 4326, always_xy=True).transform(X0, Y0)
    assert shapely.get_coordinates(layer.geometry.iloc[0])[0] == pytest.approx([lon, lat], abs=1e-8)
    assert layer["name"].tolist() == ["福道1段", "福道2段", "福道3段"]
    assert layer["completed_date"].iloc[0] == pd.Timestamp("2023-05-01")
    result = CliRunner().invoke(main, ["layers", "check", str(tmp_path), "--crs", "EPSG:4528"])
    assert result.exit_code == 0, result.output


def test_database_url_reads_through_the_store(tmp_path) -> None:
    from geoplan.store import load_layers

    sample = geoplan.load_sample()
    subset = {k: sample[k] for k in ("towns", "greenways")}
    url = f"gpkg:///{tmp_path / 'plan.gpkg'}"
    load_layers(subset, url=url)  # the GeoPackage store needs no system package
    back = geoplan.read_layers(url)
    assert list(back) == ["towns", "greenways"]
    for kind, gdf in subset.items():
        got = back[kind].sort_values("id").reset_index(drop=True)
        want = gdf.sort_values("id").reset_index(drop=True)
        pd.testing.assert_frame_equal(got.drop(columns="geometry"), want.drop(columns="geometry"))
        # the store declares polygon and line layers multi-part and promotes single parts
        from geoplan.store._load import promote

        family = LAYER_KINDS[kind].geometry
        wanted = promote(np.asarray(want.geometry.array, dtype=object), family)
        got_geoms = np.asarray(got.geometry.array, dtype=object)
        assert shapely.equals_exact(got_geoms, wanted, tolerance=1e-9).all()


def test_task_ids_typed_with_full_width_digits_are_ascii() -> None:
    # a Chinese input method types １７，１８: the report and maps match task ids as text
    villages = gpd.GeoDataFrame(
        {"id": ["V1", "V2"], "name": ["后厝村", "前埔村"], "task_ids": ["１７，１８", "２２"]},
        geometry=[Point(X0, Y0).buffer(300), Point(X0 + 900, Y0).buffer(300)],
        crs="EPSG:4549",
    )
    layer = geoplan.read_layers({"villages": villages})["villages"]
    assert layer["task_ids"].tolist() == ["17,18", "22"]


def test_task_ids_outside_the_plan_are_warnings() -> None:
    plan = type("P", (), {"tasks": [type("T", (), {"id": i})() for i in range(1, 33)]})()
    lines = greenways(task_ids=["9", "9,33", "40，9"])
    report = geoplan.check_layers({"greenways": lines}, plan=plan)
    found = [i for i in report.warnings if i.column == "task_ids"]
    assert report.ok and found[0].feature_ids == ["G2", "G3"]
    assert "[33, 40]" in found[0].message and "tasks 1–32" in found[0].message
