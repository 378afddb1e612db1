"""Reading cell values as planners write them: text, dates, vocabularies, task ids.

Shared by layer validation (:mod:`geoplan.layers._validate`) and the progress log
(:mod:`geoplan.records`). Every function works on a whole pandas Series at once.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..catalogue import STATUS_ALIASES, Column

#: Extra spellings of enum values (applied only where the value belongs to the column).
ENUM_ALIASES: dict[str, str] = {
    "一级保护区": "level1",
    "二级保护区": "level2",
    "准保护区": "quasi",
    "集中式": "centralized",
    "千人以上": "centralized",
    "分散": "dispersed",
    "河道": "river",
    "江河": "river",
    "井": "groundwater",
    "水井": "groundwater",
    "国家级": "national",
    "全国重点文物保护单位": "national",
    "省级文物保护单位": "provincial",
    "市级文物保护单位": "municipal",
    "区级文物保护单位": "district",
}


def is_blank(s: pd.Series) -> pd.Series:
    """True where a cell is missing or only whitespace."""
    return s.isna() | s.astype(str).str.strip().eq("")


def to_text(s: pd.Series) -> pd.Series:
    """Strings, stripped; integral floats written without ``.0``; blanks -> ``None``."""
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.dropna(), 1) == 0):
        s = s.astype("Int64")
    text = s.astype(str).str.strip().astype(object)
    text[is_blank(s).to_numpy()] = None
    return text


_DATE_FULL = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*(?:[-/.月]\s*(?P<d>\d{1,2})\s*日?|月)?"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?$"
)
_DATE_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_DATE_YEAR = re.compile(r"^(?P<y>\d{4})\s*年?$")
_DATE_SERIAL = re.compile(r"^(?P<n>\d{5})$")
_EXCEL_EPOCH = np.datetime64("1899-12-30")


def parse_dates(values: pd.Series) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Parse dates written in the forms planners use, vectorised.

    Accepted: ISO ``2023-05-01`` (with or without a time), ``2023/5/1``, ``2023.5.1``,
    ``2023年5月1日``, ``20230501``; ``2023-05`` and ``2023年5月`` (taken as the 1st of the
    month); ``2023`` and ``2023年`` (taken as 1 January); Excel serial day numbers
    ``20000``–``80000`` (1900 date system, e.g. ``45047`` = 2023-05-01).

    Returns
    -------
    dates
        ``datetime64[ms]``, ``NaT`` where the cell is blank or unparseable.
    flags
        Boolean Series: ``bad`` (not blank, not parseable), ``month_only``, ``year_only``,
        ``serial``.
    """
    idx = values.index
    none = pd.Series(False, index=idx)
    if pd.api.types.is_datetime64_any_dtype(values):
        dates = values.dt.tz_localize(None) if values.dt.tz is not None else values
        flags = {"bad": none, "month_only": none, "year_only": none, "serial": none}
        return dates.dt.normalize().astype("datetime64[ms]"), flags
    blank = is_blank(values)
    text = values.astype(str).str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    parts = pd.DataFrame({"y": np.nan, "m": np.nan, "d": np.nan}, index=idx)
    month_only, year_only = none.copy(), none.copy()
    for pattern in (_DATE_FULL, _DATE_COMPACT, _DATE_YEAR):
        got = text.str.extract(pattern).astype(float)
        todo = parts["y"].isna() & got["y"].notna()
        for c in ("y", "m", "d"):
            if c in got:
                parts.loc[todo, c] = got.loc[todo, c]
        if pattern is _DATE_FULL:
            month_only |= todo & got["d"].isna()
        if pattern is _DATE_YEAR:
            year_only |= todo
    parts["m"] = parts["m"].fillna(1)
    parts["d"] = parts["d"].fillna(1)
    ok = parts["y"].notna()
    dates = pd.Series(pd.NaT, index=idx, dtype="datetime64[ms]")
    if ok.any():
        p = parts[ok].astype(int).rename(columns={"y": "year", "m": "month", "d": "day"})
        dates[ok] = pd.to_datetime(p, errors="coerce")
    serial_n = text.str.extract(_DATE_SERIAL)["n"].astype(float)
    serial = dates.isna() & serial_n.between(20000, 80000)
    if serial.any():
        days = serial_n[serial].astype("int64").to_numpy().astype("timedelta64[D]")
        dates[serial] = (_EXCEL_EPOCH + days).astype("datetime64[ms]")
    bad = ~blank & dates.isna()
    flags = {
        "bad": bad,
        "month_only": month_only & ~bad,
        "year_only": year_only & ~bad,
        "serial": serial,
    }
    return dates.astype("datetime64[ms]"), flags


def _vocabulary(col: Column) -> dict[str, str]:
    lookup = {}
    for value, label in col.values.items():
        lookup[value] = value
        lookup[value.replace("_", "")] = value
        lookup[label.lower()] = value
    extra = STATUS_ALIASES if col.type == "status" else ENUM_ALIASES
    lookup.update({k.lower(): v for k, v in extra.items() if v in col.values})
    return lookup


def map_vocabulary(s: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Map a status/enum column to its vocabulary.

    Returns the mapped values (``None`` for blanks), a mask of unknown values, and a mask
    of values that were written as a label or synonym (e.g. ``已完成``).
    """
    blank = is_blank(s)
    key = s.astype(str).str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    mapped = key.map(_vocabulary(col))
    unknown = ~blank & mapped.isna()
    relabelled = ~blank & mapped.notna() & (key != mapped)
    return mapped.where(~blank, None).astype(object), unknown, relabelled


def normalise_task_ids(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``"17，18"``, ``"17、18"``, ``"１７，１８"``, ``17`` -> ``"17,18"``/``"17"``.

    Returns the normalised strings (``""`` for a blank cell) and a mask of cells that are
    not lists of numbers. Full-width digits (typed with a Chinese input method) become
    ASCII digits, so that ``"１７"`` and ``"17"`` name the same task everywhere downstream.
    """
    # the string work on the distinct values only: a layer of 100 000 features has a
    # handful of task lists (0.5 s -> a few ms)
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    text = to_text(pd.Series(uniques, dtype=s.dtype)).fillna("").str.normalize("NFKC")
    text = text.str.replace(r"[，、;；/\s]+", ",", regex=True).str.strip(",")
    bad = ~text.str.fullmatch(r"([0-9]+(,[0-9]+)*)?")
    text = pd.Series(text.to_numpy(dtype=object)[codes], index=s.index, dtype=object)
    return text, pd.Series(bad.to_numpy(dtype=bool)[codes], index=s.index)
