"""Shared fixtures, and the automatic ``services`` marker.

A test that needs PostGIS, SpatiaLite or Chromium calls :func:`require` from
``tests/_services.py`` (or uses a fixture that does). Such tests are marked ``services``
here at collection, by reading the test's and its fixtures' source for ``require(``, so
no test has to remember the marker: ``pytest -m "not services and not slow"`` is the fast
loop (README). The reading follows what a test reaches without naming it as an argument:
fixtures of fixtures, fixtures fetched with ``request.getfixturevalue("name")`` (the
``url`` fixture of ``test_store.py`` that is a GeoPackage or a PostGIS database by
parameter), and the helper functions of the tests folder that a test or fixture calls
(``_browser()`` that starts Chromium).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import pytest
from _services import REQUIRE_SERVICES, require

__all__ = ["REPO", "REQUIRE_SERVICES", "require"]

REPO = Path(__file__).resolve().parents[1]

#: Fixtures of pytest's own that never need a service.
_BUILTIN = {"request", "tmp_path", "tmp_path_factory", "monkeypatch", "capsys", "caplog"}


_TESTS = Path(__file__).resolve().parent


def _in_tests(func: object) -> bool:
    """Whether ``func`` is a function defined in a file of the tests folder."""
    if not inspect.isfunction(func):
        return False
    try:
        return Path(inspect.getfile(func)).resolve().parent == _TESTS
    except (OSError, TypeError):
        return False


def _needs_service(func: object, item: pytest.Item, seen: set[object]) -> bool:
    """Whether ``func``, or a tests-folder helper or fixture it fetches, calls ``require(``."""
    if func in seen:
        return False
    seen.add(func)
    try:
        source = inspect.getsource(func)  # type: ignore[arg-type]
        tree = ast.parse(textwrap.dedent(source))
    except (OSError, TypeError, SyntaxError):
        return False
    if "require(" in source:
        return True
    scope = getattr(func, "__globals__", {})
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and _in_tests(scope.get(node.func.id)):
            if _needs_service(scope[node.func.id], item, seen):
                return True
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "getfixturevalue":
            for name in (
                n.value
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ):
                if _fixture_needs_service(name, item, seen):
                    return True
    return False


def _fixture_needs_service(name: str, item: pytest.Item, seen: set[object]) -> bool:
    """Whether the fixture ``name`` (as ``item`` sees it) or a fixture it uses needs one."""
    if name in _BUILTIN:
        return False
    defs = item.session._fixturemanager.getfixturedefs(name, item)
    if not defs:
        return False
    fixture = defs[-1]
    return _needs_service(fixture.func, item, seen) or any(
        _fixture_needs_service(arg, item, seen) for arg in fixture.argnames
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("services"):
            continue
        func = getattr(item, "function", None)
        uses = getattr(item, "_fixtureinfo", None)
        defs = uses.name2fixturedefs if uses is not None else {}
        fixtures = [d[-1].func for name, d in defs.items() if name not in _BUILTIN and d]
        seen: set[object] = set()
        if any(_needs_service(f, item, seen) for f in [func, *fixtures] if f is not None):
            item.add_marker(pytest.mark.services)


@pytest.fixture(scope="session")
def plan_path() -> Path:
    return REPO / "layers" / "plans" / "taishang_housing_action_plan_2021.txt"
