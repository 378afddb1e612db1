"""GCJ-02/BD-09 conversion, metric CRS choice and CRS detection (geoplan.crs)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely import wkt

from geoplan import CRSError
from geoplan import crs as gcrs

GEOD = pyproj.Geod(ellps="WGS84")

# (wgs_lng, wgs_lat, gcj_lng, gcj_lat) from googollee/eviltransform, python/test.py and
# go/transform_test.go (`TESTS`: shanghai, shenzhen, beijing).
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]

# wandergis/coordtransform reference outputs for the input (116.404, 39.915), as asserted
# in dromara/hutool CoordinateUtilTest.java ("测试参考: github.com/wandergis/coordtransform")
# and in the coordtransform-rs tests.
WANDERGIS_IN = (116.404, 39.915)
WANDERGIS_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
WANDERGIS_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
WANDERGIS_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)  # closed-form, ~0.1 m off
WANDERGIS_GCJ_TO_WGS_NAIVE = (116.39775550083061, 39.91359571849836)  # naive one-step

ZONE_CENTRE = (118.76, 24.94)


def metres(lng1, lat1, lng2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lng1, lat1, lng2, lat2)[2])


@pytest.mark.parametrize(("lng", "lat", "glng", "glat"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform_vectors(lng, lat, glng, glat):
    out = gcrs.wgs84_to_gcj02(lng, lat)
    assert out[0] == pytest.approx(glng, abs=1e-9)
    assert out[1] == pytest.approx(glat, abs=1e-9)


def test_forward_transforms_match_wandergis_vectors():
    assert gcrs.wgs84_to_gcj02(*WANDERGIS_IN) == pytest.approx(WANDERGIS_WGS_TO_GCJ, abs=1e-12)
    assert gcrs.gcj02_to_bd09(*WANDERGIS_IN) == pytest.approx(WANDERGIS_GCJ_TO_BD, abs=1e-12)


def test_inverses_are_exact_where_published_closed_forms_are_approximate():
    # The published bd09->gcj02 and the naive gcj02->wgs84 are approximations; ours solve
    # the forward formula, so they land near the published values and round-trip exactly.
    bd = gcrs.bd09_to_gcj02(*WANDERGIS_IN)
    assert 0.01 < metres(*bd, *WANDERGIS_BD_TO_GCJ) < 0.5
    assert metres(*gcrs.gcj02_to_bd09(*bd), *WANDERGIS_IN) < 0.001
    wgs = gcrs.gcj02_to_wgs84(*WANDERGIS_IN)
    assert 0.01 < metres(*wgs, *WANDERGIS_GCJ_TO_WGS_NAIVE) < 2.0  # 0.061 m here
    assert metres(*gcrs.wgs84_to_gcj02(*wgs), *WANDERGIS_IN) < 0.001


def test_gcj02_offset_in_the_zone_is_about_560_m_south_east():
    glng, glat = gcrs.wgs84_to_gcj02(*ZONE_CENTRE)
    azimuth, _, distance = GEOD.inv(*ZONE_CENTRE, glng, glat)
    assert 550 < distance < 575  # 563.3 m measured
    assert 110 < azimuth < 135  # 123.6°: between ESE and SE
    blng, blat = gcrs.wgs84_to_bd09(*ZONE_CENTRE)
    assert 1150 < metres(*ZONE_CENTRE, blng, blat) < 1200  # 1176.7 m: "about 1.2 km"


def test_inverse_round_trip_over_the_zone_within_a_centimetre():
    lng, lat = np.meshgrid(np.linspace(118.64, 118.88, 121), np.linspace(24.85, 25.03, 91))
    glng, glat = gcrs.wgs84_to_gcj02(lng, lat)
    back = gcrs.gcj02_to_wgs84(glng, glat)
    assert back[0].shape == lng.shape
    assert metres(lng, lat, *back).max() <= 0.01
    # the naive one-step inverse is what the iteration improves on: it is off by ~1.4 m
    dlng, dlat = gcrs._gcj_offset(glng, glat)
    assert metres(lng, lat, glng - dlng, glat - dlat).max() > 1.0
    bd = gcrs.wgs84_to_bd09(lng, lat)
    assert metres(lng, lat, *gcrs.bd09_to_wgs84(*bd)).max() <= 0.01


def test_points_outside_china_and_nans_are_unchanged():
    lng = np.array([2.35, -74.0, 72.0, 118.7, np.nan])
    lat = np.array([48.85, 40.7, 30.0, 24.9, 24.9])
    for func in (gcrs.wgs84_to_gcj02, gcrs.gcj02_to_wgs84, gcrs.wgs84_to_bd09, gcrs.bd09_to_wgs84):
        out_lng, out_lat = func(lng, lat)
        assert out_lng[:3].tolist() == lng[:3].tolist()
        assert out_lat[:3].tolist() == lat[:3].tolist()
        assert out_lng[3] != lng[3]  # inside the rectangle: shifted
        assert np.isnan(out_lng[4])


def test_array_results_equal_scalar_results():
    lng = np.array([[118.65, 118.7], [118.8, 118.87]])
    lat = np.array([[24.86, 24.9], [24.95, 25.02]])
    arr = gcrs.wgs84_to_gcj02(lng, lat)
    for i in np.ndindex(lng.shape):
        assert gcrs.wgs84_to_gcj02(lng[i], lat[i]) == (arr[0][i], arr[1][i])
    with pytest.raises(CRSError, match="same shape"):
        gcrs.wgs84_to_gcj02([1.0, 2.0, 3.0], [1.0, 2.0])


@pytest.fixture
def mixed_layer() -> gpd.GeoDataFrame:
    shapes = [
        "POINT (118.70 24.90)",
        "LINESTRING (118.70 24.90, 118.75 24.95, 118.80 24.97)",
        "POLYGON ((118.70 24.90, 118.80 24.90, 118.80 25.00, 118.70 25.00, 118.70 24.90),"
        " (118.74 24.94, 118.76 24.94, 118.76 24.96, 118.74 24.94))",
        "MULTIPOINT ((118.71 24.91), (118.72 24.92))",
        "MULTIPOLYGON (((118.70 24.90, 118.71 24.90, 118.71 24.91, 118.70 24.90)),"
        " ((118.80 24.90, 118.81 24.90, 118.81 24.91, 118.80 24.90)))",
        "GEOMETRYCOLLECTION (POINT (118.7 24.9), LINESTRING (118.7 24.9, 118.8 25.0))",
        "POINT Z (118.7 24.9 12.5)",
    ]
    return gpd.GeoDataFrame(
        {"name": [f"f{i}" for i in range(len(shapes))]},
        geometry=[wkt.loads(s) for s in shapes],
        crs="EPSG:4490",
    )


def test_to_gcj02_and_back_for_every_geometry_type(mixed_layer):
    shifted = gcrs.to_gcj02(mixed_layer, name="mixed")
    assert shifted.crs.to_epsg() == 4326
    assert shifted.attrs["geoplan_datum"] == "GCJ-02"
    assert shifted["name"].tolist() == mixed_layer["name"].tolist()
    assert shifted.geom_type.tolist() == mixed_layer.geom_type.tolist()
    assert shapely.get_num_interior_rings(shifted.geometry.iloc[2]) == 1
    before = shapely.get_coordinates(mixed_layer.geometry.array, include_z=True)
    after = shapely.get_coordinates(shifted.geometry.array, include_z=True)
    expected = gcrs.wgs84_to_gcj02(before[:, 0], before[:, 1])
    np.testing.assert_array_equal(after[:, 0], expected[0])
    np.testing.assert_array_equal(after[:, 1], expected[1])
    np.testing.assert_array_equal(after[-1:, 2], [12.5])
    back = gcrs.from_gcj02(shifted)
    back_xy = shapely.get_coordinates(back.geometry.array)
    assert metres(before[:, 0], before[:, 1], back_xy[:, 0], back_xy[:, 1]).max() <= 0.01
    round_trip = gcrs.from_bd09(gcrs.to_bd09(mixed_layer))
    rt_xy = shapely.get_coordinates(round_trip.geometry.array)
    assert metres(before[:, 0], before[:, 1], rt_xy[:, 0], rt_xy[:, 1]).max() <= 0.01


def test_to_gcj02_reprojects_projected_input_and_needs_a_crs(mixed_layer):
    projected = mixed_layer.iloc[:3].to_crs("EPSG:4549")
    shifted = gcrs.to_gcj02(projected)
    direct = gcrs.to_gcj02(mixed_layer.iloc[:3])
    a = shapely.get_coordinates(shifted.geometry.array)
    b = shapely.get_coordinates(direct.geometry.array)
    assert metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).max() < 0.01
    with pytest.raises(CRSError, match=r"layer `greenways` has no CRS; pass `crs=` or add a \.prj"):
        gcrs.to_gcj02(mixed_layer.set_crs(None, allow_override=True), name="greenways")


def test_metric_crs_is_the_nearest_3_degree_zone(mixed_layer):
    assert gcrs.metric_crs(mixed_layer).to_epsg() == 4549
    assert gcrs.metric_crs(mixed_layer.to_crs("EPSG:4528")).to_epsg() == 4549
    assert gcrs.metric_crs(gcrs.ZONE_BOUNDS).to_epsg() == 4549
    # Beijing 116.4°E -> CM 117°E; Urumqi 87.6°E -> CM 87°E; Harbin 126.6°E -> CM 126°E
    assert gcrs.metric_crs((116.3, 39.8, 116.5, 40.0)).to_epsg() == 4548
    assert gcrs.metric_crs((87.5, 43.7, 87.7, 43.9)).to_epsg() == 4538
    assert gcrs.metric_crs((126.5, 45.7, 126.7, 45.8)).to_epsg() == 4551
    assert gcrs.gk3_epsg(120) == 4549


def test_metric_crs_refuses_what_it_cannot_place(mixed_layer):
    with pytest.raises(CRSError, match="outside the CGCS2000"):
        gcrs.metric_crs((2.2, 48.8, 2.4, 48.9))
    with pytest.raises(CRSError, match="has no CRS"):
        gcrs.metric_crs(mixed_layer.set_crs(None, allow_override=True), name="parks")
    with pytest.raises(CRSError, match="no non-empty geometries"):
        gcrs.metric_crs(mixed_layer.iloc[:0], name="parks")


def _zone_points(epsg: int) -> tuple[np.ndarray, np.ndarray]:
    lng, lat = np.meshgrid(np.linspace(118.65, 118.87, 5), np.linspace(24.86, 25.02, 5))
    to = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    return to.transform(lng.ravel(), lat.ravel())


@pytest.mark.parametrize(("epsg", "x_range"), [(4528, (40.3e6, 40.4e6)), (4549, (3.5e5, 3.9e5))])
def test_guess_crs_tells_4528_from_4549(epsg, x_range):
    x, y = _zone_points(epsg)
    assert x_range[0] < x.min() and x.max() < x_range[1]  # the magnitudes planners see
    guesses = gcrs.guess_crs(x, y)
    assert guesses[0].crs == f"EPSG:{epsg}"
    assert guesses[0].distance_km == 0
    assert "inside the expected area" in guesses[0].reason
    assert 118.64 < guesses[0].lon < 118.88


def test_guess_crs_other_magnitudes():
    assert [c.crs for c in gcrs.guess_crs([118.7], [24.9])] == ["EPSG:4326", "EPSG:4490"]
    six = gcrs.guess_crs(*_zone_points(4498))
    assert six[0].crs == "EPSG:4498"
    # the 6-degree CM 117°E zone fits x ≈ 2xx xxx; 4549 would put it 300 km away, at sea
    x6, y6 = _zone_points(4509)
    ranked = [c.crs for c in gcrs.guess_crs(x6, y6, limit=40)]
    assert ranked[0] in {"EPSG:4509", "EPSG:4548"}  # same CM 117°E, both in the zone
    assert "EPSG:4549" not in ranked[:2]
    assert gcrs.guess_crs(*_zone_points(3857))[0].crs == "EPSG:3857"
    assert gcrs.guess_crs([np.nan], [np.nan]) == []


def test_missing_crs_message_names_layer_and_best_guess():
    x, y = _zone_points(4528)
    message = gcrs.missing_crs_message("greenways", x, y)
    assert message.startswith("layer `greenways` has no CRS; pass `crs=` or add a .prj")
    assert 'pass crs="EPSG:4528"' in message


def test_check_crs_catches_a_wrong_declared_crs():
    x, y = _zone_points(4528)
    layer = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4549")
    with pytest.raises(CRSError, match=r"declares EPSG:4549.*EPSG:4528") as info:
        gcrs.check_crs(layer, name="villages")
    assert "layer `villages`" in str(info.value)
    assert "allow_override=True" in str(info.value)
    x, y = _zone_points(4549)
    layer = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4528")
    with pytest.raises(CRSError, match=r"declares EPSG:4528.*EPSG:4549"):
        gcrs.check_crs(layer)
    ok = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4549")
    assert gcrs.check_crs(ok).to_epsg() == 4549
    lonlat = gpd.GeoDataFrame(geometry=gpd.points_from_xy([370000.0], [2760000.0]), crs=4326)
    with pytest.raises(CRSError, match="EPSG:4549"):
        gcrs.check_crs(lonlat)


# Esri .prj text as ArcGIS writes it for CGCS2000 (names per Esri's projection engine).
ESRI_PRJ = {
    4549: 'PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_'
    'System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]',
    4528: 'PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_'
    'System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]',
    4490: 'GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",'
    'SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]]',
    4509: 'PROJCS["CGCS2000_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]',
}


@pytest.mark.parametrize("epsg", sorted(ESRI_PRJ))
def test_normalize_crs_maps_esri_names_to_epsg(epsg):
    assert gcrs.normalize_crs(ESRI_PRJ[epsg]) == pyproj.CRS.from_epsg(epsg)


def test_normalize_crs_falls_back_to_the_cgcs2000_name():
    # Datums spelled "D_CGCS2000" defeat the EPSG matcher; the name and ellipsoid decide.
    odd = ESRI_PRJ[4549].replace("D_China_2000", "D_CGCS2000")
    assert pyproj.CRS.from_wkt(odd).to_epsg(min_confidence=70) is None
    assert gcrs.normalize_crs(odd).to_epsg() == 4549
    geographic = (
        ESRI_PRJ[4490]
        .replace("D_China_2000", "D_CGCS2000")
        .replace("GCS_China_Geodetic_Coordinate_System_2000", "GCS_CGCS2000")
    )
    assert gcrs.normalize_crs(geographic).to_epsg() == 4490
    # a CGCS2000 name on another ellipsoid (Xian 1980's) is not silently relabelled
    xian = odd.replace('"CGCS2000",6378137.0,298.257222101', '"Xian_1980",6378140.0,298.257')
    assert gcrs.normalize_crs(xian).to_epsg() is None
    assert gcrs.normalize_crs(None) is None
    assert gcrs.parse_datum_name("gcj02") == "GCJ-02"
    assert gcrs.parse_datum_name("BD-09") == "BD-09"
    assert gcrs.parse_datum_name("EPSG:4326") is None


def test_latitude_first_coordinates_are_called_swapped_not_web_mercator():
    # a 4490 export written latitude first: x ≈ 24.9, y ≈ 118.8
    lon, lat = np.array([118.70, 118.85]), np.array([24.90, 25.00])
    swapped = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lat, lon), crs=4490)
    with pytest.raises(CRSError) as info:
        gcrs.check_crs(swapped, name="greenways")
    text = str(info.value)
    assert "x and y look swapped" in text and "at 118.775°E 24.950°N" in text
    assert "EPSG:3857" not in text
    assert "x and y look swapped" in gcrs.missing_crs_message("greenways", lat, lon)
    # the right order is not called swapped, with or without a CRS
    right = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4490)
    assert gcrs.check_crs(right, name="greenways").to_epsg() == 4490
    assert "swapped" not in gcrs.missing_crs_message("greenways", lon, lat)
