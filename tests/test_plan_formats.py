"""Plans as they arrive (.docx, .pdf, .html, .doc) and the register written for Excel.

Every document here is built by the test from one small plan text (``MINI``): a Word file
with python-docx, a PDF and an old-Word .doc converted from it by LibreOffice, web pages
with a site's furniture around the article. Each must parse to exactly the tasks, units
and targets of the same plan read as .txt; tables must reach the parser one line per row,
cells separated by TAB, a merged unit cell repeated in each row it spans.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REQUIRE_SERVICES, require

from geoplan._errors import DataReadError, PlanParseError, PlanWarning
from geoplan.cli import main
from geoplan.plan import Plan, PlanMeta, Quantity, Target, Task, parse_plan, read_plan_text
from geoplan.plan._read import read_document, soffice_command


def _documents_extra() -> None:
    """Skip on a machine without the `documents` extra; in CI (which installs it) fail."""
    missing = [m for m in ("docx", "pdfplumber", "lxml") if importlib.util.find_spec(m) is None]
    if missing and not REQUIRE_SERVICES:
        pytest.skip(
            f"{', '.join(missing)} missing: pip install 'geoplan[documents]'",
            allow_module_level=True,
        )


_documents_extra()
import docx  # noqa: E402
import openpyxl  # noqa: E402

MINI = """泉台管〔2021〕99号
泉州台商投资区管理委员会关于印发《示范区城乡建设行动计划》的通知
各乡镇人民政府，区直各部门：
现将《示范区城乡建设行动计划》印发给你们，请认真抓好贯彻落实。
泉州台商投资区管理委员会
2021年6月1日
示范区城乡建设行动计划
为贯彻落实市委、市政府关于推动城乡建设高质量发展的决策部署，结合我区实际，制定本行动计划。
一、总体目标
到2025年，全区城乡建设水平明显提升，新建福道20公里以上，城市功能和人居环境持续改善，人民群众获得感、幸福感和安全感不断增强。
二、重点任务
（一）城市规划设计引领行动
1.推进国土空间规划。积极配合市资源规划局开展市级国土空间规划编制工作，统筹划定生态保护红线、永久基本农田和城镇开发边界等控制线。到2025年，形成以国土空间规划为基础的国土空间开发保护制度。（责任单位：各乡镇党委和人民政府，区环境与国土资源局）
2.建设城市福道。依托山体、水系和公园绿地，串联主要居住区和公共服务设施，构建覆盖全区的福道网络体系。到2025年，全区新建福道10公里以上，2023年年底前完成5公里。（责任单位：区规划建设与交通运输局、财政局）
（二）居住条件改善行动
3.整治既有农房。开展农村危房和既有农房整治提升工作，统一外立面风貌，完善配套设施，改善农村居住条件。各乡镇每年整治既有农房200栋以上。（责任单位：各乡镇人民政府）
4.提升住宅小区品质。推行新建商品住房全装修交付，提高住宅设计和建造水平，完善小区配套服务设施。到2025年新建商品住房全装修比例达到100%。（责任单位：区规划建设与交通运输局、民生保障局）
三、保障措施
（一）加强组织领导。成立城乡建设行动领导小组，统筹推进各项任务落实，定期研究解决重大问题。
（二）强化考核督导。将重点工作纳入绩效考评内容，建立健全项目考核机制，强化跟踪督促。
"""

#: The annex table: the unit cell of rows 1-2 is merged down, the caption spans all columns.
TABLE = [
    ["附件：重点任务分解表", None, None, None],
    ["序号", "任务", "责任单位", "完成时限"],
    ["1", "推进国土空间规划", "区环境与国土资源局", "2025年"],
    ["2", "建设城市福道", "区环境与国土资源局", "2023年"],
    ["3", "整治既有农房", "各乡镇人民政府", "每年"],
]
CLOSING = "（此件主动公开）"
TABLE_LINES = [
    "附件：重点任务分解表",
    "序号\t任务\t责任单位\t完成时限",
    "1\t推进国土空间规划\t区环境与国土资源局\t2025年",
    "2\t建设城市福道\t区环境与国土资源局\t2023年",
    "3\t整治既有农房\t各乡镇人民政府\t每年",
]


def _quiet_parse(source: object) -> Plan:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        return parse_plan(source)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def txt_plan() -> Plan:
    plan = _quiet_parse(MINI)
    # the reference itself, checked by hand against MINI
    assert [t.id for t in plan.tasks] == [1, 2, 3, 4]
    assert plan.task(2).units == ["区规划建设与交通运输局", "财政局"]
    assert [(g.deadline, g.quantities[0].value) for g in plan.task(2).targets] == [
        (dt.date(2025, 12, 31), 10.0),
        (dt.date(2023, 12, 31), 5.0),
    ]
    return plan


def _assert_same_plan(parsed: Plan, reference: Plan) -> None:
    assert parsed.meta == reference.meta
    assert parsed.goals == reference.goals
    assert parsed.sections == reference.sections
    for got, want in zip(parsed.tasks, reference.tasks, strict=True):
        assert (got.id, got.title, got.section, got.units) == (
            want.id,
            want.title,
            want.section,
            want.units,
        )
        assert got.targets == want.targets
        assert got.text == want.text


def _docx(path: Path, *, table: bool = True, numbered: bool = False) -> Path:
    """MINI as a Word file; with ``numbered``, tasks use Word's automatic numbering."""
    document = docx.Document()
    for line in MINI.splitlines():
        if numbered and line[:2] in ("1.", "2.", "3.", "4."):
            document.add_paragraph(line[2:], style="List Number")
        else:
            document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(TABLE), cols=4)
        grid.style = "Table Grid"
        for r, row in enumerate(TABLE):
            for c, value in enumerate(row):
                if value is not None and not (r == 3 and c == 2):
                    grid.cell(r, c).text = value
        grid.cell(0, 0).merge(grid.cell(0, 3))  # the caption across the table
        grid.cell(2, 2).merge(grid.cell(3, 2))  # one unit for tasks 1 and 2
        # Word ends a body with a paragraph after a table (LibreOffice's .doc export drops a
        # table that ends the body without one)
        document.add_paragraph(CLOSING)
    document.save(path)
    return path


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice's program: it converts the tests' .docx to PDF and .doc."""
    command = soffice_command()
    require(command is not None, "LibreOffice (soffice) converts the test's .docx to PDF/.doc")
    assert command is not None
    return command


def _soffice(soffice: str, source: Path, target_format: str) -> Path:
    out = source.parent / f"lo-{target_format}"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(source.parent / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            target_format,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out / f"{source.stem}.{target_format}"


# ------------------------------------------------------------------------------ .docx


def test_docx_parses_as_the_txt(tmp_path: Path, txt_plan: Plan) -> None:
    path = _docx(tmp_path / "计划.docx")
    _assert_same_plan(_quiet_parse(path), txt_plan)


def test_docx_table_is_tab_rows_with_the_merged_cell_repeated(tmp_path: Path) -> None:
    text = read_document(_docx(tmp_path / "plan.docx").read_bytes(), "plan.docx")
    lines = text.splitlines()
    assert lines[: len(MINI.splitlines())] == MINI.splitlines()  # paragraphs first, in order
    assert lines[len(MINI.splitlines()) :] == [*TABLE_LINES, CLOSING]  # the table in its place


def test_docx_table_stays_where_it_is_in_the_body(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("前言")
    grid = document.add_table(rows=2, cols=2)
    grid.cell(0, 0).text, grid.cell(0, 1).text = "序号", "任务"
    grid.cell(1, 0).text, grid.cell(1, 1).text = "1", "新建福道\n10公里"  # two lines in a cell
    document.add_paragraph("结语")
    document.save(tmp_path / "t.docx")
    text = read_document((tmp_path / "t.docx").read_bytes(), "t.docx")
    assert text == "前言\n序号\t任务\n1\t新建福道10公里\n结语\n"


def test_docx_automatic_numbering_is_rendered(tmp_path: Path, txt_plan: Plan) -> None:
    path = _docx(tmp_path / "numbered.docx", table=False, numbered=True)
    text = read_document(path.read_bytes(), "numbered.docx")
    lines = text.splitlines()
    assert [line.split("。")[0] for line in lines if line[1:2] == "."] == [
        "1.推进国土空间规划",
        "2.建设城市福道",
        "3.整治既有农房",
        "4.提升住宅小区品质",
    ]
    _assert_same_plan(_quiet_parse(path), txt_plan)


def test_docx_numbered_cells_count_once_per_cell(tmp_path: Path) -> None:
    """A 序号 column numbered by Word: each cell gets its number, a merged one once."""
    document = docx.Document()
    grid = document.add_table(rows=4, cols=2)
    for r in range(4):
        grid.cell(r, 0).paragraphs[0].style = document.styles["List Number"]
        grid.cell(r, 1).text = f"任务{r + 1}"
    grid.cell(1, 0).merge(grid.cell(2, 0))  # rows 2 and 3 share one numbered cell
    document.add_paragraph("结语")
    document.save(tmp_path / "numbered-table.docx")
    text = read_plan_text(tmp_path / "numbered-table.docx")
    assert text.splitlines() == ["1.\t任务1", "2.\t任务2", "2.\t任务3", "3.\t任务4", "结语"]


def test_docx_tracked_insertions_and_content_controls_are_read(tmp_path: Path) -> None:
    """Runs inside <w:ins> (修订) and paragraphs inside a content control are text too;
    deleted runs are not, and a tab in a paragraph is a space (a TAB means a table cell)."""
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    body = document.element.body
    sect = body[-1]
    sect.addprevious(
        parse_xml(
            f"<w:p {w}><w:r><w:t>到2025年新建福道</w:t></w:r>"
            '<w:del w:id="1" w:author="a"><w:r><w:delText>8</w:delText></w:r></w:del>'
            '<w:ins w:id="2" w:author="a"><w:r><w:t>10</w:t></w:r></w:ins>'
            "<w:r><w:t>公里</w:t><w:tab/><w:t>以上。</w:t></w:r></w:p>"
        )
    )
    sect.addprevious(
        parse_xml(
            f"<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>（责任单位：区住建局）</w:t></w:r></w:p>"
            "</w:sdtContent></w:sdt>"
        )
    )
    document.save(tmp_path / "revised.docx")
    text = read_document((tmp_path / "revised.docx").read_bytes(), "revised.docx")
    assert text == "到2025年新建福道10公里 以上。\n（责任单位：区住建局）\n"


# ------------------------------------------------------------------------------- .pdf


@pytest.mark.slow
def test_pdf_with_text_layer_parses_as_the_txt(
    tmp_path: Path, txt_plan: Plan, soffice: str
) -> None:
    pdf = _soffice(soffice, _docx(tmp_path / "plan.docx"), "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = read_document(pdf.read_bytes(), "plan.pdf")
    lines = text.splitlines()
    # wrapped lines are joined back into their paragraphs
    assert [line for line in lines if line.startswith("2.建设城市福道")] == [
        line for line in MINI.splitlines() if line.startswith("2.建设城市福道")
    ]
    # the ruled table, merged cell repeated, then the closing paragraph
    assert lines[-len(TABLE_LINES) - 1 :] == [*TABLE_LINES, CLOSING]
    _assert_same_plan(_quiet_parse(pdf), txt_plan)


@pytest.mark.slow
def test_bundled_plan_as_an_official_pdf_parses_as_its_txt(
    tmp_path: Path, plan_path: Path, soffice: str
) -> None:
    """The 32-task plan laid out as offices do: justified, first lines indented two
    characters, paragraphs running across pages; parsed from PDF as from .txt."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.shared import Pt

    text = plan_path.read_text(encoding="utf-8")
    document = docx.Document()
    for line in text.splitlines():
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Pt(22)
        paragraph.paragraph_format.space_after = Pt(0)
    footer = document.sections[0].footer.paragraphs[0]  # "— 3 —" under every page
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    footer._p.append(
        parse_xml(
            '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            ' w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        )
    )
    footer.add_run(" —")
    document.save(tmp_path / "official.docx")
    pdf = _soffice(soffice, tmp_path / "official.docx", "pdf")
    reference = _quiet_parse(text)
    read = read_plan_text(pdf)
    require(shutil.which("pdftotext") is not None, "poppler's pdftotext checks the PDF")
    poppler = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
    assert poppler.stdout.count("—2—") == 1  # the page numbers are in the PDF …
    assert not [x for x in read.splitlines() if re.fullmatch(r"[—\s]*\d+[—\s]*", x)]  # … not here
    assert len(read.splitlines()) == len(text.splitlines())  # every paragraph whole
    parsed = _quiet_parse(pdf)
    assert (len(parsed.tasks), sum(len(t.targets) for t in parsed.tasks)) == (32, 40)
    assert parsed.meta == reference.meta and parsed.sections == reference.sections
    for got, want in zip(parsed.tasks, reference.tasks, strict=True):
        assert (got.id, got.title, got.section, got.units) == (
            want.id,
            want.title,
            want.section,
            want.units,
        )
        # the .txt has stray spaces between Chinese characters that the PDF does not keep
        assert [(g.deadline, g.quantities) for g in got.targets] == [
            (g.deadline, g.quantities) for g in want.targets
        ]


def test_scanned_pdf_is_refused_with_the_fix(tmp_path: Path) -> None:
    from PIL import Image

    scan = tmp_path / "扫描件.pdf"
    Image.new("RGB", (600, 800), "white").save(scan)  # a page that is only an image
    with pytest.raises(PlanParseError, match=r"扫描件\.pdf has no text layer.*OCR.*Word original"):
        parse_plan(scan)


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> Path:
    """MINI, then a last page holding only an image (a scanned seal page)."""
    from docx.enum.text import WD_BREAK
    from PIL import Image

    folder = tmp_path_factory.mktemp("mixed")
    png = folder / "seal.png"
    Image.new("RGB", (400, 400), "red").save(png)
    document = docx.Document()
    for line in MINI.splitlines():
        document.add_paragraph(line)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_picture(str(png))
    document.save(folder / "mixed.docx")
    return _soffice(soffice, folder / "mixed.docx", "pdf")


def test_pdf_page_without_text_is_skipped_with_a_warning(mixed_pdf: Path, txt_plan: Plan) -> None:
    with pytest.warns(PlanWarning, match=r"page\(s\) (\d+) of \1 have no text.*skipped"):
        plan = parse_plan(mixed_pdf)
    _assert_same_plan(plan, txt_plan)


def test_damaged_pdf(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"garbage " * 200)
    with pytest.raises(PlanParseError, match=r"bad\.pdf (cannot be read as a PDF|has no text)"):
        parse_plan(bad)


# ------------------------------------------------------------------------------ .html

PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<title>示范区城乡建设行动计划_政府信息公开</title>
<script>var nav = "首页 政务公开";</script><style>.nav{{color:red}}</style></head>
<body>
<div class="header"><img alt="logo"><div class="search"><input>搜索</div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/hd">互动交流</a></li><li><a href="/bs">办事服务</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a></div>
<div class="main">
<div class="side"><h3>相关文件</h3><ul><li><a href="/a">关于印发某计划的通知</a></li>
<li><a href="/b">关于另一项工作的通知</a></li>
<li><a href="/c">关于第三项工作的通知</a></li></ul></div>
<div class="article" id="zoom">
{body}
<table border="1">
<tr><td colspan="4">附件：重点任务分解表</td></tr>
<tr><th>序号</th><th>任务</th><th>责任单位</th><th>完成时限</th></tr>
<tr><td>1</td><td>推进国土空间规划</td>
<td rowspan="2">区环境与<br>国土资源局</td><td>2025年</td></tr>
<tr><td>2</td><td>建设城市福道</td><td>2023年</td></tr>
<tr><td>3</td><td><p>整治既有农房</p></td><td>各乡镇人民政府</td><td>每年</td></tr>
</table>
</div></div>
<div class="share"><a href="#">微信</a><a href="#">微博</a><a href="#">打印</a></div>
<div class="footer">主办：泉州台商投资区管理委员会 闽ICP备12345678号</div>
<script>document.write("统计代码");</script>
</body></html>
"""


def _page(charset: str = "utf-8") -> str:
    body = "\n".join(f"<p>\u3000\u3000{line}</p>" for line in MINI.splitlines())
    return PAGE.format(charset=charset, body=body)


def test_html_keeps_the_article_and_drops_the_site(tmp_path: Path, txt_plan: Plan) -> None:
    path = tmp_path / "page.html"
    path.write_text(_page(), encoding="utf-8")
    text = read_document(path.read_bytes(), "page.html")
    assert text.splitlines() == [*MINI.splitlines(), *TABLE_LINES]
    for furniture in ("首页", "搜索", "相关文件", "微信", "ICP", "统计代码", "var nav"):
        assert furniture not in text
    _assert_same_plan(_quiet_parse(path), txt_plan)


def test_gbk_html_decodes_by_its_meta_charset(tmp_path: Path, txt_plan: Plan) -> None:
    # 堃 is outside GB2312: pages that declare gb2312 hold GBK, read as GB18030
    page = _page("gb2312").replace("民生保障局）", "民生保障局）联系人：王堃")
    path = tmp_path / "page.htm"
    path.write_bytes(page.encode("gbk"))
    text = read_document(path.read_bytes(), "page.htm")
    assert "联系人：王堃" in text
    plan = _quiet_parse(path)
    assert plan.meta == txt_plan.meta
    assert [(t.title, t.units, t.targets) for t in plan.tasks] == [
        (t.title, t.units, t.targets) for t in txt_plan.tasks
    ]


def test_html_saved_as_utf8_with_its_old_gb2312_meta() -> None:
    text = read_document(_page("gb2312").encode("utf-8"), "resaved.html")
    assert text.splitlines()[: len(MINI.splitlines())] == MINI.splitlines()


def test_html_saved_with_a_txt_suffix_is_still_a_page(tmp_path: Path) -> None:
    path = tmp_path / "copied.txt"
    path.write_text(_page(), encoding="utf-8")
    assert "首页" not in read_document(path.read_bytes(), "copied.txt", suffix=".txt")


def test_html_pre_block_and_page_source_as_a_string(txt_plan: Plan) -> None:
    page = f"<!DOCTYPE html><html><body><nav><a>首页</a></nav><pre>{MINI}</pre></body></html>"
    assert read_document(page.encode("utf-8"), "pre.html").splitlines() == MINI.splitlines()
    _assert_same_plan(_quiet_parse(page), txt_plan)  # the source itself, not a file


def test_html_without_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text(  # a page that loads the plan with a script
        "<html><body><script>loadArticle(42)</script><div id='app'></div>"
        "<div class='footer'>版权所有</div></body></html>"
    )
    with pytest.raises(PlanParseError, match=r"empty\.html holds no text.*JavaScript"):
        parse_plan(path)


GOV_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x.dtd">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>
<form id="form1" method="post" action="./Detail.aspx"><header><a>首页</a></header>
<div id="top"><div class="top-links"><a>无障碍</a><a>长者模式</a><a>English</a></div></div>
<div class="daohang"><a>首页</a><a>要闻动态</a><a>政务公开</a><a>政务服务</a></div>
<div class="crumbx">您当前的位置：<a>首页</a> &gt; <a>政府信息公开</a></div>
<table class="xxgk-table">
<tr><td>索 引 号：</td><td>QZ13101-1300-2021-00064</td><td>发布机构：</td><td>管委会</td></tr>
<tr><td>备注/文号：</td><td>泉台管〔2021〕57号</td><td>发布日期：</td><td>2021-05-28</td></tr>
</table>
<div class="article"><h1 class="article-title">关于印发示范计划的通知</h1>
<div>【打印本页】【关闭窗口】</div>
<div class="TRS_Editor"><p style="text-indent:2em">正文第一段。</p>
<p>第二段<br>换行后的一句。</p></div></div>
<div class="bottom">网站标识码 3505000046 闽ICP备05012345号</div>
</form></body></html>"""


def test_government_page_keeps_metadata_table_and_article() -> None:
    """Furniture known by its words (当前位置, 【打印本页】) goes even without a class; the
    <form> that ASP.NET sites wrap round the whole page stays."""
    text = read_document(GOV_PAGE.encode("utf-8"), "gov.html")
    assert text.splitlines() == [
        "索引号：\tQZ13101-1300-2021-00064\t发布机构：\t管委会",
        "备注/文号：\t泉台管〔2021〕57号\t发布日期：\t2021-05-28",
        "关于印发示范计划的通知",
        "正文第一段。",
        "第二段",
        "换行后的一句。",
    ]


def test_mht_web_archive_reads_its_html_part(tmp_path: Path, txt_plan: Plan) -> None:
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    archive = MIMEMultipart("related")
    archive["Subject"] = "示范区城乡建设行动计划"
    page = _page("gb2312").replace('<meta charset="gb2312">', "")  # charset in the MIME header
    archive.attach(MIMEText(page, "html", "gb18030"))
    path = tmp_path / "saved.mht"
    path.write_bytes(archive.as_bytes())
    assert read_document(path.read_bytes(), "saved.mht").splitlines() == [
        *MINI.splitlines(),
        *TABLE_LINES,
    ]
    _assert_same_plan(_quiet_parse(path), txt_plan)


# --------------------------------------------------------------------- .doc and .wps


@pytest.mark.slow
def test_doc_is_converted_with_libreoffice(tmp_path: Path, txt_plan: Plan, soffice: str) -> None:
    doc = _soffice(soffice, _docx(tmp_path / "plan.docx"), "doc")
    assert doc.read_bytes().startswith(b"\xd0\xcf\x11\xe0")  # really the old binary format
    text = read_document(doc.read_bytes(), "plan.doc", suffix=".doc")
    assert text.splitlines()[-len(TABLE_LINES) - 1 :] == [*TABLE_LINES, CLOSING]
    _assert_same_plan(_quiet_parse(text), txt_plan)
    wps = doc.with_suffix(".wps")  # WPS saves the same binary format under .wps
    wps.write_bytes(doc.read_bytes())
    _assert_same_plan(_quiet_parse(wps), txt_plan)  # through the file path this time


def test_doc_without_libreoffice_says_save_as_docx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "old.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no soffice anywhere
    with pytest.raises(PlanParseError, match=r"old\.doc is an old Word/WPS.*save it as \.docx"):
        parse_plan(doc)


def test_damaged_doc_names_libreoffice_failure(tmp_path: Path, soffice: str) -> None:
    doc = tmp_path / "broken.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(PlanParseError, match=r"broken\.doc cannot be read.*save it as \.docx"):
        parse_plan(doc)


def test_annex_table_sent_as_a_workbook(tmp_path: Path) -> None:
    """任务分解表.xlsx: merged cells as in Word, dates as Chinese dates, 2 not 2.0."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "重点任务分解表"
    for row in TABLE:
        sheet.append(row)
    sheet.merge_cells("A1:D1")
    sheet.merge_cells("C3:C4")
    sheet["A5"] = 3.0
    sheet["D3"] = dt.datetime(2025, 12, 31)
    book.create_sheet("空白")
    book.save(tmp_path / "任务分解表.xlsx")
    text = read_plan_text(tmp_path / "任务分解表.xlsx")
    assert text.splitlines() == [
        "重点任务分解表",
        *TABLE_LINES[:2],
        TABLE_LINES[2].replace("2025年", "2025年12月31日"),
        *TABLE_LINES[3:],
    ]


def test_other_zip_files_are_named(tmp_path: Path) -> None:
    import zipfile

    book = tmp_path / "任务.xlsx"
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(PlanParseError, match=r"任务\.xlsx is not a readable Excel workbook"):
        parse_plan(book)
    slides = tmp_path / "汇报.pptx"
    with zipfile.ZipFile(slides, "w") as archive:
        archive.writestr("ppt/presentation.xml", "<p/>")
    with pytest.raises(PlanParseError, match=r"is a PowerPoint presentation, not a plan document"):
        parse_plan(slides)
    broken = tmp_path / "损坏.docx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><not xml")
    with pytest.raises(PlanParseError, match=r"损坏\.docx (is not a readable Word|cannot be read)"):
        parse_plan(broken)
    ofd = tmp_path / "通知.ofd"
    with zipfile.ZipFile(ofd, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD/>")
    with pytest.raises(PlanParseError, match=r"通知\.ofd is an OFD document.*export it as PDF"):
        parse_plan(ofd)
    with pytest.raises(DataReadError, match=r"does not exist"):
        parse_plan(tmp_path / "missing.docx")


# -------------------------------------------------------------------------- register


def _register_plan() -> Plan:
    """A plan with a formula for a title, a task without targets, a target of two quantities."""
    meta = PlanMeta("示范计划", "示〔2024〕1号", "示范区管委会", dt.date(2024, 3, 1), None)
    return Plan(
        meta=meta,
        goals=[],
        sections=[],
        tasks=[
            Task(
                1,
                '=HYPERLINK("http://evil.example/x","点击查看")',
                "行动一",
                "正文",
                ["-各乡镇", "区住建局", "区财政局"],
                [
                    Target(
                        2025,
                        dt.date(2025, 12, 31),
                        "到2025年新建住房1万套、100万平方米",
                        [
                            Quantity(10000.0, "套", ">=", ["per_year", "每年"]),
                            Quantity(1000000.0, "平方米", None),
                        ],
                    ),
                    Target(None, None, "基本完成", []),
                ],
            ),
            Task(2, "加强组织领导", "行动一", "加强组织领导。", [], []),
        ],
    )


def test_register_csv_rows_and_escaping(tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    _register_plan().to_csv(out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["task_id"], r["target_index"], r["quantity_index"]) for r in rows] == [
        ("1", "0", "0"),
        ("1", "0", "1"),
        ("1", "1", ""),
        ("2", "", ""),
    ]
    first = rows[0]
    assert first["title"] == '\'=HYPERLINK("http://evil.example/x","点击查看")'
    assert (first["lead_unit"], first["other_units"]) == ("'-各乡镇", "区住建局；区财政局")
    assert (first["deadline"], first["year"], first["value"], first["unit"]) == (
        "2025-12-31",
        "2025",
        "10000.0",
        "套",
    )
    assert (first["comparator"], first["qualifiers"]) == (">=", "per_year;每年")
    assert rows[1]["comparator"] == ""  # a comparator of None is empty, never "None"
    assert rows[3]["title"] == "加强组织领导" and rows[3]["lead_unit"] == ""
    assert [p.name for p in tmp_path.iterdir()] == ["register.csv"]  # no temp file left


def test_register_xlsx_reads_back(tmp_path: Path) -> None:
    out = _register_plan().to_xlsx(tmp_path / "任务清单.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["任务清单.xlsx"]
    book = openpyxl.load_workbook(out)
    sheet = book["任务清单"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["序号", "所属行动", "任务", "牵头单位", "配合单位"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}5"
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert len(rows) == 4
    title = sheet.cell(2, header.index("任务") + 1)
    assert (title.value, title.data_type) == (
        '\'=HYPERLINK("http://evil.example/x","点击查看")',
        "s",
    )
    deadline = sheet.cell(2, header.index("完成时限") + 1)
    assert deadline.is_date and deadline.value == dt.datetime(2025, 12, 31)
    assert deadline.number_format == "yyyy-mm-dd"
    assert [(r["序号"], r["数值"], r["单位"]) for r in rows] == [
        (1, 10000, "套"),
        (1, 1000000, "平方米"),
        (1, None, None),
        (2, None, None),
    ]
    assert rows[0]["牵头单位"] == "'-各乡镇"  # escaped: it starts with -
    assert rows[3]["完成时限"] is None and rows[3]["目标"] is None
    width = sheet.column_dimensions[openpyxl.utils.get_column_letter(header.index("任务") + 1)]
    assert width.width >= 20  # fitted to the title, not Excel's default 8.43
    about = {r[0].value: r[1].value for r in book["说明"].iter_rows() if r[0].value}
    assert (about["文号"], about["任务数"], about["行数"]) == ("示〔2024〕1号", 2, 4)


def test_xlsx_matches_csv_on_the_bundled_plan(tmp_path: Path, plan_path: Path) -> None:
    plan = _quiet_parse(plan_path)
    csv_rows = list(csv.DictReader(io.StringIO(plan.to_csv())))
    sheet = openpyxl.load_workbook(plan.to_xlsx(tmp_path / "r.xlsx"))["任务清单"]
    xlsx_rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(xlsx_rows) == len(csv_rows) == 25 + 18 + 7
    for got, want in zip(xlsx_rows, csv_rows, strict=True):
        assert str(got[0]) == want["task_id"]
        assert (got[2], got[3] or "") == (want["title"], want["lead_unit"])
        assert (got[7].date().isoformat() if got[7] else "") == want["deadline"]
        assert got[12] == (float(want["value"]) if want["value"] else None)


# ------------------------------------------------------------------------------- CLI


def test_cli_writes_xlsx_from_a_docx_and_exits_0_with_warnings(tmp_path: Path) -> None:
    source = _docx(tmp_path / "plan.docx")
    out = tmp_path / "register.xlsx"
    result = CliRunner().invoke(main, ["plan", "parse", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"wrote {out}"
    sheet = openpyxl.load_workbook(out)["任务清单"]
    assert sheet.max_row == 1 + 5  # 4 tasks: task 2 has 2 targets, the others one each
    assert [sheet.cell(r, 1).value for r in range(2, 7)] == [1, 2, 2, 3, 4]


def test_cli_prints_reader_and_parser_warnings_and_exits_0(tmp_path: Path, mixed_pdf: Path) -> None:
    out = tmp_path / "register.csv"
    result = CliRunner().invoke(main, ["plan", "parse", str(mixed_pdf), "-o", str(out)])
    assert result.exit_code == 0
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warned) == 1 and "have no text (scanned images) and were skipped" in warned[0]
    assert result.stderr.splitlines()[-1] == f"wrote {out}"

    text = MINI.replace("（责任单位：各乡镇人民政府）", "")  # task 3 without units
    source = tmp_path / "plan.html"
    source.write_text(f"<html><body>{''.join(f'<p>{x}</p>' for x in text.splitlines())}")
    result = CliRunner().invoke(main, ["plan", "parse", str(source), "-o", str(out)])
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "3" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["lead_unit"] for r in rows if r["task_id"] == "3"] == [""]


def test_cli_text_shows_what_was_read(tmp_path: Path) -> None:
    source = _docx(tmp_path / "plan.docx")
    result = CliRunner().invoke(main, ["plan", "text", str(source)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [*MINI.splitlines(), *TABLE_LINES, CLOSING]
    out = tmp_path / "plan.txt"
    result = CliRunner().invoke(main, ["plan", "text", str(source), "-o", str(out)])
    assert (result.exit_code, result.stderr) == (0, f"wrote {out}\n")
    assert out.read_text(encoding="utf-8") == read_plan_text(source)


def test_cli_xlsx_needs_an_output_file() -> None:
    result = CliRunner().invoke(main, ["plan", "parse", "-f", "xlsx"])
    assert result.exit_code == 2
    assert "--format xlsx writes a workbook file: pass -o" in result.stderr
