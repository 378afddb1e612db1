"""One way to turn what a user passes as a date into a :class:`datetime.date`.

Python callers pass ``datetime.date``, ``datetime.datetime``, ``pandas.Timestamp``,
``numpy.datetime64`` or an ISO string; the command line passes strings. Every API that
takes a date (``as_of``, ``valid_from``) goes through :func:`as_date`, so they accept and
refuse the same things with the same message. Columns of dates in layers and logs are
parsed by :func:`geoplan.layers._values.parse_dates`, which knows the written forms
(2022/3/15, 2022年3月, Excel serials).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .._errors import GeoplanError, SchemaError


def as_date(value: Any, name: str, *, error: type[GeoplanError] = SchemaError) -> dt.date | None:
    """Return ``value`` as a date; None stays None.

    Parameters
    ----------
    value
        A date, datetime (its own calendar day), pandas Timestamp, numpy datetime64 or a
        ``YYYY-MM-DD`` string.
    name
        How the message names the value (``"as_of"``).
    error
        The geoplan error class to raise for a value that is not a date.

    Examples
    --------
    >>> as_date("2025-12-31", "as_of")
    datetime.date(2025, 12, 31)
    >>> import pandas as pd
    >>> as_date(pd.Timestamp("2025-12-31 18:00"), "as_of")
    datetime.date(2025, 12, 31)
    """
    if value is None:
        return None
    if type(value).__name__ == "datetime64":  # numpy, without importing it
        import pandas as pd

        value = pd.Timestamp(value)
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise error(
                f"{name} {value!r} is not a date (not an ISO date); write it as YYYY-MM-DD, "
                "e.g. 2025-12-31"
            ) from None
    if isinstance(value, dt.datetime):  # pandas.Timestamp too
        if value == value:  # NaT is a datetime that differs from itself
            return value.date()
    elif isinstance(value, dt.date):
        return value
    raise error(
        f"{name} {value!r} ({type(value).__name__}) is not a date; pass a datetime.date or a "
        "YYYY-MM-DD string, e.g. '2025-12-31'"
    )
