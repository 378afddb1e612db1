"""Where the planning database lives and how geoplan talks to it.

Two backends share one code path:

- a GeoPackage 1.4 file (``gpkg:///path.gpkg`` or a plain ``.gpkg`` path), written with
  the standard library's ``sqlite3`` and no SpatiaLite (see :mod:`geoplan.store._gpkg`), so
  that QGIS and GDAL open the same file directly;
- PostGIS (``postgresql+psycopg://user@host/db``) for a team database.

Everything that differs between the two (geometry encoding, the SQL that compares or reads
geometries, how a bulk load streams rows) is a small method of :class:`Backend`.
"""

from __future__ import annotations

import importlib
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError

from .._errors import StoreError
from ..settings import ENV_DB_URL

logger = logging.getLogger("geoplan.store")

#: The database file used when neither ``url=`` nor ``GEOPLAN_DB_URL`` is given.
DEFAULT_FILENAME = "geoplan.gpkg"

#: SRID of every stored geometry (WGS84 lon/lat, see ``geoplan.settings.STORAGE_CRS``).
SRID = 4326

#: Key in a connection's ``info`` marking a write transaction (GeoPackage: BEGIN IMMEDIATE).
WRITE_FLAG = "geoplan_write"

#: SQLite page cache for bulk loads (negative = KiB), so a million-row load stays in memory.
SQLITE_CACHE_KIB = 262_144


def resolve_url(url: str | os.PathLike[str] | None = None) -> str:
    """Turn what a user typed into a SQLAlchemy URL geoplan can open.

    Parameters
    ----------
    url
        A SQLAlchemy URL (``postgresql+psycopg://…``, ``gpkg:///path.gpkg``), a plain path
        to a ``.gpkg`` file, or ``None`` for ``$GEOPLAN_DB_URL`` and then
        ``./geoplan.gpkg`` in the working directory.

    Returns
    -------
    str
        ``gpkg:////absolute/path.gpkg`` or a ``postgresql+psycopg://`` URL.
    """
    if url is None:
        url = os.environ.get(ENV_DB_URL) or Path.cwd() / DEFAULT_FILENAME
    text = os.fspath(url).strip()
    if "://" not in text:
        path = Path(text).expanduser()
        if path.suffix.lower() != ".gpkg":
            raise StoreError(
                f"database {text!r} is neither a SQLAlchemy URL nor a .gpkg file; pass a "
                "path ending in .gpkg or a URL such as postgresql+psycopg://user@host/db"
            )
        return f"gpkg:///{path.resolve()}"
    scheme = text.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        rest = text.split("://", 1)[1]
        userinfo = rest[: rest.rfind("@")] if "@" in rest else ""
        if any(c in userinfo for c in "@/?#"):
            raise StoreError(
                f"database URL {_hide_password(text)!r}: the user name or password holds "
                "'@', '/', '?' or '#', which end the user part of a URL; percent-encode them "
                "(@ as %40, / as %2F, ? as %3F, # as %23)"
            )
        return "postgresql+psycopg://" + rest
    if scheme == "gpkg":
        return text
    raise StoreError(
        f"database URL {_hide_password(text)!r} uses {scheme!r}, which geoplan does not "
        "store to; use a .gpkg path (GeoPackage) or postgresql+psycopg://… (PostGIS)"
    )


def _hide_password(url: str) -> str:
    """The URL with its password replaced by ``***`` as a whole, for messages.

    A password may itself hold ``@``, ``:`` or ``/``; the user part is everything before
    the last ``@`` of the authority, so no piece of such a password survives.
    """
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    at = rest.rfind("@")
    if at < 0:
        return url
    user = rest[:at].split(":", 1)[0]
    return f"{scheme}://{user}:***@{rest[at + 1 :]}" if ":" in rest[:at] else url


def url_secrets(url: str) -> list[str]:
    """The password of ``url`` and its pieces around ``@`` (what a driver may echo back)."""
    if "://" not in url:
        return []
    rest = url.split("://", 1)[1]
    at = rest.rfind("@")
    if at < 0 or ":" not in rest[:at]:
        return []
    from urllib.parse import unquote

    password = rest[:at].split(":", 1)[1]
    pieces = [password, unquote(password), *password.replace("/", "@").split("@")]
    return sorted({p for p in pieces if len(p) >= 3}, key=len, reverse=True)


def mask_secrets(message: str, url: str) -> str:
    """``message`` with every piece of the URL's password replaced by ``***``."""
    for secret in url_secrets(url):
        message = message.replace(secret, "***")
    return message


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below decide when a transaction starts, so that DDL
    # and the whole bulk load share one transaction (the pysqlite recipe in SQLAlchemy).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    cur.execute("PRAGMA temp_store = MEMORY")  # the staging table of a bulk load
    cur.close()
    from ._gpkg import register_functions

    register_functions(dbapi_conn)


@dataclass(frozen=True)
class Backend:
    """The few things that differ between the GeoPackage and PostGIS stores."""

    name: str  # "gpkg" or "postgis"

    @property
    def is_gpkg(self) -> bool:
        return self.name == "gpkg"

    def geometry_values(self, geoms: np.ndarray) -> list[Any]:
        """Encode shapely geometries for the staging table of a bulk load."""
        if self.is_gpkg:
            return gpkg_blobs(geoms)
        # binary WKB turned into hex by Python is three times faster than GEOS's hex output
        return list(map(bytes.hex, shapely.to_wkb(geoms)))

    def wkb(self, column: str) -> str:
        """SQL reading a geometry column as WKB (GeoPackage: the raw blob, see
        :func:`wkb_from_gpkg`)."""
        return column if self.is_gpkg else f"ST_AsBinary({column})"

    def geometries(self, values: list[Any]) -> np.ndarray:
        """Decode the geometry column read with :meth:`wkb`."""
        if self.is_gpkg:
            return shapely.from_wkb(wkb_from_gpkg(values))
        return shapely.from_wkb([bytes(v) for v in values])

    def distinct(self, left: str, right: str, *, geometry: bool = False) -> str:
        """SQL that is true when two values differ, NULL-safe."""
        if geometry and not self.is_gpkg:
            left, right = f"ST_AsEWKB({left})", f"ST_AsEWKB({right})"
        op = "IS NOT" if self.is_gpkg else "IS DISTINCT FROM"
        return f"{left} {op} {right}"


def gpkg_blobs(geoms: np.ndarray) -> list[bytes]:
    """Encode geometries as GeoPackage binary (header with envelope + ISO WKB).

    The 40-byte headers (magic ``GP``, version 0, flags = little-endian with an XY
    envelope, SRS id, minx, maxx, miny, maxy) are built for all rows at once with numpy.
    """
    n = len(geoms)
    bounds = shapely.bounds(geoms)
    header = np.zeros(
        n,
        dtype=[
            ("magic", "S2"),
            ("version", "u1"),
            ("flags", "u1"),
            ("srs", "<i4"),
            ("env", "<f8", (4,)),
        ],
    )
    header["magic"] = b"GP"
    header["flags"] = 0b0000_0011  # envelope [minx, maxx, miny, maxy], little endian
    header["srs"] = SRID
    header["env"] = bounds[:, [0, 2, 1, 3]]
    raw = header.tobytes()
    size = header.itemsize
    wkb = shapely.to_wkb(geoms, flavor="iso")
    return [raw[i * size : (i + 1) * size] + w for i, w in enumerate(wkb)]


#: Envelope size in bytes by the envelope indicator (flags bits 1-3) of a GeoPackage blob.
_ENVELOPE_BYTES = (0, 32, 48, 48, 64, 0, 0, 0)


def wkb_from_gpkg(blobs: list[bytes]) -> list[bytes]:
    """Strip the GeoPackage binary header (8 bytes + envelope) from each blob."""
    sizes = _ENVELOPE_BYTES
    return [b[8 + sizes[(b[3] >> 1) & 7] :] for b in blobs]


def make_engine(url: str) -> tuple[Engine, Backend]:
    """Create the SQLAlchemy engine for a resolved URL (see :func:`resolve_url`)."""
    if url.startswith("gpkg://"):
        path = Path(url[len("gpkg:///") :])
        if not path.parent.is_dir():
            raise StoreError(
                f"cannot create the database {path}: folder {path.parent} does not exist; "
                "create it or pass another --url"
            )
        # plain SQLite: geoplan writes the GeoPackage structures itself (see _gpkg)
        engine = create_engine(f"sqlite:///{path}", module=sqlite3)
        event.listen(engine, "connect", _on_sqlite_connect)

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # a write takes the file's write lock at once, so that two writers queue
            # (busy_timeout) instead of one failing when both try to upgrade a read lock
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(WRITE_FLAG) else "BEGIN")

        return engine, Backend("gpkg")
    try:
        importlib.import_module("psycopg")
    except ImportError:
        from .._errors import missing_dependency

        raise missing_dependency("psycopg", "postgis", "use a PostGIS database") from None
    try:
        return create_engine(url), Backend("postgis")
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"database URL {_hide_password(url)!r} is not a valid PostgreSQL URL "
            f"({mask_secrets(str(exc), url)}); write it as "
            "postgresql+psycopg://user:password@host:port/database"
        ) from None
