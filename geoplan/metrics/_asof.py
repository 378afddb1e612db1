"""Time travel: the layers and records as they stood on a given date.

Every dated column of the layer catalogue is evaluated against ``as_of``:

* a status column with a completion date (``status``/``completed_date``,
  ``renovation_status``/``renovation_date``...) reads ``completed`` at ``as_of`` only when the
  date is on or before it; a feature completed later reads ``under_construction`` (or
  ``planned`` when its ``start_date`` is also later);
* a flag with a date (``zone_delineated``/``zone_date``, ``packaged``/``packaged_date``,
  ``green_village``/``green_village_date``...) is true at ``as_of`` only when its date is on
  or before it;
* villages get a derived ``plan_approved`` flag from ``plan_approved_date``;
* parks opened and protection zones delineated after ``as_of`` are dropped.

**Undated completions.** The contract (docs/architecture.md) counts a feature as completed
at D when its status is completed *and* its date is on or before D, so a feature marked
completed (or flagged true) without a date is **not** counted at any ``as_of``: a figure
reported upward must be traceable to a dated piece of work, and the layer checks
(:func:`geoplan.check_layers`) already ask for the date. Such features read ``undated``
in their status column (false for a flag) and are marked in a boolean
``undated_<column>`` column, so that metrics say in their ``note`` how many were left out.

**Records.** The progress log (``records``) explains the dated columns. A record dated on or
before ``as_of`` with status ``completed`` for a feature fills the column its task logs
(:data:`RECORD_FIELDS`) when the layer has no date, and marks the feature completed when
the layer does not (the log is newer than the layer). Records dated after ``as_of`` are
ignored, so they can never move a completion earlier than the layer's own date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from .._errors import SchemaError

#: kind -> [(status column, date column)].
STATUS_FIELDS: dict[str, list[tuple[str, str]]] = {
    "greenways": [("status", "completed_date")],
    "sewage_lines": [("status", "completed_date")],
    "sewage_facilities": [("status", "completed_date")],
    "projects": [("status", "completed_date")],
    "farmhouses": [("renovation_status", "renovation_date")],
    "communities": [("renovation_status", "renovation_date")],
    "heritage_sites": [
        ("wiring_status", "wiring_date"),
        ("fire_safety_status", "fire_safety_date"),
    ],
    "water_sources": [("remediation_status", "remediation_date")],
}

#: kind -> [(bool column, date column)].
FLAG_FIELDS: dict[str, list[tuple[str, str]]] = {
    "water_sources": [("zone_delineated", "zone_date"), ("markers_installed", "markers_date")],
    "sewage_facilities": [("packaged", "packaged_date")],
    "villages": [("green_village", "green_village_date")],
}

#: kind -> date column after which a feature did not exist yet.
EXISTS_FROM: dict[str, str] = {"parks": "opened_date", "protection_zones": "delineated_date"}


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms]")
    return pd.to_datetime(frame[col], errors="coerce")


def records_as_of(records: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame | None:
    """Return the records dated on or before ``as_of`` (undated records are dropped)."""
    if records is None:
        return None
    missing = sorted({"task_id", "layer", "feature_id", "date", "status"} - set(records.columns))
    if missing:
        raise SchemaError(
            f"records lack column(s) {missing}; read the progress log with "
            "geoplan.read_records(...), which maps Chinese headers to these names"
        )
    dates = pd.to_datetime(records["date"], errors="coerce")
    return records.loc[dates.notna() & (dates <= pd.Timestamp(as_of))].copy()


#: (kind, task id) -> (column, date column, "status" | "flag" | "date") a completed record
#: of that task fills. Heritage (task 16: wiring and 三防) and water sources (task 21:
#: zone, markers, remediation) log several steps under one task, so their records are not
#: applied: their layers' own dated columns decide.
RECORD_FIELDS: dict[tuple[str, int], tuple[str, str, str]] = {
    ("greenways", 9): ("status", "completed_date", "status"),
    ("sewage_lines", 8): ("status", "completed_date", "status"),
    ("projects", 31): ("status", "completed_date", "status"),
    ("farmhouses", 18): ("renovation_status", "renovation_date", "status"),
    ("communities", 5): ("renovation_status", "renovation_date", "status"),
    ("sewage_facilities", 20): ("packaged", "packaged_date", "flag"),
    ("villages", 22): ("green_village", "green_village_date", "flag"),
    ("villages", 17): ("plan_approved_date", "plan_approved_date", "date"),
    ("parks", 9): ("opened_date", "opened_date", "date"),
}


def _apply_records(frame: pd.DataFrame, kind: str, records: pd.DataFrame) -> pd.DataFrame:
    if "id" not in frame:
        return frame
    done = records.loc[(records["layer"] == kind) & (records["status"] == "completed")]
    for task, recs in done.groupby("task_id"):
        field_spec = RECORD_FIELDS.get((kind, int(task)))
        if field_spec is None:
            continue
        column, date_col, how = field_spec
        first = recs.sort_values("date").groupby("feature_id")["date"].first()
        when = pd.to_datetime(frame["id"].astype(str).map(first), errors="coerce")
        has = when.notna()
        dates = _dates(frame, date_col)
        frame[date_col] = dates.where(dates.notna() | ~has, when).astype("datetime64[ms]")
        if how == "status" and column in frame:
            frame[column] = frame[column].where(~has, "completed")
        elif how == "flag" and column in frame:
            frame[column] = frame[column].fillna(False).astype(bool) | has
    return frame


def _status_as_of(
    status: pd.Series, dates: pd.Series, starts: pd.Series | None, day: pd.Timestamp
) -> tuple[pd.Series | None, np.ndarray]:
    """Re-label a status column as of ``day``; return (new column or None, undated mask).

    Works on the codes of one factorisation rather than on the strings: at a million
    farmhouses a masked string assignment costs ~20 ms, the codes well under 1 ms. The new
    column is a categorical with the same labels (None when nothing changes).
    """
    codes, uniques = pd.factorize(status)  # missing status: code -1
    cats = [str(u) for u in uniques]
    if "completed" not in cats:
        return None, np.zeros(len(status), dtype=bool)
    done = codes == cats.index("completed")
    later = done & (dates > day).to_numpy()
    undated = done & dates.isna().to_numpy()
    if not (later.any() or undated.any()):
        return None, undated
    for label in ("undated", "under_construction", "planned"):
        if label not in cats:
            cats.append(label)
    codes = codes.copy()
    codes[undated] = cats.index("undated")
    codes[later] = cats.index("under_construction")
    if starts is not None:  # work started later too: it was only planned
        codes[later & (starts > day).to_numpy()] = cats.index("planned")
    new = pd.Categorical.from_codes(codes, cats)
    return pd.Series(new, index=status.index, name=status.name), undated


def layer_as_of(kind: str, layer: Any, as_of: dt.date, records: pd.DataFrame | None = None) -> Any:
    """Return one layer as it stood on ``as_of`` (see the module docstring).

    The result is a new frame sharing the layer's unchanged columns (pandas copy-on-write:
    the caller's layer is never modified); status columns that change come back as
    categoricals with the same labels.
    """
    frame = layer.copy(deep=False)
    day = pd.Timestamp(as_of)
    if records is not None and len(records):
        frame = _apply_records(frame, kind, records)
    if kind in EXISTS_FROM:
        dates = _dates(frame, EXISTS_FROM[kind])
        gone = (dates > day).to_numpy()
        if gone.any():
            frame = frame.loc[~gone]
    for status_col, date_col in STATUS_FIELDS.get(kind, []):
        if status_col not in frame:
            continue
        starts = _dates(frame, "start_date") if "start_date" in frame else None
        new, undated = _status_as_of(frame[status_col], _dates(frame, date_col), starts, day)
        frame[f"undated_{status_col}"] = undated
        if new is not None:
            frame[status_col] = new
    for flag_col, date_col in FLAG_FIELDS.get(kind, []):
        if flag_col not in frame:
            continue
        dates = _dates(frame, date_col)
        flag = frame[flag_col].fillna(False).astype(bool)
        frame[f"undated_{flag_col}"] = flag & dates.isna()
        frame[flag_col] = flag & (dates <= day)
    if kind == "villages" and "plan_approved_date" in frame:
        frame["plan_approved"] = _dates(frame, "plan_approved_date") <= day
    return frame


#: The relabelled layers of the current :func:`as_of_cache` block (None outside one).
_CACHE: ContextVar[dict[Any, Any] | None] = ContextVar("geoplan_as_of_cache", default=None)


@contextlib.contextmanager
def as_of_cache(store: dict[Any, Any] | None = None) -> Iterator[dict[Any, Any]]:
    """Within the block, relabel each (layer, records, date) once.

    A scorecard computes dozens of metrics, many on the same layer at the same dates
    (the as-of date, the plan start, each deadline): relabelling the layer once per date
    instead of once per metric saves most of the time of the metrics that are otherwise
    a few NumPy operations (village plan share, farmhouse renovation rate...). Entries
    are keyed by the identity of the layer and records objects and keep a reference to
    them, so a new or replaced layer is relabelled afresh; each metric receives its own
    shallow copy, so adding a column in a metric does not leak into the next one. Pass
    ``store`` (a dict) to keep the cache across several blocks of one run.
    """
    outer = _CACHE.get()
    if outer is not None and store is None:  # nested: the outer block's cache serves
        yield outer
        return
    token = _CACHE.set({} if store is None else store)
    try:
        yield _CACHE.get()  # type: ignore[misc]
    finally:
        _CACHE.reset(token)


def _cached(cache: dict[Any, Any], key: tuple[Any, ...], inputs: tuple[Any, ...], make: Any) -> Any:
    hit = cache.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], inputs, strict=True)):
        hit = (inputs, make())
        cache[key] = hit
    return hit[1]


def layers_as_of(
    layers: Mapping[str, Any], records: pd.DataFrame | None, as_of: dt.date
) -> dict[str, Any]:
    """Return every layer as it stood on ``as_of``, with the log applied.

    Inside an :func:`as_of_cache` block each layer is relabelled once per date.
    """
    cache = _CACHE.get()
    if cache is None:
        recs = records_as_of(records, as_of)
        return {kind: layer_as_of(kind, layer, as_of, recs) for kind, layer in layers.items()}
    recs = _cached(
        cache, ("records", id(records), as_of), (records,), lambda: records_as_of(records, as_of)
    )
    out = {}
    for kind, layer in layers.items():
        frame = _cached(
            cache,
            (kind, id(layer), id(records), as_of),
            (layer, records),
            lambda kind=kind, layer=layer: layer_as_of(kind, layer, as_of, recs),
        )
        out[kind] = frame.copy(deep=False)
    return out
