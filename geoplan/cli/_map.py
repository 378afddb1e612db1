"""``geoplan map``: write an interactive map (one HTML file) and optionally a PNG of it."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import click

from .._settings import ENV_TIANDITU_KEY

logger = logging.getLogger("geoplan.cli")

_BASEMAP_NAMES = (
    "none",
    "openstreetmap",
    "tianditu_vec",
    "tianditu_img",
    "gaode",
    "gaode_satellite",
)


@click.command("map")
@click.option(
    "--layers",
    "layers_path",
    type=click.Path(exists=True, path_type=Path),
    help="GeoPackage (or folder) whose layers follow geoplan's layer kinds. "
    "Default: the bundled sample of 泉州台商投资区.",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Action plan whose task titles the popups show. Default: the bundled plan.",
)
@click.option(
    "--records",
    "records_path",
    type=click.Path(exists=True, path_type=Path),
    help="Progress log (CSV or GeoPackage table) for --scorecard. Default with the bundled "
    "sample: its log; with --layers: none.",
)
@click.option(
    "--basemap",
    default="none",
    show_default=True,
    help=f"One of {', '.join(_BASEMAP_NAMES)}. Gaode basemaps shift the layers to GCJ-02.",
)
@click.option(
    "--tianditu-key",
    envvar=ENV_TIANDITU_KEY,
    help=f"Key for Tianditu basemaps (default: ${ENV_TIANDITU_KEY}).",
)
@click.option(
    "--offline/--online",
    default=True,
    show_default=True,
    help="Inline every script and style (opens with no network) or load Leaflet from a CDN.",
)
@click.option("--title", help="Title at the top of the legend.")
@click.option(
    "--scorecard/--no-scorecard",
    "with_scorecard",
    default=False,
    show_default=True,
    help="Add the plan scorecard panel; popups link to their tasks' lines.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("map.html"),
    show_default=True,
    help="HTML file to write (atomically).",
)
@click.option(
    "--png",
    "png_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also render the map to this PNG with headless Chromium (for reports).",
)
@click.option(
    "--png-size",
    default="1600x1000",
    show_default=True,
    help="PNG size in pixels, WIDTHxHEIGHT.",
)
def map_cmd(
    layers_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    basemap: str,
    tianditu_key: str | None,
    offline: bool,
    title: str | None,
    with_scorecard: bool,
    output: Path,
    png_path: Path | None,
    png_size: str,
) -> None:
    """Write an interactive map of the layers to one HTML file.

    One toggleable layer per kind, styled by status, with legend, Chinese tooltips and
    popups, search, measure, scale bar, minimap and fullscreen. Offline (the default) the
    file opens in any browser with no internet.
    """
    from .._errors import MapError, PlanWarning
    from ..layers import load_sample, load_sample_records, read_layers
    from ..maps import make_map, map_to_png, save_map
    from ..plan import load_sample_plan, parse_plan
    from ..records import read_records

    try:
        width, height = (int(v) for v in png_size.lower().split("x"))
    except ValueError:
        raise MapError(f"--png-size {png_size!r} is not WIDTHxHEIGHT, e.g. 1600x1000") from None
    layers = read_layers(layers_path) if layers_path is not None else load_sample()
    if plan_path is None:
        plan = load_sample_plan()
    else:
        with warnings.catch_warnings():
            # gaps in the register are reported by `geoplan plan parse`; the map needs titles
            warnings.simplefilter("ignore", PlanWarning)
            plan = parse_plan(plan_path)
    scorecard = None
    if with_scorecard:
        from ..metrics import scorecard as make_scorecard

        if records_path is not None:
            records = read_records(records_path)
        else:
            records = load_sample_records() if layers_path is None else None
        scorecard = make_scorecard(plan, layers, records)
    m = make_map(
        layers,
        plan=plan,
        scorecard=scorecard,
        basemap=basemap,
        tianditu_key=tianditu_key,
        offline=offline,
        title=title,
    )
    path = save_map(m, output)
    size_mb = path.stat().st_size / 1e6
    counts = ", ".join(f"{k} {v}" for k, v in m.geoplan_summary["features"].items())
    click.echo(f"wrote {path} ({size_mb:.2f} MB; {counts})")
    for warning in m.geoplan_summary["left_out"]:
        click.echo(f"warning: {warning}", err=True)
    if png_path is not None:
        map_to_png(path, png_path, width=width, height=height)
        click.echo(f"wrote {png_path}")
