"""Column mappings: a planner's own column names and values -> the catalogue's.

A mapping is written once and reused with every delivery of the same data
(``geoplan … --columns mapping.yaml``). In YAML::

    # geoplan column mapping
    crs: GCJ-02                 # optional: CRS of layers without one (per layer below)
    layers:
      villages:                 # a kind, or its Chinese label (村)
        source: 村庄边界         # optional: the file, layer, KML folder, sheet or CAD
                                #   layer that holds it, when not named by the kind
        crs: EPSG:4549          # optional, this layer only
        labels: 村名注记         # optional: a layer of text labels (CAD TEXT) -> `label`
        columns:                # their column: the catalogue's
          村名: name
          完成时间: plan_approved_date
        values:                 # catalogue column: {their value: catalogue value}
          status:
            已完工: completed
            在建: under_construction

As CSV, one row per entry with the header ``layer,column,from,to``: ``column`` empty
maps the column ``from`` to ``to``; ``column`` naming a catalogue column maps its value
``from`` to ``to``; ``column`` = ``crs``, ``source`` or ``labels`` sets that (``to``);
``layer`` ``*`` stands for every layer.

The mapping is applied to each layer as read, before validation; columns it does not
name are kept (the map shows them in popups). :func:`propose_mapping` drafts a mapping
for a planner to edit, from the headers and values it sees.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._common.atomic import write_text
from .._errors import DataReadError, SchemaError
from ..catalogue import (
    BOOL_WORDS,
    LAYER_KINDS,
    STATUS_ALIASES,
    Column,
    LayerKind,
    geometry_types,
    kind_for_name,
)
from ._values import is_blank, map_vocabulary, parse_dates

#: Header words that point to a catalogue column whatever the kind (a planner's vocabulary
#: next to the catalogue's labels; difflib alone does not see that 村名 is a name).
HEADER_HINTS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "编码", "代码", "序号", "id", "fid", "objectid", "code", "bh"),
    "name": ("名称", "名字", "名", "name", "mc", "title"),
    "task_ids": ("任务", "task"),
    "town_id": ("乡镇", "镇", "乡", "街道", "town"),
    "village_id": ("村", "社区", "village"),
    "population": ("人口", "population"),
}
#: Words in a layer's (file's, folder's, CAD layer's) name that say which kind it holds.
KIND_HINTS: dict[str, tuple[str, ...]] = {
    "towns": ("镇界", "乡镇", "镇域", "行政区"),
    "districts": ("片区",),
    "communities": ("小区", "社区"),
    "villages": ("村庄", "行政村", "村界", "村域"),
    "greenways": ("福道", "绿道", "步道"),
    "water_sources": ("水源地", "取水口", "水源"),
    "protection_zones": ("保护区", "保护范围"),
    "parks": ("公园", "游园", "广场绿地"),
    "residential_land": ("居住用地", "住宅用地", "居住"),
    "farmhouses": ("农房", "农村住房", "房屋", "民房"),
    "heritage_sites": ("文物", "历史建筑", "古厝", "文保"),
    "sewage_lines": ("污水管", "管网", "管线"),
    "sewage_facilities": ("污水处理", "污水站", "泵站", "处理设施"),
    "projects": ("项目",),
}
#: Words in a date header that say which date it is.
DATE_HINTS: dict[str, tuple[str, ...]] = {
    "completed": ("完成", "完工", "建成", "竣工", "整治", "改造", "completed", "finish"),
    "start": ("开工", "开始", "start"),
}


@dataclass
class LayerMapping:
    """How one layer's columns and values map to its kind's.

    Attributes
    ----------
    kind
        The layer kind.
    source
        The name of the file, layer, KML folder, sheet or CAD layer that holds it, when it
        is not named by the kind.
    crs
        The CRS of this layer's coordinates (as ``crs=`` of :func:`geoplan.read_file`).
    labels
        A layer of the same file holding text labels (a CAD layer of TEXT entities, a KML
        folder of named points): each feature gets the text of the label inside it (a
        polygon) or nearest to it within :data:`LABEL_DISTANCE_M` (a line or point) as a
        column ``label``, which ``columns`` can then map (``label: [id, name]``).
    columns
        Their column -> catalogue column, or a list of them (``NAME: [id, name]`` when
        the names are unique and serve as ids too).
    values
        Catalogue column -> {their value: catalogue value}.
    """

    kind: str
    source: str | None = None
    crs: str | None = None
    labels: str | None = None
    columns: dict[str, str | list[str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def targets(self) -> list[str]:
        """Every catalogue column the mapping fills."""
        return [t for v in self.columns.values() for t in ([v] if isinstance(v, str) else v)]


@dataclass
class ColumnMapping:
    """A column mapping for several layers (see the module docstring for the file)."""

    layers: dict[str, LayerMapping] = field(default_factory=dict)
    crs: str | None = None
    path: str | None = None

    def kind_for_source(self, name: str) -> str | None:
        """The kind whose ``source`` is ``name`` (a file stem, layer or folder), or None."""
        for kind, spec in self.layers.items():
            if spec.source is not None and spec.source.strip() == name.strip():
                return kind
        return None

    def crs_for(self, kind: str, default: Any = None) -> Any:
        """The CRS for ``kind``: its own, else ``default`` (the command's), else the file's."""
        spec = self.layers.get(kind)
        if spec is not None and spec.crs:
            return spec.crs
        return default if default is not None else self.crs

    def apply(self, kind: str, frame: Any) -> tuple[Any, list[str]]:
        """Rename and recode one layer; return it and notes for the check report."""
        spec = self.layers.get(kind)
        if spec is None:
            return frame, []
        notes = []
        present = [c for c in spec.columns if c in frame.columns]
        absent = [c for c in spec.columns if c not in frame.columns]
        pairs = [(c, t) for c in present for t in _as_list(spec.columns[c]) if t != c]
        clash = [t for _, t in pairs if t in frame.columns and t not in spec.columns]
        if clash:
            raise SchemaError(
                f"column mapping {self.path or ''}: {kind} columns are mapped onto "
                f"{', '.join(clash)}, which the layer already has; map one of them only"
            )
        if pairs:
            frame = frame.copy()
            for theirs, ours in pairs:
                frame[ours] = frame[theirs]
            moved = {c for c, _ in pairs} - {t for _, t in pairs}
            # the user's column moves to its new name, or several, in the catalogue's place
            frame = frame.drop(columns=[c for c in moved if c not in _targets_of(spec)])
            notes.append(
                "columns mapped by "
                + (Path(self.path).name if self.path else "the column mapping")
                + ": "
                + ", ".join(f"{a} → {b}" for a, b in pairs)
            )
        if absent:
            notes.append(f"the column mapping names columns the layer lacks: {', '.join(absent)}")
        for column, table in spec.values.items():
            if column not in frame.columns or not table:
                continue
            text = frame[column].astype("string").str.strip()
            mapped = text.map(table)
            hit = mapped.notna()
            if hit.any():
                frame = frame.copy()
                series = frame[column].astype(object)
                series[hit.to_numpy()] = mapped[hit].to_numpy()
                frame[column] = series
                notes.append(f"{int(hit.sum())} values of {column} mapped by the column mapping")
        return frame, notes


# ----------------------------------------------------------------------------- labels

#: How far a label may lie from a line or point feature it names (metres).
LABEL_DISTANCE_M = 50.0


def attach_labels(
    frame: Any, labels: Any, *, max_distance_m: float = LABEL_DISTANCE_M
) -> tuple[Any, list[str]]:
    """Add a ``label`` column: the text of the label inside each polygon, or nearest.

    ``labels`` is a layer of points with a ``text`` column (DXF TEXT entities) or a
    ``name`` column (KML placemarks), in ``frame``'s CRS or any other. Polygons take the
    label whose point lies inside them (the first, if several; counted in the notes);
    lines and points take the nearest label within ``max_distance_m``, measured in
    :func:`geoplan.crs.metric_crs`. Returns the frame and notes for the check report.
    """
    from ..crs import metric_crs

    column = next(
        (c for c in ("text", "name") if c in labels.columns and labels[c].notna().any()), None
    )
    if column is None:
        raise SchemaError(
            "the labels layer has no text (a `text` column of CAD TEXT entities or a `name` "
            f"column); its columns are: {', '.join(map(str, labels.columns))}"
        )
    labels = labels[labels[column].notna() & ~shapely.is_empty(labels.geometry.array)]
    crs = metric_crs(frame)
    geoms = np.asarray(frame.to_crs(crs).geometry.array, dtype=object)
    points = shapely.point_on_surface(np.asarray(labels.to_crs(crs).geometry.array))
    text = labels[column].astype(str).to_numpy()
    tree = shapely.STRtree(points)
    found = np.full(len(geoms), -1)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    notes = []
    if polygonal.any():
        owner, label = tree.query(geoms[polygonal], predicate="contains")
        firsts = pd.Series(label).groupby(owner).first()
        found[np.flatnonzero(polygonal)[firsts.index.to_numpy()]] = firsts.to_numpy()
        several = int((pd.Series(owner).value_counts() > 1).sum())
        if several:
            notes.append(f"{several} polygons hold several labels; the first one was taken")
    others = ~polygonal & ~shapely.is_missing(geoms)
    if others.any():
        owner, label = tree.query_nearest(geoms[others], max_distance=max_distance_m)
        firsts = pd.Series(label).groupby(owner).first()
        found[np.flatnonzero(others)[firsts.index.to_numpy()]] = firsts.to_numpy()
    frame = frame.copy()
    frame["label"] = np.where(found >= 0, text[np.maximum(found, 0)], None)
    missing = int((found < 0).sum())
    notes.append(
        f"labels attached to {len(found) - missing} of {len(found)} features"
        + (
            f"; {missing} have none (nothing inside, or over {max_distance_m:g} m away)"
            if missing
            else ""
        )
    )
    return frame, notes


# ----------------------------------------------------------------------------- reading


def read_column_mapping(path: str | os.PathLike[str]) -> ColumnMapping:
    """Read a column mapping from YAML (``.yaml``/``.yml``) or CSV.

    Raises
    ------
    DataReadError
        The file is missing or not YAML/CSV.
    SchemaError
        A kind, catalogue column or value it names does not exist; the message names the
        file and the entry.
    """
    path = Path(path)
    if not path.is_file():
        raise DataReadError(f"column mapping `{path}` does not exist; check the path")
    from .._common.text import decode_bytes

    text, _ = decode_bytes(
        path.read_bytes(), f"column mapping {path}", expected="expected YAML or CSV text"
    )
    if path.suffix.lower() == ".csv":
        raw = _from_csv(text, path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise DataReadError(f"column mapping `{path}` is not valid YAML: {exc}") from exc
    else:
        raise DataReadError(
            f"column mapping `{path}` should be .yaml/.yml or .csv (layer,column,from,to)"
        )
    return _build(raw, path)


def _from_csv(text: str, path: Path) -> dict[str, Any]:
    rows = list(csv.DictReader(io.StringIO(text)))
    need = {"layer", "column", "from", "to"}
    if not rows or not need <= set(rows[0]):
        raise DataReadError(
            f"column mapping `{path}` needs the header layer,column,from,to; "
            f"found {', '.join(rows[0]) if rows else 'no rows'}"
        )
    raw: dict[str, Any] = {"layers": {}}
    for line, row in enumerate(rows, start=2):
        layer, column = (row["layer"] or "").strip(), (row["column"] or "").strip()
        src, dst = (row["from"] or "").strip(), (row["to"] or "").strip()
        if not layer:
            raise SchemaError(f"{path}, line {line}: the layer is empty")
        if layer == "*":
            if column == "crs":
                raw["crs"] = dst
                continue
            raise SchemaError(f"{path}, line {line}: layer * takes only a crs row")
        entry = raw["layers"].setdefault(layer, {})
        if column in ("crs", "source", "labels"):
            entry[column] = dst
        elif not column:
            cols = entry.setdefault("columns", {})
            cols[src] = [*_as_list(cols[src]), dst] if src in cols else dst
        else:
            entry.setdefault("values", {}).setdefault(column, {})[src] = dst
    return raw


def _build(raw: Any, path: Path) -> ColumnMapping:
    if not isinstance(raw, Mapping):
        raise SchemaError(f"column mapping `{path}` should map layer kinds to entries")
    layers_raw = raw.get("layers", {k: v for k, v in raw.items() if k != "crs"})
    if not isinstance(layers_raw, Mapping):
        raise SchemaError(f"`layers` in column mapping `{path}` should map kinds to entries")
    mapping = ColumnMapping(crs=_opt_str(raw.get("crs")), path=str(path))
    for key, entry in layers_raw.items():
        kind = kind_for_name(str(key))
        if kind is None:
            raise SchemaError(
                f"column mapping `{path}`: {key!r} is not a layer kind; "
                f"use one of: {', '.join(LAYER_KINDS)}"
            )
        entry = entry or {}
        spec = LAYER_KINDS[kind]
        names = [c.name for c in spec.columns]
        columns: dict[str, str | list[str]] = {
            str(a): [str(x) for x in b] if isinstance(b, list) else str(b)
            for a, b in (entry.get("columns") or {}).items()
        }
        for theirs, ours in columns.items():
            for target in _as_list(ours):
                if target not in names:
                    raise SchemaError(
                        f"column mapping `{path}`: {kind} column {theirs!r} maps to {target!r}, "
                        f"which the {kind} layer does not have; its columns are: "
                        f"{', '.join(names)}"
                    )
        dup = pd.Series([t for v in columns.values() for t in _as_list(v)])
        if dup.duplicated().any():
            twice = sorted(set(dup[dup.duplicated()]))
            raise SchemaError(
                f"column mapping `{path}`: several {kind} columns map to {', '.join(twice)}; "
                "keep one"
            )
        values = {}
        for column, table in (entry.get("values") or {}).items():
            if column not in names:
                raise SchemaError(
                    f"column mapping `{path}`: values given for {kind}.{column}, "
                    f"which is not a column of {kind}; its columns are: {', '.join(names)}"
                )
            col = spec.column(column)
            table = {str(a): _value(b) for a, b in (table or {}).items()}
            if col.values:
                by_label = {label: value for value, label in col.values.items()}
                table = {a: by_label.get(b, b) for a, b in table.items()}  # 已完成 -> completed
                wrong = sorted(v for v in table.values() if v not in col.values)
                if wrong:
                    allowed = ", ".join(f"{k} ({v})" for k, v in col.values.items())
                    raise SchemaError(
                        f"column mapping `{path}`: {kind}.{column} values map to {wrong}, "
                        f"which are not in its vocabulary; use one of: {allowed}"
                    )
            values[column] = {k: v for k, v in table.items() if v != ""}
        mapping.layers[kind] = LayerMapping(
            kind,
            source=_opt_str(entry.get("source")),
            labels=_opt_str(entry.get("labels")),
            crs=_opt_str(entry.get("crs")),
            columns=columns,
            values=values,
        )
    return mapping


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _targets_of(spec: LayerMapping) -> set[str]:
    return set(spec.targets())


def _opt_str(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


# ----------------------------------------------------------------------------- proposing


def propose_mapping(
    raw: Mapping[str, Any], *, unresolved: Mapping[str, Any] | None = None
) -> ColumnMapping:
    """Draft a column mapping for layers as read (before validation).

    Parameters
    ----------
    raw
        Kind -> GeoDataFrame as read from the user's files.
    unresolved
        Layers whose names are not kinds (name -> GeoDataFrame): a kind is proposed for
        each from its name and geometry, with ``source`` set to the name.

    Returns
    -------
    ColumnMapping
        For each layer, the columns that are not catalogue columns (nor their labels or
        aliases) matched to the most similar free catalogue column — by header (labels,
        aliases and :data:`HEADER_HINTS`, compared with difflib) and by the values
        (dates go to date columns, status words to status columns) — and, for
        status/enum/bool columns, the values that the vocabulary does not take, matched to
        the closest value (or left empty for the planner to fill).
    """
    mapping = ColumnMapping()
    for kind, frame in raw.items():
        mapping.layers[kind] = _propose_layer(LAYER_KINDS[kind], frame)
    for name, frame in (unresolved or {}).items():
        if not len(frame):
            continue
        guess = _propose_kind(name, frame, taken=set(mapping.layers))
        if guess is not None:
            spec = _propose_layer(LAYER_KINDS[guess], frame)
            spec.source = name
            mapping.layers[guess] = spec
    return mapping


def _propose_kind(name: str, frame: Any, taken: set[str]) -> str | None:
    """The kind a layer called ``name`` most likely holds, of a geometry it can hold.

    A kind's label or one of its :data:`KIND_HINTS` inside the name decides (the longest
    wins: 污水管网 over 管网); else a close difflib match to a label or kind name.
    """
    types = _geometry_types(frame)
    text = _norm(name)
    best, score = None, 0.0
    for kind in LAYER_KINDS.values():
        if kind.name in taken or (types is not None and not types <= _accepts(kind)):
            continue
        words = (kind.label, kind.name, *KIND_HINTS.get(kind.name, ()))
        s = max((len(w) + 1.0 for w in words if _norm(w) in text), default=0.0)
        s = s or max(_similar(name, w) for w in (kind.label, kind.name))
        if s > score:
            best, score = kind.name, s
    return best if score >= 0.6 else None


def _geometry_types(frame: Any) -> set[str] | None:
    """The geometry types of a layer; closed lines count as polygons (CAD boundaries)."""
    try:
        geoms = np.asarray(frame.geometry.array, dtype=object)
    except AttributeError:
        return None
    geoms = geoms[~shapely.is_missing(geoms)]
    names = shapely.get_type_id(geoms)
    closed = np.isin(names, (1, 5)) & shapely.is_closed(shapely.line_merge(geoms))
    labels = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ]
    )
    found = set(labels[names[~closed]])
    return found | ({"Polygon"} if closed.any() else set())


def _accepts(kind: LayerKind) -> set[str]:
    types = set(geometry_types(kind))
    return types | {"MultiPoint"} if "Point" in types else types


def _similar(a: str, b: str) -> float:
    a, b = _norm(a), _norm(b)
    if not a or not b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    # Chinese headers share characters in any order (完成时间 / 建成日期)
    shared = len(set(a) & set(b)) / max(len(set(a)), len(set(b)))
    return max(ratio, shared if _cjk(a) and _cjk(b) else 0.0)


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-()（）\[\]]", "", str(text)).lower()


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _known(col: Column) -> set[str]:
    # exactly the headers validation renames by itself (NAME is not name there)
    return {col.name, col.label, *col.aliases}


def _propose_layer(kind: LayerKind, frame: Any) -> LayerMapping:
    spec = LayerMapping(kind.name)
    geometry = getattr(frame, "_geometry_column_name", None)
    headers = [c for c in frame.columns if c != geometry]
    known = {n for col in kind.columns for n in _known(col)}
    present = {str(h) for h in headers}
    free = [c for c in kind.columns if not (_known(c) & present)]
    unknown = [h for h in headers if str(h) not in known]
    scored = []
    for header in unknown:
        fits = _value_fit(frame[header])
        for col in free:
            score = _header_score(str(header), col)
            fit = fits.get(col.type, fits.get("any", 0.0))
            if col.type in ("status", "enum"):
                fit = _vocab_fit(frame[header], col)
            if fit < 0:
                continue
            scored.append((score + 0.5 * fit, str(header), col))
    scored.sort(key=lambda s: -s[0])
    used_h, used_c = set(), set()
    for score, header, col in scored:
        if score < 0.5 or header in used_h or col.name in used_c:
            continue
        spec.columns[header] = col.name
        used_h.add(header)
        used_c.add(col.name)
    if "id" not in used_c and "id" in [c.name for c in free]:
        names = [h for h, t in spec.columns.items() if t == "name"]
        names += [str(h) for h in headers if str(h) in _known(kind.column("name"))]
        if names and frame[names[0]].notna().all() and frame[names[0]].is_unique:
            spec.columns[names[0]] = ["id", "name"]  # unique names serve as ids
    named = {str(h): col.name for col in kind.columns for h in headers if str(h) in _known(col)}
    for header, target in [*named.items(), *spec.columns.items()]:
        if not isinstance(target, str):
            continue
        col = kind.column(target)
        if col.values or col.type == "bool":
            table = _propose_values(frame[header], col)
            if table:
                spec.values[target] = table
    return spec


def _header_score(header: str, col: Column) -> float:
    names = [col.name, col.label, *col.aliases, *HEADER_HINTS.get(col.name, ())]
    score = max(_similar(header, n) for n in names)
    h = _norm(header)
    if any(_norm(w) and _norm(w) in h for w in HEADER_HINTS.get(col.name, ())):
        score = max(score, 0.6)
    if col.type == "date":
        for which, words in DATE_HINTS.items():
            if any(w in h for w in words):
                score += (
                    0.3
                    if which in col.name
                    or (which == "completed" and "_date" in col.name and "start" not in col.name)
                    else 0.0
                )
    if col.name.endswith("_id") and col.name != "id" and h in ("id", "编号", "fid", "objectid"):
        score = 0.0
    return score


def _value_fit(series: pd.Series) -> dict[str, float]:
    """How well the values fit each column type: 1 fits, 0 unknown, -1 does not fit."""
    values = series[~is_blank(series)]
    if values.empty:
        return {"any": 0.0}
    _, flags = parse_dates(values)
    dates = 1.0 - float(flags["bad"].mean())
    numbers = pd.to_numeric(values.astype(str).str.replace(",", ""), errors="coerce")
    numeric = float(numbers.notna().mean())
    words = values.astype(str).str.strip().str.lower().map(BOOL_WORDS)
    boolean = float(words.notna().mean())
    return {
        "date": 1.0 if dates > 0.8 and not (numeric > 0.8 and dates < 1) else -1.0,
        "int": 1.0 if numeric > 0.8 and np.all(np.mod(numbers.dropna(), 1) == 0) else -1.0,
        "float": 1.0 if numeric > 0.8 else -1.0,
        "bool": 1.0 if boolean > 0.8 else -1.0,
        "str": 0.0,
    }


def _vocab_fit(series: pd.Series, col: Column) -> float:
    values = series[~is_blank(series)]
    if values.empty:
        return 0.0
    _, unknown, _ = map_vocabulary(values, col)
    proposed = _propose_values(values, col)
    share = float((~unknown).mean())
    near = sum(1 for v in values.astype(str).str.strip() if proposed.get(v))
    share = max(share, near / len(values))
    return 1.0 if share > 0.5 else (0.0 if share > 0 else -1.0)


def _propose_values(series: pd.Series, col: Column) -> dict[str, str]:
    """Their values the vocabulary does not take -> the closest value ('' when none)."""
    values = pd.Series(pd.unique(series[~is_blank(series)].astype(str).str.strip()))
    if values.empty:
        return {}
    choices: dict[str, tuple[str, ...]]
    if col.type == "bool":
        bad = values[values.str.lower().map(BOOL_WORDS).isna()]
        choices = {"true": ("是", "已", "有", "yes"), "false": ("否", "未", "无", "no")}
    else:
        _, unknown, _ = map_vocabulary(values, col)
        bad = values[unknown.to_numpy()]
        choices = {v: (v, label) for v, label in col.values.items()}
        if col.type == "status":
            for alias, v in STATUS_ALIASES.items():
                choices[v] = (*choices[v], alias)
    out = {}
    for value in bad:
        best, score = "", 0.0
        for target, words in choices.items():
            s = max(_similar(value, w) for w in words)
            if s > score:
                best, score = target, s
        out[str(value)] = best if score >= 0.5 else ""
    return out


# ----------------------------------------------------------------------------- writing


def write_column_mapping(mapping: ColumnMapping, path: str | os.PathLike[str]) -> Path:
    """Write ``mapping`` as YAML (with comments listing the choices) or CSV, atomically."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["layer", "column", "from", "to"])
        if mapping.crs:
            writer.writerow(["*", "crs", "", mapping.crs])
        for kind, spec in mapping.layers.items():
            for key in ("source", "crs", "labels"):
                if getattr(spec, key):
                    writer.writerow([kind, key, "", getattr(spec, key)])
            for theirs, ours in spec.columns.items():
                for target in _as_list(ours):
                    writer.writerow([kind, "", theirs, target])
            for column, table in spec.values.items():
                for theirs, ours in table.items():
                    writer.writerow([kind, column, theirs, ours])
        return write_text(path, buf.getvalue(), encoding="utf-8-sig")
    lines = [
        "# geoplan column mapping: their columns and values -> the catalogue's.",
        "# Drafted by `geoplan layers check --write-mapping`; check every line, then use it",
        "# with --columns on map, metrics, report, db load and layers check.",
    ]
    if mapping.crs:
        lines.append(f"crs: {_yaml(mapping.crs)}")
    lines.append("layers:")
    for kind, spec in mapping.layers.items():
        cat = LAYER_KINDS[kind]
        lines.append(f"  {kind}:  # {cat.label}; columns: {', '.join(c.name for c in cat.columns)}")
        if spec.source:
            lines.append(f"    source: {_yaml(spec.source)}")
        if spec.crs:
            lines.append(f"    crs: {_yaml(spec.crs)}")
        if spec.labels:
            lines.append(f"    labels: {_yaml(spec.labels)}")
        if spec.columns:
            lines.append("    columns:")
            for theirs, ours in spec.columns.items():
                targets = _as_list(ours)
                text = targets[0] if len(targets) == 1 else f"[{', '.join(targets)}]"
                about = "; ".join(f"{cat.column(t).label}, {cat.column(t).type}" for t in targets)
                lines.append(f"      {_yaml(theirs)}: {text}  # {about}")
        if spec.values:
            lines.append("    values:")
            for column, table in spec.values.items():
                col = cat.column(column)
                allowed = "true, false" if col.type == "bool" else ", ".join(col.values)
                lines.append(f"      {column}:  # one of: {allowed}")
                for theirs, ours in table.items():
                    target = _yaml(ours) if ours else "null  # fill in"
                    lines.append(f"        {_yaml(theirs)}: {target}")
    return write_text(path, "\n".join(lines) + "\n")


def _yaml(text: str) -> str:
    import json

    plain = re.fullmatch(r"[\w\u4e00-\u9fff][\w\u4e00-\u9fff.\-/ ]*", text) and not re.fullmatch(
        r"(?i)(true|false|yes|no|null|on|off|~|[\d.\-]+)", text
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


__all__ = [
    "ColumnMapping",
    "LayerMapping",
    "attach_labels",
    "propose_mapping",
    "read_column_mapping",
    "write_column_mapping",
]
