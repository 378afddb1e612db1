"""``geoplan metrics``: the target scorecard (or one metric) as a table, JSON or CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import pandas as pd

from .._common.atomic import write_bytes
from .._common.labels import SCORE_STATUSES, format_number
from ..metrics._export import jsonable, scorecard_to_csv, scorecard_to_json
from ._common import (
    check_outputs,
    data_options,
    force_option,
    format_option,
    output_option,
    resolve_inputs,
)

TABLE_COLUMNS = (
    "task_id",
    "metric",
    "scope",
    "value",
    "value_today",
    "target",
    "deadline",
    "expected",
    "status",
    "definition",
)

#: Scorecard table headers: a past deadline's value is the judged one, today's beside it;
#: definitions are numbered under the table (they are too long for a column).
HEADERS = {"value": "value (judged)", "value_today": "today", "definition": "def"}

#: Bundled rasters used with the bundled sample: metric input -> file in layers/.
SAMPLE_RASTERS = {"landcover": "landcover.tif", "dem": "dem.tif"}


def _cell(rec: dict[str, Any], col: str) -> str:
    """One table cell as the report writes it: 6.0 公里, 76.5%, 1,200 栋, 已达标."""
    v = jsonable(rec.get(col))
    if v is None:
        return ""
    if col == "status":
        return SCORE_STATUSES.get(str(v), (str(v), ""))[0]
    if not isinstance(v, float):
        return str(v)
    unit = {
        "value": "unit",
        "value_today": "unit",
        "expected": "unit",
        "target": "target_unit",
    }.get(col)
    text = format_number(v, rec.get(unit) if unit else None)
    if col == "value_today" and not jsonable(rec.get("judged_on")):
        return ""  # the same as value: shown once
    return text


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
    card = "judged_on" in frame
    # pipes and narrow terminals: do not fold names and figures
    console.width = max(console.width, 150 if card else 120)
    table = Table(title=title, show_lines=False)
    cols = [c for c in TABLE_COLUMNS if c in frame] or list(frame.columns)
    for col in cols:
        header = HEADERS.get(col, col) if card else col
        table.add_column(header, no_wrap=col != "scope")
    definitions: dict[str, int] = {}
    for rec in frame.to_dict("records"):
        cells = [_cell(rec, col) for col in cols]
        if "status" in cols:
            i = cols.index("status")
            cells[i] = f"[{colours.get(str(rec.get('status')), 'white')}]{cells[i]}[/]"
        if "definition" in cols:
            text = str(rec.get("definition") or "")
            number = definitions.setdefault(text, len(definitions) + 1) if text else None
            cells[cols.index("definition")] = f"[{number}]" if number else ""
        table.add_row(*cells)
    console.print(table)
    if card:
        console.print(
            "value (judged): a target whose deadline has come is judged on its value at the "
            "deadline; today: its value at the as-of date."
        )
    for text, number in definitions.items():
        console.print(f"[{number}] {text}", markup=False, highlight=False)


def raster_inputs(given: tuple[str, ...], *, sample: bool) -> dict[str, Any]:
    """``--raster KIND=PATH`` values as metric inputs, over the sample's own rasters.

    KIND is a raster input a registered metric declares (``landcover``, ``dem``); a
    wrong KIND, a missing ``=`` or a missing file is a usage error naming the fix.
    """
    from ..datasets import data_path
    from ..metrics import METRICS

    kinds = sorted({key for m in METRICS.values() for key in m.inputs})
    out: dict[str, Any] = (
        {kind: data_path(name) for kind, name in SAMPLE_RASTERS.items()} if sample else {}
    )
    for item in given:
        kind, sep, path = item.partition("=")
        kind, path = kind.strip(), path.strip()
        if not sep or not kind or not path:
            raise click.BadParameter(
                f"{item!r} is not KIND=PATH; write e.g. --raster landcover=cover.tif",
                param_hint="--raster",
            )
        if kind not in kinds:
            raise click.BadParameter(
                f"unknown raster kind {kind!r}; metrics take {', '.join(kinds)}",
                param_hint="--raster",
            )
        if not Path(path).is_file():
            raise click.BadParameter(
                f"raster file {path!r} does not exist; check the path", param_hint="--raster"
            )
        out[kind] = Path(path)
    return out


def _parameter_defaults() -> dict[str, Any]:
    """Parameter name -> default, over the registered metrics and the scorecard."""
    import inspect

    from ..metrics import METRICS

    out: dict[str, Any] = {"prorate_first_year": True}
    for metric in METRICS.values():
        for p in inspect.signature(metric.func).parameters.values():
            nested = isinstance(p.default, tuple) and any(isinstance(v, tuple) for v in p.default)
            if p.name not in metric.params or p.name == "plan_start" or nested:
                continue  # plan_start comes from the plan; nested tuples have no CLI form
            if p.default is not inspect.Parameter.empty:  # inputs (rasters): --raster
                out.setdefault(p.name, p.default)
    return out


def _convert(name: str, text: str, default: Any) -> Any:
    """``text`` as the type of ``default`` (tuples comma-separated, booleans true/false)."""
    if isinstance(default, bool):
        if text.lower() in ("true", "yes", "1"):
            return True
        if text.lower() in ("false", "no", "0"):
            return False
        raise ValueError("write true or false")
    if isinstance(default, tuple):
        items = [t.strip() for t in text.split(",") if t.strip()]
        if default and all(isinstance(v, int) for v in default):
            return tuple(int(v) for v in items)
        if default and all(isinstance(v, float) for v in default):
            return tuple(float(v) for v in items)
        return tuple(items)
    if isinstance(default, int | float):
        return type(default)(float(text)) if isinstance(default, float) else int(text)
    if default is None and text.lower() == "none":
        return None
    return text


def parameter_values(given: tuple[str, ...]) -> dict[str, Any]:
    """``--set NAME=VALUE`` values, converted to the type of each parameter's default.

    An unknown NAME, a missing ``=`` or a value of the wrong type is a usage error that
    lists the parameters (tuple-valued ones take comma-separated items).
    """
    defaults = _parameter_defaults()
    out: dict[str, Any] = {}
    for item in given:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise click.BadParameter(
                f"{item!r} is not NAME=VALUE; write e.g. --set key_levels=national,provincial",
                param_hint="--set",
            )
        if name not in defaults:
            raise click.BadParameter(
                f"unknown parameter {name!r}; parameters are {', '.join(sorted(defaults))}",
                param_hint="--set",
            )
        try:
            out[name] = _convert(name, text, defaults[name])
        except ValueError as exc:
            raise click.BadParameter(
                f"{name}={text!r}: {exc}; the default is {defaults[name]!r}",
                param_hint="--set",
            ) from None
    return out


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
@click.option(
    "--raster",
    "rasters",
    multiple=True,
    metavar="KIND=PATH",
    help="A raster a metric needs, e.g. landcover=cover.tif or dem=dem.tif (repeatable); "
    "the bundled sample's rasters are used with the bundled sample.",
)
@click.option(
    "--set",
    "settings_",
    multiple=True,
    metavar="NAME=VALUE",
    help="A definition or metric parameter, e.g. key_levels=national,provincial, "
    "remediation_components=works, count_from=plan, prorate_first_year=false, "
    "service_m=300 (repeatable; see docs/scorecard.md).",
)
@format_option(
    ("table", "json", "csv"),
    help="Output format (default: table on screen, else from the -o suffix).",
)
@output_option(help="Write here (atomically) instead of the screen.")
@click.option("--no-bom", is_flag=True, help="CSV without the UTF-8 BOM Excel needs.")
@force_option
@click.option(
    "--no-layers",
    is_flag=True,
    help="Measure from the ledger (--records) alone: no sample layers for a plan without any.",
)
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
    ctx: click.Context,
    layers_path: Path | None,
    crs: str | None,
    columns_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    as_of: dt.date | None,
    mapping: Path | None,
    metric_name: str | None,
    rasters: tuple[str, ...],
    settings_: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    no_bom: bool,
    no_layers: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """Measure the plan's targets as of a date: value, target, deadline and status."""
    if ctx.invoked_subcommand is not None:
        return
    from ..metrics import compute_metric, scorecard
    from ..metrics._card import plan_start_of
    from ..metrics._registry import resolve_as_of

    check_outputs((output, "scorecard"))
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    on_disk = False
    if engine == "dask":
        from ..metrics._dask import is_partitioned

        # a partitioned folder stays on disk: the workers read it
        on_disk = layers_path is not None and is_partitioned(layers_path)
    if on_disk and (crs is not None or columns_path is not None):
        raise click.UsageError(
            "--crs and --columns say how to read layers; a folder written by "
            "`geoplan layers export --parquet` is already in EPSG:4326 with geoplan's columns"
        )
    inputs = resolve_inputs(
        None if on_disk else layers_path,
        plan_path,
        records_path,
        crs=crs,
        columns_path=columns_path,
        defaults=not on_disk,
    )
    if no_layers:  # a plan with no layers: its ledger is the whole evidence
        if records_path is None:
            raise click.UsageError("--no-layers needs --records LEDGER (the ledger to measure)")
        inputs = replace(inputs, layers={}, sample=False)
    start = plan_start_of(inputs.plan)
    day = resolve_as_of(as_of, plan_start=start)
    extra = {**raster_inputs(rasters, sample=inputs.sample), **parameter_values(settings_)}
    layers: Any = layers_path if on_disk else inputs.layers  # a folder stays a path
    if metric_name:
        extra.pop("prorate_first_year", None)
        if engine == "dask":
            from ..metrics._dask import compute_metric_dask

            frame = compute_metric_dask(
                metric_name,
                layers,
                inputs.records,
                as_of=day,
                scheduler=scheduler,
                plan_start=start,
                **extra,
            )
        else:
            frame = compute_metric(
                metric_name, layers, inputs.records, as_of=day, plan_start=start, **extra
            )
    else:
        frame = scorecard(
            inputs.plan,
            layers,
            inputs.records,
            as_of=day,
            mapping=mapping,
            engine=engine,
            scheduler=scheduler,
            **extra,
        )
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in ("json", "csv") else ("table" if output is None else "csv")
    if fmt == "table" and output is None:
        _table(frame, metric_name or f"geoplan scorecard as of {day}")
        return
    if fmt == "json":
        data = scorecard_to_json(frame).encode("utf-8")
    elif fmt == "csv":
        data = scorecard_to_csv(frame).encode("utf-8" if no_bom else "utf-8-sig")
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
