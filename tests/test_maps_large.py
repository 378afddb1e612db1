"""Maps of many points: aggregated by zoom, compact, and the counts right."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import require

from geoplan.maps import make_map, save_map
from geoplan.maps._browser import Browser, browser_available

ZONE = (118.64, 24.85, 118.88, 25.03)
# the legend labels of farmhouse renovation, as the map shows them
LABELS = {"completed": "已整治", "under_construction": "整治中", "planned": "未整治（计划）"}


def farmhouses(n: int, *, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    status = rng.choice(list(LABELS), n, p=[0.55, 0.15, 0.30])
    return gpd.GeoDataFrame(
        {
            "id": [f"F{i}" for i in rng.permutation(n)],
            "name": "",
            "task_ids": "18",
            "renovation_status": status,
        },
        geometry=shapely.points(rng.uniform(ZONE[0], ZONE[2], n), rng.uniform(ZONE[1], ZONE[3], n)),
        crs="EPSG:4326",
    )


def _layer_json(html: str) -> dict:
    for block in re.findall(r"<script[^>]*application/json[^>]*>(.*?)</script>", html, re.S):
        data = json.loads(block)
        if isinstance(data, dict) and data.get("kind") == "farmhouses":
            return data
    raise AssertionError("no farmhouses layer in the page")


def test_numbered_ids_and_single_points_are_compact(tmp_path):
    gdf = farmhouses(5_000)
    path = save_map(make_map({"farmhouses": gdf}, minimap=False), tmp_path / "m.html")
    data = _layer_json(path.read_text(encoding="utf-8"))
    assert data["single"] == 5_000 and data["rings"] == "" and data["features"] == ""
    ids = data["props"]["id"]
    assert ids["prefix"] == "F"
    # the page rebuilds the ids by adding the zigzagged differences: do it here too
    raw = np.frombuffer(__import__("base64").b64decode(ids["num"]), dtype=np.uint8)
    values, v, shift = [], 0, 0
    for byte in raw:
        v |= int(byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(v)
            v, shift = 0, 0
    deltas = [(u >> 1) if u % 2 == 0 else -((u + 1) >> 1) for u in values]
    rebuilt = {f"F{n}" for n in np.cumsum(deltas)}
    assert rebuilt == set(gdf["id"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require(
        browser_available(), "Playwright or Chromium is not installed (apt-get install chromium)"
    )
    with Browser() as b:
        yield b


@pytest.mark.services
def test_aggregated_counts_by_status_equal_the_data(tmp_path, browser):
    gdf = farmhouses(50_000)
    path = save_map(make_map({"farmhouses": gdf}, minimap=False), tmp_path / "m.html")
    want = {LABELS[k]: int(v) for k, v in gdf["renovation_status"].value_counts().items()}
    with browser.new_page(width=1280, height=800) as page:
        page.open(path)
        g = "window.geoplanMap"
        assert page.page.evaluate(f"{g}.layers[0].clustered()") is True  # the whole zone
        shown = page.page.evaluate(f"Object.assign({{}}, {g}.clusterCounts.farmhouses)")
        assert {k: int(v) for k, v in shown.items() if v} == want
        assert page.page.evaluate(f"{g}.counts.farmhouses") == 50_000
        # the encoded columns, decoded on first use, are the data's ids and statuses
        ids = page.page.evaluate(f"{g}.layers[0]._d.props.id")
        assert len(ids) == 50_000 and set(ids) == set(gdf["id"])
        status = page.page.evaluate(f"{g}.layers[0]._d.props.status")
        tooltip = {"completed": "已完成", "under_construction": "在建", "planned": "计划"}
        counts = gdf["renovation_status"].map(tooltip).value_counts().to_dict()
        assert {k: status.count(k) for k in set(status)} == counts
        # zoomed in past the aggregation zoom: the points themselves, only those in view
        page.page.evaluate(f"{g}.map.setView([24.94, 118.76], 16, {{animate: false}})")
        assert page.page.evaluate(f"{g}.layers[0].clustered()") is False
        w, s, e, n = map(
            float, page.page.evaluate(f"{g}.map.getBounds().toBBoxString()").split(",")
        )
        inside = gdf.cx[w:e, s:n]
        drawn = page.page.evaluate(f"{g}.counts.farmhouses")
        # the page counts points within a 24 px margin around the view too
        assert len(inside) <= drawn <= len(gdf.cx[w - 0.002 : e + 0.002, s - 0.002 : n + 0.002])
        assert not page.console_errors
