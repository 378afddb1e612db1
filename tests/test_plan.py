"""The plan register on the real plan (泉台管〔2021〕57号), value by value, and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest

import geoplan
from geoplan import DataReadError, PlanParseError, SchemaError
from geoplan._errors import PlanWarning
from geoplan.plan import Plan, Quantity, Target, parse_plan

D = dt.date

# The seven tasks of the real plan that promise nothing dated or numbered (read by hand).
NO_TARGET_TASKS = "3, 6, 26, 27, 29, 30, 32"
PLAN_FILE = "taishang_housing_action_plan_2021.txt"


def _parse(source: object) -> Plan:
    """Parse the real plan, expecting exactly its one summary warning."""
    with pytest.warns(
        PlanWarning, match=f"7 of 32 tasks have no dated .*: tasks {NO_TARGET_TASKS};"
    ):
        return parse_plan(source)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _parse(Path(__file__).resolve().parents[1] / "layers" / "plans" / PLAN_FILE)


def _dated(plan: Plan, task_id: int) -> list[tuple[int | None, D | None]]:
    return [(t.year, t.deadline) for t in plan.task(task_id).targets]


def test_meta(plan: Plan) -> None:
    meta = plan.meta
    assert meta.title == "全方位推动台商区住房城乡建设高质量发展超越行动计划"
    assert meta.doc_number == "泉台管〔2021〕57号"
    assert meta.issuer == "泉州台商投资区管理委员会"
    assert meta.date == D(2021, 5, 24)
    assert meta.index_number == "QZ13101-1300-2021-00064"


def test_public_api_is_lazy_exported() -> None:
    assert geoplan.parse_plan is parse_plan
    assert geoplan.Plan is Plan


def test_sections_and_tasks(plan: Plan) -> None:
    actions = [s for s in plan.sections if s.kind == "action"]
    safeguards = [s for s in plan.sections if s.kind == "safeguard"]
    assert [s.number for s in actions] == list(range(1, 10))
    assert actions[0].title == "城市规划设计引领行动"
    assert actions[0].id == "action-1"
    assert actions[8].title == "城市活力提升行动"
    assert [s.title for s in safeguards] == [
        "加强组织领导",
        "完善工作机制",
        "创新投融资模式",
        "严格督导考核",
    ]
    assert [t.id for t in plan.tasks] == list(range(1, 33))
    assert {t.section for t in plan.tasks} == {s.title for s in actions}
    per_section = [sum(t.section == s.title for t in plan.tasks) for s in actions]
    assert per_section == [3, 4, 2, 4, 3, 6, 4, 4, 2]  # counted in the document by hand
    task9 = plan.task(9)
    assert task9.title == "推进城市绿色生态建设"
    assert task9.section == "市政基础设施提质增效行动"
    assert task9.text.startswith("推进城市绿色生态建设。持续推进生态连绵带建设")
    assert task9.text.endswith("各乡镇人民政府)")


def test_units_lead_first_as_written(plan: Plan) -> None:
    assert plan.task(19).units[0] == "百崎乡"
    assert plan.task(9).units == [
        "区环境与国土资源局",
        "城市管理分局",
        "规划建设与交通运输局",
        "区城建公司",
        # "市政公司水务公司" in the source (a 、 missing): two companies
        "市政公司",
        "水务公司",
        "各乡镇人民政府",
    ]
    # 等 joins a named bureau and an unnamed group: two units
    assert plan.task(1).units == [
        "各乡镇党委和人民政府",
        "区环境与国土资源局",
        "规划建设与交通运输局",
        "区直有关单位",
    ]
    assert plan.task(17).units[0] == "各乡镇人民政府"
    assert all(t.units for t in plan.tasks)


def test_goals(plan: Plan) -> None:
    assert [(g.year, g.deadline) for g in plan.goals] == [
        (2025, D(2025, 12, 31)),
        (2030, D(2030, 12, 31)),
        (2035, D(2035, 12, 31)),
    ]
    assert plan.goals[1].text.startswith("到2030年,住房质量和居住品质显著提高")
    assert all(g.quantities == [] for g in plan.goals)


def test_task9_greenway_km(plan: Plan) -> None:
    first = plan.task(9).targets[0]
    assert (first.year, first.deadline) == (2025, D(2025, 12, 31))
    assert first.text == "到2025年全区新建福道10公里以上,全面完成国家园林城市创建工作"
    assert first.quantities == [
        Quantity(10.0, "公里", ">=", []),
        Quantity(100.0, "%", ">=", ["全面完成"]),
    ]
    assert plan.task(9).targets[1].year == 2035


def test_task18_farmhouses(plan: Plan) -> None:
    targets = plan.task(18).targets
    undated = [t for t in targets if t.year is None]
    assert undated[0] == Target(
        None,
        None,
        "各乡镇每年整治既有农房200栋以上",
        [Quantity(200.0, "栋", ">=", ["per_town", "per_year", "各乡镇", "每年"])],
    )
    assert undated[1].quantities == [Quantity(1.0, "个", None, ["per_town", "各镇"])]
    by_2025 = next(t for t in targets if t.year == 2025)
    assert by_2025.deadline == D(2025, 12, 31)
    assert by_2025.quantities == [Quantity(60.0, "%", ">=", [])]
    # 基本完成整治 alone is a qualitative target without a quantity
    by_2030 = next(t for t in targets if t.year == 2030)
    assert by_2030.text.startswith("到2030年,全区既有农房基本完成整治")
    assert by_2030.quantities == []


def test_task4_fit_out_and_property_management(plan: Plan) -> None:
    dated, undated = plan.task(4).targets
    assert (dated.year, dated.deadline) == (2025, D(2025, 12, 31))
    assert dated.quantities == [Quantity(100.0, "%", ">=", [])]
    assert "全装修比例达到100%" in dated.text
    assert (undated.year, undated.deadline) == (None, None)
    assert undated.quantities == [Quantity(90.0, "%", ">=", []), Quantity(5.0, "个", ">=", [])]


def test_multipliers(plan: Plan) -> None:
    (t7,) = plan.task(7).targets
    assert t7.year == 2025
    assert t7.quantities == [
        Quantity(10_000.0, "套", None, []),
        Quantity(1_000_000.0, "平方米", None, []),
    ]
    t23 = plan.task(23).targets[0]
    assert (t23.year, t23.quantities) == (2025, [Quantity(4e10, "元", None, [])])


def test_percentages(plan: Plan) -> None:
    assert plan.task(22).targets[0].quantities == [Quantity(80.0, "%", ">=", [])]
    assert plan.task(22).targets[0].year == 2025
    (t25,) = plan.task(25).targets
    assert (t25.year, t25.quantities) == (2025, [Quantity(98.0, "%", ">=", [])])


def test_deadline_phrases(plan: Plan) -> None:
    assert _dated(plan, 21) == [(2021, D(2021, 12, 31)), (2023, D(2023, 12, 31))]
    assert plan.task(21).targets[0].text.startswith("2021年年底前,基本完成千人以上")
    # "千人以上" describes the water sources, it is not a promised number of people
    assert plan.task(21).targets[0].quantities == []
    assert plan.task(21).targets[1].quantities == [Quantity(100.0, "%", ">=", ["全覆盖"])]
    assert _dated(plan, 16) == [(2022, D(2022, 12, 31)), (2025, D(2025, 12, 31))]
    assert _dated(plan, 13) == [(2021, D(2021, 12, 31)), (2022, D(2022, 12, 31))]
    # a bare year opening a sentence: "2030年,建成区域基本实现生活污水管网全覆盖"
    assert _dated(plan, 8)[1] == (2030, D(2030, 12, 31))
    assert plan.task(8).targets[1].quantities == [Quantity(100.0, "%", ">=", ["全覆盖", "基本"])]
    # "2000年至2010年间建成的小区" in task 5 is not a deadline
    assert _dated(plan, 5) == [(2022, D(2022, 12, 31))]


def test_task17_village_plans_full_coverage(plan: Plan) -> None:
    (t17,) = plan.task(17).targets
    assert t17.text == "2023年底前实现全区村庄规划全覆盖"
    assert (t17.year, t17.deadline) == (2023, D(2023, 12, 31))
    assert t17.quantities == [Quantity(100.0, "%", ">=", ["全覆盖"])]


def test_years_range_counts_from_plan_year(plan: Plan) -> None:
    (t31,) = plan.task(31).targets
    assert (t31.year, t31.deadline, t31.year_from) == (2026, D(2026, 12, 31), 2024)
    assert t31.text.startswith("用3-5年时间形成一批")


def test_quoted_numbers_are_names(plan: Plan) -> None:
    # “两个体系” (task 7) and “四有” (task 14) are names, not quantities
    units = {q.unit for t in plan.tasks for tg in t.targets for q in tg.quantities}
    assert units == {"%", "公里", "栋", "个", "套", "平方米", "元"}
    t14 = [q for tg in plan.task(14).targets for q in tg.quantities]
    assert t14 == [Quantity(100.0, "%", ">=", ["全覆盖"]), Quantity(100.0, "%", ">=", ["全面完成"])]


def test_register_totals(plan: Plan) -> None:
    targets = [tg for t in plan.tasks for tg in t.targets]
    quantities = [q for tg in targets for q in tg.quantities]
    assert len(targets) == 40
    assert sum(tg.year is not None for tg in targets) == 36
    assert len(quantities) == 25
    assert sum(1 for tg in targets if tg.year is None for _ in tg.quantities) == 5


def test_task_lookup_error(plan: Plan) -> None:
    with pytest.raises(SchemaError, match=r"no task 33; task ids run 1-32"):
        plan.task(33)


def test_quantities_frame(plan: Plan) -> None:
    frame = plan.quantities_frame()
    assert len(frame) == 25
    assert str(frame["deadline"].dtype) == "datetime64[ms]"
    row = frame[(frame.task_id == 23)].iloc[0]
    assert (row.value, row.unit, row.year, row.target_index, row.quantity_index) == (
        4e10,
        "元",
        2025,
        0,
        0,
    )
    undated = frame[frame.year.isna()]
    assert sorted(zip(undated.task_id, undated.value, strict=True)) == [
        (4, 5.0),
        (4, 90.0),
        (12, 100.0),
        (18, 1.0),
        (18, 200.0),
    ]
    assert undated.deadline.isna().all()


def test_json_round_trip(plan: Plan, tmp_path: Path) -> None:
    out = tmp_path / "register.json"
    text = plan.to_json(out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data == json.loads(text)
    assert list(data) == ["meta", "goals", "sections", "tasks"]
    assert data["meta"]["date"] == "2021-05-24"
    task17 = data["tasks"][16]
    assert task17["id"] == 17
    assert task17["targets"][0]["deadline"] == "2023-12-31"
    assert task17["targets"][0]["quantities"][0] == {
        "value": 100.0,
        "unit": "%",
        "comparator": ">=",
        "qualifiers": ["全覆盖"],
    }
    assert [p.name for p in tmp_path.iterdir()] == ["register.json"]  # no temp file left
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_csv_has_bom_by_default(plan: Plan, tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    plan.to_csv(out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert raw.decode("utf-8-sig").startswith("task_id,section,title,lead_unit,other_units,")
    # 25 quantities + 18 targets without one + 7 tasks without targets
    assert len(rows) == 25 + 18 + 7
    task23 = [r for r in rows if r["task_id"] == "23"]
    assert [(r["year"], r["deadline"], r["value"], r["unit"]) for r in task23] == [
        ("2025", "2025-12-31", "40000000000.0", "元"),
        ("2035", "2035-12-31", "", ""),
    ]
    assert task23[0]["target_text"] == "到2025年,实现建筑业总产值400亿元"
    assert task23[0]["lead_unit"] == "区规划建设与交通运输局"
    plan.to_csv(out, encoding="utf-8")
    assert out.read_bytes()[:1] == b"t"


def test_str_path_and_text_are_both_accepted(plan: Plan, plan_path: Path) -> None:
    from_str_path = _parse(str(plan_path))
    from_text = _parse(plan_path.read_text(encoding="utf-8"))
    assert from_str_path == plan == from_text


# ------------------------------------------------------------------------- bad input


def test_gb18030_file_is_detected(plan: Plan, plan_path: Path, tmp_path: Path) -> None:
    gbk = tmp_path / "plan_gbk.txt"
    gbk.write_bytes(plan_path.read_text(encoding="utf-8").encode("gb18030"))
    parsed = _parse(gbk)
    assert parsed.tasks == plan.tasks
    assert parsed.meta == plan.meta


def test_utf16_with_bom(plan: Plan, plan_path: Path, tmp_path: Path) -> None:
    utf16 = tmp_path / "plan_utf16.txt"
    utf16.write_bytes(plan_path.read_text(encoding="utf-8").encode("utf-16"))
    assert utf16.read_bytes()[:2] == b"\xff\xfe"
    assert _parse(utf16).tasks == plan.tasks


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(plan: Plan, plan_path: Path, tmp_path: Path, encoding: str) -> None:
    # Windows "Unicode" text saved by some tools without the byte-order mark
    utf16 = tmp_path / "plan_utf16_nobom.txt"
    utf16.write_bytes(plan_path.read_text(encoding="utf-8").encode(encoding))
    assert utf16.read_bytes()[:2] not in (b"\xff\xfe", b"\xfe\xff")
    assert _parse(utf16).tasks == plan.tasks


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(DataReadError, match=r"plan file .*nope\.txt does not exist"):
        parse_plan(missing)
    with pytest.raises(DataReadError, match=r"nope\.txt does not exist"):
        parse_plan(str(missing))


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n")
    with pytest.raises(PlanParseError, match=r"empty\.txt is empty; expected the plain text"):
        parse_plan(empty)


def test_binary_png(tmp_path: Path) -> None:
    png = tmp_path / "scan.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(PlanParseError, match=r"scan\.txt is a PNG image, not text"):
        parse_plan(png)


def test_binary_without_magic(tmp_path: Path) -> None:
    blob = tmp_path / "blob.dat"
    blob.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(PlanParseError, match=r"blob\.dat holds NUL bytes.*save the plan as UTF-8"):
        parse_plan(blob)
    random_bytes = tmp_path / "random.txt"
    random_bytes.write_bytes(b"\x00" + bytes((i * 7919 + 13) % 256 for i in range(4095)))
    with pytest.raises(PlanParseError, match=r"random\.txt holds NUL bytes"):
        parse_plan(random_bytes)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("This is an English memo.\nNothing to plan here.", "This is an English memo."),
        ("今天天气很好,我们去公园散步。\n晚上吃饭。", "今天天气很好,我们去公园散步。"),
    ],
)
def test_not_a_plan(text: str, first: str) -> None:
    with pytest.raises(PlanParseError, match="holds no numbered tasks") as info:
        parse_plan(text)
    assert "found 2 lines of text" in str(info.value)
    assert repr(first[:40]) in str(info.value)


def test_truncated_plan_is_parsed_as_far_as_it_goes(plan_path: Path, tmp_path: Path) -> None:
    text = plan_path.read_text(encoding="utf-8")
    cut = text.index("各乡镇每年整治既有农房200栋") + len("各乡镇每年整治既有农房")
    short = tmp_path / "cut.txt"
    short.write_text(text[:cut], encoding="utf-8")
    with pytest.warns(PlanWarning) as record:
        parsed = parse_plan(short)
    messages = [str(w.message) for w in record]
    assert any("ends mid-sentence in task 18" in m for m in messages)
    assert any("1 of 18 tasks name no responsible units" in m for m in messages)
    assert any("units (no '(责任单位:…)' clause): tasks 18;" in m for m in messages)
    assert len(parsed.tasks) == 18
    assert parsed.task(18).units == []
    assert parsed.task(18).text.endswith("各乡镇每年整治既有农房")
    assert parsed.task(17).targets[0].deadline == D(2023, 12, 31)


def test_task14_date_runs_on_past_the_semicolon(plan: Plan) -> None:
    # "到2025年,建立全区保护名录和体系,…实现监管体系全覆盖;文物“四有”全面完成,新增一批…。"
    # the ； separates two commitments under the same 到2025年
    t = plan.task(14).targets
    assert [(x.year, x.deadline) for x in t] == [
        (2025, dt.date(2025, 12, 31)),
        (2025, dt.date(2025, 12, 31)),
        (2035, dt.date(2035, 12, 31)),
    ]
    assert t[1].text == "文物“四有”全面完成,新增一批省级和市级文物保护单位"
    assert t[1].quantities == [Quantity(100.0, "%", ">=", ["全面完成"])]


def test_semicolon_clause_with_its_own_date_or_after_a_full_stop_is_not_carried() -> None:
    text = (
        "XX行动方案\n一、城市更新行动\n"
        "1.推进更新。到2024年,完成改造10个以上;2026年底前,新建公园5个;"
        "覆盖率达到90%以上。绿化率达到40%以上。(责任单位:区住建局)\n"
    )
    t = parse_plan(text).task(1).targets
    assert [(x.year, x.quantities[0].value) for x in t] == [
        (2024, 10.0),
        (2026, 5.0),
        (2026, 90.0),  # after the ；: still 2026年底前
        (None, 40.0),  # a new sentence: undated
    ]
