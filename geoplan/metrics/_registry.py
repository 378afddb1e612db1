"""The metric registry: named functions of layers (and records) returning tidy frames.

A metric is a plain function registered under a name with :func:`register_metric`. It
receives the layers already filtered to the as-of date (see :mod:`geoplan.metrics._asof`),
the records dated on or before it, the as-of date itself and any extra keyword inputs it
declared, and returns a :data:`FRAME_COLUMNS` frame: one row per scope (the whole zone,
each town, each year...). :func:`compute` checks the inputs first, so a missing layer or
input becomes a ``no_data`` row with a note instead of an exception.

Adding a metric (for example from the raster module)::

    from geoplan.metrics import register_metric, metric_frame

    @register_metric(
        "tree_cover_share", unit="%", family="raster", requires=("towns",),
        inputs=("canopy",), description="各乡镇树冠覆盖面积所占的比例。",
    )
    def tree_cover_share(layers, records, *, as_of, canopy):
        towns = layers["towns"]
        ...
        return metric_frame("tree_cover_share", rows, unit="%", as_of=as_of, method="...")

and compute it with ``compute_metric("tree_cover_share", layers, canopy="canopy.tif")``.
``description`` is one Chinese sentence, and notes are Chinese too: the report shows both
to planners.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import settings
from .._common.dates import as_date
from .._errors import MetricError
from ..catalogue import LAYER_KINDS
from ..settings import logger

#: Columns of every metric frame, in order (see docs/architecture.md).
FRAME_COLUMNS: tuple[str, ...] = (
    "metric",
    "scope_type",
    "scope",
    "year",
    "value",
    "unit",
    "numerator",
    "denominator",
    "as_of",
    "method",
    "note",
)

#: Scope types a metric row may carry.
SCOPE_TYPES: frozenset[str] = frozenset(
    {
        "zone",  # the whole 台商投资区 (scope 全区)
        "town",
        "district",
        "village",
        "community",
        "year",  # scope "2023", with the year column set
        "town_year",  # scope "洛阳镇 2023": per-town-per-year targets
        "scale",  # water sources: centralized / dispersed
        "level",  # protection-zone level
        "layer",  # conflicts per layer kind
    }
)

MetricFunc = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    Attributes
    ----------
    name
        Registry key, snake_case, e.g. ``"greenway_completed_km"``.
    func
        ``func(layers, records, *, as_of, **inputs_and_params) -> DataFrame``.
    unit
        Unit of ``value``: ``"km"``, ``"%"``, ``"count"``, ``"km2"``, ``"m2"``...
    family
        The family module (``greenways``, ``parks``, ``raster``...), for listings.
    requires
        Layer kinds that must be present and non-empty, e.g. ``("greenways",)``.
    optional
        Layer kinds used when present (e.g. ``towns`` to name scopes).
    inputs
        Extra keyword inputs that are not layers (a raster path, a DEM); missing ones make
        the metric ``no_data``.
    description
        One line for a planner: what the figure is.
    label
        The short Chinese name maps, tables and reports show (e.g. ``"物业管理覆盖率"``);
        the registry name when none was given.
    """

    name: str
    func: MetricFunc
    unit: str
    family: str = ""
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    description: str = ""
    params: tuple[str, ...] = field(default=())
    label: str = ""


#: name -> Metric; filled by the family modules on import and by :func:`register_metric`.
METRICS: dict[str, Metric] = {}


def register_metric(
    name: str,
    *,
    unit: str,
    family: str = "",
    requires: Iterable[str] = (),
    optional: Iterable[str] = (),
    inputs: Iterable[str] = (),
    description: str = "",
    label: str = "",
    replace: bool = False,
) -> Callable[[MetricFunc], MetricFunc]:
    """Register a metric function under ``name`` (a decorator).

    Parameters
    ----------
    name
        Registry key; the name used in the target mapping file and in the scorecard.
    unit
        Unit of the ``value`` column. The scorecard compares it with the target's unit:
        ``km`` matches 公里, ``%`` matches %, ``count`` matches 栋/个/套/处.
    family
        Family name shown in listings.
    requires
        Layer kinds the metric cannot do without; when one is missing or empty,
        :func:`compute` returns a ``no_data`` row naming it instead of calling the function.
    optional
        Layer kinds the metric uses when present.
    inputs
        Names of extra keyword inputs (not layers) the function needs, e.g. ``("dem",)``;
        pass them to :func:`compute` or :func:`geoplan.scorecard` as keywords.
    description
        One line for a planner.
    label
        Short Chinese name shown in tables, maps and reports (default: ``name``).
    replace
        Allow re-registering an existing name (otherwise that is an error, so that two
        modules cannot silently shadow each other).

    Returns
    -------
    The decorator; it returns the function unchanged.

    Examples
    --------
    >>> import geoplan
    >>> @geoplan.register_metric("example_park_count", unit="count", family="example",
    ...                          requires=["parks"])
    ... def example_park_count(layers, records, as_of):
    ...     return geoplan.metrics.metric_frame(
    ...         "example_park_count", [{"scope_type": "zone", "scope": "全区",
    ...                                 "value": len(layers["parks"])}],
    ...         unit="count", as_of=as_of, method="parks in the layer")
    >>> frame = geoplan.compute_metric("example_park_count", geoplan.load_sample())
    >>> frame.loc[0, ["scope", "unit"]].tolist()
    ['全区', 'count']
    >>> del geoplan.metrics.METRICS["example_park_count"]
    """
    if not name.isidentifier():
        raise MetricError(f"metric name {name!r} must be a snake_case identifier")

    def decorator(func: MetricFunc) -> MetricFunc:
        if name in METRICS and not replace and METRICS[name].func is not func:
            raise MetricError(
                f"metric {name!r} is already registered by {METRICS[name].func.__module__}; "
                "choose another name or pass replace=True"
            )
        sig = inspect.signature(func)
        params = tuple(
            p.name
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "as_of"
        )
        METRICS[name] = Metric(
            name=name,
            func=func,
            unit=unit,
            family=family or func.__module__.rsplit(".", 1)[-1],
            requires=tuple(requires),
            optional=tuple(optional),
            inputs=tuple(inputs),
            description=description or (func.__doc__ or "").strip().split("\n")[0],
            params=params,
            label=label or name,
        )
        return func

    return decorator


def metric_label(name: str) -> str:
    """The Chinese label of a registered metric; ``name`` itself when unknown or empty."""
    metric = METRICS.get(name)
    return metric.label if metric is not None else name


def resolve_as_of(
    as_of: dt.date | str | None,
    *,
    plan_start: dt.date | None = None,
    today: dt.date | None = None,
) -> dt.date:
    """Return ``as_of`` as a date (today when None).

    Dates before the plan start (``plan_start``, default
    :data:`geoplan.settings.PLAN_START` read at call time) and dates after today are
    refused with a :class:`~geoplan.MetricError`: a scorecard judges recorded work, and
    after today nothing is recorded yet, so a future date would read every target due
    by then as missed. geoplan does not project; the report clamps a future date to
    today with a notice.
    """
    today = today or dt.date.today()
    start = plan_start or settings.PLAN_START
    as_of = as_date(as_of, "as_of", error=MetricError)
    if as_of is None:
        return today
    if as_of < start:
        raise MetricError(
            f"as_of {as_of.isoformat()} is before the plan started ({start.isoformat()}); "
            "choose a date on or after the plan start"
        )
    if as_of > today:
        raise MetricError(
            f"as_of {as_of.isoformat()} is after today ({today.isoformat()}); geoplan "
            "measures recorded work and does not project, so a future date would judge "
            "targets whose deadlines have not come; choose today or an earlier date"
        )
    return as_of


def metric_frame(
    metric: str,
    rows: pd.DataFrame | list[dict[str, Any]],
    *,
    unit: str,
    as_of: dt.date,
    method: str,
) -> pd.DataFrame:
    """Build a metric frame with the standard columns from per-scope rows.

    ``rows`` needs ``scope_type``, ``scope`` and ``value``; ``numerator``,
    ``denominator``, ``year`` and ``note`` are optional.
    """
    if isinstance(rows, list):  # columns straight from the dicts, without a frame
        keys = dict.fromkeys(k for r in rows for k in r)
        given: Any = {k: pd.Series([r.get(k) for r in rows], dtype=object) for k in keys}
    else:
        given = rows
    n = len(rows)

    def numbers(name: str) -> np.ndarray:
        col = given.get(name)
        if col is None:
            return np.full(n, np.nan)
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    year = given.get("year")
    note = given.get("note")
    # One constructor call with every column (about 5× faster than assigning them one by
    # one, which matters for metrics computed hundreds of times in a scorecard).
    frame = pd.DataFrame(
        {
            "metric": [metric] * n,
            "scope_type": given["scope_type"].to_numpy() if n else [],
            "scope": given["scope"].to_numpy() if n else [],
            "year": pd.array([pd.NA] * n if year is None else year, dtype="Int64"),
            "value": numbers("value"),
            "unit": [unit] * n,
            "numerator": numbers("numerator"),
            "denominator": numbers("denominator"),
            "as_of": [as_of] * n,
            "method": [method] * n,
            "note": [""] * n if note is None else note.fillna("").astype(str).to_numpy(),
        },
        columns=list(FRAME_COLUMNS),
    )
    return frame


def layer_text(kind: str) -> str:
    """A layer as notes name it for a planner: ``greenways（福道）``."""
    spec = LAYER_KINDS.get(kind)
    return f"{kind}（{spec.label}）" if spec is not None else kind


def no_data_frame(metric: Metric, as_of: dt.date, note: str) -> pd.DataFrame:
    """One zone-level row with no value and a note saying why."""
    return metric_frame(
        metric.name,
        [{"scope_type": "zone", "scope": "全区", "value": np.nan, "note": note}],
        unit=metric.unit,
        as_of=as_of,
        method=metric.description,
    )


def get_metric(name: str) -> Metric:
    """Return the registered metric ``name`` or raise MetricError listing the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise MetricError(
            f"unknown metric {name!r}; registered metrics are: {', '.join(sorted(METRICS))}"
        ) from None


def _check_finite(layers: Mapping[str, Any]) -> None:
    """Refuse a layer with a NaN/infinite vertex before any metric measures it: its length
    or area would silently change the figure (issue 18)."""
    import geopandas as gpd

    from ..crs import check_finite

    for kind, layer in layers.items():
        if isinstance(layer, gpd.GeoDataFrame):
            check_finite(layer, name=kind)


def compute(
    name: str,
    layers: Mapping[str, Any],
    records: pd.DataFrame | None = None,
    *,
    as_of: dt.date | str | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Compute one registered metric as of a date.

    Parameters
    ----------
    name
        A key of :data:`METRICS`.
    layers
        Layer kind -> GeoDataFrame (as from :func:`geoplan.read_layers`), in any CRS with
        one set; metrics project to the zone's Gauss-Kruger CRS themselves.
    records
        The progress log (optional). Only records dated on or before ``as_of`` are used.
    as_of
        Evaluate as of this date (default today). Features and records dated later are
        ignored: a greenway completed after ``as_of`` counts as under construction.
    **params
        Extra inputs the metric declared (``inputs=``) and metric parameters (e.g.
        ``radius_m=800`` for ``greenway_service_coverage``). Unknown keywords are
        ignored so that one call can feed many metrics.

    Returns
    -------
    DataFrame
        Columns :data:`FRAME_COLUMNS`. When a required layer or input is missing the frame
        holds one zone row with ``value`` NaN and a note naming what is missing.

    Examples
    --------
    >>> import geoplan
    >>> layers = geoplan.load_sample()
    >>> frame = geoplan.compute_metric("greenway_completed_km", layers, as_of="2023-12-31")
    >>> zone = frame[frame.scope_type == "zone"].iloc[0]
    >>> round(float(zone.value), 2), zone.unit
    (7.2, 'km')
    """
    from ._asof import layers_as_of, records_as_of

    metric = get_metric(name)
    day = resolve_as_of(as_of, plan_start=params.get("plan_start"))
    for kind in metric.requires:
        layer = layers.get(kind)
        if layer is None or len(layer) == 0:
            state = "missing" if layer is None else "empty"
            logger.warning("metric %s: layer `%s` %s", name, kind, state)
            state = "缺失" if layer is None else "为空"
            note = f"图层 {layer_text(kind)}{state}（指标 {name} 需要）"
            return no_data_frame(metric, day, note)
    for key in metric.inputs:
        if params.get(key) is None:
            logger.warning("metric %s: input `%s` not supplied; pass %s=...", name, key, key)
            note = f"未提供输入 {key}（指标 {name} 需要；请传入 {key}=...）"
            return no_data_frame(metric, day, note)
    kinds = set(metric.requires) | set(metric.optional)
    _check_finite({k: v for k, v in layers.items() if k in kinds})
    current = layers_as_of({k: v for k, v in layers.items() if k in kinds}, records, day)
    recs = records_as_of(records, day)
    kwargs = {k: v for k, v in params.items() if k in metric.params}
    frame = metric.func(current, recs, as_of=day, **kwargs)
    unknown = set(frame["scope_type"]) - SCOPE_TYPES
    if unknown:
        raise MetricError(f"metric {name!r} returned unknown scope types {sorted(unknown)}")
    return frame
