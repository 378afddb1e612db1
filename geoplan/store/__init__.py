"""The planning database: layers, plan register, progress log and metric snapshots.

One schema (SQLAlchemy 2 + GeoAlchemy2) on two backends:

- a **GeoPackage** file by default (``./geoplan.gpkg``, or any ``.gpkg`` path): no server,
  one GeoPackage 1.4 file that QGIS and GDAL open directly, written with the standard
  library's sqlite3 (no SpatiaLite), styled for QGIS from the web map's legend;
- **PostGIS** for a team: ``postgresql+psycopg://user@host/db``, from ``url=`` or the
  ``GEOPLAN_DB_URL`` environment variable.

Every load is one transaction. Features are upserted by ``id``; when a feature changes or
is missing from a reload, its previous version is kept in ``<kind>_history``, so
``read_layers_from_db(as_of=...)`` returns the layers as they stood on a past date and a
scorecard can be recomputed.

Examples
--------
>>> import pathlib, tempfile, geoplan
>>> from geoplan.store import load_layers, read_layers_from_db
>>> folder = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(folder.name) / "bureau.gpkg"
>>> stats = load_layers(geoplan.load_sample(), url=path, valid_from="2021-05-24")
>>> stats["greenways"].inserted
44
>>> len(read_layers_from_db(path, as_of="2023-12-31")["greenways"])
44
>>> folder.cleanup()
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ._backends import resolve_url
from ._load import LoadStats
from ._models import SCHEMA_VERSION
from ._store import Store

__all__ = [
    "SCHEMA_VERSION",
    "LoadStats",
    "Store",
    "dump",
    "init_db",
    "load_layers",
    "load_plan",
    "load_records",
    "open_store",
    "read_layers_from_db",
    "read_plan_from_db",
    "read_records_from_db",
    "resolve_url",
]

Url = str | os.PathLike[str] | None


def open_store(url: Url = None) -> Store:
    """Open the planning database at ``url`` (see :class:`Store`); nothing is written yet.

    Parameters
    ----------
    url
        A ``.gpkg`` path, ``gpkg:///path``, ``postgresql+psycopg://…``, or ``None`` for
        ``$GEOPLAN_DB_URL`` and then ``./geoplan.gpkg`` in the working directory.

    Examples
    --------
    >>> import pathlib, tempfile, geoplan
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bureau.gpkg"
    >>> with geoplan.open_store(path) as store:
    ...     _ = store.init()
    ...     _ = store.load(plan=geoplan.load_sample_plan())
    ...     len(store.read_plan().tasks)
    32
    """
    return Store(url)


def init_db(url: Url = None) -> Store:
    """Create the geoplan schema at ``url`` if it is not there yet and return the store."""
    return Store(url).init()


def load_layers(
    layers: Mapping[str, Any],
    *,
    url: Url = None,
    valid_from: dt.date | str | None = None,
    keep_missing: bool = False,
) -> dict[str, LoadStats]:
    """Load layers (kind -> GeoDataFrame) in one transaction; see :meth:`Store.load`."""
    with Store(url) as store:
        return store.load(layers=layers, valid_from=valid_from, keep_missing=keep_missing)


def load_plan(plan: Any, *, url: Url = None) -> None:
    """Store the plan register (a :class:`geoplan.plan.Plan` or a path to plan text)."""
    if isinstance(plan, (str, Path)):
        from ..plan._parse import parse_plan

        plan = parse_plan(plan)
    with Store(url) as store:
        store.load(plan=plan)


def load_records(records: pd.DataFrame, *, url: Url = None) -> None:
    """Upsert the progress log by ``record_id`` in one transaction."""
    with Store(url) as store:
        store.load(records=records)


def read_layers_from_db(
    url: Url = None, *, as_of: dt.date | str | None = None, kinds: list[str] | None = None
) -> dict[str, Any]:
    """Read layers from the database as GeoDataFrames in EPSG:4326.

    Parameters
    ----------
    url
        The database (see :func:`open_store`).
    as_of
        Return each feature as it stood at the end of this date (default: current).
    kinds
        Kinds to read; by default every kind that holds features.

    Examples
    --------
    >>> import pathlib, tempfile, geoplan
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bureau.gpkg"
    >>> stats = geoplan.store.load_layers({"towns": geoplan.load_sample()["towns"]}, url=path)
    >>> sorted(geoplan.read_layers_from_db(path)["towns"]["name"])
    ['东园镇', '张坂镇', '洛阳镇', '百崎回族乡']
    """
    with Store(url) as store:
        return store.read_layers(as_of=as_of, kinds=kinds)


def read_plan_from_db(url: Url = None) -> Any:
    """Read the stored plan register as a :class:`geoplan.plan.Plan` (None if none)."""
    with Store(url) as store:
        return store.read_plan()


def read_records_from_db(url: Url = None, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Read the stored progress log (records dated on or before ``as_of`` when given)."""
    with Store(url) as store:
        return store.read_records(as_of=as_of)


def dump(
    out_dir: str | os.PathLike[str],
    *,
    url: Url = None,
    as_of: dt.date | str | None = None,
    layer_format: str = "gpkg",
    force: bool = False,
) -> list[Path]:
    """Write the database to ``out_dir`` as GeoPackage/GeoJSON, CSV and JSON files.

    See :meth:`Store.dump` (``force`` replaces files an earlier dump did not write);
    returns the paths written.
    """
    with Store(url) as store:
        return store.dump(out_dir, as_of=as_of, layer_format=layer_format, force=force)
