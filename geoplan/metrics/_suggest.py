"""A suggested target mapping for a new plan: which metric measures which target.

:func:`suggest_mapping` reads every target of a plan register and proposes, in the
``targets.csv`` format (:func:`geoplan.metrics._card.read_mapping`), one of:

- a layer metric, by keywords in the target's sentence and its unit (福道/绿道 + 公里 →
  ``greenway_completed_km``; 农房整治 + % → ``farmhouse_renovation_rate``; 绿盈乡村 + % →
  ``green_village_share``; 饮用水水源 + 保护 → ``water_zone_share``…, see :data:`RULES`);
- a ledger metric (:mod:`geoplan.metrics.records`) for a count, area, length or money
  quantity (``ledger_amount``), a share no layer measures, or a target stated in words
  (``ledger_percent``, the latter with an implied 100 %);
- none, when neither can (a unit the ledger cannot add up), as a commented line.

Each line carries a ``reason`` column saying why, for the planner who reviews the file
before passing it with ``--mapping``.

Examples
--------
>>> from geoplan.datasets import load_sample_plan
>>> rows = suggest_mapping(load_sample_plan())
>>> first = rows.loc[rows.task_id == 9].iloc[0]
>>> int(first.quantity_index), first.metric
(0, 'greenway_completed_km')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .._common.atomic import write_text
from .._common.cells import escape_frame
from ..records._units import unit_kind

#: Columns of a suggested mapping: the targets.csv columns, then why.
SUGGEST_COLUMNS = (
    "task_id",
    "target_index",
    "quantity_index",
    "year",
    "metric",
    "scope_type",
    "scope",
    "implied_value",
    "implied_unit",
    "implied_comparator",
    "implied_reason",
    "reason",
)


@dataclass(frozen=True)
class Rule:
    """A layer metric for targets whose sentence matches ``words`` and unit ``units``.

    ``words``: regular expressions that must all match the target's sentence (the whole
    task's text with ``in_task``); ``units``: the target units it measures (``None`` = a
    target stated in words, read as 100 %); ``scope_type``/``scope``: which rows;
    ``label``: the reason shown; ``also``: suggested beside the first matching rule (a
    sentence that commits to two things, or a measure shown next to another).
    """

    metric: str
    words: tuple[str, ...]
    units: tuple[str | None, ...] | None
    scope_type: str = "zone"
    scope: str = ""
    label: str = ""
    also: bool = False
    in_task: bool = False


#: Layer metrics by keywords and unit, most specific first.
RULES: tuple[Rule, ...] = (
    Rule(
        "greenway_completed_km", (r"福道|绿道",), ("公里", "km", "千米"), label="福道/绿道 + 公里"
    ),
    Rule(
        "greenway_service_coverage", (r"绿道", r"服务半径|覆盖率"), ("%",), label="绿道服务半径 + %"
    ),
    Rule("park_service_coverage", (r"公园", r"服务半径"), ("%",), label="公园服务半径 + %"),
    Rule(
        "sewage_network_km", (r"污水管网|污水管",), ("公里", "km", "千米"), label="污水管网 + 公里"
    ),
    Rule(
        "sewer_service_coverage",
        (r"污水管网|污水管", r"全覆盖|覆盖率"),
        ("%",),
        label="污水管网全覆盖 + %（居住用地距已建管网的服务距离）",
    ),
    Rule(
        "greenway_service_coverage",
        (r"生态廊道|绿道网络",),
        ("%",),
        label="生态廊道全覆盖 → 绿道服务半径覆盖率（代理）",
    ),
    Rule(
        "park_service_coverage",
        (r"公园绿地体系|公园体系",),
        ("%",),
        label="公园绿地体系 → 公园服务半径覆盖率（代理）",
        also=True,
    ),
    Rule("sewage_packaged_share", (r"打包",), ("%", None), label="污水设施“打包” + %"),
    Rule("property_management_share", (r"物业管理",), ("%",), label="物业管理 + %"),
    Rule("old_community_renovation", (r"老旧小区", r"改造"), ("%",), label="老旧小区改造 + %"),
    Rule(
        "estate_upgrade_share",
        (r"补短板", r"20\d\d\s*[-—–至到]\s*20\d\d\s*年"),
        ("%",),
        label="任务另承诺某年代建成小区“补短板” + %",
        also=True,
        in_task=True,
    ),
    Rule(
        "relic_wiring_share", (r"文物|文保", r"电气线路|用电"), ("%",), label="文物 + 电气线路 + %"
    ),
    Rule("relic_fire_safety_share", (r"文物|文保", r"三防|消防"), ("%",), label="文物 + 三防 + %"),
    Rule("village_plan_share", (r"村庄规划",), ("%",), label="村庄规划 + %"),
    Rule(
        "farmhouse_renovations_per_year",
        (r"农房", r"整治|改造", r"每年"),
        ("栋", "幢", "户"),
        scope_type="town_year",
        label="农房整治 + 每年 + 栋（各乡镇每年）",
    ),
    Rule(
        "demonstration_villages",
        (r"示范村",),
        ("个", "处"),
        scope_type="town",
        label="示范村 + 个（各镇）",
    ),
    Rule("farmhouse_renovation_rate", (r"农房", r"整治|改造"), ("%", None), label="农房整治 + %"),
    Rule("green_village_share", (r"绿盈乡村",), ("%",), label="绿盈乡村 + %"),
    Rule(
        "water_remediation_share",
        (r"饮用水|水源", r"千人以上|集中式", r"整治"),
        ("%", None),
        scope_type="scale",
        scope="千人以上集中式",
        label="千人以上集中式水源地 + 整治",
    ),
    Rule(
        "water_remediation_share",
        (r"饮用水|水源", r"分散式", r"整治"),
        ("%", None),
        scope_type="scale",
        scope="分散式",
        label="分散式水源地 + 整治",
    ),
    Rule(
        "water_zone_share",
        (r"饮用水|水源", r"保护区|保护全覆盖|生态环境保护"),
        ("%",),
        label="水源 + 保护区/保护全覆盖",
    ),
    Rule(
        "water_marker_share",
        (r"饮用水|水源", r"保护全覆盖|标志|界标"),
        ("%",),
        label="水源保护全覆盖的一步：边界标志",
        also=True,
    ),
    Rule(
        "district_project_completion",
        (r"片区", r"形成|改造|建成"),
        (None,),
        scope_type="district",
        label="片区形成 → 片区内项目竣工",
    ),
)
#: Words of a target that adds up over the years (else a money target is one year's figure).
_CUMULATIVE = re.compile(r"累计|新增|新建|新开工|完成投资")
_ANNUAL_MONEY = re.compile(r"产值|营业收入|收入|税收|规模")
#: How a target stated in words reads as 100 %.
_WORDS = re.compile(r"全面完成|全面建成|全覆盖|基本完成|基本建成|基本形成|建立|完成|形成|建成|实现")


def _matches(rule: Rule, text: str, unit: str | None, task_text: str = "") -> bool:
    if rule.units is not None and unit not in rule.units:
        return False
    where = task_text if rule.in_task else text
    return all(re.search(w, where) for w in rule.words)


def _per(qualifiers: Any) -> tuple[bool, bool]:
    quals = set(qualifiers) if isinstance(qualifiers, list | tuple) else set()
    per_year = bool(quals & {"per_year", "每年"})
    per_town = bool(quals & {"per_town", "各乡镇", "各镇", "各街道"})
    return per_year, per_town


def _ledger_scope(q: pd.Series) -> tuple[str, str, str]:
    """scope_type, scope and the reading for a ledger_amount line."""
    per_year, per_town = _per(q.get("qualifiers"))
    text = str(q.get("text") or "")
    if per_year and per_town:
        return "town_year", "", "各乡镇每年分别统计"
    if per_year:
        return "year", "", "每年分别统计"
    if per_town:
        return "town", "", "各乡镇分别统计"
    year = q.get("year")
    if (
        unit_kind(q["unit"]) == "money"
        and year is not None
        and not pd.isna(year)
        and _ANNUAL_MONEY.search(text)
        and not _CUMULATIVE.search(text)
    ):
        return "year", str(int(year)), f"读作{int(year)}年当年的数额，不是历年累计"
    return "zone", "", "全区累计"


def _usable(rule: Rule, kinds: frozenset[str] | None) -> bool:
    """Whether the layers at hand let ``rule``'s metric measure anything."""
    if kinds is None:
        return True
    from ._registry import METRICS

    metric = METRICS.get(rule.metric)
    return metric is not None and set(metric.requires) <= kinds


def _quantity_line(
    q: pd.Series, kinds: frozenset[str] | None = None, task_text: str = ""
) -> list[dict[str, Any]]:
    text, unit = str(q.get("text") or ""), str(q["unit"])
    base = {
        "task_id": int(q["task_id"]),
        "target_index": int(q["target_index"]),
        "quantity_index": int(q["quantity_index"]),
        "year": None if pd.isna(q.get("year")) else int(q["year"]),
    }
    hits = [
        r
        for r in RULES
        if r.units is not None and _matches(r, text, unit, task_text) and _usable(r, kinds)
    ]
    if all(r.in_task for r in hits):  # the task's other sentence alone does not read this one
        hits = []
    # 保护全覆盖 of 分散式 sources reads as both remediation and delineated zones
    if hits:
        first = hits[0]
        lines = [first] + [
            r
            for r in hits[1:]
            if r.also
            or (r.metric == "water_zone_share" and first.metric == "water_remediation_share")
        ]
        return [
            {
                **base,
                "metric": r.metric,
                "scope_type": r.scope_type,
                "scope": r.scope,
                "reason": f"图层指标：关键词与单位 {r.label}",
            }
            for r in lines
        ]
    kind = unit_kind(unit)
    if kind == "percent":
        return [
            {
                **base,
                "metric": "ledger_percent",
                "scope_type": "zone",
                "scope": "",
                "reason": "台账：没有图层指标计算这一比例，取台账报告的最新比例",
            }
        ]
    if kind is not None or unit:
        scope_type, scope, reading = _ledger_scope(q)
        return [
            {
                **base,
                "metric": "ledger_amount",
                "scope_type": scope_type,
                "scope": scope,
                "reason": (
                    f"台账：{unit}（{kind or '单位原样累加'}）没有图层指标，按台账数量{reading}"
                ),
            }
        ]
    return [{**base, "metric": "", "reason": "无：目标没有单位，台账无法累计"}]


def _words_line(t: pd.Series, kinds: frozenset[str] | None = None) -> dict[str, Any]:
    text = str(t["text"])
    base = {
        "task_id": int(t["task_id"]),
        "target_index": int(t["target_index"]),
        "quantity_index": None,
        "year": None if pd.isna(t["year"]) else int(t["year"]),
        "implied_value": 100,
        "implied_unit": "%",
        "implied_comparator": ">=",
    }
    for rule in RULES:
        if (
            rule.units is not None
            and None in rule.units
            and _matches(rule, text, None)
            and _usable(rule, kinds)
        ):
            return {
                **base,
                "metric": rule.metric,
                "scope_type": rule.scope_type,
                "scope": rule.scope,
                "implied_reason": f"{rule.label}：文字目标读作100%",
                "reason": f"图层指标：文字目标，关键词 {rule.label}",
            }
    verb = _WORDS.search(text)
    said = f"“{verb.group(0)}”" if verb else "文字目标"
    return {
        **base,
        "metric": "ledger_percent",
        "scope_type": "zone",
        "scope": "",
        "implied_reason": f"文字目标{said} → 台账有已完成记录即视为完成（100%）",
        "reason": "台账：目标只有文字，按台账是否有已完成记录判断",
    }


def suggest_mapping(plan: Any, *, layers: Iterable[str] | None = None) -> pd.DataFrame:
    """Suggest a metric for every target of ``plan`` (see the module docstring).

    Parameters
    ----------
    plan
        A :class:`~geoplan.Plan`.
    layers
        The layer kinds the bureau has (e.g. ``read_layers(...).keys()``); a layer metric
        needing a kind not among them gives way to the ledger. ``[]`` for a plan tracked by
        its ledger alone; None (default) assumes every kind.

    Returns
    -------
    DataFrame
        Columns :data:`SUGGEST_COLUMNS`, one line per (target quantity, metric); words-only
        targets have ``quantity_index`` empty and an implied 100 %; a target nothing can
        measure has an empty ``metric`` and its reason.
    """
    from ._card import plan_targets

    quantities = plan.quantities_frame()
    rows: list[dict[str, Any]] = []
    kinds = None if layers is None else frozenset(layers)
    task_texts = {task.id: task.text for task in plan.tasks}
    for _, q in quantities.iterrows():  # ~50 quantities
        rows += _quantity_line(q, kinds, task_texts.get(int(q["task_id"]), ""))
    targets = plan_targets(plan)
    for _, t in targets.loc[targets["quantities"] == 0].iterrows():
        rows.append(_words_line(t, kinds))
    frame = pd.DataFrame(rows, columns=list(SUGGEST_COLUMNS))
    frame = frame.sort_values(["task_id", "target_index"], kind="stable", ignore_index=True)
    for col in ("quantity_index", "year"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    frame["implied_value"] = pd.array(frame["implied_value"], dtype="Int64")
    return frame


def mapping_to_csv(frame: pd.DataFrame, path: str | Path | None = None, *, title: str = "") -> str:
    """The suggestion as a ``targets.csv`` file (lines nothing measures commented out).

    Cells a spreadsheet would run as formulas are escaped. Written atomically when
    ``path`` is given; the text is returned either way.
    """
    header = [
        f"# Suggested target mapping{' for ' + title if title else ''} (geoplan metrics "
        "suggest-mapping).",
        "# Review every line, then pass the file with `geoplan metrics --mapping FILE`.",
        "# reason: why this metric; lines starting with '# none' are targets nothing measures.",
    ]
    measured = frame.loc[frame["metric"].fillna("").ne("")]
    none = frame.loc[frame["metric"].fillna("").eq("")]
    body = escape_frame(measured.loc[:, list(SUGGEST_COLUMNS)]).to_csv(
        index=False, lineterminator="\n"
    )
    extra = [
        f"# none,{r.task_id},{r.target_index},{r.quantity_index},{r.reason}"
        for r in none.itertuples()
    ]
    text = "\n".join(header) + "\n" + body + "".join(line + "\n" for line in extra)
    if path is not None:
        write_text(path, text, what="target mapping")
    return text


def agreement(suggested: pd.DataFrame, mapping: pd.DataFrame) -> float:
    """Share of ``mapping``'s lines that the suggestion reproduces.

    A line agrees when the suggestion has a line for the same target and quantity with the
    same metric, scope type, scope and implied value, unit and comparator (the wording of
    ``implied_reason`` may differ).
    """
    keys = [
        "task_id",
        "target_index",
        "quantity_index",
        "metric",
        "scope_type",
        "scope",
        "implied_value",
        "implied_unit",
        "implied_comparator",
    ]

    def norm(frame: pd.DataFrame) -> set[tuple[str, ...]]:
        f = frame.reindex(columns=keys).astype(object)
        f = f.where(f.notna(), "")
        out = set()
        for row in f.itertuples(index=False):
            cells = []
            for k, v in zip(keys, row, strict=True):
                text = str(v).strip()
                if (
                    k == "implied_comparator"
                    and not text
                    and row[keys.index("implied_value")] != ""
                ):
                    text = ">="
                if k == "implied_value" and text:
                    text = f"{float(text):g}"
                cells.append(text)
            out.add(tuple(cells))
        return out

    want = [tuple(x) for x in norm(mapping)]
    got = norm(suggested)
    return sum(w in got for w in want) / len(want) if want else 1.0


__all__ = ["RULES", "SUGGEST_COLUMNS", "agreement", "mapping_to_csv", "suggest_mapping"]
