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

from .._common.atomic import write_text
from .._common.text import binary_kind, decode_bytes
from .._errors import DataReadError, OutputError, PlanParseError

logger = logging.getLogger("geoplan.plan")


def write_atomic(path: Path, text: str, *, encoding: str) -> None:
    """Write ``text`` to ``path`` atomically (see :mod:`geoplan._common.atomic`)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist; create it first")
    write_text(path, text, encoding=encoding, what="register")


_TEXT_SUFFIXES = {".txt", ".text", ".md", ".csv", ".doc", ".docx", ".pdf", ".htm", ".html"}


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
    """Decode a plan file with the shared cascade; binary formats are named, not decoded."""
    expected = "expected the plain text of an action plan (UTF-8, GB18030/GBK, Big5 or UTF-16)"
    if not data.strip():
        raise PlanParseError(f"{name} is empty; {expected}")
    kind = binary_kind(data)
    if kind is not None:
        raise PlanParseError(
            f"{name} is {kind}, not text; {expected}: save or copy the plan as a .txt file"
        )
    return decode_bytes(data, name, expected=expected, error=PlanParseError, noun="plan")[0]
