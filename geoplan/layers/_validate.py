"""Validation and safe repair of layers against the catalogue in :mod:`geoplan.catalogue`.

What is checked, and what happens (nothing is dropped; every change is counted):

==============================================  =========  ==================================
finding                                         level      what geoplan does
==============================================  =========  ==================================
no CRS, or a CRS the coordinates contradict     error      ``CRSError`` from
                                                           :func:`geoplan.crs.check_crs`
required column missing                         error      —
optional column missing                         info       added, empty (``False`` for bool)
column under its Chinese label (名称, 状态…)    info       renamed to the catalogue name
or cut to 10 characters by a shapefile
id missing or duplicated                        error      —
null or empty geometry                          error      —
geometry of the wrong family (a line in parks)  error      —
invalid polygon (self-intersection…)            warning    ``shapely.make_valid``, polygonal
                                                           part kept, counted in ``repaired``
polygon with no area left after repair          error      —
collection holding polygons / one-point multi   warning    polygonal part / the point kept
polygon footprint in a point layer              warning    replaced by a point on its surface
footprint in farmhouses or heritage_sites       —          kept, repaired like polygons
polygon made invalid by reprojection            warning    repaired as above, counted
unknown enum or status value                    error      —
Chinese label or synonym (已完成, 一级)         info       mapped to the value
number, yes/no or task-id cell unreadable       error      —
unparseable date                                error      —
date without a day (2023年5月, 2023-05)         info       the 1st of the month
date with only a year (2023年)                  warning    1 January of that year
Excel serial date (45047)                       info       converted (1900 date system)
empty bool cell                                 warning    taken as ``False``
status ``completed`` without its date           warning    — (as-of metrics never count it)
date given but status not ``completed``         warning    —
date given but its yes/no flag false            warning    —
line of zero length                             warning    —
coordinate that is NaN or infinite              error      — (never repaired or measured)
some features beyond ±180/±90 in a degree CRS   error      — (all of them: ``CRSError``)
feature outside China                           error      — (``CHINA_RECTANGLE``)
feature far from the rest of the layer          warning    — (the metric CRS follows the
                                                           bulk of the layer, not it)
feature wider than 150 km                       warning    — (``MAX_FEATURE_SPAN_KM``)
negative number (population, capacity…)         error      —
id in town_id/village_id/… not in its layer     warning    —
==============================================  =========  ==================================

Geometry is checked and repaired in the layer's own CRS, then reprojected to EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._errors import SchemaError
from ..catalogue import (
    BOOL_WORDS,
    FLAG_DATES,
    GEOMETRY_TYPES,
    LAYER_KINDS,
    REFERENCES,
    Column,
    LayerKind,
    geometry_types,
)
from ._values import is_blank, map_vocabulary, normalise_task_ids, parse_dates, to_text

Level = Literal["error", "warning", "info"]
_SHOW_IDS = 5

#: Features whose lon/lat bounding box leaves this rectangle (west, south, east, north;
#: the one the GCJ-02 algorithm uses for China) are errors: a village in Europe or a
#: polygon covering the world is a drawing or CRS mistake in a Chinese district's data.
CHINA_RECTANGLE: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)

#: A feature is "far from the rest of its layer" when its centre lies more than
#: ``max(OUTLIER_MIN_KM, OUTLIER_FACTOR × the median distance)`` from the layer's median
#: centre (layers of 3 features or more): a warning naming it.
OUTLIER_MIN_KM = 50.0
OUTLIER_FACTOR = 10.0

#: A single feature wider or taller than this (km) is implausible for a district's
#: towns, villages, greenways or parks: a warning naming it.
MAX_FEATURE_SPAN_KM = 150.0

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON = 111.320


@dataclass
class Issue:
    """One finding of a check.

    Attributes
    ----------
    level
        ``error`` (the layer cannot be used), ``warning`` (used, but a figure may be off)
        or ``info`` (a normalisation geoplan made).
    layer
        Layer kind, or the file/table for findings about a whole source.
    column
        The column concerned, ``None`` for whole-layer findings.
    message
        What is wrong, with the values found.
    fix
        What to change in the data.
    feature_ids
        Ids of the features concerned (all of them; the text shows the first few).
    count
        How many features or values are concerned.

    Examples
    --------
    >>> from geoplan import Issue
    >>> issue = Issue("warning", "parks", "opened_date", "2 parks have no opening date",
    ...               "fill opened_date (开放日期)")
    >>> issue.level, issue.layer, issue.column
    ('warning', 'parks', 'opened_date')
    """

    level: Level
    layer: str
    column: str | None
    message: str
    fix: str = ""
    feature_ids: list[str] = field(default_factory=list)
    count: int = 0

    def __str__(self) -> str:
        where = self.layer + (f".{self.column}" if self.column else "")
        ids = ""
        if self.feature_ids:
            shown = ", ".join(self.feature_ids[:_SHOW_IDS])
            more = len(self.feature_ids) - _SHOW_IDS
            ids = f" [ids: {shown}{f', … {more} more' if more > 0 else ''}]"
        fix = f" — fix: {self.fix}" if self.fix else ""
        return f"{self.level.upper():7} {where}: {self.message}{ids}{fix}"


@dataclass
class CheckReport:
    """The result of :func:`geoplan.check_layers`.

    Attributes
    ----------
    source
        What was checked (a path, URL or ``"<GeoDataFrames>"``).
    issues
        Every finding, in layer order.
    features
        Kind -> number of features read.
    repaired
        Kind -> number of geometries repaired or converted (see the module table).

    Examples
    --------
    >>> import geoplan
    >>> report = geoplan.check_layers(geoplan.datasets.data_path("taishang_sample.gpkg"))
    >>> report.ok, report.features["towns"]
    (True, 4)
    """

    source: str
    issues: list[Issue] = field(default_factory=list)
    features: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """``True`` when there is no error (warnings and info allowed)."""
        return not self.errors

    @property
    def errors(self) -> list[Issue]:
        """The findings of level ``error``."""
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """The findings of level ``warning``."""
        return [i for i in self.issues if i.level == "warning"]

    def to_frame(self) -> pd.DataFrame:
        """Return the issues as a DataFrame, one row per issue."""
        cols = ["level", "layer", "column", "count", "message", "fix", "feature_ids"]
        rows = [{c: getattr(i, c) for c in cols} for i in self.issues]
        return pd.DataFrame(rows, columns=cols)

    def raise_for_errors(self, error: type[SchemaError] = SchemaError) -> None:
        """Raise ``error`` (a :class:`~geoplan.SchemaError`) listing every error, if any."""
        if self.errors:
            lines = "\n".join(f"  {i}" for i in self.errors)
            raise error(f"{self.source}: {len(self.errors)} error(s):\n{lines}")

    def __str__(self) -> str:
        n_feat = sum(self.features.values())
        counts = {
            lv: sum(i.level == lv for i in self.issues) for lv in ("error", "warning", "info")
        }
        log = list(self.features) == ["records"]  # a progress log, not layers
        table, rows = (
            ("table", "rows")
            if log
            else ("layers" if len(self.features) != 1 else "layer", "features")
        )
        lines = [
            f"geoplan check: {self.source}",
            f"{len(self.features)} {table}, {n_feat} {rows}, {counts['error']} errors, "
            f"{counts['warning']} warnings, {counts['info']} info"
            + ("" if log else f", {sum(self.repaired.values())} geometries repaired"),
        ]
        for kind, n in self.features.items():
            rep = self.repaired.get(kind, 0)
            lines.append(f"  {kind:<18} {n:>6} {rows}" + (f", {rep} repaired" if rep else ""))
        lines += [str(i) for i in self.issues]
        lines.append("OK" if self.ok else "FAILED")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- helpers


def _ids(gdf: pd.DataFrame, mask: np.ndarray | pd.Series) -> list[str]:
    mask = np.asarray(mask, dtype=bool)
    if "id" in gdf.columns:
        return [str(v) for v in gdf["id"].to_numpy()[mask]]
    return [f"row {i}" for i in np.flatnonzero(mask)]


# ---------------------------------------------------------------------------- layers


class _Checker:
    """Validate one layer; collects issues and the repair count."""

    def __init__(self, kind: LayerKind, source: str) -> None:
        self.kind = kind
        self.source = source
        self.issues: list[Issue] = []
        self.repaired = 0
        self.bad_coords: np.ndarray = np.zeros(0, dtype=bool)

    def add(
        self,
        level: Level,
        column: str | None,
        message: str,
        fix: str = "",
        ids: list[str] | None = None,
        count: int | None = None,
    ) -> None:
        ids = ids or []
        self.issues.append(
            Issue(
                level,
                self.kind.name,
                column,
                message,
                fix,
                ids,
                count if count is not None else len(ids),
            )
        )

    # -- columns
    def rename_labels(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Chinese labels, aliases and shapefile-truncated names -> catalogue names."""
        present = set(gdf.columns)
        renames = {}
        cut = pd.Series([c.name[:10] for c in self.kind.columns])
        for col in self.kind.columns:
            if col.name in present:
                continue
            # a shapefile keeps 10 characters of a field name: completed_date -> completed_
            short = (col.name[:10],) if (cut == col.name[:10]).sum() == 1 else ()
            for alt in (col.label, *col.aliases, *short):
                if alt in present and alt not in renames:
                    renames[alt] = col.name
                    break
        if renames:
            gdf = gdf.rename(columns=renames)
            pairs = ", ".join(f"{a} → {b}" for a, b in renames.items())
            self.add("info", None, f"columns renamed to the catalogue's names: {pairs}")
        return gdf

    def missing_columns(self, gdf: gpd.GeoDataFrame) -> bool:
        missing = [c for c in self.kind.required if c not in gdf.columns]
        if missing:
            found = ", ".join(map(str, gdf.columns.drop(gdf.geometry.name, errors="ignore")))
            wanted = ", ".join(f"{n!r} ({self.kind.column(n).label})" for n in missing)
            expected = ", ".join(c.name for c in self.kind.columns)
            self.add(
                "error",
                ", ".join(missing),
                f"{self.source}: the {self.kind.name} layer lacks the required column"
                f"{'s' if len(missing) > 1 else ''} {wanted}; its columns are: {found or 'none'}",
                "map your columns to them in a column mapping passed with --columns "
                "(`geoplan layers check --write-mapping mapping.yaml` drafts one), or rename "
                f"them; the {self.kind.name} layer expects: {expected}",
            )
        return bool(missing)

    def column(self, gdf: gpd.GeoDataFrame, col: Column) -> None:
        name = col.name
        if name not in gdf.columns:
            if col.type == "bool":
                gdf[name] = False
            elif col.type == "date":
                gdf[name] = pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[ms]")
            elif col.type in ("int", "float"):
                gdf[name] = pd.Series(
                    pd.NA if col.type == "int" else np.nan,
                    index=gdf.index,
                    dtype="Int64" if col.type == "int" else "float64",
                )
            else:
                gdf[name] = "" if name == "task_ids" else None
            return
        s = gdf[name]
        if col.type == "str":
            gdf[name] = normalise_task_ids(s)[0] if name == "task_ids" else to_text(s)
            if name == "task_ids":
                bad = normalise_task_ids(s)[1]
                if bad.any():
                    vals = sorted(set(s[bad].astype(str)))[:5]
                    self.add(
                        "error",
                        name,
                        f"task ids that are not plan task numbers: {vals}",
                        'write task numbers separated by commas, e.g. "17,18"',
                        _ids(gdf, bad),
                    )
        elif col.type in ("int", "float"):
            self._numeric(gdf, col)
        elif col.type == "bool":
            self._bool(gdf, col)
        elif col.type == "date":
            self._date(gdf, col)
        else:
            self._vocab(gdf, col)

    def _numeric(self, gdf: gpd.GeoDataFrame, col: Column) -> None:
        s = gdf[col.name]
        text = s.astype(str).str.replace(r"[,，\s]", "", regex=True)
        num = pd.to_numeric(text.where(~is_blank(s)), errors="coerce")
        bad = ~is_blank(s) & num.isna()
        if col.type == "int":
            bad |= num.notna() & (np.mod(num.fillna(0), 1) != 0)
        if bad.any():
            vals = sorted(set(s[bad].astype(str)))[:5]
            self.add(
                "error",
                col.name,
                f"values that are not {col.type}s: {vals}",
                f"write {col.label} ({col.name}) as a number",
                _ids(gdf, bad),
            )
            num = num.where(~bad)
        negative = num.notna() & (num < 0)
        if negative.any():
            vals = sorted(set(s[negative].astype(str)))[:5]
            self.add(
                "error",
                col.name,
                f"negative values {vals}: {col.label} ({col.name}) cannot be below zero",
                f"correct {col.label} ({col.name}) to a number of 0 or more",
                _ids(gdf, negative),
            )
        if col.type == "int":
            num = num.astype("Int64")
            gdf[col.name] = num.astype("int64") if num.notna().all() else num
        else:
            gdf[col.name] = num.astype("float64")

    def _bool(self, gdf: gpd.GeoDataFrame, col: Column) -> None:
        s = gdf[col.name]
        if pd.api.types.is_bool_dtype(s) and not s.isna().any():
            gdf[col.name] = s.astype(bool)
            return
        blank = is_blank(s)
        mapped = s.astype(str).str.strip().str.lower().map(BOOL_WORDS)
        bad = ~blank & mapped.isna()
        if bad.any():
            vals = sorted(set(s[bad].astype(str)))[:5]
            self.add(
                "error",
                col.name,
                f"values that are not yes/no: {vals}",
                "write true/false, 1/0 or 是/否",
                _ids(gdf, bad),
            )
        if blank.any():
            self.add(
                "warning",
                col.name,
                f"{int(blank.sum())} empty cells taken as False",
                "fill the cells with true/false",
                _ids(gdf, blank),
            )
        gdf[col.name] = mapped.fillna(False).astype(bool)

    def _date(self, gdf: gpd.GeoDataFrame, col: Column) -> None:
        dates, flags = parse_dates(gdf[col.name])
        if flags["bad"].any():
            vals = sorted(set(gdf[col.name][flags["bad"]].astype(str)))[:5]
            self.add(
                "error",
                col.name,
                f"dates that cannot be read: {vals}",
                "write dates as 2023-05-01 (also accepted: 2023/5/1, 2023.5.1, "
                "2023年5月1日, 20230501, 2023-05)",
                _ids(gdf, flags["bad"]),
            )
        notes: dict[str, tuple[Level, str]] = {
            "month_only": ("info", "dates without a day taken as the 1st of the month"),
            "year_only": ("warning", "dates with only a year taken as 1 January"),
            "serial": ("info", "Excel serial day numbers converted to dates"),
        }
        for key, (level, text) in notes.items():
            if flags[key].any():
                self.add(
                    level,
                    col.name,
                    f"{int(flags[key].sum())} {text}",
                    "write full dates (2023-05-01) to remove this note" if level != "info" else "",
                    _ids(gdf, flags[key]),
                )
        gdf[col.name] = dates

    def _vocab(self, gdf: gpd.GeoDataFrame, col: Column) -> None:
        mapped, unknown, relabelled = map_vocabulary(gdf[col.name], col)
        if unknown.any():
            vals = sorted(set(gdf[col.name][unknown].astype(str)))[:5]
            allowed = ", ".join(f"{k} ({v})" for k, v in col.values.items())
            self.add(
                "error",
                col.name,
                f"unknown values {vals}",
                f"use one of: {allowed}",
                _ids(gdf, unknown),
            )
        if relabelled.any():
            self.add(
                "info",
                col.name,
                f"{int(relabelled.sum())} values written as labels or synonyms mapped "
                "to the vocabulary",
                count=int(relabelled.sum()),
            )
        if col.required and (mapped.isna() & ~unknown).any():
            empty = mapped.isna() & ~unknown
            self.add(
                "warning",
                col.name,
                f"{int(empty.sum())} features have no {col.name}",
                f"fill {col.name} ({col.label})",
                _ids(gdf, empty),
            )
        gdf[col.name] = mapped

    # -- ids and geometry
    def ids(self, gdf: gpd.GeoDataFrame) -> None:
        ids = gdf["id"]
        missing = ids.isna()
        if missing.any():
            rows = [f"row {i}" for i in np.flatnonzero(missing)]
            self.add(
                "error",
                "id",
                f"{int(missing.sum())} features have no id",
                "give every feature a unique id",
                rows,
            )
        dup = ids.duplicated(keep=False) & ~missing
        if dup.any():
            self.add(
                "error",
                "id",
                f"{int(dup.sum())} features share {ids[dup].nunique()} duplicated ids",
                "make ids unique within the layer (ids are how records find features)",
                sorted(set(ids[dup])),
            )

    def geometry(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        family = self.kind.geometry
        allowed = geometry_types(self.kind)
        geom = np.asarray(gdf.geometry.array, dtype=object)
        missing = shapely.is_missing(geom)
        empty = shapely.is_empty(geom) & ~missing
        for mask, what in ((missing, "null"), (empty, "empty")):
            if mask.any():
                self.add(
                    "error",
                    "geometry",
                    f"{int(mask.sum())} features have {what} geometry",
                    "draw the features or delete them from the layer",
                    _ids(gdf, mask),
                )
        live = ~missing & ~empty
        if len(self.bad_coords) == len(geom):  # reported by coordinates(): not repaired
            live &= ~self.bad_coords
        gtype = pd.Series(gdf.geometry.geom_type).to_numpy()
        fixed = np.zeros(len(geom), dtype=bool)
        if family == "Polygon" or self.kind.footprints:
            polygonal = np.isin(gtype, GEOMETRY_TYPES["Polygon"])
            invalid = live & polygonal & ~shapely.is_valid(geom)
            coll = live & (gtype == "GeometryCollection")
            todo = invalid | coll
            if todo.any():
                repaired = geom[todo]
                if invalid.any():
                    sub = invalid[todo]
                    repaired[sub] = shapely.make_valid(
                        repaired[sub], method="structure", keep_collapsed=False
                    )
                geom[todo] = _polygonal(repaired)
                fixed |= todo & ~shapely.is_empty(geom)
                self._report_fix(
                    gdf,
                    invalid,
                    "invalid polygons (self-intersections, bad rings)"
                    " repaired with make_valid, polygonal part kept",
                )
                self._report_fix(
                    gdf, coll & fixed, "geometry collections reduced to their polygons"
                )
                gone = todo & shapely.is_empty(geom)
                if gone.any():
                    self.add(
                        "error",
                        "geometry",
                        f"{int(gone.sum())} features have no area "
                        "left after repair (degenerate polygons)",
                        "redraw the polygons",
                        _ids(gdf, gone),
                    )
        elif family == "LineString":
            flat = live & (shapely.length(geom) == 0)
            if flat.any():
                self.add(
                    "warning",
                    "geometry",
                    f"{int(flat.sum())} lines have zero length (all vertices in one place); "
                    "they count 0 km",
                    "redraw the lines",
                    _ids(gdf, flat),
                )
        if family == "Point":
            multi = live & (gtype == "MultiPoint") & (shapely.get_num_geometries(geom) == 1)
            poly = live & np.isin(gtype, GEOMETRY_TYPES["Polygon"]) & (not self.kind.footprints)
            if multi.any():
                geom[multi] = shapely.get_geometry(geom[multi], 0)
                self._report_fix(gdf, multi, "one-point MultiPoints stored as Points")
            if poly.any():
                geom[poly] = shapely.point_on_surface(geom[poly])
                self._report_fix(
                    gdf, poly, "polygon footprints replaced by a point on their surface"
                )
            fixed |= multi | poly
        names = pd.Series(gpd.GeoSeries(geom, crs=gdf.crs).geom_type).fillna("").to_numpy()
        wrong = live & ~np.isin(names, allowed) & ~shapely.is_empty(geom)
        if wrong.any():
            found = ", ".join(
                f"{t} ×{n}" for t, n in pd.Series(names[wrong]).value_counts().items()
            )
            self.add(
                "error",
                "geometry",
                f"mixed geometry types: {found} in a layer of {'/'.join(allowed)}",
                f"put these features in their own layer; "
                f"{self.kind.name} holds {'/'.join(allowed)}",
                _ids(gdf, wrong),
            )
        self.repaired = int(fixed.sum())
        return gdf.set_geometry(gpd.GeoSeries(geom, index=gdf.index, crs=gdf.crs))

    def reproject(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """To the storage CRS; polygons that moving vertices made invalid are repaired."""
        if gdf.crs is not None and gdf.crs.equals(settings.STORAGE_CRS):
            return gdf  # nothing moves: checked once already (0.5 s at 100 000 polygons)
        gdf = gdf.to_crs(settings.STORAGE_CRS)
        if "Polygon" not in geometry_types(self.kind):
            return gdf
        geom = np.asarray(gdf.geometry.array, dtype=object)
        broken = ~shapely.is_missing(geom) & ~shapely.is_valid(geom)
        if len(self.bad_coords) == len(geom):
            broken &= ~self.bad_coords
        if broken.any():
            geom[broken] = _polygonal(
                shapely.make_valid(geom[broken], method="structure", keep_collapsed=False)
            )
            self._report_fix(
                gdf,
                broken,
                "polygons became invalid when reprojected to "
                f"{settings.STORAGE_CRS} (vertices too close) and were repaired",
            )
            self.repaired += int(broken.sum())
            gdf = gdf.set_geometry(gpd.GeoSeries(geom, index=gdf.index, crs=gdf.crs))
        return gdf

    def coordinates(self, gdf: gpd.GeoDataFrame) -> np.ndarray:
        """Coordinates that are not numbers, or not degrees in a degree CRS.

        Returns the mask of the features reported (errors); they are left out of the
        CRS check (when they are a minority), the repairs and the location checks.
        """
        from ..crs import nonfinite_features

        geom = np.asarray(gdf.geometry.array, dtype=object)
        nonfinite = nonfinite_features(geom)
        if nonfinite.any():
            self.add(
                "error",
                "geometry",
                f"{int(nonfinite.sum())} features have coordinates that are not numbers "
                "(NaN or infinity); their length or area cannot be measured",
                "redraw these features or delete the bad vertices",
                _ids(gdf, nonfinite),
            )
        bad = nonfinite.copy()
        if gdf.crs is not None and gdf.crs.is_geographic:
            bounds = shapely.bounds(geom)
            with np.errstate(invalid="ignore"):
                wild = ~nonfinite & (
                    (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
                    | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
                )
            live = ~shapely.is_missing(geom) & ~shapely.is_empty(geom) & ~nonfinite
            # all of them: the CRS is wrong, and check_crs says which one fits
            if wild.any() and wild.sum() < live.sum():
                big = np.nanmax(np.abs(bounds[wild]))
                self.add(
                    "error",
                    "geometry",
                    f"{int(wild.sum())} features have coordinates up to {big:,.0f}, which "
                    f"are not degrees although the layer declares {gdf.crs.to_string()}: "
                    "they look like metres (EPSG:3857 or a Gauss-Kruger CRS)",
                    "reproject these features to the layer's CRS (or export the layer "
                    "again in one CRS)",
                    _ids(gdf, wild),
                )
                bad |= wild
        self.bad_coords = bad
        return bad

    def location(self, gdf: gpd.GeoDataFrame) -> None:
        """Features outside China, far from the rest of the layer, or implausibly large.

        ``gdf`` is in EPSG:4326 (after :meth:`reproject`).
        """
        geom = np.asarray(gdf.geometry.array, dtype=object)
        ok = ~shapely.is_missing(geom) & ~shapely.is_empty(geom)
        if len(self.bad_coords) == len(geom):
            ok &= ~self.bad_coords
        if not ok.any():
            return
        b = shapely.bounds(geom)
        lost = ok & ~np.isfinite(b).all(axis=1)
        if lost.any():  # coordinates the CRS cannot take back to lon/lat
            self.add(
                "error",
                "geometry",
                f"{int(lost.sum())} features cannot be placed on the earth: their "
                "coordinates lie outside what the layer's CRS can project",
                "reproject these features to the layer's CRS, or delete them",
                _ids(gdf, lost),
            )
        with np.errstate(invalid="ignore"):
            ok &= ~lost
            west, south, east, north = CHINA_RECTANGLE
            outside = ok & ~(
                (b[:, 0] >= west) & (b[:, 2] <= east) & (b[:, 1] >= south) & (b[:, 3] <= north)
            )
        if outside.any():
            cx = (b[outside, 0] + b[outside, 2]) / 2
            cy = (b[outside, 1] + b[outside, 3]) / 2
            where = ", ".join(f"{x:.2f}°E {y:.2f}°N" for x, y in zip(cx[:3], cy[:3], strict=True))
            self.add(
                "error",
                "geometry",
                f"{int(outside.sum())} features lie (partly) outside China (centred at "
                f"{where}); figures would count them",
                "correct their coordinates or CRS, or delete them",
                _ids(gdf, outside),
            )
        rest = ok & ~outside
        if not rest.any():
            return
        cx = (b[:, 0] + b[:, 2]) / 2
        cy = (b[:, 1] + b[:, 3]) / 2
        lat0 = float(np.median(cy[rest]))
        coslat = np.cos(np.radians(lat0))
        span = np.maximum(
            (b[:, 2] - b[:, 0]) * _KM_PER_DEG_LON * coslat, (b[:, 3] - b[:, 1]) * _KM_PER_DEG_LAT
        )
        huge = rest & (span > MAX_FEATURE_SPAN_KM)
        if huge.any():
            self.add(
                "warning",
                "geometry",
                f"{int(huge.sum())} features are implausibly large (up to "
                f"{float(span[huge].max()):,.0f} km across, more than "
                f"{MAX_FEATURE_SPAN_KM:.0f} km); figures include them",
                "check these features' vertices and CRS",
                _ids(gdf, huge),
            )
        if rest.sum() < 3:
            return
        lon0 = float(np.median(cx[rest]))
        dist = np.hypot((cx - lon0) * _KM_PER_DEG_LON * coslat, (cy - lat0) * _KM_PER_DEG_LAT)
        limit = max(OUTLIER_MIN_KM, OUTLIER_FACTOR * float(np.median(dist[rest])))
        far = rest & (dist > limit)
        if far.any():
            self.add(
                "warning",
                "geometry",
                f"{int(far.sum())} features lie far from the rest of the layer (up to "
                f"{float(dist[far].max()):,.0f} km from its median centre {lon0:.3f}°E "
                f"{lat0:.3f}°N; limit {limit:,.0f} km); figures include them",
                "check these features' coordinates or delete them",
                _ids(gdf, far),
            )

    def _report_fix(self, gdf: gpd.GeoDataFrame, mask: np.ndarray, text: str) -> None:
        if mask.any():
            self.add(
                "warning",
                "geometry",
                f"{int(mask.sum())} {text}",
                "fix the source geometry to silence this warning",
                _ids(gdf, mask),
            )

    def consistency(self, gdf: gpd.GeoDataFrame) -> None:
        """Status or yes/no columns and their dates that contradict each other."""
        for flag, date_col in FLAG_DATES.items():
            if flag in gdf.columns and date_col in gdf.columns:
                odd = ~gdf[flag] & gdf[date_col].notna()
                if odd.any():
                    self.add(
                        "warning",
                        flag,
                        f"{int(odd.sum())} features: {date_col} is set but {flag} is false",
                        f"set {flag} to true or clear {date_col}",
                        _ids(gdf, odd),
                    )
        for col in self.kind.columns:
            if col.type != "status":
                continue
            date_col = (
                "completed_date" if col.name == "status" else col.name.replace("_status", "_date")
            )
            if date_col not in gdf.columns:
                continue
            done = gdf[col.name].eq("completed")
            dated = gdf[date_col].notna()
            for mask, text, fix in (
                (
                    done & ~dated,
                    f"{col.name} is completed but {date_col} is empty; "
                    "as-of figures will not count these",
                    f"fill {date_col}",
                ),
                (
                    ~done & dated,
                    f"{date_col} is set but {col.name} is not completed",
                    f"set {col.name} to completed or clear {date_col}",
                ),
            ):
                if mask.any():
                    self.add(
                        "warning",
                        col.name,
                        f"{int(mask.sum())} features: {text}",
                        fix,
                        _ids(gdf, mask),
                    )


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal part of each geometry (a Polygon if one part, else MultiPolygon)."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    out = np.array([shapely.Polygon()] * len(geoms), dtype=object)
    if keep.any():
        multi = shapely.multipolygons(parts[keep], indices=index[keep])
        owners = np.unique(index[keep])
        single = shapely.get_num_geometries(multi) == 1
        multi[single] = shapely.get_geometry(multi[single], 0)
        out[owners] = multi
    return out


def _check_crs(
    gdf: gpd.GeoDataFrame, kind: str, source: str, skip: np.ndarray | None = None
) -> gpd.GeoDataFrame:
    """Raise CRSError unless the layer has a CRS its coordinates agree with.

    ``skip`` masks features already reported for bad coordinates (a minority of them
    must not make the whole layer's CRS look wrong).
    """
    from ..crs import check_crs

    if skip is not None and skip.any() and not skip.all():
        check_crs(gdf[~skip], name=f"{kind} ({source})")
    else:
        check_crs(gdf, name=f"{kind} ({source})")
    return gdf.copy()


def validate_layer(
    kind: str, gdf: gpd.GeoDataFrame, *, source: str = "<GeoDataFrame>"
) -> tuple[gpd.GeoDataFrame, list[Issue], int]:
    """Validate and repair one layer against its kind.

    Returns the layer (EPSG:4326, catalogue columns first with their types, extra columns
    after), the issues found and the number of geometries repaired. Raises
    :class:`~geoplan.CRSError` when the layer has no usable CRS.
    """
    spec = LAYER_KINDS[kind]
    check = _Checker(spec, source)
    skip = check.coordinates(gdf) if gdf.crs is not None else None
    gdf = _check_crs(gdf, kind, source, skip)
    gdf = check.rename_labels(gdf)
    if check.missing_columns(gdf):
        return gdf.to_crs(settings.STORAGE_CRS), check.issues, 0
    added = [c.name for c in spec.columns if c.name not in gdf.columns]
    if added:
        check.add("info", None, f"optional columns missing, added empty: {', '.join(added)}")
    for col in spec.columns:
        check.column(gdf, col)
    check.ids(gdf)
    gdf = check.reproject(check.geometry(gdf))
    check.location(gdf)
    check.consistency(gdf)
    names = [c.name for c in spec.columns]
    extra = [c for c in gdf.columns if c not in names and c != gdf.geometry.name]
    gdf = gdf[[*names, *extra, gdf.geometry.name]].reset_index(drop=True)
    return gdf, check.issues, check.repaired


def check_references(layers: dict[str, gpd.GeoDataFrame]) -> list[Issue]:
    """Report ids in ``town_id``, ``village_id``, ``source_id``, ``district_id`` that are
    not in the layer they refer to (only when that layer is present)."""
    issues = []
    for (kind, column), target in REFERENCES.items():
        if kind not in layers or target not in layers or column not in layers[kind]:
            continue
        gdf = layers[kind]
        ref = gdf[column]
        bad = ref.notna() & ~ref.isin(layers[target]["id"])
        if bad.any():
            unknown = sorted(set(ref[bad].astype(str)))
            issues.append(
                Issue(
                    "warning",
                    kind,
                    column,
                    f"{int(bad.sum())} features refer to {target} ids that do not exist: "
                    f"{unknown[:5]}",
                    f"use ids of the {target} layer",
                    _ids(gdf, bad),
                    int(bad.sum()),
                )
            )
    return issues


def check_task_ids(layers: dict[str, gpd.GeoDataFrame], task_ids: list[int]) -> list[Issue]:
    """Report ``task_ids`` entries that are not task numbers of the plan register."""
    valid = {str(t) for t in task_ids}
    issues = []
    for kind, gdf in layers.items():
        listed = gdf["task_ids"].str.split(",").explode()
        listed = listed[listed.notna() & listed.ne("")]
        unknown = listed[~listed.isin(valid)]
        if unknown.empty:
            continue
        bad = gdf.index.isin(unknown.index.unique())
        tasks = sorted({int(t) for t in unknown})
        issues.append(
            Issue(
                "warning",
                kind,
                "task_ids",
                f"{int(bad.sum())} features name tasks {tasks} that are "
                f"not in the plan register (tasks {min(task_ids)}–{max(task_ids)})",
                "correct task_ids (任务编号) to the plan's task numbers",
                _ids(gdf, bad),
                int(bad.sum()),
            )
        )
    return issues


__all__ = ["CheckReport", "Issue", "check_references", "check_task_ids", "validate_layer"]
