"""Inline every asset the map page needs, and check that nothing is left on a CDN.

Government intranets often cannot reach public CDNs, so an offline map carries Leaflet
1.9.3 (from the installed ``xstatic-leaflet`` package, its icons as data URIs) and
geoplan's own script and style sheet inside the HTML. folium's default jQuery, Bootstrap,
Font Awesome and awesome-markers are not used by geoplan maps and are left out in both
modes.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources
from pathlib import Path

from .._errors import MapError

#: Leaflet on a CDN, for online maps (the same version the offline page inlines).
LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

#: A tag that makes the browser fetch a resource from a host: script/img/iframe/source
#: ``src``, link ``href`` (style sheets, icons), and CSS ``url(...)`` or ``@import``.
_REMOTE = re.compile(
    r"""<(?:script|img|iframe|source|embed|audio|video)\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # a core dependency, but say what to do if it is gone
        raise MapError(
            "offline maps inline Leaflet from the `xstatic-leaflet` package, which is not "
            "installed; run `pip install xstatic-leaflet` or pass offline=False"
        ) from exc
    return Path(xleaflet.BASE_DIR)


def _script_safe(text: str) -> str:
    """Make JS/CSS text safe to place inside a <script> or <style> element."""
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


@cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, ready to inline."""
    return _script_safe((_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8"))


@cache
def leaflet_css() -> str:
    """Leaflet's style sheet with its images inlined as data URIs."""
    folder = _leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        path = folder / match.group(1)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _script_safe(re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css))


@cache
def geoplan_js() -> str:
    """geoplan's map runtime (decoding, canvas drawing, controls)."""
    return resources.files("geoplan.maps").joinpath("_static/geoplan.js").read_text("utf-8")


@cache
def geoplan_css() -> str:
    """Styles of geoplan's legend, tools, search box and panels."""
    return resources.files("geoplan.maps").joinpath("_static/geoplan.css").read_text("utf-8")


#: geoplan's data blocks (``<script type="application/json">``): the browser never runs
#: or fetches what they hold, and their text reaches the page through textContent only.
#: Their payload cannot contain ``</script`` (``script_json`` escapes ``<``).
_DATA_BLOCK = re.compile(
    r"""<script\b[^>]*\btype\s*=\s*["']application/json["'][^>]*>.*?</script>""",
    re.IGNORECASE | re.DOTALL,
)


def remote_references(html: str) -> list[str]:
    """Return the snippets of ``html`` that would make a browser fetch from a host.

    Plain links (``<a href="https://...">``, e.g. tile attributions) are not fetched and are
    not reported, and neither is text inside the page's JSON data blocks: a note that
    reads ``url(http://…)`` is shown as text, never loaded.

    Examples
    --------
    >>> remote_references('<script type="application/json">{"note":"url(http://x)"}</script>')
    []
    >>> len(remote_references('<img src="http://x/a.png">'))
    1
    """
    code = _DATA_BLOCK.sub(lambda m: " " * len(m.group(0)), html)
    return [html[m.start() : m.start() + 120] for m in _REMOTE.finditer(code)]


def check_offline(html: str) -> None:
    """Raise :class:`~geoplan.MapError` when an offline page still references a host."""
    refs = remote_references(html)
    if refs:
        raise MapError(
            f"the offline map still loads {len(refs)} resource(s) from the network, e.g. "
            f"{refs[0]!r}; an overlay or plugin added a CDN link that geoplan cannot inline — "
            "remove it or build the map with offline=False"
        )
