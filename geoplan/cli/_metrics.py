"""``geoplan metrics``: the target scorecard (or one metric) as a table, JSON or CSV."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import pandas as pd

from .._common.atomic import write_bytes
from ..report._format import STATUSES, format_number
from ._common import data_options, format_option, output_option, resolve_inputs

TABLE_COLUMNS = ("task_id", "metric", "scope", "value", "target", "deadline", "expected", "status")


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value


def to_json(frame: pd.DataFrame) -> str:
    """Rows as a JSON list of objects (NaN and NaT as null, dates as ISO strings)."""
    rows = [{k: _jsonable(v) for k, v in rec.items()} for rec in frame.to_dict("records")]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def _cell(rec: dict[str, Any], col: str) -> str:
    """One table cell as the report writes it: 6.0 公里, 76.5%, 1,200 栋, 已达标."""
    v = _jsonable(rec.get(col))
    if v is None:
        return ""
    if col == "status":
        return STATUSES.get(str(v), (str(v), ""))[0]
    if not isinstance(v, float):
        return str(v)
    unit = {"value": "unit", "expected": "unit", "target": "target_unit"}.get(col)
    return format_number(v, rec.get(unit) if unit else None)


def _table(frame: pd.DataFrame, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    colours = {
        "met": "green",
        "on_track": "cyan",
        "behind": "yellow",
        "missed": "red",
        "no_data": "magenta",
        "unmapped": "dim",
    }
    console = Console()
    console.width = max(console.width, 120)  # pipes and narrow terminals: do not fold names
    table = Table(title=title, show_lines=False)
    cols = [c for c in TABLE_COLUMNS if c in frame] or list(frame.columns)
    for col in cols:
        table.add_column(col, no_wrap=col in ("metric", "status", "deadline", "target"))
    for rec in frame.to_dict("records"):
        cells = [_cell(rec, col) for col in cols]
        if "status" in cols:
            i = cols.index("status")
            cells[i] = f"[{colours.get(str(rec.get('status')), 'white')}]{cells[i]}[/]"
        table.add_row(*cells)
    console.print(table)


@click.command("metrics")
@data_options
@click.option(
    "--mapping",
    type=click.Path(exists=True, path_type=Path),
    help="Target mapping CSV replacing the bundled targets.csv.",
)
@click.option(
    "--metric",
    "metric_name",
    default=None,
    help="Print one metric's frame instead of the scorecard.",
)
@format_option(
    ("table", "json", "csv"),
    help="Output format (default: table on screen, else from the -o suffix).",
)
@output_option(help="Write here (atomically) instead of the screen.")
@click.option("--no-bom", is_flag=True, help="CSV without the UTF-8 BOM Excel needs.")
@click.option(
    "--engine",
    type=click.Choice(["pandas", "dask"]),
    default="pandas",
    show_default=True,
    help="dask: compute on partitions (pip install geoplan[scale]); --layers may then be "
    "a folder written by `geoplan layers export --parquet`.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:8786",
    help="With --engine dask: a running Dask scheduler (default: a local cluster).",
)
def metrics(
    layers_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    as_of: dt.date | None,
    mapping: Path | None,
    metric_name: str | None,
    fmt: str | None,
    output: Path | None,
    no_bom: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """Measure the plan's targets as of a date: value, target, deadline and status."""
    from ..metrics import compute_metric, scorecard
    from ..metrics._registry import resolve_as_of

    day = resolve_as_of(as_of)
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    if engine == "dask":
        from ..metrics._dask import compute_metric_dask, is_partitioned

        # a partitioned folder stays on disk: the workers read it
        on_disk = layers_path is not None and is_partitioned(layers_path)
        inputs = resolve_inputs(
            None if on_disk else layers_path, plan_path, records_path, defaults=not on_disk
        )
        layers = layers_path if on_disk else inputs.layers
        if metric_name:
            frame = compute_metric_dask(
                metric_name, layers, inputs.records, as_of=day, scheduler=scheduler
            )
        else:
            frame = scorecard(
                inputs.plan,
                layers,
                inputs.records,
                as_of=day,
                mapping=mapping,
                engine="dask",
                scheduler=scheduler,
            )
    elif metric_name:
        inputs = resolve_inputs(layers_path, plan_path, records_path)
        frame = compute_metric(metric_name, inputs.layers, inputs.records, as_of=day)
    else:
        inputs = resolve_inputs(layers_path, plan_path, records_path)
        frame = scorecard(inputs.plan, inputs.layers, inputs.records, as_of=day, mapping=mapping)
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in ("json", "csv") else ("table" if output is None else "csv")
    if fmt == "table" and output is None:
        _table(frame, metric_name or f"geoplan scorecard as of {day}")
        return
    if fmt == "json":
        data = to_json(frame).encode("utf-8")
    elif fmt == "csv":
        data = frame.to_csv(index=False).encode("utf-8" if no_bom else "utf-8-sig")
    else:
        data = frame.to_string(index=False).encode("utf-8")
    if output is None:
        click.echo(data.decode("utf-8-sig"))
    else:
        write_bytes(output, data, what="scorecard")
        click.echo(f"wrote {len(frame)} rows to {output}", err=True)
