"""The exceptions geoplan raises.

Every error that bad input can cause derives from :class:`GeoplanError`, mixed with the
builtin that describes it best (rasterio style), so ``except ValueError`` keeps working
for callers that do not know geoplan. A message names the input, what is wrong with it,
and how to fix it.
"""

from __future__ import annotations


class GeoplanError(Exception):
    """Root of every error geoplan raises on purpose."""


class PlanParseError(GeoplanError, ValueError):
    """An action-plan document could not be read or holds no plan."""


class PlanWarning(UserWarning):
    """A plan was parsed, but part of it looks incomplete (e.g. a task without units or targets)."""


class CRSError(GeoplanError, ValueError):
    """A layer or raster has no CRS, a wrong one, or CRSs do not match."""


class SchemaError(GeoplanError, ValueError):
    """A layer, a records table or a mapping does not follow its schema."""


class DataReadError(GeoplanError, OSError):
    """A file is missing, truncated, corrupt or in an unreadable encoding."""


class RecordsError(SchemaError):
    """The progress log (task records) refers to unknown tasks or features."""


class MetricError(GeoplanError, ValueError):
    """A metric cannot be computed from the inputs given."""


class MapError(GeoplanError, ValueError):
    """A map cannot be built: unknown basemap, missing key, bad style."""


class OutputError(GeoplanError, OSError):
    """An output file cannot be written where it was asked for."""


class StoreError(GeoplanError, OSError):
    """The planning database cannot be opened, read or written."""


class RasterError(GeoplanError, ValueError):
    """A raster is corrupt, has no CRS, or does not overlap its zones."""


class ReportError(GeoplanError, ValueError):
    """A report cannot be written."""


class MissingDependencyError(GeoplanError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


def missing_dependency(package: str, extra: str, purpose: str) -> MissingDependencyError:
    """Build the error raised when an optional dependency is absent.

    Parameters
    ----------
    package
        The import name that failed, e.g. ``"rasterio"``.
    extra
        The geoplan extra that installs it, e.g. ``"raster"``.
    purpose
        What the caller wanted to do, e.g. ``"read rasters"``.
    """
    return MissingDependencyError(
        f"{package} is needed to {purpose} but is not installed; "
        f'install it with `pip install "geoplan[{extra}]"`'
    )
