"""Time the plan parser on task tables of 1 000, 4 000 and 16 000 rows.

Three layouts of the same synthetic plan: an annex task table as TAB-separated rows (what
the .docx/.html/.pdf readers give), the same table flattened to one cell per line (text
copied from a web page, unit cells merged over three rows), and numbered body tasks each
with its own units clause. Parsing time should grow in proportion to the rows: the figure
per 1 000 rows stays about the same from 1 000 to 16 000.

Usage: python scripts/bench_plan.py [ROWS ...]
"""

from __future__ import annotations

import sys
import time
import warnings

from geoplan._errors import PlanWarning
from geoplan.plan import parse_plan

HEAD = (
    "关于印发《XX区城市更新行动方案（2024-2026年）》的通知\n"
    "XX区人民政府\n2024年3月1日\n"
    "XX区城市更新行动方案（2024-2026年）\n"
    "一、总体目标\n到2026年，城市更新取得明显成效。\n"
)


def tab_plan(rows: int) -> str:
    lines = [HEAD, "附件：重点任务分解表\n", "序号\t重点任务\t责任单位\t完成时限\n"]
    for i in range(1, rows + 1):
        lines.append(
            f"{i}\t完成第{i}片区老旧小区改造{i % 50 + 1}个，新建绿道约{i % 7 + 1}公里。"
            f"\t区住建局、区财政局、各街镇\t2025年底前\n"
        )
    return "".join(lines)


def flat_plan(rows: int) -> str:
    lines = [HEAD, "附件\n", "重点任务清单\n", "序号\n", "工作任务\n", "推进单位\n"]
    for i in range(1, rows + 1):
        if i % 100 == 1:
            lines.append(f"行动{i // 100 + 1}：第{i // 100 + 1}组任务\n")
        lines.append(f"{i}\n完成第{i}片区老旧小区改造{i % 50 + 1}个\n")
        if i % 3 == 1:  # a merged unit cell spans three rows
            lines.append("区规划资源局、区建设管理委、各相关街镇\n")
    return "".join(lines)


def body_plan(rows: int) -> str:
    lines = [HEAD, "二、重点任务\n", "（一）城市更新行动\n"]
    for i in range(1, rows + 1):
        lines.append(
            f"{i}.推进第{i}片区更新。到2025年，完成老旧小区改造{i % 50 + 1}个以上。"
            "（牵头单位：区住建局，配合单位：区财政局、各街镇）\n"
        )
    return "".join(lines)


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [1_000, 4_000, 16_000]
    print(f"{'layout':<8}{'rows':>8}{'tasks':>8}{'seconds':>10}{'s per 1000 rows':>18}")
    for layout, make in (("tab", tab_plan), ("lines", flat_plan), ("body", body_plan)):
        for rows in sizes:
            text = make(rows)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PlanWarning)
                start = time.perf_counter()
                plan = parse_plan(text)
                seconds = time.perf_counter() - start
            assert len(plan.tasks) == rows, (layout, rows, len(plan.tasks))
            print(
                f"{layout:<8}{rows:>8}{len(plan.tasks):>8}{seconds:>10.2f}"
                f"{seconds / rows * 1000:>18.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
