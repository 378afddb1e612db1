"""The formats planners receive besides GIS files: KML/KMZ, DXF, File Geodatabase, tables.

:func:`geoplan.read_file` dispatches here by suffix; each reader returns the raw frame
(in the file's CRS, not checked) and the CRS rule that goes with the format:

- KML/KMZ (奥维互动地图, Google Earth, 天地图 exports): WGS84 lon/lat by the KML standard;
  each folder is a layer, styles are ignored, ``<name>`` becomes ``name`` and
  ``<ExtendedData>`` fields keep their (Chinese) names. 奥维 can export GCJ-02: the
  caller says so with ``crs="GCJ-02"``.
- DXF from CAD: no CRS in the file, so ``crs=`` is required (the error guesses the
  Gauss-Kruger zone from the coordinates); each CAD layer is a layer. Text decodes by the
  drawing's ``$DWGCODEPAGE`` (ANSI_936 = GBK), else UTF-8, else GB18030.
- Esri File Geodatabase (a ``.gdb`` folder, or a zip holding one), read with GDAL's
  OpenFileGDB driver: each feature class is a layer; UTF-8 and a CRS by definition.
- CSV and Excel ``.xlsx`` tables of points: coordinates in 经度/纬度 (lon/lat, also in
  degrees-minutes-seconds), or in X/Y (Gauss-Kruger metres). Which of X and Y is the
  easting is decided from the values (Chinese surveying writes the northing as X); an
  easting with a zone prefix (40 524 000) names its CGCS2000 zone. Lon/lat without
  ``crs=`` is WGS84/CGCS2000, as GPS and 奥维 record it; X/Y without a zone prefix needs
  ``crs=``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import DataReadError

logger = logging.getLogger(__name__)

#: Header names (lower case, spaces and units removed) of coordinate columns in tables.
LON_NAMES: tuple[str, ...] = ("经度", "东经", "lon", "lng", "long", "longitude", "经度坐标")
LAT_NAMES: tuple[str, ...] = ("纬度", "北纬", "lat", "latitude", "纬度坐标")
X_NAMES: tuple[str, ...] = ("x", "x坐标", "横坐标", "东坐标", "easting", "e", "坐标x")
Y_NAMES: tuple[str, ...] = ("y", "y坐标", "纵坐标", "北坐标", "northing", "n", "坐标y")

#: LIBKML's per-placemark display fields; dropped (styles and view settings, not data).
_KML_DISPLAY = ("altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon")
_KML_OPTIONAL = ("id", "description", "timestamp", "begin", "end", "snippet")
#: GDAL's DXF bookkeeping fields; dropped.
_DXF_BOOKKEEPING = ("PaperSpace", "SubClasses", "Linetype", "EntityHandle", "RawCodeValues")

#: ``$DWGCODEPAGE`` values -> Python codec.
DXF_CODEPAGES: dict[str, str] = {
    "ANSI_936": "gbk",
    "ANSI_950": "big5",
    "ANSI_932": "cp932",
    "ANSI_949": "cp949",
    "ANSI_1252": "cp1252",
    "UTF8": "utf-8",
    "UTF-8": "utf-8",
}

_UNIT = re.compile(r"[（(\[【].*?[)）\]】]")
_DMS = re.compile(
    r"^\s*(?P<d>-?\d+(?:\.\d+)?)\s*[°度]\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*['′’分])?\s*"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:[\"″”]|''|秒))?\s*(?P<h>[EWNSewns东西南北])?\s*$"
)


# ----------------------------------------------------------------------- GDAL options


@contextlib.contextmanager
def gdal_options(**options: str) -> Iterator[None]:
    """Set GDAL config options for the duration of one read, then restore the defaults."""
    import pyogrio

    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


# ---------------------------------------------------------------------------- sources


def gdb_source(path: Path) -> str | None:
    """The GDAL path of the File Geodatabase in ``path`` (a .gdb folder or a zip), or None."""
    if path.is_dir():
        return str(path) if path.suffix.lower() == ".gdb" else None
    if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    gdbs = sorted(
        {n[: n.lower().index(".gdb/") + 4] for n in names if ".gdb/" in n.lower()},
        key=len,
    )
    if not gdbs:
        return None
    if len(gdbs) > 1:
        raise DataReadError(
            f"zip archive `{path}` holds {len(gdbs)} File Geodatabases ({', '.join(gdbs)}); "
            "zip one per file"
        )
    return f"/vsizip/{path}/{gdbs[0]}"


def list_layers(path: Path, fmt: str) -> list[str]:
    """The layers of a multi-layer file: KML folders, CAD layers, feature classes, sheets."""
    from . import _list_layers, _read_ogr

    if fmt == "DXF":
        with gdal_options(DXF_ENCODING="ISO-8859-1"):
            frame = _read_ogr(path, None, columns=["Layer"], read_geometry=False)
        codec = _dxf_codec(path, frame)
        names = pd.unique(frame["Layer"].dropna().astype(str))
        return [n.encode("latin-1").decode(codec) for n in names]
    source = gdb_source(path) if fmt == "File Geodatabase" else str(path)
    with _kml_options() if fmt in ("KML", "KMZ") else contextlib.nullcontext():
        return [name for name, _ in _list_layers(source or str(path))]


def _kml_options() -> contextlib.AbstractContextManager[None]:
    # LIBKML turns non-ASCII field names into underscores unless told not to
    return gdal_options(LIBKML_LAUNDER_FIELD_NAMES="NO")


def _choose(path: Path, names: list[str], layer: str | None, what: str) -> str | None:
    if layer is None:
        return names[0] if len(names) == 1 else None
    if layer not in names:
        raise DataReadError(
            f"`{path}` has no {what} `{layer}`; its {what}s are: {', '.join(names) or 'none'}"
        )
    return layer


# ---------------------------------------------------------------------------- KML


def read_kml(path: Path, layer: str | None, fmt: str) -> tuple[pd.DataFrame, str]:
    """Read one folder of a KML/KMZ, or all folders with a ``layer`` column."""
    import geopandas as gpd

    from . import _read_ogr

    names = list_layers(path, fmt)
    chosen = _choose(path, names, layer, "folder")
    wanted = [chosen] if chosen is not None else names
    frames = []
    with _kml_options():
        for name in wanted:
            frame = _tidy_kml(_read_ogr(path, name))
            if chosen is None:
                frame.insert(0, "layer", name)
            frames.append(frame)
    if not frames:
        raise DataReadError(f"`{path}` holds no placemarks; export the layer again")
    if chosen is not None:
        return frames[0], chosen
    # folders that only hold folders add nothing but empty frames
    frames = [f for f in frames if len(f)] or frames[:1]
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    return merged, path.stem


def _tidy_kml(frame: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in _KML_DISPLAY if c in frame.columns]
    drop += [c for c in _KML_OPTIONAL if c in frame.columns and frame[c].isna().all()]
    frame = frame.drop(columns=drop)
    renames = {c: c.lower() for c in ("Name", "Description") if c in frame.columns}
    frame = frame.rename(columns=renames)
    if frame.geometry.has_z.any():
        flat = shapely.force_2d(np.asarray(frame.geometry.array))
        frame = frame.set_geometry(flat, crs=frame.crs)
    return frame


# ---------------------------------------------------------------------------- DXF


def _dxf_codec(path: Path, frame: pd.DataFrame) -> str:
    """The codec that decodes every text field: the header's code page, else UTF-8/GB18030."""
    from . import _decodes

    with path.open("rb") as fh:
        head = fh.read(65536)
    match = re.search(rb"\$DWGCODEPAGE\s*\r?\n\s*3\s*\r?\n\s*(\S+)", head)
    page = match.group(1).decode("ascii", "replace").upper() if match else ""
    declared = DXF_CODEPAGES.get(page)
    text = [
        v
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)
        for v in frame[c].dropna().astype(str).unique()
    ]
    # AutoCAD 2007+ writes UTF-8 whatever the header says; cp1252 decodes anything, so last
    first = [declared] if declared and declared != "cp1252" else []
    for codec in dict.fromkeys([*first, "utf-8", "gb18030"]):
        if all(_decodes(v, codec) for v in text):
            return codec
    return declared or "cp1252"


#: The last drawing read, by (path, mtime, size, encoding): a DXF holding several kinds
#: (one per CAD layer) is parsed once, not once per layer.
_LAST_DXF: dict[tuple[str, int, int, str | None], tuple[pd.DataFrame, str]] = {}


def read_dxf(
    path: Path, layer: str | None, encoding: str | None = None
) -> tuple[pd.DataFrame, str, str]:
    """Read a DXF drawing: one CAD layer, or all with a ``layer`` column."""
    frame, codec = _drawing(path, encoding)
    names = list(pd.unique(frame["layer"].dropna().astype(str)))
    chosen = _choose(path, names, layer, "CAD layer")
    if layer is not None:
        frame = frame[frame["layer"] == chosen].drop(columns="layer").reset_index(drop=True)
    if "text" in frame.columns and frame["text"].isna().all():
        frame = frame.drop(columns="text")
    return frame, codec, chosen or path.stem


def _drawing(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    from . import _check_codec, _decode_frame, _read_ogr

    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, encoding)
    if key in _LAST_DXF:
        frame, codec = _LAST_DXF[key]
        return frame.copy(), codec
    with gdal_options(DXF_ENCODING="ISO-8859-1"):
        raw = _read_ogr(path, None)
    codec = _check_codec(encoding, str(path)) if encoding else _dxf_codec(path, raw)
    decoded = _decode_frame(raw, codec)
    if not isinstance(decoded, pd.DataFrame):
        column, sample = decoded
        raise DataReadError(
            f"text in `{path}` is not {codec} (column {column}: "
            f"{sample.encode('latin-1')[:24]!r}); pass the drawing's code page as "
            "encoding=..., or drop encoding= to detect it"
        )
    frame = decoded.drop(columns=[c for c in _DXF_BOOKKEEPING if c in decoded.columns])
    if "Text" in frame.columns:
        # TEXT entities (labels) are points; on hatches GDAL puts the fill pattern there
        points = shapely.get_type_id(np.asarray(frame.geometry.array)) == 0
        frame["Text"] = frame["Text"].where(points, None)
    frame = frame.rename(columns={"Layer": "layer", "Text": "text"})
    logger.info("%s: DXF text decoded as %s", path, codec)
    _LAST_DXF.clear()
    _LAST_DXF[key] = (frame, codec)
    return frame.copy(), codec


# ---------------------------------------------------------------------------- File GDB


def read_gdb(path: Path, layer: str | None) -> tuple[pd.DataFrame, str]:
    """Read one feature class of a File Geodatabase (a folder or zipped)."""
    from . import _read_ogr

    source = gdb_source(path)
    assert source is not None
    names = list_layers(path, "File Geodatabase")
    chosen = _choose(path, names, layer, "feature class")
    if chosen is None:
        raise DataReadError(
            f"File Geodatabase `{path}` holds {len(names)} feature classes: "
            f"{', '.join(names) or 'none'}; pass layer=NAME to choose one "
            "(or use geoplan.read_layers for all)"
        )
    return _read_ogr(source, chosen, label=path), chosen


# ---------------------------------------------------------------------------- tables


def read_table(
    path: Path, layer: str | None, fmt: str, encoding: str | None, crs: Any
) -> tuple[pd.DataFrame, str, str, bool]:
    """Read a CSV or one sheet of an .xlsx and build points from its coordinate columns.

    Returns ``(frame, codec, layer name, implied)``: ``implied`` is True when the CRS
    follows from the columns (lon/lat), so a file-level CRS rule applies as for GeoJSON.
    """
    if fmt == "CSV table":
        from .._common.text import decode_bytes

        text, codec = decode_bytes(
            path.read_bytes(), f"table `{path}`", expected="expected CSV text", encoding=encoding
        )
        import io as _stdio

        try:
            table = pd.read_csv(_stdio.StringIO(text), dtype=str, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataReadError(f"`{path}` is not a readable CSV table ({exc})") from exc
        name = path.stem
    else:
        from . import _read_ogr

        names = list_layers(path, fmt)
        chosen = _choose(path, names, layer, "sheet")
        if chosen is None:
            raise DataReadError(
                f"workbook `{path}` has {len(names)} sheets: {', '.join(names)}; pass "
                "layer=SHEET to choose one (or use geoplan.read_layers for all)"
            )
        with gdal_options(OGR_XLSX_HEADERS="FORCE"):
            table = _read_ogr(path, chosen, read_geometry=False)
        codec, name = "utf-8", chosen
    table = table.rename(columns=lambda c: str(c).strip())
    frame, implied = _points(table, path, crs)
    return frame, codec, name, implied


def _key(header: str) -> str:
    return _UNIT.sub("", header).replace(" ", "").lower()


def _find(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    keys = {_key(str(c)): c for c in table.columns}
    for name in names:
        if name in keys:
            return str(keys[name])
    return None


def _numbers(table: pd.DataFrame, column: str, path: Path, *, degrees: bool) -> np.ndarray:
    raw = table[column]
    text = raw.astype("string").str.strip().str.replace(r"[,，\s]", "", regex=True)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    if degrees:
        parts = raw.astype("string").str.extract(_DMS)
        dms = (
            parts["d"].astype(float).abs()
            + parts["m"].astype(float).fillna(0) / 60
            + parts["s"].astype(float).fillna(0) / 3600
        )
        negative = parts["d"].str.startswith("-").fillna(False) | parts["h"].isin(
            ["W", "w", "S", "s", "西", "南"]
        ).fillna(False)
        dms = dms.where(~negative.astype(bool), -dms)
        values = values.fillna(dms)
    bad = raw.notna() & raw.astype("string").str.strip().ne("") & values.isna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
        samples = sorted(set(raw[bad].astype(str)))[:3]
        raise DataReadError(
            f"`{path}`: column {column!r} holds values that are not coordinates "
            f"({', '.join(samples)}; rows {rows}, counting the header as row 1); write numbers "
            + ("or degrees-minutes-seconds such as 118°42'30\"" if degrees else "in metres")
        )
    return values.to_numpy()


def _points(table: pd.DataFrame, path: Path, crs: Any) -> tuple[pd.DataFrame, bool]:
    import geopandas as gpd

    lon, lat = _find(table, LON_NAMES), _find(table, LAT_NAMES)
    x_col, y_col = _find(table, X_NAMES), _find(table, Y_NAMES)
    if lon and lat:
        xs = _numbers(table, lon, path, degrees=True)
        ys = _numbers(table, lat, path, degrees=True)
        used, implied = [lon, lat], True
    elif x_col and y_col:
        xs = _numbers(table, x_col, path, degrees=False)
        ys = _numbers(table, y_col, path, degrees=False)
        used, implied = [x_col, y_col], False
        if _looks_like_northing(xs) and not _looks_like_northing(ys):
            logger.info(
                "%s: %s holds northings and %s eastings (surveying order); read %s as the easting",
                path,
                x_col,
                y_col,
                y_col,
            )
            xs, ys = ys, xs
    else:
        raise DataReadError(
            f"table `{path}` has no coordinate columns; its columns are "
            f"{', '.join(map(str, table.columns))}. Name them 经度/纬度 (or lon/lat) for "
            "degrees, or X/Y for Gauss-Kruger metres"
        )
    blank = np.isnan(xs) | np.isnan(ys)
    geometry = shapely.points(np.where(blank, 0.0, xs), np.where(blank, 0.0, ys))
    geometry[blank] = None
    frame = gpd.GeoDataFrame(table.drop(columns=used), geometry=geometry)
    if not implied and crs is None and (code := _crs.zone_prefixed_epsg(xs)) is not None:
        logger.info(
            "%s: eastings carry the zone prefix %d: read as CGCS2000 EPSG:%d "
            "(pass crs= if the survey used another datum)",
            path,
            int(np.nanmin(xs) // 1_000_000),
            code,
        )
        frame = frame.set_crs(f"EPSG:{code}")
    return frame, implied


def _looks_like_northing(values: np.ndarray) -> bool:
    # China's northings are 1 800–6 000 km; eastings are < 1 000 km or zone-prefixed (8 digits)
    finite = values[np.isfinite(values)]
    return bool(finite.size) and bool(((finite > 1_000_000) & (finite < 10_000_000)).all())
