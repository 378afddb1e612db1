"""``geoplan layers``: check layers against the catalogue, and list the catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._common import columns_option, crs_option, plan_option, read_plan, records_option


@click.group()
def layers() -> None:
    """Check geo-layers against geoplan's layer kinds, or list the kinds."""


@layers.command()
@click.argument("source", metavar="[PATH]", required=False)
@records_option(
    help="Also check a progress log (CSV or GeoPackage) against the layers and the plan."
)
@crs_option()
@columns_option()
@click.option(
    "--write-mapping",
    "write_mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draft a column mapping (.yaml or .csv) for the columns, values and layers geoplan "
    "does not know, from similar names and the values seen; edit it, then pass it with "
    "--columns.",
)
@plan_option(help="Plan text to check task ids against (default: the bundled plan).")
def check(
    source: str | None,
    records_path: Path | None,
    crs: str | None,
    columns_path: Path | None,
    write_mapping: Path | None,
    plan_path: Path | None,
) -> None:
    """Check the layers in PATH and print a report; exit status 1 on errors.

    PATH is a GeoPackage, a folder of <kind>.geojson/.shp/.gpkg/.parquet/.kml/.dxf/.csv/.xlsx
    files, a KML/KMZ, DXF, File Geodatabase (.gdb, or zipped) or workbook whose folders,
    CAD layers, feature classes or sheets are named by kind (or in --columns), or a
    database URL. Without PATH the bundled sample is checked (with its records).
    """
    from ..datasets import SAMPLE_LAYERS, SAMPLE_RECORDS, data_path
    from ..layers._read import _run

    if source is None:
        source = str(data_path(SAMPLE_LAYERS))
        records_path = records_path or data_path(SAMPLE_RECORDS)
    plan = read_plan(plan_path)
    if write_mapping is not None:
        from ..layers._mapping import write_column_mapping
        from ..layers._read import propose_column_mapping

        draft = propose_column_mapping(source, crs=crs, columns=columns_path)
        write_column_mapping(draft, write_mapping)
        n = sum(len(s.columns) + sum(map(len, s.values.values())) for s in draft.layers.values())
        click.echo(
            f"column mapping drafted for {len(draft.layers)} layers ({n} entries): "
            f"{write_mapping}; check it, then pass --columns {write_mapping}",
            err=True,
        )
    found, report = _run(source, kinds=None, crs=crs, plan=plan, strict=False, columns=columns_path)
    click.echo(str(report))
    ok = report.ok
    if records_path is not None:
        from ..records._log import read_records, validate_records

        rec_report = validate_records(read_records(records_path), plan=plan, layers=found)
        click.echo("")
        click.echo(str(rec_report))
        ok = ok and rec_report.ok
    sys.exit(0 if ok else 1)


@layers.command()
@click.argument("source", metavar="[PATH]", required=False)
@click.option(
    "--parquet",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write: one sub-folder of GeoParquet partitions per layer kind.",
)
@click.option(
    "--partition",
    type=click.Choice(["hilbert", "none"]),
    default="hilbert",
    show_default=True,
    help="Order features along a Hilbert curve before cutting partitions (compact areas).",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Features per partition file.",
)
@click.option("--crs", help="CRS of files that carry none, e.g. EPSG:4549.")
def export(source: str | None, out_dir: Path, partition: str, rows: int, crs: str | None) -> None:
    """Write the layers in PATH as partitioned GeoParquet for `metrics --engine dask`.

    PATH is a GeoPackage, a folder of layer files or a database URL (default: the
    bundled sample). The layers are read and checked as for `geoplan layers check`.
    """
    from ..datasets import SAMPLE_LAYERS, data_path
    from ..layers._parquet import export_parquet
    from ..layers._read import read_layers

    found = read_layers(source or str(data_path(SAMPLE_LAYERS)), crs=crs)
    written = export_parquet(found, out_dir, partition=partition, rows_per_partition=rows)
    for kind, n in written.items():
        click.echo(f"{kind:<18} {len(found[kind]):>10,} features  {n:>4} partitions")
    click.echo(f"已写入 {out_dir}（{sum(written.values())} 个分区文件）", err=True)


@layers.command(name="list")
@click.option("-k", "--kind", help="Show the columns of one kind only.")
def list_kinds(kind: str | None) -> None:
    """List the layer kinds, or the columns of one kind."""
    from ..catalogue import LAYER_KINDS

    if kind is None:
        for spec in LAYER_KINDS.values():
            tasks = ",".join(map(str, spec.tasks))
            click.echo(
                f"{spec.name:<18} {spec.label:<8} {spec.geometry:<10} tasks {tasks:<10} "
                f"{spec.description}"
            )
        return
    if kind not in LAYER_KINDS:
        raise click.BadParameter(
            f"unknown kind {kind!r}; kinds: {', '.join(LAYER_KINDS)}", param_hint="--kind"
        )
    for col in LAYER_KINDS[kind].columns:
        values = (
            " (" + ", ".join(f"{k} {v}" for k, v in col.values.items()) + ")" if col.values else ""
        )
        need = "required" if col.required else "optional"
        click.echo(
            f"{col.name:<20} {col.label:<12} {col.type:<7} {need:<9} {col.description}{values}"
        )
