"""Coverage metrics and the target scorecard.

Metrics are named functions registered with :func:`register_metric`; each returns a tidy
frame (one row per metric × scope). :func:`compute_metric` evaluates one as of a date and
:func:`scorecard` evaluates every mapped target of the plan. Families: ``greenways``,
``parks``, ``water`` (with :func:`delineate_protection_zones`), ``villages``,
``communities``, ``heritage``, ``sewage``, ``districts``.
"""

from __future__ import annotations

from ._registry import (
    FRAME_COLUMNS,
    METRICS,
    Metric,
    metric_frame,
    metric_label,
    register_metric,
)
from ._registry import compute as compute_metric

# Bound after the submodule import so that `geoplan.metrics.scorecard` is the function.
from .scorecard import list_metrics, scorecard

__all__ = [
    "FRAME_COLUMNS",
    "METRICS",
    "Metric",
    "compute_metric",
    "delineate_protection_zones",
    "list_metrics",
    "metric_frame",
    "metric_label",
    "register_metric",
    "scorecard",
]


def __getattr__(name: str) -> object:
    # The water family loads on first use (it imports geopandas).
    if name == "delineate_protection_zones":
        from .water import delineate_protection_zones

        return delineate_protection_zones
    raise AttributeError(f"module 'geoplan.metrics' has no attribute {name!r}")
