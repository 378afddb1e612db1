"""Shared fixtures, and the automatic ``services`` marker.

A test that needs PostGIS, SpatiaLite or Chromium calls :func:`require` from
``tests/_services.py`` (or uses a fixture that does). Such tests are marked ``services``
here at collection, by reading the test's and its fixtures' source for ``require(``, so
no test has to remember the marker: ``pytest -m "not services and not slow"`` is the fast
loop (README).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from _services import REQUIRE_SERVICES, require

__all__ = ["REPO", "REQUIRE_SERVICES", "require"]

REPO = Path(__file__).resolve().parents[1]

#: Fixtures of pytest's own that never need a service.
_BUILTIN = {"request", "tmp_path", "tmp_path_factory", "monkeypatch", "capsys", "caplog"}


def _needs_service(func: object) -> bool:
    try:
        source = inspect.getsource(func)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    return "require(" in source


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("services"):
            continue
        func = getattr(item, "function", None)
        uses = getattr(item, "_fixtureinfo", None)
        defs = uses.name2fixturedefs if uses is not None else {}
        fixtures = [d[-1].func for name, d in defs.items() if name not in _BUILTIN and d]
        if any(_needs_service(f) for f in [func, *fixtures] if f is not None):
            item.add_marker(pytest.mark.services)


@pytest.fixture(scope="session")
def plan_path() -> Path:
    return REPO / "layers" / "plans" / "taishang_housing_action_plan_2021.txt"
