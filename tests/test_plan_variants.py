"""Plans written in other styles than 泉台管〔2021〕57号, each checked value by value.

The documents are small plans written for these tests in the styles other bureaus use:
full-width punctuation, 一、 sections with 1、 tasks, （一） sections with （1） tasks,
牵头单位/配合单位 and "XX局牵头" unit clauses, and traditional characters.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geoplan._errors import PlanWarning
from geoplan.plan import Plan, Quantity, Section, parse_plan

D = dt.date

COUNTY = """XX县城乡建设三年行动方案
一、总体目标
到2024年，全县城乡面貌明显改善。
二、城市更新行动
1、推进老旧小区改造。2023年底前，完成老旧小区改造12个以上，惠及居民不少于3000户。（责任单位：县住建局、县财政局，各乡镇人民政府）
2、建设口袋公园。每年新建口袋公园十个，到2025年公园绿地服务半径覆盖率达到百分之九十。（责任单位：县城管局）
三、乡村振兴行动
3、整治农村人居环境。到2024年6月底前，农村生活垃圾收运处置体系全覆盖，农村卫生厕所普及率不低于95%。（责任单位：县农业农村局）
四、保障措施
加强组织领导，落实工作责任。
"""

SPONGE = """关于印发《YY市海绵城市建设实施方案》的通知
各区人民政府：
现将《YY市海绵城市建设实施方案》印发给你们，请认真贯彻执行。
YY市住房和城乡建设局
2022年3月1日
YY市海绵城市建设实施方案
一、主要目标
（一）总体要求
用三年时间，基本建成海绵城市。
二、重点任务
（一）源头减排
（1）建设海绵小区。到2023年，建成海绵小区5至8个。（牵头单位：市住建局；配合单位：市自然资源局、市水利局）
（2）改造排水管网。到2024年底，改造雨污管网不少于20公里，新建雨水调蓄设施不超过2座。(市城管局牵头,各有关部门按职责分工负责)
（二）系统治理
(3) 治理黑臭水体。2025年前，消除城市黑臭水体。（配合单位：市水利局；牵头单位：市生态环境局）
三、保障措施
（一）加强组织领导。成立领导小组。
（二）强化资金保障。多渠道筹措资金。
"""

TRADITIONAL = """ZZ區住房建設行動計劃
一、重點任務
（一）城市更新行動
1.推進綠道建設。到2025年，全區新建綠道12公里以上，建成口袋公園兩個。（責任單位：區住建局、各鄉鎮人民政府）
2.發展建築業。到2026年，建築業總產值達到1.5萬億元，各鄉鎮每年新建農房300棟以上。（牽頭單位：區發改局；配合單位：區財政局）
"""

HOUSING = """一、总体要求
坚持以人民为中心。
二、住房保障行动
区政府将住房保障作为民生目标之一。
1.筹集保障性租赁住房。到2025年，筹集保障性租赁住房
2000套以上，其中新建（含改建）不少于1200套。（区住建局、区财政局负责）
2.加强文物保护。修缮文物建筑（含文物保护单位）。（责任单位：区文旅局）
三、组织保障
加强领导。
区住房和城乡建设局
2023年1月5日印发
"""

RESTARTING = """一、重点任务
（一）道路
1.修路。到2023年，新建道路3公里。（责任单位：交通局）
（二）桥梁
1.修桥。到2024年，新建桥梁2座。（责任单位：交通局）
"""


def _quiet(text: str) -> Plan:
    """Parse a plan that must raise no warning (filterwarnings=error makes one fail)."""
    return parse_plan(text)


def test_county_style_fullwidth_and_numbered_with_dunhao() -> None:
    plan = _quiet(COUNTY)
    assert plan.meta.title == "XX县城乡建设三年行动方案"
    assert (plan.meta.doc_number, plan.meta.issuer, plan.meta.date) == (None, None, None)
    assert plan.sections == [
        Section("action-1", 2, "城市更新行动", "action"),
        Section("action-2", 3, "乡村振兴行动", "action"),
        Section("safeguard-1", 4, "保障措施", "safeguard"),
    ]
    assert [(g.year, g.deadline) for g in plan.goals] == [(2024, D(2024, 12, 31))]

    t1, t2, t3 = plan.tasks
    assert (t1.id, t1.title, t1.section) == (1, "推进老旧小区改造", "城市更新行动")
    assert t1.units == ["县住建局", "县财政局", "各乡镇人民政府"]
    (target,) = t1.targets
    assert (target.year, target.deadline) == (2023, D(2023, 12, 31))
    assert target.text == "2023年底前，完成老旧小区改造12个以上，惠及居民不少于3000户"
    assert target.quantities == [Quantity(12.0, "个", ">=", []), Quantity(3000.0, "户", ">=", [])]

    undated, dated = t2.targets
    # no date of its own: the one year of the overall goal (到2024年) is the plan's window
    assert (undated.year, undated.year_source) == (2024, "window")
    assert undated.text == "每年新建口袋公园十个"
    assert undated.quantities == [Quantity(10.0, "个", None, ["per_year", "每年"])]
    assert (dated.year, dated.quantities) == (2025, [Quantity(90.0, "%", ">=", [])])

    (target,) = t3.targets
    assert target.deadline == D(2024, 6, 30)
    assert target.quantities == [
        Quantity(100.0, "%", ">=", ["全覆盖"]),
        Quantity(95.0, "%", ">=", []),
    ]
    assert t3.section == "乡村振兴行动"


def test_notice_style_with_lead_and_support_units() -> None:
    plan = _quiet(SPONGE)
    meta = plan.meta
    assert meta.title == "YY市海绵城市建设实施方案"
    assert meta.issuer == "YY市住房和城乡建设局"
    assert meta.date == D(2022, 3, 1)
    # 用三年时间 counts from the plan's year (2022): no range, so no year_from
    assert [(g.year, g.deadline, g.year_from) for g in plan.goals] == [
        (2025, D(2025, 12, 31), None)
    ]
    assert plan.goals[0].text == "用三年时间，基本建成海绵城市"
    assert [(s.id, s.title) for s in plan.sections] == [
        ("action-1", "源头减排"),
        ("action-2", "系统治理"),
        ("safeguard-1", "加强组织领导"),
        ("safeguard-2", "强化资金保障"),
    ]

    t1, t2, t3 = plan.tasks
    assert [t.id for t in plan.tasks] == [1, 2, 3]
    assert t1.units == ["市住建局", "市自然资源局", "市水利局"]
    assert t1.targets[0].quantities == [Quantity(5.0, "个", ">=", ["range:5-8"])]
    assert t1.targets[0].deadline == D(2023, 12, 31)

    assert t2.units == ["市城管局", "各有关部门"]
    assert t2.targets[0].deadline == D(2024, 12, 31)
    assert t2.targets[0].quantities == [
        Quantity(20.0, "公里", ">=", []),
        Quantity(2.0, "座", "<=", []),
    ]

    # the lead unit comes first even when the document names it second
    assert t3.units == ["市生态环境局", "市水利局"]
    assert (t3.section, t3.title) == ("系统治理", "治理黑臭水体")
    assert [(t.year, t.deadline, t.quantities) for t in t3.targets] == [(2025, D(2025, 12, 31), [])]


def test_traditional_characters() -> None:
    plan = _quiet(TRADITIONAL)
    assert plan.meta.title == "ZZ區住房建設行動計劃"
    assert plan.sections == [Section("action-1", 1, "城市更新行動", "action")]
    t1, t2 = plan.tasks
    assert (t1.title, t1.section) == ("推進綠道建設", "城市更新行動")
    assert t1.units == ["區住建局", "各鄉鎮人民政府"]
    assert t1.targets[0].deadline == D(2025, 12, 31)
    assert t1.targets[0].quantities == [
        Quantity(12.0, "公里", ">=", []),
        Quantity(2.0, "個", None, []),  # the unit as written, like titles and units
    ]
    assert t2.units == ["區發改局", "區財政局"]
    (target,) = t2.targets
    assert target.year == 2026
    assert target.quantities == [
        Quantity(1.5e12, "元", ">=", []),
        Quantity(300.0, "棟", ">=", ["per_town", "per_year", "各鄉鎮", "每年"]),
    ]


def test_numbering_that_restarts_in_each_section_is_renumbered() -> None:
    with pytest.warns(PlanWarning, match=r"task numbers repeat .* numbered 1-2 in document order"):
        plan = parse_plan(RESTARTING)
    assert [(t.id, t.title, t.section) for t in plan.tasks] == [
        (1, "修路", "道路"),
        (2, "修桥", "桥梁"),
    ]
    assert plan.task(2).targets[0].quantities == [Quantity(2.0, "座", None, [])]


def test_task_without_units_or_targets_is_kept_and_reported() -> None:
    text = (
        "一、重点任务\n1.加强宣传。广泛宣传。\n"
        "2.修路。到2023年，新建道路3公里。（责任单位：交通局）"
    )
    with pytest.warns(PlanWarning) as record:
        plan = parse_plan(text)
    messages = sorted(str(w.message) for w in record)
    assert messages == [
        "plan text: 1 of 2 tasks have no dated or quantified target: tasks 1; "
        "they are kept with targets=[]",
        "plan text: 1 of 2 tasks name no responsible units (no '(责任单位:…)' clause): "
        "tasks 1; they are kept with units=[]",
    ]
    assert (plan.task(1).units, plan.task(1).targets) == ([], [])
    with pytest.warns(PlanWarning, match="1 of 1 tasks have no dated or quantified target"):
        frame = parse_plan("1.宣传。广泛宣传。（责任单位：宣传部）").quantities_frame()
    assert len(frame) == 0
    assert {str(frame[c].dtype) for c in ("task_id", "target_index", "quantity_index")} == {"int64"}
    assert plan.task(2).targets[0].quantities == [Quantity(3.0, "公里", None, [])]


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("到2025年，建成绿道不少于8.5公里", [Quantity(8.5, "公里", ">=", [])]),
        ("到2025年，PM2.5浓度控制在30以内", []),  # no unit: not a quantity
        ("到2025年，能耗下降到100万吨以下", [Quantity(1e6, "吨", "<=", [])]),
        ("到2025年，累计完成投资50亿元", [Quantity(5e9, "元", None, ["cumulative", "累计"])]),
        ("到2025年，各村建设1处公园", [Quantity(1.0, "处", None, ["per_village", "各村"])]),
        ("到2025年，落实“一户一宅”，建成二十五个示范村", [Quantity(25.0, "个", None, [])]),
        ("到2025年，建设第3个片区", []),
        ("到2025年，公共服务设施覆盖率提升至95%", [Quantity(95.0, "%", ">=", [])]),
    ],
)
def test_quantity_phrases(clause: str, expected: list[Quantity]) -> None:
    plan = _quiet(f"1.测试任务。{clause}。（责任单位：测试局）")
    assert plan.task(1).targets[0].quantities == expected


def test_section_names_multiline_tasks_and_responsible_parenthesis() -> None:
    with pytest.warns(
        PlanWarning, match=r"1 of 2 tasks have no dated or quantified target: tasks 2;"
    ):
        plan = parse_plan(HOUSING)
    # 住房保障行动 is an action although it says 保障; 组织保障 is a safeguard measure
    assert plan.sections == [
        Section("action-1", 2, "住房保障行动", "action"),
        Section("safeguard-1", 3, "组织保障", "safeguard"),
    ]
    # a line mentioning 目标 in a section's introduction does not make it the goals
    assert plan.goals == []
    t1, t2 = plan.tasks
    assert t1.units == ["区住建局", "区财政局"]
    (target,) = t1.targets
    # the task runs over two lines; the clause is reported as written, line break included
    assert target.text == "到2025年，筹集保障性租赁住房\n2000套以上，其中新建（含改建）不少于1200套"
    assert target.quantities == [Quantity(2000.0, "套", ">=", []), Quantity(1200.0, "套", ">=", [])]
    # a parenthesis that merely mentions 单位 is body text, not the responsible units
    assert t2.units == ["区文旅局"]
    assert t2.text.endswith("（责任单位：区文旅局）")


def test_a_title_that_is_itself_a_target() -> None:
    plan = _quiet("1.到2025年新建绿道10公里以上。（责任单位：区城管局）")
    task = plan.task(1)
    assert task.title == "到2025年新建绿道10公里以上"
    assert [(t.year, t.text, t.quantities) for t in task.targets] == [
        (2025, "到2025年新建绿道10公里以上", [Quantity(10.0, "公里", ">=", [])])
    ]


def test_big5_file_of_a_traditional_plan(tmp_path: Path) -> None:
    big5 = tmp_path / "plan_big5.txt"
    big5.write_bytes(TRADITIONAL.encode("big5"))
    assert parse_plan(big5) == parse_plan(TRADITIONAL)


def test_a_gap_in_task_numbers_is_reported() -> None:
    text = (
        "1.修路。到2023年,新建道路3公里。(责任单位:交通局)\n"
        "3.修桥。到2024年,新建桥梁2座。(交通局负责)"
    )
    with pytest.warns(PlanWarning, match=r"not consecutive \(a jump before task\(s\) 3\)"):
        plan = parse_plan(text)
    assert [(t.id, t.units) for t in plan.tasks] == [(1, ["交通局"]), (3, ["交通局"])]
