"""Every word and number format a planner sees: labels, statuses, units, numbers and dates.

Maps, the report, the terminal tables and the catalogue all take their Chinese words from
here, so a layer is called the same (村庄, 福道（绿道）) in the legend, the report and an
error message. Numbers follow the bureau's own tables: thousands separators (千分位),
lengths in kilometres with one decimal, percentages with one decimal, ISO dates.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: The work-status vocabulary of layers and progress logs, with its display labels.
WORK_STATUS_LABELS: dict[str, str] = {
    "planned": "计划",
    "under_construction": "在建",
    "completed": "已完成",
}

#: Scorecard statuses in report order, with the Chinese labels every map and report shows.
SCORE_STATUS_LABELS: dict[str, str] = {
    "met": "已达标",
    "on_track": "按计划推进",
    "behind": "滞后",
    "missed": "未完成",
    "no_data": "无数据",
    "unmapped": "未映射",
}

#: Chinese names of the layer kinds, in drawing order (areas, lines, points), as the layer
#: control, legend, report and messages show them.
KIND_LABELS: dict[str, str] = {
    "towns": "乡镇",
    "districts": "片区",
    "communities": "小区",
    "villages": "村庄",
    "residential_land": "居住用地",
    "parks": "公园",
    "projects": "建设项目",
    "protection_zones": "水源保护区",
    "greenways": "福道（绿道）",
    "sewage_lines": "污水管网",
    "water_sources": "饮用水水源地",
    "sewage_facilities": "污水处理设施",
    "heritage_sites": "文物与历史建筑",
    "farmhouses": "农房",
}

_STATUS_COLOURS = {
    "met": "#1a7f37",
    "on_track": "#0969da",
    "behind": "#bf8700",
    "missed": "#cf222e",
    "no_data": "#6e7781",
    "unmapped": "#afb8c1",
}
#: scorecard status -> (Chinese label, badge colour)
SCORE_STATUSES: dict[str, tuple[str, str]] = {
    status: (label, _STATUS_COLOURS[status]) for status, label in SCORE_STATUS_LABELS.items()
}

#: Units written in metric frames -> how a Chinese report writes them.
UNIT_LABELS: dict[str, str] = {
    "km": "公里",
    "m": "米",
    "m2": "平方米",
    "km2": "平方公里",
    "ha": "公顷",
    "count": "个",
    "%": "%",
}

_COMPARATORS = {">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<", "~": "约"}


def is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT and pandas NA."""
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def unit_label(unit: Any) -> str:
    """Return the Chinese label of a unit (``"km"`` -> ``"公里"``); unknown units pass through."""
    if is_missing(unit):
        return ""
    return UNIT_LABELS.get(str(unit), str(unit))


def format_number(value: Any, unit: Any = None) -> str:
    """Format a measured or target value for a Chinese report.

    Kilometres and percentages get one decimal, whole numbers none, other fractions up to
    two decimals; every number gets thousands separators. Missing values are ``"—"``.

    Examples
    --------
    >>> format_number(12345.678, "km")
    '12,345.7 公里'
    >>> format_number(87.25, "%")
    '87.3%'
    >>> format_number(1200, "栋")
    '1,200 栋'
    """
    if is_missing(value):
        return "—"
    number = float(value)
    if math.isinf(number):
        return "∞"
    label = unit_label(unit)
    if label in ("%", "公里"):
        text = f"{_half_up(number, 1):,.1f}"
    elif number == round(number):
        text = f"{number:,.0f}"
    else:
        text = f"{_half_up(number, 2):,.2f}".rstrip("0").rstrip(".")
    if not label:
        return text
    return f"{text}%" if label == "%" else f"{text} {label}"


def _half_up(number: float, places: int) -> Decimal:
    # Round as a planner does by hand (55.55 -> 55.6), not as binary floats do (55.5).
    return Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def display_unit(record: Any) -> Any:
    """The unit to show for a scorecard row: the plan's own (栋, 公里) when it has one.

    The scorecard compares a metric only with targets in a matching unit, so the target's
    unit also describes the measured value (a ``count`` of farmhouses is 栋).
    """
    target_unit = record.get("target_unit")
    return record.get("unit") if is_missing(target_unit) or not target_unit else target_unit


def format_target(value: Any, unit: Any, comparator: Any) -> str:
    """Format a plan target, e.g. ``"≥ 10.0 公里"``; a missing value is ``"—"``.

    Examples
    --------
    >>> format_target(50, "个", "~")
    '约 50 个'
    >>> format_target(None, "个", ">=")
    '—'
    """
    if is_missing(value):
        return "—"
    sign = _COMPARATORS.get(str(comparator), "") if not is_missing(comparator) else ""
    text = format_number(value, unit)
    return f"{sign} {text}" if sign else text


def format_date(value: Any) -> str:
    """Format a date as ``YYYY-MM-DD``; missing values are ``"—"``."""
    if is_missing(value):
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):  # pandas.Timestamp is a datetime
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def status_label(status: Any) -> str:
    """Return the Chinese label of a scorecard status (unknown statuses pass through)."""
    if is_missing(status):
        return SCORE_STATUSES["no_data"][0]
    return SCORE_STATUSES.get(str(status), (str(status), ""))[0]
