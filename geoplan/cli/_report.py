"""``geoplan report``: write the offline progress report (HTML, optionally PDF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ._common import (
    check_outputs,
    data_options,
    force_option,
    output_option,
    plan_warnings_to_stderr,
    resolve_inputs,
    warn_about_record_paths,
)


@click.command()
@data_options
@click.option(
    "--db",
    help="Planning database (a .gpkg path or postgresql+psycopg://…): its plan, layers, "
    "records and metric snapshots (progress over time); --plan/--layers/--records override.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Target -> metric mapping CSV (default: the bundled one).",
)
@output_option(default=Path("geoplan-report.html"), help="HTML file to write.")
@click.option("--pdf", is_flag=True, help="Also print a PDF beside it with headless Chromium.")
@click.option("--no-maps", is_flag=True, help="Leave out the per-task maps (smaller file).")
@click.option("--no-history", is_flag=True, help="Leave out progress over time (faster).")
@force_option
def report(
    layers_path: Path | None,
    crs: str | None,
    columns_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    as_of: dt.date | None,
    db: str | None,
    mapping: Path | None,
    output: Path,
    pdf: bool,
    no_maps: bool,
    no_history: bool,
) -> None:
    """Write the progress report: summary, scorecard, per-task charts and maps, offline."""
    from ..report import write_report

    check_outputs((output, "report"), (output.with_suffix(".pdf") if pdf else None, "PDF"))
    # files are passed on unread: the report names them in its provenance
    inputs = resolve_inputs(
        layers_path,
        plan_path,
        records_path,
        defaults=db is None,
        read=False,
        crs=crs,
        columns_path=columns_path,
    )
    plan, layers, records = inputs.plan, inputs.layers, inputs.records
    if db is None:
        warn_about_record_paths(layers_path, plan_path, records_path)
    history: Any = not no_history
    provenance: list[str] = []
    if inputs.layers_label is not None and not isinstance(layers, Path):
        provenance.append(f"图层文件：{inputs.layers_label}")
    if db is not None:
        from ..store import open_store

        with open_store(db) as store:
            plan = plan if plan is not None else store.read_plan()
            layers = layers if layers is not None else store.read_layers(as_of=as_of)
            records = records if records is not None else store.read_records(as_of=as_of)
            snapshots = store.read_snapshots()
            provenance.append(f"数据库：{store.label}（指标快照 {len(snapshots):,} 行）")
        if not no_history and len(snapshots):
            history = snapshots
    with plan_warnings_to_stderr():
        path = write_report(
            plan,
            layers,
            records,
            path=output,
            as_of=as_of,
            mapping=mapping,
            sample=inputs.sample,
            provenance=provenance,
            maps=not no_maps,
            history=history,
            pdf=pdf,
        )
    size = path.stat().st_size / 1e6
    click.echo(f"报告已写入 {path}（{size:.1f} MB）")
    if pdf:
        click.echo(f"PDF 已写入 {path.with_suffix('.pdf')}")
