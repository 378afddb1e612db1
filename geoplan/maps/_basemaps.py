"""Basemap providers: none, OpenStreetMap, Tianditu and Gaode/AutoNavi.

Tianditu (天地图) is CGCS2000, which matches WGS84 to well under a metre here, and needs
a key (``tk``) from https://console.tianditu.gov.cn. Gaode tiles are drawn in GCJ-02, about
560 m ESE of WGS84 in this zone: a map with a Gaode basemap shifts every vector layer to
GCJ-02 (``gcj02=True`` below) so features sit on the right streets.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .. import settings
from .._errors import MapError

_TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
_TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'


@dataclass(frozen=True)
class TileSource:
    """One tile layer of a basemap (Leaflet ``L.tileLayer`` URL and options)."""

    url: str
    name: str
    attribution: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Basemap:
    """A basemap: its tile layers bottom to top and whether it is drawn in GCJ-02."""

    name: str
    tiles: tuple[TileSource, ...]
    gcj02: bool = False


def _xyz(provider_name: str, label: str) -> TileSource:
    import xyzservices.providers as xyz

    provider = xyz.query_name(provider_name)
    return TileSource(
        url=provider.build_url(),
        name=label,
        attribution=provider.html_attribution,
        options={
            "maxZoom": int(provider.get("max_zoom", 18)),
            **({"subdomains": provider["subdomains"]} if "subdomains" in provider else {}),
        },
    )


def _tianditu(kind: str, key: str) -> tuple[TileSource, ...]:
    base, labels = {"vec": ("vec", "cva"), "img": ("img", "cia")}[kind]
    opts = {"subdomains": "01234567", "maxZoom": 18}
    return (
        TileSource(
            _TIANDITU_URL.format(layer=base, key=key), f"天地图（{base}）", _TIANDITU_ATTR, opts
        ),
        TileSource(_TIANDITU_URL.format(layer=labels, key=key), "天地图注记", _TIANDITU_ATTR, opts),
    )


#: Valid basemap names and what they show.
BASEMAPS: dict[str, str] = {
    "none": "no tiles: the offline default",
    "openstreetmap": "OpenStreetMap (WGS84)",
    "tianditu_vec": "天地图 vector map + labels (needs a key)",
    "tianditu_img": "天地图 imagery + labels (needs a key)",
    "gaode": "高德 road map (GCJ-02; layers are shifted)",
    "gaode_satellite": "高德 imagery (GCJ-02; layers are shifted)",
}

_ALIASES = {
    "osm": "openstreetmap",
    "tianditu": "tianditu_vec",
    "amap": "gaode",
    "autonavi": "gaode",
}


def get_basemap(name: str, *, tianditu_key: str | None = None) -> Basemap:
    """Resolve a basemap name (case-insensitive; ``-`` and ``_`` alike).

    Parameters
    ----------
    name
        One of :data:`BASEMAPS` or an alias (``osm``, ``tianditu``, ``amap``).
    tianditu_key
        Tianditu key; defaults to the ``TIANDITU_KEY`` environment variable.

    Raises
    ------
    MapError
        For an unknown name (the message lists the valid ones) or a Tianditu basemap
        without a key.
    """
    key = str(name).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in BASEMAPS:
        valid = ", ".join(BASEMAPS)
        raise MapError(f"unknown basemap {name!r}; valid basemaps are: {valid}")
    if key == "none":
        return Basemap("none", ())
    if key == "openstreetmap":
        return Basemap(key, (_xyz("OpenStreetMap.Mapnik", "OpenStreetMap"),))
    if key.startswith("tianditu"):
        tk = tianditu_key or os.environ.get(settings.ENV_TIANDITU_KEY, "")
        if not tk.strip():
            raise MapError(
                f"basemap {name!r} needs a Tianditu key: pass tianditu_key=... or set the "
                f"{settings.ENV_TIANDITU_KEY} environment variable (get a key at "
                "https://console.tianditu.gov.cn)"
            )
        return Basemap(key, _tianditu(key.split("_")[1], urllib.parse.quote(tk.strip(), safe="")))
    provider = "Gaode.Normal" if key == "gaode" else "Gaode.Satellite"
    return Basemap(key, (_xyz(provider, "高德地图"),), gcj02=True)
