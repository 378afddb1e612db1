"""Styles, labels and legends per layer kind and status.

One table, :data:`KIND_STYLES`, says how each kind is drawn: which column picks the style
(status, protection level...), the style of each value and its legend label. The page
draws features and legend swatches from the same style objects, so the legend matches
the map exactly. Colours are ColorBrewer-derived and readable on a blank or tiled map.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

# the style data lives in geoplan.styles so that the store's QGIS styles share it
from .._common.labels import KIND_LABELS as KIND_LABELS
from ..styles import CHOROPLETH_COLORS as CHOROPLETH_COLORS
from ..styles import DRAW_ORDER as DRAW_ORDER
from ..styles import GENERIC_STYLES as GENERIC_STYLES
from ..styles import KIND_STYLES as KIND_STYLES
from ..styles import KindStyle as KindStyle
from ..styles import Style as Style


def style_values(kind: str, frame: pd.DataFrame) -> pd.Series:
    """Return the value that selects each feature's style (see :class:`KindStyle.by`)."""
    spec = KIND_STYLES.get(kind)
    if spec is None or spec.by is None:
        return pd.Series("*", index=frame.index)
    if kind == "villages":
        col = frame.get("plan_approved_date")
        approved = col.notna() if col is not None else pd.Series(False, index=frame.index)
        return pd.Series(np.where(approved, "yes", "no"), index=frame.index)
    if spec.by not in frame.columns:
        return pd.Series("", index=frame.index)
    return frame[spec.by].astype("string").fillna("")


def layer_styles(
    kind: str, family: str, values: pd.Series
) -> tuple[list[Style], np.ndarray, list[dict[str, Any]]]:
    """Styles used by one layer, each feature's style index, and its legend items.

    Only the styles that occur are kept; legend items follow the catalogue order and an
    "其他" item appears for values outside it.
    """
    spec = KIND_STYLES.get(kind)
    if spec is None:
        catalogue: dict[str, Style] = {"*": GENERIC_STYLES[family]}
        labels: dict[str, str] = {"*": KIND_LABELS.get(kind, kind)}
        other = GENERIC_STYLES[family]
    else:
        catalogue, labels = spec.styles, spec.labels
        other = spec.other or next(iter(catalogue.values()))
    present = set(values.unique())
    keys = [k for k in catalogue if k in present]
    has_other = bool(present - set(catalogue))
    styles = [catalogue[k] for k in keys] + ([other] if has_other else [])
    index_of = {k: i for i, k in enumerate(keys)}
    idx = values.map(index_of).fillna(len(keys)).to_numpy(dtype=np.int64)
    legend = [
        {"label": labels.get(k, KIND_LABELS.get(kind, kind)), "style": catalogue[k]} for k in keys
    ]
    if has_other:
        legend.append({"label": "其他/未填", "style": other})
    return styles, idx, legend
