"""What the other parts of geoplan produce comes back from the database unchanged.

Footprints (points or polygons in one layer), the register's ``year_source`` and
``unit_duties``, a ledger's own columns, the scorecard's ``judged_on``/``value_today``/
``definition``, and a dump of a database that holds no layers. Each on a GeoPackage file
and a fresh PostGIS database where the backend matters; stored values are also read with
plain SQL, so a reader that made up what it did not find would not pass.
"""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import geoplan
from geoplan import SchemaError, StoreError
from geoplan.store import SCHEMA_VERSION, Store, init_db, load_layers, read_layers_from_db
from geoplan.store._backends import resolve_url
from tests.conftest import require
from tests.test_store import (  # noqa: F401  (fixtures)
    _farmhouses,
    _gpkg_reason,
    _plan,
    assert_same_layer,
    gpkg_url,
    pg_template,
    pg_url,
)


@pytest.fixture(params=["gpkg", "postgis"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on a GeoPackage file and on a fresh PostGIS database."""
    return request.getfixturevalue("gpkg_url" if request.param == "gpkg" else "pg_url")


def _sql(database: str, sql: str) -> list[tuple]:
    """Rows of ``sql`` on the store's database, through a plain SQLAlchemy engine."""
    resolved = resolve_url(database)
    engine = create_engine(
        "sqlite:///" + resolved[len("gpkg:///") :] if resolved.startswith("gpkg:") else resolved
    )
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


# ------------------------------------------------------------------ footprints


def _mixed_farmhouses() -> gpd.GeoDataFrame:
    """Six farmhouses: three points, a footprint, a two-part footprint, a one-part multi."""
    gdf = _farmhouses(6)
    gdf.loc[3, "geometry"] = shapely.box(118.71, 24.91, 118.7102, 24.9101)
    gdf.loc[4, "geometry"] = shapely.MultiPolygon(
        [
            shapely.box(118.72, 24.92, 118.7201, 24.9201),
            shapely.box(118.73, 24.92, 118.7301, 24.9201),
        ]
    )
    gdf.loc[5, "geometry"] = shapely.MultiPolygon([shapely.box(118.74, 24.93, 118.7402, 24.9302)])
    return gdf


def _heritage() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["H1", "H2"],
            "name": ["洛阳桥", "蔡襄祠"],
            "task_ids": ["14,16", "15"],
            "heritage_type": ["cultural_relic", "historic_building"],
            "protection_level": ["national", None],
        },
        geometry=[shapely.Point(118.68, 24.96), shapely.box(118.681, 24.961, 118.6812, 24.9612)],
        crs=4326,
    )


def test_footprints_and_points_round_trip_in_one_layer(db_url):
    houses, heritage = _mixed_farmhouses(), _heritage()
    stats = load_layers(
        {"farmhouses": houses, "heritage_sites": heritage}, url=db_url, valid_from="2022-01-01"
    )
    assert stats["farmhouses"].inserted == 6 and stats["heritage_sites"].inserted == 2
    back = read_layers_from_db(db_url)
    assert_same_layer(back["farmhouses"], houses)
    assert_same_layer(back["heritage_sites"], heritage)
    # points stay points; polygons come back as one- or two-part multipolygons
    types = back["farmhouses"].set_index("id").geom_type.to_dict()
    assert types == {
        "F00000": "Point",
        "F00001": "Point",
        "F00002": "Point",
        "F00003": "MultiPolygon",
        "F00004": "MultiPolygon",
        "F00005": "MultiPolygon",
    }
    # the declared column: generic for footprint kinds, typed for the others
    if db_url.endswith(".gpkg"):
        sql = "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"
    else:
        sql = "SELECT f_table_name, type FROM geometry_columns WHERE f_table_schema = 'public'"
    declared = dict(_sql(db_url, sql))
    assert declared["farmhouses"] == declared["farmhouses_history"] == "GEOMETRY"
    assert declared["heritage_sites"] == "GEOMETRY"
    assert declared["water_sources"] == "POINT" and declared["villages"] == "MULTIPOLYGON"
    if not db_url.endswith(".gpkg"):
        # the footprint as PostGIS measures it: F00003 is 0.0002° x 0.0001°
        area = _sql(db_url, "SELECT ST_Area(geom) FROM farmhouses WHERE id = 'F00003'")[0][0]
        assert area == pytest.approx(0.0002 * 0.0001, rel=1e-6)


def test_a_point_replaced_by_its_footprint_keeps_the_point_in_history(db_url):
    houses = _mixed_farmhouses()
    load_layers({"farmhouses": houses}, url=db_url, valid_from="2022-01-01")
    surveyed = houses.copy()
    surveyed.loc[0, "geometry"] = shapely.box(118.75, 24.95, 118.7502, 24.9502)
    stats = load_layers({"farmhouses": surveyed}, url=db_url, valid_from="2023-01-01")["farmhouses"]
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 1, 5)
    assert_same_layer(read_layers_from_db(db_url)["farmhouses"], surveyed)
    assert_same_layer(read_layers_from_db(db_url, as_of="2022-06-30")["farmhouses"], houses)
    with Store(db_url) as store:
        assert store.counts()["farmhouses_history"] == 1


def test_a_line_is_still_refused_in_a_footprint_kind(tmp_path):
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    gdf = _mixed_farmhouses()
    gdf.loc[2, "geometry"] = shapely.LineString([(118.7, 24.9), (118.71, 24.91)])
    with pytest.raises(SchemaError, match=r"row 2 \(id 'F00002'\).*Point or Polygon"):
        load_layers({"farmhouses": gdf}, url=tmp_path / "x.gpkg")
    # and a point is still refused where only areas belong
    villages = gpd.GeoDataFrame(
        {"id": ["V1"], "name": ["村"]}, geometry=[shapely.Point(118.7, 24.9)], crs=4326
    )
    with pytest.raises(SchemaError, match="not a Polygon or MultiPolygon"):
        load_layers({"villages": villages}, url=tmp_path / "x.gpkg")


def test_validator_passes_a_database_with_footprints(tmp_path):
    from tests.test_store_clients import validate

    path = tmp_path / "footprints.gpkg"
    load_layers(
        {"farmhouses": _mixed_farmhouses(), "heritage_sites": _heritage()},
        url=path,
        valid_from="2022-01-01",
    )
    surveyed = _mixed_farmhouses()
    surveyed.loc[1, "geometry"] = shapely.box(118.76, 24.96, 118.7602, 24.9602)
    load_layers({"farmhouses": surveyed}, url=path, valid_from="2023-01-01")  # history too
    assert validate(path) == ""


# ------------------------------------------------------------------ the register


def test_year_source_and_unit_duties_round_trip(db_url):
    plan = _plan()
    duties = {"区建设与交通局": "负责福道建设的统筹推进", "各乡镇": "负责辖区内农房整治"}
    plan = dataclasses.replace(plan, unit_duties=duties)
    sources = [t.year_source for task in plan.tasks for t in task.targets]
    assert {"text", "relative", None} <= set(sources)  # the bundled plan has all three
    with Store(db_url) as store:
        store.load(plan=plan)
        back = store.read_plan()
    assert back == plan
    assert back.unit_duties == duties and list(back.unit_duties) == list(duties)
    assert [t.year_source for task in back.tasks for t in task.targets] == sources
    # year_source is part of a target's identity again: a different source is a different plan
    first = back.tasks[0]
    moved = dataclasses.replace(
        first,
        targets=[dataclasses.replace(first.targets[0], year_source="title"), *first.targets[1:]],
    )
    assert first.targets and dataclasses.replace(back, tasks=[moved, *back.tasks[1:]]) != back
    # what the tables hold, read with plain SQL
    stored = _sql(
        db_url,
        "SELECT year_source FROM targets WHERE task_id IS NOT NULL ORDER BY task_id, target_index",
    )
    assert [r[0] for r in stored] == sources
    assert _sql(db_url, "SELECT unit, duties FROM plan_unit_duties ORDER BY position") == list(
        duties.items()
    )
    # a plan without duties replaces them
    with Store(db_url) as store:
        store.load(plan=_plan())
        assert store.read_plan().unit_duties == {}
    assert _sql(db_url, "SELECT COUNT(*) FROM plan_unit_duties") == [(0,)]


# ------------------------------------------------------------------ the progress ledger


_LEDGER = """\
记录编号,任务编号,目标编号,图层,要素编号,日期,状态,数量,单位,备注,填报单位,乡镇,项目名称
L1,9,9-1,greenways,G1,2022-03-01,completed,2.5,km,,区建设与交通局,洛阳镇,洛阳江福道一期
L2,18,,farmhouses,F00001,2022-04-02,completed,1,栋,整治完成,洛阳镇人民政府,洛阳镇,
L3,4,4-2,,,2022-05-03,under_construction,120,套,,区住房保障中心,,海尾小区改造
"""


def test_ledger_columns_round_trip(db_url, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(_LEDGER, encoding="utf-8")
    records = geoplan.read_records(path)
    assert {"target_index", "reporter", "town", "name"} <= set(records)
    with Store(db_url) as store:
        store.load(records=records)
        back = store.read_records()
    assert list(back) == list(records)
    for column in records:
        want, got = records[column].astype(object), back[column].astype(object)
        assert got.where(got.notna(), None).tolist() == want.where(want.notna(), None).tolist(), (
            column
        )
    # by hand from the file: 目标编号 9-1 is task 9's first target (index 0), 4-2 the second
    stored = _sql(db_url, "SELECT record_id, target_index, reporter, town, name FROM records")
    assert sorted(stored) == [
        ("L1", 0, "区建设与交通局", "洛阳镇", "洛阳江福道一期"),
        ("L2", None, "洛阳镇人民政府", "洛阳镇", None),
        ("L3", 1, "区住房保障中心", None, "海尾小区改造"),
    ]


def test_records_without_ledger_columns_come_back_without_them(db_url, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "record_id,task_id,layer,feature_id,date,status\nR1,9,greenways,G1,2022-03-01,completed\n",
        encoding="utf-8",
    )
    records = geoplan.read_records(path)
    with Store(db_url) as store:
        store.load(records=records)
        back = store.read_records()
    assert list(back) == list(records)
    assert not {"target_index", "reporter", "town", "name"} & set(back)


# ------------------------------------------------------------------ scorecard snapshots


def test_snapshot_keeps_judged_on_value_today_and_definition(db_url):
    card = pd.DataFrame(
        {
            "task_id": [9, 18],
            "target_index": [0, 1],
            "quantity_index": [0, 0],
            "metric": ["greenway_total_km", "farmhouse_renovated_count"],
            "scope_type": ["zone", "town"],
            "scope": ["泉州台商投资区", "洛阳镇"],
            "year": [2022, 2025],
            "value": [6.5, 120.0],
            "judged_on": pd.to_datetime(["2022-12-31", None]).astype("datetime64[ms]"),
            "value_today": [8.25, 120.0],
            "unit": ["km", "count"],
            "target": [10.0, 200.0],
            "status": ["not_met", "on_track"],
            "definition": ["已建成福道长度（代理指标）", ""],
        }
    )
    with Store(db_url) as store:
        store.snapshot(card, as_of="2023-06-30")
        back = store.read_snapshots(as_of="2023-06-30")
    assert back["judged_on"].tolist()[0] == pd.Timestamp("2022-12-31")
    assert pd.isna(back["judged_on"].tolist()[1])
    np.testing.assert_array_equal(back["value_today"], [8.25, 120.0])
    assert back["definition"].tolist() == ["已建成福道长度（代理指标）", ""]
    rows = _sql(
        db_url, "SELECT judged_on, value_today, definition FROM metric_snapshots ORDER BY fid"
    )
    assert [(str(r[0]) if r[0] else None, r[1], r[2]) for r in rows] == [
        ("2022-12-31", 8.25, "已建成福道长度（代理指标）"),
        (None, 120.0, ""),
    ]


# ------------------------------------------------------------------ dump and schema


def test_gpkg_dump_of_a_database_without_layers(tmp_path):
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    plan = _plan()
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(_LEDGER, encoding="utf-8")
    with Store(tmp_path / "bureau.gpkg") as store:
        store.load(plan=plan, records=geoplan.read_records(ledger))
        written = store.dump(tmp_path / "out", layer_format="gpkg")
        # a second dump replaces its own files
        again = store.dump(tmp_path / "out", layer_format="gpkg")
    names = ["metric_snapshots.csv", "plan.json", "records.csv"]
    assert sorted(p.name for p in written) == sorted(p.name for p in again) == names
    assert not (tmp_path / "out" / "layers.gpkg").exists()
    assert json.loads((tmp_path / "out" / "plan.json").read_text("utf-8")) == plan.to_dict()
    dumped = pd.read_csv(tmp_path / "out" / "records.csv", encoding="utf-8-sig")
    assert dumped["record_id"].tolist() == ["L1", "L2", "L3"]
    assert dumped["reporter"].tolist()[0] == "区建设与交通局"


def test_a_version_2_database_is_refused_with_the_way_to_move(db_url):
    assert SCHEMA_VERSION == 3
    store = init_db(db_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE geoplan_meta SET value = '2' WHERE key = 'schema_version'"))
    with pytest.raises(StoreError, match=r"schema version 2, older than this geoplan's 3") as err:
        store.read_plan()
    message = str(err.value)
    assert "geoplan db dump" in message and "geoplan db load" in message
    assert "--plan DIR/plan.json" in message and "--snapshots" in message
    store.close()


def test_qgis_draws_points_and_footprints_of_one_layer_styled(db_url, tmp_path):
    from tests.test_store_clients import qgis

    houses = _mixed_farmhouses()
    houses.loc[3, "geometry"] = shapely.box(118.71, 24.91, 118.75, 24.95)  # large enough to see
    load_layers({"farmhouses": houses}, url=db_url, valid_from="2022-01-01")
    if db_url.endswith(".gpkg"):
        source = db_url
    else:
        parsed = make_url(db_url)
        source = f"pg:dbname={parsed.database} host={parsed.host} port={parsed.port or 5432} "
        source += f"user={parsed.username}"
    seen = {}
    for part in ("Point", "MultiPolygon"):
        png = tmp_path / f"{part}.png"
        seen[part] = qgis(source, [f"farmhouses:{part}"], render=("farmhouses", png))
    points, footprints = seen["Point"]["farmhouses"], seen["MultiPolygon"]["farmhouses"]
    assert (points["geometry"], points["count"]) == ("Point", 3)
    assert (footprints["geometry"], footprints["count"]) == ("MultiPolygon", 3)
    assert points["names"] == ["农房0", "农房1", "农房2"]
    assert footprints["names"] == ["农房3", "农房4", "农房5"]
    for got in (points, footprints):  # the database's default style, classed by geometry too
        assert got["renderer"] == "categorizedSymbol"
        assert [c[0] for c in got["categories"]][-1] == "footprint:"
    # the footprint of 0.04° x 0.04° fills much of the picture; three points paint a little
    assert seen["MultiPolygon"]["_render"]["painted_samples"] > 5000
    assert 0 < seen["Point"]["_render"]["painted_samples"] < 500
    # the project opens the footprints as a layer of their own beside the points
    project = tmp_path / "fp.qgs"
    with Store(db_url) as store:
        store.qgis_project(project)
    layers = qgis("", ["--project", str(project)])["点状要素"]
    assert [(x["name"], x["count"], x["renderer"]) for x in layers] == [
        ("农房", 3, "categorizedSymbol"),
        ("农房（轮廓）", 3, "categorizedSymbol"),
    ]


def test_a_dump_loads_back_into_a_new_database_unchanged(tmp_path):
    """The way the refusal of an older database describes: dump, then load the dump."""
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    from click.testing import CliRunner

    from geoplan.cli import main
    from tests.test_store import _none_for_missing, _towns

    ledger = tmp_path / "ledger.csv"
    ledger.write_text(_LEDGER, encoding="utf-8")
    plan = dataclasses.replace(_plan(), unit_duties={"区建设与交通局": "负责福道建设"})
    layers = {"towns": _towns(), "farmhouses": _mixed_farmhouses(), "heritage_sites": _heritage()}
    card = pd.DataFrame(
        {
            "task_id": [9, 9],
            "metric": ["greenway_total_km", "greenway_total_km"],
            "scope_type": ["zone", "zone"],
            "value": [6.5, -0.25],
            "judged_on": pd.to_datetime(["2022-12-31", None]),
            "value_today": [8.25, -0.25],
            "comparator": [">=", None],
            "definition": ["=已建成福道长度", ""],  # a formula-like text survives the dump
            "status": ["not_met", "no_data"],
        }
    )
    old = tmp_path / "old.gpkg"
    with Store(old) as store:
        store.load(layers=layers, plan=plan, records=geoplan.read_records(ledger))
        store.snapshot(card, as_of="2023-06-30")
        store.snapshot(card.iloc[:1], as_of="2023-12-31")
        want = {
            "layers": store.read_layers(),
            "plan": store.read_plan(),
            "records": store.read_records(),
            "snapshots": store.read_snapshots(),
        }
        store.dump(tmp_path / "dump")
    dump = tmp_path / "dump"
    new = tmp_path / "new.gpkg"
    result = CliRunner().invoke(
        main,
        [
            "db",
            "load",
            "--url",
            str(new),
            "--layers",
            str(dump / "layers.gpkg"),
            "--plan",
            str(dump / "plan.json"),
            "--records",
            str(dump / "records.csv"),
            "--snapshots",
            str(dump / "metric_snapshots.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "snapshots: 3 rows" in result.output
    with Store(new) as store:
        got_layers, got_plan = store.read_layers(), store.read_plan()
        got_records, got_snaps = store.read_records(), store.read_snapshots()
    assert list(got_layers) == list(want["layers"])
    for kind, gdf in want["layers"].items():
        assert_same_layer(got_layers[kind], gdf)
    assert got_plan == want["plan"] == plan
    pd.testing.assert_frame_equal(
        _none_for_missing(got_records), _none_for_missing(want["records"])
    )
    assert got_records["target_index"].tolist()[0] == 0  # 目标编号 9-1 came back
    pd.testing.assert_frame_equal(
        _none_for_missing(got_snaps), _none_for_missing(want["snapshots"])
    )
    assert got_snaps["definition"].tolist() == ["=已建成福道长度", "", "=已建成福道长度"]
