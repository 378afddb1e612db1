"""Compact geometry encoding for the map page.

A layer's geometries become three base64 strings of unsigned LEB128 varints:

``coords``
    lon/lat quantised to integer multiples of ``quantum`` degrees, minus the layer's
    ``origin``, delta-encoded along the whole stream and zigzag-mapped to unsigned
    integers (x and y interleaved).
``rings``
    vertices per ring (polygon rings without their closing vertex, line parts, or 1 per
    point).
``features``
    rings per feature.

Neighbouring vertices of small buildings differ by a few quanta, so most deltas fit in
one byte: a 10 m × 15 m footprint costs about 14 bytes before base64. ``geoplan.js``
decodes the same layout. Everything is vectorised with numpy and shapely 2.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import GeometryType

#: Metres per degree of latitude (and of longitude at the equator) on the WGS84 sphere
#: used to turn metre tolerances into degrees. Longitude degrees are shorter by cos(lat),
#: so a tolerance converted with this value is conservative in both directions.
METRES_PER_DEGREE = 111_320.0

#: Default precision of the encoded coordinates, in metres (half a pixel at zoom 18).
DEFAULT_PRECISION_M = 0.5

#: Default simplification tolerance, in metres: below half a pixel at zoom 17
#: (1 px ≈ 1.08 m at 25°N), so simplification is invisible there.
DEFAULT_SIMPLIFY_M = 0.5

_POLYGONAL = {GeometryType.POLYGON, GeometryType.MULTIPOLYGON}
_LINEAR = {GeometryType.LINESTRING, GeometryType.MULTILINESTRING}
_PUNTAL = {GeometryType.POINT, GeometryType.MULTIPOINT}


@dataclass(frozen=True)
class EncodedGeometry:
    """The encoded geometries of one layer, as written into the page."""

    geom: str  #: ``"polygon"``, ``"line"`` or ``"point"``
    quantum: float  #: degrees per integer step
    origin: tuple[int, int]  #: integer lon/lat offset of the layer
    coords: str
    rings: str
    features: str
    n_features: int
    n_vertices: int

    def to_json(self) -> dict[str, object]:
        """Return the fields ``geoplan.js`` reads."""
        return {
            "geom": self.geom,
            "quantum": self.quantum,
            "origin": list(self.origin),
            "coords": self.coords,
            "rings": self.rings,
            "features": self.features,
        }


def geometry_family(geoms: np.ndarray) -> str:
    """Return ``"polygon"``, ``"line"`` or ``"point"`` for an array of one family.

    Raises
    ------
    ValueError
        When the array mixes families (e.g. points and polygons) or holds collections.
    """
    types = {GeometryType(int(t)) for t in np.unique(shapely.get_type_id(geoms))}
    for family, members in (("polygon", _POLYGONAL), ("line", _LINEAR), ("point", _PUNTAL)):
        if types <= members:
            return family
    names = sorted(t.name for t in types)
    raise ValueError(
        f"geometry types {names} cannot share one map layer; split the layer by geometry type"
    )


def simplify(geoms: np.ndarray, tolerance_m: float, *, coverage: bool = False) -> np.ndarray:
    """Simplify polygons or lines by ``tolerance_m`` metres, keeping topology.

    ``coverage=True`` uses :func:`shapely.coverage_simplify`, which keeps the borders that
    neighbouring polygons share identical (no slivers or gaps between villages); otherwise
    each geometry is simplified on its own with ``preserve_topology=True``.
    """
    if tolerance_m <= 0 or len(geoms) == 0:
        return geoms
    tol = tolerance_m / METRES_PER_DEGREE
    if coverage:
        return np.asarray(shapely.coverage_simplify(geoms, tol, simplify_boundary=True))
    # A ring of 4 corners or a 2-point line has nothing to drop: skip them, which spares
    # most of the time on building footprints.
    n_min = np.where(shapely.get_type_id(geoms) >= 3, 6, 3)
    busy = shapely.get_num_coordinates(geoms) >= n_min
    out = np.array(geoms, dtype=object, copy=True)
    if busy.any():
        out[busy] = shapely.simplify(geoms[busy], tol, preserve_topology=True)
    return out


def encode_geometries(
    geoms: np.ndarray, *, precision_m: float = DEFAULT_PRECISION_M
) -> EncodedGeometry:
    """Encode non-empty lon/lat geometries of one family (see the module docstring).

    Parameters
    ----------
    geoms
        Array of shapely geometries in EPSG:4326, none of them empty or missing.
    precision_m
        Quantisation step in metres; the coordinates in the page are exact to half of it.
    """
    family = geometry_family(geoms)
    quantum = precision_m / METRES_PER_DEGREE
    if family == "point":
        parts = shapely.get_parts(geoms, return_index=True)
        coords = shapely.get_coordinates(parts[0])
        rings_per_feature = np.bincount(parts[1], minlength=len(geoms))
        ring_len = np.ones(len(coords), dtype=np.int64)
    else:
        gtype, coords, offsets = shapely.to_ragged_array(geoms)
        ring_off = offsets[0]
        if family == "polygon":
            if gtype == GeometryType.POLYGON:
                rings_per_feature = np.diff(offsets[1])
            else:
                part_off, geom_off = offsets[1], offsets[2]
                rings_per_feature = np.diff(part_off[geom_off])
        else:
            rings_per_feature = (
                np.ones(len(geoms), dtype=np.int64)
                if gtype == GeometryType.LINESTRING
                else np.diff(offsets[1])
            )
        coords, ring_len = _drop_redundant_vertices(
            coords, ring_off, closed=family == "polygon", quantum=quantum
        )
    q = np.round(coords / quantum).astype(np.int64)
    origin = q.min(axis=0) if len(q) else np.zeros(2, dtype=np.int64)
    q -= origin
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    zig = np.where(deltas < 0, -2 * deltas - 1, 2 * deltas)
    return EncodedGeometry(
        geom=family,
        quantum=quantum,
        origin=(int(origin[0]), int(origin[1])),
        coords=b64_varints(zig),
        rings=b64_varints(ring_len),
        features=b64_varints(rings_per_feature),
        n_features=len(geoms),
        n_vertices=len(q),
    )


def _drop_redundant_vertices(
    coords: np.ndarray, ring_off: np.ndarray, *, closed: bool, quantum: float
) -> tuple[np.ndarray, np.ndarray]:
    """Drop closing vertices of rings and vertices equal to their predecessor once quantised."""
    n = len(coords)
    starts = ring_off[:-1]
    keep = np.ones(n, dtype=bool)
    if closed:
        keep[ring_off[1:] - 1] = False
    q = np.round(coords / quantum)
    same = np.zeros(n, dtype=bool)
    same[1:] = np.all(q[1:] == q[:-1], axis=1)
    same[starts] = False
    keep &= ~same
    ring_id = np.repeat(np.arange(len(starts)), np.diff(ring_off))
    ring_len = np.bincount(ring_id[keep], minlength=len(starts))
    return coords[keep], ring_len


def b64_varints(values: np.ndarray) -> str:
    """Base64 of unsigned LEB128 varints (7 bits per byte, high bit = more bytes follow)."""
    v = np.asarray(values, dtype=np.uint64)
    if v.size == 0:
        return ""
    nbytes = np.ones(v.size, dtype=np.int64)
    for k in range(1, 10):
        nbytes += v >= np.uint64(1 << (7 * k))
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        sel = nbytes > k
        chunk = (v[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (nbytes[sel] - 1 > k).astype(np.uint64) << np.uint64(7)
        out[starts[sel] + k] = (chunk | more).astype(np.uint8)
    return base64.b64encode(out.tobytes()).decode("ascii")


def decode_geometries(enc: EncodedGeometry) -> np.ndarray:
    """Decode to shapely geometries as the page draws them (a mirror of ``geoplan.js``).

    Polygons come back as MultiLineStrings of their closed rings, lines as
    MultiLineStrings and points as MultiPoints, in lon/lat. Tests and
    ``scripts/bench_map.py`` compare them with the input to measure what a reader sees.
    """
    zig = _unvarint(enc.coords).reshape(-1, 2)
    deltas = np.where(zig % 2 == 1, -(zig + 1) // 2, zig // 2)
    xy = (np.cumsum(deltas, axis=0) + np.asarray(enc.origin)) * enc.quantum
    ring_len = _unvarint(enc.rings)
    geom_off = np.concatenate([[0], np.cumsum(_unvarint(enc.features))])
    if enc.geom == "point" and not enc.features and len(xy):
        # a page layer of single points leaves out its counts (all 1; see make_map)
        geom_off = np.arange(len(xy) + 1)
    if enc.geom == "point":
        return shapely.from_ragged_array(GeometryType.MULTIPOINT, xy, (geom_off,))
    ring_off = np.concatenate([[0], np.cumsum(ring_len)])
    if enc.geom == "polygon":
        # repeat each ring's first vertex at its end to close it again
        closing = ring_off[:-1]
        insert_at = ring_off[1:]
        xy = np.insert(xy, insert_at, xy[closing], axis=0)
        ring_off = ring_off + np.arange(len(ring_off))
    return shapely.from_ragged_array(GeometryType.MULTILINESTRING, xy, (ring_off, geom_off))


def _unvarint(b64: str) -> np.ndarray:
    data = np.frombuffer(base64.b64decode(b64), dtype=np.uint8).astype(np.int64)
    if data.size == 0:
        return np.zeros(0, dtype=np.int64)
    last = (data & 0x80) == 0
    value_id = np.concatenate([[0], np.cumsum(last)[:-1]])
    first = np.concatenate([[True], last[:-1]])
    pos = np.arange(data.size) - np.maximum.accumulate(np.where(first, np.arange(data.size), 0))
    return np.bincount(value_id, weights=(data & 0x7F) * (128.0**pos)).astype(np.int64)
