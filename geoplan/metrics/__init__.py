"""Coverage metrics and the target scorecard.

Metrics are named functions registered with :func:`register_metric`; each returns a tidy
frame (one row per metric × scope). :func:`compute_metric` evaluates one as of a date and
:func:`scorecard` evaluates every mapped target of the plan. Families: ``greenways``,
``parks``, ``water`` (with :func:`delineate_protection_zones`), ``villages``,
``communities``, ``heritage``, ``sewage``, ``districts``, and ``records`` (targets
measured from the progress ledger alone).
"""

from __future__ import annotations

# The family modules register their metrics on import, so METRICS is complete as soon as
# `geoplan.metrics` is imported.
from . import (  # noqa: F401  (imported for their registrations)
    communities,
    districts,
    greenways,
    heritage,
    parks,
    raster,
    records,
    sewage,
    villages,
    water,
)
from ._card import list_metrics, scorecard
from ._card import plan_start_of as plan_start
from ._registry import (
    FRAME_COLUMNS,
    METRICS,
    Metric,
    metric_frame,
    metric_label,
    register_metric,
)
from ._registry import compute as compute_metric
from .history import scorecard_history, snapshot_scorecard
from .water import delineate_protection_zones

__all__ = [
    "FRAME_COLUMNS",
    "METRICS",
    "Metric",
    "compute_metric",
    "delineate_protection_zones",
    "list_metrics",
    "metric_frame",
    "metric_label",
    "plan_start",
    "register_metric",
    "scorecard",
    "scorecard_history",
    "snapshot_scorecard",
]
