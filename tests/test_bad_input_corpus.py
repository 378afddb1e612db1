"""A corpus of bad inputs run through the ``geoplan`` command line (issue 18).

Each case is written here in tmp_path from the bundled sample, run with click's
CliRunner, and must end one of two ways:

- refused: exit status 2 (1 for ``layers check`` findings), exactly one ``error:`` line
  that names the input, the feature or record ids in the message, no traceback, and
  every file the command was pointed at unchanged (bytes and mtime);
- accepted with a warning: exit status 0, a warning naming what is odd, and the figures
  equal to those of the clean input (or, for a wrong ``.cpg``, the right names).

The kinds: ``geometry`` (non-finite coordinates, features outside China or far from the
rest, metres declared as degrees, huge features, negative numbers), ``encoding`` (a
``.cpg`` that contradicts the bytes), ``records`` (orphans, unknown tasks, two status
columns, task ids as ``18.0``/``十八号``/``-1``, an .xlsx renamed .csv), ``output``
(read-only, immutable, over-long names, missing folders, a full disk, PNG sizes) and
``markup`` (data that must stay text in a map).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.datasets import SAMPLE_LAYERS, SAMPLE_RECORDS, data_path

AS_OF = "2024-06-30"
KINDS = ("towns", "villages", "greenways", "parks", "sewage_facilities", "water_sources")


@pytest.fixture(scope="module")
def sample() -> dict[str, gpd.GeoDataFrame]:
    """The raw sample layers (as stored: EPSG:4326), one copy per module."""
    return {k: gpd.read_file(data_path(SAMPLE_LAYERS), layer=k) for k in KINDS}


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    for kind, gdf in layers.items():
        gdf.to_file(path, layer=kind, driver="GPKG")
    return path


def set_vertex(geom: object, value: float, axis: int = 0) -> object:
    coords = shapely.get_coordinates(geom)
    coords[len(coords) // 2, axis] = value
    return shapely.set_coordinates(shapely.from_wkb(shapely.to_wkb(geom)), coords)


def with_geom(gdf: gpd.GeoDataFrame, i: int, geom: object) -> gpd.GeoDataFrame:
    out = gdf.copy()
    geoms = np.asarray(out.geometry.array, dtype=object).copy()
    geoms[i] = geom
    return out.set_geometry(gpd.GeoSeries(geoms, crs=out.crs))


def first(gdf: gpd.GeoDataFrame, mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0])


def counted_greenway(gw: gpd.GeoDataFrame) -> int:
    """A greenway task 9 counts (completed since the plan start, by AS_OF)."""
    dates = pd.to_datetime(gw["completed_date"])
    return first(gw, gw["status"].eq("completed") & dates.between("2021-05-24", AS_OF))


def uncounted_greenway(gw: gpd.GeoDataFrame) -> int:
    return first(gw, gw["status"].ne("completed"))


# ------------------------------------------------------------------ the cases


@dataclass
class Case:
    """One bad input: how to build it and what must happen."""

    kind: str
    name: str
    build: Callable[[Path, dict[str, gpd.GeoDataFrame]], list[str]]
    code: int = 2
    needles: tuple[str, ...] = ()  # in the error line / report / warning
    warning: str | None = None  # accepted: this text must be on stderr or in the log
    same_figures: str | None = None  # "greenways" or "scorecard": compare with the clean run
    watch: list[str] = field(default_factory=list)  # file names in tmp_path left untouched
    root_only: bool = False
    slow: bool = False  # computes the whole sample scorecard or renders the report


def greenways_case(mutate: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], *, check: bool):
    def build(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
        layers = {"towns": sample["towns"], "greenways": mutate(sample["greenways"])}
        path = write_gpkg(tmp / "layers.gpkg", layers)
        if check:
            return ["layers", "check", str(path)]
        return metric_args(path)

    return build


def metric_args(path: Path) -> list[str]:
    return [
        "metrics",
        "--layers",
        str(path),
        "--metric",
        "greenway_completed_km",
        "--as-of",
        AS_OF,
        "--format",
        "csv",
    ]


def nan_in_counted(gw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    i = counted_greenway(gw)
    return with_geom(gw, i, set_vertex(gw.geometry.iloc[i], np.nan))


def inf_in_counted(gw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    i = counted_greenway(gw)
    return with_geom(gw, i, set_vertex(gw.geometry.iloc[i], np.inf, axis=1))


def stray(gw: gpd.GeoDataFrame, dx: float = 8.0, dy: float = 0.0) -> gpd.GeoDataFrame:
    i = uncounted_greenway(gw)
    return with_geom(gw, i, shapely.affinity.translate(gw.geometry.iloc[i], dx, dy))


def in_europe(gw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    i = uncounted_greenway(gw)
    return with_geom(gw, i, shapely.affinity.translate(gw.geometry.iloc[i], -108.0, 25.0))


def world_line(gw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    i = uncounted_greenway(gw)
    return with_geom(gw, i, shapely.LineString([(-179, -80), (179, 80)]))


def huge_line(gw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    i = uncounted_greenway(gw)
    return with_geom(gw, i, shapely.LineString([(112.0, 24.9), (118.8, 24.9)]))


def one_in_mercator(gw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    i = uncounted_greenway(gw)
    merc = gpd.GeoSeries([gw.geometry.iloc[i]], crs=4326).to_crs(3857).iloc[0]
    return with_geom(gw, i, merc)


def all_in_mercator(gw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gw.to_crs(3857).set_crs(4326, allow_override=True)


def layer_case(kind: str, mutate: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]):
    def build(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
        path = write_gpkg(tmp / "layers.gpkg", {kind: mutate(sample[kind])})
        return ["layers", "check", str(path)]

    return build


def set_cell(column: str, value: object, row: int = 0):
    def mutate(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = gdf.copy()
        out[column] = out[column].astype(object)
        out.loc[out.index[row], column] = value
        return out

    return mutate


def village_moved(dx: float, dy: float):
    def mutate(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return with_geom(gdf, 2, shapely.affinity.translate(gdf.geometry.iloc[2], dx, dy))

    return mutate


def town_world(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return with_geom(gdf, 0, shapely.box(-180, -85, 180, 85))


def nan_point(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return with_geom(gdf, 1, shapely.Point(np.nan, 24.9))


GEOMETRY = [
    Case(
        "geometry",
        "nan-vertex-counted-greenway",
        greenways_case(nan_in_counted, check=False),
        needles=("layers.gpkg", "not numbers", "G"),
    ),
    Case(
        "geometry",
        "nan-vertex-check",
        greenways_case(nan_in_counted, check=True),
        code=1,
        needles=("not numbers",),
    ),
    Case(
        "geometry",
        "inf-vertex-counted-greenway",
        greenways_case(inf_in_counted, check=False),
        needles=("layers.gpkg", "NaN or infinity"),
    ),
    Case(
        "geometry",
        "nan-water-source-point",
        layer_case("water_sources", nan_point),
        code=1,
        needles=("water_sources.geometry", "not numbers"),
    ),
    Case(
        "geometry",
        "stray-greenway-800km",
        greenways_case(stray, check=False),
        code=0,
        warning="far from the rest of the layer",
        same_figures="greenways",
    ),
    Case(
        "geometry",
        "stray-greenway-north",
        greenways_case(lambda g: stray(g, 2.0, 9.0), check=False),
        code=0,
        warning="far from the rest of the layer",
        same_figures="greenways",
    ),
    Case(
        "geometry",
        "stray-greenway-check",
        greenways_case(stray, check=True),
        code=0,
        warning="far from the rest of the layer",
    ),
    Case(
        "geometry",
        "greenway-in-europe",
        greenways_case(in_europe, check=False),
        needles=("layers.gpkg", "outside China"),
    ),
    Case(
        "geometry",
        "greenway-across-the-world",
        greenways_case(world_line, check=True),
        code=1,
        needles=("outside China",),
    ),
    Case(
        "geometry",
        "greenway-700km-long",
        greenways_case(huge_line, check=True),
        code=0,
        warning="implausibly large",
    ),
    Case(
        "geometry",
        "one-greenway-in-3857",
        greenways_case(one_in_mercator, check=False),
        needles=("layers.gpkg", "not degrees"),
    ),
    Case(
        "geometry",
        "all-greenways-3857-as-4326",
        greenways_case(all_in_mercator, check=False),
        needles=("layers.gpkg", "EPSG:3857"),
    ),
    Case(
        "geometry",
        "all-greenways-3857-check",
        greenways_case(all_in_mercator, check=True),
        code=1,
        needles=("EPSG:3857",),
    ),
    Case(
        "geometry",
        "town-covering-the-world",
        layer_case("towns", town_world),
        code=1,
        needles=("towns.geometry", "outside China", "T01"),
    ),
    Case(
        "geometry",
        "village-in-europe",
        layer_case("villages", village_moved(-108.0, 25.0)),
        code=1,
        needles=("villages.geometry", "outside China", "V003"),
    ),
    Case(
        "geometry",
        "village-off-africa",
        layer_case("villages", village_moved(-118.0, -25.0)),
        code=1,
        needles=("outside China", "V003"),
    ),
    Case(
        "geometry",
        "negative-population",
        layer_case("towns", set_cell("population", -98000)),
        code=1,
        needles=("towns.population", "below zero", "T01"),
    ),
    Case(
        "geometry",
        "negative-capacity",
        layer_case("sewage_facilities", set_cell("capacity_m3d", -20000.0)),
        code=1,
        needles=("sewage_facilities.capacity_m3d", "below zero", "SF01"),
    ),
    Case(
        "geometry",
        "negative-farmhouses",
        layer_case("villages", set_cell("farmhouse_count", -40)),
        code=1,
        needles=("villages.farmhouse_count", "below zero", "V001"),
    ),
    Case(
        "geometry",
        "negative-people-served",
        layer_case("water_sources", set_cell("people_served", "-1,200")),
        code=1,
        needles=("water_sources.people_served", "below zero"),
    ),
]


# ------------------------------------------------------------------ encoding


def shapefile_folder(cpg: str, codec: str):
    def build(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
        folder = tmp / "shp"
        folder.mkdir()
        for kind in ("towns", "villages"):
            gdf = sample[kind].drop(columns=[c for c in sample[kind] if c.endswith("_date")])
            gdf = gdf.rename(columns=lambda c: c[:10])
            gdf.to_file(folder / f"{kind}.shp", encoding=codec, engine="pyogrio")
            (folder / f"{kind}.cpg").write_text(cpg)
        return [
            "metrics",
            "--layers",
            str(folder),
            "--metric",
            "village_plan_share",
            "--as-of",
            AS_OF,
            "--format",
            "csv",
        ]

    return build


ENCODING = [
    Case(
        "encoding",
        "cpg-latin1-on-gbk",
        shapefile_folder("ISO-8859-1", "gbk"),
        code=0,
        warning="the .cpg says latin-1",
        needles=("洛阳镇", "百崎回族乡"),
    ),
    Case(
        "encoding",
        "cpg-1252-on-gbk",
        shapefile_folder("1252", "gbk"),
        code=0,
        warning="the .cpg says cp1252",
        needles=("东园镇", "张坂镇"),
    ),
    Case(
        "encoding",
        "cpg-latin1-on-utf8",
        shapefile_folder("ISO-8859-1", "utf-8"),
        code=0,
        warning="decodes it cleanly",
        needles=("洛阳镇",),
    ),
    Case(
        "encoding",
        "cpg-88591-on-gbk",
        shapefile_folder("88591", "gbk"),
        code=0,
        warning="garbled",
        needles=("百崎回族乡",),
    ),
]


# ------------------------------------------------------------------ records


def sample_log() -> pd.DataFrame:
    return pd.read_csv(data_path(SAMPLE_RECORDS), dtype=str, keep_default_na=False)


def log_case(mutate: Callable[[pd.DataFrame], pd.DataFrame], *, command: str = "metrics"):
    def build(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
        path = tmp / "log.csv"
        path.write_bytes(mutate(sample_log()).to_csv(index=False).encode("utf-8-sig"))
        if command == "report":
            return [
                "report",
                "--records",
                str(path),
                "--as-of",
                AS_OF,
                "--no-maps",
                "--no-history",
                "-o",
                str(tmp / "report.html"),
            ]
        return ["metrics", "--records", str(path), "--as-of", AS_OF, "--format", "csv"]

    return build


def cell(column: str, value: str, row: int = 0):
    def mutate(log: pd.DataFrame) -> pd.DataFrame:
        log.loc[row, column] = value
        return log

    return mutate


def task_as_float(log: pd.DataFrame) -> pd.DataFrame:
    log["task_id"] = log["task_id"] + ".0"
    return log


def both_status(differ: bool):
    def mutate(log: pd.DataFrame) -> pd.DataFrame:
        log["状态"] = log["status"]
        if differ:
            log.loc[3, "状态"] = "planned" if log.loc[3, "status"] != "planned" else "completed"
        return log

    return mutate


def orphans(log: pd.DataFrame) -> pd.DataFrame:
    rows = log["layer"].eq("greenways") & log["feature_id"].ne("")
    log.loc[rows, "feature_id"] = "X" + log.loc[rows, "feature_id"]
    return log


def xlsx_as_csv(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
    path = tmp / "log.csv"
    sample_log().head(20).to_excel(path, index=False, engine="openpyxl")
    return ["metrics", "--records", str(path), "--as-of", AS_OF, "--format", "csv"]


RECORDS = [
    Case(
        "records",
        "task-99",
        log_case(cell("task_id", "99")),
        code=0,
        warning="task ids [99] that are not in the plan register",
        same_figures="scorecard",
        slow=True,
    ),
    Case(
        "records",
        "task-99-in-report",
        log_case(cell("task_id", "99"), command="report"),
        code=0,
        warning="task ids [99]",
        slow=True,
    ),
    Case(
        "records",
        "task-minus-1",
        log_case(cell("task_id", "-1")),
        needles=("log.csv", "task_id", "-1", "R00001"),
    ),
    Case(
        "records",
        "task-18.0",
        log_case(task_as_float),
        code=0,
        same_figures="scorecard",
        slow=True,
    ),
    Case(
        "records",
        "task-十八号",
        log_case(cell("task_id", "十八号", 5)),
        needles=("log.csv", "十八号", "R00006"),
    ),
    Case(
        "records",
        "task-18.5",
        log_case(cell("task_id", "18.5", 2)),
        needles=("log.csv", "18.5", "R00003"),
    ),
    Case(
        "records",
        "status-and-状态-differ",
        log_case(both_status(True)),
        needles=("log.csv", "'status' and '状态'", "lines 5"),
    ),
    Case(
        "records",
        "status-and-状态-agree",
        log_case(both_status(False)),
        code=0,
        warning="the same status twice",
        same_figures="scorecard",
        slow=True,
    ),
    Case(
        "records",
        "orphan-feature-ids",
        log_case(orphans),
        code=0,
        warning="that are not in the layer",
        same_figures="scorecard",
        slow=True,
    ),
    Case(
        "records",
        "orphan-feature-ids-in-report",
        log_case(orphans, command="report"),
        code=0,
        warning="that are not in the layer",
        slow=True,
    ),
    Case("records", "xlsx-renamed-csv", xlsx_as_csv, needles=("log.csv", "Excel workbook")),
]


# ------------------------------------------------------------------ output


def existing(name: str, mode: int, command: list[str], *, force: bool = False):
    def build(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
        target = tmp / name
        target.write_text("keep me\n", encoding="utf-8")
        os.chmod(target, mode)
        return [*command, "-o", str(target), *(["--force"] if force else [])]

    return build


def immutable(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
    target = tmp / "card.csv"
    target.write_text("keep me\n", encoding="utf-8")
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode
    ):
        pytest.skip("chattr +i is not available here")
    return ["metrics", "--metric", "greenway_completed_km", "-o", str(target), "--force"]


def full_disk(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
    folder = tmp / "full"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode()[:80]}")
    return ["metrics", "-o", str(folder / "card.csv"), "--format", "csv"]


def plain(args: list[str]):
    def build(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
        return [a.replace("{tmp}", str(tmp)) for a in args]

    return build


METRIC = ["metrics", "--metric", "greenway_completed_km", "--format", "csv"]
LONG = "规划进度" * 22 + ".csv"  # 268 bytes in UTF-8
OUTPUT = [
    Case(
        "output",
        "read-only-0444-csv",
        existing("card.csv", 0o444, METRIC),
        needles=("card.csv", "read-only", "--force"),
        watch=["card.csv"],
    ),
    Case(
        "output",
        "read-only-0444-map",
        existing("map.html", 0o444, ["map"]),
        needles=("map.html", "read-only"),
        watch=["map.html"],
    ),
    Case(
        "output",
        "read-only-0444-report",
        existing("r.html", 0o444, ["report", "--no-maps"]),
        needles=("r.html", "read-only"),
        watch=["r.html"],
    ),
    Case(
        "output",
        "read-only-0444-with-force",
        existing("card.csv", 0o444, METRIC, force=True),
        code=0,
    ),
    Case(
        "output",
        "immutable-file",
        immutable,
        needles=("card.csv", "immutable"),
        watch=["card.csv"],
        root_only=True,
    ),
    Case(
        "output",
        "name-over-255-bytes",
        plain([*METRIC, "-o", "{tmp}/" + LONG]),
        needles=("268 bytes", "shorter name"),
    ),
    Case(
        "output",
        "missing-folder",
        plain([*METRIC, "-o", "{tmp}/no/such/card.csv"]),
        needles=("card.csv", "does not exist"),
    ),
    Case(
        "output",
        "full-disk",
        full_disk,
        needles=("card.csv", "no space left"),
        root_only=True,
        slow=True,
    ),
    Case(
        "output",
        "png-0x0",
        plain(["map", "-o", "{tmp}/m.html", "--png", "{tmp}/m.png", "--png-size", "0x0"]),
        needles=("0x0", "out of range"),
    ),
    Case(
        "output",
        "png-minus-5x10",
        plain(["map", "-o", "{tmp}/m.html", "--png", "{tmp}/m.png", "--png-size", "-5x10"]),
        needles=("-5x10",),
    ),
    Case(
        "output",
        "png-100000x100000",
        plain(["map", "-o", "{tmp}/m.html", "--png", "{tmp}/m.png", "--png-size", "100000x100000"]),
        needles=("100000x100000",),
    ),
    Case(
        "output",
        "png-15000x15000",
        plain(["map", "-o", "{tmp}/m.html", "--png", "{tmp}/m.png", "--png-size", "15000x15000"]),
        needles=("million pixels",),
    ),
    Case(
        "output",
        "png-size-words",
        plain(["map", "-o", "{tmp}/m.html", "--png", "{tmp}/m.png", "--png-size", "big"]),
        needles=("WIDTHxHEIGHT",),
    ),
]


# ------------------------------------------------------------------ markup


def note_with_url(tmp: Path, sample: dict[str, gpd.GeoDataFrame]) -> list[str]:
    parks = sample["parks"].copy()
    parks["note"] = "背景图 url(http://example.com/x.png) 见附件"
    parks.loc[parks.index[0], "name"] = '<img src=x onerror="window.__pwned=1">'
    path = write_gpkg(tmp / "layers.gpkg", {"parks": parks})
    return ["map", "--layers", str(path), "-o", str(tmp / "m.html")]


MARKUP = [
    Case("markup", "note-with-css-url-and-img-name", note_with_url, code=0),
]

CASES = GEOMETRY + ENCODING + RECORDS + OUTPUT + MARKUP


# ------------------------------------------------------------------ running


def invoke(args: list[str], caplog: pytest.LogCaptureFixture) -> tuple[int, str, str, object]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        result = CliRunner().invoke(main, args, catch_exceptions=True)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    return result.exit_code, result.stdout, result.stderr + "\n" + logged, result.exception


def figures(csv_text: str) -> pd.Series:
    frame = pd.read_csv(StringIO(csv_text))
    keys = [
        c for c in ("task_id", "target_index", "quantity_index", "metric", "scope") if c in frame
    ]
    return frame.set_index(keys)["value"]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, sample) -> dict[str, pd.Series]:
    """Figures of the clean inputs, for the cases that must not change them."""
    tmp = tmp_path_factory.mktemp("clean")
    path = write_gpkg(
        tmp / "layers.gpkg", {"towns": sample["towns"], "greenways": sample["greenways"]}
    )
    runner = CliRunner()
    gw = runner.invoke(main, metric_args(path))
    card = runner.invoke(main, ["metrics", "--as-of", AS_OF, "--format", "csv"])
    assert gw.exit_code == 0 and card.exit_code == 0, (gw.output, card.output)
    return {"greenways": figures(gw.stdout), "scorecard": figures(card.stdout)}


def snapshot(paths: list[Path]) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths if p.exists()}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=f"{c.kind}:{c.name}", marks=[pytest.mark.slow] if c.slow else [])
        for c in CASES
    ],
)
def test_bad_input(case: Case, tmp_path: Path, sample, clean, caplog) -> None:
    if case.root_only and os.geteuid() != 0:
        pytest.skip("needs root (chattr / mount)")
    args = case.build(tmp_path, sample)
    inputs = [tmp_path / p for p in os.listdir(tmp_path) if (tmp_path / p).is_file()]
    before = snapshot(inputs)
    try:
        code, out, err, exc = invoke(args, caplog)
    finally:
        if case.name == "immutable-file":
            subprocess.run(["chattr", "-i", str(tmp_path / "card.csv")], check=False)
        if case.name == "full-disk":
            subprocess.run(["umount", str(tmp_path / "full")], check=False)
    text = out + err
    assert "Traceback" not in text
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert code == case.code, text[-1500:]
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    if code == 2:
        assert len(errors) == 1, err
    else:
        assert errors == [], err
    if code == 2:  # the error line names the input: a file given, or the option's value
        where = errors[0]
        named = [Path(a).name for a in args if "/" in a]
        if "--png-size" in args:
            named.append(args[args.index("--png-size") + 1])
        assert any(n in where for n in named) or not named, where
    for needle in case.needles:
        assert needle in text, f"{needle!r} not in {text[-1500:]}"
    if case.warning:
        assert case.warning in text, text[-1500:]
    if case.same_figures:
        assert figures(out).equals(clean[case.same_figures]), out[:800]
    if code != 0 or case.watch:
        # a refused command changes nothing: inputs and existing outputs keep bytes and mtime
        after = snapshot(list(before))
        assert after == before
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
        assert leftovers == [], leftovers
    if case.name == "read-only-0444-with-force":
        assert (tmp_path / "card.csv").read_text(encoding="utf-8-sig").startswith("metric,")
    if case.kind == "output" and code == 2 and "map" in args:
        assert not (tmp_path / "m.html").exists()  # refused before any work
    if case.kind == "markup":
        html = (tmp_path / "m.html").read_text(encoding="utf-8")
        assert '<img src=x onerror="window.__pwned=1">' not in html
        assert "url(http://example.com/x.png)" in html  # kept as the note's text


def test_the_corpus_covers_every_kind() -> None:
    counts = pd.Series([c.kind for c in CASES]).value_counts().to_dict()
    assert sum(counts.values()) >= 40
    assert set(counts) == {"geometry", "encoding", "records", "output", "markup"}


def test_os_errors_all_become_output_error(tmp_path: Path) -> None:
    """The OS errors of a write (any errno) end as one OutputError line naming the file."""
    from geoplan._common.atomic import atomic_path
    from geoplan._errors import OutputError

    for code in (errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EIO, errno.EDQUOT):
        with pytest.raises(OutputError) as info, atomic_path(tmp_path / "x.csv") as tmp:
            tmp.write_text("x")
            raise OSError(code, os.strerror(code))
        assert "x.csv" in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
