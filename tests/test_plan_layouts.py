"""The layouts, units, dates and quantities of real action plans, on plans written here.

Each document is a short plan written for these tests in the style of plans that district
and city offices publish: task headings followed by a （责任单位：…） line, 行动/任务
numbering, a prose body whose tasks stand in an annex table (TAB rows from a Word file, or
one cell per line from a web page), duty lists and procedure steps, text copied from a PDF
or a web page with invisible characters and hard line breaks. Every expected value was
read off the document by hand.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest

from geoplan._errors import PlanParseError, PlanWarning
from geoplan.plan import Plan, Quantity, Section, parse_plan

D = dt.date


def _parse(text: str, *expected: str) -> Plan:
    """Parse ``text``; every warning must match one pattern and every pattern must be met."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = parse_plan(text)
    messages = [str(w.message) for w in caught]
    for w in caught:
        assert issubclass(w.category, PlanWarning), messages
    for message in messages:
        assert any(re.search(p, message) for p in expected), f"unexpected warning: {message}"
    for pattern in expected:
        assert any(re.search(pattern, m) for m in messages), f"no warning {pattern!r}"
    return plan


def _targets(plan: Plan, task_id: int) -> list[tuple]:
    return [
        (t.year, t.deadline, t.year_source, [(q.value, q.unit, q.comparator) for q in t.quantities])
        for t in plan.task(task_id).targets
    ]


# ------------------------------------------------------------------ task headings

HEADINGS = """关于印发《甲区绿色建筑发展行动方案》的通知
各街道办事处，区政府各部门：
现将《甲区绿色建筑发展行动方案》印发给你们，请认真执行。
甲区发展和改革委员会
2024年4月8日
甲区绿色建筑发展行动方案
为推动绿色建筑发展，制定本方案。到2025年，绿色建筑占新建建筑比例明显提高。到2030年前，基本建成绿色低碳示范区。
一、主要任务
（一）推进既有建筑节能改造
结合城市更新，开展既有公共建筑节能改造，新建建筑屋顶光伏面积比例不低于50%。
（责任单位：区建管委、区发展改革委，各街道办事处）
（二）强化资金保障
统筹专项资金支持节能改造项目。到2026年，公共机构屋顶光伏应装尽装。
（责任单位：区财政局）
（三）规范项目管理
落实建设管理规定。
（责任单位：区建管委、区规划资源局、区城管执法局）
二、保障措施
区发展改革委统筹推进，各部门形成合力。
（责任单位：区发展改革委、各相关部门）
"""


def test_section_headings_with_a_units_line_are_the_tasks() -> None:
    plan = _parse(
        HEADINGS,
        r"2 of 3 tasks have no dated or quantified target: tasks 1, 3|"
        r"1 of 3 tasks have no dated",
    )
    assert [(t.id, t.title, t.section) for t in plan.tasks] == [
        (1, "推进既有建筑节能改造", "主要任务"),
        (2, "强化资金保障", "主要任务"),  # 保障 under 主要任务 is a task, not a safeguard
        (3, "规范项目管理", "主要任务"),
    ]
    assert plan.task(1).units == ["区建管委", "区发展改革委", "各街道办事处"]
    assert plan.task(3).units == ["区建管委", "区规划资源局", "区城管执法局"]
    # the undated percentage: the title has no year, so the target stays undated
    assert _targets(plan, 1) == [(None, None, None, [(50.0, "%", ">=")])]
    assert _targets(plan, 2) == [(2026, D(2026, 12, 31), "text", [])]
    # 保障措施 ends with a units line too, but it is a safeguard, not a task
    assert plan.sections == [
        Section("action-1", 1, "主要任务", "action"),
        Section("safeguard-1", 2, "保障措施", "safeguard"),
    ]
    # no goals section: the preamble's dated sentences are the goals
    assert [(g.year, g.deadline, g.year_source) for g in plan.goals] == [
        (2025, D(2025, 12, 31), "text"),
        (2030, D(2030, 12, 31), "text"),
    ]
    assert plan.meta.date == D(2024, 4, 8)
    assert plan.meta.doc_number is None  # the notice has no number line


# ------------------------------------------------------------------ 行动 / 任务

ACTIONS = """乙市城市更新三年行动计划
一、工作目标
到2025年，完成城中村改造30个左右。
二、主要任务
行动1：老旧小区改造行动
——任务1：推进老旧小区改造。到2024年底，改造老旧小区约120个，惠及居民2万户。（牵头单位：市住建局，配合单位：市财政局、各区、县级市）
——任务2：加装电梯。到2025年，新增加装电梯50部以上和宣传活动50场次。
、落实“四个到位”要求，推广“15分钟”生活圈。（市市场监管局、市住建局牵头，各区政府配合）
行动2：完整社区建设行动
——任务1：建设完整社区。到2025年，建成完整社区10到15个，每个街道至少1个。（责任单位：各乡镇党委和人民政府，支撑单位：市民政局）
三、保障措施
（一）加强组织领导。成立工作专班。
"""


def test_actions_with_dash_tasks_role_labels_and_quantities() -> None:
    plan = _parse(ACTIONS, r"task numbers repeat .* numbered 1-3 in document order")
    assert [(t.id, t.title, t.section) for t in plan.tasks] == [
        (1, "推进老旧小区改造", "老旧小区改造行动"),
        (2, "加装电梯", "老旧小区改造行动"),
        (3, "建设完整社区", "完整社区建设行动"),
    ]
    # 牵头 first; labels separated by a full-width comma; 各区、县级市 is one tier
    assert plan.task(1).units == ["市住建局", "市财政局", "各区、县级市"]
    assert plan.task(2).units == ["市市场监管局", "市住建局", "各区政府"]
    assert plan.task(3).units == ["各乡镇党委和人民政府", "市民政局"]
    assert _targets(plan, 1) == [
        (2024, D(2024, 12, 31), "text", [(120.0, "个", "~"), (20000.0, "户", None)])
    ]
    # two quantities in one clause; the line opening with a stray 、 is the task's text
    # and its slogans (四个到位, “15分钟”) are not quantities
    assert _targets(plan, 2) == [
        (2025, D(2025, 12, 31), "text", [(50.0, "部", ">="), (50.0, "场次", None)])
    ]
    assert "四个到位" in plan.task(2).text
    (target,) = plan.task(3).targets
    assert target.quantities == [
        Quantity(10.0, "个", ">=", ["range:10-15"]),
        Quantity(1.0, "个", ">=", ["per_entity", "每个街道"]),
    ]
    assert [(g.year, [(q.value, q.comparator) for q in g.quantities]) for g in plan.goals] == [
        (2025, [(30.0, "~")])
    ]
    assert [s.title for s in plan.sections] == [
        "老旧小区改造行动",
        "完整社区建设行动",
        "加强组织领导",
    ]


# ------------------------------------------------------------------ annex task tables

ANNEX_TABS = """关于印发《丙县人居环境整治三年行动方案（2023—2025年）》的通知
丙县人民政府
2023年2月1日
丙县人居环境整治三年行动方案（2023—2025年）
一、主要目标
到2025年，全县农村人居环境明显改善。
二、重点任务
到2025年，一是推进厕所革命，二是治理生活污水。具体任务见附件。
附件：重点任务分解表
序号\t重点任务\t牵头单位\t配合单位\t完成时限
一、厕所革命\t\t\t\t
1\t改造农村户厕1200户。\t县农业农村局\t各乡镇\t2024年底前
2\t新建公厕约30座。\t县农业农村局\t各乡镇\t2025年
二、污水治理\t\t\t\t
3\t完成生活污水治理村庄50个以上。\t县生态环境局\t县住建局、各乡镇\t长期坚持
4\t建立运维机制。建成监管平台。\t县生态环境局\t县财政局\t2024年6月
"""


def test_annex_table_as_tab_separated_rows() -> None:
    plan = _parse(ANNEX_TABS)
    assert [(t.id, t.title, t.section) for t in plan.tasks] == [
        (1, "改造农村户厕1200户", "厕所革命"),
        (2, "新建公厕约30座", "厕所革命"),
        (3, "完成生活污水治理村庄50个以上", "污水治理"),
        (4, "建立运维机制", "污水治理"),
    ]
    assert plan.task(3).units == ["县生态环境局", "县住建局", "各乡镇"]  # 牵头 then 配合
    assert _targets(plan, 1) == [(2024, D(2024, 12, 31), "text", [(1200.0, "户", None)])]
    assert _targets(plan, 2) == [(2025, D(2025, 12, 31), "text", [(30.0, "座", "~")])]
    # 长期坚持 is no date: the quantified row takes the title's window
    assert _targets(plan, 3) == [(2025, D(2025, 12, 31), "title", [(50.0, "个", ">=")])]
    # an unquantified row is dated by its deadline cell (the month's last day)
    assert _targets(plan, 4) == [(2024, D(2024, 6, 30), "text", [])]
    assert plan.sections == [
        Section("action-1", 1, "厕所革命", "action"),
        Section("action-2", 2, "污水治理", "action"),
    ]
    # the prose of 重点任务 is not a task; 主要目标 is the goal
    assert [(g.year, g.text) for g in plan.goals] == [(2025, "到2025年，全县农村人居环境明显改善")]


ANNEX_LINES = """丁区城市更新行动计划（2024-2026年）
为推进城市更新，制定本计划。
一、重点任务
聚焦老旧小区和社区设施，开展两大行动。
附件
丁区城市更新重点任务清单
任务类型
序号
工作任务
推进单位
行动一：住房改善行动
旧区改造
1
改造老旧小区约40个，
惠及居民1万户。
区住建局、各街道
2
加装电梯200台。
3
改造公房2栋，完成“美丽家园”示范小区3个。
行动二：设施完善行动
社区服务
4
新建社区食堂12个。
区民政局、区市场监管局
5
改造菜市场3个，每个街道至少1个。
"""


def test_annex_table_flattened_to_one_cell_per_line() -> None:
    plan = _parse(ANNEX_LINES)
    assert [(t.id, t.title, t.section) for t in plan.tasks] == [
        (1, "改造老旧小区约40个，惠及居民1万户", "行动一：住房改善行动"),
        (2, "加装电梯200台", "行动一：住房改善行动"),
        (3, "改造公房2栋，完成“美丽家园”示范小区3个", "行动一：住房改善行动"),
        (4, "新建社区食堂12个", "行动二：设施完善行动"),
        (5, "改造菜市场3个，每个街道至少1个", "行动二：设施完善行动"),
    ]
    # a merged unit cell is written once: the rows under it take it
    assert [t.units for t in plan.tasks] == [
        ["区住建局", "各街道"],
        ["区住建局", "各街道"],
        ["区住建局", "各街道"],
        ["区民政局", "区市场监管局"],
        ["区民政局", "区市场监管局"],
    ]
    # table rows carry no date: the title's window (2024-2026年) dates the quantities
    assert _targets(plan, 1) == [
        (2026, D(2026, 12, 31), "title", [(40.0, "个", "~")]),
        (2026, D(2026, 12, 31), "title", [(10000.0, "户", None)]),
    ]
    quantities = [q for t in plan.task(5).targets for q in t.quantities]
    assert quantities == [
        Quantity(3.0, "个", None, []),
        Quantity(1.0, "个", ">=", ["per_entity", "每个街道"]),
    ]
    assert plan.goals == []


def test_body_tasks_with_units_win_over_a_restating_table() -> None:
    text = (
        "一、重点任务\n1.修路。到2025年新建道路5公里。（责任单位：区交通委）\n"
        "附件：任务分解表\n序号\t任务\t责任单位\n1\t修路\t区交通委\n"
    )
    plan = _parse(text, r"task table of 1 rows was not read as tasks")
    assert [(t.id, t.units) for t in plan.tasks] == [(1, ["区交通委"])]


# ------------------------------------------------------------------ structure

STRUCTURE = """戊区住房保障工作实施方案
一、工作目标
（一）总体目标
到2025年，住房保障体系基本完善。
二、重点任务
（一）保障性住房
1.筹集保障性租赁住房。到2025年筹集2000套。（责任单位：区住建局）
2.发放租赁补贴。每年发放补贴约500户。（责任单位：区民政局）
（二）公租房管理
1.完善公租房分配。（责任单位：区住建局）
（三）住房公积金
加大公积金支持力度，到2025年缴存人数达到10万人。
（四）城中村改造
1.推进城中村改造。到2026年完成改造5个。（责任单位：区住建局、各街道）
1）摸底调查。2）编制方案。
三、职责分工
区住建局：负责统筹协调和项目推进。
区财政局负责资金保障。
四、审批流程
1.立项阶段。街道提出申请。
2.审批阶段。区住建局审核。
五、保障措施
（一）加强组织领导。
"""


def test_restarting_numbers_subsections_steps_and_duties() -> None:
    plan = _parse(
        STRUCTURE,
        r"1 section heading\(s\) without numbered tasks .* kept as tasks: '住房公积金'",
        r"the tasks mix numbered items and task headings; they are numbered 1-5",
        r"2 of 5 tasks have no dated or quantified target: tasks 3|"
        r"1 of 5 tasks have no dated or quantified target: tasks 3",
        r"1 of 5 tasks name no responsible units .*: tasks 4;",
        r"not read as tasks: 2 under '审批流程'",
    )
    assert [(t.id, t.title, t.section) for t in plan.tasks] == [
        (1, "筹集保障性租赁住房", "保障性住房"),
        (2, "发放租赁补贴", "保障性住房"),
        (3, "完善公租房分配", "公租房管理"),
        (4, "住房公积金", "重点任务"),  # an unnumbered subsection is kept, not dropped
        (5, "推进城中村改造", "城中村改造"),
    ]
    # undated: the one year of the goal (到2025年) is the plan's window
    assert _targets(plan, 2) == [(2025, D(2025, 12, 31), "window", [(500.0, "户", "~")])]
    assert _targets(plan, 4) == [(2025, D(2025, 12, 31), "text", [(100000.0, "人", ">=")])]
    # the 1）2） steps under task 5 are its text, not tasks
    assert plan.task(5).text.endswith("1）摸底调查。2）编制方案。")
    # 审批流程 steps are not tasks; 职责分工 paragraphs are the units' duties
    assert plan.unit_duties == {
        "区住建局": "负责统筹协调和项目推进。",
        "区财政局": "负责资金保障。",
    }
    assert plan.to_dict()["unit_duties"]["区财政局"] == "负责资金保障。"
    # an L2 总体目标 under 工作目标 is read as the goal
    assert [(g.year, g.year_source) for g in plan.goals] == [(2025, "text")]


def test_numbered_items_of_a_safeguard_section_are_not_tasks() -> None:
    text = (
        "一、重点任务\n1.修路。到2025年新建道路5公里。（责任单位：区交通委）\n"
        "二、保障措施\n1.加强组织领导。成立领导小组。\n2.强化资金保障。\n"
    )
    plan = _parse(text, r"measures or steps, not tasks, were not read as tasks: 2 under '保障措施'")
    assert [t.title for t in plan.tasks] == ["修路"]
    assert [s.title for s in plan.sections] == ["重点任务", "保障措施"]


# ------------------------------------------------------------------ dates

ANNUAL = """关于印发《己区2024年度城市更新工作实施计划》的通知
己府办发〔2024〕8号
各街道办事处，区政府各部门：
现将《己区2024年度城市更新工作实施计划》印发给你们，请按照《ZZ市城市更新条例》（ZZ府发〔2022〕3号）认真执行。
己区人民政府办公室
2024年3月15日
己区2024年度城市更新工作实施计划
一、工作目标
年内完成老旧小区改造20个，力争用3-5年时间基本完成城市更新任务。“十四五”期间累计改造城中村5个。
二、重点任务
1.改造老旧小区15个。推进社区更新。（责任单位：区住建局）
2.新建口袋公园8个左右。2025年起3年内建成绿道网络。（责任单位：区绿化市容局）
"""


def test_title_year_and_relative_windows() -> None:
    plan = _parse(ANNUAL)
    assert plan.meta.doc_number == "己府办发〔2024〕8号"  # its own, not the one it cites
    assert plan.meta.date == D(2024, 3, 15)
    assert [(g.year, g.deadline, g.year_source, g.year_from) for g in plan.goals] == [
        (2024, D(2024, 12, 31), "relative", None),  # 年内: the plan's year
        (2029, D(2029, 12, 31), "relative", 2027),  # 用3-5年时间 from 2024
        (2025, D(2025, 12, 31), "text", None),  # 十四五期间
    ]
    # 2024年度 in the title dates the quantified clauses that have no date of their own
    assert _targets(plan, 1) == [(2024, D(2024, 12, 31), "title", [(15.0, "个", None)])]
    assert _targets(plan, 2) == [
        (2024, D(2024, 12, 31), "title", [(8.0, "个", "~")]),
        (2027, D(2027, 12, 31), "relative", []),  # 2025年起3年内: 2025, 2026, 2027
    ]


def test_window_line_under_the_title_dates_undated_quantities() -> None:
    text = (
        "庚区垃圾分类三年行动计划\n（2026—2028年）\n一、主要任务\n"
        "1.落实装修垃圾管理。落实每个居住区4处清运点。（责任单位：区绿化市容局）\n"
    )
    plan = _parse(text)
    (target,) = plan.task(1).targets
    assert (target.year, target.deadline, target.year_source) == (2028, D(2028, 12, 31), "title")
    assert target.quantities == [Quantity(4.0, "处", None, ["per_entity", "每个居住区"])]


@pytest.mark.parametrize(
    ("clause", "plan_date", "expected"),
    [
        ("2012年起5年内，完成改造10个", "", (2016, D(2016, 12, 31), "relative")),
        ("用3年时间，完成改造10个", "2021年5月24日", (2024, D(2024, 12, 31), "relative")),
        ("“十四五”末，完成改造10个", "", (2025, D(2025, 12, 31), "text")),
        ("十四五期间，完成改造10个", "", (2025, D(2025, 12, 31), "text")),
        ("今年完成改造10个", "2023年6月1日", (2023, D(2023, 12, 31), "relative")),
        ("2024年第三季度前完成改造10个", "", (2024, D(2024, 9, 30), "text")),
        ("2023—2025年，完成改造10个", "", (2025, D(2025, 12, 31), "text")),
        ("到2030年前完成改造10个", "", (2030, D(2030, 12, 31), "text")),
    ],
)
def test_date_phrases(clause: str, plan_date: str, expected: tuple) -> None:
    head = f"辛区行动方案\n辛区人民政府\n{plan_date}\n" if plan_date else ""
    plan = _parse(f"{head}一、重点任务\n1.改造。{clause}。（责任单位：区住建局）\n")
    (target,) = plan.task(1).targets
    assert (target.year, target.deadline, target.year_source) == expected
    assert [(q.value, q.unit) for q in target.quantities] == [(10.0, "个")]


# ------------------------------------------------------------------ quantities


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("完成架空线入地约48公里", [Quantity(48.0, "公里", "~", [])]),
        ("改建口袋公园9座左右", [Quantity(9.0, "座", "~", [])]),
        ("达到90%左右", [Quantity(90.0, "%", "~", [])]),
        ("新建1到2个示范点", [Quantity(1.0, "个", ">=", ["range:1-2"])]),
        (
            "推进3个既有园区和至少1个科创园区",
            [Quantity(3.0, "个", None, []), Quantity(1.0, "个", ">=", [])],
        ),
        ("落实四个到位，推进“一村一名”", []),
        ("推进安远路899项目和武进路560号楼修缮", []),
        ("完成应急避难场所建设144.45万平方米", [Quantity(1444500.0, "平方米", None, [])]),
        ("新增停车位1,200个", [Quantity(1200.0, "个", None, [])]),
        ("提高5个百分点", [Quantity(5.0, "个百分点", None, [])]),
        ("单体面积2万平方米以上的公共建筑安装光伏", []),  # which buildings: a limit
        ("用3个月完成整改，改造率达到80%以上的目标", [Quantity(80.0, "%", ">=", [])]),
    ],
)
def test_quantity_phrases(clause: str, expected: list[Quantity]) -> None:
    plan = _parse(f"1.测试。到2025年，{clause}。（责任单位：测试局）\n")
    assert plan.task(1).targets[0].quantities == expected


# ------------------------------------------------------------------ units


@pytest.mark.parametrize(
    ("clause", "units"),
    [
        (
            "（牵头单位：区住建局，配合单位：区财政局、区民政局）",
            ["区住建局", "区财政局", "区民政局"],
        ),
        ("（配合单位：区财政局；牵头单位：区住建局）", ["区住建局", "区财政局"]),
        ("（推进单位：区规划资源局、各相关街镇）", ["区规划资源局", "各相关街镇"]),
        ("（协办单位：区财政局，主办单位：区住建局）", ["区住建局", "区财政局"]),
        ("（区住建局牵头，区财政局、各街道配合）", ["区住建局", "区财政局", "各街道"]),
        ("（责任单位：区住建局，参与单位：区团委、区妇联）", ["区住建局", "区团委", "区妇联"]),
        ("（责任单位：区住建局等区直有关单位）", ["区住建局", "区直有关单位"]),
        ("（责任单位：市政公司水务公司）", ["市政公司", "水务公司"]),
        ("（责任单位：各县（市、区）人民政府）", ["各县（市、区）人民政府"]),
        ("（责任单位：各有关区、县级市）", ["各有关区、县级市"]),
        ("（责任单位：区财政局、区住建局（牵头）、各街道）", ["区住建局", "区财政局", "各街道"]),
        ("（牵头：区住建局；配合：区财政局）", ["区住建局", "区财政局"]),
    ],
)
def test_units_clauses(clause: str, units: list[str]) -> None:
    plan = _parse(f"1.修路。到2025年，新建道路3公里。{clause}\n")
    assert plan.task(1).units == units


def test_units_line_without_brackets() -> None:
    plan = _parse("1.修路。到2025年新建道路3公里。\n责任单位：区交通委、区财政局\n")
    assert plan.task(1).units == ["区交通委", "区财政局"]


# ------------------------------------------------------------------ text as it arrives


def test_invisible_characters_and_full_width_digits() -> None:
    first = "一、重点任务\n1.修路。到2025年，新建道路1\u200b0公里。（责任单位：交通局）\n"
    second = "\ufeff⼀、重点任务\n⑵修桥。到２０２６年，新建桥梁２座。（责任单位：交通局）\n"
    plan = _parse(first + second)  # two files concatenated: the second one's BOM inside
    assert [(t.id, t.title) for t in plan.tasks] == [(1, "修路"), (2, "修桥")]
    assert plan.task(1).targets[0].quantities == [Quantity(10.0, "公里", None, [])]
    assert plan.task(1).targets[0].text == "到2025年，新建道路10公里"
    assert _targets(plan, 2) == [(2026, D(2026, 12, 31), "text", [(2.0, "座", None)])]


def _wrap(text: str, columns: int) -> str:
    """Break every line at ``columns`` characters, as a PDF copy does."""
    return "\n".join(
        line[i : i + columns]
        for line in text.split("\n")
        for i in range(0, len(line) or 1, columns)
    )


def test_hard_wrapped_text_is_rejoined() -> None:
    tasks = (
        "1.推进绿道建设。到2025年，全区新建绿道10公里以上，建成口袋公园20个，完成老旧小区"
        "改造120个以上，惠及居民3000户。（责任单位：区住房和城乡建设局、区财政局、区自然资源"
        "和规划局、各街道办事处）\n"
        "2.推进管网改造。到2026年，改造雨污管网35公里以上，新建泵站3座，完成易涝点整治15处，"
        "城市建成区海绵城市达标面积比例达到45%以上。（责任单位：区水务局、区城市管理局、"
        "各街道办事处）"
    )
    wrapped = _wrap(tasks, 23).split("\n")
    wrapped.insert(3, "- 2 -")  # a page break: the PDF's page number on a line of its own
    text = "壬区城市建设行动方案\n一、重点任务\n" + "\n".join(wrapped) + "\n"
    # the copy breaks figures and unit names: 1\n20个, 区自然资源\n和规划局
    assert "改造120个" not in text and "区自然资源和规划局" not in text
    plan = _parse(text, r"\d+ lines broken mid-sentence .* were rejoined")
    assert plan.task(1).units == [
        "区住房和城乡建设局",
        "区财政局",
        "区自然资源和规划局",
        "各街道办事处",
    ]
    assert [(q.value, q.unit) for q in plan.task(1).targets[0].quantities] == [
        (10.0, "公里"),
        (20.0, "个"),
        (120.0, "个"),
        (3000.0, "户"),
    ]
    assert plan.task(2).units == ["区水务局", "区城市管理局", "各街道办事处"]
    assert "- 2 -" not in plan.task(1).text
    assert [q.value for q in plan.task(2).targets[0].quantities] == [35.0, 3.0, 15.0, 45.0]


def test_text_that_is_not_wrapped_is_left_alone() -> None:
    plan = _parse("一、重点任务\n1.修路。到2025年，新建道路\n10公里。（责任单位：交通局）\n")
    assert plan.task(1).targets[0].text == "到2025年，新建道路\n10公里"


def test_task_numbers_have_no_ceiling() -> None:
    lines = [f"{i}.任务{i}。到2025年完成改造{i}个。（责任单位：区住建局）" for i in range(1, 1201)]
    plan = _parse("一、重点任务\n" + "\n".join(lines) + "\n")
    assert len(plan.tasks) == 1200
    assert plan.task(1200).targets[0].quantities == [Quantity(1200.0, "个", None, [])]


# ------------------------------------------------------------------ partial results


def test_a_plan_without_tasks_is_returned_with_a_warning() -> None:
    text = "癸区行动方案\n一、工作目标\n到2025年，建成绿道10公里。\n二、保障措施\n加强领导。\n"
    plan = _parse(text, r"no numbered tasks, task headings with units or task table were found")
    assert plan.tasks == []
    assert [(g.year, g.quantities) for g in plan.goals] == [
        (2025, [Quantity(10.0, "公里", None, [])])
    ]


def test_nothing_plan_like_is_an_error() -> None:
    with pytest.raises(PlanParseError, match="holds no numbered tasks"):
        parse_plan("今天天气很好。\n我们去公园散步。")


def test_plan_date_from_the_signature_at_the_end() -> None:
    text = (
        "一、重点任务\n1.修路。用2年时间新建道路3公里。（责任单位：交通局）\n"
        "区交通委\n2023年1月5日印发\n"
    )
    plan = _parse(text)
    assert plan.meta.date == D(2023, 1, 5)
    assert _targets(plan, 1) == [(2025, D(2025, 12, 31), "relative", [(3.0, "公里", None)])]


MUNICIPAL = """子市人民政府办公厅关于印发子市村庄规划编制工作方案的通知
子府办〔2012〕21号
各区、县级市人民政府，市政府各部门：
经市人民政府同意，现将《子市村庄规划编制工作方案》印发给你们，请认真贯彻执行。
子市人民政府办公厅
2012年10月8日
子市村庄规划编制工作方案
为贯彻落实《子市城乡规划条例》（子府〔2010〕5号），制定本方案。
一、工作目标
2012年起5年内，全市完成村庄规划编制工作。2013年底前完成试点村规划编制10个左右。
二、工作任务
（一）开展村庄规划编制
1.编制村庄规划。2012年10月底前完成工作部署，每个镇至少选择1到2个村开展试点。（市规划局牵头，各区、县级市人民政府配合）
2.落实“一村一名”规划师制度。年内实现全覆盖。（各区、县级市人民政府负责）
（二）加强规划管理
3.强化规划实施监督。2014年起3年内完成规划实施评估。（责任单位：市规划局；牵头单位：市城管委）
三、管控流程
1.编制阶段。由镇政府组织编制。
2.审批阶段。由区、县级市人民政府审批。
四、职责分工
（一）市规划局。负责统筹推进村庄规划编制工作。
（二）各区、县级市人民政府。负责组织实施本辖区村庄规划编制。
"""


def test_municipal_plan_with_procedure_and_duty_sections() -> None:
    plan = _parse(MUNICIPAL, r"not read as tasks: 2 under '管控流程'")
    meta = plan.meta
    assert (meta.doc_number, meta.issuer, meta.date) == (
        "子府办〔2012〕21号",
        "子市人民政府办公厅",
        D(2012, 10, 8),
    )
    assert [(t.id, t.title) for t in plan.tasks] == [
        (1, "编制村庄规划"),
        (2, "落实“一村一名”规划师制度"),
        (3, "强化规划实施监督"),
    ]
    assert plan.task(1).units == ["市规划局", "各区、县级市人民政府"]
    assert plan.task(2).units == ["各区、县级市人民政府"]
    assert plan.task(3).units == ["市城管委", "市规划局"]  # 牵头 first, wherever it is written
    assert plan.task(1).targets[0].quantities == [
        Quantity(1.0, "个", ">=", ["per_town", "每个镇", "range:1-2"])
    ]
    assert _targets(plan, 1)[0][:3] == (2012, D(2012, 10, 31), "text")
    assert _targets(plan, 2) == [(2012, D(2012, 12, 31), "relative", [(100.0, "%", ">=")])]
    assert _targets(plan, 3) == [(2016, D(2016, 12, 31), "relative", [])]
    assert [(g.year, g.year_source) for g in plan.goals] == [(2016, "relative"), (2013, "text")]
    assert plan.goals[1].quantities == [Quantity(10.0, "个", "~", [])]
    assert plan.unit_duties == {
        "市规划局": "负责统筹推进村庄规划编制工作。",
        "各区、县级市人民政府": "负责组织实施本辖区村庄规划编制。",
    }


def test_paragraphs_that_each_name_their_units_are_tasks() -> None:
    text = (
        "丑区行动方案\n一、重点任务\n（一）城市更新\n"
        "推进老旧小区改造。到2025年改造20个。（责任单位：区住建局）\n"
        "推进加装电梯。每年加装50台。（责任单位：区住建局、各街道）\n"
        "（二）生态建设\n新建绿道10公里。（责任单位：区绿化局）\n"
    )
    plan = _parse(text, r"mix numbered items and task headings; they are numbered 1-3")
    assert [(t.id, t.title, t.section, t.units) for t in plan.tasks] == [
        (1, "推进老旧小区改造", "城市更新", ["区住建局"]),
        (2, "推进加装电梯", "城市更新", ["区住建局", "各街道"]),
        (3, "生态建设", "重点任务", ["区绿化局"]),
    ]
    assert plan.task(2).targets[0].quantities == [Quantity(50.0, "台", None, ["per_year", "每年"])]


def test_metadata_fields_of_a_saved_web_page() -> None:
    text = (
        "寅区老旧小区改造工作方案\n索 引 号：11310101-2024-001\n发文字号：寅府办〔2024〕3号\n"
        "发布机构：寅区人民政府办公室\n成文日期：2024-05-06\n"
        "一、重点任务\n1.改造小区。到2025年改造12个。（责任单位：区住建局）\n"
    )
    meta = _parse(text).meta
    assert (meta.doc_number, meta.issuer, meta.date, meta.index_number) == (
        "寅府办〔2024〕3号",
        "寅区人民政府办公室",
        D(2024, 5, 6),
        "11310101-2024-001",
    )


def test_table_with_a_two_row_header_and_a_column_per_year() -> None:
    text = (
        "卯区海绵城市建设实施方案\n一、重点任务\n详见附件。\n附件：任务分解表\n"
        "序号\t重点任务\t责任单位\t责任单位\t2024年\t2025年\t完成时限\n"
        "\t\t牵头单位\t配合单位\t\t\t\n"
        "1\t建设海绵小区。\t区住建局\t区水务局、各街道\t5个\t8个\t2025年底前\n"
        "2\t改造雨污管网。\t区水务局\t区财政局\t12公里\t\t2024年6月底前\n"
    )
    plan = _parse(text)
    assert [(t.title, t.units) for t in plan.tasks] == [
        ("建设海绵小区", ["区住建局", "区水务局", "各街道"]),
        ("改造雨污管网", ["区水务局", "区财政局"]),
    ]
    assert _targets(plan, 1) == [
        (2024, D(2024, 12, 31), "text", [(5.0, "个", None)]),
        (2025, D(2025, 12, 31), "text", [(8.0, "个", None)]),
    ]
    assert _targets(plan, 2) == [(2024, D(2024, 12, 31), "text", [(12.0, "公里", None)])]


@pytest.mark.parametrize(
    ("head", "number"),
    [
        ("关于印发辰区绿道建设方案的通知（辰府办〔2019〕7号）\n", "辰府办〔2019〕7号"),
        ("辰区绿道建设方案\n根据市政府关于绿道建设的通知（辰府〔2018〕2号），制定本方案。\n", None),
        ("辰府办〔2019〕7号\n关于印发辰区绿道建设方案的通知\n", "辰府办〔2019〕7号"),
    ],
)
def test_own_document_number_not_a_cited_one(head: str, number: str | None) -> None:
    plan = _parse(head + "一、重点任务\n1.建绿道。到2025年建成5公里。（责任单位：区林业局）\n")
    assert plan.meta.doc_number == number


def test_a_table_inside_the_body_and_the_sections_after_it() -> None:
    text = (
        "巳区公园建设方案\n一、重点任务\n各项任务见下表。\n"
        "序号\t任务\t责任单位\t完成时限\n"
        "1\t新建口袋公园6个。\t区绿化局\t2025年底前\n"
        "2\t改造社区公园3个。\t区绿化局、各街道\t2026年底前\n"
        "二、保障措施\n（一）加强组织领导。成立专班。\n"
    )
    plan = _parse(text)
    assert [(t.id, t.title, t.units) for t in plan.tasks] == [
        (1, "新建口袋公园6个", ["区绿化局"]),
        (2, "改造社区公园3个", ["区绿化局", "各街道"]),
    ]
    assert _targets(plan, 2) == [(2026, D(2026, 12, 31), "text", [(3.0, "个", None)])]
    assert [(s.kind, s.title) for s in plan.sections] == [("safeguard", "加强组织领导")]


def test_a_one_year_title_is_the_plan_year_when_the_text_has_no_date() -> None:
    text = (
        "午区2024年度老旧小区改造计划\n一、重点任务\n"
        "1.改造小区。年内完成改造10个。（责任单位：区住建局）\n"
        "2.加装电梯。加装电梯30台。（责任单位：区住建局）\n"
        "3.危房改造。全面完成危房改造。（责任单位：区住建局）\n"
    )
    plan = _parse(text)
    # a qualitative promise (全面完成 read as 100 %) writes no number: the title gives no date
    assert _targets(plan, 3) == [(None, None, None, [(100.0, "%", ">=")])]
    assert plan.meta.date is None
    assert _targets(plan, 1) == [(2024, D(2024, 12, 31), "relative", [(10.0, "个", None)])]
    assert _targets(plan, 2) == [(2024, D(2024, 12, 31), "title", [(30.0, "台", None)])]


def test_measures_are_tasks_and_safeguards_with_their_own_units_too() -> None:
    text = (
        "未区节水行动方案\n一、主要措施\n"
        "1.推进节水改造。到2025年改造管网20公里。（责任单位：区水务局）\n"
        "二、保障措施\n（一）加强组织领导。成立领导小组。\n"
        "（二）强化资金保障。每年安排资金不少于500万元。（责任单位：区财政局）\n"
    )
    plan = _parse(text)
    assert [(t.id, t.title, t.section, t.units) for t in plan.tasks] == [
        (1, "推进节水改造", "主要措施", ["区水务局"]),
        (2, "强化资金保障", "保障措施", ["区财政局"]),
    ]
    assert _targets(plan, 2) == [(None, None, None, [(5e6, "元", ">=")])]
    assert [(s.id, s.title) for s in plan.sections] == [
        ("action-1", "主要措施"),
        ("safeguard-1", "保障措施"),
        ("safeguard-2", "加强组织领导"),
        ("safeguard-3", "强化资金保障"),
    ]


def test_units_on_an_action_line_apply_to_its_tasks() -> None:
    text = (
        "申区行动方案\n一、重点任务\n行动1：绿道建设行动（牵头单位：区绿化局，配合单位：各街道）\n"
        "1.新建绿道。到2025年新建绿道8公里。\n"
        "2.改造绿道。到2026年改造绿道5公里。（责任单位：区城管局）\n"
    )
    plan = _parse(text)
    assert [(t.title, t.section, t.units) for t in plan.tasks] == [
        ("新建绿道", "绿道建设行动", ["区绿化局", "各街道"]),
        ("改造绿道", "绿道建设行动", ["区城管局"]),
    ]


def test_flattened_table_with_merged_deadline_cells() -> None:
    text = (
        "酉区行动方案（2024-2026年）\n附件\n任务清单\n序号\n任务\n责任单位\n完成时限\n"
        "1\n新建公园3个。\n区绿化局\n2024年底前\n2\n改造公园2个。\n"
        "3\n新建绿道5公里。\n区城管局\n2025年6月底前\n"
    )
    plan = _parse(text)
    assert [(t.units, _targets(plan, t.id)[0][:3]) for t in plan.tasks] == [
        (["区绿化局"], (2024, D(2024, 12, 31), "text")),
        (["区绿化局"], (2024, D(2024, 12, 31), "text")),  # both cells merged over row 2
        (["区城管局"], (2025, D(2025, 6, 30), "text")),
    ]
