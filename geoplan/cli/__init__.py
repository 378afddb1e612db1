"""The ``geoplan`` command.

Each command group lives in its own ``_name`` module and is imported only when it is
invoked, so ``geoplan --help`` stays fast. Bad input surfaces as a one-line message from
the :class:`~geoplan.GeoplanError` hierarchy and exit status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from .._errors import GeoplanError

# command name -> "module:attribute" of its click command or group
_COMMANDS: dict[str, str] = {
    "db": "geoplan.cli._db:db",
    "demo": "geoplan.cli._demo:demo",
    "layers": "geoplan.cli._layers:layers",
    "map": "geoplan.cli._map:map_cmd",
    "metrics": "geoplan.cli._metrics:metrics",
    "plan": "geoplan.cli._plan:plan",
    "records": "geoplan.cli._records:records",
    "report": "geoplan.cli._report:report",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GeoplanError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="geoplan")
@click.option("-v", "--verbose", count=True, help="Show progress (-v) or debug detail (-vv).")
def main(verbose: int) -> None:
    """geoplan: an action plan as data — tasks, layers, coverage metrics, maps and reports."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
