"""The drawing style of each layer kind: colours, symbols and Chinese legend labels.

Plain data shared by the web map (:mod:`geoplan.maps`) and the QGIS styles that the store
writes into the database (:mod:`geoplan.store`), so that both draw a kind alike. One table,
:data:`KIND_STYLES`, says how each kind is drawn: which column picks the style (status,
protection level...), the style of each value and its legend label. Colours are
ColorBrewer-derived and readable on a blank or tiled map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._common.labels import KIND_LABELS as KIND_LABELS  # re-exported beside the styles
from ._common.labels import WORK_STATUS_LABELS as STATUS_LABELS

#: Drawing order, bottom to top, within each geometry family (areas, then lines, then
#: points). Kinds outside the catalogue are drawn first in their family.
DRAW_ORDER: tuple[str, ...] = tuple(KIND_LABELS)

Style = dict[str, Any]


def _area(color: str, fill: str | None = None, *, opacity: float = 0.35, **extra: Any) -> Style:
    return {
        "color": color,
        "weight": 1.2,
        "opacity": 0.9,
        "fill": fill or color,
        "fillOpacity": opacity,
        **extra,
    }


def _line(color: str, weight: float = 3.0, dash: list[int] | None = None) -> Style:
    return {"color": color, "weight": weight, "opacity": 0.95, "fill": None, "dash": dash}


def _point(fill: str, radius: float = 4.0, color: str = "#ffffff") -> Style:
    return {
        "color": color,
        "weight": 1.0,
        "opacity": 1.0,
        "fill": fill,
        "fillOpacity": 0.95,
        "radius": radius,
    }


@dataclass(frozen=True)
class KindStyle:
    """How one layer kind is drawn and described.

    Attributes
    ----------
    by
        Column whose value selects the style, or ``None`` for one style.
    styles
        Style per value of ``by`` (``"*"`` when ``by`` is ``None``), in legend order.
    labels
        Legend label per value of ``by``.
    other
        Style of values not in ``styles`` (missing or unexpected values).
    status
        Column shown as the status in tooltips (labels from :data:`STATUS_LABELS`).
    date
        Column whose year is shown in tooltips.
    """

    by: str | None
    styles: dict[str, Style]
    labels: dict[str, str] = field(default_factory=dict)
    other: Style | None = None
    status: str | None = None
    date: str | None = None


def _status_styles(kind: str) -> dict[str, Style]:
    if kind in ("greenways", "sewage_lines"):
        hue = {"greenways": "#1a9850", "sewage_lines": "#8c510a"}[kind]
        return {
            "completed": _line(hue, 3.5),
            "under_construction": _line(hue, 3.0, [8, 4]),
            "planned": _line(hue, 2.0, [2, 5]),
        }
    if kind in ("farmhouses", "sewage_facilities", "heritage_sites"):
        r = 3.0 if kind == "farmhouses" else 5.0
        return {
            "completed": _point("#1a9850", r),
            "under_construction": _point("#fdae61", r),
            "planned": _point("#d73027", r),
        }
    return {
        "completed": _area("#1a9850", opacity=0.45),
        "under_construction": _area("#fdae61", opacity=0.45),
        "planned": _area("#d73027", opacity=0.3, dash=[4, 3]),
    }


def _network(kind: str) -> KindStyle:
    """Greenways and sewage lines: solid when built, long dashes in works, dots planned."""
    return KindStyle(
        "status",
        _status_styles(kind),
        {
            "completed": "已建成（实线）",
            "under_construction": "在建（长虚线）",
            "planned": "计划（短虚线）",
        },
        other=_line("#969696", 2.0),
        status="status",
        date="completed_date",
    )


KIND_STYLES: dict[str, KindStyle] = {
    "towns": KindStyle(None, {"*": {**_area("#525252", opacity=0.0), "weight": 2.0}}),
    "districts": KindStyle(None, {"*": _area("#6a51a3", opacity=0.08, dash=[6, 4])}),
    "communities": KindStyle(
        "renovation_status",
        _status_styles("communities"),
        {k: f"改造{v}" for k, v in STATUS_LABELS.items()},
        other=_area("#969696", opacity=0.3),
        status="renovation_status",
        date="renovation_date",
    ),
    "villages": KindStyle(
        "plan_approved",
        {"yes": _area("#74add1", opacity=0.25), "no": _area("#bdbdbd", opacity=0.2)},
        {"yes": "村庄规划已批", "no": "村庄规划未批"},
        date="plan_approved_date",
    ),
    "residential_land": KindStyle(None, {"*": _area("#fee08b", opacity=0.5)}),
    "parks": KindStyle(None, {"*": _area("#41ab5d", opacity=0.55)}, date="opened_date"),
    "projects": KindStyle(
        "status",
        _status_styles("projects"),
        {k: f"项目{v}" for k, v in STATUS_LABELS.items()},
        other=_area("#969696"),
        status="status",
        date="completed_date",
    ),
    "protection_zones": KindStyle(
        "level",
        {
            "level1": _area("#08519c", opacity=0.45),
            "level2": _area("#4292c6", opacity=0.25),
            "quasi": _area("#9ecae1", opacity=0.15, dash=[5, 4]),
        },
        {"level1": "一级保护区", "level2": "二级保护区", "quasi": "准保护区"},
        other=_area("#969696"),
        date="delineated_date",
    ),
    "greenways": _network("greenways"),
    "sewage_lines": _network("sewage_lines"),
    "water_sources": KindStyle(
        "remediation_status",
        {
            k: {**v, "radius": 6.0, "fill": c}
            for (k, v), c in zip(
                _status_styles("heritage_sites").items(),
                ("#2171b5", "#6baed6", "#c6dbef"),
                strict=True,
            )
        },
        {k: f"整治{v}" for k, v in STATUS_LABELS.items()},
        other=_point("#2171b5", 6.0),
        status="remediation_status",
        date="remediation_date",
    ),
    "sewage_facilities": KindStyle(
        "status",
        _status_styles("sewage_facilities"),
        {k: f"设施{v}" for k, v in STATUS_LABELS.items()},
        other=_point("#969696", 5.0),
        status="status",
        date="completed_date",
    ),
    "heritage_sites": KindStyle(
        "fire_safety_status",
        {
            k: {**v, "color": "#54278f", "weight": 2.0}
            for k, v in _status_styles("heritage_sites").items()
        },
        {k: f"消防“三防”{v}" for k, v in STATUS_LABELS.items()},
        other=_point("#969696", 5.0),
        status="fire_safety_status",
        date="fire_safety_date",
    ),
    "farmhouses": KindStyle(
        "renovation_status",
        _status_styles("farmhouses"),
        {"completed": "已整治", "under_construction": "整治中", "planned": "未整治（计划）"},
        other=_point("#969696", 3.0),
        status="renovation_status",
        date="renovation_date",
    ),
}

#: Style of kinds outside the catalogue, by geometry family.
GENERIC_STYLES: dict[str, Style] = {
    "polygon": _area("#807dba", opacity=0.3),
    "line": _line("#807dba", 2.5),
    "point": _point("#807dba", 4.0),
}

#: Sequential palettes (ColorBrewer YlGn) for choropleth classes, by number of classes.
CHOROPLETH_COLORS: dict[int, list[str]] = {
    2: ["#f7fcb9", "#31a354"],
    3: ["#f7fcb9", "#addd8e", "#31a354"],
    4: ["#ffffcc", "#c2e699", "#78c679", "#238443"],
    5: ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"],
    6: ["#ffffcc", "#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837"],
    7: ["#ffffcc", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443", "#005a32"],
}
