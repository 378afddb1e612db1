"""The :class:`Store`: one planning database, its schema version and its operations."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from .._common.dates import as_date
from .._errors import SchemaError, StoreError
from ._backends import (
    SRID,
    WRITE_FLAG,
    _hide_password,
    make_engine,
    mask_secrets,
    resolve_url,
)
from ._gpkg import SYSTEM_TABLES, create_base, create_table, register_attributes, register_features
from ._load import LoadStats, column_values, load_layers, q
from ._models import (
    ATTRIBUTE_TABLES,
    LAYER_TABLES,
    RECORD_COLUMNS,
    SCHEMA_VERSION,
    SNAPSHOT_COLUMNS,
    geometry_column_type,
    geoplan_meta,
    metadata,
    metric_snapshots,
    plan_meta,
    plan_sections,
    plan_unit_duties,
    quantities,
    records,
    targets,
    tasks,
)
from ._qgis import write_styles
from ._read import plan_from_dict, read_layers, read_plan_dict, read_records, read_snapshots

logger = logging.getLogger("geoplan.store")


class Store:
    """A planning database: a GeoPackage file or a PostGIS database.

    Open one with :func:`geoplan.store.open_store`. Every ``load_*`` call is a single
    transaction: it either completes or leaves the database as it was.

    Parameters
    ----------
    url
        A ``.gpkg`` path, ``gpkg:///path``, ``postgresql+psycopg://…``, or ``None`` for
        ``$GEOPLAN_DB_URL`` and then ``./geoplan.gpkg``.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None) -> None:
        self.url = resolve_url(url)
        self.engine, self.backend = make_engine(self.url)

    def __repr__(self) -> str:
        return f"Store({self.label!r})"

    @property
    def label(self) -> str:
        """The GeoPackage path, or the URL with any password hidden, for messages."""
        return str(self.path) if self.path is not None else _hide_password(self.url)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @property
    def path(self) -> Path | None:
        """The GeoPackage file, or ``None`` for PostGIS."""
        return Path(self.url[len("gpkg:///") :]) if self.backend.is_gpkg else None

    # ------------------------------------------------------------------ connections

    @contextmanager
    def _begin(self, *, write: bool) -> Iterator[Connection]:
        """One transaction; a missing file or server becomes a StoreError."""
        if self.path is not None and not write and not self.path.exists():
            raise StoreError(
                f"no planning database at {self.path}; create it with "
                f"`geoplan db init --url {self.path}` or pass another --url"
            )
        if self.path is not None:
            _check_sqlite_header(self.path)
        try:
            with self.engine.connect() as conn:
                conn.info[WRITE_FLAG] = write
                try:
                    with conn.begin():
                        yield conn
                finally:
                    conn.info.pop(WRITE_FLAG, None)
        except OperationalError as exc:
            may = "write there" if write else "read it"
            raise StoreError(
                f"cannot use the database {self.label}: {self._say(exc.orig)}; check the "
                f"URL, that the server runs and that you may {may}"
            ) from None
        except (DBAPIError, self.engine.dialect.loaded_dbapi.Error) as exc:
            # the transaction was rolled back; bulk copies raise the driver's own errors
            raise StoreError(
                f"the database {self.label} refused the change, so nothing was written: "
                f"{self._say(getattr(exc, 'orig', exc))}"
            ) from None

    def _say(self, error: object) -> str:
        """A driver's message on one line, with no piece of the URL's password."""
        return mask_secrets(_one_line(error), self.url)

    def _check_version(self, conn: Connection) -> bool:
        """Return True for an initialised database of this schema version.

        Returns False for an empty database; raises StoreError for one that is not
        geoplan's, or of another schema version.
        """
        names = set(inspect(conn).get_table_names())
        if "geoplan_meta" not in names:
            # init creates every table in one transaction, so without geoplan_meta any
            # user table (even one named like geoplan's) belongs to someone else
            foreign = sorted(names - SYSTEM_TABLES - {"spatial_ref_sys"})
            foreign = [n for n in foreign if not n.startswith(("rtree_", "sqlite_"))]
            if names & {"tasks", "records", "metric_snapshots"} or foreign:
                shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
                hint = (
                    f"; to load its layers, pass it as --layers {self.path} and a new "
                    ".gpkg file as --url"
                    if self.path is not None
                    else "; pass an empty database (or a new .gpkg file) as --url"
                )
                raise StoreError(
                    f"{self.label} holds tables geoplan did not create "
                    f"({shown or 'plan tables without geoplan_meta'}), so geoplan leaves it "
                    f"untouched{hint}"
                )
            return False
        found = conn.execute(
            select(geoplan_meta.c.value).where(geoplan_meta.c.key == "schema_version")
        ).scalar()
        try:
            version = int(found) if found is not None else 0
        except ValueError:
            version = 0
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.label} has geoplan schema version {version}, older than this geoplan's "
                f"{SCHEMA_VERSION}; export it with `geoplan db dump -o DIR` using the geoplan "
                "that wrote it, then load the dump into a new database with this one: "
                "`geoplan db load --url NEW --layers DIR/layers.gpkg --plan DIR/plan.json "
                "--records DIR/records.csv --snapshots DIR/metric_snapshots.csv` (the layers "
                "come over as they stand, without their history)"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.label} has geoplan schema version {version}, newer than this geoplan's "
                f"{SCHEMA_VERSION}; upgrade geoplan (`pip install -U geoplan`)"
            )
        return True

    def check_writable(self) -> None:
        """Raise StoreError unless geoplan may write here: a new or empty database, or one
        of geoplan's of this schema version. Reads only, so a refused database is left
        exactly as it was (a user's own GeoPackage, say)."""
        if self.path is not None and not self.path.exists():
            return
        with self._begin(write=False) as conn:
            self._check_version(conn)

    @contextmanager
    def _open(self, *, write: bool) -> Iterator[Connection]:
        if write:  # a first load creates the schema in its own transaction
            self.init()
        with self._begin(write=write) as conn:
            if write:
                self._lock(conn)
            if not self._check_version(conn):
                raise StoreError(
                    f"{self.label} is not initialised; run `geoplan db init` (or "
                    "geoplan.store.init_db) first"
                )
            yield conn

    # ------------------------------------------------------------------ schema

    def init(self) -> Store:
        """Create the schema (idempotent); returns the store itself."""
        with self._begin(write=True) as conn:
            self._lock(conn)
            if not self._check_version(conn):
                self._create(conn)
        return self

    def _lock(self, conn: Connection) -> None:
        """Serialise writers of one PostGIS database (SQLite locks the whole file itself).

        Two first loads at once would otherwise both create the extension and the tables,
        and the loser would fail on a half-created schema; with the lock the second waits,
        then finds the schema in place.
        """
        if not self.backend.is_gpkg:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")

    def _create(self, conn: Connection) -> None:
        if self.backend.is_gpkg:
            _create_gpkg(conn)
        else:
            installed = conn.execute(
                text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
            if not installed:
                try:
                    with conn.begin_nested():
                        conn.exec_driver_sql("CREATE EXTENSION postgis")
                except DBAPIError as exc:
                    raise StoreError(
                        f"{self.label} lacks the PostGIS extension and geoplan may not create "
                        f"it ({exc.orig}); ask the database owner to run "
                        "`CREATE EXTENSION postgis`"
                    ) from exc
            metadata.create_all(conn)
            for current, _ in LAYER_TABLES.values():
                conn.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS {q(conn, f'idx_{current.name}_geom')} "
                    f"ON {q(conn, current.name)} USING gist (geom)"
                )
        write_styles(conn, self.backend)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        conn.execute(
            insert(geoplan_meta),
            [
                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                {"key": "created_at", "value": now},
                {"key": "srid", "value": str(SRID)},
            ],
        )
        logger.info("created the geoplan schema (version %d) in %r", SCHEMA_VERSION, self)

    # ------------------------------------------------------------------ loading

    def load(
        self,
        *,
        layers: Mapping[str, Any] | None = None,
        plan: Any = None,
        records: pd.DataFrame | None = None,
        valid_from: dt.date | str | None = None,
        keep_missing: bool = False,
        snapshots: pd.DataFrame | None = None,
    ) -> dict[str, LoadStats]:
        """Load any of layers, plan, records and snapshots in one transaction.

        Parameters
        ----------
        layers
            Kind -> GeoDataFrame. Each replaces the stored layer of its kind: features
            are upserted by ``id``, a changed feature's previous version moves to
            ``<kind>_history``, and a stored feature the layer lacks is deleted, its
            last version kept in ``<kind>_history`` (``valid_to`` = ``valid_from``).
        plan
            A :class:`geoplan.plan.Plan`; replaces the stored register.
        records
            The progress log; rows are upserted by ``record_id``.
        valid_from
            The date the loaded layer versions take effect (default today).
        keep_missing
            Keep stored features the loaded layers lack (add and update only), e.g. to
            load a few new features on their own.
        snapshots
            Stored scorecards with an ``as_of`` column, as ``db dump`` writes them to
            ``metric_snapshots.csv`` (see :func:`read_snapshots_file`): each date's rows
            replace that date's snapshot; ``created_at`` is kept when given.

        Returns
        -------
        dict of str to LoadStats
            Per layer kind: features staged, inserted, updated, deleted.
        """
        day = _as_date(valid_from, "valid_from") or dt.date.today()
        with self._open(write=True) as conn:
            stats = load_layers(
                conn, self.backend, layers or {}, valid_from=day, keep_missing=keep_missing
            )
            if plan is not None:
                _write_plan(conn, plan)
            if records is not None:
                self._write_records(conn, records)
            if snapshots is not None:
                _write_snapshots(conn, snapshots)
        return stats

    def _write_records(self, conn: Connection, frame: pd.DataFrame) -> None:
        if "record_id" not in frame.columns:
            raise SchemaError("records have no 'record_id' column; every record needs an id")
        ids = frame["record_id"]
        if ids.isna().any() or ids.astype(str).duplicated().any():
            raise SchemaError("records: record_id must be present and unique; fix the progress log")
        rows = _rows(frame, RECORD_COLUMNS, "records")
        for row in rows:
            row["record_id"] = str(row["record_id"])
        if self.backend.is_gpkg:
            from sqlalchemy.dialects.sqlite import insert as upsert
        else:
            from sqlalchemy.dialects.postgresql import insert as upsert  # type: ignore[assignment]
        stmt = upsert(records)
        stmt = stmt.on_conflict_do_update(
            index_elements=["record_id"],
            set_={c: stmt.excluded[c] for c in RECORD_COLUMNS if c != "record_id"},
        )
        if rows:
            conn.execute(stmt, rows)

    def snapshot(self, card: pd.DataFrame, *, as_of: dt.date | str) -> int:
        """Store a scorecard as the snapshot of ``as_of``, replacing an earlier one.

        Returns the number of rows stored.
        """
        day = _as_date(as_of, "as_of")
        assert day is not None
        frame = card.copy()
        frame["as_of"] = pd.Timestamp(day)
        frame = frame.drop(columns=["created_at"], errors="ignore")
        with self._open(write=True) as conn:
            conn.execute(delete(metric_snapshots).where(metric_snapshots.c.as_of == day))
            return _write_snapshots(conn, frame)

    # ------------------------------------------------------------------ reading

    def read_layers(
        self, *, as_of: dt.date | str | None = None, kinds: list[str] | None = None
    ) -> dict[str, Any]:
        """Read layers as GeoDataFrames (EPSG:4326), as they stood at ``as_of``."""
        with self._open(write=False) as conn:
            return read_layers(conn, self.backend, as_of=_as_date(as_of, "as_of"), kinds=kinds)

    def read_records(self, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
        """Read the progress log (records dated on or before ``as_of`` when given)."""
        with self._open(write=False) as conn:
            return read_records(conn, self.backend, as_of=_as_date(as_of, "as_of"))

    def read_snapshots(self, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
        """Read stored scorecard snapshots, all or those of one ``as_of`` date."""
        with self._open(write=False) as conn:
            return read_snapshots(conn, self.backend, as_of=_as_date(as_of, "as_of"))

    def read_plan(self) -> Any:
        """Read the plan register back as a :class:`geoplan.plan.Plan` (None if none)."""
        with self._open(write=False) as conn:
            data = read_plan_dict(conn)
        return None if data is None else plan_from_dict(data)

    def counts(self) -> dict[str, int]:
        """Rows per table, for ``geoplan db info``."""
        with self._open(write=False) as conn:
            names = sorted(t.name for t in metadata.sorted_tables)
            return {
                name: conn.execute(
                    select(func.count()).select_from(metadata.tables[name])
                ).scalar_one()
                for name in names
            }

    def dump(
        self,
        out_dir: str | os.PathLike[str],
        *,
        as_of: dt.date | str | None = None,
        layer_format: str = "gpkg",
        force: bool = False,
    ) -> list[Path]:
        """Write the database to files: layers, ``records.csv``, ``plan.json``, snapshots.

        Layers go to ``layers.gpkg`` (one layer per kind) or, with
        ``layer_format="geojson"``, one ``<kind>.geojson`` each. Files are written to a
        temporary folder beside ``out_dir`` and moved in only when all are complete, so a
        failed dump leaves no partial file.

        A dump never writes over the database itself, nor, unless ``force``, over a file
        it did not write: each dump records what it wrote in ``.geoplan-dump.json``, and a
        later dump replaces only those files, and only while they are unchanged. Text
        cells a spreadsheet would evaluate are written inert (see
        :func:`geoplan._common.cells.escape_frame`).

        Returns the paths written.
        """
        from .._common.cells import escape_frame

        if layer_format not in ("gpkg", "geojson"):
            raise StoreError(f"dump format {layer_format!r} is unknown; use 'gpkg' or 'geojson'")
        out = Path(out_dir)
        layers = self.read_layers(as_of=as_of)
        recs = self.read_records(as_of=as_of)
        snaps = self.read_snapshots()
        plan = self.read_plan()
        if not layers and recs.empty and snaps.empty and plan is None:
            raise StoreError(
                f"{self.label} holds no layers, plan, records or snapshots, so there is "
                "nothing to dump; load data first with `geoplan db load`"
            )
        names = []
        if layers:
            names += ["layers.gpkg"] if layer_format == "gpkg" else [f"{k}.geojson" for k in layers]
        names += ["records.csv", "metric_snapshots.csv"]
        names += ["plan.json"] if plan is not None else []
        self._check_dump_targets(out, names, force=force)
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".geoplan-dump-", dir=out))
        try:
            if layer_format == "gpkg":
                for kind, gdf in layers.items():
                    gdf.to_file(tmp / "layers.gpkg", layer=kind, driver="GPKG")
            else:
                for kind, gdf in layers.items():
                    gdf.to_file(tmp / f"{kind}.geojson", driver="GeoJSON")
            escape_frame(_records_for_file(recs)).to_csv(
                tmp / "records.csv", index=False, encoding="utf-8-sig"
            )
            escape_frame(snaps).to_csv(
                tmp / "metric_snapshots.csv", index=False, encoding="utf-8-sig"
            )
            if plan is not None:
                (tmp / "plan.json").write_text(
                    json.dumps(plan.to_dict(), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8",
                )
            manifest = {name: _digest(tmp / name) for name in names}
            (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
            for name in [*names, _MANIFEST]:
                os.replace(tmp / name, out / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return [out / name for name in names]

    def qgis_project(
        self, path: str | os.PathLike[str], *, title: str | None = None, force: bool = False
    ) -> Path:
        """Write a QGIS project (``.qgz`` or ``.qgs``) that opens this database styled.

        Every layer kind that holds features is a layer named in Chinese, styled as in
        ``layer_styles``, grouped as the web map's legend (points, lines, areas). An
        existing file is replaced only with ``force``. Returns the path written.
        """
        from .._common.atomic import write_bytes
        from ._project import kinds_in, project_bytes

        target = Path(path)
        if target.suffix.lower() not in (".qgz", ".qgs"):
            raise StoreError(f"{target} is not a QGIS project name; end it in .qgz or .qgs")
        if target.exists() and not force:
            raise StoreError(
                f"{target} exists, so nothing was written; choose another name or pass "
                "--force to replace it"
            )
        kinds = kinds_in(self.counts())
        if not kinds:
            raise StoreError(
                f"{self.label} holds no layers, so a project would be empty; load layers "
                "first with `geoplan db load`"
            )
        name = title or (self.path.stem if self.path is not None else "geoplan")
        footprints = tuple(k for k in kinds if self._has_footprints(k))
        data = project_bytes(self.url, kinds, path=target, title=name, footprints=footprints)
        return write_bytes(target, data, what="QGIS project", error=StoreError)

    def _has_footprints(self, kind: str) -> bool:
        """Whether a footprint kind (see ``LayerKind.footprints``) holds any polygon."""
        from ..catalogue import LAYER_KINDS

        if not LAYER_KINDS[kind].footprints:
            return False
        layer = self.read_layers(kinds=[kind])[kind]
        return bool(layer.geom_type.isin(["Polygon", "MultiPolygon"]).any())

    def _check_dump_targets(self, out: Path, names: list[str], *, force: bool) -> None:
        """Refuse a dump that would replace the database or a file geoplan did not write."""
        targets = [out / name for name in names]
        if self.path is not None and any(
            t.resolve() == self.path.resolve() for t in [*targets, out / _MANIFEST]
        ):
            raise StoreError(
                f"dumping into {out} would replace the database {self.path} itself; "
                "choose another folder for -o"
            )
        if force or not out.exists():
            return
        try:
            written = json.loads((out / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            written = {}
        foreign = [
            t.name
            for t in targets
            if t.exists() and (t.is_dir() or written.get(t.name) != _digest(t))
        ]
        if foreign:
            raise StoreError(
                f"{out} already holds {', '.join(foreign)}, which an earlier geoplan dump "
                "did not write or which changed since, so nothing was written; choose "
                "another folder, move the files away, or pass --force to replace them"
            )


#: The record of what a dump wrote (file name -> SHA-256), kept in the dump's folder.
_MANIFEST = ".geoplan-dump.json"


def _digest(path: Path) -> str | None:
    import hashlib

    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Key of the PostgreSQL advisory lock that serialises geoplan's writers ("geoplan" in hex).
_PG_LOCK = 0x67656F706C616E


def _create_gpkg(conn: Connection) -> None:
    """Create the GeoPackage 1.4 system tables and geoplan's tables in plain SQL."""
    from ..catalogue import LAYER_KINDS
    from ..styles import KIND_LABELS

    create_base(conn)
    for kind, (current, history) in LAYER_TABLES.items():
        geometry = geometry_column_type(LAYER_KINDS[kind])
        label = KIND_LABELS.get(kind, kind)
        for table, title, index in (
            (current, label, True),
            (history, f"{label}（历史版本）", False),
        ):
            create_table(conn, table)
            register_features(
                conn,
                table.name,
                geometry,
                identifier=title,
                description=f"geoplan {table.name}",
                spatial_index=index,
            )
    for table in ATTRIBUTE_TABLES:
        create_table(conn, table)
        register_attributes(conn, table.name, f"geoplan {table.name}")


def _one_line(error: object) -> str:
    """A driver's message on one line (psycopg adds a tab-indented hint line)."""
    return " ".join(str(error).split())


def _check_sqlite_header(path: Path) -> None:
    """Refuse a file that exists but is not SQLite, before SQLite reports it mid-query."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        return  # a new database; the engine creates it
    except OSError as exc:
        raise StoreError(
            f"cannot read the database {path}: {exc.strerror}; check the path and its "
            "permissions or pass another --url"
        ) from exc
    if head and head != b"SQLite format 3\x00":
        raise StoreError(
            f"{path} is not a GeoPackage (not an SQLite file), so geoplan neither reads nor "
            "writes it; pass the .gpkg that `geoplan db init` created, or a new file name "
            "for a new planning database"
        )


def _as_date(value: dt.date | str | None, what: str) -> dt.date | None:
    return as_date(value, what, error=SchemaError)


def _rows(frame: pd.DataFrame, columns: dict[str, str], what: str) -> list[dict[str, Any]]:
    """Turn a frame into row dicts for a Core insert (absent columns become NULL)."""
    values: dict[str, list[Any]] = {}
    for name, kind in columns.items():
        if name not in frame.columns:
            values[name] = [None] * len(frame)
            continue
        got = column_values(frame[name], kind, where=f"{what}.{name}")
        values[name] = [dt.date.fromisoformat(v) if kind == "date" and v else v for v in got]
    return [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]


def _write_plan(conn: Connection, plan: Any) -> None:
    """Replace the stored plan register with ``plan``."""
    for table in (quantities, targets, tasks, plan_sections, plan_unit_duties, plan_meta):
        conn.execute(delete(table))
    meta = plan.meta
    conn.execute(
        insert(plan_meta),
        {
            "plan_key": 1,
            "title": meta.title,
            "doc_number": meta.doc_number,
            "issuer": meta.issuer,
            "date": meta.date,
            "index_number": meta.index_number,
        },
    )
    if plan.sections:
        conn.execute(
            insert(plan_sections),
            [
                {"id": s.id, "number": s.number, "title": s.title, "kind": s.kind, "position": i}
                for i, s in enumerate(plan.sections)
            ],
        )
    duties = getattr(plan, "unit_duties", None) or {}
    if duties:
        conn.execute(
            insert(plan_unit_duties),
            [
                {"unit": unit, "duties": duty, "position": i}
                for i, (unit, duty) in enumerate(duties.items())
            ],
        )
    if plan.tasks:
        conn.execute(
            insert(tasks),
            [
                {
                    "id": t.id,
                    "title": t.title,
                    "section": t.section,
                    "text": t.text,
                    "units": json.dumps(list(t.units), ensure_ascii=False),
                }
                for t in plan.tasks
            ],
        )
    owners = [(None, plan.goals)] + [(t.id, t.targets) for t in plan.tasks]
    target_rows, quantity_rows = [], []
    key = 0
    for task_id, owned in owners:
        for index, target in enumerate(owned):
            key += 1
            target_rows.append(
                {
                    "target_key": key,
                    "task_id": task_id,
                    "target_index": index,
                    "year": target.year,
                    "deadline": target.deadline,
                    "text": target.text,
                    "year_from": target.year_from,
                    "year_source": target.year_source,
                }
            )
            quantity_rows += [
                {
                    "target_key": key,
                    "quantity_index": i,
                    "value": qty.value,
                    "unit": qty.unit,
                    "comparator": qty.comparator,
                    "qualifiers": json.dumps(list(qty.qualifiers), ensure_ascii=False),
                }
                for i, qty in enumerate(target.quantities)
            ]
    if target_rows:
        conn.execute(insert(targets), target_rows)
    if quantity_rows:
        conn.execute(insert(quantities), quantity_rows)


def _write_snapshots(conn: Connection, frame: pd.DataFrame) -> int:
    """Replace the snapshots of every ``as_of`` date in ``frame`` with its rows."""
    if "as_of" not in frame.columns:
        raise SchemaError(
            "snapshots have no 'as_of' column; pass the metric_snapshots.csv that "
            "`geoplan db dump` wrote, or store one scorecard with Store.snapshot(card, as_of=)"
        )
    rows = _rows(frame, SNAPSHOT_COLUMNS, "snapshots")
    if any(row["as_of"] is None for row in rows):
        raise SchemaError("snapshots: every row needs an as_of date; fill the empty cells")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if "created_at" in frame.columns:
        stamps = pd.to_datetime(frame["created_at"], errors="coerce", utc=True)
        created = [now if pd.isna(t) else t.tz_localize(None).to_pydatetime() for t in stamps]
    else:
        created = [now] * len(rows)
    for row, stamp in zip(rows, created, strict=True):
        row["created_at"] = stamp
    days = sorted({row["as_of"] for row in rows})
    if days:
        conn.execute(delete(metric_snapshots).where(metric_snapshots.c.as_of.in_(days)))
    if rows:
        conn.execute(insert(metric_snapshots), rows)
    return len(rows)


def _records_for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """The progress log as a file: ``target_index`` written as the ledger's 目标编号.

    :func:`geoplan.records.read_records` reads a ``target`` column such as ``9-1`` (task
    9's first target) into ``target_index`` 0, so a dumped log loads back unchanged.
    """
    if "target_index" not in frame.columns:
        return frame
    index = frame["target_index"]
    target = frame["task_id"].astype("Int64").astype(str) + "-" + (index + 1).astype(str)
    out = frame.copy()
    out["target_index"] = target.where(index.notna(), None)
    return out.rename(columns={"target_index": "target"})
