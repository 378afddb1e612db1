"""Charts for the report: matplotlib rendered to SVG with text drawn as glyph outlines.

Text becomes vector paths (``svg.fonttype = "path"``), so a chart shows its Chinese labels
on any PC, with or without a CJK font, and the report carries only the glyphs it uses
instead of a whole font file (Noto Sans CJK is tens of megabytes).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .._common.labels import format_number, is_missing, unit_label
from .._errors import missing_dependency

logger = logging.getLogger(__name__)

#: CJK font families tried in order; the first one matplotlib knows is used for charts.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "SimSun",
    "AR PL UMing CN",
)

#: What to tell a user whose machine has no CJK font.
FONT_HINT = (
    "no Chinese (CJK) font found for the report's charts, so Chinese labels may show as "
    "boxes; install one with `apt-get install fonts-noto-cjk` (Debian/Ubuntu), or on Windows "
    "make sure Microsoft YaHei is present, then delete matplotlib's font cache "
    '(`python -c "import matplotlib; print(matplotlib.get_cachedir())"`)'
)

#: Caption of a history chart whose attribute has no dates.
UNDATED_CAPTION = "该属性没有日期：各时点均按现状计（虚线），不反映历史变化"

_PALETTE = ("#0969da", "#1a7f37", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#953800")


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError as exc:  # pragma: no cover - matplotlib is in the report extra
        raise missing_dependency("matplotlib", "report", "draw the report's charts") from exc
    return matplotlib, font_manager


def cjk_font_family() -> str | None:
    """Return the first CJK font family matplotlib can use, or None when there is none.

    Examples
    --------
    >>> cjk_font_family() in (None, *CJK_FAMILIES)
    True
    """
    _, font_manager = _matplotlib()
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    return None


def _rc(family: str | None) -> dict[str, Any]:
    families = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    return {
        "svg.fonttype": "path",
        # a fixed salt makes clip-path ids, and so the whole SVG, reproducible
        "svg.hashsalt": "geoplan-report",
        "font.family": families,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _to_svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def svg_data_uri(svg: str) -> str:
    """Return an SVG as a ``data:`` URI for an ``<img>``: isolated from the page, no scripts."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def town_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | None = None,
    target: float | None = None,
    sort: bool = True,
) -> str:
    """Draw one metric by town (or any scope) as horizontal bars and return the SVG text.

    Parameters
    ----------
    frame
        One row per scope with columns ``scope`` and ``value``.
    title
        The chart heading, e.g. ``"农房整治率（按乡镇）"``.
    unit
        The value's unit, used for the axis label and the bar labels.
    target
        Draw a dashed target line at this value.
    sort
        Order bars by value (largest on top); otherwise keep the frame's order, first on top
        (for years).
    """
    matplotlib, _ = _matplotlib()
    from matplotlib.figure import Figure

    family = cjk_font_family()
    if family is None:
        logger.warning(FONT_HINT)
    data = frame.dropna(subset=["value"])
    data = data.sort_values("value") if sort else data.iloc[::-1]
    with matplotlib.rc_context(_rc(family)):
        fig = Figure(figsize=(5.6, 0.45 * max(len(data), 2) + 0.9))
        ax = fig.add_subplot()
        labels = [str(s) for s in data["scope"]]
        values = data["value"].astype(float).to_numpy()
        bars = ax.barh(labels, values, color=_PALETTE[0], height=0.6)
        ax.bar_label(bars, labels=[format_number(v, unit) for v in values], padding=3)
        if target is not None and not is_missing(target):
            ax.axvline(float(target), color=_PALETTE[4], linestyle="--", linewidth=1)
            ax.annotate(
                f"目标 {format_number(target, unit)}",
                xy=(float(target), 1.0),
                xycoords=("data", "axes fraction"),
                color=_PALETTE[4],
                ha="left",
                va="bottom",
            )
        upper = max([*values, float(target) if target is not None else 0.0, 0.0])
        ax.set_xlim(0, upper * 1.25 if upper > 0 else 1)
        ax.set_xlabel(unit_label(unit))
        ax.set_title(title, loc="left", fontsize=11)
        return _to_svg(fig)


def progress_chart(
    history: pd.DataFrame,
    *,
    title: str,
    unit: str | None = None,
    targets: Sequence[tuple[float, dt.date | None]] = (),
    undated: bool = False,
) -> str:
    """Draw metric values over time, one line per metric, towards the target line.

    Parameters
    ----------
    history
        Columns ``as_of`` (date), ``metric`` and ``value``: one row per metric and date, as
        in the store's metric snapshots.
    title
        The chart heading.
    unit
        The values' unit.
    targets
        ``(value, deadline)`` pairs; each is drawn as a dashed line, ending with a marker at
        its deadline when there is one.
    undated
        The attribute has no dates (物业管理, 示范村): every point is today's state, so the
        lines are dotted and grey and a caption under the chart says so.
    """
    matplotlib, _ = _matplotlib()
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    family = cjk_font_family()
    if family is None:
        logger.warning(FONT_HINT)
    data = history.dropna(subset=["value"]).copy()
    data["as_of"] = pd.to_datetime(data["as_of"])
    with matplotlib.rc_context(_rc(family)):
        fig = Figure(figsize=(5.6, 2.8))
        ax = fig.add_subplot()
        for i, (metric, rows) in enumerate(data.groupby("metric", sort=True)):
            rows = rows.sort_values("as_of")
            ax.plot(
                rows["as_of"],
                rows["value"].astype(float),
                marker="o",
                markersize=3,
                color="#8c959f" if undated else _PALETTE[i % len(_PALETTE)],
                linestyle=":" if undated else "-",
                label=str(metric),
            )
        for value, deadline in targets:
            ax.axhline(float(value), color=_PALETTE[4], linestyle="--", linewidth=1)
            if deadline is not None:
                ax.plot([pd.Timestamp(deadline)], [float(value)], marker="*", color=_PALETTE[4])
            ax.annotate(
                f"目标 {format_number(value, unit)}",
                xy=(0.02, float(value)),
                xycoords=("axes fraction", "data"),
                xytext=(0, 3),
                textcoords="offset points",
                color=_PALETTE[4],
                va="bottom",
            )
        ax.margins(y=0.15)
        # the target lines do not count in autoscaling: leave room above the highest
        # one, so that its 目标 label stays inside the axes, clear of the title
        highs = [float(v) for v, _ in targets] + ([float(data["value"].max())] if len(data) else [])
        top = max(highs, default=0.0)
        ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], top * 1.15) if top > 0 else None)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_ylabel(unit_label(unit))
        ax.set_title(title, loc="left", fontsize=11)
        if data["metric"].nunique() > 1:
            ax.legend(frameon=False, fontsize=8)
        if undated:
            fig.text(0.0, -0.02, UNDATED_CAPTION, fontsize=8, color="#57606a", va="top")
        return _to_svg(fig)
