"""``geoplan db``: the planning database (GeoPackage file or PostGIS)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from ..settings import ENV_DB_URL
from ._common import (
    as_of_option,
    date_callback,
    format_option,
    layer_read_options,
    layers_option,
    output_option,
    plan_option,
    records_option,
    resolve_inputs,
)

_URL_HELP = (
    "Database: a .gpkg path or a SQLAlchemy URL (postgresql+psycopg://user@host/db). "
    "Default: $GEOPLAN_DB_URL, else ./geoplan.gpkg."
)


def _url_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option("--url", envvar=ENV_DB_URL, help=_URL_HELP)(func)


@click.group()
def db() -> None:
    """Keep layers, the plan register, the progress log and metric snapshots in a database."""


@db.command()
@_url_option
def init(url: str | None) -> None:
    """Create the geoplan tables (does nothing if they exist)."""
    from ..store import init_db

    store = init_db(url)
    click.echo(f"initialised {store.label}", err=True)


@db.command()
@_url_option
@layers_option(help="A GeoPackage or folder of layers (default with no data option: the sample).")
@plan_option(
    help="An action plan (a document, or the plan.json of `geoplan db dump`; default with "
    "no data option: the bundled plan)."
)
@records_option(help="A progress-log CSV (default with no data option: the sample records).")
@click.option(
    "--snapshots",
    "snapshots_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The metric_snapshots.csv of `geoplan db dump`: stored scorecards to load back.",
)
@layer_read_options
@click.option(
    "--valid-from",
    callback=date_callback,
    metavar="YYYY-MM-DD",
    help="Date the loaded layer versions take effect (default today; for the "
    "bundled data, the plan's start 2021-05-24).",
)
@click.option(
    "--keep-missing",
    is_flag=True,
    help="Keep stored features the loaded layers lack (add and update only); by default a "
    "loaded layer replaces the stored one and its missing features are deleted.",
)
def load(
    url: str | None,
    layers_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    snapshots_path: Path | None,
    crs: str | None,
    columns_path: Path | None,
    valid_from: dt.date | None,
    keep_missing: bool,
) -> None:
    """Load layers, a plan, records and snapshots in one transaction.

    With no --layers, --plan, --records or --snapshots, loads the bundled plan, sample
    layers and sample records. The files of `geoplan db dump` load back as they are
    (layers.gpkg, plan.json, records.csv, metric_snapshots.csv). Loading the same data
    again changes nothing; changed features keep their previous version in
    <kind>_history, and so do features missing from a reloaded layer (deleted unless
    --keep-missing).
    """
    from ..metrics import plan_start
    from ..store import Store
    from ..store._read import read_plan_json, read_snapshots_file

    given = (layers_path, plan_path, records_path, snapshots_path)
    bundled = all(path is None for path in given)
    # a dump's plan.json is the register itself, read as it was stored
    dumped_plan = plan_path is not None and plan_path.suffix.lower() == ".json"
    inputs = resolve_inputs(
        layers_path,
        None if dumped_plan else plan_path,
        records_path,
        defaults=bundled,
        crs=crs,
        columns_path=columns_path,
    )
    plan, layers, records = inputs.plan, inputs.layers, inputs.records
    if dumped_plan:
        assert plan_path is not None
        plan = read_plan_json(plan_path)
    snapshots = None if snapshots_path is None else read_snapshots_file(snapshots_path)
    # the sample's dated columns describe progress since the plan started
    valid_from = valid_from or (plan_start(plan) if bundled else None)
    start = time.perf_counter()
    with Store(url) as store:
        store.check_writable()  # a GeoPackage geoplan did not create is refused before reading
        stats = store.load(
            layers=layers,
            plan=plan,
            records=records,
            valid_from=valid_from,
            keep_missing=keep_missing,
            snapshots=snapshots,
        )
    for kind, s in stats.items():
        click.echo(
            f"{kind}: {s.staged} features, {s.inserted} new, {s.updated} changed, "
            f"{s.unchanged} unchanged" + (f", {s.deleted} deleted" if s.deleted else "")
        )
    if plan is not None:
        click.echo(f"plan: {len(plan.tasks)} tasks")
    if records is not None:
        click.echo(f"records: {len(records)} rows")
    if snapshots is not None:
        click.echo(f"snapshots: {len(snapshots)} rows")
    click.echo(f"loaded into {store.label} in {time.perf_counter() - start:.1f} s", err=True)


@db.command()
@_url_option
@output_option(file_okay=False, required=True, help="Folder to write into.")
@as_of_option(help="Write the layers and records as they stood on this date.")
@format_option(
    ("gpkg", "geojson"),
    default="gpkg",
    help="Layers as one GeoPackage or one GeoJSON file per kind.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace files in the folder that an earlier dump did not write (or that changed).",
)
def dump(url: str | None, output: Path, as_of: dt.date | None, fmt: str, force: bool) -> None:
    """Write the database back to files: layers, records.csv, plan.json, snapshots.

    Never writes over the database itself; without --force, only over files an earlier
    dump wrote and nobody changed since.
    """
    from ..store import dump as dump_db

    for path in dump_db(output, url=url, as_of=as_of, layer_format=fmt, force=force):
        click.echo(str(path))


@db.command()
@_url_option
@as_of_option(help="Date to evaluate (default today).")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A target mapping CSV replacing the bundled one.",
)
def snapshot(url: str | None, as_of: dt.date | None, mapping: Path | None) -> None:
    """Compute the scorecard from the database and store it (replacing that date's)."""
    from .._common.labels import SCORE_STATUS_LABELS as STATUS_LABELS
    from ..metrics import snapshot_scorecard

    card = snapshot_scorecard(url=url, as_of=as_of, mapping=mapping)
    day = as_of or dt.date.today()
    counts = card["status"].value_counts().to_dict() if "status" in card else {}
    order = [*STATUS_LABELS, *sorted(set(counts) - set(STATUS_LABELS))]
    summary = "，".join(f"{STATUS_LABELS.get(s, s)} {counts[s]}" for s in order if s in counts)
    click.echo(f"已保存评估日 {day} 的计分卡 {len(card)} 行：{summary}")


@db.command()
@_url_option
def info(url: str | None) -> None:
    """Show the database, its schema version and the rows in each table."""
    from ..store import SCHEMA_VERSION, Store

    with Store(url) as store:
        counts = store.counts()
    click.echo(f"{store.label} (schema version {SCHEMA_VERSION})")
    for name, n in counts.items():
        if n:
            click.echo(f"  {name}: {n}")


@db.command("qgis-project")
@_url_option
@output_option(required=True, help="The project file (.qgz or .qgs).")
@click.option("--title", help="Project title (default: the database's file name).")
@click.option("--force", is_flag=True, help="Replace an existing project file.")
def qgis_project(url: str | None, output: Path, title: str | None, force: bool) -> None:
    """Write a QGIS project opening the database: layers styled, grouped as the map's legend."""
    from ..store import Store

    with Store(url) as store:
        path = store.qgis_project(output, title=title, force=force)
    click.echo(str(path))
