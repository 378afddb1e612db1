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

A ledger (台账) returned by a unit also gives 目标编号 (``target_index``), 填报单位
(``reporter``), 乡镇 (``town``) and 项目名称 (``name``), and may leave 记录编号 and 图层
empty: see :func:`read_records`, and :mod:`geoplan.records._template` for the workbook.

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
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._common.text import binary_kind, decode_bytes
from .._errors import DataReadError, RecordsError
from ..catalogue import (
    KIND_NAMES,
    LEDGER_FIELDS,
    RECORD_FIELDS,
    kind_for_name,
)
from ..layers._validate import CheckReport, Issue, Level
from ..layers._values import map_vocabulary, parse_dates, to_text

logger = logging.getLogger(__name__)

#: Columns of a records table, in order (:data:`geoplan.catalogue.RECORD_FIELDS`).
RECORD_COLUMNS = tuple(c.name for c in RECORD_FIELDS)
#: A ledger's own columns, after the record columns when the file has them
#: (:data:`geoplan.catalogue.LEDGER_FIELDS`).
LEDGER_COLUMNS = tuple(c.name for c in LEDGER_FIELDS)
#: A file gives the target as 目标编号 ``9-1`` (column ``target``), read into ``target_index``.
_INPUT_NAMES = {"target_index": "target"}
#: Every column a file's headers may map to (``x``/``y``: projected metres, read into
#: ``lon``/``lat``).
ALL_COLUMNS = (*RECORD_COLUMNS, *(_INPUT_NAMES.get(n, n) for n in LEDGER_COLUMNS), "x", "y")
#: Columns a records file must have. A ledger without 记录编号 gets ids from its rows; one
#: without 图层 logs work that no layer holds (套 of housing, 元 of output).
REQUIRED_COLUMNS = tuple(c.name for c in RECORD_FIELDS if c.required)
#: Headers accepted for each column (matched without case and surrounding spaces): the
#: catalogue's labels and aliases, and the surveyors' X/Y.
HEADER_ALIASES: dict[str, str] = {
    **{
        header: _INPUT_NAMES.get(c.name, c.name)
        for c in (*RECORD_FIELDS, *LEDGER_FIELDS)
        for header in (c.label, *c.aliases)
    },
    **{"x坐标": "x", "y坐标": "y", "x": "x", "y": "y"},
}


class Shared(dict):  # type: ignore[type-arg,unused-ignore]
    """A dict kept in ``DataFrame.attrs`` that pandas does not deep-copy.

    pandas deep-copies ``attrs`` on every operation; a ledger's row locations (one entry
    per record) copied thousands of times made a scorecard minutes slower. The entries
    are read, never changed in place, so sharing them is safe.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Shared:
        return self


class SharedList(list):  # type: ignore[type-arg,unused-ignore]
    """A list kept in ``DataFrame.attrs`` that pandas does not deep-copy (see :class:`Shared`)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedList:
        return self


#: CRS of X/Y columns in a ledger: CGCS2000 3-degree Gauss-Kruger zone 40 (CM 120°E).
LEDGER_XY_CRS = "EPSG:4549"
_STATUS = next(c for c in RECORD_FIELDS if c.name == "status")
_LON, _LAT = (73.0, 136.0), (3.0, 54.0)  # China, generously: catches metres and swapped axes


def read_records(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    errors: Literal["raise", "skip"] = "raise",
    xy_crs: Any = LEDGER_XY_CRS,
) -> pd.DataFrame:
    """Read the progress log: a CSV, an Excel ledger (台账) or a GeoPackage ``records`` table.

    Parameters
    ----------
    path
        A ``.csv`` file (UTF-8, UTF-8 with BOM, or GB18030/GBK as Excel in China saves
        it; detected, the codec used is logged and kept in ``attrs["geoplan_encoding"]``),
        an ``.xlsx`` ledger (every sheet with a ledger header is read; merged cells,
        a title row above the headers, a 合计 row at the bottom, dates as cells or text and
        numbers stored as text are all accepted, see :mod:`geoplan.records._excel`), or a
        ``.gpkg`` with a ``records`` table.
    encoding
        Force a text encoding for a CSV, e.g. ``"gbk"``.
    sheet
        Read only this sheet of a workbook.
    errors
        ``"raise"``: a :class:`~geoplan.RecordsError` listing every bad cell. ``"skip"``:
        rows with a bad cell are left out and every problem is kept, with its file, sheet,
        row and column, in ``attrs["geoplan_issues"]`` (see :func:`issues_frame`) and
        logged as a warning; nothing is dropped silently.
    xy_crs
        The CRS of ``X``/``Y`` columns (projected metres) a ledger may give instead of
        经度/纬度; default CGCS2000 3° Gauss-Kruger zone 40 (EPSG:4549).

    Returns
    -------
    pandas.DataFrame
        The columns in :data:`RECORD_COLUMNS`, typed: ``task_id`` int64, ``date``
        ``datetime64[ms]``, ``quantity``/``lon``/``lat`` float (NaN when empty),
        ``feature_id`` and ``layer`` ``None`` when empty. Chinese headers are mapped. A
        ledger's own columns follow when present: ``target_index`` (Int64, from 目标编号
        ``9-1`` = task 9's first target, so index 0), ``reporter`` (填报单位), ``town``
        (乡镇), ``name`` (项目名称); other extra columns are kept. A ledger without 记录编号
        gets ids ``<file>:<sheet>:<row>``. ``attrs["geoplan_locations"]`` maps each
        record id to where it was read, ``(file name, sheet, row)``; see
        :func:`record_location`.

    Raises
    ------
    DataReadError
        The file is missing, empty, in no known encoding or not a workbook.
    RecordsError
        With ``errors="raise"``, listing every bad cell: missing column, unknown layer
        kind or status, unreadable task id, target, date, quantity or coordinates,
        duplicate record ids.

    Examples
    --------
    >>> import geoplan
    >>> records = geoplan.read_records(geoplan.datasets.data_path("taishang_records.csv"))
    >>> records.loc[0, ["layer", "status"]].tolist(), int(records.loc[0, "task_id"])
    (['parks', 'completed'], 9)
    """
    from ._excel import SheetTable, read_workbook

    path = Path(path)
    if not path.is_file():
        raise DataReadError(f"records file `{path}` does not exist; check the path")
    suffix = path.suffix.lower()
    skipped: list[str] = []
    if suffix == ".gpkg":
        from ..io import read_file

        frame = pd.DataFrame(read_file(path, layer="records")).astype(object)
        frame = frame.where(frame.notna(), "")
        tables = [SheetTable("records", frame, [], {})]
        used = "utf-8"
    elif suffix in (".xlsx", ".xlsm"):
        tables = read_workbook(path, HEADER_ALIASES)
        if sheet is not None:
            names = [t.sheet for t in tables]
            tables = [t for t in tables if t.sheet == sheet]
            if not tables:
                raise DataReadError(
                    f"ledger `{path}` has no ledger sheet {sheet!r}; its ledger sheets: "
                    f"{', '.join(names)}"
                )
        skipped = [note for t in tables for note in t.skipped]
        used = "xlsx"
    elif suffix in (".xls", ".et"):
        raise DataReadError(
            f"ledger `{path}` is an old-format workbook ({suffix}); open it in Excel or WPS "
            "and save it as .xlsx (Excel 工作簿), then read it again"
        )
    else:
        frame, used = _read_csv(path, encoding)
        # a header on line 1 and no quoted line breaks: data row i is line i + 2
        tables = [SheetTable("", frame, [i + 2 for i in range(len(frame))], {})]
    collect = _Problems(path)
    parts = []
    for t in tables:
        if t.frame.empty and len(tables) > 1:
            continue
        frame = t.frame
        if suffix != ".csv" and t.rows and "序号" in frame.columns:
            # a workbook's 序号 restarts on every sheet: a row number, not a record id
            frame = frame.rename(columns={"序号": "序号（行号）"})
        part = _normalise(frame, collect, t.sheet, t.rows, xy_crs=xy_crs)
        if t.reporter:  # the unit a --split template was made for fills empty 填报单位
            none = pd.Series(None, index=part.index, dtype=object)
            given = part.get("reporter", none)
            part["reporter"] = given.where(given.notna(), t.reporter)
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    locations: dict[str, tuple[str, str, int]] = {}
    columns: dict[str, dict[str, str]] = {}
    for part in parts:
        locations.update(part.attrs.get("geoplan_locations", {}))
        columns.update(part.attrs.get("geoplan_columns", {}))
    dup = frame["record_id"].notna() & frame["record_id"].duplicated(keep=False)
    if dup.any() and len(parts) > 1:
        for rid in sorted(set(frame.loc[dup, "record_id"])):
            collect.add(
                "record_id",
                "record_id",
                rid,
                f"record id {rid!r} is used on more than one sheet",
                "make record ids unique across sheets, or leave 记录编号 empty",
                where=None,
            )
    if collect.items and errors == "raise":
        raise RecordsError(collect.message())
    bad_rows = frame.pop("_bad").astype(bool) | dup
    if collect.items:
        logger.warning(
            "records file `%s`: %d row(s) left out for %d bad cell(s), e.g. %s; "
            "`geoplan records check` lists them all",
            path,
            int(bad_rows.sum()),
            len(collect.items),
            collect.items[0]["message"],
        )
        frame = frame.loc[~bad_rows].reset_index(drop=True)
    for note in skipped:
        logger.info("%s", note)
    frame.attrs["geoplan_source"] = str(path)
    frame.attrs["geoplan_encoding"] = used
    frame.attrs["geoplan_locations"] = Shared(locations)
    frame.attrs["geoplan_columns"] = Shared(columns)
    frame.attrs["geoplan_issues"] = SharedList(collect.items)
    frame.attrs["geoplan_skipped"] = SharedList(skipped)
    return frame


def issues_frame(records: pd.DataFrame) -> pd.DataFrame:
    """The problems :func:`read_records` (``errors="skip"``) found, one row per cell.

    Columns ``file``, ``sheet``, ``row``, ``column`` (the column letter and header as
    written), ``field`` (the record column), ``value``, ``record_id``, ``message``, ``fix``.
    """
    cols = ["file", "sheet", "row", "column", "field", "value", "record_id", "message", "fix"]
    return pd.DataFrame(records.attrs.get("geoplan_issues", []), columns=cols)


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
        for kind in records["layer"].dropna().unique():  # layer-less rows: 套, 元, shares
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
    unplaced = (
        records["layer"].notna()
        & records["feature_id"].isna()
        & (records["lon"].isna() | records["lat"].isna())
    )
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
        layer = layers[kind].to_crs(settings.STORAGE_CRS).drop_duplicates("id")
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
            {"row": np.flatnonzero(near)}, geometry=points[near], crs=settings.STORAGE_CRS
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
    return gpd.GeoDataFrame(out, geometry=list(geom), crs=settings.STORAGE_CRS)


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


#: Ledger statuses beyond the layer vocabulary's spellings.
LEDGER_STATUS_ALIASES: dict[str, str] = {
    "竣工": "completed",
    "已竣工": "completed",
    "已验收": "completed",
    "已完成验收": "completed",
    "推进中": "under_construction",
    "进行中": "under_construction",
    "实施中": "under_construction",
    "已开工": "under_construction",
    "前期": "planned",
    "前期工作": "planned",
    "计划中": "planned",
}


class _Problems:
    """Bad cells of one file, each with where it is and how to fix it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[dict[str, Any]] = []
        self.groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}

    def add(
        self,
        field: str,
        header: str,
        value: Any,
        problem: str,
        fix: str,
        *,
        where: tuple[str, int | None, str, str | None] | None,
        record_id: str | None = None,
        group: str = "",
    ) -> None:
        sheet, row, column = (where[0], where[1], where[2]) if where else ("", None, header)
        place = f"`{self.path.name}`"
        if sheet:
            place += f", sheet {sheet}"
        if row is not None:
            place += f", row {row}"
        if column:
            place += f", column {column}"
        item = {
            "file": str(self.path),
            "sheet": sheet,
            "row": row,
            "column": column,
            "field": field,
            "value": value,
            "record_id": record_id,
            "message": f"{place}: {problem} — fix: {fix}",
            "fix": fix,
        }
        self.items.append(item)
        self.groups.setdefault((field, group or problem, fix), []).append(item)

    def message(self) -> str:
        lines = []
        for (field, what, fix), items in self.groups.items():
            values = sorted({str(i["value"]) for i in items})[:5]
            ids = [str(i["record_id"] or "(no id)") for i in items]
            places = [
                " ".join(
                    p
                    for p in (
                        i["sheet"] and f"sheet {i['sheet']}",
                        i["row"] is not None and f"row {i['row']}",
                        i["column"] and f"column {i['column']}",
                    )
                    if p
                )
                for i in items
            ]
            lines.append(
                f"{field}: {len(items)} {what} {values} in records "
                f"{', '.join(ids[:8])}{' …' if len(ids) > 8 else ''} "
                f"({'; '.join(places[:4])}{' …' if len(places) > 4 else ''}) — fix: {fix}"
            )
        return (
            f"records file `{self.path}` has {len(lines)} problem(s):\n  "
            + "\n  ".join(lines)
            + "\n(`geoplan records check FILE` lists every cell; read the rest with "
            "read_records(..., errors='skip'))"
        )


def _normalise(
    frame: pd.DataFrame,
    problems: _Problems,
    sheet: str,
    rows: list[int],
    *,
    xy_crs: Any = LEDGER_XY_CRS,
) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip())
    frame = frame.loc[:, ~frame.columns.duplicated()]
    written = {c: c for c in frame.columns}
    lower = {c: c.lower() for c in frame.columns}
    renames = {c: HEADER_ALIASES.get(c, HEADER_ALIASES.get(low, low)) for c, low in lower.items()}
    renames = {c: n for c, n in renames.items() if n in ALL_COLUMNS}
    source = str(problems.path)
    renamed = frame.rename(columns=renames)
    letters: dict[str, str] = {}
    if rows:  # spreadsheet column letters, from the columns as the file has them
        from openpyxl.utils import get_column_letter

        positions = list(enumerate(renamed.columns))[::-1]  # the first of two wins
        letters = {c: get_column_letter(j + 1) for j, c in positions}
    frame = _one_column_each(renamed, renames, source)
    header = {n: written[c] for c, n in renames.items()}
    header.update({c: c for c in frame.columns if c not in header})
    required = [c for c in REQUIRED_COLUMNS if c not in ("record_id", "layer")]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        on_sheet = f"sheet {sheet} of " if sheet and sheet != "records" else ""
        raise RecordsError(
            f"records file `{on_sheet}{source}` lacks the columns {missing}; found: "
            f"{', '.join(map(str, frame.columns))}. Expected headers: "
            f"{', '.join(RECORD_COLUMNS)} (or 记录编号, 任务编号, 目标编号, 图层, 要素编号, 日期, "
            "状态, 数量, 单位, 备注, 经度, 纬度); `geoplan records template` writes a ledger "
            "with them"
        )
    generated = "record_id" not in frame.columns
    for col in ALL_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame.fillna("").astype(str)
    index = frame.index
    line = pd.Series(rows if rows else [None] * len(frame), index=index, dtype=object)
    out = pd.DataFrame(index=index)
    if generated:
        stem = problems.path.stem
        rid = pd.Series(
            [f"{stem}:{sheet}:{r}" if sheet else f"{stem}:{r}" for r in line],
            index=index,
            dtype=object,
        )
    else:
        rid = to_text(frame["record_id"])
    out["record_id"] = rid
    bad_rows = pd.Series(False, index=index)

    def where(col: str, i: Any) -> tuple[str, int | None, str, str | None]:
        head = header.get(col, col)
        letter = letters.get(col)
        column = f"{letter} ({head})" if letter and sheet else head
        row = line[i]
        number = None if row is None else int(row)
        return (sheet if sheet != "records" else "", number, column, head)

    def bad(mask: pd.Series, column: str, what: str, fix: str, *, problem: str = "") -> None:
        nonlocal bad_rows
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        bad_rows = bad_rows | mask
        for i in index[mask.to_numpy()]:
            value = frame.at[i, column]
            problems.add(
                column,
                header.get(column, column),
                value,
                problem or f"{what}: {value!r}",
                fix,
                where=where(column, i),
                record_id=rid[i],
                group=what,
            )

    bad(rid.isna(), "record_id", "records without record_id", "give every record an id")
    bad(
        rid.duplicated(keep=False) & rid.notna(),
        "record_id",
        "duplicated record ids",
        "make record ids unique",
    )
    # NFKC: full-width ９ from a Chinese input method is 9; 9.0 is how a float column saves 9
    task_text = frame["task_id"].str.normalize("NFKC").str.strip()
    target_text = frame["target"].str.normalize("NFKC").str.strip()
    task = task_text.str.extract(r"^[^0-9]*?([0-9]+)(?:\.0+)?[^0-9]*$")[0]
    negative = task_text.str.match(r"^[-−]")
    task = task.where(~negative)
    # a row with no task: the task of its target (9-1), else an error
    key = target_text.str.extract(r"^\D*?(?:(\d+)\s*[-－—–_/]\s*)?(\d+)(?!\d)")
    no_task = task_text.eq("")
    task = task.where(~no_task | key[0].isna(), key[0])
    bad(
        no_task & key[0].isna(),
        "task_id",
        "rows with no task",
        "write the plan task number (任务编号), e.g. 9, or leave the row out",
        problem="the row has no task number",
    )
    bad(
        ~no_task & task.isna(),
        "task_id",
        "task ids that are not numbers",
        "write the plan task number in digits, e.g. 18 (not 十八号, not -1)",
    )
    out["task_id"] = pd.to_numeric(task).fillna(-1).astype("int64")
    target_task = pd.to_numeric(key[0])
    target_no = pd.to_numeric(key[1])
    bad(
        target_text.ne("") & (target_no.isna() | target_no.lt(1)),
        "target",
        "targets that are not target numbers",
        "write the target number from the 目标 sheet, e.g. 9-1 (task 9, its first target)",
    )
    bad(
        target_task.notna() & task.notna() & target_task.ne(pd.to_numeric(task)),
        "target",
        "targets of another task",
        "make 任务编号 and 目标编号 agree (目标编号 9-1 belongs to task 9)",
    )
    out["target_index"] = pd.array(target_no - 1, dtype="Int64")
    layer_text = frame["layer"].str.strip()
    layer = layer_text.map(lambda v: kind_for_name(v) if v else None)
    bad(
        layer_text.ne("") & layer.isna(),
        "layer",
        "unknown layer kinds",
        f"use one of: {', '.join(KIND_NAMES)}",
    )
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
    status_text = frame["status"].str.strip()
    status, unknown, _ = map_vocabulary(status_text, _STATUS)
    extra_status = status_text.map(LEDGER_STATUS_ALIASES)
    status = status.where(status.notna(), extra_status)
    unknown = unknown & extra_status.isna()
    bad(
        unknown | status.isna(),
        "status",
        "missing or unknown statuses",
        "use planned 计划, under_construction 在建 or completed 已完成",
    )
    out["status"] = status.astype(object)
    unit = frame["unit"].str.strip()
    for col, limits in (("quantity", None), ("lon", _LON), ("lat", _LAT), ("x", None), ("y", None)):
        text = frame[col].str.normalize("NFKC").str.strip()
        clean = text.str.replace(r"(?<=\d)[,\s](?=\d{3})", "", regex=True)
        if col == "quantity":  # 85% typed in the cell: a share, when the unit says so or is empty
            pct = clean.str.endswith("%") & unit.isin(("", "%", "％"))
            clean = clean.where(~pct, clean.str[:-1])
            unit = unit.where(~pct, "%")
        num = pd.to_numeric(clean.where(clean.ne("")), errors="coerce")
        bad(
            text.ne("") & num.isna(),
            col,
            "values that are not numbers",
            f"write {header.get(col, col)} as a number (text such as '约' or a unit belongs in 备注"
            " or 单位)",
        )
        if limits is not None:
            bad(
                num.notna() & ~num.between(*limits),
                col,
                "coordinates outside China",
                "give WGS84 degrees (lon ≈ 118.7, lat ≈ 24.9 here), not metres; metres go in X/Y",
            )
        out[col] = num.astype(float)
    has_xy = out["x"].notna() & out["y"].notna() & (out["lon"].isna() | out["lat"].isna())
    if has_xy.any():
        from pyproj import Transformer

        lon, lat = Transformer.from_crs(xy_crs, settings.STORAGE_CRS, always_xy=True).transform(
            out.loc[has_xy, "x"].to_numpy(), out.loc[has_xy, "y"].to_numpy()
        )
        out.loc[has_xy, "lon"], out.loc[has_xy, "lat"] = lon, lat
        far = has_xy & ~(out["lon"].between(*_LON) & out["lat"].between(*_LAT))
        bad(
            far,
            "x",
            "X/Y that fall outside China",
            f"give X/Y in {xy_crs} (CGCS2000 Gauss-Kruger, false easting 500000), or pass xy_crs=",
        )
    out["unit"] = unit.astype(object)
    out["note"] = frame["note"].str.strip().astype(object)
    given = set(renames.values())
    ledger = [c for c in LEDGER_COLUMNS if ("target" if c == "target_index" else c) in given]
    for col in ledger:
        if col != "target_index":
            out[col] = to_text(frame[col])
    extra = [c for c in frame.columns if c not in ALL_COLUMNS]
    result = pd.concat([out[[*RECORD_COLUMNS, *ledger]], frame[extra]], axis=1)
    result["_bad"] = bad_rows.to_numpy()
    result = result.reset_index(drop=True)
    if rows:
        name = problems.path.name
        result.attrs["geoplan_locations"] = Shared(
            (r, (name, sheet, int(n))) for r, n in zip(rid, line, strict=True) if r is not None
        )
        result.attrs["geoplan_columns"] = Shared(
            {
                sheet: {
                    c: (f"{letters[c]} ({header.get(c, c)})" if sheet else header.get(c, c))
                    for c in frame.columns
                    if c in letters
                }
            }
        )
    return result


def record_location(records: pd.DataFrame, record_id: str, field: str | None = None) -> str:
    """Where a record was read: ```台账.xlsx`, sheet 台账, row 12, column H (数量)``.

    The record id itself when the frame does not say (records built in code).
    """
    loc = records.attrs.get("geoplan_locations", {}).get(record_id)
    if loc is None:
        return f"record {record_id}"
    name, sheet, row = loc
    text = f"`{name}`" + (f", sheet {sheet}" if sheet else "") + f", row {row}"
    if field is not None:
        column = records.attrs.get("geoplan_columns", {}).get(sheet, {}).get(field)
        if column:
            text += f", column {column}"
    return text


__all__ = [
    "LEDGER_COLUMNS",
    "RECORD_COLUMNS",
    "issues_frame",
    "join_records",
    "read_records",
    "record_location",
    "validate_records",
]
