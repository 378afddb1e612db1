"""Reading plan files (encodings, binary detection) and writing registers, for geoplan.plan.

A plan arrives as whatever a bureau saved: UTF-8 with or without BOM, GB18030/GBK from
older Windows tools, Big5 for traditional-character plans, UTF-16 from Word's "Unicode
text". Anything else (an image, a PDF, a .docx) is refused with a message that says what
was expected. Registers are written atomically: a temporary file beside the target, then
``os.replace``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ._atomic import write_text
from ._errors import DataReadError, OutputError, PlanParseError

logger = logging.getLogger("geoplan.plan")


def write_atomic(path: Path, text: str, *, encoding: str) -> None:
    """Write ``text`` to ``path`` atomically (see :mod:`geoplan._atomic`)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist; create it first")
    write_text(path, text, encoding=encoding, what="register")


_TEXT_SUFFIXES = {".txt", ".text", ".md", ".csv", ".doc", ".docx", ".pdf", ".htm", ".html"}
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive (a Word .docx is one)",
    b"\xd0\xcf\x11\xe0": "an old Word/Excel (.doc/.xls) file",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def read_source(text_or_path: str | os.PathLike[str]) -> tuple[str, str]:
    """Return ``(text, name)``: the decoded document and how messages should name it."""
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
    return text_or_path.lstrip("\ufeff"), "plan text"


def _read_file(path: Path) -> tuple[str, str]:
    name = f"plan file {path}"
    if not path.exists():
        raise DataReadError(
            f"{name} does not exist; pass the path of the plan's text file (or the text itself)"
        )
    if path.is_dir():
        raise DataReadError(f"{name} is a folder; pass the plan's text file inside it")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataReadError(
            f"{name} cannot be read ({exc.strerror}); check its permissions"
        ) from exc
    return _decode(data, name), name


def _decode(data: bytes, name: str) -> str:
    """Decode a plan file: BOMs first, then UTF-8, then GB18030 (a superset of GBK) or Big5."""
    expected = "expected the plain text of an action plan (UTF-8, GB18030/GBK, Big5 or UTF-16)"
    if not data.strip():
        raise PlanParseError(f"{name} is empty; {expected}")
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise PlanParseError(
                f"{name} is {kind}, not text; {expected}: save or copy the plan as a .txt file"
            )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError as exc:
                raise PlanParseError(
                    f"{name} starts with a {encoding} byte-order mark but is not valid "
                    f"{encoding} at byte {exc.start}; {expected}"
                ) from exc
    if b"\x00" in data[:4096]:
        text = _utf16_without_bom(data)
        if text is not None:
            logger.info("%s has no byte-order mark; decoded it as UTF-16", name)
            return text
        raise PlanParseError(
            f"{name} holds NUL bytes: it is a binary file or UTF-16 without a byte-order mark; "
            f"{expected}: save the plan as UTF-8 text (Notepad: Save As, Encoding UTF-8)"
        )
    for encoding in ("utf-8", "gb18030", "big5"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030":
            text, encoding = _gb_or_big5(data, text)
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        if controls > len(text) // 100:
            raise PlanParseError(
                f"{name} has {controls} control characters in {len(text)}: it looks like a "
                f"binary file; {expected}"
            )
        if encoding != "utf-8":
            logger.info("%s is not UTF-8; decoded it as %s", name, encoding)
        return text
    raise PlanParseError(f"{name} is neither UTF-8, GB18030 nor Big5 text; {expected}")


def _utf16_without_bom(data: bytes) -> str | None:
    """Decode UTF-16 written without a byte-order mark, or return None.

    Some Windows tools save "Unicode" text without the mark. Chinese text in UTF-16 has NUL
    bytes only beside its ASCII characters (digits, punctuation, line breaks); it is taken
    as UTF-16 when one byte order decodes it with line breaks, no control characters and
    mostly Chinese characters, which bytes of a binary file do not.
    """
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        chars = [ch for ch in text if not ch.isspace()]
        cjk = sum(1 for ch in chars if "\u4e00" <= ch <= "\u9fff")
        controls = any(ord(ch) < 32 and ch not in "\r\n\t\f" for ch in text)
        if "\n" in text and not controls and chars and cjk >= len(chars) // 3:
            return text
    return None


def _gb_or_big5(data: bytes, gb_text: str) -> tuple[str, str]:
    """Choose between GB18030 and Big5 (traditional plans) for bytes valid in both.

    Read in the wrong one of the two, Chinese text loses its commonest characters and
    punctuation, so the reading that has more of them wins.
    """
    try:
        big5_text = data.decode("big5")
    except UnicodeDecodeError:
        return gb_text, "gb18030"

    def common(text: str) -> int:
        return sum(text.count(ch) for ch in "。，、的年和区區")

    return (big5_text, "big5") if common(big5_text) > common(gb_text) else (gb_text, "gb18030")
