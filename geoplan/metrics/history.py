"""The scorecard over time: year-end history and the snapshots kept in the database.

:func:`scorecard_history` evaluates the scorecard at each year end since the plan began
and at the as-of date (the report's trend charts); :func:`snapshot_scorecard` computes the
scorecard from a database's own contents and stores it there. The store only stores: it
never computes a figure.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import GeoplanError, StoreError
from ._card import plan_start_of as plan_start
from ._card import scorecard

logger = logging.getLogger(__name__)

Url = str | os.PathLike[str] | None


def scorecard_history(
    plan: Any,
    layers: Mapping[str, Any],
    records: pd.DataFrame | None = None,
    *,
    as_of: dt.date,
    mapping: Any = None,
) -> pd.DataFrame:
    """Compute the scorecard at each year end since the plan started, and at ``as_of``.

    The plan starts on its own issue date (``plan.meta.date``), else on
    :data:`geoplan.settings.PLAN_START`.

    Returns
    -------
    DataFrame
        The scorecards stacked, with their ``as_of`` date: the same shape as the store's
        metric snapshots (``geoplan.store``), ready for ``Store.snapshot`` per date.
    """
    start = plan_start(plan)
    dates = [dt.date(y, 12, 31) for y in range(start.year, as_of.year)] + [as_of]
    frames = []
    for day in dates:
        try:
            card = scorecard(plan, layers, records, as_of=day, mapping=mapping)
        except GeoplanError as exc:
            logger.warning("report: no scorecard as of %s: %s", day, exc)
            continue
        frames.append(card.assign(as_of=day))
    if not frames:
        return pd.DataFrame(columns=["as_of", "task_id", "metric", "scope", "value"])
    return pd.concat(frames, ignore_index=True)


def snapshot_scorecard(
    *,
    url: Url = None,
    as_of: dt.date | str | None = None,
    card: pd.DataFrame | None = None,
    mapping: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Compute the scorecard from the database's own contents and store it as a snapshot.

    The plan, the layers as they stood at ``as_of`` and the records dated on or before it
    are read from the database and passed to :func:`geoplan.metrics.scorecard`. Running it
    again for the same ``as_of`` replaces that snapshot.

    Parameters
    ----------
    url
        The database (see :func:`open_store`).
    as_of
        The date to evaluate (default today).
    card
        A scorecard already computed; stored as is instead of computing one.
    mapping
        A target mapping CSV passed on to the scorecard.

    Returns
    -------
    DataFrame
        The scorecard that was stored.
    """
    day = as_of or dt.date.today()
    from ..store import Store

    with Store(url) as store:
        if card is None:
            plan = store.read_plan()
            if plan is None:
                raise StoreError(
                    f"{store.label} holds no plan register; load one first with `geoplan db load`"
                )
            layers = store.read_layers(as_of=day)
            records = store.read_records(as_of=day)
            card = scorecard(
                plan, layers, records, as_of=day, mapping=None if mapping is None else Path(mapping)
            )
        store.snapshot(card, as_of=day)
    return card
