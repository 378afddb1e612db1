"""``geoplan plan parse`` end to end, through click's runner and a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from geoplan.cli import main

NO_TARGET_WARNING = (
    "warning: plan file {path}: 7 of 32 tasks have no dated or quantified target: "
    "tasks 3, 6, 26, 27, 29, 30, 32; they are kept with targets=[]"
)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["plan", "parse", *args])
    return result.exit_code, result.stdout, result.stderr


def test_default_is_the_bundled_plan_as_json() -> None:
    code, out, err = _run()
    assert code == 0
    data = json.loads(out)
    assert data["meta"]["doc_number"] == "泉台管〔2021〕57号"
    assert len(data["tasks"]) == 32
    assert data["tasks"][8]["targets"][0]["quantities"][0] == {
        "value": 10.0,
        "unit": "公里",
        "comparator": ">=",
        "qualifiers": [],
    }
    assert "7 of 32 tasks have no dated or quantified target" in err


def test_csv_file_with_bom_opens_as_a_table(plan_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    code, stdout, err = _run(str(plan_path), "--format", "csv", "-o", str(out))
    assert code == 0
    assert stdout == ""
    assert err.splitlines() == [NO_TARGET_WARNING.format(path=plan_path), f"wrote {out}"]
    raw = out.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 25 + 18 + 7  # quantities, targets without one, tasks without targets
    assert {r["task_id"] for r in rows} == {str(n) for n in range(1, 33)}
    task7 = [(r["value"], r["unit"], r["deadline"]) for r in rows if r["task_id"] == "7"]
    assert task7 == [("10000.0", "套", "2025-12-31"), ("1000000.0", "平方米", "2025-12-31")]
    task18 = [r for r in rows if r["task_id"] == "18" and r["value"] == "200.0"]
    assert task18[0]["qualifiers"] == "per_town;per_year;各乡镇;每年"
    assert (task18[0]["year"], task18[0]["deadline"]) == ("", "")


def test_csv_without_bom(plan_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    code, _, _ = _run(str(plan_path), "-f", "csv", "-o", str(out), "--encoding", "utf-8")
    assert code == 0
    assert out.read_bytes().startswith(b"task_id,section,title,")


def test_table_summary(plan_path: Path) -> None:
    code, out, _ = _run(str(plan_path), "-f", "table")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "32 tasks, 9 action sections, 4 safeguard measures, 40 targets"
    assert (
        "  7  建立稳定房地产市场长效机制  [居住条件改善行动]  lead: 区规划建设与交通运输局" in lines
    )
    assert any(line.startswith("       2025-12-31  10000 套, 1000000 平方米") for line in lines)


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    code, out, err = _run(str(png))
    assert (code, out) == (2, "")
    assert (
        err == f"error: plan file {png} is a PNG image, not text; expected the plain text of "
        "an action plan (.txt), or the plan as a Word .docx, a PDF with a text layer or a "
        "web page saved as .html: if it is a scan, run OCR on it or ask for the Word "
        "original\n"
    )
    code, _, err = _run(str(tmp_path / "missing.txt"))
    assert code == 2
    assert err.startswith(f"error: plan file {tmp_path / 'missing.txt'} does not exist")


def test_real_subprocess_gb18030_to_json_file(plan_path: Path, tmp_path: Path) -> None:
    gbk = tmp_path / "plan_gbk.txt"
    gbk.write_bytes(plan_path.read_text(encoding="utf-8").encode("gb18030"))
    out = tmp_path / "register.json"
    done = subprocess.run(
        [sys.executable, "-m", "geoplan", "plan", "parse", str(gbk), "-o", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["tasks"][18]["units"][0] == "百崎乡"
    assert [t["deadline"] for t in data["tasks"][20]["targets"]] == ["2021-12-31", "2023-12-31"]


def test_output_folder_must_exist(tmp_path: Path) -> None:
    target = tmp_path / "no_such_folder" / "register.json"
    code, _, err = _run("-o", str(target))
    assert code == 2
    assert err.splitlines()[-1] == (
        f"error: cannot write {target}: folder {target.parent} does not exist; create it first"
    )


def test_a_read_only_register_is_replaced_only_with_force(tmp_path):
    from click.testing import CliRunner

    from geoplan.cli import main

    out = tmp_path / "register.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o444)
    refused = CliRunner().invoke(main, ["plan", "parse", "-o", str(out)])
    assert refused.exit_code == 2 and "read-only" in refused.output
    assert out.read_text(encoding="utf-8") == "old\n"
    forced = CliRunner().invoke(main, ["plan", "parse", "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8-sig").startswith("task_id,")
