"""The planning database as real clients see it: GDAL's validator, QGIS, ogr2ogr.

- ``validate_gpkg.py`` (the newest, from ``gdal-utils``; its GDAL bindings from Debian's
  ``python3-gdal``) with ``--extra --warning-as-error`` on a ``db init`` + ``db load``
  database, on one with history and a snapshot, on the demo's, and on one written in a
  process that cannot load SpatiaLite;
- QGIS 3 (Debian ``python3-qgis``, run by the system Python with
  ``QT_QPA_PLATFORM=offscreen`` through ``tests/qgis_probe.py``) on the GeoPackage and on a
  PostGIS database: every layer valid, typed, counted, named, styled by the database's
  default style, and drawn;
- ``ogr2ogr`` to CSV keeping coordinates to 1e-7 degrees;
- the store's refusals: a user's own GeoPackage, dumps over files geoplan did not write,
  an empty database, passwords in URLs, two first loads into one PostGIS database at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import geoplan
from geoplan import StoreError
from geoplan.catalogue import LAYER_KINDS
from geoplan.cli import main
from geoplan.store import Store, load_layers, read_layers_from_db
from geoplan.styles import KIND_LABELS, KIND_STYLES
from tests.conftest import REPO, require
from tests.test_store import (  # noqa: F401  (fixtures)
    PG_ADMIN,
    _pg_url,
    _postgis_reason,
    _towns,
    pg_template,
    pg_url,
)

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = REPO / "tests" / "qgis_probe.py"
DEBIAN_VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")


def _validator() -> Path | None:
    """The newest validate_gpkg.py on the machine that knows GeoPackage 1.4's triggers."""
    spec = importlib.util.find_spec("osgeo_utils")
    found = []
    if spec is not None and spec.submodule_search_locations:
        found += [Path(p) / "samples" / "validate_gpkg.py" for p in spec.submodule_search_locations]
    found.append(DEBIAN_VALIDATOR)
    for script in found:
        # GDAL >= 3.9 checks the R-tree triggers of GeoPackage 1.4 (update2/4/5/6/7)
        if script.is_file() and "(2, 4, 5, 6, 7)" in script.read_text(encoding="utf-8"):
            return script
    return None


def validate(path: Path) -> str:
    """Run validate_gpkg.py with its extra checks and warnings as errors; return its output."""
    script = _validator()
    require(
        script is not None,
        "validate_gpkg.py of GDAL >= 3.9 is not installed; `pip install --no-deps gdal-utils`",
    )
    # the system Python has Debian's GDAL bindings, which add the geometry checks
    python = SYSTEM_PYTHON if _system_has("osgeo") else sys.executable
    run = subprocess.run(
        [python, str(script), "--extra", "--warning-as-error", "-k", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return (run.stdout + run.stderr).strip() + (
        "" if run.returncode == 0 else f"\nrc={run.returncode}"
    )


def _system_has(module: str) -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    return (
        subprocess.run(
            [SYSTEM_PYTHON, "-c", f"import {module}"], capture_output=True, timeout=120
        ).returncode
        == 0
    )


def qgis(source: str, kinds: list[str], render: tuple[str, Path] | None = None) -> dict:
    """What QGIS sees in ``source`` (see tests/qgis_probe.py)."""
    require(_system_has("qgis.core"), "QGIS (Debian python3-qgis) is not installed")
    args = [SYSTEM_PYTHON, str(PROBE), *([source] if source else []), *kinds]
    if render is not None:
        args += ["--render", render[0], str(render[1])]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR="/tmp")
    for name in ("PYTHONPATH", "PROJ_DATA", "PROJ_LIB", "GDAL_DATA", "GDAL_DRIVER_PATH"):
        env.pop(name, None)  # the venv's wheels point these at their own copies
    run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def sample():
    return geoplan.load_sample()


@pytest.fixture(scope="module")
def bundled_gpkg(tmp_path_factory) -> Path:
    """`geoplan db init` + `geoplan db load` of the bundled data."""
    path = tmp_path_factory.mktemp("bundled") / "bureau.gpkg"
    _cli("db", "init", "--url", str(path))
    _cli("db", "load", "--url", str(path))
    return path


@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory) -> Path:
    from geoplan.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out / "demo", as_of="2023-12-31")
    assert "database" in result.files, result.skipped
    return result.files["database"]


# ------------------------------------------------------------------ GDAL's validator


def test_validator_passes_init_and_load(bundled_gpkg):
    assert validate(bundled_gpkg) == ""


def test_validator_passes_history_deletions_and_snapshots(tmp_path, sample):
    path = tmp_path / "bureau.gpkg"
    _cli("db", "load", "--url", str(path))
    changed = sample["greenways"].iloc[3:].copy()  # three greenways deleted
    changed.loc[changed.index[0], "status"] = "completed"
    stats = load_layers({"greenways": changed}, url=path, valid_from="2024-01-01")["greenways"]
    assert stats.deleted == 3
    card = pd.DataFrame({"metric": ["m"], "value": [1.5], "unit": ["km"]})
    with Store(path) as store:
        store.snapshot(card, as_of="2024-06-30")
        assert store.counts()["greenways_history"] >= 3
    assert validate(path) == ""
    # GeoPackage date-times: YYYY-MM-DDTHH:MM:SS.SSSZ
    import sqlite3

    with sqlite3.connect(path) as con:
        stamp = con.execute("SELECT created_at FROM metric_snapshots").fetchone()[0]
        header = con.execute("PRAGMA application_id").fetchone()[0]
        check, indexed = con.execute(
            "SELECT rtreecheck('rtree_greenways_geom'), (SELECT COUNT(*) FROM rtree_greenways_geom)"
        ).fetchone()
        version = con.execute("PRAGMA user_version").fetchone()[0]
    assert len(stamp) == 24 and stamp[10] == "T" and stamp.endswith("Z") and stamp[19] == "."
    assert header.to_bytes(4, "big") == b"GPKG" and version == 10400
    assert (check, indexed) == ("ok", len(changed))  # deleted features left the R-tree


def test_validator_passes_the_demo_database(demo_gpkg):
    assert validate(demo_gpkg) == ""


def test_database_is_written_where_spatialite_cannot_load(tmp_path):
    """A process whose sqlite3 refuses every extension still writes a valid GeoPackage."""
    path = tmp_path / "bureau.gpkg"
    script = textwrap.dedent(
        f"""
        import sqlite3, sys
        sys.modules["pysqlite3"] = None  # and no pysqlite3 wheel to fall back on
        sys.modules["pysqlite3.dbapi2"] = None

        class NoExtensions(sqlite3.Connection):
            def enable_load_extension(self, enabled):
                raise sqlite3.OperationalError("extension loading is disabled")

            def load_extension(self, *args, **kwargs):
                raise sqlite3.OperationalError("extension loading is disabled")

        _connect = sqlite3.connect
        sqlite3.connect = lambda *a, **k: _connect(*a, factory=NoExtensions, **k)

        from geoplan.cli import main
        try:
            main(["db", "load", "--url", {str(path)!r}], standalone_mode=False)
        finally:
            maps = open("/proc/self/maps").read()
            print("SPATIALITE-MAPPED" if "spatialite" in maps else "NO-SPATIALITE")
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "NO-SPATIALITE" in run.stdout
    assert "farmhouses: 5500 features, 5500 new" in run.stdout
    assert validate(path) == ""
    assert len(read_layers_from_db(path)["farmhouses"]) == 5500


def test_edits_through_gdal_come_back(bundled_gpkg, tmp_path):
    """GDAL (as QGIS edits) changes, adds and deletes features; triggers keep the R-tree."""
    require(_system_has("osgeo.ogr"), "GDAL's Python bindings (Debian python3-gdal) are missing")
    path = tmp_path / "edited.gpkg"
    shutil.copy(bundled_gpkg, path)
    script = textwrap.dedent(
        f"""
        from osgeo import ogr
        ogr.UseExceptions()
        ds = ogr.Open({str(path)!r}, 1)
        lines = ds.GetLayerByName("greenways")
        first = lines.GetNextFeature()
        first.SetGeometry(ogr.CreateGeometryFromWkt("MULTILINESTRING ((118.7 24.9, 118.71 24.91))"))
        first.SetField("name", "改线福道")
        lines.SetFeature(first)
        new = ogr.Feature(lines.GetLayerDefn())
        new.SetField("id", "GNEW")
        new.SetField("name", "新建福道")
        new.SetField("valid_from", "2024-01-01")
        new.SetGeometry(ogr.CreateGeometryFromWkt("MULTILINESTRING ((118.8 24.95, 118.81 24.96))"))
        lines.CreateFeature(new)
        houses = ds.GetLayerByName("farmhouses")
        houses.DeleteFeature(houses.GetNextFeature().GetFID())
        ds = None
        """
    )
    subprocess.run([SYSTEM_PYTHON, "-c", script], check=True, capture_output=True, timeout=300)
    import sqlite3

    with sqlite3.connect(path) as con:
        checks = con.execute(
            "SELECT rtreecheck('rtree_greenways_geom'), rtreecheck('rtree_farmhouses_geom'), "
            "(SELECT COUNT(*) FROM rtree_greenways_geom), "
            "(SELECT COUNT(*) FROM rtree_farmhouses_geom)"
        ).fetchone()
    assert checks == ("ok", "ok", 45, 5499)
    assert validate(path) == ""
    greenways = read_layers_from_db(path)["greenways"].set_index("id")
    assert greenways.loc["GNEW", "name"] == "新建福道"
    assert "改线福道" in set(greenways["name"])
    box = read_layers_from_db(path)["greenways"].cx[118.799:118.811, 24.949:24.961]
    assert "GNEW" in set(box["id"])


# ------------------------------------------------------------------ QGIS


def _opened(kinds: list[str]) -> list[str]:
    """Probe arguments: a footprint kind (a generic GEOMETRY column) is opened as QGIS's
    browser offers it, one geometry type at a time (here its points)."""
    return [f"{k}:Point" if LAYER_KINDS[k].footprints else k for k in kinds]


def _check_qgis_layers(seen: dict, sample: dict) -> None:
    for kind, gdf in sample.items():
        got = seen[kind]
        assert got["valid"], kind
        family = LAYER_KINDS[kind].geometry
        assert got["geometry"] == {"Point": "Point"}.get(family, f"Multi{family}"), kind
        assert got["crs"] == "EPSG:4326"
        assert got["count"] == len(gdf), kind
        assert got["names"] == sorted(gdf["name"].astype(str)), kind  # Chinese intact
        assert got["labels"], kind
        history = seen[f"{kind}_history"]
        assert history["valid"] and history["count"] == 0, kind
        assert history["geometry"] == got["geometry"] and history["crs"] == "EPSG:4326"
        spec = KIND_STYLES[kind]
        if spec.by is None:
            assert got["renderer"] == "singleSymbol", kind
            continue
        assert got["renderer"] == "categorizedSymbol", kind

        # QGIS reports a symbol's main colour: a line's colour, a fill's or marker's fill
        def main_colour(style: dict, family: str = family) -> str:
            return style["color"] if family == "LineString" else style.get("fill") or style["color"]

        legend = [[v, spec.labels[v], main_colour(s)] for v, s in spec.styles.items()]
        if spec.other is not None:
            legend.append(["", "其他/未填", main_colour(spec.other)])
        if LAYER_KINDS[kind].footprints:  # then the same classes for footprints (fills)
            legend += [
                [f"footprint:{v}", f"{label}（轮廓）", (s.get("fill") or s["color"])]
                for v, label, _ in legend
                for s in [spec.styles.get(v, spec.other)]
            ]
        assert got["categories"] == legend, kind


def test_qgis_opens_the_geopackage_styled(bundled_gpkg, sample, tmp_path):
    png = tmp_path / "farmhouses.png"
    seen = qgis(
        str(bundled_gpkg), _opened(list(sample)), render=("farmhouses,greenways,towns", png)
    )
    _check_qgis_layers(seen, sample)
    assert seen["villages"]["categories"][0][1] == "村庄规划已批"
    assert seen["greenways"]["categories"][0][1] == "已建成（实线）"
    # drawn, in the legend's colours: not blank, and the three status colours present
    from PIL import Image

    image = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    assert seen["_render"]["painted_samples"] > 2000
    colours = {tuple(c) for c in image[::7]}
    for hex_colour in ("#1a9850", "#fdae61", "#d73027"):
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        near = np.abs(image[::3].astype(int) - rgb).sum(axis=1) <= 12
        assert near.sum() > 20, hex_colour
    assert len(colours) > 20


_GEOMETRY_TYPES_SQL = (
    "SELECT f_table_name, type FROM geometry_columns WHERE f_table_schema = 'public'"
)


def test_qgis_opens_postgis_styled(pg_url, sample):  # noqa: F811
    load_layers(sample, url=pg_url, valid_from="2021-05-24")
    url = make_url(pg_url)
    conninfo = (
        f"pg:dbname={url.database} host={url.host} port={url.port or 5432} user={url.username}"
    )
    seen = qgis(conninfo, _opened(list(sample)))
    _check_qgis_layers(seen, sample)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        types = dict(conn.execute(text(_GEOMETRY_TYPES_SQL)).all())
        catalogs = (
            conn.execute(
                text("SELECT DISTINCT f_table_catalog FROM layer_styles WHERE useasdefault")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert types["towns"] == "MULTIPOLYGON" and types["towns_history"] == "MULTIPOLYGON"
    assert types["greenways"] == "MULTILINESTRING" and types["water_sources"] == "POINT"
    # points or footprints: one generic column (see geoplan.store._models.geometry_column_type)
    assert types["farmhouses"] == types["heritage_sites"] == "GEOMETRY"
    assert catalogs == [url.database]


def _check_project(url: str, path: Path, sample: dict) -> None:
    _cli("db", "qgis-project", "--url", url, "-o", str(path))
    seen = qgis("", ["--project", str(path)])
    assert seen.pop("_read") is True
    assert list(seen) == ["点状要素", "线状要素", "面状要素"]  # the map's legend: points on top
    layers = [layer for group in seen.values() for layer in group]
    assert {layer["name"] for layer in layers} == {KIND_LABELS[k] for k in sample}
    counts = {KIND_LABELS[k]: len(g) for k, g in sample.items()}
    for layer in layers:
        assert layer["valid"] and layer["count"] == counts[layer["name"]], layer
        kind = next(k for k in sample if KIND_LABELS[k] == layer["name"])
        want = "singleSymbol" if KIND_STYLES[kind].by is None else "categorizedSymbol"
        assert layer["renderer"] == want, layer
    assert seen["点状要素"][0]["name"] == "农房"  # drawn last on the map, first in the tree
    result = CliRunner().invoke(main, ["db", "qgis-project", "--url", url, "-o", str(path)])
    assert result.exit_code == 2 and "--force" in result.output


def test_qgis_project_opens_the_geopackage(bundled_gpkg, sample, tmp_path):
    _check_project(str(bundled_gpkg), tmp_path / "台商区.qgz", sample)


def test_qgis_project_opens_postgis(pg_url, sample, tmp_path):  # noqa: F811
    load_layers(sample, url=pg_url, valid_from="2021-05-24")
    _check_project(pg_url, tmp_path / "team.qgs", sample)


# ------------------------------------------------------------------ ogr2ogr


def test_ogr2ogr_csv_keeps_coordinates(bundled_gpkg, sample, tmp_path):
    require(shutil.which("ogr2ogr") is not None, "ogr2ogr (Debian gdal-bin) is not installed")

    def to_csv(layer: str, *options: str) -> pd.DataFrame:
        out = tmp_path / f"{layer}.csv"
        subprocess.run(
            ["ogr2ogr", "-f", "CSV", str(out), str(bundled_gpkg), layer, *options],
            check=True,
            capture_output=True,
        )
        return pd.read_csv(out)

    points = to_csv("farmhouses", "-lco", "GEOMETRY=AS_XY").set_index("id")
    want = sample["farmhouses"].set_index("id")
    got = points.loc[want.index]
    assert np.abs(got["X"].to_numpy() - want.geometry.x.to_numpy()).max() <= 1e-7
    assert np.abs(got["Y"].to_numpy() - want.geometry.y.to_numpy()).max() <= 1e-7

    lines = to_csv("greenways", "-lco", "GEOMETRY=AS_WKT").set_index("id")
    wkt = gpd.GeoSeries.from_wkt(lines.loc[sample["greenways"]["id"], "WKT"].to_numpy())
    wanted = sample["greenways"].geometry.to_numpy()
    assert shapely.equals_exact(
        shapely.get_parts(wkt.to_numpy()), shapely.get_parts(wanted), tolerance=1e-7
    ).all()

    records = geoplan.load_sample_records()
    log = to_csv("records").set_index("record_id").loc[records["record_id"].astype(str)]
    for column in ("lon", "lat"):
        diff = np.abs(log[column].to_numpy(dtype=float) - records[column].to_numpy(dtype=float))
        assert np.nanmax(diff) <= 1e-7  # DOUBLE columns: no 4-byte rounding
        assert (np.isnan(diff) == records[column].isna().to_numpy()).all()


# ------------------------------------------------------------------ refusals


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_users_own_geopackage_is_refused_before_anything_is_written(tmp_path, sample):
    own = tmp_path / "my_zone.gpkg"
    for kind in ("towns", "greenways"):
        sample[kind].to_file(own, layer=kind, driver="GPKG")
    before = _sha(own)
    result = CliRunner().invoke(main, ["db", "load", "--url", str(own), "--layers", str(own)])
    assert result.exit_code == 2
    assert "holds tables geoplan did not create (greenways, towns)" in result.output
    assert f"--layers {own}" in result.output
    assert "Traceback" not in result.output
    assert _sha(own) == before
    with pytest.raises(StoreError, match="did not create"):
        Store(own).init()
    assert _sha(own) == before
    # its layers load into a new database as the message says
    _cli("db", "load", "--url", str(tmp_path / "new.gpkg"), "--layers", str(own))
    assert len(read_layers_from_db(tmp_path / "new.gpkg")["greenways"]) == len(sample["greenways"])


def test_dump_refuses_the_database_and_files_it_did_not_write(tmp_path):
    db = tmp_path / "layers.gpkg"  # named like the dump's own layer file
    load_layers({"towns": _towns()}, url=db, valid_from="2022-01-01")
    before = _sha(db)
    result = CliRunner().invoke(main, ["db", "dump", "--url", str(db), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "would replace the database" in result.output
    assert _sha(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers.gpkg"]
    result = CliRunner().invoke(
        main, ["db", "dump", "--url", str(db), "-o", str(tmp_path), "--force"]
    )
    assert result.exit_code == 2 and _sha(db) == before  # not even with --force

    out = tmp_path / "out"
    out.mkdir()
    (out / "records.csv").write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["db", "dump", "--url", str(db), "-o", str(out)])
    assert result.exit_code == 2
    assert "records.csv" in result.output and "--force" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["records.csv"]
    assert (out / "records.csv").read_text(encoding="utf-8") == "mine\n"
    _cli("db", "dump", "--url", str(db), "-o", str(out), "--force")
    _cli("db", "dump", "--url", str(db), "-o", str(out))  # its own files: replaced freely
    (out / "metric_snapshots.csv").write_text("edited\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["db", "dump", "--url", str(db), "-o", str(out)])
    assert result.exit_code == 2 and "metric_snapshots.csv" in result.output


def test_dump_of_an_empty_database_says_so(tmp_path):
    db = tmp_path / "empty.gpkg"
    _cli("db", "init", "--url", str(db))
    result = CliRunner().invoke(main, ["db", "dump", "--url", str(db), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "nothing to dump" in result.output and "geoplan db load" in result.output
    assert not (tmp_path / "o").exists()


def test_dumped_records_are_inert_in_a_spreadsheet(tmp_path):
    db = tmp_path / "b.gpkg"
    records = pd.DataFrame(
        {"record_id": ["r1", "r2"], "task_id": [9, 9], "note": ['=HYPERLINK("x")', "@SUM(A1)"]}
    )
    with Store(db) as store:
        store.load(records=records)
    _cli("db", "dump", "--url", str(db), "-o", str(tmp_path / "o"))
    text_out = (tmp_path / "o" / "records.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text_out and "'@SUM" in text_out


@pytest.mark.parametrize(
    "secret_url",
    [
        "postgresql://postgres:Hx9SecretPw@127.0.0.1:1/geoplan_none",
        "postgresql://postgres:Hx9@SecretPw@127.0.0.1:5432/geoplan_none",
        "postgresql://postgres:Hx9:Secret/Pw@127.0.0.1/geoplan_none",
        "postgresql://postgres:Hx9SecretPw@127.0.0.1:notaport/geoplan_none",
        "postgresql://postgres:Hx9%40SecretPw@127.0.0.1:5432/geoplan_none",
        "mysql://postgres:Hx9SecretPw@127.0.0.1/x",
    ],
)
def test_a_password_in_the_url_is_never_printed(secret_url):
    for command in (["db", "info"], ["db", "load"], ["db", "dump", "-o", "/nonexistent/x"]):
        result = CliRunner().invoke(main, [*command, "--url", secret_url])
        assert result.exit_code != 0
        assert "Traceback" not in result.output
        for piece in ("Hx9", "Secret", "Pw@"):
            assert piece not in result.output, (command, result.output)


def _two_loads_at_once(url: str, cwd: Path) -> None:
    """Run two `geoplan db load` of the bundled data at once; both must succeed."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "geoplan", "db", "load", "--url", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert "extension" not in err.lower() and "locked" not in err.lower(), err
        assert run.returncode == 0, err
    with Store(url) as store:
        counts = store.counts()
    assert counts["farmhouses"] == 5500 and counts["farmhouses_history"] == 0
    assert counts["tasks"] == 32
    # one process made the first load, the other found it done
    assert sum(out.count("farmhouses: 5500 features, 5500 new") for out, _ in outputs) == 1


def test_two_first_loads_into_one_postgis_database(tmp_path):
    """Both at once on a database without PostGIS: one creates, the other waits."""
    reason = _postgis_reason()
    require(reason is None, reason or "")
    import secrets

    name = f"geoplan_test_race_{secrets.token_hex(5)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _two_loads_at_once(_pg_url(name), tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_first_loads_into_one_geopackage(tmp_path):
    _two_loads_at_once(str(tmp_path / "shared.gpkg"), tmp_path)
    assert validate(tmp_path / "shared.gpkg") == ""


def test_layer_style_labels_come_from_the_map_legend():
    """The stored QML and SLD carry the web map's Chinese legend and colours."""
    from geoplan.store._qgis import qml, sld

    for kind, spec in KIND_STYLES.items():
        style = qml(kind)
        assert 'fieldName="name"' in style
        for value, label in spec.labels.items():
            assert f'label="{label}"' in style and f"<se:Title>{label}</se:Title>" in sld(
                kind, kind
            )
            colour = spec.styles[value].get("fill") or spec.styles[value]["color"]
            rgb = ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
            assert rgb in style, (kind, value)
        assert KIND_LABELS[kind] in sld(kind, kind)
        ElementTree.fromstring(style.split("\n", 1)[1])  # well-formed (after the DOCTYPE)
        ElementTree.fromstring(sld(kind, kind).encode("utf-8"))
