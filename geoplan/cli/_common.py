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

from .._errors import PlanWarning

if TYPE_CHECKING:
    import pandas as pd

    from ..plan._parse import Plan

F = TypeVar("F", bound=Callable[..., Any])

LAYERS_HELP = "GeoPackage or folder of layers (default: the bundled sample of 泉州台商投资区)."
PLAN_HELP = "Action-plan text file (default: the bundled 泉台管〔2021〕57号)."
RECORDS_HELP = (
    "Progress log: CSV, Excel ledger (.xlsx) or GeoPackage (default: the sample's log with "
    "the sample layers; none with --layers)."
)
AS_OF_HELP = "Evaluate targets as of this date (default: today; not before 2021-05-24)."


def date_callback(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> dt.date | None:
    """Click callback: an ISO date option as a :class:`datetime.date`."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
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
    """``--plan FILE`` (an existing text file) into ``plan_path``."""
    return _existing_path("--plan", "plan_path", help=help, dir_okay=False)


def records_option(*, help: str = RECORDS_HELP) -> Callable[[F], F]:
    """``--records FILE`` (an existing CSV or GeoPackage) into ``records_path``."""
    return _existing_path("--records", "records_path", help=help, dir_okay=False)


def as_of_option(*, help: str = AS_OF_HELP) -> Callable[[F], F]:
    """``--as-of YYYY-MM-DD`` parsed to a :class:`datetime.date` (``None`` when left out)."""
    return click.option("--as-of", "as_of", callback=date_callback, metavar="YYYY-MM-DD", help=help)


def data_options(func: F) -> F:
    """``--layers``, ``--plan``, ``--records`` and ``--as-of`` with the shared defaults."""
    for option in (as_of_option(), records_option(), plan_option(), layers_option()):
        func = option(func)
    return func


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
    from ..plan._parse import load_sample_plan, parse_plan

    if plan_path is None:
        return load_sample_plan()
    with plan_warnings_to_stderr():
        return parse_plan(plan_path)


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


def resolve_inputs(
    layers_path: Path | None,
    plan_path: Path | None,
    records_path: Path | None,
    *,
    defaults: bool = True,
    read: bool = True,
) -> Inputs:
    """Apply the shared defaults (module docstring) and read what was given.

    Parameters
    ----------
    layers_path, plan_path, records_path
        The ``--layers``, ``--plan`` and ``--records`` values.
    defaults
        Fill what was left out with the bundled plan, sample and log. ``False`` leaves it
        ``None`` (``geoplan db load`` loads only what it is given).
    read
        Read user files here; ``False`` passes their paths on.
    """
    from ..layers._read import load_sample, load_sample_records, read_layers

    sample = defaults and layers_path is None
    plan: Plan | Path | None
    if plan_path is not None and not read:
        plan = plan_path
    elif plan_path is not None or defaults:
        plan = read_plan(plan_path)
    else:
        plan = None
    layers: dict[str, Any] | Path | None = None
    if layers_path is not None:
        layers = read_layers(layers_path) if read else layers_path
    elif sample:
        layers = load_sample()
    records: pd.DataFrame | Path | None = None
    if records_path is not None:
        from ..records._log import read_records

        records = read_records(records_path) if read else records_path
    elif sample:
        records = load_sample_records()
    return Inputs(plan=plan, layers=layers, records=records, sample=sample)
