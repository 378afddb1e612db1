"""The terminal scorecard table as a planner reads it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geoplan.cli import main


@pytest.mark.slow  # the sample scorecard through the CLI
def test_metrics_table_formats_numbers_and_statuses_for_the_planner(tmp_path):
    """km and % with one decimal and 千分位, statuses as 已达标/滞后…, as in the report."""
    import json

    runner = CliRunner()
    as_json = runner.invoke(main, ["metrics", "--as-of", "2023-12-31", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    greenway = next(r for r in rows if r["metric"] == "greenway_completed_km")
    share = next(r for r in rows if r["metric"] == "property_management_share")
    table = runner.invoke(main, ["metrics", "--as-of", "2023-12-31"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    km_line = next(line for line in lines if "greenway_completed_km" in line)
    pct_line = next(line for line in lines if "property_management_share" in line)
    assert f"{greenway['value']:.1f} 公里" in km_line  # 6.046 km -> 6.0 公里
    assert f"{greenway['expected']:.1f} 公里" in km_line
    assert {"on_track": "按计划推进", "behind": "滞后"}[greenway["status"]] in km_line
    assert f"{share['value']:.1f}%" in pct_line  # 76.47 % -> 76.5%
    assert "滞后" in pct_line and "behind" not in pct_line
