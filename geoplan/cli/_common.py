"""Options and input handling shared by the ``geoplan`` commands.

Every command that works on data takes the same ``--layers``, ``--plan``, ``--records``
and ``--as-of`` options with the same meaning, and :func:`resolve_inputs` applies one
rule for what is used when they are left out:

- no ``--layers``: the bundled illustrative sample, and with it the sample's progress log
  unless ``--records`` is given;
- ``--layers``: those layers, and records only from ``--records``;
- no ``--plan``: the bundled plan 泉台管〔2021〕57号 (its known gaps go to the log);
  ``--plan``: that file, its parser warnings shown on standard error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .._common.dates import as_date
from .._errors import GeoplanError, PlanWarning

if TYPE_CHECKING:
    import pandas as pd

    from ..plan import Plan

F = TypeVar("F", bound=Callable[..., Any])

LAYERS_HELP = (
    "GeoPackage, folder of layers, or a KML/KMZ, DXF, File Geodatabase (.gdb) or CSV/xlsx "
    "file (default: the bundled sample of 泉州台商投资区)."
)
PLAN_HELP = (
    "Action-plan document: .docx, .pdf, .html or .txt (default: the bundled 泉台管〔2021〕57号)."
)
RECORDS_HELP = (
    "Progress log: CSV, Excel ledger (.xlsx) or GeoPackage (default: the sample's log with "
    "the sample layers; none with --layers)."
)
AS_OF_HELP = "Evaluate targets as of this date (default: today; not before 2021-05-24)."
CRS_HELP = (
    "CRS of layers that carry none (DXF, CSV/xlsx X/Y, shapefiles without .prj), e.g. "
    "EPSG:4549; GCJ-02 or BD-09 for lon/lat digitised on Gaode/Tencent or Baidu maps "
    "(converted to WGS84)."
)
COLUMNS_HELP = (
    "Column mapping (.yaml or .csv): your column names and values -> geoplan's, per layer, "
    "with optional per-layer CRS; `geoplan layers check --write-mapping FILE` drafts one."
)


def date_callback(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> dt.date | None:
    """Click callback: an ISO date option as a :class:`datetime.date`."""
    try:
        return as_date(value, "date")
    except GeoplanError:
        raise click.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2023-12-31"
        ) from None


def _existing_path(flag: str, dest: str, *, help: str, dir_okay: bool) -> Callable[[F], F]:
    return click.option(
        flag, dest, type=click.Path(exists=True, dir_okay=dir_okay, path_type=Path), help=help
    )


def layers_option(*, help: str = LAYERS_HELP) -> Callable[[F], F]:
    """``--layers PATH`` (an existing GeoPackage or folder) into ``layers_path``."""
    return _existing_path("--layers", "layers_path", help=help, dir_okay=True)


def plan_option(*, help: str = PLAN_HELP) -> Callable[[F], F]:
    """``--plan FILE`` (an existing plan document) into ``plan_path``."""
    return _existing_path("--plan", "plan_path", help=help, dir_okay=False)


def records_option(*, help: str = RECORDS_HELP) -> Callable[[F], F]:
    """``--records FILE`` (an existing CSV or GeoPackage) into ``records_path``."""
    return _existing_path("--records", "records_path", help=help, dir_okay=False)


def as_of_option(*, help: str = AS_OF_HELP) -> Callable[[F], F]:
    """``--as-of YYYY-MM-DD`` parsed to a :class:`datetime.date` (``None`` when left out)."""
    return click.option("--as-of", "as_of", callback=date_callback, metavar="YYYY-MM-DD", help=help)


def crs_option(*, help: str = CRS_HELP) -> Callable[[F], F]:
    """``--crs CRS`` into ``crs`` (checked when the layers are read)."""
    return click.option("--crs", "crs", metavar="CRS", help=help)


def columns_option(*, help: str = COLUMNS_HELP) -> Callable[[F], F]:
    """``--columns FILE`` (an existing .yaml/.csv column mapping) into ``columns_path``."""
    return _existing_path("--columns", "columns_path", help=help, dir_okay=False)


def layer_read_options(func: F) -> F:
    """``--crs`` and ``--columns``: how the files of ``--layers`` are read."""
    for option in (columns_option(), crs_option()):
        func = option(func)
    return func


def data_options(func: F) -> F:
    """``--layers``, ``--crs``, ``--columns``, ``--plan``, ``--records`` and ``--as-of``."""
    for option in (as_of_option(), records_option(), plan_option()):
        func = option(func)
    return layers_option()(layer_read_options(func))


def output_option(
    *, help: str, default: Path | None = None, file_okay: bool = True, required: bool = False
) -> Callable[[F], F]:
    """``-o/--output`` into ``output``: a file, or a folder when ``file_okay=False``."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(file_okay=file_okay, dir_okay=not file_okay, path_type=Path),
        default=default,
        required=required,
        show_default=default is not None,
        help=help,
    )


def format_option(
    choices: tuple[str, ...], *, help: str, default: str | None = None, short: bool = False
) -> Callable[[F], F]:
    """``--format`` (``-f`` too when ``short``) into ``fmt``."""
    names = ("-f", "--format") if short else ("--format",)
    return click.option(
        *names,
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=default is not None,
        help=help,
    )


@contextlib.contextmanager
def plan_warnings_to_stderr() -> Iterator[None]:
    """Show the plan parser's warnings as ``warning: …`` lines on standard error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PlanWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, PlanWarning):
            click.secho(f"warning: {warning.message}", fg="yellow", err=True)
        else:  # not ours to swallow: hand it back to the warnings machinery
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def read_plan(plan_path: Path | None) -> Plan:
    """The plan in ``plan_path`` (warnings on standard error), else the bundled plan."""
    from ..datasets import resolve_plan

    with plan_warnings_to_stderr():
        return resolve_plan(plan_path)


@dataclass(frozen=True)
class Inputs:
    """What a command works on, after :func:`resolve_inputs` applied the defaults.

    With ``read=False``, ``plan``, ``layers`` and ``records`` given as paths stay paths
    (``geoplan.write_report`` reads them and names the files in its report).
    """

    plan: Any
    layers: Any
    records: Any
    sample: bool  # the bundled sample layers are used
    layers_label: str | None = None  # the --layers path and how it was read, for provenance


def resolve_inputs(
    layers_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    *,
    defaults: bool = True,
    read: bool = True,
    crs: str | None = None,
    columns_path: Path | None = None,
) -> Inputs:
    """Apply the shared defaults (module docstring) and read what was given.

    Parameters
    ----------
    layers_path, plan_path, records_path
        The ``--layers``, ``--plan`` and ``--records`` values.
    crs, columns_path
        ``--crs`` and ``--columns``: how ``--layers`` is read. Either one makes the layers
        read here even with ``read=False`` (a reader downstream would not know them).
    defaults
        Fill what was left out with the bundled plan, sample and log. ``False`` leaves it
        ``None`` (``geoplan db load`` loads only what it is given).
    read
        Read user files here; ``False`` passes their paths on.
    """
    from ..datasets import resolve_layers, resolve_records

    sample = defaults and layers_path is None
    plan: Plan | Path | None
    if plan_path is not None and not read:
        plan = plan_path
    elif plan_path is not None or defaults:
        plan = read_plan(plan_path)
    else:
        plan = None
    if (crs is not None or columns_path is not None) and layers_path is None:
        raise click.UsageError("--crs and --columns say how to read --layers; pass --layers too")
    layers: dict[str, Any] | Path | None = None
    label = None
    if layers_path is not None:
        how = [f"--crs {crs}"] * (crs is not None) + [f"--columns {columns_path}"] * (
            columns_path is not None
        )
        label = f"{layers_path}" + (f" ({', '.join(how)})" if how else "")
        if read or how:
            from ..layers import read_layers

            layers = read_layers(layers_path, crs=crs, columns=columns_path)
        else:
            layers = layers_path
    else:
        layers = resolve_layers(None, sample=sample)
    records: pd.DataFrame | Path | None = None
    if records_path is not None and not read:
        records = records_path
    else:
        records = resolve_records(records_path, sample=sample)
        if records_path is not None:
            warn_about_records(plan, layers, records)
    return Inputs(plan=plan, layers=layers, records=records, sample=sample, layers_label=label)


def warn_about_records(plan: Any, layers: Any, records: Any) -> int:
    """Show the progress log's orphans as ``warning: …`` lines on standard error.

    Records whose task is not in the plan (task 99), whose feature id matches no feature
    of its layer, or whose layer was not given count for nothing or for the wrong thing:
    a figure must not change because of them without the planner seeing why. Returns the
    number of warnings shown.
    """
    from collections.abc import Mapping

    from ..records._log import validate_records

    if records is None:
        return 0
    report = validate_records(
        records,
        plan=plan if hasattr(plan, "tasks") else None,
        layers=layers if isinstance(layers, Mapping) else None,
    )
    shown = 0
    for issue in report.issues:
        if issue.level != "error":
            continue
        ids = ", ".join(issue.feature_ids[:5])
        more = len(issue.feature_ids) - 5
        ids_text = f" [records: {ids}{f', … {more} more' if more > 0 else ''}]" if ids else ""
        click.secho(
            f"warning: {report.source}: {issue.message}{ids_text}; fix: {issue.fix}",
            fg="yellow",
            err=True,
        )
        shown += 1
    return shown


def warn_about_record_paths(
    layers_path: Path | None, plan_path: Path | None, records_path: Path | None
) -> int:
    """:func:`warn_about_records` for commands that pass their files on unread."""
    import logging

    if records_path is None:
        return 0
    from .._errors import GeoplanError
    from ..datasets import resolve_layers, resolve_plan
    from ..records import read_records

    logging.disable(logging.WARNING)  # the command reads these again and says it then
    try:
        # an empty log, or one the command refuses, is the command's to report
        records = read_records(records_path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanWarning)
            plan = resolve_plan(plan_path)
        layers = resolve_layers(layers_path)
    except GeoplanError:
        return 0
    finally:
        logging.disable(logging.NOTSET)
    return warn_about_records(plan, layers, records)


def _set_force(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    from .._common.atomic import set_force

    set_force(value)
    if value:  # for this command only, also when commands run in one process (tests)
        ctx.call_on_close(lambda: set_force(False))
    return value


def force_option(func: F) -> F:
    """``--force``: replace output files that are read-only (never done without it)."""
    return click.option(
        "--force",
        is_flag=True,
        expose_value=False,
        callback=_set_force,
        help="Replace output files even if they are read-only.",
    )(func)


def check_outputs(*paths: tuple[Path | None, str]) -> None:
    """Refuse unwritable outputs (read-only, a folder, a name over 255 bytes, no folder)
    before any work is done, so a refused command changes nothing."""
    from .._common.atomic import check_output

    for path, what in paths:
        if path is not None:
            check_output(path, what=what)
