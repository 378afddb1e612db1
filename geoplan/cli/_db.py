"""``geoplan db``: the planning database (GeoPackage file or PostGIS)."""

from __future__ import annotations

import datetime as dt
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import PlanWarning

if TYPE_CHECKING:
    import pandas as pd

_URL_HELP = (
    "Database: a .gpkg path or a SQLAlchemy URL (postgresql+psycopg://user@host/db). "
    "Default: $GEOPLAN_DB_URL, else ./geoplan.gpkg."
)


def _url_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option("--url", envvar="GEOPLAN_DB_URL", help=_URL_HELP)(func)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


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
@click.option(
    "--layers",
    "layers_path",
    type=click.Path(exists=True, path_type=Path),
    help="A GeoPackage or folder of layers (default with no data option: the sample).",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An action-plan text file (default with no data option: the bundled plan).",
)
@click.option(
    "--records",
    "records_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A progress-log CSV (default with no data option: the sample records).",
)
@click.option(
    "--valid-from",
    callback=_date,
    metavar="DATE",
    help="Date the loaded layer versions take effect (default today; for the "
    "bundled data, the plan's start 2021-05-24).",
)
def load(
    url: str | None,
    layers_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    valid_from: dt.date | None,
) -> None:
    """Load layers, a plan and records in one transaction.

    With no --layers, --plan or --records, loads the bundled plan, sample layers and sample
    records. Loading the same data again changes nothing; changed features keep their
    previous version in <kind>_history.
    """
    from .. import layers as layers_mod
    from .._resources import SAMPLE_PLAN, data_path
    from .._settings import PLAN_START
    from ..plan import parse_plan
    from ..store import Store

    bundled = layers_path is None and plan_path is None and records_path is None
    if bundled:
        plan_path = data_path(SAMPLE_PLAN)
    plan = None
    if plan_path is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PlanWarning)
            plan = parse_plan(plan_path)
        for warning in caught:
            click.secho(f"warning: {warning.message}", fg="yellow", err=True)
    layers: dict[str, Any] | None = None
    records: pd.DataFrame | None = None
    if bundled:
        # the sample's dated columns describe progress since the plan started
        valid_from = valid_from or PLAN_START
        layers = layers_mod.load_sample()
        records = layers_mod.load_sample_records()
    if layers_path is not None:
        layers = layers_mod.read_layers(layers_path)
    if records_path is not None:
        from ..records import read_records

        records = read_records(records_path)
    start = time.perf_counter()
    with Store(url) as store:
        stats = store.load(layers=layers, plan=plan, records=records, valid_from=valid_from)
    for kind, s in stats.items():
        click.echo(
            f"{kind}: {s.staged} features, {s.inserted} new, {s.updated} changed, "
            f"{s.unchanged} unchanged"
        )
    if plan is not None:
        click.echo(f"plan: {len(plan.tasks)} tasks")
    if records is not None:
        click.echo(f"records: {len(records)} rows")
    click.echo(f"loaded into {store.label} in {time.perf_counter() - start:.1f} s", err=True)


@db.command()
@_url_option
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into.",
)
@click.option(
    "--as-of",
    callback=_date,
    metavar="DATE",
    help="Write the layers and records as they stood on this date.",
)
@click.option(
    "--format",
    "layer_format",
    type=click.Choice(["gpkg", "geojson"]),
    default="gpkg",
    show_default=True,
    help="Layers as one GeoPackage or one GeoJSON file per kind.",
)
def dump(url: str | None, out_dir: Path, as_of: dt.date | None, layer_format: str) -> None:
    """Write the database back to files: layers, records.csv, plan.json, snapshots."""
    from ..store import dump as dump_db

    for path in dump_db(out_dir, url=url, as_of=as_of, layer_format=layer_format):
        click.echo(str(path))


@db.command()
@_url_option
@click.option("--as-of", callback=_date, metavar="DATE", help="Date to evaluate (default today).")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A target mapping CSV replacing the bundled one.",
)
def snapshot(url: str | None, as_of: dt.date | None, mapping: Path | None) -> None:
    """Compute the scorecard from the database and store it (replacing that date's)."""
    from ..store import snapshot_scorecard

    card = snapshot_scorecard(url=url, as_of=as_of, mapping=mapping)
    day = as_of or dt.date.today()
    counts = card["status"].value_counts().to_dict() if "status" in card else {}
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    click.echo(f"stored {len(card)} scorecard rows as of {day}: {summary}")


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
