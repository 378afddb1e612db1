"""``geoplan plan``: the action plan as a task register."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..datasets import SAMPLE_PLAN, data_path
from ._common import force_option, format_option, output_option, plan_warnings_to_stderr

if TYPE_CHECKING:
    from ..plan import Plan


@click.group()
def plan() -> None:
    """Read an action plan into its register of tasks, units and targets."""


_SUFFIX_FORMATS = {".json": "json", ".csv": "csv", ".xlsx": "xlsx", ".txt": "table"}


@plan.command()
@click.argument("plan_file", metavar="[PLAN]", required=False, type=click.Path(path_type=Path))
@format_option(
    ("json", "csv", "xlsx", "table"),
    short=True,
    help="json: the whole register; csv / xlsx: the register for Excel, one row per target "
    "quantity and every task with its units; table: a summary per task. "
    "Default: from the suffix of -o (.json, .csv, .xlsx, .txt), else json.",
)
@output_option(help="Write to this file (atomically) instead of standard output.")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "utf-8", "gb18030"]),
    default="utf-8-sig",
    show_default=True,
    help="Encoding of a CSV file. The default, UTF-8 with a byte-order mark, is what Excel "
    "in China needs to show Chinese; use utf-8 for none. JSON is always UTF-8.",
)
@force_option
def parse(plan_file: Path | None, fmt: str | None, output: Path | None, encoding: str) -> None:
    """Parse PLAN (default: the bundled 泉台管〔2021〕57号 plan).

    PLAN is the plan as it arrived: a Word .docx, a PDF with a text layer, a web page saved
    from a government site (.html), plain text (.txt, any common Chinese encoding), or an
    old Word .doc / WPS .wps file (converted with LibreOffice when it is installed).

    The parser's warnings (tasks without units or targets, parts it skipped) go to
    standard error; the command still exits 0 when it wrote the register.
    """
    from ..plan._parse import parse_plan
    from ..plan._read import write_atomic

    if fmt is None:
        suffix = output.suffix.lower() if output is not None else ""
        fmt = _SUFFIX_FORMATS.get(suffix, "json")
    if fmt == "xlsx" and output is None:
        raise click.UsageError(
            "--format xlsx writes a workbook file: pass -o, e.g. -o 任务清单.xlsx"
        )
    source = plan_file if plan_file is not None else data_path(SAMPLE_PLAN)
    with plan_warnings_to_stderr():  # the bundled plan's too: its gaps are this command's news
        register = parse_plan(source)

    if fmt == "xlsx" and output is not None:
        register.to_xlsx(output)
        text = ""
    elif fmt == "json":
        text = register.to_json(output)
    elif fmt == "csv":
        text = register.to_csv(output, encoding=encoding)
    else:
        text = _table(register)
        if output is not None:
            write_atomic(output, text, encoding="utf-8")
    if output is None:
        if fmt == "csv" and encoding == "utf-8-sig" and not sys.stdout.isatty():
            text = "\ufeff" + text
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {output}", err=True)


@plan.command()
@click.argument(
    "plan_file", metavar="PLAN", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@output_option(help="Write the text (UTF-8) to this file instead of standard output.")
def text(plan_file: Path, output: Path | None) -> None:
    """Print the text geoplan reads from PLAN (.docx, .pdf, .html, .doc, .txt).

    One paragraph per line; tables one line per row, cells separated by TAB. Use it to
    check what was read from a PDF or a web page before parsing it.
    """
    from ..plan._read import read_plan_text, write_atomic

    with plan_warnings_to_stderr():
        content = read_plan_text(plan_file)
    if output is None:
        click.echo(content, nl=False)
    else:
        write_atomic(output, content, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def _table(register: Plan) -> str:
    """A plain-text summary: one line per task with its lead unit and targets."""
    meta = register.meta
    lines = [
        f"{meta.title or '(untitled plan)'}  {meta.doc_number or ''}  "
        f"{meta.issuer or ''}  {meta.date.isoformat() if meta.date else ''}".rstrip(),
        f"{len(register.tasks)} tasks, "
        f"{sum(s.kind == 'action' for s in register.sections)} action sections, "
        f"{sum(s.kind == 'safeguard' for s in register.sections)} safeguard measures, "
        f"{sum(len(t.targets) for t in register.tasks)} targets",
        "",
    ]
    for task in register.tasks:
        lead = task.units[0] if task.units else "-"
        lines.append(f"{task.id:>3}  {task.title}  [{task.section}]  lead: {lead}")
        for target in task.targets:
            when = target.deadline.isoformat() if target.deadline else "undated"
            numbers = ", ".join(
                f"{q.comparator or ''}{q.value:.15g} {q.unit}".strip() for q in target.quantities
            )
            lines.append(f"       {when:<10}  {numbers or '-':<24}  {target.text[:40]}")
    return "\n".join(lines) + "\n"
