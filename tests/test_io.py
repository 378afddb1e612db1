"""Reading real-world files with geoplan.read_file: formats, encodings, CRSs, bad input."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

import geoplan
from geoplan import CRSError, DataReadError, read_file
from geoplan import crs as gcrs

NAMES = ["洛阳镇", "东园镇", "张坂镇", "百崎回族乡", "海尾小区"]
LNG = np.array([118.66, 118.72, 118.78, 118.84, 118.70])
LAT = np.array([24.98, 24.93, 24.90, 24.96, 24.87])
FIELD = "名称"  # Chinese field name: 4 bytes in GBK, fits the 10-byte DBF limit


def zone_layer(epsg: int = 4326) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {FIELD: NAMES, "人口": [1, 2, 3, 4, 5]},
        geometry=gpd.points_from_xy(LNG, LAT),
        crs="EPSG:4326",
    )
    return frame.to_crs(f"EPSG:{epsg}")


def write_shp(path: Path, frame: gpd.GeoDataFrame, encoding: str) -> Path:
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    return path


def test_gbk_shapefile_with_cpg(tmp_path, caplog):
    path = write_shp(tmp_path / "towns.shp", zone_layer(4549), "GBK")
    assert (tmp_path / "towns.cpg").read_text().strip() == "GBK"
    with caplog.at_level(logging.INFO, logger="geoplan"):
        towns = read_file(path)
    assert towns[FIELD].tolist() == NAMES
    assert "人口" in towns.columns
    assert towns.attrs["geoplan_encoding"] == "gbk"
    assert "decoded as gbk (.cpg)" in caplog.text
    assert towns.crs.to_epsg() == 4549


def test_gbk_shapefile_without_cpg_is_detected(tmp_path):
    path = write_shp(tmp_path / "towns.shp", zone_layer(4549), "GBK")
    (tmp_path / "towns.cpg").unlink()
    # what GDAL alone makes of it: mojibake
    assert pyogrio.read_dataframe(path).columns[0] != FIELD
    towns = read_file(path)
    assert towns[FIELD].tolist() == NAMES
    assert towns.attrs["geoplan_encoding"] == "gb18030"
    assert read_file(path, encoding="cp936")[FIELD].tolist() == NAMES


@pytest.mark.parametrize("keep_cpg", [True, False])
def test_utf8_shapefile(tmp_path, keep_cpg):
    path = write_shp(tmp_path / "towns.shp", zone_layer(4549), "UTF-8")
    if not keep_cpg:
        (tmp_path / "towns.cpg").unlink()
    towns = read_file(path)
    assert towns[FIELD].tolist() == NAMES
    assert towns.attrs["geoplan_encoding"] == "utf-8"


def test_wrong_cpg_is_overruled_and_logged(tmp_path, caplog):
    path = write_shp(tmp_path / "towns.shp", zone_layer(4549), "GBK")
    (tmp_path / "towns.cpg").write_text("UTF-8")
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        towns = read_file(path)
    assert towns[FIELD].tolist() == NAMES
    assert towns.attrs["geoplan_encoding"] == "gb18030"
    assert "the .cpg says utf-8" in caplog.text


def test_undecodable_text_is_an_error_not_mojibake(tmp_path):
    frame = zone_layer(4549)
    path = write_shp(tmp_path / "towns.shp", frame, "GBK")
    with pytest.raises(DataReadError, match=r"not valid utf-8.*towns\.shp|towns\.shp.*not valid"):
        read_file(path, encoding="utf-8")
    frame["note"] = ["ÿÿ"] * len(frame)  # bytes FF FF: neither UTF-8 nor GB18030
    bad = write_shp(tmp_path / "bad.shp", frame[["note", "geometry"]], "ISO-8859-1")
    (tmp_path / "bad.cpg").unlink()
    with pytest.raises(DataReadError, match=r"bad\.shp.*decodes with none of utf-8, gb18030"):
        read_file(bad)
    with pytest.raises(DataReadError, match="not a text encoding"):
        read_file(path, encoding="no-such-codec")


def test_zipped_shapefile(tmp_path):
    write_shp(tmp_path / "towns.shp", zone_layer(4528), "GBK")
    archive = tmp_path / "towns.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            zf.write(tmp_path / f"towns.{ext}", f"export/towns.{ext}")
    towns = read_file(archive)
    assert towns[FIELD].tolist() == NAMES
    assert towns.crs.to_epsg() == 4528
    assert towns.attrs["geoplan_layer"] == "towns"


@pytest.mark.parametrize("epsg", [4549, 4528, 4509, 4498, 4490])
def test_esri_prj_names_become_epsg_codes(tmp_path, epsg):
    path = write_shp(tmp_path / "towns.shp", zone_layer(epsg), "UTF-8")
    prj = (tmp_path / "towns.prj").read_text()
    assert prj.startswith(('PROJCS["CGCS2000', 'GEOGCS["GCS_China_Geodetic'))  # Esri style
    towns = read_file(path)
    assert towns.crs == pyproj.CRS.from_epsg(epsg)
    back = towns.to_crs(4326)
    np.testing.assert_allclose(back.geometry.x, LNG, atol=1e-9)


@pytest.mark.parametrize(("epsg", "guess"), [(4528, "EPSG:4528"), (4549, "EPSG:4549")])
def test_missing_prj_error_guesses_the_zone(tmp_path, epsg, guess):
    path = write_shp(tmp_path / "towns.shp", zone_layer(epsg), "UTF-8")
    (tmp_path / "towns.prj").unlink()
    with pytest.raises(CRSError) as info:
        read_file(path)
    message = str(info.value)
    assert f"layer `{path}` has no CRS; pass `crs=` or add a .prj" in message
    assert f'pass crs="{guess}"' in message
    towns = read_file(path, crs=guess)
    assert towns.crs.to_epsg() == epsg


def test_declared_crs_that_cannot_be_right(tmp_path):
    frame = zone_layer(4528).set_crs("EPSG:4549", allow_override=True)
    path = write_shp(tmp_path / "towns.shp", frame, "UTF-8")
    with pytest.raises(CRSError, match=r"declares EPSG:4549.*EPSG:4528"):
        read_file(path)
    fixed = read_file(path, crs="EPSG:4528", allow_override=True)
    assert fixed.crs.to_epsg() == 4528


def test_conflicting_crs_is_refused_unless_overridden(tmp_path):
    path = write_shp(tmp_path / "towns.shp", zone_layer(4549), "UTF-8")
    assert read_file(path, crs="EPSG:4549").crs.to_epsg() == 4549  # same: fine
    with pytest.raises(CRSError, match=r"declares EPSG:4549.*allow_override=True"):
        read_file(path, crs="EPSG:4548")
    with pytest.raises(CRSError, match="not a CRS pyproj recognises"):
        read_file(path, crs="EPSG:999999")


def test_geojson_lonlat_projected_and_gcj02(tmp_path):
    path = tmp_path / "sources.geojson"
    zone_layer().to_file(path, driver="GeoJSON")
    sources = read_file(path)
    assert sources.crs.to_epsg() == 4326
    assert sources[FIELD].tolist() == NAMES
    # projected coordinates in a GeoJSON without `crs` member
    projected = zone_layer(4528)
    features = json.loads(projected.to_json())
    features.pop("crs", None)
    bad = tmp_path / "projected.geojson"
    bad.write_text(json.dumps(features), encoding="utf-8")
    with pytest.raises(CRSError, match=r'projected\.geojson.*pass crs="EPSG:4528".*RFC 7946'):
        read_file(bad)
    assert read_file(bad, crs="EPSG:4528").crs.to_epsg() == 4528
    # lon/lat digitised on Gaode maps
    gaode = read_file(path, crs="gcj02")
    assert gaode.crs.to_epsg() == 4326
    assert gaode.attrs["geoplan_converted_from"] == "GCJ-02"
    expected = gcrs.gcj02_to_wgs84(LNG, LAT)
    np.testing.assert_allclose(gaode.geometry.x, expected[0], atol=1e-12)
    np.testing.assert_allclose(gaode.geometry.y, expected[1], atol=1e-12)
    moved = pyproj.Geod(ellps="WGS84").inv(LNG, LAT, gaode.geometry.x, gaode.geometry.y)[2]
    assert moved.min() > 540 and moved.max() < 590
    baidu = read_file(path, crs="BD-09")
    assert baidu.attrs["geoplan_converted_from"] == "BD-09"
    shp = write_shp(tmp_path / "projected.shp", zone_layer(4549), "UTF-8")
    with pytest.raises(CRSError, match="means lon/lat on the GCJ-02 datum"):
        read_file(shp, crs="GCJ-02")


def test_geoparquet(tmp_path):
    path = tmp_path / "parks.parquet"
    zone_layer(4549).to_parquet(path)
    parks = read_file(path)
    assert parks.crs.to_epsg() == 4549
    assert parks[FIELD].tolist() == NAMES
    assert parks.attrs["geoplan_encoding"] == "utf-8"


def test_geopackage_with_several_layers(tmp_path):
    path = tmp_path / "zone.gpkg"
    zone_layer().to_file(path, layer="towns")
    lines = gpd.GeoDataFrame(
        {"name": ["福道1"]},
        geometry=[shapely.LineString([(118.7, 24.9), (118.75, 24.95)])],
        crs="EPSG:4326",
    )
    lines.to_file(path, layer="greenways")
    pyogrio.write_dataframe(pd.DataFrame({"record_id": ["r1"]}), path, layer="records")
    with pytest.raises(DataReadError, match=r"zone\.gpkg` holds 3 layers.*greenways.*layer=NAME"):
        read_file(path)
    greenways = read_file(path, layer="greenways")
    assert greenways["name"].tolist() == ["福道1"]
    assert greenways.attrs["geoplan_layer"] == "greenways"
    records = read_file(path, layer="records")
    assert not isinstance(records, gpd.GeoDataFrame)
    assert records["record_id"].tolist() == ["r1"]
    with pytest.raises(DataReadError, match="has no layer `parks`; its layers are: towns"):
        read_file(path, layer="parks")
    no_crs = lines.set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        no_crs.to_file(tmp_path / "nocrs.gpkg", layer="greenways")
    with pytest.raises(CRSError, match=r"layer `greenways` in `.*nocrs\.gpkg` has no CRS"):
        read_file(tmp_path / "nocrs.gpkg")


# ----------------------------------------------------------- malformed corpus


def _shapefile(tmp_path: Path, name: str = "bad") -> Path:
    frame = gpd.GeoDataFrame(
        {"名称": [f"村{i}" for i in range(50)]},
        geometry=gpd.points_from_xy(np.linspace(118.65, 118.85, 50), np.full(50, 24.9)),
        crs="EPSG:4326",
    )
    return write_shp(tmp_path / f"{name}.shp", frame, "GBK")


def _cut(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _make_missing(tmp_path):
    return tmp_path / "nowhere.shp"


def _make_empty(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    return path


def _make_unknown_suffix(tmp_path):
    path = tmp_path / "roads.tab"
    path.write_text("!table\n!version 300\n")
    return path


def _make_folder(tmp_path):
    path = tmp_path / "layers.gpkg"
    path.mkdir()
    return path


def _make_truncated_shp(tmp_path):
    path = _shapefile(tmp_path)
    _cut(path)
    return path


def _make_truncated_dbf(tmp_path):
    path = _shapefile(tmp_path)
    _cut(path.with_suffix(".dbf"))
    return path


def _make_missing_shx(tmp_path):
    path = _shapefile(tmp_path)
    path.with_suffix(".shx").unlink()
    return path


def _make_missing_dbf(tmp_path):
    path = _shapefile(tmp_path)
    path.with_suffix(".dbf").unlink()
    return path


def _make_mismatched_parts(tmp_path):
    path = _shapefile(tmp_path)
    other = tmp_path / "other.shp"
    zone_layer().to_file(other, engine="pyogrio")
    path.with_suffix(".dbf").write_bytes(other.with_suffix(".dbf").read_bytes())
    return path


def _make_not_a_shapefile(tmp_path):
    path = _shapefile(tmp_path)
    path.write_bytes(b"this is a text file renamed to .shp" * 10)
    return path


def _make_cut_geojson(tmp_path):
    path = tmp_path / "cut.geojson"
    zone_layer().to_file(path, driver="GeoJSON")
    _cut(path)
    return path


def _make_text_geojson(tmp_path):
    path = tmp_path / "notes.geojson"
    path.write_text("路线说明：见附件", encoding="utf-8")
    return path


def _make_garbage_gpkg(tmp_path):
    path = tmp_path / "garbage.gpkg"
    path.write_bytes(bytes(range(256)) * 20)
    return path


def _make_truncated_gpkg(tmp_path):
    path = tmp_path / "cut.gpkg"
    zone_layer().to_file(path, layer="towns")
    _cut(path, 0.3)
    return path


def _make_bad_zip(tmp_path):
    path = tmp_path / "towns.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    return path


def _make_zip_without_shp(tmp_path):
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "no data here")
    return path


def _make_plain_parquet(tmp_path):
    path = tmp_path / "table.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    return path


def _make_garbage_parquet(tmp_path):
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    return path


MALFORMED = {
    "missing file": (_make_missing, "does not exist"),
    "empty file": (_make_empty, "is empty"),
    "unknown suffix": (_make_unknown_suffix, "unknown suffix `.tab`"),
    "folder": (_make_folder, "is a folder"),
    "truncated .shp": (_make_truncated_shp, "is truncated"),
    "truncated .dbf": (_make_truncated_dbf, "is truncated"),
    "missing .shx": (_make_missing_shx, r"has no \.shx"),
    "missing .dbf": (_make_missing_dbf, r"has no \.dbf"),
    "parts from two exports": (_make_mismatched_parts, "inconsistent"),
    "not a shapefile": (_make_not_a_shapefile, "not a valid shapefile"),
    "GeoJSON cut mid-way": (_make_cut_geojson, "could not read"),
    "text named .geojson": (_make_text_geojson, "could not read"),
    "garbage .gpkg": (_make_garbage_gpkg, "could not open"),
    "truncated .gpkg": (_make_truncated_gpkg, "could not"),
    "bad zip": (_make_bad_zip, "not a readable zip"),
    "zip without .shp": (_make_zip_without_shp, r"holds no \.shp"),
    "Parquet without geometry": (_make_plain_parquet, "without GeoParquet metadata"),
    "garbage .parquet": (_make_garbage_parquet, "could not read"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_raise_data_read_error_naming_the_file(tmp_path, case):
    make, pattern = MALFORMED[case]
    path = make(tmp_path)
    with pytest.raises(DataReadError, match=pattern) as info:
        read_file(path)
    assert path.stem in str(info.value)
    assert isinstance(info.value, OSError)  # callers catching OSError keep working


def test_unrecognised_file_names_the_formats_geoplan_reads(tmp_path):
    # GDAL's advice to prefix the path with '<DRIVER>:' does not apply: geoplan picks the
    # driver from the suffix, so the message lists the formats instead
    garbage = _make_garbage_gpkg(tmp_path)
    reads = [lambda: read_file(garbage), lambda: read_file(_make_text_geojson(tmp_path))]
    reads.append(lambda: geoplan.read_layers(garbage))
    for read in reads:
        with pytest.raises(DataReadError) as info:
            read()
        message = str(info.value)
        assert (
            "not recognized as being in a supported file format; geoplan reads GeoPackage, "
            "GeoJSON, Shapefile, zipped Shapefile, GeoParquet"
        ) in message
        assert "DRIVER" not in message and "prefixing" not in message


def test_read_file_is_public():
    assert geoplan.read_file is read_file
    assert "read_file" in geoplan.__all__


def test_layer_name_for_single_layer_files_must_match(tmp_path):
    path = _shapefile(tmp_path, "villages")
    assert len(read_file(path, layer="villages")) == 50
    with pytest.raises(DataReadError, match=r"holds one layer, `villages`; drop layer='towns'"):
        read_file(path, layer="towns")
    geojson = tmp_path / "parks.geojson"
    zone_layer().to_file(geojson, driver="GeoJSON")
    with pytest.raises(DataReadError, match=r"GeoJSON file .*parks\.geojson` holds one layer"):
        read_file(geojson, layer="towns")


def test_gbk_geojson_is_decoded(tmp_path):
    features = json.loads(zone_layer().to_json())
    path = tmp_path / "gbk.geojson"
    path.write_bytes(json.dumps(features, ensure_ascii=False).encode("gbk"))
    layer = read_file(path)
    assert layer[FIELD].tolist() == NAMES
    assert layer.attrs["geoplan_encoding"] == "gb18030"
    assert read_file(path, encoding="gbk").attrs["geoplan_encoding"] == "gbk"
    with pytest.raises(DataReadError, match=r"gbk\.geojson`: its text is not utf-8"):
        read_file(path, encoding="utf-8")


def _square(lng: float, lat: float, *, closed: bool = True) -> list[list[float]]:
    ring = [[lng, lat], [lng + 0.01, lat], [lng + 0.01, lat + 0.01], [lng, lat + 0.01]]
    return [*ring, [lng, lat]] if closed else ring


def test_unclosed_ring_names_the_file_and_the_features(tmp_path):
    # feature 0 and 3 are closed squares; 1 and 2 stop one vertex short of their start
    features = [
        {
            "type": "Feature",
            "properties": {"id": str(i), FIELD: NAMES[i]},
            "geometry": {
                "type": "Polygon",
                "coordinates": [_square(118.7, 24.9 + i / 50, closed=c)],
            },
        }
        for i, c in enumerate([True, False, False, True])
    ]
    path = tmp_path / "社区.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    with pytest.raises(DataReadError) as info:
        read_file(path)
    message = str(info.value)
    assert f"`{path}`: features 1, 2 (counting from 0, of 4) hold a geometry" in message
    assert "closed linestring" in message and "close the ring in the GIS" in message
    assert not isinstance(info.value.__cause__, DataReadError)  # the GEOS error is kept as cause

    # the same file in GBK goes through the re-encoded path and names the file, not a buffer
    gbk = tmp_path / "gbk.geojson"
    gbk.write_bytes(
        json.dumps(
            {"type": "FeatureCollection", "features": features[1:2]}, ensure_ascii=False
        ).encode("gbk")
    )
    with pytest.raises(DataReadError, match=r"gbk\.geojson`: feature 0 \(counting from 0, of 1\)"):
        read_file(gbk)


def test_unclosed_ring_in_geoparquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = zone_layer()
    good.geometry = shapely.box(LNG, LAT, LNG + 0.01, LAT + 0.01)
    path = tmp_path / "parks.parquet"
    good.to_parquet(path)
    table = pq.read_table(path)
    # WKB polygon, one ring of 4 points whose last is not its first
    little = np.dtype("<u4")
    open_ring = (
        b"\x01"
        + np.array([3, 1, 4], little).tobytes()
        + np.array(_square(118.7, 24.9, closed=False), "<f8").tobytes()
    )
    wkb = table.column("geometry").to_pylist()
    wkb[3] = open_ring
    column = table.schema.get_field_index("geometry")
    table = table.set_column(column, "geometry", pa.array(wkb, pa.binary()))
    pq.write_table(table, path)
    with pytest.raises(
        DataReadError, match=r"parks\.parquet`: feature 3 \(counting from 0, of 5\)"
    ):
        read_file(path)
