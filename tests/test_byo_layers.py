"""Bring your own layers: KML/KMZ, DXF, File Geodatabase, CSV/xlsx tables, column mappings.

Every fixture is written here, in tmp_path, the way the planners' tools write them: KML
with folders and ExtendedData as 奥维互动地图 and Google Earth export it, DXF from CAD with
closed polylines per CAD layer, File Geodatabases with GDAL's OpenFileGDB writer, tables
with 经度/纬度 or surveyors' X/Y. Expected positions come from pyproj and from the public
GCJ-02 formula written out below, not from geoplan.
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from _services import require_spatialite
from click.testing import CliRunner

import geoplan
from geoplan import CRSError, DataReadError, SchemaError
from geoplan.cli import main
from geoplan.io import read_file
from geoplan.layers._mapping import read_column_mapping

GEOD = pyproj.Geod(ellps="WGS84")
TO_LONLAT_4549 = pyproj.Transformer.from_crs(4549, 4326, always_xy=True)
TO_LONLAT_4528 = pyproj.Transformer.from_crs(4528, 4326, always_xy=True)


def gcj_forward(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 -> GCJ-02, the public formula (wandergis/coordTransform_py, eviltransform)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * pi) + 320 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1 - ee * math.sin(radlat) ** 2
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * pi)
    dlon = (dlon * 180.0) / (a / math.sqrt(magic) * math.cos(radlat) * pi)
    return lon + dlon, lat + dlat


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


# ------------------------------------------------------------------------------ KML/KMZ

GCJ_LINE = [(118.7100, 24.9100), (118.7200, 24.9150), (118.7300, 24.9160)]
GCJ_TOWN = [(118.70, 24.90), (118.74, 24.90), (118.74, 24.93), (118.70, 24.93), (118.70, 24.90)]


def _coords(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y},0" for x, y in points)


def write_kml(path: Path) -> Path:
    """An 奥维互动地图 style export: a style, two folders, ExtendedData in Chinese."""
    placemarks = "".join(
        f"""<Placemark><name>{name}</name><styleUrl>#line</styleUrl>
        <ExtendedData><Data name="状态"><value>{status}</value></Data>
        <Data name="完成时间"><value>{date}</value></Data>
        <Data name="负责单位"><value>区建设局</value></Data></ExtendedData>
        <LineString><coordinates>{_coords(GCJ_LINE if i == 0 else GCJ_LINE[1:])}</coordinates>
        </LineString></Placemark>"""
        for i, (name, status, date) in enumerate(
            [("洛阳江福道", "已贯通", "2022年6月30日"), ("东园福道", "施工", "")]
        )
    )
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>奥维导出</name>
<Style id="line"><LineStyle><color>ff0000ff</color><width>3</width></LineStyle></Style>
<Folder><name>福道</name>{placemarks}</Folder>
<Folder><name>镇界</name><Placemark><name>洛阳镇</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>{_coords(GCJ_TOWN)}</coordinates>
</LinearRing></outerBoundaryIs></Polygon></Placemark></Folder>
</Document></kml>""",
        encoding="utf-8",
    )
    return path


KML_MAPPING = """\
# the planner's mapping for the 奥维 export
layers:
  福道:
    columns:
      name: [id, name]
      状态: status
      完成时间: completed_date
    values:
      status:
        已贯通: completed
        施工: under_construction
  towns:
    source: 镇界
    columns:
      name: [id, name]
"""


def test_kml_folders_are_layers_or_a_layer_column(tmp_path: Path) -> None:
    kml = write_kml(tmp_path / "export.kml")
    everything = read_file(kml)
    assert everything["layer"].tolist() == ["福道", "福道", "镇界"]
    assert everything.crs.to_epsg() == 4326
    # styles and view settings are not data; ExtendedData keeps its Chinese names
    assert {"状态", "完成时间", "负责单位", "name"} <= set(everything.columns)
    assert not {"tessellate", "altitudeMode", "styleUrl", "icon"} & set(everything.columns)
    lines = read_file(kml, layer="福道")
    assert lines["name"].tolist() == ["洛阳江福道", "东园福道"]
    assert not lines.geometry.has_z.any()
    assert list(lines.geometry.iloc[0].coords) == GCJ_LINE
    with pytest.raises(DataReadError, match=r"no folder `道路`.*福道, 镇界"):
        read_file(kml, layer="道路")


@pytest.mark.parametrize("suffix", [".kml", ".kmz"])
def test_kml_in_gcj02_with_a_mapping_lands_where_it_was_digitised(
    tmp_path: Path, suffix: str
) -> None:
    kml = write_kml(tmp_path / "export.kml")
    if suffix == ".kmz":
        kmz = tmp_path / "export.kmz"
        with zipfile.ZipFile(kmz, "w") as archive:
            archive.write(kml, "doc.kml")
        kml.unlink()
        kml = kmz
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(KML_MAPPING, encoding="utf-8")
    layers = geoplan.read_layers(kml, crs="GCJ-02", columns=mapping)
    assert list(layers) == ["towns", "greenways"]
    ways = layers["greenways"]
    assert ways["id"].tolist() == ["洛阳江福道", "东园福道"]
    assert ways["status"].tolist() == ["completed", "under_construction"]
    assert ways["completed_date"].tolist()[0] == pd.Timestamp("2022-06-30")
    assert ways["负责单位"].tolist() == ["区建设局", "区建设局"]  # their column, kept
    # WGS84 now: the public forward formula takes every vertex back to its GCJ-02 input
    for wgs, gcj in zip(ways.geometry.iloc[0].coords, GCJ_LINE, strict=True):
        assert metres(gcj_forward(*wgs), gcj) < 0.05
        assert 450 < metres(wgs, gcj) < 700  # and the shift was real (~560 m here)
    town = layers["towns"].geometry.iloc[0]
    assert town.geom_type == "Polygon"
    assert metres(gcj_forward(*town.exterior.coords[0]), GCJ_TOWN[0]) < 0.05


# ------------------------------------------------------------------------------ DXF

X0, Y0 = 372_000.0, 2_760_000.0  # EPSG:4549, in 洛阳镇


def write_dxf(path: Path, *, codepage: str | None = None) -> Path:
    """A CAD drawing: a closed polyline (town), a polyline (greenway), points (farmhouses)."""
    square = [(X0, Y0), (X0 + 2000, Y0), (X0 + 2000, Y0 + 2000), (X0, Y0 + 2000), (X0, Y0)]
    frame = gpd.GeoDataFrame(
        {"Layer": ["镇界", "福道中线", "农房", "农房", "图框"]},
        geometry=[
            shapely.LineString(square),
            shapely.LineString([(X0, Y0), (X0 + 1500, Y0 + 800)]),
            shapely.Point(X0 + 100, Y0 + 100),
            shapely.Point(X0 + 300, Y0 + 200),
            shapely.LineString([(X0 - 10, Y0 - 10), (X0 - 5, Y0 - 5)]),
        ],
    )
    with pytest.warns(UserWarning, match="crs"):  # pyogrio: a DXF has no CRS, as from CAD
        pyogrio.write_dataframe(frame, path, driver="DXF")
    if codepage == "ANSI_936":  # as a Chinese AutoCAD saves a DXF R2004: GBK text
        text = path.read_bytes().decode("utf-8").replace("ANSI_1252", "ANSI_936")
        path.write_bytes(text.encode("gbk"))
    return path


@pytest.mark.parametrize("codepage", [None, "ANSI_936"])
def test_dxf_needs_a_crs_and_gives_cad_layers(tmp_path: Path, codepage: str | None) -> None:
    dxf = write_dxf(tmp_path / "总图.dxf", codepage=codepage)
    with pytest.raises(CRSError, match=r'has no CRS.*crs="EPSG:4549"'):
        read_file(dxf)
    drawing = read_file(dxf, crs="EPSG:4549")
    assert drawing["layer"].tolist() == ["镇界", "福道中线", "农房", "农房", "图框"]
    assert drawing.attrs["geoplan_encoding"] == ("gbk" if codepage else "utf-8")
    if codepage:
        with pytest.raises(DataReadError, match="is not utf-8"):
            read_file(dxf, crs="EPSG:4549", encoding="utf-8")
    houses = read_file(dxf, layer="农房", crs="EPSG:4549")
    assert len(houses) == 2 and "layer" not in houses.columns
    with pytest.raises(DataReadError, match="no CAD layer `道路`"):
        read_file(dxf, layer="道路", crs="EPSG:4549")


def test_dxf_layers_by_cad_layer_name_through_a_csv_mapping(tmp_path: Path) -> None:
    dxf = write_dxf(tmp_path / "总图.dxf")
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        "layer,column,from,to\n"
        "towns,source,,镇界\n"
        "towns,crs,,EPSG:4549\n"
        "福道,source,,福道中线\n"
        "福道,crs,,EPSG:4549\n"
        "farmhouses,source,,农房\n"
        "farmhouses,crs,,EPSG:4549\n",
        encoding="utf-8-sig",
    )
    report = geoplan.check_layers(dxf, columns=mapping)
    assert report.features == {"towns": 1, "greenways": 1, "farmhouses": 2}
    # no ids or names in a drawing: one error line per layer naming the file and columns
    errors = [str(i) for i in report.errors]
    assert len(errors) == 3
    assert all("总图.dxf" in e and "'id' (编号), 'name' (名称)" in e for e in errors)
    assert any(
        "closed lines (CAD polylines, KML rings) read as polygons" in str(i) for i in report.issues
    )
    # a ColumnMapping object works as well as its file
    again = geoplan.check_layers(dxf, columns=read_column_mapping(mapping))
    assert again.features == report.features


def test_dxf_town_area_from_a_closed_polyline(tmp_path: Path) -> None:
    dxf = write_dxf(tmp_path / "总图.dxf")
    frames = {}
    for cad, kind in (("镇界", "towns"), ("农房", "farmhouses")):
        frame = read_file(dxf, layer=cad, crs="EPSG:4549")
        frame["id"] = [f"{kind}{i}" for i in range(len(frame))]
        frame["name"] = frame["id"]
        frames[kind] = frame
    frames["towns"] = frames["towns"].set_geometry(
        shapely.build_area(np.asarray(frames["towns"].geometry.array))
    )
    layers = geoplan.read_layers(frames)
    area = layers["towns"].to_crs(4549).area.iloc[0]
    assert area == pytest.approx(2000 * 2000, rel=1e-6)


# ------------------------------------------------------------------------- File GDB


def villages_frame() -> gpd.GeoDataFrame:
    square = shapely.box(X0, Y0, X0 + 1000, Y0 + 500)
    return gpd.GeoDataFrame(
        {
            "编号": ["V01", "V02"],
            "村名": ["前亭村", "后亭村"],
            "所属镇": ["T01", "T01"],
            "规划批复时间": ["2022年3月15日", None],
            "村委会电话": ["0595-1", "0595-2"],
        },
        geometry=[square, shapely.affinity.translate(square, 0, 600)],
        crs="EPSG:4549",
    )


@pytest.fixture
def gdb(tmp_path: Path) -> Path:
    require_gdb_writer()
    path = tmp_path / "规划成果.gdb"
    pyogrio.write_dataframe(villages_frame(), path, driver="OpenFileGDB", layer="村庄")
    roads = gpd.GeoDataFrame(
        {"名称": ["海江大道"]},
        geometry=[shapely.LineString([(X0, Y0), (X0 + 10, Y0)])],
        crs="EPSG:4549",
    )
    pyogrio.write_dataframe(roads, path, driver="OpenFileGDB", layer="道路")
    return path


def require_gdb_writer() -> None:
    if "w" not in pyogrio.list_drivers().get("OpenFileGDB", ""):
        pytest.skip("GDAL < 3.6: no OpenFileGDB writer to make a test geodatabase")


GDB_MAPPING = """\
layers:
  villages:
    source: 村庄
    columns:
      村名: name
      所属镇: town_id
      规划批复时间: plan_approved_date
"""


@pytest.mark.parametrize("zipped", [False, True])
def test_file_geodatabase_folder_or_zip(tmp_path: Path, gdb: Path, zipped: bool) -> None:
    source = gdb
    if zipped:
        source = Path(shutil.make_archive(str(tmp_path / "成果"), "zip", tmp_path, gdb.name))
        shutil.rmtree(gdb)
    with pytest.raises(DataReadError, match="2 feature classes: 村庄, 道路"):
        read_file(source)
    raw = read_file(source, layer="村庄")
    assert raw.crs.to_epsg() == 4549 and raw["村名"].tolist() == ["前亭村", "后亭村"]
    mapping = tmp_path / "m.yaml"
    mapping.write_text(GDB_MAPPING, encoding="utf-8")
    villages = geoplan.read_layers(source, columns=mapping)["villages"]
    assert villages["name"].tolist() == ["前亭村", "后亭村"]
    assert villages["plan_approved_date"].tolist()[0] == pd.Timestamp("2022-03-15")
    assert villages["村委会电话"].tolist() == ["0595-1", "0595-2"]  # kept
    assert villages.to_crs(4549).area.tolist() == pytest.approx([500_000, 500_000], rel=1e-6)


# ------------------------------------------------------------------------- tables


def test_csv_with_jingdu_weidu_in_gbk_and_gcj02(tmp_path: Path) -> None:
    path = tmp_path / "农房台账.csv"
    path.write_bytes(
        "编号,户主,经度,纬度,整治情况,完成时间\n"
        "F1,张三,118.7210,24.9210,已竣工,2023/5/1\n"
        'F2,李四,"118°43\'30""E",24°55\'N,未动工,\n'.encode("gbk")
    )
    plain = read_file(path)
    assert plain.attrs["geoplan_encoding"] == "gb18030"
    assert plain.crs.to_epsg() == 4326
    assert plain.geometry.iloc[1].x == pytest.approx(118 + 43.5 / 60)
    assert plain.geometry.iloc[1].y == pytest.approx(24 + 55 / 60)
    assert "经度" not in plain.columns and plain["户主"].tolist() == ["张三", "李四"]
    gcj = read_file(path, crs="GCJ-02")
    assert (
        metres(gcj_forward(gcj.geometry.iloc[0].x, gcj.geometry.iloc[0].y), (118.721, 24.921))
        < 0.05
    )


def test_xlsx_with_surveyors_xy_and_zone_prefix(tmp_path: Path) -> None:
    path = tmp_path / "测量成果.xlsx"
    table = pd.DataFrame(
        {
            "点号": ["J1", "J2"],
            "名称": ["前亭污水站", "后亭污水站"],
            # Chinese surveying order: X is the northing, Y the zone-prefixed easting
            "X": ["2760000.50", "2761000.00"],
            "Y": ["40372000.25", "40373000.00"],
        }
    )
    pyogrio.write_dataframe(table, path, driver="XLSX", layer="污水设施")
    pyogrio.write_dataframe(table.iloc[:1], path, driver="XLSX", layer="说明", append=True)
    with pytest.raises(DataReadError, match="2 sheets: 污水设施, 说明"):
        read_file(path)
    points = read_file(path, layer="污水设施")
    assert points.crs.to_epsg() == 4528  # zone 40 from the prefix
    lon, lat = TO_LONLAT_4528.transform(40372000.25, 2760000.50)
    got = points.to_crs(4326).geometry.iloc[0]
    assert metres((got.x, got.y), (lon, lat)) < 0.01


def test_table_without_zone_prefix_needs_a_crs(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text(f"id,name,X,Y\n1,甲,{X0},{Y0}\n", encoding="utf-8")
    with pytest.raises(CRSError, match=r'crs="EPSG:4549"'):
        read_file(path)
    got = read_file(path, crs="EPSG:4549").to_crs(4326).geometry.iloc[0]
    assert metres((got.x, got.y), TO_LONLAT_4549.transform(X0, Y0)) < 0.01
    bad = tmp_path / "bad.csv"
    bad.write_text("id,经度,纬度\n1,东经118,24.9\n", encoding="utf-8")
    with pytest.raises(DataReadError, match="'经度' holds values that are not coordinates"):
        read_file(bad)
    none = tmp_path / "none.csv"
    none.write_text("id,地址\n1,洛阳镇\n", encoding="utf-8")
    with pytest.raises(DataReadError, match=r"no coordinate columns.*经度/纬度"):
        read_file(none)


# ------------------------------------------------------------------ mapping files


def ledger_folder(tmp_path: Path) -> Path:
    """Greenways with Chinese headers and values, farmhouse footprints, as a folder."""
    folder = tmp_path / "成果"
    folder.mkdir()
    x, y = TO_LONLAT_4549.transform(X0, Y0)
    ways = gpd.GeoDataFrame(
        {
            "道路编号": ["G1", "G2", "G3"],
            "道路名称": ["洛阳江福道", "东园福道", "张坂福道"],
            "建设状态": ["已竣工", "施工", "拟建"],
            "完成时间": ["2022-06-30", None, None],
            "养护单位": ["区市政", "区市政", "镇政府"],
        },
        geometry=[
            shapely.LineString([(x, y), (x + 0.01, y)]),
            shapely.LineString([(x, y + 0.01), (x + 0.01, y + 0.01)]),
            shapely.LineString([(x, y + 0.02), (x + 0.01, y + 0.02)]),
        ],
        crs="EPSG:4326",
    )
    ways.to_file(folder / "福道.geojson")
    return folder


def test_layers_check_proposes_a_mapping_that_then_passes(tmp_path: Path) -> None:
    folder = ledger_folder(tmp_path)
    runner = CliRunner()
    before = runner.invoke(main, ["layers", "check", str(folder)])
    assert before.exit_code == 1 and "Traceback" not in before.output
    draft = tmp_path / "mapping.yaml"
    result = runner.invoke(main, ["layers", "check", str(folder), "--write-mapping", str(draft)])
    assert result.exit_code == 1  # the draft is written; the check itself still fails
    mapping = read_column_mapping(draft)
    spec = mapping.layers["greenways"]
    assert spec.columns == {
        "道路编号": "id",
        "道路名称": "name",
        "建设状态": "status",
        "完成时间": "completed_date",
    }
    # 已竣工 is close to 已完工/已建成; 施工 to 施工中; 拟建 is the vocabulary's own alias
    assert spec.values == {"status": {"已竣工": "completed", "施工": "under_construction"}}
    assert "养护单位" not in spec.columns  # unknown columns are kept, not mapped
    after = runner.invoke(main, ["layers", "check", str(folder), "--columns", str(draft)])
    assert after.exit_code == 0, after.output
    assert "columns mapped by mapping.yaml" in after.output
    layers = geoplan.read_layers(folder, columns=draft)
    assert layers["greenways"]["status"].tolist() == [
        "completed",
        "under_construction",
        "planned",
    ]
    assert layers["greenways"]["养护单位"].tolist() == ["区市政", "区市政", "镇政府"]


def test_yaml_and_csv_mappings_are_the_same_mapping(tmp_path: Path) -> None:
    from geoplan.layers._mapping import write_column_mapping

    yaml_path = tmp_path / "m.yaml"
    yaml_path.write_text(KML_MAPPING, encoding="utf-8")
    mapping = read_column_mapping(yaml_path)
    csv_path = write_column_mapping(mapping, tmp_path / "m.csv")
    again = read_column_mapping(csv_path)
    assert again.layers == mapping.layers
    assert write_column_mapping(again, tmp_path / "m2.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("layers:\n  roads: {}\n", "'roads' is not a layer kind"),
        ("layers:\n  towns:\n    columns:\n      镇名: town_name\n", "maps to 'town_name'"),
        (
            "layers:\n  greenways:\n    values:\n      status:\n        已完工: finished\n",
            r"\['finished'\].*planned \(计划\)",
        ),
        (
            "layers:\n  towns:\n    columns:\n      A: name\n      B: name\n",
            "several towns columns map to name",
        ),
    ],
)
def test_a_wrong_mapping_names_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        read_column_mapping(path)


# ------------------------------------------------------------------ the traceback


def test_towns_with_only_a_name_column_is_one_error_line(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    towns = gpd.GeoDataFrame(
        {"NAME": ["洛阳镇"]}, geometry=[shapely.box(118.70, 24.90, 118.74, 24.93)], crs=4326
    )
    towns.to_file(folder / "towns.geojson")
    result = CliRunner().invoke(main, ["layers", "check", str(folder)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1
    assert "towns.geojson" in errors[0] and "towns layer" in errors[0]
    assert "'id' (编号), 'name' (名称)" in errors[0] and "NAME" in errors[0]
    assert "--columns" in errors[0]


# ------------------------------------------------------------------ footprints


def footprints(n: int = 3) -> gpd.GeoDataFrame:
    houses = [shapely.box(X0 + 30 * i, Y0, X0 + 30 * i + 12, Y0 + 10) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "id": [f"F{i}" for i in range(n)],
            "name": [f"农房{i}" for i in range(n)],
            "town_id": ["T01"] * n,
            "renovation_status": ["completed"] + ["planned"] * (n - 1),
            "renovation_date": ["2023-05-01"] + [None] * (n - 1),
            "户主": [f"户{i}" for i in range(n)],
        },
        geometry=houses,
        crs="EPSG:4549",
    )


def test_farmhouse_footprints_are_kept_measured_and_mapped() -> None:
    layers = geoplan.read_layers({"farmhouses": footprints()})
    houses = layers["farmhouses"]
    assert set(houses.geom_type) == {"Polygon"}
    assert houses.to_crs(4549).area.tolist() == pytest.approx([120.0] * 3, rel=1e-6)
    from geoplan.metrics import compute_metric

    rate = compute_metric(
        "farmhouse_renovation_rate", layers, as_of=pd.Timestamp("2024-01-01").date()
    )
    zone = rate[rate["scope_type"] == "zone"].iloc[0]
    assert zone["value"] == pytest.approx(100 / 3)
    from geoplan.maps import make_map
    from geoplan.maps._popup import feature_props

    m = make_map(layers, minimap=False)
    assert m.geoplan_summary["features"] == {"farmhouses": 3}
    assert m.geoplan_summary["left_out"] == []
    data = json.loads(m.geoplan_layers["farmhouses"].payload)
    assert data["geom"] == "polygon"
    assert feature_props("farmhouses", houses)["x:户主"] == ["户0", "户1", "户2"]


def test_mixed_points_and_footprints_map_as_points_with_a_note() -> None:
    mixed = footprints()
    mixed.loc[2, "geometry"] = shapely.Point(X0 + 100, Y0 + 100)
    layers = geoplan.read_layers({"farmhouses": mixed})
    assert layers["farmhouses"].geom_type.tolist() == ["Polygon", "Polygon", "Point"]
    from geoplan.maps import make_map

    m = make_map(layers, minimap=False)
    assert json.loads(m.geoplan_layers["farmhouses"].payload)["geom"] == "point"
    assert any("2 个面按其内点显示" in w for w in m.geoplan_summary["left_out"])


# ------------------------------------------------------------------ --crs on commands


def gcj_towns_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "gcj"
    folder.mkdir()
    towns = gpd.GeoDataFrame(
        {"id": ["T01"], "name": ["洛阳镇"], "population": [1000]},
        geometry=[shapely.Polygon(GCJ_TOWN)],
        crs=4326,
    )
    towns.to_file(folder / "towns.geojson")
    return folder


def test_db_load_with_crs_gcj02_stores_wgs84(tmp_path: Path) -> None:
    require_spatialite()
    folder = gcj_towns_folder(tmp_path)
    db = tmp_path / "plan.gpkg"
    result = CliRunner().invoke(
        main, ["db", "load", "--url", str(db), "--layers", str(folder), "--crs", "GCJ-02"]
    )
    assert result.exit_code == 0, result.output
    from geoplan.store import read_layers_from_db

    stored = read_layers_from_db(str(db))["towns"].geometry.iloc[0]
    vertex = stored.exterior.coords[0]
    assert metres(gcj_forward(*vertex), GCJ_TOWN[0]) < 0.05


def test_crs_and_columns_need_layers() -> None:
    result = CliRunner().invoke(main, ["metrics", "--crs", "GCJ-02"])
    assert result.exit_code == 2
    assert "--crs and --columns say how to read --layers" in result.output


def test_metrics_reads_layers_with_crs_and_columns(tmp_path: Path) -> None:
    folder = ledger_folder(tmp_path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "layers:\n  greenways:\n    crs: GCJ-02\n    columns:\n      道路编号: id\n"
        "      道路名称: name\n      建设状态: status\n      完成时间: completed_date\n"
        "    values:\n      status:\n        已竣工: completed\n        施工: under_construction\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "metrics",
            "--layers",
            str(folder),
            "--columns",
            str(mapping),
            "--metric",
            "greenway_completed_km",
            "--as-of",
            "2023-01-01",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(__import__("io").StringIO(result.output.lstrip("\ufeff")))
    zone = frame[frame["scope_type"] == "zone"].iloc[0]
    ways = geoplan.read_layers(folder, columns=mapping)["greenways"]
    _, _, expected = GEOD.inv(*ways.geometry.iloc[0].coords[0], *ways.geometry.iloc[0].coords[1])
    assert zone["value"] == pytest.approx(expected / 1000, rel=1e-3)


# ------------------------------------------------------------------ on a Gaode map


def drawn_vertices(page, kind: str) -> list[tuple[float, float, float, float]]:
    """Container pixel and lon/lat of every vertex the page draws for ``kind``."""
    return page.page.evaluate(
        """(kind) => {
        const G = window.geoplanMap, m = G.map, z = m.getZoom(), k = Math.pow(2, z);
        const l = G.layers.find((l) => l._d.kind === kind), out = [];
        for (let v = 0; v < l._g.xs.length; v++) {
          const world = L.point(l._g.xs[v] * k, l._g.ys[v] * k);
          const c = m.layerPointToContainerPoint(world.subtract(m.getPixelOrigin()));
          const ll = m.unproject(world, z);
          out.push([c.x, c.y, ll.lng, ll.lat]);
        }
        return out;
      }""",
        kind,
    )


@pytest.mark.services
@pytest.mark.parametrize("declared", [True, False])
def test_gcj02_boundary_lands_where_digitised_on_a_gaode_map(
    tmp_path: Path, declared: bool
) -> None:
    """`geoplan map --crs GCJ-02 --basemap gaode`: converted once, shifted back once."""
    from conftest import require

    from geoplan.maps._browser import Browser, browser_available

    require(browser_available(), "Playwright or Chromium is not installed")
    folder = gcj_towns_folder(tmp_path)
    html = tmp_path / "map.html"
    args = ["map", "--layers", str(folder), "--basemap", "gaode", "-o", str(html)]
    result = CliRunner().invoke(main, args + (["--crs", "GCJ-02"] if declared else []))
    assert result.exit_code == 0, result.output
    with Browser() as browser, browser.new_page(width=1000, height=800) as page:
        page.open(html)
        # the Gaode tiles are blocked here (no network in tests): nothing else may fail
        assert page.blocked and all("autonavi.com" in url for url in page.blocked)
        errors = [e for e in page.console_errors if not e.startswith("Failed to load resource")]
        assert errors == []
        corner = GCJ_TOWN[0]
        page.page.evaluate(
            "([lat, lon]) => window.geoplanMap.map.setView([lat, lon], 18, {animate: false})",
            [corner[1], corner[0]],
        )
        want = page.page.evaluate(
            "([lat, lon]) => window.geoplanMap.map.latLngToContainerPoint([lat, lon])",
            [corner[1], corner[0]],
        )
        drawn = drawn_vertices(page, "towns")
    nearest = min(drawn, key=lambda v: math.hypot(v[0] - want["x"], v[1] - want["y"]))
    # metres per pixel at zoom 18 and this latitude (Web Mercator, 256-pixel tiles)
    m_per_px = 2 * math.pi * 6378137 * math.cos(math.radians(corner[1])) / (256 * 2**18)
    pixels = math.hypot(nearest[0] - want["x"], nearest[1] - want["y"])
    if declared:
        assert pixels * m_per_px < 1.0
        assert metres((nearest[2], nearest[3]), corner) < 1.0
    else:  # the same file without --crs is taken as WGS84 and shifted: ~560 m off
        assert 450 < metres((nearest[2], nearest[3]), corner) < 700


def test_layers_named_their_own_way_get_a_proposed_kind(tmp_path: Path) -> None:
    folder = tmp_path / "普查"
    folder.mkdir()
    village = shapely.box(X0, Y0, X0 + 800, Y0 + 600)
    gpd.GeoDataFrame(
        {"行政村代码": ["350521101201"], "村名": ["前亭村"]}, geometry=[village], crs=4549
    ).to_file(folder / "村庄边界.geojson")
    gpd.GeoDataFrame(
        {"房屋编号": ["H1", "H2"], "户主": ["张三", "李四"]},
        geometry=[shapely.box(X0, Y0, X0 + 10, Y0 + 12), shapely.Point(X0 + 50, Y0 + 50)],
        crs=4549,
    ).to_file(folder / "农房普查.geojson")
    gpd.GeoDataFrame(
        {"名称": ["海江大道"]},
        geometry=[shapely.LineString([(X0, Y0), (X0 + 900, Y0)])],
        crs=4549,
    ).to_file(folder / "道路中线.geojson")
    (folder / "records.csv").write_text("record_id,task_id\n", encoding="utf-8")
    draft = tmp_path / "draft.yaml"
    CliRunner().invoke(main, ["layers", "check", str(folder), "--write-mapping", str(draft)])
    mapping = read_column_mapping(draft)
    assert set(mapping.layers) == {"villages", "farmhouses"}  # 道路中线 is no kind of ours
    assert mapping.layers["villages"].source == "村庄边界"
    assert mapping.layers["villages"].columns == {"行政村代码": "id", "村名": "name"}
    assert mapping.layers["farmhouses"].source == "农房普查"
    assert mapping.layers["farmhouses"].columns == {"房屋编号": "id"}
    mapping.layers["farmhouses"].columns["户主"] = "name"  # what the planner edits
    layers = geoplan.read_layers(folder, columns=mapping)
    assert layers["villages"]["name"].tolist() == ["前亭村"]
    assert layers["farmhouses"].geom_type.tolist() == ["Polygon", "Point"]


def test_report_reads_layers_with_crs_and_names_them(tmp_path: Path) -> None:
    folder = gcj_towns_folder(tmp_path)
    out = tmp_path / "report.html"
    args = ["report", "--layers", str(folder), "--crs", "GCJ-02", "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--no-maps", "--no-history"])
    assert result.exit_code == 0, result.output
    assert f"图层文件：{folder} (--crs GCJ-02)" in out.read_text(encoding="utf-8")


def bd_forward(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> BD-09, the public formula (Baidu's, as in coordTransform_py)."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def test_bd09_table_and_layers_check_with_crs(tmp_path: Path) -> None:
    folder = tmp_path / "百度"
    folder.mkdir()
    (folder / "heritage_sites.csv").write_text(
        "编号,名称,类型,经度,纬度\nH1,某古厝,历史建筑,118.7350,24.9320\n", encoding="utf-8"
    )
    sites = geoplan.read_layers(folder, crs="BD-09")["heritage_sites"]
    wgs = sites.geometry.iloc[0]
    assert metres(bd_forward(*gcj_forward(wgs.x, wgs.y)), (118.735, 24.932)) < 0.1
    assert sites["heritage_type"].tolist() == ["historic_building"]
    result = CliRunner().invoke(main, ["layers", "check", str(folder), "--crs", "BD-09"])
    assert result.exit_code == 0, result.output


def test_google_earth_kml_with_nested_folders(tmp_path: Path) -> None:
    path = tmp_path / "我的地点.kml"
    house = _coords([(118.70, 24.90), (118.7001, 24.90), (118.7001, 24.9001), (118.70, 24.90)])
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>我的地点</name>
<Placemark><name>古厝A</name><Point><coordinates>118.73,24.93,0</coordinates></Point></Placemark>
<Folder><name>项目</name><Folder><name>农房</name><Placemark><name>房1</name><Polygon>
<outerBoundaryIs><LinearRing><coordinates>{house}</coordinates></LinearRing></outerBoundaryIs>
</Polygon></Placemark></Folder></Folder></Document></kml>""",
        encoding="utf-8",
    )
    everything = read_file(path)
    assert everything["layer"].tolist() == ["我的地点", "农房"]
    assert everything["name"].tolist() == ["古厝A", "房1"]
    report = geoplan.check_layers(path)  # the 农房 folder is the farmhouses layer, a footprint
    assert report.features == {"farmhouses": 1}
    area = geoplan.read_layers(path, columns=_name_as_id(tmp_path))["farmhouses"].to_crs(4549)
    expected = abs(
        GEOD.polygon_area_perimeter([118.70, 118.7001, 118.7001], [24.90, 24.90, 24.9001])[0]
    )
    assert area.area.iloc[0] == pytest.approx(expected, rel=1e-3)


def _name_as_id(tmp_path: Path) -> Path:
    path = tmp_path / "ids.yaml"
    path.write_text("farmhouses:\n  columns:\n    name: [id, name]\n", encoding="utf-8")
    return path


def handwritten_dxf(path: Path) -> Path:
    """A drawing as AutoCAD saves it: closed LWPOLYLINEs on 镇界, TEXT labels on 镇名."""

    def pair(code: int, value: object) -> str:
        return f"{code}\n{value}\n"

    def polyline(layer: str, points: list[tuple[float, float]]) -> str:
        head = pair(0, "LWPOLYLINE") + pair(8, layer) + pair(90, len(points)) + pair(70, 1)
        return head + "".join(pair(10, x) + pair(20, y) for x, y in points)

    def text(layer: str, x: float, y: float, value: str) -> str:
        return (
            pair(0, "TEXT")
            + pair(8, layer)
            + pair(10, x)
            + pair(20, y)
            + pair(40, 10)
            + pair(1, value)
        )

    west = [(X0, Y0), (X0 + 2000, Y0), (X0 + 2000, Y0 + 2000), (X0, Y0 + 2000)]
    east = [(x + 2000, y) for x, y in west]
    body = pair(0, "SECTION") + pair(2, "ENTITIES")
    body += polyline("镇界", west) + polyline("镇界", east)
    body += text("镇名", X0 + 3000, Y0 + 1000, "东园镇")
    body += text("镇名", X0 + 900, Y0 + 1500, "洛阳镇")
    body += text("镇名", X0 + 9000, Y0 + 9000, "图名")  # outside every town
    path.write_text(body + pair(0, "ENDSEC") + pair(0, "EOF"), encoding="utf-8")
    return path


def test_cad_text_labels_name_the_polygons_they_sit_in(tmp_path: Path) -> None:
    dxf = handwritten_dxf(tmp_path / "镇界.dxf")
    mapping = tmp_path / "cad.yaml"
    mapping.write_text(
        "towns:\n  source: 镇界\n  crs: EPSG:4549\n  labels: 镇名\n"
        "  columns:\n    label: [id, name]\n",
        encoding="utf-8",
    )
    report = geoplan.check_layers(dxf, columns=mapping)
    assert report.ok, str(report)
    assert any("labels attached to 2 of 2 features" in str(i) for i in report.issues)
    towns = geoplan.read_layers(dxf, columns=mapping)["towns"]
    assert towns["id"].tolist() == ["洛阳镇", "东园镇"]
    assert towns.to_crs(4549).area.tolist() == pytest.approx([4e6, 4e6], rel=1e-6)


@pytest.mark.services
def test_footprint_popup_shows_the_planners_own_columns(tmp_path: Path) -> None:
    from conftest import require

    from geoplan.maps import make_map, save_map
    from geoplan.maps._browser import Browser, browser_available

    require(browser_available(), "Playwright or Chromium is not installed")
    layers = geoplan.read_layers({"farmhouses": footprints()})
    html = save_map(make_map(layers, minimap=False), tmp_path / "houses.html")
    centre = layers["farmhouses"].geometry.iloc[1].centroid
    with Browser() as browser, browser.new_page() as page:
        page.open(html)
        page.page.evaluate(
            "([lat, lon]) => window.geoplanMap.map.setView([lat, lon], 19, {animate: false})",
            [centre.y, centre.x],
        )
        point = page.page.evaluate(
            "([lat, lon]) => window.geoplanMap.map.latLngToContainerPoint([lat, lon])",
            [centre.y, centre.x],
        )
        page.page.mouse.click(point["x"], point["y"])
        popup = page.page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5000)
        text = popup.inner_text()
        assert page.console_errors == [] and page.blocked == []
    assert "农房1" in text and "户主：户1" in text
