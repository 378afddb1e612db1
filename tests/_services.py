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
