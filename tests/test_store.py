"""The planning database on both backends: a GeoPackage file and a fresh PostGIS database.

Every test taking ``url`` runs twice (``gpkg``, ``postgis``). The PostGIS database is
created per test as ``geoplan_test_<random>`` on ``$GEOPLAN_TEST_PG_URL`` and dropped after.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import create_engine, text

import geoplan
from geoplan import CRSError, SchemaError, StoreError
from geoplan._errors import PlanWarning
from geoplan.catalogue import LAYER_KINDS
from geoplan.datasets import SAMPLE_PLAN, data_dir, data_path
from geoplan.store import (
    Store,
    init_db,
    load_layers,
    read_layers_from_db,
    read_plan_from_db,
    resolve_url,
)
from tests.conftest import require

PG_ADMIN = os.environ.get(
    "GEOPLAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
EVIL = 'x"; DROP TABLE tasks; --'


def _gpkg_reason() -> str | None:
    """The GeoPackage store needs only Python's sqlite3 with its R*Tree module."""
    import sqlite3

    try:
        con = sqlite3.connect(":memory:")
        con.execute("CREATE VIRTUAL TABLE t USING rtree(id, minx, maxx, miny, maxy)")
        con.close()
    except sqlite3.Error as exc:
        return f"this Python's sqlite3 lacks the R*Tree module: {exc}"
    return None


def _postgis_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            ok = conn.execute(
                text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            ).scalar()
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL is not reachable at {PG_ADMIN}: {exc}"
    return None if ok else "the PostGIS extension is not installed (postgresql-15-postgis-3)"


@pytest.fixture(scope="session")
def pg_template():
    """A session-wide template database with PostGIS, so each test's database is quick."""
    reason = _postgis_reason()
    require(reason is None, reason or "")
    name = f"geoplan_test_tpl_{secrets.token_hex(6)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(_pg_url(name))
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION postgis"))
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def pg_url(pg_template):
    """A fresh database ``geoplan_test_<random>`` with PostGIS, dropped afterwards."""
    name = f"geoplan_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def gpkg_url(tmp_path):
    reason = _gpkg_reason()
    require(reason is None, reason or "")
    return str(tmp_path / "bureau.gpkg")


@pytest.fixture(params=["gpkg", "postgis"])
def url(request: pytest.FixtureRequest) -> str:
    """The same test on a GeoPackage file and on a fresh PostGIS database."""
    return request.getfixturevalue("gpkg_url" if request.param == "gpkg" else "pg_url")


def _towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["T1", "T2"],
            "name": ["洛阳镇", "东园镇"],
            "task_ids": ["17,18", ""],
            "population": [52000, 41000],
        },
        geometry=[
            shapely.box(118.80, 24.90, 118.85, 24.95),
            shapely.box(118.70, 24.90, 118.75, 24.95),
        ],
        crs=4326,
    )


def _greenways() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["G1", "G2", "G3"],
            "name": ["洛阳江福道", "东园福道", "百崎福道"],
            "task_ids": ["9", "9", "9"],
            "town_id": ["T1", "T2", "T2"],
            "status": ["completed", "under_construction", "completed"],
            "completed_date": pd.to_datetime(["2022-06-30", None, "2023-03-01"]).astype(
                "datetime64[ms]"
            ),
        },
        geometry=[
            shapely.LineString([(118.80, 24.90), (118.81, 24.91), (118.8123456789, 24.93)]),
            shapely.MultiLineString(
                [[(118.70, 24.90), (118.72, 24.90)], [(118.73, 24.91), (118.74, 24.92)]]
            ),
            shapely.LineString([(118.71, 24.94), (118.74, 24.94)]),
        ],
        crs=4326,
    )


def _farmhouses(n: int, *, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    status = np.array(["planned", "completed"])[rng.integers(0, 2, n)]
    return gpd.GeoDataFrame(
        {
            "id": [f"F{i:05d}" for i in range(n)],
            "name": [f"农房{i}" for i in range(n)],
            "task_ids": "18",
            "village_id": "V1",
            "town_id": "T1",
            "renovation_status": status,
            "renovation_date": pd.Series(pd.Timestamp("2022-01-05"), index=range(n))
            .where(status == "completed")
            .astype("datetime64[ms]"),
        },
        geometry=shapely.points(rng.uniform(118.7, 118.8, n), rng.uniform(24.9, 25.0, n)),
        crs=4326,
    )


def assert_same_layer(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame) -> None:
    """Same ids, same attributes and dtypes, geometries equal within 1e-9 degrees."""
    got = got.sort_values("id").reset_index(drop=True)
    want = want.sort_values("id").reset_index(drop=True)
    columns = [c for c in want.columns if c != want.geometry.name]
    for frame in (got, want):  # text: object, None for missing (NaN and None both mean it)
        for c in columns:
            if isinstance(frame[c].dtype, pd.StringDtype) or frame[c].dtype == object:
                frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    pd.testing.assert_frame_equal(
        pd.DataFrame(got[columns]), pd.DataFrame(want[columns]), check_dtype=True
    )
    # the store declares polygon and line layers multi-part and promotes single parts
    from geoplan.store._load import promote

    wanted = np.asarray(want.geometry.array, dtype=object)
    for family in ("Polygon", "LineString"):
        wanted = promote(wanted, family)
    same = shapely.equals_exact(
        np.asarray(got.geometry.array, dtype=object), wanted, tolerance=1e-9
    )
    assert same.all(), got.loc[~same, "id"].tolist()
    assert got.crs.equals(want.crs)


def _plan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        return geoplan.parse_plan(data_path(SAMPLE_PLAN))


# ------------------------------------------------------------------ round trips


def test_round_trip_small_layers(url):
    layers = {"towns": _towns(), "greenways": _greenways()}
    stats = load_layers(layers, url=url, valid_from="2023-01-01")
    assert {k: (s.inserted, s.updated) for k, s in stats.items()} == {
        "towns": (2, 0),
        "greenways": (3, 0),
    }
    back = read_layers_from_db(url)
    assert list(back) == ["towns", "greenways"]
    for kind, gdf in layers.items():
        assert_same_layer(back[kind], gdf)


def test_text_needing_escapes_round_trips_on_first_and_later_loads(url):
    towns = _towns()
    towns["name"] = ["洛阳\t镇", "东园\\镇\n二行"]
    towns.loc[1, "task_ids"] = "17\r\n18 \\N"
    first = load_layers({"towns": towns}, url=url, valid_from="2023-01-01")  # into the table
    assert (first["towns"].inserted, first["towns"].updated) == (2, 0)
    assert_same_layer(read_layers_from_db(url)["towns"], towns)
    towns.loc[0, "name"] = "新\\t名"  # a backslash and a t, not a tab
    again = load_layers({"towns": towns}, url=url, valid_from="2023-02-01")  # staged, merged
    assert (again["towns"].inserted, again["towns"].updated) == (0, 1)
    assert_same_layer(read_layers_from_db(url)["towns"], towns)


def test_empty_layer_loads_as_nothing(url):
    stats = load_layers({"farmhouses": _farmhouses(0)}, url=url, valid_from="2023-01-01")
    assert (stats["farmhouses"].staged, stats["farmhouses"].inserted) == (0, 0)
    with Store(url) as store:
        assert store.counts()["farmhouses"] == 0
    stats = load_layers({"farmhouses": _farmhouses(30)}, url=url, valid_from="2023-01-01")
    assert stats["farmhouses"].inserted == 30


def test_round_trip_sample_and_plan(url):
    sample = geoplan.load_sample()
    plan = _plan()
    with Store(url) as store:
        store.load(layers=sample, plan=plan, valid_from="2021-05-24")
    back = read_layers_from_db(url)
    assert list(back) == list(sample)
    for kind, gdf in sample.items():
        columns = [c.name for c in LAYER_KINDS[kind].columns]
        assert_same_layer(back[kind], gdf[[*columns, gdf.geometry.name]])
    assert read_plan_from_db(url) == plan
    # geoplan.read_layers takes the database too (a URL; a GeoPackage also as a plain file
    # through GDAL) and validates it like any source
    sources = [resolve_url(url)] + ([url] if url.endswith(".gpkg") else [])
    for source in sources:
        validated = geoplan.read_layers(source)
        assert list(validated) == list(sample)
        for kind, gdf in sample.items():
            assert_same_layer(validated[kind], gdf)


# ------------------------------------------------------------------ history and idempotence


def test_reload_is_idempotent_and_changes_keep_history(url):
    layers = {"greenways": _greenways()}
    load_layers(layers, url=url, valid_from="2022-01-01")
    again = load_layers(layers, url=url, valid_from="2022-02-01")["greenways"]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)

    changed = _greenways()
    changed.loc[1, "status"] = "completed"
    changed.loc[1, "completed_date"] = pd.Timestamp("2023-05-01")
    changed.loc[2, "geometry"] = shapely.LineString([(118.71, 24.94), (118.75, 24.95)])
    stats = load_layers({"greenways": changed}, url=url, valid_from="2023-06-01")["greenways"]
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 2, 1)

    assert_same_layer(read_layers_from_db(url)["greenways"], changed)
    assert_same_layer(read_layers_from_db(url, as_of="2023-05-31")["greenways"], _greenways())
    assert_same_layer(read_layers_from_db(url, as_of="2023-06-01")["greenways"], changed)
    # before its first load a feature is shown in its first recorded version
    assert_same_layer(read_layers_from_db(url, as_of="2021-12-31")["greenways"], _greenways())
    with Store(url) as store:
        assert store.counts()["greenways_history"] == 2
        assert store.counts()["greenways"] == 3

    # a feature first loaded later also stands for the time before; two changes on one day
    # leave one version per date
    g4 = _greenways().iloc[[0]].assign(id="G4", name="新福道")
    load_layers({"greenways": g4}, url=url, valid_from="2023-07-01", keep_missing=True)
    for name in ("百崎福道一期", "百崎福道二期"):
        renamed = changed.iloc[[2]].assign(name=name)
        load_layers({"greenways": renamed}, url=url, valid_from="2023-08-01", keep_missing=True)
    before = read_layers_from_db(url, as_of="2023-05-31")["greenways"]
    assert before["id"].tolist() == ["G1", "G2", "G3", "G4"]
    assert before["name"].tolist() == ["洛阳江福道", "东园福道", "百崎福道", "新福道"]
    july = read_layers_from_db(url, as_of="2023-07-31")["greenways"]
    assert july.set_index("id")["name"]["G3"] == "百崎福道"
    assert read_layers_from_db(url)["greenways"].set_index("id")["name"]["G3"] == "百崎福道二期"

    with pytest.raises(StoreError, match="date order"):
        changed.loc[1, "name"] = "改名"  # G1 was stored as of 2023-06-01
        load_layers({"greenways": changed}, url=url, valid_from="2023-01-01")


def test_reload_deletes_missing_features_and_keeps_them_in_history(url):
    towns = _towns()
    load_layers({"towns": towns}, url=url, valid_from="2022-01-01")
    stats = load_layers({"towns": towns.iloc[[0]]}, url=url, valid_from="2023-01-01")["towns"]
    assert (stats.inserted, stats.updated, stats.unchanged, stats.deleted) == (0, 0, 1, 1)
    assert read_layers_from_db(url)["towns"]["id"].tolist() == ["T1"]
    assert_same_layer(read_layers_from_db(url, as_of="2022-12-31")["towns"], towns)
    assert read_layers_from_db(url, as_of="2023-01-01")["towns"]["id"].tolist() == ["T1"]
    with Store(url) as store:
        assert store.counts()["towns_history"] == 1
    # back again later: a new version; the gap in between shows it absent
    back = load_layers({"towns": towns}, url=url, valid_from="2024-01-01")["towns"]
    assert (back.inserted, back.deleted) == (1, 0)
    assert read_layers_from_db(url, as_of="2023-06-30")["towns"]["id"].tolist() == ["T1"]
    assert sorted(read_layers_from_db(url)["towns"]["id"]) == ["T1", "T2"]
    # an empty layer deletes every feature; keep_missing only adds and updates
    kept = load_layers(
        {"towns": towns.iloc[:0]}, url=url, valid_from="2025-01-01", keep_missing=True
    )
    assert kept["towns"].deleted == 0
    gone = load_layers({"towns": towns.iloc[:0]}, url=url, valid_from="2025-01-01")["towns"]
    assert gone.deleted == 2
    assert "towns" not in read_layers_from_db(url)
    assert len(read_layers_from_db(url, as_of="2024-12-31")["towns"]) == 2


# ------------------------------------------------------------------ integrity


def test_bad_geometry_in_row_9000_changes_nothing(url):
    load_layers(
        {"towns": _towns(), "farmhouses": _farmhouses(50)}, url=url, valid_from="2022-01-01"
    )
    before = read_layers_from_db(url)
    towns = _towns()
    towns.loc[0, "population"] = 99
    bad = _farmhouses(10_000, seed=2)
    # a farmhouse may be a point or a footprint, never a line
    bad.loc[9000, "geometry"] = shapely.LineString([(118.7, 24.9), (118.71, 24.91)])
    # towns is merged first inside the same transaction; the failure must undo it too
    with pytest.raises(
        SchemaError, match=r"row 9000 \(id 'F09000'\).*not a Point or Polygon or MultiPolygon"
    ):
        load_layers({"towns": towns, "farmhouses": bad}, url=url, valid_from="2022-02-01")
    after = read_layers_from_db(url)
    for kind in before:
        assert_same_layer(after[kind], before[kind])
    with Store(url) as store:
        assert store.counts()["towns_history"] == 0


def test_postgis_refusing_a_value_mid_load_changes_nothing(pg_url):
    load_layers({"towns": _towns()}, url=pg_url, valid_from="2022-01-01")
    towns = _towns()
    towns.loc[1, "population"] = 2**40  # passes geoplan's checks, overflows PostgreSQL integer
    with pytest.raises(StoreError, match="refused the change, so nothing was written"):
        load_layers(
            {"greenways": _greenways(), "towns": towns}, url=pg_url, valid_from="2023-01-01"
        )
    assert list(read_layers_from_db(pg_url)) == ["towns"]
    assert_same_layer(read_layers_from_db(pg_url)["towns"], _towns())


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (None, "no geometry"),
        (shapely.Point(), "an empty geometry"),
        (shapely.Point(np.nan, 24.9), "a geometry with NaN or infinite"),
    ],
)
def test_bad_geometries_are_named(tmp_path, geometry, message):
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    gdf = _farmhouses(5)
    gdf.loc[3, "geometry"] = geometry
    with pytest.raises(SchemaError, match=rf"row 3 \(id 'F00003'\) has {message}"):
        load_layers({"farmhouses": gdf}, url=tmp_path / "x.gpkg")


def test_layer_without_crs_is_refused(tmp_path):
    gdf = _farmhouses(3).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"farmhouses.*no CRS"):
        load_layers({"farmhouses": gdf}, url=tmp_path / "x.gpkg")


_KILL_CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, "tests")  # the test module imports its helpers from there
    from sqlalchemy import event
    from geoplan.store import Store
    from tests.test_store import _farmhouses

    store = Store(sys.argv[1])
    @event.listens_for(store.engine, "after_cursor_execute")
    def _pause(conn, cursor, statement, *args):
        if statement.startswith(sys.argv[2]):
            print("MERGED", flush=True)  # the new rows are written, not committed
            time.sleep(120)
    store.load(layers={"farmhouses": _farmhouses(20_000, seed=3)}, valid_from="2023-01-01")
    """
)


def _kill_while_loading(url: str, statement: str) -> None:
    """Run the load of ``_KILL_CHILD`` and SIGKILL it once ``statement`` has run."""
    with subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, url, statement],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.fspath(data_dir().parent),
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "MERGED"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL


def test_sigkill_during_first_load_leaves_the_layer_empty(url):
    """The first load writes straight into the table; a kill after the rows are in (GeoPackage:
    while the triggers are recreated; PostGIS: while the spatial index is rebuilt) keeps
    the database as it was, and the next load works."""
    load_layers({"towns": _towns()}, url=url, valid_from="2022-01-01")
    _kill_while_loading(url, "CREATE TRIGGER" if url.endswith(".gpkg") else "CREATE INDEX")
    after = read_layers_from_db(url)
    assert list(after) == ["towns"]
    assert_same_layer(after["towns"], _towns())
    stats = load_layers({"farmhouses": _farmhouses(120)}, url=url, valid_from="2023-01-01")
    assert stats["farmhouses"].inserted == 120
    assert_same_layer(read_layers_from_db(url)["farmhouses"], _farmhouses(120))


def test_sigkill_during_load_keeps_previous_content(url):
    load_layers({"farmhouses": _farmhouses(100)}, url=url, valid_from="2022-01-01")
    before = read_layers_from_db(url)["farmhouses"]
    _kill_while_loading(url, "INSERT INTO farmhouses")
    assert_same_layer(read_layers_from_db(url)["farmhouses"], before)
    # the database still takes writes after the killed transaction
    stats = load_layers({"farmhouses": _farmhouses(120)}, url=url, valid_from="2023-01-01")
    assert stats["farmhouses"].inserted == 20


def test_hostile_layer_name_is_refused_and_tables_intact(url):
    with Store(url) as store:
        store.load(plan=_plan())
        with pytest.raises(SchemaError, match="not a layer kind"):
            store.load(layers={EVIL: _towns()})
        with pytest.raises(SchemaError, match="not a layer kind"):
            store.read_layers(kinds=[EVIL])
        assert store.counts()["tasks"] == 32
        assert len(store.read_plan().tasks) == 32


def test_schema_version_is_checked(url):
    store = init_db(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE geoplan_meta SET value = '0' WHERE key = 'schema_version'"))
    with pytest.raises(StoreError, match=r"schema version 0, older.*geoplan db dump"):
        store.read_layers()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE geoplan_meta SET value = '99' WHERE key = 'schema_version'"))
    with pytest.raises(StoreError, match=r"version 99, newer.*pip install -U geoplan"):
        store.load(layers={"towns": _towns()})
    store.close()


def test_reading_an_uninitialised_database_says_what_to_do(tmp_path):
    with pytest.raises(StoreError, match="geoplan db init"):
        read_layers_from_db(tmp_path / "missing.gpkg")
    assert not (tmp_path / "missing.gpkg").exists()


# ------------------------------------------------------------------ cross-checks


def test_gpkg_opens_in_gdal_with_right_counts(tmp_path):
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    require(shutil.which("ogrinfo") is not None, "ogrinfo (Debian gdal-bin) is not installed")
    path = tmp_path / "bureau.gpkg"
    with Store(path) as store:
        store.load(
            layers={"towns": _towns(), "greenways": _greenways(), "farmhouses": _farmhouses(250)},
            plan=_plan(),
        )
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", os.fspath(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts = {}
    for block in out.split("Layer name: ")[1:]:
        name = block.split("\n", 1)[0].strip()
        counts[name] = int(block.split("Feature Count: ")[1].split("\n", 1)[0])
    assert counts["towns"] == 2
    assert counts["greenways"] == 3
    assert counts["farmhouses"] == 250
    assert counts["tasks"] == 32
    assert counts["greenways_history"] == 0
    assert "Geometry: Point" in out.split("Layer name: farmhouses\n")[1]
    gdf = pyogrio.read_dataframe(path, layer="farmhouses", bbox=(118.7, 24.9, 118.75, 24.95))
    want = _farmhouses(250)
    inside = want.geometry.intersects(shapely.box(118.7, 24.9, 118.75, 24.95))
    assert sorted(gdf["id"]) == sorted(want.loc[inside, "id"])  # uses the R-tree index


def test_gpkg_rtree_packed_on_first_load_stays_valid(tmp_path):
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    import sqlite3

    path = tmp_path / "bureau.gpkg"
    first = _farmhouses(6000, seed=4)  # 118 leaves: a root over two levels
    load_layers({"farmhouses": first}, url=path, valid_from="2022-01-01")
    more = _farmhouses(300, seed=5)
    more["id"] = "N" + more["id"]
    moved = first.iloc[:10].copy()
    moved["geometry"] = shapely.points(np.full(10, 118.95), np.full(10, 25.02))
    load_layers(
        {"farmhouses": pd.concat([moved, more])},
        url=path,
        valid_from="2022-02-01",
        keep_missing=True,
    )
    con = sqlite3.connect(path)
    try:
        check, depth, count = con.execute(
            "SELECT rtreecheck('rtree_farmhouses_geom'), "
            "(SELECT hex(substr(data, 1, 2)) FROM rtree_farmhouses_geom_node WHERE nodeno = 1), "
            "(SELECT COUNT(*) FROM rtree_farmhouses_geom)"
        ).fetchone()
    finally:
        con.close()
    assert (check, count) == ("ok", 6300)
    assert int(depth, 16) == 2  # the root's depth (big-endian in the first two bytes)
    everything = pd.concat([moved, first.iloc[10:], more])
    for bbox in [(118.7, 24.9, 118.72, 24.93), (118.9, 25.0, 119.0, 25.1)]:
        got = pyogrio.read_dataframe(path, layer="farmhouses", bbox=bbox)
        inside = everything.geometry.intersects(shapely.box(*bbox))
        assert sorted(got["id"]) == sorted(everything.loc[inside, "id"])
    assert (
        len(pyogrio.read_dataframe(path, layer="farmhouses", bbox=(118.9, 25.0, 119.0, 25.1))) == 10
    )


def _gist_indexes(conn, table: str) -> list[str]:
    return (
        conn.execute(
            text(
                "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexdef LIKE '%gist%'"
            ),
            {"t": table},
        )
        .scalars()
        .all()
    )


def test_postgis_first_load_rebuilds_the_spatial_index(pg_url, gpkg_url):
    init_db(gpkg_url)  # a GeoPackage created earlier in the process must not cost PostGIS its GiST
    towns = _towns()
    towns.loc[1, "population"] = 2**40  # refused by PostgreSQL during the COPY
    with pytest.raises(StoreError, match="refused the change"):
        load_layers({"towns": towns}, url=pg_url)
    farmhouses = _farmhouses(3000)
    load_layers({"farmhouses": farmhouses}, url=pg_url)
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert _gist_indexes(conn, "towns") == ["idx_towns_geom"]  # the rollback kept it
            assert conn.execute(text("SELECT COUNT(*) FROM towns")).scalar() == 0
            assert _gist_indexes(conn, "farmhouses") == ["idx_farmhouses_geom"]
            analysed = "SELECT reltuples FROM pg_class WHERE relname = 'farmhouses'"
            assert conn.execute(text(analysed)).scalar() == 3000
            conn.execute(text("SET enable_seqscan = off"))
            box = "ST_Intersects(geom, ST_MakeEnvelope(118.7, 24.9, 118.73, 24.95, 4326))"
            plan = conn.execute(text(f"EXPLAIN SELECT id FROM farmhouses WHERE {box}")).all()
            assert "idx_farmhouses_geom" in " ".join(row[0] for row in plan)
            got = conn.execute(text(f"SELECT id FROM farmhouses WHERE {box}")).scalars().all()
    finally:
        engine.dispose()
    inside = farmhouses.geometry.intersects(shapely.box(118.7, 24.9, 118.73, 24.95))
    assert sorted(got) == sorted(farmhouses.loc[inside, "id"])
    assert 0 < len(got) < 3000


@pytest.mark.parametrize("step", [1, 7])  # consecutive fids (a first load) or not
def test_gpkg_rtree_bulk_load_answers_box_queries(gpkg_url, step):
    from geoplan.store._rtree import bulk_load

    store = init_db(gpkg_url)
    rng = np.random.default_rng(6)
    ids = np.arange(5, 5 + 3000 * step, step, dtype=np.int64)
    x, y = rng.uniform(118.7, 118.8, 3000), rng.uniform(24.9, 25.0, 3000)
    bounds = np.column_stack([x, y, x + 0.001, y + 0.001])
    with store.engine.begin() as conn:
        bulk_load(conn, '"rtree_farmhouses_geom"', ids, bounds)
        check = conn.exec_driver_sql("SELECT rtreecheck('rtree_farmhouses_geom')").scalar()
        got = conn.exec_driver_sql(
            "SELECT id FROM rtree_farmhouses_geom WHERE maxx >= 118.72 AND minx <= 118.74 "
            "AND maxy >= 24.93 AND miny <= 24.95"
        ).scalars()
        got = sorted(got)
    store.close()
    hit = (bounds[:, 2] >= 118.72) & (bounds[:, 0] <= 118.74)
    hit &= (bounds[:, 3] >= 24.93) & (bounds[:, 1] <= 24.95)
    assert check == "ok"
    assert got == ids[hit].tolist()
    assert len(got) > 20


def test_postgis_greenway_length_per_town_matches_metric(pg_url):
    url = pg_url
    sample = geoplan.load_sample()
    load_layers(sample, url=url, valid_from="2021-05-24")
    engine = create_engine(url)
    with engine.connect() as conn:
        sql = dict(
            conn.execute(
                text(
                    "SELECT t.name, SUM(ST_Length(g.geom::geography)) / 1000 FROM greenways g "
                    "JOIN towns t ON t.id = g.town_id WHERE g.status = 'completed' "
                    "GROUP BY t.name"
                )
            ).all()
        )
    engine.dispose()
    as_of = dt.date.today()  # issue 13: a future as_of is refused; every completion is past
    metric = geoplan.compute_metric("greenway_total_km", read_layers_from_db(url), as_of=as_of)
    by_town = metric[metric["scope_type"] == "town"].set_index("scope")["value"]
    assert set(sql) == set(by_town[by_town > 0].index)
    for town, km in sql.items():
        assert by_town[town] == pytest.approx(km, rel=1e-3)
    geod = Geod(ellps="WGS84")
    gw = sample["greenways"]
    done = gw[gw["status"] == "completed"]
    total = sum(geod.geometry_length(g) for g in done.geometry) / 1000
    assert sum(sql.values()) == pytest.approx(total, rel=1e-6)


# ------------------------------------------------------------------ snapshots and dump


def test_snapshot_replaces_same_as_of(url):
    card = pd.DataFrame(
        {
            "task_id": [9, 9],
            "metric": ["greenway_total_km", "greenway_total_km"],
            "scope_type": ["zone", "town"],
            "scope": ["泉州台商投资区", "洛阳镇"],
            "value": [6.5, 2.25],
            "unit": ["km", "km"],
            "target": [10.0, np.nan],
            "comparator": [">=", None],
            "deadline": pd.to_datetime(["2025-12-31", None]),
            "status": ["on_track", "no_data"],
        }
    )
    with Store(url) as store:
        assert store.snapshot(card, as_of="2023-12-31") == 2
        assert store.snapshot(card.iloc[:1], as_of="2023-12-31") == 1
        assert store.snapshot(card, as_of="2024-12-31") == 2
        snaps = store.read_snapshots()
        assert len(snaps) == 3
        first = store.read_snapshots(as_of="2023-12-31")
    assert first["value"].tolist() == [6.5]
    assert first["target"].tolist() == [10.0]
    assert first["as_of"].tolist() == [pd.Timestamp("2023-12-31")]
    assert first["deadline"].tolist() == [pd.Timestamp("2025-12-31")]
    assert first["numerator"].isna().all()


def test_dump_writes_files_and_a_failed_dump_leaves_none(tmp_path):
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    db = tmp_path / "bureau.gpkg"
    layers = {"towns": _towns(), "greenways": _greenways()}
    with Store(db) as store:
        store.load(layers=layers, plan=_plan())
        written = store.dump(tmp_path / "out")
        assert sorted(p.name for p in written) == [
            "layers.gpkg",
            "metric_snapshots.csv",
            "plan.json",
            "records.csv",
        ]
        back = pyogrio.read_dataframe(tmp_path / "out" / "layers.gpkg", layer="greenways")
        assert back["id"].tolist() == ["G1", "G2", "G3"]
        assert back["status"].tolist() == ["completed", "under_construction", "completed"]

        blocked = tmp_path / "blocked"
        (blocked / "layers.gpkg").mkdir(parents=True)  # cannot be replaced by a file
        with pytest.raises(OSError):
            store.dump(blocked)
    assert sorted(p.name for p in blocked.iterdir()) == ["layers.gpkg"]


def test_resolve_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GEOPLAN_DB_URL", raising=False)
    assert resolve_url(None) == f"gpkg:///{tmp_path / 'geoplan.gpkg'}"
    assert resolve_url("plans/x.gpkg") == f"gpkg:///{tmp_path / 'plans' / 'x.gpkg'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("GEOPLAN_DB_URL", "postgresql+psycopg://u@h/team")
    assert resolve_url(None) == "postgresql+psycopg://u@h/team"
    with pytest.raises(StoreError, match=r"neither a SQLAlchemy URL nor a \.gpkg"):
        resolve_url("bureau.sqlite")
    with pytest.raises(StoreError, match="mysql"):
        resolve_url("mysql://u:secret@h/db")


# ------------------------------------------------------------------ command line


def test_cli_load_snapshot_dump_on_bundled_data(tmp_path, monkeypatch):
    require(_gpkg_reason() is None, _gpkg_reason() or "")
    from click.testing import CliRunner

    from geoplan.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GEOPLAN_DB_URL", raising=False)
    runner = CliRunner()
    first = runner.invoke(main, ["db", "load"])
    assert first.exit_code == 0, first.output
    assert "farmhouses: 5500 features, 5500 new" in first.output
    again = runner.invoke(main, ["db", "load"])
    assert "farmhouses: 5500 features, 0 new, 0 changed, 5500 unchanged" in again.output

    db = tmp_path / "geoplan.gpkg"  # the default database in the working directory
    sample = geoplan.load_sample()
    records = geoplan.load_sample_records()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        card = geoplan.scorecard(_plan(), sample, records, as_of="2023-12-31")
    for _ in range(2):  # the second run replaces the first
        result = runner.invoke(main, ["db", "snapshot", "--as-of", "2023-12-31"])
        assert result.exit_code == 0, result.output
    # the summary line speaks to planners: rows and the count of each status, in Chinese
    counts = card["status"].value_counts()
    assert f"已保存评估日 2023-12-31 的计分卡 {len(card)} 行：" in result.output
    assert f"已达标 {counts['met']}" in result.output
    assert f"滞后 {counts['behind']}" in result.output
    assert "behind" not in result.output and "met" not in result.output
    with Store(db) as store:
        stored = store.read_snapshots()
        stored_records = store.read_records()
    # the progress log comes back whole, the ledger's 目标编号 (target_index) included
    assert list(stored_records) == list(records)
    pd.testing.assert_frame_equal(_none_for_missing(stored_records), _none_for_missing(records))
    # the card computed from the database equals the card from the files, row by row
    assert_same_card(stored, card)
    assert set(stored["status"]) >= {"met", "behind"}  # real figures, not only no_data

    dumped = runner.invoke(main, ["db", "dump", "-o", "out", "--format", "geojson"])
    assert dumped.exit_code == 0, dumped.output
    back = gpd.read_file(tmp_path / "out" / "greenways.geojson")
    assert sorted(back["id"]) == sorted(sample["greenways"]["id"])
    bad = runner.invoke(main, ["db", "info", "--url", "bureau.sqlite"])
    assert bad.exit_code == 2
    assert "neither a SQLAlchemy URL nor a .gpkg" in bad.output


def assert_same_card(stored: pd.DataFrame, card: pd.DataFrame) -> None:
    """Every column of a scorecard equals its stored snapshot, row by row.

    Numbers agree to 1e-9 relative; text, ids and dates exactly (missing is None in the
    card's object columns and <NA>/NaT/NaN in the stored typed ones).
    """
    assert len(stored) == len(card)
    for column in card.columns:
        want, got = card[column], stored[column]
        if pd.api.types.is_float_dtype(got) and column not in ("task_id",):
            np.testing.assert_allclose(
                got.to_numpy(float), want.astype(float).to_numpy(), rtol=1e-9, err_msg=column
            )
            continue
        if pd.api.types.is_datetime64_any_dtype(got):
            want = pd.to_datetime(want)
        want, got = want.astype(object), got.astype(object)
        assert got.where(got.notna(), None).tolist() == want.where(want.notna(), None).tolist(), (
            column
        )


def _none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with None for missing (a CSV's empty cell reads as NaN or None)."""
    frame = frame.reset_index(drop=True).copy()
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].where(frame[c].notna(), None)
    return frame
