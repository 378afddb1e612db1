"""``geoplan demo``: the whole job on the bundled plan and sample, with a terminal summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ._common import as_of_option, force_option, output_option

_SCOPE_WORDS = {
    "town": "个乡镇",
    "town_year": "个乡镇·年度",
    "district": "个片区",
    "village": "个村",
}


def _summary_rows(card: Any) -> list[tuple[str, str, str, str, str, str]]:
    """One row per (task, metric): single-scope targets show their value, others counts."""
    from .._common.labels import (
        SCORE_STATUSES as STATUSES,
    )
    from .._common.labels import (
        display_unit,
        format_number,
        format_target,
        status_label,
    )
    from ..metrics import metric_label

    rows = []
    mapped = card[card["metric"].fillna("") != ""]
    for (task_id, metric), group in mapped.groupby(["task_id", "metric"], sort=True):
        first = group.iloc[0]
        unit = display_unit(first)
        target = format_target(first["target"], unit, first["comparator"])
        if len(group) == 1:
            value = format_number(first["value"], unit)
            status = str(first["status"])
            label = status_label(status)
        else:
            counts = group["status"].value_counts()
            value = f"{len(group)} {_SCOPE_WORDS.get(str(first['scope_type']), '个范围')}"
            status = next(s for s in STATUSES if s in counts)
            label = " ".join(f"{STATUSES[s][0]}{counts[s]}" for s in STATUSES if s in counts)
        rows.append((str(task_id), metric_label(str(metric)), target, value, label, status))
    return rows


@click.command()
@output_option(
    default=Path("geoplan-demo"),
    file_okay=False,
    help="Folder to write into; geoplan's own files there are replaced, others kept.",
)
@as_of_option(help="Evaluate targets as of this date (default: today).")
@click.option("--pdf", is_flag=True, help="Also print the report to PDF (headless Chromium).")
@force_option
def demo(output: Path, as_of: dt.date | None, pdf: bool) -> None:
    """Run everything on the bundled plan and illustrative sample of 泉州台商投资区."""
    import sys
    import time

    from rich import box
    from rich.console import Console
    from rich.table import Table

    from .._common.labels import SCORE_STATUSES as STATUSES
    from ..demo import STEPS, run_demo

    err = Console(stderr=True, highlight=False)
    # piped or redirected output has no width of its own: give the table room not to wrap
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    started = time.perf_counter()
    last = [started]

    def progress(number: int, name: str, label: str) -> None:
        now = time.perf_counter()
        if number > 1:
            err.print(f"      用时 {now - last[0]:.1f} 秒", style="dim")
        last[0] = now
        err.print(f"[{number}/{len(STEPS)}] {label} …")

    result = run_demo(output, as_of=as_of, pdf=pdf, progress=progress)
    err.print(f"      用时 {time.perf_counter() - last[0]:.1f} 秒", style="dim")
    card = result.scorecard
    assert card is not None
    plan = result.plan
    title = getattr(getattr(plan, "meta", None), "doc_number", None) or "geoplan demo"
    as_of_text = str(card["as_of"].iloc[0]) if "as_of" in card and len(card) else "today"
    table = Table(
        title=f"{title} 目标进度（截至 {as_of_text}，示例数据为示意）",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("任务", justify="right")
    table.add_column("指标", no_wrap=True)
    table.add_column("目标", justify="right", no_wrap=True)
    table.add_column("实测", justify="right", no_wrap=True)
    table.add_column("状态", no_wrap=True)
    for task_id, metric, target, value, label, status in _summary_rows(card):
        table.add_row(task_id, metric, target, value, f"[{STATUSES[status][1]}]{label}[/]")
    out.print(table)
    counts = card["status"].value_counts()
    out.print(
        "  ".join(f"{label} {int(counts.get(key, 0))}" for key, (label, _) in STATUSES.items())
    )
    for key, path in result.files.items():
        out.print(f"  {key:<15} {path}  ({path.stat().st_size / 1e6:.2f} MB)")
    for key, reason in result.skipped.items():
        err.print(f"[yellow]  {key:<15} 未写入 (not written): {reason}[/]")
    out.print(
        f"完成，用时 {time.perf_counter() - started:.1f} 秒。用浏览器打开 {result.files['report']}"
    )
