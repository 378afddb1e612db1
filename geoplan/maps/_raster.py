"""A classified raster as a colour image layer for folium maps (:func:`raster_overlay`).

Leaflet's ``ImageOverlay`` places an image by its south-west and north-east corners and
stretches it linearly between them in screen space, which is Web Mercator (EPSG:3857). A
raster in another CRS drawn that way lands in the wrong place: over this zone (24.85-25.03°N)
a lon/lat raster's middle rows would sit about 4 m off (latitude is not linear in Mercator
y), and a Gauss-Kruger raster (EPSG:4549) is turned 0.52° from true north here (grid
convergence at 118.76°E), so its edges would be up to about 110 m off. The raster is
therefore first warped onto a regular EPSG:3857 grid (nearest neighbour: class values are
never blended) and its corners converted to lon/lat; on that grid Leaflet's linear stretch
is exact.

The PNG is inlined as a ``data:`` URI, so the map needs no tile or file server and opens
offline.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from branca.element import MacroElement
from folium.template import Template

from .._errors import RasterError

if TYPE_CHECKING:
    import folium

    from ..raster._read import Raster

WEB_MERCATOR = "EPSG:3857"

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

# A Leaflet control, so that Leaflet stacks it with the map's other legends in the same
# corner; shown only while its layer is on.
_LEGEND = """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this.map_name }};
  var group = {{ this._parent.get_name() }};
  var legend = L.control({position: {{ this.position|tojson }}});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "geoplan-raster-legend");
    div.style.cssText = "background: rgba(255,255,255,0.9); padding: 6px 8px; " +
      "border-radius: 4px; font: 12px/1.4 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3);";
    div.innerHTML = {{ this.body|tojson }};
    return div;
  };
  group.on("add", function () { legend.addTo(map); });
  group.on("remove", function () { legend.remove(); });
  if (map.hasLayer(group)) { legend.addTo(map); }
})();
{% endmacro %}
"""

POSITIONS = ("bottomright", "bottomleft", "topright", "topleft")


class _Legend(MacroElement):
    """The legend of one overlay: a Leaflet control tied to its layer."""

    _template = Template(_LEGEND)

    def __init__(self, position: str, body: str) -> None:
        super().__init__()
        self._name = "GeoplanRasterLegend"
        self.position = position
        self.body = body
        self.map_name = ""

    def render(self, **kwargs: Any) -> Any:
        import folium
        from folium.utilities import get_obj_in_upper_tree

        self.map_name = get_obj_in_upper_tree(self, folium.Map).get_name()
        return super().render(**kwargs)


def _legend_html(title: str, classes: Mapping[Any, tuple[str, str]]) -> str:
    rows = [f"<b>{html.escape(title)}</b>"]
    for label, colour in classes.values():
        rows.append(
            f'<div><span style="display:inline-block;width:12px;height:12px;'
            f'background:{colour};margin-right:6px;vertical-align:middle"></span>'
            f"{html.escape(str(label))}</div>"
        )
    return "\n".join(rows)


def _check_classes(classes: Mapping[Any, Any]) -> dict[Any, tuple[str, str]]:
    out: dict[Any, tuple[str, str]] = {}
    for value, spec in classes.items():
        if not (isinstance(spec, tuple) and len(spec) == 2 and _HEX.match(str(spec[1]))):
            raise RasterError(
                f"class {value!r}: {spec!r} is not a (label, colour) pair with a #rrggbb "
                "colour; write classes as {1: ('水体', '#3a7bd5'), ...}"
            )
        out[value] = (str(spec[0]), str(spec[1]))
    if not out:
        raise RasterError("classes is empty; give at least one value: (label, colour)")
    return out


def raster_overlay(
    raster: Raster | str | Path,
    *,
    zones: Any = None,
    classes: Mapping[Any, tuple[str, str]] | None = None,
    band: int = 1,
    name: str = "土地覆盖",
    opacity: float = 0.7,
    max_pixels: int = 4_000_000,
    legend: str | None = "bottomright",
    show: bool = True,
    zones_name: str = "zones",
) -> folium.FeatureGroup:
    """Render a classified raster as a coloured, zone-clipped image layer.

    Parameters
    ----------
    raster
        A :class:`~geoplan.raster.Raster` or a path.
    zones
        Polygons (GeoDataFrame/GeoSeries with a CRS). Cells outside them are transparent,
        and the image covers only their extent. None shows the whole raster.
    classes
        value -> (label, ``#rrggbb`` colour); values not listed, and nodata, are
        transparent. Default: :data:`geoplan.raster.LANDCOVER_CLASSES`.
    band
        Band number (1-based).
    name
        Layer name in the layer control, and the legend title.
    opacity
        Image opacity (0-1).
    max_pixels
        Largest image, in pixels; a finer raster is warped to a coarser Web Mercator grid
        (keeps the HTML small: the sample's 10 m land cover over the four towns is a
        2188 x 1713 PNG of 44 kB).
    legend
        Corner for the legend (``bottomright``, ``bottomleft``, ``topright``,
        ``topleft``) or None for none. It is a Leaflet control, stacked with the map's
        other legends and shown while the layer is on. Labels are HTML-escaped.
    show
        Whether the layer is on when the map opens.
    zones_name
        Name of the zone layer, for messages.

    Returns
    -------
    folium.FeatureGroup
        Holds the ``ImageOverlay`` (bounds in lon/lat) and the legend; pass it to
        ``geoplan.make_map(..., overlays=[...])`` or ``.add_to(m)``.

    Examples
    --------
    >>> import geoplan
    >>> towns = geoplan.load_sample()["towns"]
    >>> path = geoplan.datasets.data_path("landcover.tif")
    >>> overlay = geoplan.raster_overlay(path, zones=towns, max_pixels=40_000)
    >>> overlay.layer_name
    '土地覆盖'
    """
    import folium
    from rasterio import band as rio_band
    from rasterio.crs import CRS
    from rasterio.features import geometry_mask
    from rasterio.transform import from_bounds
    from rasterio.warp import Resampling, reproject, transform_bounds

    from ..raster._read import LANDCOVER_CLASSES, _as_raster, _outside_message, _zones_in

    if legend is not None and legend not in POSITIONS:
        raise RasterError(f"legend={legend!r} is not a corner; choose {', '.join(POSITIONS)}")
    palette = _check_classes(LANDCOVER_CLASSES if classes is None else classes)
    r = _as_raster(raster)
    merc = CRS.from_user_input(WEB_MERCATOR)

    xmin, ymin, xmax, ymax = r.bounds
    geoms = None
    if zones is not None:
        geoms = _zones_in(r, zones, zones_name)
        zx0, zy0, zx1, zy1 = geoms.total_bounds
        xmin, ymin, xmax, ymax = max(xmin, zx0), max(ymin, zy0), min(xmax, zx1), min(ymax, zy1)
        if xmin >= xmax or ymin >= ymax:
            raise RasterError(_outside_message(r, zones, geoms, zones_name))
    left, bottom, right, top = transform_bounds(r.crs, merc, xmin, ymin, xmax, ymax)
    # Keep about the raster's own resolution (in Mercator metres at this latitude).
    cells_x = (xmax - xmin) / r.res[0]
    cells_y = (ymax - ymin) / r.res[1]
    scale = max(1.0, float(np.sqrt(cells_x * cells_y / max_pixels)))
    width = max(1, round(cells_x / scale))
    height = max(1, round(cells_y / scale))
    dst_transform = from_bounds(left, bottom, right, top, width, height)

    values = np.full((height, width), np.nan, dtype=np.float64)
    with r.open() as src:
        reproject(
            # A band handle lets GDAL warp large rasters in chunks, not read them whole.
            source=rio_band(src, band),
            destination=values,
            src_transform=r.transform,
            src_crs=r.crs,
            src_nodata=r.nodata,
            dst_transform=dst_transform,
            dst_crs=merc,
            dst_nodata=np.nan,
            resampling=Resampling.nearest,
        )
    visible = ~np.isnan(values)
    if geoms is not None:
        inside = geometry_mask(
            geoms.to_crs(merc).dropna(), (height, width), dst_transform, invert=True
        )
        visible &= inside
    rgba = np.zeros((4, height, width), dtype=np.uint8)
    for value, (_, colour) in palette.items():
        hit = visible & (values == float(value))
        for k in range(3):
            rgba[k][hit] = int(colour[1 + 2 * k : 3 + 2 * k], 16)
        rgba[3][hit] = 255
    png = _png(rgba, dst_transform, merc)

    south_west = transform_bounds(merc, "EPSG:4326", left, bottom, right, top)
    west, south, east, north = south_west
    group = folium.FeatureGroup(name=name, show=show)
    folium.raster_layers.ImageOverlay(
        image="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        bounds=[[south, west], [north, east]],
        opacity=opacity,
        name=name,
    ).add_to(group)
    if legend is not None:
        _Legend(legend, _legend_html(name, palette)).add_to(group)
    return group


def _png(rgba: np.ndarray, transform: Any, crs: Any) -> bytes:
    from rasterio.io import MemoryFile

    _, height, width = rgba.shape
    with MemoryFile() as mem:
        with mem.open(
            driver="PNG",
            width=width,
            height=height,
            count=4,
            dtype="uint8",
            transform=transform,
            crs=crs,
            ZLEVEL=9,
        ) as dst:
            dst.write(rgba)
        return bytes(mem.read())
