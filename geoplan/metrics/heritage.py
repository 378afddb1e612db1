"""Heritage metrics, plan task 16.

"到2022年,全面完成区级文物保护单位电气线路套管敷设和智慧用电系统建设。到2025年,全面完成
全区重点文物保护单位“三防”工程". The protection levels counted are parameters: wiring is
measured over relics at district level and above, 三防 over the key relics (municipal level
and above by default; the plan does not list them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ._coverage import share_metric
from ._registry import register_metric

WIRING_LEVELS = ("national", "provincial", "municipal", "district")
KEY_LEVELS = ("national", "provincial", "municipal")


def _relic_share(
    layers: dict[str, Any],
    name: str,
    column: str,
    levels: tuple[str, ...],
    as_of: dt.date,
    what: str,
) -> pd.DataFrame:
    h = layers["heritage_sites"]
    relics = h.loc[(h["heritage_type"] == "cultural_relic") & h["protection_level"].isin(levels)]
    return share_metric(
        name,
        relics,
        relics[column] == "completed",
        layers,
        as_of=as_of,
        method=f"cultural relics at level {'/'.join(levels)} with {what} completed by as_of "
        "÷ all such relics",
        undated=(column, "文物"),
    )


@register_metric(
    "relic_wiring_share",
    label="文保单位电气线路套管完成率",
    unit="%",
    requires=("heritage_sites",),
    optional=("towns",),
    description="区级及以上文物保护单位中已完成电气线路套管的比例（任务16）。",
)
def relic_wiring_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    levels: tuple[str, ...] = WIRING_LEVELS,
) -> pd.DataFrame:
    """Relics at ``levels`` with wiring (套管敷设, 智慧用电) completed ÷ all (%)."""
    return _relic_share(layers, "relic_wiring_share", "wiring_status", levels, as_of, "wiring")


@register_metric(
    "relic_fire_safety_share",
    label="重点文保单位“三防”完成率",
    unit="%",
    requires=("heritage_sites",),
    optional=("towns",),
    description="重点文物保护单位中已完成“三防”的比例（任务16）。",
)
def relic_fire_safety_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    levels: tuple[str, ...] = KEY_LEVELS,
) -> pd.DataFrame:
    """Key relics (``levels``) with 三防 (fire, theft, lightning) completed ÷ all (%)."""
    return _relic_share(
        layers, "relic_fire_safety_share", "fire_safety_status", levels, as_of, "三防"
    )
