"""A QGIS project (``.qgz``/``.qgs``) that opens the planning database, styled and grouped.

The layers are grouped as the web map's legend lists them — areas, lines, points, drawn in
the map's order (points on top) — and named in Chinese; each carries the style of
:mod:`geoplan.store._qgis`. A GeoPackage is referenced by its absolute path; a PostGIS
database by host, port, database and user, never a password (QGIS asks for it or takes it
from the user's ``~/.pgpass`` or service file).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy.engine import make_url

from ..catalogue import LAYER_KINDS
from ..styles import DRAW_ORDER, KIND_LABELS
from ._qgis import FOOTPRINT_LABEL, style_xml

#: Layer-tree groups, top to bottom, by catalogue geometry family.
GROUPS: tuple[tuple[str, str], ...] = (
    ("Point", "点状要素"),
    ("LineString", "线状要素"),
    ("Polygon", "面状要素"),
)

_WKB = {"Point": "Point", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}

_SRS = (
    "<srs><spatialrefsys><authid>EPSG:4326</authid><srid>4326</srid>"
    "<description>WGS 84</description><geographicflag>true</geographicflag>"
    "</spatialrefsys></srs>"
)


def datasource(url: str, table: str, geometry: str | None = None) -> tuple[str, str]:
    """``(data source, provider)`` of one table for a resolved store URL.

    A footprint kind's table has a generic ``GEOMETRY`` column, which QGIS opens one
    geometry type at a time: ``geometry`` (default ``Point``) names the part to open.
    """
    spec = LAYER_KINDS[table.removesuffix("_history")]
    wkb = geometry or _WKB[spec.geometry]
    if url.startswith("gpkg:///"):
        part = f"|geometrytype={wkb}" if spec.footprints else ""
        return f"{url[len('gpkg:///') :]}|layername={table}{part}", "ogr"
    parsed = make_url(url)
    parts = [f"dbname='{parsed.database}'"]
    if parsed.host:
        parts.append(f"host={parsed.host}")
    if parsed.port:
        parts.append(f"port={parsed.port}")
    if parsed.username:
        parts.append(f"user='{parsed.username}'")
    parts += [
        "key='fid'",
        "srid=4326",
        f"type={wkb}",
        "checkPrimaryKeyUnicity='0'",
        f'table="public"."{table}" (geom)',
    ]
    return " ".join(parts), "postgres"


def project_xml(url: str, kinds: list[str], *, title: str, footprints: tuple[str, ...] = ()) -> str:
    """The ``.qgs`` document: one styled layer per kind, grouped as the map's legend.

    A kind in ``footprints`` (one whose features include polygon footprints) gets a
    second layer beside its points, ``<label>（轮廓）``, opening its footprints.
    """
    layers, groups = [], []
    for family, group_name in GROUPS:
        # the map draws DRAW_ORDER bottom to top; a QGIS layer tree lists the top first
        members = [k for k in reversed(DRAW_ORDER) if k in kinds]
        members = [k for k in members if LAYER_KINDS[k].geometry == family]
        if not members:
            continue
        entries = []
        for kind in members:
            parts = [(family, _WKB[family], "", "")]
            if kind in footprints:
                parts.append(("Polygon", "MultiPolygon", "_footprints", f"（{FOOTPRINT_LABEL}）"))
            for part_family, wkb, id_suffix, name_suffix in parts:
                source, provider = datasource(url, kind, wkb)
                layer_id = f"geoplan_{kind}{id_suffix}"
                name = KIND_LABELS.get(kind, kind) + name_suffix
                entries.append(
                    f"<layer-tree-layer id={quoteattr(layer_id)} name={quoteattr(name)} "
                    f"source={quoteattr(source)} providerKey={quoteattr(provider)} "
                    'checked="Qt::Checked" expanded="0"><customproperties/></layer-tree-layer>'
                )
                geometry = {"Point": "Point", "LineString": "Line", "Polygon": "Polygon"}[
                    part_family
                ]
                layers.append(
                    f'<maplayer type="vector" geometry="{geometry}" wkbType="{wkb}" '
                    'labelsEnabled="1" hasScaleBasedVisibilityFlag="0" minScale="100000000" '
                    'maxScale="0" readOnly="0" styleCategories="AllStyleCategories">'
                    f"<id>{escape(layer_id)}</id><datasource>{escape(source)}</datasource>"
                    f"<layername>{escape(name)}</layername>{_SRS}"
                    f'<provider encoding="UTF-8">{provider}</provider>'
                    f"{style_xml(kind)}</maplayer>"
                )
        groups.append(
            f'<layer-tree-group name={quoteattr(group_name)} checked="Qt::Checked" '
            f'expanded="1"><customproperties/>{"".join(entries)}</layer-tree-group>'
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="3.22.0">'
        f"<title>{escape(title)}</title>"
        "<projectCrs><spatialrefsys><authid>EPSG:4326</authid></spatialrefsys></projectCrs>"
        f"<layer-tree-group><customproperties/>{''.join(groups)}</layer-tree-group>"
        f"<projectlayers>{''.join(layers)}</projectlayers>"
        '<properties><Paths><Absolute type="bool">true</Absolute></Paths></properties>'
        "</qgis>\n"
    )


def project_bytes(
    url: str, kinds: list[str], *, path: Path, title: str, footprints: tuple[str, ...] = ()
) -> bytes:
    """The project file's bytes: ``.qgs`` XML, or a ``.qgz`` zip holding it."""
    xml = project_xml(url, kinds, title=title, footprints=footprints).encode("utf-8")
    if path.suffix.lower() == ".qgs":
        return xml
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{path.stem}.qgs", xml)
    return buffer.getvalue()


def kinds_in(counts: dict[str, Any]) -> list[str]:
    """The layer kinds that hold features, given :meth:`Store.counts`."""
    return [k for k in LAYER_KINDS if counts.get(k)]
