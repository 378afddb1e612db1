"""Choropleth of a metric by town, district or village, with mapclassify classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import MapError
from ._style import CHOROPLETH_COLORS, Style

#: Layer kind that holds the polygons of each metric scope type.
SCOPE_LAYERS: dict[str, str] = {
    "town": "towns",
    "district": "districts",
    "village": "villages",
    "community": "communities",
}

SCHEMES = ("quantiles", "natural_breaks", "target")

_NO_DATA: Style = {
    "color": "#969696",
    "weight": 1.0,
    "opacity": 0.9,
    "fill": "#f0f0f0",
    "fillOpacity": 0.6,
}


@dataclass(frozen=True)
class Choropleth:
    """A metric to colour polygons by.

    Parameters
    ----------
    frame
        Tidy metric rows with ``scope_type``, ``scope`` (the polygon's ``name``) and
        ``value``, optionally ``metric`` and ``unit`` — the shape ``geoplan.metrics``
        returns.
    metric
        Which metric to map when ``frame`` holds several.
    scope_type
        ``town``, ``district``, ``village`` or ``community``; by default the only one in
        ``frame`` other than ``zone``.
    scheme
        ``quantiles``, ``natural_breaks`` (Fisher-Jenks, exact and deterministic) or
        ``target`` (two classes split at ``target``: below it / reaching it).
    k
        Number of classes for quantiles and natural breaks (2–7; fewer when the metric has
        fewer distinct values).
    target
        The target value for ``scheme="target"``.
    title
        Legend title; defaults to the metric name.

    Examples
    --------
    >>> import geoplan
    >>> layers = geoplan.load_sample()
    >>> frame = geoplan.compute_metric("village_plan_share", layers, as_of="2023-12-31")
    >>> layer = geoplan.Choropleth(frame, scope_type="town", k=3)
    >>> layer.scope_type
    'town'
    """

    frame: pd.DataFrame
    metric: str | None = None
    scope_type: str | None = None
    scheme: str = "quantiles"
    k: int = 5
    target: float | None = None
    title: str | None = None


def _rows(spec: Choropleth) -> tuple[pd.DataFrame, str, str]:
    frame = spec.frame
    missing = [c for c in ("scope_type", "scope", "value") if c not in frame.columns]
    if missing:
        raise MapError(
            f"choropleth frame lacks column(s) {missing}; pass a metric frame with "
            "scope_type, scope and value (e.g. from geoplan.compute_metric)"
        )
    if spec.metric is not None:
        if "metric" not in frame.columns or spec.metric not in set(frame["metric"]):
            have = sorted(set(frame["metric"])) if "metric" in frame.columns else []
            raise MapError(f"choropleth metric {spec.metric!r} is not in the frame; it has {have}")
        frame = frame[frame["metric"] == spec.metric]
    elif "metric" in frame.columns and frame["metric"].nunique() > 1:
        raise MapError(
            f"choropleth frame holds {frame['metric'].nunique()} metrics; choose one with "
            f"Choropleth(frame, metric=...) from {sorted(frame['metric'].unique())}"
        )
    types = [t for t in frame["scope_type"].dropna().unique() if t != "zone"]
    scope_type = spec.scope_type or (types[0] if len(types) == 1 else None)
    if scope_type not in SCOPE_LAYERS:
        raise MapError(
            f"choropleth scope_type {scope_type!r} cannot be mapped (frame has {types}); "
            f"pass scope_type= one of {sorted(SCOPE_LAYERS)}"
        )
    rows = frame[frame["scope_type"] == scope_type]
    metric = spec.metric or (str(rows["metric"].iloc[0]) if "metric" in rows and len(rows) else "")
    return rows, scope_type, metric


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def classify(
    values: np.ndarray, *, scheme: str, k: int, target: float | None
) -> tuple[np.ndarray, list[str]]:
    """Class index of each value and the legend label of each class (mapclassify)."""
    import mapclassify

    if scheme not in SCHEMES:
        raise MapError(f"unknown choropleth scheme {scheme!r}; use one of {list(SCHEMES)}")
    if scheme == "target":
        if target is None:
            raise MapError('choropleth scheme "target" needs target=<the plan target value>')
        below = np.nextafter(float(target), -np.inf)
        top = max(float(values.max()), float(target))
        cls = mapclassify.UserDefined(values, bins=[below, top])
        return cls.yb, [f"< {_fmt(target)}（未达目标）", f"≥ {_fmt(target)}（达到目标）"]
    k = int(min(max(k, 2), 7, len(np.unique(values))))
    if k < 2:
        return np.zeros(len(values), dtype=int), [f"{_fmt(values.min())}"]
    cls = (
        mapclassify.Quantiles(values, k=k)
        if scheme == "quantiles"
        else mapclassify.FisherJenks(values, k=k)
    )
    lows = [float(values.min()), *cls.bins[:-1]]
    labels = [f"{_fmt(lo)} – {_fmt(hi)}" for lo, hi in zip(lows, cls.bins, strict=True)]
    return cls.yb, labels


def choropleth_layer(
    spec: Choropleth, layers: dict[str, gpd.GeoDataFrame]
) -> tuple[str, gpd.GeoDataFrame, list[Style], np.ndarray, list[dict[str, Any]], str]:
    """Join the metric to its polygons and classify it.

    Returns the polygon kind, the joined frame (with a ``value`` column), the class
    styles, each feature's style index, the legend items and the legend title.
    """
    rows, scope_type, metric = _rows(spec)
    kind = SCOPE_LAYERS[scope_type]
    if kind not in layers or layers[kind].empty:
        raise MapError(
            f"choropleth by {scope_type} needs the `{kind}` layer, which is missing or empty"
        )
    polys = layers[kind]
    values = rows.groupby("scope")["value"].first()
    joined = polys.assign(value=polys["name"].map(values).astype(float))
    has = joined["value"].notna().to_numpy()
    if not has.any():
        raise MapError(
            f"no {kind} name matches the choropleth scopes {sorted(values.index)[:5]}...; "
            f"the metric's scope must equal the layer's `name`"
        )
    unit = str(rows["unit"].iloc[0]) if "unit" in rows.columns and len(rows) else ""
    yb, labels = classify(
        joined.loc[has, "value"].to_numpy(), scheme=spec.scheme, k=spec.k, target=spec.target
    )
    colors = CHOROPLETH_COLORS[max(len(labels), 2)]
    if len(labels) == 2 and spec.scheme == "target":
        colors = ["#fdae61", "#1a9850"]
    styles: list[Style] = [
        {"color": "#636363", "weight": 1.0, "opacity": 0.9, "fill": c, "fillOpacity": 0.75}
        for c in colors[: len(labels)]
    ]
    idx = np.full(len(joined), len(styles), dtype=np.int64)
    idx[has] = yb
    legend: list[dict[str, Any]] = [
        {"label": f"{lab} {unit}".strip(), "style": s}
        for lab, s in zip(labels, styles, strict=True)
    ]
    if not has.all():
        legend.append({"label": "无数据", "style": _NO_DATA})
    styles.append(_NO_DATA)
    title = spec.title or metric or "指标"
    return kind, joined, styles, idx, legend, title
