"""The static progress report: one self-contained, offline HTML file (and optionally PDF).

:func:`write_report` turns the plan, the layers and the progress log into the report a
section chief opens with no Python and no internet: a header with the plan's title,
document number, as-of date and data provenance; the status summary overall and per
action section; the sortable scorecard; one section per mapped task with the metric by
town, a chart, the progress over time and a map of the task's layers; and a notice
section listing whatever is missing from the inputs. Every value is HTML-escaped.

Examples
--------
>>> import geoplan
>>> path = geoplan.write_report(  # the bundled plan (None) on the illustrative sample
...     None, geoplan.load_sample(), geoplan.load_sample_records(),
...     path="report.html", as_of="2025-12-31", sample=True)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .._common.atomic import write_text
from .._common.dates import as_date
from .._common.labels import KIND_LABELS, SCORE_STATUSES, format_date
from .._errors import GeoplanError, PlanWarning, ReportError, missing_dependency
from ..settings import logger
from ._build import (
    Notice,
    complete_scorecard,
    future_as_of_notice,
    groups,
    input_notices,
    summary,
)
from ._charts import cjk_font_family
from ._tasks import TaskSection, task_sections

__all__ = [
    "cjk_font_family",
    "render_report",
    "write_report",
]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment() -> Any:
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - jinja2 comes with folium
        raise missing_dependency("jinja2", "report", "write reports") from exc
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,  # every value is escaped; only chart data URIs are ours
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _as_date(value: dt.date | str | None, name: str) -> dt.date | None:
    return as_date(value, name, error=ReportError)


def _load_plan(plan: Any) -> tuple[Any, str]:
    from ..datasets import resolve_plan

    if plan is None or hasattr(plan, "tasks"):
        plan = resolve_plan(plan)
        meta = getattr(plan, "meta", None)
        name = " ".join(
            str(v) for v in (getattr(meta, "doc_number", None), getattr(meta, "title", None)) if v
        )
        return plan, f"规划：{name or '调用方提供的 Plan 对象'}（{len(plan.tasks)} 项任务）"
    parsed = resolve_plan(plan)
    return parsed, f"规划：{Path(plan).name}（{len(parsed.tasks)} 项任务）"


def _load_layers(layers: Any) -> tuple[Mapping[str, Any], str]:
    if layers is None:
        return {}, "图层：未提供"
    if isinstance(layers, Mapping):
        counts = "，".join(
            f"{KIND_LABELS.get(k, k)} {len(v):,}" for k, v in layers.items() if v is not None
        )
        return layers, f"图层：{len(layers)} 个（{counts}）"
    from ..datasets import resolve_layers

    loaded = resolve_layers(layers)
    return loaded, f"图层：{Path(layers).name}（{len(loaded)} 个图层）"


def _load_records(records: Any) -> tuple[pd.DataFrame | None, str]:
    if records is None or isinstance(records, pd.DataFrame):
        label = "进度记录：未提供" if records is None else f"进度记录：{len(records):,} 条"
        return records, label
    path = Path(records)
    if path.is_file() and not path.read_text(encoding="utf-8-sig", errors="replace").strip(
        " \r\n,"
    ).count("\n"):
        # an empty file, or a header with no rows: no progress has been logged
        return None, f"进度记录：{path.name}（空文件）"
    from ..datasets import resolve_records

    frame = resolve_records(path)
    return frame, f"进度记录：{path.name}（{len(frame):,} 条）"


def _empty_scorecard() -> pd.DataFrame:
    return pd.DataFrame({"task_id": pd.array([], dtype="Int64"), "status": []})


def render_report(
    plan: Any = None,
    layers: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    records: pd.DataFrame | str | os.PathLike[str] | None = None,
    *,
    as_of: dt.date | str | None = None,
    scorecard: pd.DataFrame | None = None,
    history: pd.DataFrame | bool = True,
    mapping: Any = None,
    provenance: Sequence[str] = (),
    sample: bool = False,
    maps: bool = True,
    today: dt.date | None = None,
) -> str:
    """Return the report as one HTML string; see :func:`write_report` for the parameters."""
    # the yearly history recomputes every metric: a missing layer is logged once, not 7 times
    with _each_message_once(logger):
        return _render_report(
            plan,
            layers,
            records,
            as_of=as_of,
            scorecard=scorecard,
            history=history,
            mapping=mapping,
            provenance=provenance,
            sample=sample,
            maps=maps,
            today=today,
        )


@contextmanager
def _each_message_once(log: logging.Logger) -> Iterator[None]:
    """Drop log records whose message was already logged inside the block."""
    seen: set[tuple[int, str]] = set()

    def first_time(record: logging.LogRecord) -> bool:
        key = (record.levelno, record.getMessage())
        if key in seen:
            return False
        seen.add(key)
        return True

    log.addFilter(first_time)
    try:
        yield
    finally:
        log.removeFilter(first_time)


def _render_report(
    plan: Any,
    layers: Mapping[str, Any] | str | os.PathLike[str] | None,
    records: pd.DataFrame | str | os.PathLike[str] | None,
    *,
    as_of: dt.date | str | None,
    scorecard: pd.DataFrame | None,
    history: pd.DataFrame | bool,
    mapping: Any,
    provenance: Sequence[str],
    sample: bool,
    maps: bool,
    today: dt.date | None,
) -> str:
    today = today or dt.date.today()
    notices: list[Notice] = []
    requested = _as_date(as_of, "as_of") or today
    if requested > today:
        notices.append(future_as_of_notice(requested, today))
        requested = today
    plan, plan_source = _load_plan_for(plan, requested, notices)
    from ..metrics import scorecard_history

    layer_map, layer_source = _load_layers(layers)
    records_given = records is not None
    recs, records_source = _load_records(records)
    snapshots = history if isinstance(history, pd.DataFrame) else None
    if history is True and layer_map:
        # the scorecard at each year end, and at as_of: the last one is this report's
        snapshots = scorecard_history(plan, layer_map, recs, as_of=requested, mapping=mapping)
        if scorecard is None and len(snapshots):
            scorecard = snapshots[snapshots["as_of"] == requested].reset_index(drop=True)
    if scorecard is None:
        scorecard = _compute_scorecard(plan, layer_map, recs, requested, mapping, notices)
    card = complete_scorecard(scorecard, plan)
    notices.extend(
        input_notices(
            card,
            plan=plan,
            layers=layer_map if layers is not None else None,
            records=recs,
            records_given=records_given,
        )
    )
    tasks = task_sections(
        card,
        plan=plan,
        layers=layer_map,
        records=recs,
        as_of=requested,
        history=snapshots,
        maps=maps,
        notices=notices,
    )
    if tasks and cjk_font_family() is None:
        notices.append(_NO_CJK_FONT)
    context = _context(
        plan,
        card,
        tasks,
        as_of=requested,
        provenance=[plan_source, layer_source, records_source, *provenance],
        sample=sample,
        notices=notices,
    )
    html = _environment().get_template("report.html.j2").render(**context)
    logger.info(
        "report: %d targets, %d task sections, %d notices", len(card), len(tasks), len(notices)
    )
    return html


#: The notice shown when no CJK font was found for the charts.
_NO_CJK_FONT = Notice(
    "本机未找到中文字体，图表中的中文可能显示为方框。请安装中文字体"
    "（Debian/Ubuntu：apt-get install fonts-noto-cjk；Windows 自带微软雅黑），"
    "删除 matplotlib 的字体缓存后重新生成报告。"
)


def _load_plan_for(plan: Any, as_of: dt.date, notices: list[Notice]) -> tuple[Any, str]:
    """Load the plan (and its source line); refuse an ``as_of`` before the plan started.

    The parser's :class:`PlanWarning` s become info notices; other warnings pass through.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PlanWarning)
        plan, plan_source = _load_plan(plan)
    from ..metrics import plan_start

    start = plan_start(plan)
    if as_of < start:
        raise ReportError(
            f"as_of {as_of.isoformat()} is before the plan started "
            f"({start.isoformat()}); choose a date on or after it"
        )
    for warning in caught:
        if issubclass(warning.category, PlanWarning):
            notices.append(Notice(f"规划解析提示：{warning.message}", "info"))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return plan, plan_source


def _context(
    plan: Any,
    card: pd.DataFrame,
    tasks: list[TaskSection],
    *,
    as_of: dt.date,
    provenance: list[str],
    sample: bool,
    notices: list[Notice],
) -> dict[str, Any]:
    """The report template's variables."""
    overall, per_section = summary(card, plan)
    meta = getattr(plan, "meta", None)
    from .. import __version__

    return {
        "version": __version__,
        "title": getattr(meta, "title", None) or "规划任务进度",
        "doc_number": getattr(meta, "doc_number", None),
        "issuer": getattr(meta, "issuer", None),
        "issued": format_date(getattr(meta, "date", None)),
        "as_of": as_of.isoformat(),
        "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "provenance": provenance,
        "sample": sample,
        "notices": notices,
        "total": len(card),
        "statuses": [{"key": k, "label": v[0], "colour": v[1]} for k, v in SCORE_STATUSES.items()],
        "colours": {k: v[1] for k, v in SCORE_STATUSES.items()},
        "status_rank": {k: i for i, k in enumerate(SCORE_STATUSES)},
        "overall": overall,
        "per_section": per_section,
        "groups": groups(card, plan),
        "tasks": tasks,
        "task_anchors": {t.id for t in tasks},
    }


def _compute_scorecard(
    plan: Any,
    layers: Mapping[str, Any],
    records: pd.DataFrame | None,
    as_of: dt.date,
    mapping: Any,
    notices: list[Notice],
) -> pd.DataFrame:
    from ..metrics import scorecard

    try:
        return scorecard(plan, layers, records, as_of=as_of, mapping=mapping)
    except GeoplanError as exc:
        notices.append(Notice(f"无法计算目标清单：{exc}"))
        return _empty_scorecard()


def write_report(
    plan: Any = None,
    layers: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    records: pd.DataFrame | str | os.PathLike[str] | None = None,
    *,
    path: str | os.PathLike[str] = "geoplan-report.html",
    as_of: dt.date | str | None = None,
    scorecard: pd.DataFrame | None = None,
    history: pd.DataFrame | bool = True,
    mapping: Any = None,
    provenance: Sequence[str] = (),
    sample: bool = False,
    maps: bool = True,
    pdf: bool | str | os.PathLike[str] = False,
) -> Path:
    """Write the progress report as one self-contained, offline HTML file.

    Parameters
    ----------
    plan
        A :class:`geoplan.plan.Plan`, or the path of a plan text; default the bundled
        泉台管〔2021〕57号.
    layers
        Layer kind -> GeoDataFrame (as from :func:`geoplan.read_layers`), or a GeoPackage
        path. Without layers every mapped target is "no data" and the report says so.
    records
        The progress log (DataFrame or CSV path). An empty file is reported, not an error.
    path
        Where to write the HTML; the write is atomic (temporary file, then rename).
    as_of
        Evaluate the targets as of this date (default today). A date in the future is
        replaced by today, with a notice in the report.
    scorecard
        A precomputed :func:`geoplan.scorecard` frame; computed from the inputs otherwise.
    history
        Progress over time: a frame with ``as_of``, ``metric``, ``value`` (and optionally
        ``task_id``, ``scope``), e.g. the store's metric snapshots; ``True`` computes the
        scorecard at each year end since the plan started; ``False`` leaves it out.
    mapping
        The target -> metric mapping passed on to :func:`geoplan.scorecard`.
    provenance
        Extra lines for the "数据来源" list (survey dates, who supplied the layers).
    sample
        Say in the header that the data are the illustrative bundled sample.
    maps
        Embed an interactive offline map of each mapped task's layers (about 0.2 MB each).
    pdf
        Also print the report to PDF with headless Chromium: ``True`` writes it next to the
        HTML with the suffix ``.pdf``, or give the PDF path.

    Returns
    -------
    Path
        The HTML file written.

    Examples
    --------
    >>> import pathlib, tempfile, geoplan
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> path = geoplan.write_report(path=out, as_of="2023-12-31", maps=False, history=False)
    >>> "泉台管〔2021〕57号" in path.read_text(encoding="utf-8")
    True
    """
    html = render_report(
        plan,
        layers,
        records,
        as_of=as_of,
        scorecard=scorecard,
        history=history,
        mapping=mapping,
        provenance=provenance,
        sample=sample,
        maps=maps,
    )
    target = Path(path)
    write_text(target, html, what="report", error=ReportError)
    logger.info("report written to %s (%.1f MB)", target, target.stat().st_size / 1e6)
    if pdf:
        from ._pdf import html_to_pdf

        pdf_path = target.with_suffix(".pdf") if pdf is True else Path(pdf)
        html_to_pdf(target, pdf_path)
    return target
