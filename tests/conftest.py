"""Shared fixtures and the rule for tests that need a real service.

A test that needs PostGIS, SpatiaLite or Chromium calls :func:`require` (or uses the
fixtures below). On a user's machine without the component it is skipped with the reason;
with ``GEOPLAN_REQUIRE_SERVICES=1`` (set by ``.ci/run``) the same absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("GEOPLAN_REQUIRE_SERVICES", "") not in ("", "0")
REPO = Path(__file__).resolve().parents[1]


def require(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) the calling test when a component is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required component missing (GEOPLAN_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def plan_path() -> Path:
    return REPO / "layers" / "plans" / "taishang_housing_action_plan_2021.txt"
