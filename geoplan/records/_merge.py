"""Ledgers back from the units: checked against the plan and merged into one.

:func:`check_ledger` checks a ledger against the plan register: unknown task ids, a target
number the task does not have, a unit that does not convert to the target's, a date before
the plan or (for work done or under way) after today, a record that fits several targets.
Each problem names the file, sheet, row and column.

:func:`merge_ledgers` reads the ledgers the units return (every bad cell reported, the rest
read), and merges them. The same piece of work (same task, target and feature id, or same
项目名称 / 备注 when there is no feature id) reported twice:

- with the same date, status, quantity and unit is a *duplicate*: the later copy is left
  out of the merged ledger and listed (file, sheet, row of both);
- with the same status but different figures (quantity, unit, or the date of a completion)
  is a *conflict*: both rows stay, flagged in ``合并说明``, and are listed for the lead office
  to settle.

Nothing is dropped silently: every row read is in the merged ledger or in the duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import settings
from .._common.atomic import atomic_path, write_bytes
from .._common.cells import escape_frame
from .._errors import RecordsError
from ..catalogue import LAYER_KINDS, STATUS_LABELS
from ._log import Shared, read_records, record_location
from ._units import units_convert

logger = logging.getLogger(__name__)

#: Columns of a problem list (check, merge).
ISSUE_COLUMNS = ("level", "file", "sheet", "row", "column", "record_id", "message")
#: The merged ledger's headers (Chinese, read back by read_records), by record column.
MERGED_HEADERS: dict[str, str] = {
    "record_id": "记录编号",
    "task_id": "任务编号",
    "target": "目标编号",
    "name": "项目名称",
    "reporter": "填报单位",
    "town": "乡镇",
    "date": "日期",
    "status": "状态",
    "quantity": "数量",
    "unit": "单位",
    "layer": "图层",
    "feature_id": "要素编号",
    "lon": "经度",
    "lat": "纬度",
    "note": "备注",
    "source": "来源",
    "merge_note": "合并说明",
}


def _issue(records: pd.DataFrame, level: str, rid: str, field: str, message: str) -> dict[str, Any]:
    loc = records.attrs.get("geoplan_locations", {}).get(rid)
    column = records.attrs.get("geoplan_columns", {}).get(loc[1] if loc else "", {}).get(field)
    return {
        "level": level,
        "file": loc[0] if loc else records.attrs.get("geoplan_source", ""),
        "sheet": loc[1] if loc else "",
        "row": loc[2] if loc else None,
        "column": column or field,
        "record_id": rid,
        "message": f"{record_location(records, rid, field)}: {message}",
    }


def check_ledger(
    records: pd.DataFrame, plan: Any = None, *, today: dt.date | None = None
) -> pd.DataFrame:
    """Check a ledger (as from :func:`read_records`) against the plan register.

    Parameters
    ----------
    records
        The ledger; its ``attrs`` say where each row was read.
    plan
        The :class:`~geoplan.Plan` the ledger reports on; None checks dates only.
    today
        Dates after this (default today) are errors for work completed or under way.

    Returns
    -------
    DataFrame
        Columns :data:`ISSUE_COLUMNS`; ``level`` ``error`` or ``warning``. The reading
        problems :func:`read_records` kept (``errors="skip"``) come first.
    """
    today = today or dt.date.today()
    start = (getattr(plan.meta, "date", None) if plan is not None else None) or settings.PLAN_START
    issues = [
        {
            "level": "error",
            "file": i["file"],
            "sheet": i["sheet"],
            "row": i["row"],
            "column": i["column"],
            "record_id": i["record_id"],
            "message": i["message"],
        }
        for i in records.attrs.get("geoplan_issues", [])
    ]
    tasks = {t.id: t for t in plan.tasks} if plan is not None else {}
    valid = f"tasks {min(tasks)}–{max(tasks)}" if tasks else "no tasks"
    for rec in records.itertuples(index=False):  # a ledger: hundreds of rows
        rid = str(rec.record_id)
        task = tasks.get(int(rec.task_id))
        if plan is None:
            pass
        elif task is None:
            issues.append(
                _issue(
                    records,
                    "error",
                    rid,
                    "task_id",
                    f"task {rec.task_id} is not in the plan ({valid}); correct 任务编号",
                )
            )
            continue
        else:
            bad = _target_problem(records, rec, task)
            if bad is not None:
                issues.append(bad)
        day = pd.Timestamp(rec.date).date() if not pd.isna(rec.date) else None
        if day is not None and day < start:
            issues.append(
                _issue(
                    records,
                    "warning",
                    rid,
                    "date",
                    f"date {day} is before the plan ({start}); work done before it does "
                    "not count towards its targets — check the year",
                )
            )
        if day is not None and day > today and rec.status != "planned":
            label = STATUS_LABELS.get(str(rec.status), rec.status)
            issues.append(
                _issue(
                    records,
                    "error",
                    rid,
                    "date",
                    f"date {day} is after today ({today}) for work marked {label}; "
                    "correct the date, or mark the work 计划",
                )
            )
    return pd.DataFrame(issues, columns=list(ISSUE_COLUMNS))


def _target_problem(records: pd.DataFrame, rec: Any, task: Any) -> dict[str, Any] | None:
    """The problem with a record's target or unit, if any."""
    rid = str(rec.record_id)
    ti = getattr(rec, "target_index", pd.NA)
    targets = task.targets
    if not pd.isna(ti) and int(ti) >= len(targets):
        return _issue(
            records,
            "error",
            rid,
            "target",
            f"task {task.id} has {len(targets)} target(s) "
            f"({', '.join(f'{task.id}-{k + 1}' for k in range(len(targets))) or 'none'}); "
            f"there is no target {task.id}-{int(ti) + 1}: correct 目标编号",
        )
    unit = str(rec.unit or "").strip()
    chosen = [targets[int(ti)]] if not pd.isna(ti) else list(targets)
    target_units = {q.unit for t in chosen for q in t.quantities}
    if unit and target_units and not any(units_convert(unit, u) for u in target_units):
        which = f"target {task.id}-{int(ti) + 1}" if not pd.isna(ti) else f"task {task.id}"
        words_only = not pd.isna(ti) and not chosen[0].quantities
        if not (words_only and unit in ("%", "％")):
            return _issue(
                records,
                "error",
                rid,
                "unit",
                f"unit {unit!r} does not convert to the unit of {which} "
                f"({'、'.join(sorted(target_units))}); report it in "
                f"{'、'.join(sorted(target_units))} or a unit that converts "
                "(万平方米↔平方米, 亿元↔万元↔元, 公里↔米)",
            )
    elif pd.isna(ti) and len(targets) > 1 and rec.layer is None:
        fits = [
            f"{task.id}-{k + 1}"
            for k, t in enumerate(targets)
            if unit and any(units_convert(unit, q.unit) for q in t.quantities)
        ]
        if len(fits) != 1:
            return _issue(
                records,
                "warning",
                rid,
                "target",
                f"no 目标编号 and task {task.id} has {len(targets)} targets "
                f"({'fits ' + ', '.join(fits) if fits else 'its unit fits none'}); "
                "fill 目标编号 so the record counts for the right target",
            )
    return None


@dataclass
class MergeResult:
    """What :func:`merge_ledgers` made of the ledgers.

    Attributes
    ----------
    records
        The merged ledger (record columns, ``target_index``, ``reporter``, ``town``,
        ``name``, ``source`` = where each row came from, ``merge_note``).
    duplicates
        Rows left out as copies of an earlier row: ``source``, ``kept``, ``record_id``.
    conflicts
        Pairs of rows reporting the same work with different figures: ``work``,
        ``source``, ``other``, ``differs``.
    issues
        Reading and plan problems (:data:`ISSUE_COLUMNS`), rows not read among them.
    files
        The files read, with the number of rows each gave.
    """

    records: pd.DataFrame
    duplicates: pd.DataFrame
    conflicts: pd.DataFrame
    issues: pd.DataFrame
    files: dict[str, int] = field(default_factory=dict)


def _work_key(frame: pd.DataFrame) -> pd.Series:
    """The piece of work a row reports: task, target and feature id, or name, or note."""

    def col(name: str) -> pd.Series:
        if name not in frame:
            return pd.Series("", index=frame.index)
        return frame[name].astype(object).where(frame[name].notna(), "").astype(str).str.strip()

    ident = col("feature_id")
    ident = ident.where(ident.ne(""), col("name"))
    ident = ident.where(ident.ne(""), col("note"))
    target = col("target_index")
    key = frame["task_id"].astype(str) + "|" + target + "|" + ident
    return key.where(ident.ne(""), None)


def merge_ledgers(paths: Sequence[str | Path], *, plan: Any = None) -> MergeResult:
    """Read and merge the ledgers at ``paths``; report duplicates and conflicts.

    Parameters
    ----------
    paths
        Ledgers (``.xlsx`` or ``.csv``), as the units returned them.
    plan
        The plan, to check every row against (see :func:`check_ledger`).

    Raises
    ------
    RecordsError
        No paths, or the same file twice.
    """
    if not paths:
        raise RecordsError("records merge: name at least one ledger (.xlsx or .csv) to merge")
    resolved = [Path(p).resolve() for p in paths]
    twice = sorted({str(p) for p in resolved if resolved.count(p) > 1})
    if twice:
        raise RecordsError(f"records merge: {', '.join(twice)} given more than once")
    frames, issues, files = [], [], {}
    locations: dict[str, Any] = {}
    columns: dict[str, Any] = {}
    for path in paths:
        recs = read_records(path, errors="skip")
        name = Path(path).name
        files[str(path)] = len(recs)
        ids = recs["record_id"].astype(str)
        taken = set(locations)
        # explicit 记录编号 that another file uses too: prefix with the file's name
        clash = ids.isin(taken)
        if clash.any():
            ids = ids.where(~clash, Path(path).stem + ":" + ids)
            old = recs.attrs.get("geoplan_locations", {})
            recs.attrs["geoplan_locations"] = Shared(
                ((Path(path).stem + ":" + k if k in taken else k), v) for k, v in old.items()
            )
        recs["record_id"] = ids
        loc = recs.attrs.get("geoplan_locations", {})
        recs["source"] = [
            f"{loc[r][0]} › {loc[r][1]} › 第{loc[r][2]}行"
            if r in loc and loc[r][1]
            else (f"{loc[r][0]} 第{loc[r][2]}行" if r in loc else name)
            for r in ids
        ]
        locations.update(recs.attrs.get("geoplan_locations", {}))
        for sheet, cols in recs.attrs.get("geoplan_columns", {}).items():
            columns[sheet] = cols
        issues.append(check_ledger(recs, plan))
        frames.append(recs)
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
    merged.attrs = {"geoplan_locations": Shared(locations), "geoplan_columns": Shared(columns)}
    merged["merge_note"] = ""
    key = _work_key(merged)
    figures = ["date", "status", "quantity", "unit"]
    sig = merged[figures].astype(str).agg("|".join, axis=1)
    dup_rows, conflicts = [], []
    for work, idx in merged.groupby(key, sort=False).groups.items():  # groups of 2+ rows only
        if len(idx) < 2:
            continue
        seen: dict[str, int] = {}
        for i in idx:
            if sig[i] in seen:
                dup_rows.append(
                    {
                        "source": merged.at[i, "source"],
                        "kept": merged.at[seen[sig[i]], "source"],
                        "record_id": merged.at[i, "record_id"],
                    }
                )
            else:
                seen[sig[i]] = i
        kept = list(seen.values())
        for a_pos, a in enumerate(kept):
            for b in kept[a_pos + 1 :]:
                if merged.at[a, "status"] != merged.at[b, "status"]:
                    continue  # progress: 在建 then 已完成
                same_day = merged.at[a, "date"] == merged.at[b, "date"]
                if not (same_day or merged.at[a, "status"] == "completed"):
                    continue  # monthly reports of work under way
                differs = [c for c in figures if str(merged.at[a, c]) != str(merged.at[b, c])]
                conflicts.append(
                    {
                        "work": work.split("|", 2)[2],
                        "task_id": int(merged.at[a, "task_id"]),
                        "source": merged.at[a, "source"],
                        "other": merged.at[b, "source"],
                        "differs": "、".join(_FIELD_LABELS.get(c, c) for c in differs),
                    }
                )
                for i, j in ((a, b), (b, a)):
                    note = f"与 {merged.at[j, 'source']} 冲突（{conflicts[-1]['differs']}不同）"
                    merged.at[i, "merge_note"] = "；".join(
                        n for n in (merged.at[i, "merge_note"], note) if n
                    )
    dropped = {d["record_id"] for d in dup_rows}
    for d in dup_rows:
        logger.warning("duplicate: %s repeats %s; left out of the merge", d["source"], d["kept"])
    for c in conflicts:
        logger.warning(
            "conflict: %s and %s report %s with different %s",
            c["source"],
            c["other"],
            c["work"],
            c["differs"],
        )
    out = merged.loc[~merged["record_id"].isin(dropped)].reset_index(drop=True)
    out.attrs = merged.attrs
    issue_frame = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame()
    return MergeResult(
        out,
        pd.DataFrame(dup_rows, columns=["source", "kept", "record_id"]),
        pd.DataFrame(conflicts, columns=["work", "task_id", "source", "other", "differs"]),
        issue_frame,
        files,
    )


_FIELD_LABELS = {"date": "日期", "status": "状态", "quantity": "数量", "unit": "单位"}


def ledger_frame(records: pd.DataFrame) -> pd.DataFrame:
    """Records with the ledger's Chinese headers, statuses and 目标编号, as written out."""
    out = pd.DataFrame(index=records.index)
    for col, head in MERGED_HEADERS.items():
        if col == "target":
            ti = records.get("target_index")
            if ti is None:
                continue
            ti = pd.array(ti, dtype="Int64")
            out[head] = [
                "" if pd.isna(t) else f"{task}-{int(t) + 1}"
                for task, t in zip(records["task_id"], ti, strict=True)
            ]
        elif col == "status":
            out[head] = records["status"].map(lambda s: STATUS_LABELS.get(s, s))
        elif col == "layer":
            out[head] = records["layer"].map(
                lambda k: LAYER_KINDS[k].label if k in LAYER_KINDS else (k or "")
            )
        elif col == "date":
            out[head] = pd.to_datetime(records["date"]).dt.date
        elif col in records:
            out[head] = records[col]
    return out


def write_ledger(result: MergeResult | pd.DataFrame, path: str | Path) -> Path:
    """Write a merged ledger as ``.xlsx`` (with sheets for duplicates, conflicts and problems)
    or ``.csv`` (UTF-8 with BOM, for Excel), atomically, every cell escaped."""
    path = Path(path)
    merged = result.records if isinstance(result, MergeResult) else result
    table = escape_frame(ledger_frame(merged))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_bytes(path, table.to_csv(index=False).encode("utf-8-sig"), what="merged ledger")
        return path
    if suffix != ".xlsx":
        raise RecordsError(
            f"merged ledger `{path}`: write .xlsx or .csv, not {suffix or 'no suffix'}"
        )
    sheets = {"台账汇总": table}
    if isinstance(result, MergeResult):
        sheets["重复"] = escape_frame(
            result.duplicates.rename(
                columns={"source": "来源", "kept": "保留的行", "record_id": "记录编号"}
            )
        )
        sheets["冲突"] = escape_frame(
            result.conflicts.rename(
                columns={
                    "work": "工作",
                    "task_id": "任务编号",
                    "source": "来源",
                    "other": "另一行",
                    "differs": "不同之处",
                }
            )
        )
        sheets["问题"] = escape_frame(
            result.issues.rename(
                columns={
                    "level": "级别",
                    "file": "文件",
                    "sheet": "工作表",
                    "row": "行",
                    "column": "列",
                    "record_id": "记录编号",
                    "message": "说明",
                }
            )
        )
    with (
        atomic_path(path, what="merged ledger") as tmp,
        pd.ExcelWriter(tmp, engine="openpyxl", date_format="YYYY-MM-DD") as writer,
    ):
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            for cells in ws.iter_cols(min_row=2, max_row=ws.max_row):
                for cell in cells:
                    if isinstance(cell.value, dt.date):
                        cell.number_format = "yyyy-mm-dd"
    return path


__all__ = [
    "ISSUE_COLUMNS",
    "MergeResult",
    "check_ledger",
    "ledger_frame",
    "merge_ledgers",
    "write_ledger",
]
