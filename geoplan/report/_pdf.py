"""Print the report to PDF with headless Chromium (Playwright driving the system browser).

geoplan never downloads a browser: it uses the Chromium or Chrome already on the machine
(``/usr/bin/chromium`` on Debian; set ``GEOPLAN_CHROMIUM`` to point elsewhere).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .._errors import ReportError, missing_dependency
from .._settings import logger

#: Environment variable naming the Chromium/Chrome executable to print with.
ENV_CHROMIUM = "GEOPLAN_CHROMIUM"

#: Flags for a quiet, offline headless browser.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """Return the path of a Chromium/Chrome executable, or None when there is none."""
    configured = os.environ.get(ENV_CHROMIUM)
    if configured:
        return configured if Path(configured).is_file() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str]) -> Path:
    """Print an HTML file to an A4 PDF with headless Chromium; the write is atomic.

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
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise missing_dependency("playwright", "browser", "print the report to PDF") from exc
    executable = find_chromium()
    if executable is None:
        raise ReportError(
            "cannot print the report to PDF: no Chromium or Chrome found; install one "
            f"(`apt-get install chromium`) or set {ENV_CHROMIUM} to its path"
        )
    source = Path(html_path).resolve()
    target = Path(pdf_path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.resolve().parent
    )
    os.close(fd)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page()
                page.goto(source.as_uri(), wait_until="load")
                page.emulate_media(media="print")
                page.pdf(path=tmp, format="A4", print_background=True, prefer_css_page_size=True)
            finally:
                browser.close()
        os.replace(tmp, target)
    except PlaywrightError as exc:
        raise ReportError(
            f"headless Chromium ({executable}) could not print {source}: {exc}"
        ) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    logger.info("report printed to %s", target)
    return target
