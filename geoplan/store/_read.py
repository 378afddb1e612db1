"""Reading the planning database back into GeoDataFrames, DataFrames and a Plan."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from ..catalogue import LAYER_KINDS
from ._backends import SRID, Backend
from ._load import check_kind, q
from ._models import (
    LAYER_TABLES,
    LEDGER_COLUMNS,
    RECORD_COLUMNS,
    SNAPSHOT_COLUMNS,
    layer_columns,
    plan_meta,
    plan_sections,
    plan_unit_duties,
    quantities,
    targets,
    tasks,
)


def typed_frame(rows: Sequence[Any], columns: dict[str, str]) -> pd.DataFrame:
    """Build a DataFrame with the dtypes geoplan uses for each catalogue type.

    ``int`` -> int64 (Int64 when values are missing), ``float`` -> float64, ``bool`` ->
    bool (pandas ``boolean`` when values are missing), ``date`` -> datetime64[ms] with NaT,
    text -> object with ``None``.
    """
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for name, kind in columns.items():
        s = frame[name]
        if kind == "int":
            s = pd.to_numeric(s).astype("Int64")
            frame[name] = s.astype("int64") if s.notna().all() else s
        elif kind == "float":
            frame[name] = pd.to_numeric(s).astype("float64")
        elif kind == "bool":
            s = s.astype("boolean")
            frame[name] = s.astype(bool) if s.notna().all() else s
        elif kind == "date":
            frame[name] = pd.to_datetime(s).astype("datetime64[ms]")
        else:
            frame[name] = s.astype(object).where(s.notna(), None)
    return frame


def _params(backend: Backend, as_of: dt.date) -> dict[str, Any]:
    return {"d": as_of.isoformat() if backend.is_gpkg else as_of}


def read_layer(
    conn: Connection, backend: Backend, kind: str, *, as_of: dt.date | None = None
) -> Any:
    """Read one layer, current or as it stood at the end of ``as_of``."""
    import geopandas as gpd

    check_kind(kind)
    current, history = LAYER_TABLES[kind]
    t, h = q(conn, current.name), q(conn, history.name)
    columns = layer_columns(kind)
    names = ", ".join(q(conn, c) for c in columns)
    select_current = f"SELECT {names}, {backend.wkb('geom')} AS geom_wkb, fid AS ord FROM {t}"
    if as_of is None:
        sql, params = f"{select_current} ORDER BY ord", {}
    else:
        # A feature's first recorded version also stands for the time before it was
        # recorded (its dated columns say what had happened by then); every later version
        # counts from the date it was loaded.
        hist_names = ", ".join(f"h.{q(conn, c)}" for c in columns)
        sql = (
            f"{select_current} WHERE valid_from <= :d "
            f"OR NOT EXISTS (SELECT 1 FROM {h} AS e WHERE e.id = {t}.id) UNION ALL "
            # a deleted feature has only history: it sorts after the current ones
            f"SELECT {hist_names}, {backend.wkb('h.geom')}, "
            f"COALESCE(t.fid, 1000000000000 + h.fid) FROM {h} AS h "
            f"LEFT JOIN {t} AS t ON t.id = h.id WHERE h.valid_to > :d AND (h.valid_from <= :d "
            f"OR NOT EXISTS (SELECT 1 FROM {h} AS e WHERE e.id = h.id AND (e.valid_from < "
            "h.valid_from OR (e.valid_from = h.valid_from AND e.fid < h.fid)))) "
            "ORDER BY ord"
        )
        params = _params(backend, as_of)
    rows = conn.execute(text(sql), params).all()
    frame = typed_frame([r[:-2] for r in rows], columns)
    geoms = backend.geometries([r[-2] for r in rows])
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=SRID), crs=SRID)


def read_layers(
    conn: Connection,
    backend: Backend,
    *,
    as_of: dt.date | None = None,
    kinds: list[str] | None = None,
) -> dict[str, Any]:
    """Read layers; without ``kinds``, every kind that holds features at that date."""
    wanted = list(LAYER_KINDS) if kinds is None else [check_kind(k) for k in kinds]
    layers = {kind: read_layer(conn, backend, kind, as_of=as_of) for kind in wanted}
    if kinds is None:
        layers = {k: v for k, v in layers.items() if len(v)}
    return layers


def _rows(
    conn: Connection,
    backend: Backend,
    table: str,
    columns: list[str],
    where: str,
    as_of: dt.date | None,
) -> Sequence[Any]:
    """Rows of a plain table in load order, filtered by ``where`` (with ``:d``) at ``as_of``."""
    sql = f"SELECT {', '.join(q(conn, c) for c in columns)} FROM {q(conn, table)}"
    params: dict[str, Any] = {}
    if as_of is not None:
        sql += f" WHERE {where}"
        params = _params(backend, as_of)
    return conn.execute(text(sql + " ORDER BY fid"), params).all()


def read_records(conn: Connection, backend: Backend, *, as_of: dt.date | None = None) -> Any:
    """Read the progress log (records dated on or before ``as_of`` when given).

    The ledger columns (``target_index``, ``reporter``, ``town``, ``name``) come back when
    some stored record has a value in them, as :func:`geoplan.records.read_records` gives
    them only for a ledger that has them.
    """
    rows = _rows(conn, backend, "records", list(RECORD_COLUMNS), "date <= :d", as_of)
    frame = typed_frame(rows, RECORD_COLUMNS)
    empty = [c for c in LEDGER_COLUMNS if frame[c].isna().all()]
    return frame.drop(columns=empty)


def read_snapshots(conn: Connection, backend: Backend, *, as_of: dt.date | None = None) -> Any:
    """Read stored metric snapshots (one as-of date, or all)."""
    columns = [*SNAPSHOT_COLUMNS, "created_at"]
    rows = _rows(conn, backend, "metric_snapshots", columns, "as_of = :d", as_of)
    frame = typed_frame([r[:-1] for r in rows], SNAPSHOT_COLUMNS)
    # GeoPackage date-times are UTC text ending in Z; PostGIS returns naive UTC timestamps
    stamps = pd.to_datetime([r[-1] for r in rows], utc=True)
    frame["created_at"] = stamps.tz_localize(None) if len(rows) else stamps
    return frame


def read_plan_dict(conn: Connection) -> dict[str, Any] | None:
    """Read the plan register as the JSON shape of ``Plan.to_dict()`` (None if empty)."""
    meta = conn.execute(select(plan_meta)).mappings().first()
    if meta is None:
        return None
    all_targets = conn.execute(select(targets).order_by(targets.c.task_id, targets.c.target_index))
    by_target: dict[int, list[dict[str, Any]]] = {}
    for qty in conn.execute(
        select(quantities).order_by(quantities.c.target_key, quantities.c.quantity_index)
    ).mappings():
        by_target.setdefault(qty["target_key"], []).append(
            {
                "value": qty["value"],
                "unit": qty["unit"],
                "comparator": qty["comparator"],
                "qualifiers": json.loads(qty["qualifiers"]),
            }
        )
    by_task: dict[int | None, list[dict[str, Any]]] = {}
    for tgt in all_targets.mappings():
        by_task.setdefault(tgt["task_id"], []).append(
            {
                "year": tgt["year"],
                "deadline": _iso(tgt["deadline"]),
                "text": tgt["text"],
                "quantities": by_target.get(tgt["target_key"], []),
                "year_from": tgt["year_from"],
                "year_source": tgt["year_source"],
            }
        )
    duties = conn.execute(
        select(plan_unit_duties.c.unit, plan_unit_duties.c.duties).order_by(
            plan_unit_duties.c.position
        )
    ).all()
    return {
        "meta": {
            "title": meta["title"],
            "doc_number": meta["doc_number"],
            "issuer": meta["issuer"],
            "date": _iso(meta["date"]),
            "index_number": meta["index_number"],
        },
        "goals": by_task.get(None, []),
        "sections": [
            {k: v for k, v in row.items() if k not in ("position", "fid")}
            for row in conn.execute(select(plan_sections).order_by(plan_sections.c.position))
            .mappings()
            .all()
        ],
        "tasks": [
            {
                "id": row["id"],
                "title": row["title"],
                "section": row["section"],
                "text": row["text"],
                "units": json.loads(row["units"]),
                "targets": by_task.get(row["id"], []),
            }
            for row in conn.execute(select(tasks).order_by(tasks.c.id)).mappings()
        ],
        **({"unit_duties": {unit: duty for unit, duty in duties}} if duties else {}),
    }


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def plan_from_dict(data: dict[str, Any]) -> Any:
    """Rebuild a :class:`geoplan.plan.Plan` from its JSON shape."""
    from ..plan import Plan, PlanMeta, Quantity, Section, Target, Task

    def date(value: str | None) -> dt.date | None:
        return None if value is None else dt.date.fromisoformat(value)

    def target(t: dict[str, Any]) -> Any:
        return Target(
            year=t["year"],
            deadline=date(t["deadline"]),
            text=t["text"],
            quantities=[Quantity(**qty) for qty in t["quantities"]],
            year_from=t["year_from"],
            year_source=t.get("year_source"),
        )

    meta = dict(data["meta"], date=date(data["meta"]["date"]))
    return Plan(
        meta=PlanMeta(**meta),
        goals=[target(t) for t in data["goals"]],
        sections=[Section(**s) for s in data["sections"]],
        tasks=[
            Task(
                **{k: v for k, v in t.items() if k != "targets"},
                targets=[target(x) for x in t["targets"]],
            )
            for t in data["tasks"]
        ],
        unit_duties=dict(data.get("unit_duties") or {}),
    )


def read_plan_json(path: str | os.PathLike[str]) -> Any:
    """Read a register that ``geoplan db dump`` wrote (``plan.json``) as a Plan.

    Raises StoreError naming the file when it is not such a register.
    """
    from .._errors import StoreError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return plan_from_dict(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise StoreError(
            f"{path} is not a plan register written by `geoplan db dump` ({exc!s}); pass "
            "that plan.json, or the plan document itself (.txt, .docx, .pdf, .html)"
        ) from None


def read_snapshots_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the ``metric_snapshots.csv`` that ``geoplan db dump`` wrote, for loading back.

    Raises StoreError naming the file when it cannot be read or has no ``as_of`` column.
    """
    from .._errors import StoreError

    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=object, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the snapshots file {path}: {exc}") from None
    if "as_of" not in frame.columns:
        raise StoreError(
            f"{path} has no as_of column, so it is not the metric_snapshots.csv of "
            "`geoplan db dump`; pass that file"
        )
    from .._common.cells import FORMULA_STARTS

    # the dump wrote formula-like text with a leading ' (see geoplan._common.cells)
    for column in frame.columns:
        text_ = frame[column]
        escaped = text_.str.startswith("'") & text_.str[1:2].isin(FORMULA_STARTS)
        frame[column] = text_.where(~escaped, text_.str[1:])
    frame = frame.replace("", None)
    if "definition" in frame.columns:  # the scorecard writes "" for a row with none
        frame["definition"] = frame["definition"].fillna("")
    return frame
