"""Tooltip/popup fields and the safe embedding of data in the page.

Feature attributes come from spreadsheets typed by many people, so they are treated as
untrusted text: they travel to the page as JSON inside ``<script type="application/json">``
with ``<``, ``>``, ``&`` and U+2028/U+2029 escaped (nothing can close the script element or
start markup), and ``geoplan.js`` inserts them with ``textContent`` only. Task links are
built in the page from task numbers that match ``^\\d+$``; no attribute value ever becomes
a URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .._common.labels import WORK_STATUS_LABELS as STATUS_LABELS
from ..catalogue import LAYER_KINDS
from ._style import KIND_STYLES

#: Columns whose text is shown in popups as the feature's note, if a layer has one.
NOTE_COLUMNS: tuple[str, ...] = ("note", "notes", "remark", "备注")

#: At most this many of a layer's own columns (outside the catalogue) shown in popups.
MAX_EXTRA_COLUMNS = 12

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(data: Any) -> str:
    """Serialise ``data`` for a ``<script type="application/json">`` element.

    The result is valid JSON in which no character sequence can end the script element
    or be read as HTML (``</script>``, ``<!--``), and which is also a valid JavaScript
    literal (U+2028/U+2029 escaped).
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _JSON_ESCAPES.items():  # str.replace is ~10x faster than translate
        text = text.replace(char, escape)
    return text


def _text(series: pd.Series) -> list[str]:
    return series.astype("string").fillna("").str.strip().tolist()


def feature_props(kind: str, frame: pd.DataFrame) -> dict[str, list[str]]:
    """Per-feature text shown in tooltips and popups, one list per field.

    Fields: ``name``, ``id``, ``tasks`` (the ``task_ids`` column as written), ``status``
    (Chinese label), ``year`` (of the kind's date column), ``note`` when present, and
    ``x:<header>`` for each of the layer's own columns outside the catalogue (at most
    :data:`MAX_EXTRA_COLUMNS`), shown in popups as ``header：value``.
    Empty fields are omitted from the page to keep it small.
    """
    props: dict[str, list[str]] = {}
    for key, col in (("name", "name"), ("id", "id"), ("tasks", "task_ids")):
        if col in frame.columns:
            props[key] = _text(frame[col])
    spec = KIND_STYLES.get(kind)
    if spec is not None and spec.status and spec.status in frame.columns:
        codes = frame[spec.status].astype("string").fillna("")
        props["status"] = codes.map(STATUS_LABELS).fillna(codes).tolist()
    elif kind == "protection_zones" and "level" in frame.columns:
        labels = KIND_STYLES["protection_zones"].labels
        codes = frame["level"].astype("string").fillna("")
        props["status"] = codes.map(labels).fillna(codes).tolist()
    if spec is not None and spec.date and spec.date in frame.columns:
        dates = pd.to_datetime(frame[spec.date], errors="coerce")
        props["year"] = dates.dt.year.astype("Int64").astype("string").fillna("").tolist()
    elif "built_year" in frame.columns:
        props["year"] = _text(frame["built_year"].astype("Int64"))
    for col in NOTE_COLUMNS:
        if col in frame.columns:
            props["note"] = _text(frame[col])
            break
    # the planner's own columns, kept by validation, under "x:<header>" in column order
    known = {c.name for c in LAYER_KINDS[kind].columns} if kind in LAYER_KINDS else set()
    geometry = getattr(frame, "_geometry_column_name", None)
    extra = [
        c
        for c in frame.columns
        if c not in known and c != geometry and c not in NOTE_COLUMNS and isinstance(c, str)
    ]
    for col in extra[:MAX_EXTRA_COLUMNS]:
        props[f"x:{col}"] = _text(frame[col])
    return {k: v for k, v in props.items() if any(v)}


def task_titles(plan: Any, task_ids: Iterable[str]) -> dict[str, str]:
    """Titles of the tasks that features serve, from a :class:`geoplan.plan.Plan`.

    Task numbers that the plan does not have are left out (the page then shows
    "任务 N" without a title) rather than failing the whole map.
    """
    if plan is None:
        return {}
    by_id = {str(t.id): str(t.title) for t in plan.tasks}
    wanted = {t.strip() for ids in task_ids for t in str(ids).split(",") if t.strip()}
    return {t: by_id[t] for t in sorted(wanted) if t in by_id}


def scorecard_rows(scorecard: pd.DataFrame) -> list[dict[str, str]]:
    """Rows of the scorecard panel: task, metric, scope, value with unit, target, status."""
    missing = [c for c in ("task_id", "metric", "value") if c not in scorecard.columns]
    if missing:
        from .._errors import MapError

        raise MapError(
            f"scorecard lacks column(s) {missing}; pass the DataFrame returned by "
            "geoplan.scorecard(...)"
        )
    sc = scorecard.reset_index(drop=True)

    def col(name: str) -> pd.Series:
        return sc[name] if name in sc.columns else pd.Series("", index=sc.index)

    from .._common.labels import format_number, format_target

    # written as the report writes them: 76.5%, ≥ 10.0 公里, 10,000 套 (one row per target)
    unit = col("unit").astype(object).where(col("unit").notna(), None)
    target_unit = col("target_unit").astype(object)
    target_unit = target_unit.where(target_unit.notna(), unit)
    value = [
        "" if pd.isna(v) else format_number(v, u)
        for v, u in zip(pd.to_numeric(sc["value"], errors="coerce"), unit, strict=True)
    ]
    target = [
        "" if pd.isna(t) else format_target(t, u, c)
        for t, u, c in zip(
            pd.to_numeric(col("target"), errors="coerce"),
            target_unit,
            col("comparator"),
            strict=True,
        )
    ]
    from ..metrics import metric_label  # here: maps of layers alone skip the metrics

    frame = pd.DataFrame(
        {
            "task_id": pd.to_numeric(sc["task_id"], errors="coerce")
            .astype("Int64")
            .astype("string")
            .fillna(""),
            "metric": col("metric").astype("string").fillna("").map(metric_label),
            "scope": col("scope").astype("string").fillna(""),
            "value": value,
            "target": target,
            "status": col("status").astype("string").fillna(""),
        }
    )
    frame = frame[frame["task_id"] != ""]
    order = pd.to_numeric(frame["task_id"]).argsort(kind="stable")
    return frame.iloc[order].to_dict(orient="records")
