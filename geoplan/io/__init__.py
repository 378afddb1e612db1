"""Read one geo-layer from the files planners receive: formats, text encodings and CRSs.

:func:`read_file` opens a GeoPackage layer, a GeoJSON file, a Shapefile (loose or zipped)
or a GeoParquet file with pyogrio/geopandas — and, through :mod:`geoplan._formats`, the
KML/KMZ, DXF, File Geodatabase and CSV/xlsx point tables planners also receive — and
hands back a GeoDataFrame in the file's own CRS, with

- Chinese text decoded correctly: a shapefile's ``.cpg`` is honoured, else the text is
  tried as strict UTF-8, else as GB18030 (a superset of GBK/cp936/GB2312), and GeoJSON
  written in GBK is recognised too; the codec used is logged and kept in
  ``gdf.attrs["geoplan_encoding"]``. Text that no codec decodes cleanly is an error,
  never mojibake;
- the CRS recognised (Esri ``.prj`` names map to their EPSG codes), required (a layer
  without one is an error whose message guesses it from the coordinates) and checked
  against the coordinates (a declared CRS that puts the data far outside its area of
  use is an error);
- GCJ-02/BD-09 lon/lat converted to WGS84 when the caller declares them
  (``crs="GCJ-02"``);
- every unreadable input (missing, empty, truncated or corrupt file, missing sidecar,
  unknown format, unknown layer) reported as :class:`~geoplan.DataReadError` naming the
  file and the fix.

The result is not reprojected and not checked against a layer schema: that is
:mod:`geoplan.layers`' job.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as _crs
from .._errors import CRSError, DataReadError, missing_dependency
from . import _formats

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

#: File suffix -> format name, for the formats :func:`read_file` accepts.
FORMATS: dict[str, str] = {
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "Shapefile",
    ".zip": "zipped Shapefile",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".kml": "KML",
    ".kmz": "KMZ",
    ".dxf": "DXF",
    ".gdb": "File Geodatabase",
    ".csv": "CSV table",
    ".xlsx": "Excel table",
}

#: Formats whose files hold several layers (folders, CAD layers, feature classes, sheets).
MULTI_LAYER_FORMATS = ("GeoPackage", "KML", "KMZ", "DXF", "File Geodatabase", "Excel table")

_IMPLIED_NOTES = {
    "GeoJSON": "a GeoJSON without a `crs` member is WGS84 lon/lat by RFC 7946",
    "CSV table": "a table's 经度/纬度 (lon/lat) columns hold degrees",
    "Excel table": "a table's 经度/纬度 (lon/lat) columns hold degrees",
}

#: GDAL's advice to prefix the path with a driver name ("'<DRIVER>:'"): geoplan picks the
#: driver from the suffix, so the message says which formats geoplan reads instead.
_DRIVER_HINT = re.compile(r"[.;\s]*It might help to specify the correct driver\b.*", re.DOTALL)

#: ``.cpg`` contents (upper-cased, spaces removed) -> Python codec. GB2312 and GBK files
#: routinely hold characters beyond GB2312, so they decode with the GBK superset.
CPG_CODECS: dict[str, str] = {
    "UTF-8": "utf-8",
    "UTF8": "utf-8",
    "65001": "utf-8",
    "GBK": "gbk",
    "936": "gbk",
    "CP936": "gbk",
    "ANSI936": "gbk",
    "MS936": "gbk",
    "GB2312": "gbk",
    "EUC-CN": "gbk",
    "GB18030": "gb18030",
    "54936": "gb18030",
    "BIG5": "big5",
    "950": "big5",
    "CP950": "big5",
    "ISO-8859-1": "latin-1",
    "ISO88591": "latin-1",
    "88591": "latin-1",
    "1252": "cp1252",
    "CP1252": "cp1252",
}

#: Codecs tried, in order, on a shapefile without ``.cpg`` (and after a ``.cpg`` that
#: turns out wrong).
FALLBACK_CODECS: tuple[str, ...] = ("utf-8", "gb18030")

_SHP_FILE_CODE = 9994
_GEOJSON_CRS_PEEK = 65536


# ----------------------------------------------------------------------- public


def read_file(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: Any = None,
    allow_override: bool = False,
) -> gpd.GeoDataFrame:
    """Read one layer of a GIS file, a KML/KMZ, a CAD drawing or a table of points.

    Parameters
    ----------
    path
        ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (with its ``.shx`` and ``.dbf``
        beside it), ``.zip`` holding a shapefile or a File Geodatabase,
        ``.parquet``/``.geoparquet``, ``.kml``/``.kmz``, ``.dxf``, a ``.gdb`` folder,
        or a ``.csv``/``.xlsx`` table of points (see :mod:`geoplan._formats` for what
        each format gives and its CRS rule).
    layer
        The layer to read from a GeoPackage (or the shapefile inside a zip), the
        feature class of a File Geodatabase, the sheet of a workbook, the folder of a
        KML/KMZ or the CAD layer of a DXF. Required for a GeoPackage, geodatabase or
        workbook holding more than one (the error lists them); a KML or DXF read
        without ``layer`` gives all its features with a ``layer`` column.
    encoding
        Text encoding of a shapefile's attributes, a GeoJSON file, a DXF drawing or a CSV
        table, e.g. ``"gbk"``; by default a shapefile's ``.cpg`` is used, else strict
        UTF-8, else GB18030; GeoJSON is read as UTF-8 (RFC 7946), else GB18030; a DXF by
        its ``$DWGCODEPAGE``, else UTF-8, else GB18030; a CSV by its byte-order mark, else
        UTF-8, GB18030 or Big5. GeoPackage, GeoParquet, KML, File Geodatabase and xlsx are
        UTF-8 by definition and ignore it.
    crs
        The CRS of the coordinates (anything pyproj accepts, e.g. ``"EPSG:4528"``), used
        when the file has none. ``"GCJ-02"``/``"gcj02"`` or ``"BD-09"`` mean lon/lat on
        those datums: the coordinates are converted to WGS84 and the result is
        EPSG:4326, with ``attrs["geoplan_converted_from"]`` set.
    allow_override
        The file's own CRS wins. A different ``crs=`` is refused (geopandas'
        ``set_crs`` rule) unless ``allow_override=True``, which relabels the data with
        ``crs=`` without transforming it: for files whose ``.prj`` is wrong.

    Returns
    -------
    geopandas.GeoDataFrame
        The features in the file's CRS (EPSG codes for Esri ``.prj`` names), not
        reprojected. ``attrs`` holds ``geoplan_source`` (the path), ``geoplan_layer``,
        ``geoplan_encoding`` (the codec used for text) and, for GCJ-02/BD-09 input,
        ``geoplan_converted_from``. A GeoPackage table without geometry (such as the
        ``records`` progress log) comes back as a pandas DataFrame.

    Raises
    ------
    DataReadError
        The file is missing, empty, truncated or corrupt, a shapefile lacks its
        ``.shx``/``.dbf``, the format or layer is unknown, or text cannot be decoded.
    CRSError
        No CRS and no ``crs=``; ``crs=`` conflicts with the file's CRS; or the CRS cannot
        be right for the coordinates. The message says which CRS the coordinates look
        like.

    Examples
    --------
    >>> from geoplan.datasets import data_path, SAMPLE_LAYERS
    >>> towns = read_file(data_path(SAMPLE_LAYERS), layer="towns")  # doctest: +SKIP
    >>> towns.crs.to_epsg()  # doctest: +SKIP
    4326
    """
    path = Path(path)
    fmt = _check_path(path)
    implied_crs = False
    if fmt in ("KML", "KMZ"):
        frame, layer_name = _formats.read_kml(path, layer, fmt)
        encoding_used = "utf-8"
    elif fmt == "DXF":
        frame, encoding_used, layer_name = _formats.read_dxf(path, layer, encoding)
    elif fmt == "File Geodatabase":
        frame, layer_name = _formats.read_gdb(path, layer)
        encoding_used = "utf-8"
    elif fmt in ("CSV table", "Excel table"):
        if fmt == "CSV table":
            _single_layer(path, layer, fmt)
        frame, encoding_used, layer_name, implied_crs = _formats.read_table(
            path, layer, fmt, encoding, None if _crs.parse_datum_name(crs) else crs
        )
    elif fmt == "GeoParquet":
        _single_layer(path, layer, fmt)
        frame, encoding_used, layer_name = _read_parquet(path), "utf-8", path.stem
        implied_crs = False
    elif fmt in ("Shapefile", "zipped Shapefile"):
        shp = _ShapefileSource.open(path, layer)
        try:
            frame, encoding_used = _read_shapefile(shp, encoding)
        finally:
            shp.close()
        layer_name, implied_crs = shp.stem, False
    elif fmt == "GeoJSON":
        layer_name = _pick_layer(path, layer, fmt)
        frame, encoding_used = _read_geojson(path, encoding)
        implied_crs = not _geojson_declares_crs(path)
    else:
        layer_name = _pick_layer(path, layer, fmt)
        frame, encoding_used, implied_crs = _read_ogr(path, layer_name), "utf-8", False

    frame.attrs["geoplan_source"] = str(path)
    frame.attrs["geoplan_layer"] = layer_name
    frame.attrs["geoplan_encoding"] = encoding_used
    if not _has_geometry(frame):
        return frame
    multi = fmt in MULTI_LAYER_FORMATS and not (fmt != "GeoPackage" and layer_name == path.stem)
    label = f"{layer_name}` in `{path}" if multi else str(path)
    return _apply_crs(
        frame,
        crs,
        allow_override=allow_override,
        label=label,
        implied=implied_crs,
        note=_IMPLIED_NOTES.get(fmt, _IMPLIED_NOTES["GeoJSON"]),
    )


# ------------------------------------------------------------------- checks


def _check_path(path: Path) -> str:
    if not path.exists():
        hint = ""
        if path.parent.is_dir():
            near = sorted(p.name for p in path.parent.glob(f"{path.stem}.*"))[:5]
            if near:
                hint = f" (the folder has {', '.join(near)})"
        raise DataReadError(f"file `{path}` does not exist{hint}; check the path and the name")
    if path.is_dir():
        if path.suffix.lower() == ".gdb":
            return "File Geodatabase"
        raise DataReadError(
            f"`{path}` is a folder; pass one file of it (a .gpkg, .geojson, .shp, .zip or "
            ".parquet), or an Esri File Geodatabase folder named *.gdb"
        )
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataReadError(
            f"file `{path}` has the unknown suffix `{path.suffix or '(none)'}`; geoplan reads "
            f"{', '.join(sorted(set(FORMATS.values())))} ({', '.join(FORMATS)}); "
            "convert it (e.g. with `ogr2ogr out.gpkg in.xyz`) or rename it if the suffix is wrong"
        )
    if path.stat().st_size == 0:
        raise DataReadError(
            f"file `{path}` is empty (0 bytes); it was probably not copied completely — "
            "copy it again from its source"
        )
    if fmt == "zipped Shapefile" and _formats.gdb_source(path) is not None:
        return "File Geodatabase"
    return fmt


def _has_geometry(frame: pd.DataFrame) -> bool:
    import geopandas as gpd

    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame


def _gdal_detail(exc: BaseException) -> str:
    """The first line of a GDAL error for a message to a planner.

    GDAL's advice to prefix the path with a driver name is replaced by the formats geoplan
    reads, which is what the planner can act on.
    """
    text = str(exc).strip()
    detail = text.splitlines()[0] if text else type(exc).__name__
    if _DRIVER_HINT.search(detail):
        formats = ", ".join(dict.fromkeys(FORMATS.values()))
        detail = f"{_DRIVER_HINT.sub('', detail)}; geoplan reads {formats}"
    return detail


def _gdal_failure(path: Path | str, exc: BaseException, what: str = "read") -> DataReadError:
    detail = _gdal_detail(exc)
    if isinstance(exc, UnicodeDecodeError):
        return DataReadError(
            f"could not {what} `{path}`: its text is not {exc.encoding} ({detail}); pass the "
            "encoding it was written in, e.g. encoding='gbk', or drop encoding= to detect it"
        )
    return DataReadError(
        f"could not {what} `{path}`: {detail}. The file is probably truncated or corrupt; "
        "copy it again from its source, or open it in QGIS to repair and re-export it"
    )


# ----------------------------------------------------------------- OGR formats


def _read_errors() -> tuple[type[BaseException], ...]:
    import pyogrio.errors as pe

    return (
        pe.DataSourceError,
        pe.DataLayerError,
        pe.FieldError,
        pe.GeometryError,
        pe.CRSError,
        OSError,
        RuntimeError,
        ValueError,
    )


def _list_layers(path: Path | str) -> list[tuple[str, str | None]]:
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except _read_errors() as exc:
        raise _gdal_failure(path, exc, "open") from exc
    return [(str(name), None if gtype is None else str(gtype)) for name, gtype in layers]


def _single_layer(path: Path, layer: str | None, fmt: str) -> None:
    if layer is not None and layer != path.stem:
        raise DataReadError(
            f"{fmt} file `{path}` holds one layer, `{path.stem}`; drop layer={layer!r}"
        )


def _pick_layer(path: Path, layer: str | None, fmt: str) -> str:
    if fmt != "GeoPackage":
        _single_layer(path, layer, fmt)
        return path.stem
    layers = _list_layers(path)
    names = [name for name, _ in layers]
    listing = ", ".join(f"{name} ({gtype or 'table without geometry'})" for name, gtype in layers)
    if layer is None:
        if len(names) == 1:
            return names[0]
        raise DataReadError(
            f"GeoPackage `{path}` holds {len(names)} layers: {listing or 'none'}; "
            "pass layer=NAME to choose one (or use geoplan.read_layers for all)"
        )
    if layer not in names:
        raise DataReadError(
            f"GeoPackage `{path}` has no layer `{layer}`; its layers are: {listing or 'none'}"
        )
    return layer


def _read_ogr(
    source: Path | str | io.BytesIO, layer: str | None, *, label: Any = None, **kwargs: Any
) -> pd.DataFrame:
    """Read with pyogrio; GDAL errors and warnings become geoplan errors and log lines."""
    import pyogrio

    label = source if label is None else label
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(source, layer=layer, **kwargs)
        except _read_errors() as exc:
            raise _gdal_failure(label, exc) from exc
        except shapely.errors.GEOSException as exc:
            if isinstance(source, io.BytesIO):
                source.seek(0)
            _meta, fids, wkb, _fields = pyogrio.raw.read(source, layer=layer, **kwargs)
            raise _unbuildable(label, wkb, fids, exc) from exc
    for warning in caught:
        logger.warning("reading %s: %s", label, warning.message)
    return frame


def _read_geojson(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    """Read GeoJSON, which is UTF-8 by RFC 7946 but is also written in GBK by some tools."""
    if encoding is None or codecs.lookup(_check_codec(encoding, str(path))).name == "utf-8":
        try:
            return _read_ogr(path, None), "utf-8"
        except DataReadError as exc:
            if encoding is not None or not isinstance(exc.__cause__, UnicodeDecodeError):
                raise
        codec = "gb18030"
    else:
        codec = _check_codec(encoding, str(path))
    try:
        text = path.read_bytes().decode(codec)
    except UnicodeDecodeError as exc:
        raise DataReadError(
            f"text in `{path}` is neither UTF-8 nor {codec} ({exc}); pass encoding=... "
            "(the code page it was written in), or re-export it as UTF-8 GeoJSON"
        ) from exc
    logger.info("%s: GeoJSON text decoded as %s, not UTF-8", path, codec)
    return _read_ogr(io.BytesIO(text.encode("utf-8")), None, label=path), codec


def _geojson_declares_crs(path: Path) -> bool:
    # RFC 7946 GeoJSON has no `crs` member and is WGS84; older files declare one up front.
    with path.open("rb") as fh:
        return b'"crs"' in fh.read(_GEOJSON_CRS_PEEK)


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        import pyarrow.lib
    except ImportError as exc:
        raise missing_dependency("pyarrow", "parquet", "read GeoParquet files") from exc

    try:
        return gpd.read_parquet(path)
    except (pyarrow.lib.ArrowException, OSError) as exc:
        raise _gdal_failure(path, exc) from exc
    except shapely.errors.GEOSException as exc:
        import pyarrow.parquet as pq

        column = _geoparquet_column(pq.read_schema(path).metadata)
        wkb = pq.read_table(path, columns=[column]).column(0).to_numpy(zero_copy_only=False)
        raise _unbuildable(path, wkb, None, exc) from exc
    except ValueError as exc:
        if "geo metadata" in str(exc).lower():
            raise DataReadError(
                f"`{path}` is a Parquet file without GeoParquet metadata (no geometry column "
                "declared); write it with GeoDataFrame.to_parquet or `ogr2ogr -f Parquet`"
            ) from exc
        raise _gdal_failure(path, exc) from exc


def _geoparquet_column(metadata: dict[bytes, bytes] | None) -> str:
    import json

    geo = json.loads((metadata or {}).get(b"geo", b"{}"))
    return str(geo.get("primary_column", "geometry"))


def _unbuildable(
    label: Path | str, wkb: np.ndarray, fids: np.ndarray | None, exc: BaseException
) -> DataReadError:
    """The error for geometries GEOS refuses to build, naming the features that hold them.

    Closing an unclosed ring would be a guess: a ring cut short by a broken export has lost
    vertices, and closing it gives a polygon of the wrong shape and area. So the features
    are named and the planner fixes them at the source.
    """
    built = shapely.from_wkb(wkb, on_invalid="ignore")
    bad = np.flatnonzero(pd.notna(pd.Series(wkb, dtype=object)).to_numpy() & pd.isna(built))
    if len(bad) == 0:
        where = "a feature holds"
    else:
        shown = ", ".join(
            str(i) if fids is None or fids[i] == i else f"{i} (FID {fids[i]})" for i in bad[:10]
        )
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        noun = "feature" if len(bad) == 1 else "features"
        verb = "holds" if len(bad) == 1 else "hold"
        where = f"{noun} {shown}{more} (counting from 0, of {len(wkb)}) {verb}"
    detail = str(exc).split(": ", 1)[-1]
    return DataReadError(
        f"`{label}`: {where} a geometry that cannot be built ({detail}); a polygon ring "
        "that does not end where it starts is the usual cause: close the ring in the GIS "
        "(QGIS: Vector > Geometry Tools > Check Validity, then Fix Geometries) and export "
        "again"
    )


# ------------------------------------------------------------------- shapefiles


@dataclass
class _ShapefileSource:
    """A shapefile's parts, loose in a folder or inside a zip."""

    path: Path
    stem: str
    ogr_path: str
    parts: dict[str, Any] = field(default_factory=dict)  # ".shp" -> Path or ZipInfo
    archive: zipfile.ZipFile | None = None

    @classmethod
    def open(cls, path: Path, layer: str | None) -> _ShapefileSource:
        if path.suffix.lower() == ".shp":
            _single_layer(path, layer, "Shapefile")
            parts = {
                p.suffix.lower(): p
                for p in path.parent.glob(f"{_glob_escape(path.stem)}.*")
                if p.stem == path.stem and p.is_file()
            }
            parts[".shp"] = path
            return cls(path, path.stem, str(path), parts)
        return cls._open_zip(path, layer)

    @classmethod
    def _open_zip(cls, path: Path, layer: str | None) -> _ShapefileSource:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataReadError(
                f"`{path}` is not a readable zip archive ({exc}); copy it again from its source"
            ) from exc
        try:
            return cls._from_archive(path, archive, layer)
        except DataReadError:
            archive.close()
            raise

    @classmethod
    def _from_archive(
        cls, path: Path, archive: zipfile.ZipFile, layer: str | None
    ) -> _ShapefileSource:
        infos = archive.infolist()
        shps = [i for i in infos if i.filename.lower().endswith(".shp")]
        stems = [i.filename[:-4] for i in shps]
        if not shps:
            raise DataReadError(
                f"zip archive `{path}` holds no .shp file and no .gdb folder; geoplan reads "
                "zipped shapefiles and File Geodatabases — unzip it and pass the data file itself"
            )
        if layer is None and len(shps) > 1:
            raise DataReadError(
                f"zip archive `{path}` holds {len(shps)} shapefiles: "
                f"{', '.join(Path(s).name for s in stems)}; pass layer=NAME to choose one"
            )
        if layer is not None:
            matches = [s for s in stems if Path(s).name == layer or s == layer]
            if not matches:
                raise DataReadError(
                    f"zip archive `{path}` has no shapefile `{layer}`; it holds: "
                    f"{', '.join(Path(s).name for s in stems)}"
                )
            stem = matches[0]
        else:
            stem = stems[0]
        parts = {
            i.filename[len(stem) :].lower(): i
            for i in infos
            if i.filename[: len(stem)] == stem and "." not in i.filename[len(stem) + 1 :]
        }
        return cls(path, Path(stem).name, f"/vsizip/{path}/{stem}.shp", parts, archive)

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def name(self, ext: str) -> str:
        base = f"{self.path}!{self.stem}" if self.archive else str(self.path.with_suffix(""))
        return f"{base}{ext}"

    def size(self, ext: str) -> int:
        part = self.parts[ext]
        return int(part.file_size) if self.archive else part.stat().st_size

    def read(self, ext: str, n: int = -1) -> bytes:
        part = self.parts[ext]
        if self.archive is not None:
            with self.archive.open(part) as fh:
                return fh.read(n)
        with part.open("rb") as fh:
            return fh.read(n)


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _check_shapefile(shp: _ShapefileSource) -> None:
    """Catch missing sidecars and truncation, which GDAL reads silently as fewer features."""
    for ext, role in ((".shx", "index"), (".dbf", "attribute table")):
        if ext not in shp.parts:
            raise DataReadError(
                f"shapefile `{shp.name('.shp')}` has no {ext} ({role}) beside it; a shapefile is "
                "several files — copy all of them together (.shp, .shx, .dbf, .prj, .cpg)"
            )
    lengths: dict[str, int] = {}
    for ext in (".shp", ".shx"):
        head = shp.read(ext, 100)
        size = shp.size(ext)
        if len(head) < 100 or struct.unpack(">i", head[:4])[0] != _SHP_FILE_CODE:
            raise DataReadError(
                f"`{shp.name(ext)}` is not a valid shapefile {ext} (its 100-byte header is "
                "missing or wrong); copy the shapefile again from its source"
            )
        declared = struct.unpack(">i", head[24:28])[0] * 2
        if size < declared:
            raise DataReadError(
                f"`{shp.name(ext)}` is truncated: its header says {declared:,} bytes but the "
                f"file has {size:,}; copy the shapefile again from its source"
            )
        lengths[ext] = declared
    head = shp.read(".dbf", 32)
    size = shp.size(".dbf")
    if len(head) < 32:
        raise DataReadError(
            f"`{shp.name('.dbf')}` is not a valid dBASE table (header too short); "
            "copy the shapefile again from its source"
        )
    n_records, header_len, record_len = struct.unpack("<IHH", head[4:12])
    expected = header_len + n_records * record_len
    if size < expected:
        raise DataReadError(
            f"`{shp.name('.dbf')}` is truncated: {n_records:,} records of {record_len} bytes "
            f"need {expected:,} bytes but the file has {size:,}; copy it again from its source"
        )
    n_shapes = (lengths[".shx"] - 100) // 8
    if n_shapes != n_records:
        raise DataReadError(
            f"shapefile `{shp.name('.shp')}` is inconsistent: the .shx indexes {n_shapes:,} "
            f"shapes but the .dbf has {n_records:,} records; the files come from different "
            "exports — copy them again together"
        )


def _cpg_codec(shp: _ShapefileSource) -> str | None:
    if ".cpg" not in shp.parts:
        return None
    raw = shp.read(".cpg").decode("ascii", errors="replace").strip()
    key = raw.upper().replace(" ", "").replace("_", "-")
    codec = CPG_CODECS.get(key) or CPG_CODECS.get(key.replace("-", ""))
    if codec is None:
        try:
            codec = codecs.lookup(raw).name
        except LookupError:
            logger.warning(
                "%s: unknown code page %r in the .cpg; ignoring it", shp.name(".cpg"), raw
            )
            return None
    return codec


def _check_codec(name: str, path: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise DataReadError(
            f"encoding={name!r} for `{path}` is not a text encoding Python knows; "
            "use e.g. 'gbk', 'gb18030' or 'utf-8'"
        ) from exc


def _decode_frame(frame: pd.DataFrame, codec: str) -> pd.DataFrame | tuple[str, str]:
    """Re-decode latin-1 text as ``codec``; return the frame, or (column, sample) on failure."""
    renames: dict[Any, str] = {}
    for col in frame.columns:
        if isinstance(col, str) and col != getattr(frame, "_geometry_column_name", None):
            try:
                renames[col] = col.encode("latin-1").decode(codec)
            except UnicodeError:
                return "(field name)", col
    decoded: dict[Any, pd.Series] = {}
    for col in frame.columns:
        series = frame[col]
        if series.dtype != object and not pd.api.types.is_string_dtype(series.dtype):
            continue
        mask = series.notna().to_numpy()
        if not mask.any():
            continue
        values = series[mask]
        try:
            out = values.str.encode("latin-1").str.decode(codec, errors="strict")
        except UnicodeError:
            bad = next(v for v in values if not _decodes(v, codec))
            return str(renames.get(col, col)), bad
        new = series.copy()
        new[mask] = out
        decoded[col] = new
    result = frame.copy()
    for col, new in decoded.items():
        result[col] = new
    return result.rename(columns=renames)


def _decodes(value: str, codec: str) -> bool:
    try:
        value.encode("latin-1").decode(codec)
    except UnicodeError:
        return False
    return True


#: Codecs a ``.cpg`` may name that decode any byte, so a wrong one never fails loudly.
_SINGLE_BYTE_CODECS = frozenset(
    codecs.lookup(c).name for c in ("latin-1", "cp1252", "iso8859-15", "cp1250", "cp437")
)

#: Share of the non-ASCII characters that must be CJK for a multi-byte reading to win.
_CJK_SHARE = 0.9


def _cpg_contradicted(raw: pd.DataFrame, cpg: str) -> str | None:
    """The codec the text is really in, when a single-byte ``.cpg`` garbles it.

    ``raw`` holds the attribute text decoded as latin-1 (every byte kept). A .cpg naming
    ISO-8859-1 or Windows-1252 decodes GBK or UTF-8 bytes without an error, into mojibake
    (``´åÃû`` for 村名). When the non-ASCII bytes decode strictly as UTF-8 or GBK into
    (almost only) Chinese characters, that codec is returned; otherwise ``None``.
    """
    if codecs.lookup(cpg).name not in _SINGLE_BYTE_CODECS:
        return None
    texts = [c for c in raw.columns if isinstance(c, str)]
    for col in raw.columns:
        series = raw[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            texts += [v for v in series.dropna() if isinstance(v, str)]
    blob = "\n".join(t for t in texts if not t.isascii()).encode("latin-1", errors="ignore")
    if not blob:
        return None
    for codec in ("utf-8", "gbk"):
        try:
            text = blob.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = [ch for ch in text if ord(ch) > 0x7F]
        cjk = sum("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in wide)
        if wide and cjk >= _CJK_SHARE * len(wide):
            return codec
    return None


def _read_shapefile(shp: _ShapefileSource, encoding: str | None) -> tuple[pd.DataFrame, str]:
    _check_shapefile(shp)
    name = shp.name(".shp")
    # GDAL would recode by its own guess; latin-1 keeps every byte so we decide instead.
    raw = _read_ogr(shp.ogr_path, None, encoding="ISO-8859-1")
    cpg = _cpg_codec(shp)
    if encoding is None and cpg and (better := _cpg_contradicted(raw, cpg)):
        logger.warning(
            "%s: the .cpg says %s, but read as %s the Chinese text comes out garbled while "
            "%s decodes it cleanly; reading it as %s (write %s in the .cpg to silence this)",
            name,
            cpg,
            cpg,
            better,
            better,
            better.upper(),
        )
        cpg = better
    if encoding is not None:
        candidates = [_check_codec(encoding, name)]
    else:
        candidates = list(dict.fromkeys([*([cpg] if cpg else []), *FALLBACK_CODECS]))
    failures: list[str] = []
    for codec in candidates:
        result = _decode_frame(raw, codec)
        if isinstance(result, pd.DataFrame):
            source = "encoding=" if encoding is not None else ".cpg" if codec == cpg else "detected"
            if cpg and codec != cpg and encoding is None:
                logger.warning(
                    "%s: the .cpg says %s but the text is not valid %s; read it as %s",
                    name,
                    cpg,
                    cpg,
                    codec,
                )
            logger.info("%s: text decoded as %s (%s)", name, codec, source)
            return result, codec
        column, sample = result
        failures.append(f"{codec} (column {column}: {sample.encode('latin-1')[:24]!r})")
    if encoding is not None:
        raise DataReadError(
            f"text in `{name}` is not valid {candidates[0]}: {failures[0]}; "
            "pass the encoding it was written in (e.g. encoding='gbk'), or drop encoding= "
            "to let geoplan detect it"
        )
    raise DataReadError(
        f"text in `{name}` decodes with none of {', '.join(candidates)}: {'; '.join(failures)}; "
        "pass encoding=... (the code page it was written in), or add a .cpg file naming it"
    )


# ------------------------------------------------------------------------ CRS


def _coords(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    coords = shapely.get_coordinates(np.asarray(frame.geometry.array))
    return coords[:, 0], coords[:, 1]


def _requested_crs(crs: Any, label: str) -> pyproj.CRS:
    try:
        normalized = _crs.normalize_crs(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"crs={crs!r} given for `{label}` is not a CRS pyproj recognises ({exc}); "
            'pass an EPSG code such as crs="EPSG:4528", or "GCJ-02"/"BD-09" for Gaode/Baidu lon/lat'
        ) from exc
    assert normalized is not None
    return normalized


def _apply_crs(
    frame: gpd.GeoDataFrame,
    crs: Any,
    *,
    allow_override: bool,
    label: str,
    implied: bool,
    note: str = _IMPLIED_NOTES["GeoJSON"],
) -> gpd.GeoDataFrame:
    try:
        declared = None if implied else _crs.normalize_crs(frame.crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"layer `{label}` has a CRS pyproj cannot read ({exc}); fix the .prj, or pass "
            "crs=... with allow_override=True"
        ) from exc
    datum = _crs.parse_datum_name(crs)
    if datum is not None:
        if declared is not None and not declared.is_geographic:
            raise CRSError(
                f"layer `{label}` declares the projected CRS {_crs.crs_label(declared)}, but "
                f'crs="{crs}" means lon/lat on the {datum} datum; drop crs=, or re-export '
                "the layer in lon/lat"
            )
        frame = frame.set_crs("EPSG:4326", allow_override=True)
        _crs.check_crs(frame, name=label)
        convert = _crs.from_gcj02 if datum == "GCJ-02" else _crs.from_bd09
        result = convert(frame, name=label)
        result.attrs = dict(frame.attrs)
        result.attrs["geoplan_converted_from"] = datum
        logger.info("%s: converted %s lon/lat to WGS84 (EPSG:4326)", label, datum)
        return result
    requested = None if crs is None else _requested_crs(crs, label)
    if declared is None:
        if requested is not None:
            frame = frame.set_crs(requested, allow_override=True)
        elif implied:
            x, y = _coords(frame)
            if x.size and not (np.nanmax(np.abs(x)) <= 180 and np.nanmax(np.abs(y)) <= 90):
                raise CRSError(
                    _crs.missing_crs_message(label, x, y)
                    + f" ({note}, which these coordinates are not)"
                )
            frame = frame.set_crs("EPSG:4326", allow_override=True)
        else:
            x, y = _coords(frame)
            raise CRSError(_crs.missing_crs_message(label, x, y))
    else:
        if requested is not None and not requested.equals(declared, ignore_axis_order=True):
            if not allow_override:
                raise CRSError(
                    f"layer `{label}` declares {_crs.crs_label(declared)} but crs={crs!r} asks "
                    f"for {_crs.crs_label(requested)}; drop crs= to keep the file's CRS, or pass "
                    "allow_override=True to relabel the coordinates (they are not transformed; "
                    "to reproject, call .to_crs() on the result)"
                )
            logger.warning(
                "%s: replacing the declared %s with %s (allow_override=True)",
                label,
                _crs.crs_label(declared),
                _crs.crs_label(requested),
            )
            declared = requested
        frame = frame.set_crs(declared, allow_override=True)
    _crs.check_crs(frame, name=label)
    return frame
