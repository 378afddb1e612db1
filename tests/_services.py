"""The rule for tests that need a real component (PostGIS, SpatiaLite, Chromium, QGIS …).

A test, or a fixture it uses, calls :func:`require`. On a user's machine without the
component the test is skipped with the reason; with ``GEOPLAN_REQUIRE_SERVICES=1`` (set by
``.ci/run``) the same absence is a failure. ``conftest.py`` marks every such test
``services`` automatically, so ``pytest -m "not services"`` is the fast loop.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("GEOPLAN_REQUIRE_SERVICES", "") not in ("", "0")


def require(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) the calling test when a component is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required component missing (GEOPLAN_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def spatialite_reason() -> str | None:
    """Why SpatiaLite cannot be loaded into Python's sqlite3 here, or None when it can."""
    import importlib
    import sqlite3

    # the store's own choice: the standard sqlite3 when it can load extensions, else the
    # pysqlite3-binary wheel (geoplan.store._backends)
    try:
        module = (
            sqlite3
            if hasattr(sqlite3.Connection, "enable_load_extension")
            else importlib.import_module("pysqlite3.dbapi2")
        )
        con = module.connect(":memory:")
        try:
            con.enable_load_extension(True)
            con.load_extension("mod_spatialite")
        finally:
            con.close()
    except Exception as exc:
        return f"SpatiaLite (libsqlite3-mod-spatialite) is not usable: {exc}"
    return None


def require_spatialite() -> None:
    """Skip (or, in CI, fail) the calling test when the GeoPackage store cannot load SpatiaLite."""
    reason = spatialite_reason()
    require(reason is None, reason or "")
