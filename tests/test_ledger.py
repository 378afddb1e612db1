"""Excel progress ledgers (台账): the template out, filled copies back in, checks, merge."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

import geoplan
from geoplan import RecordsError
from geoplan.cli import main
from geoplan.datasets import load_sample_plan
from geoplan.records import convert_quantity, issues_frame, read_records, write_template
from geoplan.records._merge import check_ledger, merge_ledgers, write_ledger
from geoplan.records._template import LEDGER_HEADERS, units_tasks

HEADERS = [h for h, _, _ in LEDGER_HEADERS]
EVIL = ('=HYPERLINK("http://evil.example/","点击")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)")


@pytest.fixture(scope="module")
def plan():
    return load_sample_plan()


def fill(path, rows, *, sheet="台账", start=2, headers=None):
    """Write ``rows`` (dicts by Chinese header) into a ledger sheet of ``path``."""
    book = openpyxl.load_workbook(path) if path.exists() else openpyxl.Workbook()
    if sheet not in book.sheetnames:
        ws = book.create_sheet(sheet)
        for c, h in enumerate(headers or HEADERS, start=1):
            ws.cell(start - 1, c, h)
    ws = book[sheet]
    heads = [c.value for c in ws[start - 1]]
    for r, row in enumerate(rows, start=start):
        for key, value in row.items():
            cell = ws.cell(r, heads.index(key) + 1, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # typed as text ('=…), as a careless ledger holds it
    book.save(path)
    return path


# ------------------------------------------------------------------------------- template


def test_template_sheets_validation_and_protection(tmp_path, plan):
    path = write_template(plan, tmp_path / "台账.xlsx", rows=50)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["说明", "目标", "台账", "_选项"]
    assert book["_选项"].sheet_state == "hidden"
    targets = book["目标"]
    rows = list(targets.iter_rows(min_row=2, values_only=True))
    # one row per quantity (25 in the register) plus one per target stated in words (15)
    quantified = plan.quantities_frame()
    words = sum(1 for t in plan.tasks for g in t.targets if not g.quantities)
    assert len(rows) == len(quantified) + words
    housing = [r for r in rows if r[0] == "7-1"]
    assert [(r[6], r[7]) for r in housing] == [(10000, "套"), (1000000, "平方米")]
    assert housing[0][4] == dt.datetime(2025, 12, 31)  # a date cell, not text
    assert housing[0][9] == "区规划建设与交通运输局"  # lead unit
    ledger = book["台账"]
    assert [c.value for c in ledger[1]] == HEADERS
    assert ledger.freeze_panes == "A2"
    assert ledger.protection.sheet
    assert ledger["A1"].protection.locked and not ledger["A2"].protection.locked
    assert ledger["F2"].number_format == "yyyy-mm-dd"
    validations = {str(dv.sqref): dv for dv in ledger.data_validations.dataValidation}
    assert validations["A2:A51"].formula1 == "=选项_任务编号"
    assert validations["G2:G51"].formula1 == "=选项_状态"
    assert validations["F2:F51"].type == "date"
    assert validations["H2:H51"].type == "decimal"
    lists = book["_选项"]
    statuses = [lists.cell(r, 3).value for r in range(2, 5)]
    assert statuses == ["已完成", "在建", "计划"]
    units = {lists.cell(r, 4).value for r in range(2, lists.max_row + 1)}
    assert {"套", "平方米", "万平方米", "亿元", "元", "公里", "%"} <= units
    guide = [c.value for c in book["说明"]["A"] if c.value]
    assert any("填写方法" in str(v) for v in guide)
    example = [c.value for c in book["说明"][len(guide) + 2]]  # the example row
    assert example[0] == 4 and example[1] == "4-2" and example[6] == "已完成"


def test_split_gives_each_unit_its_tasks(tmp_path, plan):
    assert units_tasks(plan, "洛阳镇") == [1, 5, 6, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 28, 32]
    assert 19 in units_tasks(plan, "百崎乡") and 19 not in units_tasks(plan, "洛阳镇")
    result = CliRunner().invoke(
        main,
        [
            "records",
            "template",
            "--units",
            "洛阳镇,百崎乡",
            "--split",
            "-o",
            str(tmp_path / "台账.xlsx"),
        ],
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "台账_百崎乡.xlsx")
    tasks = {r[1] for r in book["目标"].iter_rows(min_row=2, values_only=True)}
    assert 19 in tasks and 7 not in tasks  # 7 is the bureau's alone
    assert book["说明"]["A2"].value == "填报单位：百崎乡"
    # the unit fills 填报单位 of rows that leave it empty
    path = fill(
        tmp_path / "台账_百崎乡.xlsx",
        [{"任务编号": 19, "日期": "2024-05-01", "状态": "在建", "数量": 40, "单位": "%"}],
    )
    assert read_records(path)["reporter"].tolist() == ["百崎乡"]


# ----------------------------------------------------------------------------- reading


def messy_workbook(path):
    """A ledger as it comes back: a title row, a merged task column, a total row, two
    sheets, a date cell beside a date typed as text, 1,200 typed as text."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "2023年"
    ws["A1"] = "洛阳镇进度台账（2023年）"
    ws.merge_cells("A1:H1")
    for c, h in enumerate(
        ["任务编号", "目标编号", "项目名称", "日期", "状态", "数量", "单位", "备注"], 1
    ):
        ws.cell(2, c, h)
    rows = [
        (7, "7-1", "安置房一期", dt.date(2023, 3, 1), "已完成", "1,200", "套", ""),
        (None, "7-1", "安置房二期", "2023年6月30日", "在建", 800, "套", ""),
        (None, "7-1", "安置房一期", "2023/3/1", "已完成", "12.5", "万平方米", ""),
        (23, "", "", "2023-12-31", "已完成", "３３６", "亿元", "全年产值"),
        ("合计", None, None, None, None, "=SUM(F3:F6)", None, None),
    ]
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    ws.merge_cells("A3:A5")  # task 7 written once over its three rows
    second = book.create_sheet("2024年")
    for c, h in enumerate(["序号", "任务编号", "日期", "状态", "数量", "单位"], 1):
        second.cell(1, c, h)
    second.append([1, 7, dt.datetime(2024, 2, 1), "竣工", 300, "套"])
    book.save(path)
    return path


def test_messy_workbook_reads_every_row_with_its_place(tmp_path):
    path = messy_workbook(tmp_path / "洛阳镇.xlsx")
    recs = read_records(path)
    assert recs["task_id"].tolist() == [7, 7, 7, 23, 7]  # merged cells fill down
    assert recs["quantity"].tolist() == [1200.0, 800.0, 12.5, 336.0, 300.0]
    assert recs["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-03-01",
        "2023-06-30",
        "2023-03-01",
        "2023-12-31",
        "2024-02-01",
    ]
    assert recs["status"].tolist() == ["completed", "under_construction", "completed"] * 1 + [
        "completed",
        "completed",
    ]
    assert recs["target_index"].tolist()[:3] == [0, 0, 0]
    assert recs["layer"].isna().all()
    assert recs["record_id"].tolist()[0] == "洛阳镇:2023年:3"
    assert recs.attrs["geoplan_locations"]["洛阳镇:2024年:2"] == ("洛阳镇.xlsx", "2024年", 2)
    # the total row is left out, and said so
    assert recs.attrs["geoplan_skipped"] == [
        "洛阳镇.xlsx › 2023年 › 第7行：合计行（合计），不作为记录读取"
    ]
    assert len(read_records(path, sheet="2024年")) == 1


def test_bad_cells_are_named_by_file_sheet_row_and_column(tmp_path, plan):
    path = write_template(plan, tmp_path / "台账.xlsx", rows=20)
    fill(
        path,
        [
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "日期": "2023-05-01",
                "状态": "已完成",
                "数量": 10,
                "单位": "套",
            },
            {"任务编号": 7, "日期": "2023-05-01", "状态": "已完成", "数量": "约十套", "单位": "套"},
            {"目标编号": "", "日期": "2023-05-01", "状态": "已完成", "数量": 3, "单位": "套"},
            {"任务编号": 99, "日期": "2023-05-01", "状态": "已完成", "数量": 3, "单位": "套"},
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "日期": "2023-05-01",
                "状态": "已完成",
                "数量": 5,
                "单位": "公里",
            },
            {"任务编号": 23, "日期": "2019-05-01", "状态": "已完成", "数量": 5, "单位": "亿元"},
            {"任务编号": 23, "日期": "2099-01-01", "状态": "已完成", "数量": 5, "单位": "亿元"},
            {"任务编号": 7, "目标编号": "7-5", "日期": "2023-05-01", "状态": "已完成"},
        ],
    )
    with pytest.raises(RecordsError) as info:
        read_records(path)
    text = str(info.value)
    assert "row 3 column H (数量)" in text and "约十套" in text
    assert "rows with no task" in text and "row 4 column A (任务编号)" in text
    recs = read_records(path, errors="skip")  # the rest is read
    assert len(recs) == 6
    read_issues = issues_frame(recs)
    assert read_issues[["sheet", "row", "column"]].values.tolist() == [
        ["台账", 4, "A (任务编号)"],
        ["台账", 3, "H (数量)"],
    ]
    issues = check_ledger(recs, plan, today=dt.date(2026, 11, 29))
    found = {(i.row, i.column.split(" ")[0], i.level) for i in issues.itertuples()}
    assert (5, "A", "error") in found  # task 99
    assert (6, "I", "error") in found  # 公里 for a 套 target
    assert (7, "F", "warning") in found  # before the plan
    assert (8, "F", "error") in found  # after today, marked done
    assert (9, "B", "error") in found  # task 7 has one target
    by_row = {i.row: i.message for i in issues.itertuples()}
    assert "task 99 is not in the plan (tasks 1–32)" in by_row[5]
    assert "unit '公里' does not convert to the unit of target 7-1 (套、平方米)" in by_row[6]
    assert by_row[6].startswith("`台账.xlsx`, sheet 台账, row 6, column I (单位)")
    result = CliRunner().invoke(main, ["records", "check", str(path)])
    assert result.exit_code == 1
    assert "row 6, column I (单位)" in result.output


def test_csv_ledger_with_chinese_headers(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "任务编号,目标编号,填报单位,日期,状态,数量,单位,X坐标,Y坐标\n"
        "7,7-1,洛阳镇,2023-05-01,已完成,100,套,373000,2763000\n",
        encoding="gb18030",
    )
    recs = read_records(path)
    assert recs["reporter"].tolist() == ["洛阳镇"]
    # X/Y in CGCS2000 GK zone 40 (EPSG:4549) become lon/lat
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(4549, 4326, always_xy=True).transform(373000, 2763000)
    assert recs["lon"].iloc[0] == pytest.approx(lon) and recs["lat"].iloc[0] == pytest.approx(lat)
    assert 118.5 < lon < 118.9


def test_units_convert_or_refuse():
    assert convert_quantity(35000, "平方米", "万平方米") == pytest.approx(3.5)
    assert convert_quantity(3050000, "万元", "亿元") == pytest.approx(305.0)
    assert convert_quantity(2.5, "公里", "米") == pytest.approx(2500.0)
    assert convert_quantity(3, "个", "套") == 3.0
    with pytest.raises(RecordsError, match="'套' cannot be converted to '平方米'"):
        convert_quantity(1, "套", "平方米")
    with pytest.raises(RecordsError, match="'栋' cannot be converted to '套'"):
        convert_quantity(1, "栋", "套")


# -------------------------------------------------------------------------------- merge


def test_merge_reports_duplicates_and_conflicts_and_keeps_the_rest(tmp_path, plan):
    a = fill(
        tmp_path / "洛阳镇.xlsx",
        [
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "项目名称": "安置房一期",
                "日期": "2023-03-01",
                "状态": "在建",
                "数量": 500,
                "单位": "套",
            },
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "项目名称": "安置房二期",
                "日期": "2023-06-01",
                "状态": "已完成",
                "数量": 300,
                "单位": "套",
            },
            {
                "任务编号": 23,
                "项目名称": "产值统计",
                "日期": "2023-12-31",
                "状态": "已完成",
                "数量": 336,
                "单位": "亿元",
            },
        ],
    )
    b = fill(
        tmp_path / "规划建设局.xlsx",
        [
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "项目名称": "安置房一期",
                "日期": "2023-03-01",
                "状态": "在建",
                "数量": 500,
                "单位": "套",
            },
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "项目名称": "安置房二期",
                "日期": "2023-06-01",
                "状态": "已完成",
                "数量": 320,
                "单位": "套",
            },
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "项目名称": "安置房一期",
                "日期": "2023-09-01",
                "状态": "已完成",
                "数量": 500,
                "单位": "套",
            },
            {"任务编号": 7, "日期": "2023-09-01", "状态": "已完成", "数量": "abc", "单位": "套"},
        ],
    )
    result = merge_ledgers([a, b], plan=plan)
    assert result.files == {str(a): 3, str(b): 3}  # b's bad row is not read, and is listed
    assert result.duplicates.values.tolist() == [
        ["规划建设局.xlsx › 台账 › 第2行", "洛阳镇.xlsx › 台账 › 第2行", "规划建设局:台账:2"]
    ]
    assert result.conflicts[["work", "source", "other", "differs"]].values.tolist() == [
        ["安置房二期", "洛阳镇.xlsx › 台账 › 第3行", "规划建设局.xlsx › 台账 › 第3行", "数量"]
    ]
    assert len(result.records) == 3 + 3 - 1
    flagged = result.records.loc[result.records["merge_note"].ne(""), "source"].tolist()
    assert flagged == ["洛阳镇.xlsx › 台账 › 第3行", "规划建设局.xlsx › 台账 › 第3行"]
    assert any(
        r.row == 5 and "values that are not numbers" in r.message
        for r in result.issues.itertuples()
    )
    # written and read back: the merged ledger is a ledger
    out = write_ledger(result, tmp_path / "台账汇总.xlsx")
    back = read_records(out)
    assert len(back) == 5 and set(back["task_id"]) == {7, 23}
    assert openpyxl.load_workbook(out).sheetnames == ["台账汇总", "重复", "冲突", "问题"]
    cli = CliRunner().invoke(
        main, ["records", "merge", str(a), str(b), "-o", str(tmp_path / "汇总.csv")]
    )
    assert cli.exit_code == 0, cli.output
    assert "重复 1 行未写入，冲突 1 处" in cli.output
    assert "conflict: 洛阳镇.xlsx › 台账 › 第3行 and 规划建设局.xlsx › 台账 › 第3行" in cli.output


def test_formula_cells_are_escaped_in_every_file_written(tmp_path, plan):
    a = fill(
        tmp_path / "a.xlsx",
        [
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "项目名称": EVIL[0],
                "日期": "2023-03-01",
                "状态": "在建",
                "数量": 1,
                "单位": "套",
                "备注": EVIL[1],
            },
            {
                "任务编号": 7,
                "目标编号": "7-1",
                "项目名称": EVIL[2],
                "日期": "2023-03-02",
                "状态": "在建",
                "数量": 2,
                "单位": "套",
                "备注": "-1 套",
            },
        ],
    )
    result = merge_ledgers([a], plan=plan)
    xlsx = write_ledger(result, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(xlsx)["台账汇总"]
    heads = [c.value for c in ws[1]]
    names = [ws.cell(r, heads.index("项目名称") + 1) for r in (2, 3)]
    notes = [ws.cell(r, heads.index("备注") + 1) for r in (2, 3)]
    assert [c.value for c in names] == ["'" + EVIL[0], "'" + EVIL[2]]
    assert [c.value for c in notes] == ["'" + EVIL[1], "'-1 套"]
    assert all(c.data_type == "s" for c in names + notes)  # text, never a formula
    out_csv = write_ledger(result, tmp_path / "out.csv")
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["项目名称"] for r in rows] == ["'" + EVIL[0], "'" + EVIL[2]]
    assert rows[0]["备注"] == "'" + EVIL[1]
    assert rows[0]["数量"] == "1.0"  # numbers untouched


def test_scorecard_csv_statuses_in_chinese_and_cells_escaped(tmp_path):
    out = tmp_path / "card.csv"
    result = CliRunner().invoke(main, ["metrics", "--as-of", "2026-11-29", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    pairs = {(r["status"], r["status_code"]) for r in rows}
    assert ("已达标", "met") in pairs and ("无数据", "no_data") in pairs
    assert all(not r["note"].startswith(("=", "+", "@")) for r in rows)


def test_sample_ledger_reads_from_csv_and_gpkg_alike():
    from geoplan.datasets import SAMPLE_LAYERS, data_path

    records = geoplan.load_sample_records()
    ledger = records[records["layer"].isna()]
    assert len(ledger) == 34 and ledger["target_index"].notna().all()
    assert read_records(data_path(SAMPLE_LAYERS)).equals(records)


def test_db_dump_escapes_the_records_csv(tmp_path):
    from geoplan.store import dump, load_records

    recs = read_records(
        fill(
            tmp_path / "l.xlsx",
            [
                {
                    "任务编号": 7,
                    "目标编号": "7-1",
                    "日期": "2023-03-01",
                    "状态": "在建",
                    "数量": 1,
                    "单位": "套",
                    "备注": note,
                }
                for note in EVIL
            ],
        )
    )
    url = tmp_path / "db.gpkg"
    load_records(recs, url=url)  # the GeoPackage store needs no system package
    dump(tmp_path / "out", url=url, as_of="2024-01-01")
    with (tmp_path / "out" / "records.csv").open(encoding="utf-8-sig", newline="") as handle:
        notes = [r["note"] for r in csv.DictReader(handle)]
    assert notes == ["'" + e for e in EVIL]


def test_template_and_suggested_mapping_escape_a_hostile_plan(tmp_path):
    from geoplan.metrics._suggest import mapping_to_csv, suggest_mapping
    from geoplan.plan._model import Plan, PlanMeta, Quantity, Target, Task

    target = Target(2025, dt.date(2025, 12, 31), EVIL[0], [Quantity(5.0, "个", ">=", [])])
    task = Task(1, EVIL[1], "", EVIL[1], [EVIL[2], "区住建局"], [target])
    plan = Plan(PlanMeta("方案", None, None, None, None), [], [], [task])
    book = openpyxl.load_workbook(write_template(plan, tmp_path / "t.xlsx", rows=5))
    row = [c for c in book["目标"][2]]
    assert row[2].value == "'" + EVIL[1] and row[3].value == "'" + EVIL[0]
    assert row[9].value == "'" + EVIL[2]
    assert all(c.data_type != "f" for ws in book.worksheets for r in ws.iter_rows() for c in r)
    text = mapping_to_csv(suggest_mapping(plan), tmp_path / "m.csv")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    assert rows[0]["metric"] == "ledger_amount"
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values() if v)
