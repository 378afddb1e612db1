"""``geoplan map``: write an interactive map (one HTML file) and optionally a PNG of it."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import click

from ..settings import ENV_TIANDITU_KEY
from ._common import check_outputs, data_options, force_option, output_option, resolve_inputs

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
@data_options
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
@output_option(default=Path("map.html"), help="HTML file to write (atomically).")
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
@force_option
def map_cmd(
    layers_path: Path | None,
    crs: str | None,
    columns_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    as_of: dt.date | None,
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
    from .._common.labels import KIND_LABELS
    from .._errors import MapError
    from ..maps import make_map, map_to_png, save_map
    from ..maps._browser import check_png_size

    try:
        width, height = (int(v) for v in png_size.lower().replace("×", "x").split("x"))
    except ValueError:
        raise MapError(f"--png-size {png_size!r} is not WIDTHxHEIGHT, e.g. 1600x1000") from None
    if png_path is not None:
        width, height = check_png_size(width, height)
    check_outputs((output, "map"), (png_path, "map image"))
    inputs = resolve_inputs(
        layers_path, plan_path, records_path, crs=crs, columns_path=columns_path
    )
    scorecard = None
    if with_scorecard:
        from ..metrics import scorecard as make_scorecard

        scorecard = make_scorecard(inputs.plan, inputs.layers, inputs.records, as_of=as_of)
    m = make_map(
        inputs.layers,
        plan=inputs.plan,
        scorecard=scorecard,
        basemap=basemap,
        tianditu_key=tianditu_key,
        offline=offline,
        title=title,
    )
    path = save_map(m, output)
    size_mb = path.stat().st_size / 1e6
    features = m.geoplan_summary["features"]
    counts = "、".join(f"{KIND_LABELS.get(k, k)} {v}" for k, v in features.items())
    click.echo(f"地图已写入 {path}（{size_mb:.2f} MB；{counts}）")
    for warning in m.geoplan_summary["left_out"]:
        click.echo(f"注意：{warning}", err=True)
    if png_path is not None:
        map_to_png(path, png_path, width=width, height=height)
        click.echo(f"PNG 已写入 {png_path}")
