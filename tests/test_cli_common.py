"""The options and input rule the ``geoplan`` commands share, and their bad-input answers."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

import geoplan
from geoplan._errors import PlanWarning
from geoplan.cli import main
from geoplan.cli._common import plan_warnings_to_stderr, resolve_inputs
from geoplan.datasets import SAMPLE_RECORDS, data_path

# a plan whose one task names no responsible unit: the parser warns about it
GBK_PLAN = "泉州台商投资区 测试计划\n一、任务\n1. 测试任务。到2025年完成100%。\n"
DATA_COMMANDS = ("metrics", "map", "report")


def _command(name: str) -> click.Command:
    command = main.get_command(click.Context(main), name)
    assert command is not None
    return command


def _params(command: click.Command) -> dict[str, click.Parameter]:
    return {p.name: p for p in command.params if p.name}


def test_data_commands_share_the_data_options() -> None:
    shared = ("layers_path", "plan_path", "records_path", "as_of")
    first = _params(_command(DATA_COMMANDS[0]))
    for name in DATA_COMMANDS[1:]:
        params = _params(_command(name))
        for key in shared:
            a, b = first[key], params[key]
            assert (a.opts, a.help, a.metavar, a.default) == (b.opts, b.help, b.metavar, b.default)
            assert type(a.type) is type(b.type), (name, key)
            if isinstance(a.type, click.Path):
                assert isinstance(b.type, click.Path)
                assert (a.type.exists, a.type.dir_okay) == (b.type.exists, b.type.dir_okay)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["metrics", "--as-of", "2023/12/31"], "'2023/12/31' is not a date"),
        (["map", "--as-of", "tomorrow"], "'tomorrow' is not a date"),
        (["report", "--as-of", "2023-02-30"], "'2023-02-30' is not a date"),
        (["demo", "--as-of", "1.1.2024"], "'1.1.2024' is not a date"),
        (["db", "dump", "-o", "out", "--as-of", "x"], "'x' is not a date"),
        (["db", "snapshot", "--as-of", "31/12/2023"], "'31/12/2023' is not a date"),
        (["db", "load", "--valid-from", "2023"], "'2023' is not a date"),
        (["metrics", "--layers", "nope.gpkg"], "'nope.gpkg' does not exist"),
        (["map", "--plan", "nope.txt"], "'nope.txt' does not exist"),
        (["report", "--records", "nope.csv"], "'nope.csv' does not exist"),
        (["layers", "check", "--records", "nope.csv"], "'nope.csv' does not exist"),
        (["db", "load", "--layers", "nope"], "'nope' does not exist"),
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path, monkeypatch, args, needle) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())  # nothing written


def test_bad_files_are_one_error_line(tmp_path) -> None:
    bad_records = tmp_path / "records.csv"
    bad_records.write_text("a,b\n1,2\n", encoding="utf-8")
    bad_gpkg = tmp_path / "layers.gpkg"
    bad_gpkg.write_text("not a GeoPackage", encoding="utf-8")
    runner = CliRunner()
    for args in (
        ["metrics", "--records", str(bad_records), "--as-of", "2023-12-31"],
        ["map", "--scorecard", "--records", str(bad_records), "-o", str(tmp_path / "m.html")],
        ["metrics", "--layers", str(bad_gpkg)],
        ["report", "--layers", str(bad_gpkg), "-o", str(tmp_path / "r.html")],
        ["metrics", "--as-of", "2020-01-01"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
        assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers.gpkg", "records.csv"]


@pytest.mark.slow  # the sample scorecard through the CLI
def test_a_user_plan_shows_its_warnings_on_stderr(tmp_path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_bytes(GBK_PLAN.encode("gbk"))
    result = CliRunner().invoke(main, ["layers", "check", "--plan", str(plan)])
    # the sample log's task ids (4, 5, 7 …) are not in a one-task plan: errors, status 1
    assert result.exit_code == 1, result.output
    ids = "[4, 5, 7, 8, 9, 10, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 25, 31]"
    assert f"refer to task ids {ids}" in result.stdout
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warned) == 1 and "1 of 1 tasks name no responsible units" in warned[0]
    # the bundled plan's known gaps stay in the log
    quiet = CliRunner().invoke(main, ["layers", "check"])
    assert quiet.exit_code == 0 and "warning: " not in quiet.stderr


@pytest.mark.slow  # reads the whole sample
def test_resolve_inputs_defaults() -> None:
    sample = resolve_inputs(None, None, None)
    assert sample.sample and sample.plan.meta.doc_number == "泉台管〔2021〕57号"
    assert len(sample.layers["communities"]) == 17
    expected = geoplan.read_records(data_path(SAMPLE_RECORDS))
    pd.testing.assert_frame_equal(sample.records, expected)

    layers = Path(geoplan.__file__).parents[1] / "layers" / "taishang_sample.gpkg"
    mine = resolve_inputs(layers, None, None)
    assert not mine.sample and mine.records is None  # no sample log beside a user's layers
    assert len(mine.layers["farmhouses"]) == 5500

    unread = resolve_inputs(layers, None, data_path(SAMPLE_RECORDS), read=False)
    assert (unread.layers, unread.records) == (layers, data_path(SAMPLE_RECORDS))
    assert unread.plan.meta.doc_number == "泉台管〔2021〕57号"

    only = resolve_inputs(None, None, data_path(SAMPLE_RECORDS), defaults=False)
    assert only.plan is None and only.layers is None and len(only.records) == len(expected)


def test_plan_warnings_to_stderr_passes_other_warnings_on(capsys) -> None:
    with (
        pytest.warns(DeprecationWarning, match="not a plan warning"),
        plan_warnings_to_stderr(),
    ):
        warnings.warn("task 7 has no target", PlanWarning, stacklevel=1)
        warnings.warn("not a plan warning", DeprecationWarning, stacklevel=1)
    assert capsys.readouterr().err == "warning: task 7 has no target\n"


@pytest.mark.slow  # the sample scorecard and map through the CLI
def test_map_scorecard_is_evaluated_as_of(tmp_path, monkeypatch) -> None:
    import geoplan.maps

    seen: dict[str, pd.DataFrame] = {}

    def capture(layers: object, **kwargs: object) -> None:
        seen["card"] = kwargs["scorecard"]  # type: ignore[assignment]
        raise geoplan.MapError("captured")

    monkeypatch.setattr(geoplan.maps, "make_map", capture)
    day = dt.date(2022, 6, 30)
    result = CliRunner().invoke(
        main, ["map", "--scorecard", "--as-of", day.isoformat(), "-o", str(tmp_path / "m.html")]
    )
    assert result.exit_code == 2 and "captured" in result.stderr
    expected = geoplan.scorecard(
        None, geoplan.load_sample(), geoplan.load_sample_records(), as_of=day
    )
    pd.testing.assert_frame_equal(seen["card"], expected)
    assert set(seen["card"]["as_of"].astype(str)) == {"2022-06-30"}
