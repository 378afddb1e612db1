"""``geoplan metrics``: the target scorecard (or one metric) as a table, JSON or CSV."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
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


def to_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV for a spreadsheet: statuses in Chinese (已达标 …) with the code in
    ``status_code`` beside them, and every cell Excel would run as a formula escaped."""
    from ..demo import scorecard_to_csv

    return scorecard_to_csv(frame)


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


@click.group("metrics", invoke_without_command=True)
@click.pass_context
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
    "--no-layers",
    is_flag=True,
    help="Measure from the ledger (--records) alone: no sample layers for a plan without any.",
)
def metrics(
    ctx: click.Context,
    layers_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    as_of: dt.date | None,
    mapping: Path | None,
    metric_name: str | None,
    fmt: str | None,
    output: Path | None,
    no_bom: bool,
    no_layers: bool,
) -> None:
    """Measure the plan's targets as of a date: value, target, deadline and status."""
    if ctx.invoked_subcommand is not None:
        return
    from ..metrics import compute_metric, scorecard
    from ..metrics._registry import resolve_as_of

    day = resolve_as_of(as_of)
    inputs = resolve_inputs(layers_path, plan_path, records_path)
    if no_layers:  # a plan with no layers: its ledger is the whole evidence
        if records_path is None:
            raise click.UsageError("--no-layers needs --records LEDGER (the ledger to measure)")
        inputs = replace(inputs, layers={}, sample=False)
    if metric_name:
        frame = compute_metric(metric_name, inputs.layers, inputs.records, as_of=day)
    else:
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
        data = to_csv(frame).encode("utf-8" if no_bom else "utf-8-sig")
    else:
        data = frame.to_string(index=False).encode("utf-8")
    if output is None:
        click.echo(data.decode("utf-8-sig"))
    else:
        write_bytes(output, data, what="scorecard")
        click.echo(f"wrote {len(frame)} rows to {output}", err=True)


@metrics.command("suggest-mapping")
@click.argument("plan_file", required=False, type=click.Path(exists=True, path_type=Path))
@output_option(help="Write the mapping CSV here (default: the screen).")
@click.option(
    "--compare",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A mapping to measure the suggestion against (share of its lines reproduced).",
)
@click.option(
    "--layers",
    "layers_path",
    type=click.Path(exists=True, path_type=Path),
    help="The bureau's layers: layer metrics only for the kinds it has.",
)
@click.option(
    "--no-layers", is_flag=True, help="No layers at all: the ledger measures every target."
)
def suggest_mapping_cmd(
    plan_file: Path | None,
    output: Path | None,
    compare: Path | None,
    layers_path: Path | None,
    no_layers: bool,
) -> None:
    """Suggest which metric measures each target of PLAN (default: the bundled plan).

    Layer metrics by keywords and unit, the ledger (台账) for what no layer holds, or none,
    each with its reason, in the targets.csv format for --mapping. Review it before use.
    """
    from ..metrics._suggest import agreement, mapping_to_csv, suggest_mapping
    from ._common import read_plan

    plan = read_plan(plan_file)
    kinds = None
    if no_layers:
        kinds = []
    elif layers_path is not None:
        from ..layers._read import read_layers

        kinds = [k for k, v in read_layers(layers_path).items() if len(v)]
    frame = suggest_mapping(plan, layers=kinds)
    text = mapping_to_csv(frame, output, title=plan.meta.title or "")
    if output is None:
        click.echo(text, nl=False)
    counts = (
        frame["metric"]
        .fillna("")
        .map(lambda m: "台账" if m.startswith("ledger_") else ("无" if not m else "图层"))
    )
    summary = "，".join(f"{k} {n}" for k, n in counts.value_counts().items())
    click.echo(
        f"建议 {len(frame)} 行：{summary}" + (f"；已写入 {output}" if output else ""), err=True
    )
    if compare is not None:
        import io

        lines = [
            ln
            for ln in compare.read_text(encoding="utf-8-sig").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")
        ]
        given = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str)
        share = agreement(frame, given)
        click.echo(f"与 {compare} 一致：{share:.1%}（{len(given)} 行）", err=True)
