"""geoplan.maps without a browser: encoding, offline HTML, basemaps, styles, bad input."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from click.testing import CliRunner

import geoplan
from geoplan import CRSError, MapError
from geoplan._common.labels import KIND_LABELS
from geoplan.cli import main as cli_main
from geoplan.maps import Choropleth, make_map, save_map
from geoplan.maps._encode import (
    EncodedGeometry,
    b64_varints,
    decode_geometries,
    encode_geometries,
    simplify,
)
from geoplan.maps._popup import script_json

GEOD = pyproj.Geod(ellps="WGS84")
TO_METRIC = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)


def small_layers() -> dict[str, gpd.GeoDataFrame]:
    """Two towns, two greenways, three farmhouses, per the layer contract."""
    towns = gpd.GeoDataFrame(
        {
            "id": ["t1", "t2"],
            "name": ["洛阳镇", "东园镇"],
            "task_ids": ["", ""],
            "population": [1000, 2000],
        },
        geometry=[
            shapely.box(118.70, 24.90, 118.75, 24.95),
            shapely.box(118.75, 24.90, 118.80, 24.95),
        ],
        crs="EPSG:4326",
    )
    greenways = gpd.GeoDataFrame(
        {
            "id": ["g1", "g2"],
            "name": ["洛阳江福道", "东园福道"],
            "task_ids": ["9", "9,10"],
            "town_id": ["t1", "t2"],
            "status": ["completed", "planned"],
            "completed_date": pd.to_datetime(["2022-06-30", None]),
        },
        geometry=[
            shapely.LineString([(118.71, 24.91), (118.74, 24.94)]),
            shapely.LineString([(118.76, 24.91), (118.79, 24.94)]),
        ],
        crs="EPSG:4326",
    )
    farmhouses = gpd.GeoDataFrame(
        {
            "id": ["f1", "f2", "f3"],
            "name": ["农房1", "农房2", "农房3"],
            "task_ids": ["11"] * 3,
            "village_id": ["v1"] * 3,
            "town_id": ["t1"] * 3,
            "renovation_status": ["completed", "planned", "completed"],
            "renovation_date": pd.to_datetime(["2023-03-01", None, "2024-01-15"]),
        },
        geometry=[
            shapely.Point(118.72, 24.92),
            shapely.Point(118.73, 24.925),
            shapely.Point(118.77, 24.93),
        ],
        crs="EPSG:4326",
    )
    return {"towns": towns, "greenways": greenways, "farmhouses": farmhouses}


def page_data(html: str) -> tuple[dict[str, dict], dict]:
    """The layers' JSON and the config JSON embedded in a saved map."""
    blocks = re.findall(r'<script type="application/json" id="([\w]+)">(.*?)</script>', html, re.S)
    layers = {}
    config: dict = {}
    for element_id, text in blocks:
        data = json.loads(text)
        if element_id.endswith("_config"):
            config = data
        else:
            layers[data["name"]] = data
    return layers, config


def encoded(data: dict) -> EncodedGeometry:
    return EncodedGeometry(
        data["geom"],
        data["quantum"],
        tuple(data["origin"]),
        data["coords"],
        data["rings"],
        data["features"],
        0,
        0,
    )


def metric(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.column_stack(TO_METRIC.transform(*c.T)))


class ResourceTags(HTMLParser):
    """Every src/href that makes a browser fetch: script, img, link, iframe, source."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "img": "src", "iframe": "src", "source": "src", "link": "href"}
        for name, value in attrs:
            if wanted.get(tag) == name and value:
                self.urls.append(value)


# -- encoding ------------------------------------------------------------------------


def test_varints_match_leb128_by_hand() -> None:
    raw = base64.b64decode(b64_varints(np.array([0, 1, 127, 128, 300, 2**21])))
    assert list(raw) == [0x00, 0x01, 0x7F, 0x80, 0x01, 0xAC, 0x02, 0x80, 0x80, 0x80, 0x01]


def test_encoding_round_trip_is_within_half_the_precision() -> None:
    hole = shapely.box(118.712, 24.912, 118.713, 24.913).exterior.coords
    geoms = np.array(
        [
            shapely.box(118.70, 24.90, 118.7001, 24.9002),
            shapely.Polygon(shapely.box(118.71, 24.91, 118.72, 24.92).exterior.coords, [hole]),
            shapely.MultiPolygon(
                [
                    shapely.box(118.80, 24.90, 118.801, 24.901),
                    shapely.box(118.802, 24.90, 118.803, 24.901),
                ]
            ),
        ]
    )
    enc = encode_geometries(geoms, precision_m=0.5)
    assert enc.n_features == 3
    # closing vertices dropped: 4 + 4 + 4 (hole) + 4 + 4 vertices
    assert enc.n_vertices == 20
    back = decode_geometries(enc)
    err = shapely.hausdorff_distance(metric(shapely.boundary(geoms)), metric(back))
    # half the diagonal of a 0.5 m lat step × 0.45 m lon step is 0.34 m
    assert err.max() < 0.35
    assert [len(shapely.get_parts(b)) for b in back] == [1, 2, 2]


def test_simplify_keeps_what_shows_at_zoom_17() -> None:
    theta = np.linspace(0, 2 * np.pi, 400)
    ring = np.column_stack([118.75 + 0.002 * np.cos(theta), 24.95 + 0.002 * np.sin(theta)])
    circle = np.array([shapely.Polygon(ring)])
    out = simplify(circle, 0.5)
    assert shapely.get_num_coordinates(out)[0] < 200
    assert shapely.hausdorff_distance(metric(circle), metric(out))[0] <= 0.5
    quad = np.array([shapely.box(118.7, 24.9, 118.7001, 24.9001)])
    assert simplify(quad, 0.5)[0] is quad[0]  # nothing to drop from four corners


def test_coverage_simplification_keeps_shared_borders() -> None:
    # two villages sharing a wiggly border of 200 vertices
    x = np.linspace(118.70, 118.72, 200)
    border = np.column_stack([x, 24.91 + 0.00002 * np.sin(x * 4000)])
    north = shapely.Polygon([*border, (118.72, 24.92), (118.70, 24.92)])
    south = shapely.Polygon([*border[::-1], (118.70, 24.90), (118.72, 24.90)])
    both = np.array([north, south])
    assert shapely.coverage_is_valid(both)
    out = simplify(both, 0.5, coverage=True)
    assert shapely.coverage_is_valid(out)  # no gap, no overlap between the two
    assert shapely.get_num_coordinates(out).sum() < shapely.get_num_coordinates(both).sum()
    assert shapely.hausdorff_distance(metric(both), metric(out)).max() < 1.0


def test_compact_page_is_much_smaller_than_geojson() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(118.65, 118.85, 2000), rng.uniform(24.86, 25.0, 2000)
    boxes = shapely.box(x, y, x + 0.00015, y + 0.0001)
    gdf = gpd.GeoDataFrame(
        {"id": [f"b{i}" for i in range(2000)], "name": "楼", "task_ids": "", "status": "completed"},
        geometry=boxes,
        crs="EPSG:4326",
    )
    layers, _ = page_data(make_map({"projects": gdf}).get_root().render())
    per_feature = len(layers["projects"]["coords"]) / 2000
    assert per_feature < 25  # 4 vertices in ≈ 12 bytes, base64
    assert len(gdf.to_json()) / 2000 > 10 * per_feature


# -- offline page --------------------------------------------------------------------


def test_offline_page_loads_nothing_from_a_host(tmp_path: Path) -> None:
    path = save_map(make_map(small_layers()), tmp_path / "m.html")
    html = path.read_text(encoding="utf-8")
    tags = ResourceTags()
    tags.feed(html)
    assert tags.urls == []  # everything is inline: no src/href at all
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    for cdn in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert cdn not in html.lower()
    assert "L.Map=" in html or "L.Map =" in html or "Map:" in html  # Leaflet is inlined
    assert not list(tmp_path.glob(".*tmp"))  # atomic write left no temp file


def test_online_page_loads_only_leaflet(tmp_path: Path) -> None:
    html = save_map(make_map(small_layers(), offline=False), tmp_path / "m.html").read_text()
    tags = ResourceTags()
    tags.feed(html)
    assert sorted(tags.urls) == [
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    ]


def test_offline_save_refuses_a_cdn_plugin(tmp_path: Path) -> None:
    m = make_map(small_layers())
    folium.plugins.Fullscreen().add_to(m)  # folium's plugin loads its script from a CDN
    with pytest.raises(MapError, match="offline=False"):
        save_map(m, tmp_path / "m.html")
    assert not (tmp_path / "m.html").exists()


# -- untrusted text ------------------------------------------------------------------


def test_script_json_cannot_break_out_and_round_trips() -> None:
    nasty = ["</script><script>alert(1)</script>", "<!--", "a\u2028b\u2029c", "&amp;", "`${x}`"]
    text = script_json({"name": nasty})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"name": nasty}


def test_template_syntax_in_names_is_not_evaluated(tmp_path: Path) -> None:
    layers = small_layers()
    layers["towns"].loc[0, "name"] = "{{ 7*7 }}{% if true %}x{% endif %}"
    html = save_map(make_map(layers), tmp_path / "m.html").read_text(encoding="utf-8")
    data, _ = page_data(html)
    assert data["towns"]["props"]["name"][0] == "{{ 7*7 }}{% if true %}x{% endif %}"


# -- basemaps and GCJ-02 -------------------------------------------------------------


def test_unknown_basemap_lists_the_valid_ones() -> None:
    with pytest.raises(MapError) as err:
        make_map(small_layers(), basemap="bing")
    for name in ("none", "openstreetmap", "tianditu_vec", "tianditu_img", "gaode"):
        assert name in str(err.value)


def test_tianditu_needs_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(MapError, match="TIANDITU_KEY"):
        make_map(small_layers(), basemap="tianditu_img")
    monkeypatch.setenv("TIANDITU_KEY", "abc123")
    html = save_map(make_map(small_layers(), basemap="tianditu_img"), tmp_path / "m.html")
    text = html.read_text(encoding="utf-8")
    assert "img_w/wmts" in text and "cia_w/wmts" in text and "tk=abc123" in text


def test_gaode_basemap_shifts_layers_about_560_m_ese(tmp_path: Path) -> None:
    layers = small_layers()
    plain, _ = page_data(save_map(make_map(layers), tmp_path / "a.html").read_text())
    shifted, _ = page_data(
        save_map(make_map(layers, basemap="gaode"), tmp_path / "b.html").read_text()
    )
    before = shapely.get_coordinates(decode_geometries(encoded(plain["farmhouses"])))
    after = shapely.get_coordinates(decode_geometries(encoded(shifted["farmhouses"])))
    az, _, dist = GEOD.inv(before[:, 0], before[:, 1], after[:, 0], after[:, 1])
    assert np.all((dist > 500) & (dist < 620)), dist
    assert np.all((az > 95) & (az < 130)), az  # ESE is 112.5°
    # the input was not modified in place
    assert layers["farmhouses"].geometry.iloc[0].x == pytest.approx(118.72)


# -- styles, legend, popups ------------------------------------------------------------


def test_legend_uses_the_layer_styles_and_reports_empty_layers() -> None:
    layers = small_layers()
    layers["parks"] = gpd.GeoDataFrame(
        {"id": [], "name": [], "task_ids": []}, geometry=[], crs="EPSG:4326"
    )
    m = make_map(layers)
    data, config = page_data(m.get_root().render())
    assert "parks" not in data
    assert any("parks" in w and "没有要素" in w for w in config["warnings"])
    gw = data["greenways"]
    section = next(s for s in config["legend"] if s["title"] == "福道（绿道）")
    assert [i["style"] for i in section["items"]] == gw["styles"]
    assert [i["label"] for i in section["items"]] == ["已建成（实线）", "计划（短虚线）"]
    solid, planned = gw["styles"]
    assert not solid.get("dash") and planned["dash"]
    assert m.geoplan_summary["features"] == {"towns": 2, "greenways": 2, "farmhouses": 3}


# the real plan has tasks without quantified targets, which parse_plan reports as a warning
@pytest.mark.filterwarnings("ignore::geoplan._errors.PlanWarning")
def test_popup_fields_are_chinese_with_task_titles(plan_path: Path) -> None:
    plan = geoplan.parse_plan(plan_path)
    scorecard = pd.DataFrame(
        {
            "task_id": [9, 9, 11],
            "metric": ["greenway_km"] * 2 + ["x"],
            "scope": ["zone"] * 3,
            "value": [12.5, 3, 40],
            "unit": "km",
            "target": [10, 10, 100],
            "status": ["met", "met", "behind"],
        }
    )
    data, config = page_data(
        make_map(small_layers(), plan=plan, scorecard=scorecard).get_root().render()
    )
    props = data["greenways"]["props"]
    assert props["name"] == ["洛阳江福道", "东园福道"]
    assert props["status"] == ["已完成", "计划"]
    assert props["year"] == ["2022", ""]
    assert config["taskTitles"]["9"] == plan.task(9).title
    assert config["taskTitles"]["10"] == plan.task(10).title
    assert [r["task_id"] for r in config["scorecard"]] == ["9", "9", "11"]
    assert config["scorecard"][2]["status"] == "滞后"
    assert config["scorecard"][0]["value"] == "12.5 公里"


@pytest.mark.slow  # renders a choropleth map of the sample
def test_choropleth_quantile_classes() -> None:
    layers = small_layers()
    metric_frame = pd.DataFrame(
        {
            "metric": "farmhouse_renovation_rate",
            "scope_type": "town",
            "scope": ["洛阳镇", "东园镇", "全区"],
            "value": [40.0, 90.0, 60.0],
            "unit": "%",
        }
    )
    metric_frame.loc[2, "scope_type"] = "zone"
    data, config = page_data(
        make_map(layers, choropleth=Choropleth(metric_frame, scheme="target", target=80))
        .get_root()
        .render()
    )
    layer = data["choropleth:towns"]
    idx = base64.b64decode(layer["style"])
    assert list(idx) == [0, 1]  # 40 % below the 80 % target, 90 % reaches it
    section = config["legend"][0]
    assert [i["label"] for i in section["items"]] == ["< 80（未达目标） %", "≥ 80（达到目标） %"]
    q = make_map(layers, choropleth=metric_frame).get_root().render()
    assert json.loads(re.search(r'"legend":(\[.*?\]),"warnings"', q).group(1))[0]["items"][0][
        "label"
    ].startswith("40 – ")


def test_bad_input_messages() -> None:
    layers = small_layers()
    no_crs = layers["towns"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="towns"):
        make_map({"towns": no_crs})
    with pytest.raises(MapError, match="not a GeoDataFrame"):
        make_map({"towns": pd.DataFrame({"a": [1]})})
    with pytest.raises(MapError, match="not a folium layer"):
        make_map(layers, overlays=["landcover.tif"])
    with pytest.raises(MapError, match="choropleth frame lacks"):
        make_map(layers, choropleth=pd.DataFrame({"scope": ["洛阳镇"]}))


def test_projected_layers_are_reprojected() -> None:
    layers = small_layers()
    layers["towns"] = layers["towns"].to_crs("EPSG:4549")
    _, config = page_data(make_map(layers).get_root().render())
    (s, w), (n, e) = config["bounds"]
    assert (w, s, e, n) == pytest.approx((118.70, 24.90, 118.80, 24.95), abs=1e-6)


# -- the bundled sample and the CLI -----------------------------------------------------


@pytest.mark.slow  # renders the whole sample map
def test_sample_map_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    result = CliRunner().invoke(cli_main, ["map", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sample = geoplan.load_sample()
    assert f"地图已写入 {out}（" in result.output
    for kind in ("towns", "greenways", "farmhouses"):  # Chinese layer names with their counts
        assert f"{KIND_LABELS[kind]} {len(sample[kind])}" in result.output
    data, _ = page_data(out.read_text(encoding="utf-8"))
    assert {k: len(v) for k, v in sample.items() if len(v)} == {
        k: len(decode_geometries(encoded(d))) for k, d in data.items()
    }
    assert out.stat().st_size < 2_000_000
    bad = CliRunner().invoke(cli_main, ["map", "--basemap", "bing", "-o", str(out)])
    assert bad.exit_code == 2 and "valid basemaps are" in bad.output
