"""The folium elements of a geoplan map: the map itself, compact layers, assets, controls."""

from __future__ import annotations

from typing import Any, ClassVar

import folium
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from . import _offline
from ._popup import script_json


class GeoplanMap(folium.Map):
    """A :class:`folium.Map` that loads only Leaflet (inlined when offline).

    folium's default jQuery, Bootstrap, Font Awesome and awesome-markers are not needed by
    geoplan's layers and controls and are never referenced. ``offline`` records how the
    page was built so :func:`geoplan.maps.save_map` can check it.
    """

    default_js: ClassVar[list[tuple[str, str]]] = [("leaflet", _offline.LEAFLET_JS_URL)]
    default_css: ClassVar[list[tuple[str, str]]] = [("leaflet_css", _offline.LEAFLET_CSS_URL)]

    def __init__(self, *args: Any, offline: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offline = offline
        if offline:
            # instance attributes: JSCSSMixin.render reads these instead of the class lists
            self.default_js = []  # type: ignore[misc]
            self.default_css = []  # type: ignore[misc]
        self.geoplan_layers: dict[str, CompactLayer] = {}
        self.geoplan_summary: dict[str, Any] = {}


class Assets(MacroElement):
    """Leaflet (offline only) and geoplan's runtime script and styles, inlined in the head."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
{%- if this.offline %}
<style>{{ this.leaflet_css }}</style>
<script>{{ this.leaflet_js }}</script>
{%- endif %}
<style>{{ this.geoplan_css }}</style>
<script>{{ this.geoplan_js }}</script>
{% endmacro %}
"""
    )

    def __init__(self, *, offline: bool) -> None:
        super().__init__()
        self._name = "GeoplanAssets"
        self.offline = offline
        self.leaflet_css = _offline.leaflet_css() if offline else ""
        self.leaflet_js = _offline.leaflet_js() if offline else ""
        self.geoplan_css = _offline.geoplan_css()
        self.geoplan_js = _offline.geoplan_js()


class CompactLayer(Layer):
    """One layer kind drawn on a canvas from compactly encoded geometry.

    The data (geometry strings, styles, tooltip fields) goes into the page as one
    ``<script type="application/json">`` element; ``geoplan.layer`` decodes it.
    """

    _template = Template(
        """
{% macro html(this, kwargs) %}
<script type="application/json" id="{{ this.data_id }}">{{ this.payload }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = geoplan.layer({{ this.data_id|tojson }});
{% endmacro %}
"""
    )

    def __init__(self, data: dict[str, Any], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeoplanLayer"
        self.data_id = f"{self.get_name()}_data"
        self.payload = script_json(data)


class Finish(MacroElement):
    """Fits the map to the data, adds the legend and controls, and sets the ready flag."""

    _template = Template(
        """
{% macro html(this, kwargs) %}
<script type="application/json" id="{{ this.data_id }}">{{ this.payload }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
geoplan.finish({{ this._parent.get_name() }}, {{ this.data_id|tojson }});
{% endmacro %}
"""
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "GeoplanFinish"
        self.data_id = f"{self.get_name()}_config"
        self.payload = script_json(config)
