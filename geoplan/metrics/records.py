"""Record-based metrics: targets measured from the progress ledger (台账) alone.

No layer holds 1万套 of new housing, 100万平方米 of floor area or 400亿元 of construction
output; the units that do the work report it in their ledgers. These metrics measure one
target each (the scorecard tells them which, see :func:`ledger_target`):

``ledger_amount`` (台账累计量)
    The sum of the quantities the ledger reports for the target, converted to the target's
    unit (万平方米 ↔ 平方米, 亿元 ↔ 元, 公里 ↔ 米; counts only to themselves): records
    completed on or before the as-of date and dated on or after the plan start; for a
    target of new starts (…开工…) records under construction count too. A completed
    record of a count target (套, 个, 处…) without a quantity counts as one. Scopes:
    ``zone`` (全区), ``town`` (the record's 乡镇, else its 填报单位 when that is a town),
    ``year`` and ``town_year``, so that 每年 / 各乡镇 targets have their rows.
``ledger_percent`` (台账完成情况)
    For a share (%) target, the latest share the ledger reports; for a target stated in
    words (全面完成, 全覆盖, or an implied value in the mapping) a completed record reads
    as 100 %. Scopes ``zone`` and ``town``.

Records of the target's task that name no target (目标编号 empty) count for it when the
task has one target, or when the target is the only one of its task whose unit their unit
converts to (:func:`attach_targets`). Records whose unit does not convert to the target's
are left out, and the row's note names them.

Examples
--------
>>> import pandas as pd
>>> from geoplan.metrics import compute_metric
>>> from geoplan.metrics.records import LedgerTarget
>>> log = pd.DataFrame({
...     "record_id": ["a", "b"], "task_id": [7, 7], "layer": [None, None],
...     "feature_id": [None, None], "date": pd.to_datetime(["2022-03-01", "2023-05-01"]),
...     "status": ["completed", "completed"], "quantity": [35000.0, 2.5],
...     "unit": ["平方米", "万平方米"], "note": ["", ""], "target_index": [0, 0]})
>>> target = LedgerTarget(7, 0, "万平方米", "新建住房100万平方米")
>>> frame = compute_metric("ledger_amount", {}, log, as_of="2023-12-31", ledger_target=target)
>>> float(frame.loc[frame.scope_type == "zone", "value"].iloc[0])
6.0
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import settings
from ..records._log import Shared, SharedList
from ..records._units import conversion_factor, normalise_unit, unit_kind, units_convert
from ._registry import metric_frame, register_metric

#: Metrics that measure one target of the ledger; the scorecard binds them to it.
LEDGER_METRICS: tuple[str, ...] = ("ledger_amount", "ledger_percent")
_TOWN = re.compile(r"(?:镇|乡|街道)$")
_STARTS = re.compile(r"开工")


@dataclass(frozen=True)
class LedgerTarget:
    """The target a ledger metric measures: task, target index, unit, text."""

    task_id: int
    target_index: int
    unit: str
    text: str = ""
    qualifiers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The 目标编号 the ledger uses (``9-1`` for task 9's first target)."""
        return f"{self.task_id}-{self.target_index + 1}"


def ledger_target(metric: str, q: pd.Series) -> LedgerTarget | None:
    """The target a scorecard row ``q`` (a register quantity) asks ``metric`` to measure.

    None for a metric that is not a ledger metric: the scorecard computes it once for all.
    """
    if metric not in LEDGER_METRICS:
        return None
    quals = q.get("qualifiers")
    return LedgerTarget(
        int(q["task_id"]),
        int(q["target_index"]),
        str(q["unit"]),
        str(q.get("text") or ""),
        tuple(quals) if isinstance(quals, list | tuple) else (),
    )


def attach_targets(
    records: pd.DataFrame | None,
    quantities: pd.DataFrame,
    targets: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """Fill ``target_index`` of records that name no target, where the plan leaves one choice.

    Parameters
    ----------
    records
        The progress log (a ``target_index`` column is added when missing).
    quantities
        ``Plan.quantities_frame()``: the targets' units.
    targets
        :func:`geoplan.metrics._card.plan_targets` (targets without quantities too).

    Returns
    -------
    DataFrame or None
        A copy; ``attrs["geoplan_ambiguous"]`` lists the record ids that fit several targets.
    """
    if records is None or records.empty:
        return records
    out = records.copy()
    given = out["target_index"] if "target_index" in out else pd.Series(pd.NA, index=out.index)
    index = pd.array(given, dtype="Int64")
    units: dict[int, dict[int, set[str]]] = {}
    for row in quantities.itertuples():  # ~50 quantities
        units.setdefault(int(row.task_id), {}).setdefault(int(row.target_index), set()).add(
            str(row.unit)
        )
    if targets is not None:
        for row in targets.itertuples():
            units.setdefault(int(row.task_id), {}).setdefault(int(row.target_index), set())
    ambiguous: list[str] = []
    todo = pd.isna(index)
    for task, rows in out.loc[todo].groupby("task_id"):  # one group per task, ~30
        choices = units.get(int(task), {})
        if len(choices) == 1:
            index[out.index.get_indexer(rows.index)] = next(iter(choices))
            continue
        for unit, same in rows.groupby(rows["unit"].fillna("").astype(str)):
            fits = [
                ti for ti, us in choices.items() if unit and any(units_convert(unit, u) for u in us)
            ]
            where = out.index.get_indexer(same.index)
            if len(fits) == 1:
                index[where] = fits[0]
            elif choices:
                ambiguous += same["record_id"].astype(str).tolist()
    out["target_index"] = index
    out.attrs["geoplan_ambiguous"] = SharedList(ambiguous)
    # a target with 1万套 and 100万平方米: the 套 records are not the 平方米 quantity's errors
    out.attrs["geoplan_target_units"] = Shared(
        (f"{task}-{ti + 1}", sorted(us)) for task, tis in units.items() for ti, us in tis.items()
    )
    return out


def _scope_town(records: pd.DataFrame) -> pd.Series:
    none = pd.Series(None, index=records.index, dtype=object)
    town = records["town"].astype(object) if "town" in records else none
    rep = records["reporter"].astype(object) if "reporter" in records else none
    rep = rep.where(rep.notna() & rep.astype(str).str.contains(_TOWN), None)
    return town.where(town.notna() & town.astype(str).ne(""), rep)


def _of_target(records: pd.DataFrame | None, target: LedgerTarget) -> pd.DataFrame:
    if records is None or records.empty or "target_index" not in records:
        return pd.DataFrame(columns=["record_id", "date", "status", "quantity", "unit"])
    ti = pd.array(records["target_index"], dtype="Int64")
    mine = (records["task_id"].astype(int) == target.task_id).to_numpy() & (
        ti == target.target_index
    ).fillna(False).to_numpy(dtype=bool)
    return records.loc[mine]


def _ids(frame: pd.DataFrame, n: int = 5) -> str:
    ids = frame["record_id"].astype(str).tolist()
    return "、".join(ids[:n]) + ("…" if len(ids) > n else "")


def _no_target(metric: str, unit: str, as_of: dt.date) -> pd.DataFrame:
    note = f"指标 {metric} 按目标统计台账：请在指标映射中把它对应到一个目标"
    rows = [{"scope_type": "zone", "scope": "全区", "value": np.nan, "note": note}]
    return metric_frame(metric, rows, unit=unit, as_of=as_of, method=note)


@register_metric(
    "ledger_amount",
    unit="目标单位",
    family="records",
    label="台账累计量",
    description="台账中该目标已完成（新开工目标含在建）的工作量之和，换算为目标的单位。",
)
def ledger_amount(
    layers: Any,
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    ledger_target: Any = None,
    plan_start: dt.date | None = None,
) -> pd.DataFrame:
    """Sum of the ledger's quantities for one target, in the target's unit.

    Work dated before the plan began (``plan_start``: the plan's own date, which the
    scorecard passes; else :data:`geoplan.settings.PLAN_START`) is not counted.
    """
    start = plan_start or settings.PLAN_START
    if ledger_target is None:
        return _no_target("ledger_amount", "目标单位", as_of)
    target: LedgerTarget = ledger_target
    unit = normalise_unit(target.unit)
    mine = _of_target(records, target)
    starts = bool(_STARTS.search(target.text))
    counted = ("completed", "under_construction") if starts else ("completed",)
    method = (
        f"按台账：目标 {target.key} 的{'已完成和在建（新开工）' if starts else '已完成'}记录"
        f"（{start.isoformat()} 以后）数量之和，换算为 {unit}"
    )
    if mine.empty:
        note = f"台账没有目标 {target.key} 的记录（任务 {target.task_id}）"
        empty = [{"scope_type": "zone", "scope": "全区", "value": np.nan, "note": note}]
        return metric_frame("ledger_amount", empty, unit=unit, as_of=as_of, method=method)
    dates = pd.to_datetime(mine["date"])
    use = mine.loc[mine["status"].isin(counted).to_numpy() & (dates >= pd.Timestamp(start))]
    notes = []
    early = mine.loc[dates < pd.Timestamp(start)]
    if len(early):
        notes.append(f"{len(early)} 条记录早于方案实施（{start}），未计入：{_ids(early)}")
    qty = use["quantity"].astype(float)
    rec_unit = use["unit"].fillna("").astype(str).map(normalise_unit)
    is_count = unit_kind(unit) == "count"
    one = qty.isna() & is_count
    if one.any():
        notes.append(f"{int(one.sum())} 条已完成记录没有数量，按 1 {unit} 计：{_ids(use[one])}")
    qty = qty.where(~one, 1.0)
    rec_unit = rec_unit.where(~one & rec_unit.ne(""), rec_unit.where(~one, unit))
    blank = qty.notna() & rec_unit.eq("")
    if blank.any():
        notes.append(f"{int(blank.sum())} 条记录未填单位，按目标单位 {unit} 计：{_ids(use[blank])}")
        rec_unit = rec_unit.where(~blank, unit)
    fits = pd.Series([units_convert(u, unit) for u in rec_unit], index=use.index, dtype=bool)
    attrs = records.attrs if records is not None else {}
    siblings = (attrs.get("geoplan_target_units") or {}).get(target.key, [])
    sibling = pd.Series(
        [any(units_convert(u, s) for s in siblings if s != unit) for u in rec_unit],
        index=use.index,
        dtype=bool,
    )
    fits_other = ~fits & sibling  # the target's other quantity (套 beside 平方米)
    wrong_unit = ~fits & ~fits_other & qty.notna()
    if wrong_unit.any():
        bad = use[wrong_unit]
        wrong = "、".join(sorted(set(rec_unit[wrong_unit])))
        notes.append(
            f"{len(bad)} 条记录的单位（{wrong}）不能换算为 {unit}，未计入：{_ids(bad)}；"
            "请在台账中改正单位"
        )
    missing = qty.isna() & ~fits_other
    if missing.any():
        notes.append(f"{int(missing.sum())} 条记录没有数量，未计入：{_ids(use[missing])}")
    ok = fits & qty.notna()
    factor = pd.Series(
        [conversion_factor(u, unit) for u in rec_unit[ok]], index=rec_unit[ok].index, dtype=float
    )
    value = qty[ok] * factor
    frame = pd.DataFrame(
        {
            "value": value,
            "town": _scope_town(use.loc[ok]),
            "year": pd.to_datetime(use.loc[ok, "date"]).dt.year,
        }
    )
    converted = sorted(set(rec_unit[ok]) - {unit})
    if converted:
        notes.append(f"由 {'、'.join(converted)} 换算为 {unit}")
    kinds = "已完成和在建（新开工）" if starts else "已完成"
    note = "；".join([f"按台账：目标 {target.key} 的{kinds}记录 {len(frame)} 条", *notes])
    rows: list[dict[str, Any]] = [
        {
            "scope_type": "zone",
            "scope": "全区",
            "value": float(frame["value"].sum()),
            "numerator": float(len(frame)),
            "note": note,
        }
    ]
    towns = frame.dropna(subset=["town"])
    for town, part in towns.groupby("town"):
        rows.append(
            {"scope_type": "town", "scope": town, "value": float(part["value"].sum()), "note": note}
        )
    first = max(start.year, int(frame["year"].min()) if len(frame) else start.year)
    for year in range(first, as_of.year + 1):
        part = frame.loc[frame["year"] == year]
        rows.append(
            {
                "scope_type": "year",
                "scope": str(year),
                "year": year,
                "value": float(part["value"].sum()),
                "numerator": float(len(part)),
                "note": note,
            }
        )
        for town in sorted(set(towns["town"])):
            sub = part.loc[part["town"] == town]
            rows.append(
                {
                    "scope_type": "town_year",
                    "scope": f"{town} {year}",
                    "year": year,
                    "value": float(sub["value"].sum()),
                    "note": note,
                }
            )
    return metric_frame("ledger_amount", rows, unit=unit, as_of=as_of, method=method)


@register_metric(
    "ledger_percent",
    unit="%",
    family="records",
    label="台账完成情况",
    description="台账报告的该目标最新比例；文字目标（全面完成、全覆盖）有已完成记录即按100%计。",
)
def ledger_percent(
    layers: Any, records: pd.DataFrame | None, *, as_of: dt.date, ledger_target: Any = None
) -> pd.DataFrame:
    """The latest share the ledger reports for one target; a completed record is 100 %."""
    if ledger_target is None:
        return _no_target("ledger_percent", "%", as_of)
    target: LedgerTarget = ledger_target
    mine = _of_target(records, target)
    method = f"按台账：目标 {target.key} 最新一条记录报告的比例；已完成且未填比例的记录按100%计"
    if mine.empty:
        note = f"台账没有目标 {target.key} 的记录（任务 {target.task_id}）"
        empty = [{"scope_type": "zone", "scope": "全区", "value": np.nan, "note": note}]
        return metric_frame("ledger_percent", empty, unit="%", as_of=as_of, method=method)
    unit = mine["unit"].fillna("").astype(str).map(normalise_unit)
    # records in 公里 or 套 measure another quantity of the same target (福道10公里 beside
    # 园林城市创建): only shares and records without a unit tell whether it is done
    other = len(mine)
    mine, unit = mine.loc[unit.isin(("%", "")).to_numpy()], unit[unit.isin(("%", ""))]
    if mine.empty:
        note = (
            f"台账没有目标 {target.key} 的记录（任务 {target.task_id}；"
            f"{other} 条记录的单位不是 %，属于该目标的其他数量）"
        )
        empty = [{"scope_type": "zone", "scope": "全区", "value": np.nan, "note": note}]
        return metric_frame("ledger_percent", empty, unit="%", as_of=as_of, method=method)
    share = mine["quantity"].astype(float)
    done = mine["status"].eq("completed")
    value = share.where(share.notna(), np.where(done, 100.0, np.nan))
    readable = value.notna()
    frame = pd.DataFrame(
        {
            "value": value[readable],
            "date": pd.to_datetime(mine.loc[readable, "date"]),
            "record_id": mine.loc[readable, "record_id"].astype(str),
            "status": mine.loc[readable, "status"],
            "town": _scope_town(mine.loc[readable]),
        }
    ).sort_values(["date", "record_id"])
    labels = {"completed": "已完成", "under_construction": "在建", "planned": "计划"}

    def reading(part: pd.DataFrame) -> tuple[float, str]:
        last = part.iloc[-1]
        day = last["date"].date().isoformat()
        return float(last["value"]), (
            f"按台账：最新记录 {last['record_id']}（{day}，{labels.get(last['status'], '')}）"
            f"为 {last['value']:g}%"
        )

    rows: list[dict[str, Any]] = []
    if frame.empty:
        states = "、".join(
            f"{labels.get(s, s)} {n} 条" for s, n in mine["status"].value_counts().items()
        )
        note = f"台账有目标 {target.key} 的记录（{states}），尚无已完成记录或比例"
        rows.append({"scope_type": "zone", "scope": "全区", "value": 0.0, "note": note})
    else:
        zone = frame.loc[frame["town"].isna()]
        if len(zone):
            value0, note = reading(zone)
        else:
            latest = frame.groupby("town").tail(1)
            value0 = float(latest["value"].mean())
            note = f"按台账：各乡镇最新比例的平均（{len(latest)} 个乡镇）"
        rows.append({"scope_type": "zone", "scope": "全区", "value": value0, "note": note})
        for town, part in frame.dropna(subset=["town"]).groupby("town"):
            v, n = reading(part)
            rows.append({"scope_type": "town", "scope": town, "value": v, "note": n})
    return metric_frame("ledger_percent", rows, unit="%", as_of=as_of, method=method)


__all__ = ["LEDGER_METRICS", "LedgerTarget", "attach_targets", "ledger_target"]
