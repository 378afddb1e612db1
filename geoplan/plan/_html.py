"""Web pages saved from a government site, as the text of the plan they publish.

A saved page wraps the plan in the site: a header with the logo and search box, menus,
breadcrumbs, share buttons, related links, a footer with the site's 备案 number, and
scripts. These are removed (by tag, by the class or id that sites give them, and as
blocks that are mostly links); what remains is the article with its metadata table
(索引号, 发文字号, 发布日期), read as lines. The page is decoded with the charset its
``<meta>`` declares, else with the shared cascade of :mod:`geoplan._common.text`.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from .._common.text import decode_bytes
from .._errors import PlanParseError, missing_dependency
from ._read import table_lines

#: Elements that never hold the plan.
DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "button", "select", "input", "textarea", "dialog", "map", "head", "title", "meta", "link",
)  # fmt: skip

#: Containers of site furniture, dropped unless they wrap most of the page (ASP.NET sites
#: put the whole page in one <form>).
FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form", "menu")

#: Class and id words of site furniture: the word itself, or its prefix before - or _
#: (``nav-wrap``, ``footer_box``; not ``article-header``).
FURNITURE = (
    "nav", "navbar", "menu", "header", "topbar", "toolbar", "footer", "breadcrumb", "crumb",
    "crumbs", "sidebar", "share", "bdshare", "social", "login", "search", "skip", "banner",
    "logo", "copyright", "relevant", "recommend", "qrcode", "ewm", "wza", "accessibility",
    "advert", "gotop", "dibu", "daohang", "xgxx", "xgwz", "fenxiang", "dqwz", "weizhi",
    "bread",
)  # fmt: skip

#: Words that name furniture only as the whole word (``top``, but not ``top-title``).
FURNITURE_EXACT = ("head", "top", "bottom", "foot", "side", "position", "location", "related")

_FURNITURE = re.compile(
    r"^(?:(?:" + "|".join(re.escape(w) for w in FURNITURE) + r")(?:$|[-_].*)|"
    r"(?:" + "|".join(re.escape(w) for w in FURNITURE_EXACT) + r")$)",
    re.I,
)
#: Short blocks that are site furniture by their words: breadcrumbs, print/close buttons.
_FURNITURE_TEXT = re.compile(
    r"^(?:您?(?:当前|现在|所在)的?位置|当前位置)[:：]"
    r"|^(?:[【\[]?(?:打印本?页?|关闭本?(?:页|窗口)|返回顶部|分享到|收藏|打印|关闭)[】\]]?\s*)+$"
)
_BLOCKS = {
    "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2",
    "h3", "h4", "h5", "h6", "blockquote", "pre", "center", "address", "figure", "figcaption",
    "hr", "body", "html", "tr", "table", "caption", "tbody", "thead", "tfoot",
}  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)


def decode_html(data: bytes, name: str) -> str:
    """Decode a web page: valid UTF-8 as such, else with its declared charset, else with
    the shared cascade.

    Examples
    --------
    >>> page = '<meta charset="gbk"><p>新建福道10公里</p>'.encode("gbk")
    >>> decode_html(page, "demo")
    '<meta charset="gbk"><p>新建福道10公里</p>'
    >>> decode_html('<meta charset="gb2312"><p>福道</p>'.encode(), "saved as UTF-8")[-9:]
    '<p>福道</p>'
    """
    if not data.startswith((codecs.BOM_UTF8, b"\xff\xfe", b"\xfe\xff")):
        # Valid UTF-8 wins over the declaration: a browser that saves a GBK page as UTF-8
        # may leave its gb2312 <meta>, and Chinese GBK text is never valid UTF-8.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    head = data[:4096]
    declared = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if declared is not None and not data.startswith((codecs.BOM_UTF8, b"\xff\xfe", b"\xfe\xff")):
        label = declared.group(1).decode("ascii").lower()
        # Pages declare gb2312 but hold GBK/GB18030 characters (堃, 镕); the superset decodes both.
        codec = "gb18030" if label in ("gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936") else label
        try:
            return data.decode(codec)
        except LookupError:
            pass  # an unknown label: guess instead
        except UnicodeDecodeError:
            pass  # a page that lies about its charset (saved again by an editor): guess
    return decode_bytes(
        data, name, expected="expected a web page holding an action plan",
        error=PlanParseError, noun="page",
    )[0]  # fmt: skip


def html_text(data: bytes, name: str) -> str:
    """Return the text of the plan on a saved web page: one paragraph per line."""
    try:
        import lxml.html
        from lxml import etree
    except ImportError:
        raise missing_dependency("lxml", "documents", "read plans saved as web pages") from None
    text = decode_html(data, name)
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise PlanParseError(
            f"{name} is not a readable web page ({exc}); save the page again from the "
            "browser (Save As, Web Page, HTML only) or copy its text into a .txt file"
        ) from exc
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    _strip_furniture(root)
    body = root.find("body")
    lines: list[str] = []
    _render(body if body is not None else root, lines, [""])
    out = [line for line in lines if line]
    if not out:
        raise PlanParseError(
            f"{name} holds no text once its menus, header and footer are removed; the page "
            "may load the plan with JavaScript: open it in a browser and save the plan's "
            "text (or its attachment) instead"
        )
    return "\n".join(out) + "\n"


def _strip_furniture(root: Any) -> None:
    """Remove site furniture: by tag, by class/id words, and link lists."""
    for element in list(root.iter(*DROP_TAGS)):
        _drop(element)
    body = root.find("body")
    page = len(_squash((body if body is not None else root).text_content())) or 1
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or _is_dropped(element):
            continue
        words = (element.get("class") or "").split() + (element.get("id") or "").split()
        furniture = (
            any(_FURNITURE.match(w) for w in words)
            or element.get("role") in ("navigation", "banner", "contentinfo", "search")
            or (
                element.tag in FURNITURE_TAGS
                # an article's own <header> holds its title; a site's, the logo and menu
                and not any(a.tag in ("article", "main") for a in element.iterancestors())
            )
        )
        # A wrapper named like furniture (id="top", an ASP.NET <form>) round most of the
        # page stays; a short page's own footer does not.
        wrapper = page / 2 if element.tag == "form" else max(page / 2, 300)
        if furniture and len(_squash(element.text_content())) < wrapper:
            _drop(element)
    for element in list(root.iter("div", "p", "span", "td", "li", "ul")):
        if _is_dropped(element):
            continue
        text = _squash(element.text_content())
        if len(text) < 80 and _FURNITURE_TEXT.match(text):
            _drop(element)
    for element in list(root.iter("ul", "ol", "div", "table", "dl", "p", "section")):
        if _is_dropped(element):
            continue
        links = element.findall(".//a")
        if len(links) < 3:
            continue
        total = len(_squash(element.text_content()))
        linked = sum(len(_squash(a.text_content())) for a in links)
        if total and linked / total > 0.6:
            _drop(element)


def _drop(element: Any) -> None:
    """Remove ``element`` but keep the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _is_dropped(element: Any) -> bool:
    node = element
    while node is not None:
        if node.tag == "html":
            return False
        node = node.getparent()
    return True


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _render(element: Any, lines: list[str], current: list[str]) -> None:
    """Append ``element``'s text to ``lines``: block elements and <br> start new lines."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "table" and not _is_layout(element):
        _flush(lines, current)
        lines.extend(_table(element))
        _flush(lines, current)
    elif tag in ("pre", "textarea", "plaintext", "xmp"):  # text laid out by its own lines
        _flush(lines, current)
        for line in element.text_content().splitlines():
            current[0] = line
            _flush(lines, current)
    else:
        block = tag in _BLOCKS
        if block:
            _flush(lines, current)
        if tag == "br" or tag in ("td", "th"):
            _flush(lines, current)
        if element.text and tag != "br":
            current[0] += element.text
        for child in element:
            _render(child, lines, current)
        if block or tag in ("td", "th"):
            _flush(lines, current)
    if element.tail:
        current[0] += element.tail


def _flush(lines: list[str], current: list[str]) -> None:
    line = _tidy(current[0])
    if line:
        lines.append(line)
    current[0] = ""


def _tidy(line: str) -> str:
    """Collapse the whitespace of HTML source; drop the indentation (　　) of paragraphs."""
    return re.sub(r"\s+", " ", line.replace("\u200b", "")).strip()


def _is_layout(table: Any) -> bool:
    """A table used to lay out the page, not to hold data: it nests tables or headings,
    or one of its cells holds a whole article."""
    if table.find(".//table") is not None:
        return True
    if any(table.iter("h1", "h2", "h3", "h4", "h5", "h6", "article")):
        return True
    return any(len(_squash(cell.text_content())) > 1500 for cell in table.iter("td", "th"))


def _table(table: Any) -> list[str]:
    """A data table's rows, with rowspan repeated down and colspan left empty."""
    rows: list[list[str | None]] = []
    below: dict[tuple[int, int], str | None] = {}  # (row, column) covered from above
    for r, tr in enumerate(tr for tr in table.iter("tr") if _owner_table(tr) is table):
        row: list[str | None] = []
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
                continue
            while (r, len(row)) in below:
                row.append(below.pop((r, len(row))))
            cell_lines: list[str] = []
            _render_cell(cell, cell_lines)
            text = " ".join(cell_lines)
            start = len(row)
            for c in range(start, start + _int(cell.get("colspan"))):
                value = text if c == start else None
                row.append(value)
                for down in range(1, _int(cell.get("rowspan"))):
                    below[(r + down, c)] = value
        while (r, len(row)) in below:
            row.append(below.pop((r, len(row))))
        rows.append(row)
    return table_lines(rows)


def _render_cell(cell: Any, out: list[str]) -> None:
    current = [""]
    for_text: list[str] = []
    if cell.text:
        current[0] += cell.text
    for child in cell:
        _render(child, for_text, current)
    _flush(for_text, current)
    out.extend(for_text)


def _owner_table(tr: Any) -> Any:
    node = tr.getparent()
    while node is not None and node.tag != "table":
        node = node.getparent()
    return node


def _int(value: str | None) -> int:
    try:
        return max(1, min(int((value or "1").strip()), 1000))
    except ValueError:
        return 1
