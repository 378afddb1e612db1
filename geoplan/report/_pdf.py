"""Print the report to PDF with headless Chromium (Playwright driving the system browser).

geoplan never downloads a browser: it uses the Chromium already on the machine
(``/usr/bin/chromium`` on Debian; set ``GEOPLAN_CHROMIUM`` to point elsewhere), through the
same network-blocked browser that renders map images (:mod:`geoplan.maps`).
"""

from __future__ import annotations

import os
from pathlib import Path

from .._common.atomic import atomic_path
from .._errors import ReportError, missing_dependency
from ..maps._browser import ENV_CHROMIUM, Browser, chromium_path
from ..settings import logger


def html_to_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str]) -> Path:
    """Print an HTML file to an A4 PDF with headless Chromium; the write is atomic.

    The page is opened with the network blocked, as a colleague on an intranet would see it.

    Parameters
    ----------
    html_path
        The report (or any offline HTML file).
    pdf_path
        Where to write the PDF.

    Returns
    -------
    Path
        ``pdf_path``.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError as exc:
        raise missing_dependency("playwright", "browser", "print the report to PDF") from exc
    if chromium_path() is None:
        raise ReportError(
            "cannot print the report to PDF: no Chromium found; install Debian's `chromium` "
            f"package (or Chrome) or set {ENV_CHROMIUM} to its path"
        )
    source = Path(html_path).resolve()
    target = Path(pdf_path)
    try:
        with (
            atomic_path(target, what="PDF", error=ReportError) as tmp,
            Browser() as browser,
            browser.new_page() as page,
        ):
            page.page.goto(source.as_uri(), wait_until="load")
            page.page.emulate_media(media="print")
            page.page.pdf(path=tmp, format="A4", print_background=True, prefer_css_page_size=True)
            if page.blocked:
                logger.warning("report PDF: blocked %d network requests", len(page.blocked))
    except PlaywrightError as exc:
        raise ReportError(f"headless Chromium could not print {source}: {exc}") from exc
    logger.info("report printed to %s", target)
    return target
