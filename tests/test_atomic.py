"""Atomic writes: a failure leaves the previous file, a success gives ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from geoplan import GeoplanError
from geoplan._common.atomic import atomic_path, write_text


def test_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "scorecard.csv"
    target.write_text("old content", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scorecard.csv"]


def test_written_file_has_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path / "报告.html", "<p>台商区</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text(encoding="utf-8") == "<p>台商区</p>"


def test_missing_folder_names_the_path_and_the_fix(tmp_path):
    target = tmp_path / "nope" / "map.html"
    expected = r"cannot write the map to .*map\.html.* create it first"
    with pytest.raises(GeoplanError, match=expected):
        write_text(target, "x", what="map")
