"""Messages of the planning database's commands, as a planner reads them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geoplan import StoreError
from geoplan.cli import main
from geoplan.store import Store


def test_a_file_that_is_not_a_database_is_named_as_such(tmp_path):
    bogus = tmp_path / "台账.gpkg"
    bogus.write_text("record_id,task_id\n1,9\n", encoding="utf-8")
    with pytest.raises(StoreError) as info:
        Store(bogus).counts()
    message = str(info.value)
    assert "is not a GeoPackage" in message
    assert str(bogus) in message
    assert "refused the change" not in message  # nothing was being changed
    assert bogus.read_text(encoding="utf-8") == "record_id,task_id\n1,9\n"


def test_db_info_on_a_text_file_is_one_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.gpkg").write_text("hello\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["db", "info", "--url", "notes.gpkg"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "is not a GeoPackage" in lines[0]


def test_unreachable_server_is_one_error_line():
    # nothing listens on port 1 of the loopback: psycopg's message spans two lines
    url = "postgresql+psycopg://postgres@127.0.0.1:1/postgres?connect_timeout=5"
    result = CliRunner().invoke(main, ["db", "info", "--url", url])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: cannot use the database")
    assert "127.0.0.1:1" in lines[0]
