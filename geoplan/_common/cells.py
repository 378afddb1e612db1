"""Cells that a spreadsheet would run as a formula, made inert (OWASP's CSV-injection rule).

Every CSV and Excel file geoplan writes passes its text through :func:`escape_cell` or
:func:`escape_frame`: a text value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'``, so Excel, WPS and LibreOffice show it as text
instead of evaluating ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0``. Numbers are never
touched (a negative number is a number, not a formula), nor are dates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` if it is text a spreadsheet would evaluate.

    Examples
    --------
    >>> escape_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> escape_cell("洛阳镇"), escape_cell(-5)
    ('洛阳镇', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with :func:`escape_cell` applied to every text cell.

    Column names are escaped too: a header is a cell like any other.
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("string", "str"):
            out[column] = out[column].map(escape_cell)
    out.columns = [escape_cell(c) for c in out.columns]
    return out
