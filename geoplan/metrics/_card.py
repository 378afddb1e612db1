"""The target scorecard: every quantified target of the plan, measured as of a date.

A mapping file (``targets.csv`` shipped with geoplan, or your own) links register
quantities — ``task_id``, ``target_index``, ``quantity_index`` as in
:meth:`geoplan.plan.Plan.quantities_frame` — to a metric and a scope type. For every
quantity of the plan the scorecard gives one row per mapped scope (or one ``unmapped`` row),
with the measured value, the target, and a status:

``met``
    the value reaches the target (``>=``; ``<=`` for upper limits; a target without a
    comparator, e.g. "达到", is read as ``>=``, and so is ``==``);
``on_track``
    not met yet, the deadline is ahead, and the value is at least the straight line from
    the baseline at the plan start (2021-05-24; the metric's own value on that date, taken
    from the dated features) to the target at the deadline;
``behind``
    below that line — or, for an undated target (e.g. 物业管理覆盖率 90 %), simply not met
    at the as-of date;
``missed``
    the deadline has come (``as_of`` on or after it) and the value at the deadline did not
    reach the target (the note says if it was reached later); on the deadline day itself the
    value is final, so a year-end card reads a target due that day as met or missed;
``no_data``
    the metric's layer is missing or empty, the value is undefined, or the metric's unit
    does not match the target's (the note says which);
``unmapped``
    no metric measures this target yet.

**Judged value.** A row whose deadline has come is judged on its value at the deadline:
``value`` (with ``numerator`` and ``denominator``) is that judged value and ``judged_on``
the deadline; ``value_today`` beside it is the value at ``as_of``. Rows whose deadline is
ahead (or undated) have ``judged_on`` empty and ``value`` equal to ``value_today``.

**As-of dates.** A date after today is refused (:class:`~geoplan.MetricError`): the card
judges recorded work, and geoplan does not project; a date before the plan start too.

**Definitions.** Every row's ``definition`` states what the figure counts, with the
parameters that change its status (protection levels, remediation steps, counting start,
pro-rating, denominators); see ``docs/scorecard.md`` for each default and its reason.

**Plan start.** The straight line of ``on_track`` starts at the plan's own issue date
(``plan.meta.date``), or :data:`geoplan.settings.PLAN_START` (read at call time) when the
plan has none.

Per-year targets ("各乡镇每年整治既有农房200栋以上") map to ``town_year`` rows: one row per
town and year, each with that calendar year's end as its deadline, a straight line from
zero at the start of the year (the plan start in its first year). In the plan's first
year the target is pro-rated to the days from the plan start to 31 December
(``prorate_first_year=True``, the default: 200 栋 a year is 121.6 栋 from 2021-05-24);
``prorate_first_year=False`` compares that part-year with the full-year figure.

Every target of the register appears: measured, implied by the mapping (with the
reading in the note), or one ``unmapped`` row — including targets the plan states in
words only.

Targets the plan states in words only (任务20 "全区完成“打包”", 任务31 "形成一批片区") have no
quantity in the register; a mapping line may give them an implied value (see
:func:`read_mapping`), and their rows say so in the note.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import settings
from .._common.labels import SCORE_STATUS_LABELS
from .._errors import MetricError, SchemaError
from ..settings import logger
from ._registry import METRICS, SCOPE_TYPES, compute, get_metric, resolve_as_of
from .records import attach_targets, ledger_target

DEFAULT_MAPPING = Path(__file__).with_name("targets.csv")

#: Scorecard statuses in report order with their Chinese labels (one table for every output).
STATUS_LABELS: dict[str, str] = SCORE_STATUS_LABELS

#: metric unit -> target units it can be compared with.
UNIT_MATCHES: dict[str, frozenset[str]] = {
    "km": frozenset({"km", "公里", "千米"}),
    "%": frozenset({"%", "％"}),
    "count": frozenset({"count", "栋", "个", "套", "处", "座", "户", "项"}),
    "km2": frozenset({"km2", "km²", "平方公里"}),
    "m2": frozenset({"m2", "m²", "平方米"}),
}

COLUMNS = (
    "task_id",
    "target_index",
    "quantity_index",
    "metric",
    "scope_type",
    "scope",
    "year",
    "value",
    "judged_on",
    "value_today",
    "unit",
    "target",
    "target_unit",
    "comparator",
    "deadline",
    "baseline",
    "expected",
    "status",
    "numerator",
    "denominator",
    "as_of",
    "target_text",
    "definition",
    "note",
)

MAPPING_COLUMNS = ("task_id", "target_index", "quantity_index", "metric", "scope_type")


#: Optional mapping columns that measure a target the register gives no quantity for.
IMPLIED_COLUMNS = ("implied_value", "implied_unit", "implied_comparator", "implied_reason")


@dataclass(frozen=True)
class Implied:
    """A target value the mapping file supplies where the plan states none in figures.

    ``reason`` says how the words became the figure, e.g. ``全区完成 → 100 %``; the
    scorecard row's note repeats it, so nobody mistakes it for a figure of the plan.
    """

    value: float
    unit: str
    comparator: str
    reason: str


@dataclass(frozen=True)
class MappingRow:
    """One line of the target mapping file.

    ``quantity_index`` is None (and ``implied`` set) for a target measured through an
    implied value.
    """

    task_id: int
    target_index: int
    quantity_index: int | None
    metric: str
    scope_type: str
    scope: str
    year: int | None
    line: int
    implied: Implied | None = None
    definition: str = ""


def _int(value: str, what: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise SchemaError(f"{where}: {what} {value!r} is not a whole number") from None


def read_mapping(
    path: str | Path | None, plan: Any, targets: pd.DataFrame | None = None
) -> list[MappingRow]:
    """Read and validate a target mapping CSV against the plan's register.

    Columns: ``task_id``, ``target_index``, ``quantity_index``, ``metric``, ``scope_type``,
    optional ``scope`` (one scope name), ``year`` (checked against the register, so a
    mapping written for another parse of the plan fails loudly) and ``definition`` (how the
    metric reads the target, e.g. that it is a proxy; shown in the row's ``definition``).
    Lines starting with ``#`` are comments.

    A target the register holds no quantity for (a qualitative commitment such as
    "全区完成“打包”统一实施工作") is measured by leaving ``quantity_index`` empty and
    filling the optional columns ``implied_value``, ``implied_unit`` (matching the
    metric's unit), ``implied_comparator`` (``>=`` when empty) and ``implied_reason``
    (how the words read as that figure, e.g. ``全区完成 → 100 %``).

    Parameters
    ----------
    path
        The CSV; None for the bundled ``targets.csv``.
    plan
        A :class:`geoplan.plan.Plan` or its ``quantities_frame()``. Implied targets need
        the Plan (or ``targets``), since the quantities frame lists no target without one.
    targets
        The plan's targets as from :func:`plan_targets` (default: taken from ``plan``).

    Raises
    ------
    SchemaError
        Naming the file and line: unknown task, index out of range, unknown metric or scope
        type, year mismatch, missing column, an implied value for a target that already has
        quantities (or none for a target without), an implied unit the metric cannot give.
    """
    quantities = plan if isinstance(plan, pd.DataFrame) else plan.quantities_frame()
    if targets is None and not isinstance(plan, pd.DataFrame):
        targets = plan_targets(plan)
    path = Path(path) if path is not None else DEFAULT_MAPPING
    records = _mapping_records(path)
    tasks = sorted(set(quantities["task_id"].astype(int)))
    return [
        _mapping_row(
            rec, number, f"target mapping file {path} line {number}", quantities, targets, tasks
        )
        for number, rec in records
    ]


def _mapping_records(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The mapping file's data lines as (line number, column -> text); header checked."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SchemaError(f"target mapping file {path} cannot be read: {exc}") from None
    lines = [
        (n, ln)
        for n, ln in enumerate(text.splitlines(), 1)
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not lines:
        raise SchemaError(f"target mapping file {path} is empty; it needs a header line")
    reader = csv.DictReader([ln for _, ln in lines])
    header = set(reader.fieldnames or ())
    missing = [c for c in MAPPING_COLUMNS if c not in header]
    if missing:
        raise SchemaError(
            f"target mapping file {path} line {lines[0][0]}: missing column(s) {missing}; "
            f"the header must name {', '.join(MAPPING_COLUMNS)} (scope, year, "
            f"definition, {', '.join(IMPLIED_COLUMNS)} optional)"
        )
    return [(number, rec) for (number, _), rec in zip(lines[1:], reader, strict=True)]


def _mapping_row(
    rec: dict[str, str],
    number: int,
    where: str,
    quantities: pd.DataFrame,
    targets: pd.DataFrame | None,
    tasks: list[int],
) -> MappingRow:
    """One mapping line checked against the register and the metric registry."""
    task = _int(rec["task_id"], "task_id", where)
    ti = _int(rec["target_index"], "target_index", where)
    metric = rec["metric"].strip()
    if metric not in METRICS:
        raise SchemaError(
            f"{where}: unknown metric {metric!r}; registered metrics are "
            f"{', '.join(sorted(METRICS))}"
        )
    scope_type = rec["scope_type"].strip()
    if scope_type not in SCOPE_TYPES:
        raise SchemaError(
            f"{where}: unknown scope_type {scope_type!r}; use one of {sorted(SCOPE_TYPES)}"
        )
    qi_text = (rec.get("quantity_index") or "").strip()
    implied = {c: (rec.get(c) or "").strip() for c in IMPLIED_COLUMNS}
    qi: int | None = None
    if qi_text:
        qi = _int(qi_text, "quantity_index", where)
        reg_year = _check_quantity(quantities, task, ti, qi, tasks, where)
        given = [c for c, v in implied.items() if v]
        if given:
            q = quantities.loc[
                (quantities["task_id"] == task)
                & (quantities["target_index"] == ti)
                & (quantities["quantity_index"] == qi)
            ].iloc[0]
            raise SchemaError(
                f"{where}: {', '.join(given)} given for task {task} target {ti}, which "
                f"already has a quantity in the plan ({q['value']:g} {q['unit']}); "
                "implied values are only for targets without one: leave them empty"
            )
        implied_target = None
    else:
        reg_year, implied_target = _implied(implied, targets, task, ti, metric, where)
    year_text = (rec.get("year") or "").strip()
    year = _int(year_text, "year", where) if year_text else None
    if year_text and year != reg_year:
        raise SchemaError(
            f"{where}: says year {year} but task {task} target {ti} is for "
            f"{reg_year or 'no year'} in the plan; fix the indices or the year"
        )
    return MappingRow(
        task,
        ti,
        qi,
        metric,
        scope_type,
        (rec.get("scope") or "").strip(),
        year,
        number,
        implied_target,
        (rec.get("definition") or "").strip(),
    )


def _check_quantity(
    quantities: pd.DataFrame, task: int, ti: int, qi: int, tasks: list[int], where: str
) -> int | None:
    """Check that the register has quantity ``qi`` of target ``ti`` of ``task``; its year."""
    q = quantities.loc[quantities["task_id"] == task]
    if q.empty:
        raise SchemaError(
            f"{where}: unknown task id {task}; the plan's quantified tasks are "
            f"{', '.join(map(str, tasks))}"
        )
    qt = q.loc[q["target_index"] == ti]
    if qt.empty:
        raise SchemaError(
            f"{where}: task {task} has no quantified target_index {ti} (it has "
            f"{sorted(set(q['target_index']))}); for a target without a quantity leave "
            "quantity_index empty and give implied_value and implied_unit"
        )
    if qi not in set(qt["quantity_index"]):
        raise SchemaError(
            f"{where}: quantity_index {qi} is out of range for task {task} target {ti} "
            f"(valid: {sorted(set(qt['quantity_index']))})"
        )
    reg_year = qt.loc[qt["quantity_index"] == qi, "year"].iloc[0]
    return None if pd.isna(reg_year) else int(reg_year)


def _implied(
    given: dict[str, str],
    targets: pd.DataFrame | None,
    task: int,
    ti: int,
    metric: str,
    where: str,
) -> tuple[int | None, Implied]:
    """Validate the implied_* cells of a line without quantity_index; (year, Implied)."""
    if not given["implied_value"]:
        raise SchemaError(
            f"{where}: quantity_index is empty and no implied_value is given; name the "
            "register quantity this line measures, or, for a target the plan states without "
            "a figure, give implied_value and implied_unit"
        )
    if targets is None:
        raise SchemaError(
            f"{where}: an implied target needs the plan's targets; pass the Plan itself "
            "(not its quantities frame) to scorecard(...) or read_mapping(...)"
        )
    t = targets.loc[(targets["task_id"] == task) & (targets["target_index"] == ti)]
    if t.empty:
        known = sorted(set(targets.loc[targets["task_id"] == task, "target_index"]))
        raise SchemaError(
            f"{where}: task {task} has no target_index {ti} in the plan "
            f"(its targets: {known or 'none'})"
        )
    n = int(t["quantities"].iloc[0])
    if n:
        raise SchemaError(
            f"{where}: implied_value given for task {task} target {ti}, which already has "
            f"{n} quantit{'y' if n == 1 else 'ies'} in the plan; map its quantity_index "
            f"(0…{n - 1}) instead and leave the implied_* columns empty"
        )
    try:
        value = float(given["implied_value"])
    except ValueError:
        raise SchemaError(
            f"{where}: implied_value {given['implied_value']!r} is not a number; write the "
            "figure the words stand for, e.g. 100 for 全面完成"
        ) from None
    unit = given["implied_unit"]
    metric_unit = METRICS[metric].unit
    if not _units_match(metric_unit, unit):
        accepted = sorted(UNIT_MATCHES.get(metric_unit, {metric_unit}))
        raise SchemaError(
            f"{where}: implied_unit {unit!r} does not match metric `{metric}`, which is in "
            f"{metric_unit}; write one of {accepted}"
        )
    comparator = given["implied_comparator"] or ">="
    if comparator not in (">=", "<=", "=="):
        raise SchemaError(
            f"{where}: implied_comparator {comparator!r} is not one of >=, <=, == (empty means >=)"
        )
    year = t["year"].iloc[0]
    reason = given["implied_reason"] or f"implied {value:g} {unit}"
    implied = Implied(value, unit, comparator, reason)
    return (None if pd.isna(year) else int(year)), implied


def plan_targets(plan: Any) -> pd.DataFrame:
    """Every target of the plan's tasks, with or without quantities.

    Columns ``task_id``, ``target_index``, ``year``, ``deadline``, ``text``, ``quantities``
    (how many the register holds).
    """
    return pd.DataFrame(
        [
            {
                "task_id": task.id,
                "target_index": i,
                "year": target.year,
                "deadline": target.deadline,
                "text": target.text,
                "quantities": len(target.quantities),
            }
            for task in plan.tasks  # ~30 tasks, not features
            for i, target in enumerate(task.targets)
        ],
        columns=["task_id", "target_index", "year", "deadline", "text", "quantities"],
    )


def _load_plan(plan: Any) -> Any:
    """The Plan (or quantities frame) ``plan`` stands for: None is the bundled plan."""
    from ..datasets import resolve_plan

    return resolve_plan(plan)


def _deadline(q: pd.Series) -> dt.date | None:
    deadline = q.get("deadline")
    if deadline is not None and not pd.isna(deadline):
        return pd.Timestamp(deadline).date()
    if q.get("year") is not None and not pd.isna(q.get("year")):
        return dt.date(int(q["year"]), 12, 31)
    return None


def _reached(value: float, target: float, comparator: str) -> bool:
    if comparator == "<=":
        return bool(value <= target + 1e-9)
    return bool(value >= target - 1e-9)


def _units_match(metric_unit: str, target_unit: str) -> bool:
    return target_unit in UNIT_MATCHES.get(metric_unit, frozenset({metric_unit}))


class _Frames:
    """Metric frames computed once per (metric, date)."""

    def __init__(self, layers: Mapping[str, Any], records: Any, inputs: dict[str, Any]):
        self.layers, self.records, self.inputs = layers, records, inputs
        self.cache: dict[tuple[str, dt.date], pd.DataFrame] = {}
        self.relabelled: dict[Any, Any] = {}  # layers as of each date, for the whole card

    def get(self, metric: str, day: dt.date) -> pd.DataFrame:
        from ._asof import as_of_cache

        key = (metric, day)
        if key not in self.cache:
            with as_of_cache(self.relabelled):
                frame = compute(metric, self.layers, self.records, as_of=day, **self.inputs)
            self.cache[key] = frame
        return self.cache[key]

    def for_target(self, metric: str, q: pd.Series) -> _Frames:
        """The frames one target reads: a ledger metric sums that target's records only."""
        target = ledger_target(metric, q)
        if target is None:
            return self
        return _Frames(self.layers, self.records, {**self.inputs, "ledger_target": target})

    def value(self, metric: str, day: dt.date, scope_type: str, scope: str) -> float:
        return self.row(metric, day, scope_type, scope)["value"]

    def row(self, metric: str, day: dt.date, scope_type: str, scope: str) -> dict[str, float]:
        """value, numerator and denominator of one scope (NaN when the scope is absent)."""
        return scope_row(self.get(metric, day), scope_type, scope)


def scope_row(frame: pd.DataFrame, scope_type: str, scope: str) -> dict[str, float]:
    """value, numerator and denominator of one scope of a metric frame (NaN when absent)."""
    hit = frame.loc[(frame["scope_type"] == scope_type) & (frame["scope"] == scope)]
    cols = ("value", "numerator", "denominator")
    if hit.empty:
        return dict.fromkeys(cols, np.nan)
    return {c: float(hit[c].iloc[0]) for c in cols}


def plan_start_of(plan: Any) -> dt.date:
    """The plan's issue date (``plan.meta.date``), else :data:`geoplan.settings.PLAN_START`.

    The setting is read at call time, so a session that changes it is heard.
    """
    meta = getattr(plan, "meta", None)
    date = getattr(meta, "date", None)
    if isinstance(date, dt.date):
        return date
    return settings.PLAN_START


def _prorate(target: float, year: int, start: dt.date) -> tuple[float, str]:
    """A per-year target for the part of ``year`` from ``start`` on: (target, definition)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if start <= first or start > last:
        return target, ""
    days, total = (last - start).days + 1, (last - first).days + 1
    share = target * days / total
    return share, (
        f"{year}年按方案印发日 {start} 起的 {days}/{total} 天折算目标："
        f"{target:g} × {days}/{total} = {share:.1f}"
    )


def _evaluate(
    row: dict[str, Any],
    q: pd.Series,
    frames: _Frames,
    as_of: dt.date,
    *,
    plan_start: dt.date | None = None,
    prorate_first_year: bool = True,
) -> dict[str, Any]:
    """Fill status, baseline, expected and the judged value for one measured row."""
    plan_start = plan_start or settings.PLAN_START
    value, target = row["value"], float(q["value"])
    row = {**row, "value_today": value}
    comparator = q.get("comparator") if isinstance(q.get("comparator"), str) else None
    comp = comparator if comparator == "<=" else ">="
    notes = [row["note"]] if row["note"] else []
    definitions = [row["definition"]] if row.get("definition") else []
    if not _units_match(row["unit"], str(q["unit"])):
        logger.warning(
            "task %s: unit mismatch: metric `%s` is in %s but the target is in %s",
            q["task_id"],
            row["metric"],
            row["unit"],
            q["unit"],
        )
        msg = f"单位不一致：指标 {row['metric']} 的单位是 {row['unit']}，目标的单位是 {q['unit']}"
        return {**row, "status": "no_data", "note": "；".join([msg, *notes])}
    if pd.isna(value):
        return {**row, "status": "no_data"}
    deadline, start, baseline = _deadline(q), plan_start, np.nan
    per_year = row["scope_type"] in ("year", "town_year") and not pd.isna(row["year"])
    if per_year:
        year = int(row["year"])
        deadline, baseline = dt.date(year, 12, 31), 0.0
        start = max(plan_start, dt.date(year, 1, 1))
        if prorate_first_year:
            target, how = _prorate(target, year, plan_start)
            if how:
                definitions.append(how)
                row["target"] = target
    out = {**row, "deadline": deadline, "definition": "；".join(definitions)}
    if deadline is None:
        status = "met" if _reached(value, target, comp) else "behind"
        notes.append("目标没有期限：按评估日的值比较")
        return {**out, "status": status, "note": "；".join(notes)}
    if as_of >= deadline:
        return _judge(out, target, comp, deadline, frames, notes, per_year)
    if pd.isna(baseline):
        baseline = frames.value(row["metric"], start, row["scope_type"], row["scope"])
        baseline = 0.0 if pd.isna(baseline) else baseline
    span = max((deadline - start).days, 1)
    frac = min(max((as_of - start).days / span, 0.0), 1.0)
    expected = baseline + (target - baseline) * frac
    if _reached(value, target, comp):
        status = "met"
    else:
        status = "on_track" if _reached(value, expected, comp) else "behind"
    return {
        **out,
        "status": status,
        "baseline": baseline,
        "expected": expected,
        "note": "；".join(notes),
    }


def _judge(
    out: dict[str, Any],
    target: float,
    comp: str,
    deadline: dt.date,
    frames: _Frames,
    notes: list[str],
    per_year: bool,
) -> dict[str, Any]:
    """A row whose deadline has come: judged on its value at the deadline.

    ``value``, ``numerator`` and ``denominator`` become the figures at the deadline,
    ``judged_on`` the deadline; ``value_today`` keeps the figure at the as-of date. A
    per-year row's value already is its year's total, final at the year end.
    """
    today = out["value_today"]
    if not per_year:
        try:
            at = frames.row(out["metric"], deadline, out["scope_type"], out["scope"])
        except MetricError as exc:  # a deadline before the plan's issue date
            notes.append(f"截止日 {deadline} 无法评估：{exc}")
            return {**out, "status": "no_data", "note": "；".join(notes)}
        out = {**out, **at}
    judged = out["value"]
    out["judged_on"] = deadline
    if pd.isna(judged):
        notes.append(f"截止日 {deadline} 时没有数据")
        return {**out, "status": "no_data", "note": "；".join(notes)}
    if _reached(judged, target, comp):
        return {**out, "status": "met", "note": "；".join(notes)}
    if _reached(today, target, comp):
        notes.append(f"截止日后才达到（截止日 {deadline} 时为 {judged:.4g}）")
    else:
        notes.append(f"截止日 {deadline} 时为 {judged:.4g}")
    return {**out, "status": "missed", "note": "；".join(notes)}


def _implied_quantities(
    rules: list[MappingRow], targets: pd.DataFrame | None
) -> list[tuple[pd.Series, Implied | None]]:
    """Register-shaped rows for the mapping lines that carry an implied target."""
    out: list[tuple[pd.Series, Implied | None]] = []
    for rule in rules:
        if rule.implied is None or targets is None:
            continue
        t = targets.loc[
            (targets["task_id"] == rule.task_id) & (targets["target_index"] == rule.target_index)
        ].iloc[0]
        q = pd.Series(
            {
                "task_id": rule.task_id,
                "target_index": rule.target_index,
                "quantity_index": pd.NA,
                "year": t["year"],
                "deadline": t["deadline"],
                "value": rule.implied.value,
                "unit": rule.implied.unit,
                "comparator": rule.implied.comparator,
                "text": t["text"],
            }
        )
        out.append((q, rule.implied))
    return out


def _rule_rows(
    rule: MappingRow,
    q: pd.Series,
    base: dict[str, Any],
    frames: _Frames,
    day: dt.date,
    **options: Any,
) -> list[dict[str, Any]]:
    """The scorecard rows one mapping line gives for one target quantity."""
    implied = f"目标由指标映射推定，并非方案原文数字：{rule.implied.reason}" if rule.implied else ""
    frames = frames.for_target(rule.metric, q)
    unit = get_metric(rule.metric).unit
    frame = frames.get(rule.metric, day)
    sel = frame.loc[frame["scope_type"] == rule.scope_type]
    if rule.scope:
        sel = sel.loc[sel["scope"] == rule.scope]
    if sel.empty:
        where = f"{rule.scope_type} {rule.scope}" if rule.scope else rule.scope_type
        why = "；".join(n for n in frame["note"].unique() if n) or (
            f"指标 {rule.metric} 没有 {where} 的结果"
        )
        return [
            {
                **base,
                "metric": rule.metric,
                "scope_type": rule.scope_type,
                "scope": rule.scope,
                "unit": unit,
                "status": "no_data",
                "note": "；".join(n for n in (implied, why) if n),
            }
        ]
    rows = []
    for _, m in sel.iterrows():  # the few scopes of one metric
        row = {
            **base,
            "metric": rule.metric,
            "scope_type": m["scope_type"],
            "scope": m["scope"],
            "value": m["value"],
            "unit": m["unit"],
            "numerator": m["numerator"],
            "denominator": m["denominator"],
            "definition": "；".join(d for d in (rule.definition, m["method"]) if d),
            "note": m["note"],
        }
        if not pd.isna(m["year"]):
            row["year"] = int(m["year"])
        out = _evaluate(row, q, frames, day, **options)
        out["note"] = "；".join(n for n in (implied, out["note"]) if n)
        rows.append(out)
    return rows


def _unmapped_targets(
    targets: pd.DataFrame | None, rules: list[MappingRow]
) -> list[tuple[pd.Series, Implied | None]]:
    """Register-shaped rows for targets with no quantity and no implied mapping line."""
    if targets is None:
        return []
    implied = {(r.task_id, r.target_index) for r in rules if r.implied is not None}
    out: list[tuple[pd.Series, Implied | None]] = []
    for _, t in targets.loc[targets["quantities"] == 0].iterrows():  # ~20 targets
        if (int(t["task_id"]), int(t["target_index"])) in implied:
            continue
        q = pd.Series(
            {
                "task_id": t["task_id"],
                "target_index": t["target_index"],
                "quantity_index": pd.NA,
                "year": t["year"],
                "deadline": t["deadline"],
                "value": np.nan,
                "unit": "",
                "comparator": None,
                "text": t["text"],
            }
        )
        out.append((q, None))
    return out


def scorecard(
    plan: Any = None,
    layers: Mapping[str, Any] | None = None,
    records: pd.DataFrame | None = None,
    *,
    as_of: dt.date | str | None = None,
    mapping: str | Path | None = None,
    prorate_first_year: bool = True,
    engine: str = "pandas",
    scheduler: str | None = None,
    **inputs: Any,
) -> pd.DataFrame:
    """Evaluate every target of the plan as of a date.

    Parameters
    ----------
    plan
        A :class:`geoplan.plan.Plan`, a path to the plan text, or None for the bundled
        泉台管〔2021〕57号. A DataFrame shaped like ``Plan.quantities_frame()`` also works
        with a mapping that has no implied targets (the bundled one has: it needs the Plan).
    layers
        Layer kind -> GeoDataFrame; None loads the bundled sample (and its records, when
        ``records`` is None too).
    records
        The progress log; rows dated after ``as_of`` are ignored.
    as_of
        Evaluate as of this date (default today); before the plan's issue date, or after
        today, is a :class:`~geoplan.MetricError` (geoplan does not project).
    mapping
        Path of a target mapping CSV replacing the bundled ``targets.csv``.
    prorate_first_year
        Pro-rate a per-year target in the plan's first year to the days from the plan's
        issue date to 31 December (default True).
    engine
        ``"pandas"`` (layers in memory) or ``"dask"``: the big layers stay partitioned
        and the metrics run on a Dask cluster (:mod:`geoplan.metrics._dask`; ``layers``
        may then be the folder ``geoplan layers export --parquet`` wrote). Same rows.
    scheduler
        With ``engine="dask"``: a scheduler address (``tcp://HOST:8786``); None starts a
        local cluster.
    **inputs
        Extra inputs and parameters for metrics: rasters (``landcover=``, ``dem=``) and
        the definitions that change a status, e.g. ``key_levels=("national",)``,
        ``remediation_components=("works",)``, ``count_from="plan"``,
        ``built_years=(2000, 2010)``, ``service_m=300``, ``radius_m=800``.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: one row per mapped (quantity, scope), and one ``unmapped``
        row per target no metric measures.

    Examples
    --------
    The bundled plan and sample, as of the end of 2023:

    >>> card = scorecard(as_of="2023-12-31")
    >>> row = card[card.metric == "greenway_completed_km"].iloc[0]
    >>> int(row.task_id), round(float(row.value), 2), float(row.target), row.status
    (9, 7.2, 10.0, 'on_track')
    """
    plan = _load_plan(plan)
    start = plan_start_of(plan)
    day = resolve_as_of(as_of, plan_start=start)
    if layers is None:
        from ..datasets import load_sample, load_sample_records

        layers = load_sample()
        if records is None:
            records = load_sample_records()
    quantities = plan if isinstance(plan, pd.DataFrame) else plan.quantities_frame()
    quantities = quantities.reset_index(drop=True)
    targets = None if isinstance(plan, pd.DataFrame) else plan_targets(plan)
    rules = read_mapping(mapping, quantities, targets)
    records = attach_targets(records, quantities, targets)
    inputs = {"plan_start": start, **inputs}
    options = {"plan_start": start, "prorate_first_year": prorate_first_year}
    if engine == "dask":
        from ._dask import dask_frames

        with dask_frames(layers, records, inputs, scheduler=scheduler) as dframes:
            return _card(quantities, targets, rules, dframes, day, options)  # type: ignore[arg-type]
    if engine != "pandas":
        raise MetricError(f"engine {engine!r} is not known; use 'pandas' or 'dask'")
    return _card(quantities, targets, rules, _Frames(layers, records, inputs), day, options)


def _card(
    quantities: pd.DataFrame,
    targets: pd.DataFrame | None,
    rules: list[MappingRow],
    frames: _Frames,
    day: dt.date,
    options: dict[str, Any],
) -> pd.DataFrame:
    """The scorecard rows of every quantity, with metric frames from ``frames``."""
    # The register's quantities, the targets the mapping gives an implied value, and the
    # targets stated in words only that nothing measures (one unmapped row each).
    measured: list[tuple[pd.Series, Implied | None]] = [
        (q, None)
        for _, q in quantities.iterrows()  # ~50 quantities, not features
    ]
    measured += _implied_quantities(rules, targets)
    words_only = _unmapped_targets(targets, rules)
    measured += words_only
    measured.sort(key=lambda item: (int(item[0]["task_id"]), int(item[0]["target_index"])))
    bare = {id(q) for q, _ in words_only}
    rows: list[dict[str, Any]] = []
    for q, implied in measured:
        base = {
            "task_id": int(q["task_id"]),
            "target_index": int(q["target_index"]),
            "quantity_index": pd.NA if pd.isna(q["quantity_index"]) else int(q["quantity_index"]),
            "target": float(q["value"]),
            "target_unit": q["unit"],
            "comparator": q.get("comparator"),
            "deadline": _deadline(q),
            "as_of": day,
            "target_text": q.get("text", ""),
            "year": pd.NA if pd.isna(q.get("year")) else int(q["year"]),
        }
        if id(q) in bare:
            note = "方案只有文字、没有数字目标，也没有指标映射（可在 targets.csv 写推定值）"
            rows.append({**base, "metric": "", "status": "unmapped", "note": note})
            continue
        key = (base["task_id"], base["target_index"])
        mine = [
            r
            for r in rules
            if (r.task_id, r.target_index) == key
            and (r.implied is implied if implied else r.quantity_index == q["quantity_index"])
        ]
        if not mine:
            rows.append({**base, "metric": "", "status": "unmapped", "note": ""})
            continue
        for rule in mine:
            rows += _rule_rows(rule, q, base, frames, day, **options)
    card = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in card:
            card[col] = np.nan
    card["note"] = card["note"].fillna("")
    card["definition"] = card["definition"].fillna("")
    return card.loc[:, list(COLUMNS)]


def list_metrics() -> pd.DataFrame:
    """The registered metrics: name, Chinese label, unit, family, layers, inputs, description."""
    return pd.DataFrame(
        [
            {
                "metric": m.name,
                "label": m.label,
                "unit": m.unit,
                "family": m.family,
                "requires": ",".join(m.requires),
                "inputs": ",".join(m.inputs),
                "description": m.description,
            }
            for m in METRICS.values()
        ]
    ).sort_values(["family", "metric"], ignore_index=True)
