"""The progress log: task records, their validation against the plan and layers, and joins.

A record is one piece of work the bureau logged: a greenway segment finished, a village
plan approved, a water source's protection zone delineated. Columns (the contract in
``docs/architecture.md``):

=============  =================  ====================================================
column         Chinese header     type
=============  =================  ====================================================
record_id      记录编号           str, unique
task_id        任务编号           int, a task number of the plan register
layer          图层               layer kind (``greenways``; the label 福道 is accepted)
feature_id     要素编号           str, the ``id`` of the feature; may be empty
date           日期               date (the written forms of :func:`parse_dates`)
status         状态               planned 计划 / under_construction 在建 / completed 已完成
quantity       数量               float, may be empty
unit           单位               str
note           备注               str
lon, lat       经度, 纬度         optional WGS84 degrees, for records without feature_id
=============  =================  ====================================================

Examples
--------
>>> import geoplan
>>> records = geoplan.load_sample_records()
>>> records.columns[:5].tolist()
['record_id', 'task_id', 'layer', 'feature_id', 'date']
"""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Mapping
from io import StringIO
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._common.text import binary_kind, decode_bytes
from .._errors import DataReadError, RecordsError
from ..catalogue import KIND_NAMES, STATUS_LABELS, Column, kind_for_name
from ..layers._validate import CheckReport, Issue, Level
from ..layers._values import map_vocabulary, parse_dates, to_text
from ..settings import STORAGE_CRS

logger = logging.getLogger(__name__)

#: Columns of a records table, in order.
RECORD_COLUMNS = (
    "record_id",
    "task_id",
    "layer",
    "feature_id",
    "date",
    "status",
    "quantity",
    "unit",
    "note",
    "lon",
    "lat",
)
#: Columns a records file must have.
REQUIRED_COLUMNS = ("record_id", "task_id", "layer", "date", "status")
#: Headers accepted for each column (matched without case and surrounding spaces).
HEADER_ALIASES: dict[str, str] = {
    "记录编号": "record_id",
    "记录号": "record_id",
    "序号": "record_id",
    "任务编号": "task_id",
    "任务号": "task_id",
    "任务": "task_id",
    "图层": "layer",
    "图层类型": "layer",
    "kind": "layer",
    "要素编号": "feature_id",
    "要素id": "feature_id",
    "日期": "date",
    "完成日期": "date",
    "状态": "status",
    "数量": "quantity",
    "工程量": "quantity",
    "单位": "unit",
    "备注": "note",
    "说明": "note",
    "经度": "lon",
    "lng": "lon",
    "longitude": "lon",
    "纬度": "lat",
    "latitude": "lat",
}
_STATUS = Column("status", "status", "状态", True, dict(STATUS_LABELS))
_LON, _LAT = (73.0, 136.0), (3.0, 54.0)  # China, generously: catches metres and swapped axes


def read_records(path: str | os.PathLike[str], *, encoding: str | None = None) -> pd.DataFrame:
    """Read the progress log from a CSV file or the ``records`` table of a GeoPackage.

    Parameters
    ----------
    path
        A ``.csv`` file (UTF-8, UTF-8 with BOM, or GB18030/GBK as Excel in China saves
        it; detected, the codec used is logged and kept in ``attrs["geoplan_encoding"]``)
        or a ``.gpkg`` with a ``records`` table.
    encoding
        Force a text encoding for a CSV, e.g. ``"gbk"``.

    Returns
    -------
    pandas.DataFrame
        The columns in :data:`RECORD_COLUMNS`, typed: ``task_id`` int64, ``date``
        ``datetime64[ms]``, ``quantity``/``lon``/``lat`` float (NaN when empty),
        ``feature_id`` ``None`` when empty. Chinese headers are mapped; extra columns kept.

    Raises
    ------
    DataReadError
        The file is missing, empty or in no known encoding.
    RecordsError
        Listing every bad cell: missing column, unknown layer kind or status, unreadable
        task id, date, quantity or coordinates, duplicate record ids.

    Examples
    --------
    >>> import geoplan
    >>> records = geoplan.read_records(geoplan.datasets.data_path("taishang_records.csv"))
    >>> records.loc[0, ["layer", "status"]].tolist(), int(records.loc[0, "task_id"])
    (['parks', 'completed'], 9)
    """
    path = Path(path)
    if not path.is_file():
        raise DataReadError(f"records file `{path}` does not exist; check the path")
    if path.suffix.lower() == ".gpkg":
        from ..io import read_file

        frame = pd.DataFrame(read_file(path, layer="records")).astype(object)
        frame = frame.where(frame.notna(), "")
        used = "utf-8"
    else:
        frame, used = _read_csv(path, encoding)
    frame = _normalise(frame, str(path))
    frame.attrs["geoplan_source"] = str(path)
    frame.attrs["geoplan_encoding"] = used
    return frame


def validate_records(
    records: pd.DataFrame,
    *,
    plan: Any = None,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
) -> CheckReport:
    """Check records against the plan register and the layers; report orphans.

    Parameters
    ----------
    records
        As returned by :func:`read_records`.
    plan
        A :class:`~geoplan.Plan` (or a path/text for :func:`~geoplan.parse_plan`): task ids
        not in ``plan.tasks`` are errors naming the records and the valid range.
    layers
        Kind -> layer (as from :func:`~geoplan.read_layers`): feature ids not in their
        layer, and records of a kind that is not loaded, are errors.

    Returns
    -------
    CheckReport
        Issues of the ``records`` table; ``report.raise_for_errors(RecordsError)`` raises.

    Examples
    --------
    >>> import geoplan
    >>> plan, layers = geoplan.load_sample_plan(), geoplan.load_sample()
    >>> report = geoplan.validate_records(geoplan.load_sample_records(), plan=plan, layers=layers)
    >>> report.ok
    True
    """
    source = records.attrs.get("geoplan_source", "records")
    report = CheckReport(source, features={"records": len(records)})
    rid = records["record_id"].astype(str)

    def add(level: Level, column: str, message: str, fix: str, mask: pd.Series) -> None:
        report.issues.append(
            Issue(
                level,
                "records",
                column,
                message,
                fix,
                rid[mask].tolist(),
                int(mask.sum()),
            )
        )

    if plan is not None:
        if not hasattr(plan, "tasks"):
            from ..plan._parse import parse_plan

            plan = parse_plan(plan)
        valid = sorted(t.id for t in plan.tasks)
        bad = ~records["task_id"].isin(valid)
        if bad.any():
            unknown = sorted(set(records.loc[bad, "task_id"].astype(int)))
            add(
                "error",
                "task_id",
                f"{int(bad.sum())} records refer to task ids {unknown} that "
                f"are not in the plan register (tasks {valid[0]}–{valid[-1]}, {len(valid)} "
                "tasks)",
                "correct the task number (任务编号) of these records",
                bad,
            )
    if layers is not None:
        for kind in records["layer"].unique():
            rows = records["layer"].eq(kind)
            if kind not in layers:
                add(
                    "error",
                    "layer",
                    f"{int(rows.sum())} records refer to layer {kind!r}, which "
                    f"is not among the layers given ({', '.join(layers) or 'none'})",
                    f"load the {kind} layer, or correct 图层 of these records",
                    rows,
                )
                continue
            ids = layers[kind]["id"].astype(str)
            fid = records["feature_id"]
            orphan = rows & fid.notna() & ~fid.isin(ids)
            if orphan.any():
                unknown = sorted(set(fid[orphan]))
                add(
                    "error",
                    "feature_id",
                    f"{int(orphan.sum())} records refer to {kind} ids "
                    f"{unknown[:8]}{' …' if len(unknown) > 8 else ''} that are not in the layer "
                    + (
                        f"(its {len(ids)} ids run {ids.min()}–{ids.max()})"
                        if len(ids)
                        else "(the layer is empty)"
                    ),
                    f"correct 要素编号, or add the features to the {kind} layer",
                    orphan,
                )
    unplaced = records["feature_id"].isna() & (records["lon"].isna() | records["lat"].isna())
    if unplaced.any():
        add(
            "warning",
            "feature_id",
            f"{int(unplaced.sum())} records have neither a feature "
            "id nor lon/lat; they count for their task but join to no feature",
            "fill 要素编号 or 经度/纬度",
            unplaced,
        )
    return report


def join_records(
    records: pd.DataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    max_distance: float = 50.0,
) -> gpd.GeoDataFrame:
    """Attach each record to its feature: by feature id, else by nearest location.

    A record with a ``feature_id`` takes that feature. A record with ``lon``/``lat`` and
    no ``feature_id`` takes the nearest feature of its layer within ``max_distance``
    metres, measured in the layer's Gauss-Kruger CRS (:func:`geoplan.crs.metric_crs`).

    Parameters
    ----------
    records
        As returned by :func:`read_records`.
    layers
        Kind -> layer, as from :func:`~geoplan.read_layers`.
    max_distance
        Metres; records farther than this from every feature stay unmatched.

    Returns
    -------
    geopandas.GeoDataFrame
        The records (same order and index) in EPSG:4326 with ``feature_id`` filled for
        location matches, ``geometry`` (the feature's; the logged point when unmatched;
        empty when the record has neither), ``matched_by`` (``"id"``, ``"nearest"`` or
        ``None``) and ``distance_m`` (for ``"nearest"``; NaN otherwise). Unmatched
        records are logged as a warning, never dropped.

    Examples
    --------
    >>> import geoplan
    >>> joined = geoplan.join_records(geoplan.load_sample_records(), geoplan.load_sample())
    >>> joined.crs.to_epsg()
    4326
    """
    from ..crs import metric_crs

    out = records.copy()
    geom = np.full(len(out), None, dtype=object)
    matched = np.full(len(out), None, dtype=object)
    distance = np.full(len(out), np.nan)
    has_xy = out["lon"].notna().to_numpy() & out["lat"].notna().to_numpy()
    points = shapely.points(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
    geom[has_xy] = points[has_xy]
    for kind in out["layer"].unique():
        if kind not in layers:
            continue
        layer = layers[kind].to_crs(STORAGE_CRS).drop_duplicates("id")
        rows = out["layer"].eq(kind).to_numpy()
        by_id = rows & out["feature_id"].notna().to_numpy()
        lookup = pd.Series(layer.geometry.to_numpy(), index=layer["id"].astype(str))
        found = out.loc[by_id, "feature_id"].map(lookup)
        hit = found.notna().to_numpy()
        idx = np.flatnonzero(by_id)[hit]
        geom[idx] = found.to_numpy()[hit]
        matched[idx] = "id"
        near = rows & ~by_id & has_xy
        if not near.any() or layer.empty:
            continue
        crs = metric_crs(layer, name=kind)
        pts = gpd.GeoDataFrame(
            {"row": np.flatnonzero(near)}, geometry=points[near], crs=STORAGE_CRS
        ).to_crs(crs)
        joined = gpd.sjoin_nearest(
            pts,
            layer[["id", "geometry"]].to_crs(crs),
            how="inner",
            max_distance=max_distance,
            distance_col="distance_m",
        )
        joined = joined.sort_values(["row", "distance_m", "id"]).drop_duplicates("row")
        rows_hit = joined["row"].to_numpy()
        out.loc[out.index[rows_hit], "feature_id"] = joined["id"].astype(str).to_numpy()
        geom[rows_hit] = lookup.loc[joined["id"].astype(str)].to_numpy()
        matched[rows_hit] = "nearest"
        distance[rows_hit] = joined["distance_m"].to_numpy()
    unmatched = pd.isna(matched)
    if unmatched.any():
        logger.warning(
            "%d of %d records joined to no feature (records %s…)",
            unmatched.sum(),
            len(out),
            ", ".join(out["record_id"].astype(str)[unmatched][:5]),
        )
    geom[pd.isna(geom)] = shapely.Point()
    out["matched_by"] = pd.Series(matched, index=out.index, dtype=object)
    out["distance_m"] = distance
    return gpd.GeoDataFrame(out, geometry=list(geom), crs=STORAGE_CRS)


# ---------------------------------------------------------------------------- internals


def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    if not data.strip():
        raise DataReadError(
            f"records file `{path}` is empty; it needs a header row "
            f"({', '.join(REQUIRED_COLUMNS)}, …) and one row per record"
        )
    if kind := binary_kind(data):
        raise DataReadError(
            f"records file `{path}` is {kind}, not CSV text (renamed?); save the log from "
            "Excel as CSV UTF-8 (逗号分隔) and read it again"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:1000]:
        raise DataReadError(
            f'records file `{path}` is UTF-16 text (Excel\'s "Unicode text"); save it from '
            "Excel as CSV UTF-8 (逗号分隔) and read it again"
        )
    text, codec = decode_bytes(
        data,
        f"records file `{path}`",
        expected="save it from Excel as CSV UTF-8 (逗号分隔) and read it again",
        encoding=encoding,
        codecs_to_try=("utf-8", "gb18030"),
    )
    try:
        frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DataReadError(
            f"records file `{path}` is not a well-formed CSV ({exc}); "
            "check for unquoted commas in notes"
        ) from exc
    return frame, codec


def _one_column_each(frame: pd.DataFrame, renames: dict[str, str], source: str) -> pd.DataFrame:
    """Refuse two headers for one column (``status`` and ``状态``) unless they agree.

    Keeping either would silently drop the other's values; when the two columns hold the
    same values one is dropped with a warning.
    """
    dup = frame.columns[frame.columns.duplicated()].unique()
    if not len(dup):
        return frame
    keep = ~frame.columns.duplicated()
    for name in dup:
        headers = [c for c, n in renames.items() if n == name]
        if name not in headers and list(frame.columns).count(name) > len(headers):
            headers.insert(0, name)
        cells = frame.loc[:, frame.columns == name].astype(str).apply(lambda s: s.str.strip())
        if name == "status":  # completed and 已完成 agree
            cells = cells.apply(lambda s: map_vocabulary(s, _STATUS)[0].fillna(s))
        differ = cells.nunique(axis=1) > 1
        if differ.any():
            rows = [str(i + 2) for i in np.flatnonzero(differ.to_numpy())]
            raise RecordsError(
                f"records file `{source}` has {len(headers) or 2} columns for {name}: "
                f"{' and '.join(repr(h) for h in headers)}, which differ in "
                f"{int(differ.sum())} rows (lines {', '.join(rows[:8])}"
                f"{' …' if len(rows) > 8 else ''}); delete one of the columns and read it again"
            )
        logger.warning(
            "records file `%s` has the same %s twice (%s); one copy is used",
            source,
            name,
            " and ".join(headers),
        )
    return frame.loc[:, keep]


def _normalise(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip())
    lower = {c: c.lower() for c in frame.columns}
    renames = {c: HEADER_ALIASES.get(c, HEADER_ALIASES.get(low, low)) for c, low in lower.items()}
    renames = {c: n for c, n in renames.items() if n in RECORD_COLUMNS}
    frame = _one_column_each(frame.rename(columns=renames), renames, source)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise RecordsError(
            f"records file `{source}` lacks the columns {missing}; found: "
            f"{', '.join(map(str, frame.columns))}. Expected headers: "
            f"{', '.join(RECORD_COLUMNS)} (or 记录编号, 任务编号, 图层, 要素编号, 日期, 状态, "
            "数量, 单位, 备注, 经度, 纬度)"
        )
    for col in RECORD_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    problems: list[str] = []
    out = pd.DataFrame(index=frame.index)
    rid = to_text(frame["record_id"])
    out["record_id"] = rid

    def bad(mask: pd.Series, column: str, what: str, fix: str) -> None:
        if mask.any():
            ids = rid.fillna("(no id)")[mask].astype(str).tolist()
            values = sorted(set(frame.loc[mask, column].astype(str)))[:5]
            problems.append(
                f"{column}: {int(mask.sum())} {what} {values} in records "
                f"{', '.join(ids[:8])}{' …' if len(ids) > 8 else ''} — fix: {fix}"
            )

    bad(rid.isna(), "record_id", "records without record_id", "give every record an id")
    bad(
        rid.duplicated(keep=False) & rid.notna(),
        "record_id",
        "duplicated record ids",
        "make record ids unique",
    )
    # NFKC: full-width ９ from a Chinese input method is 9; 9.0 is how a float column saves 9
    task_text = frame["task_id"].astype(str).str.normalize("NFKC").str.strip()
    task = task_text.str.extract(r"^[^0-9]*?([0-9]+)(?:\.0+)?[^0-9]*$")[0]
    negative = task_text.str.match(r"^[-−]")
    task = task.where(~negative)
    bad(
        task.isna(),
        "task_id",
        "task ids that are not numbers",
        "write the plan task number in digits, e.g. 18 (not 十八号, not -1)",
    )
    out["task_id"] = pd.to_numeric(task).fillna(-1).astype("int64")
    layer = frame["layer"].astype(str).map(kind_for_name)
    bad(layer.isna(), "layer", "unknown layer kinds", f"use one of: {', '.join(KIND_NAMES)}")
    out["layer"] = layer.astype(object)
    out["feature_id"] = to_text(frame["feature_id"])
    dates, flags = parse_dates(frame["date"])
    bad(
        flags["bad"] | dates.isna(),
        "date",
        "missing or unreadable dates",
        "write dates as 2023-05-01",
    )
    out["date"] = dates
    status, unknown, _ = map_vocabulary(frame["status"], _STATUS)
    bad(
        unknown | status.isna(),
        "status",
        "missing or unknown statuses",
        "use planned 计划, under_construction 在建 or completed 已完成",
    )
    out["status"] = status
    for col, limits in (("quantity", None), ("lon", _LON), ("lat", _LAT)):
        text = frame[col].astype(str).str.strip()
        num = pd.to_numeric(text.where(text.ne("")), errors="coerce")
        bad(
            text.ne("") & num.isna(), col, "values that are not numbers", f"write {col} as a number"
        )
        if limits is not None:
            bad(
                num.notna() & ~num.between(*limits),
                col,
                "coordinates outside China",
                "give WGS84 degrees (lon ≈ 118.7, lat ≈ 24.9 here), not metres",
            )
        out[col] = num.astype(float)
    out["unit"] = frame["unit"].astype(str).str.strip().astype(object)
    out["note"] = frame["note"].astype(str).str.strip().astype(object)
    if problems:
        raise RecordsError(
            f"records file `{source}` has {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        )
    extra = [c for c in frame.columns if c not in RECORD_COLUMNS]
    return pd.concat([out[list(RECORD_COLUMNS)], frame[extra]], axis=1).reset_index(drop=True)


__all__ = ["RECORD_COLUMNS", "join_records", "read_records", "validate_records"]
