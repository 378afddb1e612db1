"""Run each notebook in ``notebooks/`` top to bottom on the bundled sample (nbclient).

A cell that raises fails the test. Notebooks are committed without outputs; the tests also
check that, so the repository stays lean.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 180

pytestmark = pytest.mark.slow


def test_three_notebooks_with_chinese_and_english_titles() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_explore_layers.ipynb",
        "02_coverage_metrics.ipynb",
        "03_report.ipynb",
    ]
    titles = [nbformat.read(p, as_version=4).cells[0].source.splitlines()[0] for p in NOTEBOOKS]
    assert titles == [
        "# 探索图层 · Exploring the layers",
        "# 覆盖率指标 · Coverage metrics and the scorecard",
        "# 报告 · The progress report",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # files the notebook writes go here
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    if path.stem == "03_report":
        report = tmp_path / "台商区进度报告.html"
        html = report.read_text(encoding="utf-8")
        assert "示例数据为示意" in html and "<b>2025-12-31</b>" in html
