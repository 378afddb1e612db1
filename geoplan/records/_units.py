"""Units a ledger reports quantities in, and conversion between them.

A target says 100万平方米 and a town reports 35000 平方米; a target says 400亿元 and the
statistics office reports 1200000 万元. :func:`convert_quantity` brings a reported figure
to the target's unit, and refuses (with :class:`~geoplan.RecordsError`) units of different
kinds, so that 套 are never added to 平方米.

Counts (套, 栋, 个, 处, 座, 户, 项, 间, 宗) convert only to themselves, except the generic
counters 个 and 项, which stand for any counted thing.

Examples
--------
>>> convert_quantity(35000, "平方米", "万平方米")
3.5
>>> convert_quantity(1.2e6, "万元", "亿元")
120.0
>>> unit_kind("公里"), unit_kind("套"), unit_kind("%")
('length', 'count', 'percent')
"""

from __future__ import annotations

from .._errors import RecordsError

#: unit as written -> (kind, factor to the kind's base unit: 米, 平方米, 元, 1, %).
UNITS: dict[str, tuple[str, float]] = {
    # length, base 米
    "米": ("length", 1.0),
    "m": ("length", 1.0),
    "延米": ("length", 1.0),
    "公里": ("length", 1000.0),
    "千米": ("length", 1000.0),
    "km": ("length", 1000.0),
    # area, base 平方米
    "平方米": ("area", 1.0),
    "m2": ("area", 1.0),
    "m²": ("area", 1.0),
    "㎡": ("area", 1.0),
    "万平方米": ("area", 1e4),
    "万m2": ("area", 1e4),
    "万m²": ("area", 1e4),
    "公顷": ("area", 1e4),
    "ha": ("area", 1e4),
    "亩": ("area", 10000.0 / 15.0),
    "万亩": ("area", 1e4 * 10000.0 / 15.0),
    "平方公里": ("area", 1e6),
    "平方千米": ("area", 1e6),
    "km2": ("area", 1e6),
    "km²": ("area", 1e6),
    # money, base 元
    "元": ("money", 1.0),
    "万元": ("money", 1e4),
    "亿元": ("money", 1e8),
    # shares
    "%": ("percent", 1.0),
    "％": ("percent", 1.0),
    # volume and capacity
    "立方米": ("volume", 1.0),
    "m3": ("volume", 1.0),
    "万立方米": ("volume", 1e4),
    "吨/日": ("capacity", 1.0),
    "立方米/日": ("capacity", 1.0),
    "吨": ("mass", 1.0),
    "万吨": ("mass", 1e4),
}
#: Counted things: each converts to itself only (and to the generic counters).
COUNT_UNITS: frozenset[str] = frozenset(
    {
        "套",
        "栋",
        "幢",
        "个",
        "处",
        "座",
        "户",
        "项",
        "间",
        "宗",
        "家",
        "条",
        "所",
        "台",
        "辆",
        "count",
    }
)
#: Counters that stand for any counted thing.
GENERIC_COUNTS: frozenset[str] = frozenset({"个", "项", "count"})


def normalise_unit(unit: object) -> str:
    """The unit as a key of :data:`UNITS`: stripped, half-width, ``M2`` → ``m2``."""
    import unicodedata

    text = "" if unit is None else str(unit)
    text = text.replace("㎡", "平方米").replace("m²", "m2").replace("M²", "m2")
    text = unicodedata.normalize("NFKC", text).strip()
    if text in ("nan", "None", "<NA>"):
        return ""
    return text.lower() if text.isascii() else text


def unit_kind(unit: object) -> str | None:
    """``length``, ``area``, ``money``, ``percent``, ``count``… or None when unknown."""
    key = normalise_unit(unit)
    if key in COUNT_UNITS:
        return "count"
    hit = UNITS.get(key)
    return hit[0] if hit else None


def units_convert(from_unit: object, to_unit: object) -> bool:
    """True when a quantity in ``from_unit`` can be expressed in ``to_unit``."""
    a, b = normalise_unit(from_unit), normalise_unit(to_unit)
    if a == b:
        return True
    if a in COUNT_UNITS and b in COUNT_UNITS:
        return a in GENERIC_COUNTS or b in GENERIC_COUNTS
    ka, kb = UNITS.get(a), UNITS.get(b)
    return ka is not None and kb is not None and ka[0] == kb[0]


def conversion_factor(from_unit: object, to_unit: object) -> float:
    """The factor that turns a quantity in ``from_unit`` into ``to_unit``.

    Raises
    ------
    RecordsError
        The units measure different things (套 and 平方米), or one is unknown.
    """
    a, b = normalise_unit(from_unit), normalise_unit(to_unit)
    if not units_convert(a, b):
        kinds = f"{unit_kind(a) or '未知'} / {unit_kind(b) or '未知'}"
        raise RecordsError(
            f"unit {a or '(empty)'!r} cannot be converted to {b or '(empty)'!r} ({kinds}); "
            f"report this quantity in {b} or a unit of the same kind "
            f"({', '.join(same_kind_units(b)) or b})"
        )
    if a == b or (a in COUNT_UNITS and b in COUNT_UNITS):
        return 1.0
    return UNITS[a][1] / UNITS[b][1]


def convert_quantity(value: float, from_unit: object, to_unit: object) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (see :func:`conversion_factor`)."""
    return float(value) * conversion_factor(from_unit, to_unit)


def same_kind_units(unit: object) -> list[str]:
    """Units a ledger may use for a target in ``unit`` (for drop-downs and messages)."""
    key = normalise_unit(unit)
    if key in COUNT_UNITS:
        return [key] if key in GENERIC_COUNTS else [key, "个"]
    hit = UNITS.get(key)
    if hit is None:
        return [key] if key else []
    return [u for u, (kind, _) in UNITS.items() if kind == hit[0] and not u.isascii()] or [key]


__all__ = [
    "COUNT_UNITS",
    "UNITS",
    "conversion_factor",
    "convert_quantity",
    "normalise_unit",
    "same_kind_units",
    "unit_kind",
    "units_convert",
]
