"""The scorecard as files: one CSV and one JSON writer for the command line and the demo.

CSV is for a spreadsheet: statuses in Chinese (已达标 …) with the code in ``status_code``
beside them, and every cell Excel would run as a formula escaped. JSON keeps the codes,
with dates as ISO strings and NaN/NaT/NA as null.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from .._common.cells import escape_frame
from .._common.labels import SCORE_STATUS_LABELS


def jsonable(value: Any) -> Any:
    """A cell as JSON can hold it: None for NaN, NaT and NA; dates as ``YYYY-MM-DD``.

    Examples
    --------
    >>> jsonable(float("nan")), jsonable(pd.Timestamp("2025-12-31 08:00")), jsonable(3)
    (None, '2025-12-31', 3)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()[:10]
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return value


def scorecard_to_json(frame: pd.DataFrame) -> str:
    """Rows as a JSON list of objects (NaN and NaT as null, dates as ISO strings)."""
    rows = [{k: jsonable(v) for k, v in rec.items()} for rec in frame.to_dict("records")]
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def scorecard_to_csv(card: pd.DataFrame) -> str:
    """The scorecard as CSV for a spreadsheet (see the module docstring)."""
    out = card.copy()
    if "status" in out:
        out.insert(out.columns.get_loc("status") + 1, "status_code", out["status"])
        out["status"] = out["status"].map(lambda s: SCORE_STATUS_LABELS.get(str(s), s))
    return escape_frame(out).to_csv(index=False)
