"""``geoplan records``: Excel progress ledgers (台账) out to the units, back in, checked, merged."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from ._common import output_option, read_plan


@click.group("records")
def records() -> None:
    """Progress ledgers (台账): write the template, check and merge what the units return."""


@records.command()
@click.argument("plan_file", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--units",
    default=None,
    help="Reporting units, comma-separated (e.g. 洛阳镇,东园镇,张坂镇,百崎回族乡); "
    "default: the plan's responsible units.",
)
@click.option(
    "--split",
    is_flag=True,
    help="One workbook per unit (台账_洛阳镇.xlsx …) with the targets of its tasks.",
)
@click.option(
    "--rows",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows to prepare.",
)
@output_option(required=True, help="The .xlsx to write (with --split: the name to derive from).")
def template(
    plan_file: Path | None, units: str | None, split: bool, rows: int, output: Path
) -> None:
    """Write the ledger workbook for PLAN (default: the bundled plan)."""
    from ..records._template import split_paths, units_tasks, write_template

    plan = read_plan(plan_file)
    names = [u.strip() for u in (units or "").replace("，", ",").split(",") if u.strip()]
    if not split:
        path = write_template(plan, output, units=names or None, rows=rows)
        click.echo(f"台账模板已写入 {path}")
        return
    if not names:
        from ..records._template import _plan_units

        names = _plan_units(plan)
    for unit, path in split_paths(output, names).items():
        tasks = units_tasks(plan, unit)
        if not tasks:
            click.secho(
                f"warning: {unit} is named by no task of the plan; its workbook lists every task",
                fg="yellow",
                err=True,
            )
        write_template(plan, path, units=names, unit=unit, rows=rows, tasks=tasks or None)
        click.echo(f"{unit}：{len(tasks) if tasks else len(plan.tasks)} 项任务 → {path}")


def _show(frame: pd.DataFrame, title: str) -> None:
    for rec in frame.to_dict("records"):
        level = rec.get("level", "")
        colour = "red" if level == "error" else "yellow"
        click.secho(f"{level or title}: {rec['message']}", fg=colour, err=True)


@records.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The plan the ledgers report on (default: the bundled plan).",
)
def check(files: tuple[Path, ...], plan_path: Path | None) -> None:
    """Check ledgers against the plan: every problem by file, sheet, row and column.

    Exit status 1 when a ledger has errors (warnings alone: 0).
    """
    from ..records._log import read_records
    from ..records._merge import check_ledger

    plan = read_plan(plan_path)
    errors = 0
    for path in files:
        recs = read_records(path, errors="skip")
        issues = check_ledger(recs, plan)
        _show(issues, "problem")
        for note in recs.attrs.get("geoplan_skipped", []):
            click.echo(f"note: {note}", err=True)
        n_err = int((issues["level"] == "error").sum())
        n_warn = int((issues["level"] == "warning").sum())
        errors += n_err
        click.echo(f"{path}: {len(recs)} 条记录可读，错误 {n_err}，警告 {n_warn}")
    if errors:
        raise SystemExit(1)


@records.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The plan the ledgers report on (default: the bundled plan).",
)
@output_option(required=True, help="台账汇总.xlsx (with sheets 重复, 冲突, 问题) or .csv.")
def merge(files: tuple[Path, ...], plan_path: Path | None, output: Path) -> None:
    """Merge the ledgers the units returned; report duplicates and conflicts by file and row."""
    from ..records._merge import merge_ledgers, write_ledger

    plan = read_plan(plan_path)
    result = merge_ledgers(files, plan=plan)
    _show(result.issues, "problem")
    for d in result.duplicates.to_dict("records"):
        click.secho(
            f"duplicate: {d['source']} repeats {d['kept']}; left out", fg="yellow", err=True
        )
    for c in result.conflicts.to_dict("records"):
        click.secho(
            f"conflict: {c['source']} and {c['other']} report {c['work']} with different "
            f"{c['differs']}; both kept",
            fg="yellow",
            err=True,
        )
    write_ledger(result, output)
    read = sum(result.files.values())
    click.echo(
        f"合并 {len(files)} 个台账，读取 {read} 行：写入 {len(result.records)} 行，"
        f"重复 {len(result.duplicates)} 行未写入，冲突 {len(result.conflicts)} 处，"
        f"问题 {len(result.issues)} 个 → {output}"
    )
