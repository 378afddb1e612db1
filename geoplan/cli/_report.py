"""``geoplan report``: write the offline progress report (HTML, optionally PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command()
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Plan text (default: the bundled 泉台管〔2021〕57号).",
)
@click.option(
    "--layers",
    "layers_path",
    type=click.Path(exists=True, path_type=Path),
    help="GeoPackage or folder of layers (default: the bundled illustrative sample).",
)
@click.option(
    "--records",
    "records_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Progress log CSV (default: the sample's, when the sample layers are used).",
)
@click.option(
    "--db",
    help="Planning database (a .gpkg path or postgresql+psycopg://…): its plan, layers, "
    "records and metric snapshots (progress over time); --plan/--layers/--records override.",
)
@click.option("--as-of", help="Evaluate targets as of this date, YYYY-MM-DD (default: today).")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Target -> metric mapping CSV (default: the bundled one).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("geoplan-report.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option("--pdf", is_flag=True, help="Also print a PDF beside it with headless Chromium.")
@click.option("--no-maps", is_flag=True, help="Leave out the per-task maps (smaller file).")
@click.option("--no-history", is_flag=True, help="Leave out progress over time (faster).")
def report(
    plan_path: Path | None,
    layers_path: Path | None,
    records_path: Path | None,
    db: str | None,
    as_of: str | None,
    mapping: Path | None,
    output: Path,
    pdf: bool,
    no_maps: bool,
    no_history: bool,
) -> None:
    """Write the progress report: summary, scorecard, per-task charts and maps, offline."""
    from ..report import write_report

    plan: Any = plan_path
    layers: Any = layers_path
    records: Any = records_path
    history: Any = not no_history
    provenance: list[str] = []
    sample = layers_path is None and db is None
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
    elif sample:
        from ..layers import load_sample, load_sample_records

        layers = load_sample()
        if records_path is None:
            records = load_sample_records()
    path = write_report(
        plan,
        layers,
        records,
        path=output,
        as_of=as_of,
        mapping=mapping,
        sample=sample,
        provenance=provenance,
        maps=not no_maps,
        history=history,
        pdf=pdf,
    )
    size = path.stat().st_size / 1e6
    click.echo(f"报告已写入 {path}（{size:.1f} MB）")
    if pdf:
        click.echo(f"PDF 已写入 {path.with_suffix('.pdf')}")
