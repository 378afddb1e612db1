"""The folium elements of a geoplan map: the map itself, compact layers, assets, controls."""

from __future__ import annotations

from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement
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

    def __init__(self, *args: Any, offline: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offline = offline
        # instance attributes: JSCSSMixin.render reads these instead of folium's class lists
        self.default_js = [] if offline else [("leaflet", _offline.LEAFLET_JS_URL)]
        self.default_css = [] if offline else [("leaflet_css", _offline.LEAFLET_CSS_URL)]
        self.geoplan_layers: dict[str, CompactLayer] = {}
        self.geoplan_summary: dict[str, Any] = {}


class RawHTML(Element):
    """Pre-rendered HTML added to the page as is.

    branca wraps the output of every template macro in a new ``Element``, which compiles
    it as a Jinja template again: data such as a feature named ``{{ 7*7 }}`` would be
    evaluated, and megabytes of encoded geometry would be parsed. geoplan's data and
    inlined assets go through this element instead, never through Jinja.
    """

    def __init__(self, html: str) -> None:
        super().__init__("")
        self._html = html

    def render(self, **kwargs: Any) -> str:
        return self._html


def _json_script(element_id: str, payload: str) -> RawHTML:
    return RawHTML(f'<script type="application/json" id="{element_id}">{payload}</script>')


class Assets(MacroElement):
    """Leaflet (offline only) and geoplan's runtime script and styles, inlined in the head."""

    def __init__(self, *, offline: bool) -> None:
        super().__init__()
        self._name = "GeoplanAssets"
        self.offline = offline

    def render(self, **kwargs: Any) -> Any:
        parts = []
        if self.offline:
            parts += [
                f"<style>{_offline.leaflet_css()}</style>",
                f"<script>{_offline.leaflet_js()}</script>",
            ]
        parts += [
            f"<style>{_offline.geoplan_css()}</style>",
            f"<script>{_offline.geoplan_js()}</script>",
        ]
        cast(Figure, self.get_root()).header.add_child(
            RawHTML("\n".join(parts)), name=self.get_name()
        )
        super().render(**kwargs)


class CompactLayer(Layer):
    """One layer kind drawn on a canvas from compactly encoded geometry.

    The data (geometry strings, styles, tooltip fields) goes into the page as one
    ``<script type="application/json">`` element; ``geoplan.layer`` decodes it.
    """

    _template = Template(
        """
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

    def render(self, **kwargs: Any) -> Any:
        cast(Figure, self.get_root()).html.add_child(
            _json_script(self.data_id, self.payload), name=self.data_id
        )
        super().render(**kwargs)


class Finish(MacroElement):
    """Fits the map to the data, adds the legend and controls, and sets the ready flag."""

    _template = Template(
        """
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

    def render(self, **kwargs: Any) -> Any:
        cast(Figure, self.get_root()).html.add_child(
            _json_script(self.data_id, self.payload), name=self.data_id
        )
        super().render(**kwargs)
