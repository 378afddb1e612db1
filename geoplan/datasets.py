"""Where the bundled plan and sample layers are, in a checkout and in an installed wheel.

In the repository they live in the top-level ``layers/`` folder; a wheel carries the same
folder inside the package as ``geoplan/_layers`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

from ._errors import DataReadError

_PACKAGE_DIR = Path(__file__).resolve().parent

SAMPLE_PLAN = "plans/taishang_housing_action_plan_2021.txt"
SAMPLE_LAYERS = "taishang_sample.gpkg"
SAMPLE_RECORDS = "taishang_records.csv"


def data_dir() -> Path:
    """Return the folder holding the bundled plan and sample layers."""
    for candidate in (_PACKAGE_DIR / "_layers", _PACKAGE_DIR.parent / "layers"):
        if (candidate / SAMPLE_PLAN).is_file():
            return candidate
    raise DataReadError(
        "geoplan's bundled data is missing: neither geoplan/_layers nor the checkout's "
        "layers/ folder holds the sample plan; reinstall geoplan (`pip install geoplan`)"
    )


def data_path(name: str) -> Path:
    """Return the path of one bundled file, e.g. ``data_path(SAMPLE_PLAN)``."""
    path = data_dir() / name
    if not path.exists():
        raise DataReadError(
            f"bundled file {name!r} is missing from {data_dir()}; in a checkout, "
            "regenerate the sample with `python scripts/make_sample_layers.py`"
        )
    return path
