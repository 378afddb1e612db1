"""The bundled plan, sample layers and progress log, and the rule "None means the sample".

geoplan ships the plan 泉台管〔2021〕57号 and an illustrative sample of 泉州台商投资区 (layers,
a progress log, two rasters) so that every function can be tried without data of one's own.
:func:`load_sample_plan`, :func:`load_sample` and :func:`load_sample_records` return them;
:func:`data_path` gives a bundled file's path. The ``resolve_*`` functions are the one
place where an input given as ``None`` becomes the sample and a path gets read: the
scorecard, the report, the demo and the command line all use them.

In the repository the files live in the top-level ``layers/`` folder; a wheel carries the
same folder inside the package as ``geoplan/_layers`` (see ``pyproject.toml``).

Examples
--------
>>> import geoplan
>>> plan = geoplan.datasets.load_sample_plan()
>>> plan.meta.doc_number, len(plan.tasks)
('泉台管〔2021〕57号', 32)
>>> sorted(geoplan.datasets.load_sample()["towns"]["name"])
['东园镇', '张坂镇', '洛阳镇', '百崎回族乡']
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import DataReadError, PlanWarning

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from .plan import Plan

logger = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parent

SAMPLE_PLAN = "plans/taishang_housing_action_plan_2021.txt"
SAMPLE_LAYERS = "taishang_sample.gpkg"
SAMPLE_RECORDS = "taishang_records.csv"


def data_dir() -> Path:
    """Return the folder holding the bundled plan and sample layers."""
    for candidate in (_PACKAGE_DIR / "_layers", _PACKAGE_DIR.parent / "layers"):
        if (candidate / SAMPLE_PLAN).is_file():
            return candidate
    raise DataReadError(
        "geoplan's bundled data is missing: neither geoplan/_layers nor the checkout's "
        "layers/ folder holds the sample plan; reinstall geoplan (`pip install geoplan`)"
    )


def data_path(name: str) -> Path:
    """Return the path of one bundled file, e.g. ``data_path(SAMPLE_PLAN)``."""
    path = data_dir() / name
    if not path.exists():
        raise DataReadError(
            f"bundled file {name!r} is missing from {data_dir()}; in a checkout, "
            "regenerate the sample with `python scripts/make_sample_layers.py`"
        )
    return path


def load_sample_plan() -> Plan:
    """Return the bundled plan, 泉台管〔2021〕57号, parsed once per Python session.

    The document as issued has tasks without a dated target (e.g. 3, 6, 27, 29, 30); the
    parser's :class:`~geoplan.PlanWarning` about them is logged at INFO here instead of
    being raised on every call (``geoplan plan parse`` shows it). The same object is
    returned each time: treat it as read-only.

    Examples
    --------
    >>> plan = load_sample_plan()
    >>> plan.meta.doc_number, plan.task(19).units[0]
    ('泉台管〔2021〕57号', '百崎乡')
    """
    return _sample_plan()


@functools.cache
def _sample_plan() -> Plan:
    from .plan import parse_plan

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PlanWarning)
        plan = parse_plan(data_path(SAMPLE_PLAN))
    for warning in caught:
        logger.info("bundled plan: %s", warning.message)
    return plan


def load_sample() -> dict[str, gpd.GeoDataFrame]:
    """Return the bundled sample layers of 泉州台商投资区 (illustrative, not survey data).

    The GeoPackage is read once per session; each call returns fresh copies.

    Examples
    --------
    >>> layers = load_sample()
    >>> list(layers)[:4]
    ['towns', 'districts', 'communities', 'villages']
    """
    return {kind: gdf.copy() for kind, gdf in _sample_layers().items()}


@functools.cache
def _sample_layers() -> dict[str, gpd.GeoDataFrame]:
    from .layers import read_layers

    return read_layers(data_path(SAMPLE_LAYERS))


def load_sample_records() -> pd.DataFrame:
    """Return the bundled sample progress log (``layers/taishang_records.csv``).

    Examples
    --------
    >>> records = load_sample_records()
    >>> records.columns[:3].tolist()
    ['record_id', 'task_id', 'layer']
    """
    from .records import read_records

    return read_records(data_path(SAMPLE_RECORDS))


def resolve_plan(plan: Any) -> Any:
    """The plan an input stands for: None is the bundled plan, a path or text is parsed.

    A :class:`~geoplan.Plan` (or a quantities frame) is returned as it is.
    """
    if plan is None:
        return load_sample_plan()
    if isinstance(plan, str | os.PathLike):
        from .plan import parse_plan

        return parse_plan(plan)
    return plan


def resolve_layers(layers: Any, *, sample: bool = True) -> Any:
    """The layers an input stands for: None is the sample (or None with ``sample=False``),
    a path or URL is read with :func:`geoplan.read_layers`, a mapping is returned as is."""
    if layers is None:
        return load_sample() if sample else None
    if isinstance(layers, Mapping):
        return layers
    from .layers import read_layers

    return read_layers(layers)


def resolve_records(records: Any, *, sample: bool = True) -> Any:
    """The progress log an input stands for: None is the sample log (or None with
    ``sample=False``), a path is read with :func:`geoplan.read_records`."""
    if records is None:
        return load_sample_records() if sample else None
    if isinstance(records, str | os.PathLike):
        from .records import read_records

        return read_records(records)
    return records
