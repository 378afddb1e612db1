"""Reading plan documents as they arrive, and writing registers, for geoplan.plan.

A plan arrives as whatever a bureau saved or downloaded: a Word ``.docx``; a PDF with a
text layer; a web page saved from a government site (``.html``/``.htm``); plain text in
UTF-8 with or without BOM, GB18030/GBK, Big5 or UTF-16; or an old Word ``.doc`` / WPS
``.wps`` file, which LibreOffice converts to ``.docx`` when ``soffice`` is installed. The
format is told by the file's first bytes, not only by its suffix (a ``.doc`` that is really
a ``.docx`` or a web page is read as what it is).

Every reader returns the document as text the parser reads: one paragraph per line, and
every table one line per row with its cells separated by a TAB character. A cell that
spans several rows (a unit cell merged down the rows of its tasks) is repeated in each
row it spans; a cell that spans several columns gives its text to the first column and
leaves the others empty, so that the columns stay aligned with the header; a row that is
one cell across the table (a caption inside the table) is a line of its own. Line breaks
inside a cell become spaces.

The readers of ``.docx``, ``.pdf`` and ``.html`` need the ``documents`` extra (python-docx,
pdfplumber, lxml); each imports them only when a file of its kind arrives. Registers are
written atomically: a temporary file beside the target, then ``os.replace``.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from .._common.atomic import write_text
from .._common.text import binary_kind, decode_bytes
from .._errors import DataReadError, OutputError, PlanParseError

logger = logging.getLogger("geoplan.plan")

#: Seconds LibreOffice may take to convert one .doc/.wps file before geoplan gives up.
SOFFICE_TIMEOUT = 180

#: Suffixes LibreOffice converts to .docx for reading (old Word, WPS, RTF, OpenDocument).
CONVERTIBLE_SUFFIXES = (".doc", ".wps", ".wpt", ".dot", ".rtf", ".odt")

_HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")


def write_atomic(path: Path, text: str, *, encoding: str) -> None:
    """Write ``text`` to ``path`` atomically (see :mod:`geoplan._common.atomic`)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist; create it first")
    write_text(path, text, encoding=encoding, what="register")


_TEXT_SUFFIXES = {
    ".txt",
    ".text",
    ".md",
    ".csv",
    ".docx",
    ".pdf",
    *_HTML_SUFFIXES,
    ".mht",
    ".mhtml",
    ".xlsx",
    *CONVERTIBLE_SUFFIXES,
}


def read_source(text_or_path: str | os.PathLike[str]) -> tuple[str, str]:
    """Return ``(text, name)``: the document as text and how messages should name it."""
    if isinstance(text_or_path, os.PathLike):
        return _read_file(Path(text_or_path))
    if not isinstance(text_or_path, str):
        raise PlanParseError(
            f"parse_plan expects the plan text or a path, got {type(text_or_path).__name__}; "
            "pass a str or a pathlib.Path"
        )
    candidate = text_or_path.strip()
    if "\n" not in candidate and 0 < len(candidate) < 1024:
        path = Path(candidate)
        try:
            is_file = path.is_file()
        except OSError:  # a long line of text is not a valid file name on every system
            is_file = False
        if is_file or path.suffix.lower() in _TEXT_SUFFIXES:
            return _read_file(path)
    text = text_or_path.lstrip("\ufeff")
    if text.lstrip().startswith("<") and _looks_like_html(text[:1024].encode("utf-8")):
        from ._html import html_text  # a page's source passed as a string

        return html_text(text.encode("utf-8"), "plan text (HTML)"), "plan text"
    return text, "plan text"


def read_plan_text(path: str | os.PathLike[str]) -> str:
    """Return the text the parser reads from a plan document (.docx, .pdf, .html, .txt…).

    One paragraph per line; a table one line per row with its cells separated by TAB, a
    merged cell repeated in each row it spans. Use it to see what geoplan made of a PDF
    or a web page before parsing it.

    Examples
    --------
    >>> from geoplan.datasets import SAMPLE_PLAN, data_path
    >>> read_plan_text(data_path(SAMPLE_PLAN)).splitlines()[4]
    '泉台管〔2021〕57号'
    """
    return _read_file(Path(path))[0]


def _read_file(path: Path) -> tuple[str, str]:
    name = f"plan file {path}"
    if not path.exists():
        raise DataReadError(
            f"{name} does not exist; pass the path of the plan's document (.docx, .pdf, "
            ".html or .txt) or the text itself"
        )
    if path.is_dir():
        raise DataReadError(f"{name} is a folder; pass the plan's document inside it")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataReadError(
            f"{name} cannot be read ({exc.strerror}); check its permissions"
        ) from exc
    return read_document(data, name, suffix=path.suffix.lower()), name


def read_document(data: bytes, name: str, *, suffix: str = "") -> str:
    """Return the text of a plan document given as bytes, choosing the reader by its content.

    Parameters
    ----------
    data
        The file's bytes.
    name
        How messages name the document (``"plan file 计划.docx"``).
    suffix
        The file's suffix, lower case; it decides only where the bytes do not (an HTML page
        saved as ``.htm`` without a doctype, an old-Word file that is a .wps).
    """
    if not data.strip():
        raise PlanParseError(f"{name} is empty; {_EXPECTED}")
    head = data[:1024]
    if b"%PDF-" in head:
        from ._pdf import pdf_text

        return pdf_text(data, name)
    if data.startswith(b"PK\x03\x04"):
        return _zip_document(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0") or data.startswith(b"{\\rtf"):
        if suffix in (".xls", ".et", ".ppt", ".dps"):
            raise PlanParseError(
                f"{name} is an old Excel/PowerPoint file, not a plan document; {_EXPECTED} "
                "(a task table in Excel: save it as .xlsx)"
            )
        if data.startswith(b"{\\rtf"):
            suffix = ".rtf"
        elif suffix not in CONVERTIBLE_SUFFIXES:
            suffix = ".doc"
        return _converted(data, name, suffix)
    if suffix in (".mht", ".mhtml") or _MHT_START.match(head):
        return _mht(data, name)
    if suffix in _HTML_SUFFIXES or _looks_like_html(head):
        from ._html import html_text

        return html_text(data, name)
    kind = binary_kind(data)
    if kind is not None:
        fix = (
            ": if it is a scan, run OCR on it or ask for the Word original"
            if "image" in kind
            else ""
        )
        raise PlanParseError(f"{name} is {kind}, not text; {_EXPECTED}{fix}")
    expected = "expected the plain text of an action plan (UTF-8, GB18030/GBK, Big5 or UTF-16)"
    return decode_bytes(data, name, expected=expected, error=PlanParseError, noun="plan")[0]


_EXPECTED = (
    "expected the plain text of an action plan (.txt), or the plan as a Word .docx, a PDF "
    "with a text layer or a web page saved as .html"
)

_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b", re.I | re.S
)


def _looks_like_html(head: bytes) -> bool:
    if _HTML_START.match(head):
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # a page saved as UTF-16 by old IE
        try:
            text = head.decode("utf-16")
        except UnicodeDecodeError:
            return False
        return _HTML_START.match(text.lstrip("\ufeff").encode("utf-8")) is not None
    return False


# Mail-style header lines (folded ones too) up to MIME-Version or a multipart type.
_MHT_START = re.compile(
    rb"^\s*(?:[\w-]+:[^\n]*\r?\n(?:[ \t][^\n]*\r?\n)*)*?"
    rb"(?:MIME-Version:|Content-Type:\s*multipart/related)",
    re.I,
)


def _mht(data: bytes, name: str) -> str:
    """A web archive (.mht, "Web Page, Single File"): the HTML part read as a page."""
    import email
    import email.policy

    from ._html import html_text

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload.strip():
                charset = part.get_content_charset()
                if charset and b"charset" not in payload[:4096].lower():
                    # the charset is in the part's header, not in the page: tell the reader
                    payload = f'<meta charset="{charset}">'.encode("ascii") + payload
                return html_text(payload, name)
    raise PlanParseError(
        f"{name} is a web archive (.mht) without an HTML page in it; open it in a browser "
        "and save it as .html, or copy the plan's text into a .txt file"
    )


def _zip_document(data: bytes, name: str) -> str:
    """A zip file: a .docx is read; an OpenDocument text is converted; anything else refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError) as exc:
        raise PlanParseError(
            f"{name} is a damaged zip file ({exc}); if it is a Word document, open it in "
            "Word or WPS and save it again as .docx"
        ) from exc
    if "word/document.xml" in names:
        from ._docx import docx_text

        try:
            return docx_text(data, name)
        except PlanParseError:
            if soffice_command() is None:
                raise
            # python-docx reads transitional OOXML only; LibreOffice rewrites a "Strict
            # Open XML" or oddly packaged .docx into one it reads.
            logger.info("%s: python-docx cannot read it; trying LibreOffice", name)
            return _converted(data, name, ".docx")
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return _converted(data, name, ".odt")
    if "OFD.xml" in names:
        raise PlanParseError(
            f"{name} is an OFD document (China's fixed-layout format), which geoplan does not "
            "read; export it as PDF from the OFD reader, or ask for the Word original"
        )
    if "xl/workbook.xml" in names:
        from ._xlsx import xlsx_text  # an annex task table sent on its own

        return xlsx_text(data, name)
    what = "a PowerPoint presentation" if "ppt/presentation.xml" in names else "a zip archive"
    raise PlanParseError(f"{name} is {what}, not a plan document; {_EXPECTED}")


def soffice_command() -> str | None:
    """Return LibreOffice's command-line program (``soffice``) if it is on PATH, else None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _converted(data: bytes, name: str, suffix: str) -> str:
    """Convert an old Word/WPS/RTF/ODT document to .docx with LibreOffice and read that."""
    soffice = soffice_command()
    if soffice is None:
        raise PlanParseError(
            f"{name} is an old Word/WPS document ({suffix}), which geoplan reads only through "
            "LibreOffice, and `soffice` is not on PATH; open it in Word or WPS and save it as "
            ".docx (File > Save As > Word Document), or install LibreOffice"
        )
    from ._docx import docx_text

    with tempfile.TemporaryDirectory(prefix="geoplan-soffice-") as tmp:
        folder = Path(tmp)
        # A plain ASCII name: LibreOffice and some shells mangle Chinese file names.
        source = folder / f"plan{suffix}"
        source.write_bytes(data)
        out = folder / "out"
        command = [
            soffice,
            # A private profile: a second LibreOffice (the user's own, or a parallel
            # conversion) would otherwise hold the profile's lock and the call does nothing.
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ]
        logger.info("converting %s to .docx with %s", name, soffice)
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=SOFFICE_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise PlanParseError(
                f"LibreOffice did not convert {name} within {SOFFICE_TIMEOUT} s; open it in "
                "Word or WPS and save it as .docx"
            ) from exc
        except OSError as exc:
            raise PlanParseError(
                f"LibreOffice ({soffice}) could not be started to convert {name} ({exc}); "
                "open the file in Word or WPS and save it as .docx"
            ) from exc
        result = out / "plan.docx"
        if not result.is_file():
            said = "; ".join(
                line.strip()
                for line in (done.stderr + done.stdout).decode("utf-8", "replace").splitlines()
                if line.strip() and "javaldx" not in line  # noise of every headless start
            )[-300:]
            raise PlanParseError(
                f"{name} cannot be read: LibreOffice could not open it (exit {done.returncode}"
                f"{': ' + said if said else ''}); the file may be damaged or password-"
                "protected: open it in Word or WPS and save it as .docx"
            )
        return docx_text(result.read_bytes(), name)


_SPACE = re.compile(r"\s+")
# Full-width and CJK characters between which a space is an artefact of layout, not text.
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef\u2018-\u201d\u2014\u2026"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")


def clean_cell(text: str) -> str:
    """One table cell as one line: whitespace collapsed, no spaces between Chinese characters.

    Examples
    --------
    >>> clean_cell("区住建局、\\n区资源规划局 ")
    '区住建局、区资源规划局'
    >>> clean_cell("新建福道\\n10公里"), clean_cell("PM2.5\\nindex")
    ('新建福道10公里', 'PM2.5 index')
    """
    text = _BREAK.sub(_join_break, text.replace("\u00a0", " ").strip())
    return _CJK_GAP.sub("", _SPACE.sub(" ", text))


_BREAK = re.compile(r"[ \t\u3000]*[\r\n]+[ \t\u3000]*")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def _join_break(match: re.Match[str]) -> str:
    """A line break inside a cell: nothing beside a Chinese character, else a space."""
    text = match.string
    before = text[match.start() - 1] if match.start() else ""
    after = text[match.end()] if match.end() < len(text) else ""
    return "" if _CJK_CHAR.match(before) or _CJK_CHAR.match(after) else " "


def table_lines(rows: Iterable[Sequence[str | None]]) -> list[str]:
    """Render table rows as TAB-separated lines (the contract with the parser).

    Each row holds one entry per column of the table's grid: the cell's text, or None for
    a column covered by a cell that spans from the left. Readers resolve rows spanned by
    a merged cell before calling this (the text is repeated in each row).

    Examples
    --------
    >>> table_lines([["序号", "任务", "责任单位"], ["1", "新建福道", "区住建局"],
    ...              ["附件：重点任务分解表", None, None], ["", "", ""]])
    ['序号\\t任务\\t责任单位', '1\\t新建福道\\t区住建局', '附件：重点任务分解表']
    """
    lines = []
    for row in rows:
        cells = [None if c is None else clean_cell(c) for c in row]
        present = [c for c in cells if c is not None]
        if not any(present):
            continue
        if len(present) == 1:  # one cell across the whole row: a caption or a heading
            lines.append(present[0])
            continue
        while cells and not cells[-1]:  # trailing empty columns say nothing
            cells.pop()
        lines.append("\t".join(c or "" for c in cells))
    return lines
