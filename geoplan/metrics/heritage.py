"""Heritage metrics, plan task 16.

"到2022年,全面完成区级文物保护单位电气线路套管敷设和智慧用电系统建设。到2025年,全面完成
全区重点文物保护单位“三防”工程". The protection levels counted change the status, so they are
parameters, stated in every row's method:

``wiring_levels`` (default :data:`WIRING_LEVELS`: district level and above)
    "区级文物保护单位" is read as the 文物保护单位 the district is responsible for: every
    ranked relic in it, 区级 and above. Reading it as district-level relics only would
    leave out the most valuable ones; pass ``wiring_levels=("district",)`` for that.
``key_levels`` (default :data:`KEY_LEVELS`: national and provincial)
    "重点文物保护单位": the 文物保护法 uses 重点 for 全国重点文物保护单位, and provincial
    units are commonly counted with them (省级以上重点文保单位); municipal units are not
    重点 by any usage we know. National only: ``key_levels=("national",)``; the previous
    reading with municipal units: ``("national", "provincial", "municipal")``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ._coverage import share_metric
from ._registry import register_metric

WIRING_LEVELS = ("national", "provincial", "municipal", "district")
KEY_LEVELS = ("national", "provincial")

LEVEL_NAMES = {"national": "国家级", "provincial": "省级", "municipal": "市级", "district": "区级"}


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
        method=f"计入级别：{'、'.join(LEVEL_NAMES.get(v, v) for v in levels)}文物保护单位；"
        f"cultural relics at level {'/'.join(levels)} with {what} completed by as_of "
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
    wiring_levels: tuple[str, ...] = WIRING_LEVELS,
) -> pd.DataFrame:
    """Relics at ``wiring_levels`` with wiring (套管敷设, 智慧用电) completed ÷ all (%)."""
    return _relic_share(
        layers, "relic_wiring_share", "wiring_status", wiring_levels, as_of, "wiring"
    )


@register_metric(
    "relic_fire_safety_share",
    label="重点文保单位“三防”完成率",
    unit="%",
    requires=("heritage_sites",),
    optional=("towns",),
    description="重点文物保护单位（默认国家级和省级）中已完成“三防”的比例（任务16）。",
)
def relic_fire_safety_share(
    layers: dict[str, Any],
    records: pd.DataFrame | None,
    *,
    as_of: dt.date,
    key_levels: tuple[str, ...] = KEY_LEVELS,
) -> pd.DataFrame:
    """Key relics (``key_levels``) with 三防 (fire, theft, lightning) completed ÷ all (%)."""
    return _relic_share(
        layers, "relic_fire_safety_share", "fire_safety_status", key_levels, as_of, "三防"
    )
