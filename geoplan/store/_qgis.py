"""QGIS styles stored in the database, drawn from the web map's style table.

For every layer kind the store writes one row of ``layer_styles`` (the table QGIS reads and
writes for GeoPackage and PostGIS layers) holding a QML style for QGIS and an SLD style for
other clients, marked ``useAsDefault`` so that QGIS applies it when the layer is opened.
Both come from :data:`geoplan.styles.KIND_STYLES`: a kind styled by status is a
categorised renderer with the web map's colours and Chinese legend labels, the other kinds a
single symbol; every kind is labelled with its ``name``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..catalogue import LAYER_KINDS
from ..styles import KIND_LABELS, KIND_STYLES, Style
from ._backends import Backend

#: ``styleName`` of the styles geoplan writes; a style the user saved under another name
#: is left alone.
STYLE_NAME = "geoplan"

#: The label font: Noto Sans CJK (Debian ``fonts-noto-cjk``); QGIS substitutes another CJK
#: font where it is missing.
LABEL_FONT = "Noto Sans CJK SC"

_SYMBOL_TYPE = {"Polygon": "fill", "LineString": "line", "Point": "marker"}

#: Expression giving the villages' style value (their ``by`` column is derived).
_VILLAGE_VALUE = "CASE WHEN \"plan_approved_date\" IS NOT NULL THEN 'yes' ELSE 'no' END"

_OTHER_LABEL = "其他/未填"

#: A footprint's class value in a footprint kind's QGIS style, and its legend suffix.
FOOTPRINT_PREFIX = "footprint:"
FOOTPRINT_LABEL = "轮廓"


def _rgba(color: str | None, opacity: float) -> str:
    if not color:
        return "0,0,0,0"
    c = color.lstrip("#")
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * opacity)}"


def _options(values: dict[str, Any]) -> str:
    items = "".join(
        f'<Option name="{k}" type="QString" value={quoteattr(str(v))}/>' for k, v in values.items()
    )
    return f'<Option type="Map">{items}</Option>'


def _dash(dash: list[int] | None) -> dict[str, Any]:
    if not dash:
        return {"use_custom_dash": "0"}
    return {
        "use_custom_dash": "1",
        "customdash": ";".join(str(d) for d in dash),
        "customdash_unit": "Pixel",
    }


def _symbol(family: str, style: Style, name: str) -> str:
    """One QGIS symbol (QML) drawing ``style`` (a web-map style of geoplan.styles)."""
    kind = _SYMBOL_TYPE[family]
    if kind == "fill":
        layer_class = "SimpleFill"
        props = {
            "color": _rgba(style.get("fill"), style.get("fillOpacity", 0.3)),
            "style": "solid" if style.get("fillOpacity", 0.3) > 0 else "no",
            "outline_color": _rgba(style["color"], style.get("opacity", 1.0)),
            "outline_width": style.get("weight", 1.0),
            "outline_width_unit": "Pixel",
            "outline_style": "dash" if style.get("dash") else "solid",
            "joinstyle": "round",
        }
    elif kind == "line":
        layer_class = "SimpleLine"
        props = {
            "line_color": _rgba(style["color"], style.get("opacity", 1.0)),
            "line_width": style.get("weight", 2.0),
            "line_width_unit": "Pixel",
            "line_style": "solid",
            "capstyle": "round",
            "joinstyle": "round",
            **_dash(style.get("dash")),
        }
    else:
        layer_class = "SimpleMarker"
        props = {
            "name": "circle",
            "color": _rgba(style.get("fill"), style.get("fillOpacity", 1.0)),
            "outline_color": _rgba(style["color"], style.get("opacity", 1.0)),
            "outline_width": style.get("weight", 1.0),
            "outline_width_unit": "Pixel",
            "size": 2 * style.get("radius", 4.0),
            "size_unit": "Pixel",
        }
    return (
        f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{layer_class}" enabled="1" pass="0" locked="0">{_options(props)}</layer>'
        "</symbol>"
    )


def categories(kind: str) -> list[tuple[str, str, Style]]:
    """``(value, legend label, style)`` of each class of a kind, the catch-all last.

    A kind drawn with one style has one class with the value ``"*"``.
    """
    spec = KIND_STYLES[kind]
    label = KIND_LABELS.get(kind, kind)
    if spec.by is None:
        return [("*", label, next(iter(spec.styles.values())))]
    classes = [(value, spec.labels.get(value, label), s) for value, s in spec.styles.items()]
    if spec.other is not None:
        classes.append(("", _OTHER_LABEL, spec.other))
    return classes


def style_column(kind: str) -> str | None:
    """The column (or, for villages, the expression) a kind's classes are keyed on."""
    spec = KIND_STYLES[kind]
    if spec.by is None:
        return None
    return _VILLAGE_VALUE if kind == "villages" else spec.by


def qml(kind: str) -> str:
    """The QGIS style (QML) of one layer kind."""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0" styleCategories="Symbology|Labeling" labelsEnabled="1">'
        f"{style_xml(kind)}</qgis>\n"
    )


def style_xml(kind: str) -> str:
    """The renderer and labelling elements of a kind's QGIS style (QML or project)."""
    family = LAYER_KINDS[kind].geometry
    classes = categories(kind)
    attr = style_column(kind)
    footprint_classes: list[tuple[str, str, Style]] = []
    if attr is not None and LAYER_KINDS[kind].footprints:
        # QGIS draws a polygon only with a fill symbol and a point only with a marker, so
        # a kind of points and footprints is classed by geometry too: its footprints'
        # classes follow the points' with values prefixed by FOOTPRINT_PREFIX
        footprint_classes = [
            (f"{FOOTPRINT_PREFIX}{value}", f"{label}（{FOOTPRINT_LABEL}）", style)
            for value, label, style in classes
        ]
        attr = (
            f"concat(CASE WHEN geometry_type($geometry) = 'Polygon' THEN "
            f"'{FOOTPRINT_PREFIX}' ELSE '' END, \"{attr}\")"
        )
    if attr is None:
        renderer = (
            '<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" '
            f'enableorderby="0"><symbols>{_symbol(family, classes[0][2], "0")}</symbols>'
            "</renderer-v2>"
        )
    else:
        cats = "".join(
            f'<category render="true" symbol="{i}" value={quoteattr(value)} '
            f"label={quoteattr(label)}/>"
            for i, (value, label, _) in enumerate(classes + footprint_classes)
        )
        symbols = "".join(_symbol(family, s, str(i)) for i, (_, _, s) in enumerate(classes))
        symbols += "".join(
            _symbol("Polygon", s, str(len(classes) + i))
            for i, (_, _, s) in enumerate(footprint_classes)
        )
        renderer = (
            f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
            f'forceraster="0" enableorderby="0"><categories>{cats}</categories>'
            f"<symbols>{symbols}</symbols></renderer-v2>"
        )
    # QGIS placements: OverPoint (areas), Line, OrderedPositionsAroundPoint
    placement = {"Polygon": "1", "LineString": "2", "Point": "6"}[family]
    # dense point layers are labelled only when zoomed in
    scale = ' scaleVisibility="1" scaleMin="1" scaleMax="20000"' if kind == "farmhouses" else ""
    # areas overlap each other everywhere, so they must not push other labels away
    obstacle = "0" if family == "Polygon" else "1"
    size, weight = ("12", "75") if kind in ("towns", "districts") else ("9", "50")
    labeling = (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName="name" isExpression="0" fontFamily="{LABEL_FONT}" '
        f'fontSize="{size}" fontSizeUnit="Point" textColor="40,40,40,255" textOpacity="1" '
        f'fontWeight="{weight}" fontItalic="0" multilineHeight="1">'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.8" bufferJoinStyle="128"/>'
        "</text-style>"
        f'<placement placement="{placement}" dist="1" distUnits="MM" placementFlags="10"/>'
        f'<rendering obstacle="{obstacle}" displayAll="0" upsidedownLabels="0"{scale}/>'
        "</settings></labeling>"
    )
    return renderer + labeling


def _sld_symbolizer(family: str, style: Style) -> str:
    def param(name: str, value: Any) -> str:
        return f'<se:SvgParameter name="{name}">{escape(str(value))}</se:SvgParameter>'

    dashes = style.get("dash")
    dash = param("stroke-dasharray", " ".join(map(str, dashes))) if dashes else ""
    stroke = (
        "<se:Stroke>"
        + param("stroke", style["color"])
        + param("stroke-opacity", style.get("opacity", 1.0))
        + param("stroke-width", style.get("weight", 1.0))
        + dash
        + "</se:Stroke>"
    )
    if family == "LineString":
        return f"<se:LineSymbolizer>{stroke}</se:LineSymbolizer>"
    fill = (
        "<se:Fill>"
        + param("fill", style.get("fill") or style["color"])
        + param("fill-opacity", style.get("fillOpacity", 0.3))
        + "</se:Fill>"
    )
    if family == "Polygon":
        return f"<se:PolygonSymbolizer>{fill}{stroke}</se:PolygonSymbolizer>"
    return (
        "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>"
        f"{fill}{stroke}</se:Mark><se:Size>{2 * style.get('radius', 4.0)}</se:Size>"
        "</se:Graphic></se:PointSymbolizer>"
    )


def _sld_filter(kind: str, column: str | None, value: str) -> str:
    """The OGC filter selecting one class of a kind (none for a single-style kind)."""

    def is_null(name: str) -> str:
        return (
            f"<ogc:PropertyIsNull><ogc:PropertyName>{name}</ogc:PropertyName></ogc:PropertyIsNull>"
        )

    if kind == "villages":  # approved when plan_approved_date is filled in
        test = is_null("plan_approved_date")
        return f"<ogc:Filter>{test if value == 'no' else f'<ogc:Not>{test}</ogc:Not>'}</ogc:Filter>"
    if column is None:
        return ""
    if value == "":
        return "<se:ElseFilter/>"
    return (
        f"<ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>{column}</ogc:PropertyName>"
        f"<ogc:Literal>{escape(value)}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
    )


def sld(kind: str, table: str) -> str:
    """The style of one layer kind as an OGC SLD 1.1 / Symbology Encoding document."""
    family = LAYER_KINDS[kind].geometry
    column = KIND_STYLES[kind].by
    rules = []
    for value, label, style in categories(kind):
        where = _sld_filter(kind, column, value)
        rules.append(
            f"<se:Rule><se:Name>{escape(label)}</se:Name><se:Description><se:Title>"
            f"{escape(label)}</se:Title></se:Description>{where}"
            f"{_sld_symbolizer(family, style)}</se:Rule>"
        )
    rules.append(
        "<se:Rule><se:TextSymbolizer><se:Label><ogc:PropertyName>name</ogc:PropertyName>"
        f'</se:Label><se:Font><se:SvgParameter name="font-family">{LABEL_FONT}'
        '</se:SvgParameter><se:SvgParameter name="font-size">12</se:SvgParameter></se:Font>'
        '<se:Halo><se:Radius>1</se:Radius><se:Fill><se:SvgParameter name="fill">#ffffff'
        "</se:SvgParameter></se:Fill></se:Halo></se:TextSymbolizer></se:Rule>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.opengis.net/sld '
        'http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
        f"<NamedLayer><se:Name>{table}</se:Name><UserStyle><se:Name>{STYLE_NAME}</se:Name>"
        f"<se:Description><se:Title>{escape(KIND_LABELS.get(kind, kind))}</se:Title>"
        f"</se:Description><se:FeatureTypeStyle>{''.join(rules)}</se:FeatureTypeStyle>"
        "</UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )


_GPKG_TABLE = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  f_table_catalog TEXT,
  f_table_schema TEXT,
  f_table_name TEXT,
  f_geometry_column TEXT,
  styleName TEXT,
  styleQML TEXT,
  styleSLD TEXT,
  useAsDefault BOOLEAN,
  description TEXT,
  owner TEXT,
  ui TEXT,
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""

# the table QGIS creates in PostgreSQL (QgsPostgresProviderMetadata::saveStyle)
_PG_TABLE = """CREATE TABLE IF NOT EXISTS public.layer_styles (
  id SERIAL PRIMARY KEY,
  f_table_catalog varchar,
  f_table_schema varchar,
  f_table_name varchar,
  f_geometry_column varchar,
  stylename text,
  styleqml xml,
  stylesld xml,
  useasdefault boolean,
  description text,
  owner varchar(63) DEFAULT CURRENT_USER,
  ui xml,
  update_time timestamp DEFAULT CURRENT_TIMESTAMP,
  type varchar
)"""


def style_rows(tables: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One ``layer_styles`` row per ``(kind, table)``."""
    return [
        {
            "table": table,
            "name": STYLE_NAME,
            "qml": qml(kind),
            "sld": sld(kind, table),
            "description": f"{KIND_LABELS.get(kind, kind)}：geoplan 样式（与网页地图图例一致）",
        }
        for kind, table in tables
    ]


def write_styles(conn: Connection, backend: Backend) -> int:
    """Create ``layer_styles`` if needed and (re)write geoplan's default style of every layer.

    Both the current and the ``_history`` table of each kind get the kind's style. Other
    styles in the table (saved by a user under another name) stay, but stop being the
    default of geoplan's layers. Returns the number of styles written.
    """
    from ._models import LAYER_TABLES

    tables = [(k, t.name) for k, pair in LAYER_TABLES.items() for t in pair]
    rows = style_rows(tables)
    names = [t for _, t in tables]
    if backend.is_gpkg:
        conn.exec_driver_sql(_GPKG_TABLE)
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description) VALUES ('layer_styles', 'attributes', 'layer_styles', "
            "'QGIS layer styles')"
        )
        catalog = schema = ""
        xml = ":qml, :sld"
    else:
        conn.exec_driver_sql(_PG_TABLE)
        catalog, schema = conn.exec_driver_sql("SELECT current_database(), current_schema()").one()
        xml = "XMLPARSE(DOCUMENT :qml), XMLPARSE(DOCUMENT :sld)"
    marks = ", ".join(f":n{i}" for i in range(len(names)))
    params = {f"n{i}": n for i, n in enumerate(names)}
    conn.execute(
        text(f"DELETE FROM layer_styles WHERE styleName = :s AND f_table_name IN ({marks})"),
        {"s": STYLE_NAME, **params},
    )
    conn.execute(
        text(f"UPDATE layer_styles SET useAsDefault = :f WHERE f_table_name IN ({marks})"),
        {"f": False, **params},
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stamp = now.isoformat(timespec="milliseconds") + "Z" if backend.is_gpkg else now
    conn.execute(
        text(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            f"owner, update_time) VALUES (:catalog, :schema, :table, 'geom', :name, {xml}, "
            ":default, :description, 'geoplan', :stamp)"
        ),
        [dict(row, catalog=catalog, schema=schema, default=True, stamp=stamp) for row in rows],
    )
    return len(rows)
