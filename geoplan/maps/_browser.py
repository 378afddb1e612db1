"""Headless Chromium for PNG export, the benchmark and the browser tests.

Uses Playwright's Python API with the system Chromium (Debian's ``chromium`` package at
``/usr/bin/chromium`` by default, or ``GEOPLAN_CHROMIUM``); geoplan never downloads a
browser. Every request that is not a ``file:``/``data:``/``blob:`` URL is aborted, so an
offline map that tried to reach a host would show it in :attr:`Page.blocked`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._common.atomic import write_bytes
from .._errors import MapError, missing_dependency

#: Environment variable naming the Chromium executable.
ENV_CHROMIUM = "GEOPLAN_CHROMIUM"

#: Flags for a quiet, offline headless Chromium (no background network, no GPU).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

_LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

#: Smallest and largest side of an exported PNG, in pixels, and the largest image
#: (Chromium cannot capture much beyond 16 384 px a side; 40 Mpx is an A1 poster at 200 dpi).
PNG_MIN_SIDE = 16
PNG_MAX_SIDE = 16_000
PNG_MAX_PIXELS = 40_000_000


def check_png_size(width: object, height: object) -> tuple[int, int]:
    """Return ``(width, height)`` as ints, or raise :class:`~geoplan.MapError` if unusable.

    Examples
    --------
    >>> check_png_size(1600, 1000)
    (1600, 1000)
    """
    ok_types = all(isinstance(v, int) and not isinstance(v, bool) for v in (width, height))
    if not ok_types:
        raise MapError(
            f"PNG size {width!r}x{height!r} is not two whole numbers of pixels; "
            "give e.g. width=1600, height=1000 (--png-size 1600x1000)"
        )
    w, h = int(width), int(height)  # type: ignore[call-overload]
    if not (PNG_MIN_SIDE <= w <= PNG_MAX_SIDE and PNG_MIN_SIDE <= h <= PNG_MAX_SIDE):
        raise MapError(
            f"PNG size {w}x{h} is out of range: each side must be {PNG_MIN_SIDE}–"
            f"{PNG_MAX_SIDE:,} pixels; give e.g. --png-size 1600x1000"
        )
    if w * h > PNG_MAX_PIXELS:
        raise MapError(
            f"PNG size {w}x{h} is {w * h / 1e6:.0f} million pixels, more than the "
            f"{PNG_MAX_PIXELS / 1e6:.0f} million headless Chromium can capture reliably; "
            "give a smaller size, e.g. --png-size 4000x2500"
        )
    return w, h


def chromium_path() -> str | None:
    """The Chromium executable geoplan would use, or ``None`` when there is none."""
    candidate = os.environ.get(ENV_CHROMIUM) or "/usr/bin/chromium"
    if Path(candidate).is_file():
        return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_available() -> bool:
    """True when both Playwright and a Chromium executable are installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return chromium_path() is not None


@dataclass
class Page:
    """A Playwright page plus what it tried to fetch and what it logged."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, html_path: str | Path, *, timeout_ms: float = 60_000) -> float:
        """Open a map file and wait for its first full draw; return ``readyAt`` in ms."""
        self.page.goto(Path(html_path).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        self.page.wait_for_function(
            "window.geoplanMap && window.geoplanMap.ready", timeout=timeout_ms
        )
        return float(self.page.evaluate("window.geoplanMap.readyAt"))


class Browser:
    """One headless Chromium; :meth:`new_page` gives isolated, network-blocked pages."""

    def __init__(self) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise missing_dependency("playwright", "browser", "render maps to PNG") from exc
        exe = chromium_path()
        if exe is None:
            raise MapError(
                "no Chromium found to render the map; install Debian's `chromium` package or "
                f"set {ENV_CHROMIUM} to a Chromium executable"
            )
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=exe, args=list(CHROMIUM_ARGS), headless=True
            )
        except Exception:
            self._pw.stop()
            raise

    @contextmanager
    def new_page(self, *, width: int = 1280, height: int = 800) -> Iterator[Page]:
        """A fresh page of the given viewport size; non-local requests are aborted."""
        context = self._browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        wrapped = Page(page)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(_LOCAL_SCHEMES):
                r.continue_()
            else:
                wrapped.blocked.append(url)
                r.abort()

        context.route("**/*", route)

        def on_console(message: Any) -> None:
            if message.type == "error":
                wrapped.console_errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda e: wrapped.console_errors.append(str(e)))

        def on_dialog(d: Any) -> None:
            wrapped.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        try:
            yield wrapped
        finally:
            context.close()

    def close(self) -> None:
        """Close the browser and stop Playwright."""
        self._browser.close()
        self._pw.stop()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def map_to_png(
    html_path: str | Path,
    png_path: str | Path,
    *,
    width: int = 1600,
    height: int = 1000,
    timeout_s: float = 60.0,
) -> Path:
    """Render a saved map to a PNG image with headless Chromium.

    The page is opened with the network blocked, so an offline map renders exactly as a
    colleague without internet sees it (a map with a tile basemap shows no tiles). The
    screenshot is taken after the map's first full draw. Playwright's synchronous API
    cannot run inside a running asyncio loop, so the browser runs in a worker thread
    (this works in Jupyter too).

    Parameters
    ----------
    html_path
        A map written by :func:`geoplan.save_map` or ``geoplan map``.
    png_path
        Where to write the PNG (atomically).
    width, height
        Size of the image in pixels.
    timeout_s
        How long to wait for the page to load and draw.

    Returns
    -------
    pathlib.Path
        ``png_path``.

    Examples
    --------
    >>> import geoplan
    >>> geoplan.map_to_png("map.html", "map.png", width=1200, height=800)  # doctest: +SKIP
    PosixPath('map.png')
    """
    width, height = check_png_size(width, height)
    html_path = Path(html_path)
    if not html_path.is_file():
        raise MapError(f"map file {str(html_path)!r} does not exist; write it with save_map first")
    png_path = Path(png_path)
    if not png_path.parent.is_dir():
        raise MapError(f"cannot write {str(png_path)!r}: its folder does not exist")
    # Playwright's sync API refuses to start in a thread that runs an asyncio loop
    # (Jupyter) or already drives Playwright: give it a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        png = pool.submit(_screenshot, html_path, width, height, timeout_s).result()
    return write_bytes(png_path, png, what="map image", error=MapError)


def _screenshot(html_path: Path, width: int, height: int, timeout_s: float) -> bytes:
    with Browser() as browser, browser.new_page(width=width, height=height) as page:
        try:
            page.open(html_path, timeout_ms=timeout_s * 1000)
        except Exception as exc:
            raise MapError(
                f"map {str(html_path)!r} did not finish drawing within {timeout_s:g} s "
                f"in headless Chromium ({type(exc).__name__}); is it a geoplan map?"
            ) from exc
        _fit_legends(page.page)
        return bytes(page.page.screenshot(type="png", full_page=False))


# On screen a tall legend scrolls (max-height 60vh); an image cannot scroll, so the
# legend is shown in full, shrunk if it would not fit below the layer control and the
# 计分卡 button (about 110 px at the top right).
_FIT_LEGENDS_JS = """() => {
  for (const el of document.querySelectorAll('.geoplan-legend')) {
    el.style.maxHeight = 'none';
    el.style.overflow = 'visible';
    const room = window.innerHeight - 120;
    if (el.offsetHeight > room) { el.style.zoom = String(room / el.offsetHeight); }
  }
}"""


def _fit_legends(page: Any) -> None:
    """Show every legend row in a screenshot: no scrolling, scaled down to fit."""
    page.evaluate(_FIT_LEGENDS_JS)
